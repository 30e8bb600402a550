//! Key records (what the console knows about a stored key, never its value). The status rules
//! live in [`super::status`].

use std::collections::BTreeMap;

use super::catalog::{self, Category, Vendor};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

pub use super::status::{DUE_SOON_DAYS, KeyStatus, KeyTiming};

/// Everything the console stores about a key besides its value. In Key Vault this is the
/// secret's attributes and tags, so listing keys never reads a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// Key Vault secret name: `{vendor-id}` or `{vendor-id}--{label}`.
    pub secret_name: String,
    pub vendor_id: String,
    /// Distinguishes a second key of the same vendor (e.g. a second client tenant).
    pub label: Option<String>,
    pub interval_days: u32,
    pub last_rotated: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub owner: String,
    pub note: String,
    pub masked_preview: String,
    /// Endpoint with the MSP's tenant/server filled in; `None` means the catalog's.
    pub endpoint_override: Option<String>,
    /// Token URL with the MSP's tenant filled in, for vendors whose token endpoint has a
    /// placeholder the API endpoint lacks (Microsoft Graph, Defender, the Entra App Secret).
    pub token_url_override: Option<String>,
    /// Named endpoint fields, the per-key CA's fingerprint and the "used by" summary.
    pub settings: KeySettings,
    /// Current Key Vault version id (empty in stores without versions).
    pub version: String,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// The key was changed outside the console (Portal, CLI, a script) since the console last
    /// wrote it; `None` when it matches what the console wrote (or predates the check).
    pub outside_change: Option<OutsideChange>,
}

/// How a key was changed outside the console, as far as Key Vault's listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutsideChange {
    /// Its tags, expiry or enabled state differ from what the console wrote.
    Edited { at: Option<DateTime<Utc>> },
    /// Its current version was stored after the console's last write of it.
    NewVersion { at: Option<DateTime<Utc>> },
}

impl OutsideChange {
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            OutsideChange::Edited { at } | OutsideChange::NewVersion { at } => *at,
        }
    }

    /// One sentence for the UI and the audit log. Key Vault's data plane does not say who made a
    /// change; its diagnostic logs do.
    pub fn describe(&self) -> String {
        let when = self
            .at()
            .map(|t| format!(" on {}", t.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default();
        match self {
            OutsideChange::Edited { .. } => format!(
                "Changed outside the console{when}: its tags, expiry or enabled state differ from what the console last wrote. Key Vault's diagnostic logs name who did it."
            ),
            OutsideChange::NewVersion { .. } => format!(
                "A new version was stored outside the console{when}. Key Vault's diagnostic logs name who did it."
            ),
        }
    }
}

/// Per-key settings that ride in tags next to the record (no value in them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySettings {
    /// Values of the vendor's named fields (`tenant`, `server`, `region`, ...).
    pub fields: BTreeMap<String, String>,
    /// SHA-256 (hex) of the extra CA stored for this key, which its ping trusts next to the
    /// built-in roots. The PEM itself is a console document; the fingerprint binds it to the key.
    pub ca_sha256: Option<String>,
    /// Names of the systems that use the key, shortened to fit a tag (the list itself is in the
    /// key's runbook document).
    pub used_by: String,
    /// Why a secret shorter than its kind's recommended length was accepted: the key is
    /// flagged for review until it is rotated at the recommended length.
    pub review: Option<String>,
    /// The application (client) id of an app registration whose secret this key holds, recorded
    /// when the console saved the value (lowercase GUID). Display only: it links the tenant's
    /// app credentials to this key and never decides a role, an action or a host.
    pub app_id: Option<String>,
}

impl KeyRecord {
    pub fn vendor(&self) -> Option<&'static Vendor> {
        catalog::vendor(&self.vendor_id)
    }

    pub fn category(&self) -> Option<Category> {
        self.vendor().map(|v| v.category)
    }

    /// The endpoint the test ping uses.
    pub fn endpoint(&self) -> String {
        match (&self.endpoint_override, self.vendor()) {
            (Some(endpoint), _) => endpoint.clone(),
            (None, Some(vendor)) => vendor.endpoint.clone(),
            (None, None) => String::new(),
        }
    }

    pub fn timing(&self, now: DateTime<Utc>) -> KeyTiming {
        KeyTiming::of(self, now)
    }

    /// Record the application (client) id the saved value names, for every path that writes a
    /// value (Add, Adopt, rotation, restore, rotation at the vendor). A value whose client id is
    /// not a GUID, or a vendor without one, records none: the save goes on either way.
    pub fn record_app_id(&mut self, parts: &super::key_value::KeyParts) {
        self.settings.app_id = self
            .vendor()
            .and_then(|vendor| super::app_credentials::app_id_of(vendor, parts));
    }
}

/// Build the secret name of a vendor key.
pub fn secret_name(vendor_id: &str, label: Option<&str>) -> String {
    match label {
        Some(label) if !label.is_empty() => format!("{vendor_id}--{label}"),
        _ => vendor_id.to_string(),
    }
}

/// An expiry date picked in the UI means "valid through that day": the key expires at the end of
/// that day, UTC.
pub fn expiry_from_date(date: NaiveDate) -> DateTime<Utc> {
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
    Utc.from_utc_datetime(&date.and_time(end_of_day))
}

/// Whole calendar days from `now` to `then` (UTC dates; negative when past).
pub fn days_between(now: DateTime<Utc>, then: DateTime<Utc>) -> i64 {
    (then.date_naive() - now.date_naive()).num_days()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("valid date")
    }

    pub fn record(
        last_rotated: DateTime<Utc>,
        interval: u32,
        expires: Option<DateTime<Utc>>,
    ) -> KeyRecord {
        KeyRecord {
            outside_change: None,
            secret_name: "ninjaone".into(),
            vendor_id: "ninjaone".into(),
            label: None,
            interval_days: interval,
            last_rotated,
            expires,
            enabled: true,
            owner: String::new(),
            note: String::new(),
            masked_preview: "ninj••••5f2a".into(),
            endpoint_override: None,
            token_url_override: None,
            settings: KeySettings::default(),
            version: String::new(),
            created: None,
            updated: None,
        }
    }

    #[test]
    fn secret_names() {
        assert_eq!(secret_name("meraki", None), "meraki");
        assert_eq!(secret_name("meraki", Some("client-b")), "meraki--client-b");
        assert_eq!(secret_name("meraki", Some("")), "meraki");
    }
}
