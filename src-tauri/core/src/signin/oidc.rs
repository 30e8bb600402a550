//! Entra as an OpenID Connect provider, through the `openidconnect` crate: discovery of the
//! tenant's endpoints and signing keys, the client type with Entra's extra id-token claims, id
//! token verification, and Entra's errors turned into named console errors.

use std::fmt::Debug;

use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, Client, ClientId, DeviceAuthorizationUrl,
    DeviceCodeErrorResponse, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse, ProviderMetadata, RequestTokenError,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};

use super::http::{OidcHttp, SignInHttpError, authority_origin};
use super::{SignInTarget, SignedInUser};
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};

/// Entra's id-token claims beyond the standard ones: the app roles, the object id, the tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzureClaims {
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub tid: Option<String>,
}

impl AdditionalClaims for AzureClaims {}

/// The discovery document's device authorization endpoint, which standard OIDC metadata lacks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceEndpoint {
    #[serde(default)]
    device_authorization_endpoint: Option<DeviceAuthorizationUrl>,
}

impl AdditionalProviderMetadata for DeviceEndpoint {}

type AzureProviderMetadata = ProviderMetadata<
    DeviceEndpoint,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type AzureIdTokenFields = IdTokenFields<
    AzureClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

pub(crate) type AzureTokenResponse = StandardTokenResponse<AzureIdTokenFields, CoreTokenType>;

/// The client with or without its device authorization endpoint set (`D`).
pub(crate) type AzureClientWith<D> = Client<
    AzureClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    AzureTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    D,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

pub(crate) type AzureClient = AzureClientWith<EndpointSet>;

pub(crate) fn http(target: &SignInTarget) -> OidcHttp {
    OidcHttp::new(target.http.clone(), &target.authority_host)
}

/// A discovery document's endpoint that is not https on the authority's own host: the console
/// opens no browser on it and posts nothing to it.
fn off_authority(target: &SignInTarget, what: &str, url: &url::Url) -> Option<AppError> {
    let origin = authority_origin(&target.authority_host);
    if url.scheme() == "https" && url.origin() == origin {
        return None;
    }
    Some(AppError::new(
        ErrorCode::UntrustedServer,
        format!(
            "The sign-in configuration from {} sends the {what} to {}, not to the sign-in host itself, so the console did not use it.",
            target.authority_host,
            url.origin().ascii_serialization()
        ),
        "Check the client's cloud and authority host. If they are right, something between this PC and Entra ID is rewriting its answers: tell your Azure administrator.",
    ))
}

/// A sign-in request that was never answered in full, as a named error.
pub(crate) fn http_error(error: &SignInHttpError, target_host: &str) -> Option<AppError> {
    match error {
        SignInHttpError::TooLarge => Some(crate::store::azure::too_large(
            "Entra ID",
            crate::store::azure::MAX_AUTHORITY_BODY,
        )),
        SignInHttpError::OtherHost(host) => Some(AppError::new(
            ErrorCode::UntrustedServer,
            format!(
                "Entra ID's answer sent the console on to {host}, which is not the sign-in host {target_host}; nothing was sent there."
            ),
            "Check the client's cloud and authority host. If they are right, something between this PC and Entra ID is rewriting its answers: tell your Azure administrator.",
        )),
        SignInHttpError::Send(_) | SignInHttpError::Read(_) => None,
    }
}

/// `{authority}/{tenant}/v2.0`, the issuer Entra's v2.0 endpoints name.
fn issuer(target: &SignInTarget) -> String {
    format!(
        "{}/{}/v2.0",
        target.authority_host.trim_end_matches('/'),
        target.tenant_id
    )
}

/// Fetch the tenant's OpenID configuration and signing keys, and build the public client.
pub(crate) async fn discover(target: &SignInTarget) -> AppResult<AzureClient> {
    let issuer_url = IssuerUrl::new(issuer(target)).map_err(|e| {
        AppError::field(
            "authorityHost",
            format!("Not a URL: {e}"),
            "Use https://login.microsoftonline.com or your cloud's sign-in host.",
        )
    })?;
    let metadata = AzureProviderMetadata::discover_async(issuer_url, &http(target))
        .await
        .map_err(|e| {
            if let openidconnect::DiscoveryError::Request(request) = &e
                && let Some(named) = http_error(request, &target.authority_host)
            {
                return named;
            }
            let text = error_chain(&e);
            if text.contains("AADSTS90002") || text.contains("404") || text.contains("400") {
                AppError::new(
                    ErrorCode::TenantNotFound,
                    format!("Entra ID does not know tenant {}.", target.tenant_id),
                    "Copy the Directory (tenant) ID from Entra ID → Overview, and check that the cloud matches your tenant.",
                )
            } else {
                transport_error(&text)
            }
        })?;
    let device_url = match metadata
        .additional_metadata()
        .device_authorization_endpoint
        .clone()
    {
        Some(url) => url,
        None => DeviceAuthorizationUrl::new(format!(
            "{}/{}/oauth2/v2.0/devicecode",
            target.authority_host.trim_end_matches('/'),
            target.tenant_id
        ))
        .map_err(|e| AppError::internal(format!("device code endpoint: {e}")))?,
    };
    // The signing keys were fetched through the same guarded client; these are the addresses
    // the browser is sent to and the codes and refresh tokens are posted to.
    let endpoints = [
        ("sign-in page", metadata.authorization_endpoint().url()),
        (
            "token requests",
            metadata
                .token_endpoint()
                .map(|t| t.url())
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::UnexpectedResponse,
                        "Entra ID's sign-in configuration names no token endpoint.",
                        "Check that the authority host points at Entra ID (or your cloud's sign-in host).",
                    )
                })?,
        ),
        ("device code requests", device_url.url()),
    ];
    if let Some(refused) = endpoints
        .into_iter()
        .find_map(|(what, url)| off_authority(target, what, url))
    {
        return Err(refused);
    }
    Ok(AzureClientWith::<EndpointNotSet>::from_provider_metadata(
        metadata,
        ClientId::new(target.client_id.clone()),
        None,
    )
    .set_device_authorization_url(device_url))
}

