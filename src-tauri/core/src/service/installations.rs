//! The vault's record of each installation (one document each, see `audit::registry`), the
//! list Verify shows of every installation keeping a log for the vault, the flag on a new
//! installation on a computer that already kept one (its history may have been deleted) with
//! its Admin acknowledgement, and the alert kept on disk while the vault could not record a
//! detected tampering.

use std::io::Write;
use std::path::PathBuf;

use chrono::Utc;

use super::trust::{InstallationHead, TamperAlert, Verification};
use super::{Console, Operator, format_date};
use crate::audit::AuditAction;
use crate::audit::registry::{AuditRegistry, InstallationRecord, InstallationSummary};
use crate::domain::policy::Role;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{ANCHOR_PREFIX, ConsoleDocument, DocumentInfo, INSTALLATION_PREFIX};

/// Installations first seen this recently are marked "new" in Verify's list.
const NEW_INSTALLATION_DAYS: i64 = 14;

impl Console {
    fn own_record_document(&self) -> ConsoleDocument {
        ConsoleDocument::AuditInstallation {
            console_id: self.installation().to_string(),
        }
    }

    /// The shared registry of older consoles, when the last listing shows one.
    async fn legacy_registry(&self) -> Option<AuditRegistry> {
        let name = ConsoleDocument::AuditRegistry.secret_name();
        if !self.cached_documents().iter().any(|d| d.name == name) {
            return None;
        }
        match self
            .store
            .read_document(&ConsoleDocument::AuditRegistry)
            .await
        {
            Ok(Some(json)) => AuditRegistry::from_json(&json).ok(),
            _ => None,
        }
    }

    /// This installation's record in the vault, and whether a stored one could not be read.
    /// An installation registered by an older console is carried over from the shared document.
    pub(super) async fn read_own_record(&self) -> AppResult<(Option<InstallationRecord>, bool)> {
        match self
            .store
            .read_document(&self.own_record_document())
            .await?
        {
            Some(json) => match InstallationRecord::from_json(&json) {
                Ok(record) => Ok((Some(record), false)),
                Err(_) => Ok((None, true)),
            },
            None => Ok((
                self.legacy_registry()
                    .await
                    .and_then(|mut r| r.installations.remove(self.installation())),
                false,
            )),
        }
    }

    /// Write this installation's record (its summary also in the tags, for listings).
    pub(super) async fn write_own_record(&self, record: &InstallationRecord) -> AppResult<()> {
        let mut record = record.clone();
        record.compact();
        let document = self.own_record_document();
        let tags = record.tags();
        self.store
            .write_document_tagged(&document, &record.to_json(), &tags)
            .await?;
        self.remember_document(DocumentInfo {
            name: document.secret_name(),
            tags,
            updated: Some(Utc::now()),
        });
        Ok(())
    }

    /// Every other installation the vault knows, by id (from the last listing's tags, and the
    /// shared registry of older consoles for those without a record of their own).
    async fn other_installations(&self) -> Vec<(String, InstallationSummary)> {
        let mut others: Vec<(String, InstallationSummary)> = self
            .cached_documents()
            .iter()
            .filter_map(|d| {
                let id = d.name.strip_prefix(INSTALLATION_PREFIX)?;
                (id != self.installation())
                    .then(|| (id.to_string(), InstallationSummary::from_tags(&d.tags)))
            })
            .collect();
        if let Some(legacy) = self.legacy_registry().await {
            for (id, record) in legacy.installations {
                if id != self.installation() && !others.iter().any(|(known, _)| *known == id) {
                    others.push((id, record.summary()));
                }
            }
        }
        others
    }

    /// An installation on this record's computer that the vault saw before it (the same
    /// computer name, first seen earlier), if any.
    pub(super) async fn earlier_installation_on_host(
        &self,
        record: &InstallationRecord,
    ) -> Option<(String, InstallationSummary)> {
        if record.host.trim().is_empty() {
            return None;
        }
        self.other_installations()
            .await
            .into_iter()
            .filter(|(_, other)| {
                other.host.eq_ignore_ascii_case(&record.host)
                    && other.first_seen.is_none_or(|t| t <= record.first_seen)
            })
            .min_by_key(|(_, other)| other.first_seen)
    }

    /// An Admin accepts this installation although its computer already kept a log for the
    /// vault under another one: marked in the vault's record and recorded as an entry.
    pub async fn acknowledge_installation(&self, operator: &Operator) -> AppResult<Verification> {
        if operator.role != Some(Role::Admin) {
            let error = AppError::new(
                ErrorCode::AdminOnly,
                "Only an Admin may acknowledge a new installation of the console.",
                "Ask an Admin of this console to look at Verify on this PC.",
            );
            self.record(
                operator,
                AuditAction::InstallationAcknowledged,
                None,
                None,
                Err(&error),
                "",
            )
            .await;
            return Err(error);
        }
        let nothing = || {
            AppError::new(
                ErrorCode::InvalidInput,
                "There is no new installation to acknowledge on this PC.",
                "Verify shows the log's state; nothing was changed.",
            )
        };
        let view = self.vault_evidence().await?;
        let mut record = view.record.ok_or_else(nothing)?;
        if record.known_host_acknowledged.is_some() {
            return Err(nothing());
        }
        let (earlier_id, _) = self
            .earlier_installation_on_host(&record)
            .await
            .ok_or_else(nothing)?;
        let now = Utc::now();
        record.known_host_acknowledged = Some(crate::audit::registry::Acknowledgement {
            by: operator.name.clone(),
            upn: operator.upn.clone(),
            at: now,
        });
        let result = self.write_own_record(&record).await;
        self.record(
            operator,
            AuditAction::InstallationAcknowledged,
            None,
            None,
            result.as_ref().map(|_| ()),
            format!(
                "installation {} on computer {} accepted although installation {earlier_id} kept this vault's log there before",
                self.installation(),
                record.host
            ),
        )
        .await;
        result?;
        self.verify_audit(operator).await
    }

