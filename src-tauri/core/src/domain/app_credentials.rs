//! The credentials of a tenant's app registrations (Microsoft Graph's `passwordCredentials` and
//! `keyCredentials`): what the listing shows of them (never a secret value — Graph lists only
//! a hint) and their status in the vault objects' vocabulary ([`ObjectDates`]). Entra never
//! renews one by itself, so the expiry alone decides, as for an API key.

use chrono::{DateTime, Utc};

use super::vault_objects::{ObjectDates, ObjectKind};

/// A client secret or a certificate of an app registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialType {
    Password,
    Certificate,
}

impl CredentialType {
    pub fn label(self) -> &'static str {
        match self {
            CredentialType::Password => "Client secret",
            CredentialType::Certificate => "Certificate",
        }
    }
}

/// One credential of one app registration, as Graph lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCredentialInfo {
    pub app_name: String,
    /// The application (client) id.
    pub app_id: String,
    pub credential_type: CredentialType,
    pub key_id: String,
    pub display_name: Option<String>,
    /// A secret's first characters (Graph's `hint`).
    pub hint: Option<String>,
    /// A certificate's `customKeyIdentifier` (its SHA-1 thumbprint, base64 as Graph gives it).
    pub thumbprint: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// The console key that rotates this credential ("rotated by the console"), if any.
    pub rotated_by: Option<String>,
}

impl AppCredentialInfo {
    /// "prod (hint Q7x…)", "CN=api (thumbprint 3F2A…)", or the key id's start when unnamed.
    pub fn credential_text(&self) -> String {
        let short_id: String = self.key_id.chars().take(8).collect();
        let name = self
            .display_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("key id {short_id}…"));
        match (self.credential_type, &self.hint, &self.thumbprint) {
            (CredentialType::Password, Some(hint), _) if !hint.is_empty() => {
                format!("{name} (hint {hint}…)")
            }
            (CredentialType::Certificate, _, Some(t)) if !t.is_empty() => {
                format!("{name} (thumbprint {t})")
            }
            _ => name,
        }
    }

    /// The name reminders and reports use: app and credential, unique per key id.
    pub fn object_name(&self) -> String {
        let short_id: String = self.key_id.chars().take(8).collect();
        let label = self
            .display_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("unnamed");
        format!("{} / {label} [{short_id}]", self.app_name)
    }

    pub fn dates(&self) -> ObjectDates {
        ObjectDates {
            kind: ObjectKind::AppCredential,
            name: self.object_name(),
            enabled: true,
            expires: self.end,
            renews: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::tests::at;
    use crate::domain::status::KeyStatus;

    fn secret(end: DateTime<Utc>) -> AppCredentialInfo {
        AppCredentialInfo {
            app_name: "Backup agent".into(),
            app_id: "11111111-1111-1111-1111-111111111111".into(),
            credential_type: CredentialType::Password,
            key_id: "abcdef12-0000-0000-0000-000000000000".into(),
            display_name: Some("prod".into()),
            hint: Some("Q7x".into()),
            thumbprint: None,
            start: None,
            end: Some(end),
            rotated_by: None,
        }
    }

    #[test]
    fn expiry_decides_and_entra_never_renews() {
        let now = at(2026, 12, 1, 12);
        let due = secret(at(2026, 12, 10, 0)).dates().facts(now);
        assert_eq!(due.status, KeyStatus::DueSoon);
        assert_eq!(due.status_text, "Expires in 9 d");
        assert!(due.status_reason.contains("Entra ID does not renew"));
        let expired = secret(at(2026, 11, 30, 0)).dates().facts(now);
        assert_eq!(expired.status, KeyStatus::Expired);
        assert_eq!(
            secret(at(2027, 6, 1, 0)).dates().facts(now).status,
            KeyStatus::Healthy
        );
    }

    #[test]
    fn credentials_are_named_by_app_display_name_and_hint_or_thumbprint() {
        let s = secret(at(2027, 1, 1, 0));
        assert_eq!(s.credential_text(), "prod (hint Q7x…)");
        assert_eq!(s.object_name(), "Backup agent / prod [abcdef12]");
        let cert = AppCredentialInfo {
            credential_type: CredentialType::Certificate,
            display_name: None,
            hint: None,
            thumbprint: Some("3F2A".into()),
            ..s
        };
        assert_eq!(cert.credential_text(), "key id abcdef12… (thumbprint 3F2A)");
    }
}
