//! One sign-in for every client tenant (see `signin/tenant.rs`): a client whose settings name
//! the MSP's home tenant is reached with the technician's sign-in there. The first such client
//! signs in (or resumes the remembered sign-in) at home; every other client of the same home,
//! app and cloud reuses it, with one token request at its own tenant. Resuming and signing in
//! hold the home's lock, so clients connecting in parallel at start-up wait for the one sign-in
//! instead of each spending the refresh token Entra rotates on every use.
//!
//! "Remember me" keeps one refresh token for the home sign-in (its own keychain entry, not a
//! client's). Disconnecting a client leaves the home sign-in to the others.

use std::collections::HashMap;
use std::sync::Arc;

use super::connect::{CoreUi, Credential};
use super::{AppCore, Connection, ConnectionIdentity};
use crate::config::{self, KeychainItem};
use crate::domain::connection::ConnectionSettings;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::ClientRef;
use crate::signin::{self, SignInCancel, UserCredential};
use crate::store::azure::AzureStore;

/// The live home sign-ins of this session, by [`home_key`].
#[derive(Default)]
pub(crate) struct HomeSignIns {
    pub(super) signed_in: tokio::sync::Mutex<HashMap<String, Arc<UserCredential>>>,
    /// Client tenants that asked for the technician in person, by home key and tenant.
    pub(super) tenants: tokio::sync::Mutex<HashMap<String, Arc<UserCredential>>>,
}

/// The settings a home sign-in is known by: the client's app and cloud at the home tenant, no
/// vault (one home sign-in serves every vault).
pub(crate) fn home_settings(
    settings: &ConnectionSettings,
    home_tenant: &str,
) -> ConnectionSettings {
    ConnectionSettings {
        tenant_id: home_tenant.to_string(),
        vault_name: String::new(),
        vault_url: None,
        home_tenant_id: None,
        ..settings.clone()
    }
}

/// The keychain entry of a client tenant's own sign-in (only where the tenant demanded one).
fn tenant_settings(settings: &ConnectionSettings, home_tenant: &str) -> ConnectionSettings {
    ConnectionSettings {
        vault_name: String::new(),
        vault_url: None,
        home_tenant_id: Some(home_tenant.to_string()),
        ..settings.clone()
    }
}

pub(super) fn home_key(settings: &ConnectionSettings, home_tenant: &str) -> String {
    format!(
        "{}|{}|{}",
        settings.authority_host().to_ascii_lowercase(),
        home_tenant.to_ascii_lowercase(),
        settings.client_id.to_ascii_lowercase()
    )
}

impl AppCore {
    /// A live home sign-in and the settings of a client reached through it (cloud, authority,
    /// app, CA), for work in client tenants that is not a vault's (provisioning).
    pub(crate) async fn live_home(&self) -> Option<(ConnectionSettings, Arc<UserCredential>)> {
        let clients: Vec<ConnectionSettings> = self.with_slots(|slots| {
            slots
                .iter()
                .filter(|s| s.config.settings.home_tenant_id.is_some())
                .map(|s| s.config.settings.clone())
                .collect()
        });
        let signed_in = self.home_sign_ins.signed_in.lock().await;
        clients.into_iter().find_map(|settings| {
            let home = settings.home_tenant_id.clone()?;
            let live = signed_in.get(&home_key(&settings, &home))?.clone();
            Some((settings, live))
        })
    }

    /// The connection of a client reached through the home sign-in.
    pub(super) async fn open_via_home(
        &self,
        client: ClientRef,
        settings: &ConnectionSettings,
        home_tenant: &str,
        credential: Credential,
        cancel: Option<&SignInCancel>,
        remember: bool,
    ) -> AppResult<Arc<Connection>> {
        let tenant_sign_in = match credential {
            Credential::TenantSignIn(method) => Some(method),
            _ => None,
        };
        let home_step = match (&credential, tenant_sign_in) {
            (_, Some(method)) => Credential::SignIn(method),
            (Credential::SignIn(method), None) => Credential::SignIn(*method),
            (Credential::Remembered, None) => Credential::Remembered,
            _ => {
                return Err(AppError::internal(
                    "the credential does not match the client's sign-in mode",
                ));
            }
        };
        let home = self
            .home_credential(
                &client.id,
                settings,
                home_tenant,
                home_step,
                cancel,
                remember,
            )
            .await?;
        let own = self
            .tenant_credential(
                &client.id,
                settings,
                home_tenant,
                &home,
                tenant_sign_in,
                cancel,
                remember,
            )
            .await?;
        // The tenant's own sign-in where it demanded one; otherwise the home sign-in's token
        // at the tenant's endpoint.
        let vault_credential: Arc<dyn azure_core::credentials::TokenCredential> = match own {
            Some(own) => own,
            None => home.for_tenant(&settings.tenant_id),
        };
        let store = AzureStore::with_credential(
            settings,
            vault_credential,
            Some(home.user().upn),
            &self.azure_options,
        )?;
        self.open_connection(
            client,
            settings.clone(),
            store,
            ConnectionIdentity::SignedInViaHome(home),
        )
        .await
    }

