//! The vault's own certificates and cryptographic keys: what a listing shows of them (never
//! private material) and their status, in the same vocabulary as API keys ([`KeyStatus`]).
//!
//! They have no rotation interval of the console's: the expiry decides, except that a
//! certificate Key Vault renews by itself (an issuer other than "Unknown" and an AutoRenew
//! lifetime action), or a key with a Rotate action in its rotation policy, is shown as renewing
//! on its date instead of as due. Expired stays expired: a renewal that should have happened
//! and did not is the thing to look at.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::keys::days_between;
use super::status::{DUE_SOON_DAYS, KeyStatus};

/// Certificates and keys whose expiry falls within this many days get their policy read (one
/// request each) so their status can say whether Key Vault renews them. It is the first
/// reminder's threshold: no reminder fires for a certificate before its policy is known.
pub const POLICY_READ_DAYS: i64 = 30;

/// Which kind of vault object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ObjectKind {
    Certificate,
    Key,
    /// A client secret or certificate of an app registration in the client's tenant (Graph).
    AppCredential,
}

impl ObjectKind {
    /// "certificate", "key": the word after a name in reminders and reports.
    pub fn noun(self) -> &'static str {
        match self {
            ObjectKind::Certificate => "certificate",
            ObjectKind::Key => "key",
            ObjectKind::AppCredential => "app credential",
        }
    }

    /// The CSV's kind column and the PDF's type column.
    pub fn label(self) -> &'static str {
        match self {
            ObjectKind::Certificate => "Certificate",
            ObjectKind::Key => "Cryptographic key",
            ObjectKind::AppCredential => "App credential",
        }
    }
}

/// What triggers a lifetime action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    DaysBeforeExpiry(i64),
    LifetimePercentage(i64),
    /// A fixed date (a key's "time after create", resolved against its creation date).
    On(DateTime<Utc>),
}

/// An ISO 8601 duration as Key Vault writes rotation triggers (`P90D`, `P3M`, `P1Y10D`,
/// `PT48H`), in days; months count 30 days and years 365, as the trigger is a rough schedule.
pub fn iso_duration_days(text: &str) -> Option<i64> {
    let body = text.trim().strip_prefix('P').filter(|b| !b.is_empty())?;
    let (date, time) = body.split_once('T').unwrap_or((body, ""));
    let mut days = 0i64;
    let mut number = String::new();
    for (part, is_time) in [(date, false), (time, true)] {
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let n: i64 = number.parse().ok()?;
            number.clear();
            days = days.checked_add(match (c, is_time) {
                ('Y', false) => n.checked_mul(365)?,
                ('M', false) => n.checked_mul(30)?,
                ('W', false) => n.checked_mul(7)?,
                ('D', false) => n,
                ('H', true) => n / 24,
                ('M' | 'S', true) => 0,
                _ => return None,
            })?;
        }
        if !number.is_empty() {
            return None;
        }
    }
    Some(days)
}

impl Trigger {
    /// When the action falls for a certificate valid from `not_before` to `expires`.
    pub fn date(
        self,
        not_before: Option<DateTime<Utc>>,
        expires: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match self {
            Trigger::DaysBeforeExpiry(days) => expires.checked_sub_signed(Duration::days(days)),
            Trigger::LifetimePercentage(percent) => {
                let start = not_before?;
                let life = (expires - start).num_seconds();
                start.checked_add_signed(Duration::seconds(life.saturating_mul(percent) / 100))
            }
            Trigger::On(date) => Some(date),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Trigger::DaysBeforeExpiry(days) => format!("{days} days before expiry"),
            Trigger::LifetimePercentage(percent) => format!("at {percent}% of its lifetime"),
            Trigger::On(date) => format!("on {}", date.format("%Y-%m-%d")),
        }
    }
}

