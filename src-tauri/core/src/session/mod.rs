//! The app's session: the MSP's clients, each with its own connection — one vault, one tenant,
//! one credential (a signed-in technician, or the app registration's secret) — connected in
//! parallel, so one client failing never blocks the others; or the demo's three fictitious
//! clients. No Tauri imports: the commands and the tests drive it alike.
//!
//! - `connect`: connecting one client (sign-in or secret, the trust check, the snapshot) and the
//!   Clients list (add, edit, remember); `disconnect`: disconnecting, removing, forgetting.
//! - `status`: each client's state and counts, and the top bar's summary.
//! - `demo`: the offline demo.
//! - `overview`: All clients' first view, one row per client, worst first.
//! - `portfolio`: views across every connected client (Vault, Rotation, Rotate All Due).
//! - `headless`: what the `akv-console` companion asks (clients by name, the monitor report).

mod client_csv;
mod confirm;
mod connect;
mod demo;
mod disconnect;
mod discover;
mod headless;
mod home;
mod overview;
mod portfolio;
mod provision;
mod provision_groups;
mod reminders;
mod report_settings;
mod secret_expiry;
mod status;
mod templates;

pub use client_csv::{ClientImport, ImportProblem};
pub use confirm::ConfirmPrompt;
pub use demo::{DEMO_CLIENTS, MAX_DEMO_CLIENTS, demo_clients_from};
pub use discover::{
    DiscoveredPick, DiscoveredTenant, DiscoveredVault, Discovery, PARALLEL_TENANTS,
};
pub use overview::{Attention, ClientOverview, ClientOverviewRow, Deadline};
pub use portfolio::{BulkRequest, PortfolioFilter};
pub use provision::{ChoiceKind, ProvisionChoice, VaultNameCheck};
pub use reminders::ReminderView;
pub use report_settings::{MAX_MSP_NAME_CHARS, ReportSettings};
pub use secret_expiry::{SecretExpiry, SecretExpiryView, SecretWarningLevel, WARN_DAYS};
pub use status::{AppStatus, ClientCounts, ClientState, ClientStatus};
pub use templates::TemplateSummary;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::config::{self, ClientConfig, ConsoleConfig, Profile};
use crate::domain::connection::ConnectionSettings;
use crate::domain::identity::{IdentityKind, Operator};
use crate::domain::policy::Role;
use crate::domain::secret::SecretValue;
use crate::domain::validation::{MAX_OWNER_CHARS, validate_text};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ping::PingClient;
use crate::service::{AuditResult, Console, Notice, Notifier};
use crate::signin::{DeviceCodePrompt, SignInCancel, SignInMethod, UserCredential};
use crate::store::StoreKind;
use crate::store::azure::AzureOptions;

/// Where the console keeps its files (never used in demo mode).
#[derive(Debug, Clone)]
pub struct AppPaths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Mode {
    Demo,
    /// No client is connected.
    NotConnected,
    /// At least one client is connected.
    Connected,
}

/// An interactive sign-in that is waiting for the technician.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignInProgress {
    pub method: SignInMethod,
    /// The device code flow's code and address, once Entra issued them.
    pub device_code: Option<DeviceCodePrompt>,
}

/// The Connect modal's request for one vault (kept for one-client use and tests: it adds or
/// updates the client of that vault, named after it).
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConnectRequest {
    pub settings: ConnectionSettings,
    /// App-secret mode only.
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub client_secret: Option<SecretValue>,
    /// Sign-in mode: browser (default) or device code.
    #[serde(default)]
    #[ts(optional)]
    pub method: Option<SignInMethod>,
    #[serde(default)]
    pub remember: bool,
}

/// Add or edit a client in the Clients list, and connect it.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientRequest {
    /// `None` adds a client; otherwise the client to change.
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<String>,
    pub name: String,
    pub settings: ConnectionSettings,
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub client_secret: Option<SecretValue>,
    #[serde(default)]
    #[ts(optional)]
    pub method: Option<SignInMethod>,
    /// Keep the client in the config file and its secret or refresh token in the keychain.
    #[serde(default)]
    pub remember: bool,
}

/// Opens the system browser at a URL (the front end provides it: Tauri's opener in the app, an
/// HTTP client in tests).
pub type BrowserOpener = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Told when the status changed outside a reply (a device code arrived, a client connected).
pub type StatusListener = Arc<dyn Fn() + Send + Sync>;

