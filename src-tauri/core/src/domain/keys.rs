//! Key records (what the console knows about a stored key, never its value) and the status
//! rules: expiry, rotation due dates and the 14-day warning window.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::catalog::{self, Category, Vendor};

/// Keys whose rotation or expiry falls within this many days are "due soon" (manual: 14 days).
pub const DUE_SOON_DAYS: i64 = 14;

/// The status shown on a vendor row, worst first in [`KeyStatus::severity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum KeyStatus {
    NoKey,
    Healthy,
    DueSoon,
    Overdue,
    Expired,
    Disabled,
}

impl KeyStatus {
    pub const ALL: [KeyStatus; 6] = [
        KeyStatus::NoKey,
        KeyStatus::Healthy,
        KeyStatus::DueSoon,
        KeyStatus::Overdue,
        KeyStatus::Expired,
        KeyStatus::Disabled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            KeyStatus::NoKey => "No key",
            KeyStatus::Healthy => "Healthy",
            KeyStatus::DueSoon => "Due soon",
            KeyStatus::Overdue => "Overdue",
            KeyStatus::Expired => "Expired",
            KeyStatus::Disabled => "Disabled",
        }
    }

    /// Colour used for the status in the PDF report (the UI uses its own theme-aware palette
    /// keyed by the same status names).
    pub fn colour(self) -> [u8; 3] {
        match self {
            KeyStatus::NoKey => [148, 163, 184],
            KeyStatus::Healthy => [22, 163, 74],
            KeyStatus::DueSoon => [202, 138, 4],
            KeyStatus::Overdue => [220, 38, 38],
            KeyStatus::Expired => [153, 27, 27],
            KeyStatus::Disabled => [100, 116, 139],
        }
    }

    /// Higher is more urgent; used to sort and to pick the worst of two signals.
    pub fn severity(self) -> u8 {
        match self {
            KeyStatus::NoKey => 0,
            KeyStatus::Healthy => 1,
            KeyStatus::DueSoon => 2,
            KeyStatus::Overdue => 3,
            KeyStatus::Expired => 4,
            KeyStatus::Disabled => 5,
        }
    }
}

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

/// Expiry and rotation facts of one key at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTiming {
    pub status: KeyStatus,
    /// Calendar days until expiry; `None` when the key has no expiry.
    pub days_to_expiry: Option<i64>,
    pub next_due: DateTime<Utc>,
    /// Calendar days until the next rotation is due; negative when overdue.
    pub days_to_due: i64,
}

