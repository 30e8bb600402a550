//! The report's one view of a key's status. Everything the PDF says about a key's state (its
//! label, whether it is an exception, whether it counts as within policy, where it sorts, which
//! date is due) comes from [`report_status`], so switching the console's status model means
//! changing this function and nothing else in the report.

use crate::domain::keys::KeyStatus;
use crate::domain::status::KeyFacts;

/// Why a key is on the report's exceptions list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    Expired,
    RotationOverdue,
    Disabled,
    /// Shorter than its kind's recommended length, accepted with a reason: the lifecycle
    /// article asks that such a secret be flagged for future review.
    ForReview,
}

impl Exception {
    pub fn label(self) -> &'static str {
        match self {
            Exception::Expired => "Expired",
            Exception::RotationOverdue => "Rotation overdue",
            Exception::Disabled => "Disabled",
            Exception::ForReview => "For review",
        }
    }
}

/// The report's reading of one key's status.
#[derive(Debug, Clone, PartialEq)]
pub struct RowStatus {
    /// Short status text for the key table, e.g. "Overdue 33 d" or "Due in 9 d".
    pub label: String,
    pub colour: [u8; 3],
    pub exception: Option<Exception>,
    /// Enabled, not expired and rotated within its interval: counts towards the compliance figure.
    pub within_policy: bool,
    /// Sort key, smallest first: the most urgent key leads the table.
    pub urgency: (u8, i64),
    /// The date the exception is measured against (expiry for an expired key, the rotation due
    /// date otherwise), or "—".
    pub due_date: String,
    /// What the exception means for the client, one short sentence; empty for other keys.
    pub detail: String,
}

const NONE: &str = "—";

/// The adapter from the console's status model (`domain::status`, one function for every view)
/// to the report: the same status words as the Vault tab, plus what only the report says.
pub fn report_status(facts: &KeyFacts) -> RowStatus {
    let date = |d: &Option<String>| d.clone().unwrap_or_else(|| NONE.to_string());
    let exception = match facts.status {
        KeyStatus::Expired => Some(Exception::Expired),
        KeyStatus::Overdue => Some(Exception::RotationOverdue),
        KeyStatus::Disabled => Some(Exception::Disabled),
        _ => None,
    };
    let due_date = match facts.status {
        KeyStatus::Expired => date(&facts.expiry),
        KeyStatus::NoKey => NONE.to_string(),
        _ => date(&facts.next_due),
    };
    RowStatus {
        label: facts.status_text.clone(),
        colour: facts.status.colour(),
        exception,
        within_policy: matches!(facts.status, KeyStatus::Healthy | KeyStatus::DueSoon),
        urgency: (0, facts.urgency),
        due_date,
        detail: match exception {
            Some(Exception::Expired) => match -facts.days_to_expiry.unwrap_or(0) {
                d if d > 0 => format!("Expired {d} day{} ago: calls with it fail.", plural(d)),
                _ => "Expired today: calls with it fail.".to_string(),
            },
            Some(Exception::RotationOverdue) => {
                let d = facts.days_to_due.unwrap_or(0).saturating_neg();
                format!(
                    "Not rotated within its interval: {d} day{} late.",
                    plural(d)
                )
            }
            Some(Exception::Disabled) => {
                "Disabled in the vault: cannot be used until enabled.".to_string()
            }
            Some(Exception::ForReview) | None => String::new(),
        },
    }
}

/// A key flagged for review (a short secret with its reason) is on the exceptions list too: as
/// "For review" when nothing worse applies, or with the reason added to its other exception.
pub fn with_review(mut status: RowStatus, review: Option<&str>) -> RowStatus {
    let Some(reason) = review else {
        return status;
    };
    let sentence = format!("Shorter than recommended, accepted because: {reason}");
    match status.exception {
        Some(_) => status.detail = format!("{} {sentence}", status.detail),
        None => {
            status.exception = Some(Exception::ForReview);
            status.detail = sentence;
        }
    }
    status
}

