//! Connecting one client — with the app registration's secret, by signing in (browser or device
//! code), or silently with what the keychain remembers — and the Clients list around it: add,
//! edit, reconnect, and every remembered client at start, in parallel. Disconnecting and
//! removing are in `disconnect.rs`.
//!
//! A connect is: build the client on the credential; one listing of the vault (the snapshot,
//! which also proves the credential and list permission); read the role policy (get permission);
//! only then take over the vault's audit log (closing an older connection of the same client);
//! the roster's first Admin in app-secret mode; verify the log against the vault before its first
//! entry; record the connect. A failure at any step leaves the client as it was.

use std::sync::Arc;

use chrono::Utc;

use super::{
    AppCore, AppStatus, Attempt, ClientRequest, ConnectRequest, Connection, ConnectionIdentity,
    SecretExpiry, SignInProgress, Slot, SlotState, lock, profile_required,
};
use crate::audit::{AuditAction, AuditLog, LogContext};
use crate::config::{self, ClientConfig, KeychainItem};
use crate::domain::connection::{AuthMode, ConnectionSettings};
use crate::domain::identity::ConsoleApp;
use crate::domain::policy::Role;
use crate::domain::secret::SecretValue;
use crate::domain::validation::validate_text;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::connector::{HeldRevoke, OwnApp, VendorRotateRequest, VendorRotation};
use crate::service::{AuditResult, ClientRef, Console, Notice, NoticeLevel, PolicySource};
use crate::signin::{
    self, DeviceCodePrompt, SignInCancel, SignInMethod, SignInTarget, SignInUi, UserCredential,
};
use crate::store::azure::{AzureStore, http_client};
use crate::store::{ANCHOR_PREFIX, ConsoleDocument};

/// A client's display name: what the sidebar, the Client column and the report call it.
pub(super) const MAX_CLIENT_NAME_CHARS: usize = 60;

/// What a connect authenticates with.
pub(super) enum Credential {
    Secret(SecretValue),
    SignIn(SignInMethod),
    /// The keychain's secret or refresh token of a remembered client.
    Remembered,
    /// A client reached through the MSP's home tenant whose own tenant asked for the technician
    /// in person: an interactive sign-in at that tenant (`home.rs`).
    TenantSignIn(SignInMethod),
}

/// The sign-in flows' view of the front end, for one client's attempt.
pub(super) struct CoreUi<'a> {
    pub core: &'a AppCore,
    pub client_id: &'a str,
}

impl SignInUi for CoreUi<'_> {
    fn open_browser(&self, url: &str) -> Result<(), String> {
        (self.core.browser)(url)
    }

    fn show_device_code(&self, prompt: &DeviceCodePrompt) {
        if let Some(attempt) = lock(&self.core.attempts).get_mut(self.client_id)
            && let Some(progress) = attempt.progress.as_mut()
        {
            progress.device_code = Some(prompt.clone());
        }
        (self.core.on_status)();
    }
}

fn keychain_item(settings: &ConnectionSettings) -> KeychainItem {
    match settings.auth {
        AuthMode::AppSecret => KeychainItem::ClientSecret,
        AuthMode::SignIn => KeychainItem::RefreshToken,
    }
}

impl AppCore {
    pub(super) fn sign_in_target(&self, settings: &ConnectionSettings) -> AppResult<SignInTarget> {
        Ok(SignInTarget {
            authority_host: settings.authority_host(),
            tenant_id: settings.tenant_id.clone(),
            client_id: settings.client_id.clone(),
            vault_scope: settings.vault_scope(),
            http: http_client(settings, &self.azure_options)?,
            login_hint: None,
        })
    }

    /// Stop every sign-in that is waiting for the browser or a device code.
    pub fn cancel_sign_in(&self) {
        for attempt in lock(&self.attempts).values() {
            if let Some(cancel) = &attempt.cancel {
                cancel.cancel();
            }
        }
    }

    /// The Connect modal for one vault: adds or updates the client of that vault (named after it
    /// when new) and connects it.
    pub async fn connect(&self, request: ConnectRequest) -> AppResult<AppStatus> {
        let vault = request.settings.validated()?.vault_name;
        let existing = self.with_slots(|slots| {
            slots
                .iter()
                .find(|s| s.config.settings.vault_name == vault)
                .map(|s| (s.config.id.clone(), s.config.name.clone()))
        });
        let (id, name) = match existing {
            Some((id, name)) => (Some(id), name),
            None => (None, vault),
        };
        self.save_client(ClientRequest {
            id,
            name,
            settings: request.settings,
            client_secret: request.client_secret,
            method: request.method,
            remember: request.remember,
        })
        .await
    }

