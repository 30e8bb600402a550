//! Trusting the audit log: before the first entry of every session the whole local chain is
//! verified against what the vault holds — this installation's anchor and its record in the
//! vault's registry — and a mismatch is never papered over.
//!
//! On a mismatch (an edited, cut, rewritten or deleted log, a missing anchor, another
//! installation's log) the anchor the log was compared with is left exactly as the vault had it.
//! The old file is kept aside as evidence, and a new chain segment begins whose first entry,
//! `tamper-detected`, links to the last head the vault vouched for; the segment gets its own
//! anchor and a record in the registry. Verify stays red, and the window shows a banner, until an
//! Admin acknowledges it (an entry, and a mark in the registry).
//!
//! What this cannot make hard: an identity that may write the vault's console documents (with a
//! shared app secret, anyone holding it) can rewrite the anchor and the registry too. Key Vault
//! keeps every version of them, and its own diagnostic logs record who wrote them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{AuditResult, Console, NoticeLevel, Operator, TrustedEntries};
use crate::audit::registry::{InstallationRecord, Segment};
use crate::audit::{
    Anchor, AnchorExpectation, AuditAction, AuditLog, Expectations, Problem, ProblemKind,
    VerifyReport,
};
use crate::domain::policy::{AdminAction, check_admin};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::ConsoleDocument;

/// The banner the window shows while a detected tampering is not acknowledged. Also kept on
/// disk next to the log while the vault could not record the tampering (see `installations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TamperAlert {
    pub detected_at: String,
    pub detected_by: String,
    /// What verification found.
    pub problem: String,
    /// Where the old log was kept on this PC ("" when it could not be moved aside).
    pub evidence_file: String,
    /// The entry of the vault's anchor the new segment links to.
    pub linked_seq: u64,
    /// False while the vault could not record the segment (refused, unreachable, failed): the
    /// session anchors nothing and the next connect that can records it.
    pub recorded_in_vault: bool,
}

/// One installation as Verify lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct InstallationHead {
    pub id: String,
    pub this_pc: bool,
    pub host: String,
    pub first_seen: Option<String>,
    pub first_operator: Option<String>,
    pub last_seen: Option<String>,
    /// The last entry the vault's anchor holds, and when it was written.
    pub head_seq: Option<u64>,
    pub head_at: Option<String>,
    /// First seen within the last 14 days (or not in the registry at all).
    pub new: bool,
    /// Anchors for it exist but the registry does not know it.
    pub unregistered: bool,
    pub segments: usize,
    pub unacknowledged: usize,
}

/// A tampering detected on this installation, for Verify's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SegmentView {
    pub number: u32,
    pub detected_at: String,
    pub detected_by: String,
    pub problem: String,
    pub evidence_file: String,
    pub linked_seq: u64,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
}

/// What the Verify button shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Verification {
    pub report: VerifyReport,
    /// Every installation that keeps a log for this vault (empty in demo mode).
    pub installations: Vec<InstallationHead>,
    /// Tampering detected on this installation, oldest first.
    pub segments: Vec<SegmentView>,
    /// Whether the operator may acknowledge an open tampering (Admin).
    pub can_acknowledge: bool,
    /// When Verify fails: what to do now, in words (see `audit::next_step`).
    pub next_step: Option<String>,
}

impl Verification {
    fn with_next_step(mut self) -> Verification {
        self.next_step = self
            .report
            .problem
            .as_ref()
            .map(|problem| super::audit::next_step(problem, self.can_acknowledge));
        self
    }
}

/// What the vault says this installation's log must look like.
pub(super) struct VaultEvidence {
    /// This installation's record (`None`: not registered yet).
    pub record: Option<InstallationRecord>,
    /// The record could not be read (present but damaged).
    pub record_damaged: bool,
    pub segment: Option<Segment>,
    pub anchor: Option<Anchor>,
    pub expect: Expectations,
}

