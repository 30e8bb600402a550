//! The user grants of the token endpoint (authorization code + PKCE, device code, refresh
//! token), scope parsing, and the tokens a signed-in user gets: a v1 access token for the
//! resource, a v2 id token for the console, a rotating refresh token and `client_info`.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::directory::{
    AppRecord, DeviceStatus, RefreshStatus, RefreshTokenEntry, ScopeRequest, same_id,
};
use super::entra::{
    EntraError, Form, access_token_length, check_client_secret, client_id_of, missing_parameter,
    new_refresh_token, presented_secret, random_token_id, server_error, unknown_app,
};
use super::signin_types::{GRAPH_RESOURCE, TestUser};
use super::state::{Identity, IssuedToken, State, UserRef};
use super::store::now_unix;
use super::tenants;
use super::{VAULT_RESOURCE, is_vault_resource};
use crate::tls::IncomingRequest;

/// Slack for clients that sleep exactly `interval` seconds between polls.
const POLL_TOLERANCE: Duration = Duration::from_millis(250);

fn invalid_grant(code: u64, description: &str) -> EntraError {
    EntraError::new(400, "invalid_grant", code, description.to_string())
}

fn invalid_scope(scope: &str) -> EntraError {
    EntraError::new(
        400,
        "invalid_scope",
        70011,
        format!(
            "The provided value for the input parameter 'scope' is not valid. The scope {scope} \
             is not valid."
        ),
    )
}

/// Parses a v2 `scope` parameter: OIDC scopes plus permissions on exactly one resource (Key
/// Vault or Graph; bare names such as `User.Read` are Graph's, and only OIDC scopes mean Graph
/// `.default`, as in Entra).
pub fn parse_scope(raw: &str, tenant: &str) -> Result<ScopeRequest, EntraError> {
    let mut request = ScopeRequest {
        resource: String::new(),
        permissions: Vec::new(),
        openid: false,
        profile: false,
        email: false,
        offline_access: false,
        raw: raw.to_string(),
    };
    for scope in raw.split_whitespace() {
        match scope.to_ascii_lowercase().as_str() {
            "openid" => request.openid = true,
            "profile" => request.profile = true,
            "email" => request.email = true,
            "offline_access" => request.offline_access = true,
            _ => {
                let (resource, permission) = match scope.find("://") {
                    Some(scheme_end) => {
                        let after = scheme_end + 3;
                        match scope[after..].find('/') {
                            Some(slash) => (&scope[..after + slash], &scope[after + slash + 1..]),
                            None => return Err(invalid_scope(scope)),
                        }
                    }
                    None => (GRAPH_RESOURCE, scope),
                };
                let resource = resource.trim_end_matches('/');
                let known = if GRAPH_RESOURCE.eq_ignore_ascii_case(resource) {
                    Some(GRAPH_RESOURCE.to_string())
                } else if VAULT_RESOURCE.eq_ignore_ascii_case(resource) {
                    Some(VAULT_RESOURCE.to_string())
                } else if is_vault_resource(resource) || super::arm::is_arm_resource(resource) {
                    Some(resource.to_ascii_lowercase())
                } else {
                    None
                };
                let Some(resource) = known else {
                    return Err(EntraError::new(
                        400,
                        "invalid_resource",
                        500011,
                        format!(
                            "The resource principal named {resource} was not found in the tenant \
                             named {tenant}. This can happen if the application has not been \
                             installed by the administrator of the tenant or consented to by any \
                             user in the tenant. You might have sent your authentication request \
                             to the wrong tenant."
                        ),
                    ));
                };
                if !request.resource.is_empty() && request.resource != resource {
                    return Err(EntraError::new(
                        400,
                        "invalid_scope",
                        28000,
                        format!(
                            "Provided value for the input parameter scope is not valid because it \
                             contains more than one resource. Scope {raw} is not valid."
                        ),
                    ));
                }
                if (is_vault_resource(&resource) || super::arm::is_arm_resource(&resource))
                    && permission != ".default"
                    && !permission.eq_ignore_ascii_case("user_impersonation")
                {
                    return Err(invalid_scope(scope));
                }
                if permission.is_empty() {
                    return Err(invalid_scope(scope));
                }
                request.resource = resource.to_string();
                request.permissions.push(permission.to_string());
            }
        }
    }
    if request.resource.is_empty() {
        if !request.openid {
            return Err(missing_parameter("scope"));
        }
        request.resource = GRAPH_RESOURCE.to_string();
        request.permissions.push(".default".to_string());
    }
    Ok(request)
}

