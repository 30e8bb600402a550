//! Azure Resource Manager over HTTP: routing, authentication (ARM tokens only), api-versions,
//! fault injection, paging, and the Microsoft.Resources operations (tenants, subscriptions,
//! locations, resource groups). Key Vault, authorization, diagnostics and workspaces are in
//! `arm_ops.rs`; the state and control methods in `arm_state.rs`.

use std::time::Instant;

use serde_json::{Value, json};

use super::directory::same_id;
use super::signin_types::RequestRecord;
use super::state::{Identity, State};
use super::types::{FaultKind, RouteKind};
use super::{Shared, respond};
use crate::tls::{IncomingRequest, Outcome};

/// The audiences ARM accepts (the trailing-slash forms too).
pub const ARM_AUDIENCES: [&str; 2] = [
    "https://management.azure.com",
    "https://management.core.windows.net",
];

pub fn is_arm_resource(resource: &str) -> bool {
    let resource = resource.trim_end_matches('/');
    ARM_AUDIENCES
        .iter()
        .any(|known| known.eq_ignore_ascii_case(resource))
}

/// Whether `path` is ARM's (`/tenants…`, `/subscriptions…`).
pub fn is_arm_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    first.eq_ignore_ascii_case("subscriptions") || first.eq_ignore_ascii_case("tenants")
}

/// An ARM error answer: `{"error":{"code","message"}}`.
#[derive(Debug, Clone)]
pub struct ArmError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ArmError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ArmError {
        ArmError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }

    fn response(&self) -> respond::HttpResponse {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let response = respond::json(self.status, &body);
        let response = match self.retry_after {
            Some(secs) => respond::with_header(response, "retry-after", &secs.to_string()),
            None => response,
        };
        if self.status == 401 {
            let challenge = format!(
                "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\", error_description=\"{}\"",
                self.message.replace('"', "'")
            );
            respond::with_header(response, "www-authenticate", &challenge)
        } else {
            response
        }
    }
}

/// 403 `AuthorizationFailed` as ARM words it.
pub fn authorization_failed(identity: &Identity, action: &str, scope: &str) -> ArmError {
    let client = identity
        .user
        .as_ref()
        .map(|user| user.upn.clone())
        .unwrap_or_else(|| identity.client_id.clone());
    ArmError::new(
        403,
        "AuthorizationFailed",
        format!(
            "The client '{client}' with object id '{}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            identity.object_id
        ),
    )
}

/// One ARM operation, parsed from method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmRoute {
    ListTenants,
    ListSubscriptions,
    ListLocations {
        sub: String,
    },
    GetGroup {
        sub: String,
        group: String,
    },
    PutGroup {
        sub: String,
        group: String,
    },
    ListGroups {
        sub: String,
    },
    ListVaults {
        sub: String,
    },
    GetVault {
        sub: String,
        group: String,
        name: String,
    },
    PutVault {
        sub: String,
        group: String,
        name: String,
    },
    CheckVaultName {
        sub: String,
    },
    PutRoleAssignment {
        scope: String,
        name: String,
    },
    ListRoleAssignments {
        scope: String,
    },
    PutDiagnosticSetting {
        scope: String,
        name: String,
    },
    ListWorkspaces {
        sub: String,
    },
}

