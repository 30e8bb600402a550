//! Technicians sign in as themselves: OAuth 2.0 authorization code + PKCE through the system
//! browser with a loopback redirect (RFC 8252), or the device code flow (RFC 8628) for locked-down
//! desktops, as a public client of the console's app registration. The `openidconnect` crate does
//! the protocol (discovery, PKCE, token exchange, refresh, id token verification against the
//! tenant's signing keys); [`UserCredential`] wraps the result as an `azure_core`
//! `TokenCredential`, so the official Key Vault client runs unchanged with the user's own token.
//!
//! Tokens live in Rust memory only (zeroized when dropped or on sign-out); only the refresh token
//! may go to the OS keychain ("Remember me"). The window receives the signed-in name and UPN, and
//! the device flow's user code and verification address, which are meant to be shown.

mod credential;
mod http;
mod loopback;
mod oidc;
mod tenant;

pub use credential::UserCredential;
pub use loopback::{LoopbackListener, Redirect};
pub use oidc::{AzureClaims, map_token_error};
pub use tenant::{TenantCredential, admin_consent_url, consent_link};

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{AuthorizationCode, CsrfToken, Nonce, PkceCodeChallenge, RedirectUrl, Scope};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::policy::Role;
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};

/// How long the browser or the device code may take before the console gives up waiting.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// How the technician signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum SignInMethod {
    /// The system browser and a loopback redirect (authorization code + PKCE).
    Browser,
    /// A code to enter at the verification address on any device.
    DeviceCode,
}

/// What the Connect modal shows while the device code flow waits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    pub expires_at: DateTime<Utc>,
}

/// Who signed in, from a verified id token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInUser {
    pub name: String,
    pub upn: String,
    pub oid: String,
    pub tenant_id: String,
    /// The token's `roles` claim as issued (app role values).
    pub roles: Vec<String>,
}

impl SignedInUser {
    /// The console role Entra assigns this user (highest app role), or none.
    pub fn role(&self) -> Option<Role> {
        crate::domain::identity::role_from_claims(&self.roles)
    }
}

/// Where and as whom to sign in.
#[derive(Debug, Clone)]
pub struct SignInTarget {
    /// `https://login.microsoftonline.com` or the custom authority host.
    pub authority_host: String,
    pub tenant_id: String,
    /// The console's app registration (a public client).
    pub client_id: String,
    /// The Key Vault scope of the cloud, e.g. `https://vault.azure.net/.default`.
    pub vault_scope: String,
    /// The HTTP client (TLS roots, no redirects).
    pub http: reqwest::Client,
    /// Who is expected at the sign-in page (a client tenant's own sign-in for the technician
    /// already signed in at the MSP's home tenant); Entra preselects that account.
    pub login_hint: Option<String>,
}

/// What the sign-in flows need from the front end: open the system browser, show a device code.
pub trait SignInUi: Send + Sync {
    fn open_browser(&self, url: &str) -> Result<(), String>;
    fn show_device_code(&self, prompt: &DeviceCodePrompt);
}

