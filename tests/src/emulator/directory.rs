//! The emulated directory: application objects (secrets, public-client side, app roles, Graph
//! permissions, owners), and the sign-in artefacts in flight (authorization codes, device codes,
//! refresh tokens).

use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};

use super::signin_types::{Owner, PasswordCredentialInfo, PublicClient, new_guid};
use super::types::{AppRegistration, ClientSecret};

/// "Never" as Entra used to store it for secrets without an expiry.
pub fn never_expires() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2299, 12, 31, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// One client secret of an application (`passwordCredentials` entry plus its value).
#[derive(Debug, Clone)]
pub struct PasswordCredential {
    pub key_id: String,
    pub display_name: Option<String>,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub secret_text: String,
    /// Refused by the token endpoint until then (a secret still propagating).
    pub valid_from: Option<std::time::Instant>,
}

impl PasswordCredential {
    pub fn from_client_secret(secret: &ClientSecret) -> PasswordCredential {
        PasswordCredential {
            key_id: new_guid(),
            display_name: secret.display_name.clone(),
            start: Utc::now(),
            end: secret.expires,
            secret_text: secret.value.clone(),
            valid_from: None,
        }
    }

    pub fn hint(&self) -> String {
        self.secret_text.chars().take(3).collect()
    }

    pub fn info(&self) -> PasswordCredentialInfo {
        PasswordCredentialInfo {
            key_id: self.key_id.clone(),
            display_name: self.display_name.clone(),
            start: self.start,
            end: self.end.unwrap_or_else(never_expires),
            hint: self.hint(),
        }
    }

    pub fn expired(&self) -> bool {
        self.end.is_some_and(|end| end <= Utc::now())
    }
}

/// One certificate credential of an application (`keyCredentials` entry; public part only).
#[derive(Debug, Clone)]
pub struct KeyCredential {
    pub key_id: String,
    pub display_name: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// SHA-1 thumbprint bytes; Graph shows them base64 as `customKeyIdentifier`.
    pub thumbprint: Vec<u8>,
}

/// The public-client side of an application.
#[derive(Debug, Clone)]
pub struct PublicSide {
    pub redirect_uris: Vec<String>,
    pub allow_public_client_flows: bool,
    pub graph_delegated_scopes: Vec<String>,
    pub arm_user_impersonation: bool,
}

/// An application object and its service principal in one.
#[derive(Debug, Clone)]
pub struct AppRecord {
    pub tenant: String,
    pub client_id: String,
    /// Graph's `id` of the application object.
    pub object_id: String,
    /// `oid` of the app's service principal (app-only tokens, 403 messages).
    pub service_principal_id: String,
    pub display_name: String,
    pub created: DateTime<Utc>,
    pub passwords: Vec<PasswordCredential>,
    /// Certificate credentials (`keyCredentials`).
    pub certificates: Vec<KeyCredential>,
    pub public: Option<PublicSide>,
    /// App role values this registration defines.
    pub app_roles: Vec<String>,
    /// Graph application permissions granted (admin-consented) to this app.
    pub graph_app_roles: Vec<String>,
    pub owners: Vec<Owner>,
    /// A multi-tenant app's service principal in a tenant that consented to it: it signs in
    /// there, but its application object lives in its home tenant, so Graph does not list it
    /// among this tenant's `applications`.
    pub consented_copy: bool,
}

pub fn same_id(left: &str, right: &str) -> bool {
    left.eq_ignore_ascii_case(right)
}

impl AppRecord {
    fn blank(tenant: &str, client_id: &str) -> AppRecord {
        AppRecord {
            tenant: tenant.to_string(),
            client_id: client_id.to_string(),
            object_id: new_guid(),
            service_principal_id: new_guid(),
            display_name: client_id.to_string(),
            created: Utc::now(),
            passwords: Vec::new(),
            certificates: Vec::new(),
            public: None,
            app_roles: Vec::new(),
            graph_app_roles: Vec::new(),
            owners: Vec::new(),
            consented_copy: false,
        }
    }

