//! Entra ID (v2.0) side: client-credentials token endpoint and OIDC discovery document.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::respond::{self, HttpResponse, pseudo_uuid};
use super::state::{Identity, IssuedToken, State};
use crate::tls::IncomingRequest;

/// An Entra error: HTTP status, OAuth `error`, AADSTS number and description text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraError {
    pub status: u16,
    pub error: String,
    pub code: u64,
    pub description: String,
}

impl EntraError {
    fn new(status: u16, error: &str, code: u64, description: String) -> EntraError {
        EntraError {
            status,
            error: error.to_string(),
            code,
            description,
        }
    }

    /// Entra's JSON error shape, with trace/correlation ids appended to the description
    /// the way Entra does.
    pub fn response(&self, authority_host: &str) -> HttpResponse {
        let trace_id = pseudo_uuid();
        let correlation_id = pseudo_uuid();
        let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("{authority_host}/error?code={}", self.code),
        });
        respond::json(self.status, &body)
    }
}

pub fn unknown_tenant(tenant: &str, error: &str) -> EntraError {
    EntraError::new(
        400,
        error,
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are \
             signing into the correct cloud. Check with your subscription administrator, this may \
             happen if there are no active subscriptions for the tenant."
        ),
    )
}

fn missing_parameter(name: &str) -> EntraError {
    EntraError::new(
        400,
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// Tenant ids may contain only letters, digits, '.' and '-'.
fn tenant_syntax_ok(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Client id and secret from HTTP Basic auth, if the client sent them that way.
fn basic_credentials(request: &IncomingRequest) -> Option<(String, String)> {
    let header = request
        .headers
        .get(hyper::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// `POST /{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials`.
pub fn issue_token(
    state: &mut State,
    tenant: &str,
    request: &IncomingRequest,
) -> Result<Value, EntraError> {
    if !tenant_syntax_ok(tenant) || !state.tenant_known(tenant) {
        return Err(unknown_tenant(tenant, "invalid_request"));
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let basic = basic_credentials(request);
    let grant_type = field("grant_type").ok_or_else(|| missing_parameter("grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(EntraError::new(
            400,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        ));
    }
    let client_id = field("client_id")
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()))
        .ok_or_else(|| missing_parameter("client_id"))?;
    let app = state.find_app(tenant, &client_id).ok_or_else(|| {
        EntraError::new(
            400,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory \
                 '{tenant}'. This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant. You may \
                 have sent your authentication request to the wrong tenant."
            ),
        )
    })?;
    let presented = field("client_secret")
        .or_else(|| basic.as_ref().map(|(_, secret)| secret.clone()))
        .ok_or_else(|| {
            EntraError::new(
                401,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the \
                 'client_credentials' grant type."
                    .to_string(),
            )
        })?;
    let matching = app.secrets.iter().find(|secret| secret.value == presented);
    match matching {
        None => {
            return Err(EntraError::new(
                401,
                "invalid_client",
                7000215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is \
                     the client secret value, not the client secret ID, for a secret added to app \
                     '{client_id}'."
                ),
            ));
        }
        Some(secret) if secret.expires.is_some_and(|at| at <= chrono::Utc::now()) => {
            return Err(EntraError::new(
                401,
                "invalid_client",
                7000222,
                format!(
                    "The provided client secret keys for app '{client_id}' are expired. Visit the \
                     Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, \
                     or consider using certificate credentials for added security: \
                     https://aka.ms/certCreds."
                ),
            ));
        }
        Some(_) => {}
    }
    let scope = field("scope").ok_or_else(|| missing_parameter("scope"))?;
    let Some(audience) = scope.trim().strip_suffix("/.default") else {
        return Err(EntraError::new(
            400,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {scope} is not valid. Client credential flows must \
                 have a scope value with /.default suffixed to the resource identifier \
                 (application ID URI)."
            ),
        ));
    };
    let identity = Identity {
        tenant: app.tenant.clone(),
        client_id: app.client_id.clone(),
    };
    let token = format!(
        "akv-emu.{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let lifetime = state.token_lifetime_secs;
    state.tokens.insert(
        token.clone(),
        IssuedToken {
            identity,
            audience: audience.to_string(),
            expires_at: Instant::now() + Duration::from_secs(lifetime),
        },
    );
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }))
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`, which MSAL (Python) fetches first.
pub fn openid_configuration(state: &State, tenant: &str, base: &str) -> Result<Value, EntraError> {
    if !tenant_syntax_ok(tenant) || !state.tenant_known(tenant) {
        return Err(unknown_tenant(tenant, "invalid_tenant"));
    }
    Ok(json!({
        "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/devicecode"),
        "end_session_endpoint": format!("{base}/{tenant}/oauth2/v2.0/logout"),
        "tenant_region_scope": "EU",
        "cloud_instance_name": "emulator.local",
    }))
}
