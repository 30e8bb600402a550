//! Tamper-evident audit log. Pure domain code: no Tauri, no network.
//!
//! **What an entry holds.** Every console action appends one [`AuditEntry`]: UTC timestamp,
//! action, vendor, key name, the operator's name and role, outcome (+ error code) and a note.
//! Besides the sequence number, the hashes and the timestamp (the caller's `now`), every field is
//! a plain string or enum copied from the caller's [`NewEntry`] and [`Actor`]; the log adds no
//! other data, and no type here accepts a `SecretValue`. Callers fill those strings from metadata
//! only (vendor id, secret name, tag values, error codes) — never a key value, token or client
//! secret.
//!
//! **Chain.** Entry #1's `prev_hash` is 64 zeros; every later entry stores the SHA-256 of the
//! previous entry's canonical form (defined in `chain.rs`: fixed-order JSON of all fields but
//! `hash`, with a format version marker `v`). Editing, deleting or reordering lines breaks the
//! chain. Cutting lines off the end does not, so when connected the caller anchors [`Anchor`]
//! (`head()` after each append) in the vault and passes it to [`AuditLog::verify`].
//!
//! **File.** One append-only JSON Lines file per vault, at a path the caller chooses. Each append
//! writes the whole line and `sync_data`s it before returning (`append_batch` writes several
//! lines, e.g. a bulk rotation's one-per-key entries, with one fsync, all or nothing); creating
//! the file also syncs its directory. A failed append returns a named [`AuditError`] and cuts the
//! file back to its previous length, so it never leaves a half line that would later read as
//! tampering (if even the cut fails, the log refuses further appends until it can make that
//! cut). A `<log>.lock` file next to the log is locked while it is open, so two console windows
//! cannot fork the chain.
//!
//! **Torn last line (crash mid-write).** [`AuditLog::verify`] reports it as
//! [`ProblemKind::TornLine`]. [`AuditLog::open`] repairs it: the incomplete bytes are appended to
//! `<log>.torn` next to the log (fsynced), the log is cut back to its last complete line, and
//! [`OpenReport::torn_tail`] says how many bytes went where. The next append first records a
//! [`AuditAction::LogRecovery`] entry (same operator and time as the action that triggered it)
//! naming the moved bytes, then the action itself, so the chain continues and verifies intact
//! while the recovery stays visible. The torn line was never acknowledged (an append returns only
//! after fsync), so it was never anchored, and moving it aside cannot make the anchor disagree.
//! (A crash in the middle of a batch may leave the batch's first lines complete: they are sound,
//! correctly chained entries and stay.)
//! Lines that are complete but unreadable are left where they are for verify to report; the log
//! keeps appending after the last readable entry.
//!
//! **Verify** always re-reads the file from disk by path (what an attacker would edit), never the
//! entries held in memory. **Demo mode** ([`AuditLog::in_memory`]) keeps the exact bytes a file
//! would hold in memory and verifies them with the same code.

mod chain;
mod csv;
mod error;
mod file;
mod lines;
pub mod registry;
mod verify;

#[cfg(test)]
mod tests;

use std::path::Path;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use chain::{FORMAT_VERSION, GENESIS_HASH};
pub use csv::{HEADER as CSV_HEADER, VERIFICATION_MARKER as CSV_VERIFICATION_MARKER};
pub use error::AuditError;
pub use verify::{
    AnchorCheck, AnchorExpectation, Expectations, Problem, ProblemKind, VerifyReport,
};

