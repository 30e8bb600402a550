//! Secret values. A [`SecretValue`] lives only in Rust memory: it cannot be serialized, its debug
//! form is redacted, and its buffer is zeroed when dropped.

use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

/// A key value, a client secret or any other credential.
///
/// Deliberately not `Serialize`, not `Display` and not `Clone`: the only ways out are
/// [`SecretValue::expose`] (for the clipboard, the vault and the vendor ping) and the masked
/// preview.
pub struct SecretValue(Zeroizing<String>);

impl SecretValue {
    /// Wrap a value, trimming the whitespace that copy-and-paste from vendor portals adds.
    pub fn new(value: impl Into<String>) -> Self {
        let mut raw = Zeroizing::new(value.into());
        let trimmed = raw.trim();
        if trimmed.len() != raw.len() {
            let owned = Zeroizing::new(trimmed.to_string());
            raw = owned;
        }
        SecretValue(raw)
    }

    /// The value itself, for code that must hand it to the vault, the clipboard or a vendor.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in bytes (Key Vault's 25 KB limit counts bytes).
    pub fn byte_len(&self) -> usize {
        self.0.len()
    }

    /// The masked preview stored in the vault's tags and shown in the UI.
    pub fn masked_preview(&self) -> String {
        mask(&self.0)
    }

    /// A duplicate for a second owner (e.g. a retry); both copies are zeroed on drop.
    pub fn duplicate(&self) -> SecretValue {
        SecretValue(Zeroizing::new(self.0.as_str().to_string()))
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue([redacted])")
    }
}

impl PartialEq for SecretValue {
    fn eq(&self, other: &Self) -> bool {
        // Constant-time enough for our use (comparing a clipboard hash is done elsewhere).
        self.0.as_bytes() == other.0.as_bytes()
    }
}

/// Values arrive from the webview (Add Key, Rotate, Connect) and go no further than Rust.
impl<'de> Deserialize<'de> for SecretValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Zeroizing::new(String::deserialize(deserializer)?);
        Ok(SecretValue::new(raw.as_str()))
    }
}

/// Bullets shown in place of the hidden middle. A fixed count, so the preview does not leak the
/// value's length.
const MASK: &str = "••••••••";

/// Mask a value: show at most a quarter of its characters (a prefix of up to 6 and a suffix of up
/// to 4), never anything of values of 8 characters or fewer.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let total = chars.len();
    if total <= 8 {
        return MASK.to_string();
    }
    let budget = total / 4;
    let suffix = budget.div_ceil(2).min(4);
    let prefix = (budget - suffix).min(6);
    let head: String = chars[..prefix].iter().collect();
    let tail: String = chars[total - suffix..].iter().collect();
    format!("{head}{MASK}{tail}")
}

/// Characters of the original value that a preview reveals (for tests and for the report's
/// assurance line).
pub fn revealed_chars(preview: &str) -> usize {
    preview.replace(MASK, "").chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_contains_no_value() {
        let value = SecretValue::new("ninja_SUPERSECRET_5f2a");
        let debug = format!("{value:?} {:?}", vec![&value]);
        assert!(!debug.contains("SUPERSECRET"));
        assert!(!debug.contains("5f2a"));
        assert!(debug.contains("redacted"));
    }

    #[test]
    fn long_values_show_prefix_and_suffix() {
        let key = "ninja_a8c3e1f0b2d49a7c6e5f1a2b3c4d5e6f7a8b5f2a";
        let preview = mask(key);
        assert_eq!(preview, "ninja_••••••••5f2a");
        assert!(revealed_chars(&preview) * 4 <= key.chars().count());
    }

    #[test]
    fn short_values_reveal_less() {
        assert_eq!(mask("abc"), "••••••••");
        assert_eq!(mask("12345678"), "••••••••");
        // 9 chars: budget 2 → one char each side.
        assert_eq!(mask("abcdefghi"), "a••••••••i");
        // 16 chars: budget 4 → two each side.
        assert_eq!(mask("abcdefghijklmnop"), "ab••••••••op");
    }

    #[test]
    fn never_more_than_a_quarter_for_any_length() {
        for len in 0..200 {
            let value: String = "x".repeat(len);
            let preview = mask(&value);
            assert!(
                revealed_chars(&preview) * 4 <= len,
                "len {len} revealed {}",
                revealed_chars(&preview)
            );
        }
    }

    #[test]
    fn non_ascii_values_are_masked_by_characters_not_bytes() {
        let key = "ключ-доступа-Zürich-東京-секрет-🔑🔑-конец";
        let preview = mask(key);
        // 38 characters: a quarter is 9, split as 5 before and 4 after.
        assert_eq!(preview, "ключ-••••••••онец");
        assert!(revealed_chars(&preview) * 4 <= key.chars().count());
        // Emoji and accents survive without splitting a UTF-8 sequence.
        assert_eq!(mask("🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑"), "🔑••••••••🔑🔑");
    }

    #[test]
    fn pasted_whitespace_is_trimmed() {
        let value = SecretValue::new("  key-value\n");
        assert_eq!(value.expose(), "key-value");
    }

    #[test]
    fn deserializes_from_json_but_has_no_way_back() {
        let value: SecretValue = serde_json::from_str("\" abc \"").expect("json string");
        assert_eq!(value.expose(), "abc");
    }
}
