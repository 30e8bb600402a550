//! Microsoft Graph, the part that rotates app secrets: `applications` list / get (with their
//! `passwordCredentials`), `addPassword` and `removePassword`, by object id or by
//! `applications(appId='…')`. Passwords added here are client secrets the token endpoint accepts
//! at once; removed ones stop working at once.
//!
//! Permissions as in Graph: app-only tokens need `Application.ReadWrite.OwnedBy` in `roles` and
//! to own the application (or `Application.ReadWrite.All`; `Application.Read.All` reads);
//! delegated tokens need `Application.ReadWrite.All` in `scp` and the user to own the
//! application (reads: `Application.Read.All` or `…ReadWrite.All`). Otherwise 403
//! `Authorization_RequestDenied`.

use std::time::Instant;

use chrono::{DateTime, Utc};
use hyper::header::HeaderMap;
use serde_json::{Map, Value, json};

use super::Shared;
use super::directory::{
    AppRecord, KeyCredential, PasswordCredential, never_expires, random_text, same_id,
};
use super::respond::{self, HttpResponse, pseudo_uuid};
use super::routes::{AppRef, Route, RouteError};
use super::signin_types::{
    APPLICATION_READ_ALL, APPLICATION_READWRITE_ALL, APPLICATION_READWRITE_OWNEDBY, Owner,
    RequestRecord,
};
use super::state::{IssuedToken, State};
use super::types::FaultKind;
use super::vault::Query;
use crate::tls::{IncomingRequest, Outcome};

/// Characters of secrets Entra generates (40 of them, `8Q~` after the first three).
const SECRET_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-";

/// A Graph error: status plus `{"error":{"code","message","innerError":{…}}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub retry_after_secs: Option<u64>,
}

impl GraphError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> GraphError {
        GraphError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after_secs: None,
        }
    }

    pub(super) fn denied() -> GraphError {
        GraphError::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub(super) fn not_found(id: &str) -> GraphError {
        GraphError::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects \
                 are not present."
            ),
        )
    }

    pub(super) fn bad_request(code: &str, message: impl Into<String>) -> GraphError {
        GraphError::new(400, code, message)
    }

    pub(super) fn response(&self, headers: &HeaderMap) -> HttpResponse {
        let request_id = pseudo_uuid();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| request_id.clone());
        let body = json!({"error": {
            "code": self.code,
            "message": self.message,
            "innerError": {
                "date": Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                "request-id": request_id,
                "client-request-id": client_request_id,
            }
        }});
        let response = respond::json(self.status, &body);
        let response = respond::with_header(response, "request-id", &request_id);
        match self.retry_after_secs {
            Some(secs) => respond::with_header(response, "retry-after", &secs.to_string()),
            None => response,
        }
    }
}

fn graph_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn password_json(password: &PasswordCredential, with_secret: bool) -> Value {
    json!({
        "customKeyIdentifier": null,
        "displayName": password.display_name,
        "endDateTime": graph_time(password.end.unwrap_or_else(never_expires)),
        "hint": password.hint(),
        "keyId": password.key_id,
        "secretText": if with_secret { json!(password.secret_text) } else { Value::Null },
        "startDateTime": graph_time(password.start),
    })
}

/// A certificate credential as Graph lists it (`key` is null: Graph returns the public key
/// only when one application is read with `$select=keyCredentials`).
fn key_json(key: &KeyCredential) -> Value {
    use base64::Engine;
    json!({
        "customKeyIdentifier": base64::engine::general_purpose::STANDARD.encode(&key.thumbprint),
        "displayName": key.display_name,
        "endDateTime": graph_time(key.end),
        "key": null,
        "keyId": key.key_id,
        "startDateTime": graph_time(key.start),
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    })
}

/// Graph's page size for `applications`: 100 unless `$top` asks for 1–999.
const DEFAULT_TOP: usize = 100;
const MAX_TOP: usize = 999;