/// A way to stop a sign-in that is waiting (the Cancel button).
#[derive(Clone)]
pub struct SignInCancel(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for SignInCancel {
    fn default() -> Self {
        SignInCancel(Arc::new(tokio::sync::watch::channel(false).0))
    }
}

impl SignInCancel {
    pub fn cancel(&self) {
        let _ = self.0.send(true);
    }

    async fn cancelled(&self) {
        let mut receiver = self.0.subscribe();
        if *receiver.borrow() {
            return;
        }
        while receiver.changed().await.is_ok() {
            if *receiver.borrow() {
                return;
            }
        }
        // The sender lives as long as `self`: never reached while waiting.
        std::future::pending::<()>().await
    }
}

fn cancelled_error() -> AppError {
    AppError::new(
        ErrorCode::SignInCancelled,
        "Sign-in was cancelled.",
        "Nothing was changed. Start again when you are ready.",
    )
}

/// The scopes a sign-in asks for: the vault's, an id token with the user's profile, and a
/// refresh token.
fn sign_in_scopes(target: &SignInTarget) -> Vec<Scope> {
    [target.vault_scope.as_str(), "offline_access", "profile"]
        .into_iter()
        .map(|s| Scope::new(s.to_string()))
        .collect()
}

/// Sign in interactively. `remember` decides whether refresh tokens go to `on_refresh_token`
/// (the keychain writer) as they rotate.
pub async fn sign_in(
    target: &SignInTarget,
    method: SignInMethod,
    ui: &dyn SignInUi,
    cancel: &SignInCancel,
) -> AppResult<Arc<UserCredential>> {
    let client = oidc::discover(target).await?;
    let work = async {
        match method {
            SignInMethod::Browser => browser_flow(&client, target, ui).await,
            SignInMethod::DeviceCode => device_flow(&client, target, ui).await,
        }
    };
    let tokens = tokio::select! {
        result = work => result?,
        () = cancel.cancelled() => return Err(cancelled_error()),
    };
    UserCredential::from_tokens(client, target, tokens)
}

/// Sign in silently with a remembered refresh token ("Remember me" at start).
pub async fn resume(
    target: &SignInTarget,
    refresh_token: SecretValue,
) -> AppResult<Arc<UserCredential>> {
    let client = oidc::discover(target).await?;
    UserCredential::resume(client, target, refresh_token).await
}

async fn browser_flow(
    client: &oidc::AzureClient,
    target: &SignInTarget,
    ui: &dyn SignInUi,
) -> AppResult<oidc::IssuedTokens> {
    let listener = LoopbackListener::bind().await?;
    let redirect = RedirectUrl::new(listener.redirect_uri())
        .map_err(|e| AppError::internal(format!("loopback redirect URI: {e}")))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let client = client.clone().set_redirect_uri(redirect);
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in sign_in_scopes(target) {
        request = request.add_scope(scope);
    }
    if let Some(hint) = &target.login_hint {
        request = request.add_extra_param("login_hint", hint.clone());
    }
    let (url, state, nonce) = request.url();
    ui.open_browser(url.as_str()).map_err(|e| {
        AppError::new(
            ErrorCode::SignInFailed,
            format!("The system browser could not be opened ({e})."),
            "Use 'Sign in with a device code' instead: it works from any browser, even on another device.",
        )
    })?;
    let code = match listener.wait(state.secret(), SIGN_IN_TIMEOUT).await? {
        Redirect::Code(code) => code,
        Redirect::Refused { error, description } => {
            return Err(oidc::map_error_text(&error, &description));
        }
    };
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| AppError::internal(format!("token endpoint: {e}")))?
        .set_pkce_verifier(verifier)
        .request_async(&oidc::http(target))
        .await
        .map_err(|e| map_token_error(&e))?;
    oidc::issued(&client, response, Some(&nonce))
}

async fn device_flow(
    client: &oidc::AzureClient,
    target: &SignInTarget,
    ui: &dyn SignInUi,
) -> AppResult<oidc::IssuedTokens> {
    let http = oidc::http(target);
    let mut request = client.exchange_device_code();
    for scope in sign_in_scopes(target) {
        request = request.add_scope(scope);
    }
    let details: openidconnect::core::CoreDeviceAuthorizationResponse = request
        .request_async(&http)
        .await
        .map_err(|e| map_token_error(&e))?;
    ui.show_device_code(&DeviceCodePrompt {
        user_code: details.user_code().secret().clone(),
        verification_uri: details.verification_uri().to_string(),
        expires_at: Utc::now()
            + chrono::Duration::from_std(details.expires_in()).unwrap_or_default(),
    });
    let response = client
        .exchange_device_access_token(&details)
        .map_err(|e| AppError::internal(format!("token endpoint: {e}")))?
        .request_async(&http, tokio::time::sleep, Some(SIGN_IN_TIMEOUT))
        .await
        .map_err(|e| oidc::map_device_error(&e))?;
    // Device-code id tokens carry no nonce (none was sent).
    oidc::issued(client, response, None)
}
