//! The one status model. A key has two dates that matter — when its rotation is next due and when
//! it expires — and [`KeyTiming::of`] is the only place that turns them into a status, says which
//! of the two the status is about, words it and ranks it for sorting. [`ClientCounts::of`] is the
//! only place that counts statuses; the sidebar, the Vault chips, the Rotation tab, Rotate All
//! Due, the report, the CSV and `akv-console status` all read these two.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::catalog;
use super::keys::{KeyRecord, days_between};

/// Keys whose rotation or expiry falls within this many days are "due within 14 days" (manual).
pub const DUE_SOON_DAYS: i64 = 14;

/// The status shown on a vendor row. The wire names stay stable for scripts reading the CLI JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum KeyStatus {
    NoKey,
    Healthy,
    /// Rotation due or expiry within [`DUE_SOON_DAYS`] (said "Due within 14 days").
    DueSoon,
    /// Rotation is past due (expiry is not: that is `Expired`).
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

    /// Worst first, the order of the chips, counts and the default sort.
    pub const BY_URGENCY: [KeyStatus; 6] = [
        KeyStatus::Expired,
        KeyStatus::Overdue,
        KeyStatus::DueSoon,
        KeyStatus::Disabled,
        KeyStatus::Healthy,
        KeyStatus::NoKey,
    ];

    /// The one vocabulary: every view, the CSV and the CLI say these words.
    pub fn label(self) -> &'static str {
        match self {
            KeyStatus::NoKey => "No key",
            KeyStatus::Healthy => "Healthy",
            KeyStatus::DueSoon => "Due within 14 days",
            KeyStatus::Overdue => "Rotation overdue",
            KeyStatus::Expired => "Expired",
            KeyStatus::Disabled => "Disabled",
        }
    }

    /// What follows a count: "rotation overdue", "without a key".
    pub fn count_words(self) -> String {
        match self {
            KeyStatus::NoKey => "without a key".to_string(),
            other => other.label().to_lowercase(),
        }
    }

    /// "3 rotation overdue", "1 without a key": the words of a count.
    pub fn count_text(self, count: usize) -> String {
        format!("{count} {}", self.count_words())
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

    /// Higher is more urgent; the PDF uses it to pick the worst of two signals.
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

    /// Position in [`KeyStatus::BY_URGENCY`]: 0 sorts first.
    pub fn urgency_rank(self) -> i64 {
        KeyStatus::BY_URGENCY
            .iter()
            .position(|s| *s == self)
            .map_or(0, |p| p as i64)
    }
}

/// Which of the key's two dates its status is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum StatusAbout {
    Rotation,
    Expiry,
    /// The key as a whole: healthy, disabled, or no key at all.
    Key,
}

