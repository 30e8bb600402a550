//! Print / PDF and the Vault inventory CSV, built from the same rows the Vault tab shows.

use chrono::{DateTime, Utc};

use super::procedure::UsedBy;
use super::vault::{VaultRow, build_rows};
use super::{AuditResult, Console, Operator};
use crate::audit::{AnchorCheck, ProblemKind, VerifyReport};
use crate::audit::{AuditAction, Outcome};
use crate::domain::catalog::Category;
use crate::domain::keys::KeyStatus;
use crate::domain::status::{ClientCounts, StatusAbout};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::report::csv::CsvWriter;
use crate::report::{
    AuditCheck, MissingVendor, ReportInput, ReportRow, ReportSummary, ScheduleRow, pdf,
    report_status,
};
use std::collections::HashMap;

const NONE: &str = "—";

/// The "used by" list of a row as one cell: entries joined with " | ".
fn used_by_cell(row: &VaultRow, lists: &UsedByLists) -> String {
    row.secret_name
        .as_ref()
        .and_then(|name| lists.get(name))
        .filter(|list| !list.is_empty())
        .map(|list| {
            list.iter()
                .map(UsedBy::describe)
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .unwrap_or_default()
}

/// Each key's "used by" list by secret name.
pub type UsedByLists = HashMap<String, Vec<UsedBy>>;

fn report_row(row: &VaultRow, lists: &UsedByLists) -> ReportRow {
    let or_none = |value: &Option<String>| value.clone().unwrap_or_else(|| NONE.to_string());
    ReportRow {
        vendor: match &row.label {
            Some(label) => format!("{} ({label})", row.vendor_name),
            None => row.vendor_name.clone(),
        },
        category: row.category,
        status: crate::report::status::with_review(
            report_status(&row.facts),
            row.review.as_deref(),
        ),
        masked_preview: or_none(&row.masked_preview),
        expiry: or_none(&row.facts.expiry),
        interval_days: row.interval_days,
        last_rotated: or_none(&row.last_rotated),
        next_due: or_none(&row.facts.next_due),
        owner: if row.owner.is_empty() {
            NONE.to_string()
        } else {
            row.owner.clone()
        },
        used_by: match used_by_cell(row, lists) {
            cell if cell.is_empty() => NONE.to_string(),
            cell => cell,
        },
    }
}

/// The rotation schedule by category, for the report's last section.
pub fn schedule(rows: &[VaultRow]) -> Vec<ScheduleRow> {
    Category::ALL
        .into_iter()
        .map(|category| {
            let keys: Vec<&VaultRow> = rows
                .iter()
                .filter(|r| r.category == category && r.secret_name.is_some())
                .collect();
            let due = keys.iter().filter(|r| r.facts.needs_rotation).count();
            let next_due = keys
                .iter()
                .filter(|r| r.facts.status != KeyStatus::Disabled)
                .filter_map(|r| r.facts.next_due.clone())
                .min()
                .unwrap_or_else(|| NONE.to_string());
            ScheduleRow {
                category,
                interval_days: category.default_interval_days(),
                rationale: category.interval_rationale().to_string(),
                keys: keys.len(),
                due,
                next_due,
            }
        })
        .collect()
}

/// Who the report is for and what was checked besides the keys.
pub struct ReportContext {
    pub msp_name: String,
    pub client_name: String,
    pub vault_label: String,
    pub audit: AuditCheck,
    pub rotations_in_period: Option<usize>,
    pub objects: crate::report::ReportObjects,
}

pub fn report_input(
    rows: &[VaultRow],
    counts: &ClientCounts,
    used_by: &UsedByLists,
    context: ReportContext,
    operator: &Operator,
    now: DateTime<Utc>,
) -> ReportInput {
    let mut keys: Vec<ReportRow> = rows
        .iter()
        .filter(|row| row.secret_name.is_some())
        .map(|row| report_row(row, used_by))
        .collect();
    // Most urgent first; the stable sort keeps catalog order among equals.
    keys.sort_by_key(|row| row.status.urgency);
    let missing = rows
        .iter()
        .filter(|row| row.secret_name.is_none())
        .map(|row| MissingVendor {
            vendor: row.vendor_name.clone(),
            category: row.category,
        })
        .collect();
    ReportInput {
        msp_name: context.msp_name,
        client_name: context.client_name,
        vault_label: context.vault_label,
        generated_at: now,
        operator: format!("{} ({})", operator.name, operator.role_label()),
        summary: ReportSummary {
            keys_stored: counts.keys,
            healthy: counts.healthy,
            due_soon: counts.due_soon,
            overdue: counts.overdue,
            expired: counts.expired,
            disabled: counts.disabled,
            vendors_without_key: counts.no_key,
        },
        rows: keys,
        missing,
        schedule: schedule(rows),
        audit: context.audit,
        rotations_in_period: context.rotations_in_period,
        objects: context.objects,
    }
}

/// The report's "Certificates and keys" section from the Vault tab's rows and counts.
pub fn report_objects(view: &crate::service::objects::ObjectsView) -> crate::report::ReportObjects {
    let mut lines = Vec::new();
    for (kind, plural) in [
        (&view.certificates, "certificates"),
        (&view.keys, "vault keys"),
        (&view.app_credentials, "app credentials"),
    ] {
        match kind.refused.first() {
            // App credentials are refused per tenant: the admin's fix is part of the line.
            Some(refusal) if plural == "app credentials" => lines.push(format!(
                "App credentials of {}: not listed. {} {}",
                refusal.client_name, refusal.error.message, refusal.error.hint
            )),
            Some(refusal) => lines.push(format!(
                "{}: not listed. {}",
                plural[..1].to_uppercase() + &plural[1..],
                refusal.error.message
            )),
            None => lines.push(kind.counts.summary(plural)),
        }
    }
    // The report has no tooltip: say once why a key's type may be "—".
    let unread = view
        .keys
        .rows
        .iter()
        .filter(|r| r.detail_note.is_some())
        .count();
    if unread > 0 {
        lines.push(format!(
            "Key type \"—\" ({unread} of {} vault keys): not read. Key Vault's key list does not include the type; the console reads it when the key's row is shown in the Vault tab.",
            view.keys.rows.len()
        ));
    }
    let rows = view
        .all_rows()
        .map(|row| crate::report::ReportObject {
            kind: row.kind.label().to_string(),
            name: row.name.clone(),
            status: row.facts.status_text.clone(),
            colour: row.facts.status.colour(),
            expiry: row
                .facts
                .expiry
                .clone()
                .unwrap_or_else(|| "none".to_string()),
            issuer: row.issuer.clone(),
            detail: match &row.linked_key {
                Some(link) => format!("{}; {link}", row.detail),
                None => row.detail.clone(),
            },
        })
        .collect();
    crate::report::ReportObjects { lines, rows }
}

/// "1 entry", "1,204 entries".
fn entries(count: u64) -> String {
    let digits = count.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped} {}", if count == 1 { "entry" } else { "entries" })
}

/// The report's verification line, from the same check as the Audit tab's Verify.
pub fn audit_check(result: &AppResult<VerifyReport>, demo: bool, now: DateTime<Utc>) -> AuditCheck {
    let when = now.format("%Y-%m-%d %H:%M UTC");
    match result {
        Ok(report) if report.intact => {
            let anchored = match report.anchor {
                AnchorCheck::Matched => {
                    "hash chain intact and matching the head anchored in the vault"
                }
                _ if demo => {
                    "hash chain intact (demo: the log is kept in memory, not anchored in a vault)"
                }
                _ => "hash chain intact (no anchor in the vault to compare)",
            };
            AuditCheck {
                intact: Some(true),
                line: format!(
                    "Audit log verified: {}, {anchored} (checked {when}).",
                    entries(report.entries_checked)
                ),
            }
        }
        Ok(report) => {
            let problem = report.problem.as_ref();
            let at = problem
                .and_then(|p| p.seq)
                .map(|seq| format!(" at entry {seq}"))
                .unwrap_or_default();
            let what = problem
                .map(|p| p.kind)
                .map_or("not intact", ProblemKind::label);
            // Edits, deletions, reordering and a cut tail break the hash chain itself; the
            // other findings (a missing anchor, an unacknowledged tampering) leave it linked.
            let chain = problem.is_some_and(|p| {
                matches!(
                    p.kind,
                    ProblemKind::Edited
                        | ProblemKind::Deleted
                        | ProblemKind::Reordered
                        | ProblemKind::TruncatedTail
                        | ProblemKind::Rewritten
                        | ProblemKind::TornLine
                )
            });
            let line = if chain {
                format!(
                    "Audit log: chain broken{at} ({what}); {} verified before it (checked {when}).",
                    entries(report.entries_checked)
                )
            } else {
                format!(
                    "Audit log not intact: {what}{at}; {} checked (checked {when}).",
                    entries(report.entries_checked)
                )
            };
            AuditCheck {
                intact: Some(false),
                line,
            }
        }
        Err(error) => AuditCheck {
            intact: None,
            line: format!("Audit log not verified: {} (tried {when}).", error.message),
        },
    }
}

/// The CSV's "About" cell: the same words as the CLI JSON's `about`.
fn about_label(about: StatusAbout) -> &'static str {
    match about {
        StatusAbout::Rotation => "rotation",
        StatusAbout::Expiry => "expiry",
        StatusAbout::Key => "key",
    }
}

