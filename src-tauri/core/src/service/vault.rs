//! The Vault tab: one row per vendor, key details, Add Key, settings, copy, versions, and the
//! revoke / recover / destroy actions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Console, Operator, format_date};
use crate::audit::AuditAction;
use std::collections::BTreeMap;

use crate::domain::catalog::{self, Category, EndpointField, KeyPart, Vendor};
use crate::domain::key_value::{KeyPartInput, KeyParts};
use crate::domain::keys::{KeyRecord, KeySettings, expiry_from_date, secret_name};
use crate::domain::policy::KeyAction;
use crate::domain::secret::SecretValue;
use crate::domain::status::{ClientCounts, KeyFacts};
use crate::domain::validation::{
    MAX_NOTE_CHARS, MAX_OWNER_CHARS, validate_expiry, validate_field_value, validate_interval,
    validate_label, validate_text,
};
use crate::error::{AppError, AppResult};
use crate::ping::PingTarget;
use crate::ping::target::valid_fields;
use crate::store::{KeyVersion, StoreKind};

pub use super::endpoints::KeySettingsRequest;

/// One row of the Vault tab (a vendor without a key, or one stored key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VaultRow {
    /// The client whose vault holds the key (the portfolio view lists every client's rows).
    pub client_id: String,
    pub client_name: String,
    pub vendor_id: String,
    pub vendor_name: String,
    pub category: Category,
    pub category_colour: String,
    pub secret_name: Option<String>,
    pub label: Option<String>,
    /// Status, rotation and expiry, from the one status function (flattened into the row).
    #[serde(flatten)]
    #[ts(flatten)]
    pub facts: KeyFacts,
    pub masked_preview: Option<String>,
    pub interval_days: u32,
    pub last_rotated: Option<String>,
    pub owner: String,
    pub note: String,
    /// Actions the operator's role may take on this vendor's key (the console enforces them again).
    pub allowed: Vec<KeyAction>,
    /// "Changed outside the console on …" when the listing shows a change the console did not
    /// make (Portal, CLI, a script); `None` otherwise.
    pub changed_outside: Option<String>,
    /// Flagged for review: the reason a secret shorter than its kind's recommended length was
    /// accepted.
    pub review: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VaultView {
    pub rows: Vec<VaultRow>,
    /// The same counts as the sidebar's (one function counts both).
    pub counts: ClientCounts,
}

pub(crate) fn allowed_actions(
    console: &Console,
    operator: &Operator,
    vendor_id: &str,
) -> Vec<KeyAction> {
    let policy = console.policy();
    let no_test = catalog::vendor(vendor_id).is_some_and(|v| v.no_test_reason().is_some());
    KeyAction::ALL
        .into_iter()
        // A kind without a test call never offers Test (its reason is in the permissions view).
        .filter(|action| !(no_test && *action == KeyAction::Test))
        .filter(|action| {
            crate::domain::policy::check_operator_action(&policy, operator, vendor_id, "", *action)
                .is_ok()
        })
        .collect()
}

pub(crate) fn row_for_key(
    console: &Console,
    operator: &Operator,
    record: &KeyRecord,
    now: DateTime<Utc>,
) -> VaultRow {
    // This client's vendors: another vault's custom vendor of the same id never names a row.
    let vendor = console.client_vendor(&record.vendor_id).ok();
    let category = vendor.map(|v| v.category).unwrap_or(Category::Rmm);
    VaultRow {
        client_id: console.client().id.clone(),
        client_name: console.client().name.clone(),
        vendor_id: record.vendor_id.clone(),
        vendor_name: vendor.map_or_else(|| record.vendor_id.clone(), |v| v.name.clone()),
        category,
        category_colour: category.colour_hex(),
        secret_name: Some(record.secret_name.clone()),
        label: record.label.clone(),
        facts: record.timing(now).facts(),
        masked_preview: Some(record.masked_preview.clone()),
        interval_days: record.interval_days,
        last_rotated: Some(format_date(record.last_rotated)),
        owner: record.owner.clone(),
        note: record.note.clone(),
        allowed: allowed_actions(console, operator, &record.vendor_id),
        changed_outside: record.outside_change.as_ref().map(|c| c.describe()),
        review: record.settings.review.clone(),
    }
}

