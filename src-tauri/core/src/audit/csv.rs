//! Audit CSV export: a header, one row per entry with both hashes (so anyone can re-check the
//! chain in a spreadsheet or script), then one final row with the verification result:
//! `verification, intact | NOT INTACT, <summary>, <first problem's message>`.
//! Quoting and formula neutralising come from the shared writer.

use super::chain::format_timestamp;
use super::{AuditEntry, VerifyReport};
use crate::report::csv::CsvWriter;

pub const HEADER: [&str; 18] = [
    "seq",
    "timestamp (UTC)",
    "action",
    "vendor",
    "key name",
    "user",
    "identity",
    "upn",
    "object id",
    "role",
    "client",
    "vault",
    "installation",
    "outcome",
    "error code",
    "note",
    "prev hash",
    "hash",
];

/// First cell of the final row.
pub const VERIFICATION_MARKER: &str = "verification";

pub(crate) fn render(entries: &[AuditEntry], report: &VerifyReport) -> Vec<u8> {
    let mut csv = CsvWriter::new(&HEADER);
    for entry in entries {
        csv.row([
            entry.seq.to_string(),
            format_timestamp(entry.timestamp),
            entry.action.id().to_string(),
            entry.vendor.clone().unwrap_or_default(),
            entry.key_name.clone().unwrap_or_default(),
            entry.user.clone(),
            entry.identity.clone().unwrap_or_default(),
            entry.upn.clone().unwrap_or_default(),
            entry.oid.clone().unwrap_or_default(),
            entry.role.clone(),
            entry.client.clone().unwrap_or_default(),
            entry.vault.clone().unwrap_or_default(),
            entry.installation.clone().unwrap_or_default(),
            entry.outcome.id().to_string(),
            entry.error_code.clone().unwrap_or_default(),
            entry.note.clone(),
            entry.prev_hash.clone(),
            entry.hash.clone(),
        ]);
    }
    csv.row([
        VERIFICATION_MARKER.to_string(),
        if report.intact {
            "intact"
        } else {
            "NOT INTACT"
        }
        .to_string(),
        report.summary.clone(),
        report
            .problem
            .as_ref()
            .map(|p| p.message.clone())
            .unwrap_or_default(),
    ]);
    csv.finish()
}