use chain::{LineRecord, format_timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum AuditAction {
    Connect,
    Disconnect,
    Add,
    /// A key value was copied to the clipboard.
    Retrieve,
    Test,
    /// One entry per key, also in bulk rotations.
    Rotate,
    /// An older version was made current again.
    Restore,
    /// Key settings (interval, owner, note, expiry) changed.
    Update,
    /// Access policy / category access changed.
    Distribute,
    /// Console profile or role changed.
    ProfileChange,
    Disable,
    Enable,
    Delete,
    Recover,
    Purge,
    Export,
    Report,
    /// Written by the log itself after moving a torn last line aside.
    LogRecovery,
    /// The log on this PC no longer matched the vault's anchor; a new chain segment starts here.
    TamperDetected,
    /// An Admin acknowledged a detected tampering.
    TamperAcknowledged,
    /// An Admin acknowledged a new installation on a computer that already kept a log for the
    /// vault (its history may have been deleted).
    InstallationAcknowledged,
    /// The first operator of a vault without a policy became its Admin (app-secret mode).
    PolicyBootstrap,
    /// The role roster (name → role, app-secret mode) changed.
    RosterChange,
    /// A refresh noticed a key changed outside the console (Portal, CLI, a script).
    ChangedOutside,
    /// A secret another tool made was adopted as a console key.
    Adopt,
    /// The console's snapshot of the vault was refreshed by hand.
    Refresh,
    /// A step of provisioning this vault (resource group, vault, role assignment, diagnostic
    /// settings) as the console did or found it.
    Provision,
    /// A custom vendor was created, changed or removed.
    VendorChange,
}

impl AuditAction {
    pub const ALL: [AuditAction; 28] = [
        AuditAction::Connect,
        AuditAction::Disconnect,
        AuditAction::Add,
        AuditAction::Retrieve,
        AuditAction::Test,
        AuditAction::Rotate,
        AuditAction::Restore,
        AuditAction::Update,
        AuditAction::Distribute,
        AuditAction::ProfileChange,
        AuditAction::Disable,
        AuditAction::Enable,
        AuditAction::Delete,
        AuditAction::Recover,
        AuditAction::Purge,
        AuditAction::Export,
        AuditAction::Report,
        AuditAction::LogRecovery,
        AuditAction::TamperDetected,
        AuditAction::TamperAcknowledged,
        AuditAction::InstallationAcknowledged,
        AuditAction::PolicyBootstrap,
        AuditAction::RosterChange,
        AuditAction::ChangedOutside,
        AuditAction::Adopt,
        AuditAction::Refresh,
        AuditAction::Provision,
        AuditAction::VendorChange,
    ];

    /// The stored id (kebab-case, as in the JSON line and the CSV).
    pub fn id(self) -> &'static str {
        match self {
            AuditAction::Connect => "connect",
            AuditAction::Disconnect => "disconnect",
            AuditAction::Add => "add",
            AuditAction::Retrieve => "retrieve",
            AuditAction::Test => "test",
            AuditAction::Rotate => "rotate",
            AuditAction::Restore => "restore",
            AuditAction::Update => "update",
            AuditAction::Distribute => "distribute",
            AuditAction::ProfileChange => "profile-change",
            AuditAction::Disable => "disable",
            AuditAction::Enable => "enable",
            AuditAction::Delete => "delete",
            AuditAction::Recover => "recover",
            AuditAction::Purge => "purge",
            AuditAction::Export => "export",
            AuditAction::Report => "report",
            AuditAction::LogRecovery => "log-recovery",
            AuditAction::TamperDetected => "tamper-detected",
            AuditAction::TamperAcknowledged => "tamper-acknowledged",
            AuditAction::InstallationAcknowledged => "installation-acknowledged",
            AuditAction::PolicyBootstrap => "policy-bootstrap",
            AuditAction::RosterChange => "roster-change",
            AuditAction::ChangedOutside => "changed-outside",
            AuditAction::Adopt => "adopt",
            AuditAction::Refresh => "refresh",
            AuditAction::Provision => "provision",
            AuditAction::VendorChange => "vendor-change",
        }
    }

    /// What happened, in the plain words the Audit Log tab shows ("Copied", not "retrieve"); the
    /// stored id stays [`AuditAction::id`].
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::Connect => "Connected",
            AuditAction::Disconnect => "Disconnected",
            AuditAction::Add => "Added a key",
            AuditAction::Retrieve => "Copied",
            AuditAction::Test => "Tested",
            AuditAction::Rotate => "Rotated",
            AuditAction::Restore => "Restored a version",
            AuditAction::Update => "Changed settings",
            AuditAction::Distribute => "Changed role access",
            AuditAction::ProfileChange => "Changed profile",
            AuditAction::Disable => "Disabled",
            AuditAction::Enable => "Enabled",
            AuditAction::Delete => "Deleted",
            AuditAction::Recover => "Recovered",
            AuditAction::Purge => "Purged for good",
            AuditAction::Export => "Exported",
            AuditAction::Report => "Printed a report",
            AuditAction::LogRecovery => "Repaired the log after a crash",
            AuditAction::TamperDetected => "Tampering detected",
            AuditAction::TamperAcknowledged => "Tampering acknowledged",
            AuditAction::InstallationAcknowledged => "New installation acknowledged",
            AuditAction::PolicyBootstrap => "Became the vault's first Admin",
            AuditAction::RosterChange => "Changed the roster",
            AuditAction::ChangedOutside => "Changed outside the console",
            AuditAction::Adopt => "Adopted a secret",
            AuditAction::Refresh => "Refreshed",
            AuditAction::Provision => "Provisioned the vault",
            AuditAction::VendorChange => "Changed a custom vendor",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Outcome {
    Ok,
    /// Stopped by the console's own rules (role, confirmation) before anything was sent.
    Refused,
    /// Attempted and failed (the entry's `error_code` says how).
    Failed,
}

impl Outcome {
    pub fn id(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// What the caller records; the log adds sequence, timestamp and hashes. Plain strings from
/// metadata only (see the module comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub action: AuditAction,
    /// Vendor id, e.g. `ninjaone`.
    pub vendor: Option<String>,
    /// Key Vault secret name, e.g. `ninjaone--eu`.
    pub key_name: Option<String>,
    pub outcome: Outcome,
    /// Named error code (e.g. `forbidden-by-rbac`) when refused or failed.
    pub error_code: Option<String>,
    pub note: String,
}

impl NewEntry {
    /// A successful action with no vendor, key or note yet.
    pub fn new(action: AuditAction) -> Self {
        NewEntry {
            action,
            vendor: None,
            key_name: None,
            outcome: Outcome::Ok,
            error_code: None,
            note: String::new(),
        }
    }

    pub fn vendor(mut self, vendor: impl Into<String>) -> Self {
        self.vendor = Some(vendor.into());
        self
    }

    pub fn key_name(mut self, key_name: impl Into<String>) -> Self {
        self.key_name = Some(key_name.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    pub fn refused(mut self, error_code: impl Into<String>) -> Self {
        self.outcome = Outcome::Refused;
        self.error_code = Some(error_code.into());
        self
    }

    pub fn failed(mut self, error_code: impl Into<String>) -> Self {
        self.outcome = Outcome::Failed;
        self.error_code = Some(error_code.into());
        self
    }
}

/// Who did it: the technician's name and role, and how the console knows who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: String,
    pub role: String,
    /// `entra` (signed in: name, UPN and object id come from a verified token), `unverified`
    /// (app-secret mode: the name was typed at the console) or `demo`.
    pub identity: Option<String>,
    pub upn: Option<String>,
    pub oid: Option<String>,
}

/// Where a log's entries happen: the client, its vault and this installation. Set once per log
/// and written into every entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogContext {
    pub client: Option<String>,
    pub vault: Option<String>,
    pub installation: Option<String>,
}

/// One recorded action, as the UI lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditEntry {
    /// 1, 2, 3, ... in file order.
    pub seq: u64,
    /// UTC, millisecond precision (the caller's `now`, truncated).
    pub timestamp: DateTime<Utc>,
    pub action: AuditAction,
    pub vendor: Option<String>,
    pub key_name: Option<String>,
    pub user: String,
    /// `entra`, `unverified` or `demo`; absent in entries written before format 2.
    pub identity: Option<String>,
    pub upn: Option<String>,
    pub oid: Option<String>,
    pub role: String,
    pub client: Option<String>,
    pub vault: Option<String>,
    pub installation: Option<String>,
    pub outcome: Outcome,
    pub error_code: Option<String>,
    pub note: String,
    /// Hex SHA-256 of the previous entry's canonical form (64 zeros for #1).
    pub prev_hash: String,
    /// Hex SHA-256 of this entry's canonical form.
    pub hash: String,
}

/// The chain head the caller stores in the vault after each append, and passes back to verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Anchor {
    pub seq: u64,
    pub hash: String,
}

