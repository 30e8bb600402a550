//! Expiry reminders: a desktop notification when a key crosses 30, 14, 7 and 1 days before its
//! expiry, and when it expires. Each threshold fires once per key per expiry date; the ledger
//! that remembers this holds secret names, expiry timestamps and thresholds — never a value.
//!
//! Finding a reminder does not mark it: a reminder counts as sent only once the window has shown
//! it (`ReminderLedger::mark_shown`). A desktop notification alone is no proof — the OS may drop
//! it (no AUMID for an unpackaged Windows build, notifications denied on macOS, no notification
//! service on a Linux box) without telling the console.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::keys::{KeyRecord, days_between};
use crate::domain::vault_objects::{ObjectDates, ObjectKind};

/// Reminder thresholds, least urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Threshold {
    Days30,
    Days14,
    Days7,
    Days1,
    Expired,
}

impl Threshold {
    pub const ALL: [Threshold; 5] = [
        Threshold::Days30,
        Threshold::Days14,
        Threshold::Days7,
        Threshold::Days1,
        Threshold::Expired,
    ];

    /// Days before expiry at which the threshold is crossed (`None` = at expiry).
    fn days(self) -> Option<i64> {
        match self {
            Threshold::Days30 => Some(30),
            Threshold::Days14 => Some(14),
            Threshold::Days7 => Some(7),
            Threshold::Days1 => Some(1),
            Threshold::Expired => None,
        }
    }

    fn crossed(self, days_left: i64, expired: bool) -> bool {
        match self.days() {
            Some(days) => days_left <= days,
            None => expired,
        }
    }
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub secret_name: String,
    pub threshold: Threshold,
    /// The expiry it is about (seconds since 1970), as the ledger keys it.
    pub expiry: i64,
    /// Every threshold crossed so far: all are marked once this one is shown, so a key first seen
    /// at 5 days left gets one "7 days" reminder, not three.
    pub crossed: Vec<Threshold>,
    pub title: String,
    pub body: String,
}

impl Reminder {
    /// Identifies the reminder within one vault's ledger.
    pub fn id(&self) -> String {
        format!("{}@{}:{:?}", self.secret_name, self.expiry, self.threshold)
    }
}

/// Which thresholds already fired, per key and expiry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderLedger {
    fired: BTreeSet<(String, i64, Threshold)>,
}

impl ReminderLedger {
    fn has(&self, name: &str, expiry: i64, threshold: Threshold) -> bool {
        self.fired.contains(&(name.to_string(), expiry, threshold))
    }

    fn mark(&mut self, name: &str, expiry: i64, threshold: Threshold) {
        self.fired.insert((name.to_string(), expiry, threshold));
    }

    /// Record that `reminder` was shown, with the thresholds it covers.
    pub fn mark_shown(&mut self, reminder: &Reminder) {
        for threshold in &reminder.crossed {
            self.mark(&reminder.secret_name, reminder.expiry, *threshold);
        }
    }

