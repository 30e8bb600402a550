//! The Rotation tab: the schedule, rotating one key, Rotate All Due (bounded concurrency, one
//! failure never stops the others), and restoring an older version.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::vault::{VaultRow, row_for_key};
use super::{Console, Operator, format_date, vendor_name};
use crate::audit::AuditAction;
use crate::domain::catalog::{Category, KeyPart};
use crate::domain::generator::{self, GenerateRequest, GeneratorRules};
use crate::domain::key_value::KeyPartInput;
use crate::domain::keys::{KeyRecord, expiry_from_date};
use crate::domain::policy::KeyAction;
use crate::domain::secret::SecretValue;
use crate::domain::status::{ClientCounts, KeyFacts};
use crate::domain::validation::validate_expiry;
use crate::error::{AppError, AppResult};
use crate::ping::PingReport;
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RotationRow {
    pub client_id: String,
    pub client_name: String,
    pub secret_name: String,
    pub vendor_id: String,
    pub vendor_name: String,
    pub label: Option<String>,
    pub category: Category,
    pub category_colour: String,
    pub interval_days: u32,
    /// True when the interval differs from the vendor's default.
    pub interval_overridden: bool,
    pub default_interval_days: u32,
    pub last_rotated: String,
    /// Status, rotation and expiry, from the one status function (flattened into the row).
    #[serde(flatten)]
    #[ts(flatten)]
    pub facts: KeyFacts,
    /// The rotation dialogs' words for the next rotation ("in 40 d", "33 d overdue").
    pub due_label: String,
    /// Why the key has its status, as the dialogs show it (the same sentence as `statusReason`).
    pub reason: String,
    /// Expiry the rotation dialog proposes: today plus the key's previous validity period.
    pub suggested_expiry: Option<String>,
    pub masked_preview: String,
    pub key_hint: String,
    /// Generate makes one value; keys of several parts (client ID + secret) cannot use it.
    pub can_generate: bool,
    /// One labelled field per part in the Rotate dialogs.
    pub key_parts: Vec<KeyPart>,
    /// The key can be rotated at the vendor in one click (create, test, store, revoke).
    pub connector: bool,
    /// The vendor's page where the new key is made (catalog), and the path inside it.
    pub portal_url: Option<String>,
    pub portal: String,
    /// Names of the systems that use the key (the full list is in its runbook).
    pub used_by: String,
    pub allowed: Vec<KeyAction>,
    /// The generator's limits for this kind (non-API secrets): the Rotate dialog offers them.
    pub generator: Option<GeneratorRules>,
    /// Why the key has no test call (the dialog offers no "test before saving").
    pub no_test_reason: Option<String>,
    /// The reason a short secret was accepted: flagged for review.
    pub review: Option<String>,
}

/// A category's default interval and why, for the schedule legend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CategoryDefault {
    pub category: Category,
    pub category_colour: String,
    pub interval_days: u32,
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RotationView {
    pub rows: Vec<RotationRow>,
    /// The same counts as the sidebar's and the Vault tab's; `dueTotal` is Rotate All Due's.
    pub counts: ClientCounts,
    pub defaults: Vec<CategoryDefault>,
}

pub fn category_defaults() -> Vec<CategoryDefault> {
    Category::ALL
        .into_iter()
        .map(|category| CategoryDefault {
            category,
            category_colour: category.colour_hex(),
            interval_days: category.default_interval_days(),
            rationale: category.interval_rationale().to_string(),
        })
        .collect()
}

/// Today plus the validity the key had (its expiry minus its last rotation), and never less than
/// its rotation interval: a new key should not expire before it is next due for rotation.
pub fn suggested_expiry(record: &KeyRecord, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let expires = record.expires?;
    let validity =
        (expires - record.last_rotated).max(Duration::days(i64::from(record.interval_days)));
    now.checked_add_signed(validity)
        .map(|date| expiry_from_date(date.date_naive()))
}

/// One key to rotate: pasted parts, or `generate` for a value made in Rust.
#[derive(Debug, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RotateRequest {
    pub secret_name: String,
    /// The new key of a single-part vendor.
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub value: Option<SecretValue>,
    /// The new key's labelled parts (multi-part vendors).
    #[serde(default)]
    pub parts: Vec<KeyPartInput>,
    #[serde(default)]
    pub generate: bool,
    /// The generator's choices for a kind with rules (non-API secrets); the kind's defaults
    /// when `generate` is set without them.
    #[serde(default)]
    #[ts(optional)]
    pub generator: Option<crate::domain::generator::GenerateRequest>,
    /// Why the new secret is shorter than its kind's recommended length.
    #[serde(default)]
    #[ts(optional)]
    pub short_reason: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub expiry: Option<String>,
    /// Ping the vendor with the new value before saving; do not save if it is not accepted.
    #[serde(default)]
    pub test_first: bool,
    /// The "used by" entries the technician ticked as updated (recorded in the audit note).
    #[serde(default)]
    pub used_by_checked: Vec<String>,
    /// Rotate All Due: let the vendor's connector make the new key (no value needed).
    #[serde(default)]
    pub at_vendor: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RotateOutcome {
    pub saved: bool,
    pub row: Option<VaultRow>,
    pub ping: Option<PingReport>,
}

