//! Values the console generates itself (VPN pre-shared keys, backup passphrases, Wi-Fi keys,
//! local admin passwords), from the operating system's CSPRNG, never shown to the webview.
//!
//! The dependent system sets the rules: a Wi-Fi key is 8–63 printable ASCII characters, a device
//! may reject symbols, a portal may cap the length. Each non-API kind in the catalog carries its
//! [`GeneratorRules`]; a request within them is accepted, and a length under the kind's
//! recommended one needs a written reason, which the key then carries as "flagged for review"
//! (the lifecycle article: "If the dependent application has a length restriction, document why
//! and flag it for future review").

use rand::{Rng, TryRngCore, rngs::OsRng};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};

/// Length of a value generated for an API vendor (the article's 64-character random secret).
pub const GENERATED_LENGTH: usize = 64;

/// Letters and digits only: accepted by every device and portal we have met, and 64 of them
/// carry about 381 bits of entropy.
pub const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Characters people misread or mistype when a value is read off a screen or a label
/// (`0`/`O`/`o`, `1`/`l`/`I`/`|`, quotes and backtick, `5`/`S`, `2`/`Z`, `8`/`B`).
pub const AMBIGUOUS: &[u8] = b"0Oo1lI|'\"`5S2Z8B";

/// The longest reason a short length may carry (it rides in one Key Vault tag of 256 chars).
pub const MAX_REASON_CHARS: usize = 200;

/// Which characters a generated value may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Charset {
    /// A–Z, a–z, 0–9: for devices and keyboards that reject or mangle symbols.
    LettersDigits,
    /// Printable ASCII without the space (0x21–0x7E): what WPA2 and most systems accept; the
    /// space is left out because devices and forms trim it.
    Printable,
}

impl Charset {
    pub fn label(self) -> &'static str {
        match self {
            Charset::LettersDigits => "Letters and digits",
            Charset::Printable => "Letters, digits and symbols (printable ASCII)",
        }
    }

    fn symbols(self, exclude_ambiguous: bool) -> Vec<u8> {
        let all: Vec<u8> = match self {
            Charset::LettersDigits => ALPHABET.to_vec(),
            Charset::Printable => (0x21u8..=0x7e).collect(),
        };
        all.into_iter()
            .filter(|c| !exclude_ambiguous || !AMBIGUOUS.contains(c))
            .collect()
    }
}

/// What a kind of secret accepts, from the catalog (`generator = { .. }` in vendors.toml).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct GeneratorRules {
    pub min_length: u32,
    pub max_length: u32,
    /// Below this length a reason is required and the key is flagged for review.
    pub recommended_length: u32,
    /// The length the form starts with.
    pub default_length: u32,
    pub charset: Charset,
    #[serde(default)]
    pub exclude_ambiguous: bool,
    /// Where the numbers come from (a standard, a vendor's limit, or "our choice").
    pub source: String,
    /// The character sets the forms offer, with their labels (the console's: the catalog leaves
    /// it out and gets these; a catalog test keeps it that way).
    #[serde(default = "charset_choices")]
    pub charsets: Vec<CharsetChoice>,
}

/// One character set as the forms offer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CharsetChoice {
    pub value: Charset,
    pub label: String,
}

pub fn charset_choices() -> Vec<CharsetChoice> {
    [Charset::LettersDigits, Charset::Printable]
        .into_iter()
        .map(|value| CharsetChoice {
            value,
            label: value.label().to_string(),
        })
        .collect()
}

/// One request to generate (Add Key or Rotate): the technician's choices within the kind's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GenerateRequest {
    pub length: u32,
    pub charset: Charset,
    #[serde(default)]
    pub exclude_ambiguous: bool,
    /// Why the dependent system needs a length under the recommended one.
    #[serde(default)]
    #[ts(optional)]
    pub short_reason: Option<String>,
}