/// Expiry and rotation facts of one key at one moment, and the status they make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTiming {
    pub status: KeyStatus,
    pub about: StatusAbout,
    pub expires: Option<DateTime<Utc>>,
    /// Calendar days until expiry; `None` when the key has no expiry.
    pub days_to_expiry: Option<i64>,
    pub next_due: DateTime<Utc>,
    /// Calendar days until the next rotation is due; negative when overdue.
    pub days_to_due: i64,
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn date(d: DateTime<Utc>) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl KeyTiming {
    /// The one status function.
    pub fn of(record: &KeyRecord, now: DateTime<Utc>) -> KeyTiming {
        // Saturate instead of overflowing on absurd dates from a hand-edited vault.
        let next_due = record
            .last_rotated
            .checked_add_signed(Duration::days(i64::from(record.interval_days)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let days_to_due = days_between(now, next_due);
        let days_to_expiry = record.expires.map(|exp| days_between(now, exp));
        // Expired the moment the expiry passes, not at the end of that calendar day.
        let expired = record.expires.is_some_and(|exp| exp <= now);
        let expiry_soon = days_to_expiry.filter(|d| *d <= DUE_SOON_DAYS);
        let rotation_soon = (days_to_due <= DUE_SOON_DAYS).then_some(days_to_due);

        let (status, about) = if !record.enabled {
            (KeyStatus::Disabled, StatusAbout::Key)
        } else if expired {
            (KeyStatus::Expired, StatusAbout::Expiry)
        } else if days_to_due < 0 {
            (KeyStatus::Overdue, StatusAbout::Rotation)
        } else {
            match (rotation_soon, expiry_soon) {
                // Both inside the window: name the sooner; on a tie the expiry, the hard stop.
                (Some(r), Some(e)) if r < e => (KeyStatus::DueSoon, StatusAbout::Rotation),
                (_, Some(_)) => (KeyStatus::DueSoon, StatusAbout::Expiry),
                (Some(_), None) => (KeyStatus::DueSoon, StatusAbout::Rotation),
                (None, None) => (KeyStatus::Healthy, StatusAbout::Key),
            }
        };
        KeyTiming {
            status,
            about,
            expires: record.expires,
            days_to_expiry,
            next_due,
            days_to_due,
        }
    }

    /// Rotate All Due takes every enabled key that is due within the window, overdue or expired.
    pub fn needs_rotation(&self) -> bool {
        matches!(
            self.status,
            KeyStatus::DueSoon | KeyStatus::Overdue | KeyStatus::Expired
        )
    }

    fn expired(&self) -> bool {
        self.status == KeyStatus::Expired
            || (self.status == KeyStatus::Disabled && self.days_to_expiry.is_some_and(|d| d < 0))
    }

    /// The status column: "Rotation overdue 33 d", "Expires in 9 d", "Expired 4 d ago".
    pub fn status_text(&self) -> String {
        match (self.status, self.about) {
            (KeyStatus::Expired, _) => match self.days_to_expiry.unwrap_or(0) {
                d if d >= 0 => "Expired today".to_string(),
                d => format!("Expired {} d ago", -d),
            },
            (KeyStatus::Overdue, _) => format!("Rotation overdue {} d", -self.days_to_due),
            (KeyStatus::DueSoon, StatusAbout::Expiry) => match self.days_to_expiry.unwrap_or(0) {
                0 => "Expires today".to_string(),
                d => format!("Expires in {d} d"),
            },
            (KeyStatus::DueSoon, _) => match self.days_to_due {
                0 => "Rotation due today".to_string(),
                d => format!("Rotation due in {d} d"),
            },
            (status, _) => status.label().to_string(),
        }
    }

    /// Beside the next rotation date: "in 40 d", "today", "33 d overdue".
    pub fn rotation_text(&self) -> String {
        match self.days_to_due {
            0 => "today".to_string(),
            d if d < 0 => format!("{} d overdue", -d),
            d => format!("in {d} d"),
        }
    }

    /// The rotation dialogs' words: "rotation due in 40 d", "rotation overdue 33 d".
    pub fn due_label(&self) -> String {
        match self.days_to_due {
            0 => "rotation due today".to_string(),
            d if d < 0 => format!("rotation overdue {} d", -d),
            d => format!("rotation due in {d} d"),
        }
    }

    /// Beside the expiry date: "in 240 d", "today", "expired 4 d ago", "no expiry".
    pub fn expiry_text(&self) -> String {
        match self.days_to_expiry {
            None => "no expiry".to_string(),
            Some(d) if self.expired() && d < 0 => format!("expired {} d ago", -d),
            Some(_) if self.expired() => "expired today".to_string(),
            Some(0) => "today".to_string(),
            Some(d) => format!("in {d} d"),
        }
    }

    /// One sentence on why the key has its status, naming the other date when it also matters.
    pub fn reason(&self) -> String {
        let due = date(self.next_due);
        let expiry = self.expires.map(date).unwrap_or_default();
        let rotation = match self.days_to_due {
            d if d < 0 => format!(
                "rotation overdue by {} day{} (was due {due})",
                -d,
                plural(-d)
            ),
            0 => format!("rotation due today ({due})"),
            d => format!("rotation due in {d} day{} ({due})", plural(d)),
        };
        let expires = match self.days_to_expiry {
            Some(0) => format!("expires today ({expiry})"),
            Some(d) => format!("expires in {d} day{} ({expiry})", plural(d)),
            None => String::new(),
        };
        let expiry_soon = self.days_to_expiry.is_some_and(|d| d <= DUE_SOON_DAYS);
        let rotation_soon = self.days_to_due <= DUE_SOON_DAYS;
        let sentence = match (self.status, self.about) {
            (KeyStatus::NoKey, _) => return "No key stored yet.".to_string(),
            (KeyStatus::Disabled, _) => {
                return "Disabled: its value cannot be read until it is enabled again.".to_string();
            }
            (KeyStatus::Expired, _) => format!("Expired on {expiry}"),
            (KeyStatus::Overdue, _) if expiry_soon => format!("{rotation}; it also {expires}"),
            (KeyStatus::DueSoon, StatusAbout::Expiry) if rotation_soon => {
                format!("{expires}; {rotation}")
            }
            (KeyStatus::DueSoon, StatusAbout::Rotation) if expiry_soon => {
                format!("{rotation}; it also {expires}")
            }
            (KeyStatus::Overdue | KeyStatus::DueSoon, StatusAbout::Expiry) => expires,
            (KeyStatus::Overdue | KeyStatus::DueSoon, _) => rotation,
            (KeyStatus::Healthy, _) if self.expires.is_some() => {
                format!("Next rotation due {due}; expires {expiry}")
            }
            (KeyStatus::Healthy, _) => format!("Next rotation due {due}; no expiry set"),
        };
        let mut chars = sentence.chars();
        match chars.next() {
            Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
            None => String::new(),
        }
    }

    /// Sort key, lower first: expired, rotation overdue, due within 14 days, disabled, healthy,
    /// no key; within a status the most pressing date first.
    pub fn urgency(&self) -> i64 {
        let days = match self.about {
            StatusAbout::Expiry => self.days_to_expiry.unwrap_or(0),
            StatusAbout::Rotation => self.days_to_due,
            StatusAbout::Key => self
                .days_to_expiry
                .map_or(self.days_to_due, |e| e.min(self.days_to_due)),
        };
        urgency(self.status, days)
    }

    /// The facts a row shows.
    pub fn facts(&self) -> KeyFacts {
        KeyFacts {
            status: self.status,
            about: self.about,
            status_label: self.status.label().to_string(),
            status_text: self.status_text(),
            status_reason: self.reason(),
            urgency: self.urgency(),
            next_due: Some(date(self.next_due)),
            days_to_due: Some(self.days_to_due),
            rotation_text: self.rotation_text(),
            expiry: self.expires.map(date),
            days_to_expiry: self.days_to_expiry,
            expiry_text: self.expiry_text(),
            needs_rotation: self.needs_rotation(),
        }
    }
}

const URGENCY_SPAN: i64 = 1_000_000;

fn urgency(status: KeyStatus, days: i64) -> i64 {
    let offset = days.clamp(-(URGENCY_SPAN / 2 - 1), URGENCY_SPAN / 2 - 1) + URGENCY_SPAN / 2;
    status.urgency_rank() * URGENCY_SPAN + offset
}

/// Rotation and expiry of one key as every view shows them, computed by [`KeyTiming::of`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyFacts {
    pub status: KeyStatus,
    /// Which date the status is about (rotation, expiry, or the key as a whole).
    pub about: StatusAbout,
    /// The status in the one vocabulary: "Rotation overdue", "Due within 14 days", ...
    pub status_label: String,
    /// The status cell: "Rotation overdue 33 d", "Expires in 9 d", "Expired 4 d ago".
    pub status_text: String,
    /// One sentence, e.g. "Rotation overdue by 28 days (was due 2026-10-26)."
    pub status_reason: String,
    /// Sort key, lower first (expired, overdue, due, disabled, healthy, no key).
    pub urgency: i64,
    /// Next rotation due (ISO date); `None` without a key.
    pub next_due: Option<String>,
    pub days_to_due: Option<i64>,
    /// "in 40 d", "today", "33 d overdue".
    pub rotation_text: String,
    /// Expiry (ISO date); `None` when the key has none.
    pub expiry: Option<String>,
    pub days_to_expiry: Option<i64>,
    /// "in 240 d", "today", "expired 4 d ago", "no expiry".
    pub expiry_text: String,
    /// Rotate All Due takes it.
    pub needs_rotation: bool,
}

impl KeyFacts {
    /// A catalog vendor with no key stored.
    pub fn no_key() -> KeyFacts {
        KeyFacts {
            status: KeyStatus::NoKey,
            about: StatusAbout::Key,
            status_label: KeyStatus::NoKey.label().to_string(),
            status_text: KeyStatus::NoKey.label().to_string(),
            status_reason: "No key stored yet.".to_string(),
            urgency: urgency(KeyStatus::NoKey, 0),
            next_due: None,
            days_to_due: None,
            rotation_text: "—".to_string(),
            expiry: None,
            days_to_expiry: None,
            expiry_text: "—".to_string(),
            needs_rotation: false,
        }
    }
}

/// One count as the chips and badges say it ("2 expired").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CountLine {
    pub status: KeyStatus,
    pub count: usize,
    /// The status's name ("Rotation overdue"), for filters.
    pub label: String,
    /// The words after the number ("rotation overdue"), for chips that set the number apart.
    pub words: String,
    /// The count in words ("3 rotation overdue").
    pub text: String,
}