fn page_size(query: &Query) -> Result<usize, GraphError> {
    match query.get("$top") {
        None => Ok(DEFAULT_TOP),
        Some(text) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_TOP).contains(&n) => Ok(n),
            _ => Err(GraphError::bad_request(
                "Request_BadRequest",
                format!(
                    "Invalid page size specified: '{text}'. Must be between 1 and {MAX_TOP} inclusive."
                ),
            )),
        },
    }
}

/// `$skiptoken` is opaque to callers; here it hides an offset.
fn skip_of(query: &Query) -> Result<usize, GraphError> {
    match query.get("$skiptoken") {
        None => Ok(0),
        Some(token) => token
            .strip_prefix("X'4453")
            .and_then(|rest| rest.strip_suffix('\''))
            .and_then(|hex| usize::from_str_radix(hex, 16).ok())
            .ok_or_else(|| {
                GraphError::bad_request(
                    "Directory_InvalidSkipToken",
                    "The skip token is not valid.",
                )
            }),
    }
}

/// The next page's link: the same query with the next `$skiptoken`.
fn next_link(base: &str, query: &Query, offset: usize) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in query
        .0
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("$skiptoken"))
    {
        serializer.append_pair(name, value);
    }
    serializer.append_pair("$skiptoken", &format!("X'4453{offset:X}'"));
    format!("{base}/v1.0/applications?{}", serializer.finish())
}

/// An application object as Graph returns it.
fn application_json(app: &AppRecord) -> Value {
    let public_redirects = app
        .public
        .as_ref()
        .map(|public| public.redirect_uris.clone())
        .unwrap_or_default();
    let app_roles: Vec<Value> = app
        .app_roles
        .iter()
        .map(|value| {
            json!({
                "allowedMemberTypes": ["User"],
                "description": value,
                "displayName": value,
                "id": super::signin_types::new_guid(),
                "isEnabled": true,
                "origin": "Application",
                "value": value,
            })
        })
        .collect();
    json!({
        "id": app.object_id,
        "appId": app.client_id,
        "displayName": app.display_name,
        "createdDateTime": graph_time(app.created),
        "signInAudience": "AzureADMyOrg",
        "isFallbackPublicClient": app.allows_public_client_flows(),
        "appRoles": app_roles,
        "keyCredentials": app.certificates.iter().map(key_json).collect::<Vec<_>>(),
        "passwordCredentials": app.passwords.iter().map(|p| password_json(p, false)).collect::<Vec<_>>(),
        "publicClient": {"redirectUris": public_redirects},
        "web": {"redirectUris": [], "implicitGrantSettings": {"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false}},
        "requiredResourceAccess": [],
    })
}

/// Keeps only the `$select`ed properties (Graph always keeps `id`).
pub(super) fn select(mut object: Value, query: &Query) -> Value {
    let Some(selected) = query.get("$select") else {
        return object;
    };
    let wanted: Vec<&str> = selected.split(',').map(str::trim).collect();
    if let Value::Object(map) = &mut object {
        map.retain(|key, _| key == "id" || wanted.iter().any(|w| w.eq_ignore_ascii_case(key)));
    }
    object
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// May the token's caller read or change this application?
fn may(token: &IssuedToken, app: &AppRecord, access: Access) -> bool {
    if !same_id(&token.identity.tenant, &app.tenant) {
        return false;
    }
    let has =
        |list: &[String], name: &str| list.iter().any(|entry| entry.eq_ignore_ascii_case(name));
    match &token.identity.user {
        None => {
            let roles = &token.roles;
            has(roles, APPLICATION_READWRITE_ALL)
                || (access == Access::Read && has(roles, APPLICATION_READ_ALL))
                || (has(roles, APPLICATION_READWRITE_OWNEDBY)
                    && app.owned_by(&Owner::App(token.identity.client_id.clone())))
        }
        Some(user) => {
            let scopes = &token.scopes;
            match access {
                Access::Read => {
                    has(scopes, APPLICATION_READ_ALL) || has(scopes, APPLICATION_READWRITE_ALL)
                }
                Access::Write => {
                    has(scopes, APPLICATION_READWRITE_ALL)
                        && app.owned_by(&Owner::User(user.upn.clone()))
                }
            }
        }
    }
}

/// Any Graph application permission at all (to tell 403 from an empty list).
fn holds_any_application_permission(token: &IssuedToken) -> bool {
    let list = match token.identity.user {
        None => &token.roles,
        Some(_) => &token.scopes,
    };
    [
        APPLICATION_READ_ALL,
        APPLICATION_READWRITE_ALL,
        APPLICATION_READWRITE_OWNEDBY,
    ]
    .iter()
    .any(|name| list.iter().any(|entry| entry.eq_ignore_ascii_case(name)))
}

fn resolve<'a>(
    state: &'a mut State,
    tenant: &str,
    app: &AppRef,
) -> Result<&'a mut AppRecord, GraphError> {
    let (id, by_app_id) = match app {
        AppRef::ObjectId(id) => (id.as_str(), false),
        AppRef::AppId(id) => (id.as_str(), true),
    };
    state
        .apps
        .iter_mut()
        .find(|record| {
            same_id(&record.tenant, tenant)
                && if by_app_id {
                    same_id(&record.client_id, id)
                } else {
                    same_id(&record.object_id, id)
                }
        })
        .ok_or_else(|| GraphError::not_found(id))
}

/// `appId eq '…'` (the only filter the console needs).
fn app_id_filter(filter: &str) -> Result<String, GraphError> {
    let unsupported = || {
        GraphError::bad_request(
            "Request_UnsupportedQuery",
            format!("Unsupported or invalid query filter clause specified: '{filter}'."),
        )
    };
    let mut parts = filter.trim().splitn(3, char::is_whitespace);
    let (Some(property), Some(operator), Some(value)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(unsupported());
    };
    if !property.eq_ignore_ascii_case("appId") || !operator.eq_ignore_ascii_case("eq") {
        return Err(unsupported());
    }
    let value = value.trim();
    value
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
        .map(str::to_string)
        .ok_or_else(unsupported)
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, GraphError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(GraphError::bad_request(
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and \
             payload is of valid JSON format.",
        )),
    }
}

