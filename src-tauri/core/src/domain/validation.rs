//! Input rules for every form the console has. Errors name the field they belong to so the UI can
//! show them in place.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::catalog::{self, EndpointField, Vendor};
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult};

/// Key Vault's limit on a secret value.
pub const MAX_VALUE_BYTES: usize = 25 * 1024;
/// Tag values are capped at 256 characters by Key Vault; notes and owners ride in tags.
pub const MAX_NOTE_CHARS: usize = 256;
pub const MAX_OWNER_CHARS: usize = 100;
pub const MAX_LABEL_CHARS: usize = 40;
pub const MIN_INTERVAL_DAYS: u32 = 1;
pub const MAX_INTERVAL_DAYS: u32 = 3650;

/// Azure cloud a vault lives in; decides the vault DNS suffix.
pub fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    parts.len() == 5
        && parts
            .iter()
            .zip(lengths)
            .all(|(part, len)| part.len() == len && part.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Check a tenant or client ID field.
pub fn guid_field(field: &str, label: &str, value: &str) -> AppResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::field(
            field,
            format!("{label} is required."),
            "Copy it from the app registration's Overview page in Entra ID.",
        ));
    }
    if !is_guid(trimmed) {
        return Err(AppError::field(
            field,
            format!("{label} must be a GUID like xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx."),
            "Copy it from the app registration's Overview page, not from another app or the subscription.",
        ));
    }
    Ok(trimmed.to_ascii_lowercase())
}

/// Accept a bare vault name or its URI (`https://name.vault.azure.net/`) and return the name.
pub fn normalise_vault_name(input: &str) -> AppResult<String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(AppError::field(
            "vaultName",
            "Key Vault name is required.",
            "Find it on the vault's Overview page in the Azure Portal, e.g. msp-api-keyvault.",
        ));
    }
    let name = if trimmed.contains("://") || trimmed.contains('.') {
        let without_scheme = trimmed
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or(trimmed);
        without_scheme
            .split(['.', '/', ':'])
            .next()
            .unwrap_or_default()
            .to_string()
    } else {
        trimmed.to_string()
    };
    validate_vault_name(&name)?;
    Ok(name.to_ascii_lowercase())
}

/// Key Vault naming rule: 3–24 characters, letters, digits and hyphens, starting with a letter,
/// ending with a letter or digit, no consecutive hyphens.
pub fn validate_vault_name(name: &str) -> AppResult<()> {
    let hint = "Vault names are 3–24 letters, digits and hyphens, start with a letter, end with a letter or digit, and have no '--'.";
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let len = name.chars().count();
    let starts = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let ends = name
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if !(3..=24).contains(&len) || !ok_chars || !starts || !ends || name.contains("--") {
        return Err(AppError::field(
            "vaultName",
            format!("'{name}' is not a valid Key Vault name."),
            hint,
        ));
    }
    Ok(())
}

/// A label distinguishing a second key of the same vendor.
pub fn validate_label(label: &str) -> AppResult<Option<String>> {
    let trimmed = label.trim().to_ascii_lowercase();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let valid = trimmed.len() <= MAX_LABEL_CHARS
        && trimmed
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !trimmed.contains("--")
        && !trimmed.starts_with('-')
        && !trimmed.ends_with('-');
    if !valid {
        return Err(AppError::field(
            "label",
            "Labels use lowercase letters, digits and single hyphens (up to 40).",
            "For example 'client-b' or 'eu-tenant'.",
        ));
    }
    Ok(Some(trimmed))
}

pub fn validate_vendor(vendor_id: &str) -> AppResult<&'static Vendor> {
    catalog::vendor(vendor_id).ok_or_else(|| {
        AppError::field(
            "vendor",
            "Choose a vendor from the list.",
            "Every key belongs to one of the catalog's vendors.",
        )
    })
}

pub fn validate_value(value: &SecretValue) -> AppResult<()> {
    if value.is_empty() {
        return Err(AppError::field(
            "value",
            "Paste the API key.",
            "Generate the key in the vendor's portal first, then paste it here.",
        ));
    }
    if value.byte_len() > MAX_VALUE_BYTES {
        return Err(AppError::field(
            "value",
            format!(
                "The key is {} KB; Key Vault stores at most 25 KB per secret.",
                value.byte_len().div_ceil(1024)
            ),
            "Check that you pasted only the key, not a whole file or page.",
        ));
    }
    Ok(())
}