/// The one set of counts: a client's (or, added up, several clients'). Every view that shows a
/// count reads it from here, so the numbers cannot disagree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientCounts {
    /// Keys stored.
    pub keys: usize,
    pub expired: usize,
    /// Rotation overdue.
    pub overdue: usize,
    /// Due within 14 days (rotation or expiry).
    pub due_soon: usize,
    pub disabled: usize,
    pub healthy: usize,
    /// Catalog vendors without a key ("without a key").
    pub no_key: usize,
    /// Catalog vendors (per client).
    pub vendors: usize,
    /// Keys Rotate All Due would take (expired + overdue + due within 14 days).
    pub due_total: usize,
    /// Secrets in the vault the console did not create (filled in by the session).
    pub unmanaged: usize,
    /// The vault's certificates and cryptographic keys (filled in by the session from the same
    /// snapshot); apart from the API keys above.
    pub certificates: super::vault_objects::ObjectCounts,
    pub crypto_keys: super::vault_objects::ObjectCounts,
    /// The client tenant's app registration credentials (Graph), from the same snapshot.
    pub app_credentials: super::vault_objects::ObjectCounts,
    /// The counts above in words, one per status, worst first (zeros included: the chips are
    /// filters).
    pub lines: Vec<CountLine>,
}

impl ClientCounts {
    /// The one counting function: a client's key records at `now`.
    pub fn of(keys: &[KeyRecord], now: DateTime<Utc>) -> ClientCounts {
        // Non-API kinds (VPN keys, passwords) are not vendors a client lacks a key for: they
        // count once stored, never as "without a key".
        let vendors: Vec<_> = catalog::catalog()
            .iter()
            .filter(|v| !v.is_non_api())
            .collect();
        let mut counts = ClientCounts {
            vendors: vendors.len(),
            no_key: vendors
                .iter()
                .filter(|v| !keys.iter().any(|k| k.vendor_id == v.id))
                .count(),
            ..Default::default()
        };
        for key in keys {
            counts.keys += 1;
            let timing = KeyTiming::of(key, now);
            *counts.slot(timing.status) += 1;
            if timing.needs_rotation() {
                counts.due_total += 1;
            }
        }
        counts.relabel();
        counts
    }

