//! Local Azure Key Vault (secrets data plane) + Entra ID (client credentials) emulator.
//!
//! One HTTPS listener on 127.0.0.1 serves both the token endpoint and the vault, with real
//! token issuance and checks, per-identity permissions (RBAC roles or access policies),
//! soft delete / recover / purge, paging, and fault injection. Control methods are
//! synchronous so tests can call them from any thread while the server runs.
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

mod entra;
mod respond;
mod routes;
mod state;
mod store;
mod types;
mod vault;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use hyper::header::HeaderMap;
use serde_json::json;

pub use store::KvError;
pub use types::*;

use self::entra::EntraError;
use self::routes::{Route, RouteError};
use self::state::{ActiveFault, Identity, State};
use self::store::{DeletedItem, RECOVERABLE_DAYS, SecretItem, SecretVersion, now_unix, store_key};
use self::vault::{Query, VaultCall};
use crate::tls::{BackgroundRuntime, Handler, HttpsServer, IncomingRequest, Outcome, TestCa};

/// The resource Key Vault's challenge names (tokens must be for `{this}/.default`).
pub const VAULT_RESOURCE: &str = "https://vault.azure.net";

struct Shared {
    state: Mutex<State>,
    authority_host: String,
    port: u16,
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
                    Some(shared) => dispatch(shared, request).await,
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
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            authority_host: format!("https://127.0.0.1:{port}"),
            port,
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

    /// Adds or replaces (same tenant + client id) an app registration and its role.
    pub fn register_app(&self, app: AppRegistration) {
        self.shared.lock().register_app(app);
    }

