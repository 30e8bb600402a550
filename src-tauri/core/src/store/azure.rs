//! The Azure Key Vault store, on Microsoft's official SDK (`azure_identity` +
//! `azure_security_keyvault_secrets`). One Key Vault secret per key; metadata in tags (see
//! [`super::tags`]) so listing reads no value.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::Secret;
use azure_core::error::ErrorKind;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_core::time::OffsetDateTime;
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use azure_security_keyvault_secrets::models::{
    DeletedSecretProperties, SecretAttributes, SecretClientGetSecretOptions,
    SecretClientListDeletedSecretPropertiesOptions, SecretClientListSecretPropertiesOptions,
    SecretClientListSecretPropertiesVersionsOptions, SecretClientUpdateSecretPropertiesOptions,
    SecretProperties, SetSecretParameters, UpdateSecretPropertiesParameters,
};
use azure_security_keyvault_secrets::{ResourceExt, SecretClient, SecretClientOptions};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;

use super::tags::{self, CONTENT_TYPE, SecretParts, record_from_parts, record_to_tags};
use super::{
    ConsoleDocument, DeletedKey, DocumentInfo, KeyVersion, RESERVED_PREFIX, SecretStore, StoreKind,
    UnmanagedSecret, VaultListing,
};
use crate::domain::connection::{Cloud, ConnectionSettings};
use crate::domain::keys::KeyRecord;
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};

/// Key Vault pages list results 25 at a time.
pub const PAGE_SIZE: i32 = 25;

/// Content type of the console's own documents (policy, audit anchor).
const DOCUMENT_CONTENT_TYPE: &str = "application/vnd.akv-console.document+json";

/// Retries and timeouts. The defaults retry 408/429/5xx and dropped connections a few times with
/// exponential backoff (honouring `Retry-After`), then report.
#[derive(Debug, Clone)]
pub struct AzureOptions {
    pub max_retries: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
    pub max_total_elapsed: Duration,
    pub request_timeout: Duration,
}

impl Default for AzureOptions {
    fn default() -> Self {
        AzureOptions {
            max_retries: 4,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(10),
            max_total_elapsed: Duration::from_secs(45),
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl AzureOptions {
    fn retry(&self) -> RetryOptions {
        let to_time = |d: Duration| {
            azure_core::time::Duration::milliseconds(
                i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            )
        };
        RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: to_time(self.initial_delay),
            max_retries: self.max_retries,
            max_total_elapsed: to_time(self.max_total_elapsed),
            max_delay: to_time(self.max_delay),
        })
    }
}

pub struct AzureStore {
    client: SecretClient,
    vault_name: String,
    vault_url: String,
    /// The signed-in technician (UPN), named in Key Vault's refusals; `None` for the app secret.
    caller: Option<String>,
}

/// What "Test and connect" found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCheck {
    /// Secrets listed on the first page (any application's).
    pub listed: usize,
    /// The role policy document exists.
    pub policy_found: bool,
}

/// The HTTP client under the SDK, shared by every client with the same extra CA and timeout.
///
/// Building one loads and parses the system's root certificates, and each has its own
/// connection pool: sharing it means ten clients load the roots once and reuse one TLS
/// connection to `login.microsoftonline.com` and Graph instead of ten. Requests carry their own
/// token, so nothing of one client rides on a shared connection.
pub(crate) fn http_client(
    settings: &ConnectionSettings,
    options: &AzureOptions,
) -> AppResult<reqwest::Client> {
    type Key = (Option<String>, Duration);
    static SHARED: OnceLock<Mutex<HashMap<Key, reqwest::Client>>> = OnceLock::new();
    let key = (settings.ca_pem.clone(), options.request_timeout);
    let mut shared = SHARED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(client) = shared.get(&key) {
        return Ok(client.clone());
    }
    let client = build_http_client(settings, options)?;
    shared.insert(key, client.clone());
    Ok(client)
}

/// https only, with timeouts, and **never following redirects**: a 307/308 from anything between
/// here and Azure would make reqwest resend the request body — which holds the client secret
/// (token request) or a key value (set secret) — to the new host.
fn build_http_client(
    settings: &ConnectionSettings,
    options: &AzureOptions,
) -> AppResult<reqwest::Client> {
    let builder = || {
        reqwest::Client::builder()
            .timeout(options.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true)
    };
    let client = match settings.ca_pem.as_deref() {
        None => builder().build(),
        Some(pem) => {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                AppError::field(
                    "caPem",
                    format!("The CA certificate could not be read: {e}"),
                    "Choose a PEM file with one or more BEGIN CERTIFICATE blocks.",
                )
            })?;
            // Trust the extra CA in addition to the system's roots; fall back to the CA alone
            // where the platform verifier cannot merge roots.
            builder()
                .tls_certs_merge(certs.clone())
                .build()
                .or_else(|_| builder().tls_certs_only(certs).build())
        }
    };
    client.map_err(|e| AppError::internal(format!("HTTP client could not be built: {e}")))
}

