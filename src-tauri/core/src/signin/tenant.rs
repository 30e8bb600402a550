//! One sign-in for every client tenant. The console's app registration may be multi-tenant in the
//! MSP's (home) tenant; the technician signs in once there and reaches each client tenant, where
//! they are a B2B guest, by redeeming the same refresh token at that tenant's token endpoint
//! (what the Azure SDKs' credentials do for `additionallyAllowedTenants`, and CIPP for every
//! customer tenant). No id token is asked of a client tenant: who the technician is, and their
//! console role, come from the home sign-in only; each vault's Azure RBAC still bounds what that
//! vault allows.
//!
//! A client tenant that needs the technician there in person (MFA or another Conditional Access
//! control, consent missing, not a guest) fails with its own named error, for that client only.

use std::sync::Arc;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use chrono::{DateTime, Utc};
use openidconnect::{OAuth2TokenResponse, RefreshToken, RequestTokenError, Scope, TokenUrl};

use super::SignInTarget;
use super::credential::UserCredential;
use super::http::LastAnswer;
use super::oidc::{self, AzureClient};
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};

/// A client tenant's tokens from the home sign-in: a `TokenCredential` for that tenant's vault.
pub struct TenantCredential {
    home: Arc<UserCredential>,
    tenant_id: String,
}

impl std::fmt::Debug for TenantCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantCredential")
            .field("tenant", &self.tenant_id)
            .field("home", &self.home)
            .finish()
    }
}

impl TenantCredential {
    pub(super) fn new(home: Arc<UserCredential>, tenant_id: &str) -> TenantCredential {
        TenantCredential {
            home,
            tenant_id: tenant_id.to_string(),
        }
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The home sign-in (its user and console role stand for every tenant).
    pub fn home(&self) -> &Arc<UserCredential> {
        &self.home
    }

    /// An access token for `scopes` in this tenant.
    pub async fn access_token(&self, scopes: &[&str]) -> AppResult<(SecretValue, DateTime<Utc>)> {
        self.home.access_token_in(&self.tenant_id, scopes).await
    }
}

#[async_trait]
impl TokenCredential for TenantCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        super::credential::as_azure_token(self.access_token(scopes).await)
    }
}

/// What a client tenant's token endpoint gave.
pub(super) struct TenantTokens {
    pub access_token: SecretValue,
    pub expires_at: DateTime<Utc>,
    pub refresh_token: Option<SecretValue>,
}

