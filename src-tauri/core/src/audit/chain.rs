//! The on-disk line, its canonical form and its hash.
//!
//! A line is one JSON object followed by `\n`, with the fields in this order:
//!
//! ```text
//! {"v":1,"seq":1,"timestamp":"2025-03-01T09:30:00.000Z","action":"rotate","vendor":"ninjaone",
//!  "key_name":"ninjaone","user":"Dana Reyes","role":"Admin","outcome":"ok","error_code":null,
//!  "note":"Rotated by schedule","prev_hash":"000…000","hash":"9f2c…"}
//! ```
//!
//! **Canonical form (format version 1)**: the compact `serde_json` encoding of [`CanonicalV1`],
//! i.e. exactly the fields above except `hash`, in that order, with absent optional fields written
//! as `null` and no whitespace. `hash` is the lowercase hex SHA-256 of those bytes, and
//! `prev_hash` is the previous entry's `hash` (64 zeros for entry #1). The timestamp is hashed as
//! the very string stored in the line (RFC 3339, UTC, milliseconds, `Z`), so any change to it
//! changes the hash. `v` is the format marker: a later format gets a new number and its own
//! canonical struct, and readers pick the struct by `v`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AuditAction, AuditEntry, Outcome};

/// The format this console writes and the only one it reads.
pub const FORMAT_VERSION: u32 = 1;

/// `prev_hash` of entry #1.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the log file, exactly as stored. Unknown fields are refused, so nothing can ride
/// along in a line without verification noticing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineRecord {
    pub v: u32,
    pub seq: u64,
    pub timestamp: String,
    pub action: AuditAction,
    pub vendor: Option<String>,
    pub key_name: Option<String>,
    pub user: String,
    pub role: String,
    pub outcome: Outcome,
    pub error_code: Option<String>,
    pub note: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Everything but `hash`, in the stored order: the bytes that get hashed.
#[derive(Serialize)]
struct CanonicalV1<'a> {
    v: u32,
    seq: u64,
    timestamp: &'a str,
    action: AuditAction,
    vendor: Option<&'a str>,
    key_name: Option<&'a str>,
    user: &'a str,
    role: &'a str,
    outcome: Outcome,
    error_code: Option<&'a str>,
    note: &'a str,
    prev_hash: &'a str,
}

/// Only the version marker, read when a line does not parse as a version-1 line, to tell "a
/// newer console wrote this" from "this line is damaged".
#[derive(Deserialize)]
pub(crate) struct VersionProbe {
    pub v: u32,
}

/// How timestamps are stored: RFC 3339, UTC, millisecond precision, `Z` suffix.
pub(crate) fn format_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl LineRecord {
    /// The canonical bytes of this line (see the module comment).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&CanonicalV1 {
            v: self.v,
            seq: self.seq,
            timestamp: &self.timestamp,
            action: self.action,
            vendor: self.vendor.as_deref(),
            key_name: self.key_name.as_deref(),
            user: &self.user,
            role: &self.role,
            outcome: self.outcome,
            error_code: self.error_code.as_deref(),
            note: &self.note,
            prev_hash: &self.prev_hash,
        })
    }

    /// The hash this line's content should carry.
    pub fn computed_hash(&self) -> Result<String, serde_json::Error> {
        Ok(hex::encode(Sha256::digest(self.canonical_bytes()?)))
    }

    /// Fill in `hash` from the content.
    pub fn seal(mut self) -> Result<Self, serde_json::Error> {
        self.hash = self.computed_hash()?;
        Ok(self)
    }

    /// The bytes appended to the file: the JSON object and its newline.
    pub fn to_line(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut line = serde_json::to_vec(self)?;
        line.push(b'\n');
        Ok(line)
    }

    /// The entry as the rest of the console sees it; `None` when the stored timestamp is not
    /// RFC 3339 (only possible in an edited line).
    pub fn to_entry(&self) -> Option<AuditEntry> {
        let timestamp = DateTime::parse_from_rfc3339(&self.timestamp)
            .ok()?
            .with_timezone(&Utc);
        Some(AuditEntry {
            seq: self.seq,
            timestamp,
            action: self.action,
            vendor: self.vendor.clone(),
            key_name: self.key_name.clone(),
            user: self.user.clone(),
            role: self.role.clone(),
            outcome: self.outcome,
            error_code: self.error_code.clone(),
            note: self.note.clone(),
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record() -> LineRecord {
        LineRecord {
            v: FORMAT_VERSION,
            seq: 1,
            timestamp: format_timestamp(
                Utc.with_ymd_and_hms(2025, 3, 1, 9, 30, 0)
                    .single()
                    .expect("valid date"),
            ),
            action: AuditAction::Rotate,
            vendor: Some("ninjaone".into()),
            key_name: Some("ninjaone".into()),
            user: "Dana Reyes".into(),
            role: "Admin".into(),
            outcome: Outcome::Ok,
            error_code: None,
            note: "Rotated by schedule".into(),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn canonical_form_is_the_documented_fixed_order_json() {
        let canonical =
            String::from_utf8(record().canonical_bytes().expect("encode")).expect("utf-8");
        assert_eq!(
            canonical,
            format!(
                "{{\"v\":1,\"seq\":1,\"timestamp\":\"2025-03-01T09:30:00.000Z\",\"action\":\"rotate\",\
                 \"vendor\":\"ninjaone\",\"key_name\":\"ninjaone\",\"user\":\"Dana Reyes\",\"role\":\"Admin\",\
                 \"outcome\":\"ok\",\"error_code\":null,\"note\":\"Rotated by schedule\",\"prev_hash\":\"{GENESIS_HASH}\"}}"
            )
        );
    }

    #[test]
    fn hash_is_sha256_of_the_canonical_form_and_the_line_is_canonical_plus_hash() {
        let sealed = record().seal().expect("seal");
        let canonical = sealed.canonical_bytes().expect("encode");
        assert_eq!(sealed.hash, hex::encode(Sha256::digest(&canonical)));
        assert_eq!(sealed.hash.len(), 64);

        let line = String::from_utf8(sealed.to_line().expect("line")).expect("utf-8");
        let canonical = String::from_utf8(canonical).expect("utf-8");
        let without_brace = canonical.strip_suffix('}').expect("object");
        assert_eq!(
            line,
            format!("{without_brace},\"hash\":\"{}\"}}\n", sealed.hash)
        );
    }

    #[test]
    fn every_field_takes_part_in_the_hash() {
        let base = record().seal().expect("seal").hash;
        let variants: [fn(&mut LineRecord); 12] = [
            |r| r.v = 2,
            |r| r.seq = 2,
            |r| r.timestamp = "2025-03-01T09:30:00.001Z".into(),
            |r| r.action = AuditAction::Retrieve,
            |r| r.vendor = None,
            |r| r.key_name = Some("ninjaone--eu".into()),
            |r| r.user = "Dana Reyes ".into(),
            |r| r.role = "L2".into(),
            |r| r.outcome = Outcome::Failed,
            |r| r.error_code = Some("timeout".into()),
            |r| r.note = "Rotated by schedul".into(),
            |r| r.prev_hash = "1".repeat(64),
        ];
        for (i, change) in variants.iter().enumerate() {
            let mut changed = record();
            change(&mut changed);
            assert_ne!(
                changed.seal().expect("seal").hash,
                base,
                "field change #{i} not hashed"
            );
        }
    }

    #[test]
    fn genesis_is_64_zeros() {
        assert_eq!(GENESIS_HASH.len(), 64);
        assert!(GENESIS_HASH.chars().all(|c| c == '0'));
    }
}
