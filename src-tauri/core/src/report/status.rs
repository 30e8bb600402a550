//! The report's one view of a key's status. Everything the PDF says about a key's state (its
//! label, whether it is an exception, whether it counts as within policy, where it sorts, which
//! date is due) comes from [`report_status`], so switching the console's status model means
//! changing this function and nothing else in the report.

use crate::domain::keys::KeyStatus;

/// What the status model knows about one stored key, as the service hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusFacts {
    pub status: KeyStatus,
    /// Calendar days until the next rotation is due; negative when overdue.
    pub days_to_due: Option<i64>,
    /// Calendar days until expiry; `None` when the key has no expiry.
    pub days_to_expiry: Option<i64>,
    /// "2026-11-23", or `None`.
    pub next_due: Option<String>,
    pub expiry: Option<String>,
}

/// Why a key is on the report's exceptions list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    Expired,
    RotationOverdue,
    Disabled,
}

impl Exception {
    pub fn label(self) -> &'static str {
        match self {
            Exception::Expired => "Expired",
            Exception::RotationOverdue => "Rotation overdue",
            Exception::Disabled => "Disabled",
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

/// The adapter from the console's status model to the report.
pub fn report_status(facts: &StatusFacts) -> RowStatus {
    let due = facts.days_to_due.unwrap_or(i64::MAX);
    let expiry = facts.days_to_expiry.unwrap_or(i64::MAX);
    let date = |d: &Option<String>| d.clone().unwrap_or_else(|| NONE.to_string());
    let (label, exception, rank, days, due_date) = match facts.status {
        // Expired first (longest expired leads), then overdue (most overdue leads), then
        // disabled keys, which cannot be used but still sit in the vault.
        KeyStatus::Expired => (
            match facts.days_to_expiry {
                Some(d) if d < 0 => format!("Expired {} d ago", -d),
                _ => "Expired today".to_string(),
            },
            Some(Exception::Expired),
            0,
            expiry,
            date(&facts.expiry),
        ),
        KeyStatus::Overdue => (
            format!("Overdue {} d", due.saturating_neg().max(0)),
            Some(Exception::RotationOverdue),
            1,
            due,
            date(&facts.next_due),
        ),
        KeyStatus::Disabled => (
            "Disabled".to_string(),
            Some(Exception::Disabled),
            2,
            due,
            date(&facts.next_due),
        ),
        KeyStatus::DueSoon => {
            // Name whichever comes first, as the Vault tab's reason does.
            let text = if due <= expiry {
                match due {
                    0 => "Due today".to_string(),
                    d => format!("Due in {d} d"),
                }
            } else {
                match expiry {
                    0 => "Expires today".to_string(),
                    d => format!("Expires in {d} d"),
                }
            };
            (text, None, 3, due.min(expiry), date(&facts.next_due))
        }
        KeyStatus::Healthy => (
            "Healthy".to_string(),
            None,
            4,
            due.min(expiry),
            date(&facts.next_due),
        ),
        KeyStatus::NoKey => ("No key".to_string(), None, 5, i64::MAX, NONE.to_string()),
    };
    RowStatus {
        label,
        colour: facts.status.colour(),
        exception,
        within_policy: matches!(facts.status, KeyStatus::Healthy | KeyStatus::DueSoon),
        urgency: (rank, days),
        due_date,
        detail: match exception {
            // The due date has a column of its own: the detail says what it means.
            Some(Exception::Expired) => match -expiry {
                d if d > 0 => format!("Expired {d} day{} ago: calls with it fail.", plural(d)),
                _ => "Expired today: calls with it fail.".to_string(),
            },
            Some(Exception::RotationOverdue) => {
                let d = due.saturating_neg();
                format!(
                    "Not rotated within its interval: {d} day{} late.",
                    plural(d)
                )
            }
            Some(Exception::Disabled) => {
                "Disabled in the vault: cannot be used until enabled.".to_string()
            }
            None => String::new(),
        },
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: KeyStatus, due: i64, expiry: Option<i64>) -> StatusFacts {
        StatusFacts {
            status,
            days_to_due: Some(due),
            days_to_expiry: expiry,
            next_due: Some("2026-12-01".into()),
            expiry: expiry.map(|_| "2027-01-01".into()),
        }
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
        let label = |f: StatusFacts| report_status(&f).label;
        assert_eq!(
            label(facts(KeyStatus::Expired, 5, Some(-12))),
            "Expired 12 d ago"
        );
        assert_eq!(
            label(facts(KeyStatus::Expired, 5, Some(0))),
            "Expired today"
        );
        assert_eq!(label(facts(KeyStatus::Overdue, -33, None)), "Overdue 33 d");
        assert_eq!(label(facts(KeyStatus::DueSoon, 0, None)), "Due today");
        assert_eq!(label(facts(KeyStatus::DueSoon, 9, Some(40))), "Due in 9 d");
        assert_eq!(
            label(facts(KeyStatus::DueSoon, 40, Some(6))),
            "Expires in 6 d"
        );
        assert_eq!(label(facts(KeyStatus::Healthy, 60, None)), "Healthy");
    }

    #[test]
    fn exception_details_say_what_the_client_should_know() {
        let detail = |f: StatusFacts| report_status(&f).detail;
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
        assert_eq!(
            report_status(&facts(KeyStatus::Expired, 5, Some(-2))).due_date,
            "2027-01-01"
        );
        assert_eq!(
            report_status(&facts(KeyStatus::Overdue, -2, Some(50))).due_date,
            "2026-12-01"
        );
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
                "Overdue 40 d",
                "Overdue 2 d",
                "Disabled",
                "Due in 2 d",
                "Due in 9 d",
                "Healthy",
            ]
        );
    }
}
