//! A cryptographic key's type and size. Key Vault's key list does not carry them, only a key's
//! GET does (its public JWK), so they are read on demand for the rows a technician looks at and
//! kept for the session per key version (see [`KeyDetailCache`]). Only `kty`, the modulus
//! length and the curve name are taken from the JWK; no key component is kept or shown.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::vault_objects::CryptoKeyInfo;

/// At most this many key names per request from the page (a screenful and then some).
pub const MAX_NAMES_PER_CALL: usize = 50;

/// At most this many key GETs in flight at once per client (Key Vault throttles per vault).
pub const READS_AT_ONCE: usize = 4;

/// Why a key row shows "—" before its type was read.
pub const NOT_READ_YET: &str = "Read when the row is shown in the Vault tab: Key Vault's key list does not carry the type or size, and the console reads each key only when it is on screen.";

/// What the console shows of a key: "RSA-HSM" and "3072 bits", "EC" and "P-384".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDetail {
    pub key_type: String,
    /// Bits for RSA, the curve for EC; `None` for a symmetric key (its size is not published).
    pub size: Option<String>,
}

/// Longest key type accepted from the service; anything longer is not a JWK `kty`.
const MAX_KTY: usize = 16;

/// The type and size from a public JWK's `kty`, `n` (RSA modulus) and `crv` (EC curve).
/// The modulus may come with a leading zero byte (a DER-style positive integer); it is not part
/// of the key size. A symmetric (`oct`, `oct-HSM`) key has no public part, so no size.
pub fn from_jwk(kty: &str, n: Option<&[u8]>, crv: Option<&str>) -> KeyDetail {
    // Server text: keep it short and printable, as it lands in the PDF, CSV and CLI.
    let key_type: String = kty
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(MAX_KTY)
        .collect();
    let family = key_type.to_ascii_uppercase();
    let size = if family.starts_with("RSA") {
        n.map(|n| {
            let significant = n.iter().skip_while(|b| **b == 0).count();
            format!("{} bits", significant * 8)
        })
        .filter(|s| s != "0 bits")
    } else if family.starts_with("EC") {
        crv.map(|c| {
            c.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(MAX_KTY)
                .collect::<String>()
        })
        .filter(|c| !c.is_empty())
    } else {
        None
    };
    KeyDetail {
        key_type: if key_type.is_empty() {
            "unknown".to_string()
        } else {
            key_type
        },
        size,
    }
}

/// The type and size of every key read this session, per key and version. The list item
/// gives no version, only `updated`, which changes with each new version (and each properties
/// update): an entry is used only while the listing shows the `updated` it was read at.
#[derive(Debug, Default)]
pub struct KeyDetailCache {
    entries: HashMap<String, (Option<DateTime<Utc>>, KeyDetail)>,
}

impl KeyDetailCache {
    pub fn insert(&mut self, name: &str, updated: Option<DateTime<Utc>>, detail: KeyDetail) {
        self.entries.insert(name.to_string(), (updated, detail));
    }

    /// The detail of `name` as read at `updated`, if it was.
    pub fn get(&self, name: &str, updated: Option<DateTime<Utc>>) -> Option<&KeyDetail> {
        self.entries
            .get(name)
            .filter(|(at, _)| at.is_some() && *at == updated)
            .map(|(_, detail)| detail)
    }

    /// Fill in the keys of a new listing that were read at the version it shows.
    pub fn fill(&self, keys: &mut [CryptoKeyInfo]) {
        for key in keys.iter_mut().filter(|k| k.key_type.is_none()) {
            if let Some(detail) = self.get(&key.name, key.updated) {
                key.apply(detail);
            }
        }
    }
}

impl CryptoKeyInfo {
    pub fn apply(&mut self, detail: &KeyDetail) {
        self.key_type = Some(detail.key_type.clone());
        self.size = detail.size.clone();
        self.detail_note = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_size_is_the_modulus_length_without_a_leading_zero() {
        let n = vec![0xC5u8; 256];
        assert_eq!(
            from_jwk("RSA", Some(&n), None),
            KeyDetail {
                key_type: "RSA".into(),
                size: Some("2048 bits".into())
            }
        );
        // Some services send the modulus as a positive DER integer: 0x00 then 384 bytes.
        let mut padded = vec![0u8];
        padded.extend(vec![0xA1u8; 384]);
        assert_eq!(
            from_jwk("RSA-HSM", Some(&padded), None).size.as_deref(),
            Some("3072 bits")
        );
        assert_eq!(from_jwk("RSA-HSM", Some(&padded), None).key_type, "RSA-HSM");
        assert_eq!(from_jwk("RSA", None, None).size, None);
        assert_eq!(from_jwk("RSA", Some(&[0, 0]), None).size, None);
    }

    #[test]
    fn ec_size_is_its_curve_and_hsm_suffixes_stay() {
        for crv in ["P-256", "P-384", "P-521", "P-256K"] {
            let detail = from_jwk("EC-HSM", None, Some(crv));
            assert_eq!(detail.key_type, "EC-HSM");
            assert_eq!(detail.size.as_deref(), Some(crv));
        }
        assert_eq!(from_jwk("EC", None, None).size, None);
    }

    #[test]
    fn symmetric_keys_have_a_type_and_no_size() {
        assert_eq!(
            from_jwk("oct-HSM", None, None),
            KeyDetail {
                key_type: "oct-HSM".into(),
                size: None
            }
        );
        assert_eq!(from_jwk("oct", Some(&[1, 2, 3]), None).size, None);
    }

    #[test]
    fn server_text_is_kept_short_and_printable() {
        let detail = from_jwk("RSA\u{1b}[31m-HSM-and-a-very-long-tail", None, None);
        assert!(detail.key_type.chars().all(|c| c.is_ascii_graphic()));
        assert!(detail.key_type.len() <= MAX_KTY);
        assert_eq!(from_jwk("", None, None).key_type, "unknown");
    }

    #[test]
    fn a_cached_detail_is_used_only_for_the_version_it_was_read_at() {
        let at = |s: i64| DateTime::from_timestamp(s, 0);
        let mut cache = KeyDetailCache::default();
        let rsa = from_jwk("RSA", Some(&[0xFF; 256]), None);
        cache.insert("cmk", at(100), rsa.clone());
        assert_eq!(cache.get("cmk", at(100)), Some(&rsa));
        assert_eq!(
            cache.get("cmk", at(101)),
            None,
            "a new version is read again"
        );
        // No `updated` in the listing: nothing to tell versions apart by, so never cached.
        cache.insert("bare", None, rsa.clone());
        assert_eq!(cache.get("bare", None), None);
        let key = |name: &str, updated| CryptoKeyInfo {
            name: name.into(),
            enabled: true,
            expires: None,
            not_before: None,
            updated,
            key_type: None,
            size: None,
            detail_note: Some(NOT_READ_YET.into()),
            auto_rotate: None,
        };
        let mut keys = vec![key("cmk", at(100)), key("cmk2", at(100))];
        cache.fill(&mut keys);
        assert_eq!(keys[0].type_text(), "RSA 2048 bits");
        assert_eq!(keys[0].detail_note, None);
        assert_eq!(keys[1].type_text(), "—");
    }
}