/// Vault inventory CSV: the same facts as the table, one line per vendor or key.
/// Each section is one client's rows with that client's "used by" lists (secret names are
/// unique only within a vault).
/// The CSV's Kind of an API key row (certificates and keys say theirs).
pub const API_KEY_KIND: &str = "API key";

pub fn inventory_csv(
    sections: &[(Vec<VaultRow>, UsedByLists)],
    objects: &[crate::service::objects::ObjectRow],
) -> Vec<u8> {
    let mut csv = CsvWriter::new(&[
        "Client",
        "Vendor",
        "Label",
        "Category",
        "Status",
        "Status detail",
        "About",
        "Urgency",
        "Masked preview",
        "Next rotation",
        "Days to rotation",
        "Expires",
        "Days to expiry",
        "Needs rotation",
        "Rotation interval (days)",
        "Last rotated",
        "Owner",
        "Note",
        "Used by",
        "Secret name",
        "Flagged for review",
        // Last, so scripts reading the columns by position keep working.
        "Kind",
    ]);
    for (row, used_by) in sections
        .iter()
        .flat_map(|(rows, used_by)| rows.iter().map(move |row| (row, used_by)))
    {
        let facts = &row.facts;
        csv.row([
            row.client_name.clone(),
            row.vendor_name.clone(),
            row.label.clone().unwrap_or_default(),
            row.category.label().to_string(),
            facts.status_label.clone(),
            facts.status_text.clone(),
            about_label(facts.about).to_string(),
            facts.urgency.to_string(),
            row.masked_preview.clone().unwrap_or_default(),
            facts.next_due.clone().unwrap_or_default(),
            facts.days_to_due.map(|d| d.to_string()).unwrap_or_default(),
            facts.expiry.clone().unwrap_or_default(),
            facts
                .days_to_expiry
                .map(|d| d.to_string())
                .unwrap_or_default(),
            if facts.needs_rotation { "yes" } else { "no" }.to_string(),
            row.interval_days.to_string(),
            row.last_rotated.clone().unwrap_or_default(),
            row.owner.clone(),
            row.note.clone(),
            used_by_cell(row, used_by),
            row.secret_name.clone().unwrap_or_default(),
            row.review.clone().unwrap_or_default(),
            API_KEY_KIND.to_string(),
        ]);
    }
    // The vault's certificates and keys: no vendor, interval or preview; the note names the
    // issuer and lifetime actions (certificates) or the type (keys).
    for row in objects {
        let facts = &row.facts;
        let note = match row.kind {
            crate::domain::vault_objects::ObjectKind::Certificate => {
                format!("Issuer: {}; lifetime actions: {}", row.issuer, row.detail)
            }
            crate::domain::vault_objects::ObjectKind::Key => match &row.detail_note {
                // "—": say why, so a spreadsheet reader does not take it for a missing key.
                Some(why) => format!("Type: {}; {why}", row.detail),
                None => format!("Type: {}", row.detail),
            },
            crate::domain::vault_objects::ObjectKind::AppCredential => {
                let mut note = format!("{}: {}", row.issuer, row.detail);
                if let Some(app_id) = &row.app_id {
                    note.push_str(&format!("; app id {app_id}"));
                }
                if let Some(link) = &row.linked_key {
                    note.push_str(&format!("; {link}"));
                }
                note
            }
        };
        csv.row([
            row.client_name.clone(),
            String::new(),
            String::new(),
            String::new(),
            facts.status_label.clone(),
            facts.status_text.clone(),
            about_label(crate::domain::status::StatusAbout::Expiry).to_string(),
            facts.urgency.to_string(),
            String::new(),
            String::new(),
            String::new(),
            facts.expiry.clone().unwrap_or_default(),
            facts
                .days_to_expiry
                .map(|d| d.to_string())
                .unwrap_or_default(),
            "no".to_string(),
            String::new(),
            String::new(),
            String::new(),
            note,
            String::new(),
            row.name.clone(),
            String::new(),
            row.kind.label().to_string(),
        ]);
    }
    csv.finish()
}