/// What a successful token request left us with.
pub(crate) struct IssuedTokens {
    pub access_token: SecretValue,
    pub expires_at: DateTime<Utc>,
    pub refresh_token: Option<SecretValue>,
    /// From the verified id token; `None` when the reply carried none (then the old one stands).
    pub user: Option<SignedInUser>,
}

/// Verify the reply's id token (signature against the tenant's keys, issuer, audience = the
/// console's client id, expiry, and the nonce when one was sent) and keep the tokens.
pub(crate) fn issued(
    client: &AzureClient,
    response: AzureTokenResponse,
    nonce: Option<&Nonce>,
) -> AppResult<IssuedTokens> {
    let user = match response.id_token() {
        None => None,
        Some(id_token) => {
            let verifier = client.id_token_verifier();
            let claims = match nonce {
                Some(nonce) => id_token.claims(&verifier, nonce),
                // Refreshed and device-code id tokens carry no nonce.
                None => id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
            }
            .map_err(|e| {
                AppError::new(
                    ErrorCode::SignInFailed,
                    format!("The sign-in reply's identity could not be verified ({e})."),
                    "The console trusts only id tokens signed by your tenant for its own app registration. Check the Tenant ID and Client ID, and that nothing between this PC and Entra rewrites the traffic.",
                )
            })?;
            let extra = claims.additional_claims();
            let upn = claims
                .preferred_username()
                .map(|u| u.to_string())
                .unwrap_or_default();
            let name = claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| upn.clone());
            Some(SignedInUser {
                name,
                upn,
                oid: extra
                    .oid
                    .clone()
                    .unwrap_or_else(|| claims.subject().to_string()),
                tenant_id: extra.tid.clone().unwrap_or_default(),
                roles: extra.roles.clone(),
            })
        }
    };
    let lifetime = response
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .unwrap_or_else(|| chrono::Duration::seconds(0));
    Ok(IssuedTokens {
        access_token: SecretValue::new(response.access_token().secret().as_str()),
        expires_at: Utc::now() + lifetime,
        refresh_token: response
            .refresh_token()
            .map(|t| SecretValue::new(t.secret().as_str())),
        user,
    })
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(" | ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn transport_error(text: &str) -> AppError {
    let lower = text.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("tls") {
        return AppError::new(
            ErrorCode::TlsFailure,
            "The secure connection to Entra ID failed.",
            "A proxy may be inspecting HTTPS: add its root CA under a Custom cloud, or check the authority host.",
        );
    }
    if lower.contains("timed out") || lower.contains("timeout") {
        return AppError::new(
            ErrorCode::Timeout,
            "Entra ID did not answer in time.",
            "Check your network or VPN and try again.",
        );
    }
    AppError::new(
        ErrorCode::NetworkUnreachable,
        format!("Entra ID could not be reached ({text})."),
        "Check the internet or VPN connection and the cloud you picked.",
    )
}