fn row_without_key(console: &Console, operator: &Operator, vendor: &Vendor) -> VaultRow {
    VaultRow {
        client_id: console.client().id.clone(),
        client_name: console.client().name.clone(),
        vendor_id: vendor.id.clone(),
        vendor_name: vendor.name.clone(),
        category: vendor.category,
        category_colour: vendor.category.colour_hex(),
        secret_name: None,
        label: None,
        facts: KeyFacts::no_key(),
        masked_preview: None,
        interval_days: vendor.default_interval_days(),
        last_rotated: None,
        owner: String::new(),
        note: String::new(),
        allowed: allowed_actions(console, operator, &vendor.id),
        changed_outside: None,
        review: None,
    }
}

/// Rows in catalog order: each vendor's keys (unlabelled first), or one "no key" row.
pub fn build_rows(
    console: &Console,
    operator: &Operator,
    keys: &[KeyRecord],
    now: DateTime<Utc>,
) -> Vec<VaultRow> {
    let mut rows = Vec::new();
    let vendors = console.vendors();
    for vendor in vendors.iter().copied() {
        let mut own: Vec<&KeyRecord> = keys.iter().filter(|k| k.vendor_id == vendor.id).collect();
        if own.is_empty() {
            // A kind of non-API secret is listed once one is stored (Add Key offers every kind);
            // a "no key" row for each would read as a gap in every client's vault. Custom
            // vendors likewise (the counts know only the catalog's vendors).
            if !vendor.is_non_api() && !vendor.is_custom() {
                rows.push(row_without_key(console, operator, vendor));
            }
            continue;
        }
        own.sort_by(|a, b| a.label.cmp(&b.label));
        rows.extend(
            own.into_iter()
                .map(|k| row_for_key(console, operator, k, now)),
        );
    }
    // A console key whose vendor this version's catalog lacks (a newer console's vendor, an edited
    // tag) is still a key: listed and counted, or the rows would disagree with the counts.
    rows.extend(
        keys.iter()
            .filter(|k| !vendors.iter().any(|v| v.id == k.vendor_id))
            .map(|k| row_for_key(console, operator, k, now)),
    );
    rows
}

/// A vendor as the Add Key form lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CatalogEntry {
    pub id: String,
    pub name: String,
    pub category: Category,
    pub category_colour: String,
    pub default_interval_days: u32,
    pub key_hint: String,
    pub endpoint: String,
    /// One labelled input per part (client ID, client secret, ...); Rust joins them.
    pub key_parts: Vec<KeyPart>,
    /// Named fields the endpoint is derived from (tenant, server, region).
    pub fields: Vec<EndpointField>,
    /// The key can be rotated at the vendor in one click.
    pub connector: bool,
    /// A secret that is not an API key: no endpoint, no vendor portal.
    pub non_api: bool,
    /// Why the key cannot be tested (shown where the Test button would be).
    pub no_test_reason: Option<String>,
    /// The generator's limits and defaults for this kind (non-API secrets).
    pub generator: Option<crate::domain::generator::GeneratorRules>,
    /// Defined by an Admin of the vault (marked "Custom" in pickers).
    pub custom: bool,
}

pub fn catalog_entry(v: &Vendor) -> CatalogEntry {
    CatalogEntry {
        id: v.id.clone(),
        name: v.name.clone(),
        category: v.category,
        category_colour: v.category.colour_hex(),
        default_interval_days: v.default_interval_days(),
        key_hint: v.key_hint.clone(),
        endpoint: v.endpoint.clone(),
        key_parts: v.key_parts.clone(),
        fields: v.fields.clone(),
        connector: crate::connectors::connector_for(v).is_some(),
        non_api: v.is_non_api(),
        no_test_reason: v.no_test_reason().map(str::to_string),
        generator: v.generator.clone(),
        custom: v.is_custom(),
    }
}

/// The catalog for the Add Key form, in catalog order (grouped by category).
pub fn catalog_entries() -> Vec<CatalogEntry> {
    catalog::catalog().iter().map(catalog_entry).collect()
}

impl Console {
    /// The Add Key form's vendors for this client: the catalog, then the vault's custom ones.
    pub fn catalog_entries(&self) -> Vec<CatalogEntry> {
        self.vendors().into_iter().map(catalog_entry).collect()
    }
}

/// A named field with the value this key has for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FieldValue {
    pub field: EndpointField,
    /// The key's own value (empty when not set).
    pub value: String,
    /// The value in effect: the key's, else the field's default.
    pub effective: Option<String>,
}