pub fn validate_interval(days: u32) -> AppResult<u32> {
    if !(MIN_INTERVAL_DAYS..=MAX_INTERVAL_DAYS).contains(&days) {
        return Err(AppError::field(
            "intervalDays",
            format!(
                "Rotation interval must be between {MIN_INTERVAL_DAYS} and {MAX_INTERVAL_DAYS} days."
            ),
            "The category default is a good start: 90 days for RMM, PSA, EDR and backup keys.",
        ));
    }
    Ok(days)
}

/// Parse an optional `YYYY-MM-DD` expiry; it may be today but not in the past.
pub fn validate_expiry(date: Option<&str>, now: DateTime<Utc>) -> AppResult<Option<NaiveDate>> {
    let Some(text) = date.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        AppError::field(
            "expiry",
            format!("'{text}' is not a date."),
            "Use the date picker or type YYYY-MM-DD.",
        )
    })?;
    if parsed < now.date_naive() {
        return Err(AppError::field(
            "expiry",
            "The expiry date is in the past.",
            "Use the date the vendor shows for this key; if it has already expired, generate a new key first.",
        ));
    }
    Ok(Some(parsed))
}

pub fn validate_text(field: &str, label: &str, text: &str, max_chars: usize) -> AppResult<String> {
    let trimmed = text.trim();
    if trimmed.chars().count() > max_chars {
        return Err(AppError::field(
            field,
            format!("{label} is limited to {max_chars} characters."),
            "Key Vault keeps it in a tag, which holds at most 256 characters.",
        ));
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(AppError::field(
            field,
            format!("{label} cannot contain line breaks or control characters."),
            "Keep it to one line.",
        ));
    }
    if trimmed.chars().any(is_bidi_control) {
        return Err(AppError::field(
            field,
            format!("{label} cannot contain bidirectional-text control characters."),
            "They can make text display in a different order than it is stored (e.g. in the audit log or the report). Retype it without them.",
        ));
    }
    Ok(trimmed.to_string())
}

/// Unicode's explicit bidirectional formatting characters (embeddings, overrides, isolates and
/// marks). Invisible, they reorder how the text around them is displayed, so a note or owner
/// could read differently in the report than what is stored.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// A named endpoint field (tenant, server, region, organization ID): host-name characters only,
/// so a value can never change the URL's scheme, path or query; one of the choices when the
/// field has them. `Ok(None)` for an empty value.
pub fn validate_field_value(field: &EndpointField, value: &str) -> AppResult<Option<String>> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let form = format!("field:{}", field.id);
    if !field.choices.is_empty() {
        return match field.choices.iter().find(|c| c.value == trimmed) {
            Some(choice) => Ok(Some(choice.value.clone())),
            None => Err(AppError::field(
                &form,
                format!("Choose one of the listed values for {}.", field.label),
                field.hint.clone(),
            )),
        };
    }
    let valid = trimmed.len() <= 120
        && trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
        && !trimmed.starts_with(['.', '-'])
        && !trimmed.ends_with(['.', '-'])
        && !trimmed.contains("..");
    if !valid {
        return Err(AppError::field(
            &form,
            format!(
                "{} may hold letters, digits, dots and hyphens only (no https://, no slashes).",
                field.label
            ),
            field.hint.clone(),
        ));
    }
    Ok(Some(trimmed.to_string()))
}

