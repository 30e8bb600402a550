//! Request dispatch: Entra routes, Microsoft Graph routes, and the Key Vault data plane (auth
//! first, then faults, then the operation), with counters and the per-identity request log.

use std::sync::Arc;
use std::time::Instant;

use hyper::header::HeaderMap;
use serde_json::json;

use super::entra::{self, EntraError};
use super::routes::{self, Route, RouteError};
use super::signin_types::RequestRecord;
use super::state::{Identity, State};
use super::store::KvError;
use super::types::FaultKind;
use super::vault::{self, Query, VaultCall};
use super::{Shared, graph, respond, signin, vault_resource_for};
use crate::tls::{IncomingRequest, Outcome};

/// `https://{Host}` of the request (ids and nextLinks are built from it, as Azure does).
pub fn request_base(headers: &HeaderMap, port: u16) -> String {
    let host = headers
        .get(hyper::header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    match host {
        Some(host) => format!("https://{host}"),
        None => format!("https://127.0.0.1:{port}"),
    }
}

pub async fn dispatch(shared: Arc<Shared>, request: IncomingRequest) -> Outcome {
    let base = request_base(&request.headers, shared.port);
    if super::arm::is_arm_path(request.uri.path()) {
        // Vaults - Update (PATCH) lives beside the ARM room (see provision_extra.rs).
        if let Some(vault) =
            super::provision_extra::vault_patch(&request.method, request.uri.path())
        {
            return super::provision_extra::handle(&shared, &request, vault).await;
        }
        return super::arm::handle(&shared, &request, &base).await;
    }
    // Graph's groups live beside the rest of Graph (see graph_groups.rs).
    if super::graph_groups::is_groups_path(request.uri.path()) {
        return super::graph_groups::handle(&shared, &request, &base);
    }
    let route = routes::parse(&request.method, request.uri.path());
    match route {
        Ok(route) if route.is_entra() => handle_entra(&shared, route, &request, &base).await,
        Ok(route) if route.is_graph() => graph::handle(&shared, Ok(route), &request, &base).await,
        Err(error) if routes::is_graph_path(request.uri.path()) => {
            graph::handle(&shared, Err(error), &request, &base).await
        }
        other => handle_vault(&shared, other, &request, &base).await,
    }
}

/// Counts a token request as in flight until it is answered (see `Shared::tokens_in_flight`).
struct TokenInFlight<'a>(&'a Shared);

impl<'a> TokenInFlight<'a> {
    fn enter(shared: &'a Shared) -> TokenInFlight<'a> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = shared.tokens_in_flight.fetch_add(1, SeqCst) + 1;
        shared.peak_tokens_in_flight.fetch_max(now, SeqCst);
        TokenInFlight(shared)
    }
}