/// Everything the detail panel shows about a vendor and its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyDetail {
    pub row: VaultRow,
    pub catalog_endpoint: String,
    pub endpoint: String,
    pub endpoint_overridden: bool,
    /// Labels of the named fields still to fill before the key can be tested.
    pub unfilled_fields: Vec<String>,
    pub fields: Vec<FieldValue>,
    pub token_url: Option<String>,
    pub token_url_overridden: bool,
    /// Hosts the key is sent to, and those outside the vendor's domains no Admin confirmed.
    pub hosts: Vec<String>,
    pub unconfirmed_hosts: Vec<String>,
    pub vendor_domains: Vec<String>,
    pub key_hint: String,
    pub key_parts: Vec<KeyPart>,
    pub auth: String,
    pub docs: String,
    /// The key's ping also trusts its own extra CA (fingerprint shown).
    pub ca_sha256: Option<String>,
    pub connector: bool,
    /// The Key Vault secret name the key has (or will get).
    pub secret_name: String,
    /// The secret's URI in the vault, when connected.
    pub secret_uri: Option<String>,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub enabled: Option<bool>,
    /// Why the key cannot be tested (shown where the Test button would be).
    pub no_test_reason: Option<String>,
    pub non_api: bool,
    /// The app registration credential this key holds, as the tenant's Graph listing shows it
    /// ("Application (client) ID …: Reporting / graph [1a2b3c4d] ends 2026-12-10 (Expires in 9 d)");
    /// `None` when the key records no application id.
    pub app_credential: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VersionView {
    pub version: String,
    pub created: Option<String>,
    pub enabled: bool,
    pub expiry: Option<String>,
    pub masked_preview: String,
    pub current: bool,
}

/// The Add Key form.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AddKeyRequest {
    pub vendor_id: String,
    #[serde(default)]
    #[ts(optional)]
    pub label: Option<String>,
    /// The key of a single-part vendor.
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub value: Option<SecretValue>,
    /// The labelled parts of a multi-part key.
    #[serde(default)]
    pub parts: Vec<KeyPartInput>,
    /// Named fields (tenant, server, region) filled right away.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    #[ts(optional)]
    pub expiry: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub interval_days: Option<u32>,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub note: String,
    /// Generate the value in the console (non-API secrets) with these choices instead of a
    /// pasted value.
    #[serde(default)]
    #[ts(optional)]
    pub generate: Option<crate::domain::generator::GenerateRequest>,
    /// Why a pasted secret is shorter than its kind's recommended length.
    #[serde(default)]
    #[ts(optional)]
    pub short_reason: Option<String>,
}

impl Console {
    pub async fn vault_view(
        &self,
        operator: &Operator,
        now: DateTime<Utc>,
    ) -> AppResult<VaultView> {
        // Views read the snapshot; only a refresh lists the vault.
        let keys = self.cached_keys();
        let rows = build_rows(self, operator, &keys, now);
        let counts = self.client_counts(now);
        Ok(VaultView { rows, counts })
    }

    pub async fn key_detail(
        &self,
        operator: &Operator,
        vendor_id: &str,
        secret_name: Option<&str>,
        now: DateTime<Utc>,
    ) -> AppResult<KeyDetail> {
        let vendor = self.client_vendor(vendor_id)?;
        let record = match secret_name {
            Some(name) => Some(self.key(name).await?),
            None => None,
        };
        let row = match &record {
            Some(r) => row_for_key(self, operator, r, now),
            None => row_without_key(self, operator, vendor),
        };
        let target = PingTarget::of_record(vendor, record.as_ref());
        let own_fields = record
            .as_ref()
            .map(|r| valid_fields(vendor, &r.settings.fields))
            .unwrap_or_default();
        let fields = vendor
            .fields
            .iter()
            .map(|field| FieldValue {
                field: field.clone(),
                value: own_fields.get(&field.id).cloned().unwrap_or_default(),
                effective: target.fields.get(&field.id).cloned(),
            })
            .collect();
        let name = record
            .as_ref()
            .map(|r| r.secret_name.clone())
            .unwrap_or_else(|| secret_name_for(vendor, None));
        let unconfirmed_hosts = match &record {
            Some(r) => self.unconfirmed_hosts(&r.secret_name, &target),
            None => Vec::new(),
        };
        let secret_uri = match self.kind() {
            StoreKind::Azure { vault_url, .. } => Some(format!(
                "{}/secrets/{}",
                vault_url.trim_end_matches('/'),
                name
            )),
            StoreKind::Demo => None,
        };
        Ok(KeyDetail {
            row,
            catalog_endpoint: vendor.endpoint.clone(),
            endpoint_overridden: record
                .as_ref()
                .is_some_and(|r| r.endpoint_override.is_some()),
            token_url_overridden: record
                .as_ref()
                .is_some_and(|r| r.token_url_override.is_some()),
            unfilled_fields: target.unfilled().iter().map(|f| f.label.clone()).collect(),
            hosts: target.hosts(),
            unconfirmed_hosts,
            vendor_domains: vendor.domains.clone(),
            endpoint: target.endpoint.clone(),
            token_url: target.token_url.clone(),
            fields,
            key_hint: vendor.key_hint.clone(),
            key_parts: vendor.key_parts.clone(),
            auth: vendor.auth.describe(),
            docs: vendor.docs.clone(),
            ca_sha256: record.as_ref().and_then(|r| r.settings.ca_sha256.clone()),
            connector: self.connector_for(vendor).is_some(),
            secret_name: name,
            secret_uri,
            created: record.as_ref().and_then(|r| r.created).map(format_date),
            updated: record.as_ref().and_then(|r| r.updated).map(format_date),
            enabled: record.as_ref().map(|r| r.enabled),
            no_test_reason: vendor.no_test_reason().map(str::to_string),
            non_api: vendor.is_non_api(),
            app_credential: record
                .as_ref()
                .and_then(|r| super::objects::app_credential_text(r, &self.cached_objects(), now)),
        })
    }