fn date_property(
    object: &Map<String, Value>,
    name: &str,
) -> Result<Option<DateTime<Utc>>, GraphError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
            .map(|at| Some(at.with_timezone(&Utc)))
            .map_err(|_| {
                GraphError::bad_request(
                    "Request_BadRequest",
                    format!(
                        "Invalid value specified for property '{name}' of resource \
                         'PasswordCredential'."
                    ),
                )
            }),
        Some(_) => Err(GraphError::bad_request(
            "Request_BadRequest",
            format!(
                "Invalid value specified for property '{name}' of resource 'PasswordCredential'."
            ),
        )),
    }
}

fn add_password(
    app: &mut AppRecord,
    body: &[u8],
    base: &str,
    propagation: std::time::Duration,
) -> Result<(u16, Option<Value>), GraphError> {
    let body = parse_body(body)?;
    let requested = match body.get("passwordCredential") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(GraphError::bad_request(
                "BadRequest",
                "The property 'passwordCredential' must be an object.",
            ));
        }
    };
    let start = date_property(&requested, "startDateTime")?.unwrap_or_else(Utc::now);
    // Graph's default lifetime for a new secret is two years.
    let end = date_property(&requested, "endDateTime")?
        .unwrap_or_else(|| start + chrono::Duration::days(730));
    if end <= start {
        return Err(GraphError::bad_request(
            "Request_BadRequest",
            "The end date of the password credential must be after its start date.",
        ));
    }
    let display_name = requested
        .get("displayName")
        .and_then(Value::as_str)
        .map(str::to_string);
    let secret_text = format!(
        "{}8Q~{}",
        random_text(SECRET_ALPHABET, 3),
        random_text(SECRET_ALPHABET, 34)
    );
    let password = PasswordCredential {
        key_id: super::signin_types::new_guid(),
        display_name,
        start,
        end: Some(end),
        secret_text,
        valid_from: (!propagation.is_zero()).then(|| Instant::now() + propagation),
    };
    let mut reply = password_json(&password, true);
    reply["@odata.context"] = json!(format!(
        "{base}/v1.0/$metadata#microsoft.graph.passwordCredential"
    ));
    app.passwords.push(password);
    Ok((200, Some(reply)))
}

