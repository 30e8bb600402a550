//! Public configuration and control types of the emulator.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::tls::{TestCa, TlsError};

/// Tenant used when none is configured.
pub const DEFAULT_TENANT: &str = "11111111-1111-4111-8111-111111111111";

/// Entra token lifetime in seconds when none is configured (what Entra usually gives).
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3599;

/// Key Vault data-plane role of an identity (Azure RBAC permission model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// "Key Vault Secrets Officer": every secret operation.
    SecretsOfficer,
    /// "Key Vault Secrets User": get and list only.
    SecretsUser,
    /// "Key Vault Reader": metadata of secrets, certificates and keys (no secret value).
    Reader,
    /// "Key Vault Certificates Officer": certificates (the read side is emulated).
    CertificatesOfficer,
    /// "Key Vault Crypto Officer": keys (the read side is emulated).
    CryptoOfficer,
}

impl Role {
    /// May this role do `kind`? (Key Vault's built-in data-plane roles.)
    pub fn allows(self, kind: RouteKind) -> bool {
        let certificates = matches!(
            kind,
            RouteKind::ListCertificates
                | RouteKind::GetCertificate
                | RouteKind::GetCertificatePolicy
        );
        let keys = matches!(
            kind,
            RouteKind::ListKeys | RouteKind::GetKey | RouteKind::GetKeyRotationPolicy
        );
        match self {
            Role::SecretsOfficer => !certificates && !keys,
            Role::SecretsUser => matches!(
                kind,
                RouteKind::GetSecret | RouteKind::ListSecrets | RouteKind::ListVersions
            ),
            Role::Reader => {
                certificates
                    || keys
                    || matches!(kind, RouteKind::ListSecrets | RouteKind::ListVersions)
            }
            Role::CertificatesOfficer => certificates,
            Role::CryptoOfficer => keys,
        }
    }
}

/// How the vault decides whether an authenticated identity may do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionModel {
    /// Azure RBAC: the identity's [`Role`] decides; no role means 403 `ForbiddenByRbac`.
    Rbac,
    /// Vault access policies: RBAC roles are ignored; client ids in `allowed` may do
    /// everything, anyone else gets 403 `ForbiddenByPolicy`.
    AccessPolicy { allowed: Vec<String> },
    /// Vault access policies with per-object-type permissions, as the portal's Access
    /// policies page sets them (e.g. keys List without Get). Anyone not named gets 403.
    AccessPolicies(Vec<PolicyEntry>),
}

/// One access policy entry: an app's client id or object id (or a user's UPN or object id)
/// and its permissions per object type, lower case as Key Vault lists them ("get", "list").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyEntry {
    pub principal: String,
    pub secrets: Vec<String>,
    pub keys: Vec<String>,
    pub certificates: Vec<String>,
}

/// One client secret of an app registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSecret {
    pub value: String,
    /// After this instant Entra answers AADSTS7000222 (expired secret).
    pub expires: Option<DateTime<Utc>>,
    /// Description shown by Graph as the credential's `displayName`.
    pub display_name: Option<String>,
}

impl ClientSecret {
    /// A secret that never expires.
    pub fn new(value: impl Into<String>) -> ClientSecret {
        ClientSecret {
            value: value.into(),
            expires: None,
            display_name: None,
        }
    }

    /// A secret that expired (or expires) at `expires`.
    pub fn expiring(value: impl Into<String>, expires: DateTime<Utc>) -> ClientSecret {
        ClientSecret {
            value: value.into(),
            expires: Some(expires),
            display_name: None,
        }
    }

    /// The description Graph lists for this secret.
    pub fn with_display_name(mut self, name: &str) -> ClientSecret {
        self.display_name = Some(name.to_string());
        self
    }
}

/// An Entra app registration (service principal) with client secrets, for client credentials.
/// Its public-client side (redirect URIs, app roles, device code) is a [`super::PublicClient`]
/// registered under the same client id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRegistration {
    pub tenant: String,
    pub client_id: String,
    pub secrets: Vec<ClientSecret>,
    /// Role on the vault; only consulted in [`PermissionModel::Rbac`].
    pub role: Option<Role>,
}