impl Anchor {
    /// "Before entry #1": where every log's first segment starts.
    pub fn genesis() -> Anchor {
        Anchor {
            seq: 0,
            hash: GENESIS_HASH.to_string(),
        }
    }
}

/// An incomplete last line found (and moved aside) when the log was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TornTail {
    pub bytes: u64,
    /// The `.torn` file next to the log that now holds those bytes.
    pub moved_to: String,
}

/// What opening the log found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OpenReport {
    /// The file did not exist and was created.
    pub created: bool,
    /// Readable entries loaded.
    pub entries: u64,
    /// Complete lines that could not be read (left in place; verify reports them).
    pub unreadable_lines: u64,
    pub torn_tail: Option<TornTail>,
}

enum Store {
    /// Demo mode: the bytes a file would hold.
    Memory(Vec<u8>),
    File(file::FileLog),
}

pub struct AuditLog {
    entries: Vec<AuditEntry>,
    store: Store,
    /// A torn tail moved aside at open, recorded by the next append.
    pending_recovery: Option<TornTail>,
    context: LogContext,
    /// Where the chain starts when the log is empty: genesis, or the vault-anchored head a new
    /// segment links to (after tampering was detected).
    start: Anchor,
}

impl AuditLog {
    /// Demo mode: same API, nothing touches the disk.
    pub fn in_memory() -> AuditLog {
        AuditLog {
            entries: Vec::new(),
            store: Store::Memory(Vec::new()),
            pending_recovery: None,
            context: LogContext::default(),
            start: Anchor::genesis(),
        }
    }

