//! How a [`KeyRecord`]'s metadata rides in Key Vault tags, so listing keys reads no value.
//! Key Vault allows 15 tags of at most 256 characters; we use at most 15 (the review reason only
//! on non-API secrets, which never carry an endpoint, token URL, fields or CA). The application
//! id, display only, is the one tag left out when a record would need a sixteenth.
//!
//! Every write also stamps `akv-written`: when the console wrote this state, and an HMAC-SHA256
//! of it (the other tags, content type, expiry, enabled, the stamp's time) under the stamp key in
//! the vault's policy (`k1:` + 16 hex digits). Whoever edits tags elsewhere cannot recompute it,
//! so a listing whose stamp does not verify was changed outside the console, and so was a current
//! version created well after the stamp.
//!
//! Stamps that cannot be verified — the unkeyed SHA-256 of consoles before the key, or a write
//! made while the vault had no key — are "not verified", not alarms: they count as outside
//! changes only on secrets Key Vault says were changed after the key was made (Key Vault's
//! `updated` time is the server's, not a tag). Before a key exists nothing is verified.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::keys::{KeyRecord, KeySettings};
use crate::domain::policy::StampKey;
use crate::domain::validation::{MAX_INTERVAL_DAYS, MIN_INTERVAL_DAYS};

/// Marks a secret as an API key managed by this console.
pub const CONTENT_TYPE: &str = "application/vnd.akv-console.api-key";

pub const TAG_SCHEMA: &str = "akv-schema";
pub const TAG_VENDOR: &str = "akv-vendor";
pub const TAG_LABEL: &str = "akv-label";
pub const TAG_INTERVAL: &str = "akv-interval-days";
pub const TAG_ROTATED: &str = "akv-last-rotated";
pub const TAG_OWNER: &str = "akv-owner";
pub const TAG_NOTE: &str = "akv-note";
pub const TAG_PREVIEW: &str = "akv-preview";
pub const TAG_ENDPOINT: &str = "akv-endpoint";
pub const TAG_TOKEN_URL: &str = "akv-token-url";
/// Named endpoint fields as `id=value;id=value` (field values never hold `;` or `=`).
pub const TAG_FIELDS: &str = "akv-fields";
pub const TAG_CA_SHA256: &str = "akv-ca-sha256";
pub const TAG_USED_BY: &str = "akv-used-by";
/// The reason a shorter-than-recommended secret was accepted (flagged for review).
pub const TAG_REVIEW: &str = "akv-review";
/// The application (client) id of the app registration whose secret the key holds (lowercase
/// GUID), recorded when the console saved the value. Read back only as a canonical GUID.
pub const TAG_APP_ID: &str = "akv-app-id";
/// `<RFC 3339 time>;<fingerprint>` of the console's last write (see the module comment).
pub const TAG_WRITTEN: &str = "akv-written";

/// A version created this long after the console's stamp was not written by the console (the
/// slack covers clock differences between this PC and Azure).
const NEW_VERSION_SLACK_MINUTES: i64 = 10;

const SCHEMA_VERSION: &str = "1";

/// Key Vault's limit of tags per secret.
pub const MAX_TAGS: usize = 15;

/// Marks a keyed stamp (HMAC-SHA256 under the policy's stamp key).
const KEYED: &str = "k1:";

/// Tags for a record, stamped now with `key` (unstamped fingerprint without one). Empty optional
/// fields are left out.
pub fn record_to_tags(record: &KeyRecord, key: Option<&StampKey>) -> HashMap<String, String> {
    record_to_tags_at(record, key, Utc::now())
}