/// How an open connection proves who it is.
pub(crate) enum ConnectionIdentity {
    AppSecret,
    SignedIn(Arc<UserCredential>),
    /// Signed in once at the MSP's home tenant, this client's tenant reached as a guest
    /// (`home.rs`); the credential is shared with the other clients of that home.
    SignedInViaHome(Arc<UserCredential>),
    Demo,
}

pub(crate) struct Connection {
    pub console: Arc<Console>,
    pub identity: ConnectionIdentity,
    /// App-secret mode: when the connection's client secret expires (from Graph).
    pub secret_expiry: Mutex<SecretExpiry>,
}

pub(crate) enum SlotState {
    Idle,
    Connected(Arc<Connection>),
    Failed(AppError),
}

/// A connection attempt running for a client (new or existing): shown as "connecting", with the
/// sign-in's device code when there is one.
pub(crate) struct Attempt {
    pub name: String,
    pub cancel: Option<SignInCancel>,
    pub progress: Option<SignInProgress>,
}

/// One client in the Clients list and its connection state.
pub(crate) struct Slot {
    pub config: ClientConfig,
    pub remembered: bool,
    pub state: SlotState,
}

impl Slot {
    fn connection(&self) -> Option<Arc<Connection>> {
        match &self.state {
            SlotState::Connected(connection) => Some(connection.clone()),
            _ => None,
        }
    }
}

