//! The vendor test ping: one lightweight authenticated request with the stored key, reported as
//! a result a technician can act on. No Tauri imports; the value never leaves Rust.

use std::time::{Duration, Instant};

use base64::Engine;
use serde::Serialize;
use ts_rs::TS;

use crate::domain::catalog::{AuthStyle, Vendor, endpoint_placeholders};
use crate::domain::keys::KeyRecord;
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};

/// The whole ping (token exchange included) gives up after this long.
pub const PING_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum PingOutcome {
    Authenticated,
    Rejected,
    ScopeMissing,
    NotReachable,
    TlsError,
    Timeout,
    Placeholder,
    BadKeyFormat,
    UnexpectedStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PingReport {
    pub outcome: PingOutcome,
    /// HTTP status of the deciding response, when there was one.
    pub status: Option<u16>,
    pub message: String,
    pub hint: String,
    /// What was requested (never with the key in it).
    pub target: String,
    pub elapsed_ms: u64,
}

impl PingReport {
    pub fn authenticated(&self) -> bool {
        self.outcome == PingOutcome::Authenticated
    }
}

/// The HTTP client for pings: short timeouts, no redirects (a redirect could carry the key to
/// another host), https only.
#[derive(Clone)]
pub struct PingClient {
    http: reqwest::Client,
}

impl PingClient {
    /// `extra_root_pem` adds a trusted CA (tests' vendor stub, or an MSP's TLS-inspecting proxy).
    pub fn new(extra_root_pem: Option<&str>) -> AppResult<PingClient> {
        let mut builder = reqwest::Client::builder()
            .timeout(PING_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true)
            .user_agent(concat!("api-key-vault-console/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = extra_root_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                AppError::new(
                    ErrorCode::TlsFailure,
                    format!("The extra CA certificate could not be read: {e}"),
                    "Use a PEM file with one or more BEGIN CERTIFICATE blocks.",
                )
            })?;
            builder = builder.tls_certs_only(certs);
        }
        let http = builder
            .build()
            .map_err(|e| AppError::internal(format!("HTTP client: {e}")))?;
        Ok(PingClient { http })
    }
}

/// Fill `target`'s placeholders with the values `actual` gives them in `template`
/// (e.g. the tenant from `https://acme.halopsa.com/api` for `https://{tenant}.halopsa.com/api`).
pub fn fill_from_template(template: &str, actual: &str, target: &str) -> String {
    let mut result = target.to_string();
    let mut rest_template = template;
    let mut rest_actual = actual;
    while let Some(open) = rest_template.find('{') {
        let literal = &rest_template[..open];
        let Some(after_literal) = rest_actual.strip_prefix(literal) else {
            break;
        };
        let Some(close) = rest_template[open..].find('}') else {
            break;
        };
        let name = &rest_template[open + 1..open + close];
        rest_template = &rest_template[open + close + 1..];
        let next_literal_end = rest_template.find('{').unwrap_or(rest_template.len());
        let next_literal = &rest_template[..next_literal_end];
        let value_end = if next_literal.is_empty() {
            after_literal.len()
        } else {
            match after_literal.find(next_literal) {
                Some(end) => end,
                None => break,
            }
        };
        let value = &after_literal[..value_end];
        if !value.is_empty() && !value.contains('{') {
            result = result.replace(&format!("{{{name}}}"), value);
        }
        rest_actual = &after_literal[value_end..];
    }
    result
}

/// The token URL a key's ping uses.
pub fn token_url_for(vendor: &Vendor, record: Option<&KeyRecord>) -> Option<String> {
    let template = vendor.auth.token_url()?;
    if let Some(url) = record.and_then(|r| r.token_url_override.clone()) {
        return Some(url);
    }
    let endpoint = record
        .map(|r| r.endpoint())
        .unwrap_or_else(|| vendor.endpoint.clone());
    Some(fill_from_template(&vendor.endpoint, &endpoint, template))
}