    /// Open (or create) the vault's log file, repairing a torn last line (see the module comment).
    pub fn open(path: &Path) -> Result<(AuditLog, OpenReport), AuditError> {
        let opened = file::open(path)?;
        let log = AuditLog {
            entries: opened.entries,
            store: Store::File(opened.log),
            pending_recovery: opened.report.torn_tail.clone(),
            context: LogContext::default(),
            start: Anchor::genesis(),
        };
        Ok((log, opened.report))
    }

    /// Name the client, vault and installation in every entry written from now on.
    pub fn set_context(&mut self, context: LogContext) {
        self.context = context;
    }

    pub fn context(&self) -> &LogContext {
        &self.context
    }

    /// Start an empty log as a new chain segment linked to `link` (the last entry the vault's
    /// anchor vouches for), instead of at genesis. Only for a log with no entries yet.
    pub fn link_to(&mut self, link: Anchor) -> Result<(), AuditError> {
        if !self.entries.is_empty() {
            return Err(AuditError::NotEmpty);
        }
        self.start = link;
        Ok(())
    }

    /// The log file, or `None` in demo mode.
    pub fn path(&self) -> Option<&Path> {
        match &self.store {
            Store::Memory(_) => None,
            Store::File(file) => Some(file.path()),
        }
    }