fn remove_password(app: &mut AppRecord, body: &[u8]) -> Result<(u16, Option<Value>), GraphError> {
    let body = parse_body(body)?;
    let Some(key_id) = body.get("keyId").and_then(Value::as_str) else {
        return Err(GraphError::bad_request(
            "Request_BadRequest",
            "The keyId parameter is required.",
        ));
    };
    let before = app.passwords.len();
    app.passwords
        .retain(|password| !same_id(&password.key_id, key_id));
    if app.passwords.len() == before {
        return Err(GraphError::bad_request(
            "Request_BadRequest",
            format!("No password credential found with keyId '{key_id}'."),
        ));
    }
    Ok((204, None))
}

/// Runs one authorized Graph call under the state lock.
fn execute(
    state: &mut State,
    route: &Route,
    token: &IssuedToken,
    request: &IncomingRequest,
    base: &str,
) -> Result<(u16, Option<Value>), GraphError> {
    let tenant = token.identity.tenant.clone();
    let query = Query::parse(request.uri.query());
    match route {
        Route::GraphListApplications => {
            if !holds_any_application_permission(token) {
                return Err(GraphError::denied());
            }
            let wanted = query.get("$filter").map(app_id_filter).transpose()?;
            let top = page_size(&query)?;
            let skip = skip_of(&query)?;
            let visible: Vec<&AppRecord> = state
                .apps
                .iter()
                .filter(|app| same_id(&app.tenant, &tenant) && !app.consented_copy)
                .filter(|app| {
                    wanted
                        .as_deref()
                        .is_none_or(|id| same_id(&app.client_id, id))
                })
                .filter(|app| may(token, app, Access::Read))
                .collect();
            let value: Vec<Value> = visible
                .iter()
                .skip(skip)
                .take(top)
                .map(|app| select(application_json(app), &query))
                .collect();
            let mut body = json!({
                "@odata.context": format!("{base}/v1.0/$metadata#applications"),
                "value": value,
            });
            if skip + top < visible.len() {
                body["@odata.nextLink"] = json!(next_link(base, &query, skip + top));
            }
            Ok((200, Some(body)))
        }
        Route::GraphGetApplication { app } => {
            let record = resolve(state, &tenant, app)?;
            if !may(token, record, Access::Read) {
                return Err(GraphError::denied());
            }
            let mut body = select(application_json(record), &query);
            body["@odata.context"] = json!(format!("{base}/v1.0/$metadata#applications/$entity"));
            Ok((200, Some(body)))
        }
        Route::GraphAddPassword { app } => {
            let propagation = state.new_secret_delay;
            let record = resolve(state, &tenant, app)?;
            if !may(token, record, Access::Write) {
                return Err(GraphError::denied());
            }
            add_password(record, &request.body, base, propagation)
        }
        Route::GraphRemovePassword { app } => {
            let record = resolve(state, &tenant, app)?;
            if !may(token, record, Access::Write) {
                return Err(GraphError::denied());
            }
            remove_password(record, &request.body)
        }
        _ => Err(GraphError::bad_request("BadRequest", "Not a Graph route.")),
    }
}

