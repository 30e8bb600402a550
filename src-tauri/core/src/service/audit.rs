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
