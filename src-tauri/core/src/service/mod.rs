//! The console's use cases, one module per tab, with no Tauri imports: the commands call these,
//! and so do the integration tests against the Key Vault emulator.
//!
//! A [`Console`] is one open session: a store (demo or Azure), the shared role policy, the audit
//! log, and a cache of key records (metadata only).

pub mod adopt;
pub mod audit;
pub mod clipboard;
pub mod connector;
pub mod custom_vendors;
pub mod distribute;
pub mod endpoints;
pub mod installations;
pub mod key_details;
pub mod monitor;
pub mod new_value;
pub mod objects;
pub mod permissions;
pub mod procedure;
pub mod provision;
pub mod report;
pub mod revocation;
pub mod rotation;
pub mod setup;
pub mod snapshot;
pub mod templates;
pub mod trust;
pub mod vault;

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::audit::{Actor, AuditAction, AuditLog, NewEntry, Outcome};
use crate::domain::catalog;
use crate::domain::key_value::KeyParts;
use crate::domain::keys::KeyRecord;
use crate::domain::policy::{AccessPolicy, KeyAction, check_operator_action};
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

pub use crate::domain::identity::Operator;

/// The operator as the audit log records them.
fn new_entry(
    action: AuditAction,
    vendor_id: Option<&str>,
    secret_name: Option<&str>,
    outcome: impl Into<AuditResult>,
    note: impl Into<String>,
) -> NewEntry {
    let (outcome, error_code) = match outcome.into() {
        AuditResult::Ok => (Outcome::Ok, None),
        AuditResult::Refused(code) => (Outcome::Refused, Some(code)),
        AuditResult::Failed(code) => (Outcome::Failed, Some(code)),
    };
    NewEntry {
        action,
        vendor: vendor_id.map(vendor_name),
        key_name: secret_name.map(str::to_string),
        outcome,
        error_code,
        note: note.into(),
    }
}

fn actor(operator: &Operator) -> Actor {
    Actor {
        user: operator.name.clone(),
        role: operator.role_label().to_string(),
        identity: Some(operator.identity.id().to_string()),
        upn: operator.upn.clone(),
        oid: operator.oid.clone(),
    }
}

/// Where the role policy the console enforces came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum PolicySource {
    /// Read from the vault.
    Stored,
    /// The vault holds no policy document: only Admin may use keys until an Admin saves one.
    Missing,
    /// The document could not be read or parsed, or the last refresh failed: only Admin may act.
    Unavailable,
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

/// Which client (MSP customer) a console works for: its id in the Clients list and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientRef {
    pub id: String,
    pub name: String,
}