    pub fn is(&self, tenant: &str, client_id: &str) -> bool {
        same_id(&self.tenant, tenant) && same_id(&self.client_id, client_id)
    }

    pub fn is_public(&self) -> bool {
        self.public.is_some()
    }

    pub fn allows_public_client_flows(&self) -> bool {
        self.public
            .as_ref()
            .is_some_and(|public| public.allow_public_client_flows)
    }

    pub fn defines_role(&self, value: &str) -> bool {
        self.app_roles.iter().any(|role| role == value)
    }

    pub fn owned_by(&self, owner: &Owner) -> bool {
        self.owners.iter().any(|known| match (known, owner) {
            (Owner::App(left), Owner::App(right)) | (Owner::User(left), Owner::User(right)) => {
                same_id(left, right)
            }
            _ => false,
        })
    }

    /// The registered redirect URI that `requested` matches, if any. Loopback URIs match any
    /// port (RFC 8252 §7.3, as Entra does); everything else must match exactly.
    pub fn redirect_uri_matches(&self, requested: &str) -> bool {
        let Some(public) = &self.public else {
            return false;
        };
        public
            .redirect_uris
            .iter()
            .any(|registered| redirect_matches(registered, requested))
    }
}

fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(registered), Ok(requested)) = (url::Url::parse(registered), url::Url::parse(requested))
    else {
        return false;
    };
    let loopback = |url: &url::Url| {
        url.scheme() == "http"
            && matches!(
                url.host_str(),
                Some("localhost") | Some("127.0.0.1") | Some("[::1]")
            )
    };
    let path = |url: &url::Url| url.path().trim_end_matches('/').to_string();
    loopback(&registered)
        && loopback(&requested)
        && registered.host_str() == requested.host_str()
        && path(&registered) == path(&requested)
        && requested.query().is_none()
        && requested.fragment().is_none()
}

/// Adds or updates the confidential side (secrets) of an app; the rest is kept.
pub fn upsert_confidential(apps: &mut Vec<AppRecord>, registration: &AppRegistration) {
    let record = find_or_create(apps, &registration.tenant, &registration.client_id);
    record.passwords = registration
        .secrets
        .iter()
        .map(PasswordCredential::from_client_secret)
        .collect();
}

/// Adds or updates the public-client side of an app; secrets and grants are kept.
pub fn upsert_public(apps: &mut Vec<AppRecord>, client: &PublicClient) {
    let record = find_or_create(apps, &client.tenant, &client.client_id);
    record.display_name = client.display_name.clone();
    record.app_roles = client.app_roles.clone();
    record.public = Some(PublicSide {
        redirect_uris: client.redirect_uris.clone(),
        allow_public_client_flows: client.allow_public_client_flows,
        graph_delegated_scopes: client.graph_delegated_scopes.clone(),
        arm_user_impersonation: client.arm_user_impersonation,
    });
}

pub fn find_or_create<'a>(
    apps: &'a mut Vec<AppRecord>,
    tenant: &str,
    client_id: &str,
) -> &'a mut AppRecord {
    let index = match apps.iter().position(|app| app.is(tenant, client_id)) {
        Some(index) => index,
        None => {
            apps.push(AppRecord::blank(tenant, client_id));
            apps.len() - 1
        }
    };
    &mut apps[index]
}

/// What a sign-in asked for, after parsing the `scope` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRequest {
    /// `https://vault.azure.net` or `https://graph.microsoft.com`.
    pub resource: String,
    /// Delegated permission names on the resource (`user_impersonation`, `User.Read`, …);
    /// `.default` stays as `.default` until the token is minted.
    pub permissions: Vec<String>,
    pub openid: bool,
    pub profile: bool,
    pub email: bool,
    pub offline_access: bool,
    /// The scope string as sent.
    pub raw: String,
}

