//! Why the audit log could not be opened or written. Every failure is named and carries a hint a
//! technician can act on; none is swallowed.

use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("The audit log {} could not be opened: {source}.", path.display())]
    Open { path: PathBuf, source: io::Error },

    #[error("The audit log {} is already open in another console window.", path.display())]
    InUse { path: PathBuf },

    #[error("The audit entry could not be written to {}: {source}.", path.display())]
    Write { path: PathBuf, source: io::Error },

    #[error(
        "The incomplete last line of the audit log {} could not be moved aside to {}: {source}.",
        path.display(),
        torn_path.display()
    )]
    Repair {
        path: PathBuf,
        torn_path: PathBuf,
        source: io::Error,
    },

    #[error(
        "The audit log {} takes no more entries: an earlier failed write could not be undone ({source}).",
        path.display()
    )]
    Unusable { path: PathBuf, source: io::Error },

    #[error(
        "The audit log's last entry number (#{last}) leaves no room for another entry: the log was edited."
    )]
    SequenceExhausted { last: u64 },

    #[error("The audit entry could not be encoded: {0}.")]
    Encode(String),

    #[error("A log that already holds entries cannot start a new chain segment.")]
    NotEmpty,
}

impl AuditError {
    /// Stable kebab-case code for the UI and for the audit log's own error column.
    pub fn code(&self) -> &'static str {
        match self {
            AuditError::Open { .. } => "audit-open-failed",
            AuditError::InUse { .. } => "audit-log-in-use",
            AuditError::Write { .. } => "audit-write-failed",
            AuditError::Repair { .. } => "audit-repair-failed",
            AuditError::Unusable { .. } => "audit-log-unusable",
            AuditError::SequenceExhausted { .. } => "audit-sequence-exhausted",
            AuditError::Encode(_) => "audit-encode-failed",
            AuditError::NotEmpty => "audit-not-empty",
        }
    }

    /// What the technician can do about it.
    pub fn hint(&self) -> String {
        match self {
            AuditError::Open { path, .. } => format!(
                "Check that the console may create and write files in {} (permissions, a full disk, \
                 or antivirus holding the file), then reconnect.",
                folder(path)
            ),
            AuditError::InUse { .. } => {
                "Close the other console window that is connected to this vault, then try again."
                    .to_string()
            }
            AuditError::Write { path, .. } => format!(
                "The action was not recorded. Free disk space or fix write access to {} and retry; \
                 nothing was left half-written, so the log still verifies.",
                folder(path)
            ),
            AuditError::Repair { path, .. } => format!(
                "The log was left as it was. Make sure the console may write in {} and reopen the vault.",
                folder(path)
            ),
            AuditError::Unusable { .. } => {
                "Restart the console: opening the log again moves any partial line aside and \
                 records the recovery."
                    .to_string()
            }
            AuditError::SequenceExhausted { .. } => {
                "Run Verify on the Audit Log tab: no console writes such a number, so the file was \
                 changed by hand. Nothing was appended."
                    .to_string()
            }
            AuditError::Encode(_) | AuditError::NotEmpty => {
                "This is a defect in the console; nothing was written. Please report it."
                    .to_string()
            }
        }
    }
}

fn folder(path: &Path) -> String {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.display().to_string(),
        _ => "the app-data folder".to_string(),
    }
}