/// The bearer token of a Graph request, or Graph's 401.
pub(super) fn authenticate(
    state: &State,
    headers: &HeaderMap,
    base: &str,
) -> Result<IssuedToken, GraphError> {
    let unauthorized = |message: &str| GraphError::new(401, "InvalidAuthenticationToken", message);
    let token = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| unauthorized("Access token is empty."))?;
    let issued = state.tokens.get(token).ok_or_else(|| {
        unauthorized("Invalid JWT token. The token is not issued by this emulator.")
    })?;
    if issued.expires_at <= Instant::now() {
        return Err(unauthorized(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    if !state.is_graph_audience(&issued.audience, base) {
        return Err(unauthorized(
            "Access token validation failure. Invalid audience.",
        ));
    }
    Ok(issued.clone())
}

fn fault_error(action: FaultKind) -> Option<GraphError> {
    Some(match action {
        FaultKind::DropConnection => return None,
        // Latency is applied before this point; a lone latency fault never gets here.
        FaultKind::Latency { .. } => GraphError::new(500, "UnknownError", "Injected latency."),
        FaultKind::Throttle { retry_after_secs } => GraphError {
            retry_after_secs: Some(retry_after_secs),
            ..GraphError::new(
                429,
                "TooManyRequests",
                "Too many requests. Please retry after the time given in Retry-After.",
            )
        },
        FaultKind::ServerError { status } => GraphError::new(
            status,
            if status == 503 {
                "serviceNotAvailable"
            } else {
                "UnknownError"
            },
            format!("Injected server error {status}."),
        ),
        FaultKind::Error {
            status,
            code,
            message,
            retry_after_secs,
            ..
        } => GraphError {
            retry_after_secs,
            ..GraphError::new(
                status,
                &code,
                message.unwrap_or_else(|| "Injected fault.".to_string()),
            )
        },
    })
}

/// Serves one request in Graph's namespace.
pub async fn handle(
    shared: &Shared,
    route: Result<Route, RouteError>,
    request: &IncomingRequest,
    base: &str,
) -> Outcome {
    let headers = &request.headers;
    let route = match route {
        Ok(route) => route,
        Err(RouteError::MethodNotAllowed) => {
            let error = GraphError::bad_request(
                "Request_BadRequest",
                format!(
                    "Specified HTTP method is not allowed for the request target: {}.",
                    request.method
                ),
            );
            return Outcome::Respond(error.response(headers));
        }
        Err(RouteError::NotFound) => {
            let error = GraphError::bad_request(
                "BadRequest",
                format!(
                    "Resource not found for the segment '{}'.",
                    request.uri.path()
                ),
            );
            return Outcome::Respond(error.response(headers));
        }
    };
    let kind = route.kind();
    let mut record = RequestRecord {
        route: Some(kind),
        method: request.method.to_string(),
        path: request.uri.path().to_string(),
        secret_name: None,
        caller: None,
        status: 0,
    };
    let (token, decision) = {
        let mut state = shared.lock();
        let token = match authenticate(&state, headers, base) {
            Ok(token) => token,
            Err(error) => {
                record.status = error.status;
                state.log_request(record);
                return Outcome::Respond(error.response(headers));
            }
        };
        state.count(kind);
        let decision = state.take_faults(kind, None, &request.method);
        (token, decision)
    };
    record.caller = Some(token.identity.caller());
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let mut state = shared.lock();
    if let Some(action) = decision.action {
        let Some(error) = fault_error(action) else {
            record.status = 0;
            state.log_request(record);
            return Outcome::DropConnection;
        };
        record.status = error.status;
        state.log_request(record);
        return Outcome::Respond(error.response(headers));
    }
    let result = execute(&mut state, &route, &token, request, base);
    let response = match result {
        Ok((status, Some(body))) => {
            record.status = status;
            respond::json(status, &body)
        }
        Ok((status, None)) => {
            record.status = status;
            respond::empty(status)
        }
        Err(error) => {
            record.status = error.status;
            error.response(headers)
        }
    };
    state.log_request(record);
    Outcome::Respond(response)
}
