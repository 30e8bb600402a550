//! Entra ID (v2.0) side: errors, the token endpoint (client credentials here; the user grants in
//! `grants.rs`), the OIDC discovery document and the JWKS.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::directory::AppRecord;
use super::grants;
use super::respond::{self, HttpResponse, pseudo_uuid};
use super::signin_types::GrantType;
use super::state::{Identity, IssuedToken, State};
use super::store::now_unix;
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
    pub fn new(status: u16, error: &str, code: u64, description: String) -> EntraError {
        EntraError {
            status,
            error: error.to_string(),
            code,
            description,
        }
    }

    /// `AADSTS{code}: {description} Trace ID: … Correlation ID: … Timestamp: …`, as Entra
    /// writes `error_description`.
    fn full_description(&self, trace_id: &str, correlation_id: &str, timestamp: &str) -> String {
        format!(
            "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
            self.code, self.description
        )
    }

    /// The description alone (for redirects and pages), with fresh trace ids.
    pub fn description_text(&self) -> String {
        let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        self.full_description(&pseudo_uuid(), &pseudo_uuid(), &timestamp)
    }

    /// Entra's JSON error shape, with trace/correlation ids appended to the description
    /// the way Entra does.
    pub fn response(&self, authority_host: &str) -> HttpResponse {
        let trace_id = pseudo_uuid();
        let correlation_id = pseudo_uuid();
        let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        let body = json!({
            "error": self.error,
            "error_description": self.full_description(&trace_id, &correlation_id, &timestamp),
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

pub fn missing_parameter(name: &str) -> EntraError {
    EntraError::new(
        400,
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

pub fn unknown_app(tenant: &str, client_id: &str) -> EntraError {
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
}

/// Tenant ids may contain only letters, digits, '.' and '-'.
fn tenant_syntax_ok(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Refuses tenants with a malformed id or none of the emulator's apps, users or vault.
pub fn check_tenant(state: &State, tenant: &str, error: &str) -> Result<(), EntraError> {
    if tenant_syntax_ok(tenant) && state.tenant_known(tenant) {
        Ok(())
    } else {
        Err(unknown_tenant(tenant, error))
    }
}

/// An `application/x-www-form-urlencoded` request body.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Client id and secret from HTTP Basic auth, if the client sent them that way.
pub fn basic_credentials(request: &IncomingRequest) -> Option<(String, String)> {
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

/// The client id a token request names (form field, else HTTP Basic).
pub fn client_id_of(form: &Form, request: &IncomingRequest) -> Result<String, EntraError> {
    form.get("client_id")
        .map(str::to_string)
        .or_else(|| basic_credentials(request).map(|(id, _)| id))
        .ok_or_else(|| missing_parameter("client_id"))
}

/// The client secret a token request carries (form field, else HTTP Basic).
pub fn presented_secret(form: &Form, request: &IncomingRequest) -> Option<String> {
    form.get("client_secret")
        .map(str::to_string)
        .or_else(|| basic_credentials(request).map(|(_, secret)| secret))
}

/// Checks a presented client secret against the app's live password credentials.
pub fn check_client_secret(app: &AppRecord, presented: &str) -> Result<(), EntraError> {
    let client_id = &app.client_id;
    match app
        .passwords
        .iter()
        .find(|password| password.secret_text == presented)
    {
        None => Err(EntraError::new(
            401,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is \
                 the client secret value, not the client secret ID, for a secret added to app \
                 '{client_id}'."
            ),
        )),
        // Entra answers a secret that has not propagated yet as if it did not exist.
        Some(password)
            if password
                .valid_from
                .is_some_and(|from| std::time::Instant::now() < from) =>
        {
            Err(EntraError::new(
                401,
                "invalid_client",
                7000215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request \
                     is the client secret value, not the client secret ID, for a secret added to \
                     app '{client_id}'."
                ),
            ))
        }
        Some(password) if password.expired() => Err(EntraError::new(
            401,
            "invalid_client",
            7000222,
            format!(
                "The provided client secret keys for app '{client_id}' are expired. Visit the \
                 Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, \
                 or consider using certificate credentials for added security: \
                 https://aka.ms/certCreds."
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// How long an access token the emulator issues is at least, picked per token: Entra's run
/// 1.5–2.5 KB, so the console and the Python clients meet real sizes.
pub fn access_token_length() -> usize {
    rand::random_range(1500..=2400)
}

/// A new refresh token: opaque, 1.5–4 KB like Entra's (longer than the 1,280 UTF-16 characters
/// Windows Credential Manager takes in one entry), its length varying per issue.
pub fn new_refresh_token() -> String {
    // 1,125–2,950 random bytes are 1,500–3,934 base64url characters, plus the prefix.
    format!(
        "1.AEMU.{}",
        random_token_id(rand::random_range(1125..=2950))
    )
}

/// A random opaque id (`uti`, `aio`, …) in Entra's base64url style.
pub fn random_token_id(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

pub fn server_error(message: String) -> EntraError {
    EntraError::new(500, "server_error", 50000, message)
}

/// `POST /{tenant}/oauth2/v2.0/token`: dispatches on `grant_type`.
pub fn issue_token(
    state: &mut State,
    tenant: &str,
    request: &IncomingRequest,
    base: &str,
) -> Result<Value, EntraError> {
    let form = Form::parse(&request.body);
    let grant = match form.get("grant_type") {
        Some("client_credentials") => GrantType::ClientCredentials,
        Some("authorization_code") => GrantType::AuthorizationCode,
        Some("urn:ietf:params:oauth:grant-type:device_code") | Some("device_code") => {
            GrantType::DeviceCode
        }
        Some("refresh_token") => GrantType::RefreshToken,
        _ => GrantType::Other,
    };
    state.count_grant(grant);
    check_tenant(state, tenant, "invalid_request")?;
    match grant {
        GrantType::ClientCredentials => client_credentials(state, tenant, &form, request, base),
        GrantType::AuthorizationCode => {
            grants::authorization_code(state, tenant, &form, request, base)
        }
        GrantType::DeviceCode => grants::device_code(state, tenant, &form, request, base),
        GrantType::RefreshToken => grants::refresh_token(state, tenant, &form, request, base),
        GrantType::Other => match form.get("grant_type") {
            None => Err(missing_parameter("grant_type")),
            Some(other) => Err(EntraError::new(
                400,
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{other}'."),
            )),
        },
    }
}

/// `grant_type=client_credentials`: an app-only token for `{resource}/.default`.
fn client_credentials(
    state: &mut State,
    tenant: &str,
    form: &Form,
    request: &IncomingRequest,
    base: &str,
) -> Result<Value, EntraError> {
    let client_id = client_id_of(form, request)?;
    let app = state
        .find_app(tenant, &client_id)
        .ok_or_else(|| unknown_app(tenant, &client_id))?
        .clone();
    let presented = presented_secret(form, request).ok_or_else(|| {
        EntraError::new(
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the \
             'client_credentials' grant type."
                .to_string(),
        )
    })?;
    check_client_secret(&app, &presented)?;
    let scope = form
        .get("scope")
        .ok_or_else(|| missing_parameter("scope"))?;
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
    let audience = audience.trim_end_matches('/').to_string();
    // Application permissions ride in `roles`; the emulator only knows Graph's.
    let roles = if state.is_graph_audience(&audience, base) {
        app.graph_app_roles.clone()
    } else {
        Vec::new()
    };
    let lifetime = state.token_lifetime_secs;
    let now = now_unix();
    let issuer = format!("https://sts.windows.net/{}/", app.tenant);
    let mut claims = json!({
        "aud": audience,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime as i64,
        "aio": random_token_id(24),
        "appid": app.client_id,
        "appidacr": "1",
        "idp": issuer,
        "idtyp": "app",
        "oid": app.service_principal_id,
        "rh": random_token_id(12),
        "sub": app.service_principal_id,
        "tid": app.tenant,
        "uti": random_token_id(16),
        "ver": "1.0",
    });
    if !roles.is_empty() {
        claims["roles"] = json!(roles);
    }
    let token = state
        .signing_key()
        .and_then(|key| key.sign_sized(&claims, access_token_length()))
        .map_err(server_error)?;
    state.tokens.insert(
        token.clone(),
        IssuedToken {
            identity: Identity {
                tenant: app.tenant.clone(),
                client_id: app.client_id.clone(),
                object_id: app.service_principal_id.clone(),
                user: None,
            },
            audience,
            expires_at: Instant::now() + Duration::from_secs(lifetime),
            roles,
            scopes: Vec::new(),
        },
    );
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }))
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`, which MSAL and OIDC clients fetch first.
pub fn openid_configuration(state: &State, tenant: &str, base: &str) -> Result<Value, EntraError> {
    check_tenant(state, tenant, "invalid_tenant")?;
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
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tenant}/oauth2/v2.0/logout"),
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
            "name", "tid", "ver", "at_hash", "c_hash", "email"
        ],
        "code_challenge_methods_supported": ["plain", "S256"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "emulator.local",
        "msgraph_host": base.trim_start_matches("https://"),
    }))
}

/// `GET /{tenant}/discovery/v2.0/keys`: the signing key, made now if this is its first use.
pub fn jwks(state: &mut State, tenant: &str, base: &str) -> Result<Value, EntraError> {
    check_tenant(state, tenant, "invalid_tenant")?;
    let key = state.signing_key().map_err(server_error)?;
    Ok(key.jwks(&format!("{base}/{tenant}/v2.0")))
}