fn alert_from(segment: &Segment, recorded: bool) -> TamperAlert {
    TamperAlert {
        detected_at: segment.detected_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        detected_by: segment.detected_by.clone(),
        problem: segment.problem.clone(),
        evidence_file: segment.evidence_file.clone(),
        linked_seq: segment.linked.seq,
        recorded_in_vault: recorded,
    }
}

fn is_forbidden(error: &AppError) -> bool {
    matches!(
        error.code,
        ErrorCode::ForbiddenByRbac | ErrorCode::ForbiddenByPolicy | ErrorCode::Forbidden
    )
}

fn not_intact(
    report: &mut VerifyReport,
    kind: ProblemKind,
    seq: Option<u64>,
    summary: &str,
    message: String,
) {
    report.intact = false;
    report.summary = summary.to_string();
    report.problem = Some(Problem {
        kind,
        seq,
        line: None,
        message,
    });
}

impl Console {
    fn anchor_document_for(&self, segment: u32) -> ConsoleDocument {
        ConsoleDocument::AuditAnchor {
            console_id: self.installation().to_string(),
            segment,
        }
    }

    async fn read_anchor(&self, document: &ConsoleDocument) -> AppResult<Option<Anchor>> {
        match self.store.read_document(document).await? {
            Some(json) => serde_json::from_str(&json).map(Some).map_err(|e| {
                AppError::new(
                    ErrorCode::AuditTampered,
                    format!("The audit anchor stored in the vault could not be read ({e})."),
                    "Someone may have changed the console's audit anchor secret; treat the log as suspect and look at the secret's versions in the vault.",
                )
            }),
            None => Ok(None),
        }
    }

    pub(super) async fn vault_evidence(&self) -> AppResult<VaultEvidence> {
        let (record, record_damaged) = self.read_own_record().await?;
        let segment = record
            .as_ref()
            .and_then(InstallationRecord::current_segment)
            .cloned();
        let document = self.anchor_document_for(segment.as_ref().map_or(0, |s| s.number));
        let anchor = self.read_anchor(&document).await?;
        let start = segment
            .as_ref()
            .map(|s| s.linked.clone())
            .unwrap_or_else(Anchor::genesis);
        let expect = Expectations {
            anchor: match (&anchor, &segment) {
                (Some(anchor), _) => AnchorExpectation::Present(anchor.clone()),
                // A segment whose own anchor was never written: nothing of it is vouched for
                // beyond the head it links to.
                (None, Some(segment)) => AnchorExpectation::Present(segment.linked.clone()),
                (None, None) => AnchorExpectation::Missing,
            },
            start,
            installation: Some(self.installation().to_string()),
        };
        self.set_anchor_document(document);
        Ok(VaultEvidence {
            record,
            record_damaged,
            segment,
            anchor,
            expect,
        })
    }

