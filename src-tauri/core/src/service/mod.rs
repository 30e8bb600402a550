//! The console's use cases, one module per tab, with no Tauri imports: the commands call these,
//! and so do the integration tests against the Key Vault emulator.
//!
//! A [`Console`] is one open session: a store (demo or Azure), the shared role policy, the audit
//! log, and a cache of key records (metadata only).

pub mod audit;
pub mod connector;
pub mod distribute;
pub mod endpoints;
pub mod procedure;
pub mod report;
pub mod rotation;
pub mod setup;
pub mod vault;

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{Actor, AuditAction, AuditLog, NewEntry, Outcome};
use crate::domain::catalog;
use crate::domain::key_value::KeyParts;
use crate::domain::keys::KeyRecord;
use crate::domain::policy::{AccessPolicy, KeyAction, Role, check_key_action};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ping::PingClient;
use crate::store::{ConsoleDocument, SecretStore, StoreKind};

/// How an action ended, for its audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditResult {
    Ok,
    Refused(String),
    Failed(String),
}

impl From<Result<(), &AppError>> for AuditResult {
    fn from(result: Result<(), &AppError>) -> Self {
        match result {
            Ok(()) => AuditResult::Ok,
            Err(error) if matches!(error.code, ErrorCode::AccessDenied | ErrorCode::AdminOnly) => {
                AuditResult::Refused(error.audit_code())
            }
            Err(error) => AuditResult::Failed(error.audit_code()),
        }
    }
}

impl From<&AppError> for AuditResult {
    fn from(error: &AppError) -> Self {
        AuditResult::from(Err(error))
    }
}

/// The technician at this console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Operator {
    pub name: String,
    pub role: Role,
}

impl Operator {
    fn actor(&self) -> Actor {
        Actor {
            user: self.name.clone(),
            role: self.role.label().to_string(),
        }
    }
}

