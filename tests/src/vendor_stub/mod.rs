//! HTTPS stand-in for vendor APIs (NinjaOne, SentinelOne, Pax8, ...), so the app's
//! "test key" ping never leaves the machine in tests.
//!
//! Every path answers. The credential a request carries is looked for in the
//! `Authorization` header (`Bearer x`, `Basic base64(user:pass)`, any `<Prefix> <token>`
//! such as `ApiToken x`, or a bare value), in the configured credential headers, and in every
//! query parameter. The answer is 200 if one is in the accepted set, 403 if one is in the
//! "missing scope" set, and 401 otherwise. `POST` to a path ending in `/token` (or a
//! configured token path) carrying client credentials (form fields, JSON body, or Basic auth;
//! also `username`/`password` form fields for password grants) is an OAuth token request: a
//! known client gets a bearer token that is accepted from then on. Every request is recorded.
//!
//! Key management as the vendors do it: Meraki's identity holds at most two keys (listed by
//! suffix, a third refused with 400), SentinelOne's regeneration kills the caller's token at
//! once. A new credential can be made to stay invalid for a while (Meraki: up to five minutes to
//! propagate), and a path can be made to stream a body without end.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Response};
use serde_json::{Value, json};

use crate::tls::{BackgroundRuntime, Handler, HttpsServer, IncomingRequest, Outcome, TestCa};

mod credentials;
mod vendors;
use credentials::{client_pairs, credential_candidates, decode_basic};
use vendors::{duo, key_management, ncentral_authenticate};

/// Header names checked for a credential unless configured otherwise (lowercase).
pub const DEFAULT_CREDENTIAL_HEADERS: [&str; 8] = [
    "x-api-key",
    "api-key",
    "apikey",
    "x-apikey",
    "x-auth-token",
    "x-api-token",
    "x-cisco-meraki-api-key",
    "clientid",
];

/// One request as the stub saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Percent-decoded query pairs in order.
    pub query: Vec<(String, String)>,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Status the stub answered with (0 when the connection was dropped).
    pub status: u16,
}

impl RecordedRequest {
    /// First value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ClientPair {
    id: String,
    secret: String,
    with_scope: bool,
}

#[derive(Debug, Default)]
struct StubState {
    accepted: HashSet<String>,
    missing_scope: HashSet<String>,
    clients: Vec<ClientPair>,
    credential_headers: Vec<String>,
    token_paths: Vec<String>,
    forced_statuses: VecDeque<u16>,
    /// One-shot answers for paths ending in a given suffix: (suffix, status, body, location).
    scripted: Vec<(String, u16, String, Option<String>)>,
    issued_tokens: Vec<String>,
    requests: Vec<RecordedRequest>,
    /// Credentials made by the key-management routes are refused until then.
    not_before: HashMap<String, Instant>,
    new_credential_delay: Duration,
    /// The Meraki identity's API keys (at most two).
    meraki_keys: Vec<String>,
    /// The value the next Meraki generate hands out, instead of a random one.
    next_meraki_key: Option<String>,
    /// Path suffixes answered with an endless body.
    endless: Vec<String>,
    /// Duo applications (integration key, secret key) whose signed requests are accepted.
    duo_apps: Vec<(String, String)>,
}

impl StubState {
    /// Accepted and, if made by the key-management routes, propagated.
    fn valid(&self, credential: &str) -> bool {
        self.accepted.contains(credential)
            && self
                .not_before
                .get(credential)
                .is_none_or(|from| Instant::now() >= *from)
    }

    /// Accept a credential the vendor just made, after the configured delay.
    fn issue(&mut self, credential: &str) {
        self.accepted.insert(credential.to_string());
        if !self.new_credential_delay.is_zero() {
            self.not_before.insert(
                credential.to_string(),
                Instant::now() + self.new_credential_delay,
            );
        }
    }
}

struct StubShared {
    state: Mutex<StubState>,
}

impl StubShared {
    fn lock(&self) -> MutexGuard<'_, StubState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running vendor stub; dropping it stops the server.
pub struct VendorStub {
    shared: Arc<StubShared>,
    server: Option<HttpsServer>,
    ca: Arc<TestCa>,
    background: Option<BackgroundRuntime>,
}

impl std::fmt::Debug for VendorStub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorStub")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

fn tls_to_io(err: crate::tls::TlsError) -> std::io::Error {
    std::io::Error::other(err)
}

impl VendorStub {
    /// Starts on a free port with its own CA, on the current tokio runtime.
    pub async fn start() -> std::io::Result<VendorStub> {
        let ca = TestCa::generate("akv-tests vendor stub CA").map_err(tls_to_io)?;
        VendorStub::start_with_ca(Arc::new(ca)).await
    }