impl Drop for TokenInFlight<'_> {
    fn drop(&mut self) {
        self.0
            .tokens_in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

async fn handle_entra(
    shared: &Shared,
    route: Route,
    request: &IncomingRequest,
    base: &str,
) -> Outcome {
    let _in_flight = matches!(route, Route::Token { .. }).then(|| TokenInFlight::enter(shared));
    let decision = {
        let mut state = shared.lock();
        state.count(route.kind());
        state.take_faults_at(route.kind(), None, entra_tenant(&route), &request.method)
    };
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    if let Some(action) = decision.action {
        return entra_fault(action, &shared.authority_host);
    }
    let mut state = shared.lock();
    let json_reply = |result: Result<serde_json::Value, EntraError>| {
        result.map(|body| respond::json(200, &body))
    };
    let result = match &route {
        Route::Token { tenant } => {
            json_reply(entra::issue_token(&mut state, tenant, request, base))
        }
        Route::OpenIdConfiguration { tenant } => {
            json_reply(entra::openid_configuration(&state, tenant, base))
        }
        Route::Jwks { tenant } => json_reply(entra::jwks(&mut state, tenant, base)),
        Route::DeviceCode { tenant } => {
            json_reply(signin::device_code(&mut state, tenant, request, base))
        }
        Route::Authorize { tenant } => Ok(signin::authorize(&mut state, tenant, request)),
        Route::DeviceLogin => Ok(signin::device_login(&mut state, request)),
        _ => Err(entra::unknown_tenant("", "invalid_request")),
    };
    drop(state);
    Outcome::Respond(match result {
        Ok(response) => response,
        Err(error) => error.response(&shared.authority_host),
    })
}

/// Identity behind the request's bearer token, or the 401 message explaining why not.
fn authenticate(state: &mut State, headers: &HeaderMap, base: &str) -> Result<Identity, String> {
    let missing = || "AKV10000: Request is missing a Bearer or PoP token.".to_string();
    let header = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = header.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    let (identity, audience) = match state.tokens.get(token.trim()) {
        Some(issued) => {
            if issued.expires_at <= Instant::now() {
                return Err("AKV10013: Token is expired.".to_string());
            }
            (issued.identity.clone(), issued.audience.clone())
        }
        None => {
            let (identity, audience, expires) =
                super::tenants::federated_identity(state, token.trim()).ok_or_else(|| {
                    "AKV10022: Invalid token: not issued by this authority.".to_string()
                })?;
            if expires <= super::store::now_unix() {
                return Err("AKV10013: Token is expired.".to_string());
            }
            (identity, audience)
        }
    };
    if !identity.tenant.eq_ignore_ascii_case(&state.vault_tenant) {
        return Err(format!(
            "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/{}/, found https://sts.windows.net/{}/.",
            state.vault_tenant, identity.tenant
        ));
    }
    let resource = vault_resource_for(base);
    if !audience
        .trim_end_matches('/')
        .eq_ignore_ascii_case(&resource)
    {
        return Err(format!(
            "AKV10022: Invalid audience. Expected {resource}, found: {audience}."
        ));
    }
    Ok(identity)
}

/// Adds one vault request to the log, with the identity that made it.
fn log_vault(
    state: &mut State,
    request: &IncomingRequest,
    route: Option<&Route>,
    identity: Option<&Identity>,
    status: u16,
) {
    state.log_request(RequestRecord {
        route: route.map(Route::kind),
        method: request.method.to_string(),
        path: request.uri.path().to_string(),
        secret_name: route.and_then(Route::secret_name).map(str::to_string),
        caller: identity.map(Identity::caller),
        status,
    });
}

fn kv_error_response(error: &KvError) -> respond::HttpResponse {
    let response = respond::json(error.status, &error.body());
    match error.retry_after_secs {
        Some(secs) => respond::with_header(response, "retry-after", &secs.to_string()),
        None => response,
    }
}

async fn handle_vault(
    shared: &Shared,
    route: Result<Route, RouteError>,
    request: &IncomingRequest,
    base: &str,
) -> Outcome {
    // Auth comes first, before routing or body parsing, as in Azure.
    let identity = {
        let mut state = shared.lock();
        match authenticate(&mut state, &request.headers, base) {
            Ok(identity) => identity,
            Err(message) => {
                state.challenges += 1;
                log_vault(&mut state, request, route.as_ref().ok(), None, 401);
                let vault_tenant = state.vault_tenant.clone();
                drop(state);
                let body = json!({"error": {"code": "Unauthorized", "message": message}});
                let challenge = format!(
                    "Bearer authorization=\"{}/{vault_tenant}\", resource=\"{}\"",
                    shared.authority_host,
                    vault_resource_for(base)
                );
                return Outcome::Respond(respond::with_header(
                    respond::json(401, &body),
                    "www-authenticate",
                    &challenge,
                ));
            }
        }
    };
    let route = match route {
        Ok(route) => route,
        Err(RouteError::NotFound) => {
            let error = KvError::new(
                404,
                "NotFound",
                format!("The requested path {} does not exist.", request.uri.path()),
                None,
            );
            log_vault(&mut shared.lock(), request, None, Some(&identity), 404);
            return Outcome::Respond(kv_error_response(&error));
        }
        Err(RouteError::MethodNotAllowed) => {
            let error = KvError::new(
                405,
                "MethodNotAllowed",
                format!(
                    "The requested method {} is not allowed on {}.",
                    request.method,
                    request.uri.path()
                ),
                None,
            );
            log_vault(&mut shared.lock(), request, None, Some(&identity), 405);
            return Outcome::Respond(kv_error_response(&error));
        }
    };
    let kind = route.kind();
    let query = Query::parse(request.uri.query());
    let (api_version, decision) = {
        let mut state = shared.lock();
        state.count(kind);
        let api_version = match vault::check_api_version(&query) {
            Ok(version) => version,
            Err(error) => {
                log_vault(
                    &mut state,
                    request,
                    Some(&route),
                    Some(&identity),
                    error.status,
                );
                return Outcome::Respond(kv_error_response(&error));
            }
        };
        let decision = state.take_faults(kind, route.secret_name(), &request.method);
        (api_version, decision)
    };
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    if let Some(action) = decision.action {
        let outcome = vault_fault(action, route.secret_name());
        let status = match &outcome {
            Outcome::Respond(response) => response.status().as_u16(),
            Outcome::Endless { .. } => 200,
            Outcome::DropConnection => 0,
        };
        log_vault(
            &mut shared.lock(),
            request,
            Some(&route),
            Some(&identity),
            status,
        );
        return outcome;
    }
    let call = VaultCall {
        route: &route,
        identity: &identity,
        body: &request.body,
        query: &query,
        base,
        api_version: &api_version,
    };
    let mut state = shared.lock();
    let result = vault::execute(&mut state, &call);
    let response = match result {
        Ok((status, Some(body))) => respond::json(status, &body),
        Ok((status, None)) => respond::empty(status),
        Err(error) => kv_error_response(&error),
    };
    log_vault(
        &mut state,
        request,
        Some(&route),
        Some(&identity),
        response.status().as_u16(),
    );
    Outcome::Respond(response)
}

fn server_error_code(status: u16) -> &'static str {
    match status {
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "ServerError",
    }
}