/// A certificate's issuance policy as far as the console needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatePolicy {
    /// "Self", "Unknown" (issued outside Key Vault, renewed by hand) or a CA provider's name.
    pub issuer: String,
    pub subject: Option<String>,
    /// The AutoRenew action's trigger, if the policy has one.
    pub auto_renew: Option<Trigger>,
    /// The EmailContacts action's trigger, if the policy has one.
    pub email_contacts: Option<Trigger>,
}

impl CertificatePolicy {
    /// Key Vault renews it by itself: an AutoRenew action and an issuer it can ask. With the
    /// "Unknown" issuer the request sits pending until someone merges a certificate by hand.
    pub fn renews_itself(&self) -> Option<Trigger> {
        self.auto_renew
            .filter(|_| !self.issuer.eq_ignore_ascii_case("unknown"))
    }

    /// "AutoRenew 30 days before expiry", "EmailContacts at 80% of its lifetime".
    pub fn actions_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = self.auto_renew {
            parts.push(format!("AutoRenew {}", t.describe()));
        }
        if let Some(t) = self.email_contacts {
            parts.push(format!("EmailContacts {}", t.describe()));
        }
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join("; ")
        }
    }
}

/// One certificate as a listing shows it (no private key, no backing secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    pub name: String,
    pub enabled: bool,
    pub expires: Option<DateTime<Utc>>,
    pub not_before: Option<DateTime<Utc>>,
    /// SHA-1 thumbprint in hex (from the listing's `x5t`).
    pub thumbprint: Option<String>,
    /// Read only for certificates near or past expiry ([`POLICY_READ_DAYS`]).
    pub policy: Option<CertificatePolicy>,
}

/// One cryptographic key as a listing shows it (never key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoKeyInfo {
    pub name: String,
    pub enabled: bool,
    pub expires: Option<DateTime<Utc>>,
    pub not_before: Option<DateTime<Utc>>,
    /// When the current version was last changed (the listing's `updated`): a new version
    /// changes it, so the type read for the old one is not reused (see `key_detail`).
    pub updated: Option<DateTime<Utc>>,
    /// "RSA", "EC", "RSA-HSM", "oct-HSM": the listing does not carry it, so it is filled in
    /// only where the key was read (the demo, a row shown in the Vault tab).
    pub key_type: Option<String>,
    /// "2048 bits", "P-256".
    pub size: Option<String>,
    /// Why the type could not be read this listing (403, deleted meanwhile), if it could not.
    pub detail_note: Option<String>,
    /// The rotation policy's Rotate trigger, read only for keys near or past expiry.
    pub auto_rotate: Option<Trigger>,
}

/// One vault object, either kind, with the dates its status needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDates {
    pub kind: ObjectKind,
    pub name: String,
    pub enabled: bool,
    pub expires: Option<DateTime<Utc>>,
    /// When Key Vault renews (certificate) or rotates (key) it by itself, if it does.
    pub renews: Option<DateTime<Utc>>,
}

impl CertificateInfo {
    pub fn dates(&self) -> ObjectDates {
        let renews = match (&self.policy, self.expires) {
            (Some(policy), Some(expires)) => policy
                .renews_itself()
                .and_then(|t| t.date(self.not_before, expires)),
            _ => None,
        };
        ObjectDates {
            kind: ObjectKind::Certificate,
            name: self.name.clone(),
            enabled: self.enabled,
            expires: self.expires,
            renews,
        }
    }

    /// "Self", "DigiCert", "Unknown (manual)"; "—" before the policy was read.
    pub fn issuer_text(&self) -> String {
        match &self.policy {
            Some(p) if p.issuer.eq_ignore_ascii_case("unknown") => "Unknown (manual)".to_string(),
            Some(p) => p.issuer.clone(),
            None => "—".to_string(),
        }
    }
}

