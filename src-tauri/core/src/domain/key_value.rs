//! A key's value as its labelled parts (client ID + secret, user + password + integration code).
//!
//! The technician enters each part in its own field; Rust validates them and stores a multi-part
//! key as one JSON object of named parts, so any part may contain `:`. Values the console stored
//! before as `part:part:part` are still read: the parts before the vendor's secret part are split
//! off the front, the parts after it off the back, and the secret part keeps whatever is left
//! (colons included). Single-part keys are stored as they are.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;
use zeroize::Zeroizing;

use super::catalog::Vendor;
use super::secret::{SecretValue, mask};
use super::validation::{MAX_VALUE_BYTES, validate_value};
use crate::error::{AppError, AppResult};

/// Marks the JSON form; a legacy `a:b` value never starts with it.
const MARKER: &str = "akv-key-parts";

/// One part as a form sends it.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyPartInput {
    pub id: String,
    #[ts(type = "string")]
    pub value: SecretValue,
}

/// A key's parts by id, in the vendor's order. Never serialized as a whole except into the
/// stored form ([`KeyParts::encode`]).
pub struct KeyParts {
    parts: Vec<(String, SecretValue)>,
}

impl std::fmt::Debug for KeyParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.parts.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "KeyParts({ids:?}, [redacted])")
    }
}

#[derive(Deserialize)]
struct StoredParts {
    #[serde(rename = "akv-key-parts")]
    version: u32,
    parts: BTreeMap<String, SecretValue>,
}

#[derive(Serialize)]
struct StoredPartsOut<'a> {
    #[serde(rename = "akv-key-parts")]
    version: u32,
    parts: BTreeMap<&'a str, &'a str>,
}