/// Something the technician should see now, outside the reply to what they clicked (anchor
/// failures, reminders, clipboard cleared). The Tauri layer turns these into toasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Notice {
    pub level: NoticeLevel,
    pub message: String,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Notice {
    pub fn from_error(error: &AppError) -> Notice {
        Notice {
            level: NoticeLevel::Error,
            message: error.message.clone(),
            hint: Some(error.hint.clone()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

pub type Notifier = Arc<dyn Fn(Notice) + Send + Sync>;

/// One open session against a store.
pub struct Console {
    store: Arc<dyn SecretStore>,
    audit: Mutex<AuditLog>,
    /// Serialises anchor writes so the vault's anchor never goes backwards.
    anchor_lock: tokio::sync::Mutex<()>,
    /// Serialises policy changes (read, change, write) made at this console.
    pub(crate) policy_lock: tokio::sync::Mutex<()>,
    policy: Mutex<AccessPolicy>,
    keys: Mutex<Vec<KeyRecord>>,
    notifier: Notifier,
    ping_client: PingClient,
    /// Where this installation's audit chain head is anchored in the vault.
    anchor_document: ConsoleDocument,
    /// New keys a vendor made while replacing the old one (SentinelOne) that are not stored yet:
    /// kept in memory so a retry stores them instead of locking the key out.
    pending_vendor_keys: Mutex<std::collections::HashMap<String, KeyParts>>,
}

impl Console {
    pub fn new(
        store: Arc<dyn SecretStore>,
        audit: AuditLog,
        notifier: Notifier,
        ping_client: PingClient,
        console_id: &str,
    ) -> Console {
        Console {
            store,
            audit: Mutex::new(audit),
            anchor_lock: tokio::sync::Mutex::new(()),
            policy_lock: tokio::sync::Mutex::new(()),
            policy: Mutex::new(AccessPolicy::default()),
            keys: Mutex::new(Vec::new()),
            notifier,
            ping_client,
            anchor_document: ConsoleDocument::AuditAnchor {
                console_id: console_id.to_string(),
            },
            pending_vendor_keys: Mutex::new(std::collections::HashMap::new()),
        }
    }

    pub(crate) fn keep_pending(&self, secret_name: &str, parts: KeyParts) {
        Self::lock(&self.pending_vendor_keys).insert(secret_name.to_string(), parts);
    }

    pub(crate) fn take_pending(&self, secret_name: &str) -> Option<KeyParts> {
        Self::lock(&self.pending_vendor_keys).remove(secret_name)
    }

    /// Keys with a new vendor credential waiting to be stored.
    pub fn has_pending(&self, secret_name: &str) -> bool {
        Self::lock(&self.pending_vendor_keys).contains_key(secret_name)
    }

    pub(crate) fn anchor_document(&self) -> &ConsoleDocument {
        &self.anchor_document
    }

    pub(crate) fn ping_client(&self) -> &PingClient {
        &self.ping_client
    }

    pub fn store(&self) -> &Arc<dyn SecretStore> {
        &self.store
    }

    pub fn kind(&self) -> StoreKind {
        self.store.kind()
    }

    pub fn is_demo(&self) -> bool {
        self.store.kind() == StoreKind::Demo
    }

    /// "VAULT: NAME" or "DEMO", for the report header.
    pub fn vault_label(&self) -> String {
        match self.store.kind() {
            StoreKind::Demo => "DEMO".to_string(),
            StoreKind::Azure { vault_name, .. } => format!("VAULT: {}", vault_name.to_uppercase()),
        }
    }

    pub fn vault_url(&self) -> Option<String> {
        match self.store.kind() {
            StoreKind::Demo => None,
            StoreKind::Azure { vault_url, .. } => Some(vault_url),
        }
    }

    pub(crate) fn notify(
        &self,
        level: NoticeLevel,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        (self.notifier)(Notice {
            level,
            message: message.into(),
            hint,
        });
    }

    fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        // Every critical section here is a short in-memory update; a panic inside one leaves data
        // that is still consistent enough to keep serving.
        mutex
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // ----- keys cache -----

    /// Re-list the keys from the store (no value reads) and refresh the cache.
    pub async fn refresh_keys(&self) -> AppResult<Vec<KeyRecord>> {
        let keys = self.store.list_keys().await?;
        *Self::lock(&self.keys) = keys.clone();
        Ok(keys)
    }

    pub fn cached_keys(&self) -> Vec<KeyRecord> {
        Self::lock(&self.keys).clone()
    }

    /// A key's record from the cache, re-listing once if it is not there.
    pub async fn key(&self, secret_name: &str) -> AppResult<KeyRecord> {
        if let Some(found) = Self::lock(&self.keys)
            .iter()
            .find(|k| k.secret_name == secret_name)
            .cloned()
        {
            return Ok(found);
        }
        self.fresh_key(secret_name).await
    }

    /// A key's record as the store has it now. Used before writing metadata back, so a change
    /// made at another console (disabled, tags edited) is not overwritten with a stale copy.
    pub async fn fresh_key(&self, secret_name: &str) -> AppResult<KeyRecord> {
        self.refresh_keys()
            .await?
            .into_iter()
            .find(|k| k.secret_name == secret_name)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::KeyNotFound,
                    format!("No key named '{secret_name}' is stored."),
                    "It may have been deleted from another console. Refresh the Vault tab.",
                )
            })
    }

    pub(crate) fn remember_key(&self, record: &KeyRecord) {
        let mut keys = Self::lock(&self.keys);
        match keys
            .iter_mut()
            .find(|k| k.secret_name == record.secret_name)
        {
            Some(existing) => *existing = record.clone(),
            None => keys.push(record.clone()),
        }
    }

    pub(crate) fn forget_key(&self, secret_name: &str) {
        Self::lock(&self.keys).retain(|k| k.secret_name != secret_name);
    }

    // ----- policy -----

    /// Load the shared role policy from the store (the default applies until an Admin saves one).
    pub async fn refresh_policy(&self) -> AppResult<AccessPolicy> {
        let policy = match self
            .store
            .read_document(&ConsoleDocument::RolePolicy)
            .await?
        {
            Some(json) => match AccessPolicy::from_json(&json) {
                Ok(policy) => policy,
                Err(error) => {
                    self.notify(
                        NoticeLevel::Warning,
                        format!(
                            "{} Until it is fixed only Admin may use keys.",
                            error.message
                        ),
                        Some(error.hint.clone()),
                    );
                    AccessPolicy::admin_only()
                }
            },
            None => AccessPolicy::default(),
        };
        *Self::lock(&self.policy) = policy.clone();
        Ok(policy)
    }

    pub fn policy(&self) -> AccessPolicy {
        Self::lock(&self.policy).clone()
    }

    pub(crate) fn set_policy(&self, policy: AccessPolicy) {
        *Self::lock(&self.policy) = policy;
    }

    /// Check an action on a key against the policy; a refusal is audited before it is returned.
    pub(crate) fn authorize(
        &self,
        operator: &Operator,
        record: &KeyRecord,
        action: KeyAction,
        audit_action: AuditAction,
    ) -> AppResult<()> {
        self.authorize_vendor(
            operator,
            &record.vendor_id,
            Some(&record.secret_name),
            action,
            audit_action,
        )
    }

    pub(crate) fn authorize_vendor(
        &self,
        operator: &Operator,
        vendor_id: &str,
        secret_name: Option<&str>,
        action: KeyAction,
        audit_action: AuditAction,
    ) -> AppResult<()> {
        let vendor_name = vendor_name(vendor_id);
        let result = check_key_action(
            &self.policy(),
            operator.role,
            vendor_id,
            &vendor_name,
            action,
        );
        if let Err(error) = &result {
            self.record_sync(
                operator,
                audit_action,
                Some(vendor_id),
                secret_name,
                Err(error),
                "",
            );
        }
        result
    }

    // ----- audit -----

    /// Append an audit entry and anchor the chain head in the vault. Returns the write error so
    /// callers that must not proceed without a log entry can stop; others report it loudly.
    pub(crate) async fn record(
        &self,
        operator: &Operator,
        action: AuditAction,
        vendor_id: Option<&str>,
        secret_name: Option<&str>,
        outcome: impl Into<AuditResult>,
        note: impl Into<String>,
    ) {
        if self.record_sync(operator, action, vendor_id, secret_name, outcome, note) {
            self.anchor().await;
        }
    }

    /// Append without anchoring (for callers that cannot await). Returns whether it was written.
    fn record_sync(
        &self,
        operator: &Operator,
        action: AuditAction,
        vendor_id: Option<&str>,
        secret_name: Option<&str>,
        outcome: impl Into<AuditResult>,
        note: impl Into<String>,
    ) -> bool {
        let (outcome, error_code) = match outcome.into() {
            AuditResult::Ok => (Outcome::Ok, None),
            AuditResult::Refused(code) => (Outcome::Refused, Some(code)),
            AuditResult::Failed(code) => (Outcome::Failed, Some(code)),
        };
        let entry = NewEntry {
            action,
            vendor: vendor_id.map(vendor_name),
            key_name: secret_name.map(str::to_string),
            outcome,
            error_code,
            note: note.into(),
        };
        let appended = Self::lock(&self.audit).append(entry, &operator.actor(), Utc::now());
        match appended {
            Ok(_) => true,
            Err(error) => {
                self.notify(
                    NoticeLevel::Error,
                    format!("The audit log could not be written: {error}. This action is NOT in the log."),
                    Some("Check free disk space and permissions of the app-data folder, then use Verify on the Audit Log tab.".into()),
                );
                false
            }
        }
    }

    /// Write the current chain head to the vault (a new version of the anchor secret).
    async fn anchor(&self) {
        if self.is_demo() {
            return;
        }
        let _serial = self.anchor_lock.lock().await;
        let Some(head) = Self::lock(&self.audit).head() else {
            return;
        };
        let json = serde_json::to_string(&head).unwrap_or_default();
        if let Err(error) = self
            .store
            .write_document(&self.anchor_document, &json)
            .await
        {
            self.notify(
                NoticeLevel::Warning,
                format!(
                    "The audit log's anchor could not be saved in the vault: {}",
                    error.message
                ),
                Some(error.hint),
            );
        }
    }

    /// A copy of every entry of this console's log (tests, and the host-confirmation check).
    pub fn audit_entries(&self) -> Vec<crate::audit::AuditEntry> {
        Self::lock(&self.audit).entries().to_vec()
    }

    pub(crate) fn audit_log(&self) -> MutexGuard<'_, AuditLog> {
        Self::lock(&self.audit)
    }
}

/// The display name of a vendor id (the id itself for unknown vendors).
pub fn vendor_name(vendor_id: &str) -> String {
    catalog::vendor(vendor_id)
        .map(|v| v.name.clone())
        .unwrap_or_else(|| vendor_id.to_string())
}

/// Dates as the UI and reports show them.
pub fn format_date(date: DateTime<Utc>) -> String {
    date.format("%Y-%m-%d").to_string()
}
