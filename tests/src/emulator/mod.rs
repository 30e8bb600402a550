//! Local Azure Key Vault (secrets data plane) + Entra ID + a slice of Microsoft Graph.
//!
//! One HTTPS listener on 127.0.0.1 serves the token endpoint, technician sign-in, the vault and
//! Graph's app-password API, with real token issuance and checks, per-identity permissions
//! (RBAC roles or access policies, for apps and for signed-in users), soft delete / recover /
//! purge, paging, and fault injection. Control methods are synchronous so tests can call them
//! from any thread while the server runs.
//!
//! ```no_run
//! # async fn demo() -> Result<(), akv_tests::emulator::EmulatorError> {
//! use akv_tests::emulator::*;
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! emulator.register_app(AppRegistration::new(
//!     emulator.vault_tenant(), "client-1", "s3cret", Some(Role::SecretsOfficer)));
//! emulator.inject_fault(Fault::throttle(1).on_route(RouteKind::SetSecret).times(2));
//! # Ok(()) }
//! ```
//!
//! # Technician sign-in (public client)
//!
//! ```no_run
//! # async fn demo() -> Result<(), akv_tests::emulator::EmulatorError> {
//! use akv_tests::emulator::*;
//! let tenant = DEFAULT_TENANT;
//! let emulator = Emulator::start(EmulatorConfig {
//!     public_clients: vec![PublicClient::new(tenant, "console-client-id")],
//!     users: vec![
//!         TestUser::new(tenant, "ada@contoso.example", "Ada Admin")
//!             .with_vault_role(Role::SecretsOfficer)
//!             .with_app_role("console-client-id", CONSOLE_ADMIN),
//!         TestUser::new(tenant, "nora@contoso.example", "Nora None"), // no app role, no vault role
//!     ],
//!     ..EmulatorConfig::default()
//! }).await?;
//! emulator.set_device_code_interval(1);            // tests need not wait 5 s per poll
//! // A test completes a device-code sign-in the way a person would:
//! for pending in emulator.pending_device_codes() {
//!     emulator.approve_device_code(&pending.user_code, "ada@contoso.example").ok();
//! }
//! # Ok(()) }
//! ```
//!
//! Served for every known tenant `{t}` (a tenant is known if the vault, an app or a user is in it):
//! - `GET {authority_host}/{t}/v2.0/.well-known/openid-configuration`: `issuer` =
//!   [`Emulator::issuer`] (`{authority_host}/{t}/v2.0`; URLs follow the `Host` the client used,
//!   so a client that says `localhost` sees `https://localhost:PORT/…`), `authorization_endpoint`,
//!   `token_endpoint`, `device_authorization_endpoint`, `jwks_uri`; accepted by MSAL and by the
//!   strict `openidconnect` 4.x crate.
//! - `GET /{t}/discovery/v2.0/keys`: one RSA-2048 key (`kty`, `use`, `kid`, `n`, `e`, `alg`).
//!   The key is made on first use and shared by the emulators of one process (never stored).
//! - `GET /{t}/oauth2/v2.0/authorize`: `response_type=code`, a registered `redirect_uri`
//!   (loopback `http://localhost` / `http://127.0.0.1` match any port), `code_challenge` +
//!   `code_challenge_method=S256` (required), `scope`, `state` (echoed), `nonce` (into the id
//!   token), `response_mode` `query` (default), `fragment` or `form_post`. The user is the one
//!   `login_hint` names, else [`Emulator::set_interactive_user`], else an HTML account picker
//!   whose links add `login_hint`. `prompt=none` without a user → `login_required`. Unknown app
//!   (AADSTS700016) or unregistered redirect URI (AADSTS50011) → an HTML error page (400), no
//!   redirect; other errors → the redirect with `error`, `error_description` (`AADSTS…`) and
//!   `state`. Codes are single-use and live [`Emulator::set_auth_code_lifetime`] (600 s).
//! - `POST /{t}/oauth2/v2.0/devicecode` (`client_id`, `scope`) → `device_code`, `user_code`,
//!   `verification_uri` ([`Emulator::device_login_url`], a page where a person types the code
//!   and picks a user), `expires_in` (900), `interval` (5), `message`.
//! - `POST /{t}/oauth2/v2.0/token`, by `grant_type`:
//!   - `client_credentials`: unchanged (secret → AADSTS7000215 / 7000222; unknown app 700016;
//!     unknown tenant 90002); the token's `roles` carry the app's Graph permissions.
//!   - `authorization_code`: `code`, identical `redirect_uri`, `code_verifier` (wrong →
//!     `invalid_grant` AADSTS501481; missing → 900144), reused code 54005, expired 70008.
//!   - `urn:ietf:params:oauth:grant-type:device_code`: `authorization_pending` (70016) until
//!     approved, `slow_down` if polled sooner than `interval`, `authorization_declined`,
//!     `expired_token` (70020), `bad_verification_code` for an unknown code; tokens once.
//!     Needs "allow public client flows" ([`PublicClient::allow_public_client_flows`]) unless a
//!     client secret is sent (AADSTS7000218).
//!   - `refresh_token`: the reply carries a new refresh token; the used one stays valid, as at
//!     Entra (learn.microsoft.com/entra/identity-platform/refresh-tokens), so one token can be
//!     redeemed for several client tenants at once; revoked ([`Emulator::revoke_refresh_tokens`]) → 50173;
//!     inactive ([`Emulator::expire_refresh_tokens`]) → 700082. One refresh token serves every
//!     resource (ask `https://graph.microsoft.com/.default` to get a Graph token).
//!
//!   Public clients send no secret (a secret for an app without secrets → AADSTS700025); an app
//!   that also has an [`AppRegistration`] may send its secret (then `appidacr` is `"1"`).
//!
//! User token replies: `token_type`, `scope`, `expires_in`, `ext_expires_in`, `access_token`
//! (RS256 JWT, v1 shape for the resource: `aud` = `https://vault.azure.net`, a local vault's own
//! origin (`https://127.0.0.1:PORT`, what [`Emulator::vault_url`]'s challenge names) or
//! `https://graph.microsoft.com`, `iss` = `https://sts.windows.net/{t}/`, `appid`, `oid`, `upn`,
//! `name`, `scp`), `client_info` (base64url `{"uid","utid"}`), `refresh_token` when
//! `offline_access` was asked, and `id_token` when `openid` was asked: RS256, `aud` = the
//! console's client id, `iss` = [`Emulator::issuer`], `iat`, `nbf`, `exp`, `nonce` (auth code
//! only), `oid`, `tid`, `sub` (pairwise), `ver` `2.0`; `name` and `preferred_username` (the
//! UPN) when `profile` was asked; `roles` = the user's app roles on this app registration that
//! the registration defines, **absent** when there are none. Roles are read at issue time, so
//! [`Emulator::assign_app_role`] shows in the next refresh. Scopes name one resource: Key Vault
//! (`.default` / `user_impersonation`) or Graph (`.default` = the app's consented delegated
//! scopes, or named ones); only OIDC scopes mean Graph; another resource → AADSTS500011.
//!
//! Key Vault sees the person: a user token is authorized by the *user's* vault role
//! ([`TestUser::vault_role`], [`Emulator::set_user_vault_role`]) or, in access-policy mode, by
//! the user's object id or UPN on the list (the app's id does not cover its users). A refusal
//! names the caller: `Caller: appid={client};oid={user oid};name={display name};upn={upn};iss=…`
//! (app tokens keep Azure's `appid=…;oid=…;iss=…`; Azure's own user messages are only known to
//! carry `appid`/`oid`, so a client should name the user from its own sign-in, not parse this).
//! [`Emulator::request_log`] / [`Emulator::requests_by`] record route, status and caller of
//! every vault and Graph request.
//!
//! # Microsoft Graph (app passwords)
//!
//! Under [`Emulator::graph_url`] (use it where `https://graph.microsoft.com` would go; tokens
//! are still asked for `https://graph.microsoft.com/.default`):
//! `GET /v1.0/applications[?$filter=appId eq '{id}'][&$select=…]`, `GET /v1.0/applications/{id}`,
//! `POST /v1.0/applications/{id}/addPassword` (`{"passwordCredential":{"displayName",
//! "endDateTime","startDateTime"}}` → 200 with `keyId`, `secretText` (only here), `hint`, dates;
//! default end: start + 2 years), `POST …/removePassword` (`{"keyId"}` → 204; unknown key → 400
//! ⚠), each also as `/v1.0/applications(appId='{client id}')/…`. `passwordCredentials` list
//! `keyId`, `displayName`, `startDateTime`, `endDateTime` (2299-12-31 for secrets registered
//! without expiry), `hint`, `secretText: null`. Added passwords are client secrets at once;
//! removed ones fail at once (AADSTS7000215). Permissions: app tokens need
//! `Application.ReadWrite.OwnedBy` ([`Emulator::grant_graph_permission`]) and ownership
//! ([`Emulator::add_application_owner`] — an app may own itself) or `Application.ReadWrite.All`;
//! delegated tokens need `Application.ReadWrite.All` in `scp` and the user as owner. Else 403
//! `Authorization_RequestDenied` "Insufficient privileges to complete the operation."; a missing,
//! expired or non-Graph token → 401 `InvalidAuthenticationToken`. Faults target Graph steps with
//! [`RouteKind::GraphAddPassword`], [`RouteKind::GraphRemovePassword`],
//! [`RouteKind::GraphListApplications`] and [`RouteKind::GraphGetApplication`] (Graph's error
//! shape; `Fault::error`'s `code` becomes `error.code`).
//!
//! # Azure Resource Manager
//!
//! Served on the same listener under `/tenants` and `/subscriptions/…` (a Custom cloud's ARM is
//! its authority host; tokens are asked for `https://management.azure.com/.default`). Each
//! operation takes only the api-version the REST reference documents for it (else 400
//! `MissingApiVersionParameter` / `InvalidApiVersionParameter`) and only ARM tokens
//! ([`ARM_AUDIENCES`]; a Key Vault or Graph token → 401 `InvalidAuthenticationToken`; a token of
//! another tenant than the subscription's → 401 `InvalidAuthenticationTokenTenant`). Entra issues
//! an ARM token only where the app's registration holds Azure Service Management's
//! `user_impersonation` ([`PublicClient::without_arm_permission`] → AADSTS65001).
//! - Tenants - List (2022-12-01): the home tenant and every tenant where the user is a guest
//!   ([`Emulator::set_tenant_name`] for `displayName`/`defaultDomain`).
//! - Subscriptions - List / List Locations (2022-12-01): the token's tenant's subscriptions where
//!   the user holds any Azure role at, or under, subscription scope.
//! - Resource Groups - Get / Create Or Update / List (2021-04-01).
//! - Vaults - List By Subscription / Get / Create Or Update / Check Name Availability
//!   (2023-07-01): listed where a role with `*/read` covers the vault (Reader, Contributor, Owner,
//!   User Access Administrator, Key Vault Contributor/Reader — not the data roles); created by
//!   Owner, Contributor or Key Vault Contributor; defaults as Azure sets them (soft delete on, 90
//!   days, RBAC off, purge protection absent); PUT is idempotent (201 then 200); purge protection
//!   cannot be turned off and retention cannot change (400); names are global, soft-deleted ones
//!   ([`Emulator::add_soft_deleted_vault_name`]) included (`AlreadyExists`, 409).
//! - Role Assignments - Create / List For Scope (2022-04-01): Owner or User Access Administrator
//!   only (403 `AuthorizationFailed` in Azure's wording); the same role, principal and scope
//!   again → 409 `RoleAssignmentExists`.
//! - Diagnostic Settings - Create Or Update (2021-05-01-preview) to a known workspace;
//!   Workspaces - List (2022-10-01).
//!
//! Listings page at [`Emulator::set_arm_page_size`] items with `nextLink`. Faults target ARM with
//! the `RouteKind::Arm…` kinds (ARM's error shape, `Retry-After` on 429). Set-up:
//! [`Emulator::add_subscription`], [`Emulator::add_resource_group`], [`Emulator::add_arm_vault`],
//! [`Emulator::grant_azure_role`] (GUIDs in [`azure_roles`]), [`Emulator::add_group_member`],
//! [`Emulator::add_workspace`]. A started vault emulator registered with
//! [`Emulator::register_data_plane`] becomes the data plane of the vault ARM creates by that
//! name (`vaultUri`, tenant, permission model, purge protection), and Key Vault data roles
//! assigned through ARM reach it after [`Emulator::set_rbac_propagation_delay`] (403
//! `ForbiddenByRbac` until then).
//!
//! Counters: [`Emulator::request_count`] per route (vault and Graph requests once
//! authenticated), [`Emulator::grant_count`] per grant type (every token request, failed ones
//! and every device-code poll included).

mod arm;
mod arm_ops;
mod arm_resources;
mod arm_state;
mod control;
mod directory;
mod dispatch;
mod entra;
mod grants;
mod graph;
mod graph_groups;
mod jwt;
mod provision_extra;
mod respond;
mod routes;
mod signin;
mod signin_types;
mod state;
mod store;
mod tenants;
mod types;
mod vault;
mod vault_objects;
pub use vault_objects::{SeedCertificate, SeedKey};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

pub use arm::{ARM_AUDIENCES, is_arm_resource};
pub use arm_state::{VaultRecord, roles as azure_roles};
pub use jwt::jwt_claims;
pub use signin_types::*;
pub use store::KvError;
pub use types::*;

use self::state::{ActiveFault, State};
use self::store::{DeletedItem, RECOVERABLE_DAYS, SecretItem, SecretVersion, now_unix, store_key};
use crate::tls::{BackgroundRuntime, Handler, HttpsServer, IncomingRequest, Outcome, TestCa};

/// The resource Key Vault's challenge names when the vault is addressed by a public-cloud host
/// (`{name}.vault.azure.net` resolved to the emulator); tokens must be for `{this}/.default`.
pub const VAULT_RESOURCE: &str = "https://vault.azure.net";

/// The resource a vault request to `base` (`https://{Host}`) must carry a token for, and its
/// challenge names: Key Vault's public resource under `*.vault.azure.net`, else the vault's own
/// origin (`https://127.0.0.1:PORT`), as a private cloud's vault (Azure Stack Hub) names its own
/// resource. A token for one is refused by the other.
pub fn vault_resource_for(base: &str) -> String {
    let host = url::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    if host.ends_with(".vault.azure.net") {
        VAULT_RESOURCE.to_string()
    } else {
        base.trim_end_matches('/').to_ascii_lowercase()
    }
}

/// Whether the emulator's Entra knows `resource` as a Key Vault resource: the public one, or a
/// local vault's own origin (a loopback host, any port).
pub fn is_vault_resource(resource: &str) -> bool {
    let resource = resource.trim_end_matches('/');
    if resource.eq_ignore_ascii_case(VAULT_RESOURCE) {
        return true;
    }
    url::Url::parse(resource).is_ok_and(|u| {
        u.scheme() == "https"
            && matches!(u.host_str(), Some("127.0.0.1") | Some("localhost"))
            && u.path() == "/"
            && u.query().is_none()
    })
}

struct Shared {
    state: Mutex<State>,
    authority_host: String,
    port: u16,
    /// Token requests being answered right now, and the most there ever were at once (tests
    /// check that client tenants redeem in parallel without timing anything).
    tokens_in_flight: std::sync::atomic::AtomicUsize,
    peak_tokens_in_flight: std::sync::atomic::AtomicUsize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in another test thread must not wedge the emulator for everyone else.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    server: Option<HttpsServer>,
    ca: Arc<TestCa>,
    ca_path: PathBuf,
    /// Temporary directory holding the CA PEM, removed on drop.
    temp_dir: Option<PathBuf>,
    background: Option<BackgroundRuntime>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("vault_url", &self.vault_url())
            .field("ca_path", &self.ca_path)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts the emulator on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let ca = match &config.ca {
            Some(ca) => ca.clone(),
            None => Arc::new(TestCa::generate("akv-tests emulator CA")?),
        };
        let extra_names: Vec<&str> = config
            .extra_server_names
            .iter()
            .map(String::as_str)
            .collect();
        let identity = ca.issue_server_identity(&extra_names)?;
        let tls_config = identity.server_config()?;

        // Bind first: the authority host in challenges needs the real port.
        let listener_port = config.port;
        let placeholder = Arc::new(std::sync::OnceLock::<Arc<Shared>>::new());
        let handler_slot = placeholder.clone();
        let handler: Handler = Arc::new(move |request: IncomingRequest| {
            let shared = handler_slot.get().cloned();
            Box::pin(async move {
                match shared {
                    Some(shared) => dispatch::dispatch(shared, request).await,
                    None => Outcome::Respond(respond::empty(503)),
                }
            })
        });
        let server = HttpsServer::start(listener_port, tls_config, handler).await?;
        let port = server.port();

        let mut state = State::new(
            config.vault_tenant.clone(),
            config.token_lifetime_secs,
            config.permission_model.clone(),
            config.purge_protection,
        );
        for app in &config.apps {
            state.register_app(app.clone());
        }
        for client in &config.public_clients {
            directory::upsert_public(&mut state.apps, client);
        }
        for user in &config.users {
            state.add_user(user.clone());
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            authority_host: format!("https://127.0.0.1:{port}"),
            port,
            tokens_in_flight: std::sync::atomic::AtomicUsize::new(0),
            peak_tokens_in_flight: std::sync::atomic::AtomicUsize::new(0),
        });
        let _ = placeholder.set(shared.clone());

        let (ca_path, temp_dir) = match &config.ca_out {
            Some(path) => (path.clone(), None),
            None => {
                let dir = std::env::temp_dir().join(format!(
                    "akv-emulator-{}-{port}-{:08x}",
                    std::process::id(),
                    rand::random::<u32>()
                ));
                std::fs::create_dir_all(&dir)?;
                (dir.join("emulator-ca.pem"), Some(dir))
            }
        };
        std::fs::write(&ca_path, ca.ca_pem())?;

        Ok(Emulator {
            shared,
            server: Some(server),
            ca,
            ca_path,
            temp_dir,
            background: None,
        })
    }

    /// Starts the emulator on its own runtime thread, for callers without a tokio runtime
    /// (e.g. tests that drive a separate app process). Dropping the emulator stops the thread.
    pub fn start_blocking(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let (mut emulator, background) =
            BackgroundRuntime::spawn("kv-emulator", move || Emulator::start(config))?;
        emulator.background = Some(background);
        Ok(emulator)
    }

    /// `https://127.0.0.1:PORT/.default`: the token scope of the vault at [`Emulator::vault_url`]
    /// (its own origin is its resource; see [`vault_resource_for`]).
    pub fn vault_scope(&self) -> String {
        format!("{}/.default", vault_resource_for(&self.vault_url()))
    }

    /// `https://127.0.0.1:PORT`
    pub fn vault_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.shared.port)
    }

    /// `https://127.0.0.1:PORT` (Entra is served on the same listener).
    pub fn authority_host(&self) -> String {
        self.shared.authority_host.clone()
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    pub fn vault_tenant(&self) -> String {
        self.shared.lock().vault_tenant.clone()
    }

    /// CA certificate (PEM) that clients must trust.
    pub fn ca_pem(&self) -> String {
        self.ca.ca_pem().to_string()
    }

    /// Where the CA PEM was written.
    pub fn ca_pem_path(&self) -> &Path {
        &self.ca_path
    }

    /// The CA, to sign other test servers' certificates (e.g. `VendorStub::start_with_ca`).
    pub fn test_ca(&self) -> Arc<TestCa> {
        self.ca.clone()
    }

    /// Adds an app registration, or replaces the secrets and vault role of the one with the same
    /// tenant + client id (its object ids, public-client side, Graph permissions and owners stay).
    pub fn register_app(&self, app: AppRegistration) {
        self.shared.lock().register_app(app);
    }

    /// Assigns or removes the identity's vault role (takes effect on the next request).
    pub fn set_role(&self, tenant: &str, client_id: &str, role: Option<Role>) {
        self.shared.lock().set_role(tenant, client_id, role);
    }

    /// Gives an app a further vault role beside its own (e.g. Crypto Officer with Secrets
    /// Officer), from the next request.
    pub fn add_app_role(&self, tenant: &str, client_id: &str, role: Role) {
        self.shared
            .lock()
            .extra_roles
            .entry(state::app_principal(tenant, client_id))
            .or_default()
            .push(role);
    }

    pub fn set_permission_model(&self, model: PermissionModel) {
        self.shared.lock().permission_model = model;
    }

    pub fn set_purge_protection(&self, on: bool) {
        self.shared.lock().purge_protection = on;
    }

    /// Lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, secs: u64) {
        self.shared.lock().token_lifetime_secs = secs;
    }

    /// Makes every token issued so far invalid (the next vault request gets a 401
    /// challenge), as if they had expired.
    pub fn expire_tokens(&self) {
        let mut state = self.shared.lock();
        let now = Instant::now();
        for token in state.tokens.values_mut() {
            token.expires_at = now;
        }
    }

    /// Number of tokens issued and not yet expired.
    pub fn live_token_count(&self) -> usize {
        let now = Instant::now();
        self.shared
            .lock()
            .tokens
            .values()
            .filter(|token| token.expires_at > now)
            .count()
    }

    pub fn inject_fault(&self, fault: Fault) {
        let remaining = fault.times;
        self.shared
            .lock()
            .faults
            .push(ActiveFault { fault, remaining });
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Faults still armed (ones with `times` disappear when used up).
    pub fn active_fault_count(&self) -> usize {
        self.shared.lock().faults.len()
    }

    /// Requests of this kind received since start / the last reset, including faulted
    /// ones. Vault requests are counted once authenticated; unauthenticated requests
    /// count as challenges instead (see [`Emulator::challenge_count`]).
    pub fn request_count(&self, route: RouteKind) -> u64 {
        self.shared
            .lock()
            .counters
            .get(&route)
            .copied()
            .unwrap_or(0)
    }

    /// All vault + token requests counted so far.
    pub fn total_request_count(&self) -> u64 {
        self.shared.lock().counters.values().sum()
    }

    /// 401 challenges answered (vault requests without a valid token).
    pub fn challenge_count(&self) -> u64 {
        self.shared.lock().challenges
    }

    /// Clears the route and grant counters, the challenge count and the request log.
    pub fn reset_counters(&self) {
        let mut state = self.shared.lock();
        state.counters.clear();
        state.grant_counters.clear();
        state.request_log.clear();
        state.challenges = 0;
    }

    /// Current (latest version's) value of an active secret, even if disabled.
    pub fn secret_value(&self, name: &str) -> Option<String> {
        let state = self.shared.lock();
        let item = state.store.active.get(&store_key(name))?;
        item.latest().map(|latest| latest.value.clone())
    }

    /// (version, value, enabled) of every version of an active secret, oldest first.
    pub fn secret_versions(&self, name: &str) -> Vec<(String, String, bool)> {
        let state = self.shared.lock();
        state
            .store
            .active
            .get(&store_key(name))
            .map(|item| {
                item.versions
                    .iter()
                    .map(|v| (v.version.clone(), v.value.clone(), v.enabled))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Everything stored for a name, active or soft-deleted.
    pub fn secret_snapshot(&self, name: &str) -> Option<SecretSnapshot> {
        let state = self.shared.lock();
        let key = store_key(name);
        if let Some(item) = state.store.active.get(&key) {
            return Some(item.snapshot(false));
        }
        state
            .store
            .deleted
            .get(&key)
            .map(|deleted| deleted.item.snapshot(true))
    }

    /// Names of active secrets, sorted case-insensitively.
    pub fn secret_names(&self) -> Vec<String> {
        let state = self.shared.lock();
        state
            .store
            .active
            .values()
            .map(|item| item.name.clone())
            .collect()
    }

    /// Names of soft-deleted secrets.
    pub fn deleted_secret_names(&self) -> Vec<String> {
        let state = self.shared.lock();
        state
            .store
            .deleted
            .values()
            .map(|deleted| deleted.item.name.clone())
            .collect()
    }

    /// Adds a new version straight into the store (no HTTP, no counters); returns its
    /// version id. Fails only if the name is invalid or soft-deleted.
    pub fn seed(&self, name: &str, seed: SeedSecret) -> Result<String, KvError> {
        store::validate_name(name)?;
        let mut state = self.shared.lock();
        let key = store_key(name);
        if state.store.deleted.contains_key(&key) {
            return Err(KvError::new(
                409,
                "Conflict",
                format!("Secret {name} is soft-deleted"),
                Some("ObjectIsDeletedButRecoverable"),
            ));
        }
        let now = now_unix();
        let version = SecretVersion {
            version: store::new_version_id(),
            value: seed.value,
            content_type: seed.content_type,
            enabled: seed.enabled,
            nbf: seed.not_before.map(|at| at.timestamp()),
            exp: seed.expires.map(|at| at.timestamp()),
            created: now,
            updated: now,
            tags: seed.tags,
        };
        let id = version.version.clone();
        state
            .store
            .active
            .entry(key)
            .or_insert_with(|| SecretItem {
                name: name.to_string(),
                versions: Vec::new(),
            })
            .versions
            .push(version);
        Ok(id)
    }

    /// Shorthand for [`Emulator::seed`] with just a value.
    pub fn seed_secret(&self, name: &str, value: &str) -> Result<String, KvError> {
        self.seed(name, SeedSecret::new(value))
    }

    /// Puts a secret straight into the soft-deleted state.
    pub fn seed_deleted(&self, name: &str, value: &str) -> Result<(), KvError> {
        self.seed_secret(name, value)?;
        let mut state = self.shared.lock();
        let key = store_key(name);
        if let Some(item) = state.store.active.remove(&key) {
            let now = now_unix();
            state.store.deleted.insert(
                key,
                DeletedItem {
                    item,
                    deleted_date: now,
                    scheduled_purge_date: now + RECOVERABLE_DAYS * 86_400,
                },
            );
        }
        Ok(())
    }

    /// Removes every secret, active and deleted.
    pub fn clear_secrets(&self) {
        let mut state = self.shared.lock();
        state.store.active.clear();
        state.store.deleted.clear();
    }

    /// Stops the server now (also happens on drop).
    pub fn shutdown(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown();
        }
        if let Some(background) = self.background.take() {
            background.stop();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