impl AppRegistration {
    /// An app with one non-expiring secret and the given role.
    pub fn new(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        secret: impl Into<String>,
        role: Option<Role>,
    ) -> AppRegistration {
        AppRegistration {
            tenant: tenant.into(),
            client_id: client_id.into(),
            secrets: vec![ClientSecret::new(secret)],
            role,
        }
    }
}

/// Emulator start-up configuration.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// 0 picks a free port.
    pub port: u16,
    /// Tenant of the vault: the 401 challenge points here, and tokens from other tenants
    /// are refused.
    pub vault_tenant: String,
    /// `expires_in` of issued tokens; tokens stop working after this many seconds.
    pub token_lifetime_secs: u64,
    pub purge_protection: bool,
    pub permission_model: PermissionModel,
    /// Apps registered at start (more can be added with `Emulator::register_app`).
    pub apps: Vec<AppRegistration>,
    /// Public clients (sign-in side of app registrations) registered at start.
    pub public_clients: Vec<super::PublicClient>,
    /// Users registered at start (more with `Emulator::add_user`).
    pub users: Vec<super::TestUser>,
    /// Share a CA with other test servers (e.g. the vendor stub); a new one is made if None.
    pub ca: Option<Arc<TestCa>>,
    /// Where to write the CA PEM. None writes it into a temporary directory that is
    /// removed when the emulator stops.
    pub ca_out: Option<PathBuf>,
    /// Extra DNS names for the server certificate (127.0.0.1 and localhost are always in),
    /// e.g. a real-looking vault host resolved to 127.0.0.1 by the client.
    pub extra_server_names: Vec<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            vault_tenant: DEFAULT_TENANT.to_string(),
            token_lifetime_secs: DEFAULT_TOKEN_LIFETIME_SECS,
            purge_protection: false,
            permission_model: PermissionModel::Rbac,
            apps: Vec::new(),
            public_clients: Vec::new(),
            users: Vec::new(),
            ca: None,
            ca_out: None,
            extra_server_names: Vec::new(),
        }
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("port", &self.port)
            .field("vault_tenant", &self.vault_tenant)
            .field("token_lifetime_secs", &self.token_lifetime_secs)
            .field("purge_protection", &self.purge_protection)
            .field("permission_model", &self.permission_model)
            .field("apps", &self.apps.len())
            .field("public_clients", &self.public_clients.len())
            .field("users", &self.users.len())
            .field("ca_out", &self.ca_out)
            .field("extra_server_names", &self.extra_server_names)
            .finish_non_exhaustive()
    }
}

/// The kind of request, for counters and fault matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteKind {
    /// `POST /{tenant}/oauth2/v2.0/token`
    Token,
    /// `GET /{tenant}/v2.0/.well-known/openid-configuration`
    OpenIdConfiguration,
    /// `PUT /secrets/{name}`
    SetSecret,
    /// `GET /secrets/{name}[/{version}]`
    GetSecret,
    /// `GET /secrets`
    ListSecrets,
    /// `GET /secrets/{name}/versions`
    ListVersions,
    /// `PATCH /secrets/{name}[/{version}]`
    UpdateSecret,
    /// `DELETE /secrets/{name}`
    DeleteSecret,
    /// `GET /deletedsecrets/{name}`
    GetDeleted,
    /// `GET /deletedsecrets`
    ListDeleted,
    /// `POST /deletedsecrets/{name}/recover`
    Recover,
    /// `DELETE /deletedsecrets/{name}`
    Purge,
    /// `POST /secrets/{name}/backup`
    Backup,
    /// `POST /secrets/restore`
    Restore,
    /// `GET /{tenant}/oauth2/v2.0/authorize`
    Authorize,
    /// `POST /{tenant}/oauth2/v2.0/devicecode`
    DeviceCode,
    /// `GET|POST /devicelogin` (the page where a person enters a user code)
    DeviceLogin,
    /// `GET /{tenant}/discovery/v2.0/keys`
    Jwks,
    /// Graph `GET /v1.0/applications[?$filter=appId eq '…']`
    GraphListApplications,
    /// Graph `GET /v1.0/applications/{id}` or `/v1.0/applications(appId='…')`
    GraphGetApplication,
    /// Graph `POST /v1.0/applications/{id}/addPassword`
    GraphAddPassword,
    /// Graph `POST /v1.0/applications/{id}/removePassword`
    GraphRemovePassword,
    /// ARM `GET /tenants`
    ArmListTenants,
    /// ARM `GET /subscriptions`
    ArmListSubscriptions,
    /// ARM `GET /subscriptions/{s}/locations`
    ArmListLocations,
    /// ARM `GET /subscriptions/{s}/resourcegroups/{rg}`
    ArmGetResourceGroup,
    /// ARM `PUT /subscriptions/{s}/resourcegroups/{rg}`
    ArmPutResourceGroup,
    /// ARM `GET /subscriptions/{s}/resourcegroups`
    ArmListResourceGroups,
    /// ARM `GET /subscriptions/{s}/providers/Microsoft.KeyVault/vaults`
    ArmListVaults,
    /// ARM `GET …/Microsoft.KeyVault/vaults/{name}`
    ArmGetVault,
    /// ARM `PUT …/Microsoft.KeyVault/vaults/{name}`
    ArmPutVault,
    /// ARM `POST /subscriptions/{s}/providers/Microsoft.KeyVault/checkNameAvailability`
    ArmCheckVaultName,
    /// ARM `PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`
    ArmPutRoleAssignment,
    /// ARM `GET {scope}/providers/Microsoft.Authorization/roleAssignments`
    ArmListRoleAssignments,
    /// ARM `PUT {vault}/providers/Microsoft.Insights/diagnosticSettings/{name}`
    ArmPutDiagnosticSetting,
    /// ARM `GET /subscriptions/{s}/providers/Microsoft.OperationalInsights/workspaces`
    ArmListWorkspaces,
    /// `GET /certificates`
    ListCertificates,
    /// `GET /certificates/{name}[/{version}]`
    GetCertificate,
    /// `GET /certificates/{name}/policy`
    GetCertificatePolicy,
    /// `GET /keys`
    ListKeys,
    /// `GET /keys/{name}[/{version}]` (public JWK only)
    GetKey,
    /// `GET /keys/{name}/rotationpolicy`
    GetKeyRotationPolicy,
}

