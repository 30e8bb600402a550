//! The signed-in technician's tokens as an `azure_core` `TokenCredential`, so the official Key
//! Vault client sends the user's own access token. Access tokens are kept per scope and renewed
//! with the refresh token 5 minutes before they expire; each renewal re-verifies the id token, so
//! a role removed in Entra takes effect at the next renewal. Refresh tokens rotate: each new one
//! replaces the old in memory and, when remembered, in the keychain.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::time::OffsetDateTime;
use chrono::{DateTime, Utc};
use openidconnect::{RefreshToken, Scope};

use super::oidc::{self, AzureClient, IssuedTokens};
use super::tenant::TenantCredential;
use super::{SignInTarget, SignedInUser};
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};

/// Renew an access token this long before it expires.
const RENEW_BEFORE: chrono::Duration = chrono::Duration::minutes(5);

/// Called with each new refresh token (the keychain writer of "Remember me").
pub type RefreshTokenSink = Box<dyn Fn(&SecretValue) + Send + Sync>;

struct Tokens {
    refresh: Option<SecretValue>,
    /// Access tokens by the space-joined scopes they were issued for.
    access: HashMap<String, (SecretValue, DateTime<Utc>)>,
}

pub struct UserCredential {
    client: AzureClient,
    target: SignInTarget,
    tokens: tokio::sync::Mutex<Tokens>,
    user: RwLock<SignedInUser>,
    on_refresh_token: RwLock<Option<RefreshTokenSink>>,
    /// One lock per client tenant and scope (see `access_token_in`).
    in_flight: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for UserCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredential")
            .field("user", &self.user().upn)
            .field("tokens", &"[redacted]")
            .finish()
    }
}