impl CryptoKeyInfo {
    pub fn dates(&self) -> ObjectDates {
        ObjectDates {
            kind: ObjectKind::Key,
            name: self.name.clone(),
            enabled: self.enabled,
            expires: self.expires,
            renews: match (self.auto_rotate, self.expires) {
                (Some(t), Some(expires)) => t.date(self.not_before, expires),
                _ => None,
            },
        }
    }

    /// "RSA 2048 bits", or "—" when the listing did not say.
    pub fn type_text(&self) -> String {
        match (&self.key_type, &self.size) {
            (Some(t), Some(s)) => format!("{t} {s}"),
            (Some(t), None) => t.clone(),
            _ => "—".to_string(),
        }
    }
}

/// The facts a certificate or key row shows, computed by [`ObjectDates::facts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectFacts {
    pub status: KeyStatus,
    pub status_label: String,
    /// "Expires in 9 d", "Expired 4 d ago", "Auto-renews 2026-12-20", "Healthy".
    pub status_text: String,
    pub status_reason: String,
    /// Sort key, lower first.
    pub urgency: i64,
    pub expiry: Option<String>,
    pub days_to_expiry: Option<i64>,
    /// When Key Vault renews or rotates it by itself (ISO date), if it does.
    pub auto_renews: Option<String>,
}

fn date(d: DateTime<Utc>) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl ObjectDates {
    /// The status, by the same rules as an API key's expiry: disabled, expired from the moment
    /// of expiry, due within 14 days, else healthy — except that one Key Vault renews before it
    /// expires is healthy, saying when.
    pub fn status(&self, now: DateTime<Utc>) -> KeyStatus {
        let days = self.expires.map(|e| days_between(now, e));
        if !self.enabled {
            KeyStatus::Disabled
        } else if self.expires.is_some_and(|e| e <= now) {
            KeyStatus::Expired
        } else if self.auto_renewing(now) {
            KeyStatus::Healthy
        } else if days.is_some_and(|d| d <= DUE_SOON_DAYS) {
            KeyStatus::DueSoon
        } else {
            KeyStatus::Healthy
        }
    }

    /// Key Vault will renew (rotate) it before it expires: the renewal date is still ahead, or
    /// today. A renewal date in the past with the old expiry still standing means the renewal
    /// did not happen, so the expiry counts again.
    pub fn auto_renewing(&self, now: DateTime<Utc>) -> bool {
        match (self.renews, self.expires) {
            (Some(renews), Some(expires)) => {
                expires > now && days_between(now, renews) >= 0 && renews < expires
            }
            _ => false,
        }
    }

    pub fn facts(&self, now: DateTime<Utc>) -> ObjectFacts {
        let status = self.status(now);
        let days = self.expires.map(|e| days_between(now, e));
        let noun = self.kind.noun();
        let (verb, renewal) = match self.kind {
            ObjectKind::Certificate => ("Auto-renews", "renews"),
            ObjectKind::Key | ObjectKind::AppCredential => ("Auto-rotates", "rotates"),
        };
        let (home, renewer) = match self.kind {
            ObjectKind::AppCredential => ("Entra ID", "Entra ID"),
            _ => ("Key Vault", "Key Vault"),
        };
        let renewing = self.auto_renewing(now).then_some(self.renews).flatten();
        let expiry = self.expires.map(date).unwrap_or_default();
        let (status_text, status_reason) = match (status, renewing) {
            (KeyStatus::Disabled, _) => (
                "Disabled".to_string(),
                format!("Disabled in {home}: nothing can use this {noun} until it is enabled."),
            ),
            (KeyStatus::Expired, _) => (
                match days.unwrap_or(0) {
                    d if d >= 0 => "Expired today".to_string(),
                    d => format!("Expired {} d ago", -d),
                },
                format!("Expired on {expiry}."),
            ),
            (_, Some(renews)) => (
                format!("{verb} {}", date(renews)),
                format!(
                    "Key Vault {renewal} it on {} (it expires {expiry}).",
                    date(renews)
                ),
            ),
            (KeyStatus::DueSoon, _) => (
                match days.unwrap_or(0) {
                    0 => "Expires today".to_string(),
                    d => format!("Expires in {d} d"),
                },
                format!("Expires on {expiry} and {renewer} does not renew it by itself."),
            ),
            _ => (
                "Healthy".to_string(),
                match self.expires {
                    Some(_) => format!("Expires {expiry}."),
                    None => "No expiry set.".to_string(),
                },
            ),
        };
        let clamp = |d: i64| d.clamp(-499_999, 499_999) + 500_000;
        ObjectFacts {
            status,
            status_label: status.label().to_string(),
            status_text,
            status_reason,
            urgency: status.urgency_rank() * 1_000_000 + clamp(days.unwrap_or(499_999)),
            expiry: self.expires.map(date),
            days_to_expiry: days,
            auto_renews: renewing.map(date),
        }
    }
}