/// An Entra error (`error` + `error_description` with its AADSTS code) as a named console error.
pub(crate) fn map_error_text(error: &str, description: &str) -> AppError {
    let has = |code: &str| description.contains(&format!("AADSTS{code}"));
    if has("7000218") || has("700025") {
        return AppError::new(
            ErrorCode::SignInFailed,
            "The app registration does not allow public client flows, so technicians cannot sign in with it.",
            "In Entra ID → App registrations → the console's app → Authentication, set 'Allow public client flows' to Yes and add the Mobile and desktop redirect URI http://127.0.0.1 (see the Setup Guide).",
        );
    }
    if has("50011") || has("500113") {
        return AppError::new(
            ErrorCode::SignInFailed,
            "The app registration does not accept this console's redirect address.",
            "Add the redirect URI http://127.0.0.1 under Authentication → Mobile and desktop applications of the console's app registration (see the Setup Guide); the console no longer uses http://localhost.",
        );
    }
    if has("50105") {
        return AppError::new(
            ErrorCode::NoAppRole,
            "Your account is not assigned to the console's app, and the app requires assignment.",
            "An Entra admin assigns you (or your group) a console role: Enterprise applications → the console's app → Users and groups → Add user/group.",
        );
    }
    if has("700016") {
        return AppError::new(
            ErrorCode::AppNotFound,
            "Entra ID does not know this Client ID in this tenant (AADSTS700016).",
            "Check the Client ID is the console's app registration's Application (client) ID, registered in this tenant.",
        );
    }
    if has("90002") {
        return AppError::new(
            ErrorCode::TenantNotFound,
            "Entra ID does not know this tenant (AADSTS90002).",
            "Copy the Directory (tenant) ID from Entra ID → Overview, and check that the cloud matches.",
        );
    }
    if has("700082") || has("700084") || has("50173") || has("70008") {
        return AppError::new(
            ErrorCode::SessionExpired,
            "Your sign-in has expired.",
            "Sign in with Microsoft again.",
        );
    }
    if has("50076") || has("50079") || has("50158") || has("53003") {
        return AppError::new(
            ErrorCode::SessionExpired,
            "Entra ID needs you to sign in again (multi-factor or a Conditional Access policy).",
            "Sign in with Microsoft again and complete the prompts; Conditional Access may also limit where you can sign in from.",
        );
    }
    if error == "invalid_grant" {
        return AppError::new(
            ErrorCode::SessionExpired,
            "Entra ID no longer accepts this sign-in.",
            "Sign in with Microsoft again.",
        );
    }
    if error == "access_denied" || error == "authorization_declined" || has("65004") {
        return AppError::new(
            ErrorCode::SignInCancelled,
            "The sign-in was declined.",
            "Start again and approve the sign-in, or ask an Entra admin to grant consent for the console's app.",
        );
    }
    if error == "expired_token" || has("70020") {
        return AppError::new(
            ErrorCode::SignInFailed,
            "The device code expired before the sign-in was completed.",
            "Start again and enter the new code within a few minutes.",
        );
    }
    let code = description
        .split("AADSTS")
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|c| !c.is_empty())
        .map(|c| format!(" (AADSTS{c})"))
        .unwrap_or_default();
    AppError::new(
        ErrorCode::SignInFailed,
        format!("Entra ID refused the sign-in: {error}{code}."),
        "Check the Tenant ID and Client ID against the console's app registration, then try again.",
    )
}

/// A failed token request (authorization code, refresh, device authorization).
pub fn map_token_error<RE, T>(error: &RequestTokenError<RE, StandardErrorResponse<T>>) -> AppError
where
    RE: std::error::Error + 'static,
    T: openidconnect::ErrorResponseType + Debug + std::fmt::Display + 'static,
{
    match error {
        RequestTokenError::ServerResponse(response) => map_error_text(
            &response.error().to_string(),
            response
                .error_description()
                .map(String::as_str)
                .unwrap_or_default(),
        ),
        RequestTokenError::Request(request) => {
            let named = (request as &(dyn std::error::Error + 'static))
                .downcast_ref::<SignInHttpError>()
                .and_then(|e| http_error(e, "of this client"));
            named.unwrap_or_else(|| transport_error(&error_chain(request)))
        }
        RequestTokenError::Parse(parse, _) => AppError::new(
            ErrorCode::UnexpectedResponse,
            format!("Entra ID's answer could not be read ({parse})."),
            "Check that the authority host points at Entra ID (or your cloud's sign-in host).",
        ),
        RequestTokenError::Other(other) => map_error_text(other, other),
    }
}

pub(crate) fn map_device_error(
    error: &RequestTokenError<SignInHttpError, DeviceCodeErrorResponse>,
) -> AppError {
    map_token_error(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_refusals_are_named_with_the_fix() {
        let cases = [
            (
                "invalid_client",
                "AADSTS7000218: The request body must contain client_assertion or client_secret.",
                "public client flows",
            ),
            (
                "invalid_request",
                "AADSTS50011: The redirect URI specified does not match",
                "http://127.0.0.1",
            ),
            (
                "invalid_grant",
                "AADSTS700082: The refresh token has expired due to inactivity.",
                "Sign in with Microsoft again",
            ),
            (
                "invalid_grant",
                "AADSTS50105: Your administrator has configured the application to block users",
                "Users and groups",
            ),
            (
                "expired_token",
                "AADSTS70020: The provided value for the input parameter 'device_code' is not valid.",
                "new code",
            ),
            (
                "access_denied",
                "AADSTS65004: User declined to consent",
                "approve",
            ),
        ];
        for (error, description, hint) in cases {
            let mapped = map_error_text(error, description);
            assert!(mapped.hint.contains(hint), "{description}: {mapped:?}");
        }
        assert_eq!(
            map_error_text("invalid_grant", "AADSTS700082: expired").code,
            ErrorCode::SessionExpired
        );
        let other = map_error_text("temporarily_unavailable", "AADSTS90033: busy");
        assert!(other.message.contains("AADSTS90033"));
    }
}
