//! The one status model. A key has two dates that matter — when its rotation is next due and when
//! it expires — and [`KeyTiming::of`] is the only place that turns them into a status, says which
//! of the two the status is about, words it and ranks it for sorting. [`ClientCounts::of`] is the
//! only place that counts statuses; the sidebar, the Vault chips, the Rotation tab, Rotate All
//! Due, the report, the CSV and `akv-console status` all read these two.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::keys::{KeyRecord, days_between};

mod counts;
pub use counts::{ClientCounts, CountLine, Glossary, glossary};

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

#[cfg(test)]
mod tests;