    async fn home_credential(
        &self,
        client_id: &str,
        settings: &ConnectionSettings,
        home_tenant: &str,
        credential: Credential,
        cancel: Option<&SignInCancel>,
        remember: bool,
    ) -> AppResult<Arc<UserCredential>> {
        let key = home_key(settings, home_tenant);
        let mut signed_in = self.home_sign_ins.signed_in.lock().await;
        if let Some(live) = signed_in.get(&key) {
            return Ok(live.clone());
        }
        let home = home_settings(settings, home_tenant);
        // The sign-in's first token is for this client's vault resource (a Custom cloud's comes
        // from its vault host); the keychain entry knows no vault.
        let target = self.sign_in_target(&ConnectionSettings {
            vault_url: settings.vault_url.clone(),
            ..home.clone()
        })?;
        let credential = match credential {
            Credential::SignIn(method) => {
                let ui = CoreUi {
                    core: self,
                    client_id,
                };
                let fallback = SignInCancel::default();
                signin::sign_in(&target, method, &ui, cancel.unwrap_or(&fallback)).await?
            }
            Credential::Remembered => {
                let token = config::load_secret(&home, KeychainItem::RefreshToken)?
                    .ok_or_else(|| {
                        AppError::new(
                            ErrorCode::SessionExpired,
                            "Sign in again to reach your clients' tenants.",
                            "Press Connect on any client of your MSP tenant and sign in with Microsoft; tick Remember me to stay signed in on this PC.",
                        )
                    })?;
                signin::resume(&target, token).await?
            }
            Credential::Secret(_) | Credential::TenantSignIn(_) => {
                return Err(AppError::internal(
                    "the credential does not match the client's sign-in mode",
                ));
            }
        };
        if remember {
            self.remember_sign_in(&home, &credential).await;
        }
        signed_in.insert(key, credential.clone());
        Ok(credential)
    }

    /// The client tenant's own sign-in, if it demanded one: signed in now (`method`), live from
    /// earlier in this session, or resumed from its remembered refresh token. `None`: the home
    /// sign-in reaches the tenant.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn tenant_credential(
        &self,
        client_id: &str,
        settings: &ConnectionSettings,
        home_tenant: &str,
        home: &UserCredential,
        method: Option<signin::SignInMethod>,
        cancel: Option<&SignInCancel>,
        remember: bool,
    ) -> AppResult<Option<Arc<UserCredential>>> {
        let key = format!(
            "{}|{}",
            home_key(settings, home_tenant),
            settings.tenant_id.to_ascii_lowercase()
        );
        let mut tenants = self.home_sign_ins.tenants.lock().await;
        let keychain = tenant_settings(settings, home_tenant);
        let home_user = home.user();
        let mut target = self.sign_in_target(&ConnectionSettings {
            vault_url: settings.vault_url.clone(),
            home_tenant_id: None,
            ..keychain.clone()
        })?;
        target.login_hint = Some(home_user.upn.clone());
        let credential = match method {
            Some(method) => {
                let ui = CoreUi {
                    core: self,
                    client_id,
                };
                let fallback = SignInCancel::default();
                let own =
                    signin::sign_in(&target, method, &ui, cancel.unwrap_or(&fallback)).await?;
                let signed_in_as = own.user().upn;
                if !signed_in_as.eq_ignore_ascii_case(&home_user.upn) {
                    own.sign_out().await;
                    return Err(AppError::new(
                        ErrorCode::SignInFailed,
                        format!(
                            "You signed in to tenant {} as {signed_in_as}, but the console is signed in as {}.",
                            settings.tenant_id, home_user.upn
                        ),
                        format!(
                            "Sign in to this tenant again and choose {} (your own account, a guest there).",
                            home_user.upn
                        ),
                    ));
                }
                own
            }
            None => {
                if let Some(live) = tenants.get(&key) {
                    return Ok(Some(live.clone()));
                }
                match config::load_secret(&keychain, KeychainItem::RefreshToken) {
                    Ok(Some(token)) => signin::resume(&target, token).await?,
                    _ => return Ok(None),
                }
            }
        };
        if remember {
            self.remember_sign_in(&keychain, &credential).await;
        }
        tenants.insert(key, credential.clone());
        Ok(Some(credential))
    }

    /// "Sign in to this tenant": a client reached through the MSP's home tenant whose tenant
    /// asked for the technician in person (MFA, Conditional Access) signs in there, the account
    /// preselected; the other clients keep their connections.
    pub async fn sign_in_to_tenant(
        &self,
        client_id: &str,
        method: signin::SignInMethod,
    ) -> AppResult<super::AppStatus> {
        let config = self
            .with_slots(|slots| {
                slots
                    .iter()
                    .find(|s| s.config.id == client_id)
                    .map(|s| s.config.clone())
            })
            .ok_or_else(super::connect::unknown_client)?;
        if config.settings.home_tenant_id.is_none() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "This client is not reached through your MSP's tenant.",
                "Press Connect on the client to sign in to its tenant.",
            ));
        }
        self.run_attempt(config, Credential::TenantSignIn(method), None)
            .await?;
        Ok(self.status().await)
    }

    /// Drop every home sign-in (sign-out of every client tenant at once).
    pub(crate) async fn forget_home_sign_ins(&self) {
        let mut signed_in = self.home_sign_ins.signed_in.lock().await;
        for (_, credential) in signed_in.drain() {
            credential.sign_out().await;
        }
        let mut tenants = self.home_sign_ins.tenants.lock().await;
        for (_, credential) in tenants.drain() {
            credential.sign_out().await;
        }
    }
}
