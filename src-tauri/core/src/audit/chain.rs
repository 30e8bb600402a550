//! The on-disk line, its canonical form and its hash.
//!
//! A line is one JSON object followed by `\n`. Format version 2 (written since the console knows
//! who is signed in and which client's vault it is) holds, in this order:
//!
//! ```text
//! {"v":2,"seq":1,"timestamp":"2025-03-01T09:30:00.000Z","action":"rotate","vendor":"ninjaone",
//!  "key_name":"ninjaone","user":"Dana Reyes","identity":"entra","upn":"dana@contoso.com",
//!  "oid":"…","role":"Admin","client":"Contoso","vault":"contoso-kv","installation":"9f…",
//!  "outcome":"ok","error_code":null,"note":"Rotated by schedule","prev_hash":"000…000","hash":"9f2c…"}
//! ```
//!
//! **Canonical form**: the compact `serde_json` encoding of the fields above except `hash`, in
//! that order, absent optional fields written as `null`, no whitespace ([`CanonicalV2`]). `hash`
//! is the lowercase hex SHA-256 of those bytes, and `prev_hash` is the previous entry's `hash` (64
//! zeros for entry #1, or the vault-anchored hash a new chain segment links to). The timestamp is
//! hashed as the very string stored in the line (RFC 3339, UTC, milliseconds, `Z`).
//!
//! Version 1 lines (written before the identity fields existed) have none of `identity`, `upn`,
//! `oid`, `client`, `vault`, `installation`; their canonical form is [`CanonicalV1`]. A version-1
//! line that carries any of those fields is refused as unreadable, since its hash would not cover
//! them. `v` picks the canonical struct.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AuditAction, AuditEntry, Outcome};

/// The format this console writes.
pub const FORMAT_VERSION: u32 = 2;
/// The formats this console reads.
pub const READABLE_VERSIONS: [u32; 2] = [1, 2];

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
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub upn: Option<String>,
    #[serde(default)]
    pub oid: Option<String>,
    pub role: String,
    #[serde(default)]
    pub client: Option<String>,
    #[serde(default)]
    pub vault: Option<String>,
    #[serde(default)]
    pub installation: Option<String>,
    pub outcome: Outcome,
    pub error_code: Option<String>,
    pub note: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Version 1: everything but `hash`, in the stored order.
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

/// Version 2: everything but `hash`, in the stored order, identity and context included.
#[derive(Serialize)]
struct CanonicalV2<'a> {
    v: u32,
    seq: u64,
    timestamp: &'a str,
    action: AuditAction,
    vendor: Option<&'a str>,
    key_name: Option<&'a str>,
    user: &'a str,
    identity: Option<&'a str>,
    upn: Option<&'a str>,
    oid: Option<&'a str>,
    role: &'a str,
    client: Option<&'a str>,
    vault: Option<&'a str>,
    installation: Option<&'a str>,
    outcome: Outcome,
    error_code: Option<&'a str>,
    note: &'a str,
    prev_hash: &'a str,
}

/// Only the version marker, read when a line does not parse, to tell "a newer console wrote
/// this" from "this line is damaged".
#[derive(Deserialize)]
pub(crate) struct VersionProbe {
    pub v: u32,
}

/// How timestamps are stored: RFC 3339, UTC, millisecond precision, `Z` suffix.
pub(crate) fn format_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Why a parsed line cannot be hashed.
#[derive(Debug)]
pub(crate) enum CanonicalError {
    /// A format this console does not read.
    UnknownVersion(u32),
    /// A version-1 line carrying fields only version 2 has (its hash would not cover them).
    FieldsBeyondVersion,
    Encode(serde_json::Error),
}

impl std::fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CanonicalError::UnknownVersion(v) => write!(
                f,
                "it uses log format version {v}, which this console does not read"
            ),
            CanonicalError::FieldsBeyondVersion => write!(
                f,
                "it is marked as format version 1 but carries fields of a later format"
            ),
            CanonicalError::Encode(e) => write!(f, "it could not be re-encoded: {e}"),
        }
    }
}

impl LineRecord {
    fn has_v2_fields(&self) -> bool {
        self.identity.is_some()
            || self.upn.is_some()
            || self.oid.is_some()
            || self.client.is_some()
            || self.vault.is_some()
            || self.installation.is_some()
    }