/// A redemption that failed; `transient` when Entra said to try again (429 or 5xx), with its
/// Retry-After in seconds when it gave one.
pub(super) struct RedeemFailure {
    pub error: AppError,
    pub transient: Option<Transient>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transient {
    Throttled { retry_after_secs: Option<u64> },
    Unavailable { status: u16 },
}

/// How many times a client tenant's transient refusal is retried before it is named.
pub(super) const TENANT_RETRIES: u32 = 2;
/// Longest Retry-After waited out inside a connect; a longer one is named with its time instead,
/// so one throttled tenant does not hold a morning's connect.
pub(super) const MAX_TENANT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Transient {
    /// How long to wait before retry `attempt` (0-based), or None when Entra asked for longer
    /// than the console waits inside a connect.
    pub(super) fn wait(self, attempt: u32) -> Option<std::time::Duration> {
        let wait = match self {
            Transient::Throttled {
                retry_after_secs: Some(secs),
            } => std::time::Duration::from_secs(secs),
            _ => std::time::Duration::from_millis(500) * 2u32.pow(attempt),
        };
        (wait <= MAX_TENANT_WAIT).then_some(wait)
    }
}

/// Redeem the home refresh token at `tenant`'s token endpoint for `scope` (no id token asked).
pub(super) async fn redeem_in(
    client: &AzureClient,
    target: &SignInTarget,
    tenant: &str,
    refresh_token: &SecretValue,
    scope: &str,
) -> Result<TenantTokens, RedeemFailure> {
    let plain = |error: AppError| RedeemFailure {
        error,
        transient: None,
    };
    // Same authority host as the home sign-in (the guarded HTTP client sends nowhere else); the
    // tenant id was validated with the client's settings.
    let token_url = TokenUrl::new(format!(
        "{}/{tenant}/oauth2/v2.0/token",
        target.authority_host.trim_end_matches('/')
    ))
    .map_err(|e| plain(AppError::internal(format!("tenant token endpoint: {e}"))))?;
    let tenant_client = client.clone().set_token_uri(token_url);
    let refresh = RefreshToken::new(refresh_token.expose().to_string());
    let mut request = tenant_client.exchange_refresh_token(&refresh);
    for s in scope.split_whitespace().chain(["offline_access"]) {
        request = request.add_scope(Scope::new(s.to_string()));
    }
    let answer = Arc::new(std::sync::Mutex::new(None));
    let response = request
        .request_async(&oidc::http(target).recording(answer.clone()))
        .await
        .map_err(|error| {
            let last = *answer.lock().unwrap_or_else(|p| p.into_inner());
            match last.and_then(transient_answer) {
                Some(transient) => RedeemFailure {
                    error: transient_error(transient, tenant),
                    transient: Some(transient),
                },
                None => plain(tenant_error(&error, tenant, target)),
            }
        })?;
    let lifetime = response
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .unwrap_or_else(|| chrono::Duration::seconds(0));
    Ok(TenantTokens {
        access_token: SecretValue::new(response.access_token().secret().as_str()),
        expires_at: Utc::now() + lifetime,
        refresh_token: response
            .refresh_token()
            .map(|t| SecretValue::new(t.secret().as_str())),
    })
}

/// Entra's "try again" answers: 429 and the 5xx of an outage.
fn transient_answer(answer: LastAnswer) -> Option<Transient> {
    match answer.status {
        429 => Some(Transient::Throttled {
            retry_after_secs: answer.retry_after_secs,
        }),
        500 | 502 | 503 | 504 => Some(Transient::Unavailable {
            status: answer.status,
        }),
        _ => None,
    }
}

/// A client tenant's token endpoint that kept saying "try again", named for that tenant.
pub(super) fn transient_error(transient: Transient, tenant: &str) -> AppError {
    match transient {
        Transient::Throttled { retry_after_secs } => {
            let when = retry_after_secs
                .map(|secs| format!("in {secs} seconds (Entra's Retry-After)"))
                .unwrap_or_else(|| "in a minute".to_string());
            AppError::new(
                ErrorCode::Throttled,
                format!("Entra ID is throttling token requests for tenant {tenant} (HTTP 429)."),
                format!(
                    "Use Connect on this client again {when}; the other clients are not affected."
                ),
            )
        }
        Transient::Unavailable { status } => AppError::new(
            ErrorCode::ServiceUnavailable,
            format!(
                "Entra ID's token endpoint for tenant {tenant} is not answering (HTTP {status}), even after {TENANT_RETRIES} retries."
            ),
            "This is usually a short outage at Microsoft: use Connect on this client again in a few minutes (status.azure.com shows incidents). The other clients are not affected.",
        ),
    }
}

/// Entra's refusals that belong to the client tenant, named; everything else as for any token.
fn tenant_error<RE, T>(
    error: &RequestTokenError<RE, openidconnect::StandardErrorResponse<T>>,
    tenant: &str,
    target: &SignInTarget,
) -> AppError
where
    RE: std::error::Error + 'static,
    T: openidconnect::ErrorResponseType + std::fmt::Debug + std::fmt::Display + 'static,
{
    if let RequestTokenError::ServerResponse(response) = error {
        let description = response
            .error_description()
            .map(String::as_str)
            .unwrap_or_default();
        if let Some(named) = classify(&response.error().to_string(), description, tenant, target) {
            return named;
        }
    }
    oidc::map_token_error(error)
}

/// The AADSTS code at the start of an Entra error description.
fn aadsts_code(description: &str) -> Option<u32> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Codes for which only the technician, signed in at that tenant, can get a token: MFA
/// (50076, 50079, 50074, 50072), a Conditional Access block or control (53000–53004, 50158),
/// device state (50097, 50129), password change (50055, 50144), terms of use (50135).
const INTERACTION_CODES: [u32; 14] = [
    50076, 50079, 50074, 50072, 50158, 53000, 53001, 53002, 53003, 53004, 50097, 50129, 50055,
    50135,
];

fn classify(
    error: &str,
    description: &str,
    tenant: &str,
    target: &SignInTarget,
) -> Option<AppError> {
    let code = aadsts_code(description);
    let consent = code == Some(65001) || error == "consent_required";
    if consent {
        return Some(AppError::new(
            ErrorCode::TenantConsentRequired,
            format!(
                "The console's app registration is not consented in tenant {tenant} (AADSTS65001)."
            ),
            format!(
                "Send this tenant's administrator the admin consent link: {}. Connect again once they have approved it.",
                admin_consent_url(target, tenant)
            ),
        ));
    }
    if code == Some(50020) || code == Some(50034) {
        return Some(AppError::new(
            ErrorCode::NotInTenant,
            format!(
                "You are not a user of tenant {tenant}, so your sign-in cannot reach its vault (AADSTS{}).",
                code.unwrap_or(50020)
            ),
            "Ask the client tenant's administrator to invite your account as a guest (B2B), or reach the tenant through GDAP, and give it a Key Vault role on the vault. If you were invited only just now, the invitation can take a few minutes to reach the tenant's sign-in: use Connect on this client again then.",
        ));
    }
    if code.is_some_and(|c| INTERACTION_CODES.contains(&c)) || error == "interaction_required" {
        let shown = code.map(|c| format!(" (AADSTS{c})")).unwrap_or_default();
        return Some(AppError::new(
            ErrorCode::TenantSignInRequired,
            format!(
                "Tenant {tenant} wants you to sign in there yourself, for multi-factor authentication or another Conditional Access check{shown}."
            ),
            "Use Sign in to this tenant on the client: one browser sign-in there, and the other clients stay connected.",
        ));
    }
    None
}

/// The admin consent address for the console's app in `tenant` (Microsoft identity platform
/// v2.0 `adminconsent` endpoint), to send to that tenant's administrator.
pub fn admin_consent_url(target: &SignInTarget, tenant: &str) -> String {
    consent_link(
        &target.authority_host,
        &target.client_id,
        &target.vault_scope,
        tenant,
    )
}

/// [`admin_consent_url`] from a client's settings' parts.
pub fn consent_link(
    authority_host: &str,
    client_id: &str,
    vault_scope: &str,
    tenant: &str,
) -> String {
    let mut url = match url::Url::parse(&format!(
        "{}/{tenant}/v2.0/adminconsent",
        authority_host.trim_end_matches('/')
    )) {
        Ok(url) => url,
        Err(_) => return String::new(),
    };
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("scope", vault_scope)
        .append_pair("redirect_uri", "http://127.0.0.1");
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> SignInTarget {
        SignInTarget {
            authority_host: "https://login.microsoftonline.com".into(),
            tenant_id: "11111111-1111-1111-1111-111111111111".into(),
            client_id: "22222222-2222-2222-2222-222222222222".into(),
            vault_scope: "https://vault.azure.net/.default".into(),
            http: reqwest::Client::new(),
            login_hint: None,
        }
    }

    #[test]
    fn client_tenant_refusals_are_named_for_that_tenant() {
        let tenant = "contoso.onmicrosoft.com";
        let mfa = classify(
            "invalid_grant",
            "AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication",
            tenant,
            &target(),
        )
        .map(|e| e.code);
        assert_eq!(mfa, Some(ErrorCode::TenantSignInRequired));
        let ca = classify(
            "invalid_grant",
            "AADSTS53003: Access has been blocked by Conditional Access policies.",
            tenant,
            &target(),
        );
        assert_eq!(ca.map(|e| e.code), Some(ErrorCode::TenantSignInRequired));
        let consent = classify(
            "invalid_grant",
            "AADSTS65001: The user or administrator has not consented to use the application",
            tenant,
            &target(),
        );
        let consent = consent.as_ref();
        assert_eq!(
            consent.map(|e| e.code),
            Some(ErrorCode::TenantConsentRequired)
        );
        assert!(
            consent.is_some_and(|e| e.hint.contains(
                "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/adminconsent?client_id=22222222-2222-2222-2222-222222222222"
            )),
            "{consent:?}"
        );
        let guest = classify(
            "invalid_grant",
            "AADSTS50020: User account 'a@msp.example' from identity provider",
            tenant,
            &target(),
        );
        assert_eq!(guest.map(|e| e.code), Some(ErrorCode::NotInTenant));
        // Not the tenant's business: the ordinary mapping applies.
        assert!(
            classify(
                "invalid_grant",
                "AADSTS700082: The refresh token has expired",
                tenant,
                &target()
            )
            .is_none()
        );
        assert!(classify("invalid_grant", "no code at all", tenant, &target()).is_none());
    }

    #[test]
    fn the_admin_consent_link_asks_for_the_vault_scope_on_the_sign_in_host() {
        let url = admin_consent_url(&target(), "contoso.onmicrosoft.com");
        assert_eq!(
            url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/adminconsent?client_id=22222222-2222-2222-2222-222222222222&scope=https%3A%2F%2Fvault.azure.net%2F.default&redirect_uri=http%3A%2F%2F127.0.0.1"
        );
    }
}