    /// Before the first entry of a session: verify the local chain against the vault; register
    /// this installation; on a mismatch begin a new segment (see the module comment). Returns the
    /// alert to show, if any. Demo mode has nothing to compare with.
    ///
    /// Until this has run the session anchors nothing; afterwards only heads that extend the one
    /// the vault vouched for. When a tampering cannot be recorded in the vault (refused, 5xx,
    /// timeout, dropped connection, over a limit), the session anchors nothing at all and the
    /// alert is kept on disk, so the next connect that reaches the vault records it.
    pub async fn open_session_trust(
        &self,
        operator: &Operator,
        host: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Option<TamperAlert>> {
        if self.is_demo() {
            return Ok(None);
        }
        let pending = self.read_pending_alert();
        let view = self.vault_evidence().await?;
        let report = self.audit_log().verify_against(&view.expect);
        let next_seq = self
            .audit_log()
            .head()
            .map_or(view.expect.start.seq + 1, |head| head.seq + 1);
        let mut record = view
            .record
            .clone()
            .unwrap_or_else(|| InstallationRecord::new(operator.who(), host, now));
        record.seen(operator.who(), host, now);

        if report.intact && pending.is_none() {
            let vouched = match &view.expect.anchor {
                AnchorExpectation::Present(anchor) => anchor.clone(),
                _ => view.expect.start.clone(),
            };
            self.set_trusted(TrustedEntries {
                vouched_through: Some(vouched.seq),
                written_from: next_seq,
                unvouched: record.unvouched.clone(),
            });
            // Entries past the anchor are chained but the vault never saw them: it records that
            // before this session's anchor covers them.
            let tail = next_seq.saturating_sub(1);
            let adopting = tail > vouched.seq;
            if adopting {
                record.add_unvouched(vouched.seq + 1, tail);
            }
            let alert = view
                .segment
                .as_ref()
                .filter(|s| s.acknowledged.is_none())
                .map(|s| alert_from(s, true));
            match self.write_own_record(&record).await {
                Ok(()) => self.set_vouched(Some(vouched)),
                Err(error) => {
                    self.anchoring_unavailable(&error);
                    // Without that record, anchoring the tail would make it look vouched for.
                    self.set_vouched((!adopting).then_some(vouched));
                }
            }
            self.set_tamper_alert(alert.clone());
            return Ok(alert);
        }

        let problem = match (&report.problem, &pending) {
            (Some(problem), _) if !report.intact => problem.message.clone(),
            (_, Some(pending)) => format!(
                "{} (Found on {}, when the vault could not record it.)",
                pending.problem, pending.detected_at
            ),
            _ => report.summary.clone(),
        };
        let problem = if view.record_damaged {
            format!("{problem} (The vault's record of this installation could not be read either.)")
        } else {
            problem
        };
        // The last head the vault vouches for: its anchor, or where the current segment starts.
        let linked = view
            .anchor
            .clone()
            .unwrap_or_else(|| view.expect.start.clone());
        let evidence = self.evidence_path(now);
        let number = record.begin_segment(linked.clone(), operator.who(), &problem, &evidence, now);
        if let Err(error) = self.write_own_record(&record).await {
            // Nothing in the vault says this log was found tampered, so nothing of it may be
            // anchored either: an anchor of this head would make the next connect call it intact.
            self.set_vouched(None);
            self.set_trusted(TrustedEntries::written_from(next_seq));
            if is_forbidden(&error) {
                self.anchoring_unavailable(&error);
            }
            let alert = TamperAlert {
                detected_at: pending.as_ref().map_or_else(
                    || now.format("%Y-%m-%d %H:%M UTC").to_string(),
                    |p| p.detected_at.clone(),
                ),
                detected_by: operator.who().to_string(),
                problem,
                evidence_file: String::new(),
                linked_seq: linked.seq,
                recorded_in_vault: false,
            };
            if let Err(kept) = self.keep_pending_alert(&alert) {
                self.notify(
                    NoticeLevel::Error,
                    kept.message.clone(),
                    Some(kept.hint.clone()),
                );
            }
            self.notify(
                NoticeLevel::Error,
                format!(
                    "The audit log on this PC does not match the vault, and the vault could not record that ({}). Nothing is anchored this session.",
                    error.message
                ),
                Some("Verify stays red. The next connect that reaches the vault records the tampering and keeps the old log as evidence.".into()),
            );
            self.set_tamper_alert(Some(alert.clone()));
            return Ok(Some(alert));
        }
        let moved = self.start_segment(linked.clone(), &evidence);
        if let Err(error) = &moved {
            self.notify(
                NoticeLevel::Error,
                error.message.clone(),
                Some(error.hint.clone()),
            );
        }
        self.set_anchor_document(self.anchor_document_for(number));
        self.set_trusted(TrustedEntries::written_from(if moved.is_ok() {
            linked.seq + 1
        } else {
            next_seq
        }));
        self.set_vouched(Some(linked.clone()));
        let note = format!(
            "{problem} The log on this PC was kept as {} and a new chain begins here, linked to entry #{} that the vault's anchor vouches for.",
            if moved.is_ok() {
                evidence.as_str()
            } else {
                "(could not be moved aside)"
            },
            linked.seq
        );
        self.record(
            operator,
            AuditAction::TamperDetected,
            None,
            None,
            AuditResult::Failed("audit-tampered".into()),
            note,
        )
        .await;
        let recorded = self
            .audit_log()
            .entries()
            .last()
            .is_some_and(|e| e.action == AuditAction::TamperDetected);
        if recorded {
            self.clear_pending_alert();
        }
        let alert = record.current_segment().map(|s| alert_from(s, true));
        self.set_tamper_alert(alert.clone());
        Ok(alert)
    }

    /// `<log>.tampered-<time>.jsonl` next to the log.
    fn evidence_path(&self, now: DateTime<Utc>) -> String {
        let log = self.audit_log();
        let Some(path) = log.path() else {
            return String::new();
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "audit".into());
        path.with_file_name(format!(
            "{stem}.tampered-{}.jsonl",
            now.format("%Y%m%dT%H%M%SZ")
        ))
        .display()
        .to_string()
    }

    /// Keep the current log file as evidence and continue in a new, empty file whose chain links
    /// to `linked`.
    fn start_segment(&self, linked: Anchor, evidence: &str) -> AppResult<()> {
        let failed = |e: String| {
            AppError::new(
                ErrorCode::AuditWriteFailed,
                format!("The tampered audit log could not be moved aside ({e})."),
                "Check that the console may write in its app-data folder; the new entries continue in the same file.",
            )
        };
        let mut log = self.audit_log();
        let Some(path) = log.path().map(std::path::Path::to_path_buf) else {
            return Ok(());
        };
        let context = log.context().clone();
        // Close the file (and its lock) before moving it.
        *log = AuditLog::in_memory();
        let renamed = std::fs::rename(&path, evidence);
        let (mut fresh, _) = AuditLog::open(&path).map_err(|e| failed(e.to_string()))?;
        fresh.set_context(context);
        if renamed.is_ok() {
            fresh.link_to(linked).map_err(|e| failed(e.to_string()))?;
        }
        *log = fresh;
        renamed.map_err(|e| failed(e.to_string()))
    }

    /// Acknowledge the open tampering of this installation (Admin only): marked in the vault's
    /// record of the installation and recorded as an entry. Verify turns green again if the new
    /// segment is intact.
    pub async fn acknowledge_tamper(&self, operator: &Operator) -> AppResult<Verification> {
        if let Err(error) = check_admin(operator.role, AdminAction::AcknowledgeTamper) {
            self.record(
                operator,
                AuditAction::TamperAcknowledged,
                None,
                None,
                Err(&error),
                "",
            )
            .await;
            return Err(error);
        }
        let view = self.vault_evidence().await?;
        let mut record = view
            .record
            .unwrap_or_else(|| InstallationRecord::new(operator.who(), "", Utc::now()));
        let count = record.acknowledge(&operator.name, operator.upn.as_deref(), Utc::now());
        if count == 0 {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "There is no open tampering to acknowledge on this PC.",
                "Verify shows the log's state; nothing was changed.",
            ));
        }
        let result = self.write_own_record(&record).await;
        self.record(
            operator,
            AuditAction::TamperAcknowledged,
            None,
            None,
            result.as_ref().map(|_| ()),
            format!(
                "{count} detected tampering{} acknowledged",
                if count == 1 { "" } else { "s" }
            ),
        )
        .await;
        result?;
        self.set_tamper_alert(None);
        self.verify_audit(operator).await
    }

    /// Verify: the chain on disk against the vault's anchor and this installation's record, an
    /// open tampering (recorded in the vault or still pending on disk), a new installation on a
    /// computer that already kept a log, and every installation's head.
    pub async fn verify_audit(&self, operator: &Operator) -> AppResult<Verification> {
        let mut can_acknowledge = operator.role == Some(crate::domain::policy::Role::Admin);
        if self.is_demo() {
            return Ok(Verification {
                report: self.audit_log().verify(None),
                installations: Vec::new(),
                segments: Vec::new(),
                can_acknowledge,
                next_step: None,
            }
            .with_next_step());
        }
        let view = self.vault_evidence().await?;
        let mut report = self.audit_log().verify_against(&view.expect);
        let open = view.record.as_ref().filter(|r| r.open_segments() > 0);
        let pending = self.read_pending_alert();
        if pending.is_some() && open.is_none() {
            // Nothing in the vault to acknowledge yet: the next healthy connect records it first.
            can_acknowledge = false;
        }
        if !report.intact {
            // The file's own problem says most.
        } else if let Some(record) = open {
            let (seq, when, problem) = match record
                .segments
                .iter()
                .rev()
                .find(|s| s.acknowledged.is_none())
            {
                Some(s) => (
                    Some(s.linked.seq + 1),
                    s.detected_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    s.problem.clone(),
                ),
                None => (
                    None,
                    "an earlier date".into(),
                    "the log no longer matched.".into(),
                ),
            };
            not_intact(
                &mut report,
                ProblemKind::TamperUnacknowledged,
                seq,
                "Not intact: tampering was detected on this PC and no Admin has acknowledged it yet.",
                format!(
                    "On {when} the log on this PC no longer matched the vault: {problem} The entries written since then are intact; an Admin must acknowledge the tampering."
                ),
            );
        } else if let Some(pending) = &pending {
            not_intact(
                &mut report,
                ProblemKind::TamperUnacknowledged,
                Some(pending.linked_seq + 1),
                "Not intact: tampering was detected on this PC and the vault has not recorded it yet.",
                format!(
                    "On {} the log on this PC no longer matched the vault: {} The vault could not record it then; the next connect that reaches the vault does.",
                    pending.detected_at, pending.problem
                ),
            );
        } else if let Some(record) = view
            .record
            .as_ref()
            .filter(|r| r.known_host_acknowledged.is_none())
            && let Some((id, earlier)) = self.earlier_installation_on_host(record).await
        {
            not_intact(
                &mut report,
                ProblemKind::NewInstallationOnKnownHost,
                None,
                "Not intact: this is a new installation on a computer that already kept a log for this vault.",
                format!(
                    "Computer {} kept this vault's log as installation {id} (first used by {}{}), but this installation began on {} with an empty log: the earlier log or its settings may have been deleted. An Admin must acknowledge this installation.",
                    record.host,
                    earlier.first_operator,
                    earlier
                        .last_seen
                        .map(|t| format!(", last seen {}", t.format("%Y-%m-%d %H:%M UTC")))
                        .unwrap_or_default(),
                    record.first_seen.format("%Y-%m-%d %H:%M UTC"),
                ),
            );
        }
        let segments = view
            .record
            .as_ref()
            .map(|record| {
                record
                    .segments
                    .iter()
                    .map(|s| SegmentView {
                        number: s.number,
                        detected_at: s.detected_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                        detected_by: s.detected_by.clone(),
                        problem: s.problem.clone(),
                        evidence_file: s.evidence_file.clone(),
                        linked_seq: s.linked.seq,
                        acknowledged_by: s.acknowledged.as_ref().map(|a| a.by.clone()),
                        acknowledged_at: s
                            .acknowledged
                            .as_ref()
                            .map(|a| a.at.format("%Y-%m-%d %H:%M UTC").to_string()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let installations = self.installation_heads(view.record.as_ref()).await;
        Ok(Verification {
            report,
            installations,
            segments,
            can_acknowledge,
            next_step: None,
        }
        .with_next_step())
    }
}

/// The head's tags on the anchor secret: a listing shows every installation's head without
/// reading a value.
pub(crate) fn anchor_tags(
    anchor: &Anchor,
    installation: &str,
) -> std::collections::HashMap<String, String> {
    [
        ("seq", anchor.seq.to_string()),
        ("hash", anchor.hash.clone()),
        ("installation", installation.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

pub(crate) fn forbidden(error: &AppError) -> bool {
    is_forbidden(error)
}