    /// Forget entries of keys that no longer exist or whose expiry changed (rotation sets a new one).
    fn retain_current(&mut self, current: &BTreeSet<(String, i64)>) {
        self.fired
            .retain(|(name, expiry, _)| current.contains(&(name.clone(), *expiry)));
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> ReminderLedger {
        // A damaged ledger only means some reminders repeat once; start afresh.
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// The reminders due now and not yet shown. Marks nothing: `ReminderLedger::mark_shown` does,
/// once the window has shown one.
pub fn due_reminders(
    records: &[KeyRecord],
    vendor_name: impl Fn(&KeyRecord) -> String,
    now: DateTime<Utc>,
    ledger: &mut ReminderLedger,
) -> Vec<Reminder> {
    due_reminders_with_objects(records, vendor_name, &[], now, ledger)
}

/// One thing with an expiry that reminders track: an API key or a vault object.
struct Tracked {
    /// The ledger's name for it (a secret name; `certificate:<name>` or `key:<name>`).
    ledger_name: String,
    name: String,
    object: Option<ObjectKind>,
    enabled: bool,
    expires: Option<DateTime<Utc>>,
}

/// The reminders of the API keys and of the vault's certificates and keys, at the same
/// thresholds, in one ledger. One Key Vault renews (rotates) by itself gets none until it has
/// expired: that renewal failed.
pub fn due_reminders_with_objects(
    records: &[KeyRecord],
    vendor_name: impl Fn(&KeyRecord) -> String,
    objects: &[ObjectDates],
    now: DateTime<Utc>,
    ledger: &mut ReminderLedger,
) -> Vec<Reminder> {
    let tracked: Vec<Tracked> = records
        .iter()
        .map(|r| Tracked {
            ledger_name: r.secret_name.clone(),
            name: vendor_name(r),
            object: None,
            enabled: r.enabled,
            expires: r.expires,
        })
        .chain(objects.iter().map(|o| Tracked {
            ledger_name: format!("{}:{}", o.kind.noun(), o.name),
            name: o.name.clone(),
            object: Some(o.kind),
            enabled: o.enabled && !o.auto_renewing(now),
            expires: o.expires,
        }))
        .collect();
    let current: BTreeSet<(String, i64)> = tracked
        .iter()
        .filter_map(|r| r.expires.map(|e| (r.ledger_name.clone(), e.timestamp())))
        .collect();
    ledger.retain_current(&current);

    let mut due = Vec::new();
    for record in tracked.iter().filter(|r| r.enabled) {
        let Some(expires) = record.expires else {
            continue;
        };
        let key = expires.timestamp();
        let days_left = days_between(now, expires);
        let expired = expires <= now;
        let crossed: Vec<Threshold> = Threshold::ALL
            .into_iter()
            .filter(|t| t.crossed(days_left, expired))
            .collect();
        let Some(&most_urgent) = crossed.last() else {
            continue;
        };
        if ledger.has(&record.ledger_name, key, most_urgent) {
            continue;
        }
        let name = &record.name;
        let date = expires.format("%Y-%m-%d");
        let (title, body) = match record.object {
            Some(kind) => object_words(kind, name, most_urgent, days_left, &date.to_string()),
            None => match most_urgent {
                Threshold::Days30 => (
                    format!("{name} key expires in {days_left} days"),
                    format!("Plan the rotation: it expires on {date}."),
                ),
                Threshold::Days14 => (
                    format!("{name} key is due: {days_left} days left"),
                    format!("Generate a new key at the vendor and rotate it before {date}."),
                ),
                Threshold::Days7 => (
                    format!("Action needed: {name} key expires in {days_left} days"),
                    format!("Rotate it this week; integrations stop working on {date}."),
                ),
                Threshold::Days1 => (
                    format!(
                        "URGENT: {name} key expires {}",
                        if days_left <= 0 { "today" } else { "tomorrow" }
                    ),
                    format!("Rotate it now; it stops working on {date}."),
                ),
                Threshold::Expired => (
                    format!("EXPIRED: {name} key"),
                    format!(
                        "It expired on {date}. Anything still using it is failing; rotate it now."
                    ),
                ),
            },
        };
        due.push(Reminder {
            secret_name: record.ledger_name.clone(),
            threshold: most_urgent,
            expiry: key,
            crossed,
            title,
            body,
        });
    }
    due
}

/// A certificate's or vault key's reminder: renewed or rotated in Key Vault, not at a vendor.
fn object_words(
    kind: ObjectKind,
    name: &str,
    threshold: Threshold,
    days_left: i64,
    date: &str,
) -> (String, String) {
    let noun = kind.noun();
    let act = match kind {
        ObjectKind::Certificate => "Renew it in Key Vault (or at its CA) and deploy it",
        ObjectKind::Key => "Rotate it in Key Vault",
        ObjectKind::AppCredential => {
            "Add a new secret or certificate to the app registration, put it where the app is used, then remove the old one"
        }
    };
    match threshold {
        Threshold::Days30 | Threshold::Days14 => (
            format!("{name} {noun} expires in {days_left} days"),
            format!("{act} before {date}."),
        ),
        Threshold::Days7 => (
            format!("Action needed: {name} {noun} expires in {days_left} days"),
            format!("{act} this week; it stops working on {date}."),
        ),
        Threshold::Days1 => (
            format!(
                "URGENT: {name} {noun} expires {}",
                if days_left <= 0 { "today" } else { "tomorrow" }
            ),
            format!("{act} now; it stops working on {date}."),
        ),
        Threshold::Expired => (
            format!("EXPIRED: {name} {noun}"),
            format!("It expired on {date}. {act} now."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::tests::{at, record};
    use chrono::Duration;

    fn name(r: &KeyRecord) -> String {
        r.vendor_id.clone()
    }

    /// The reminders due, each shown at once (as the window does).
    fn shown(
        keys: &[KeyRecord],
        now: chrono::DateTime<Utc>,
        ledger: &mut ReminderLedger,
    ) -> Vec<Reminder> {
        let due = due_reminders(keys, name, now, ledger);
        for reminder in &due {
            ledger.mark_shown(reminder);
        }
        due
    }

    #[test]
    fn a_reminder_not_yet_shown_comes_again() {
        let now = at(2026, 11, 23, 9);
        let keys = vec![record(now, 90, Some(now + Duration::days(5)))];
        let mut ledger = ReminderLedger::default();
        let first = due_reminders(&keys, name, now, &mut ledger);
        assert_eq!(first.len(), 1);
        // Nothing showed it (the OS dropped the toast, the window was not open): it is still due.
        let again = due_reminders(&keys, name, now + Duration::hours(4), &mut ledger);
        assert_eq!(again, first);
        ledger.mark_shown(&again[0]);
        assert!(due_reminders(&keys, name, now + Duration::hours(8), &mut ledger).is_empty());
        assert_eq!(
            again[0].id(),
            format!("{}@{}:Days7", again[0].secret_name, again[0].expiry)
        );
    }

    #[test]
    fn each_threshold_fires_once_as_time_passes() {
        let start = at(2026, 11, 1, 9);
        let expiry = start + Duration::days(40);
        let keys = vec![record(start, 90, Some(expiry))];
        let mut ledger = ReminderLedger::default();
        let mut fired = Vec::new();
        // Check every 6 hours for 45 days.
        for step in 0..(45 * 4) {
            let now = start + Duration::hours(6 * step);
            for reminder in shown(&keys, now, &mut ledger) {
                fired.push(reminder.threshold);
            }
        }
        assert_eq!(fired, Threshold::ALL.to_vec());
    }

    #[test]
    fn certificates_and_keys_get_the_same_thresholds_except_when_key_vault_renews_them() {
        let now = at(2026, 11, 23, 9);
        let keys = vec![record(now, 90, Some(now + Duration::days(5)))];
        let object = |kind, name: &str, days: i64, renews: Option<i64>| ObjectDates {
            kind,
            name: name.into(),
            enabled: true,
            expires: Some(now + Duration::days(days)),
            renews: renews.map(|d| now + Duration::days(d)),
        };
        let objects = vec![
            object(ObjectKind::Certificate, "portal-tls", 10, Some(3)),
            object(ObjectKind::Certificate, "rmm-signing", 9, None),
            object(ObjectKind::Key, "sql-tde", -2, None),
            // Its renewal date passed and it expired anyway: the renewal failed.
            object(ObjectKind::Certificate, "vpn", -1, Some(-8)),
        ];
        let mut ledger = ReminderLedger::default();
        let due = due_reminders_with_objects(&keys, name, &objects, now, &mut ledger);
        let titles: Vec<&str> = due.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(due.len(), 4, "{titles:?}");
        assert!(titles.contains(&"rmm-signing certificate expires in 9 days"));
        assert!(titles.contains(&"EXPIRED: sql-tde key"));
        assert!(titles.contains(&"EXPIRED: vpn certificate"));
        assert!(!titles.iter().any(|t| t.contains("portal-tls")));
        // One ledger for both: marking every one shown silences all, and the API key's entry
        // survives the objects' (no name of one kind clears the other's).
        for reminder in &due {
            ledger.mark_shown(reminder);
        }
        assert!(due_reminders_with_objects(&keys, name, &objects, now, &mut ledger).is_empty());
        assert!(due_reminders(&keys, name, now, &mut ledger).is_empty());
    }

    #[test]
    fn first_seen_late_fires_only_the_most_urgent() {
        let now = at(2026, 11, 23, 9);
        let keys = vec![record(now, 90, Some(now + Duration::days(5)))];
        let mut ledger = ReminderLedger::default();
        let due = shown(&keys, now, &mut ledger);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].threshold, Threshold::Days7);
        assert!(due[0].title.starts_with("Action needed"));
        assert!(due_reminders(&keys, name, now + Duration::hours(3), &mut ledger).is_empty());
    }

    #[test]
    fn wording_escalates() {
        let now = at(2026, 11, 23, 9);
        let mut ledger = ReminderLedger::default();
        let keys = vec![
            record(now, 90, Some(now + Duration::days(30))),
            record(now, 90, Some(now + Duration::days(1))),
            record(now, 90, Some(now - Duration::days(2))),
        ];
        let keys: Vec<KeyRecord> = keys
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                r.secret_name = format!("k{i}");
                r
            })
            .collect();
        let titles: Vec<String> = due_reminders(&keys, name, now, &mut ledger)
            .into_iter()
            .map(|r| r.title)
            .collect();
        assert!(titles[0].contains("expires in 30 days"));
        assert!(titles[1].starts_with("URGENT"));
        assert!(titles[2].starts_with("EXPIRED"));
    }

    #[test]
    fn a_new_expiry_after_rotation_starts_over_and_survives_json() {
        let now = at(2026, 11, 23, 9);
        let mut keys = vec![record(now, 90, Some(now + Duration::days(10)))];
        let mut ledger = ReminderLedger::default();
        assert_eq!(shown(&keys, now, &mut ledger).len(), 1);
        let mut ledger = ReminderLedger::from_json(&ledger.to_json());
        assert!(due_reminders(&keys, name, now, &mut ledger).is_empty());
        keys[0].expires = Some(now + Duration::days(20));
        let again = due_reminders(&keys, name, now, &mut ledger);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].threshold, Threshold::Days30);
    }

    #[test]
    fn disabled_and_undated_keys_are_silent() {
        let now = at(2026, 11, 23, 9);
        let mut disabled = record(now, 90, Some(now + Duration::days(1)));
        disabled.enabled = false;
        let undated = record(now, 90, None);
        let mut ledger = ReminderLedger::default();
        assert!(due_reminders(&[disabled, undated], name, now, &mut ledger).is_empty());
    }
}
