//! The app's session: demo, not connected, or connected to a vault — signed in as the technician
//! (roles from Entra) or with the app registration's secret (typed name, roles from the vault's
//! roster) — plus the remembered connection. No Tauri imports: the commands and the tests drive
//! it alike.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use ts_rs::TS;

use crate::audit::{AuditAction, AuditLog, LogContext};
use crate::config::{self, ConsoleConfig, KeychainItem, Profile};
use crate::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use crate::domain::identity::{IdentityKind, Operator};
use crate::domain::policy::Role;
use crate::domain::reminders::{Reminder, ReminderLedger, due_reminders};
use crate::domain::secret::SecretValue;
use crate::domain::validation::{MAX_OWNER_CHARS, validate_text};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ping::PingClient;
use crate::service::trust::TamperAlert;
use crate::service::{
    AuditResult, Console, Notice, NoticeLevel, Notifier, PolicySource, vendor_name,
};
use crate::signin::{
    self, DeviceCodePrompt, SignInCancel, SignInMethod, SignInTarget, SignInUi, UserCredential,
};
use crate::store::azure::{AzureOptions, AzureStore, http_client};
use crate::store::demo::DemoStore;
use crate::store::{ANCHOR_PREFIX, ConsoleDocument, StoreKind};

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
    NotConnected,
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

/// What the top bar and the shell need to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppStatus {
    pub mode: Mode,
    /// "DEMO MODE", "NOT CONNECTED" or "VAULT: NAME".
    pub badge: String,
    pub vault_name: Option<String>,
    pub vault_url: Option<String>,
    pub cloud: Option<Cloud>,
    /// How the open connection authenticates.
    pub auth: Option<AuthMode>,
    /// The technician as Rust resolved them (name, role, how verified). `None` before connecting.
    pub operator: Option<Operator>,
    /// The name typed in the profile (app-secret mode), if any.
    pub profile_name: Option<String>,
    /// The remembered connection (no secret), to prefill the Connect modal.
    pub remembered: Option<ConnectionSettings>,
    /// A connection attempt is running (e.g. the remembered one at start).
    pub connecting: bool,
    pub sign_in: Option<SignInProgress>,
    /// Why the last connection attempt failed, until the next success.
    pub last_error: Option<AppError>,
    /// Roles can be picked by hand only in the demo.
    pub can_change_role: bool,
    /// Started with `--demo`: this window keeps everything in memory and cannot connect a vault.
    pub demo_launch: bool,
    /// This PC's audit log no longer matched the vault and no Admin has acknowledged it.
    pub audit_alert: Option<TamperAlert>,
}

/// The Connect modal's request.
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

/// Opens the system browser at a URL (the front end provides it: Tauri's opener in the app, an
/// HTTP client in tests).
pub type BrowserOpener = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Told when the status changed outside a reply (a device code arrived, a sign-in ended).
pub type StatusListener = Arc<dyn Fn() + Send + Sync>;

/// How an open connection proves who it is.
enum ConnectionIdentity {
    AppSecret,
    SignedIn(Arc<UserCredential>),
}

struct Connection {
    console: Arc<Console>,
    settings: ConnectionSettings,
    identity: ConnectionIdentity,
}

enum Session {
    NotConnected,
    Demo(Arc<Console>),
    Azure(Connection),
}

/// The operator the demo mode uses until the technician picks another role.
fn demo_operator(name: Option<&str>) -> Operator {
    Operator::demo(name.unwrap_or("Demo Technician"), Role::Admin)
}

pub struct AppCore {
    paths: AppPaths,
    demo_launch: bool,
    session: RwLock<Session>,
    config: Mutex<ConsoleConfig>,
    /// Who acts inside the demo: a name and a freely chosen role, for training.
    demo_operator: Mutex<Option<Operator>>,
    connecting: Mutex<bool>,
    sign_in: Mutex<Option<(SignInCancel, SignInProgress)>>,
    last_error: Mutex<Option<AppError>>,
    /// Reminder ledgers per store ("demo" or the vault name), loaded on first use.
    reminders: Mutex<HashMap<String, ReminderLedger>>,
    notifier: Notifier,
    browser: BrowserOpener,
    on_status: StatusListener,
    azure_options: AzureOptions,
    ping_ca: Option<String>,
    /// This computer's name, for the vault's registry of installations.
    host: String,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The sign-in flows' view of the front end.
struct CoreUi<'a>(&'a AppCore);

