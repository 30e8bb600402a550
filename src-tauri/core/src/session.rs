//! The app's session: demo, not connected, or connected to a vault; the operator profile; and
//! the remembered connection. No Tauri imports — the commands and the tests drive it alike.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use ts_rs::TS;

use crate::audit::AuditLog;
use crate::config::{self, ConsoleConfig};
use crate::domain::connection::{Cloud, ConnectionSettings};
use crate::domain::policy::{AdminAction, Role, check_admin};
use crate::domain::reminders::{Reminder, ReminderLedger, due_reminders};
use crate::domain::secret::SecretValue;
use crate::domain::validation::{MAX_OWNER_CHARS, validate_text};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ping::PingClient;
use crate::service::{Console, NoticeLevel, Notifier, Operator, vendor_name};
use crate::store::StoreKind;
use crate::store::azure::{AzureOptions, AzureStore};
use crate::store::demo::DemoStore;

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
    pub operator: Option<Operator>,
    /// The remembered connection (no secret), to prefill the Connect modal.
    pub remembered: Option<ConnectionSettings>,
    /// A connection attempt is running (e.g. the remembered one at start).
    pub connecting: bool,
    /// Why the last connection attempt failed, until the next success.
    pub last_error: Option<AppError>,
    /// May the operator change their own role now (Admin, first start, or demo mode)?
    pub can_change_role: bool,
    /// Started with `--demo`: this window keeps everything in memory and cannot connect a vault.
    pub demo_launch: bool,
}

/// The Connect modal's request.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConnectRequest {
    pub settings: ConnectionSettings,
    #[ts(type = "string")]
    pub client_secret: SecretValue,
    #[serde(default)]
    pub remember: bool,
}

enum Session {
    NotConnected,
    Demo(Arc<Console>),
    Azure {
        console: Arc<Console>,
        settings: ConnectionSettings,
    },
}

/// The operator the demo mode uses until the technician sets their own.
fn demo_operator() -> Operator {
    Operator {
        name: "Demo Technician".to_string(),
        role: Role::Admin,
    }
}