fn report(outcome: PingOutcome, status: Option<u16>, target: &str, started: Instant) -> PingReport {
    let (message, hint) = describe(outcome, status);
    PingReport {
        outcome,
        status,
        message,
        hint,
        target: target.to_string(),
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

fn describe(outcome: PingOutcome, status: Option<u16>) -> (String, String) {
    let (message, hint) = match outcome {
        PingOutcome::Authenticated => ("The vendor accepted the key.", "Nothing to do."),
        PingOutcome::Rejected => (
            "The vendor rejected the key (401).",
            "Check that the key was copied whole and has not been revoked or regenerated at the vendor. If you just rotated, make sure the new key was saved here.",
        ),
        PingOutcome::ScopeMissing => (
            "The key authenticated but lacks permission for the test request (403).",
            "Check the key's scopes or permissions in the vendor portal. Vendors such as SentinelOne and some ConnectWise setups also restrict API access by IP: add this network's address to the vendor's allowlist.",
        ),
        PingOutcome::NotReachable => (
            "The vendor's API could not be reached.",
            "Check the endpoint in the detail panel, your internet or VPN connection, and whether a firewall blocks the vendor's API host.",
        ),
        PingOutcome::TlsError => (
            "The secure connection to the vendor failed (TLS certificate problem).",
            "A proxy or firewall may be inspecting HTTPS, or the endpoint's host name is wrong. Check the endpoint in the detail panel.",
        ),
        PingOutcome::Timeout => (
            "The vendor did not answer within 10 seconds.",
            "Try again; if it keeps timing out, check the endpoint and your network or VPN.",
        ),
        PingOutcome::Placeholder => (
            "The endpoint still has a placeholder such as {tenant} or {server}.",
            "Open the key's detail panel and replace the placeholder with your actual subdomain, server or region.",
        ),
        PingOutcome::BadKeyFormat => (
            "The stored key does not have the parts this vendor needs.",
            "See the key-format hint in the detail panel and rotate the key with the right format.",
        ),
        PingOutcome::UnexpectedStatus => (
            "The vendor answered with an unexpected status.",
            "The endpoint may be wrong (404) or the vendor may be having trouble (5xx). Check the endpoint and the vendor's status page.",
        ),
    };
    let message = match (outcome, status) {
        (PingOutcome::UnexpectedStatus, Some(code)) => {
            format!("The vendor answered with HTTP {code}.")
        }
        _ => message.to_string(),
    };
    (message, hint.to_string())
}

fn classify_status(status: u16) -> PingOutcome {
    match status {
        200..=299 => PingOutcome::Authenticated,
        401 => PingOutcome::Rejected,
        403 => PingOutcome::ScopeMissing,
        _ => PingOutcome::UnexpectedStatus,
    }
}

fn classify_error(error: &reqwest::Error) -> PingOutcome {
    if error.is_timeout() {
        return PingOutcome::Timeout;
    }
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        let text = current.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            return PingOutcome::TlsError;
        }
        source = current.source();
    }
    PingOutcome::NotReachable
}

/// The key's parts for multi-part styles (`splitn`, so the last part may contain `:`).
fn parts(value: &SecretValue, count: usize) -> Option<Vec<&str>> {
    let pieces: Vec<&str> = value.expose().splitn(count, ':').collect();
    (pieces.len() == count && pieces.iter().all(|p| !p.is_empty())).then_some(pieces)
}

/// Ping `vendor` at `endpoint` with `value`.
pub async fn ping(
    client: &PingClient,
    vendor: &Vendor,
    endpoint: &str,
    token_url: Option<&str>,
    value: &SecretValue,
) -> PingReport {
    let started = Instant::now();
    let endpoint = endpoint.trim_end_matches('/');
    let target = format!("{endpoint}{}", vendor.test_path);
    let placeholder_in_token = token_url.is_some_and(|u| !endpoint_placeholders(u).is_empty());
    if !endpoint_placeholders(endpoint).is_empty() || placeholder_in_token {
        return report(PingOutcome::Placeholder, None, &target, started);
    }
    let Some(pieces) = parts(value, vendor.auth.key_parts()) else {
        return report(PingOutcome::BadKeyFormat, None, &target, started);
    };
    let http = &client.http;

    // Styles that first exchange the key for a bearer token.
    let bearer = match &vendor.auth {
        AuthStyle::OauthClientCredentials {
            scope, audience, ..
        } => {
            let url = token_url.unwrap_or_default();
            let mut form = vec![
                ("grant_type", "client_credentials"),
                ("client_id", pieces[0]),
                ("client_secret", pieces[1]),
            ];
            if let Some(scope) = scope {
                form.push(("scope", scope));
            }
            if let Some(audience) = audience {
                form.push(("audience", audience));
            }
            Some(exchange(http.post(url).form(&form), "access_token", url, started).await)
        }
        AuthStyle::OauthPassword {
            client_id,
            client_secret,
            ..
        } => {
            let url = token_url.unwrap_or_default();
            let form = [
                ("grant_type", "password"),
                ("username", pieces[0]),
                ("password", pieces[1]),
            ];
            let request = http
                .post(url)
                .basic_auth(client_id, Some(client_secret))
                .form(&form);
            Some(exchange(request, "access_token", url, started).await)
        }
        AuthStyle::JsonLogin {
            token_path,
            user_field,
            password_field,
            token_field,
            extra_header,
        } => {
            let url = format!("{endpoint}{token_path}");
            let body = serde_json::json!({ user_field: pieces[0], password_field: pieces[1] });
            let mut request = http.post(&url).json(&body);
            if let (Some(header), Some(extra)) = (extra_header, pieces.get(2)) {
                request = request.header(header.as_str(), *extra);
            }
            Some(exchange(request, token_field, &url, started).await)
        }
        _ => None,
    };
    // The token is wiped when the ping ends, whichever way it ends.
    let bearer = match bearer {
        Some(Ok(token)) => Some(zeroize::Zeroizing::new(token)),
        Some(Err(failed)) => return failed,
        None => None,
    };
    if bearer.is_some() && vendor.test_path.is_empty() {
        // The token exchange itself proved the credentials.
        let token_target = token_url.unwrap_or(&target);
        return report(PingOutcome::Authenticated, Some(200), token_target, started);
    }

    let mut url = match url::Url::parse(&target) {
        Ok(url) => url,
        Err(_) => return report(PingOutcome::NotReachable, None, &target, started),
    };
    let mut request_headers: Vec<(String, String)> = Vec::new();
    let mut basic: Option<(&str, &str)> = None;
    match (&vendor.auth, &bearer) {
        (_, Some(token)) => {
            request_headers.push(("Authorization".into(), format!("Bearer {}", token.as_str())))
        }
        (AuthStyle::Bearer, None) => {
            request_headers.push(("Authorization".into(), format!("Bearer {}", pieces[0])))
        }
        (AuthStyle::Header { name, prefix }, None) => request_headers.push((
            name.clone(),
            format!("{}{}", prefix.as_deref().unwrap_or_default(), pieces[0]),
        )),
        (AuthStyle::Basic { extra_header }, None) => {
            basic = Some((pieces[0], pieces[1]));
            if let (Some(header), Some(extra)) = (extra_header, pieces.get(2)) {
                request_headers.push((header.clone(), (*extra).to_string()));
            }
        }
        (AuthStyle::Headers { names }, None) => {
            for (name, piece) in names.iter().zip(pieces.iter()) {
                request_headers.push((name.clone(), (*piece).to_string()));
            }
        }
        (AuthStyle::Query { param }, None) => {
            url.query_pairs_mut().append_pair(param, pieces[0]);
        }
        _ => {}
    }
    let mut request = http.get(url).header("Accept", "application/json");
    for (name, header_value) in &request_headers {
        request = request.header(name.as_str(), header_value.as_str());
    }
    if let Some((user, password)) = basic {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request = request.header("Authorization", format!("Basic {encoded}"));
    }
    // Header values held copies of the key; clear them once the request is built.
    for (_, header_value) in request_headers.iter_mut() {
        zeroize::Zeroize::zeroize(header_value);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            report(classify_status(status), Some(status), &target, started)
        }
        Err(error) => report(classify_error(&error), None, &target, started),
    }
}

