//! The offline demo store: in memory only, seeded with a realistic spread of keys. Nothing of it
//! is ever written to disk; closing the app forgets everything, by design.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::{
    ConsoleDocument, DeletedKey, DocumentInfo, KeyVersion, SecretStore, StoreKind, UnmanagedSecret,
    VaultListing,
};
use crate::domain::catalog::{self, Vendor};
use crate::domain::generator;
use crate::domain::keys::{KeyRecord, expiry_from_date};
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};

/// Soft-deleted demo keys stay recoverable for this long, as in a vault with 90-day retention.
const RETENTION_DAYS: i64 = 90;

struct DemoVersion {
    id: String,
    record: KeyRecord,
    value: SecretValue,
    created: DateTime<Utc>,
}

#[derive(Default)]
struct DemoSecret {
    /// Oldest first; the last one is current.
    versions: Vec<DemoVersion>,
}

impl DemoSecret {
    fn current(&self) -> AppResult<&DemoVersion> {
        self.versions
            .last()
            .ok_or_else(|| AppError::internal("demo key without versions"))
    }
}

#[derive(Default)]
struct DemoState {
    secrets: BTreeMap<String, DemoSecret>,
    deleted: BTreeMap<String, (DemoSecret, DateTime<Utc>)>,
    documents: HashMap<String, DemoDocument>,
    /// Secrets other tools put in the vault (shown in the Unmanaged view; adoptable).
    unmanaged: BTreeMap<String, (UnmanagedSecret, SecretValue)>,
    /// The vault's own certificates and keys (read-only in the console).
    objects: crate::domain::vault_objects::ObjectListing,
}

struct DemoDocument {
    json: String,
    tags: HashMap<String, String>,
    updated: DateTime<Utc>,
}

pub struct DemoStore {
    state: Mutex<DemoState>,
    /// The demo's client with an outage: its listings time out (the rest of the store works), so
    /// the overview shows a failed refresh.
    listing_fails: std::sync::atomic::AtomicBool,
}

impl Default for DemoStore {
    fn default() -> Self {
        DemoStore::empty()
    }
}