fn vault_fault(action: FaultKind, secret_name: Option<&str>) -> Outcome {
    let error = match action {
        FaultKind::DropConnection => return Outcome::DropConnection,
        // Latency is applied before this point; a lone latency fault never gets here.
        FaultKind::Latency { .. } => {
            return Outcome::Respond(respond::empty(500));
        }
        FaultKind::Throttle { retry_after_secs } => KvError {
            status: 429,
            code: "Throttled".to_string(),
            message: "Request was not processed because too many requests were received. \
                      Reason: VaultRequestTypeLimitReached"
                .to_string(),
            inner_code: None,
            retry_after_secs: Some(retry_after_secs),
        },
        FaultKind::ServerError { status } => KvError::new(
            status,
            server_error_code(status),
            format!("Injected server error {status}."),
            None,
        ),
        FaultKind::Error {
            status,
            code,
            inner_code,
            message,
            retry_after_secs,
        } => KvError {
            status,
            code,
            message: message
                .unwrap_or_else(|| "Injected fault for {name}.".to_string())
                .replace("{name}", secret_name.unwrap_or("")),
            inner_code,
            retry_after_secs,
        },
    };
    Outcome::Respond(kv_error_response(&error))
}

fn entra_fault(action: FaultKind, authority_host: &str) -> Outcome {
    let (error, retry_after) = match action {
        FaultKind::DropConnection => return Outcome::DropConnection,
        FaultKind::Latency { .. } => return Outcome::Respond(respond::empty(500)),
        FaultKind::Throttle { retry_after_secs } => (
            EntraError {
                status: 429,
                error: "temporarily_unavailable".to_string(),
                code: 90033,
                description: "A transient error has occurred. Please try again.".to_string(),
            },
            Some(retry_after_secs),
        ),
        FaultKind::ServerError { status } => (
            EntraError {
                status,
                error: "temporarily_unavailable".to_string(),
                code: 90033,
                description: "A transient error has occurred. Please try again.".to_string(),
            },
            None,
        ),
        FaultKind::Error {
            status,
            code,
            inner_code,
            message,
            retry_after_secs,
        } => (
            EntraError {
                status,
                error: code,
                code: inner_code
                    .as_deref()
                    .and_then(|inner| inner.trim_start_matches("AADSTS").parse().ok())
                    .unwrap_or(0),
                description: message.unwrap_or_else(|| "Injected fault.".to_string()),
            },
            retry_after_secs,
        ),
    };
    let response = error.response(authority_host);
    Outcome::Respond(match retry_after {
        Some(secs) => respond::with_header(response, "retry-after", &secs.to_string()),
        None => response,
    })
}

/// The tenant an Entra request is addressed to, for faults aimed at one client tenant.
fn entra_tenant(route: &Route) -> Option<&str> {
    match route {
        Route::Token { tenant }
        | Route::OpenIdConfiguration { tenant }
        | Route::Authorize { tenant }
        | Route::DeviceCode { tenant }
        | Route::Jwks { tenant } => Some(tenant),
        _ => None,
    }
}