    /// Add Key: validate, store the value as a new secret, return the new row.
    pub async fn add_key(
        &self,
        operator: &Operator,
        request: AddKeyRequest,
        now: DateTime<Utc>,
    ) -> AppResult<VaultRow> {
        let vendor = self.client_vendor(&request.vendor_id)?;
        let label = validate_label(request.label.as_deref().unwrap_or_default())?;
        let new = super::new_value::new_value(
            vendor,
            request.value,
            request.parts,
            request.generate,
            request.short_reason.as_deref(),
        )?;
        let parts = new.parts;
        let mut fields = BTreeMap::new();
        for field in &vendor.fields {
            let value = request
                .fields
                .get(&field.id)
                .map(String::as_str)
                .unwrap_or("");
            if let Some(valid) = validate_field_value(field, value)? {
                fields.insert(field.id.clone(), valid);
            }
        }
        let expiry = validate_expiry(request.expiry.as_deref(), now)?;
        let interval = validate_interval(
            request
                .interval_days
                .unwrap_or_else(|| vendor.default_interval_days()),
        )?;
        let owner = validate_text("owner", "Owner", &request.owner, MAX_OWNER_CHARS)?;
        let note = validate_text("note", "Note", &request.note, MAX_NOTE_CHARS)?;
        let name = secret_name_for(vendor, label.as_deref());

        self.authorize_vendor(
            operator,
            &vendor.id,
            Some(&name),
            KeyAction::Add,
            AuditAction::Add,
        )?;
        // The snapshot, and the vault itself for this one name (another console may have added it
        // since the last refresh): never overwrite a stored key with Add.
        let unmanaged = self.unmanaged_secrets().iter().any(|u| u.name == name);
        if unmanaged {
            return Err(AppError::field(
                "vendor",
                format!(
                    "The vault already holds a secret named '{name}' that the console did not create."
                ),
                "Adopt it from the Vault tab's Unmanaged view instead, or give this key a label to store it under another name.",
            ));
        }
        let exists = self.cached_keys().iter().any(|k| k.secret_name == name)
            || self.store.current_key(&name).await?.is_some();
        if exists {
            return Err(AppError::field(
                "vendor",
                format!("{} already has a key stored as '{name}'.", vendor.name),
                "Use Rotate to replace it, or give this key a label (e.g. a client name) to store a second one.",
            ));
        }
        let mut record = KeyRecord {
            outside_change: None,
            secret_name: name.clone(),
            vendor_id: vendor.id.clone(),
            label,
            interval_days: interval,
            last_rotated: now,
            expires: expiry.map(expiry_from_date),
            enabled: true,
            owner,
            note,
            masked_preview: parts.masked_preview(),
            endpoint_override: None,
            token_url_override: None,
            settings: KeySettings {
                fields,
                review: new.review,
                ..Default::default()
            },
            version: String::new(),
            created: None,
            updated: None,
        };
        record.record_app_id(&parts);
        let result = self.store.write_key(&record, &parts.encode()).await;
        let mut note = Vec::new();
        if new.generated {
            note.push("value generated in the console".to_string());
        }
        note.extend(super::new_value::review_note(
            record.settings.review.as_deref(),
        ));
        self.record(
            operator,
            AuditAction::Add,
            Some(&vendor.id),
            Some(&name),
            result.as_ref().map(|_| ()),
            note.join("; "),
        )
        .await;
        let stored = result?;
        self.remember_key(&stored);
        Ok(row_for_key(self, operator, &stored, now))
    }

