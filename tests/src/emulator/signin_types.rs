//! Public types for technician sign-in and Microsoft Graph: test users, public clients, app
//! roles, application owners, pending device codes and the per-request log.

use chrono::{DateTime, Utc};

use super::types::{Role, RouteKind};

/// App role values the console's app registration defines (assigned to users or groups).
pub const CONSOLE_ADMIN: &str = "Console.Admin";
pub const CONSOLE_L2: &str = "Console.L2";
pub const CONSOLE_L1: &str = "Console.L1";
pub const CONSOLE_NOC: &str = "Console.NOC";
pub const CONSOLE_APP_ROLES: [&str; 4] = [CONSOLE_ADMIN, CONSOLE_L2, CONSOLE_L1, CONSOLE_NOC];

/// Resource of Microsoft Graph tokens (`{this}/.default`).
pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";
/// Graph application permission to manage (and rotate secrets of) applications the caller owns.
pub const APPLICATION_READWRITE_OWNEDBY: &str = "Application.ReadWrite.OwnedBy";
/// Graph permission (application or delegated) to manage every application of the tenant.
pub const APPLICATION_READWRITE_ALL: &str = "Application.ReadWrite.All";
/// Graph permission (application or delegated) to read every application of the tenant.
pub const APPLICATION_READ_ALL: &str = "Application.Read.All";

/// A new random GUID (lowercase, hyphenated), as Entra uses for object ids and key ids.
pub fn new_guid() -> String {
    super::respond::pseudo_uuid()
}

/// One app role assigned to a user on one app registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRoleAssignment {
    /// Client (application) id of the app registration that defines the role.
    pub client_id: String,
    /// The role's value, e.g. [`CONSOLE_ADMIN`]; it is what the `roles` claim carries.
    pub value: String,
}

/// A person in the emulated directory who can sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    pub tenant: String,
    /// `alice@contoso.example`; matched case-insensitively (login_hint, control methods).
    pub upn: String,
    pub display_name: String,
    /// The user's object id (`oid`).
    pub object_id: String,
    /// The user's own Key Vault data-plane role (Azure RBAC model).
    pub vault_role: Option<Role>,
    /// App roles per app registration; none, one or several.
    pub app_roles: Vec<AppRoleAssignment>,
}

impl TestUser {
    /// A user with a random object id, no vault role and no app role.
    pub fn new(
        tenant: impl Into<String>,
        upn: impl Into<String>,
        display_name: impl Into<String>,
    ) -> TestUser {
        TestUser {
            tenant: tenant.into(),
            upn: upn.into(),
            display_name: display_name.into(),
            object_id: new_guid(),
            vault_role: None,
            app_roles: Vec::new(),
        }
    }

    pub fn with_object_id(mut self, object_id: impl Into<String>) -> TestUser {
        self.object_id = object_id.into();
        self
    }

    pub fn with_vault_role(mut self, role: Role) -> TestUser {
        self.vault_role = Some(role);
        self
    }

    /// Assigns the app role `value` (e.g. [`CONSOLE_L1`]) on the app `client_id`.
    pub fn with_app_role(mut self, client_id: &str, value: &str) -> TestUser {
        let assignment = AppRoleAssignment {
            client_id: client_id.to_string(),
            value: value.to_string(),
        };
        if !self.app_roles.contains(&assignment) {
            self.app_roles.push(assignment);
        }
        self
    }

    /// Role values assigned on `client_id`, in assignment order.
    pub fn roles_on(&self, client_id: &str) -> Vec<String> {
        self.app_roles
            .iter()
            .filter(|assignment| assignment.client_id.eq_ignore_ascii_case(client_id))
            .map(|assignment| assignment.value.clone())
            .collect()
    }
}

/// The public-client side of an app registration: the console's "Sign in with Microsoft".
///
/// Registering one for a client id that also has an [`super::AppRegistration`] (secrets) makes
/// one application with both; registering it alone makes an app without secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicClient {
    pub tenant: String,
    pub client_id: String,
    pub display_name: String,
    /// "Mobile and desktop applications" redirect URIs. A loopback URI (`http://localhost`,
    /// `http://127.0.0.1`) matches any port, as in Entra; others must match exactly.
    pub redirect_uris: Vec<String>,
    /// "Allow public client flows" (device code). Without it the device-code poll is refused
    /// with AADSTS7000218.
    pub allow_public_client_flows: bool,
    /// App role values the registration defines; assignments of other values are ignored.
    pub app_roles: Vec<String>,
    /// Delegated Graph permissions consented for the app: the `scp` of a Graph token asked
    /// with `https://graph.microsoft.com/.default`.
    pub graph_delegated_scopes: Vec<String>,
    /// Azure Service Management's delegated `user_impersonation` is among the app's API
    /// permissions (consented with the app): tokens for Azure Resource Manager. Without it Entra
    /// answers AADSTS65001 for an ARM scope.
    pub arm_user_impersonation: bool,
}

