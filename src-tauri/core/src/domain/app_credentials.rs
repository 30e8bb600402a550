//! The credentials of a tenant's app registrations (Microsoft Graph's `passwordCredentials` and
//! `keyCredentials`): what the listing shows of them (never a secret value — Graph lists only
//! a hint) and their status in the vault objects' vocabulary ([`ObjectDates`]). Entra never
//! renews one by itself, so the expiry alone decides, as for an API key.

use chrono::{DateTime, Utc};

use super::catalog::{AuthStyle, Vendor};
use super::key_value::KeyParts;
use super::vault_objects::{ObjectDates, ObjectKind};

/// The key part that holds an app registration's application (client) id.
const CLIENT_ID_PART: &str = "client_id";

/// The connector that rotates an app registration's secret through Graph
/// (`addPassword`/`removePassword`): a key of a vendor with it is rotated by the console.
pub const APP_SECRET_CONNECTOR: &str = "entra-app-secret";

/// The application (client) id a key's value names, where the vendor signs in with OAuth client
/// credentials and its `client_id` part is not secret. Only a GUID counts (an Entra application
/// id), answered in lowercase canonical form; anything else is `None`, never an error.
pub fn app_id_of(vendor: &Vendor, parts: &KeyParts) -> Option<String> {
    if !matches!(vendor.auth, AuthStyle::OauthClientCredentials { .. }) {
        return None;
    }
    // Only a part the vendor shows in clear: a value's secret parts never go into tags.
    vendor
        .key_parts
        .iter()
        .find(|p| p.id == CLIENT_ID_PART && !p.secret)?;
    canonical_guid(parts.get(CLIENT_ID_PART)?)
}

/// `8-4-4-4-12` hex digits (surrounding spaces and upper case allowed) as lowercase; other
/// spellings uuid would accept (braces, no hyphens) are not what Entra shows, so not taken.
pub fn canonical_guid(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() != 36 {
        return None;
    }
    let guid = uuid::Uuid::try_parse(text).ok()?;
    Some(guid.hyphenated().to_string())
}

/// A console key that holds an app registration credential's secret, as the App credentials
/// view names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLink {
    pub secret_name: String,
    /// The key's vendor rotates the app's secret through Graph (the Entra app secret
    /// connector); otherwise the technician rotates it by hand.
    pub rotated_by_console: bool,
    /// Found by the tenant alone (a key of the console's own secret saved before application
    /// ids were recorded), so one of several such keys may be the one.
    pub guessed: bool,
}

/// "rotated by the console: key a", "kept in key b (rotated by hand)", both joined by "; " when
/// a credential is held in keys of both kinds; `None` without a link.
pub fn links_text(links: &[KeyLink]) -> Option<String> {
    let names = |rotated: bool| -> (Vec<&str>, bool) {
        let mut names: Vec<&str> = links
            .iter()
            .filter(|l| l.rotated_by_console == rotated)
            .map(|l| l.secret_name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        let guessed = links
            .iter()
            .any(|l| l.rotated_by_console == rotated && l.guessed);
        (names, guessed)
    };
    let keys = |names: &[&str], guessed: bool| match names {
        [one] => format!("key {one}"),
        several if guessed => format!("one of keys {}", several.join(", ")),
        several => format!("keys {}", several.join(", ")),
    };
    let mut parts = Vec::new();
    let (rotated, guessed) = names(true);
    if !rotated.is_empty() {
        parts.push(format!(
            "rotated by the console: {}",
            keys(&rotated, guessed)
        ));
    }
    let (by_hand, guessed) = names(false);
    if !by_hand.is_empty() {
        parts.push(format!(
            "kept in {} (rotated by hand)",
            keys(&by_hand, guessed)
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

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
    /// The console keys that hold this credential's secret (see [`links_text`]).
    pub links: Vec<KeyLink>,
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
            links: Vec::new(),
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

    fn parts(vendor: &Vendor, client_id: &str) -> KeyParts {
        KeyParts::from_named(
            vendor,
            vec![
                (
                    "client_id",
                    crate::domain::secret::SecretValue::new(client_id),
                ),
                (
                    "client_secret",
                    crate::domain::secret::SecretValue::new("s3cret~value"),
                ),
            ],
        )
    }

    #[test]
    fn the_app_id_is_a_clear_client_id_guid_of_an_oauth_vendor() {
        let vendor = |id| crate::domain::catalog::vendor(id).expect("catalog vendor");
        let graph = vendor("microsoft-graph");
        assert_eq!(
            app_id_of(
                graph,
                &parts(graph, " 6F1B2C3D-0000-4000-8000-00000000AB01 ")
            )
            .as_deref(),
            Some("6f1b2c3d-0000-4000-8000-00000000ab01"),
            "Entra shows it in any case; the tag is lowercase"
        );
        for not_a_guid in [
            "reporting-app",
            "{6f1b2c3d-0000-4000-8000-00000000ab01}",
            "6f1b2c3d000040008000000000000ab01",
            "6f1b2c3d-0000-4000-8000-00000000ab0g",
        ] {
            assert_eq!(
                app_id_of(graph, &parts(graph, not_a_guid)),
                None,
                "{not_a_guid}"
            );
        }
        // A vendor whose key has no client id records none.
        let s1 = vendor("sentinelone");
        let single = KeyParts::single(
            s1,
            crate::domain::secret::SecretValue::new("6f1b2c3d-0000-4000-8000-00000000ab01"),
        );
        assert_eq!(app_id_of(s1, &single), None);
    }

    #[test]
    fn links_say_who_rotates_the_secret() {
        let link = |name: &str, rotated: bool, guessed: bool| KeyLink {
            secret_name: name.into(),
            rotated_by_console: rotated,
            guessed,
        };
        assert_eq!(links_text(&[]), None);
        assert_eq!(
            links_text(&[link("microsoft-graph--reporting", true, false)]).as_deref(),
            Some("rotated by the console: key microsoft-graph--reporting")
        );
        assert_eq!(
            links_text(&[link("custom-backup", false, false)]).as_deref(),
            Some("kept in key custom-backup (rotated by hand)")
        );
        assert_eq!(
            links_text(&[
                link("defender-endpoint", true, false),
                link("custom-backup", false, false),
                link("microsoft-graph", true, false),
            ])
            .as_deref(),
            Some(
                "rotated by the console: keys defender-endpoint, microsoft-graph; kept in key custom-backup (rotated by hand)"
            )
        );
        assert_eq!(
            links_text(&[
                link("entra-app-secret--b", true, true),
                link("entra-app-secret", true, true)
            ])
            .as_deref(),
            Some("rotated by the console: one of keys entra-app-secret, entra-app-secret--b")
        );
    }
}