/// Lay out the report (one section per client). A thousand rows take a moment of CPU: kept off
/// the async workers.
pub async fn render_report(inputs: Vec<ReportInput>) -> AppResult<Vec<u8>> {
    tokio::task::spawn_blocking(move || pdf::render_pdf_sections(&inputs))
        .await
        .map_err(|e| AppError::internal(format!("the PDF task stopped: {e}")))
        .and_then(|rendered| {
            rendered.map_err(|e| {
                AppError::new(
                    ErrorCode::ReportFailed,
                    format!("The PDF could not be built: {e}"),
                    e.hint(),
                )
            })
        })
}

impl Console {
    async fn current_rows(
        &self,
        operator: &Operator,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<VaultRow>> {
        let keys = self.cached_keys();
        Ok(build_rows(self, operator, &keys, now))
    }

    /// The full "used by" lists of the keys whose tag says they have one.
    async fn current_used_by(&self) -> UsedByLists {
        let names: Vec<String> = self
            .cached_keys()
            .into_iter()
            .filter(|k| !k.settings.used_by.is_empty())
            .map(|k| k.secret_name)
            .collect();
        self.used_by_lists(names).await
    }

    /// This client's part of a report: the label names the client when it is not just the vault.
    pub fn report_label(&self) -> String {
        let vault = self.vault_label();
        let client = &self.client().name;
        if client.is_empty() || vault.to_lowercase().ends_with(&client.to_lowercase()) {
            vault
        } else {
            format!("{client} · {vault}")
        }
    }

    /// One client's section of the PDF report, from its snapshot, with the audit log verified
    /// as the Audit tab's Verify does it. `msp_name` is the installation's setting.
    pub async fn report_section(
        &self,
        operator: &Operator,
        msp_name: &str,
        now: DateTime<Utc>,
    ) -> AppResult<ReportInput> {
        let rows = self.current_rows(operator, now).await?;
        let counts = ClientCounts::of(&self.cached_keys(), now);
        let used_by = self.current_used_by().await;
        let verified = self.verify_audit(operator).await.map(|v| v.report);
        let audit = audit_check(&verified, self.is_demo(), now);
        let rotations_in_period = (audit.intact == Some(true)).then(|| {
            let start = now - chrono::Duration::days(crate::report::REVIEW_PERIOD_DAYS);
            self.audit_log()
                .entries()
                .iter()
                .filter(|e| e.action == AuditAction::Rotate && e.outcome == Outcome::Ok)
                .filter(|e| e.timestamp >= start && e.timestamp <= now)
                .count()
        });
        let context = ReportContext {
            msp_name: msp_name.to_string(),
            client_name: self.client().name.clone(),
            vault_label: self.report_label(),
            audit,
            rotations_in_period,
            objects: report_objects(&self.objects_view(now)),
        };
        Ok(report_input(
            &rows, &counts, &used_by, context, operator, now,
        ))
    }

    /// The audit entry of a printed report, in this client's log.
    pub async fn record_report(
        &self,
        operator: &Operator,
        outcome: Result<(), &AppError>,
        rows: usize,
        clients: usize,
    ) {
        let note = if clients > 1 {
            format!("PDF report, {rows} rows (one of {clients} clients)")
        } else {
            format!("PDF report, {rows} rows")
        };
        self.record(operator, AuditAction::Report, None, None, outcome, note)
            .await;
    }

    /// The PDF report's bytes; the report is audited.
    pub async fn report_pdf(
        &self,
        operator: &Operator,
        msp_name: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<u8>> {
        let input = self.report_section(operator, msp_name, now).await?;
        let rows = input.rows.len();
        let result = render_report(vec![input]).await;
        self.record_report(operator, result.as_ref().map(|_| ()), rows, 1)
            .await;
        result
    }

    /// The inventory rows of this client and their "used by" lists.
    pub async fn inventory_rows(
        &self,
        operator: &Operator,
        now: DateTime<Utc>,
    ) -> AppResult<(Vec<VaultRow>, UsedByLists)> {
        let rows = self.current_rows(operator, now).await?;
        let used_by = self.current_used_by().await;
        Ok((rows, used_by))
    }

    /// The audit entry of an inventory export, in this client's log.
    pub async fn record_export(&self, operator: &Operator) {
        self.record(
            operator,
            AuditAction::Export,
            None,
            None,
            AuditResult::Ok,
            "vault inventory CSV",
        )
        .await;
    }

    pub async fn inventory_csv(
        &self,
        operator: &Operator,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<u8>> {
        let section = self.inventory_rows(operator, now).await?;
        let objects = self.objects_view(now);
        let bytes = inventory_csv(&[section], &objects.all_rows().cloned().collect::<Vec<_>>());
        self.record_export(operator).await;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Problem;
    use chrono::TimeZone;

    fn report(intact: bool, entries: u64, problem: Option<(ProblemKind, u64)>) -> VerifyReport {
        VerifyReport {
            intact,
            entries_checked: entries,
            anchor: if intact {
                AnchorCheck::Matched
            } else {
                AnchorCheck::Mismatch
            },
            problem: problem.map(|(kind, seq)| Problem {
                kind,
                seq: Some(seq),
                line: None,
                message: String::new(),
            }),
            summary: String::new(),
        }
    }

    #[test]
    fn the_audit_line_names_the_result_the_entry_and_the_time() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 23, 10, 5, 0)
            .single()
            .expect("date");
        let line = |result: AppResult<VerifyReport>, demo| audit_check(&result, demo, now);

        let ok = line(Ok(report(true, 1204, None)), false);
        assert_eq!(ok.intact, Some(true));
        assert_eq!(
            ok.line,
            "Audit log verified: 1,204 entries, hash chain intact and matching the head anchored in the vault (checked 2026-11-23 10:05 UTC)."
        );
        let mut demo = report(true, 1, None);
        demo.anchor = AnchorCheck::NotAvailable;
        assert!(
            line(Ok(demo), true)
                .line
                .starts_with("Audit log verified: 1 entry, ")
        );

        let edited = line(
            Ok(report(false, 56, Some((ProblemKind::Edited, 57)))),
            false,
        );
        assert_eq!(edited.intact, Some(false));
        assert!(
            edited
                .line
                .starts_with("Audit log: chain broken at entry 57 (edited); 56 entries verified"),
            "{}",
            edited.line
        );
        // A finding that leaves the chain linked is not called a broken chain.
        let pending = line(
            Ok(report(
                false,
                80,
                Some((ProblemKind::TamperUnacknowledged, 12)),
            )),
            false,
        );
        assert!(
            pending
                .line
                .starts_with("Audit log not intact: tampering not yet acknowledged at entry 12"),
            "{}",
            pending.line
        );

        let unreachable = line(
            Err(AppError::new(
                ErrorCode::ServiceUnavailable,
                "The vault did not answer.",
                "Try again.",
            )),
            false,
        );
        assert_eq!(unreachable.intact, None);
        assert!(
            unreachable
                .line
                .starts_with("Audit log not verified: The vault did not answer.")
        );
    }
}
