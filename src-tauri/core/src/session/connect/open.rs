//! Opening one client's connection: the credential, the snapshot, the role policy, the audit log, the keychain.

use std::sync::Arc;

use chrono::Utc;

use crate::audit::{AuditAction, AuditLog, LogContext};
use crate::config::{self, ClientConfig, KeychainItem};
use crate::domain::connection::{AuthMode, ConnectionSettings};
use crate::domain::identity::ConsoleApp;
use crate::domain::policy::Role;
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::connector::OwnApp;
use crate::service::{AuditResult, ClientRef, Console, Notice, NoticeLevel, PolicySource};
use crate::session::{
    AppCore, Connection, ConnectionIdentity, SecretExpiry, Slot, SlotState, lock, profile_required,
};
use crate::signin::{self, SignInCancel, UserCredential};
use crate::store::azure::{AzureStore, http_client};
use crate::store::{ANCHOR_PREFIX, ConsoleDocument};

use super::{CoreUi, Credential};

fn keychain_item(settings: &ConnectionSettings) -> KeychainItem {
    match settings.auth {
        AuthMode::AppSecret => KeychainItem::ClientSecret,
        AuthMode::SignIn => KeychainItem::RefreshToken,
    }
}

impl AppCore {
    /// Put a working connection in its slot (adding the client when new), and keep the config
    /// in step with the client's "Remember" choice.
    pub(super) fn install(
        &self,
        config: ClientConfig,
        connection: Arc<Connection>,
        remember: bool,
    ) {
        let old_settings =
            self.with_slots(
                |slots| match slots.iter_mut().find(|s| s.config.id == config.id) {
                    Some(slot) => {
                        let old = std::mem::replace(&mut slot.config, config.clone());
                        slot.remembered = remember;
                        slot.state = SlotState::Connected(connection);
                        Some(old.settings)
                    }
                    None => {
                        slots.push(Slot {
                            config: config.clone(),
                            remembered: remember,
                            state: SlotState::Connected(connection),
                        });
                        None
                    }
                },
            );
        // The keychain entry is named after the whole connection: one left under old settings
        // would never be used again.
        if let Some(old) = old_settings.filter(|old| *old != config.settings || !remember) {
            let _ = config::forget_secret(&old, keychain_item(&old));
        }
        let saved = {
            let mut file = lock(&self.config);
            file.clients.retain(|c| c.id != config.id);
            if remember {
                let position = self.with_slots(|slots| {
                    slots
                        .iter()
                        .filter(|s| s.remembered)
                        .position(|s| s.config.id == config.id)
                });
                let at = position
                    .unwrap_or(file.clients.len())
                    .min(file.clients.len());
                file.clients.insert(at, config);
            }
            config::save(&self.paths.config_dir, &file)
        };
        if let Err(error) = saved {
            (self.notifier)(Notice::from_error(&error));
        }
    }

    /// Authenticate and open the connection; returns it with the Remember choice to apply.
    pub(super) async fn open_client(
        &self,
        config: &ClientConfig,
        credential: Credential,
        cancel: Option<&SignInCancel>,
        remember: Option<bool>,
    ) -> AppResult<(Arc<Connection>, bool)> {
        // The one door to a connection: settings from the file were never checked by a form.
        let settings = &config::check_client(config)?;
        let was_remembered = self.with_slots(|slots| {
            slots
                .iter()
                .find(|s| s.config.id == config.id)
                .is_some_and(|s| s.remembered)
        });
        let remember = remember.unwrap_or(was_remembered);
        let client = ClientRef {
            id: config.id.clone(),
            name: config.name.clone(),
        };
        if let Some(home_tenant) = settings.home_tenant_id.as_deref()
            && settings.auth == AuthMode::SignIn
        {
            let connection = self
                .open_via_home(client, settings, home_tenant, credential, cancel, remember)
                .await?;
            return Ok((connection, remember));
        }
        match (settings.auth, credential) {
            (AuthMode::AppSecret, Credential::Secret(secret)) => {
                let connection = self.open_app_secret(client, settings, &secret).await?;
                if remember {
                    self.keep_in_keychain(settings, &secret);
                }
                Ok((connection, remember))
            }
            (AuthMode::AppSecret, Credential::Remembered) => {
                let secret = remembered_secret(settings)?;
                let connection = self.open_app_secret(client, settings, &secret).await?;
                Ok((connection, remember))
            }
            (AuthMode::SignIn, Credential::SignIn(method)) => {
                let target = self.sign_in_target(settings)?;
                let ui = CoreUi {
                    core: self,
                    client_id: &config.id,
                };
                let fallback = SignInCancel::default();
                let credential =
                    signin::sign_in(&target, method, &ui, cancel.unwrap_or(&fallback)).await?;
                let connection = self
                    .open_signed_in(client, settings, credential.clone())
                    .await?;
                if remember {
                    self.remember_sign_in(settings, &credential).await;
                }
                Ok((connection, remember))
            }
            (AuthMode::SignIn, Credential::Remembered) => {
                let token = remembered_secret(settings)?;
                let target = self.sign_in_target(settings)?;
                let credential = signin::resume(&target, token).await?;
                let connection = self
                    .open_signed_in(client, settings, credential.clone())
                    .await?;
                self.remember_sign_in(settings, &credential).await;
                Ok((connection, remember))
            }
            (AuthMode::AppSecret, Credential::SignIn(_) | Credential::TenantSignIn(_))
            | (AuthMode::SignIn, Credential::Secret(_) | Credential::TenantSignIn(_)) => Err(
                AppError::internal("the credential does not match the client's sign-in mode"),
            ),
        }
    }