    /// Record one action durably (written and fsynced before this returns). Returns the stored
    /// entry; on error nothing was recorded.
    pub fn append(
        &mut self,
        entry: NewEntry,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<AuditEntry, AuditError> {
        let first = self.commit(vec![entry], actor, now)?;
        Ok(self.entries[first].clone())
    }

    /// Record several actions (e.g. a bulk rotation, one entry per key) with one write and one
    /// fsync, all or nothing. Returns the stored entries in order.
    pub fn append_batch(
        &mut self,
        entries: Vec<NewEntry>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<AuditEntry>, AuditError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let first = self.commit(entries, actor, now)?;
        Ok(self.entries[first..].to_vec())
    }

    /// Seal `new` onto the chain (after a pending log-recovery entry, if any), write the lines in
    /// one go and keep them. Returns the index in `entries` of the first of `new`.
    fn commit(
        &mut self,
        new: Vec<NewEntry>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<usize, AuditError> {
        let mut to_write = Vec::with_capacity(new.len() + 1);
        if let Some(torn) = &self.pending_recovery {
            let moved_to = Path::new(&torn.moved_to)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| torn.moved_to.clone());
            to_write.push(NewEntry::new(AuditAction::LogRecovery).note(format!(
                "The log's last line was incomplete after an interrupted write; its {} bytes were \
                 moved to {moved_to} when the log was opened.",
                torn.bytes
            )));
        }
        let recovery_count = to_write.len();
        to_write.extend(new);

        let timestamp = now.trunc_subsecs(3);
        let stamp = format_timestamp(timestamp);
        let (mut seq, mut prev_hash) = match self.entries.last() {
            // A line read from disk can carry any number: never let it wrap or panic.
            Some(last) => (
                last.seq
                    .checked_add(1)
                    .ok_or(AuditError::SequenceExhausted { last: last.seq })?,
                last.hash.clone(),
            ),
            None => (
                self.start
                    .seq
                    .checked_add(1)
                    .ok_or(AuditError::SequenceExhausted {
                        last: self.start.seq,
                    })?,
                self.start.hash.clone(),
            ),
        };
        let mut lines = Vec::new();
        let mut sealed = Vec::with_capacity(to_write.len());
        for entry in to_write {
            let record = LineRecord {
                v: FORMAT_VERSION,
                seq,
                timestamp: stamp.clone(),
                action: entry.action,
                vendor: entry.vendor,
                key_name: entry.key_name,
                user: actor.user.clone(),
                identity: actor.identity.clone(),
                upn: actor.upn.clone(),
                oid: actor.oid.clone(),
                role: actor.role.clone(),
                client: self.context.client.clone(),
                vault: self.context.vault.clone(),
                installation: self.context.installation.clone(),
                outcome: entry.outcome,
                error_code: entry.error_code,
                note: entry.note,
                prev_hash,
                hash: String::new(),
            }
            .seal()
            .map_err(|e| AuditError::Encode(e.to_string()))?;
            lines.extend_from_slice(
                &record
                    .to_line()
                    .map_err(|e| AuditError::Encode(e.to_string()))?,
            );
            seq = seq
                .checked_add(1)
                .ok_or(AuditError::SequenceExhausted { last: seq })?;
            prev_hash = record.hash.clone();
            sealed.push(AuditEntry {
                seq: record.seq,
                timestamp,
                action: record.action,
                vendor: record.vendor,
                key_name: record.key_name,
                user: record.user,
                identity: record.identity,
                upn: record.upn,
                oid: record.oid,
                role: record.role,
                client: record.client,
                vault: record.vault,
                installation: record.installation,
                outcome: record.outcome,
                error_code: record.error_code,
                note: record.note,
                prev_hash: record.prev_hash,
                hash: record.hash,
            });
        }

        match &mut self.store {
            Store::Memory(bytes) => bytes.extend_from_slice(&lines),
            Store::File(file) => file.append_lines(&lines)?,
        }
        self.pending_recovery = None;
        let first = self.entries.len() + recovery_count;
        self.entries.extend(sealed);
        Ok(first)
    }

    /// Entries loaded at open plus those appended since, oldest first.
    pub fn entries(&self) -> &[AuditEntry] {
        &self.entries
    }

    /// Whether this log's chain runs through `base` (the head the vault vouched for when the
    /// session began): its start link, or an entry with that number and hash. Anchoring a head
    /// that does not would let a tampered log overwrite the evidence.
    pub fn extends(&self, base: &Anchor) -> bool {
        if self.start == *base {
            return true;
        }
        let Some(first) = self.entries.first() else {
            return false;
        };
        base.seq
            .checked_sub(first.seq)
            .and_then(|index| usize::try_from(index).ok())
            .and_then(|index| self.entries.get(index))
            .is_some_and(|entry| entry.seq == base.seq && entry.hash == base.hash)
    }

    /// The chain head to anchor in the vault; `None` while the log is empty.
    pub fn head(&self) -> Option<Anchor> {
        self.entries.last().map(|last| Anchor {
            seq: last.seq,
            hash: last.hash.clone(),
        })
    }

    /// Re-read the log (from disk for a file log) and check the chain from genesis, and the
    /// anchor if given.
    pub fn verify(&self, anchor: Option<&Anchor>) -> VerifyReport {
        self.verify_against(&Expectations::from_genesis(anchor))
    }

    /// Re-read the log and check it against what the vault expects (chain start, anchor,
    /// installation).
    pub fn verify_against(&self, expect: &Expectations) -> VerifyReport {
        match &self.store {
            Store::Memory(bytes) => verify::verify_bytes(bytes, expect),
            Store::File(file) => match std::fs::read(file.path()) {
                Ok(bytes) => verify::verify_bytes(&bytes, expect),
                Err(e) => VerifyReport::unreadable_file(&e.to_string(), expect),
            },
        }
    }

    /// The audit CSV: the entries held by this log plus the given verification result.
    pub fn to_csv(&self, report: &VerifyReport) -> Vec<u8> {
        csv::render(&self.entries, report)
    }
}