    /// Every installation the vault's records or anchors know, with its current head (as of the
    /// last listing; this PC's own is kept current).
    pub(super) async fn installation_heads(
        &self,
        own: Option<&InstallationRecord>,
    ) -> Vec<InstallationHead> {
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
        let mut known: Vec<(String, InstallationSummary)> = self.other_installations().await;
        if let Some(own) = own {
            known.push((self.installation().to_string(), own.summary()));
        }
        let mut heads: Vec<InstallationHead> = known
            .into_iter()
            .map(|(id, summary)| {
                let (head_seq, head_at) = head_of(&id, summary.segment).unwrap_or((None, None));
                InstallationHead {
                    this_pc: id == self.installation(),
                    host: summary.host.clone(),
                    first_seen: summary.first_seen.map(format_date),
                    first_operator: Some(summary.first_operator.clone()),
                    last_seen: summary.last_seen.map(format_date),
                    head_seq,
                    head_at: head_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                    new: summary
                        .first_seen
                        .is_none_or(|t| now - t < chrono::Duration::days(NEW_INSTALLATION_DAYS)),
                    unregistered: false,
                    segments: summary.segments,
                    unacknowledged: summary.open,
                    id,
                }
            })
            .collect();
        // Anchors of installations no record knows (written before records existed, or a
        // record was deleted).
        for document in &documents {
            let Some(rest) = document.name.strip_prefix(ANCHOR_PREFIX) else {
                continue;
            };
            let id = match rest.rsplit_once("-s") {
                Some((id, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => id,
                _ => rest,
            };
            if heads.iter().any(|h| h.id == id) {
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
        heads
    }

    // ----- the alert kept on disk while the vault cannot record a tampering -----

    /// `<vault>.alert.json` next to the log (`None` in demo mode).
    fn pending_alert_path(&self) -> Option<PathBuf> {
        let log = self.audit_log();
        let path = log.path()?;
        let stem = path.file_stem()?.to_string_lossy().into_owned();
        Some(path.with_file_name(format!("{stem}.alert.json")))
    }

    /// A tampering found at an earlier connect that the vault has not recorded yet. A file that
    /// cannot be read still counts: deleting the evidence must not be the way to a green Verify.
    pub(super) fn read_pending_alert(&self) -> Option<TamperAlert> {
        let path = self.pending_alert_path()?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => format!("unreadable: {e}"),
        };
        Some(serde_json::from_str(&text).unwrap_or_else(|_| TamperAlert {
            detected_at: "an earlier connect".into(),
            detected_by: String::new(),
            problem: format!(
                "The alert kept at {} about a tampering the vault could not record was damaged.",
                path.display()
            ),
            evidence_file: String::new(),
            linked_seq: 0,
            recorded_in_vault: false,
        }))
    }

    /// Keep the alert on disk (written to a temporary file, flushed, then renamed over, so a
    /// crash leaves the old alert or the new one, never half of one).
    pub(super) fn keep_pending_alert(&self, alert: &TamperAlert) -> AppResult<()> {
        let Some(path) = self.pending_alert_path() else {
            return Ok(());
        };
        let failed = |e: std::io::Error| {
            AppError::new(
                ErrorCode::AuditWriteFailed,
                format!(
                    "The tamper alert could not be kept at {} ({e}).",
                    path.display()
                ),
                "Check that the console may write in its app-data folder. Verify still compares the log with the vault at every connect.",
            )
        };
        let json = serde_json::to_vec_pretty(alert).unwrap_or_default();
        let temporary = path.with_extension("json.tmp");
        let mut file = std::fs::File::create(&temporary).map_err(failed)?;
        file.write_all(&json).map_err(failed)?;
        crate::files::sync_durably(&file).map_err(failed)?;
        drop(file);
        std::fs::rename(&temporary, &path).map_err(failed)
    }

    /// The vault recorded the tampering and its entry is in the log: the alert's job is done.
    pub(super) fn clear_pending_alert(&self) {
        if let Some(path) = self.pending_alert_path()
            && let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            self.notify(
                super::NoticeLevel::Warning,
                format!(
                    "The tamper alert at {} could not be removed ({e}).",
                    path.display()
                ),
                Some("Verify stays red until it is removed; delete the file by hand.".into()),
            );
        }
    }
}