/// Delegated permissions (`scp`) a token for this request carries.
fn delegated_permissions(scope: &ScopeRequest, app: &AppRecord) -> Vec<String> {
    if is_vault_resource(&scope.resource) || super::arm::is_arm_resource(&scope.resource) {
        let mut permissions = vec!["user_impersonation".to_string()];
        // The emulator's own host is also the Graph it serves (a custom cloud's Graph lives on
        // its authority's host): its tokens carry the app's consented Graph permissions too.
        if scope.resource != super::VAULT_RESOURCE
            && !super::arm::is_arm_resource(&scope.resource)
            && let Some(public) = app.public.as_ref()
        {
            permissions.extend(public.graph_delegated_scopes.iter().cloned());
        }
        return permissions;
    }
    let mut permissions: Vec<String> = Vec::new();
    for permission in &scope.permissions {
        if permission == ".default" {
            let consented = app
                .public
                .as_ref()
                .map(|public| public.graph_delegated_scopes.clone())
                .unwrap_or_default();
            permissions.extend(consented);
        } else {
            permissions.push(permission.clone());
        }
    }
    if permissions.is_empty() {
        permissions.push("User.Read".to_string());
    }
    permissions.dedup();
    permissions
}

/// How the client authenticated a user grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientKind {
    Public,
    Confidential,
}

/// Public clients send no secret; confidential ones must. `public_allowed` says whether this
/// grant may be redeemed without one (a desktop redirect URI, public client flows on, …).
fn authenticate_client(
    app: &AppRecord,
    form: &Form,
    request: &IncomingRequest,
    public_allowed: bool,
) -> Result<ClientKind, EntraError> {
    match presented_secret(form, request) {
        Some(_) if app.passwords.is_empty() => Err(EntraError::new(
            401,
            "invalid_client",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be \
             presented."
                .to_string(),
        )),
        Some(secret) => {
            check_client_secret(app, &secret)?;
            Ok(ClientKind::Confidential)
        }
        None if public_allowed => Ok(ClientKind::Public),
        None => Err(EntraError::new(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or \
             'client_secret'."
                .to_string(),
        )),
    }
}

fn known_app(state: &State, tenant: &str, client_id: &str) -> Result<AppRecord, EntraError> {
    state
        .find_app(tenant, client_id)
        .cloned()
        .ok_or_else(|| unknown_app(tenant, client_id))
}

fn signed_in_user(state: &State, object_id: &str) -> Result<TestUser, EntraError> {
    state.user_by_oid(object_id).ok_or_else(|| {
        invalid_grant(
            50034,
            "The user account does not exist in the directory. To sign into this application, \
             the account must be added to the directory.",
        )
    })
}