impl ArmRoute {
    pub fn kind(&self) -> RouteKind {
        match self {
            ArmRoute::ListTenants => RouteKind::ArmListTenants,
            ArmRoute::ListSubscriptions => RouteKind::ArmListSubscriptions,
            ArmRoute::ListLocations { .. } => RouteKind::ArmListLocations,
            ArmRoute::GetGroup { .. } => RouteKind::ArmGetResourceGroup,
            ArmRoute::PutGroup { .. } => RouteKind::ArmPutResourceGroup,
            ArmRoute::ListGroups { .. } => RouteKind::ArmListResourceGroups,
            ArmRoute::ListVaults { .. } => RouteKind::ArmListVaults,
            ArmRoute::GetVault { .. } => RouteKind::ArmGetVault,
            ArmRoute::PutVault { .. } => RouteKind::ArmPutVault,
            ArmRoute::CheckVaultName { .. } => RouteKind::ArmCheckVaultName,
            ArmRoute::PutRoleAssignment { .. } => RouteKind::ArmPutRoleAssignment,
            ArmRoute::ListRoleAssignments { .. } => RouteKind::ArmListRoleAssignments,
            ArmRoute::PutDiagnosticSetting { .. } => RouteKind::ArmPutDiagnosticSetting,
            ArmRoute::ListWorkspaces { .. } => RouteKind::ArmListWorkspaces,
        }
    }

    /// The one api-version the emulator serves for this operation (the one the console uses
    /// and the REST reference documents).
    pub fn api_version(&self) -> &'static str {
        match self.kind() {
            RouteKind::ArmListTenants
            | RouteKind::ArmListSubscriptions
            | RouteKind::ArmListLocations => "2022-12-01",
            RouteKind::ArmGetResourceGroup
            | RouteKind::ArmPutResourceGroup
            | RouteKind::ArmListResourceGroups => "2021-04-01",
            RouteKind::ArmPutRoleAssignment | RouteKind::ArmListRoleAssignments => "2022-04-01",
            RouteKind::ArmPutDiagnosticSetting => "2021-05-01-preview",
            RouteKind::ArmListWorkspaces => "2022-10-01",
            _ => "2023-07-01",
        }
    }

    /// The subscription the operation is in, if any.
    pub fn subscription(&self) -> Option<&str> {
        match self {
            ArmRoute::ListTenants | ArmRoute::ListSubscriptions => None,
            ArmRoute::ListLocations { sub }
            | ArmRoute::GetGroup { sub, .. }
            | ArmRoute::PutGroup { sub, .. }
            | ArmRoute::ListGroups { sub }
            | ArmRoute::ListVaults { sub }
            | ArmRoute::GetVault { sub, .. }
            | ArmRoute::PutVault { sub, .. }
            | ArmRoute::CheckVaultName { sub }
            | ArmRoute::ListWorkspaces { sub } => Some(sub),
            ArmRoute::PutRoleAssignment { scope, .. }
            | ArmRoute::ListRoleAssignments { scope }
            | ArmRoute::PutDiagnosticSetting { scope, .. } => scope.split('/').nth(2),
        }
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// `method` + `path` as an ARM operation.
pub fn parse(method: &hyper::Method, path: &str) -> Result<ArmRoute, ArmError> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let get = *method == hyper::Method::GET;
    let put = *method == hyper::Method::PUT;
    let post = *method == hyper::Method::POST;
    // `{scope}/providers/{namespace}/{type}[/{name}]` with the scope before it.
    let extension = |namespace: &str, kind: &str| -> Option<(String, Option<String>)> {
        let at = (2..segs.len().saturating_sub(2)).rev().find(|&i| {
            eq(segs[i], "providers") && eq(segs[i + 1], namespace) && eq(segs[i + 2], kind)
        })?;
        let scope = format!("/{}", segs[..at].join("/"));
        Some((scope, segs.get(at + 3).map(|s| s.to_string())))
    };
    let not_found = || {
        ArmError::new(
            404,
            "InvalidResourceType",
            format!("The resource type could not be found for the path '{path}'."),
        )
    };
    let unsupported = || {
        ArmError::new(
            405,
            "HttpMethodNotSupported",
            format!("The http method '{method}' is not supported for the path '{path}'."),
        )
    };
    if segs.len() == 1 && eq(segs[0], "tenants") {
        return if get {
            Ok(ArmRoute::ListTenants)
        } else {
            Err(unsupported())
        };
    }
    if segs.first().is_none_or(|s| !eq(s, "subscriptions")) {
        return Err(not_found());
    }
    if segs.len() == 1 {
        return if get {
            Ok(ArmRoute::ListSubscriptions)
        } else {
            Err(unsupported())
        };
    }
    let sub = segs[1].to_string();
    if let Some((scope, name)) = extension("Microsoft.Authorization", "roleAssignments") {
        return match (name, get, put) {
            (Some(name), _, true) => Ok(ArmRoute::PutRoleAssignment { scope, name }),
            (None, true, _) => Ok(ArmRoute::ListRoleAssignments { scope }),
            _ => Err(unsupported()),
        };
    }
    if let Some((scope, name)) = extension("Microsoft.Insights", "diagnosticSettings") {
        return match (name, put) {
            (Some(name), true) => Ok(ArmRoute::PutDiagnosticSetting { scope, name }),
            _ => Err(unsupported()),
        };
    }
    let rest: Vec<&str> = segs[2..].to_vec();
    match rest.as_slice() {
        [l] if eq(l, "locations") && get => Ok(ArmRoute::ListLocations { sub }),
        [r] if eq(r, "resourcegroups") && get => Ok(ArmRoute::ListGroups { sub }),
        [r, group] if eq(r, "resourcegroups") => match (get, put) {
            (true, _) => Ok(ArmRoute::GetGroup {
                sub,
                group: group.to_string(),
            }),
            (_, true) => Ok(ArmRoute::PutGroup {
                sub,
                group: group.to_string(),
            }),
            _ => Err(unsupported()),
        },
        [p, ns, v]
            if eq(p, "providers") && eq(ns, "Microsoft.KeyVault") && eq(v, "vaults") && get =>
        {
            Ok(ArmRoute::ListVaults { sub })
        }
        [p, ns, c]
            if eq(p, "providers")
                && eq(ns, "Microsoft.KeyVault")
                && eq(c, "checkNameAvailability")
                && post =>
        {
            Ok(ArmRoute::CheckVaultName { sub })
        }
        [p, ns, w]
            if eq(p, "providers")
                && eq(ns, "Microsoft.OperationalInsights")
                && eq(w, "workspaces")
                && get =>
        {
            Ok(ArmRoute::ListWorkspaces { sub })
        }
        [r, group, p, ns, v, name]
            if eq(r, "resourceGroups")
                && eq(p, "providers")
                && eq(ns, "Microsoft.KeyVault")
                && eq(v, "vaults") =>
        {
            let (group, name) = (group.to_string(), name.to_string());
            match (get, put) {
                (true, _) => Ok(ArmRoute::GetVault { sub, group, name }),
                (_, true) => Ok(ArmRoute::PutVault { sub, group, name }),
                _ => Err(unsupported()),
            }
        }
        _ => Err(not_found()),
    }
}

