//! Connecting one client — with the app registration's secret, by signing in (browser or device
//! code), or silently with what the keychain remembers — and the Clients list around it: add,
//! edit, reconnect, and every remembered client at start, in parallel. Disconnecting and
//! removing are in `disconnect.rs`.
//!
//! A connect is: build the client on the credential; one listing of the vault (the snapshot,
//! which also proves the credential and list permission); read the role policy (get permission);
//! only then take over the vault's audit log (closing an older connection of the same client);
//! the roster's first Admin in app-secret mode; verify the log against the vault before its first
//! entry; record the connect. A failure at any step leaves the client as it was. Those steps are
//! in `open.rs`; this file holds the entry points that run them.

use chrono::Utc;

use super::{
    AppCore, AppStatus, Attempt, ClientRequest, ConnectRequest, SignInProgress, Slot, SlotState,
    lock, profile_required,
};
use crate::config::{self, ClientConfig};
use crate::domain::connection::{AuthMode, ConnectionSettings};
use crate::domain::secret::SecretValue;
use crate::domain::validation::validate_text;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::Notice;
use crate::service::connector::{HeldRevoke, VendorRotateRequest, VendorRotation};
use crate::signin::{DeviceCodePrompt, SignInCancel, SignInMethod, SignInTarget, SignInUi};
use crate::store::azure::http_client;

mod open;

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