impl PublicClient {
    /// Redirect URIs `http://127.0.0.1` (the console's) and `http://localhost` (any port), public
    /// client flows allowed, the four console app roles, delegated Graph `User.Read`, display
    /// name "API Key Vault Console".
    pub fn new(tenant: impl Into<String>, client_id: impl Into<String>) -> PublicClient {
        PublicClient {
            tenant: tenant.into(),
            client_id: client_id.into(),
            display_name: "API Key Vault Console".to_string(),
            redirect_uris: vec![
                "http://127.0.0.1".to_string(),
                "http://localhost".to_string(),
            ],
            allow_public_client_flows: true,
            app_roles: CONSOLE_APP_ROLES.iter().map(|r| r.to_string()).collect(),
            graph_delegated_scopes: vec!["User.Read".to_string()],
            arm_user_impersonation: true,
        }
    }

    /// The registration lacks Azure Service Management's `user_impersonation` (no ARM tokens).
    pub fn without_arm_permission(mut self) -> PublicClient {
        self.arm_user_impersonation = false;
        self
    }

    pub fn with_display_name(mut self, name: &str) -> PublicClient {
        self.display_name = name.to_string();
        self
    }

    /// Replaces the redirect URIs.
    pub fn with_redirect_uris(mut self, uris: &[&str]) -> PublicClient {
        self.redirect_uris = uris.iter().map(|uri| uri.to_string()).collect();
        self
    }

    /// Turns "Allow public client flows" off (device code refused).
    pub fn without_public_client_flows(mut self) -> PublicClient {
        self.allow_public_client_flows = false;
        self
    }

    /// Replaces the delegated Graph permissions (`scp` for `.default`).
    pub fn with_graph_delegated_scopes(mut self, scopes: &[&str]) -> PublicClient {
        self.graph_delegated_scopes = scopes.iter().map(|scope| scope.to_string()).collect();
        self
    }
}

/// An owner of an application object (who may manage it with `Application.ReadWrite.OwnedBy`
/// or as a signed-in owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The service principal of the app with this client id.
    App(String),
    /// The user with this UPN.
    User(String),
}

/// A client secret as Graph lists it in `passwordCredentials` (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordCredentialInfo {
    pub key_id: String,
    pub display_name: Option<String>,
    pub start: DateTime<Utc>,
    /// Secrets registered without an expiry show Entra's old "never": 2299-12-31.
    pub end: DateTime<Utc>,
    /// First three characters of the secret.
    pub hint: String,
}

/// Token endpoint grant types, for [`super::Emulator::grant_count`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    ClientCredentials,
    AuthorizationCode,
    /// `urn:ietf:params:oauth:grant-type:device_code` (every poll counts).
    DeviceCode,
    RefreshToken,
    /// Missing or unsupported `grant_type`.
    Other,
}

/// A device code waiting for the user (see [`super::Emulator::pending_device_codes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDeviceCode {
    /// What the user types at the verification page, e.g. `F7QH3ZMCW`.
    pub user_code: String,
    pub tenant: String,
    pub client_id: String,
    /// The scope string the client asked for.
    pub scope: String,
    pub expires_at: DateTime<Utc>,
}

/// Who made a request, as the emulator saw it in the access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant: String,
    /// Client id of the app that obtained the token.
    pub app_id: String,
    /// The user's object id, or the app's service principal object id.
    pub object_id: String,
    /// Set for user (delegated) tokens.
    pub upn: Option<String>,
    pub name: Option<String>,
}

impl Caller {
    pub fn is_user(&self) -> bool {
        self.upn.is_some()
    }

    /// True if `who` is this caller's UPN, object id or app id (case-insensitive).
    pub fn is(&self, who: &str) -> bool {
        self.upn
            .as_deref()
            .is_some_and(|upn| upn.eq_ignore_ascii_case(who))
            || self.object_id.eq_ignore_ascii_case(who)
            || (!self.is_user() && self.app_id.eq_ignore_ascii_case(who))
    }
}

/// One Key Vault or Graph request, in arrival order (see [`super::Emulator::request_log`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub route: Option<RouteKind>,
    pub method: String,
    pub path: String,
    pub secret_name: Option<String>,
    /// None when the request carried no usable token (a 401 challenge).
    pub caller: Option<Caller>,
    pub status: u16,
}

/// A control method could not do what was asked (unknown user, code, app …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlError(pub String);

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ControlError {}