    /// The canonical bytes of this line (see the module comment).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        let encoded = match self.v {
            1 if self.has_v2_fields() => return Err(CanonicalError::FieldsBeyondVersion),
            1 => serde_json::to_vec(&CanonicalV1 {
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
            }),
            2 => serde_json::to_vec(&CanonicalV2 {
                v: self.v,
                seq: self.seq,
                timestamp: &self.timestamp,
                action: self.action,
                vendor: self.vendor.as_deref(),
                key_name: self.key_name.as_deref(),
                user: &self.user,
                identity: self.identity.as_deref(),
                upn: self.upn.as_deref(),
                oid: self.oid.as_deref(),
                role: &self.role,
                client: self.client.as_deref(),
                vault: self.vault.as_deref(),
                installation: self.installation.as_deref(),
                outcome: self.outcome,
                error_code: self.error_code.as_deref(),
                note: &self.note,
                prev_hash: &self.prev_hash,
            }),
            other => return Err(CanonicalError::UnknownVersion(other)),
        };
        encoded.map_err(CanonicalError::Encode)
    }

    /// The hash this line's content should carry.
    pub fn computed_hash(&self) -> Result<String, CanonicalError> {
        Ok(hex::encode(Sha256::digest(self.canonical_bytes()?)))
    }

    /// Fill in `hash` from the content.
    pub fn seal(mut self) -> Result<Self, CanonicalError> {
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
            identity: self.identity.clone(),
            upn: self.upn.clone(),
            oid: self.oid.clone(),
            role: self.role.clone(),
            client: self.client.clone(),
            vault: self.vault.clone(),
            installation: self.installation.clone(),
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
            identity: Some("entra".into()),
            upn: Some("dana@contoso.com".into()),
            oid: Some("00000000-0000-4000-8000-00000000d4a4".into()),
            role: "Admin".into(),
            client: Some("Contoso".into()),
            vault: Some("contoso-kv".into()),
            installation: Some("inst-1".into()),
            outcome: Outcome::Ok,
            error_code: None,
            note: "Rotated by schedule".into(),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        }
    }

    /// A line as a console before format 2 wrote it.
    fn v1_record() -> LineRecord {
        LineRecord {
            v: 1,
            identity: None,
            upn: None,
            oid: None,
            client: None,
            vault: None,
            installation: None,
            ..record()
        }
    }

    #[test]
    fn canonical_form_is_the_documented_fixed_order_json() {
        let canonical =
            String::from_utf8(record().canonical_bytes().expect("encode")).expect("utf-8");
        assert_eq!(
            canonical,
            format!(
                "{{\"v\":2,\"seq\":1,\"timestamp\":\"2025-03-01T09:30:00.000Z\",\"action\":\"rotate\",\
                 \"vendor\":\"ninjaone\",\"key_name\":\"ninjaone\",\"user\":\"Dana Reyes\",\"identity\":\"entra\",\
                 \"upn\":\"dana@contoso.com\",\"oid\":\"00000000-0000-4000-8000-00000000d4a4\",\"role\":\"Admin\",\
                 \"client\":\"Contoso\",\"vault\":\"contoso-kv\",\"installation\":\"inst-1\",\
                 \"outcome\":\"ok\",\"error_code\":null,\"note\":\"Rotated by schedule\",\"prev_hash\":\"{GENESIS_HASH}\"}}"
            )
        );
    }

    #[test]
    fn version_1_lines_keep_their_canonical_form() {
        let canonical =
            String::from_utf8(v1_record().canonical_bytes().expect("encode")).expect("utf-8");
        assert_eq!(
            canonical,
            format!(
                "{{\"v\":1,\"seq\":1,\"timestamp\":\"2025-03-01T09:30:00.000Z\",\"action\":\"rotate\",\
                 \"vendor\":\"ninjaone\",\"key_name\":\"ninjaone\",\"user\":\"Dana Reyes\",\"role\":\"Admin\",\
                 \"outcome\":\"ok\",\"error_code\":null,\"note\":\"Rotated by schedule\",\"prev_hash\":\"{GENESIS_HASH}\"}}"
            )
        );
        // An old line on disk (no identity fields at all) reads back as that record.
        let stored = format!(
            "{{\"v\":1,\"seq\":1,\"timestamp\":\"2025-03-01T09:30:00.000Z\",\"action\":\"rotate\",\
             \"vendor\":\"ninjaone\",\"key_name\":\"ninjaone\",\"user\":\"Dana Reyes\",\"role\":\"Admin\",\
             \"outcome\":\"ok\",\"error_code\":null,\"note\":\"Rotated by schedule\",\"prev_hash\":\"{GENESIS_HASH}\",\"hash\":\"x\"}}"
        );
        let parsed: LineRecord = serde_json::from_str(&stored).expect("v1 line parses");
        assert_eq!(
            parsed.canonical_bytes().expect("encode"),
            v1_record().canonical_bytes().expect("encode")
        );
    }

    #[test]
    fn a_version_1_line_cannot_smuggle_unhashed_identity_fields() {
        let mut smuggled = v1_record();
        smuggled.upn = Some("admin@contoso.com".into());
        assert!(matches!(
            smuggled.canonical_bytes(),
            Err(CanonicalError::FieldsBeyondVersion)
        ));
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
        let variants: [fn(&mut LineRecord); 18] = [
            |r| r.v = 1,
            |r| r.seq = 2,
            |r| r.timestamp = "2025-03-01T09:30:00.001Z".into(),
            |r| r.action = AuditAction::Retrieve,
            |r| r.vendor = None,
            |r| r.key_name = Some("ninjaone--eu".into()),
            |r| r.user = "Dana Reyes ".into(),
            |r| r.identity = Some("unverified".into()),
            |r| r.upn = Some("mallory@contoso.com".into()),
            |r| r.oid = None,
            |r| r.role = "L2".into(),
            |r| r.client = Some("Fabrikam".into()),
            |r| r.vault = Some("fabrikam-kv".into()),
            |r| r.installation = Some("inst-2".into()),
            |r| r.outcome = Outcome::Failed,
            |r| r.error_code = Some("timeout".into()),
            |r| r.note = "Rotated by schedul".into(),
            |r| r.prev_hash = "1".repeat(64),
        ];
        for (i, change) in variants.iter().enumerate() {
            let mut changed = record();
            change(&mut changed);
            let hash = changed.seal().map(|r| r.hash).unwrap_or_default();
            assert_ne!(hash, base, "field change #{i} not hashed");
        }
    }

    #[test]
    fn genesis_is_64_zeros() {
        assert_eq!(GENESIS_HASH.len(), 64);
        assert!(GENESIS_HASH.chars().all(|c| c == '0'));
    }
}