pub struct AppCore {
    paths: AppPaths,
    demo_launch: bool,
    session: RwLock<Session>,
    config: Mutex<ConsoleConfig>,
    /// The technician's own profile (from the config file).
    operator: Mutex<Option<Operator>>,
    /// Who acts inside the demo: starts as the real profile (or a demo Admin) and may switch
    /// roles freely for training, without touching the real profile.
    demo_operator: Mutex<Option<Operator>>,
    connecting: Mutex<bool>,
    last_error: Mutex<Option<AppError>>,
    /// Reminder ledgers per store ("demo" or the vault name), loaded on first use.
    reminders: Mutex<HashMap<String, ReminderLedger>>,
    notifier: Notifier,
    azure_options: AzureOptions,
    ping_ca: Option<String>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
            operator: Mutex::new(config.operator.clone()),
            demo_operator: Mutex::new(None),
            config: Mutex::new(config),
            paths,
            session: RwLock::new(Session::NotConnected),
            connecting: Mutex::new(false),
            last_error: Mutex::new(config_error),
            reminders: Mutex::new(HashMap::new()),
            notifier,
            azure_options: AzureOptions::default(),
            ping_ca: None,
        }
    }

    /// Tests shorten retries; the e2e build may trust the vendor stub's CA.
    pub fn with_options(mut self, azure: AzureOptions, ping_ca: Option<String>) -> AppCore {
        self.azure_options = azure;
        self.ping_ca = ping_ca;
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

    /// The operator acting in `session`.
    fn operator_in(&self, session: &Session) -> Option<Operator> {
        match session {
            Session::Demo(_) => lock(&self.demo_operator).clone(),
            _ => lock(&self.operator).clone(),
        }
    }

    pub async fn status(&self) -> AppStatus {
        let session = self.session.read().await;
        let operator = self.operator_in(&session);
        let remembered = lock(&self.config).remembered.clone();
        let (mode, badge, vault_name, vault_url, cloud) = match &*session {
            Session::NotConnected => (
                Mode::NotConnected,
                "NOT CONNECTED".to_string(),
                None,
                None,
                None,
            ),
            Session::Demo(_) => (Mode::Demo, "DEMO MODE".to_string(), None, None, None),
            Session::Azure { settings, .. } => (
                Mode::Connected,
                format!("VAULT: {}", settings.vault_name.to_uppercase()),
                Some(settings.vault_name.clone()),
                Some(settings.vault_url()),
                Some(settings.cloud),
            ),
        };
        AppStatus {
            can_change_role: mode == Mode::Demo
                || operator.as_ref().is_none_or(|o| o.role == Role::Admin),
            mode,
            badge,
            vault_name,
            vault_url,
            cloud,
            operator,
            remembered,
            connecting: *lock(&self.connecting),
            last_error: lock(&self.last_error).clone(),
            demo_launch: self.demo_launch,
        }
    }

    /// The open console and the operator acting on it.
    pub async fn console(&self) -> AppResult<(Arc<Console>, Operator)> {
        let session = self.session.read().await;
        let console = match &*session {
            Session::NotConnected => return Err(AppError::not_connected()),
            Session::Demo(console) | Session::Azure { console, .. } => console.clone(),
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
        let operator = lock(&self.operator).clone().unwrap_or_else(demo_operator);
        *lock(&self.demo_operator) = Some(operator.clone());
        console.refresh_keys().await?;
        console
            .record(
                &operator,
                crate::audit::AuditAction::Connect,
                None,
                None,
                crate::service::AuditResult::Ok,
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

    /// "Test and connect": sign in, list a page, check get permission, open the audit log. The
    /// badge turns to the vault only when all of that worked; a failure keeps the old session.
    pub async fn connect(&self, request: ConnectRequest) -> AppResult<AppStatus> {
        *lock(&self.connecting) = true;
        let result = self.try_connect(request).await;
        *lock(&self.connecting) = false;
        match result {
            Ok(()) => {
                *lock(&self.last_error) = None;
                Ok(self.status().await)
            }
            Err(error) => {
                *lock(&self.last_error) = Some(error.clone());
                Err(error)
            }
        }
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
        let operator = lock(&self.operator).clone().ok_or_else(profile_required)?;
        let store = AzureStore::connect(&settings, &request.client_secret, &self.azure_options)?;
        store.check_access().await?;

        // Reconnecting to the vault already open: its audit log is locked by the current
        // session, so end that session before opening the log again.
        let same_vault = matches!(&*self.session.read().await,
            Session::Azure { settings: open, .. } if open.vault_name == settings.vault_name);
        if same_vault {
            self.close_session().await;
        }

        let console_id = self.console_id()?;
        let log_path = self
            .paths
            .data_dir
            .join("audit")
            .join(format!("{}.jsonl", settings.vault_name));
        let (log, opened) = AuditLog::open(&log_path)
            .map_err(|e| AppError::new(ErrorCode::AuditWriteFailed, e.to_string(), e.hint()))?;
        let console = Arc::new(Console::new(
            Arc::new(store),
            log,
            self.notifier.clone(),
            self.ping_client()?,
            &console_id,
        ));
        if let Some(torn) = &opened.torn_tail {
            (self.notifier)(crate::service::Notice {
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
        console.refresh_policy().await?;
        console.refresh_keys().await?;
        console
            .record(
                &operator,
                crate::audit::AuditAction::Connect,
                None,
                None,
                crate::service::AuditResult::Ok,
                format!("{} ({})", settings.vault_url(), settings.cloud.label()),
            )
            .await;

        if request.remember {
            // The connection works; failing to remember it is worth a warning, not a failure.
            if let Err(error) = self.remember(&settings, &request.client_secret) {
                (self.notifier)(crate::service::Notice::from_error(&error));
            }
        }
        self.close_session().await;
        *self.session.write().await = Session::Azure { console, settings };
        Ok(())
    }

    fn remember(&self, settings: &ConnectionSettings, secret: &SecretValue) -> AppResult<()> {
        let keychain = config::store_client_secret(settings, secret);
        let mut config = lock(&self.config);
        config.remembered = Some(settings.clone());
        config::save(&self.paths.config_dir, &config)?;
        if let Err(error) = keychain {
            (self.notifier)(crate::service::Notice {
                level: NoticeLevel::Warning,
                message: error.message,
                hint: Some(error.hint),
            });
        }
        Ok(())
    }

    /// At start: connect with the remembered settings and the keychain's secret, if both exist.
    pub async fn connect_remembered(&self) -> Option<AppResult<AppStatus>> {
        let settings = lock(&self.config).remembered.clone()?;
        let secret = match config::load_client_secret(&settings) {
            Ok(Some(secret)) => secret,
            Ok(None) => return None,
            Err(error) => {
                *lock(&self.last_error) = Some(error.clone());
                return Some(Err(error));
            }
        };
        Some(
            self.connect(ConnectRequest {
                settings,
                client_secret: secret,
                remember: false,
            })
            .await,
        )
    }

    async fn close_session(&self) {
        let previous = std::mem::replace(&mut *self.session.write().await, Session::NotConnected);
        let operator = lock(&self.operator).clone();
        if let (Session::Azure { console, .. }, Some(operator)) = (previous, operator) {
            console
                .record(
                    &operator,
                    crate::audit::AuditAction::Disconnect,
                    None,
                    None,
                    crate::service::AuditResult::Ok,
                    "",
                )
                .await;
        }
    }

    /// Disconnect: the client (with the SDK's copy of the secret) and the token are dropped.
    pub async fn disconnect(&self) -> AppStatus {
        self.close_session().await;
        self.status().await
    }

    /// Forget the remembered connection: the config entry and the keychain's secret.
    pub async fn forget(&self) -> AppResult<AppStatus> {
        let remembered = lock(&self.config).remembered.clone();
        if let Some(settings) = &remembered {
            config::forget_client_secret(settings)?;
        }
        {
            let mut config = lock(&self.config);
            config.remembered = None;
            config::save(&self.paths.config_dir, &config)?;
        }
        Ok(self.status().await)
    }

    /// Set the operator profile. A role change needs an Admin, except at first start and in the
    /// demo (where trainers switch roles to show the policy at work).
    pub async fn set_profile(&self, name: &str, role: Role) -> AppResult<AppStatus> {
        let name = validate_text("name", "Name", name, MAX_OWNER_CHARS)?;
        if name.is_empty() {
            return Err(AppError::field(
                "name",
                "Enter your name.",
                "It is recorded with every action in the audit log.",
            ));
        }
        let session = self.session.read().await;
        let demo = matches!(&*session, Session::Demo(_));
        let before = self.operator_in(&session);
        let console = match &*session {
            Session::Demo(console) | Session::Azure { console, .. } => Some(console.clone()),
            Session::NotConnected => None,
        };
        drop(session);
        if let Some(previous) = &before
            && previous.role != role
            && !demo
            && let Err(error) = check_admin(previous.role, AdminAction::ChangeRole)
        {
            if let Some(console) = &console {
                console
                    .record(
                        previous,
                        crate::audit::AuditAction::ProfileChange,
                        None,
                        None,
                        &error,
                        format!("tried role {} → {}", previous.role.label(), role.label()),
                    )
                    .await;
            }
            return Err(error);
        }
        let operator = Operator { name, role };
        if demo {
            // A role picked for a demo stays in the demo.
            *lock(&self.demo_operator) = Some(operator.clone());
        } else {
            *lock(&self.operator) = Some(operator.clone());
            let mut config = lock(&self.config);
            config.operator = Some(operator.clone());
            config::save(&self.paths.config_dir, &config)?;
        }
        if let Some(console) = console {
            console
                .record_profile_change(&operator, before.as_ref())
                .await;
        }
        Ok(self.status().await)
    }

    /// Expiry reminders due now (each threshold once per key and expiry).
    pub async fn due_reminders(&self) -> Vec<Reminder> {
        // Each store has its own ledger, so a demo visit or another vault never makes this
        // vault's reminders fire again.
        let (console, store) = match &*self.session.read().await {
            Session::NotConnected => return Vec::new(),
            Session::Demo(console) => (console.clone(), None),
            Session::Azure { console, settings } => {
                (console.clone(), Some(settings.vault_name.clone()))
            }
        };
        let keys = match console.refresh_keys().await {
            Ok(keys) => keys,
            Err(_) => console.cached_keys(),
        };
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
            (self.notifier)(crate::service::Notice::from_error(&error));
        }
        due
    }

    /// Which kind of store is open, if any.
    pub async fn store_kind(&self) -> Option<StoreKind> {
        match &*self.session.read().await {
            Session::NotConnected => None,
            Session::Demo(console) | Session::Azure { console, .. } => Some(console.kind()),
        }
    }
}

fn profile_required() -> AppError {
    AppError::new(
        ErrorCode::ProfileRequired,
        "Tell the console who you are first.",
        "Enter your name and role; every action is recorded under them in the audit log.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::connection::Cloud;

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
            },
            client_secret: SecretValue::new("secret"),
            remember: true,
        }
    }

    #[tokio::test]
    async fn a_demo_launch_refuses_to_connect_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path(), true);
        core.start_demo().await.expect("demo");
        core.set_profile("Trainer", Role::L1)
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
    async fn a_role_picked_in_the_demo_stays_in_the_demo() {
        let dir = tempfile::tempdir().expect("tempdir");
        let l1 = Operator {
            name: "Lee".into(),
            role: Role::L1,
        };
        config::save(
            &dir.path().join("config"),
            &ConsoleConfig {
                operator: Some(l1.clone()),
                ..Default::default()
            },
        )
        .expect("config");
        let core = core(dir.path(), false);
        core.start_demo().await.expect("demo");
        assert_eq!(
            core.status().await.operator,
            Some(l1.clone()),
            "the demo starts as you"
        );
        core.set_profile("Lee", Role::Admin)
            .await
            .expect("demo role switch");
        assert_eq!(core.console().await.expect("console").1.role, Role::Admin);

        core.disconnect().await;
        let status = core.status().await;
        assert_eq!(
            status.operator,
            Some(l1.clone()),
            "back to the real profile"
        );
        assert!(!status.can_change_role);
        let error = core
            .set_profile("Lee", Role::Admin)
            .await
            .expect_err("L1 cannot promote");
        assert_eq!(error.code, ErrorCode::AdminOnly);
        assert_eq!(
            config::load(&dir.path().join("config"))
                .expect("load")
                .operator,
            Some(l1)
        );
    }

    #[tokio::test]
    async fn the_first_profile_is_saved_and_role_changes_then_need_an_admin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path(), false);
        assert!(core.status().await.can_change_role);
        core.set_profile("Dana", Role::Admin)
            .await
            .expect("first start");
        core.set_profile("Dana", Role::L2)
            .await
            .expect("an Admin may change roles");
        let error = core
            .set_profile("Dana", Role::Admin)
            .await
            .expect_err("L2 may not");
        assert_eq!(error.code, ErrorCode::AdminOnly);
        let saved = config::load(&dir.path().join("config")).expect("load");
        assert_eq!(saved.operator.map(|o| o.role), Some(Role::L2));
    }
}