/// One kind's counts (certificates or keys) for the sidebar, the Vault tab, the report and the
/// CLI. Apart from the API keys' counts: Rotate All Due never takes a certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectCounts {
    pub total: usize,
    pub expired: usize,
    pub due_soon: usize,
    pub disabled: usize,
    /// Healthy, including those Key Vault renews by itself.
    pub healthy: usize,
    /// Of the healthy ones: renewed (rotated) by Key Vault before they expire.
    pub auto_renewing: usize,
    /// The listing of this kind was refused (the named error is in the Vault tab).
    pub refused: bool,
}

impl ObjectCounts {
    /// The one counting function for vault objects.
    pub fn of(objects: &[ObjectDates], now: DateTime<Utc>) -> ObjectCounts {
        let mut counts = ObjectCounts::default();
        for object in objects {
            counts.total += 1;
            match object.status(now) {
                KeyStatus::Expired => counts.expired += 1,
                KeyStatus::DueSoon | KeyStatus::Overdue => counts.due_soon += 1,
                KeyStatus::Disabled => counts.disabled += 1,
                KeyStatus::Healthy | KeyStatus::NoKey => {
                    counts.healthy += 1;
                    if object.auto_renewing(now) {
                        counts.auto_renewing += 1;
                    }
                }
            }
        }
        counts
    }

    pub fn add(&mut self, other: &ObjectCounts) {
        self.total += other.total;
        self.expired += other.expired;
        self.due_soon += other.due_soon;
        self.disabled += other.disabled;
        self.healthy += other.healthy;
        self.auto_renewing += other.auto_renewing;
        self.refused |= other.refused;
    }

    /// Need attention: expired or due within 14 days.
    pub fn attention(&self) -> usize {
        self.expired + self.due_soon
    }

    /// "4 certificates: 1 expired, 1 due within 14 days, 1 auto-renewing".
    pub fn summary(&self, plural: &str) -> String {
        if self.refused && plural == "app credentials" {
            // Graph's refusal is a permission of the tenant's, not a role of the vault's.
            return format!("{plural}: not listed, Microsoft Graph refused (see why)");
        }
        if self.refused {
            return format!("{plural}: not readable with this role");
        }
        let mut parts = vec![
            format!("{} expired", self.expired),
            format!("{} due within {DUE_SOON_DAYS} days", self.due_soon),
        ];
        if self.disabled > 0 {
            parts.push(format!("{} disabled", self.disabled));
        }
        if self.auto_renewing > 0 {
            parts.push(format!("{} auto-renewing", self.auto_renewing));
        }
        format!("{} {plural}: {}", self.total, parts.join(", "))
    }
}

/// How one kind's listing went: refused kinds are named per kind, never failing the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KindListing<T> {
    Listed(Vec<T>),
    Refused(crate::error::AppError),
}

impl<T> Default for KindListing<T> {
    fn default() -> Self {
        KindListing::Listed(Vec::new())
    }
}

impl<T> KindListing<T> {
    pub fn items(&self) -> &[T] {
        match self {
            KindListing::Listed(items) => items,
            KindListing::Refused(_) => &[],
        }
    }