    /// Read a key's value for the clipboard. `deliver` puts it there; the audit entry records
    /// whether the whole retrieval worked.
    /// Read a key's value for the clipboard. `part` picks one part of a multi-part key (its
    /// secret part when none is named). `deliver` puts it there; the audit entry records whether
    /// the whole retrieval worked and which part it was.
    pub async fn copy_key(
        &self,
        operator: &Operator,
        secret_name: &str,
        deliver: impl FnOnce(&SecretValue) -> AppResult<()>,
    ) -> AppResult<()> {
        self.copy_key_part(operator, secret_name, None, deliver)
            .await
    }

    pub async fn copy_key_part(
        &self,
        operator: &Operator,
        secret_name: &str,
        part: Option<&str>,
        deliver: impl FnOnce(&SecretValue) -> AppResult<()>,
    ) -> AppResult<()> {
        let record = self.key(secret_name).await?;
        // A revocation made at another console applies at once.
        self.refresh_policy().await?;
        self.authorize(operator, &record, KeyAction::Copy, AuditAction::Retrieve)?;
        let vendor = record.vendor();
        let spec = vendor
            .filter(|v| v.is_multi_part())
            .and_then(|v| match part {
                Some(id) => v.key_parts.iter().find(|p| p.id == id),
                None => v.key_parts.iter().find(|p| p.secret),
            });
        let result = match self.store.read_value(secret_name, None).await {
            Ok(value) => match (vendor, spec) {
                (Some(vendor), Some(spec)) => match KeyParts::decode(vendor, &value)
                    .and_then(|parts| parts.get(&spec.id).map(SecretValue::new))
                {
                    Some(piece) => deliver(&piece),
                    // A value stored outside the console in another shape: hand over all of it.
                    None => deliver(&value),
                },
                _ => deliver(&value),
            },
            Err(error) => Err(error),
        };
        let note = match spec {
            Some(spec) => format!("{} copied to clipboard", spec.label),
            None => "copied to clipboard".to_string(),
        };
        self.record(
            operator,
            AuditAction::Retrieve,
            Some(&record.vendor_id),
            Some(secret_name),
            result.as_ref().map(|_| ()),
            note,
        )
        .await;
        result
    }

    pub async fn versions(
        &self,
        operator: &Operator,
        secret_name: &str,
    ) -> AppResult<Vec<VersionView>> {
        operator.require_role()?;
        self.key(secret_name).await?;
        // Stores list versions newest first, and Key Vault's newest version is the current one
        // (the list of keys carries no version id to compare with).
        let versions: Vec<KeyVersion> = self.store.list_versions(secret_name).await?;
        Ok(versions
            .into_iter()
            .enumerate()
            .map(|(index, v)| VersionView {
                current: index == 0,
                created: v.created.map(format_date),
                enabled: v.enabled,
                expiry: v.expires.map(format_date),
                masked_preview: v.masked_preview,
                version: v.version,
            })
            .collect())
    }

    pub async fn set_enabled(
        &self,
        operator: &Operator,
        secret_name: &str,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> AppResult<VaultRow> {
        let mut record = self.fresh_key(secret_name).await?;
        let (action, audit) = if enabled {
            (KeyAction::Enable, AuditAction::Enable)
        } else {
            (KeyAction::Disable, AuditAction::Disable)
        };
        self.authorize(operator, &record, action, audit)?;
        record.enabled = enabled;
        let result = self.store.update_key(&record).await;
        self.record(
            operator,
            audit,
            Some(&record.vendor_id),
            Some(secret_name),
            result.as_ref().map(|_| ()),
            "",
        )
        .await;
        let stored = result?;
        self.remember_key(&stored);
        Ok(row_for_key(self, operator, &stored, now))
    }
}

pub(crate) fn secret_name_for(vendor: &Vendor, label: Option<&str>) -> String {
    secret_name(&vendor.id, label)
}
