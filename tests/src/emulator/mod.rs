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

mod control;
mod directory;
mod dispatch;
mod entra;
mod grants;
mod graph;
mod jwt;
mod respond;
mod routes;
mod signin;
mod signin_types;
mod state;
mod store;
mod types;
mod vault;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

pub use jwt::jwt_claims;
pub use signin_types::*;
pub use store::KvError;
pub use types::*;

use self::state::{ActiveFault, State};
use self::store::{DeletedItem, RECOVERABLE_DAYS, SecretItem, SecretVersion, now_unix, store_key};
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