/// The query's parameters.
pub fn query_pairs(request: &IncomingRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(request.uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The caller of an ARM request: an ARM token of this emulator's Entra (or a federated one).
fn authenticate(state: &mut State, request: &IncomingRequest) -> Result<Identity, ArmError> {
    let header = request
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            ArmError::new(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            )
        })?;
    let token = match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(ArmError::new(
                401,
                "AuthenticationFailedInvalidHeader",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            ));
        }
    };
    let invalid = || {
        ArmError::new(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )
    };
    let (identity, audience, expired) = match state.tokens.get(token) {
        Some(issued) => (
            issued.identity.clone(),
            issued.audience.clone(),
            issued.expires_at <= Instant::now(),
        ),
        None => {
            let (identity, audience, expires) =
                super::tenants::federated_identity(state, token).ok_or_else(invalid)?;
            (identity, audience, expires <= super::store::now_unix())
        }
    };
    if expired {
        return Err(ArmError::new(
            401,
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        ));
    }
    if !is_arm_resource(&audience) {
        return Err(ArmError::new(
            401,
            "InvalidAuthenticationToken",
            format!(
                "The access token has been obtained for wrong audience or resource '{audience}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'."
            ),
        ));
    }
    Ok(identity)
}

/// 400 unless the request names the operation's api-version.
fn check_api_version(route: &ArmRoute, pairs: &[(String, String)]) -> Result<(), ArmError> {
    match query_value(pairs, "api-version") {
        None | Some("") => Err(ArmError::new(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
        Some(version) if version == route.api_version() => Ok(()),
        Some(version) => Err(ArmError::new(
            400,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{version}' is invalid. The supported versions are '{}'.",
                route.api_version()
            ),
        )),
    }
}

/// 404 for an unknown subscription, 401 for a token of another tenant than the subscription's.
fn check_subscription(state: &State, identity: &Identity, sub: &str) -> Result<(), ArmError> {
    let record = state.arm.subscription(sub).ok_or_else(|| {
        ArmError::new(
            404,
            "SubscriptionNotFound",
            format!("The subscription '{sub}' could not be found."),
        )
    })?;
    if !same_id(&record.tenant, &identity.tenant) {
        return Err(ArmError::new(
            401,
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer 'https://sts.windows.net/{}/'. It must match the tenant 'https://sts.windows.net/{}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/{}' to get the token.",
                identity.tenant, record.tenant, record.tenant
            ),
        ));
    }
    Ok(())
}