/// The SDK's client options for `settings`: our HTTP client, retries and the cloud.
fn client_options(
    settings: &ConnectionSettings,
    options: &AzureOptions,
) -> AppResult<ClientOptions> {
    let http = http_client(settings, options)?;
    let cloud: CloudConfiguration = match settings.cloud {
        Cloud::AzurePublic => CloudConfiguration::AzurePublic,
        Cloud::AzureUsGovernment => CloudConfiguration::AzureGovernment,
        Cloud::AzureChina => CloudConfiguration::AzureChina,
        Cloud::Custom => {
            let mut custom = CustomConfiguration::default();
            custom.authority_host = settings.authority_host();
            custom.into()
        }
    };
    Ok(ClientOptions {
        transport: Some(Transport::new(Arc::new(http))),
        retry: options.retry(),
        cloud: Some(Arc::new(cloud)),
        ..Default::default()
    })
}

impl AzureStore {
    /// Build the app-secret credential and the client. Makes no request:
    /// [`AzureStore::check_access`] does.
    pub fn connect(
        settings: &ConnectionSettings,
        client_secret: &SecretValue,
        options: &AzureOptions,
    ) -> AppResult<AzureStore> {
        if client_secret.is_empty() {
            return Err(AppError::field(
                "clientSecret",
                "Client secret is required.",
                "Paste the secret's Value (not its ID) from App registrations → Certificates & secrets.",
            ));
        }
        // The SDK keeps its own copy for token refreshes; it is dropped with the client on
        // disconnect.
        let credential = ClientSecretCredential::new(
            &settings.tenant_id,
            settings.client_id.clone(),
            Secret::new(client_secret.expose().to_string()),
            Some(ClientSecretCredentialOptions {
                client_options: client_options(settings, options)?,
            }),
        )
        .map_err(|e| map_error(e, "sign in"))?;
        Self::with_credential(settings, credential, None, options)
    }

    /// The client on any credential, e.g. a signed-in technician's ([`crate::signin`]);
    /// `caller` names them in Key Vault's refusals.
    pub fn with_credential(
        settings: &ConnectionSettings,
        credential: Arc<dyn azure_core::credentials::TokenCredential>,
        caller: Option<String>,
        options: &AzureOptions,
    ) -> AppResult<AzureStore> {
        let vault_url = settings.vault_url();
        let client = SecretClient::new(
            &vault_url,
            credential,
            Some(SecretClientOptions {
                client_options: client_options(settings, options)?,
                // A custom endpoint (private link, emulator) does not end in a Key Vault domain.
                verify_challenge_resource: Some(settings.cloud != Cloud::Custom),
                ..Default::default()
            }),
        )
        .map_err(|e| map_error(e, "open the vault"))?;
        Ok(AzureStore {
            client,
            vault_name: settings.vault_name.clone(),
            vault_url,
            caller,
        })
    }

    /// An SDK error as a named error; a refusal names the signed-in technician and the role
    /// they lack.
    fn map(&self, error: azure_core::Error, doing: &str) -> AppError {
        let mapped = map_error(error, doing);
        match &self.caller {
            Some(caller) => for_caller(mapped, caller, doing),
            None => mapped,
        }
    }

    /// "Test and connect": get a token, list one page, and check get permission (reading the
    /// policy document: 404 means "allowed, not there yet", 403 means "no get permission").
    pub async fn check_access(&self) -> AppResult<AccessCheck> {
        let mut pager = self
            .client
            .list_secret_properties(Some(SecretClientListSecretPropertiesOptions {
                maxresults: Some(1),
                ..Default::default()
            }))
            .map_err(|e| self.map(e, "list secrets"))?;
        let mut listed = 0;
        if pager
            .try_next()
            .await
            .map_err(|e| self.map(e, "list secrets"))?
            .is_some()
        {
            listed = 1;
        }
        let policy_found = self
            .read_document(&ConsoleDocument::RolePolicy)
            .await?
            .is_some();
        Ok(AccessCheck {
            listed,
            policy_found,
        })
    }

    pub fn vault_name(&self) -> &str {
        &self.vault_name
    }
}