/// The same, stamped as written at `written` (tests seed stamps of the past).
pub fn record_to_tags_at(
    record: &KeyRecord,
    key: Option<&StampKey>,
    written: DateTime<Utc>,
) -> HashMap<String, String> {
    let mut tags = HashMap::new();
    tags.insert(TAG_SCHEMA.into(), SCHEMA_VERSION.into());
    tags.insert(TAG_VENDOR.into(), record.vendor_id.clone());
    tags.insert(TAG_INTERVAL.into(), record.interval_days.to_string());
    tags.insert(TAG_ROTATED.into(), record.last_rotated.to_rfc3339());
    tags.insert(TAG_PREVIEW.into(), record.masked_preview.clone());
    let optional = [
        (TAG_LABEL, record.label.clone().unwrap_or_default()),
        (TAG_OWNER, record.owner.clone()),
        (TAG_NOTE, record.note.clone()),
        (
            TAG_ENDPOINT,
            record.endpoint_override.clone().unwrap_or_default(),
        ),
        (
            TAG_TOKEN_URL,
            record.token_url_override.clone().unwrap_or_default(),
        ),
        (TAG_FIELDS, encode_fields(&record.settings.fields)),
        (
            TAG_CA_SHA256,
            record.settings.ca_sha256.clone().unwrap_or_default(),
        ),
        (TAG_USED_BY, record.settings.used_by.clone()),
        (
            TAG_REVIEW,
            record.settings.review.clone().unwrap_or_default(),
        ),
    ];
    for (name, value) in optional {
        if !value.is_empty() {
            tags.insert(name.into(), value);
        }
    }
    // Room is kept for the stamp; without room the link to app credentials is lost, not the save.
    if let Some(app_id) = &record.settings.app_id
        && tags.len() < MAX_TAGS - 1
    {
        tags.insert(TAG_APP_ID.into(), app_id.clone());
    }
    let written = written.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let stamp = match key.and_then(StampKey::bytes) {
        Some(bytes) => format!(
            "{written};{KEYED}{}",
            mac(&bytes, &tags, record.expires, record.enabled, &written)
        ),
        // No key in the vault yet: a time alone, which nobody can verify.
        None => written,
    };
    tags.insert(TAG_WRITTEN.into(), stamp);
    tags
}

/// What the console wrote, in 16 hex digits of HMAC-SHA256: every tag but the stamp, the content
/// type, the expiry (whole seconds, as Key Vault keeps it), whether the key is enabled, and the
/// stamp's time (so a copied stamp cannot be moved in time).
fn mac(
    key: &[u8; 32],
    tags: &HashMap<String, String>,
    expires: Option<DateTime<Utc>>,
    enabled: bool,
    written: &str,
) -> String {
    use hmac::{Hmac, Mac};
    let mut pairs: Vec<(&String, &String)> = tags
        .iter()
        .filter(|(k, _)| k.as_str() != TAG_WRITTEN)
        .collect();
    pairs.sort();
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        // HMAC takes keys of any length; never reached.
        return String::new();
    };
    mac.update(CONTENT_TYPE.as_bytes());
    for (key, value) in pairs {
        mac.update(&[0]);
        mac.update(key.as_bytes());
        mac.update(&[1]);
        mac.update(value.as_bytes());
    }
    mac.update(&[2]);
    mac.update(&expires.map(|e| e.timestamp()).unwrap_or(0).to_le_bytes());
    mac.update(&[u8::from(enabled)]);
    mac.update(&[3]);
    mac.update(written.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// Compare a listed secret with the console's stamp on it (see the module comment).
fn outside_change(
    parts: &SecretParts,
    key: Option<&StampKey>,
) -> Option<crate::domain::keys::OutsideChange> {
    use crate::domain::keys::OutsideChange;
    // Keys written before the stamp existed cannot be judged.
    let stamp = parts.tags.get(TAG_WRITTEN)?;
    let (written_text, print) = match stamp.split_once(';') {
        Some((written, print)) => (written, Some(print)),
        None => (stamp.as_str(), None),
    };
    let written = DateTime::parse_from_rfc3339(written_text)
        .ok()
        .map(|d| d.with_timezone(&Utc));
    let slack = chrono::Duration::minutes(NEW_VERSION_SLACK_MINUTES);
    let key = key.and_then(|k| Some((k.bytes()?, k.created)));
    let keyed = print.and_then(|p| p.strip_prefix(KEYED));
    match (key, keyed) {
        (Some((bytes, _)), Some(print)) => {
            if mac(
                &bytes,
                &parts.tags,
                parts.expires,
                parts.enabled,
                written_text,
            ) != print
            {
                return Some(OutsideChange::Edited { at: parts.updated });
            }
        }
        // Not verifiable: an outside change only if Key Vault changed it after the key existed.
        (Some((_, created)), None) => {
            if parts
                .updated
                .is_some_and(|updated| updated - created > slack)
            {
                return Some(OutsideChange::Edited { at: parts.updated });
            }
        }
        (None, _) => {}
    }
    match (written, parts.created) {
        (Some(written), Some(created)) if created - written > slack => {
            Some(OutsideChange::NewVersion { at: Some(created) })
        }
        (None, _) => Some(OutsideChange::Edited { at: parts.updated }),
        _ => None,
    }
}

/// `tenant=acme;region=eu`. Values are validated on entry; tags edited outside the console are
/// validated again before any ping uses them.
pub fn encode_fields(fields: &std::collections::BTreeMap<String, String>) -> String {
    fields
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(id, value)| format!("{id}={value}"))
        .collect::<Vec<_>>()
        .join(";")
}