    pub fn refused(&self) -> Option<&crate::error::AppError> {
        match self {
            KindListing::Refused(error) => Some(error),
            KindListing::Listed(_) => None,
        }
    }
}

/// The certificates and keys of one vault, and the app credentials of its client's tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectListing {
    pub certificates: KindListing<CertificateInfo>,
    pub keys: KindListing<CryptoKeyInfo>,
    /// Read through Microsoft Graph with the listing (a store without Graph has none).
    pub app_credentials: KindListing<super::app_credentials::AppCredentialInfo>,
}

impl ObjectListing {
    pub fn certificate_counts(&self, now: DateTime<Utc>) -> ObjectCounts {
        let dates: Vec<ObjectDates> = self
            .certificates
            .items()
            .iter()
            .map(CertificateInfo::dates)
            .collect();
        ObjectCounts {
            refused: self.certificates.refused().is_some(),
            ..ObjectCounts::of(&dates, now)
        }
    }

    pub fn key_counts(&self, now: DateTime<Utc>) -> ObjectCounts {
        let dates: Vec<ObjectDates> = self.keys.items().iter().map(CryptoKeyInfo::dates).collect();
        ObjectCounts {
            refused: self.keys.refused().is_some(),
            ..ObjectCounts::of(&dates, now)
        }
    }

    pub fn app_credential_counts(&self, now: DateTime<Utc>) -> ObjectCounts {
        let dates: Vec<ObjectDates> = self
            .app_credentials
            .items()
            .iter()
            .map(super::app_credentials::AppCredentialInfo::dates)
            .collect();
        ObjectCounts {
            refused: self.app_credentials.refused().is_some(),
            ..ObjectCounts::of(&dates, now)
        }
    }

    /// Every object's dates, certificates first, app credentials last.
    pub fn dates(&self) -> Vec<ObjectDates> {
        self.certificates
            .items()
            .iter()
            .map(CertificateInfo::dates)
            .chain(self.keys.items().iter().map(CryptoKeyInfo::dates))
            .chain(
                self.app_credentials
                    .items()
                    .iter()
                    .map(super::app_credentials::AppCredentialInfo::dates),
            )
            .collect()
    }
}