/// `grant_type=authorization_code` with PKCE.
pub fn authorization_code(
    state: &mut State,
    tenant: &str,
    form: &Form,
    request: &IncomingRequest,
    base: &str,
) -> Result<Value, EntraError> {
    let client_id = client_id_of(form, request)?;
    let app = known_app(state, tenant, &client_id)?;
    let code = form.get("code").ok_or_else(|| missing_parameter("code"))?;
    let redirect_uri = form
        .get("redirect_uri")
        .ok_or_else(|| missing_parameter("redirect_uri"))?;
    let malformed = || invalid_grant(70000, "Provided grant is invalid or malformed.");
    let entry = state
        .sessions
        .auth_codes
        .get(code)
        .cloned()
        .ok_or_else(malformed)?;
    if !same_id(&entry.tenant, tenant) || !same_id(&entry.client_id, &client_id) {
        return Err(malformed());
    }
    if entry.redeemed {
        return Err(invalid_grant(
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code \
             or use an existing refresh token.",
        ));
    }
    if entry.expires_at <= Instant::now() {
        return Err(invalid_grant(
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. \
             Send a new interactive authorization request for this user and resource.",
        ));
    }
    if redirect_uri != entry.redirect_uri {
        return Err(invalid_grant(
            70000,
            &format!(
                "The redirect URI '{redirect_uri}' does not match the redirect URI of the \
                 authorization request."
            ),
        ));
    }
    let kind = authenticate_client(
        &app,
        form,
        request,
        app.redirect_uri_matches(&entry.redirect_uri),
    )?;
    let verifier = form
        .get("code_verifier")
        .ok_or_else(|| missing_parameter("code_verifier"))?;
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if computed != entry.code_challenge {
        return Err(invalid_grant(
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization \
             request.",
        ));
    }
    if let Some(stored) = state.sessions.auth_codes.get_mut(code) {
        stored.redeemed = true;
    }
    let user = signed_in_user(state, &entry.user_object_id)?;
    let grant = UserGrant {
        app: &app,
        user: &user,
        scope: &entry.scope,
        nonce: entry.nonce.as_deref(),
        confidential: kind == ClientKind::Confidential,
        base,
        refresh_owner: None,
    };
    mint_user_tokens(state, &grant)
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code`: one poll.
pub fn device_code(
    state: &mut State,
    tenant: &str,
    form: &Form,
    request: &IncomingRequest,
    base: &str,
) -> Result<Value, EntraError> {
    let client_id = client_id_of(form, request)?;
    let app = known_app(state, tenant, &client_id)?;
    let device_code = form
        .get("device_code")
        .or_else(|| form.get("code"))
        .ok_or_else(|| missing_parameter("device_code"))?;
    let kind = authenticate_client(&app, form, request, app.allows_public_client_flows())?;
    let now = Instant::now();
    let Some(entry) = state.sessions.device_codes.iter_mut().find(|entry| {
        entry.device_code == device_code
            && same_id(&entry.tenant, tenant)
            && same_id(&entry.client_id, &client_id)
    }) else {
        return Err(EntraError::new(
            400,
            "bad_verification_code",
            70000,
            "The provided value for the input parameter 'device_code' is not valid.".to_string(),
        ));
    };
    let previous_poll = entry.last_poll.replace(now);
    if entry.status != DeviceStatus::Redeemed && entry.expires_at <= now {
        return Err(EntraError::new(
            400,
            "expired_token",
            70020,
            "The provided value for the input parameter 'device_code' is not valid. This device \
             code has expired."
                .to_string(),
        ));
    }
    let user_object_id = match &entry.status {
        DeviceStatus::Pending => {
            let interval = Duration::from_secs(entry.interval_secs);
            let too_soon = previous_poll
                .is_some_and(|last| now.duration_since(last) + POLL_TOLERANCE < interval);
            return Err(if too_soon {
                EntraError::new(
                    400,
                    "slow_down",
                    70016,
                    format!(
                        "Polling too frequently: wait at least {} seconds between requests.",
                        entry.interval_secs
                    ),
                )
            } else {
                EntraError::new(
                    400,
                    "authorization_pending",
                    70016,
                    "The provided request has not yet been authorized by the user. The user \
                     must input their code."
                        .to_string(),
                )
            });
        }
        DeviceStatus::Declined => {
            return Err(EntraError::new(
                400,
                "authorization_declined",
                70000,
                "The user declined to sign in.".to_string(),
            ));
        }
        DeviceStatus::Redeemed => {
            return Err(invalid_grant(
                54005,
                "The device code was already redeemed; start a new device code sign-in.",
            ));
        }
        DeviceStatus::Approved { user_object_id } => user_object_id.clone(),
    };
    entry.status = DeviceStatus::Redeemed;
    let scope = entry.scope.clone();
    let user = signed_in_user(state, &user_object_id)?;
    let grant = UserGrant {
        app: &app,
        user: &user,
        scope: &scope,
        nonce: None,
        confidential: kind == ClientKind::Confidential,
        base,
        refresh_owner: None,
    };
    mint_user_tokens(state, &grant)
}

/// `grant_type=refresh_token`: each use issues a new refresh token; the used one stays valid (as at
/// Entra) until it expires or is revoked, which are refused.
pub fn refresh_token(
    state: &mut State,
    tenant: &str,
    form: &Form,
    request: &IncomingRequest,
    base: &str,
) -> Result<Value, EntraError> {
    let client_id = client_id_of(form, request)?;
    let presented = form
        .get("refresh_token")
        .ok_or_else(|| missing_parameter("refresh_token"))?;
    if let Some(entry) = state.sessions.refresh_tokens.get(presented).cloned()
        && entry.status.redeemable()
        && same_id(&entry.client_id, &client_id)
        && !same_id(&entry.tenant, tenant)
    {
        return redeem_in_client_tenant(state, tenant, &entry, presented, form, request, base);
    }
    let app = known_app(state, tenant, &client_id)?;
    let kind = authenticate_client(&app, form, request, app.is_public())?;
    let malformed = || invalid_grant(70000, "Provided grant is invalid or malformed.");
    let entry = state
        .sessions
        .refresh_tokens
        .get(presented)
        .cloned()
        .ok_or_else(malformed)?;
    if !same_id(&entry.tenant, tenant) || !same_id(&entry.client_id, &client_id) {
        return Err(malformed());
    }
    match entry.status {
        // Entra does not revoke a refresh token when it is used: "The Microsoft identity
        // platform doesn't revoke old refresh tokens when used to fetch new access tokens"
        // (learn.microsoft.com/entra/identity-platform/refresh-tokens). Clients that redeem one
        // token for several tenants at once rely on that.
        RefreshStatus::Active | RefreshStatus::Rotated => {}
        RefreshStatus::Revoked => {
            return Err(invalid_grant(
                50173,
                &format!(
                    "The provided grant has expired due to it being revoked, a fresh auth token \
                     is needed. The user might have changed or reset their password. The grant \
                     was issued on '{}' and the TokensValidFrom date (before which tokens are \
                     not valid) for this user is '{}'.",
                    entra_time(entry.issued_at),
                    entra_time(chrono::Utc::now())
                ),
            ));
        }
        RefreshStatus::Expired => {
            return Err(invalid_grant(
                700082,
                &format!(
                    "The refresh token has expired due to inactivity. The token was issued on {} \
                     and was inactive for 90.00:00:00.",
                    entra_time(entry.issued_at)
                ),
            ));
        }
    }
    let mut scope = match form.get("scope") {
        Some(raw) => parse_scope(raw, tenant)?,
        None => ScopeRequest {
            resource: VAULT_RESOURCE.to_string(),
            permissions: vec![".default".to_string()],
            openid: entry.openid,
            profile: entry.profile,
            email: entry.email,
            offline_access: true,
            raw: String::new(),
        },
    };
    // The session keeps its refresh token whether or not the refresh asks for offline_access.
    scope.offline_access = true;
    let user = signed_in_user(state, &entry.user_object_id)?;
    if let Some(stored) = state.sessions.refresh_tokens.get_mut(presented) {
        stored.status = RefreshStatus::Rotated;
    }
    let grant = UserGrant {
        app: &app,
        user: &user,
        scope: &scope,
        nonce: None,
        confidential: kind == ClientKind::Confidential,
        base,
        refresh_owner: None,
    };
    mint_user_tokens(state, &grant)
}

/// The home sign-in's refresh token at a client tenant's endpoint (tenants.rs): the guest's
/// tokens in that tenant, the home account's refresh token family renewed.
fn redeem_in_client_tenant(
    state: &mut State,
    tenant: &str,
    entry: &RefreshTokenEntry,
    presented: &str,
    form: &Form,
    request: &IncomingRequest,
    base: &str,
) -> Result<Value, EntraError> {
    let home_user = signed_in_user(state, &entry.user_object_id)?;
    let Some(app) = state.find_app(tenant, &entry.client_id).cloned() else {
        if state.tenants.is_multi_tenant(&entry.client_id) {
            let name = state
                .apps
                .iter()
                .find(|app| same_id(&app.client_id, &entry.client_id))
                .map(|app| app.display_name.clone())
                .unwrap_or_default();
            return Err(tenants::consent_required(&entry.client_id, &name));
        }
        return Err(unknown_app(tenant, &entry.client_id));
    };
    let guest = state
        .tenants
        .guest(tenant, &home_user.object_id)
        .filter(|guest| guest.is_usable())
        .cloned()
        .ok_or_else(|| tenants::not_a_guest(&home_user.upn, tenant))?;
    let kind = authenticate_client(&app, form, request, app.is_public())?;
    let mut scope = match form.get("scope") {
        Some(raw) => parse_scope(raw, tenant)?,
        None => return Err(missing_parameter("scope")),
    };
    if state.tenants.requires_mfa(tenant) {
        return Err(tenants::mfa_required(&scope.resource));
    }
    scope.offline_access = true;
    if let Some(stored) = state.sessions.refresh_tokens.get_mut(presented) {
        stored.status = RefreshStatus::Rotated;
    }
    let guest_user = tenants::guest_view(&home_user, &guest);
    let grant = UserGrant {
        app: &app,
        user: &guest_user,
        scope: &scope,
        nonce: None,
        confidential: kind == ClientKind::Confidential,
        base,
        refresh_owner: Some(&home_user),
    };
    mint_user_tokens(state, &grant)
}

/// `2024-05-01T12:00:00.1234567Z`, the way Entra writes times in error descriptions.
fn entra_time(at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{}.{:07}Z",
        at.format("%Y-%m-%dT%H:%M:%S"),
        at.timestamp_subsec_nanos() / 100
    )
}

/// Everything needed to mint a signed-in user's tokens.
struct UserGrant<'a> {
    app: &'a AppRecord,
    user: &'a TestUser,
    scope: &'a ScopeRequest,
    nonce: Option<&'a str>,
    confidential: bool,
    /// `https://{Host}` of the token request: the id token's issuer is `{base}/{tenant}/v2.0`.
    base: &'a str,
    /// Whose refresh token family the new refresh token joins: a guest's tokens in a client
    /// tenant renew the home account's family (tenants.rs). `None`: `user`'s own.
    refresh_owner: Option<&'a TestUser>,
}

