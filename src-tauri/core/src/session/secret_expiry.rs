//! The console's own client secret (app-secret mode): its end date, read from Microsoft Graph
//! after each connect, and the top bar's warning 30, 14, 7 and 1 days before it expires — the
//! "silent failure" of the manual, where every console stops connecting on the same morning.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

/// Days before the end date at which the warning steps up (the manual's reminder steps).
pub const WARN_DAYS: [i64; 4] = [30, 14, 7, 1];

/// What the console knows about its connection secret's end date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SecretExpiry {
    /// Not asked yet (or a sign-in connection, which has no client secret).
    #[default]
    Unknown,
    Ends(DateTime<Utc>),
    /// Graph lists no end date for it, or no single secret matches.
    NotListed,
    /// Graph could not be asked (no permission, offline): why, for the client's details.
    Unreadable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum SecretWarningLevel {
    /// 30 to 15 days left.
    Notice,
    /// 14 to 8 days left.
    Warning,
    /// 7 days or fewer, or expired.
    Urgent,
}

/// The client secret's end date as the client's details and the top bar show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SecretExpiryView {
    /// The end date (YYYY-MM-DD), when Graph told it.
    pub ends: Option<String>,
    pub days_left: Option<i64>,
    /// `Some` from 30 days before the end date.
    pub level: Option<SecretWarningLevel>,
    /// One sentence: when it ends and what to do, or why the console cannot tell.
    pub message: String,
}

impl SecretExpiry {
    pub fn view(&self, client: &str, now: DateTime<Utc>) -> Option<SecretExpiryView> {
        match self {
            SecretExpiry::Unknown => None,
            SecretExpiry::NotListed => Some(SecretExpiryView {
                ends: None,
                days_left: None,
                level: None,
                message: "Microsoft Graph lists no end date for this client secret.".to_string(),
            }),
            SecretExpiry::Unreadable(why) => Some(SecretExpiryView {
                ends: None,
                days_left: None,
                level: None,
                message: format!(
                    "The client secret's end date could not be read ({why}). Grant the app Application.Read.All, or Application.ReadWrite.OwnedBy with the app as its own owner (Setup Guide), to be warned before it expires."
                ),
            }),
            SecretExpiry::Ends(end) => {
                let days_left = (end.date_naive() - now.date_naive()).num_days();
                let level = match days_left {
                    d if d <= 7 => Some(SecretWarningLevel::Urgent),
                    d if d <= 14 => Some(SecretWarningLevel::Warning),
                    d if d <= 30 => Some(SecretWarningLevel::Notice),
                    _ => None,
                };
                let ends = end.format("%Y-%m-%d").to_string();
                let message = match days_left {
                    d if d < 0 => format!(
                        "{client}: the console's client secret expired on {ends}. Make a new one in the Entra admin center and edit the client."
                    ),
                    0 => format!(
                        "{client}: the console's client secret expires today ({ends}). Rotate the Entra App Secret key at the vendor now."
                    ),
                    1 => format!(
                        "{client}: the console's client secret expires tomorrow ({ends}). Rotate the Entra App Secret key at the vendor."
                    ),
                    d if d <= 30 => format!(
                        "{client}: the console's client secret expires in {d} days ({ends}). Rotate the Entra App Secret key at the vendor before then."
                    ),
                    d => format!("The console's client secret is valid until {ends} ({d} days)."),
                };
                Some(SecretExpiryView {
                    ends: Some(ends),
                    days_left: Some(days_left),
                    level,
                    message,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(days: i64) -> (SecretExpiry, DateTime<Utc>) {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 2, 9, 0, 0)
            .single()
            .expect("date");
        (SecretExpiry::Ends(now + Duration::days(days)), now)
    }

    #[test]
    fn the_warning_steps_up_at_30_14_7_and_1_days() {
        let level = |days| at(days).0.view("Contoso", at(days).1).and_then(|v| v.level);
        assert_eq!(level(31), None);
        assert_eq!(level(30), Some(SecretWarningLevel::Notice));
        assert_eq!(level(15), Some(SecretWarningLevel::Notice));
        assert_eq!(level(14), Some(SecretWarningLevel::Warning));
        assert_eq!(level(8), Some(SecretWarningLevel::Warning));
        assert_eq!(level(7), Some(SecretWarningLevel::Urgent));
        assert_eq!(level(1), Some(SecretWarningLevel::Urgent));
        assert_eq!(level(-2), Some(SecretWarningLevel::Urgent));
        let (expiry, now) = at(1);
        let view = expiry.view("Contoso", now).expect("view");
        assert!(
            view.message.contains("expires tomorrow"),
            "{}",
            view.message
        );
        let (expiry, now) = at(-2);
        assert!(
            expiry
                .view("Contoso", now)
                .expect("view")
                .message
                .contains("expired on")
        );
    }

    #[test]
    fn an_unreadable_end_date_says_what_permission_is_missing() {
        let view = SecretExpiry::Unreadable("HTTP 403".into())
            .view("Contoso", Utc::now())
            .expect("view");
        assert_eq!(view.level, None);
        assert!(view.message.contains("Application.Read.All"));
    }
}