impl KeyTiming {
    pub fn of(record: &KeyRecord, now: DateTime<Utc>) -> KeyTiming {
        // Saturate instead of overflowing on absurd dates from a hand-edited vault.
        let next_due = record
            .last_rotated
            .checked_add_signed(Duration::days(i64::from(record.interval_days)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let days_to_due = days_between(now, next_due);
        let days_to_expiry = record.expires.map(|exp| days_between(now, exp));
        let expired = record.expires.is_some_and(|exp| exp <= now);

        let status = if !record.enabled {
            KeyStatus::Disabled
        } else if expired {
            KeyStatus::Expired
        } else if days_to_due < 0 {
            KeyStatus::Overdue
        } else if days_to_due <= DUE_SOON_DAYS || days_to_expiry.is_some_and(|d| d <= DUE_SOON_DAYS)
        {
            KeyStatus::DueSoon
        } else {
            KeyStatus::Healthy
        };
        KeyTiming {
            status,
            days_to_expiry,
            next_due,
            days_to_due,
        }
    }

    /// "Rotate All Due" takes every enabled key that is due within the window, overdue or expired.
    pub fn needs_rotation(&self) -> bool {
        matches!(
            self.status,
            KeyStatus::DueSoon | KeyStatus::Overdue | KeyStatus::Expired
        )
    }
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

    const NOW: (i32, u32, u32, u32) = (2026, 11, 23, 10);

    fn now() -> DateTime<Utc> {
        at(NOW.0, NOW.1, NOW.2, NOW.3)
    }

    #[test]
    fn expiry_in_exactly_14_days_is_due_soon_and_15_is_healthy() {
        let fresh = now() - Duration::days(1);
        let r14 = record(
            fresh,
            90,
            Some(expiry_from_date(now().date_naive() + Duration::days(14))),
        );
        let t = r14.timing(now());
        assert_eq!(t.days_to_expiry, Some(14));
        assert_eq!(t.status, KeyStatus::DueSoon);

        let r15 = record(
            fresh,
            90,
            Some(expiry_from_date(now().date_naive() + Duration::days(15))),
        );
        assert_eq!(r15.timing(now()).status, KeyStatus::Healthy);
    }

    #[test]
    fn rotation_due_in_exactly_14_days_is_due_soon() {
        // Rotated 76 days ago on a 90-day interval: due in 14 days.
        let r = record(now() - Duration::days(76), 90, None);
        let t = r.timing(now());
        assert_eq!(t.days_to_due, 14);
        assert_eq!(t.status, KeyStatus::DueSoon);
        let r = record(now() - Duration::days(75), 90, None);
        assert_eq!(r.timing(now()).status, KeyStatus::Healthy);
    }

    #[test]
    fn expiring_today_has_zero_days_left_and_is_due_soon() {
        let r = record(
            now() - Duration::days(1),
            90,
            Some(expiry_from_date(now().date_naive())),
        );
        let t = r.timing(now());
        assert_eq!(t.days_to_expiry, Some(0));
        assert_eq!(t.status, KeyStatus::DueSoon);
        assert!(t.needs_rotation());
    }

    #[test]
    fn rotation_due_today_is_due_soon_and_yesterday_is_overdue() {
        let due_today = record(now() - Duration::days(90), 90, None);
        assert_eq!(due_today.timing(now()).days_to_due, 0);
        assert_eq!(due_today.timing(now()).status, KeyStatus::DueSoon);
        let overdue = record(now() - Duration::days(91), 90, None);
        assert_eq!(overdue.timing(now()).days_to_due, -1);
        assert_eq!(overdue.timing(now()).status, KeyStatus::Overdue);
    }

    #[test]
    fn past_expiry_is_expired_even_when_rotation_is_fresh() {
        let r = record(
            now() - Duration::days(1),
            90,
            Some(now() - Duration::hours(1)),
        );
        let t = r.timing(now());
        assert_eq!(t.status, KeyStatus::Expired);
        assert!(t.needs_rotation());
        let r = record(
            now(),
            90,
            Some(expiry_from_date(now().date_naive() - Duration::days(3))),
        );
        assert_eq!(r.timing(now()).days_to_expiry, Some(-3));
        assert_eq!(r.timing(now()).status, KeyStatus::Expired);
    }

    #[test]
    fn no_expiry_is_judged_by_rotation_only() {
        let r = record(now() - Duration::days(10), 90, None);
        let t = r.timing(now());
        assert_eq!(t.days_to_expiry, None);
        assert_eq!(t.status, KeyStatus::Healthy);
        assert!(!t.needs_rotation());
    }

    #[test]
    fn disabled_wins_over_everything() {
        let mut r = record(
            now() - Duration::days(400),
            90,
            Some(now() - Duration::days(2)),
        );
        r.enabled = false;
        let t = r.timing(now());
        assert_eq!(t.status, KeyStatus::Disabled);
        assert!(!t.needs_rotation());
    }

    #[test]
    fn interval_override_moves_the_due_date() {
        let rotated = now() - Duration::days(100);
        assert_eq!(
            record(rotated, 90, None).timing(now()).status,
            KeyStatus::Overdue
        );
        assert_eq!(
            record(rotated, 180, None).timing(now()).status,
            KeyStatus::Healthy
        );
        assert_eq!(record(rotated, 180, None).timing(now()).days_to_due, 80);
    }

    #[test]
    fn secret_names() {
        assert_eq!(secret_name("meraki", None), "meraki");
        assert_eq!(secret_name("meraki", Some("client-b")), "meraki--client-b");
        assert_eq!(secret_name("meraki", Some("")), "meraki");
    }
}