/// An endpoint override: https only, no credentials in it.
pub fn validate_endpoint(text: &str) -> AppResult<Option<String>> {
    let trimmed = text.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(None);
    }
    let hint =
        "Use the vendor's https API base URL, e.g. https://acme.sentinelone.net/web/api/v2.1.";
    let url = url::Url::parse(trimmed)
        .map_err(|_| AppError::field("endpoint", "That is not a URL.", hint))?;
    if url.scheme() != "https" {
        return Err(AppError::field(
            "endpoint",
            "The endpoint must use https.",
            hint,
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::field(
            "endpoint",
            "The endpoint must not contain a user name or password.",
            "The key is sent by the test ping itself; keep credentials out of URLs.",
        ));
    }
    if trimmed.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::field(
            "endpoint",
            "The endpoint is too long.",
            hint,
        ));
    }
    Ok(Some(trimmed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn vault_names_from_name_or_uri() {
        assert_eq!(
            normalise_vault_name("msp-api-keyvault").ok().as_deref(),
            Some("msp-api-keyvault")
        );
        assert_eq!(
            normalise_vault_name("https://MSP-api-keyvault.vault.azure.net/")
                .ok()
                .as_deref(),
            Some("msp-api-keyvault")
        );
        assert_eq!(
            normalise_vault_name("msp-api-keyvault.vault.usgovcloudapi.net")
                .ok()
                .as_deref(),
            Some("msp-api-keyvault")
        );
        for bad in [
            "ab",
            "1vault",
            "vault-",
            "va--ult",
            "a-very-long-vault-name-over-24",
            "vault_name",
            "",
        ] {
            let error = normalise_vault_name(bad).expect_err(bad);
            assert_eq!(error.field.as_deref(), Some("vaultName"));
        }
    }

    #[test]
    fn guids() {
        assert!(is_guid("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assert!(!is_guid("72f988bf86f141af91ab2d7cd011db47"));
        assert!(!is_guid("72f988bf-86f1-41af-91ab-2d7cd011db4g"));
        assert_eq!(
            guid_field(
                "tenantId",
                "Tenant ID",
                " 72F988BF-86F1-41AF-91AB-2D7CD011DB47 "
            )
            .ok()
            .as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
    }

    #[test]
    fn expiry_rules() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
            .single()
            .expect("date");
        assert!(validate_expiry(Some("2026-11-23"), now).is_ok());
        assert!(validate_expiry(None, now).ok().flatten().is_none());
        assert_eq!(
            validate_expiry(Some("2026-11-22"), now)
                .expect_err("past")
                .field
                .as_deref(),
            Some("expiry")
        );
        assert_eq!(
            validate_expiry(Some("23/11/2026"), now)
                .expect_err("format")
                .field
                .as_deref(),
            Some("expiry")
        );
    }

    #[test]
    fn values_and_text() {
        assert!(validate_value(&SecretValue::new("   ")).is_err());
        assert!(validate_value(&SecretValue::new("x".repeat(MAX_VALUE_BYTES + 1))).is_err());
        assert!(validate_value(&SecretValue::new("x".repeat(MAX_VALUE_BYTES))).is_ok());
        assert!(validate_text("note", "Note", &"é".repeat(256), MAX_NOTE_CHARS).is_ok());
        assert!(validate_text("note", "Note", &"é".repeat(257), MAX_NOTE_CHARS).is_err());
        assert!(validate_text("owner", "Owner", "a\nb", MAX_OWNER_CHARS).is_err());
        for bidi in ['\u{202E}', '\u{2066}', '\u{200F}', '\u{061C}'] {
            let error = validate_text(
                "note",
                "Note",
                &format!("invoice{bidi}fdp.exe"),
                MAX_NOTE_CHARS,
            )
            .expect_err("bidi control refused");
            assert_eq!(error.field.as_deref(), Some("note"));
            assert!(error.message.contains("bidirectional"));
        }
        assert!(validate_text("owner", "Owner", "عمر الفاروق", MAX_OWNER_CHARS).is_ok());
    }

    #[test]
    fn labels_and_endpoints() {
        assert_eq!(
            validate_label("Client-B").ok().flatten().as_deref(),
            Some("client-b")
        );
        assert!(validate_label("a--b").is_err());
        assert!(validate_label("").ok().flatten().is_none());
        assert!(validate_endpoint("http://x.example").is_err());
        assert!(validate_endpoint("https://user:pw@x.example").is_err());
        assert_eq!(
            validate_endpoint("https://acme.sentinelone.net/web/api/v2.1/")
                .ok()
                .flatten()
                .as_deref(),
            Some("https://acme.sentinelone.net/web/api/v2.1")
        );
        assert!(validate_interval(0).is_err());
        assert!(validate_interval(90).is_ok());
    }
}