    /// Add a client, or change one, and connect it with the credential given. The client is
    /// kept (and remembered) only once the connection works; a failed edit leaves the client as
    /// it was.
    pub async fn save_client(&self, request: ClientRequest) -> AppResult<AppStatus> {
        if self.demo_launch {
            return Err(demo_only());
        }
        if self.is_demo() {
            // Connecting a real client ends the demo (nothing of it was kept anywhere).
            self.disconnect().await;
        }
        let name = validate_text(
            "clientName",
            "Client name",
            &request.name,
            MAX_CLIENT_NAME_CHARS,
        )?;
        let settings = request.settings.validated()?;
        // A client left unnamed is called after its vault (the one-vault Connect of old).
        let name = if name.is_empty() {
            settings.vault_name.clone()
        } else {
            name
        };
        let id = request
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        self.with_slots(|slots| {
            if request
                .id
                .as_ref()
                .is_some_and(|id| !slots.iter().any(|s| &s.config.id == id))
            {
                return Err(AppError::new(
                    ErrorCode::NotConnected,
                    "That client is no longer in the list.",
                    "Add it again.",
                ));
            }
            for other in slots.iter().filter(|s| s.config.id != id) {
                if other.config.name.eq_ignore_ascii_case(&name) {
                    return Err(AppError::field(
                        "clientName",
                        format!("There is already a client named {name}."),
                        "Give each client its own name.",
                    ));
                }
                if other.config.settings.vault_name == settings.vault_name {
                    return Err(AppError::field(
                        "vaultName",
                        format!(
                            "The vault {} already belongs to {}.",
                            settings.vault_name, other.config.name
                        ),
                        "Each client has its own vault, so two clients' keys are never mixed.",
                    ));
                }
            }
            Ok(())
        })?;
        let credential = match settings.auth {
            AuthMode::AppSecret => {
                if self.profile_name().is_none() {
                    return Err(profile_required());
                }
                Credential::Secret(
                    request
                        .client_secret
                        .unwrap_or_else(|| SecretValue::new("")),
                )
            }
            AuthMode::SignIn => Credential::SignIn(request.method.unwrap_or(SignInMethod::Browser)),
        };
        let config = ClientConfig {
            id: id.clone(),
            name,
            settings,
        };
        self.run_attempt(config, credential, Some(request.remember))
            .await?;
        Ok(self.status().await)
    }

    /// Reconnect a client of the list with what the keychain remembers (its secret or refresh
    /// token); a client without one needs the edit form (secret, or a new sign-in).
    pub async fn connect_client(&self, client_id: &str) -> AppResult<AppStatus> {
        let config = self
            .with_slots(|slots| {
                slots
                    .iter()
                    .find(|s| s.config.id == client_id)
                    .map(|s| s.config.clone())
            })
            .ok_or_else(unknown_client)?;
        self.run_attempt(config, Credential::Remembered, None)
            .await?;
        Ok(self.status().await)
    }

    /// Rotate one key of a client at its vendor. For the client's own connection secret (its
    /// Entra App Secret key), the session reconnects with the new secret — the keychain follows
    /// when the client is remembered — before the old secret is removed.
    pub async fn rotate_at_vendor(
        &self,
        client_id: &str,
        request: VendorRotateRequest,
        now: chrono::DateTime<Utc>,
    ) -> AppResult<VendorRotation> {
        let (console, operator) = self.client_console(client_id).await?;
        let rotation = console
            .rotate_at_vendor(&operator, request, false, now)
            .await?;
        let held = console.take_held_revoke();
        // The reconnect opens the vault's audit log anew; this console must let go of it first.
        drop(console);
        match held {
            None => Ok(rotation),
            Some(held) => self.reconnect_then_revoke(client_id, held, rotation).await,
        }
    }

    /// Reconnect a client with the new secret of its own rotated key, then remove the old one.
    pub(crate) async fn reconnect_then_revoke(
        &self,
        client_id: &str,
        held: HeldRevoke,
        rotation: VendorRotation,
    ) -> AppResult<VendorRotation> {
        let config = self
            .with_slots(|slots| {
                slots
                    .iter()
                    .find(|s| s.config.id == client_id)
                    .map(|s| s.config.clone())
            })
            .ok_or_else(unknown_client)?;
        let secret = SecretValue::new(held.new_parts.get("client_secret").unwrap_or_default());
        match self
            .run_attempt(config, Credential::Secret(secret), None)
            .await
        {
            Ok(()) => {
                let (console, operator) = self.client_console(client_id).await?;
                console.finish_held_revoke(&operator, held).await
            }
            // The new secret is stored and works at Entra, and the old one was left valid: the
            // session keeps running on the old one.
            Err(error) => Ok(VendorRotation {
                failed_step: Some(crate::connectors::ConnectorStep::Revoke),
                message: format!(
                    "The new secret is stored, but reconnecting with it failed ({}); the old secret was kept and still works.",
                    error.message
                ),
                hint: format!(
                    "{} Remove the old secret in the Entra admin center once the console connects with the new one.",
                    error.hint
                ),
                ..rotation
            }),
        }
    }