impl SignInUi for CoreUi<'_> {
    fn open_browser(&self, url: &str) -> Result<(), String> {
        (self.0.browser)(url)
    }

    fn show_device_code(&self, prompt: &DeviceCodePrompt) {
        if let Some((_, progress)) = lock(&self.0.sign_in).as_mut() {
            progress.device_code = Some(prompt.clone());
        }
        (self.0.on_status)();
    }
}

impl AppCore {
    /// `demo_launch`: started for a demo — read nothing from disk, write nothing.
    pub fn new(paths: AppPaths, demo_launch: bool, notifier: Notifier) -> AppCore {
        let (config, config_error) = if demo_launch {
            (ConsoleConfig::default(), None)
        } else {
            match config::load(&paths.config_dir) {
                Ok(config) => (config, None),
                Err(error) => (ConsoleConfig::default(), Some(error)),
            }
        };
        AppCore {
            demo_launch,
            demo_operator: Mutex::new(None),
            config: Mutex::new(config),
            paths,
            session: RwLock::new(Session::NotConnected),
            connecting: Mutex::new(false),
            sign_in: Mutex::new(None),
            last_error: Mutex::new(config_error),
            reminders: Mutex::new(HashMap::new()),
            notifier,
            browser: Arc::new(|_| Err("no browser is available to this console".to_string())),
            on_status: Arc::new(|| {}),
            azure_options: AzureOptions::default(),
            ping_ca: None,
            host: hostname::get()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }

    /// Tests shorten retries; the e2e build may trust the vendor stub's CA.
    pub fn with_options(mut self, azure: AzureOptions, ping_ca: Option<String>) -> AppCore {
        self.azure_options = azure;
        self.ping_ca = ping_ca;
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

    fn profile_name(&self) -> Option<String> {
        lock(&self.config).operator.as_ref().map(|p| p.name.clone())
    }

    /// The operator acting in `session`, resolved by Rust: the demo's chosen role, the signed-in
    /// user's app roles, or the typed name's role on the vault's roster. Never from a local file.
    fn operator_in(&self, session: &Session) -> Option<Operator> {
        match session {
            Session::NotConnected => None,
            Session::Demo(_) => lock(&self.demo_operator).clone(),
            Session::Azure(connection) => match &connection.identity {
                ConnectionIdentity::SignedIn(credential) => {
                    let user = credential.user();
                    Some(Operator {
                        role: user.role(),
                        name: user.name,
                        identity: IdentityKind::Entra,
                        upn: Some(user.upn),
                        oid: Some(user.oid),
                    })
                }
                ConnectionIdentity::AppSecret => self.profile_name().map(|name| {
                    let role = connection.console.policy().roster_role(&name);
                    Operator::unverified(name, role)
                }),
            },
        }
    }

    pub async fn status(&self) -> AppStatus {
        let session = self.session.read().await;
        let operator = self.operator_in(&session);
        let remembered = lock(&self.config).remembered.clone();
        let (mode, badge, vault_name, vault_url, cloud, auth, alert) = match &*session {
            Session::NotConnected => (
                Mode::NotConnected,
                "NOT CONNECTED".to_string(),
                None,
                None,
                None,
                None,
                None,
            ),
            Session::Demo(_) => (
                Mode::Demo,
                "DEMO MODE".to_string(),
                None,
                None,
                None,
                None,
                None,
            ),
            Session::Azure(connection) => (
                Mode::Connected,
                format!("VAULT: {}", connection.settings.vault_name.to_uppercase()),
                Some(connection.settings.vault_name.clone()),
                Some(connection.settings.vault_url()),
                Some(connection.settings.cloud),
                Some(connection.settings.auth),
                connection.console.tamper_alert(),
            ),
        };
        AppStatus {
            can_change_role: mode == Mode::Demo,
            mode,
            badge,
            vault_name,
            vault_url,
            cloud,
            auth,
            operator,
            profile_name: self.profile_name(),
            remembered,
            connecting: *lock(&self.connecting),
            sign_in: lock(&self.sign_in).as_ref().map(|(_, p)| p.clone()),
            last_error: lock(&self.last_error).clone(),
            demo_launch: self.demo_launch,
            audit_alert: alert,
        }
    }

    /// The open console and the operator acting on it.
    pub async fn console(&self) -> AppResult<(Arc<Console>, Operator)> {
        let session = self.session.read().await;
        let console = match &*session {
            Session::NotConnected => return Err(AppError::not_connected()),
            Session::Demo(console) => console.clone(),
            Session::Azure(connection) => connection.console.clone(),
        };
        let operator = self.operator_in(&session).ok_or_else(profile_required)?;
        Ok((console, operator))
    }

    fn ping_client(&self) -> AppResult<PingClient> {
        PingClient::new(self.ping_ca.as_deref())
    }

    /// Open the demo: a seeded in-memory store and an in-memory log.
    pub async fn start_demo(&self) -> AppResult<AppStatus> {
        let console = Arc::new(Console::new(
            Arc::new(DemoStore::seeded(Utc::now())),
            AuditLog::in_memory(),
            self.notifier.clone(),
            self.ping_client()?,
            "demo",
        ));
        console.refresh_policy().await?;
        let operator = demo_operator(self.profile_name().as_deref());
        *lock(&self.demo_operator) = Some(operator.clone());
        console.refresh().await?;
        console
            .record(
                &operator,
                AuditAction::Connect,
                None,
                None,
                AuditResult::Ok,
                "demo mode (in memory only)",
            )
            .await;
        self.close_session().await;
        *self.session.write().await = Session::Demo(console);
        *lock(&self.last_error) = None;
        Ok(self.status().await)
    }

    fn console_id(&self) -> AppResult<String> {
        let mut config = lock(&self.config);
        if let Some(id) = &config.console_id {
            return Ok(id.clone());
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        config.console_id = Some(id.clone());
        config::save(&self.paths.config_dir, &config)?;
        Ok(id)
    }

    fn sign_in_target(&self, settings: &ConnectionSettings) -> AppResult<SignInTarget> {
        Ok(SignInTarget {
            authority_host: settings.authority_host(),
            tenant_id: settings.tenant_id.clone(),
            client_id: settings.client_id.clone(),
            vault_scope: settings.vault_scope(),
            http: http_client(settings, &self.azure_options)?,
        })
    }

    /// Stop a sign-in that is waiting for the browser or the device code.
    pub fn cancel_sign_in(&self) {
        if let Some((cancel, _)) = lock(&self.sign_in).as_ref() {
            cancel.cancel();
        }
    }

    /// Run a connection attempt with the "connecting" flag and the last error kept up to date.
    async fn attempt(
        &self,
        work: impl std::future::Future<Output = AppResult<()>>,
    ) -> AppResult<AppStatus> {
        *lock(&self.connecting) = true;
        (self.on_status)();
        let result = work.await;
        *lock(&self.connecting) = false;
        *lock(&self.sign_in) = None;
        let outcome = match result {
            Ok(()) => {
                *lock(&self.last_error) = None;
                Ok(self.status().await)
            }
            Err(error) => {
                *lock(&self.last_error) = Some(error.clone());
                Err(error)
            }
        };
        (self.on_status)();
        outcome
    }

    /// "Test and connect" (app secret) or "Sign in with Microsoft": authenticate, list a page,
    /// check get permission, verify the audit log against the vault, open the session. The badge
    /// turns to the vault only when all of that worked; a failure keeps the old session.
    pub async fn connect(&self, request: ConnectRequest) -> AppResult<AppStatus> {
        self.attempt(self.try_connect(request)).await
    }

    async fn try_connect(&self, request: ConnectRequest) -> AppResult<()> {
        if self.demo_launch {
            return Err(AppError::new(
                ErrorCode::DemoOnly,
                "This window was started in demo mode, which never touches a vault or the disk.",
                "Close it and start the console normally (without --demo) to connect your Azure Key Vault.",
            ));
        }
        let settings = request.settings.validated()?;
        match settings.auth {
            AuthMode::AppSecret => {
                if self.profile_name().is_none() {
                    return Err(profile_required());
                }
                let secret = request
                    .client_secret
                    .unwrap_or_else(|| SecretValue::new(""));
                let store = AzureStore::connect(&settings, &secret, &self.azure_options)?;
                self.open_connection(settings.clone(), store, ConnectionIdentity::AppSecret)
                    .await?;
                if request.remember {
                    self.remember(&settings, |settings| {
                        config::store_secret(settings, KeychainItem::ClientSecret, &secret)
                    });
                }
            }
            AuthMode::SignIn => {
                let method = request.method.unwrap_or(SignInMethod::Browser);
                let target = self.sign_in_target(&settings)?;
                let cancel = SignInCancel::default();
                *lock(&self.sign_in) = Some((
                    cancel.clone(),
                    SignInProgress {
                        method,
                        device_code: None,
                    },
                ));
                (self.on_status)();
                let credential = signin::sign_in(&target, method, &CoreUi(self), &cancel).await?;
                self.open_signed_in(&settings, credential.clone()).await?;
                if request.remember {
                    self.remember_sign_in(&settings, &credential).await;
                }
            }
        }
        Ok(())
    }

    async fn open_signed_in(
        &self,
        settings: &ConnectionSettings,
        credential: Arc<UserCredential>,
    ) -> AppResult<()> {
        let store = AzureStore::with_credential(
            settings,
            credential.clone(),
            Some(credential.user().upn),
            &self.azure_options,
        )?;
        self.open_connection(
            settings.clone(),
            store,
            ConnectionIdentity::SignedIn(credential),
        )
        .await
    }

    /// The shared second half of every connect: the audit log, the policy (and the roster's
    /// first Admin in app-secret mode), the trust check against the vault, then the session.
    async fn open_connection(
        &self,
        settings: ConnectionSettings,
        store: AzureStore,
        identity: ConnectionIdentity,
    ) -> AppResult<()> {
        // Reconnecting to the vault already open: its audit log is locked by the current
        // session, so end that session before opening the log again.
        let same_vault = matches!(&*self.session.read().await,
            Session::Azure(open) if open.settings.vault_name == settings.vault_name);
        if same_vault {
            self.close_session().await;
        }

        let console_id = self.console_id()?;
        let log_path = self
            .paths
            .data_dir
            .join("audit")
            .join(format!("{}.jsonl", settings.vault_name));
        let (mut log, opened) = AuditLog::open(&log_path)
            .map_err(|e| AppError::new(ErrorCode::AuditWriteFailed, e.to_string(), e.hint()))?;
        log.set_context(LogContext {
            client: Some(settings.vault_name.clone()),
            vault: Some(settings.vault_name.clone()),
            installation: Some(console_id.clone()),
        });
        let console = Arc::new(Console::new(
            Arc::new(store),
            log,
            self.notifier.clone(),
            self.ping_client()?,
            &console_id,
        ));
        if let Some(torn) = &opened.torn_tail {
            (self.notifier)(Notice {
                level: NoticeLevel::Warning,
                message: format!(
                    "The audit log's last line was incomplete (an interrupted write); {} bytes were moved to {}.",
                    torn.bytes, torn.moved_to
                ),
                hint: Some(
                    "The log continues safely; the recovery is recorded as an entry.".into(),
                ),
            });
        }
        // One listing of the vault fills the snapshot every view reads; it also proves the
        // credential and list permission. Reading the policy proves get permission.
        console.refresh().await?;
        console.refresh_policy().await?;
        let connection = Connection {
            console: console.clone(),
            settings: settings.clone(),
            identity,
        };
        let bootstrap = match &connection.identity {
            ConnectionIdentity::AppSecret => self.bootstrap_roster(&console).await?,
            ConnectionIdentity::SignedIn(_) => None,
        };
        let session = Session::Azure(connection);
        let operator = self.operator_in(&session).ok_or_else(profile_required)?;

        // Before the first entry of this session: the whole chain against the vault.
        console
            .open_session_trust(&operator, &self.host, Utc::now())
            .await?;
        if let Some(note) = bootstrap {
            console.record_bootstrap(&operator, &note).await;
        }
        console.record_outside_changes(&operator).await;
        let how = match settings.auth {
            AuthMode::SignIn => "signed in with Microsoft",
            AuthMode::AppSecret => "app registration secret, identity not verified",
        };
        console
            .record(
                &operator,
                AuditAction::Connect,
                None,
                None,
                AuditResult::Ok,
                format!(
                    "{} ({}; {how})",
                    settings.vault_url(),
                    settings.cloud.label()
                ),
            )
            .await;
        self.close_session().await;
        *self.session.write().await = session;
        Ok(())
    }

    /// App-secret mode: make the first operator the roster's Admin on a vault the console has
    /// never used (no policy, no anchors, no registry), or on a policy from before the roster.
    /// A policy missing from a vault that consoles have used is not re-created: that would let
    /// whoever deleted it become Admin. Returns the audit note of a bootstrap.
    async fn bootstrap_roster(&self, console: &Console) -> AppResult<Option<String>> {
        let Some(name) = self.profile_name() else {
            return Ok(None);
        };
        match console.policy_source() {
            PolicySource::Stored if console.policy().roster.is_none() => {
                console.bootstrap_roster(&name).await?;
                Ok(Some(format!(
                    "{name} became Admin of the roster (the vault's policy predates the roster)"
                )))
            }
            PolicySource::Missing => {
                let used_before = console.cached_documents().iter().any(|d| {
                    d.name.starts_with(ANCHOR_PREFIX)
                        || d.name == ConsoleDocument::AuditRegistry.secret_name()
                });
                if used_before {
                    (self.notifier)(Notice {
                        level: NoticeLevel::Error,
                        message: "The role policy is missing from a vault that consoles have used before, so only an Admin may act and nobody is Admin.".into(),
                        hint: Some("Recover the soft-deleted secret akv-console-role-policy (Azure Portal → the vault → Secrets → Manage deleted secrets, or az keyvault secret recover), then reconnect.".into()),
                    });
                    return Ok(None);
                }
                console.bootstrap_policy(&name).await?;
                Ok(Some(format!(
                    "{name} became the first Admin of this vault; the manual's default grants were saved as its policy"
                )))
            }
            _ => Ok(None),
        }
    }

    /// "Remember this connection": the settings in the config file, the secret in the keychain.
    /// The connection works either way; failing to remember it is a warning, not a failure.
    fn remember(
        &self,
        settings: &ConnectionSettings,
        store_secret: impl FnOnce(&ConnectionSettings) -> AppResult<()>,
    ) {
        let keychain = store_secret(settings);
        let saved = {
            let mut config = lock(&self.config);
            config.remembered = Some(settings.clone());
            config::save(&self.paths.config_dir, &config)
        };
        for error in [keychain.err(), saved.err()].into_iter().flatten() {
            (self.notifier)(Notice::from_error(&error));
        }
    }

    /// Signed in with "Remember me": only the refresh token goes to the keychain, and each new
    /// one replaces it as it rotates.
    async fn remember_sign_in(&self, settings: &ConnectionSettings, credential: &UserCredential) {
        let notifier = self.notifier.clone();
        let keychain_settings = settings.clone();
        self.remember(settings, |_| Ok(()));
        credential
            .remember_with(Box::new(move |token| {
                if let Err(error) =
                    config::store_secret(&keychain_settings, KeychainItem::RefreshToken, token)
                {
                    notifier(Notice::from_error(&error));
                }
            }))
            .await;
    }

    /// At start: connect with the remembered settings and the keychain's secret or refresh
    /// token, if both exist.
    pub async fn connect_remembered(&self) -> Option<AppResult<AppStatus>> {
        let settings = lock(&self.config).remembered.clone()?;
        let item = match settings.auth {
            AuthMode::AppSecret => KeychainItem::ClientSecret,
            AuthMode::SignIn => KeychainItem::RefreshToken,
        };
        let secret = match config::load_secret(&settings, item) {
            Ok(Some(secret)) => secret,
            Ok(None) => return None,
            Err(error) => {
                *lock(&self.last_error) = Some(error.clone());
                return Some(Err(error));
            }
        };
        Some(match settings.auth {
            AuthMode::AppSecret => {
                self.connect(ConnectRequest {
                    settings,
                    client_secret: Some(secret),
                    method: None,
                    remember: false,
                })
                .await
            }
            AuthMode::SignIn => {
                self.attempt(async {
                    let settings = settings.validated()?;
                    let target = self.sign_in_target(&settings)?;
                    let credential = signin::resume(&target, secret).await?;
                    self.open_signed_in(&settings, credential.clone()).await?;
                    self.remember_sign_in(&settings, &credential).await;
                    Ok(())
                })
                .await
            }
        })
    }

    async fn close_session(&self) {
        let previous = std::mem::replace(&mut *self.session.write().await, Session::NotConnected);
        if let Session::Azure(connection) = &previous {
            let operator = self.operator_in(&previous);
            if let Some(operator) = operator {
                connection
                    .console
                    .record(
                        &operator,
                        AuditAction::Disconnect,
                        None,
                        None,
                        AuditResult::Ok,
                        "",
                    )
                    .await;
            }
            if let ConnectionIdentity::SignedIn(credential) = &connection.identity {
                credential.sign_out().await;
            }
        }
    }

    /// Disconnect (sign out): the client and every token or secret are dropped from memory.
    pub async fn disconnect(&self) -> AppStatus {
        self.close_session().await;
        self.status().await
    }

    /// Forget the remembered connection: the config entry and the keychain's secret or token.
    pub async fn forget(&self) -> AppResult<AppStatus> {
        let remembered = lock(&self.config).remembered.clone();
        if let Some(settings) = &remembered {
            config::forget_secret(settings, KeychainItem::ClientSecret)?;
            config::forget_secret(settings, KeychainItem::RefreshToken)?;
        }
        {
            let mut config = lock(&self.config);
            config.remembered = None;
            config::save(&self.paths.config_dir, &config)?;
        }
        Ok(self.status().await)
    }

    /// Set the operator's name. A role can be picked only in the demo (for training); connected,
    /// it comes from Entra (signed in) or the vault's roster (app secret), never from here.
    pub async fn set_profile(&self, name: &str, role: Option<Role>) -> AppResult<AppStatus> {
        let name = validate_text("name", "Name", name, MAX_OWNER_CHARS)?;
        if name.is_empty() {
            return Err(AppError::field(
                "name",
                "Enter your name.",
                "It is recorded with every action in the audit log.",
            ));
        }
        let session = self.session.read().await;
        match &*session {
            Session::Demo(console) => {
                let before = lock(&self.demo_operator).clone();
                let operator = Operator::demo(
                    name,
                    role.or(before.as_ref().and_then(|o| o.role))
                        .unwrap_or(Role::Admin),
                );
                *lock(&self.demo_operator) = Some(operator.clone());
                let console = console.clone();
                drop(session);
                console
                    .record(
                        &operator,
                        AuditAction::ProfileChange,
                        None,
                        None,
                        AuditResult::Ok,
                        format!("demo: {} as {}", operator.name, operator.role_label()),
                    )
                    .await;
                return Ok(self.status().await);
            }
            Session::Azure(Connection {
                identity: ConnectionIdentity::SignedIn(_),
                ..
            }) => {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    "Your name and role come from your Microsoft sign-in.",
                    "Change your display name in Entra ID; an Entra admin assigns console roles (Enterprise applications → the console's app → Users and groups).",
                ));
            }
            _ => {}
        }
        if role.is_some() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "Roles are not picked in the profile.",
                "Signed in with Microsoft, your role comes from Entra ID; with the app secret, an Admin sets it on the vault's roster (Distribute tab).",
            ));
        }
        let console = match &*session {
            Session::Azure(connection) => Some(connection.console.clone()),
            _ => None,
        };
        drop(session);
        let previous = self.profile_name();
        {
            let mut config = lock(&self.config);
            config.operator = Some(Profile { name: name.clone() });
            config::save(&self.paths.config_dir, &config)?;
        }
        if let Some(console) = console {
            let role = console.policy().roster_role(&name);
            console
                .record_profile_change(&Operator::unverified(name, role), previous.as_deref())
                .await;
        }
        Ok(self.status().await)
    }

    /// Refresh the open vault's snapshot (the Refresh button, F5, the background timer): one
    /// listing; changes made outside the console are recorded under the current operator. A
    /// failure keeps the last good snapshot, marked stale.
    pub async fn refresh(&self) -> AppResult<AppStatus> {
        let (console, operator) = self.console().await?;
        console.refresh_keys_as(&operator).await?;
        // A policy changed at another console applies here too.
        let _ = console.refresh_policy().await;
        Ok(self.status().await)
    }

    /// Expiry reminders due now (each threshold once per key and expiry).
    pub async fn due_reminders(&self) -> Vec<Reminder> {
        // Each store has its own ledger, so a demo visit or another vault never makes this
        // vault's reminders fire again.
        let (console, store) = match &*self.session.read().await {
            Session::NotConnected => return Vec::new(),
            Session::Demo(console) => (console.clone(), None),
            Session::Azure(connection) => (
                connection.console.clone(),
                Some(connection.settings.vault_name.clone()),
            ),
        };
        // The snapshot: reminders never list the vault themselves.
        let keys = console.cached_keys();
        let mut ledgers = lock(&self.reminders);
        let ledger = ledgers
            .entry(store.clone().unwrap_or_else(|| "demo".to_string()))
            .or_insert_with(|| match &store {
                Some(vault) => config::load_reminders(&self.paths.data_dir, vault),
                None => ReminderLedger::default(),
            });
        let due = due_reminders(&keys, |r| vendor_name(&r.vendor_id), Utc::now(), ledger);
        if let Some(vault) = &store
            && !due.is_empty()
            && let Err(error) = config::save_reminders(&self.paths.data_dir, vault, ledger)
        {
            (self.notifier)(Notice::from_error(&error));
        }
        due
    }

    /// Which kind of store is open, if any.
    pub async fn store_kind(&self) -> Option<StoreKind> {
        match &*self.session.read().await {
            Session::NotConnected => None,
            Session::Demo(console) => Some(console.kind()),
            Session::Azure(connection) => Some(connection.console.kind()),
        }
    }
}

