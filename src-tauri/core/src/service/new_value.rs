//! The value Add Key and Rotate store: pasted or generated, checked against the kind's rules.
//! One function for both, so a short secret is flagged the same way whichever form made it.

use crate::domain::catalog::Vendor;
use crate::domain::generator::{self, GenerateRequest};
use crate::domain::key_value::{KeyPartInput, KeyParts};
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult};

/// What to store: the parts, the review reason of a shorter-than-recommended secret, and
/// whether the console generated it.
pub struct NewValue {
    pub parts: KeyParts,
    pub review: Option<String>,
    pub generated: bool,
}

/// `generate` asks for a generated value (with the technician's choices, or the kind's
/// defaults when `None` is given for a kind that has rules). A pasted value of a kind with rules
/// is held to its length bounds and recommended length too: the device's limit is the same
/// whether the value was typed or generated.
pub fn new_value(
    vendor: &Vendor,
    value: Option<SecretValue>,
    parts: Vec<KeyPartInput>,
    generate: Option<GenerateRequest>,
    short_reason: Option<&str>,
) -> AppResult<NewValue> {
    if let Some(mut request) = generate {
        if vendor.is_multi_part() {
            return Err(AppError::field(
                "value",
                format!(
                    "Generate makes a single value, but {} keys have {} parts.",
                    vendor.name,
                    vendor.key_parts.len()
                ),
                vendor.key_hint.clone(),
            ));
        }
        let (value, review) = match &vendor.generator {
            Some(rules) => {
                if request.short_reason.is_none() {
                    request.short_reason = short_reason.map(str::to_string);
                }
                generator::generate(&request, rules)?
            }
            None => (generator::generate_value(), None),
        };
        return Ok(NewValue {
            parts: KeyParts::single(vendor, value),
            review,
            generated: true,
        });
    }
    let parts = KeyParts::from_input(vendor, value, parts)?;
    let review = match &vendor.generator {
        Some(rules) => {
            let length = parts.get("key").map(|v| v.chars().count()).unwrap_or(0);
            generator::check_length(length, rules, short_reason)?
        }
        None => None,
    };
    Ok(NewValue {
        parts,
        review,
        generated: false,
    })
}

/// The audit note part of a flagged value (the reason is the technician's words, never a value).
pub fn review_note(review: Option<&str>) -> Option<String> {
    review.map(|reason| format!("shorter than recommended, flagged for review: {reason}"))
}
