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
use crate::domain::keys::KeyRecord;
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};

mod seed;
pub use seed::DemoHealth;

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

fn new_version_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
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
mod tests;
