//! The Vault tab: one row per vendor, key details, Add Key, settings, copy, versions, and the
//! revoke / recover / destroy actions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{AuditResult, Console, Operator, format_date, vendor_name};
use crate::audit::AuditAction;
use crate::domain::catalog::{self, Category, Vendor, endpoint_placeholders};
use crate::domain::keys::{KeyRecord, KeyStatus, expiry_from_date, secret_name};
use crate::domain::policy::KeyAction;
use crate::domain::secret::SecretValue;
use crate::domain::validation::{
    MAX_NOTE_CHARS, MAX_OWNER_CHARS, validate_endpoint, validate_expiry, validate_interval,
    validate_label, validate_text, validate_value, validate_vendor,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ping::{PingOutcome, PingReport, ping, token_url_for};
use crate::store::{DeletedKey, KeyVersion, StoreKind};

/// One row of the Vault tab (a vendor without a key, or one stored key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VaultRow {
    pub vendor_id: String,
    pub vendor_name: String,
    pub category: Category,
    pub category_colour: String,
    pub secret_name: Option<String>,
    pub label: Option<String>,
    pub status: KeyStatus,
    pub status_label: String,
    /// Why the key has its status, e.g. "Rotation overdue by 28 days (due 2026-10-26)".
    pub status_reason: String,
    pub masked_preview: Option<String>,
    pub expiry: Option<String>,
    pub days_left: Option<i64>,
    pub days_left_label: String,
    pub interval_days: u32,
    pub last_rotated: Option<String>,
    pub next_due: Option<String>,
    pub days_to_due: Option<i64>,
    pub owner: String,
    pub note: String,
    /// Actions the operator's role may take on this vendor's key (the console enforces them again).
    pub allowed: Vec<KeyAction>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StatusCounts {
    pub vendors: usize,
    pub keys_stored: usize,
    pub healthy: usize,
    pub due_soon: usize,
    pub overdue: usize,
    pub expired: usize,
    pub disabled: usize,
    pub vendors_without_key: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VaultView {
    pub rows: Vec<VaultRow>,
    pub counts: StatusCounts,
}

/// "in 12 days", "today", "expired 3 days ago", "—".
pub fn days_left_label(days: Option<i64>, expired: bool) -> String {
    match days {
        None => "—".to_string(),
        Some(d) if expired && d < 0 => format!("expired {} day{} ago", -d, plural(-d)),
        Some(_) if expired => "expired today".to_string(),
        Some(0) => "today".to_string(),
        Some(d) => format!("{d} day{}", plural(d)),
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(crate) fn allowed_actions(
    console: &Console,
    operator: &Operator,
    vendor_id: &str,
) -> Vec<KeyAction> {
    let policy = console.policy();
    KeyAction::ALL
        .into_iter()
        .filter(|action| {
            crate::domain::policy::check_operator_action(&policy, operator, vendor_id, "", *action)
                .is_ok()
        })
        .collect()
}

/// One sentence on why a key has its status.
pub fn status_reason(record: &KeyRecord, now: DateTime<Utc>) -> String {
    let timing = record.timing(now);
    let due = format_date(timing.next_due);
    match timing.status {
        KeyStatus::NoKey => "No key stored yet.".to_string(),
        KeyStatus::Disabled => {
            "Disabled: its value cannot be read until it is enabled again.".to_string()
        }
        KeyStatus::Expired => format!(
            "Expired on {}.",
            record.expires.map(format_date).unwrap_or_default()
        ),
        KeyStatus::Overdue => format!(
            "Rotation overdue by {} day{} (was due {due}).",
            -timing.days_to_due,
            plural(-timing.days_to_due)
        ),
        // Name whichever comes first: the rotation or the expiry.
        KeyStatus::DueSoon
            if timing.days_to_due <= crate::domain::keys::DUE_SOON_DAYS
                && timing
                    .days_to_expiry
                    .is_none_or(|e| timing.days_to_due <= e) =>
        {
            match timing.days_to_due {
                0 => format!("Rotation due today ({due})."),
                d => format!("Rotation due in {d} day{} ({due}).", plural(d)),
            }
        }
        KeyStatus::DueSoon => format!(
            "Expires in {} ({}).",
            days_left_label(timing.days_to_expiry, false),
            record.expires.map(format_date).unwrap_or_default()
        ),
        KeyStatus::Healthy => format!("Next rotation due {due}."),
    }
}

pub(crate) fn row_for_key(
    console: &Console,
    operator: &Operator,
    record: &KeyRecord,
    now: DateTime<Utc>,
) -> VaultRow {
    let timing = record.timing(now);
    let vendor = record.vendor();
    let category = vendor.map(|v| v.category).unwrap_or(Category::Rmm);
    let expired = record.expires.is_some_and(|e| e <= now);
    VaultRow {
        vendor_id: record.vendor_id.clone(),
        vendor_name: vendor_name(&record.vendor_id),
        category,
        category_colour: category.colour_hex(),
        secret_name: Some(record.secret_name.clone()),
        label: record.label.clone(),
        status: timing.status,
        status_label: timing.status.label().to_string(),
        status_reason: status_reason(record, now),
        masked_preview: Some(record.masked_preview.clone()),
        expiry: record.expires.map(format_date),
        days_left: timing.days_to_expiry,
        days_left_label: days_left_label(timing.days_to_expiry, expired),
        interval_days: record.interval_days,
        last_rotated: Some(format_date(record.last_rotated)),
        next_due: Some(format_date(timing.next_due)),
        days_to_due: Some(timing.days_to_due),
        owner: record.owner.clone(),
        note: record.note.clone(),
        allowed: allowed_actions(console, operator, &record.vendor_id),
    }
}

fn row_without_key(console: &Console, operator: &Operator, vendor: &Vendor) -> VaultRow {
    VaultRow {
        vendor_id: vendor.id.clone(),
        vendor_name: vendor.name.clone(),
        category: vendor.category,
        category_colour: vendor.category.colour_hex(),
        secret_name: None,
        label: None,
        status: KeyStatus::NoKey,
        status_label: KeyStatus::NoKey.label().to_string(),
        status_reason: "No key stored yet.".to_string(),
        masked_preview: None,
        expiry: None,
        days_left: None,
        days_left_label: "—".to_string(),
        interval_days: vendor.default_interval_days(),
        last_rotated: None,
        next_due: None,
        days_to_due: None,
        owner: String::new(),
        note: String::new(),
        allowed: allowed_actions(console, operator, &vendor.id),
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
    for vendor in catalog::catalog() {
        let mut own: Vec<&KeyRecord> = keys.iter().filter(|k| k.vendor_id == vendor.id).collect();
        if own.is_empty() {
            rows.push(row_without_key(console, operator, vendor));
            continue;
        }
        own.sort_by(|a, b| a.label.cmp(&b.label));
        rows.extend(
            own.into_iter()
                .map(|k| row_for_key(console, operator, k, now)),
        );
    }
    rows
}

pub fn count_statuses(rows: &[VaultRow]) -> StatusCounts {
    let mut counts = StatusCounts {
        vendors: catalog::catalog().len(),
        ..Default::default()
    };
    let mut vendors_with_key = std::collections::HashSet::new();
    for row in rows {
        if row.secret_name.is_some() {
            counts.keys_stored += 1;
            vendors_with_key.insert(row.vendor_id.clone());
        }
        match row.status {
            KeyStatus::NoKey => {}
            KeyStatus::Healthy => counts.healthy += 1,
            KeyStatus::DueSoon => counts.due_soon += 1,
            KeyStatus::Overdue => counts.overdue += 1,
            KeyStatus::Expired => counts.expired += 1,
            KeyStatus::Disabled => counts.disabled += 1,
        }
    }
    counts.vendors_without_key = counts.vendors.saturating_sub(vendors_with_key.len());
    counts
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
    /// How many `:`-separated parts the key has (2 for client_id:client_secret, ...).
    pub key_parts: usize,
}

/// The catalog for the Add Key form, in catalog order (grouped by category).
pub fn catalog_entries() -> Vec<CatalogEntry> {
    catalog::catalog()
        .iter()
        .map(|v| CatalogEntry {
            id: v.id.clone(),
            name: v.name.clone(),
            category: v.category,
            category_colour: v.category.colour_hex(),
            default_interval_days: v.default_interval_days(),
            key_hint: v.key_hint.clone(),
            endpoint: v.endpoint.clone(),
            key_parts: v.auth.key_parts(),
        })
        .collect()
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
    /// Placeholders (`tenant`, `server`, `region`) still to fill in before the key can be tested.
    pub unfilled_placeholders: Vec<String>,
    pub token_url: Option<String>,
    pub key_hint: String,
    pub auth: String,
    pub docs: String,
    /// The Key Vault secret name the key has (or will get).
    pub secret_name: String,
    /// The secret's URI in the vault, when connected.
    pub secret_uri: Option<String>,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub enabled: Option<bool>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeletedView {
    pub secret_name: String,
    pub vendor_name: String,
    pub masked_preview: String,
    pub deleted_on: Option<String>,
    pub scheduled_purge: Option<String>,
    pub purge_protected: bool,
}

fn deleted_view(deleted: DeletedKey) -> DeletedView {
    DeletedView {
        vendor_name: vendor_name(&deleted.vendor_id),
        secret_name: deleted.secret_name,
        masked_preview: deleted.masked_preview,
        deleted_on: deleted.deleted_on.map(format_date),
        scheduled_purge: deleted.scheduled_purge.map(format_date),
        purge_protected: deleted.purge_protected,
    }
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
    #[ts(type = "string")]
    pub value: SecretValue,
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
}

/// The settings form of the detail panel.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeySettingsRequest {
    pub secret_name: String,
    pub interval_days: u32,
    #[serde(default)]
    #[ts(optional)]
    pub expiry: Option<String>,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub endpoint: String,
    /// Token URL for vendors that exchange the key for a token (empty = derived from the endpoint).
    #[serde(default)]
    pub token_url: String,
}

/// Check that a multi-part key (user:password, client_id:client_secret) has all its parts.
pub fn validate_key_shape(vendor: &Vendor, value: &SecretValue) -> AppResult<()> {
    let parts = vendor.auth.key_parts();
    if parts > 1
        && value
            .expose()
            .splitn(parts, ':')
            .filter(|p| !p.is_empty())
            .count()
            < parts
    {
        return Err(AppError::field(
            "value",
            format!(
                "{} keys are pasted as {} parts separated by ':'.",
                vendor.name, parts
            ),
            vendor.key_hint.clone(),
        ));
    }
    Ok(())
}

impl Console {
    pub async fn vault_view(
        &self,
        operator: &Operator,
        now: DateTime<Utc>,
    ) -> AppResult<VaultView> {
        let keys = self.refresh_keys().await?;
        self.refresh_policy().await?;
        let rows = build_rows(self, operator, &keys, now);
        let counts = count_statuses(&rows);
        Ok(VaultView { rows, counts })
    }

    pub async fn key_detail(
        &self,
        operator: &Operator,
        vendor_id: &str,
        secret_name: Option<&str>,
        now: DateTime<Utc>,
    ) -> AppResult<KeyDetail> {
        let vendor = validate_vendor(vendor_id)?;
        let record = match secret_name {
            Some(name) => Some(self.key(name).await?),
            None => None,
        };
        let row = match &record {
            Some(r) => row_for_key(self, operator, r, now),
            None => row_without_key(self, operator, vendor),
        };
        let endpoint = record
            .as_ref()
            .map(|r| r.endpoint())
            .unwrap_or_else(|| vendor.endpoint.clone());
        let token_url = token_url_for(vendor, record.as_ref());
        let mut unfilled = endpoint_placeholders(&endpoint);
        for p in token_url
            .as_deref()
            .map(endpoint_placeholders)
            .unwrap_or_default()
        {
            if !unfilled.contains(&p) {
                unfilled.push(p);
            }
        }
        let name = record
            .as_ref()
            .map(|r| r.secret_name.clone())
            .unwrap_or_else(|| secret_name_for(vendor, None));
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
            endpoint,
            unfilled_placeholders: unfilled,
            token_url,
            key_hint: vendor.key_hint.clone(),
            auth: vendor.auth.describe(),
            docs: vendor.docs.clone(),
            secret_name: name,
            secret_uri,
            created: record.as_ref().and_then(|r| r.created).map(format_date),
            updated: record.as_ref().and_then(|r| r.updated).map(format_date),
            enabled: record.as_ref().map(|r| r.enabled),
        })
    }

    /// Add Key: validate, store the value as a new secret, return the new row.
    pub async fn add_key(
        &self,
        operator: &Operator,
        request: AddKeyRequest,
        now: DateTime<Utc>,
    ) -> AppResult<VaultRow> {
        let vendor = validate_vendor(&request.vendor_id)?;
        let label = validate_label(request.label.as_deref().unwrap_or_default())?;
        validate_value(&request.value)?;
        validate_key_shape(vendor, &request.value)?;
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
        let existing = self.refresh_keys().await?;
        if existing.iter().any(|k| k.secret_name == name) {
            return Err(AppError::field(
                "vendor",
                format!("{} already has a key stored as '{name}'.", vendor.name),
                "Use Rotate to replace it, or give this key a label (e.g. a client name) to store a second one.",
            ));
        }
        let record = KeyRecord {
            secret_name: name.clone(),
            vendor_id: vendor.id.clone(),
            label,
            interval_days: interval,
            last_rotated: now,
            expires: expiry.map(expiry_from_date),
            enabled: true,
            owner,
            note,
            masked_preview: request.value.masked_preview(),
            endpoint_override: None,
            token_url_override: None,
            version: String::new(),
            created: None,
            updated: None,
        };
        let result = self.store.write_key(&record, &request.value).await;
        self.record(
            operator,
            AuditAction::Add,
            Some(&vendor.id),
            Some(&name),
            result.as_ref().map(|_| ()),
            "",
        )
        .await;
        let stored = result?;
        self.remember_key(&stored);
        Ok(row_for_key(self, operator, &stored, now))
    }

    /// Change interval, expiry, owner, note or endpoint of a key (no value change).
    pub async fn update_settings(
        &self,
        operator: &Operator,
        request: KeySettingsRequest,
        now: DateTime<Utc>,
    ) -> AppResult<VaultRow> {
        let mut record = self.fresh_key(&request.secret_name).await?;
        let interval = validate_interval(request.interval_days)?;
        let expiry = match request.expiry.as_deref().map(str::trim) {
            // An unchanged past expiry stays as it is; a newly typed one must not be in the past.
            Some(text) if record.expires.map(format_date).as_deref() == Some(text) => {
                record.expires
            }
            other => validate_expiry(other, now)?.map(expiry_from_date),
        };
        let owner = validate_text("owner", "Owner", &request.owner, MAX_OWNER_CHARS)?;
        let note = validate_text("note", "Note", &request.note, MAX_NOTE_CHARS)?;
        let endpoint = validate_endpoint(&request.endpoint)?;
        let token_url = validate_endpoint(&request.token_url).map_err(|e| AppError {
            field: Some("tokenUrl".into()),
            ..e
        })?;
        self.authorize(operator, &record, KeyAction::Update, AuditAction::Update)?;

        let catalog_endpoint = record
            .vendor()
            .map(|v| v.endpoint.clone())
            .unwrap_or_default();
        let mut changes = Vec::new();
        if record.interval_days != interval {
            changes.push(format!(
                "interval {} → {} days",
                record.interval_days, interval
            ));
        }
        if record.expires != expiry {
            changes.push(format!(
                "expiry {} → {}",
                record
                    .expires
                    .map(format_date)
                    .unwrap_or_else(|| "none".into()),
                expiry.map(format_date).unwrap_or_else(|| "none".into())
            ));
        }
        if record.owner != owner {
            changes.push("owner".into());
        }
        if record.note != note {
            changes.push("note".into());
        }
        let endpoint = endpoint.filter(|e| *e != catalog_endpoint);
        if record.endpoint_override != endpoint {
            changes.push("endpoint".into());
        }
        record.interval_days = interval;
        record.expires = expiry;
        record.owner = owner;
        record.note = note;
        record.endpoint_override = endpoint;
        // Keep a token URL only when it differs from what the endpoint already implies.
        let derived = record.vendor().and_then(|vendor| {
            let mut probe = record.clone();
            probe.token_url_override = None;
            token_url_for(vendor, Some(&probe))
        });
        let token_url = token_url.filter(|url| Some(url) != derived.as_ref());
        if record.token_url_override != token_url {
            changes.push("token URL".into());
        }
        record.token_url_override = token_url;
        let result = self.store.update_key(&record).await;
        self.record(
            operator,
            AuditAction::Update,
            Some(&record.vendor_id),
            Some(&record.secret_name),
            result.as_ref().map(|_| ()),
            changes.join(", "),
        )
        .await;
        let stored = result?;
        self.remember_key(&stored);
        Ok(row_for_key(self, operator, &stored, now))
    }

    /// Read a key's value for the clipboard. `deliver` puts it there; the audit entry records
    /// whether the whole retrieval worked.
    pub async fn copy_key(
        &self,
        operator: &Operator,
        secret_name: &str,
        deliver: impl FnOnce(&SecretValue) -> AppResult<()>,
    ) -> AppResult<()> {
        let record = self.key(secret_name).await?;
        // A revocation made at another console applies at once.
        self.refresh_policy().await?;
        self.authorize(operator, &record, KeyAction::Copy, AuditAction::Retrieve)?;
        let result = match self.store.read_value(secret_name, None).await {
            Ok(value) => deliver(&value),
            Err(error) => Err(error),
        };
        self.record(
            operator,
            AuditAction::Retrieve,
            Some(&record.vendor_id),
            Some(secret_name),
            result.as_ref().map(|_| ()),
            "copied to clipboard",
        )
        .await;
        result
    }

    /// The vendor test ping with the stored key.
    pub async fn test_key(&self, operator: &Operator, secret_name: &str) -> AppResult<PingReport> {
        let record = self.key(secret_name).await?;
        self.refresh_policy().await?;
        self.authorize(operator, &record, KeyAction::Test, AuditAction::Test)?;
        let report = match self.store.read_value(secret_name, None).await {
            Ok(value) => self.ping_value(&record, &value).await,
            Err(error) => {
                self.record(
                    operator,
                    AuditAction::Test,
                    Some(&record.vendor_id),
                    Some(secret_name),
                    Err(&error),
                    "",
                )
                .await;
                return Err(error);
            }
        };
        let outcome = if report.authenticated() {
            super::AuditResult::Ok
        } else {
            super::AuditResult::Failed(super::rotation::ping_code(&report))
        };
        self.record(
            operator,
            AuditAction::Test,
            Some(&record.vendor_id),
            Some(secret_name),
            outcome,
            report.message.clone(),
        )
        .await;
        Ok(report)
    }

    /// Ping the vendor with a value (stored or about to be).
    pub(crate) async fn ping_value(&self, record: &KeyRecord, value: &SecretValue) -> PingReport {
        let Some(vendor) = record.vendor() else {
            return PingReport {
                outcome: PingOutcome::NotReachable,
                status: None,
                message: "This key's vendor is not in the catalog.".into(),
                hint: "Re-add the key under one of the catalog's vendors.".into(),
                target: String::new(),
                elapsed_ms: 0,
            };
        };
        let token_url = token_url_for(vendor, Some(record));
        ping(
            self.ping_client(),
            vendor,
            &record.endpoint(),
            token_url.as_deref(),
            value,
        )
        .await
    }

    pub async fn versions(&self, secret_name: &str) -> AppResult<Vec<VersionView>> {
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

    /// Revoke: disable first (blocks use at once), then soft-delete.
    pub async fn delete_key(
        &self,
        operator: &Operator,
        secret_name: &str,
    ) -> AppResult<DeletedView> {
        let mut record = self.fresh_key(secret_name).await?;
        self.authorize(operator, &record, KeyAction::Delete, AuditAction::Delete)?;
        let mut disabled_now = false;
        if record.enabled {
            record.enabled = false;
            match self.store.update_key(&record).await {
                Ok(updated) => {
                    disabled_now = true;
                    self.remember_key(&updated);
                }
                Err(error) => {
                    self.record(
                        operator,
                        AuditAction::Delete,
                        Some(&record.vendor_id),
                        Some(secret_name),
                        Err(&error),
                        "could not disable; nothing changed",
                    )
                    .await;
                    return Err(error);
                }
            }
        }
        match self.store.delete_key(secret_name).await {
            Ok(deleted) => {
                self.record(
                    operator,
                    AuditAction::Delete,
                    Some(&record.vendor_id),
                    Some(secret_name),
                    AuditResult::Ok,
                    "disabled, then soft-deleted",
                )
                .await;
                self.forget_key(secret_name);
                Ok(deleted_view(deleted))
            }
            Err(mut error) => {
                // The key is already disabled in the vault: say so rather than hide it.
                let note = if disabled_now {
                    "disabled, but the delete failed"
                } else {
                    "the delete failed"
                };
                self.record(
                    operator,
                    AuditAction::Delete,
                    Some(&record.vendor_id),
                    Some(secret_name),
                    Err(&error),
                    note,
                )
                .await;
                if disabled_now {
                    error.message = format!(
                        "The key was disabled, but deleting it failed: {}",
                        error.message
                    );
                    error.hint = format!(
                        "{} It stays disabled until you enable it or retry the delete.",
                        error.hint
                    );
                }
                Err(error)
            }
        }
    }

    pub async fn deleted_keys(&self) -> AppResult<Vec<DeletedView>> {
        Ok(self
            .store
            .list_deleted()
            .await?
            .into_iter()
            .map(deleted_view)
            .collect())
    }

    pub async fn recover_key(&self, operator: &Operator, secret_name: &str) -> AppResult<()> {
        let vendor_id = self.deleted_vendor(secret_name).await?;
        self.authorize_vendor(
            operator,
            &vendor_id,
            Some(secret_name),
            KeyAction::Recover,
            AuditAction::Recover,
        )?;
        let result = self.store.recover_key(secret_name).await;
        self.record(
            operator,
            AuditAction::Recover,
            Some(&vendor_id),
            Some(secret_name),
            result.as_ref().map(|_| ()),
            "",
        )
        .await;
        result?;
        self.refresh_keys().await?;
        Ok(())
    }

    /// Purge (destroy): Admin only, and the operator must type the secret name to confirm.
    pub async fn purge_key(
        &self,
        operator: &Operator,
        secret_name: &str,
        confirmation: &str,
    ) -> AppResult<()> {
        let vendor_id = self.deleted_vendor(secret_name).await?;
        self.authorize_vendor(
            operator,
            &vendor_id,
            Some(secret_name),
            KeyAction::Purge,
            AuditAction::Purge,
        )?;
        if confirmation.trim() != secret_name {
            return Err(AppError::field(
                "confirmation",
                format!("Type '{secret_name}' exactly to confirm the purge."),
                "Purging destroys every version for good; the confirmation guards against the wrong row.",
            ));
        }
        let result = self.store.purge_key(secret_name).await;
        self.record(
            operator,
            AuditAction::Purge,
            Some(&vendor_id),
            Some(secret_name),
            result.as_ref().map(|_| ()),
            "",
        )
        .await;
        result
    }

    async fn deleted_vendor(&self, secret_name: &str) -> AppResult<String> {
        self.store
            .list_deleted()
            .await?
            .into_iter()
            .find(|d| d.secret_name == secret_name)
            .map(|d| d.vendor_id)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::SecretNotFound,
                    format!("'{secret_name}' is not among the deleted keys."),
                    "It may have been recovered or purged from another console; refresh the list.",
                )
            })
    }
}

pub(crate) fn secret_name_for(vendor: &Vendor, label: Option<&str>) -> String {
    secret_name(&vendor.id, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reasons_say_why() {
        use crate::domain::keys::tests::{at, record};
        use chrono::Duration;
        let now = at(2026, 11, 23, 10);
        assert_eq!(
            status_reason(&record(now - Duration::days(100), 90, None), now),
            "Rotation overdue by 10 days (was due 2026-11-13)."
        );
        assert_eq!(
            status_reason(&record(now - Duration::days(80), 90, None), now),
            "Rotation due in 10 days (2026-12-03)."
        );
        let expiring = record(now - Duration::days(1), 90, Some(now + Duration::days(5)));
        assert_eq!(
            status_reason(&expiring, now),
            "Expires in 5 days (2026-11-28)."
        );
    }

    #[test]
    fn day_labels() {
        assert_eq!(days_left_label(None, false), "—");
        assert_eq!(days_left_label(Some(0), false), "today");
        assert_eq!(days_left_label(Some(1), false), "1 day");
        assert_eq!(days_left_label(Some(12), false), "12 days");
        assert_eq!(days_left_label(Some(0), true), "expired today");
        assert_eq!(days_left_label(Some(-3), true), "expired 3 days ago");
    }
}
