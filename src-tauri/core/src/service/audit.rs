//! The Audit Log tab: entries newest first with filters, Verify (against the vault's anchor when
//! connected), and the CSV export.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{AuditResult, Console, Operator};
use crate::audit::{AuditAction, AuditEntry};
use crate::error::{AppError, AppResult};

/// The tab shows at most this many matching entries at once (the export has them all).
pub const AUDIT_PAGE: usize = 500;

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditFilter {
    #[serde(default)]
    #[ts(optional)]
    pub action: Option<AuditAction>,
    #[serde(default)]
    #[ts(optional)]
    pub vendor: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub user: Option<String>,
    /// `YYYY-MM-DD`, inclusive (UTC).
    #[serde(default)]
    #[ts(optional)]
    pub from: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditView {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    pub matching: usize,
    pub total: usize,
    /// Values present in the log, for the filter drop-downs.
    pub actions: Vec<AuditAction>,
    pub vendors: Vec<String>,
    pub users: Vec<String>,
    /// Where the log lives (`None` in demo mode: memory only).
    pub location: Option<String>,
    /// Every action's plain words, for the table and the filter.
    pub labels: Vec<AuditActionLabel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditActionLabel {
    pub action: AuditAction,
    pub label: String,
}

pub fn action_labels() -> Vec<AuditActionLabel> {
    AuditAction::ALL
        .into_iter()
        .map(|action| AuditActionLabel {
            action,
            label: action.label().to_string(),
        })
        .collect()
}

/// What to do when Verify fails, by what it found (shown under the result).
pub fn next_step(problem: &crate::audit::Problem, can_acknowledge: bool) -> String {
    use crate::audit::ProblemKind as Kind;
    let entry = problem
        .seq
        .map(|seq| format!("entry #{seq}"))
        .unwrap_or_else(|| "the entry marked below".to_string());
    let acknowledge = if can_acknowledge {
        "then acknowledge it here so a new chain starts"
    } else {
        "then an Admin acknowledges it from their console so a new chain starts"
    };
    match problem.kind {
        Kind::Edited | Kind::Deleted | Kind::Reordered | Kind::Rewritten => format!(
            "The log was changed outside the console at {entry}. Keep a copy of the log file as evidence and tell your security lead; {acknowledge}."
        ),
        Kind::TruncatedTail => format!(
            "Entries after {entry} are missing from this computer's log, though the vault vouched for them. Restore the log file from a backup if you have one; otherwise keep the file as evidence and tell your security lead; {acknowledge}."
        ),
        Kind::TornLine => "The last line was cut off while it was being written (a crash or power loss). The console keeps the torn line aside; if this repeats, check the disk.".to_string(),
        Kind::Unreadable => "The log file cannot be read: check its permissions and the disk, then Verify again.".to_string(),
        Kind::AnchorMissing => "The vault holds no anchor for this log. Connect with an identity that may write secrets (Key Vault Secrets Officer) so the console anchors it, then Verify again.".to_string(),
        Kind::OtherInstallation => "Another computer's log for this vault failed its check: run Verify on that computer.".to_string(),
        Kind::TamperUnacknowledged => format!(
            "Review the tampering listed below with your security lead; {acknowledge}."
        ),
        Kind::NewInstallationOnKnownHost => format!(
            "This computer kept a log for this vault under another installation before. If the console was reinstalled on purpose, say so to your security lead; {acknowledge}."
        ),
    }
}

fn parse_day(field: &str, text: Option<&str>) -> AppResult<Option<NaiveDate>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                AppError::field(field, format!("'{t}' is not a date."), "Use YYYY-MM-DD.")
            }),
    }
}

fn matches(
    entry: &AuditEntry,
    filter: &AuditFilter,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> bool {
    let day = entry.timestamp.date_naive();
    filter.action.is_none_or(|a| entry.action == a)
        && filter
            .vendor
            .as_deref()
            .filter(|v| !v.is_empty())
            .is_none_or(|v| entry.vendor.as_deref() == Some(v))
        && filter
            .user
            .as_deref()
            .filter(|u| !u.is_empty())
            .is_none_or(|u| entry.user == u)
        && from.is_none_or(|f| day >= f)
        && to.is_none_or(|t| day <= t)
}

impl Console {
    /// Who did what to which key: for operators with a role only.
    pub fn audit_view(&self, operator: &Operator, filter: &AuditFilter) -> AppResult<AuditView> {
        operator.require_role()?;
        let from = parse_day("from", filter.from.as_deref())?;
        let to = parse_day("to", filter.to.as_deref())?;
        let log = self.audit_log();
        let all = log.entries();
        let mut actions: Vec<AuditAction> = Vec::new();
        let mut vendors: Vec<String> = Vec::new();
        let mut users: Vec<String> = Vec::new();
        for entry in all {
            if !actions.contains(&entry.action) {
                actions.push(entry.action);
            }
            if let Some(v) = &entry.vendor
                && !vendors.contains(v)
            {
                vendors.push(v.clone());
            }
            if !users.contains(&entry.user) {
                users.push(entry.user.clone());
            }
        }
        vendors.sort();
        users.sort();
        let matching: Vec<&AuditEntry> = all
            .iter()
            .rev()
            .filter(|e| matches(e, filter, from, to))
            .collect();
        Ok(AuditView {
            matching: matching.len(),
            total: all.len(),
            entries: matching.into_iter().take(AUDIT_PAGE).cloned().collect(),
            actions,
            vendors,
            users,
            location: log.path().map(|p| p.display().to_string()),
            labels: action_labels(),
        })
    }

    /// The audit CSV with every entry's hash and the verification result; the export is audited.
    pub async fn audit_csv(&self, operator: &Operator) -> AppResult<Vec<u8>> {
        // As the audit view: reading the log's content needs a console role.
        operator.require_role()?;
        let report = self.verify_audit(operator).await?.report;
        let bytes = self.audit_log().to_csv(&report);
        self.record(
            operator,
            AuditAction::Export,
            None,
            None,
            AuditResult::Ok,
            "audit log CSV",
        )
        .await;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Problem, ProblemKind};

    #[test]
    fn the_log_speaks_plain_words() {
        let labels = action_labels();
        assert_eq!(labels.len(), AuditAction::ALL.len());
        let label = |action| {
            labels
                .iter()
                .find(|l| l.action == action)
                .map(|l| l.label.as_str())
        };
        assert_eq!(label(AuditAction::Retrieve), Some("Copied"));
        assert_eq!(label(AuditAction::Distribute), Some("Changed role access"));
        // No label is the stored id in other clothes ("retrieve", "Retrieve").
        for l in &labels {
            assert!(
                !l.label.eq_ignore_ascii_case(l.action.id()),
                "{:?} reads as its id",
                l.action
            );
        }
    }

    #[test]
    fn a_broken_chain_names_the_entry_and_the_next_step() {
        let problem = Problem {
            kind: ProblemKind::Edited,
            seq: Some(7),
            line: Some(7),
            message: "Entry #7 was changed.".into(),
        };
        let technician = next_step(&problem, false);
        assert!(technician.contains("entry #7"), "{technician}");
        assert!(
            technician.contains("an Admin acknowledges it"),
            "{technician}"
        );
        let admin = next_step(&problem, true);
        assert!(admin.contains("acknowledge it here"), "{admin}");
    }
}