/// Entra's `sub` is pairwise: stable for one user and one app, different across apps.
fn pairwise_subject(object_id: &str, client_id: &str) -> String {
    let digest = Sha256::digest(format!("{object_id}|{client_id}").to_ascii_lowercase());
    URL_SAFE_NO_PAD.encode(&digest[..32])
}

/// Access token (v1, for the resource), id token (v2, for the app, when `openid` was asked),
/// refresh token (when `offline_access` was asked) and `client_info`.
fn mint_user_tokens(state: &mut State, grant: &UserGrant<'_>) -> Result<Value, EntraError> {
    let UserGrant {
        app,
        user,
        scope,
        nonce,
        confidential,
        base,
        refresh_owner,
    } = *grant;
    // ARM needs Azure Service Management's user_impersonation among the app's consented
    // permissions; Entra answers AADSTS65001 otherwise.
    if super::arm::is_arm_resource(&scope.resource)
        && !app
            .public
            .as_ref()
            .is_some_and(|p| p.arm_user_impersonation)
    {
        return Err(tenants::consent_required(&app.client_id, &app.display_name));
    }
    let key = state.signing_key().map_err(server_error)?;
    let lifetime = state.token_lifetime_secs;
    let now = now_unix();
    let exp = now + lifetime as i64;
    let permissions = delegated_permissions(scope, app);
    let sts = format!("https://sts.windows.net/{}/", user.tenant);
    let access_claims = json!({
        "aud": scope.resource,
        "iss": sts,
        "iat": now,
        "nbf": now,
        "exp": exp,
        "acr": "1",
        "aio": random_token_id(24),
        "amr": ["pwd"],
        "appid": app.client_id,
        "appidacr": if confidential { "1" } else { "0" },
        "idtyp": "user",
        "ipaddr": "127.0.0.1",
        "name": user.display_name,
        "oid": user.object_id,
        "rh": random_token_id(12),
        "scp": permissions.join(" "),
        "sub": pairwise_subject(&user.object_id, &scope.resource),
        "tid": user.tenant,
        "unique_name": user.upn,
        "upn": user.upn,
        "uti": random_token_id(16),
        "ver": "1.0",
    });
    let access_token = key
        .sign_sized(&access_claims, access_token_length())
        .map_err(server_error)?;
    state.tokens.insert(
        access_token.clone(),
        IssuedToken {
            identity: Identity {
                tenant: user.tenant.clone(),
                client_id: app.client_id.clone(),
                object_id: user.object_id.clone(),
                user: Some(UserRef {
                    upn: user.upn.clone(),
                    name: user.display_name.clone(),
                }),
            },
            audience: scope.resource.clone(),
            expires_at: Instant::now() + Duration::from_secs(lifetime),
            roles: Vec::new(),
            scopes: permissions.clone(),
        },
    );

    let mut granted: Vec<String> = permissions
        .iter()
        .map(|permission| format!("{}/{permission}", scope.resource))
        .collect();
    if scope.permissions.iter().any(|p| p == ".default") {
        granted.push(format!("{}/.default", scope.resource));
    }
    for (asked, name) in [
        (scope.openid, "openid"),
        (scope.profile, "profile"),
        (scope.email, "email"),
        (scope.offline_access, "offline_access"),
    ] {
        if asked {
            granted.push(name.to_string());
        }
    }
    let client_info =
        URL_SAFE_NO_PAD.encode(json!({"uid": user.object_id, "utid": user.tenant}).to_string());
    let mut reply = json!({
        "token_type": "Bearer",
        "scope": granted.join(" "),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
        "client_info": client_info,
    });

    if scope.openid {
        let roles: Vec<String> = user
            .roles_on(&app.client_id)
            .into_iter()
            .filter(|role| app.defines_role(role))
            .collect();
        let mut id_claims = json!({
            "aud": app.client_id,
            "iss": format!("{base}/{}/v2.0", user.tenant),
            "iat": now,
            "nbf": now,
            "exp": exp,
            "aio": random_token_id(24),
            "oid": user.object_id,
            "rh": random_token_id(12),
            "sub": pairwise_subject(&user.object_id, &app.client_id),
            "tid": user.tenant,
            "uti": random_token_id(16),
            "ver": "2.0",
        });
        if scope.profile {
            id_claims["name"] = json!(user.display_name);
            id_claims["preferred_username"] = json!(user.upn);
        }
        if scope.email {
            id_claims["email"] = json!(user.upn);
        }
        if let Some(nonce) = nonce {
            id_claims["nonce"] = json!(nonce);
        }
        if !roles.is_empty() {
            id_claims["roles"] = json!(roles);
        }
        reply["id_token"] = json!(key.sign(&id_claims).map_err(server_error)?);
    }

    if scope.offline_access {
        let refresh = new_refresh_token();
        state.sessions.refresh_tokens.insert(
            refresh.clone(),
            RefreshTokenEntry {
                tenant: refresh_owner.unwrap_or(user).tenant.clone(),
                client_id: app.client_id.clone(),
                user_object_id: refresh_owner.unwrap_or(user).object_id.clone(),
                openid: scope.openid,
                profile: scope.profile,
                email: scope.email,
                issued_at: chrono::Utc::now(),
                status: RefreshStatus::Active,
            },
        );
        reply["refresh_token"] = json!(refresh);
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_name_one_resource() {
        let vault = parse_scope(
            "https://vault.azure.net/.default offline_access openid",
            "t",
        )
        .unwrap();
        assert_eq!(vault.resource, VAULT_RESOURCE);
        assert!(vault.openid && vault.offline_access && !vault.profile);
        let graph = parse_scope("User.Read openid profile", "t").unwrap();
        assert_eq!(graph.resource, GRAPH_RESOURCE);
        assert_eq!(graph.permissions, vec!["User.Read"]);
        assert_eq!(parse_scope("openid", "t").unwrap().resource, GRAPH_RESOURCE);
        let two = parse_scope("https://vault.azure.net/.default User.Read", "t").unwrap_err();
        assert_eq!(two.code, 28000);
        let local = parse_scope("https://127.0.0.1:8443/.default offline_access", "t").unwrap();
        assert_eq!(local.resource, "https://127.0.0.1:8443");
        assert_eq!(
            parse_scope("https://evil.example/.default", "t")
                .unwrap_err()
                .code,
            500011
        );
        let unknown = parse_scope("api://elsewhere/.default", "t").unwrap_err();
        assert_eq!(unknown.code, 500011);
        let bad = parse_scope("https://vault.azure.net/secrets.read", "t").unwrap_err();
        assert_eq!(bad.code, 70011);
        assert_eq!(parse_scope("", "t").unwrap_err().code, 900144);
    }
}