fn profile_required() -> AppError {
    AppError::new(
        ErrorCode::ProfileRequired,
        "Tell the console who you are first.",
        "Enter your name: with the app registration's secret every action is recorded under it (not verified). Or sign in with Microsoft, which names you itself.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(dir: &std::path::Path, demo_launch: bool) -> AppCore {
        AppCore::new(
            AppPaths {
                config_dir: dir.join("config"),
                data_dir: dir.join("data"),
            },
            demo_launch,
            Arc::new(|_| {}),
        )
    }

    fn request() -> ConnectRequest {
        ConnectRequest {
            settings: ConnectionSettings {
                tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
                client_id: "11111111-2222-3333-4444-555555555555".into(),
                vault_name: "msp-api-keyvault".into(),
                cloud: Cloud::AzurePublic,
                authority_host: None,
                vault_url: None,
                ca_pem: None,
                auth: AuthMode::AppSecret,
            },
            client_secret: Some(SecretValue::new("secret")),
            method: None,
            remember: true,
        }
    }

    #[tokio::test]
    async fn a_demo_launch_refuses_to_connect_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path(), true);
        core.start_demo().await.expect("demo");
        core.set_profile("Trainer", Some(Role::L1))
            .await
            .expect("any role in demo");
        let error = core
            .connect(request())
            .await
            .expect_err("no vault from a demo launch");
        assert_eq!(error.code, ErrorCode::DemoOnly);
        assert!(core.status().await.demo_launch);
        assert!(!dir.path().join("config").exists() && !dir.path().join("data").exists());
    }

    #[tokio::test]
    async fn roles_are_picked_only_in_the_demo_and_never_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path(), false);
        let refused = core
            .set_profile("Lee", Some(Role::Admin))
            .await
            .expect_err("no role outside the demo");
        assert_eq!(refused.code, ErrorCode::InvalidInput);
        core.set_profile("Lee", None).await.expect("a name");
        let status = core.status().await;
        assert_eq!(status.profile_name.as_deref(), Some("Lee"));
        assert_eq!(status.operator, None, "no role before connecting");
        assert!(!status.can_change_role);

        core.start_demo().await.expect("demo");
        core.set_profile("Lee", Some(Role::Noc))
            .await
            .expect("demo role switch");
        let (_, operator) = core.console().await.expect("console");
        assert_eq!(operator.role, Some(Role::Noc));
        assert_eq!(operator.identity, IdentityKind::Demo);
        assert!(core.status().await.can_change_role);
        let saved = std::fs::read_to_string(dir.path().join("config").join(config::CONFIG_FILE))
            .expect("config");
        assert!(
            !saved.contains("NOC") && !saved.contains("Admin"),
            "no role in the config file: {saved}"
        );
    }

    #[tokio::test]
    async fn app_secret_mode_needs_a_name_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path(), false);
        let error = core.connect(request()).await.expect_err("who are you?");
        assert_eq!(error.code, ErrorCode::ProfileRequired);
    }
}
