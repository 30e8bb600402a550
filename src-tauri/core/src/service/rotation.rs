//! The Rotation tab: the schedule, rotating one key, Rotate All Due (bounded concurrency, one
//! failure never stops the others), and restoring an older version.

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
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

/// Rotate All Due keeps this many rotations in flight: enough to finish a maintenance window
/// quickly, few enough to stay clear of Key Vault's throttling.
pub const BULK_CONCURRENCY: usize = 6;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BulkItemResult {
    /// The client whose vault holds the key (filled in by the batch).
    pub client_id: String,
    pub client_name: String,
    pub secret_name: String,
    pub vendor_name: String,
    pub ok: bool,
    pub error: Option<AppError>,
    pub ping: Option<PingReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BulkProgress {
    pub done: usize,
    pub total: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub item: BulkItemResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BulkResult {
    pub total: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub items: Vec<BulkItemResult>,
}

impl BulkResult {
    /// The order the end-of-run summary reads in: failures first (they need the technician),
    /// then the rotated keys; by client, then vendor, inside each.
    pub fn failures_first(mut self) -> BulkResult {
        self.items.sort_by(|a, b| {
            a.ok.cmp(&b.ok)
                .then_with(|| a.client_name.cmp(&b.client_name))
                .then_with(|| a.vendor_name.cmp(&b.vendor_name))
        });
        self
    }
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

/// Rotate All Due takes each due key at most once, and only keys that are due.
pub fn check_bulk_requests(
    keys: &[KeyRecord],
    requests: &[RotateRequest],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut seen = std::collections::HashSet::new();
    for request in requests {
        if !seen.insert(request.secret_name.as_str()) {
            return Err(AppError::new(
                crate::error::ErrorCode::InvalidInput,
                format!(
                    "'{}' appears twice in this Rotate All Due batch.",
                    request.secret_name
                ),
                "Each due key is rotated once per batch. Close the dialog and open Rotate All Due again.",
            ));
        }
        let due = keys
            .iter()
            .find(|k| k.secret_name == request.secret_name)
            .is_some_and(|k| k.timing(now).needs_rotation());
        if !due {
            return Err(AppError::new(
                crate::error::ErrorCode::InvalidInput,
                format!(
                    "'{}' is not due for rotation, so Rotate All Due does not take it.",
                    request.secret_name
                ),
                "Rotate it on its own from the Vault or Rotation tab. Rotate All Due only takes keys that are expired, rotation overdue or due within 14 days.",
            ));
        }
    }
    Ok(())
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

    /// Rotate All Due: every request runs, at most [`BULK_CONCURRENCY`] at once. A failed key keeps
    /// its old value and stays due; its error is in the result list for a retry.
    ///
    /// The batch is refused as a whole when it names a key twice or a key that is not due (so a
    /// crafted request cannot turn "Rotate All Due" into a mass overwrite), or when the keys or the
    /// role policy cannot be read (fail closed: no rotation runs on a stale policy).
    pub async fn rotate_many(
        &self,
        operator: &Operator,
        requests: Vec<RotateRequest>,
        now: DateTime<Utc>,
        on_progress: impl Fn(BulkProgress) + Send + Sync,
    ) -> AppResult<BulkResult> {
        // The snapshot's keys and a fresh policy (fail closed if it cannot be read); each rotation
        // then works from this state.
        let keys = self.cached_keys();
        self.refresh_policy().await?;
        check_bulk_requests(&keys, &requests, now)?;
        self.batch(self.rotate_batch(operator, requests, now, on_progress))
            .await
    }

    async fn rotate_batch(
        &self,
        operator: &Operator,
        requests: Vec<RotateRequest>,
        now: DateTime<Utc>,
        on_progress: impl Fn(BulkProgress) + Send + Sync,
    ) -> AppResult<BulkResult> {
        let total = requests.len();
        let mut items = Vec::with_capacity(total);
        let mut succeeded = 0;
        let mut failed = 0;
        let mut running = futures::stream::iter(requests.into_iter().map(|request| async move {
            let secret_name = request.secret_name.clone();
            let vendor = match self.key(&secret_name).await {
                Ok(record) => vendor_name(&record.vendor_id),
                Err(_) => secret_name.clone(),
            };
            if request.at_vendor {
                let vendor_request = super::connector::VendorRotateRequest {
                    secret_name: request.secret_name,
                    expiry: request.expiry,
                    used_by_checked: request.used_by_checked,
                };
                return match self
                    .rotate_at_vendor(operator, vendor_request, true, now)
                    .await
                {
                    Ok(done) => BulkItemResult {
                        client_id: String::new(),
                        client_name: String::new(),
                        secret_name,
                        vendor_name: vendor,
                        ok: done.saved,
                        error: (!done.saved || done.failed_step.is_some()).then(|| {
                            AppError::new(
                                crate::error::ErrorCode::ConnectorFailed,
                                done.message.clone(),
                                done.hint.clone(),
                            )
                        }),
                        ping: done.ping,
                    },
                    Err(error) => BulkItemResult {
                        client_id: String::new(),
                        client_name: String::new(),
                        secret_name,
                        vendor_name: vendor,
                        ok: false,
                        error: Some(error),
                        ping: None,
                    },
                };
            }
            let outcome = self.rotate_key(operator, request, true, now).await;
            match outcome {
                Ok(RotateOutcome {
                    saved: true, ping, ..
                }) => BulkItemResult {
                    client_id: String::new(),
                    client_name: String::new(),
                    secret_name,
                    vendor_name: vendor,
                    ok: true,
                    error: None,
                    ping,
                },
                Ok(RotateOutcome { ping, .. }) => BulkItemResult {
                    client_id: String::new(),
                    client_name: String::new(),
                    error: ping.as_ref().map(|p| {
                        AppError::new(
                            crate::error::ErrorCode::InvalidInput,
                            format!(
                                "Not saved: the vendor did not accept the new key ({}).",
                                p.message
                            ),
                            p.hint.clone(),
                        )
                    }),
                    secret_name,
                    vendor_name: vendor,
                    ok: false,
                    ping,
                },
                Err(error) => BulkItemResult {
                    client_id: String::new(),
                    client_name: String::new(),
                    secret_name,
                    vendor_name: vendor,
                    ok: false,
                    error: Some(error),
                    ping: None,
                },
            }
        }))
        .buffer_unordered(BULK_CONCURRENCY);
        while let Some(mut item) = running.next().await {
            item.client_id = self.client().id.clone();
            item.client_name = self.client().name.clone();
            if item.ok {
                succeeded += 1;
            } else {
                failed += 1;
            }
            on_progress(BulkProgress {
                done: succeeded + failed,
                total,
                succeeded,
                failed,
                item: item.clone(),
            });
            items.push(item);
        }
        Ok(BulkResult {
            total,
            succeeded,
            failed,
            items,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::tests::{at, record};

    use crate::domain::policy::Role;
    use crate::domain::secret::SecretValue;
    use crate::store::demo::DemoStore;
    use crate::store::{ConsoleDocument, DeletedKey, KeyVersion, SecretStore, StoreKind};
    use async_trait::async_trait;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A console on `store` with an in-memory log, and an Admin to act in it.
    fn admin_console(store: Arc<dyn SecretStore>) -> (Console, Operator) {
        let console = Console::new(
            store,
            crate::audit::AuditLog::in_memory(),
            Arc::new(|_| {}),
            crate::ping::PingClient::new(None).expect("client"),
            "test",
        );
        let operator = Operator::demo("Test", Role::Admin);
        (console, operator)
    }

    /// The demo store, with slow writes that count how many run at once.
    struct SlowStore {
        inner: DemoStore,
        in_flight: AtomicUsize,
        peak: AtomicUsize,
    }

    #[async_trait]
    impl SecretStore for SlowStore {
        fn kind(&self) -> StoreKind {
            StoreKind::Demo
        }
        async fn list_all(&self) -> crate::error::AppResult<crate::store::VaultListing> {
            self.inner.list_all().await
        }
        async fn current_key(&self, name: &str) -> crate::error::AppResult<Option<KeyRecord>> {
            self.inner.current_key(name).await
        }
        async fn read_value(
            &self,
            name: &str,
            version: Option<&str>,
        ) -> crate::error::AppResult<SecretValue> {
            self.inner.read_value(name, version).await
        }
        async fn write_key(
            &self,
            record: &KeyRecord,
            value: &SecretValue,
        ) -> crate::error::AppResult<KeyRecord> {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.inner.write_key(record, value).await
        }
        async fn update_key(&self, record: &KeyRecord) -> crate::error::AppResult<KeyRecord> {
            self.inner.update_key(record).await
        }
        async fn list_versions(&self, name: &str) -> crate::error::AppResult<Vec<KeyVersion>> {
            self.inner.list_versions(name).await
        }
        async fn delete_key(&self, name: &str) -> crate::error::AppResult<DeletedKey> {
            self.inner.delete_key(name).await
        }
        async fn list_deleted(&self) -> crate::error::AppResult<Vec<DeletedKey>> {
            self.inner.list_deleted().await
        }
        async fn recover_key(&self, name: &str) -> crate::error::AppResult<()> {
            self.inner.recover_key(name).await
        }
        async fn purge_key(&self, name: &str) -> crate::error::AppResult<()> {
            self.inner.purge_key(name).await
        }
        async fn read_document(
            &self,
            d: &ConsoleDocument,
        ) -> crate::error::AppResult<Option<String>> {
            self.inner.read_document(d).await
        }
        async fn write_document_tagged(
            &self,
            d: &ConsoleDocument,
            json: &str,
            tags: &std::collections::HashMap<String, String>,
        ) -> crate::error::AppResult<()> {
            self.inner.write_document_tagged(d, json, tags).await
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rotate_all_due_keeps_a_bounded_number_in_flight() {
        let now = at(2026, 11, 23, 10);
        let store = Arc::new(SlowStore {
            inner: DemoStore::seeded(now),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        });
        // Make every enabled key overdue, so Rotate All Due may take them all.
        for mut key in store.inner.list_keys().await.expect("keys") {
            key.last_rotated = now - Duration::days(400);
            key.expires = None;
            store.inner.update_key(&key).await.expect("age the key");
        }
        let (console, operator) = admin_console(store.clone());
        let keys = console.refresh_keys().await.expect("keys");
        let requests: Vec<RotateRequest> = keys
            .iter()
            .filter(|k| k.enabled)
            .map(|k| {
                let vendor = k.vendor().expect("catalog vendor");
                let parts = vendor
                    .key_parts
                    .iter()
                    .map(|p| KeyPartInput {
                        id: p.id.clone(),
                        value: SecretValue::new(format!("new-{}-0123456789", p.id)),
                    })
                    .collect();
                RotateRequest {
                    secret_name: k.secret_name.clone(),
                    parts,
                    ..Default::default()
                }
            })
            .collect();
        let total = requests.len();
        assert!(total > BULK_CONCURRENCY * 2);
        let result = console
            .rotate_many(&operator, requests, now, |_| {})
            .await
            .expect("batch accepted");
        assert_eq!(result.succeeded, total);
        let peak = store.peak.load(Ordering::SeqCst);
        assert!(peak <= BULK_CONCURRENCY, "{peak} rotations ran at once");
        assert!(peak > 1, "rotations should overlap");
    }

    /// A pasted new value for every part the vendor's key has.
    fn paste(console: &Console, name: &str) -> RotateRequest {
        let record = console
            .cached_keys()
            .into_iter()
            .find(|k| k.secret_name == name)
            .expect("key");
        let parts = record
            .vendor()
            .expect("catalog vendor")
            .key_parts
            .iter()
            .map(|p| KeyPartInput {
                id: p.id.clone(),
                value: SecretValue::new(format!("new-{}-0123456789", p.id)),
            })
            .collect();
        RotateRequest {
            secret_name: name.into(),
            parts,
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn the_summary_lists_failures_first_with_their_reason() {
        let now = Utc::now();
        let store = Arc::new(DemoStore::seeded(now));
        for mut key in store.list_keys().await.expect("keys") {
            key.last_rotated = now - Duration::days(400);
            key.expires = None;
            store.update_key(&key).await.expect("age the key");
        }
        let (console, operator) = admin_console(store);
        let keys = console.refresh_keys().await.expect("keys");
        let mut names: Vec<String> = keys
            .iter()
            .filter(|k| k.enabled)
            .map(|k| k.secret_name.clone())
            .collect();
        names.sort();
        // The alphabetically last key gets no new value: it fails, and must still come first.
        let empty = names.pop().expect("keys");
        let mut requests: Vec<RotateRequest> = names.iter().map(|n| paste(&console, n)).collect();
        requests.push(RotateRequest {
            secret_name: empty.clone(),
            ..Default::default()
        });
        let result = console
            .rotate_many(&operator, requests, now, |_| {})
            .await
            .expect("batch accepted")
            .failures_first();
        assert_eq!(result.failed, 1);
        let first = &result.items[0];
        assert_eq!(first.secret_name, empty);
        assert!(!first.ok);
        let reason = first.error.as_ref().expect("a reason");
        assert!(
            reason.message.contains("Paste the new key"),
            "{}",
            reason.message
        );
        assert!(result.items[1..].iter().all(|i| i.ok));
        let vendors: Vec<&str> = result.items[1..]
            .iter()
            .map(|i| i.vendor_name.as_str())
            .collect();
        let mut sorted = vendors.clone();
        sorted.sort();
        assert_eq!(vendors, sorted, "rotated keys read by vendor");
    }

    #[tokio::test]
    async fn rotate_all_due_refuses_duplicates_and_keys_that_are_not_due_and_changes_nothing() {
        let now = at(2026, 11, 23, 10);
        let (console, operator) = admin_console(Arc::new(DemoStore::seeded(now)));
        let keys = console.refresh_keys().await.expect("keys");
        let due: Vec<&KeyRecord> = keys
            .iter()
            .filter(|k| k.timing(now).needs_rotation())
            .collect();
        let healthy = keys
            .iter()
            .find(|k| k.enabled && !k.timing(now).needs_rotation())
            .expect("a healthy key");
        let before: Vec<String> = keys.iter().map(|k| k.masked_preview.clone()).collect();

        let twice = vec![
            paste(&console, &due[0].secret_name),
            paste(&console, &due[0].secret_name),
        ];
        let error = console
            .rotate_many(&operator, twice, now, |_| {})
            .await
            .expect_err("duplicate refused");
        assert!(error.message.contains("appears twice"), "{}", error.message);

        let mut more = due
            .iter()
            .map(|k| paste(&console, &k.secret_name))
            .collect::<Vec<_>>();
        more.push(paste(&console, &healthy.secret_name));
        let error = console
            .rotate_many(&operator, more, now, |_| {})
            .await
            .expect_err("a key that is not due refused");
        assert!(error.message.contains("not due"), "{}", error.message);

        let after: Vec<String> = console
            .refresh_keys()
            .await
            .expect("keys")
            .iter()
            .map(|k| k.masked_preview.clone())
            .collect();
        assert_eq!(before, after, "a refused batch rotates nothing");
    }

    #[tokio::test]
    async fn generate_is_refused_for_keys_of_several_parts() {
        let now = at(2026, 11, 23, 10);
        let (console, operator) = admin_console(Arc::new(DemoStore::seeded(now)));
        let generate = |name: &str| RotateRequest {
            secret_name: name.into(),
            generate: true,
            ..Default::default()
        };
        // Pax8 keys are a client ID and a secret; Atera keys are one value.
        let refused = console
            .rotate_key(&operator, generate("pax8"), false, now)
            .await
            .expect_err("two parts");
        assert_eq!(refused.field.as_deref(), Some("value"));
        let rotated = console
            .rotate_key(&operator, generate("atera"), false, now)
            .await
            .expect("one part");
        assert!(rotated.saved);
        let value = console
            .store()
            .read_value("atera", None)
            .await
            .expect("read");
        assert_eq!(
            value.expose().len(),
            crate::domain::generator::GENERATED_LENGTH
        );
    }

    #[test]
    fn suggested_expiry_keeps_the_validity_period() {
        let now = at(2026, 11, 23, 10);
        let r = record(at(2026, 1, 1, 0), 90, Some(at(2027, 1, 1, 0)));
        // Valid for 365 days before; valid for 365 days again from today.
        assert_eq!(
            suggested_expiry(&r, now).map(format_date).as_deref(),
            Some("2027-11-23")
        );
        assert!(suggested_expiry(&record(now, 90, None), now).is_none());
        // A key that was valid for only 12 days gets at least its 90-day interval.
        let short = record(at(2026, 10, 24, 0), 90, Some(at(2026, 11, 5, 0)));
        assert_eq!(
            suggested_expiry(&short, now).map(format_date).as_deref(),
            Some("2027-02-21")
        );
    }
}