impl GenerateRequest {
    /// The kind's defaults, as the form starts.
    pub fn defaults(rules: &GeneratorRules) -> Self {
        GenerateRequest {
            length: rules.default_length,
            charset: rules.charset,
            exclude_ambiguous: rules.exclude_ambiguous,
            short_reason: None,
        }
    }
}

/// Check a length against the rules. `Ok(Some(reason))` is a length under the recommended one
/// with its (trimmed) reason: the key is flagged for review with it. `Ok(None)` is a length at
/// or above the recommendation.
pub fn check_length(
    length: usize,
    rules: &GeneratorRules,
    reason: Option<&str>,
) -> AppResult<Option<String>> {
    let (min, max) = (rules.min_length as usize, rules.max_length as usize);
    if length < min || length > max {
        return Err(AppError::field(
            "length",
            format!("The length must be {min} to {max} characters; {length} is outside."),
            format!("Where the limits come from: {}", rules.source),
        ));
    }
    if length >= rules.recommended_length as usize {
        return Ok(None);
    }
    let reason = reason.map(str::trim).unwrap_or_default();
    if reason.is_empty() {
        let mut error = AppError::new(
            ErrorCode::ReasonRequired,
            format!(
                "{length} characters is shorter than the recommended {}. Say why the system that uses this secret needs it shorter.",
                rules.recommended_length
            ),
            "The reason is stored with the key, and the key is flagged for review until it is rotated at the recommended length.",
        );
        error.field = Some("shortReason".into());
        return Err(error);
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::field(
            "shortReason",
            format!("The reason is longer than {MAX_REASON_CHARS} characters."),
            "Name the system and its limit in a sentence; details belong in the key's runbook.",
        ));
    }
    if reason.chars().any(char::is_control) {
        return Err(AppError::field(
            "shortReason",
            "The reason holds control characters.",
            "Type it on one line.",
        ));
    }
    Ok(Some(reason.to_string()))
}

/// Generate a value for `request` within `rules`. Returns the value and, for a short length,
/// the reason the key is flagged with.
pub fn generate(
    request: &GenerateRequest,
    rules: &GeneratorRules,
) -> AppResult<(SecretValue, Option<String>)> {
    let review = check_length(
        request.length as usize,
        rules,
        request.short_reason.as_deref(),
    )?;
    let symbols = request.charset.symbols(request.exclude_ambiguous);
    Ok((draw(&symbols, request.length as usize), review))
}

/// The 64-character letters-and-digits value for API vendors (no kind rules).
pub fn generate_value() -> SecretValue {
    draw(ALPHABET, GENERATED_LENGTH)
}