fn to_chrono(time: Option<OffsetDateTime>) -> Option<DateTime<Utc>> {
    time.and_then(|t| DateTime::from_timestamp(t.unix_timestamp(), 0))
}

fn to_offset(time: Option<DateTime<Utc>>) -> Option<OffsetDateTime> {
    time.and_then(|t| OffsetDateTime::from_unix_timestamp(t.timestamp()).ok())
}

fn attributes(record: &KeyRecord) -> SecretAttributes {
    SecretAttributes {
        enabled: Some(record.enabled),
        expires: to_offset(record.expires),
        ..Default::default()
    }
}

fn parts_from_properties(properties: &SecretProperties) -> Option<SecretParts> {
    let id = properties.resource_id().ok()?;
    let attrs = properties.attributes.as_ref();
    Some(SecretParts {
        name: id.name,
        content_type: properties.content_type.clone(),
        tags: properties.tags.clone().unwrap_or_default(),
        enabled: attrs.and_then(|a| a.enabled).unwrap_or(true),
        expires: to_chrono(attrs.and_then(|a| a.expires)),
        created: to_chrono(attrs.and_then(|a| a.created)),
        updated: to_chrono(attrs.and_then(|a| a.updated)),
        version: id.version.unwrap_or_default(),
    })
}

/// Name of a secret from its id (`https://vault/secrets/{name}[/{version}]`, or deleted ids).
fn name_from_id(id: Option<&str>) -> String {
    id.and_then(|id| {
        let url = url::Url::parse(id).ok()?;
        let mut segments = url.path_segments()?.filter(|s| !s.is_empty());
        segments.next()?;
        segments.next().map(str::to_string)
    })
    .unwrap_or_default()
}

fn deleted_from_properties(properties: &DeletedSecretProperties) -> DeletedKey {
    let tags = properties.tags.clone().unwrap_or_default();
    let protected = properties
        .attributes
        .as_ref()
        .and_then(|a| a.recovery_level.as_ref())
        .is_some_and(|level| !format!("{level:?}").contains("Purgeable"));
    DeletedKey {
        secret_name: name_from_id(
            properties
                .id
                .as_deref()
                .or(properties.recovery_id.as_deref()),
        ),
        vendor_id: tags.get(tags::TAG_VENDOR).cloned().unwrap_or_default(),
        masked_preview: tags.get(tags::TAG_PREVIEW).cloned().unwrap_or_default(),
        deleted_on: to_chrono(properties.deleted_date),
        scheduled_purge: to_chrono(properties.scheduled_purge_date),
        purge_protected: protected,
    }
}