/// Send a token request (OAuth or a vendor's JSON login) and return the token found under
/// `token_field` of the JSON answer.
async fn exchange(
    request: reqwest::RequestBuilder,
    token_field: &str,
    url: &str,
    started: Instant,
) -> Result<String, PingReport> {
    let response = request
        .send()
        .await
        .map_err(|error| report(classify_error(&error), None, url, started))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        // Token endpoints answer bad credentials with 400 or 401.
        let outcome = match status {
            400 | 401 => PingOutcome::Rejected,
            other => classify_status(other),
        };
        return Err(report(outcome, Some(status), url, started));
    }
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    body.get(token_field)
        .and_then(|t| t.as_str())
        .map(str::to_string)
        .ok_or_else(|| report(PingOutcome::UnexpectedStatus, Some(status), url, started))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_filling() {
        assert_eq!(
            fill_from_template(
                "https://{tenant}.halopsa.com/api",
                "https://acme.halopsa.com/api",
                "https://{tenant}.halopsa.com/auth/token"
            ),
            "https://acme.halopsa.com/auth/token"
        );
        assert_eq!(
            fill_from_template(
                "https://{region}-api.centrastage.net/api",
                "https://merlot-api.centrastage.net/api",
                "https://{region}-api.centrastage.net/auth/oauth/token"
            ),
            "https://merlot-api.centrastage.net/auth/oauth/token"
        );
        // Nothing to learn from an endpoint without the placeholder.
        assert_eq!(
            fill_from_template(
                "https://graph.microsoft.com/v1.0",
                "https://graph.microsoft.com/v1.0",
                "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
            ),
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
        );
    }

    #[test]
    fn status_mapping() {
        assert_eq!(classify_status(200), PingOutcome::Authenticated);
        assert_eq!(classify_status(401), PingOutcome::Rejected);
        assert_eq!(classify_status(403), PingOutcome::ScopeMissing);
        assert_eq!(classify_status(404), PingOutcome::UnexpectedStatus);
        assert_eq!(
            describe(PingOutcome::UnexpectedStatus, Some(404)).0,
            "The vendor answered with HTTP 404."
        );
    }

    #[tokio::test]
    async fn placeholders_are_reported_before_any_request() {
        let vendor = crate::domain::catalog::catalog()
            .iter()
            .find(|v| !endpoint_placeholders(&v.endpoint).is_empty())
            .expect("a vendor with a placeholder");
        let client = PingClient::new(None).expect("client");
        let value = SecretValue::new("a:b:c:d");
        let result = ping(&client, vendor, &vendor.endpoint, None, &value).await;
        assert_eq!(result.outcome, PingOutcome::Placeholder);
        assert!(result.hint.contains("detail panel"));
    }

    #[test]
    fn multi_part_keys_are_split() {
        let value = SecretValue::new("id:secret:with:colons");
        assert_eq!(parts(&value, 2), Some(vec!["id", "secret:with:colons"]));
        assert_eq!(parts(&SecretValue::new("nocolon"), 2), None);
    }
}