    /// Starts with a certificate from `ca` (e.g. the emulator's, so clients trust one PEM).
    pub async fn start_with_ca(ca: Arc<TestCa>) -> std::io::Result<VendorStub> {
        let identity = ca.issue_server_identity(&[]).map_err(tls_to_io)?;
        let tls = identity.server_config().map_err(tls_to_io)?;
        let shared = Arc::new(StubShared {
            state: Mutex::new(StubState {
                credential_headers: DEFAULT_CREDENTIAL_HEADERS
                    .iter()
                    .map(|name| name.to_string())
                    .collect(),
                ..StubState::default()
            }),
        });
        let handler_shared = shared.clone();
        let handler: Handler = Arc::new(move |request: IncomingRequest| {
            let shared = handler_shared.clone();
            Box::pin(async move {
                let path = request.uri.path().to_string();
                let endless = shared
                    .lock()
                    .endless
                    .iter()
                    .any(|suffix| path.ends_with(suffix.as_str()));
                if endless {
                    return Outcome::Endless {
                        content_type: "application/json",
                        chunk: Bytes::from_static(&[b' '; 16 * 1024]),
                    };
                }
                Outcome::Respond(handle(&shared, request))
            })
        });
        let server = HttpsServer::start(0, tls, handler).await?;
        Ok(VendorStub {
            shared,
            server: Some(server),
            ca,
            background: None,
        })
    }

    /// Starts on its own runtime thread (for callers without a tokio runtime).
    pub fn start_blocking(ca: Option<Arc<TestCa>>) -> std::io::Result<VendorStub> {
        let (mut stub, background) = BackgroundRuntime::spawn("vendor-stub", move || async move {
            match ca {
                Some(ca) => VendorStub::start_with_ca(ca).await,
                None => VendorStub::start().await,
            }
        })?;
        stub.background = Some(background);
        Ok(stub)
    }

    /// `https://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port())
    }

    pub fn port(&self) -> u16 {
        self.server.as_ref().map(HttpsServer::port).unwrap_or(0)
    }

    pub fn ca_pem(&self) -> String {
        self.ca.ca_pem().to_string()
    }

    /// Requests carrying this credential get 200.
    pub fn accept(&self, credential: &str) {
        self.shared.lock().accepted.insert(credential.to_string());
    }

    /// Requests carrying this credential get 403 (valid key, missing permission/scope).
    pub fn accept_without_scope(&self, credential: &str) {
        self.shared
            .lock()
            .missing_scope
            .insert(credential.to_string());
    }

    /// Stops accepting a credential (e.g. a key revoked at the vendor).
    pub fn revoke(&self, credential: &str) {
        let mut state = self.shared.lock();
        state.accepted.remove(credential);
        state.missing_scope.remove(credential);
    }

    /// OAuth client whose token requests succeed; its tokens are accepted (200).
    pub fn accept_client(&self, client_id: &str, client_secret: &str) {
        self.add_client(client_id, client_secret, true);
    }

    /// OAuth client whose token requests succeed but whose tokens get 403.
    pub fn accept_client_without_scope(&self, client_id: &str, client_secret: &str) {
        self.add_client(client_id, client_secret, false);
    }

    fn add_client(&self, client_id: &str, client_secret: &str, with_scope: bool) {
        self.shared.lock().clients.push(ClientPair {
            id: client_id.to_string(),
            secret: client_secret.to_string(),
            with_scope,
        });
    }

    /// Also look for a credential in this header.
    pub fn add_credential_header(&self, name: &str) {
        let name = name.to_ascii_lowercase();
        let mut state = self.shared.lock();
        if !state.credential_headers.contains(&name) {
            state.credential_headers.push(name);
        }
    }

    /// Treat `POST {path}` as a token endpoint too (paths ending in `/token` always are).
    pub fn add_token_path(&self, path: &str) {
        self.shared.lock().token_paths.push(path.to_string());
    }

    /// Answer the next `times` requests with `status` regardless of credentials (429s get
    /// `Retry-After: 1`).
    pub fn respond_next_with(&self, status: u16, times: usize) {
        let mut state = self.shared.lock();
        for _ in 0..times {
            state.forced_statuses.push_back(status);
        }
    }

    /// Answer the next request whose path ends with `suffix` with `status` and `body` (a 3xx
    /// gets `Location: location`), regardless of credentials.
    pub fn respond_at(&self, suffix: &str, status: u16, body: &str, location: Option<&str>) {
        self.shared.lock().scripted.push((
            suffix.to_string(),
            status,
            body.to_string(),
            location.map(str::to_string),
        ));
    }