impl RouteKind {
    pub const ALL: [RouteKind; 42] = [
        RouteKind::Token,
        RouteKind::OpenIdConfiguration,
        RouteKind::SetSecret,
        RouteKind::GetSecret,
        RouteKind::ListSecrets,
        RouteKind::ListVersions,
        RouteKind::UpdateSecret,
        RouteKind::DeleteSecret,
        RouteKind::GetDeleted,
        RouteKind::ListDeleted,
        RouteKind::Recover,
        RouteKind::Purge,
        RouteKind::Backup,
        RouteKind::Restore,
        RouteKind::Authorize,
        RouteKind::DeviceCode,
        RouteKind::DeviceLogin,
        RouteKind::Jwks,
        RouteKind::GraphListApplications,
        RouteKind::GraphGetApplication,
        RouteKind::GraphAddPassword,
        RouteKind::GraphRemovePassword,
        RouteKind::ArmListTenants,
        RouteKind::ArmListSubscriptions,
        RouteKind::ArmListLocations,
        RouteKind::ArmGetResourceGroup,
        RouteKind::ArmPutResourceGroup,
        RouteKind::ArmListResourceGroups,
        RouteKind::ArmListVaults,
        RouteKind::ArmGetVault,
        RouteKind::ArmPutVault,
        RouteKind::ArmCheckVaultName,
        RouteKind::ArmPutRoleAssignment,
        RouteKind::ArmListRoleAssignments,
        RouteKind::ArmPutDiagnosticSetting,
        RouteKind::ArmListWorkspaces,
        RouteKind::ListCertificates,
        RouteKind::GetCertificate,
        RouteKind::GetCertificatePolicy,
        RouteKind::ListKeys,
        RouteKind::GetKey,
        RouteKind::GetKeyRotationPolicy,
    ];

    /// True for the Entra (identity) routes.
    pub fn is_entra(self) -> bool {
        matches!(
            self,
            RouteKind::Token
                | RouteKind::OpenIdConfiguration
                | RouteKind::Authorize
                | RouteKind::DeviceCode
                | RouteKind::DeviceLogin
                | RouteKind::Jwks
        )
    }

    /// True for the Microsoft Graph routes.
    pub fn is_graph(self) -> bool {
        matches!(
            self,
            RouteKind::GraphListApplications
                | RouteKind::GraphGetApplication
                | RouteKind::GraphAddPassword
                | RouteKind::GraphRemovePassword
        )
    }