    /// The counts of one vendor's keys (the vendor filter): the same rules, one catalog vendor.
    pub fn of_vendor(keys: &[KeyRecord], vendor_id: &str, now: DateTime<Utc>) -> ClientCounts {
        let theirs: Vec<KeyRecord> = keys
            .iter()
            .filter(|k| k.vendor_id == vendor_id)
            .cloned()
            .collect();
        let mut counts = ClientCounts::of(&theirs, now);
        counts.vendors = 1;
        let non_api = catalog::vendor(vendor_id).is_some_and(|v| v.is_non_api());
        counts.no_key = usize::from(theirs.is_empty() && !non_api);
        counts.relabel();
        counts
    }

    /// Add another client's counts (the portfolio's totals).
    pub fn add(&mut self, other: &ClientCounts) {
        self.keys += other.keys;
        for status in KeyStatus::ALL {
            *self.slot(status) += other.get(status);
        }
        // Every client has the same catalog; the sum of "without a key" is across clients.
        self.vendors = self.vendors.max(other.vendors);
        self.due_total += other.due_total;
        self.unmanaged += other.unmanaged;
        self.certificates.add(&other.certificates);
        self.crypto_keys.add(&other.crypto_keys);
        self.app_credentials.add(&other.app_credentials);
        self.relabel();
    }