pub fn decode_fields(text: &str) -> std::collections::BTreeMap<String, String> {
    text.split(';')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(id, value)| !id.is_empty() && !value.is_empty())
        .map(|(id, value)| (id.trim().to_string(), value.trim().to_string()))
        .collect()
}

/// Attributes of a secret as Key Vault reports them, next to its tags.
#[derive(Debug, Clone, Default)]
pub struct SecretParts {
    pub name: String,
    pub content_type: Option<String>,
    pub tags: HashMap<String, String>,
    pub enabled: bool,
    pub expires: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub version: String,
}

/// Rebuild a record from a secret, or `None` if the secret is not a key of this console (other
/// applications may share the vault).
pub fn record_from_parts(parts: SecretParts, key: Option<&StampKey>) -> Option<KeyRecord> {
    if parts.content_type.as_deref() != Some(CONTENT_TYPE) {
        return None;
    }
    let vendor_id = parts.tags.get(TAG_VENDOR)?.clone();
    let tag = |name: &str| parts.tags.get(name).cloned().unwrap_or_default();
    let non_empty = |name: &str| parts.tags.get(name).filter(|v| !v.is_empty()).cloned();
    // A tag edited outside the console may hold anything; keep the interval in the range the
    // console itself allows.
    let interval_days = tag(TAG_INTERVAL)
        .parse::<u32>()
        .ok()
        .filter(|days| (MIN_INTERVAL_DAYS..=MAX_INTERVAL_DAYS).contains(days))
        .unwrap_or_else(|| {
            crate::domain::catalog::vendor(&vendor_id)
                .map(|v| v.default_interval_days())
                .unwrap_or(90)
        });
    let outside_change = outside_change(&parts, key);
    let last_rotated = DateTime::parse_from_rfc3339(&tag(TAG_ROTATED))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or(parts.created)
        .unwrap_or_else(Utc::now);
    Some(KeyRecord {
        secret_name: parts.name,
        label: non_empty(TAG_LABEL),
        interval_days,
        last_rotated,
        expires: parts.expires,
        enabled: parts.enabled,
        owner: tag(TAG_OWNER),
        note: tag(TAG_NOTE),
        masked_preview: tag(TAG_PREVIEW),
        endpoint_override: non_empty(TAG_ENDPOINT),
        token_url_override: non_empty(TAG_TOKEN_URL),
        settings: KeySettings {
            fields: decode_fields(&tag(TAG_FIELDS)),
            ca_sha256: non_empty(TAG_CA_SHA256),
            used_by: tag(TAG_USED_BY),
            review: non_empty(TAG_REVIEW),
            // Anyone with vault write can edit tags: only a GUID is taken, and it only names
            // this key next to an app credential.
            app_id: parts
                .tags
                .get(TAG_APP_ID)
                .and_then(|id| crate::domain::app_credentials::canonical_guid(id))
                .filter(|id| parts.tags.get(TAG_APP_ID) == Some(id)),
        },
        version: parts.version,
        created: parts.created,
        updated: parts.updated,
        vendor_id,
        outside_change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::tests::{at, record};

    #[test]
    fn round_trip_keeps_every_field() {
        let mut original = record(at(2026, 9, 1, 8), 120, Some(at(2027, 3, 1, 23)));
        original.label = Some("client-b".into());
        original.owner = "Dana Reyes".into();
        original.note = "Used by the PSA sync, señal ✓".into();
        original.endpoint_override = Some("https://acme.sentinelone.net/web/api/v2.1".into());
        original.token_url_override =
            Some("https://login.microsoftonline.com/acme/oauth2/v2.0/token".into());
        original
            .settings
            .fields
            .insert("region".into(), "eu".into());
        original
            .settings
            .fields
            .insert("org_id".into(), "5b5o13".into());
        original.settings.ca_sha256 = Some("ab".repeat(32));
        original.settings.used_by = "PSA sync; NOC dashboard".into();
        original.settings.review = Some("The old printer accepts 16 characters at most".into());
        original.secret_name = "ninjaone--client-b".into();
        original.version = "abc".into();
        let key = StampKey::generate(Utc::now());
        let tags = record_to_tags(&original, Some(&key));
        assert!(tags.len() <= 15);
        assert!(tags.values().all(|v| v.chars().count() <= 256));
        let rebuilt = record_from_parts(
            SecretParts {
                name: original.secret_name.clone(),
                content_type: Some(CONTENT_TYPE.into()),
                tags,
                enabled: true,
                expires: original.expires,
                created: None,
                updated: None,
                version: "abc".into(),
            },
            Some(&key),
        )
        .expect("ours");
        assert_eq!(rebuilt, original);
    }

    /// An app registration's key with every tag an API key can carry.
    fn full_app_key() -> KeyRecord {
        let mut key = record(at(2026, 9, 1, 8), 90, Some(at(2027, 3, 1, 23)));
        key.secret_name = "microsoft-graph--reporting".into();
        key.vendor_id = "microsoft-graph".into();
        key.label = Some("reporting".into());
        key.owner = "Dana Reyes".into();
        key.note = "Monthly licence report".into();
        key.endpoint_override = Some("https://graph.microsoft.com/v1.0".into());
        key.token_url_override =
            Some("https://login.microsoftonline.com/contoso/oauth2/v2.0/token".into());
        key.settings
            .fields
            .insert("tenant".into(), "contoso".into());
        key.settings.ca_sha256 = Some("ab".repeat(32));
        key.settings.used_by = "Reporting job".into();
        key.settings.app_id = Some("6f1b2c3d-0000-4000-8000-00000000ab01".into());
        key
    }

    fn read_back(tags: HashMap<String, String>, key: &StampKey) -> KeyRecord {
        record_from_parts(
            SecretParts {
                name: "microsoft-graph--reporting".into(),
                content_type: Some(CONTENT_TYPE.into()),
                tags,
                enabled: true,
                expires: Some(at(2027, 3, 1, 23)),
                ..Default::default()
            },
            Some(key),
        )
        .expect("ours")
    }

    #[test]
    fn the_app_id_fits_the_tag_budget_at_its_limit() {
        let key = StampKey::generate(Utc::now());
        let full = full_app_key();
        let tags = record_to_tags(&full, Some(&key));
        assert_eq!(
            tags.len(),
            MAX_TAGS,
            "every API key tag and the app id: the limit"
        );
        assert_eq!(
            tags[TAG_APP_ID], "6f1b2c3d-0000-4000-8000-00000000ab01",
            "no other part of the value rides along"
        );
        assert_eq!(read_back(tags, &key).settings.app_id, full.settings.app_id);
        // A record that would need a sixteenth tag keeps the others and the save; only the link
        // is lost.
        let mut over = full.clone();
        over.settings.review = Some("a custom kind with a short secret".into());
        let tags = record_to_tags(&over, Some(&key));
        assert_eq!(tags.len(), MAX_TAGS);
        assert!(!tags.contains_key(TAG_APP_ID));
        assert!(tags.contains_key(TAG_REVIEW) && tags.contains_key(TAG_WRITTEN));
    }

    #[test]
    fn an_app_id_tag_is_read_only_as_a_lowercase_guid() {
        let key = StampKey::generate(Utc::now());
        for forged in [
            "6F1B2C3D-0000-4000-8000-00000000AB01",
            "not-a-guid",
            "6f1b2c3d-0000-4000-8000-00000000ab01;tenant=evil",
            "",
        ] {
            let mut tags = record_to_tags(&full_app_key(), Some(&key));
            tags.insert(TAG_APP_ID.into(), forged.into());
            let seen = read_back(tags, &key);
            assert_eq!(seen.settings.app_id, None, "{forged:?}");
            assert!(seen.outside_change.is_some(), "an edited tag is noticed");
        }
    }

    fn listed(tags: HashMap<String, String>, created: Option<DateTime<Utc>>) -> SecretParts {
        SecretParts {
            name: "ninjaone".into(),
            content_type: Some(CONTENT_TYPE.into()),
            tags,
            enabled: true,
            expires: None,
            created,
            updated: created,
            version: "v1".into(),
        }
    }

    /// A key the consoles made a day ago.
    fn day_old_key() -> StampKey {
        StampKey::generate(Utc::now() - chrono::Duration::days(1))
    }

    /// The unkeyed fingerprint consoles wrote before the stamp key: anyone can compute it.
    fn unkeyed_fingerprint(tags: &HashMap<String, String>, enabled: bool) -> String {
        use sha2::{Digest, Sha256};
        let mut pairs: Vec<(&String, &String)> = tags
            .iter()
            .filter(|(k, _)| k.as_str() != TAG_WRITTEN)
            .collect();
        pairs.sort();
        let mut hasher = Sha256::new();
        hasher.update(CONTENT_TYPE.as_bytes());
        for (key, value) in pairs {
            hasher.update([0]);
            hasher.update(key.as_bytes());
            hasher.update([1]);
            hasher.update(value.as_bytes());
        }
        hasher.update([2]);
        hasher.update(0i64.to_le_bytes());
        hasher.update([u8::from(enabled)]);
        hex::encode(&hasher.finalize()[..8])
    }

    #[test]
    fn changes_made_outside_the_console_are_noticed() {
        let key = day_old_key();
        let original = record(at(2026, 9, 1, 8), 90, None);
        let tags = record_to_tags(&original, Some(&key));
        let now = Utc::now();
        let read = |parts| record_from_parts(parts, Some(&key)).expect("ours");
        // As written: nothing to report.
        assert_eq!(read(listed(tags.clone(), Some(now))).outside_change, None);
        // An owner edited in the Portal.
        let mut edited = tags.clone();
        edited.insert(TAG_OWNER.into(), "Someone Else".into());
        assert!(matches!(
            read(listed(edited, Some(now))).outside_change,
            Some(crate::domain::keys::OutsideChange::Edited { .. })
        ));
        // Disabled in the Portal.
        let mut disabled = listed(tags.clone(), Some(now));
        disabled.enabled = false;
        assert!(read(disabled).outside_change.is_some());
        // A new version with the old tags copied, stored a day later.
        assert!(matches!(
            read(listed(tags, Some(now + chrono::Duration::days(1)))).outside_change,
            Some(crate::domain::keys::OutsideChange::NewVersion { .. })
        ));
        // A key written before the stamp existed is not judged.
        let mut old = record_to_tags(&original, Some(&key));
        old.remove(TAG_WRITTEN);
        assert_eq!(read(listed(old, Some(now))).outside_change, None);
    }

    #[test]
    fn a_tag_writer_cannot_recompute_the_stamp() {
        let key = day_old_key();
        let original = record(at(2026, 9, 1, 8), 90, None);
        let now = Utc::now();
        let mut forged = record_to_tags(&original, Some(&key));
        forged.insert(TAG_OWNER.into(), "Mallory".into());
        forged.insert(TAG_PREVIEW.into(), "ninja_••••••••beef".into());
        // The old unkeyed fingerprint over the edited tags, as anyone could compute it.
        let time = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let print = unkeyed_fingerprint(&forged, true);
        forged.insert(TAG_WRITTEN.into(), format!("{time};{print}"));
        let seen = record_from_parts(listed(forged.clone(), Some(now)), Some(&key)).expect("ours");
        assert!(
            matches!(
                seen.outside_change,
                Some(crate::domain::keys::OutsideChange::Edited { .. })
            ),
            "an unkeyed stamp on a secret changed after the key existed is not the console's"
        );
        // A keyed-looking stamp made with another key fails too.
        let mallorys = StampKey::generate(now);
        let restamped = record_to_tags(
            &KeyRecord {
                owner: "Mallory".into(),
                ..original.clone()
            },
            Some(&mallorys),
        );
        let seen = record_from_parts(listed(restamped, Some(now)), Some(&key)).expect("ours");
        assert!(seen.outside_change.is_some());
    }

    #[test]
    fn old_unkeyed_stamps_are_not_verified_rather_than_alarms() {
        let original = record(at(2026, 9, 1, 8), 90, None);
        let written = Utc::now() - chrono::Duration::days(3);
        // What a console before the stamp key wrote three days ago, untouched since.
        let mut old = record_to_tags_at(&original, None, written);
        let time = written.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let print = unkeyed_fingerprint(&old, true);
        old.insert(TAG_WRITTEN.into(), format!("{time};{print}"));
        let mut parts = listed(old, Some(written));
        parts.updated = Some(written);
        let key = day_old_key();
        assert_eq!(
            record_from_parts(parts.clone(), Some(&key))
                .expect("ours")
                .outside_change,
            None
        );
        // Nor is a stamp written while the vault had no key.
        let unkeyed = record_to_tags_at(&original, None, written);
        assert!(!unkeyed[TAG_WRITTEN].contains(';'));
        parts.tags = unkeyed;
        assert_eq!(
            record_from_parts(parts, Some(&key))
                .expect("ours")
                .outside_change,
            None
        );
    }

    #[test]
    fn out_of_range_intervals_fall_back_to_the_vendor_default() {
        let mut tags = record_to_tags(&record(at(2026, 9, 1, 8), 90, None), None);
        tags.insert(TAG_INTERVAL.into(), "4000000000".into());
        let rebuilt = record_from_parts(
            SecretParts {
                name: "ninjaone".into(),
                content_type: Some(CONTENT_TYPE.into()),
                tags,
                enabled: true,
                ..Default::default()
            },
            None,
        )
        .expect("ours");
        assert_eq!(rebuilt.interval_days, 90);
        // Status computation must not overflow on it either.
        let _ = rebuilt.timing(at(2026, 11, 23, 10));
    }

    #[test]
    fn foreign_secrets_are_ignored() {
        let parts = SecretParts {
            name: "db-password".into(),
            content_type: Some("text/plain".into()),
            ..Default::default()
        };
        assert!(record_from_parts(parts, None).is_none());
    }
}