/// One open session against a store: one client's vault.
pub struct Console {
    store: Arc<dyn SecretStore>,
    client: ClientRef,
    /// The demo session's fictitious clients: no vendor exists to rotate keys at.
    demo_session: bool,
    /// App-secret mode: the app registration this console signs in as (its own secret's key is
    /// rotated with a reconnect before the old secret goes).
    own_app: Mutex<Option<connector::OwnApp>>,
    /// The app registration (and tenant) the connection signs in through; `None` in the demo.
    /// Admin saves pin it in the policy; roles count only while it is the pinned one.
    app: Option<crate::domain::identity::ConsoleApp>,
    /// A removal of the old own secret waiting for the session's reconnect.
    held_revoke: Mutex<Option<connector::HeldRevoke>>,
    /// Shared with the blocking pool: an append fsyncs, which must not stall the async workers
    /// (several clients connect at once).
    audit: Arc<Mutex<AuditLog>>,
    /// Serialises anchor writes so the vault's anchor never goes backwards.
    anchor_lock: tokio::sync::Mutex<()>,
    /// The last head written to the vault, and where. Entries recorded while an anchor write
    /// was in flight are covered by the next write of the newest head, so a batch (Rotate All
    /// Due) writes a few anchors, not one per key queued behind each other.
    anchored: Mutex<Option<(String, crate::audit::Anchor)>>,
    /// Batches running (Rotate All Due): their entries are anchored once when the batch ends,
    /// so a throttled anchor write never holds up every rotation behind it.
    batches: std::sync::atomic::AtomicUsize,
    /// Serialises policy changes (read, change, write) made at this console.
    pub(crate) policy_lock: tokio::sync::Mutex<()>,
    policy: Mutex<(AccessPolicy, PolicySource)>,
    /// One listing of the vault, updated in place by the console's own writes (see `snapshot`).
    snapshot: Mutex<snapshot::Snapshot>,
    notifier: Notifier,
    ping_client: PingClient,
    /// This console installation's id (names its anchors in the vault).
    installation: String,
    /// Where this installation's audit chain head is anchored in the vault (the registry decides
    /// which segment's anchor: see `trust`).
    anchor_document: Mutex<ConsoleDocument>,
    /// Set when the vault refused an anchor write (e.g. a Secrets User identity): no more
    /// attempts this session, one notice.
    anchoring_refused: Mutex<bool>,
    /// An open (unacknowledged) tampering of this installation's log, for the banner.
    tamper_alert: Mutex<Option<trust::TamperAlert>>,
    /// The head the vault vouched for when the session began: an anchor is written only for a
    /// log that runs through it. `None`: this session anchors nothing (the log was not verified,
    /// or tampering was found and the vault could not record it).
    vouched: Mutex<Option<crate::audit::Anchor>>,
    /// Which entries of the log were covered by verification against the vault or written by
    /// this session (the only ones whose notes, such as host approvals, are believed).
    trusted: Mutex<TrustedEntries>,
    /// New keys a vendor made while replacing the old one (SentinelOne) that are not stored yet:
    /// kept in memory so a retry stores them instead of locking the key out.
    pending_vendor_keys: Mutex<std::collections::HashMap<String, KeyParts>>,
    /// Replaces every connector's propagation schedule (tests wait milliseconds, not minutes).
    propagation: Mutex<Option<crate::connectors::PropagationSchedule>>,
    /// The vault's custom vendors as this console last read them (see `custom_vendors`).
    custom_vendors: Mutex<custom_vendors::CustomState>,
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
            demo_session: false,
            own_app: Mutex::new(None),
            app: None,
            held_revoke: Mutex::new(None),
            client: ClientRef {
                id: "default".into(),
                name: match store.kind() {
                    StoreKind::Demo => "Demo".into(),
                    StoreKind::Azure { vault_name, .. } => vault_name,
                },
            },
            store,
            audit: Arc::new(Mutex::new(audit)),
            anchor_lock: tokio::sync::Mutex::new(()),
            anchored: Mutex::new(None),
            batches: std::sync::atomic::AtomicUsize::new(0),
            policy_lock: tokio::sync::Mutex::new(()),
            policy: Mutex::new((AccessPolicy::admin_only(), PolicySource::Missing)),
            snapshot: Mutex::new(snapshot::Snapshot::default()),
            notifier,
            ping_client,
            installation: console_id.to_string(),
            anchor_document: Mutex::new(ConsoleDocument::AuditAnchor {
                console_id: console_id.to_string(),
                segment: 0,
            }),
            anchoring_refused: Mutex::new(false),
            tamper_alert: Mutex::new(None),
            // A log this console starts in memory holds only its own entries.
            vouched: Mutex::new(Some(crate::audit::Anchor::genesis())),
            trusted: Mutex::new(TrustedEntries::ALL),
            pending_vendor_keys: Mutex::new(std::collections::HashMap::new()),
            propagation: Mutex::new(None),
            custom_vendors: Mutex::new(custom_vendors::CustomState::default()),
        }
    }

    /// Wait for new vendor keys on `schedule` instead of each connector's own limits (tests).
    pub fn set_propagation_schedule(&self, schedule: crate::connectors::PropagationSchedule) {
        *Self::lock(&self.propagation) = Some(schedule);
    }

    pub(crate) fn propagation_schedule(
        &self,
        connector: &dyn crate::connectors::Connector,
    ) -> crate::connectors::PropagationSchedule {
        Self::lock(&self.propagation).unwrap_or_else(|| {
            crate::connectors::PropagationSchedule::production(connector.propagation_limit())
        })
    }

    /// Swap the audit log (the connect opens the vault's file log only once the credential has
    /// proved itself, and starts with an in-memory one).
    pub(crate) fn use_log(&self, log: AuditLog) {
        // A log read from disk is a claim until `open_session_trust` compared it with the vault.
        let next = log.head().map_or(0, |head| head.seq + 1);
        *Self::lock(&self.audit) = log;
        *Self::lock(&self.vouched) = None;
        *Self::lock(&self.trusted) = TrustedEntries::written_from(next);
    }

    /// Anchor only heads that extend `base` (`None`: anchor nothing this session).
    pub(crate) fn set_vouched(&self, base: Option<crate::audit::Anchor>) {
        *Self::lock(&self.vouched) = base;
    }

    pub(crate) fn set_trusted(&self, trusted: TrustedEntries) {
        *Self::lock(&self.trusted) = trusted;
    }

    /// Whether an entry of the log may be believed (see [`TrustedEntries`]).
    pub(crate) fn entry_trusted(&self, seq: u64) -> bool {
        self.is_demo() || Self::lock(&self.trusted).covers(seq)
    }

    /// This console works for `client` (named in its rows, reports and audit entries).
    pub fn for_client(mut self, client: ClientRef) -> Console {
        self.client = client;
        self
    }

    pub fn client(&self) -> &ClientRef {
        &self.client
    }

    /// This console's connection signs in through `app` (see [`Console::foreign_app`]).
    pub fn for_app(mut self, app: crate::domain::identity::ConsoleApp) -> Console {
        self.app = Some(app);
        self
    }

    /// The connection's app, when the vault's policy pins another one: roles then count for
    /// nothing on this connection.
    pub fn foreign_app(&self) -> Option<crate::domain::identity::ForeignApp> {
        self.app
            .as_ref()
            .and_then(|app| Self::lock(&self.policy).0.foreign_app(app))
    }

    /// What every Admin save adds: this connection's app pinned as the console's own, and the
    /// stamp key when the vault has none yet.
    pub(crate) fn admin_save(&self, policy: &mut AccessPolicy) {
        if let Some(app) = &self.app {
            policy.console_app = Some(app.clone());
        }
        if policy.stamp_key.is_none() {
            policy.stamp_key = Some(crate::domain::policy::StampKey::generate(Utc::now()));
        }
    }

    /// An Admin's first connect to a vault whose policy has no stamp key: add one (and nothing
    /// else; pinning the app is for an Admin's deliberate save).
    pub(crate) async fn create_stamp_key(&self) -> AppResult<()> {
        let _serial = self.policy_lock.lock().await;
        let mut policy = self.refresh_policy().await?;
        if policy.stamp_key.is_some() || self.policy_source() != PolicySource::Stored {
            return Ok(());
        }
        policy.stamp_key = Some(crate::domain::policy::StampKey::generate(Utc::now()));
        self.store
            .write_document(&ConsoleDocument::RolePolicy, &policy.to_json())
            .await?;
        self.set_policy(policy);
        Ok(())
    }

    /// The app registration this console's connection signs in as (app-secret mode).
    pub fn set_own_app(&self, own: connector::OwnApp) {
        *Self::lock(&self.own_app) = Some(own);
    }

    pub(crate) fn own_app(&self) -> Option<connector::OwnApp> {
        Self::lock(&self.own_app).clone()
    }

    pub(crate) fn hold_revoke(&self, held: connector::HeldRevoke) {
        *Self::lock(&self.held_revoke) = Some(held);
    }

    /// The own-secret removal waiting for the session's reconnect, if a rotation left one.
    pub fn take_held_revoke(&self) -> Option<connector::HeldRevoke> {
        Self::lock(&self.held_revoke).take()
    }

    /// A console of the demo session (offline for sales and training): rotation at the vendor
    /// is not offered, since there is no vendor to talk to.
    pub fn for_demo_session(mut self) -> Console {
        self.demo_session = true;
        self
    }

    /// The connector that rotates this vendor's keys at the vendor, where the console offers it.
    pub fn connector_for(
        &self,
        vendor: &crate::domain::catalog::Vendor,
    ) -> Option<&'static dyn crate::connectors::Connector> {
        if self.demo_session {
            None
        } else {
            crate::connectors::connector_for(vendor)
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

    pub fn installation(&self) -> &str {
        &self.installation
    }

    pub(crate) fn set_anchor_document(&self, document: ConsoleDocument) {
        *Self::lock(&self.anchor_document) = document;
    }

    /// The open tampering of this installation's log, if any (the window's banner).
    pub fn tamper_alert(&self) -> Option<trust::TamperAlert> {
        Self::lock(&self.tamper_alert).clone()
    }

    pub(crate) fn set_tamper_alert(&self, alert: Option<trust::TamperAlert>) {
        *Self::lock(&self.tamper_alert) = alert;
    }

    /// The vault refused a console document write: stop anchoring for this session and say once
    /// what it means.
    pub(crate) fn anchoring_unavailable(&self, error: &AppError) {
        let mut refused = Self::lock(&self.anchoring_refused);
        if *refused {
            return;
        }
        *refused = trust::forbidden(error);
        self.notify(
            NoticeLevel::Warning,
            format!(
                "The audit log's anchor could not be saved in the vault: {}",
                error.message
            ),
            Some(if trust::forbidden(error) {
                "Your identity may read the vault but not write the console's documents, so the vault cannot vouch for this PC's audit log (Verify will say so). Key Vault Secrets Officer on the vault lets the console anchor it.".to_string()
            } else {
                error.hint.clone()
            }),
        );
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

    // ----- policy -----

    /// Load the shared role policy from the store. A vault without a policy document, a damaged
    /// document and a failed read all leave the console admin-only (fail closed): the cached copy
    /// of an earlier read is never used after a failed refresh.
    pub async fn refresh_policy(&self) -> AppResult<AccessPolicy> {
        self.load_policy()
            .await
            .map_err(|error| policy_unavailable(&error))
    }

    /// [`Console::refresh_policy`] with a failed read's error as the vault named it: the
    /// connect's first request (a wrong secret or a missing permission shows as itself).
    pub(crate) async fn load_policy(&self) -> AppResult<AccessPolicy> {
        let read = self.store.read_document(&ConsoleDocument::RolePolicy).await;
        let (policy, source, result) = match read {
            Ok(Some(json)) => match AccessPolicy::from_json(&json) {
                Ok(policy) => (policy.clone(), PolicySource::Stored, Ok(policy)),
                Err(error) => {
                    self.notify(
                        NoticeLevel::Warning,
                        format!(
                            "{} Until it is fixed only Admin may use keys.",
                            error.message
                        ),
                        Some(error.hint.clone()),
                    );
                    let fallback = AccessPolicy::admin_only();
                    (fallback.clone(), PolicySource::Unavailable, Ok(fallback))
                }
            },
            Ok(None) => {
                let fallback = AccessPolicy::admin_only();
                (fallback.clone(), PolicySource::Missing, Ok(fallback))
            }
            Err(error) => (
                AccessPolicy::admin_only(),
                PolicySource::Unavailable,
                Err(error),
            ),
        };
        // A policy that could not be read keeps the last stamp key: it only verifies stamps.
        if source == PolicySource::Stored {
            self.store.use_stamp_key(policy.stamp_key.clone());
        }
        // Custom vendors are checked with the policy's stamp key, so they are read with it.
        if result.is_ok() {
            let key = (source == PolicySource::Stored)
                .then(|| policy.stamp_key.clone())
                .flatten();
            *Self::lock(&self.policy) = (policy, source);
            self.load_custom_vendors(key.as_ref()).await;
        } else {
            *Self::lock(&self.policy) = (policy, source);
        }
        result
    }

    pub fn policy(&self) -> AccessPolicy {
        Self::lock(&self.policy).0.clone()
    }

    pub fn policy_source(&self) -> PolicySource {
        Self::lock(&self.policy).1
    }

    pub(crate) fn set_policy(&self, policy: AccessPolicy) {
        self.store.use_stamp_key(policy.stamp_key.clone());
        *Self::lock(&self.policy) = (policy, PolicySource::Stored);
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
        let result =
            check_operator_action(&self.policy(), operator, vendor_id, &vendor_name, action);
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
        let entry = new_entry(action, vendor_id, secret_name, outcome, note);
        let actor = actor(operator);
        let audit = self.audit.clone();
        let appended = tokio::task::spawn_blocking(move || {
            Self::lock(&audit).append(entry, &actor, Utc::now())
        })
        .await;
        let written = match appended {
            Ok(Ok(_)) => true,
            Ok(Err(error)) => {
                self.audit_write_failed(&error.to_string());
                false
            }
            Err(stopped) => {
                self.audit_write_failed(&format!("the writing task stopped ({stopped})"));
                false
            }
        };
        if written && self.batches.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            self.anchor().await;
        }
    }

    /// Run `work` as a batch: its audit entries (and any other entry written meanwhile) are
    /// appended at once but anchored in the vault once, when the last running batch ends.
    pub(crate) async fn batch<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        use std::sync::atomic::Ordering;
        self.batches.fetch_add(1, Ordering::SeqCst);
        let result = work.await;
        if self.batches.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.anchor().await;
        }
        result
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
        let entry = new_entry(action, vendor_id, secret_name, outcome, note);
        match Self::lock(&self.audit).append(entry, &actor(operator), Utc::now()) {
            Ok(_) => true,
            Err(error) => {
                self.audit_write_failed(&error.to_string());
                false
            }
        }
    }

    fn audit_write_failed(&self, detail: &str) {
        self.notify(
            NoticeLevel::Error,
            format!("The audit log could not be written: {detail}. This action is NOT in the log."),
            Some("Check free disk space and permissions of the app-data folder, then use Verify on the Audit Log tab.".into()),
        );
    }

    /// Write the current chain head to the vault (a new version of the anchor secret, the head
    /// also in its tags).
    async fn anchor(&self) {
        if self.is_demo() || *Self::lock(&self.anchoring_refused) {
            return;
        }
        let _serial = self.anchor_lock.lock().await;
        let Some(base) = Self::lock(&self.vouched).clone() else {
            return;
        };
        let head = {
            let log = Self::lock(&self.audit);
            if !log.extends(&base) {
                // Never let a log that left the vouched chain overwrite the evidence.
                return;
            }
            log.head()
        };
        let Some(head) = head else {
            return;
        };
        let json = serde_json::to_string(&head).unwrap_or_default();
        let document = Self::lock(&self.anchor_document).clone();
        let written_already = (document.secret_name(), head.clone());
        if Self::lock(&self.anchored).as_ref() == Some(&written_already) {
            // A write that finished while this caller waited already holds this head.
            return;
        }
        let tags = trust::anchor_tags(&head, &self.installation);
        let written = self
            .store
            .write_document_tagged(&document, &json, &tags)
            .await;
        if written.is_ok() {
            *Self::lock(&self.anchored) = Some(written_already);
            self.remember_document(crate::store::DocumentInfo {
                name: document.secret_name(),
                tags,
                updated: Some(Utc::now()),
            });
        }
        if let Err(error) = written {
            self.anchoring_unavailable(&error);
            if !trust::forbidden(&error) {
                // A passing failure (network): try again with the next entry.
                *Self::lock(&self.anchoring_refused) = false;
            }
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

/// The entries of the log that may be believed: those up to the head the vault's anchor vouched
/// for when the session began (less those the vault's record says it adopted unvouched), and
/// those this session wrote itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrustedEntries {
    pub vouched_through: Option<u64>,
    pub written_from: u64,
    pub unvouched: Vec<crate::audit::registry::SeqRange>,
}

impl TrustedEntries {
    const ALL: TrustedEntries = TrustedEntries {
        vouched_through: None,
        written_from: 0,
        unvouched: Vec::new(),
    };

    pub(crate) fn written_from(seq: u64) -> TrustedEntries {
        TrustedEntries {
            vouched_through: None,
            written_from: seq,
            unvouched: Vec::new(),
        }
    }

    fn covers(&self, seq: u64) -> bool {
        seq >= self.written_from
            || (self.vouched_through.is_some_and(|last| seq <= last)
                && !self.unvouched.iter().any(|r| r.contains(seq)))
    }
}

/// The policy could not be read from the vault: the refusal every action gets until it can.
fn policy_unavailable(cause: &AppError) -> AppError {
    AppError::new(
        ErrorCode::PolicyUnavailable,
        format!(
            "The vault's role policy could not be read ({}), so the console lets only an Admin act.",
            cause.message
        ),
        cause.hint.clone(),
    )
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