    pub fn get(&self, status: KeyStatus) -> usize {
        match status {
            KeyStatus::NoKey => self.no_key,
            KeyStatus::Healthy => self.healthy,
            KeyStatus::DueSoon => self.due_soon,
            KeyStatus::Overdue => self.overdue,
            KeyStatus::Expired => self.expired,
            KeyStatus::Disabled => self.disabled,
        }
    }

    fn slot(&mut self, status: KeyStatus) -> &mut usize {
        match status {
            KeyStatus::NoKey => &mut self.no_key,
            KeyStatus::Healthy => &mut self.healthy,
            KeyStatus::DueSoon => &mut self.due_soon,
            KeyStatus::Overdue => &mut self.overdue,
            KeyStatus::Expired => &mut self.expired,
            KeyStatus::Disabled => &mut self.disabled,
        }
    }

    fn relabel(&mut self) {
        self.lines = KeyStatus::BY_URGENCY
            .into_iter()
            .map(|status| CountLine {
                status,
                count: self.get(status),
                label: status.label().to_string(),
                words: status.count_words(),
                text: status.count_text(self.get(status)),
            })
            .collect();
    }

    /// One line for text output: "2 expired, 3 rotation overdue, 4 due within 14 days".
    pub fn summary(&self) -> String {
        KeyStatus::BY_URGENCY
            .into_iter()
            .filter(|s| *s != KeyStatus::NoKey)
            .map(|s| s.count_text(self.get(s)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What the words the console invents mean; the UI shows them where the words appear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Glossary {
    pub unmanaged: String,
    pub not_verified: String,
    pub without_a_key: String,
    pub due_within: String,
    pub rotation_overdue: String,
}

pub fn glossary() -> Glossary {
    Glossary {
        unmanaged: "Unmanaged: secrets in this vault that the console did not create (stored from the Azure \
            portal, a script or another tool). The console lists their names and dates, never their \
            values, and tracks no rotation for them until someone adopts one as a vendor key."
            .to_string(),
        not_verified: "Not verified: with the app registration's secret every technician signs in as the \
            same app, so the console records the name typed in the profile but cannot prove who typed it. \
            Sign in with Microsoft for names Entra ID vouches for."
            .to_string(),
        without_a_key: "Without a key: vendors in the catalog for which this vault holds no key yet. \
            Nothing is wrong if the client does not use that vendor."
            .to_string(),
        due_within: format!(
            "Due within {DUE_SOON_DAYS} days: the key's next rotation or its expiry falls within the \
             next {DUE_SOON_DAYS} days. Rotate All Due takes these keys with the overdue and expired ones."
        ),
        rotation_overdue: "Rotation overdue: the key's rotation interval has passed since it was last \
            rotated. The key still works until it expires; the interval is the MSP's policy."
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::expiry_from_date;
    use crate::domain::keys::tests::{at, record};

    fn now() -> DateTime<Utc> {
        at(2026, 11, 23, 10)
    }

    /// A key rotated `rotated_days_ago` on a 90-day interval that expires at the end of the day
    /// `expires_in` days from now (none when `None`).
    fn key(rotated_days_ago: i64, expires_in: Option<i64>) -> KeyRecord {
        record(
            now() - Duration::days(rotated_days_ago),
            90,
            expires_in.map(|d| expiry_from_date(now().date_naive() + Duration::days(d))),
        )
    }

    fn timing(record: &KeyRecord) -> KeyTiming {
        KeyTiming::of(record, now())
    }

    #[test]
    fn expiry_in_14_days_is_due_within_14_days_and_15_is_healthy() {
        let t = timing(&key(1, Some(14)));
        assert_eq!(t.days_to_expiry, Some(14));
        assert_eq!(
            (t.status, t.about),
            (KeyStatus::DueSoon, StatusAbout::Expiry)
        );
        assert_eq!(t.status_text(), "Expires in 14 d");
        assert_eq!(t.status.label(), "Due within 14 days");
        assert!(t.needs_rotation());
        let t = timing(&key(1, Some(15)));
        assert_eq!((t.status, t.about), (KeyStatus::Healthy, StatusAbout::Key));
        assert_eq!(t.status_text(), "Healthy");
        assert_eq!(t.expiry_text(), "in 15 d");
        assert!(!t.needs_rotation());
    }

    #[test]
    fn rotation_due_in_14_days_is_due_and_15_is_healthy() {
        // Rotated 76 days ago on a 90-day interval: due in 14 days.
        let t = timing(&key(76, None));
        assert_eq!(t.days_to_due, 14);
        assert_eq!(
            (t.status, t.about),
            (KeyStatus::DueSoon, StatusAbout::Rotation)
        );
        assert_eq!(t.status_text(), "Rotation due in 14 d");
        assert_eq!(t.rotation_text(), "in 14 d");
        assert_eq!(timing(&key(75, None)).status, KeyStatus::Healthy);
    }

    #[test]
    fn rotation_due_today_is_due_and_yesterday_is_overdue_by_one_day() {
        let t = timing(&key(90, None));
        assert_eq!(t.days_to_due, 0);
        assert_eq!(t.status, KeyStatus::DueSoon);
        assert_eq!(t.status_text(), "Rotation due today");
        assert_eq!(t.rotation_text(), "today");
        let t = timing(&key(91, None));
        assert_eq!(
            (t.status, t.about),
            (KeyStatus::Overdue, StatusAbout::Rotation)
        );
        assert_eq!(t.status_text(), "Rotation overdue 1 d");
        assert_eq!(t.rotation_text(), "1 d overdue");
        assert_eq!(t.due_label(), "rotation overdue 1 d");
        assert_eq!(t.status.label(), "Rotation overdue");
    }

    #[test]
    fn expiring_at_the_end_of_today_has_zero_days_and_says_expires_today() {
        let t = timing(&key(1, Some(0)));
        assert_eq!(t.days_to_expiry, Some(0));
        assert_eq!(
            (t.status, t.about),
            (KeyStatus::DueSoon, StatusAbout::Expiry)
        );
        assert_eq!(t.status_text(), "Expires today");
        assert_eq!(t.expiry_text(), "today");
    }

    #[test]
    fn expired_exactly_now_is_expired_and_a_second_later_is_not() {
        let mut r = key(1, None);
        r.expires = Some(now());
        let t = timing(&r);
        assert_eq!(
            (t.status, t.about),
            (KeyStatus::Expired, StatusAbout::Expiry)
        );
        assert_eq!(t.status_text(), "Expired today");
        assert_eq!(t.expiry_text(), "expired today");
        r.expires = Some(now() + Duration::seconds(1));
        assert_eq!(timing(&r).status, KeyStatus::DueSoon);
    }

    #[test]
    fn expired_days_ago_says_how_long_ago_even_when_rotation_is_fresh() {
        let t = timing(&key(0, Some(-4)));
        assert_eq!(t.days_to_expiry, Some(-4));
        assert_eq!(t.status, KeyStatus::Expired);
        assert_eq!(t.status_text(), "Expired 4 d ago");
        assert_eq!(t.expiry_text(), "expired 4 d ago");
        assert!(t.needs_rotation());
        // Expired beats an overdue rotation.
        assert_eq!(timing(&key(200, Some(-1))).status, KeyStatus::Expired);
    }

    #[test]
    fn disabled_wins_even_when_expired_and_is_not_rotated_in_bulk() {
        let mut r = key(400, Some(-2));
        r.enabled = false;
        let t = timing(&r);
        assert_eq!((t.status, t.about), (KeyStatus::Disabled, StatusAbout::Key));
        assert_eq!(t.status_text(), "Disabled");
        // The expiry column still tells the truth about the date.
        assert_eq!(t.expiry_text(), "expired 2 d ago");
        assert!(!t.needs_rotation());
    }

    #[test]
    fn no_expiry_is_judged_by_rotation_only() {
        let t = timing(&key(10, None));
        assert_eq!(t.days_to_expiry, None);
        assert_eq!(t.status, KeyStatus::Healthy);
        assert_eq!(t.expiry_text(), "no expiry");
        assert!(t.reason().contains("no expiry set"), "{}", t.reason());
    }

    #[test]
    fn fresh_rotation_but_expiry_in_9_days_is_about_the_expiry() {
        let t = timing(&key(10, Some(9)));
        assert_eq!(
            (t.status, t.about),
            (KeyStatus::DueSoon, StatusAbout::Expiry)
        );
        assert_eq!(t.status_text(), "Expires in 9 d");
        assert_eq!(t.rotation_text(), "in 80 d");
        assert!(
            t.reason().starts_with("Expires in 9 days"),
            "{}",
            t.reason()
        );
    }

    #[test]
    fn overdue_rotation_with_far_expiry_is_about_the_rotation() {
        // The example: "Overdue" beside "200 days" — the 200 days were the expiry.
        let t = timing(&key(123, Some(200)));
        assert_eq!(
            (t.status, t.about),
            (KeyStatus::Overdue, StatusAbout::Rotation)
        );
        assert_eq!(t.status_text(), "Rotation overdue 33 d");
        assert_eq!(t.expiry_text(), "in 200 d");
        assert!(
            t.reason().starts_with("Rotation overdue by 33 days"),
            "{}",
            t.reason()
        );
    }

    #[test]
    fn rotation_due_with_far_expiry_says_rotation_not_expiry() {
        // The other example: "Due soon" beside "240 days".
        let t = timing(&key(85, Some(240)));
        assert_eq!(t.status_text(), "Rotation due in 5 d");
        assert_eq!(t.expiry_text(), "in 240 d");
    }

    #[test]
    fn both_within_the_window_name_the_sooner_and_the_reason_names_both() {
        let t = timing(&key(85, Some(9)));
        assert_eq!(t.about, StatusAbout::Rotation);
        assert_eq!(t.status_text(), "Rotation due in 5 d");
        assert!(
            t.reason().contains("also expires in 9 days"),
            "{}",
            t.reason()
        );
        let t = timing(&key(80, Some(3)));
        assert_eq!(t.status_text(), "Expires in 3 d");
        // A tie is about the expiry: the key stops working then.
        assert_eq!(timing(&key(85, Some(5))).about, StatusAbout::Expiry);
    }

    #[test]
    fn reasons_say_why_in_one_sentence() {
        let reason = |r: &KeyRecord| KeyTiming::of(r, now()).reason();
        assert_eq!(
            reason(&key(100, None)),
            "Rotation overdue by 10 days (was due 2026-11-13)."
        );
        assert_eq!(
            reason(&key(80, None)),
            "Rotation due in 10 days (2026-12-03)."
        );
        assert_eq!(reason(&key(1, Some(5))), "Expires in 5 days (2026-11-28).");
        assert_eq!(reason(&key(0, Some(-2))), "Expired on 2026-11-21.");
        assert_eq!(
            reason(&key(10, Some(100))),
            "Next rotation due 2027-02-11; expires 2027-03-03."
        );
    }

    #[test]
    fn interval_override_moves_the_due_date() {
        let rotated = now() - Duration::days(100);
        assert_eq!(
            KeyTiming::of(&record(rotated, 90, None), now()).status,
            KeyStatus::Overdue
        );
        let long = KeyTiming::of(&record(rotated, 180, None), now());
        assert_eq!((long.status, long.days_to_due), (KeyStatus::Healthy, 80));
    }

    #[test]
    fn urgency_sorts_expired_overdue_due_disabled_healthy_no_key_and_worst_date_first() {
        let mut disabled = key(10, None);
        disabled.enabled = false;
        let mut rows = [
            ("healthy", timing(&key(10, None)).urgency()),
            ("no key", KeyFacts::no_key().urgency),
            ("due in 9", timing(&key(10, Some(9))).urgency()),
            ("overdue 5", timing(&key(95, None)).urgency()),
            ("expired 1", timing(&key(0, Some(-1))).urgency()),
            ("disabled", timing(&disabled).urgency()),
            ("overdue 40", timing(&key(130, None)).urgency()),
            ("due in 2", timing(&key(88, None)).urgency()),
            ("expired 30", timing(&key(0, Some(-30))).urgency()),
        ];
        rows.sort_by_key(|(_, u)| *u);
        let order: Vec<&str> = rows.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            order,
            [
                "expired 30",
                "expired 1",
                "overdue 40",
                "overdue 5",
                "due in 2",
                "due in 9",
                "disabled",
                "healthy",
                "no key"
            ]
        );
        // Absurd dates from a hand-edited vault stay inside their status band.
        let far = record(DateTime::<Utc>::MAX_UTC - Duration::days(1), 90, None);
        assert!(KeyTiming::of(&far, now()).urgency() < KeyFacts::no_key().urgency);
    }

    #[test]
    fn counts_add_up_and_say_the_words_worst_first() {
        let mut disabled = key(10, None);
        disabled.enabled = false;
        let keys = vec![
            key(0, Some(-3)),
            key(0, Some(-1)),
            key(100, None),
            key(95, Some(300)),
            key(120, None),
            key(10, Some(9)),
            key(10, None),
            disabled,
        ];
        let counts = ClientCounts::of(&keys, now());
        assert_eq!(
            (
                counts.expired,
                counts.overdue,
                counts.due_soon,
                counts.disabled,
                counts.healthy
            ),
            (2, 3, 1, 1, 1)
        );
        assert_eq!(counts.keys, 8);
        assert_eq!(counts.due_total, 6);
        // Every key here is NinjaOne: every other catalog vendor is without a key.
        assert_eq!(counts.no_key, counts.vendors - 1);
        let texts: Vec<&str> = counts.lines.iter().map(|l| l.text.as_str()).collect();
        let without = format!("{} without a key", counts.vendors - 1);
        assert_eq!(
            texts,
            [
                "2 expired",
                "3 rotation overdue",
                "1 due within 14 days",
                "1 disabled",
                "1 healthy",
                without.as_str()
            ]
        );
        assert_eq!(ClientCounts::of(&[], now()).lines[0].text, "0 expired");
        let mut total = counts.clone();
        total.add(&counts);
        assert_eq!((total.expired, total.overdue, total.due_total), (4, 6, 12));
        assert_eq!(total.lines[0].text, "4 expired");
        assert_eq!(total.vendors, counts.vendors);
    }
}