/// What one ARM call answered.
pub type ArmResult = Result<(u16, Value), ArmError>;

/// Everything an operation needs.
pub struct ArmCall<'a> {
    pub route: &'a ArmRoute,
    pub identity: &'a Identity,
    pub body: &'a [u8],
    pub pairs: &'a [(String, String)],
    /// `https://{Host}{path}` of the request, for `nextLink`s.
    pub url: String,
}

impl ArmCall<'_> {
    /// The request body as JSON (400 `InvalidRequestContent` when it is not).
    pub fn json(&self) -> Result<Value, ArmError> {
        serde_json::from_slice(self.body).map_err(|e| {
            ArmError::new(
                400,
                "InvalidRequestContent",
                format!("The request content was invalid and could not be deserialized: '{e}'."),
            )
        })
    }

    /// One page of `items` (offset from `$skiptoken`), with a `nextLink` when more follow.
    pub fn page(&self, state: &State, items: Vec<Value>) -> ArmResult {
        let size = state.arm.page_size;
        let start = query_value(self.pairs, "$skiptoken")
            .and_then(|token| token.parse::<usize>().ok())
            .unwrap_or(0);
        let end = (start + size).min(items.len());
        let value: Vec<Value> = items
            .get(start..end)
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        let mut body = json!({ "value": value });
        if end < items.len() {
            body["nextLink"] = json!(format!(
                "{}?api-version={}&$skiptoken={end}",
                self.url,
                self.route.api_version()
            ));
        }
        Ok((200, body))
    }
}

/// What the synchronous first part of a request decided.
enum Prepared {
    Done(Outcome),
    Go {
        identity: Identity,
        route: ArmRoute,
        pairs: Vec<(String, String)>,
        decision: super::state::FaultDecision,
    },
}

/// Authentication, routing, counting, api-version and faults, under the lock.
fn prepare(shared: &Shared, request: &IncomingRequest) -> Prepared {
    let mut state = shared.lock();
    let identity = match authenticate(&mut state, request) {
        Ok(identity) => identity,
        Err(error) => {
            state.challenges += 1;
            log(&mut state, request, None, None, error.status);
            return Prepared::Done(Outcome::Respond(error.response()));
        }
    };
    let route = match parse(&request.method, request.uri.path()) {
        Ok(route) => route,
        Err(error) => {
            log(&mut state, request, None, Some(&identity), error.status);
            return Prepared::Done(Outcome::Respond(error.response()));
        }
    };
    let kind = route.kind();
    state.count(kind);
    let pairs = query_pairs(request);
    if let Err(error) = check_api_version(&route, &pairs) {
        log(
            &mut state,
            request,
            Some(kind),
            Some(&identity),
            error.status,
        );
        return Prepared::Done(Outcome::Respond(error.response()));
    }
    let decision = state.take_faults(kind, None, &request.method);
    Prepared::Go {
        identity,
        route,
        pairs,
        decision,
    }
}

