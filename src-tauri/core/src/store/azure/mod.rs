//! The Azure Key Vault store, on Microsoft's official SDK (`azure_identity` +
//! `azure_security_keyvault_secrets`). One Key Vault secret per key; metadata in tags (see
//! [`super::tags`]) so listing reads no value. This file builds the client (options, HTTP,
//! credential); the `SecretStore` impl is in `secret_store.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::Secret;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use azure_security_keyvault_secrets::models::SecretClientListSecretPropertiesOptions;
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use futures::TryStreamExt;

use super::{ConsoleDocument, SecretStore};
use crate::domain::connection::{Cloud, ConnectionSettings};
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult};

mod errors;
pub(crate) mod guard;
mod objects;
mod secret_store;
use errors::for_caller;
pub use errors::{map_error, map_service_error};
use guard::{BoundCredential, GuardedTransport};
pub use guard::{MAX_AUTHORITY_BODY, MAX_PAGES, MAX_VAULT_BODY, too_large};

/// Key Vault pages list results 25 at a time.
pub const PAGE_SIZE: i32 = 25;

/// Retries and timeouts. The defaults retry 408/429/5xx and dropped connections a few times with
/// exponential backoff (honouring `Retry-After`), then report.
#[derive(Debug, Clone)]
pub struct AzureOptions {
    pub max_retries: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
    pub max_total_elapsed: Duration,
    pub request_timeout: Duration,
    /// Host names resolved to fixed addresses instead of DNS: the integration tests point
    /// Microsoft's sign-in host at the local emulator. Empty in the app.
    pub resolve: Vec<(String, std::net::SocketAddr)>,
}

impl Default for AzureOptions {
    fn default() -> Self {
        AzureOptions {
            max_retries: 4,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(10),
            max_total_elapsed: Duration::from_secs(45),
            request_timeout: Duration::from_secs(30),
            resolve: Vec::new(),
        }
    }
}

impl AzureOptions {
    pub(crate) fn retry(&self) -> RetryOptions {
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
    /// Certificates and keys: listed read-only, on the same guarded pipeline as `client`.
    certificates: azure_security_keyvault_certificates::CertificateClient,
    keys: azure_security_keyvault_keys::KeyClient,
    vault_name: String,
    vault_url: String,
    /// The signed-in technician (UPN), named in Key Vault's refusals; `None` for the app secret.
    caller: Option<String>,
    /// The policy's stamp key (see `tags`), once the console has read the policy.
    stamp_key: std::sync::Mutex<Option<crate::domain::policy::StampKey>>,
    /// The client tenant's Microsoft Graph on the same credential, for its app registrations'
    /// credentials (listed with the vault's objects, once per refresh).
    /// Why not, when the cloud's Graph address could not be made (named in the view).
    graph: Result<TenantGraph, AppError>,
}

/// A connection's Graph and what its refusals name.
struct TenantGraph {
    client: crate::graph::GraphClient,
    caller: crate::graph::applications::GraphCaller,
    client_id: String,
    tenant_id: String,
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
    type Key = (
        Option<String>,
        Duration,
        Vec<(String, std::net::SocketAddr)>,
    );
    static SHARED: OnceLock<Mutex<HashMap<Key, reqwest::Client>>> = OnceLock::new();
    let key = (
        settings.ca_pem.clone(),
        options.request_timeout,
        options.resolve.clone(),
    );
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
        options.resolve.iter().fold(
            reqwest::Client::builder()
                .timeout(options.request_timeout)
                .connect_timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .https_only(true),
            |builder, (host, address)| builder.resolve(host, *address),
        )
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

/// The SDK's client options for `settings`: our HTTP client (sending only to `base_url` and
/// reading at most `cap` bytes of an answer), retries and the cloud.
fn client_options(
    settings: &ConnectionSettings,
    options: &AzureOptions,
    base_url: &str,
    cap: usize,
    service: &'static str,
) -> AppResult<ClientOptions> {
    let http = GuardedTransport::new(http_client(settings, options)?, base_url, cap, service);
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
                client_options: client_options(
                    settings,
                    options,
                    &settings.authority_host(),
                    MAX_AUTHORITY_BODY,
                    "Entra ID",
                )?,
            }),
        )
        .map_err(|e| map_error(e, "sign in"))?;
        Self::with_credential(settings, credential, None, options)
    }

    /// The client on any credential, e.g. a signed-in technician's ([`crate::signin`]);
    /// `caller` names them in Key Vault's refusals. The credential is bound to the connection's
    /// own vault scope and the transport to the vault's own host, whatever an answer asks.
    pub fn with_credential(
        settings: &ConnectionSettings,
        credential: Arc<dyn azure_core::credentials::TokenCredential>,
        caller: Option<String>,
        options: &AzureOptions,
    ) -> AppResult<AzureStore> {
        let vault_url = settings.vault_url();
        // Graph gets its own binding (its scope, its host) over the same connection credential.
        let graph = crate::graph::GraphClient::new(
            credential.clone(),
            settings,
            &crate::graph::GraphOptions {
                azure: options.clone(),
                ..Default::default()
            },
        )
        .map(|client| TenantGraph {
            client,
            caller: match &caller {
                Some(upn) => {
                    crate::graph::applications::GraphCaller::Technician { upn: upn.clone() }
                }
                None => crate::graph::applications::GraphCaller::AppSecret,
            },
            client_id: settings.client_id.clone(),
            tenant_id: settings.tenant_id.clone(),
        });
        let credential = Arc::new(BoundCredential::new(
            credential,
            &settings.vault_scope(),
            &vault_url,
        ));
        let client = SecretClient::new(
            &vault_url,
            credential.clone(),
            Some(SecretClientOptions {
                client_options: client_options(
                    settings,
                    options,
                    &vault_url,
                    MAX_VAULT_BODY,
                    "Key Vault",
                )?,
                // The SDK's own check wants the host under the resource's domain, which an
                // emulator's own resource (its 127.0.0.1 origin) is not; the bound credential
                // enforces the stricter rule (exactly this connection's resource) for every cloud.
                verify_challenge_resource: Some(settings.cloud != Cloud::Custom),
                ..Default::default()
            }),
        )
        .map_err(|e| map_error(e, "open the vault"))?;
        let certificates = azure_security_keyvault_certificates::CertificateClient::new(
            &vault_url,
            credential.clone(),
            Some(
                azure_security_keyvault_certificates::CertificateClientOptions {
                    client_options: client_options(
                        settings,
                        options,
                        &vault_url,
                        MAX_VAULT_BODY,
                        "Key Vault",
                    )?,
                    verify_challenge_resource: Some(settings.cloud != Cloud::Custom),
                    ..Default::default()
                },
            ),
        )
        .map_err(|e| map_error(e, "open the vault"))?;
        let keys = azure_security_keyvault_keys::KeyClient::new(
            &vault_url,
            credential,
            Some(azure_security_keyvault_keys::KeyClientOptions {
                client_options: client_options(
                    settings,
                    options,
                    &vault_url,
                    MAX_VAULT_BODY,
                    "Key Vault",
                )?,
                verify_challenge_resource: Some(settings.cloud != Cloud::Custom),
                ..Default::default()
            }),
        )
        .map_err(|e| map_error(e, "open the vault"))?;
        Ok(AzureStore {
            client,
            certificates,
            keys,
            vault_name: settings.vault_name.clone(),
            vault_url,
            caller,
            stamp_key: std::sync::Mutex::new(None),
            graph,
        })
    }

    fn stamp_key(&self) -> Option<crate::domain::policy::StampKey> {
        self.stamp_key
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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