fn to_offset(at: DateTime<Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(at.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl UserCredential {
    pub(super) fn from_tokens(
        client: AzureClient,
        target: &SignInTarget,
        issued: IssuedTokens,
    ) -> AppResult<Arc<UserCredential>> {
        let user = issued.user.ok_or_else(|| {
            AppError::new(
                ErrorCode::SignInFailed,
                "Entra ID signed you in but sent no id token, so the console cannot tell who you are.",
                "Check that the console's app registration is a normal (not a daemon) app and try again.",
            )
        })?;
        let mut access = HashMap::new();
        access.insert(
            target.vault_scope.clone(),
            (issued.access_token, issued.expires_at),
        );
        Ok(Arc::new(UserCredential {
            client,
            target: target.clone(),
            tokens: tokio::sync::Mutex::new(Tokens {
                refresh: issued.refresh_token,
                access,
            }),
            user: RwLock::new(user),
            on_refresh_token: RwLock::new(None),
            in_flight: std::sync::Mutex::new(HashMap::new()),
        }))
    }

    pub(super) async fn resume(
        client: AzureClient,
        target: &SignInTarget,
        refresh_token: SecretValue,
    ) -> AppResult<Arc<UserCredential>> {
        let issued = redeem(&client, target, &refresh_token, &target.vault_scope).await?;
        Self::from_tokens(client, target, issued)
    }

    /// Who is signed in (as of the last verified id token).
    pub fn user(&self) -> SignedInUser {
        self.user.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Keep each new refresh token (and the current one now) with `sink` ("Remember me").
    pub async fn remember_with(&self, sink: RefreshTokenSink) {
        if let Some(current) = &self.tokens.lock().await.refresh {
            sink(current);
        }
        *self
            .on_refresh_token
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(sink);
    }

    /// Drop every token now (sign-out). Later calls fail with "signed out".
    pub async fn sign_out(&self) {
        let mut tokens = self.tokens.lock().await;
        tokens.refresh = None;
        tokens.access.clear();
        *self
            .on_refresh_token
            .write()
            .unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// An access token for `scopes`, renewed when it is within 5 minutes of expiring.
    pub async fn access_token(&self, scopes: &[&str]) -> AppResult<(SecretValue, DateTime<Utc>)> {
        let key = scopes.join(" ");
        let mut tokens = self.tokens.lock().await;
        if let Some((token, expires)) = tokens.access.get(&key)
            && *expires - RENEW_BEFORE > Utc::now()
        {
            return Ok((SecretValue::new(token.expose()), *expires));
        }
        let refresh = tokens.refresh.as_ref().ok_or_else(signed_out)?;
        let issued = redeem(&self.client, &self.target, refresh, &key).await?;
        if let Some(user) = issued.user {
            *self.user.write().unwrap_or_else(|p| p.into_inner()) = user;
        }
        self.keep_rotated(&mut tokens, issued.refresh_token);
        let result = (
            SecretValue::new(issued.access_token.expose()),
            issued.expires_at,
        );
        tokens
            .access
            .insert(key, (issued.access_token, issued.expires_at));
        Ok(result)
    }

    /// A client tenant's credential from this sign-in (see `tenant.rs`).
    pub fn for_tenant(self: &Arc<Self>, tenant_id: &str) -> Arc<TenantCredential> {
        Arc::new(TenantCredential::new(self.clone(), tenant_id))
    }

    /// An access token for `scopes` in `tenant` (a client tenant where the technician is a
    /// guest), from this sign-in's refresh token. Client tenants redeem in parallel: Entra does
    /// not revoke a refresh token when it is used (learn.microsoft.com/entra/identity-platform/
    /// refresh-tokens), so each redemption starts from the newest token held and the newest
    /// answer is kept. Only one redemption per tenant and scope runs at a time, so a vault's
    /// secrets, certificates and keys clients asking at once cost one token request.
    pub(super) async fn access_token_in(
        &self,
        tenant: &str,
        scopes: &[&str],
    ) -> AppResult<(SecretValue, DateTime<Utc>)> {
        if tenant.eq_ignore_ascii_case(&self.target.tenant_id) {
            return self.access_token(scopes).await;
        }
        let scope = scopes.join(" ");
        let key = format!("{} {scope}", tenant.to_ascii_lowercase());
        let flight = self.flight_for(&key);
        let _one_at_a_time = flight.lock().await;
        let mut attempt = 0;
        loop {
            let refresh = {
                let tokens = self.tokens.lock().await;
                if let Some((token, expires)) = tokens.access.get(&key)
                    && *expires - RENEW_BEFORE > Utc::now()
                {
                    return Ok((SecretValue::new(token.expose()), *expires));
                }
                let refresh = tokens.refresh.as_ref().ok_or_else(signed_out)?;
                SecretValue::new(refresh.expose())
            };
            // Without the token lock: the other client tenants redeem (or wait out a
            // Retry-After) meanwhile.
            let failure = match super::tenant::redeem_in(
                &self.client,
                &self.target,
                tenant,
                &refresh,
                &scope,
            )
            .await
            {
                Ok(issued) => {
                    let mut tokens = self.tokens.lock().await;
                    // Signed out while the request was out: keep nothing.
                    if tokens.refresh.is_none() {
                        return Err(signed_out());
                    }
                    self.keep_rotated(&mut tokens, issued.refresh_token);
                    let result = (
                        SecretValue::new(issued.access_token.expose()),
                        issued.expires_at,
                    );
                    tokens
                        .access
                        .insert(key, (issued.access_token, issued.expires_at));
                    return Ok(result);
                }
                Err(failure) => failure,
            };
            let wait = failure
                .transient
                .filter(|_| attempt < super::tenant::TENANT_RETRIES)
                .and_then(|transient| transient.wait(attempt));
            match wait {
                Some(wait) => {
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                None => return Err(failure.error),
            }
        }
    }

    /// The lock that lets one redemption per tenant and scope run at a time.
    fn flight_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.to_string())
            .or_default()
            .clone()
    }

    /// Entra rotates the refresh token on every redemption: keep the new one (and hand it to
    /// "Remember me").
    fn keep_rotated(&self, tokens: &mut Tokens, rotated: Option<SecretValue>) {
        let Some(rotated) = rotated else { return };
        if let Some(sink) = self
            .on_refresh_token
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            sink(&rotated);
        }
        tokens.refresh = Some(rotated);
    }
}

fn signed_out() -> AppError {
    AppError::new(
        ErrorCode::SessionExpired,
        "You are signed out.",
        "Sign in with Microsoft again.",
    )
}

/// Redeem a refresh token for `scope` (plus a new id token and refresh token).
async fn redeem(
    client: &AzureClient,
    target: &SignInTarget,
    refresh_token: &SecretValue,
    scope: &str,
) -> AppResult<IssuedTokens> {
    let refresh = RefreshToken::new(refresh_token.expose().to_string());
    let mut request = client
        .exchange_refresh_token(&refresh)
        .map_err(|e| AppError::internal(format!("token endpoint: {e}")))?;
    for s in scope
        .split_whitespace()
        .chain(["offline_access", "openid", "profile"])
    {
        request = request.add_scope(Scope::new(s.to_string()));
    }
    let response = request
        .request_async(&oidc::http(target))
        .await
        .map_err(|e| oidc::map_token_error(&e))?;
    oidc::issued(client, response, None)
}

#[async_trait]
impl TokenCredential for UserCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        as_azure_token(self.access_token(scopes).await)
    }
}

/// One of our tokens as the Azure SDK's, our named error carried through its error.
pub(super) fn as_azure_token(
    token: AppResult<(SecretValue, DateTime<Utc>)>,
) -> azure_core::Result<AccessToken> {
    let (token, expires) = token.map_err(|error| {
        azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, error.carry())
    })?;
    Ok(AccessToken::new(
        Secret::new(token.expose().to_string()),
        to_offset(expires),
    ))
}