/// Facts of a key in the given state, through the console's own status function (tests build
/// report rows from them; `days_*` are whole days from `now`).
#[cfg(test)]
pub(crate) fn facts_for(
    status: KeyStatus,
    days_to_due: Option<i64>,
    days_to_expiry: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> KeyFacts {
    use crate::domain::keys::tests::record;
    use crate::domain::status::KeyTiming;
    if status == KeyStatus::NoKey {
        return KeyFacts::no_key();
    }
    let interval = 90;
    let last_rotated =
        now - chrono::Duration::days(i64::from(interval) - days_to_due.unwrap_or(30));
    let mut key = record(
        last_rotated,
        interval,
        days_to_expiry.map(|d| now + chrono::Duration::days(d)),
    );
    key.enabled = status != KeyStatus::Disabled;
    let facts = KeyTiming::of(&key, now).facts();
    assert_eq!(facts.status, status, "test facts for {status:?}");
    facts
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: KeyStatus, due: i64, expiry: Option<i64>) -> KeyFacts {
        let now = crate::domain::keys::tests::at(2026, 11, 1, 12);
        facts_for(status, Some(due), expiry, now)
    }

    #[test]
    fn a_short_secret_is_listed_for_review_and_keeps_a_worse_exception() {
        let reason = "The warehouse printer takes 16 characters at most";
        // Healthy but short: on the exceptions list as "For review", with the reason, and
        // still within policy (it is not late).
        let healthy = with_review(
            report_status(&facts(KeyStatus::Healthy, 60, None)),
            Some(reason),
        );
        assert_eq!(healthy.exception, Some(Exception::ForReview));
        assert_eq!(Exception::ForReview.label(), "For review");
        assert!(healthy.detail.contains(reason), "{}", healthy.detail);
        assert!(healthy.within_policy);
        // Overdue and short: still "Rotation overdue", the reason added to its detail.
        let overdue = with_review(
            report_status(&facts(KeyStatus::Overdue, -4, Some(100))),
            Some(reason),
        );
        assert_eq!(overdue.exception, Some(Exception::RotationOverdue));
        assert!(overdue.detail.starts_with("Not rotated") && overdue.detail.contains(reason));
        // No flag, no change.
        let plain = report_status(&facts(KeyStatus::Healthy, 60, None));
        assert_eq!(with_review(plain.clone(), None), plain);
    }

    #[test]
    fn exceptions_are_expired_overdue_and_disabled_only() {
        let cases = [
            (
                facts(KeyStatus::Expired, 30, Some(-12)),
                Some(Exception::Expired),
            ),
            (
                facts(KeyStatus::Overdue, -4, Some(100)),
                Some(Exception::RotationOverdue),
            ),
            (
                facts(KeyStatus::Disabled, 30, None),
                Some(Exception::Disabled),
            ),
            (facts(KeyStatus::DueSoon, 3, None), None),
            (facts(KeyStatus::Healthy, 60, None), None),
        ];
        for (input, expected) in cases {
            let status = report_status(&input);
            assert_eq!(status.exception, expected, "{:?}", input.status);
            assert_eq!(
                status.within_policy,
                expected.is_none(),
                "{:?}: a key is within policy exactly when it is no exception",
                input.status
            );
        }
    }

    #[test]
    fn labels_carry_the_days_a_technician_acts_on() {
        let label = |f: KeyFacts| report_status(&f).label;
        assert_eq!(
            label(facts(KeyStatus::Expired, 5, Some(-12))),
            "Expired 12 d ago"
        );
        assert_eq!(
            label(facts(KeyStatus::Expired, 5, Some(0))),
            "Expired today"
        );
        // The console's own words (domain::status), the same as the Vault tab's.
        assert_eq!(
            label(facts(KeyStatus::Overdue, -33, None)),
            "Rotation overdue 33 d"
        );
        assert_eq!(
            label(facts(KeyStatus::DueSoon, 9, Some(40))),
            "Rotation due in 9 d"
        );
        assert_eq!(
            label(facts(KeyStatus::DueSoon, 40, Some(6))),
            "Expires in 6 d"
        );
        assert_eq!(label(facts(KeyStatus::Healthy, 60, None)), "Healthy");
    }

    #[test]
    fn exception_details_say_what_the_client_should_know() {
        let detail = |f: KeyFacts| report_status(&f).detail;
        assert_eq!(
            detail(facts(KeyStatus::Expired, 5, Some(-1))),
            "Expired 1 day ago: calls with it fail."
        );
        assert_eq!(
            detail(facts(KeyStatus::Overdue, -221, None)),
            "Not rotated within its interval: 221 days late."
        );
        assert_eq!(detail(facts(KeyStatus::Healthy, 60, None)), "");
    }

    #[test]
    fn due_date_is_the_expiry_for_expired_keys_and_the_rotation_date_otherwise() {
        let expired = facts(KeyStatus::Expired, 5, Some(-2));
        assert_eq!(
            Some(report_status(&expired).due_date),
            expired.expiry.clone()
        );
        let overdue = facts(KeyStatus::Overdue, -2, Some(50));
        assert_eq!(
            Some(report_status(&overdue).due_date),
            overdue.next_due.clone()
        );
        assert_ne!(overdue.next_due, overdue.expiry);
    }

    #[test]
    fn urgency_puts_the_worst_key_first() {
        let mut statuses = [
            facts(KeyStatus::Healthy, 80, None),
            facts(KeyStatus::DueSoon, 9, None),
            facts(KeyStatus::Disabled, 30, None),
            facts(KeyStatus::Overdue, -2, None),
            facts(KeyStatus::Overdue, -40, None),
            facts(KeyStatus::Expired, 10, Some(-1)),
            facts(KeyStatus::Expired, 10, Some(-30)),
            facts(KeyStatus::DueSoon, 2, None),
        ]
        .map(|f| report_status(&f));
        statuses.sort_by_key(|s| s.urgency);
        let labels: Vec<&str> = statuses.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Expired 30 d ago",
                "Expired 1 d ago",
                "Rotation overdue 40 d",
                "Rotation overdue 2 d",
                "Rotation due in 2 d",
                "Rotation due in 9 d",
                "Disabled",
                "Healthy",
            ]
        );
    }
}