    /// True for the Azure Resource Manager routes.
    pub fn is_arm(self) -> bool {
        matches!(
            self,
            RouteKind::ArmListTenants
                | RouteKind::ArmListSubscriptions
                | RouteKind::ArmListLocations
                | RouteKind::ArmGetResourceGroup
                | RouteKind::ArmPutResourceGroup
                | RouteKind::ArmListResourceGroups
                | RouteKind::ArmListVaults
                | RouteKind::ArmGetVault
                | RouteKind::ArmPutVault
                | RouteKind::ArmCheckVaultName
                | RouteKind::ArmPutRoleAssignment
                | RouteKind::ArmListRoleAssignments
                | RouteKind::ArmPutDiagnosticSetting
                | RouteKind::ArmListWorkspaces
        )
    }

    /// True for the Key Vault data-plane routes.
    pub fn is_vault(self) -> bool {
        !self.is_entra() && !self.is_graph() && !self.is_arm()
    }
}

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// 429 `Throttled` with `Retry-After: {retry_after_secs}`.
    Throttle { retry_after_secs: u64 },
    /// Any 5xx with Key Vault's error shape.
    ServerError { status: u16 },
    /// Wait this long, then handle the request normally (combines with other faults).
    Latency { delay: Duration },
    /// Close the connection without writing a response.
    DropConnection,
    /// Any error: status, `error.code`, optional `innererror.code`, optional message
    /// (`{name}` in it becomes the secret name) and optional `Retry-After`. On Entra routes
    /// `code` becomes the OAuth `error` and `inner_code` (`AADSTS…`) the AADSTS number; on Graph
    /// routes `code` becomes Graph's `error.code`.
    Error {
        status: u16,
        code: String,
        inner_code: Option<String>,
        message: Option<String>,
        retry_after_secs: Option<u64>,
    },
}

/// A fault to inject. Built with the constructors and narrowed with the `on_*`/`for_*`
/// methods; by default it hits every request, forever.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    /// Only this kind of request (None = any, including token, sign-in and Graph requests).
    pub route: Option<RouteKind>,
    /// Only requests for this secret name (case-insensitive). Requests without a secret
    /// name (lists, token) never match when this is set.
    pub secret_name: Option<String>,
    /// Only this HTTP method (case-insensitive), e.g. "PUT".
    pub method: Option<String>,
    /// Only Entra requests at this tenant's endpoints (`/{tenant}/oauth2/...`), so one client
    /// tenant of an MSP can fail alone. Requests without a tenant never match when this is set.
    pub tenant: Option<String>,
    /// Let this many matching requests through before the fault starts (e.g. the second of two
    /// role assignments fails).
    pub after: u64,
    /// Fire on at most this many matching requests, then disappear (None = no limit).
    pub times: Option<u64>,
    /// Chance that a matching request is hit (1.0 = every one).
    pub probability: f64,
}