fn rotation_row(
    console: &Console,
    operator: &Operator,
    record: &KeyRecord,
    now: DateTime<Utc>,
) -> RotationRow {
    let timing = record.timing(now);
    let vendor = record.vendor();
    let category = vendor.map(|v| v.category).unwrap_or(Category::Rmm);
    let default_interval = vendor
        .map(|v| v.default_interval_days())
        .unwrap_or(record.interval_days);
    RotationRow {
        client_id: console.client().id.clone(),
        client_name: console.client().name.clone(),
        secret_name: record.secret_name.clone(),
        vendor_id: record.vendor_id.clone(),
        vendor_name: vendor_name(&record.vendor_id),
        label: record.label.clone(),
        category,
        category_colour: category.colour_hex(),
        interval_days: record.interval_days,
        interval_overridden: record.interval_days != default_interval,
        default_interval_days: default_interval,
        last_rotated: format_date(record.last_rotated),
        due_label: timing.due_label(),
        reason: timing.reason(),
        facts: timing.facts(),
        suggested_expiry: suggested_expiry(record, now).map(format_date),
        masked_preview: record.masked_preview.clone(),
        key_hint: vendor.map(|v| v.key_hint.clone()).unwrap_or_default(),
        can_generate: vendor.is_none_or(|v| !v.is_multi_part()),
        key_parts: vendor.map(|v| v.key_parts.clone()).unwrap_or_default(),
        connector: vendor.is_some_and(|v| console.connector_for(v).is_some()),
        portal_url: vendor.and_then(|v| v.portal_url.clone()),
        portal: vendor.map(|v| v.portal.clone()).unwrap_or_default(),
        used_by: record.settings.used_by.clone(),
        allowed: super::vault::allowed_actions(console, operator, &record.vendor_id),
        generator: vendor.and_then(|v| v.generator.clone()),
        no_test_reason: vendor.and_then(|v| v.no_test_reason().map(str::to_string)),
        review: record.settings.review.clone(),
    }
}

impl Console {
    pub async fn rotation_view(
        &self,
        operator: &Operator,
        now: DateTime<Utc>,
    ) -> AppResult<RotationView> {
        let keys = self.cached_keys();
        let mut rows: Vec<RotationRow> = keys
            .iter()
            .map(|k| rotation_row(self, operator, k, now))
            .collect();
        // Most urgent first: expired, rotation overdue, due within 14 days, then the rest.
        rows.sort_by(|a, b| {
            a.facts
                .urgency
                .cmp(&b.facts.urgency)
                .then_with(|| a.vendor_name.cmp(&b.vendor_name))
        });
        let counts = self.client_counts(now);
        Ok(RotationView {
            rows,
            counts,
            defaults: category_defaults(),
        })
    }