    /// Assigns or removes the identity's vault role (takes effect on the next request).
    pub fn set_role(&self, tenant: &str, client_id: &str, role: Option<Role>) {
        self.shared.lock().set_role(tenant, client_id, role);
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

    pub fn reset_counters(&self) {
        let mut state = self.shared.lock();
        state.counters.clear();
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

/// `https://{Host}` of the request (ids and nextLinks are built from it, as Azure does).
fn request_base(headers: &HeaderMap, port: u16) -> String {
    let host = headers
        .get(hyper::header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    match host {
        Some(host) => format!("https://{host}"),
        None => format!("https://127.0.0.1:{port}"),
    }
}

async fn dispatch(shared: Arc<Shared>, request: IncomingRequest) -> Outcome {
    let base = request_base(&request.headers, shared.port);
    let route = routes::parse(&request.method, request.uri.path());
    match route {
        Ok(route) if route.is_entra() => handle_entra(&shared, route, &request, &base).await,
        other => handle_vault(&shared, other, &request, &base).await,
    }
}

async fn handle_entra(
    shared: &Shared,
    route: Route,
    request: &IncomingRequest,
    base: &str,
) -> Outcome {
    let decision = {
        let mut state = shared.lock();
        state.count(route.kind());
        state.take_faults(route.kind(), None, &request.method)
    };
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    if let Some(action) = decision.action {
        return entra_fault(action, &shared.authority_host);
    }
    let mut state = shared.lock();
    let result = match &route {
        Route::Token { tenant } => entra::issue_token(&mut state, tenant, request),
        Route::OpenIdConfiguration { tenant } => entra::openid_configuration(&state, tenant, base),
        _ => Err(entra::unknown_tenant("", "invalid_request")),
    };
    drop(state);
    Outcome::Respond(match result {
        Ok(body) => respond::json(200, &body),
        Err(error) => error.response(&shared.authority_host),
    })
}

/// Identity behind the request's bearer token, or the 401 message explaining why not.
fn authenticate(state: &State, headers: &HeaderMap) -> Result<Identity, String> {
    let missing = || "AKV10000: Request is missing a Bearer or PoP token.".to_string();
    let header = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = header.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    let issued = state
        .tokens
        .get(token.trim())
        .ok_or_else(|| "AKV10022: Invalid token: not issued by this authority.".to_string())?;
    if issued.expires_at <= Instant::now() {
        return Err("AKV10013: Token is expired.".to_string());
    }
    if !issued
        .identity
        .tenant
        .eq_ignore_ascii_case(&state.vault_tenant)
    {
        return Err(format!(
            "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/{}/, found https://sts.windows.net/{}/.",
            state.vault_tenant, issued.identity.tenant
        ));
    }
    if issued.audience.trim_end_matches('/') != VAULT_RESOURCE {
        return Err(format!(
            "AKV10022: Invalid audience. Expected {VAULT_RESOURCE}, found: {}.",
            issued.audience
        ));
    }
    Ok(issued.identity.clone())
}

fn kv_error_response(error: &KvError) -> respond::HttpResponse {
    let response = respond::json(error.status, &error.body());
    match error.retry_after_secs {
        Some(secs) => respond::with_header(response, "retry-after", &secs.to_string()),
        None => response,
    }
}

async fn handle_vault(
    shared: &Shared,
    route: Result<Route, RouteError>,
    request: &IncomingRequest,
    base: &str,
) -> Outcome {
    // Auth comes first, before routing or body parsing, as in Azure.
    let identity = {
        let mut state = shared.lock();
        match authenticate(&state, &request.headers) {
            Ok(identity) => identity,
            Err(message) => {
                state.challenges += 1;
                let vault_tenant = state.vault_tenant.clone();
                drop(state);
                let body = json!({"error": {"code": "Unauthorized", "message": message}});
                let challenge = format!(
                    "Bearer authorization=\"{}/{vault_tenant}\", resource=\"{VAULT_RESOURCE}\"",
                    shared.authority_host
                );
                return Outcome::Respond(respond::with_header(
                    respond::json(401, &body),
                    "www-authenticate",
                    &challenge,
                ));
            }
        }
    };
    let route = match route {
        Ok(route) => route,
        Err(RouteError::NotFound) => {
            let error = KvError::new(
                404,
                "NotFound",
                format!("The requested path {} does not exist.", request.uri.path()),
                None,
            );
            return Outcome::Respond(kv_error_response(&error));
        }
        Err(RouteError::MethodNotAllowed) => {
            let error = KvError::new(
                405,
                "MethodNotAllowed",
                format!(
                    "The requested method {} is not allowed on {}.",
                    request.method,
                    request.uri.path()
                ),
                None,
            );
            return Outcome::Respond(kv_error_response(&error));
        }
    };
    let kind = route.kind();
    let query = Query::parse(request.uri.query());
    let (api_version, decision) = {
        let mut state = shared.lock();
        state.count(kind);
        let api_version = match vault::check_api_version(&query) {
            Ok(version) => version,
            Err(error) => return Outcome::Respond(kv_error_response(&error)),
        };
        let decision = state.take_faults(kind, route.secret_name(), &request.method);
        (api_version, decision)
    };
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    if let Some(action) = decision.action {
        return vault_fault(action, route.secret_name());
    }
    let call = VaultCall {
        route: &route,
        identity: &identity,
        body: &request.body,
        query: &query,
        base,
        api_version: &api_version,
    };
    let result = vault::execute(&mut shared.lock(), &call);
    Outcome::Respond(match result {
        Ok((status, Some(body))) => respond::json(status, &body),
        Ok((status, None)) => respond::empty(status),
        Err(error) => kv_error_response(&error),
    })
}

fn server_error_code(status: u16) -> &'static str {
    match status {
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "ServerError",
    }
}

fn vault_fault(action: FaultKind, secret_name: Option<&str>) -> Outcome {
    let error = match action {
        FaultKind::DropConnection => return Outcome::DropConnection,
        // Latency is applied before this point; a lone latency fault never gets here.
        FaultKind::Latency { .. } => {
            return Outcome::Respond(respond::empty(500));
        }
        FaultKind::Throttle { retry_after_secs } => KvError {
            status: 429,
            code: "Throttled".to_string(),
            message: "Request was not processed because too many requests were received. \
                      Reason: VaultRequestTypeLimitReached"
                .to_string(),
            inner_code: None,
            retry_after_secs: Some(retry_after_secs),
        },
        FaultKind::ServerError { status } => KvError::new(
            status,
            server_error_code(status),
            format!("Injected server error {status}."),
            None,
        ),
        FaultKind::Error {
            status,
            code,
            inner_code,
            message,
            retry_after_secs,
        } => KvError {
            status,
            code,
            message: message
                .unwrap_or_else(|| "Injected fault for {name}.".to_string())
                .replace("{name}", secret_name.unwrap_or("")),
            inner_code,
            retry_after_secs,
        },
    };
    Outcome::Respond(kv_error_response(&error))
}

fn entra_fault(action: FaultKind, authority_host: &str) -> Outcome {
    let (error, retry_after) = match action {
        FaultKind::DropConnection => return Outcome::DropConnection,
        FaultKind::Latency { .. } => return Outcome::Respond(respond::empty(500)),
        FaultKind::Throttle { retry_after_secs } => (
            EntraError {
                status: 429,
                error: "temporarily_unavailable".to_string(),
                code: 90033,
                description: "A transient error has occurred. Please try again.".to_string(),
            },
            Some(retry_after_secs),
        ),
        FaultKind::ServerError { status } => (
            EntraError {
                status,
                error: "temporarily_unavailable".to_string(),
                code: 90033,
                description: "A transient error has occurred. Please try again.".to_string(),
            },
            None,
        ),
        FaultKind::Error {
            status,
            code,
            inner_code,
            message,
            retry_after_secs,
        } => (
            EntraError {
                status,
                error: code,
                code: inner_code
                    .as_deref()
                    .and_then(|inner| inner.trim_start_matches("AADSTS").parse().ok())
                    .unwrap_or(0),
                description: message.unwrap_or_else(|| "Injected fault.".to_string()),
            },
            retry_after_secs,
        ),
    };
    let response = error.response(authority_host);
    Outcome::Respond(match retry_after {
        Some(secs) => respond::with_header(response, "retry-after", &secs.to_string()),
        None => response,
    })
}