impl Fault {
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            kind,
            route: None,
            secret_name: None,
            method: None,
            tenant: None,
            after: 0,
            times: None,
            probability: 1.0,
        }
    }

    /// 429 with `Retry-After` seconds.
    pub fn throttle(retry_after_secs: u64) -> Fault {
        Fault::new(FaultKind::Throttle { retry_after_secs })
    }

    /// A 5xx (500, 502, 503, 504, ...).
    pub fn server_error(status: u16) -> Fault {
        Fault::new(FaultKind::ServerError { status })
    }

    /// Added latency before normal handling.
    pub fn latency(delay: Duration) -> Fault {
        Fault::new(FaultKind::Latency { delay })
    }

    /// Connection closed without a response.
    pub fn drop_connection() -> Fault {
        Fault::new(FaultKind::DropConnection)
    }

    /// Any error status with Key Vault's error body `{"error":{"code","message","innererror"}}`
    /// (Graph's `{"error":{"code","message"}}` on Graph routes, OAuth's on Entra routes).
    pub fn error(status: u16, code: &str, inner_code: Option<&str>) -> Fault {
        Fault::new(FaultKind::Error {
            status,
            code: code.to_string(),
            inner_code: inner_code.map(str::to_string),
            message: None,
            retry_after_secs: None,
        })
    }

    /// 409 `Conflict` / `ObjectIsBeingDeleted` (a delete still in progress).
    pub fn being_deleted() -> Fault {
        Fault::error(409, "Conflict", Some("ObjectIsBeingDeleted"))
            .with_message("Secret {name} is currently being deleted.")
    }

    /// 409 `Conflict` / `ObjectIsBeingRecovered` (a recover still in progress).
    pub fn being_recovered() -> Fault {
        Fault::error(409, "Conflict", Some("ObjectIsBeingRecovered"))
            .with_message("Secret {name} is currently being recovered.")
    }

    pub fn on_route(mut self, route: RouteKind) -> Fault {
        self.route = Some(route);
        self
    }

    pub fn for_secret(mut self, name: &str) -> Fault {
        self.secret_name = Some(name.to_string());
        self
    }

    pub fn for_method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_string());
        self
    }

    /// Only requests at `tenant`'s Entra endpoints (case-insensitive).
    pub fn for_tenant(mut self, tenant: &str) -> Fault {
        self.tenant = Some(tenant.to_string());
        self
    }

    /// Let the next `count` matching requests through first.
    pub fn after(mut self, count: u64) -> Fault {
        self.after = count;
        self
    }

    /// Hit only the next `count` matching requests.
    pub fn times(mut self, count: u64) -> Fault {
        self.times = Some(count);
        self
    }

    /// Hit each matching request with this probability (0.0–1.0).
    pub fn with_probability(mut self, probability: f64) -> Fault {
        self.probability = probability.clamp(0.0, 1.0);
        self
    }

    /// Message for [`FaultKind::Error`] (ignored by other kinds).
    pub fn with_message(mut self, text: &str) -> Fault {
        if let FaultKind::Error { message, .. } = &mut self.kind {
            *message = Some(text.to_string());
        }
        self
    }

    /// `Retry-After` for [`FaultKind::Error`] (ignored by other kinds).
    pub fn with_retry_after(mut self, secs: u64) -> Fault {
        if let FaultKind::Error {
            retry_after_secs, ..
        } = &mut self.kind
        {
            *retry_after_secs = Some(secs);
        }
        self
    }
}

/// A secret to put straight into the store (test backdoor; no HTTP involved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedSecret {
    pub value: String,
    pub content_type: Option<String>,
    pub enabled: bool,
    pub tags: BTreeMap<String, String>,
    pub not_before: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
}

impl SeedSecret {
    pub fn new(value: impl Into<String>) -> SeedSecret {
        SeedSecret {
            value: value.into(),
            content_type: None,
            enabled: true,
            tags: BTreeMap::new(),
            not_before: None,
            expires: None,
        }
    }

    pub fn tag(mut self, key: &str, value: &str) -> SeedSecret {
        self.tags.insert(key.to_string(), value.to_string());
        self
    }

    pub fn content_type(mut self, content_type: &str) -> SeedSecret {
        self.content_type = Some(content_type.to_string());
        self
    }

    pub fn disabled(mut self) -> SeedSecret {
        self.enabled = false;
        self
    }
}

/// What the store holds for one version of a secret (test backdoor view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVersionSnapshot {
    pub version: String,
    pub value: String,
    pub content_type: Option<String>,
    pub enabled: bool,
    pub not_before: Option<i64>,
    pub expires: Option<i64>,
    pub created: i64,
    pub updated: i64,
    pub tags: BTreeMap<String, String>,
}

/// Everything the store holds for one secret name, oldest version first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSnapshot {
    pub name: String,
    pub deleted: bool,
    pub versions: Vec<SecretVersionSnapshot>,
}

/// Errors starting the emulator.
#[derive(Debug)]
pub enum EmulatorError {
    Tls(TlsError),
    Io(std::io::Error),
    /// The background runtime thread could not be started or died.
    Runtime(String),
}

impl std::fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmulatorError::Tls(err) => write!(f, "{err}"),
            EmulatorError::Io(err) => write!(f, "emulator I/O error: {err}"),
            EmulatorError::Runtime(message) => write!(f, "emulator runtime error: {message}"),
        }
    }
}

impl std::error::Error for EmulatorError {}

impl From<TlsError> for EmulatorError {
    fn from(err: TlsError) -> Self {
        EmulatorError::Tls(err)
    }
}

impl From<std::io::Error> for EmulatorError {
    fn from(err: std::io::Error) -> Self {
        EmulatorError::Io(err)
    }
}