    /// Rotate one key: a new version with the new value, last-rotated reset, the new expiry.
    /// The old version stays in the vault.
    pub async fn rotate_key(
        &self,
        operator: &Operator,
        request: RotateRequest,
        bulk: bool,
        now: DateTime<Utc>,
    ) -> AppResult<RotateOutcome> {
        // Rotate All Due refreshes once for the whole batch; a single rotation reads the key now.
        let record = if bulk {
            self.key(&request.secret_name).await?
        } else {
            self.refresh_policy().await?;
            self.fresh_key(&request.secret_name).await?
        };
        let vendor = record
            .vendor()
            .ok_or_else(|| AppError::internal("key of an unknown vendor"))?;
        let generate = match (request.generate, request.generator) {
            (_, Some(choices)) => Some(choices),
            (true, None) => Some(match &vendor.generator {
                Some(rules) => GenerateRequest::defaults(rules),
                // API vendors: the 64-character default (the rules are not consulted).
                None => GenerateRequest {
                    length: generator::GENERATED_LENGTH as u32,
                    charset: generator::Charset::LettersDigits,
                    exclude_ambiguous: false,
                    short_reason: None,
                },
            }),
            (false, None) => None,
        };
        if generate.is_none() {
            let nothing = request.value.as_ref().is_none_or(|v| v.is_empty())
                && request.parts.iter().all(|p| p.value.is_empty());
            if nothing {
                let hint = if vendor.is_non_api() {
                    "Use Generate with the limits of the system that uses it, then set the new value there."
                } else {
                    "Generate the new key in the vendor's portal first; rotating here does not create it there."
                };
                return Err(AppError::field(
                    "value",
                    "Paste the new key, or use Generate for a secret you choose yourself.",
                    hint,
                ));
            }
        }
        let new = super::new_value::new_value(
            vendor,
            request.value,
            request.parts,
            generate,
            request.short_reason.as_deref(),
        )?;
        let (parts, generated, review) = (new.parts, new.generated, new.review);
        let expiry = validate_expiry(request.expiry.as_deref(), now)?.map(expiry_from_date);
        self.authorize(operator, &record, KeyAction::Rotate, AuditAction::Rotate)?;

        // A kind without a test call has nothing to test first (the form does not offer it).
        let ping = if request.test_first && vendor.no_test_reason().is_none() {
            let report = self.ping_parts(&record, &parts).await;
            if !report.authenticated() {
                self.record(
                    operator,
                    AuditAction::Test,
                    Some(&record.vendor_id),
                    Some(&record.secret_name),
                    super::AuditResult::Failed(ping_code(&report)),
                    format!("new value not saved: {}", report.message),
                )
                .await;
                return Ok(RotateOutcome {
                    saved: false,
                    row: None,
                    ping: Some(report),
                });
            }
            Some(report)
        } else {
            None
        };

        let mut next = record.clone();
        next.last_rotated = now;
        next.expires = expiry;
        next.enabled = true;
        next.masked_preview = parts.masked_preview();
        // A rotation at the recommended length clears the review flag; a short one records its
        // own reason.
        next.settings.review = review;
        next.record_app_id(&parts);
        let result = self.store.write_key(&next, &parts.encode()).await;
        let mut note = Vec::new();
        if bulk {
            note.push("Rotate All Due".to_string());
        }
        if generated {
            note.push("value generated in the console".to_string());
        }
        if ping.is_some() {
            note.push("tested before saving".to_string());
        }
        note.extend(super::new_value::review_note(
            next.settings.review.as_deref(),
        ));
        if let Some(checklist) = self
            .used_by_note(&record.secret_name, &request.used_by_checked)
            .await
        {
            note.push(checklist);
        }
        self.record(
            operator,
            AuditAction::Rotate,
            Some(&record.vendor_id),
            Some(&record.secret_name),
            result.as_ref().map(|_| ()),
            note.join("; "),
        )
        .await;
        let stored = result?;
        self.remember_key(&stored);
        Ok(RotateOutcome {
            saved: true,
            row: Some(row_for_key(self, operator, &stored, now)),
            ping,
        })
    }

    /// Make an older version current again, as a new version. The value is read and written in
    /// Rust; its rotation date is the one that version had.
    pub async fn restore_version(
        &self,
        operator: &Operator,
        secret_name: &str,
        version: &str,
        now: DateTime<Utc>,
    ) -> AppResult<VaultRow> {
        let record = self.fresh_key(secret_name).await?;
        self.authorize(operator, &record, KeyAction::Restore, AuditAction::Restore)?;
        let versions = self.store.list_versions(secret_name).await?;
        let chosen = versions.iter().find(|v| v.version == version).cloned();
        let result = async {
            let chosen = chosen.ok_or_else(|| {
                AppError::new(
                    crate::error::ErrorCode::SecretNotFound,
                    "That version no longer exists.",
                    "Refresh the versions list.",
                )
            })?;
            let value = self.store.read_value(secret_name, Some(version)).await?;
            let mut next = record.clone();
            next.last_rotated = chosen.last_rotated.unwrap_or(now);
            next.expires = chosen.expires;
            next.enabled = true;
            next.masked_preview = value.masked_preview();
            // The restored value may name another app (or none the console can read).
            next.settings.app_id = None;
            if let Some(parts) = next
                .vendor()
                .and_then(|vendor| crate::domain::key_value::KeyParts::decode(vendor, &value))
            {
                next.record_app_id(&parts);
            }
            self.store.write_key(&next, &value).await
        }
        .await;
        self.record(
            operator,
            AuditAction::Restore,
            Some(&record.vendor_id),
            Some(secret_name),
            result.as_ref().map(|_| ()),
            format!("restored version {}", short_version(version)),
        )
        .await;
        let stored = result?;
        self.remember_key(&stored);
        Ok(row_for_key(self, operator, &stored, now))
    }
}

/// Audit error code of a failed ping, e.g. `ping-rejected`.
pub(crate) fn ping_code(report: &PingReport) -> String {
    let outcome = serde_json::to_value(report.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!("ping-{outcome}")
}

fn short_version(version: &str) -> &str {
    version.get(..8).unwrap_or(version)
}

mod bulk;
pub use bulk::{BULK_CONCURRENCY, BulkItemResult, BulkProgress, BulkResult, check_bulk_requests};

#[cfg(test)]
mod tests;
