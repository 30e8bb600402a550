//! Control methods for technician sign-in and Microsoft Graph: users and their roles, public
//! clients, Graph permissions and owners, device codes, refresh-token revocation, the request log.

use super::directory::{self, DeviceStatus, PasswordCredential, RefreshStatus, same_id};
use super::signin;
use super::signin_types::{
    AppRoleAssignment, ControlError, GrantType, Owner, PasswordCredentialInfo, PendingDeviceCode,
    PublicClient, RequestRecord, TestUser,
};
use super::types::{ClientSecret, Role};
use super::{Emulator, is_vault_resource};

fn missing_user(upn: &str) -> ControlError {
    ControlError(format!("no test user {upn}"))
}

fn missing_app(tenant: &str, client_id: &str) -> ControlError {
    ControlError(format!("no app {client_id} in tenant {tenant}"))
}

impl Emulator {
    // ------------------------------------------------------------------ addresses

    /// `https://127.0.0.1:PORT/{tenant}`: the authority MSAL-style clients are given.
    pub fn authority(&self, tenant: &str) -> String {
        format!("{}/{tenant}", self.shared.authority_host)
    }

    /// `https://127.0.0.1:PORT/{tenant}/v2.0`: the id tokens' `iss` and the OIDC issuer URL
    /// (discovery at `{issuer}/.well-known/openid-configuration`).
    pub fn issuer(&self, tenant: &str) -> String {
        format!("{}/{tenant}/v2.0", self.shared.authority_host)
    }

    /// Graph's root on the emulator (`{graph_url}/v1.0/applications/...`), instead of
    /// `https://graph.microsoft.com`. Tokens for [`super::GRAPH_RESOURCE`]`/.default` or for
    /// this origin are accepted unless [`Emulator::set_graph_resource`] names one.
    pub fn graph_url(&self) -> String {
        self.shared.authority_host.clone()
    }

    /// Secrets added through Graph from now on are refused by the token endpoint for `delay`
    /// (Entra's propagation of a new secret).
    pub fn set_new_secret_delay(&self, delay: std::time::Duration) {
        self.shared.lock().new_secret_delay = delay;
    }

    /// Graph accepts tokens for `resource` only (e.g. [`Emulator::graph_url`], as a national
    /// cloud's Graph accepts only its own); `None` restores the default (global Graph's resource
    /// or the emulator's own origin).
    pub fn set_graph_resource(&self, resource: Option<&str>) {
        self.shared.lock().graph_resource = resource.map(str::to_string);
    }

    /// The page where a person enters a device code (`verification_uri`).
    pub fn device_login_url(&self) -> String {
        format!("{}/devicelogin", self.shared.authority_host)
    }

    // ------------------------------------------------------------------ users

    /// Adds a user, or replaces the one with the same UPN.
    pub fn add_user(&self, user: TestUser) {
        self.shared.lock().add_user(user);
    }

    /// The user with this UPN (case-insensitive), as currently stored.
    pub fn user(&self, upn: &str) -> Option<TestUser> {
        self.shared.lock().find_user_any_tenant(upn).cloned()
    }

    pub fn users(&self) -> Vec<TestUser> {
        self.shared.lock().users.clone()
    }