pub async fn handle(shared: &Shared, request: &IncomingRequest, base: &str) -> Outcome {
    let (identity, route, pairs, decision) = match prepare(shared, request) {
        Prepared::Done(outcome) => return outcome,
        Prepared::Go {
            identity,
            route,
            pairs,
            decision,
        } => (identity, route, pairs, decision),
    };
    let kind = route.kind();
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    if let Some(action) = decision.action {
        let outcome = fault(action);
        let status = match &outcome {
            Outcome::Respond(response) => response.status().as_u16(),
            Outcome::Endless { .. } => 200,
            Outcome::DropConnection => 0,
        };
        log(
            &mut shared.lock(),
            request,
            Some(kind),
            Some(&identity),
            status,
        );
        return outcome;
    }
    let call = ArmCall {
        route: &route,
        identity: &identity,
        body: &request.body,
        pairs: &pairs,
        url: format!("{base}{}", request.uri.path()),
    };
    let mut state = shared.lock();
    let result = match route.subscription() {
        Some(sub) => {
            check_subscription(&state, &identity, sub).and_then(|()| execute(&mut state, &call))
        }
        None => execute(&mut state, &call),
    };
    let response = match result {
        Ok((status, body)) => respond::json(status, &body),
        Err(error) => error.response(),
    };
    log(
        &mut state,
        request,
        Some(kind),
        Some(&identity),
        response.status().as_u16(),
    );
    Outcome::Respond(response)
}

fn log(
    state: &mut State,
    request: &IncomingRequest,
    kind: Option<RouteKind>,
    identity: Option<&Identity>,
    status: u16,
) {
    state.log_request(RequestRecord {
        route: kind,
        method: request.method.to_string(),
        path: request.uri.path().to_string(),
        secret_name: None,
        caller: identity.map(Identity::caller),
        status,
    });
}

fn fault(action: FaultKind) -> Outcome {
    let error = match action {
        FaultKind::DropConnection => return Outcome::DropConnection,
        FaultKind::Latency { .. } => return Outcome::Respond(respond::empty(500)),
        FaultKind::Throttle { retry_after_secs } => ArmError {
            retry_after: Some(retry_after_secs),
            ..ArmError::new(
                429,
                "TooManyRequests",
                "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00.",
            )
        },
        FaultKind::ServerError { status } => ArmError::new(
            status,
            if status == 503 {
                "ServiceUnavailable"
            } else {
                "InternalServerError"
            },
            format!("Injected server error {status}."),
        ),
        FaultKind::Error {
            status,
            code,
            message,
            retry_after_secs,
            ..
        } => ArmError {
            retry_after: retry_after_secs,
            ..ArmError::new(
                status,
                &code,
                message.unwrap_or_else(|| "Injected fault.".to_string()),
            )
        },
    };
    Outcome::Respond(error.response())
}

fn execute(state: &mut State, call: &ArmCall<'_>) -> ArmResult {
    match call.route {
        ArmRoute::ListTenants => super::arm_resources::list_tenants(state, call),
        ArmRoute::ListSubscriptions => super::arm_resources::list_subscriptions(state, call),
        ArmRoute::ListLocations { sub } => super::arm_resources::list_locations(state, call, sub),
        ArmRoute::GetGroup { sub, group } => {
            super::arm_resources::get_group(state, call, sub, group)
        }
        ArmRoute::PutGroup { sub, group } => {
            super::arm_resources::put_group(state, call, sub, group)
        }
        ArmRoute::ListGroups { sub } => super::arm_resources::list_groups(state, call, sub),
        _ => super::arm_ops::execute(state, call),
    }
}
