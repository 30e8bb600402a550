//! The status model against fixed dates: every status, its wording and its rank, and the counts.

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