#[async_trait]
impl SecretStore for AzureStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Azure {
            vault_name: self.vault_name.clone(),
            vault_url: self.vault_url.clone(),
        }
    }

    async fn list_all(&self) -> AppResult<VaultListing> {
        let mut pager = self
            .client
            .list_secret_properties(Some(SecretClientListSecretPropertiesOptions {
                maxresults: Some(PAGE_SIZE),
                ..Default::default()
            }))
            .map_err(|e| self.map(e, "list keys"))?;
        let mut listing = VaultListing::default();
        while let Some(properties) = pager
            .try_next()
            .await
            .map_err(|e| self.map(e, "list keys"))?
        {
            let Some(parts) = parts_from_properties(&properties) else {
                continue;
            };
            if parts.name.starts_with(RESERVED_PREFIX) {
                listing.documents.push(DocumentInfo {
                    name: parts.name,
                    tags: parts.tags,
                    updated: parts.updated,
                });
                continue;
            }
            let unmanaged = UnmanagedSecret {
                name: parts.name.clone(),
                content_type: parts.content_type.clone(),
                enabled: parts.enabled,
                expires: parts.expires,
                created: parts.created,
                updated: parts.updated,
                tags: parts.tags.clone(),
                version: parts.version.clone(),
            };
            match record_from_parts(parts) {
                Some(record) => listing.keys.push(record),
                None => listing.unmanaged.push(unmanaged),
            }
        }
        Ok(listing)
    }

    async fn current_key(&self, secret_name: &str) -> AppResult<Option<KeyRecord>> {
        let mut pager = self
            .client
            .list_secret_properties_versions(
                secret_name,
                Some(SecretClientListSecretPropertiesVersionsOptions {
                    maxresults: Some(PAGE_SIZE),
                    ..Default::default()
                }),
            )
            .map_err(|e| self.map(e, "read the key's settings"))?;
        // Key Vault's current version is the newest one.
        let mut newest: Option<SecretParts> = None;
        loop {
            let next = match pager.try_next().await {
                Ok(next) => next,
                Err(error) => {
                    let mapped = self.map(error, "read the key's settings");
                    if mapped.code == ErrorCode::SecretNotFound {
                        return Ok(None);
                    }
                    return Err(mapped);
                }
            };
            let Some(properties) = next else { break };
            let Some(parts) = parts_from_properties(&properties) else {
                continue;
            };
            if newest.as_ref().is_none_or(|n| parts.created > n.created) {
                newest = Some(parts);
            }
        }
        Ok(newest.and_then(|mut parts| {
            parts.name = secret_name.to_string();
            record_from_parts(parts)
        }))
    }

    async fn read_value(&self, secret_name: &str, version: Option<&str>) -> AppResult<SecretValue> {
        let response = self
            .client
            .get_secret(
                secret_name,
                Some(SecretClientGetSecretOptions {
                    secret_version: version.map(str::to_string),
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| self.map(e, "read the key"))?;
        let secret = response
            .into_model()
            .map_err(|e| self.map(e, "read the key"))?;
        let value = secret.value.unwrap_or_default();
        let wrapped = SecretValue::new(value.as_str());
        drop(zeroize::Zeroizing::new(value));
        Ok(wrapped)
    }

    async fn write_key(&self, record: &KeyRecord, value: &SecretValue) -> AppResult<KeyRecord> {
        let parameters = SetSecretParameters {
            value: Some(value.expose().to_string()),
            content_type: Some(CONTENT_TYPE.to_string()),
            secret_attributes: Some(attributes(record)),
            tags: Some(record_to_tags(record)),
        };
        let body = parameters
            .try_into()
            .map_err(|e| self.map(e, "save the key"))?;
        let response = self
            .client
            .set_secret(&record.secret_name, body, None)
            .await
            .map_err(|e| self.map(e, "save the key"))?;
        let mut secret = response
            .into_model()
            .map_err(|e| self.map(e, "save the key"))?;
        // The service echoes the value; clear our copy of it at once.
        if let Some(echo) = secret.value.take() {
            drop(zeroize::Zeroizing::new(echo));
        }
        let version = secret
            .resource_id()
            .ok()
            .and_then(|id| id.version)
            .unwrap_or_default();
        let attrs = secret.attributes.as_ref();
        let mut stored = record.clone();
        stored.version = version;
        stored.created = to_chrono(attrs.and_then(|a| a.created));
        stored.updated = to_chrono(attrs.and_then(|a| a.updated));
        Ok(stored)
    }

    async fn update_key(&self, record: &KeyRecord) -> AppResult<KeyRecord> {
        let parameters = UpdateSecretPropertiesParameters {
            content_type: Some(CONTENT_TYPE.to_string()),
            secret_attributes: Some(attributes(record)),
            tags: Some(record_to_tags(record)),
        };
        let body = parameters
            .try_into()
            .map_err(|e| self.map(e, "update the key"))?;
        let version = (!record.version.is_empty()).then(|| record.version.clone());
        let response = self
            .client
            .update_secret_properties(
                &record.secret_name,
                body,
                Some(SecretClientUpdateSecretPropertiesOptions {
                    secret_version: version,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| self.map(e, "update the key"))?;
        let secret = response
            .into_model()
            .map_err(|e| self.map(e, "update the key"))?;
        let mut stored = record.clone();
        stored.updated = to_chrono(secret.attributes.as_ref().and_then(|a| a.updated));
        Ok(stored)
    }

    async fn list_versions(&self, secret_name: &str) -> AppResult<Vec<KeyVersion>> {
        let mut pager = self
            .client
            .list_secret_properties_versions(
                secret_name,
                Some(SecretClientListSecretPropertiesVersionsOptions {
                    maxresults: Some(PAGE_SIZE),
                    ..Default::default()
                }),
            )
            .map_err(|e| self.map(e, "list versions"))?;
        let mut versions = Vec::new();
        while let Some(properties) = pager
            .try_next()
            .await
            .map_err(|e| self.map(e, "list versions"))?
        {
            let Some(parts) = parts_from_properties(&properties) else {
                continue;
            };
            let rotated = parts
                .tags
                .get(tags::TAG_ROTATED)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|d| d.with_timezone(&Utc));
            versions.push(KeyVersion {
                masked_preview: parts
                    .tags
                    .get(tags::TAG_PREVIEW)
                    .cloned()
                    .unwrap_or_default(),
                version: parts.version,
                created: parts.created,
                enabled: parts.enabled,
                expires: parts.expires,
                last_rotated: rotated,
            });
        }
        // Newest first.
        // Newest first. `created` has whole seconds only; the rotation time breaks ties.
        versions.sort_by_key(|v| std::cmp::Reverse((v.created, v.last_rotated)));
        Ok(versions)
    }

    async fn delete_key(&self, secret_name: &str) -> AppResult<DeletedKey> {
        let response = self
            .client
            .delete_secret(secret_name, None)
            .await
            .map_err(|e| self.map(e, "delete the key"))?;
        let deleted = response
            .into_model()
            .map_err(|e| self.map(e, "delete the key"))?;
        let tags: HashMap<String, String> = deleted.tags.clone().unwrap_or_default();
        let protected = deleted
            .attributes
            .as_ref()
            .and_then(|a| a.recovery_level.as_ref())
            .is_some_and(|level| !format!("{level:?}").contains("Purgeable"));
        Ok(DeletedKey {
            secret_name: secret_name.to_string(),
            vendor_id: tags.get(tags::TAG_VENDOR).cloned().unwrap_or_default(),
            masked_preview: tags.get(tags::TAG_PREVIEW).cloned().unwrap_or_default(),
            deleted_on: to_chrono(deleted.deleted_date),
            scheduled_purge: to_chrono(deleted.scheduled_purge_date),
            purge_protected: protected,
        })
    }

    async fn list_deleted(&self) -> AppResult<Vec<DeletedKey>> {
        let mut pager = self
            .client
            .list_deleted_secret_properties(Some(SecretClientListDeletedSecretPropertiesOptions {
                maxresults: Some(PAGE_SIZE),
                ..Default::default()
            }))
            .map_err(|e| self.map(e, "list deleted keys"))?;
        let mut deleted = Vec::new();
        while let Some(properties) = pager
            .try_next()
            .await
            .map_err(|e| self.map(e, "list deleted keys"))?
        {
            if properties.content_type.as_deref() != Some(CONTENT_TYPE) {
                continue;
            }
            deleted.push(deleted_from_properties(&properties));
        }
        Ok(deleted)
    }

    async fn recover_key(&self, secret_name: &str) -> AppResult<()> {
        self.client
            .recover_deleted_secret(secret_name, None)
            .await
            .map_err(|e| self.map(e, "recover the key"))?;
        Ok(())
    }

    async fn purge_key(&self, secret_name: &str) -> AppResult<()> {
        self.client
            .purge_deleted_secret(secret_name, None)
            .await
            .map_err(|e| self.map(e, "purge the key"))?;
        Ok(())
    }

    async fn read_document(&self, document: &ConsoleDocument) -> AppResult<Option<String>> {
        match self.client.get_secret(&document.secret_name(), None).await {
            Ok(response) => {
                let secret = response
                    .into_model()
                    .map_err(|e| self.map(e, "read the console's settings"))?;
                Ok(secret.value)
            }
            Err(error) => {
                let mapped = self.map(error, "read the console's settings");
                if mapped.code == ErrorCode::SecretNotFound {
                    Ok(None)
                } else {
                    Err(mapped)
                }
            }
        }
    }

    async fn write_document_tagged(
        &self,
        document: &ConsoleDocument,
        json: &str,
        tags: &HashMap<String, String>,
    ) -> AppResult<()> {
        let parameters = SetSecretParameters {
            value: Some(json.to_string()),
            content_type: Some(DOCUMENT_CONTENT_TYPE.to_string()),
            tags: (!tags.is_empty()).then(|| tags.clone()),
            ..Default::default()
        };
        let body = parameters
            .try_into()
            .map_err(|e| self.map(e, "save the console's settings"))?;
        self.client
            .set_secret(&document.secret_name(), body, None)
            .await
            .map_err(|e| self.map(e, "save the console's settings"))?;
        Ok(())
    }
}

/// Whether an operation writes (and so needs Secrets Officer rather than Secrets User).
fn writes(doing: &str) -> bool {
    [
        "save", "update", "delete", "purge", "recover", "restore", "disable", "enable",
    ]
    .iter()
    .any(|verb| doing.contains(verb))
}

/// Name the signed-in technician, and the Key Vault role they lack, in a refusal.
fn for_caller(mut error: AppError, caller: &str, doing: &str) -> AppError {
    let role = if writes(doing) {
        "Key Vault Secrets Officer"
    } else {
        "Key Vault Secrets User (read) or Key Vault Secrets Officer (read and write)"
    };
    match error.code {
        ErrorCode::ForbiddenByRbac => {
            error.message =
                format!("Key Vault's role-based access refused to let {caller} {doing}.");
            error.hint = format!(
                "{caller} needs the {role} role on this vault: Key Vault → Access control (IAM) → Add role assignment, for them or their group. If it was just assigned, wait 2–3 minutes for Azure RBAC to propagate and retry."
            );
        }
        ErrorCode::ForbiddenByPolicy => {
            error.message = format!("The vault's access policies do not let {caller} {doing}.");
            error.hint = format!(
                "The vault uses the Vault access policy model: add {caller} under Access policies with the secret permissions needed (get and list to read; set and delete to change keys), or switch the vault to Azure RBAC and assign {role}."
            );
        }
        ErrorCode::Forbidden => {
            error.message = format!("Key Vault refused to let {caller} {doing}.");
        }
        _ => {}
    }
    error
}

/// The parts of a Key Vault error body we act on.
#[derive(Default)]
struct ServiceError {
    code: String,
    inner: String,
    message: String,
}

fn service_error(raw: Option<&azure_core::http::RawResponse>) -> ServiceError {
    let Some(raw) = raw else {
        return ServiceError::default();
    };
    let body: serde_json::Value = serde_json::from_slice(raw.body().as_ref()).unwrap_or_default();
    let error = &body["error"];
    ServiceError {
        code: error["code"].as_str().unwrap_or_default().to_string(),
        inner: error["innererror"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        message: error["message"].as_str().unwrap_or_default().to_string(),
    }
}

fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(current) = source {
        text.push_str(" | ");
        text.push_str(&current.to_string());
        source = current.source();
    }
    text
}

/// Turn an SDK error into a named error with a hint. `doing` completes "Could not …".
pub fn map_error(error: azure_core::Error, doing: &str) -> AppError {
    let text = chain_text(&error);
    // Our own credential (a signed-in technician) failed with a named error of its own.
    if let Some(carried) = AppError::carried(&text) {
        return carried;
    }
    if let Some(mapped) = map_entra(&text) {
        return mapped;
    }
    match error.kind() {
        ErrorKind::HttpResponse {
            status,
            error_code,
            raw_response,
        } => {
            let status = u16::from(*status);
            let body = service_error(raw_response.as_deref());
            let code = error_code
                .clone()
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| body.code.clone());
            map_http(status, &code, &body, doing)
        }
        ErrorKind::Io | ErrorKind::Connection | ErrorKind::Credential | ErrorKind::Other => {
            map_transport(&text, doing)
        }
        _ => AppError::new(
            ErrorCode::UnexpectedResponse,
            format!("Could not {doing}: Key Vault's answer could not be read."),
            "Try again. If it persists, check that the vault URL points at Azure Key Vault.",
        ),
    }
}

/// Entra sign-in failures, recognised by their AADSTS codes.
fn map_entra(text: &str) -> Option<AppError> {
    let found = |code: &str| text.contains(&format!("AADSTS{code}"));
    if found("7000215") {
        return Some(AppError::new(
            ErrorCode::InvalidClientSecret,
            "Entra ID rejected the client secret (AADSTS7000215: invalid client secret).",
            "Paste the secret's Value, not its Secret ID, from App registrations → your app → Certificates & secrets. If it was regenerated, use the new Value.",
        ));
    }
    if found("7000222") {
        return Some(AppError::new(
            ErrorCode::ClientSecretExpired,
            "The client secret has expired (AADSTS7000222).",
            "Create a new client secret in App registrations → Certificates & secrets, connect with it, and rotate the Entra App Secret entry in this console.",
        ));
    }
    if found("700016") {
        return Some(AppError::new(
            ErrorCode::AppNotFound,
            "Entra ID does not know this Client ID in this tenant (AADSTS700016).",
            "Check that the Client ID is the app registration's Application (client) ID and that the Tenant ID is the directory it was registered in.",
        ));
    }
    if found("90002") {
        return Some(AppError::new(
            ErrorCode::TenantNotFound,
            "Entra ID does not know this tenant (AADSTS90002).",
            "Copy the Directory (tenant) ID from Entra ID → Overview, and check the cloud (public, US Government, China) matches your tenant.",
        ));
    }
    let code = text.split("AADSTS").nth(1).map(|rest| {
        rest.chars()
            .take_while(|c| c.is_ascii_digit())
            .collect::<String>()
    })?;
    Some(AppError::new(
        ErrorCode::CredentialFailed,
        format!("Entra ID refused the sign-in (AADSTS{code})."),
        "Check the Tenant ID, Client ID and client secret against the app registration.",
    ))
}

fn map_http(status: u16, code: &str, body: &ServiceError, doing: &str) -> AppError {
    let detail = if body.message.is_empty() {
        String::new()
    } else {
        format!(" ({})", body.message)
    };
    let inner = if body.inner.is_empty() {
        code
    } else {
        body.inner.as_str()
    };
    match status {
        401 => AppError::new(
            ErrorCode::CredentialFailed,
            format!("Key Vault did not accept the sign-in token while trying to {doing}."),
            "The app registration may be in a different tenant than the vault. Check the Tenant ID.",
        ),
        403 if inner == "ForbiddenByRbac" || code == "ForbiddenByRbac" => AppError::new(
            ErrorCode::ForbiddenByRbac,
            format!("Key Vault's role-based access refused to let this app {doing}."),
            "Assign the app registration the Key Vault Secrets Officer role (Secrets User can only read). If you just assigned it, wait 2–3 minutes for Azure RBAC to propagate and retry.",
        ),
        403 if inner == "ForbiddenByPolicy" || code == "ForbiddenByPolicy" => AppError::new(
            ErrorCode::ForbiddenByPolicy,
            format!("The vault's access policies do not let this app {doing}."),
            "The vault uses the Vault access policy permission model, so RBAC roles do not apply. Switch Access configuration to Azure role-based access control (needs Owner), or add the app in the Access policies blade.",
        ),
        403 if inner == "SecretDisabled" => AppError::new(
            ErrorCode::SecretDisabled,
            "This key is disabled, so its value cannot be read.",
            "Enable it first if it should be usable again.",
        ),
        403 if body
            .message
            .to_ascii_lowercase()
            .contains("purge protection") =>
        {
            AppError::new(
                ErrorCode::PurgeProtected,
                "The vault's purge protection forbids purging this key before its retention period ends.",
                "Purge protection cannot be turned off. The key stays recoverable until its scheduled purge date, then Azure removes it.",
            )
        }
        403 => AppError::new(
            ErrorCode::Forbidden,
            format!("Key Vault refused to {doing}{detail}."),
            "Check the app's role on the vault (Key Vault Secrets Officer) and any firewall or private-endpoint rules.",
        ),
        404 => AppError::new(
            ErrorCode::SecretNotFound,
            format!("Key Vault has no such secret (while trying to {doing})."),
            "It may have been deleted or renamed from another console. Refresh and try again.",
        ),
        409 => {
            let hint = match inner {
                "ObjectIsDeletedButRecoverable" => {
                    "A deleted key with this name is still recoverable. Recover it from the Deleted view, or purge it first."
                }
                _ => "The key is being deleted or recovered. Wait a few seconds and try again.",
            };
            AppError::new(
                ErrorCode::Conflict,
                format!("Key Vault reported a conflict while trying to {doing}{detail}."),
                hint,
            )
        }
        429 => AppError::new(
            ErrorCode::Throttled,
            format!(
                "Key Vault is throttling requests; the console waited as asked and retried, but could not {doing}."
            ),
            "Wait a minute and retry. Bulk work runs a few keys at a time to stay under Key Vault's limits.",
        ),
        400 => AppError::new(
            ErrorCode::InvalidInput,
            format!("Key Vault rejected the request to {doing}{detail}."),
            "Check names, sizes and tags: names are letters, digits and hyphens; values are at most 25 KB.",
        ),
        500..=599 => AppError::new(
            ErrorCode::ServiceUnavailable,
            format!(
                "Key Vault had a server error (HTTP {status}) and the retries were used up; could not {doing}."
            ),
            "Nothing was changed. Check the Azure status page and retry in a few minutes.",
        ),
        other => AppError::new(
            ErrorCode::UnexpectedResponse,
            format!("Key Vault answered HTTP {other} while trying to {doing}{detail}."),
            "Try again. If it persists, check the vault URL and cloud.",
        ),
    }
}

fn map_transport(text: &str, doing: &str) -> AppError {
    let lower = text.to_ascii_lowercase();
    if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
        || lower.contains("no such host")
        || lower.contains("nodename nor servname")
    {
        return AppError::new(
            ErrorCode::VaultNotFound,
            format!("The vault's address could not be found while trying to {doing}."),
            "Enter just the vault name (e.g. msp-api-keyvault, not the full URI) and check the cloud. Also check DNS if the vault uses a private endpoint.",
        );
    }
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        return AppError::new(
            ErrorCode::TlsFailure,
            format!("The secure connection failed while trying to {doing}."),
            "A proxy may be inspecting HTTPS: add its root CA under a Custom cloud, or check the vault URL.",
        );
    }
    if lower.contains("timed out") || lower.contains("timeout") || lower.contains("deadline") {
        return AppError::new(
            ErrorCode::Timeout,
            format!("Key Vault did not answer in time (tried to {doing}, with retries)."),
            "Check your network or VPN and retry.",
        );
    }
    if lower.contains("connect")
        || lower.contains("connection")
        || lower.contains("error sending request")
        || lower.contains("io error")
    {
        return AppError::new(
            ErrorCode::NetworkUnreachable,
            format!("Could not reach Azure while trying to {doing}."),
            "Check the internet or VPN connection and any firewall between this PC and Azure; the console retried a few times first.",
        );
    }
    AppError::new(
        ErrorCode::CredentialFailed,
        format!("Could not {doing}: {text}"),
        "Check the Tenant ID, Client ID, client secret and vault name.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aadsts_codes_are_named() {
        let cases = [
            (
                "ClientSecretCredential authentication failed. AADSTS7000215: Invalid client secret.",
                ErrorCode::InvalidClientSecret,
            ),
            (
                "AADSTS7000222: The provided client secret keys for app 'x' are expired.",
                ErrorCode::ClientSecretExpired,
            ),
            (
                "AADSTS700016: Application with identifier 'x' was not found",
                ErrorCode::AppNotFound,
            ),
            (
                "AADSTS90002: Tenant 'x' not found.",
                ErrorCode::TenantNotFound,
            ),
            ("AADSTS50034: something else", ErrorCode::CredentialFailed),
        ];
        for (text, code) in cases {
            assert_eq!(map_entra(text).map(|e| e.code), Some(code), "{text}");
        }
        assert!(map_entra("no code here").is_none());
    }

    #[test]
    fn forbidden_kinds_are_told_apart() {
        let body = |inner: &str, message: &str| ServiceError {
            code: "Forbidden".into(),
            inner: inner.into(),
            message: message.into(),
        };
        assert_eq!(
            map_http(403, "Forbidden", &body("ForbiddenByRbac", ""), "list").code,
            ErrorCode::ForbiddenByRbac
        );
        assert_eq!(
            map_http(403, "Forbidden", &body("ForbiddenByPolicy", ""), "list").code,
            ErrorCode::ForbiddenByPolicy
        );
        assert_eq!(
            map_http(403, "Forbidden", &body("", "Operation \"purge\" is not allowed because purge protection is enabled for this vault."), "purge").code,
            ErrorCode::PurgeProtected
        );
        assert_eq!(
            map_http(429, "Throttled", &body("", ""), "list").code,
            ErrorCode::Throttled
        );
        assert_eq!(
            map_http(503, "", &body("", ""), "list").code,
            ErrorCode::ServiceUnavailable
        );
        assert_eq!(
            map_http(
                409,
                "Conflict",
                &body("ObjectIsDeletedButRecoverable", ""),
                "save"
            )
            .code,
            ErrorCode::Conflict
        );
    }

    #[test]
    fn refusals_name_the_signed_in_technician_and_the_missing_role() {
        let rbac = AppError::new(ErrorCode::ForbiddenByRbac, "x", "y");
        let named = for_caller(rbac.clone(), "lee@contoso.com", "save the key");
        assert!(named.message.contains("lee@contoso.com"));
        assert!(named.hint.contains("Key Vault Secrets Officer"));
        let read = for_caller(rbac, "lee@contoso.com", "list keys");
        assert!(read.hint.contains("Key Vault Secrets User"));
        let other = for_caller(
            AppError::new(ErrorCode::Timeout, "t", "h"),
            "lee@contoso.com",
            "list keys",
        );
        assert_eq!(other.message, "t");
    }

    #[test]
    fn transport_failures_are_named() {
        assert_eq!(
            map_transport(
                "error sending request | dns error: failed to lookup address",
                "list"
            )
            .code,
            ErrorCode::VaultNotFound
        );
        assert_eq!(
            map_transport("invalid peer certificate: UnknownIssuer", "list").code,
            ErrorCode::TlsFailure
        );
        assert_eq!(
            map_transport("operation timed out", "list").code,
            ErrorCode::Timeout
        );
        assert_eq!(
            map_transport("error sending request | connection refused", "list").code,
            ErrorCode::NetworkUnreachable
        );
    }

    #[test]
    fn names_from_ids() {
        assert_eq!(
            name_from_id(Some("https://v.vault.azure.net/deletedsecrets/ninjaone")),
            "ninjaone"
        );
        assert_eq!(
            name_from_id(Some("https://127.0.0.1:8443/secrets/a--b/0123")),
            "a--b"
        );
    }
}