    /// Fail the next request to a path ending with `suffix` (connector failure injection).
    pub fn fail_next(&self, suffix: &str, status: u16) {
        self.respond_at(suffix, status, r#"{"errors":["injected failure"]}"#, None);
    }

    /// Is this credential accepted now (made and propagated)?
    pub fn accepts(&self, credential: &str) -> bool {
        self.shared.lock().valid(credential)
    }

    /// Credentials the key-management routes make from now on stay invalid for `delay`.
    pub fn set_new_credential_delay(&self, delay: Duration) {
        self.shared.lock().new_credential_delay = delay;
    }

    /// A Meraki API key of the identity (accepted, and listed by its suffix).
    pub fn add_meraki_key(&self, key: &str) {
        let mut state = self.shared.lock();
        state.accepted.insert(key.to_string());
        state.meraki_keys.push(key.to_string());
    }

    /// The Meraki identity's keys now.
    pub fn meraki_keys(&self) -> Vec<String> {
        self.shared.lock().meraki_keys.clone()
    }

    /// The next Meraki generate hands out `key`.
    pub fn next_meraki_key(&self, key: &str) {
        self.shared.lock().next_meraki_key = Some(key.to_string());
    }

    /// Answer every request to a path ending with `suffix` with a 200 whose body never ends.
    pub fn stream_endlessly_at(&self, suffix: &str) {
        self.shared.lock().endless.push(suffix.to_string());
    }

    /// Every request received so far, oldest first.
    /// Accept requests signed as Duo documents it with this integration and secret key.
    pub fn accept_duo(&self, ikey: &str, skey: &str) {
        self.shared
            .lock()
            .duo_apps
            .push((ikey.to_string(), skey.to_string()));
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Bearer tokens handed out by the token route.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.lock().issued_tokens.clone()
    }

    pub fn shutdown(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown();
        }
        if let Some(background) = self.background.take() {
            background.stop();
        }
    }
}

impl Drop for VendorStub {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn json_response(status: u16, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn with_header(
    mut response: Response<Full<Bytes>>,
    name: &'static str,
    value: &'static str,
) -> Response<Full<Bytes>> {
    response.headers_mut().insert(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    );
    response
}

fn handle(shared: &StubShared, request: IncomingRequest) -> Response<Full<Bytes>> {
    let query: Vec<(String, String)> = request
        .uri
        .query()
        .map(|raw| {
            url::form_urlencoded::parse(raw.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut state = shared.lock();
    let (status, response) = decide(&mut state, &request, &query);
    state.requests.push(RecordedRequest {
        method: request.method.to_string(),
        path: request.uri.path().to_string(),
        query,
        headers: request
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: request.body.to_vec(),
        status,
    });
    response
}

fn decide(
    state: &mut StubState,
    request: &IncomingRequest,
    query: &[(String, String)],
) -> (u16, Response<Full<Bytes>>) {
    if let Some(status) = state.forced_statuses.pop_front() {
        let response = json_response(status, &json!({"error": "forced_status", "status": status}));
        let response = if status == 429 {
            with_header(response, "retry-after", "1")
        } else {
            response
        };
        return (status, response);
    }
    let path = request.uri.path();
    if let Some(index) = state
        .scripted
        .iter()
        .position(|(suffix, ..)| path.ends_with(suffix.as_str()))
    {
        let (_, status, body, location) = state.scripted.remove(index);
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() =
            hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response
                .headers_mut()
                .insert(hyper::header::LOCATION, location);
        }
        return (status, response);
    }
    if let Some(answer) = key_management(state, request, query, path) {
        return answer;
    }
    if let Some(answer) = duo(state, request, query) {
        return answer;
    }
    if request.method == Method::POST && path.ends_with("/api/auth/authenticate") {
        return ncentral_authenticate(state, request, query);
    }
    let token_route = request.method == Method::POST
        && (path.ends_with("/token") || state.token_paths.iter().any(|known| known == path));
    if token_route {
        let pairs = client_pairs(request);
        if !pairs.is_empty() {
            let known = pairs.iter().find_map(|(id, secret)| {
                state
                    .clients
                    .iter()
                    .find(|client| &client.id == id && &client.secret == secret)
                    .cloned()
            });
            return match known {
                Some(client) => {
                    let token = format!(
                        "stub-token-{}",
                        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
                    );
                    if client.with_scope {
                        state.accepted.insert(token.clone());
                    } else {
                        state.missing_scope.insert(token.clone());
                    }
                    state.issued_tokens.push(token.clone());
                    (
                        200,
                        json_response(
                            200,
                            &json!({
                                "access_token": token,
                                // ConnectWise Automate's login answers with this name.
                                "AccessToken": token,
                                "token_type": "Bearer",
                                "expires_in": 3600,
                            }),
                        ),
                    )
                }
                None => (
                    401,
                    json_response(
                        401,
                        &json!({"error": "invalid_client", "error_description": "Client authentication failed"}),
                    ),
                ),
            };
        }
    }
    let candidates = credential_candidates(request, query, &state.credential_headers);
    if candidates.iter().any(|candidate| state.valid(candidate)) {
        return (200, json_response(200, &json!({"ok": true})));
    }
    if candidates
        .iter()
        .any(|candidate| state.missing_scope.contains(candidate))
    {
        return (
            403,
            json_response(
                403,
                &json!({"error": "insufficient_scope", "message": "The credential is valid but lacks the required permission"}),
            ),
        );
    }
    (
        401,
        with_header(
            json_response(
                401,
                &json!({"error": "unauthorized", "message": "Missing or invalid credentials"}),
            ),
            "www-authenticate",
            "Bearer",
        ),
    )
}