    fn keep_in_keychain(&self, settings: &ConnectionSettings, secret: &SecretValue) {
        if let Err(error) = config::store_secret(settings, KeychainItem::ClientSecret, secret) {
            (self.notifier)(Notice::from_error(&error));
        }
    }

    /// "Remember me": only the refresh token goes to the keychain, and each new one replaces it
    /// as it rotates.
    pub(in crate::session) async fn remember_sign_in(
        &self,
        settings: &ConnectionSettings,
        credential: &UserCredential,
    ) {
        let notifier = self.notifier.clone();
        let keychain_settings = settings.clone();
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

    async fn open_app_secret(
        &self,
        client: ClientRef,
        settings: &ConnectionSettings,
        secret: &SecretValue,
    ) -> AppResult<Arc<Connection>> {
        if self.profile_name().is_none() {
            return Err(profile_required());
        }
        let store = AzureStore::connect(settings, secret, &self.azure_options)?;
        // The client secret's end date, read from Graph side by side with the connect (so it
        // adds no wait), for the top bar's warning before the secret expires.
        let (connection, expiry) = tokio::join!(
            self.open_connection(
                client,
                settings.clone(),
                store,
                ConnectionIdentity::AppSecret,
            ),
            self.read_secret_expiry(settings, secret)
        );
        let connection = connection?;
        *lock(&connection.secret_expiry) = expiry;
        connection.console.set_own_app(OwnApp {
            tenant_id: settings.tenant_id.clone(),
            client_id: settings.client_id.clone(),
        });
        Ok(connection)
    }

    async fn read_secret_expiry(
        &self,
        settings: &ConnectionSettings,
        secret: &SecretValue,
    ) -> SecretExpiry {
        let http = match http_client(settings, &self.azure_options) {
            Ok(http) => http,
            Err(error) => return SecretExpiry::Unreadable(error.message),
        };
        match crate::connectors::graph::secret_end_date(
            &http,
            &settings.authority_host(),
            &settings.tenant_id,
            &settings.client_id,
            secret,
        )
        .await
        {
            Ok(Some(end)) => SecretExpiry::Ends(end),
            Ok(None) => SecretExpiry::NotListed,
            Err(error) => SecretExpiry::Unreadable(error.message),
        }
    }

    async fn open_signed_in(
        &self,
        client: ClientRef,
        settings: &ConnectionSettings,
        credential: Arc<UserCredential>,
    ) -> AppResult<Arc<Connection>> {
        let store = AzureStore::with_credential(
            settings,
            credential.clone(),
            Some(credential.user().upn),
            &self.azure_options,
        )?;
        self.open_connection(
            client,
            settings.clone(),
            store,
            ConnectionIdentity::SignedIn(credential),
        )
        .await
    }

    /// The shared second half of every connect (see the module comment).
    pub(in crate::session) async fn open_connection(
        &self,
        client: ClientRef,
        settings: ConnectionSettings,
        store: AzureStore,
        identity: ConnectionIdentity,
    ) -> AppResult<Arc<Connection>> {
        let console_id = self.console_id()?;
        let console = Arc::new(
            Console::new(
                Arc::new(store),
                AuditLog::in_memory(),
                self.notifier.clone(),
                self.ping_client()?,
                &console_id,
            )
            .for_client(client.clone())
            .for_app(ConsoleApp {
                // Through the MSP's multi-tenant app the roles are the home tenant's.
                tenant_id: settings
                    .home_tenant_id
                    .clone()
                    .unwrap_or_else(|| settings.tenant_id.clone()),
                client_id: settings.client_id.clone(),
            }),
        );
        // Reading the policy proves the credential and get permission; it comes first because
        // its stamp key verifies the listing's stamps. One listing then fills the snapshot every
        // view reads, and proves list permission.
        console.load_policy().await?;
        console.refresh().await?;

        // The credential works: take over the vault's audit log. Reconnecting the same client,
        // its older connection holds the log's lock, so it ends first.
        let previous = self.with_slots(|slots| {
            slots
                .iter_mut()
                .find(|s| s.config.id == client.id)
                .and_then(
                    |slot| match std::mem::replace(&mut slot.state, SlotState::Idle) {
                        SlotState::Connected(connection) => Some(connection),
                        other => {
                            slot.state = other;
                            None
                        }
                    },
                )
        });
        if let Some(previous) = previous {
            self.close_connection(&previous).await;
        }
        let log_path = crate::config::audit_log_path(&self.paths.data_dir, &settings.vault_name);
        let (mut log, opened) = AuditLog::open(&log_path)
            .map_err(|e| AppError::new(ErrorCode::AuditWriteFailed, e.to_string(), e.hint()))?;
        log.set_context(LogContext {
            client: Some(client.name.clone()),
            vault: Some(settings.vault_name.clone()),
            installation: Some(console_id),
        });
        console.use_log(log);
        if let Some(torn) = &opened.torn_tail {
            (self.notifier)(Notice {
                level: NoticeLevel::Warning,
                message: format!(
                    "{}: the audit log's last line was incomplete (an interrupted write); {} bytes were moved to {}.",
                    client.name, torn.bytes, torn.moved_to
                ),
                hint: Some(
                    "The log continues safely; the recovery is recorded as an entry.".into(),
                ),
            });
        }
        let connection = Arc::new(Connection {
            console: console.clone(),
            identity,
            secret_expiry: Default::default(),
        });
        let bootstrap = match &connection.identity {
            ConnectionIdentity::AppSecret => self.bootstrap_roster(&console).await?,
            _ => None,
        };
        let operator = self.operator_of(&connection).ok_or_else(profile_required)?;
        if operator.role == Some(Role::Admin)
            && console.policy_source() == PolicySource::Stored
            && console.policy().stamp_key.is_none()
            && let Err(error) = console.create_stamp_key().await
        {
            // Not fatal: stamps stay unverified until an Admin's save adds the key.
            (self.notifier)(Notice::from_error(&error));
        }

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
        let how = match self.program {
            Some(program) => format!("{how}; from {program}"),
            None => how.to_string(),
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
        Ok(connection)
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
                        || d.name.starts_with(crate::store::INSTALLATION_PREFIX)
                        || d.name == ConsoleDocument::AuditRegistry.secret_name()
                });
                if used_before {
                    (self.notifier)(Notice {
                        level: NoticeLevel::Error,
                        message: format!(
                            "{}: the role policy is missing from a vault that consoles have used before, so only an Admin may act and nobody is Admin.",
                            console.client().name
                        ),
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
}

/// The keychain's secret (app secret) or refresh token (signed in) of a remembered client.
fn remembered_secret(settings: &ConnectionSettings) -> AppResult<SecretValue> {
    config::load_secret(settings, keychain_item(settings))?.ok_or_else(|| match settings.auth {
        AuthMode::AppSecret => AppError::new(
            ErrorCode::KeychainUnavailable,
            "This client's secret is not in this PC's keychain.",
            "Edit the client and paste the app registration's client secret again.",
        ),
        AuthMode::SignIn => AppError::new(
            ErrorCode::SessionExpired,
            "Sign in again to connect this client.",
            "Edit the client (or press Connect) and sign in with Microsoft; tick Remember me to stay signed in on this PC.",
        ),
    })
}