impl DemoStore {
    /// An empty store (tests build their own content).
    pub fn empty() -> Self {
        DemoStore {
            state: Mutex::new(DemoState::default()),
            listing_fails: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The store the demo mode opens with: keys in every state, and vendors without a key.
    pub fn seeded(now: DateTime<Utc>) -> Self {
        DemoStore::seeded_variant(now, 0)
    }

    /// The demo's `variant`-th fictitious client: the same spread of states, shifted in time and
    /// with some vendors missing, so the clients of a demo do not look alike.
    pub fn seeded_variant(now: DateTime<Utc>, variant: usize) -> Self {
        let store = DemoStore::empty();
        {
            let mut state = store.lock();
            for (index, vendor) in catalog::catalog().iter().enumerate() {
                let Some(mut plan) = seed_plan(&vendor.id) else {
                    continue;
                };
                if variant > 0 {
                    if (index + variant).is_multiple_of(4) {
                        continue;
                    }
                    plan.rotated_days_ago += (variant as i64) * 9;
                }
                let secret = seed_secret(vendor, &plan, index, now);
                state.secrets.insert(vendor.id.clone(), secret);
            }
            seed_common(&mut state, now);
            state.objects = super::demo_objects::seed(now, variant);
        }
        store
    }

    /// One client of a large demo portfolio (`AKV_DEMO_CLIENTS`): the seeded vendors, some missing,
    /// every key healthy except `health`'s counts of expired, overdue and due keys, so a portfolio
    /// of forty has a few clients in trouble and many in order.
    pub fn seeded_health(now: DateTime<Utc>, variant: usize, health: DemoHealth) -> Self {
        let store = DemoStore::empty();
        {
            let mut state = store.lock();
            let vendors: Vec<(usize, &Vendor, SeedPlan)> = catalog::catalog()
                .iter()
                .enumerate()
                .filter_map(|(index, vendor)| seed_plan(&vendor.id).map(|p| (index, vendor, p)))
                .filter(|(index, _, _)| !(index + variant).is_multiple_of(5))
                .collect();
            // The troubled keys start at a different vendor for each client.
            let start = variant.wrapping_mul(7) % vendors.len().max(1);
            // The first `expired` keys from there expire, the next `overdue` are overdue, …
            for position in 0..vendors.len() {
                let (index, vendor, base) = &vendors[(start + position) % vendors.len()];
                let interval = i64::from(vendor.default_interval_days());
                let spread = ((index * 7 + variant * 5) as i64) % (interval - 20).max(1);
                let mut plan = SeedPlan {
                    // Healthy: more than 14 days before the next rotation, expiry far or none.
                    rotated_days_ago: 1 + spread.min(interval - 18),
                    expires_in_days: base.expires_in_days.map(|_| 200 + spread),
                    enabled: true,
                    versions: base.versions,
                };
                let k = position as i64;
                let v = variant as i64;
                if position < health.expired {
                    plan.expires_in_days = Some(-(1 + (v * 3 + k * 4) % 25));
                } else if position < health.expired + health.overdue {
                    plan.rotated_days_ago = interval + 2 + (v * 7 + k * 5) % 60;
                } else if position < health.expired + health.overdue + health.due {
                    plan.rotated_days_ago = interval - 3 - (v + k) % 10;
                }
                state
                    .secrets
                    .insert(vendor.id.clone(), seed_secret(vendor, &plan, *index, now));
            }
            seed_common(&mut state, now);
            state.objects =
                super::demo_objects::seed_for_health(now, health.expired > 0, health.due > 0);
        }
        store
    }

    /// Replace the vault's certificates and keys (tests).
    pub fn set_objects(&self, objects: crate::domain::vault_objects::ObjectListing) {
        self.lock().objects = objects;
    }

    /// From now on every listing fails as a vault that does not answer would.
    pub fn fail_listings(&self) {
        self.listing_fails
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, DemoState> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that matters
        // for a demo, so recover the guard instead of failing every later call.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How many keys of a large demo's client are in trouble.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoHealth {
    pub expired: usize,
    pub overdue: usize,
    pub due: usize,
}

/// What every demo vault holds besides its keys: secrets of other tools and the role policy.
fn seed_common(state: &mut DemoState, now: DateTime<Utc>) {
    for (name, content_type, owner, days_ago) in DEMO_UNMANAGED {
        let created = now - Duration::days(*days_ago);
        let mut tags = HashMap::new();
        if !owner.is_empty() {
            tags.insert("owner".to_string(), owner.to_string());
        }
        state.unmanaged.insert(
            name.to_string(),
            (
                UnmanagedSecret {
                    name: name.to_string(),
                    content_type: (!content_type.is_empty()).then(|| content_type.to_string()),
                    enabled: true,
                    expires: None,
                    created: Some(created),
                    updated: Some(created),
                    tags,
                    version: new_version_id(),
                },
                generator::generate_value(),
            ),
        );
    }
    // The demo's vault has the manual's default policy, so trainers can show each role.
    state.documents.insert(
        ConsoleDocument::RolePolicy.secret_name(),
        DemoDocument {
            json: crate::domain::policy::AccessPolicy::manual_defaults().to_json(),
            tags: HashMap::new(),
            updated: now,
        },
    );
}

/// Secrets "created by other tools" in the demo vault: name, content type, an owner tag, age in days.
const DEMO_UNMANAGED: &[(&str, &str, &str, i64)] = &[
    ("ninja-api-legacy", "", "", 400),
    ("s1-automation-token", "text/plain", "automation", 120),
    ("veeam-backup-svc", "", "backup team", 35),
    (
        "graph-reporting-app",
        "application/json",
        "reporting script",
        200,
    ),
    ("pax8-partner-api", "", "", 15),
];

/// How one seeded key looks: days since the last rotation, days to expiry, enabled.
struct SeedPlan {
    rotated_days_ago: i64,
    expires_in_days: Option<i64>,
    enabled: bool,
    versions: usize,
}

/// A fixed plan per vendor so demos (and tests) always show the same mix: 24 keys — 14 healthy,
/// 4 due within 14 days, 3 overdue, 2 expired, 1 disabled — and 8 vendors with none.
fn seed_plan(vendor_id: &str) -> Option<SeedPlan> {
    let plan = |rotated_days_ago, expires_in_days, enabled, versions| {
        Some(SeedPlan {
            rotated_days_ago,
            expires_in_days,
            enabled,
            versions,
        })
    };
    match vendor_id {
        // Overdue rotation.
        "datto-rmm" => plan(118, Some(200), true, 3),
        "huntress" => plan(104, None, true, 2),
        "fortigate" => plan(400, Some(150), true, 1),
        // Due within 14 days: rotation due, or expiry close.
        "atera" => plan(86, Some(240), true, 2),
        "halopsa" => plan(20, Some(9), true, 1),
        "auvik" => plan(170, Some(300), true, 1),
        "entra-app-secret" => plan(82, Some(283), true, 3),
        // Expired.
        "mimecast" => plan(60, Some(-3), true, 2),
        "okta" => plan(30, Some(-18), true, 1),
        // Disabled (revoked, kept for reference).
        "sophos-central" => plan(40, Some(200), false, 1),
        // Healthy, at various points of their cycle.
        "ninjaone" => plan(12, Some(353), true, 3),
        "connectwise-automate" => plan(33, Some(160), true, 2),
        "connectwise-psa" => plan(45, None, true, 2),
        "crowdstrike" => plan(9, Some(172), true, 1),
        "defender-endpoint" => plan(51, Some(130), true, 2),
        "sentinelone" => plan(21, Some(344), true, 3),
        "proofpoint-essentials" => plan(64, None, true, 1),
        "cisco-meraki" => plan(70, Some(290), true, 2),
        "ubiquiti-unifi" => plan(15, None, true, 1),
        "datto-bcdr" => plan(38, Some(190), true, 2),
        "veeam-spc" => plan(5, Some(360), true, 1),
        "microsoft-graph" => plan(95, Some(85), true, 2),
        "twilio" => plan(120, None, true, 1),
        "pax8" => plan(200, Some(165), true, 1),
        // No key yet.
        _ => None,
    }
}

const OWNERS: [&str; 5] = [
    "Dana Reyes",
    "Sam Okafor",
    "Priya Nair",
    "Marcus Lee",
    "Elena Varga",
];

const NOTES: [&str; 6] = [
    "Used by the nightly PSA ticket sync.",
    "Read-only key for the NOC dashboard.",
    "Scoped to device inventory only.",
    "Shared with the onboarding automation runbook.",
    "",
    "Created for the quarterly billing reconciliation.",
];

/// A fake value shaped like the vendor's real ones, so copy and masking look right in demos.
/// A demo key as stored, and its masked preview (made from the parts, as the console does, never
/// from the stored JSON of a multi-part key).
fn demo_value(vendor: &Vendor) -> (SecretValue, String) {
    let random = generator::generate_value();
    let body = &random.expose()[..40];
    let prefix: String = vendor
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(5)
        .collect();
    if !vendor.is_multi_part() {
        let value = SecretValue::new(format!("{prefix}_{body}"));
        let preview = value.masked_preview();
        return (value, preview);
    }
    // Multi-part keys (user + password, client ID + secret, ...): split the random body.
    let count = vendor.key_parts.len();
    let chunk = body.len() / count;
    let named = vendor
        .key_parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let end = if i + 1 == count {
                body.len()
            } else {
                (i + 1) * chunk
            };
            (
                part.id.as_str(),
                SecretValue::new(format!("{prefix}-{}", &body[i * chunk..end])),
            )
        })
        .collect();
    let parts = crate::domain::key_value::KeyParts::from_named(vendor, named);
    (parts.encode(), parts.masked_preview())
}

fn new_version_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn seed_secret(vendor: &Vendor, plan: &SeedPlan, index: usize, now: DateTime<Utc>) -> DemoSecret {
    let interval = vendor.default_interval_days();
    let mut secret = DemoSecret::default();
    for step in (0..plan.versions).rev() {
        // Older versions sit one interval apart before the current one.
        let rotated = now
            - Duration::days(plan.rotated_days_ago + step as i64 * i64::from(interval))
            - Duration::hours(index as i64);
        let (value, preview) = demo_value(vendor);
        let record = KeyRecord {
            secret_name: vendor.id.clone(),
            vendor_id: vendor.id.clone(),
            label: None,
            interval_days: interval,
            last_rotated: rotated,
            expires: plan
                .expires_in_days
                .map(|days| expiry_from_date((now + Duration::days(days)).date_naive())),
            enabled: step > 0 || plan.enabled,
            owner: OWNERS[index % OWNERS.len()].to_string(),
            note: NOTES[index % NOTES.len()].to_string(),
            masked_preview: preview,
            outside_change: None,
            endpoint_override: None,
            token_url_override: None,
            settings: crate::domain::keys::KeySettings {
                app_id: super::demo_objects::demo_app_id(&vendor.id).map(str::to_string),
                ..Default::default()
            },
            version: new_version_id(),
            created: Some(rotated),
            updated: Some(rotated),
        };
        secret.versions.push(DemoVersion {
            id: record.version.clone(),
            created: rotated,
            record,
            value,
        });
    }
    secret
}

fn not_found(name: &str) -> AppError {
    AppError::new(
        ErrorCode::SecretNotFound,
        format!("No key named '{name}' is stored."),
        "It may have been deleted from another console; refresh the Vault tab.",
    )
}

fn deleted_view(name: &str, secret: &DemoSecret, deleted_on: DateTime<Utc>) -> DeletedKey {
    let current = secret.versions.last();
    DeletedKey {
        secret_name: name.to_string(),
        vendor_id: current
            .map(|v| v.record.vendor_id.clone())
            .unwrap_or_default(),
        masked_preview: current
            .map(|v| v.record.masked_preview.clone())
            .unwrap_or_default(),
        deleted_on: Some(deleted_on),
        scheduled_purge: Some(deleted_on + Duration::days(RETENTION_DAYS)),
        purge_protected: false,
    }
}

#[async_trait]
impl SecretStore for DemoStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Demo
    }

    async fn list_objects(&self) -> crate::domain::vault_objects::ObjectListing {
        self.lock().objects.clone()
    }

    async fn list_all(&self) -> AppResult<VaultListing> {
        if self
            .listing_fails
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return Err(AppError::new(
                ErrorCode::Timeout,
                "The vault did not answer the listing in time (a simulated outage of this demo client).",
                "The last good listing is shown. In a real console, check the network to Azure and Refresh (F5).",
            ));
        }
        let state = self.lock();
        let keys = state
            .secrets
            .values()
            .map(|s| s.current().map(|v| v.record.clone()))
            .collect::<AppResult<Vec<_>>>()?;
        let mut documents: Vec<DocumentInfo> = state
            .documents
            .iter()
            .map(|(name, d)| DocumentInfo {
                name: name.clone(),
                tags: d.tags.clone(),
                updated: Some(d.updated),
            })
            .collect();
        documents.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(VaultListing {
            keys,
            documents,
            unmanaged: state.unmanaged.values().map(|(u, _)| u.clone()).collect(),
        })
    }

    async fn current_key(&self, secret_name: &str) -> AppResult<Option<KeyRecord>> {
        let state = self.lock();
        Ok(match state.secrets.get(secret_name) {
            Some(secret) => Some(secret.current()?.record.clone()),
            None => None,
        })
    }

    async fn read_value(&self, secret_name: &str, version: Option<&str>) -> AppResult<SecretValue> {
        let state = self.lock();
        if let Some((_, value)) = state.unmanaged.get(secret_name) {
            return Ok(value.duplicate());
        }
        let secret = state
            .secrets
            .get(secret_name)
            .ok_or_else(|| not_found(secret_name))?;
        let chosen = match version {
            Some(id) => secret
                .versions
                .iter()
                .find(|v| v.id == id)
                .ok_or_else(|| not_found(&format!("{secret_name}/{id}")))?,
            None => secret.current()?,
        };
        if !chosen.record.enabled {
            return Err(AppError::new(
                ErrorCode::SecretDisabled,
                "This key is disabled, so its value cannot be read.",
                "Enable it first if it should be usable again.",
            ));
        }
        Ok(chosen.value.duplicate())
    }

    async fn write_key(&self, record: &KeyRecord, value: &SecretValue) -> AppResult<KeyRecord> {
        let mut state = self.lock();
        if state.deleted.contains_key(&record.secret_name) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("'{}' is deleted but still recoverable.", record.secret_name),
                "Recover it from the Deleted view, or purge it first.",
            ));
        }
        let now = Utc::now();
        let mut stored = record.clone();
        stored.version = new_version_id();
        stored.created = Some(now);
        stored.updated = Some(now);
        let secret = state.secrets.entry(record.secret_name.clone()).or_default();
        secret.versions.push(DemoVersion {
            id: stored.version.clone(),
            record: stored.clone(),
            value: value.duplicate(),
            created: now,
        });
        Ok(stored)
    }

    async fn update_key(&self, record: &KeyRecord) -> AppResult<KeyRecord> {
        let mut state = self.lock();
        // Adopting a secret another tool made: its current version becomes a console key, with
        // the same value and version.
        if !state.secrets.contains_key(&record.secret_name)
            && let Some((unmanaged, value)) = state.unmanaged.remove(&record.secret_name)
        {
            let mut adopted = record.clone();
            adopted.version = unmanaged.version.clone();
            adopted.created = unmanaged.created;
            adopted.updated = Some(Utc::now());
            state.secrets.insert(
                record.secret_name.clone(),
                DemoSecret {
                    versions: vec![DemoVersion {
                        id: unmanaged.version,
                        record: adopted.clone(),
                        value,
                        created: unmanaged.created.unwrap_or_else(Utc::now),
                    }],
                },
            );
            return Ok(adopted);
        }
        let secret = state
            .secrets
            .get_mut(&record.secret_name)
            .ok_or_else(|| not_found(&record.secret_name))?;
        let current = secret
            .versions
            .last_mut()
            .ok_or_else(|| AppError::internal("demo key without versions"))?;
        let mut updated = record.clone();
        updated.version = current.id.clone();
        updated.created = current.record.created;
        updated.updated = Some(Utc::now());
        current.record = updated.clone();
        Ok(updated)
    }

    async fn list_versions(&self, secret_name: &str) -> AppResult<Vec<KeyVersion>> {
        let state = self.lock();
        let secret = state
            .secrets
            .get(secret_name)
            .ok_or_else(|| not_found(secret_name))?;
        Ok(secret
            .versions
            .iter()
            .rev()
            .map(|v| KeyVersion {
                version: v.id.clone(),
                created: Some(v.created),
                enabled: v.record.enabled,
                expires: v.record.expires,
                masked_preview: v.record.masked_preview.clone(),
                last_rotated: Some(v.record.last_rotated),
            })
            .collect())
    }

    async fn delete_key(&self, secret_name: &str) -> AppResult<DeletedKey> {
        let mut state = self.lock();
        let secret = state
            .secrets
            .remove(secret_name)
            .ok_or_else(|| not_found(secret_name))?;
        let now = Utc::now();
        let view = deleted_view(secret_name, &secret, now);
        state.deleted.insert(secret_name.to_string(), (secret, now));
        Ok(view)
    }

    async fn list_deleted(&self) -> AppResult<Vec<DeletedKey>> {
        let state = self.lock();
        Ok(state
            .deleted
            .iter()
            .map(|(name, (secret, when))| deleted_view(name, secret, *when))
            .collect())
    }

    async fn recover_key(&self, secret_name: &str) -> AppResult<()> {
        let mut state = self.lock();
        let (secret, _) = state.deleted.remove(secret_name).ok_or_else(|| {
            AppError::new(
                ErrorCode::SecretNotFound,
                format!("'{secret_name}' is not in the deleted keys."),
                "It may have been recovered or purged from another console; refresh the list.",
            )
        })?;
        state.secrets.insert(secret_name.to_string(), secret);
        Ok(())
    }

    async fn purge_key(&self, secret_name: &str) -> AppResult<()> {
        let mut state = self.lock();
        state
            .deleted
            .remove(secret_name)
            .map(|_| ())
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::SecretNotFound,
                    format!("'{secret_name}' is not in the deleted keys."),
                    "It may have been recovered or purged already; refresh the list.",
                )
            })
    }

    async fn read_document(&self, document: &ConsoleDocument) -> AppResult<Option<String>> {
        Ok(self
            .lock()
            .documents
            .get(&document.secret_name())
            .map(|d| d.json.clone()))
    }

    async fn write_document_tagged(
        &self,
        document: &ConsoleDocument,
        json: &str,
        tags: &HashMap<String, String>,
    ) -> AppResult<()> {
        self.lock().documents.insert(
            document.secret_name(),
            DemoDocument {
                json: json.to_string(),
                tags: tags.clone(),
                updated: Utc::now(),
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::KeyStatus;
    use std::collections::HashMap;

    fn now() -> DateTime<Utc> {
        crate::domain::keys::tests::at(2026, 11, 23, 10)
    }

    #[tokio::test]
    async fn seed_has_a_realistic_spread() {
        let store = DemoStore::seeded(now());
        let keys = store.list_keys().await.expect("list");
        assert_eq!(keys.len(), 24);
        let mut counts: HashMap<KeyStatus, usize> = HashMap::new();
        for key in &keys {
            *counts.entry(key.timing(now()).status).or_default() += 1;
        }
        assert_eq!(counts.get(&KeyStatus::Overdue), Some(&3), "{counts:?}");
        assert_eq!(counts.get(&KeyStatus::DueSoon), Some(&4), "{counts:?}");
        assert_eq!(counts.get(&KeyStatus::Expired), Some(&2), "{counts:?}");
        assert_eq!(counts.get(&KeyStatus::Disabled), Some(&1), "{counts:?}");
        assert_eq!(counts.get(&KeyStatus::Healthy), Some(&14), "{counts:?}");
    }

    #[tokio::test]
    async fn the_demo_links_its_app_registration_secrets_to_the_keys_that_hold_them() {
        use crate::domain::app_credentials::links_text;
        use crate::service::objects::{link_keys, unrecorded_app_keys};
        let store = DemoStore::seeded(now());
        let keys = store.list_keys().await.expect("list");
        let mut listing = store.list_objects().await;
        link_keys(&mut listing, None, &keys);
        let link_of = |app: &str| {
            listing
                .app_credentials
                .items()
                .iter()
                .find(|c| c.app_name == app)
                .and_then(|c| links_text(&c.links))
        };
        assert_eq!(
            link_of("Line-of-business portal").as_deref(),
            Some("rotated by the console: key entra-app-secret")
        );
        assert_eq!(
            link_of("Backup reporting").as_deref(),
            Some("rotated by the console: key microsoft-graph")
        );
        // Certificates are not values a key holds; and no demo key reads as saved before ids.
        assert_eq!(link_of("Intune connector"), None);
        assert!(unrecorded_app_keys(&listing, &keys).is_empty());
    }

    #[tokio::test]
    async fn rotation_keeps_old_versions_and_values() {
        let store = DemoStore::seeded(now());
        let keys = store.list_keys().await.expect("list");
        let key = keys
            .iter()
            .find(|k| k.enabled)
            .expect("an enabled key")
            .clone();
        let old_value = store
            .read_value(&key.secret_name, None)
            .await
            .expect("read");
        let versions_before = store
            .list_versions(&key.secret_name)
            .await
            .expect("versions")
            .len();
        let new_value = SecretValue::new("rotated-value-0123456789");
        let written = store.write_key(&key, &new_value).await.expect("write");
        assert_ne!(written.version, key.version);
        let versions = store
            .list_versions(&key.secret_name)
            .await
            .expect("versions");
        assert_eq!(versions.len(), versions_before + 1);
        assert_eq!(
            store
                .read_value(&key.secret_name, None)
                .await
                .expect("read")
                .expose(),
            new_value.expose()
        );
        let old = store
            .read_value(&key.secret_name, Some(&key.version))
            .await
            .expect("old version");
        assert_eq!(old.expose(), old_value.expose());
    }

    #[tokio::test]
    async fn delete_recover_purge() {
        let store = DemoStore::seeded(now());
        let name = store.list_keys().await.expect("list")[0]
            .secret_name
            .clone();
        store.delete_key(&name).await.expect("delete");
        assert_eq!(store.list_deleted().await.expect("deleted").len(), 1);
        assert!(
            store
                .list_keys()
                .await
                .expect("list")
                .iter()
                .all(|k| k.secret_name != name)
        );
        store.recover_key(&name).await.expect("recover");
        assert!(
            store
                .list_keys()
                .await
                .expect("list")
                .iter()
                .any(|k| k.secret_name == name)
        );
        store.delete_key(&name).await.expect("delete again");
        store.purge_key(&name).await.expect("purge");
        assert!(store.list_deleted().await.expect("deleted").is_empty());
        assert_eq!(
            store.recover_key(&name).await.expect_err("gone").code,
            ErrorCode::SecretNotFound
        );
    }

    #[tokio::test]
    async fn disabled_values_cannot_be_read() {
        let store = DemoStore::seeded(now());
        let disabled = store
            .list_keys()
            .await
            .expect("list")
            .into_iter()
            .find(|k| !k.enabled)
            .expect("a disabled key");
        let error = store
            .read_value(&disabled.secret_name, None)
            .await
            .expect_err("disabled");
        assert_eq!(error.code, ErrorCode::SecretDisabled);
    }

    #[tokio::test]
    async fn previews_are_masked_parts_never_the_stored_json() {
        let store = DemoStore::seeded(now());
        for key in store.list_keys().await.expect("keys") {
            assert!(
                !key.masked_preview.contains('{') && !key.masked_preview.contains('"'),
                "{}: {}",
                key.secret_name,
                key.masked_preview
            );
            assert!(key.masked_preview.contains('•'), "{}", key.masked_preview);
        }
    }
}
