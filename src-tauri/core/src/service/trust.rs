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
use serde::Serialize;
use ts_rs::TS;

use super::{AuditResult, Console, NoticeLevel, Operator, format_date};
use crate::audit::registry::{AuditRegistry, Segment};
use crate::audit::{
    Anchor, AnchorExpectation, AuditAction, AuditLog, Expectations, Problem, ProblemKind,
    VerifyReport,
};
use crate::domain::policy::{AdminAction, check_admin};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{ANCHOR_PREFIX, ConsoleDocument};

/// Installations first seen this recently are marked "new" in Verify's list.
const NEW_INSTALLATION_DAYS: i64 = 14;

/// The banner the window shows while a detected tampering is not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
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
    /// False when the vault refused to record the segment (the identity cannot write there).
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
}

/// What the vault says this installation's log must look like.
struct VaultEvidence {
    registry: AuditRegistry,
    /// The registry document could not be read (present but damaged).
    registry_damaged: bool,
    segment: Option<Segment>,
    anchor: Option<Anchor>,
    expect: Expectations,
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

    async fn vault_evidence(&self) -> AppResult<VaultEvidence> {
        let (registry, registry_damaged) = match self
            .store
            .read_document(&ConsoleDocument::AuditRegistry)
            .await?
        {
            None => (AuditRegistry::default(), false),
            Some(json) => match AuditRegistry::from_json(&json) {
                Ok(registry) => (registry, false),
                Err(_) => (AuditRegistry::default(), true),
            },
        };
        let segment = registry.current_segment(self.installation()).cloned();
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
            registry,
            registry_damaged,
            segment,
            anchor,
            expect,
        })
    }

    async fn write_registry(&self, registry: &AuditRegistry) -> AppResult<()> {
        self.store
            .write_document(&ConsoleDocument::AuditRegistry, &registry.to_json())
            .await
    }

    /// Before the first entry of a session: verify the local chain against the vault; register
    /// this installation; on a mismatch begin a new segment (see the module comment). Returns the
    /// alert to show, if any. Demo mode has nothing to compare with.
    pub async fn open_session_trust(
        &self,
        operator: &Operator,
        host: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Option<TamperAlert>> {
        if self.is_demo() {
            return Ok(None);
        }
        let mut view = self.vault_evidence().await?;
        let report = self.audit_log().verify_against(&view.expect);
        view.registry
            .seen(self.installation(), operator.who(), host, now);

        if report.intact {
            let alert = view
                .segment
                .as_ref()
                .filter(|s| s.acknowledged.is_none())
                .map(|s| alert_from(s, true));
            if let Err(error) = self.write_registry(&view.registry).await {
                self.anchoring_unavailable(&error);
            }
            self.set_tamper_alert(alert.clone());
            return Ok(alert);
        }

        let problem = match &report.problem {
            Some(problem) => problem.message.clone(),
            None => report.summary.clone(),
        };
        let problem = if view.registry_damaged {
            format!("{problem} (The vault's audit registry could not be read either.)")
        } else {
            problem
        };
        // The last head the vault vouches for: its anchor, or where the current segment starts.
        let linked = view
            .anchor
            .clone()
            .unwrap_or_else(|| view.expect.start.clone());
        let evidence = self.evidence_path(now);
        let number = view.registry.begin_segment(
            self.installation(),
            linked.clone(),
            operator.who(),
            &problem,
            &evidence,
            now,
        );
        if let Err(error) = self.write_registry(&view.registry).await {
            // The vault cannot record a segment for this identity, so a new chain could not be
            // protected either: keep the log as it is and say so.
            self.anchoring_unavailable(&error);
            let alert = TamperAlert {
                detected_at: now.format("%Y-%m-%d %H:%M UTC").to_string(),
                detected_by: operator.who().to_string(),
                problem,
                evidence_file: String::new(),
                linked_seq: linked.seq,
                recorded_in_vault: false,
            };
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
        let alert = view
            .registry
            .current_segment(self.installation())
            .map(|s| alert_from(s, true));
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
    /// registry and recorded as an entry. Verify turns green again if the new segment is intact.
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
        let mut view = self.vault_evidence().await?;
        let count = view.registry.acknowledge(
            self.installation(),
            &operator.name,
            operator.upn.as_deref(),
            Utc::now(),
        );
        if count == 0 {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "There is no open tampering to acknowledge on this PC.",
                "Verify shows the log's state; nothing was changed.",
            ));
        }
        let result = self.write_registry(&view.registry).await;
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

    /// Verify: the chain on disk against the vault's anchor and registry, an open tampering, and
    /// every installation's head.
    pub async fn verify_audit(&self, operator: &Operator) -> AppResult<Verification> {
        let can_acknowledge = operator.role == Some(crate::domain::policy::Role::Admin);
        if self.is_demo() {
            return Ok(Verification {
                report: self.audit_log().verify(None),
                installations: Vec::new(),
                segments: Vec::new(),
                can_acknowledge,
            });
        }
        let view = self.vault_evidence().await?;
        let mut report = self.audit_log().verify_against(&view.expect);
        if report.intact
            && let Some(segment) = view.segment.as_ref().filter(|s| s.acknowledged.is_none())
        {
            report.intact = false;
            report.summary =
                "Not intact: tampering was detected on this PC and no Admin has acknowledged it yet."
                    .to_string();
            report.problem = Some(Problem {
                kind: ProblemKind::TamperUnacknowledged,
                seq: Some(segment.linked.seq + 1),
                line: None,
                message: format!(
                    "On {} the log on this PC no longer matched the vault: {} The entries written since then are intact; an Admin must acknowledge the tampering.",
                    segment.detected_at.format("%Y-%m-%d %H:%M UTC"),
                    segment.problem
                ),
            });
        }
        let segments = view
            .registry
            .installations
            .get(self.installation())
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
        let installations = self.installation_heads(&view.registry).await?;
        Ok(Verification {
            report,
            installations,
            segments,
            can_acknowledge,
        })
    }

    /// Every installation the registry or the vault's anchors know, with its current head.
    async fn installation_heads(
        &self,
        registry: &AuditRegistry,
    ) -> AppResult<Vec<InstallationHead>> {
        // Every installation's head as of the last listing (this PC's own is kept current).
        let documents = self.cached_documents();
        let now = Utc::now();
        let head_of = |id: &str, segment: u32| {
            let name = ConsoleDocument::AuditAnchor {
                console_id: id.to_string(),
                segment,
            }
            .secret_name();
            documents.iter().find(|d| d.name == name).map(|d| {
                (
                    d.tags.get("seq").and_then(|s| s.parse::<u64>().ok()),
                    d.updated,
                )
            })
        };
        let mut heads: Vec<InstallationHead> = registry
            .installations
            .iter()
            .map(|(id, record)| {
                let segment = record.segments.last().map_or(0, |s| s.number);
                let (head_seq, head_at) = head_of(id, segment).unwrap_or((None, None));
                InstallationHead {
                    id: id.clone(),
                    this_pc: id == self.installation(),
                    host: record.host.clone(),
                    first_seen: Some(format_date(record.first_seen)),
                    first_operator: Some(record.first_operator.clone()),
                    last_seen: record.last_seen.map(format_date),
                    head_seq,
                    head_at: head_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                    new: now - record.first_seen < chrono::Duration::days(NEW_INSTALLATION_DAYS),
                    unregistered: false,
                    segments: record.segments.len(),
                    unacknowledged: record
                        .segments
                        .iter()
                        .filter(|s| s.acknowledged.is_none())
                        .count(),
                }
            })
            .collect();
        // Anchors of installations the registry does not know (written before it existed, or the
        // registry was edited).
        for document in &documents {
            let Some(rest) = document.name.strip_prefix(ANCHOR_PREFIX) else {
                continue;
            };
            let id = match rest.rsplit_once("-s") {
                Some((id, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => id,
                _ => rest,
            };
            if registry.installations.contains_key(id) || heads.iter().any(|h| h.id == id) {
                continue;
            }
            heads.push(InstallationHead {
                id: id.to_string(),
                this_pc: id == self.installation(),
                host: String::new(),
                first_seen: None,
                first_operator: None,
                last_seen: None,
                head_seq: document.tags.get("seq").and_then(|s| s.parse().ok()),
                head_at: document
                    .updated
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                new: true,
                unregistered: true,
                segments: 0,
                unacknowledged: 0,
            });
        }
        heads.sort_by(|a, b| b.this_pc.cmp(&a.this_pc).then_with(|| a.id.cmp(&b.id)));
        Ok(heads)
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
