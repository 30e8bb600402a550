//! Reports: the native PDF (printpdf) and the CSV exports. Inputs arrive fully formatted by the
//! domain layer, so the renderers only lay out text.

pub mod csv;
pub mod pdf;

use chrono::{DateTime, Utc};

use crate::domain::catalog::Category;
use crate::domain::keys::KeyStatus;

/// Everything the PDF report prints. No field can hold a secret value: previews are masked.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// "VAULT: MSP-API-KEYVAULT" or "DEMO".
    pub vault_label: String,
    pub generated_at: DateTime<Utc>,
    /// Technician name and role, e.g. "Dana Reyes (Admin)".
    pub operator: String,
    pub summary: ReportSummary,
    /// One row per vendor (and per extra labelled key), sorted as the report should print them.
    pub rows: Vec<ReportRow>,
    pub schedule: Vec<ScheduleRow>,
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
    pub status: KeyStatus,
    /// Masked preview, or "—" when no key is stored.
    pub masked_preview: String,
    pub expiry: String,
    pub days_left: String,
    pub interval: String,
    pub last_rotated: String,
    pub next_due: String,
    pub owner: String,
    /// The systems that use the key ("PSA sync (psa01; Dana) | NOC dashboard"), or "—".
    pub used_by: String,
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