/// An authorization code waiting to be redeemed.
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub tenant: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: ScopeRequest,
    pub nonce: Option<String>,
    pub user_object_id: String,
    pub expires_at: Instant,
    pub redeemed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved { user_object_id: String },
    Declined,
    Redeemed,
}

#[derive(Debug, Clone)]
pub struct DeviceCodeEntry {
    pub device_code: String,
    pub user_code: String,
    pub tenant: String,
    pub client_id: String,
    pub scope: ScopeRequest,
    pub interval_secs: u64,
    pub expires_at: Instant,
    pub expires_at_utc: DateTime<Utc>,
    pub last_poll: Option<Instant>,
    pub status: DeviceStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshStatus {
    Active,
    /// Used; a newer token was issued beside it. Still redeemable, as at Entra.
    Rotated,
    Revoked,
    /// Expired "due to inactivity" (control method).
    Expired,
}

impl RefreshStatus {
    /// Entra keeps a used refresh token valid until it expires or is revoked.
    pub fn redeemable(self) -> bool {
        matches!(self, RefreshStatus::Active | RefreshStatus::Rotated)
    }
}

#[derive(Debug, Clone)]
pub struct RefreshTokenEntry {
    pub tenant: String,
    pub client_id: String,
    pub user_object_id: String,
    /// OIDC scopes of the original sign-in (carried into refreshed replies).
    pub openid: bool,
    pub profile: bool,
    pub email: bool,
    pub issued_at: DateTime<Utc>,
    pub status: RefreshStatus,
}

/// Sign-in artefacts in flight, plus the knobs tests turn.
#[derive(Debug)]
pub struct Sessions {
    pub auth_codes: std::collections::HashMap<String, AuthCode>,
    pub device_codes: Vec<DeviceCodeEntry>,
    pub refresh_tokens: std::collections::HashMap<String, RefreshTokenEntry>,
    /// Who signs in at `/authorize` when no `login_hint` names a user.
    pub interactive_user: Option<String>,
    pub device_code_interval_secs: u64,
    pub device_code_lifetime_secs: u64,
    pub auth_code_lifetime_secs: u64,
}

/// Entra's defaults: poll every 5 s, codes live 15 minutes, authorization codes 10 minutes.
impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            auth_codes: Default::default(),
            device_codes: Vec::new(),
            refresh_tokens: Default::default(),
            interactive_user: None,
            device_code_interval_secs: 5,
            device_code_lifetime_secs: 900,
            auth_code_lifetime_secs: 600,
        }
    }
}

/// A user code as people type it: upper case, without spaces or dashes.
pub fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Random text from an alphabet (codes, secrets).
pub fn random_text(alphabet: &[u8], length: usize) -> String {
    (0..length)
        .map(|_| char::from(alphabet[rand::random_range(0..alphabet.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_any_port_only() {
        assert!(redirect_matches(
            "http://localhost",
            "http://localhost:53211/"
        ));
        assert!(redirect_matches(
            "http://localhost",
            "http://localhost:8400"
        ));
        assert!(redirect_matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:1/cb"
        ));
        assert!(!redirect_matches(
            "http://localhost",
            "http://127.0.0.1:5000"
        ));
        assert!(!redirect_matches(
            "http://localhost",
            "https://localhost:5000"
        ));
        assert!(!redirect_matches(
            "http://localhost",
            "http://localhost:1/other"
        ));
        assert!(!redirect_matches(
            "http://localhost",
            "http://evil.example:1/"
        ));
        assert!(!redirect_matches(
            "https://app.example/cb",
            "https://app.example:444/cb"
        ));
        assert!(redirect_matches(
            "https://app.example/cb",
            "https://app.example/cb"
        ));
    }

    #[test]
    fn user_codes_ignore_case_and_separators() {
        assert_eq!(normalize_user_code("ab-cd 12"), "ABCD12");
    }
}