fn draw(symbols: &[u8], length: usize) -> SecretValue {
    let mut rng = OsRng.unwrap_err();
    let mut text = zeroize::Zeroizing::new(String::with_capacity(length));
    for _ in 0..length {
        // `random_range` is uniform (rejection sampling), so no symbol is favoured.
        let index = rng.random_range(0..symbols.len());
        text.push(char::from(symbols[index]));
    }
    SecretValue::new(text.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn wifi() -> GeneratorRules {
        GeneratorRules {
            min_length: 8,
            max_length: 63,
            recommended_length: 20,
            default_length: 32,
            charset: Charset::LettersDigits,
            exclude_ambiguous: false,
            source: "IEEE 802.11i".into(),
            charsets: charset_choices(),
        }
    }

    fn request(length: u32, charset: Charset, exclude: bool) -> GenerateRequest {
        GenerateRequest {
            length,
            charset,
            exclude_ambiguous: exclude,
            short_reason: None,
        }
    }

    #[test]
    fn length_and_alphabet() {
        for _ in 0..200 {
            let value = generate_value();
            assert_eq!(value.expose().chars().count(), GENERATED_LENGTH);
            assert!(value.expose().bytes().all(|b| ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn values_differ_and_use_the_whole_alphabet() {
        let values: Vec<SecretValue> = (0..100).map(|_| generate_value()).collect();
        let distinct: HashSet<&str> = values.iter().map(|v| v.expose()).collect();
        assert_eq!(distinct.len(), 100);
        let used: HashSet<u8> = values.iter().flat_map(|v| v.expose().bytes()).collect();
        // 6,400 draws from 62 symbols: every symbol appears with overwhelming probability.
        assert_eq!(used.len(), ALPHABET.len());
    }

    #[test]
    fn min_and_max_length_are_inclusive_bounds() {
        let rules = wifi();
        let reason = Some("old access points".to_string());
        for (length, ok) in [(7, false), (8, true), (63, true), (64, false), (0, false)] {
            let mut asked = request(length, Charset::Printable, false);
            asked.short_reason = reason.clone();
            let result = generate(&asked, &rules);
            assert_eq!(result.is_ok(), ok, "length {length}");
            if let Ok((value, _)) = result {
                assert_eq!(value.expose().len(), length as usize);
            } else if let Err(error) = result {
                assert_eq!(error.field.as_deref(), Some("length"));
                assert!(error.message.contains("8 to 63"), "{}", error.message);
            }
        }
    }

    #[test]
    fn a_length_under_the_recommendation_needs_a_reason_and_is_flagged() {
        let rules = wifi();
        // 19 < 20: refused without a reason, with the named code.
        let error = generate(&request(19, Charset::LettersDigits, false), &rules)
            .expect_err("a reason is required");
        assert_eq!(error.code, ErrorCode::ReasonRequired);
        // A blank reason is no reason.
        let mut blank = request(19, Charset::LettersDigits, false);
        blank.short_reason = Some("   ".into());
        assert_eq!(
            generate(&blank, &rules).err().map(|e| e.code),
            Some(ErrorCode::ReasonRequired)
        );
        // With a reason: generated, and flagged with the trimmed reason.
        let mut reasoned = request(19, Charset::LettersDigits, false);
        reasoned.short_reason = Some("  Printer joins with 19 max  ".into());
        let (value, review) = generate(&reasoned, &rules).expect("accepted");
        assert_eq!(value.expose().len(), 19);
        assert_eq!(review.as_deref(), Some("Printer joins with 19 max"));
        // At the recommendation: no reason needed, not flagged, even if one is given.
        let mut at = request(20, Charset::LettersDigits, false);
        at.short_reason = Some("ignored".into());
        assert_eq!(generate(&at, &rules).expect("ok").1, None);
        // A reason too long for its tag is refused.
        let mut long = request(10, Charset::LettersDigits, false);
        long.short_reason = Some("x".repeat(MAX_REASON_CHARS + 1));
        assert_eq!(
            generate(&long, &rules).err().and_then(|e| e.field),
            Some("shortReason".into())
        );
    }

    #[test]
    fn character_sets_are_respected_over_many_draws() {
        let rules = wifi();
        let cases = [
            (Charset::LettersDigits, false),
            (Charset::LettersDigits, true),
            (Charset::Printable, false),
            (Charset::Printable, true),
        ];
        for (charset, exclude) in cases {
            let allowed: HashSet<u8> = charset.symbols(exclude).into_iter().collect();
            let mut seen = HashSet::new();
            for _ in 0..300 {
                let (value, _) =
                    generate(&request(63, charset, exclude), &rules).expect("within rules");
                for byte in value.expose().bytes() {
                    assert!(
                        allowed.contains(&byte),
                        "{charset:?} drew {:?}",
                        byte as char
                    );
                    assert!(byte != b' ', "never a space");
                    if exclude {
                        assert!(!AMBIGUOUS.contains(&byte), "ambiguous {:?}", byte as char);
                    }
                    seen.insert(byte);
                }
            }
            // 18,900 draws: every allowed symbol shows up, so the set is not narrower either.
            assert_eq!(seen, allowed, "{charset:?} exclude={exclude}");
        }
        assert_eq!(Charset::Printable.symbols(false).len(), 94);
        assert_eq!(Charset::LettersDigits.symbols(false).len(), 62);
        assert!(
            Charset::Printable
                .symbols(false)
                .iter()
                .any(|c| !c.is_ascii_alphanumeric())
        );
    }
}