    /// Sets or removes the user's own Key Vault role (next vault request).
    pub fn set_user_vault_role(&self, upn: &str, role: Option<Role>) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        let user = state.find_user_mut(upn).ok_or_else(|| missing_user(upn))?;
        user.vault_role = role;
        Ok(())
    }

    /// Assigns an app role to a user on an app registration (next token or refresh).
    pub fn assign_app_role(
        &self,
        upn: &str,
        client_id: &str,
        value: &str,
    ) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        let user = state.find_user_mut(upn).ok_or_else(|| missing_user(upn))?;
        let assignment = AppRoleAssignment {
            client_id: client_id.to_string(),
            value: value.to_string(),
        };
        if !user.app_roles.contains(&assignment) {
            user.app_roles.push(assignment);
        }
        Ok(())
    }

    /// Removes an app role assignment (next token or refresh).
    pub fn remove_app_role(
        &self,
        upn: &str,
        client_id: &str,
        value: &str,
    ) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        let user = state.find_user_mut(upn).ok_or_else(|| missing_user(upn))?;
        user.app_roles.retain(|assignment| {
            !(same_id(&assignment.client_id, client_id) && assignment.value == value)
        });
        Ok(())
    }

    // ------------------------------------------------------------------ apps

    /// Adds or updates the public-client side of an app registration (secrets, vault role,
    /// Graph permissions and owners of the same client id are kept).
    pub fn register_public_client(&self, client: PublicClient) {
        directory::upsert_public(&mut self.shared.lock().apps, &client);
    }

    /// Graph's `id` of the application object.
    pub fn application_object_id(&self, tenant: &str, client_id: &str) -> Option<String> {
        let state = self.shared.lock();
        state
            .find_app(tenant, client_id)
            .map(|app| app.object_id.clone())
    }

    /// Object id of the app's service principal (the `oid` of its app-only tokens).
    pub fn service_principal_id(&self, tenant: &str, client_id: &str) -> Option<String> {
        let state = self.shared.lock();
        state
            .find_app(tenant, client_id)
            .map(|app| app.service_principal_id.clone())
    }

    /// Grants (admin-consents) a Graph application permission, e.g.
    /// [`super::APPLICATION_READWRITE_OWNEDBY`]; it appears in `roles` of tokens issued from now on.
    pub fn grant_graph_permission(
        &self,
        tenant: &str,
        client_id: &str,
        permission: &str,
    ) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        let app = state
            .find_app_mut(tenant, client_id)
            .ok_or_else(|| missing_app(tenant, client_id))?;
        if !app.graph_app_roles.iter().any(|role| role == permission) {
            app.graph_app_roles.push(permission.to_string());
        }
        Ok(())
    }

    /// Withdraws a Graph application permission (tokens issued from now on lack it).
    pub fn revoke_graph_permission(
        &self,
        tenant: &str,
        client_id: &str,
        permission: &str,
    ) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        let app = state
            .find_app_mut(tenant, client_id)
            .ok_or_else(|| missing_app(tenant, client_id))?;
        app.graph_app_roles.retain(|role| role != permission);
        Ok(())
    }

    /// Makes `owner` an owner of the application `client_id` (an app may own itself).
    pub fn add_application_owner(
        &self,
        tenant: &str,
        client_id: &str,
        owner: Owner,
    ) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        let app = state
            .find_app_mut(tenant, client_id)
            .ok_or_else(|| missing_app(tenant, client_id))?;
        if !app.owned_by(&owner) {
            app.owners.push(owner);
        }
        Ok(())
    }

    /// An admin of `tenant` consents a delegated Graph permission (e.g. `Application.Read.All`)
    /// for the public client `client_id` there: tokens for Graph's `.default` issued from now on
    /// carry it in `scp` (consent is per tenant, as in Entra).
    pub fn consent_graph_delegated(
        &self,
        tenant: &str,
        client_id: &str,
        permission: &str,
    ) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        let app = state
            .find_app_mut(tenant, client_id)
            .ok_or_else(|| missing_app(tenant, client_id))?;
        let public = app
            .public
            .as_mut()
            .ok_or_else(|| ControlError(format!("app {client_id} is not a public client")))?;
        if !public
            .graph_delegated_scopes
            .iter()
            .any(|p| p == permission)
        {
            public.graph_delegated_scopes.push(permission.to_string());
        }
        Ok(())
    }

    /// Registers an application named `display_name` in `tenant` (no secret, no permission)
    /// and answers its application (client) id, for Graph's `applications` listing.
    pub fn add_application(&self, tenant: &str, display_name: &str) -> String {
        let client_id = super::signin_types::new_guid();
        let mut state = self.shared.lock();
        let app = directory::find_or_create(&mut state.apps, tenant, &client_id);
        app.display_name = display_name.to_string();
        client_id
    }

    /// Adds a client secret valid until `end` to an application; answers the secret's value
    /// (it also signs in at the token endpoint, as one made in the portal would).
    pub fn add_password_credential(
        &self,
        tenant: &str,
        client_id: &str,
        display_name: &str,
        end: chrono::DateTime<chrono::Utc>,
    ) -> Result<String, ControlError> {
        let mut state = self.shared.lock();
        let app = state
            .find_app_mut(tenant, client_id)
            .ok_or_else(|| missing_app(tenant, client_id))?;
        let secret_text = format!(
            "{}8Q~{}",
            directory::random_text(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                3
            ),
            directory::random_text(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                34
            )
        );
        app.passwords.push(directory::PasswordCredential {
            key_id: super::signin_types::new_guid(),
            display_name: Some(display_name.to_string()),
            start: end - chrono::Duration::days(365),
            end: Some(end),
            secret_text: secret_text.clone(),
            valid_from: None,
        });
        Ok(secret_text)
    }

    /// Adds a certificate credential (public part only) valid until `end` to an application.
    pub fn add_key_credential(
        &self,
        tenant: &str,
        client_id: &str,
        display_name: &str,
        end: chrono::DateTime<chrono::Utc>,
        thumbprint: [u8; 20],
    ) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        let app = state
            .find_app_mut(tenant, client_id)
            .ok_or_else(|| missing_app(tenant, client_id))?;
        app.certificates.push(directory::KeyCredential {
            key_id: super::signin_types::new_guid(),
            display_name: Some(display_name.to_string()),
            start: end - chrono::Duration::days(365),
            end,
            thumbprint: thumbprint.to_vec(),
        });
        Ok(())
    }

    /// The app's client secrets as Graph lists them (no values), oldest first.
    pub fn password_credentials(
        &self,
        tenant: &str,
        client_id: &str,
    ) -> Vec<PasswordCredentialInfo> {
        let state = self.shared.lock();
        state
            .find_app(tenant, client_id)
            .map(|app| app.passwords.iter().map(PasswordCredential::info).collect())
            .unwrap_or_default()
    }

    /// Adds a client secret straight into the directory; returns its key id.
    pub fn add_client_secret(
        &self,
        tenant: &str,
        client_id: &str,
        secret: ClientSecret,
    ) -> Result<String, ControlError> {
        let mut state = self.shared.lock();
        let app = state
            .find_app_mut(tenant, client_id)
            .ok_or_else(|| missing_app(tenant, client_id))?;
        let password = PasswordCredential::from_client_secret(&secret);
        let key_id = password.key_id.clone();
        app.passwords.push(password);
        Ok(key_id)
    }

    // ------------------------------------------------------------------ sign-in

    /// Who signs in at `/authorize` when the request has no `login_hint` (None: show the
    /// account picker page).
    pub fn set_interactive_user(&self, upn: Option<&str>) {
        self.shared.lock().sessions.interactive_user = upn.map(str::to_string);
    }

    /// `interval` of device codes issued from now on (Entra: 5 s). Polls sooner get `slow_down`.
    pub fn set_device_code_interval(&self, secs: u64) {
        self.shared.lock().sessions.device_code_interval_secs = secs;
    }

    /// `expires_in` of device codes issued from now on (Entra: 900 s).
    pub fn set_device_code_lifetime(&self, secs: u64) {
        self.shared.lock().sessions.device_code_lifetime_secs = secs;
    }

    /// Lifetime of authorization codes issued from now on (Entra: about 10 minutes).
    pub fn set_auth_code_lifetime(&self, secs: u64) {
        self.shared.lock().sessions.auth_code_lifetime_secs = secs;
    }

    /// Device codes no one has approved or declined yet, oldest first (expired ones excluded).
    pub fn pending_device_codes(&self) -> Vec<PendingDeviceCode> {
        let now = std::time::Instant::now();
        let state = self.shared.lock();
        state
            .sessions
            .device_codes
            .iter()
            .filter(|entry| entry.status == DeviceStatus::Pending && entry.expires_at > now)
            .map(|entry| PendingDeviceCode {
                user_code: entry.user_code.clone(),
                tenant: entry.tenant.clone(),
                client_id: entry.client_id.clone(),
                scope: entry.scope.raw.clone(),
                expires_at: entry.expires_at_utc,
            })
            .collect()
    }

    /// Completes a device code as the user `upn` (the next poll gets tokens).
    pub fn approve_device_code(&self, user_code: &str, upn: &str) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        signin::decide_device_code(&mut state, user_code, Some(upn))
            .map(|_| ())
            .map_err(ControlError)
    }

    /// Declines a device code (the next poll gets `authorization_declined`).
    pub fn decline_device_code(&self, user_code: &str) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        signin::decide_device_code(&mut state, user_code, None)
            .map(|_| ())
            .map_err(ControlError)
    }

    /// Every device code expires now (polls get `expired_token`).
    pub fn expire_device_codes(&self) {
        let now = std::time::Instant::now();
        let mut state = self.shared.lock();
        for entry in &mut state.sessions.device_codes {
            entry.expires_at = now;
            entry.expires_at_utc = chrono::Utc::now();
        }
    }

    /// Every authorization code expires now (redeeming one gets AADSTS70008).
    pub fn expire_authorization_codes(&self) {
        let now = std::time::Instant::now();
        for code in self.shared.lock().sessions.auth_codes.values_mut() {
            code.expires_at = now;
        }
    }

    fn mark_refresh_tokens(&self, upn: &str, status: RefreshStatus) -> usize {
        let mut state = self.shared.lock();
        let Some(object_id) = state
            .find_user_any_tenant(upn)
            .map(|user| user.object_id.clone())
        else {
            return 0;
        };
        let mut changed = 0;
        for entry in state.sessions.refresh_tokens.values_mut() {
            // Used tokens stay valid at Entra, so revoking or expiring a session takes them too;
            // the count is of the newest (active) ones.
            if entry.status.redeemable() && same_id(&entry.user_object_id, &object_id) {
                if entry.status == RefreshStatus::Active {
                    changed += 1;
                }
                entry.status = status;
            }
        }
        changed
    }

    /// Revokes the user's refresh tokens ("revoke sessions"): refreshing gets AADSTS50173.
    /// Returns how many were active.
    pub fn revoke_refresh_tokens(&self, upn: &str) -> usize {
        self.mark_refresh_tokens(upn, RefreshStatus::Revoked)
    }

    /// Expires the user's refresh tokens as if unused for 90 days: AADSTS700082.
    pub fn expire_refresh_tokens(&self, upn: &str) -> usize {
        self.mark_refresh_tokens(upn, RefreshStatus::Expired)
    }

    /// Refresh tokens of the user that would still be accepted.
    pub fn active_refresh_token_count(&self, upn: &str) -> usize {
        let state = self.shared.lock();
        let Some(user) = state.find_user_any_tenant(upn) else {
            return 0;
        };
        state
            .sessions
            .refresh_tokens
            .values()
            .filter(|entry| {
                entry.status == RefreshStatus::Active
                    && same_id(&entry.user_object_id, &user.object_id)
            })
            .count()
    }

    /// Live Key Vault access tokens held by the user (signed in and not expired).
    pub fn live_vault_token_count_for(&self, upn: &str) -> usize {
        let now = std::time::Instant::now();
        let state = self.shared.lock();
        state
            .tokens
            .values()
            .filter(|token| {
                token.expires_at > now
                    && is_vault_resource(&token.audience)
                    && token
                        .identity
                        .user
                        .as_ref()
                        .is_some_and(|user| same_id(&user.upn, upn))
            })
            .count()
    }

    // ------------------------------------------------------------------ counters and log

    /// The most token requests the emulator was answering at the same moment since start / the
    /// last call; the count restarts from the requests still in flight.
    pub fn take_peak_concurrent_token_requests(&self) -> usize {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.shared.tokens_in_flight.load(SeqCst);
        self.shared.peak_tokens_in_flight.swap(now, SeqCst)
    }

    /// Token requests with this grant type (successful or not; every device-code poll counts).
    pub fn grant_count(&self, grant: GrantType) -> u64 {
        self.shared
            .lock()
            .grant_counters
            .get(&grant)
            .copied()
            .unwrap_or(0)
    }

    /// Every Key Vault and Graph request since start / the last reset, oldest first (at most
    /// the last 10,000), with the identity that made it.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.lock().request_log.iter().cloned().collect()
    }

    /// The logged requests made by `who`: a UPN, object id, or (for app-only tokens) client id.
    pub fn requests_by(&self, who: &str) -> Vec<RequestRecord> {
        self.shared
            .lock()
            .request_log
            .iter()
            .filter(|record| record.caller.as_ref().is_some_and(|caller| caller.is(who)))
            .cloned()
            .collect()
    }
}
