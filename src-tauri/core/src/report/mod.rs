//! Reports: the native PDF (printpdf) and the CSV exports. Inputs arrive fully formatted by the
//! domain layer, so the renderers only lay out text.

pub mod csv;
pub mod pdf;
pub mod status;

use chrono::{DateTime, Duration, Utc};

use crate::domain::catalog::Category;
pub use status::{Exception, RowStatus, report_status};

/// The review period a report covers: the days before it was generated.
pub const REVIEW_PERIOD_DAYS: i64 = 90;

/// Everything the PDF report prints for one client. No field can hold a secret value: previews
/// are masked.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// The MSP's name as set once in the profile; empty when it was never set.
    pub msp_name: String,
    /// The client (MSP customer) the report is for.
    pub client_name: String,
    /// "VAULT: MSP-API-KEYVAULT" or "DEMO".
    pub vault_label: String,
    pub generated_at: DateTime<Utc>,
    /// Technician name and role, e.g. "Dana Reyes (Admin)".
    pub operator: String,
    pub summary: ReportSummary,
    /// One row per stored key, most urgent first.
    pub rows: Vec<ReportRow>,
    /// Catalog vendors with no key stored for this client, in catalog order.
    pub missing: Vec<MissingVendor>,
    pub schedule: Vec<ScheduleRow>,
    /// The audit log's verification, as the Audit tab's Verify reports it.
    pub audit: AuditCheck,
    /// Successful rotations the audit log records in the review period; `None` when the log
    /// did not verify, since its entries cannot then be counted on.
    pub rotations_in_period: Option<usize>,
    /// The vault's certificates and keys (their own section; not in the compliance figure,
    /// which is about the console's API keys).
    pub objects: ReportObjects,
}

/// The "Certificates and keys" section: a count line per kind (or why a kind could not be
/// listed) and one row per object, most urgent first.
#[derive(Debug, Clone, Default)]
pub struct ReportObjects {
    pub lines: Vec<String>,
    pub rows: Vec<ReportObject>,
}

#[derive(Debug, Clone)]
pub struct ReportObject {
    /// "Certificate", "Cryptographic key".
    pub kind: String,
    pub name: String,
    /// "Auto-renews 2026-12-10", "Expired 3 d ago".
    pub status: String,
    pub colour: [u8; 3],
    pub expiry: String,
    pub issuer: String,
    pub detail: String,
}

impl ReportInput {
    /// The first day of the review period (the period ends on the report date).
    pub fn period_start(&self) -> DateTime<Utc> {
        self.generated_at - Duration::days(REVIEW_PERIOD_DAYS)
    }

    /// Keys within policy and keys stored.
    pub fn compliance(&self) -> (usize, usize) {
        let within = self.rows.iter().filter(|r| r.status.within_policy).count();
        (within, self.rows.len())
    }

    /// "28 of 32 (87%)"; the percentage is rounded down so a report never overstates.
    pub fn compliance_text(&self) -> String {
        let (within, stored) = self.compliance();
        if stored == 0 {
            return "0 of 0 (no keys)".to_string();
        }
        format!("{within} of {stored} ({}%)", within * 100 / stored)
    }

    pub fn exceptions(&self) -> impl Iterator<Item = &ReportRow> {
        self.rows.iter().filter(|r| r.status.exception.is_some())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportSummary {
    pub keys_stored: usize,
    pub healthy: usize,
    pub due_soon: usize,
    pub overdue: usize,
    pub expired: usize,
    pub disabled: usize,
    pub vendors_without_key: usize,
}

#[derive(Debug, Clone)]
pub struct ReportRow {
    pub vendor: String,
    pub category: Category,
    pub status: RowStatus,
    /// Masked preview, or "—".
    pub masked_preview: String,
    pub expiry: String,
    pub interval_days: u32,
    pub last_rotated: String,
    pub next_due: String,
    pub owner: String,
    /// The systems that use the key ("PSA sync (psa01; Dana) | NOC dashboard"), or "—".
    pub used_by: String,
}

/// A catalog vendor without a key in this client's vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingVendor {
    pub vendor: String,
    pub category: Category,
}

#[derive(Debug, Clone)]
pub struct ScheduleRow {
    pub category: Category,
    pub interval_days: u32,
    pub rationale: String,
    /// Keys stored in this category.
    pub keys: usize,
    /// Keys in this category due within 14 days or overdue.
    pub due: usize,
    /// Earliest next-due date in this category, or "—".
    pub next_due: String,
}

/// The audit log's state when the report was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    /// `Some(true)` intact, `Some(false)` broken, `None` when it could not be verified.
    pub intact: Option<bool>,
    /// One line for the report, e.g. "Audit log verified: 1,204 entries intact, …".
    pub line: String,
}