/// Needs its policy read: near or past expiry, so whether Key Vault renews it changes the
/// status or a reminder.
pub fn needs_policy(expires: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expires.is_some_and(|e| days_between(now, e) <= POLICY_READ_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::tests::at;

    fn cert(expires: DateTime<Utc>, policy: Option<CertificatePolicy>) -> CertificateInfo {
        CertificateInfo {
            name: "web".into(),
            enabled: true,
            expires: Some(expires),
            not_before: Some(expires - Duration::days(365)),
            thumbprint: None,
            policy,
        }
    }

    fn policy(issuer: &str, auto: Option<Trigger>) -> CertificatePolicy {
        CertificatePolicy {
            issuer: issuer.into(),
            subject: Some("CN=web".into()),
            auto_renew: auto,
            email_contacts: None,
        }
    }

    #[test]
    fn expiry_decides_like_an_api_key() {
        let now = at(2026, 12, 1, 12);
        let facts = cert(at(2026, 12, 10, 0), None).dates().facts(now);
        assert_eq!(facts.status, KeyStatus::DueSoon);
        assert_eq!(facts.status_text, "Expires in 9 d");
        let facts = cert(at(2026, 11, 27, 0), None).dates().facts(now);
        assert_eq!(facts.status, KeyStatus::Expired);
        assert_eq!(facts.status_text, "Expired 4 d ago");
        let facts = cert(at(2027, 6, 1, 0), None).dates().facts(now);
        assert_eq!(facts.status, KeyStatus::Healthy);
        let mut disabled = cert(at(2027, 6, 1, 0), None);
        disabled.enabled = false;
        assert_eq!(disabled.dates().facts(now).status, KeyStatus::Disabled);
    }

    #[test]
    fn a_certificate_key_vault_renews_is_shown_renewing_not_due() {
        let now = at(2026, 12, 1, 12);
        let renewing = cert(
            at(2026, 12, 10, 0),
            Some(policy("Self", Some(Trigger::DaysBeforeExpiry(7)))),
        );
        let facts = renewing.dates().facts(now);
        assert_eq!(facts.status, KeyStatus::Healthy);
        assert_eq!(facts.status_text, "Auto-renews 2026-12-03");
        assert_eq!(facts.auto_renews.as_deref(), Some("2026-12-03"));
        // The "Unknown" issuer cannot renew by itself: due, whatever the action says.
        let manual = cert(
            at(2026, 12, 10, 0),
            Some(policy("Unknown", Some(Trigger::DaysBeforeExpiry(7)))),
        );
        assert_eq!(manual.dates().facts(now).status, KeyStatus::DueSoon);
        assert_eq!(manual.issuer_text(), "Unknown (manual)");
    }

    #[test]
    fn a_renewal_that_did_not_happen_counts_as_due_or_expired() {
        let now = at(2026, 12, 1, 12);
        // Renewal was due 30 days before expiry, 21 days ago: it failed.
        let missed = cert(
            at(2026, 12, 10, 0),
            Some(policy("Self", Some(Trigger::DaysBeforeExpiry(30)))),
        );
        assert_eq!(missed.dates().facts(now).status, KeyStatus::DueSoon);
        let expired = cert(
            at(2026, 11, 30, 0),
            Some(policy("DigiCert", Some(Trigger::DaysBeforeExpiry(0)))),
        );
        assert_eq!(expired.dates().facts(now).status, KeyStatus::Expired);
    }

    #[test]
    fn lifetime_percentage_triggers_fall_inside_the_validity() {
        let start = at(2026, 1, 1, 0);
        let end = at(2027, 1, 1, 0);
        let date = Trigger::LifetimePercentage(80)
            .date(Some(start), end)
            .expect("date");
        assert_eq!(date.format("%Y-%m-%d").to_string(), "2026-10-20");
        assert_eq!(Trigger::LifetimePercentage(80).date(None, end), None);
    }

    #[test]
    fn a_key_with_a_rotate_action_auto_rotates() {
        let now = at(2026, 12, 1, 12);
        let key = CryptoKeyInfo {
            name: "cmk".into(),
            enabled: true,
            expires: Some(at(2026, 12, 12, 0)),
            not_before: None,
            updated: None,
            key_type: Some("RSA".into()),
            size: Some("2048 bits".into()),
            detail_note: None,
            auto_rotate: Some(Trigger::DaysBeforeExpiry(5)),
        };
        let facts = key.dates().facts(now);
        assert_eq!(facts.status_text, "Auto-rotates 2026-12-07");
        assert_eq!(key.type_text(), "RSA 2048 bits");
    }

    #[test]
    fn rotation_triggers_are_iso_durations() {
        assert_eq!(iso_duration_days("P30D"), Some(30));
        assert_eq!(iso_duration_days("P1Y10D"), Some(375));
        assert_eq!(iso_duration_days("P3M"), Some(90));
        assert_eq!(iso_duration_days("PT48H"), Some(2));
        for bad in ["30D", "P", "P3X", "P12", ""] {
            assert_eq!(iso_duration_days(bad), None, "{bad}");
        }
    }

    #[test]
    fn policies_are_read_only_near_expiry() {
        let now = at(2026, 12, 1, 12);
        assert!(needs_policy(Some(at(2026, 12, 31, 0)), now));
        assert!(needs_policy(Some(at(2026, 11, 1, 0)), now));
        assert!(!needs_policy(Some(at(2027, 1, 1, 0)), now));
        assert!(!needs_policy(None, now));
    }
}