impl KeyParts {
    /// The value of part `id`, if the key has it.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.parts
            .iter()
            .find(|(part, _)| part == id)
            .map(|(_, value)| value.expose())
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().map(|(id, _)| id.as_str())
    }

    /// A single value (a key of one part).
    pub fn single(vendor: &Vendor, value: SecretValue) -> KeyParts {
        let id = vendor
            .key_parts
            .first()
            .map(|p| p.id.clone())
            .unwrap_or_else(|| "key".into());
        KeyParts {
            parts: vec![(id, value)],
        }
    }

    /// Build from named parts (a connector's new credential). Unknown ids are dropped.
    pub fn from_named(vendor: &Vendor, named: Vec<(&str, SecretValue)>) -> KeyParts {
        let mut named = named;
        let mut parts = Vec::new();
        for spec in &vendor.key_parts {
            if let Some(index) = named.iter().position(|(id, _)| *id == spec.id) {
                let (_, value) = named.swap_remove(index);
                parts.push((spec.id.clone(), value));
            }
        }
        KeyParts { parts }
    }

    /// Validate what a form sent: every part of the vendor present, non-empty, no unknown ids.
    /// `value` is the one-field form of single-part keys.
    pub fn from_input(
        vendor: &Vendor,
        value: Option<SecretValue>,
        inputs: Vec<KeyPartInput>,
    ) -> AppResult<KeyParts> {
        if !vendor.is_multi_part() {
            let value = match (value, inputs.into_iter().next()) {
                (Some(value), _) => value,
                (None, Some(input)) => input.value,
                (None, None) => SecretValue::new(""),
            };
            validate_value(&value)?;
            return Ok(KeyParts::single(vendor, value));
        }
        if value.is_some_and(|v| !v.is_empty()) {
            return Err(AppError::field(
                "value",
                format!("{} keys are entered as separate parts.", vendor.name),
                "Fill each labelled field; the console joins them itself.",
            ));
        }
        let mut inputs = inputs;
        let mut parts = Vec::new();
        for spec in &vendor.key_parts {
            let field = format!("part:{}", spec.id);
            let index = inputs.iter().position(|input| input.id == spec.id);
            let value = match index {
                Some(index) => inputs.swap_remove(index).value,
                None => SecretValue::new(""),
            };
            if value.is_empty() {
                return Err(AppError::field(
                    &field,
                    format!("Enter the {}.", spec.label),
                    vendor.key_hint.clone(),
                ));
            }
            if value.expose().chars().any(char::is_control) {
                return Err(AppError::field(
                    &field,
                    format!(
                        "The {} contains a line break or control character.",
                        spec.label
                    ),
                    "Copy only the value itself from the vendor's portal.",
                ));
            }
            parts.push((spec.id.clone(), value));
        }
        if let Some(extra) = inputs.first() {
            return Err(AppError::field(
                "value",
                format!("{} keys have no part '{}'.", vendor.name, extra.id),
                vendor.key_hint.clone(),
            ));
        }
        let parts = KeyParts { parts };
        if parts.encode().byte_len() > MAX_VALUE_BYTES {
            return Err(AppError::field(
                "value",
                "The key is larger than the 25 KB Key Vault stores per secret.",
                "Check that you pasted only the key parts, not a whole file.",
            ));
        }
        Ok(parts)
    }

    /// The form stored in the vault: the bare value for one part, the JSON object otherwise.
    pub fn encode(&self) -> SecretValue {
        if let [(_, only)] = self.parts.as_slice() {
            return only.duplicate();
        }
        let out = StoredPartsOut {
            version: 1,
            parts: self
                .parts
                .iter()
                .map(|(id, value)| (id.as_str(), value.expose()))
                .collect(),
        };
        // Serializing a map of strings cannot fail; an empty value is refused by validation.
        let json = Zeroizing::new(serde_json::to_string(&out).unwrap_or_default());
        SecretValue::new(json.as_str())
    }

    /// Read a stored value: the JSON form, or the legacy `a:b:c` form.
    pub fn decode(vendor: &Vendor, stored: &SecretValue) -> Option<KeyParts> {
        if !vendor.is_multi_part() {
            return (!stored.is_empty()).then(|| KeyParts::single(vendor, stored.duplicate()));
        }
        let text = stored.expose();
        if text.starts_with('{') && text.contains(MARKER) {
            let parsed: StoredParts = serde_json::from_str(text).ok()?;
            if parsed.version != 1 {
                return None;
            }
            let mut map = parsed.parts;
            let mut parts = Vec::new();
            for spec in &vendor.key_parts {
                let value = map.remove(&spec.id)?;
                if value.is_empty() {
                    return None;
                }
                parts.push((spec.id.clone(), value));
            }
            return Some(KeyParts { parts });
        }
        legacy_split(vendor, text)
    }

    /// The masked preview: the parts joined with `:` as before, masked as one value.
    pub fn masked_preview(&self) -> String {
        let joined = Zeroizing::new(
            self.parts
                .iter()
                .map(|(_, value)| value.expose())
                .collect::<Vec<_>>()
                .join(":"),
        );
        mask(&joined)
    }

    /// Does `text` contain any part of this key of 8 characters or more (used to keep secrets out
    /// of procedures and notes)?
    pub fn appears_in(&self, text: &str) -> bool {
        self.parts
            .iter()
            .any(|(_, value)| value.expose().chars().count() >= 8 && text.contains(value.expose()))
    }

    /// `text` (a short vendor message) with every run of 8 or more characters that also occurs
    /// in a part of this key replaced by `[redacted]`, and parts of 4 to 7 characters replaced
    /// where they appear whole (shorter ones would blank ordinary words and hide nothing).
    /// Vendors echo keys in error messages (N-sight does), and those messages are shown and
    /// logged.
    pub fn redact(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut hidden = vec![false; chars.len()];
        for (_, value) in &self.parts {
            let part: Vec<char> = value.expose().chars().collect();
            if part.len() < 4 {
                continue;
            }
            let shortest = part.len().min(8);
            for start in 0..chars.len() {
                // The longest run from `start` that is a substring of the part.
                let mut length = 0;
                for offset in 0..part.len() {
                    let run = part[offset..]
                        .iter()
                        .zip(&chars[start..])
                        .take_while(|(a, b)| a == b)
                        .count();
                    length = length.max(run);
                }
                if length >= shortest {
                    hidden[start..start + length]
                        .iter_mut()
                        .for_each(|h| *h = true);
                }
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut index = 0;
        while index < chars.len() {
            if hidden[index] {
                out.push_str("[redacted]");
                while index < chars.len() && hidden[index] {
                    index += 1;
                }
            } else {
                out.push(chars[index]);
                index += 1;
            }
        }
        out
    }
}

/// Split a legacy joined value: parts before the secret part from the left, parts after it from
/// the right, the secret part keeps the middle.
fn legacy_split(vendor: &Vendor, text: &str) -> Option<KeyParts> {
    let specs = &vendor.key_parts;
    let greedy = specs
        .iter()
        .position(|p| p.secret)
        .unwrap_or(specs.len() - 1);
    let mut rest = text;
    let mut front = Vec::new();
    for _ in 0..greedy {
        let (head, tail) = rest.split_once(':')?;
        front.push(head);
        rest = tail;
    }
    let mut back = Vec::new();
    for _ in greedy + 1..specs.len() {
        let (head, tail) = rest.rsplit_once(':')?;
        back.push(tail);
        rest = head;
    }
    back.reverse();
    let values: Vec<&str> = front
        .into_iter()
        .chain(std::iter::once(rest))
        .chain(back)
        .collect();
    if values.iter().any(|v| v.is_empty()) {
        return None;
    }
    Some(KeyParts {
        parts: specs
            .iter()
            .zip(values)
            .map(|(spec, value)| (spec.id.clone(), SecretValue::new(value)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::vendor;

    fn input(id: &str, value: &str) -> KeyPartInput {
        KeyPartInput {
            id: id.into(),
            value: SecretValue::new(value),
        }
    }

    #[test]
    fn any_part_may_hold_colons_in_the_stored_form() {
        let automate = vendor("connectwise-automate").expect("catalog");
        let parts = KeyParts::from_input(
            automate,
            None,
            vec![
                input("user", "integrator"),
                input("password", "pa:ss:word"),
                input("clientid", "0f0e-client"),
            ],
        )
        .expect("valid");
        let stored = parts.encode();
        assert!(stored.expose().starts_with('{'));
        let back = KeyParts::decode(automate, &stored).expect("decodes");
        assert_eq!(back.get("password"), Some("pa:ss:word"));
        assert_eq!(back.get("clientid"), Some("0f0e-client"));
    }

    #[test]
    fn legacy_joined_values_are_read_with_the_secret_keeping_its_colons() {
        let autotask = vendor("autotask").expect("catalog");
        // username:secret:integrationCode, the secret in the middle holding colons.
        let old = SecretValue::new("api@acme.example:s3c:r:et:INTEGRATION42");
        let parts = KeyParts::decode(autotask, &old).expect("legacy");
        assert_eq!(parts.get("user"), Some("api@acme.example"));
        assert_eq!(parts.get("secret"), Some("s3c:r:et"));
        assert_eq!(parts.get("code"), Some("INTEGRATION42"));

        let pax8 = vendor("pax8").expect("catalog");
        let parts = KeyParts::decode(pax8, &SecretValue::new("id:sec:ret")).expect("legacy");
        assert_eq!(parts.get("client_id"), Some("id"));
        assert_eq!(parts.get("client_secret"), Some("sec:ret"));
        assert!(KeyParts::decode(pax8, &SecretValue::new("no-colon")).is_none());
    }

    #[test]
    fn forms_name_the_missing_part_and_refuse_a_joined_value() {
        let pax8 = vendor("pax8").expect("catalog");
        let missing = KeyParts::from_input(pax8, None, vec![input("client_id", "id")])
            .expect_err("secret missing");
        assert_eq!(missing.field.as_deref(), Some("part:client_secret"));
        let joined = KeyParts::from_input(pax8, Some(SecretValue::new("id:secret")), vec![])
            .expect_err("no joined form");
        assert_eq!(joined.field.as_deref(), Some("value"));
        let unknown = KeyParts::from_input(
            pax8,
            None,
            vec![
                input("client_id", "id"),
                input("client_secret", "s"),
                input("tenant", "x"),
            ],
        )
        .expect_err("unknown part");
        assert_eq!(unknown.field.as_deref(), Some("value"));
    }

    #[test]
    fn single_part_keys_stay_bare_and_debug_is_redacted() {
        let meraki = vendor("cisco-meraki").expect("catalog");
        let parts = KeyParts::from_input(meraki, Some(SecretValue::new("abc123secret")), vec![])
            .expect("valid");
        assert_eq!(parts.encode().expose(), "abc123secret");
        assert!(!format!("{parts:?}").contains("abc123"));
        assert!(parts.appears_in("the key abc123secret leaked"));
        assert!(!parts.appears_in("nothing here"));
        assert_eq!(
            parts.redact("Invalid key abc123secret."),
            "Invalid key [redacted]."
        );
        // A fragment of 8 or more characters is hidden too; shorter common words are not.
        assert_eq!(
            parts.redact("key c123secr rejected, abc ok"),
            "key [redacted] rejected, abc ok"
        );
    }
}