    /// At start: every remembered client connects with what the keychain holds, in parallel;
    /// one failing shows on that client and never blocks the others.
    pub async fn connect_all(&self) -> Vec<(String, AppResult<()>)> {
        if self.demo_launch {
            return Vec::new();
        }
        let configs: Vec<ClientConfig> = self.with_slots(|slots| {
            slots
                .iter()
                .filter(|s| s.remembered && s.connection().is_none())
                .map(|s| s.config.clone())
                .collect()
        });
        let runs = configs.into_iter().map(|config| async move {
            let id = config.id.clone();
            let result = self.run_attempt(config, Credential::Remembered, None).await;
            (id, result.map(|_| ()))
        });
        futures::future::join_all(runs).await
    }

    /// Run one connection attempt for `config`, showing it as connecting, and put the result in
    /// the client's slot. `remember`: `Some` from the edit form (keep in the config and keychain
    /// or not), `None` to keep the client's current choice.
    pub(super) async fn run_attempt(
        &self,
        config: ClientConfig,
        credential: Credential,
        remember: Option<bool>,
    ) -> AppResult<()> {
        let cancel = matches!(
            credential,
            Credential::SignIn(_) | Credential::TenantSignIn(_)
        )
        .then(SignInCancel::default);
        let progress = match &credential {
            Credential::SignIn(method) | Credential::TenantSignIn(method) => Some(SignInProgress {
                method: *method,
                device_code: None,
            }),
            _ => None,
        };
        lock(&self.attempts).insert(
            config.id.clone(),
            Attempt {
                name: config.name.clone(),
                cancel: cancel.clone(),
                progress,
            },
        );
        (self.on_status)();
        let result = self
            .open_client(&config, credential, cancel.as_ref(), remember)
            .await;
        lock(&self.attempts).remove(&config.id);
        let outcome = match result {
            Ok((connection, remember)) => {
                let (client_id, vault) = (config.id.clone(), config.settings.vault_name.clone());
                self.install(config, connection, remember);
                *lock(&self.general_error) = None;
                // Provisioning steps of this vault wait for its first connection (see
                // session/provision.rs): recorded now, in its anchored log.
                self.flush_provision_audit(&client_id, &vault).await;
                Ok(())
            }
            Err(error) => {
                // A new client reached through the MSP's tenant whose own tenant wants the
                // technician in person (or an admin's consent) stays in the list with that
                // error, so its row offers Sign in to this tenant or the consent link.
                // So does one whose tenant refused for a while (Entra throttling or down there,
                // a guest invitation still propagating): Connect on its row retries.
                let keep_new = config.settings.home_tenant_id.is_some()
                    && matches!(
                        error.code,
                        ErrorCode::TenantSignInRequired
                            | ErrorCode::TenantConsentRequired
                            | ErrorCode::NotInTenant
                            | ErrorCode::Throttled
                            | ErrorCode::ServiceUnavailable
                    );
                let remember_new = remember.unwrap_or(false);
                let added = self.with_slots(|slots| {
                    match slots.iter_mut().find(|s| s.config.id == config.id) {
                        Some(slot) => {
                            if slot.connection().is_none() {
                                slot.state = SlotState::Failed(error.clone());
                            }
                            false
                        }
                        None if keep_new => {
                            slots.push(Slot {
                                config: config.clone(),
                                remembered: remember_new,
                                state: SlotState::Failed(error.clone()),
                            });
                            true
                        }
                        None => false,
                    }
                });
                if added && remember_new {
                    let saved = {
                        let mut file = lock(&self.config);
                        file.clients.retain(|c| c.id != config.id);
                        file.clients.push(config.clone());
                        config::save(&self.paths.config_dir, &file)
                    };
                    if let Err(save_error) = saved {
                        (self.notifier)(Notice::from_error(&save_error));
                    }
                }
                Err(error)
            }
        };
        (self.on_status)();
        outcome
    }

    /// Put a working connection in its slot (adding the client when new), and keep the config
    /// in step with the client's "Remember" choice.
    fn install(&self, config: ClientConfig, connection: Arc<Connection>, remember: bool) {
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
    async fn open_client(
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
    pub(super) async fn remember_sign_in(
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
    pub(super) async fn open_connection(
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

    /// At start (old name): connect every remembered client. `None` when there is none.
    pub async fn connect_remembered(&self) -> Option<AppResult<AppStatus>> {
        let results = self.connect_all().await;
        if results.is_empty() {
            return None;
        }
        match results.into_iter().find_map(|(_, r)| r.err()) {
            Some(error) if self.status().await.connected == 0 => Some(Err(error)),
            _ => Some(Ok(self.status().await)),
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

pub(super) fn unknown_client() -> AppError {
    AppError::new(
        ErrorCode::NotConnected,
        "That client is not in the Clients list.",
        "It may have been removed; pick a client from the sidebar.",
    )
}

pub(crate) fn demo_only() -> AppError {
    AppError::new(
        ErrorCode::DemoOnly,
        "This window was started in demo mode, which never touches a vault or the disk.",
        "Close it and start the console normally (without --demo) to connect your Azure Key Vault.",
    )
}