pub struct AppCore {
    paths: AppPaths,
    demo_launch: bool,
    /// How many fictitious clients the demo seeds (3 unless asked for more), and why a number
    /// asked for was refused (shown when the demo starts).
    demo_clients: usize,
    demo_clients_error: Option<AppError>,
    config: Mutex<ConsoleConfig>,
    /// The Clients list (real clients; empty while the demo is open).
    clients: Mutex<Vec<Slot>>,
    /// The demo's clients while the demo is open.
    demo: Mutex<Option<Vec<Slot>>>,
    /// Connection attempts running, by client id.
    attempts: Mutex<HashMap<String, Attempt>>,
    /// Who acts inside the demo: a name and a freely chosen role, for training.
    demo_operator: Mutex<Option<Operator>>,
    /// A failure that belongs to no client (an unreadable config file).
    general_error: Mutex<Option<AppError>>,
    /// Reminder ledgers per vault ("demo:<client>" in the demo), loaded on first use, and the
    /// reminders waiting for the window to show them.
    reminders: Mutex<reminders::ReminderState>,
    notifier: Notifier,
    browser: BrowserOpener,
    on_status: StatusListener,
    azure_options: AzureOptions,
    ping_ca: Option<String>,
    /// The vendor pings' HTTP client, built once: building one loads the system's root
    /// certificates, which every connect of every client used to pay for again.
    ping_client: Mutex<Option<PingClient>>,
    /// This computer's name, for the vault's registry of installations.
    host: String,
    /// This installation's id, decided on first use (see [`crate::installation::resolve`]).
    installation: Mutex<Option<String>>,
    /// Which program acts ("akv-console" for the headless companion), named in the audit
    /// entry of each connect; `None` for the window.
    program: Option<&'static str>,
    /// Sign-ins at MSP home tenants shared by their clients (`home.rs`).
    home_sign_ins: home::HomeSignIns,
    /// Role-policy templates of the demo and the undo of recent template applies.
    templates: Mutex<templates::TemplateState>,
    /// What Discover last found: the only vaults "add several at once" may add.
    discovered: Mutex<discover::LastDiscovery>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppCore {
    /// `demo_launch`: started for a demo — read nothing from disk, write nothing.
    pub fn new(paths: AppPaths, demo_launch: bool, notifier: Notifier) -> AppCore {
        let (mut config, config_error) = if demo_launch {
            (ConsoleConfig::default(), None)
        } else {
            match config::load(&paths.config_dir) {
                Ok(config) => (config, None),
                Err(error) => (ConsoleConfig::default(), Some(error)),
            }
        };
        if config.migrate()
            && let Err(error) = config::save(&paths.config_dir, &config)
        {
            notifier(Notice::from_error(&error));
        }
        // Every client from the file is validated: an invalid one is listed with its error and
        // never connected, the others load, and the file keeps it.
        let mut invalid = Vec::new();
        let clients = config
            .clients
            .iter()
            .map(|client| {
                let state = match config::check_client(client) {
                    Ok(_) => SlotState::Idle,
                    Err(error) => {
                        invalid.push(client.name.clone());
                        SlotState::Failed(error)
                    }
                };
                Slot {
                    config: client.clone(),
                    remembered: true,
                    state,
                }
            })
            .collect();
        let config_error = config_error
            .or_else(|| (!invalid.is_empty()).then(|| config::invalid_clients_error(&invalid)));
        AppCore {
            demo_launch,
            demo_clients: demo::DEMO_CLIENTS.len(),
            demo_clients_error: None,
            demo_operator: Mutex::new(None),
            config: Mutex::new(config),
            clients: Mutex::new(clients),
            demo: Mutex::new(None),
            attempts: Mutex::new(HashMap::new()),
            paths,
            general_error: Mutex::new(config_error),
            reminders: Mutex::new(reminders::ReminderState::default()),
            notifier,
            browser: Arc::new(|_| Err("no browser is available to this console".to_string())),
            on_status: Arc::new(|| {}),
            azure_options: AzureOptions::default(),
            ping_ca: None,
            ping_client: Mutex::new(None),
            host: hostname::get()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_default(),
            installation: Mutex::new(None),
            program: None,
            home_sign_ins: home::HomeSignIns::default(),
            templates: Mutex::new(templates::TemplateState::default()),
            discovered: Mutex::new(discover::LastDiscovery::default()),
        }
    }

    /// Tests shorten retries; the e2e build may trust the vendor stub's CA.
    pub fn with_options(mut self, azure: AzureOptions, ping_ca: Option<String>) -> AppCore {
        self.azure_options = azure;
        self.ping_ca = ping_ca;
        self.ping_client = Mutex::new(None);
        self
    }

    /// How many clients the demo seeds, as asked for outside (`AKV_DEMO_CLIENTS`); a number out
    /// of range keeps the default and is reported when the demo starts.
    pub fn with_demo_clients_asked(mut self, asked: &str) -> AppCore {
        match demo_clients_from(asked) {
            Ok(clients) => {
                self.demo_clients = clients;
                self.demo_clients_error = None;
            }
            Err(error) => self.demo_clients_error = Some(error),
        }
        self
    }

    /// How the front end opens the system browser for "Sign in with Microsoft", and learns of
    /// status changes that happen while a command is still running.
    pub fn with_front_end(mut self, browser: BrowserOpener, on_status: StatusListener) -> AppCore {
        self.browser = browser;
        self.on_status = on_status;
        self
    }

    /// Debug builds read two variables the end-to-end tests set: `AKV_E2E_FAST_RETRIES=1` (short
    /// Azure retries) and `AKV_E2E_PING_CA` (a PEM file the vendor ping trusts). Release builds
    /// ignore both.
    pub fn with_test_hooks(self) -> AppCore {
        if !cfg!(debug_assertions) {
            return self;
        }
        let azure = if std::env::var("AKV_E2E_FAST_RETRIES").is_ok_and(|v| v == "1") {
            AzureOptions {
                max_retries: 2,
                initial_delay: std::time::Duration::from_millis(50),
                max_delay: std::time::Duration::from_millis(200),
                max_total_elapsed: std::time::Duration::from_secs(5),
                request_timeout: std::time::Duration::from_secs(10),
                ..AzureOptions::default()
            }
        } else {
            AzureOptions::default()
        };
        let ping_ca =
            std::env::var_os("AKV_E2E_PING_CA").and_then(|path| std::fs::read_to_string(path).ok());
        self.with_options(azure, ping_ca)
    }

    pub fn paths(&self) -> &AppPaths {
        &self.paths
    }

    pub(crate) fn profile_name(&self) -> Option<String> {
        lock(&self.config).operator.as_ref().map(|p| p.name.clone())
    }

    fn is_demo(&self) -> bool {
        lock(&self.demo).is_some()
    }

    /// Run `f` on the slots in use: the demo's while it is open, else the Clients list.
    pub(crate) fn with_slots<T>(&self, f: impl FnOnce(&mut Vec<Slot>) -> T) -> T {
        let mut demo = lock(&self.demo);
        if let Some(slots) = demo.as_mut() {
            return f(slots);
        }
        drop(demo);
        f(&mut lock(&self.clients))
    }

    /// The operator acting on `connection`, resolved by Rust: the demo's chosen role, the
    /// signed-in user's app roles, or the typed name's role on the vault's roster. Never from a
    /// local file.
    pub(crate) fn operator_of(&self, connection: &Connection) -> Option<Operator> {
        match &connection.identity {
            ConnectionIdentity::Demo => lock(&self.demo_operator).clone(),
            // The id token's audience was verified to be the connection's client id, so the
            // connection's app is the app whose roles the token carries.
            ConnectionIdentity::SignedIn(credential)
            | ConnectionIdentity::SignedInViaHome(credential) => {
                let user = credential.user();
                Some(
                    Operator {
                        role: user.role(),
                        name: user.name,
                        identity: IdentityKind::Entra,
                        upn: Some(user.upn),
                        oid: Some(user.oid),
                        foreign_app: None,
                    }
                    .refuse_foreign_app(connection.console.foreign_app()),
                )
            }
            ConnectionIdentity::AppSecret => self.profile_name().map(|name| {
                let role = connection.console.policy().roster_role(&name);
                Operator::unverified(name, role)
                    .refuse_foreign_app(connection.console.foreign_app())
            }),
        }
    }

    /// One connected client's console and the operator acting on it.
    pub async fn client_console(&self, client_id: &str) -> AppResult<(Arc<Console>, Operator)> {
        let connection = self.with_slots(|slots| {
            slots
                .iter()
                .find(|s| s.config.id == client_id)
                .map(|s| (s.connection(), s.config.name.clone()))
        });
        match connection {
            None => Err(AppError::new(
                ErrorCode::NotConnected,
                "That client is not in the Clients list.",
                "It may have been removed; pick a client from the sidebar.",
            )),
            Some((None, name)) => Err(AppError::new(
                ErrorCode::NotConnected,
                format!("{name} is not connected."),
                "Connect it from the Clients list in the sidebar (it may need you to sign in again).",
            )),
            Some((Some(connection), _)) => {
                let operator = self.operator_of(&connection).ok_or_else(profile_required)?;
                Ok((connection.console.clone(), operator))
            }
        }
    }

    /// The console of the only connected client (one-client use, tests).
    pub async fn console(&self) -> AppResult<(Arc<Console>, Operator)> {
        let connected: Vec<String> = self.with_slots(|slots| {
            slots
                .iter()
                .filter(|s| s.connection().is_some())
                .map(|s| s.config.id.clone())
                .collect()
        });
        match connected.as_slice() {
            [] => Err(AppError::not_connected()),
            [only] => self.client_console(only).await,
            _ => Err(AppError::new(
                ErrorCode::InvalidInput,
                "Several clients are connected: choose one.",
                "Pick the client in the sidebar or the Client column.",
            )),
        }
    }

    /// Every connected client's console (or the one `client` names) with its operator.
    pub async fn consoles(&self, client: Option<&str>) -> AppResult<Vec<(Arc<Console>, Operator)>> {
        if let Some(id) = client {
            return Ok(vec![self.client_console(id).await?]);
        }
        let connections: Vec<Arc<Connection>> =
            self.with_slots(|slots| slots.iter().filter_map(Slot::connection).collect());
        if connections.is_empty() {
            return Err(AppError::not_connected());
        }
        Ok(connections
            .into_iter()
            .filter_map(|c| self.operator_of(&c).map(|op| (c.console.clone(), op)))
            .collect())
    }

    pub(crate) fn ping_client(&self) -> AppResult<PingClient> {
        let mut cached = lock(&self.ping_client);
        if let Some(client) = cached.as_ref() {
            return Ok(client.clone());
        }
        let client = PingClient::new(self.ping_ca.as_deref())?;
        // Only tests set a ping CA (debug builds' e2e hooks, integration tests): their vendors
        // are local stubs. Release builds ignore the allowance.
        let client = if self.ping_ca.is_some() {
            client.allowing_private_addresses_for_tests()?
        } else {
            client
        };
        *cached = Some(client.clone());
        Ok(client)
    }

    pub(crate) fn console_id(&self) -> AppResult<String> {
        let mut installation = lock(&self.installation);
        if let Some(id) = installation.as_ref() {
            return Ok(id.clone());
        }
        // Consoles before this one kept the id in config.json (which roams on Windows); it is
        // read from there once and no longer written back.
        let legacy = lock(&self.config).console_id.clone();
        let id = crate::installation::resolve(
            &crate::keychain::os(),
            &crate::installation::Place {
                data_dir: &self.paths.data_dir,
                config_dir: &self.paths.config_dir,
                host: &self.host,
            },
            legacy.as_deref(),
        )?;
        *installation = Some(id.clone());
        Ok(id)
    }

    /// Windows: consoles before this one kept the audit logs and reminders in the Roaming data
    /// folder; move them to the local one (once, never over local files). A failure is shown
    /// like an unreadable config file: the logs stay where they were and Verify will say so.
    pub fn adopting_roaming_data(self, roaming_data_dir: &std::path::Path) -> AppCore {
        if !self.demo_launch
            && let Err(error) =
                crate::installation::adopt_roaming_data(roaming_data_dir, &self.paths.data_dir)
        {
            (self.notifier)(Notice::from_error(&error));
            *lock(&self.general_error) = Some(error);
        }
        self
    }

    /// Set the operator's name. A role can be picked only in the demo (for training); connected,
    /// it comes from Entra (signed in) or each vault's roster (app secret), never from here.
    pub async fn set_profile(&self, name: &str, role: Option<Role>) -> AppResult<AppStatus> {
        let name = validate_text("name", "Name", name, MAX_OWNER_CHARS)?;
        if name.is_empty() {
            return Err(AppError::field(
                "name",
                "Enter your name.",
                "It is recorded with every action in the audit log.",
            ));
        }
        if self.is_demo() {
            let before = lock(&self.demo_operator).clone();
            let operator = Operator::demo(
                name,
                role.or(before.as_ref().and_then(|o| o.role))
                    .unwrap_or(Role::Admin),
            );
            *lock(&self.demo_operator) = Some(operator.clone());
            for (console, _) in self.consoles(None).await.unwrap_or_default() {
                console
                    .record(
                        &operator,
                        crate::audit::AuditAction::ProfileChange,
                        None,
                        None,
                        AuditResult::Ok,
                        format!("demo: {} as {}", operator.name, operator.role_label()),
                    )
                    .await;
            }
            return Ok(self.status().await);
        }
        if role.is_some() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "Roles are not picked in the profile.",
                "Signed in with Microsoft, your role comes from Entra ID; with the app secret, an Admin sets it on the vault's roster (Distribute tab).",
            ));
        }
        let connections: Vec<Arc<Connection>> =
            self.with_slots(|slots| slots.iter().filter_map(Slot::connection).collect());
        if connections.len() == 1
            && connections.iter().all(|c| {
                matches!(
                    c.identity,
                    ConnectionIdentity::SignedIn(_) | ConnectionIdentity::SignedInViaHome(_)
                )
            })
        {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "Your name and role come from your Microsoft sign-in.",
                "Change your display name in Entra ID; an Entra admin assigns console roles (Enterprise applications → the console's app → Users and groups).",
            ));
        }
        let previous = self.profile_name();
        {
            let mut config = lock(&self.config);
            config.operator = Some(Profile { name: name.clone() });
            config::save(&self.paths.config_dir, &config)?;
        }
        // Every app-secret client records the name change under the name's role there.
        for connection in connections
            .iter()
            .filter(|c| matches!(c.identity, ConnectionIdentity::AppSecret))
        {
            let role = connection.console.policy().roster_role(&name);
            connection
                .console
                .record_profile_change(
                    &Operator::unverified(name.clone(), role)
                        .refuse_foreign_app(connection.console.foreign_app()),
                    previous.as_deref(),
                )
                .await;
        }
        Ok(self.status().await)
    }

    /// Refresh every connected client's snapshot (or one), in parallel: one listing each. A
    /// failing client keeps its last good snapshot, marked stale, and never stops the others.
    pub async fn refresh(&self, client: Option<&str>) -> AppResult<AppStatus> {
        let consoles = self.consoles(client).await?;
        let results =
            futures::future::join_all(consoles.iter().map(|(console, operator)| async move {
                let result = console.refresh_keys_as(operator).await;
                // A policy changed at another console applies here too.
                let _ = console.refresh_policy().await;
                result
            }))
            .await;
        // One client asked for: its failure is the reply. All of them: failures show per client.
        if client.is_some()
            && let Some(Err(error)) = results.into_iter().next()
        {
            return Err(error);
        }
        Ok(self.status().await)
    }

    /// Which kind of store the only connected client has, if any.
    pub async fn store_kind(&self) -> Option<StoreKind> {
        self.console().await.ok().map(|(console, _)| console.kind())
    }
}

pub(crate) fn profile_required() -> AppError {
    AppError::new(
        ErrorCode::ProfileRequired,
        "Tell the console who you are first.",
        "Enter your name: with the app registration's secret every action is recorded under it (not verified). Or sign in with Microsoft, which names you itself.",
    )
}

#[cfg(test)]
mod counts_tests;
#[cfg(test)]
mod tests;
