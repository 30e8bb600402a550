//! The vendor test ping: one lightweight authenticated request with the stored key, reported as
//! a result a technician can act on. No Tauri imports; the value never leaves Rust.
//!
//! Every request the ping makes carries the vendor's fixed headers, the key's header parts
//! (ConnectWise's ClientId) and its header fields (JumpCloud's x-org-id). Redirects are never
//! followed: a 3xx is explained ("this key belongs to another region: <host>").

pub mod client;
pub mod duo;
pub mod target;

use std::time::Instant;

use base64::Engine;
use serde::Serialize;
use ts_rs::TS;
use zeroize::{Zeroize, Zeroizing};

pub use client::{PING_TIMEOUT, PingClient};
pub use target::{PingTarget, endpoint_for, token_url_for};

use crate::domain::catalog::{AuthStyle, BodyCheck, ClientAuth};
use crate::domain::key_value::KeyParts;

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
    /// The vendor answered with a redirect (usually: the key's account lives in another region).
    Redirected,
    /// The host is loopback/private, or outside the vendor's domains without an Admin's confirmation.
    HostRefused,
    /// The answer went past [`client::MAX_VENDOR_BODY`]; the console stopped reading it.
    AnswerTooLarge,
    /// The kind has no test call (a non-API secret, or a vendor the console cannot call with the
    /// stored key alone); nothing was sent.
    NoTestCall,
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

    /// A report decided before any request (unknown vendor, refused host, ...).
    pub fn refused(
        outcome: PingOutcome,
        message: impl Into<String>,
        hint: impl Into<String>,
        target: &str,
    ) -> PingReport {
        PingReport {
            outcome,
            status: None,
            message: message.into(),
            hint: hint.into(),
            target: target.to_string(),
            elapsed_ms: 0,
        }
    }
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
            "A proxy or firewall may be inspecting HTTPS, or the endpoint's host name is wrong. A self-signed appliance needs its CA added to this key in Edit settings.",
        ),
        PingOutcome::Timeout => (
            "The vendor did not answer within 10 seconds.",
            "Try again; if it keeps timing out, check the endpoint and your network or VPN.",
        ),
        PingOutcome::Placeholder => (
            "The endpoint still has a placeholder such as {tenant} or {server}.",
            "Open the key's detail panel, choose Edit settings and fill the named field.",
        ),
        PingOutcome::BadKeyFormat => (
            "The stored key does not have the parts this vendor needs.",
            "See the key-format hint in the detail panel and rotate the key with every part filled.",
        ),
        PingOutcome::UnexpectedStatus => (
            "The vendor answered with an unexpected status.",
            "The endpoint may be wrong (404) or the vendor may be having trouble (5xx). Check the endpoint and the vendor's status page.",
        ),
        PingOutcome::Redirected => (
            "The vendor answered with a redirect.",
            "Set the key's region or endpoint to the host named above in Edit settings, then test again. The console never follows a redirect with a key.",
        ),
        PingOutcome::HostRefused => (
            "The console refused to send the key to this host.",
            "Keys only go to the vendor's own domains; an Admin must confirm any other host in Edit settings.",
        ),
        PingOutcome::AnswerTooLarge => (
            "The vendor's answer was larger than 1 MiB, so the console stopped reading it.",
            "Check the key's endpoint: it may point at something other than the vendor's API.",
        ),
        PingOutcome::NoTestCall => (
            "This kind of key has no test call.",
            "Check it where it is used (sign in, join the network, open the backup) after each rotation.",
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
        300..=399 => PingOutcome::Redirected,
        401 => PingOutcome::Rejected,
        403 => PingOutcome::ScopeMissing,
        _ => PingOutcome::UnexpectedStatus,
    }
}

fn classify_error(error: &reqwest::Error) -> (PingOutcome, Option<String>) {
    if error.is_timeout() {
        return (PingOutcome::Timeout, None);
    }
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        if let Some(refused) = current.downcast_ref::<client::PrivateAddressRefused>() {
            return (PingOutcome::HostRefused, Some(refused.to_string()));
        }
        let text = current.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            return (PingOutcome::TlsError, None);
        }
        source = current.source();
    }
    (PingOutcome::NotReachable, None)
}

fn error_report(error: &reqwest::Error, target: &str, started: Instant) -> PingReport {
    let (outcome, detail) = classify_error(error);
    let mut result = report(outcome, None, target, started);
    if let Some(detail) = detail {
        result.message = format!("The console refused to send the key: {detail}.");
        result.hint =
            "Vendor APIs live on public addresses; check the host name in Edit settings.".into();
    }
    result
}

/// A 3xx, explained with the host it points to.
fn redirect_report(response: &reqwest::Response, target: &str, started: Instant) -> PingReport {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| {
            url::Url::parse(loc)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
        });
    let mut result = report(PingOutcome::Redirected, Some(status), target, started);
    result.message = match location {
        Some(host) => format!("This key belongs to another region: {host} (HTTP {status})."),
        None => format!("The vendor redirected the request (HTTP {status}) without saying where."),
    };
    result
}

/// Headers every request of this ping carries, with the values they hold (zeroed after use).
fn common_headers(target: &PingTarget<'_>, key: &KeyParts) -> Vec<(String, Zeroizing<String>)> {
    let vendor = target.vendor;
    let mut headers: Vec<(String, Zeroizing<String>)> = vendor
        .headers
        .iter()
        .map(|h| (h.name.clone(), Zeroizing::new(h.value.clone())))
        .collect();
    for field in &vendor.fields {
        if let (Some(header), Some(value)) = (&field.header, target.fields.get(&field.id)) {
            headers.push((header.clone(), Zeroizing::new(value.clone())));
        }
    }
    for part in &vendor.key_parts {
        if let (Some(header), Some(value)) = (&part.header, key.get(&part.id)) {
            headers.push((header.clone(), Zeroizing::new(value.to_string())));
        }
    }
    headers
}

fn with_headers(
    mut request: reqwest::RequestBuilder,
    headers: &[(String, Zeroizing<String>)],
) -> reqwest::RequestBuilder {
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    request
}

fn basic(user: &str, password: &str) -> Zeroizing<String> {
    let joined = Zeroizing::new(format!("{user}:{password}"));
    Zeroizing::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(joined.as_bytes())
    ))
}

/// Ping `target` with `key`.
pub async fn ping(client: &PingClient, target: &PingTarget<'_>, key: &KeyParts) -> PingReport {
    let started = Instant::now();
    let vendor = target.vendor;
    let endpoint = target.endpoint.trim_end_matches('/');
    let test_url = format!("{endpoint}{}", vendor.test_path);
    if let Some(reason) = vendor.no_test_reason() {
        let (_, hint) = describe(PingOutcome::NoTestCall, None);
        return PingReport::refused(PingOutcome::NoTestCall, reason, hint, &test_url);
    }
    let unfilled = target.unfilled();
    if !unfilled.is_empty() {
        let mut result = report(PingOutcome::Placeholder, None, &test_url, started);
        let labels: Vec<&str> = unfilled.iter().map(|f| f.label.as_str()).collect();
        result.message = format!(
            "Fill the {} field{} before testing.",
            labels.join(", "),
            if labels.len() == 1 { "" } else { "s" }
        );
        return result;
    }
    if vendor.key_parts.iter().any(|p| key.get(&p.id).is_none()) {
        return report(PingOutcome::BadKeyFormat, None, &test_url, started);
    }
    for url in std::iter::once(test_url.as_str()).chain(target.token_url.as_deref()) {
        let Ok(parsed) = url::Url::parse(url) else {
            return report(PingOutcome::NotReachable, None, url, started);
        };
        if let Err(host) = client.check_url(&parsed) {
            let mut result = report(PingOutcome::HostRefused, None, url, started);
            result.message = format!(
                "The console refused to send the key to {host}: a loopback or private address."
            );
            return result;
        }
    }
    let http = match client.http_for(target.key_ca_pem.as_deref()) {
        Ok(http) => http,
        Err(error) => {
            return PingReport::refused(
                PingOutcome::TlsError,
                error.message,
                error.hint,
                &test_url,
            );
        }
    };
    let part = |id: &str| key.get(id).unwrap_or_default();
    let headers = common_headers(target, key);

    // Styles that first exchange the key for a bearer token.
    let bearer = match &vendor.auth {
        AuthStyle::OauthClientCredentials {
            scope,
            audience,
            client_auth,
            ..
        } => {
            let url = target.token_url.clone().unwrap_or_default();
            let request =
                with_headers(http.post(&url), &headers).header("Accept", "application/json");
            let request = match client_auth {
                ClientAuth::Post => {
                    let mut form = vec![
                        ("grant_type", "client_credentials"),
                        ("client_id", part("client_id")),
                        ("client_secret", part("client_secret")),
                    ];
                    form.extend(scope.as_deref().map(|s| ("scope", s)));
                    form.extend(audience.as_deref().map(|a| ("audience", a)));
                    request.form(&form)
                }
                ClientAuth::Basic => {
                    let mut form = vec![("grant_type", "client_credentials")];
                    form.extend(scope.as_deref().map(|s| ("scope", s)));
                    form.extend(audience.as_deref().map(|a| ("audience", a)));
                    let auth = basic(part("client_id"), part("client_secret"));
                    request.header("Authorization", auth.as_str()).form(&form)
                }
                ClientAuth::Json => {
                    let mut body = serde_json::json!({
                        "grant_type": "client_credentials",
                        "client_id": part("client_id"),
                        "client_secret": part("client_secret"),
                    });
                    if let Some(scope) = scope {
                        body["scope"] = serde_json::Value::from(scope.as_str());
                    }
                    if let Some(audience) = audience {
                        body["audience"] = serde_json::Value::from(audience.as_str());
                    }
                    let request = request.json(&body);
                    zero_json(&mut body);
                    request
                }
            };
            Some(exchange(request, "access_token", &url, started).await)
        }
        AuthStyle::OauthPassword {
            client_id,
            client_secret,
            ..
        } => {
            let url = target.token_url.clone().unwrap_or_default();
            let form = [
                ("grant_type", "password"),
                ("username", part("user")),
                ("password", part("password")),
            ];
            let auth = basic(client_id, client_secret);
            let request = with_headers(http.post(&url), &headers)
                .header("Authorization", auth.as_str())
                .form(&form);
            Some(exchange(request, "access_token", &url, started).await)
        }
        AuthStyle::JsonLogin {
            token_path,
            user_field,
            password_field,
            token_field,
        } => {
            let url = format!("{endpoint}{token_path}");
            let mut body =
                serde_json::json!({ user_field: part("user"), password_field: part("password") });
            let request = with_headers(http.post(&url), &headers).json(&body);
            zero_json(&mut body);
            Some(exchange(request, token_field, &url, started).await)
        }
        AuthStyle::BearerExchange {
            token_path,
            token_pointer,
        } => {
            let url = format!("{endpoint}{token_path}");
            let auth = Zeroizing::new(format!("Bearer {}", part("key")));
            let request = with_headers(http.post(&url), &headers)
                .header("Accept", "application/json")
                .header("Authorization", auth.as_str());
            Some(exchange(request, token_pointer, &url, started).await)
        }
        _ => None,
    };
    // The token is wiped when the ping ends, whichever way it ends.
    let bearer = match bearer {
        Some(Ok(token)) => Some(token),
        Some(Err(failed)) => return failed,
        None => None,
    };
    if bearer.is_some() && vendor.test_path.is_empty() {
        // The token exchange itself proved the credentials.
        let token_target = target.token_url.as_deref().unwrap_or(&test_url);
        return report(PingOutcome::Authenticated, Some(200), token_target, started);
    }

    let mut url = match url::Url::parse(&test_url) {
        Ok(url) => url,
        Err(_) => return report(PingOutcome::NotReachable, None, &test_url, started),
    };
    let mut auth_header: Option<(String, Zeroizing<String>)> = None;
    match (&vendor.auth, &bearer) {
        (_, Some(token)) => {
            auth_header = Some((
                "Authorization".into(),
                Zeroizing::new(format!("Bearer {}", token.as_str())),
            ))
        }
        (AuthStyle::Bearer, None) => {
            auth_header = Some((
                "Authorization".into(),
                Zeroizing::new(format!("Bearer {}", part("key"))),
            ))
        }
        (AuthStyle::Header { name, prefix }, None) => {
            auth_header = Some((
                name.clone(),
                Zeroizing::new(format!(
                    "{}{}",
                    prefix.as_deref().unwrap_or_default(),
                    part("key")
                )),
            ))
        }
        (AuthStyle::Basic, None) => {
            auth_header = Some((
                "Authorization".into(),
                basic(part("user"), part("password")),
            ))
        }
        (AuthStyle::Query { param }, None) => {
            url.query_pairs_mut().append_pair(param, part("key"));
        }
        (AuthStyle::BasicKey, None) => {
            auth_header = Some(("Authorization".into(), basic(part("key"), "")));
        }
        _ => {}
    }
    let method = if vendor.test_body.is_some() {
        "POST"
    } else {
        "GET"
    };
    let mut date_header = None;
    if let (AuthStyle::DuoHmac, None) = (&vendor.auth, &bearer) {
        let date = duo::date(chrono::Utc::now());
        auth_header = Some((
            "Authorization".into(),
            duo::sign(part("ikey"), part("skey"), method, &url, &date),
        ));
        date_header = Some(date);
    }
    let mut request = match &vendor.test_body {
        Some(body) => with_headers(http.post(url), &headers)
            .header("Content-Type", "application/json")
            .body(body.clone()),
        None => with_headers(http.get(url), &headers),
    }
    .header("Accept", "application/json");
    if let Some(date) = &date_header {
        request = request.header("Date", date.as_str());
    }
    if let Some((name, value)) = &auth_header {
        request = request.header(name.as_str(), value.as_str());
    }
    drop(auth_header);
    drop(headers);
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                return redirect_report(&response, &test_url, started);
            }
            let outcome = classify_status(status);
            if outcome == PingOutcome::Authenticated
                && let Some(check) = vendor.body_check
            {
                let body = match client::read_capped(response, client::MAX_VENDOR_BODY).await {
                    Ok(body) => body,
                    Err(client::BodyError::TooLarge) => {
                        return report(
                            PingOutcome::AnswerTooLarge,
                            Some(status),
                            &test_url,
                            started,
                        );
                    }
                    Err(client::BodyError::Network(error)) => {
                        return error_report(&error, &test_url, started);
                    }
                };
                let body = Zeroizing::new(String::from_utf8_lossy(&body).into_owned());
                if let Some(failed) = check_body(check, &body, status, &test_url, started, key) {
                    return failed;
                }
            }
            report(outcome, Some(status), &test_url, started)
        }
        Err(error) => error_report(&error, &test_url, started),
    }
}

/// Wipe every string of a JSON value, nested ones too (N-central nests its tokens).
fn zero_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => text.zeroize(),
        serde_json::Value::Object(map) => map.values_mut().for_each(zero_json),
        serde_json::Value::Array(items) => items.iter_mut().for_each(zero_json),
        _ => {}
    }
}

/// Read a 2xx body that still says whether the key was accepted. The vendor's words are kept
/// only with every trace of `key` taken out (N-sight echoes the key in its errors).
fn check_body(
    check: BodyCheck,
    body: &str,
    status: u16,
    target: &str,
    started: Instant,
    key: &KeyParts,
) -> Option<PingReport> {
    match check {
        BodyCheck::NsightXml => {
            let lower = body.to_ascii_lowercase();
            let status_attr = lower
                .split("status=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next());
            let failed_status = status_attr.is_some_and(|s| s != "ok");
            if !lower.contains("<error") && !failed_status {
                return None;
            }
            let message = xml_text(body, "message")
                .or_else(|| xml_text(body, "errormessage"))
                .map(|text| key.redact(&text))
                .unwrap_or_else(|| "an error".to_string());
            let about_key = {
                let m = message.to_ascii_lowercase();
                m.contains("key")
                    || m.contains("auth")
                    || m.contains("login")
                    || m.contains("denied")
            };
            let outcome = if about_key {
                PingOutcome::Rejected
            } else {
                PingOutcome::UnexpectedStatus
            };
            let mut result = report(outcome, Some(status), target, started);
            result.message = format!("N-sight answered HTTP {status} with an error: {message}");
            Some(result)
        }
    }
}

/// The text of the first `<tag>…</tag>` (case-insensitive), without markup.
fn xml_text(body: &str, tag: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    let open = format!("<{tag}>");
    let start = lower.find(&open)? + open.len();
    let end = lower[start..].find(&format!("</{tag}>"))? + start;
    let text = body.get(start..end)?.trim();
    let text = text
        .trim_start_matches("<![CDATA[")
        .trim_end_matches("]]>")
        .trim();
    (!text.is_empty()).then(|| text.chars().take(200).collect())
}

/// Send a token request (OAuth or a vendor's JSON login) and return the token found under
/// `token_field` of the JSON answer.
async fn exchange(
    request: reqwest::RequestBuilder,
    token_field: &str,
    url: &str,
    started: Instant,
) -> Result<Zeroizing<String>, PingReport> {
    let response = request
        .send()
        .await
        .map_err(|error| error_report(&error, url, started))?;
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        return Err(redirect_report(&response, url, started));
    }
    if !(200..300).contains(&status) {
        // Token endpoints answer bad credentials with 400 or 401.
        let outcome = match status {
            400 | 401 => PingOutcome::Rejected,
            other => classify_status(other),
        };
        return Err(report(outcome, Some(status), url, started));
    }
    let text = match client::read_capped(response, client::MAX_VENDOR_BODY).await {
        Ok(text) => text,
        Err(client::BodyError::TooLarge) => {
            return Err(report(
                PingOutcome::AnswerTooLarge,
                Some(status),
                url,
                started,
            ));
        }
        Err(client::BodyError::Network(error)) => return Err(error_report(&error, url, started)),
    };
    let body: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
    // A field name, or a JSON pointer (`/tokens/access/token`) into a nested answer.
    let found = if token_field.starts_with('/') {
        body.pointer(token_field)
    } else {
        body.get(token_field)
    };
    let token = found
        .and_then(|t| t.as_str())
        .map(|t| Zeroizing::new(t.to_string()));
    let mut body = body;
    zero_json(&mut body);
    token.ok_or_else(|| report(PingOutcome::UnexpectedStatus, Some(status), url, started))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping() {
        assert_eq!(classify_status(200), PingOutcome::Authenticated);
        assert_eq!(classify_status(308), PingOutcome::Redirected);
        assert_eq!(classify_status(401), PingOutcome::Rejected);
        assert_eq!(classify_status(403), PingOutcome::ScopeMissing);
        assert_eq!(classify_status(404), PingOutcome::UnexpectedStatus);
        assert_eq!(
            describe(PingOutcome::UnexpectedStatus, Some(404)).0,
            "The vendor answered with HTTP 404."
        );
    }

    #[test]
    fn nsight_error_bodies_are_read() {
        let started = Instant::now();
        let error = "<?xml version=\"1.0\"?><result><error><message>Invalid API key</message></error></result>";
        let vendor = crate::domain::catalog::vendor("nable-nsight").expect("catalog");
        let key = KeyParts::single(
            vendor,
            crate::domain::secret::SecretValue::new("nsight-key-0001"),
        );
        let failed =
            check_body(BodyCheck::NsightXml, error, 200, "t", started, &key).expect("error");
        assert_eq!(failed.outcome, PingOutcome::Rejected);
        assert!(failed.message.contains("Invalid API key"));
        let ok =
            "<?xml version=\"1.0\"?><result created=\"x\" status=\"OK\"><items></items></result>";
        assert!(check_body(BodyCheck::NsightXml, ok, 200, "t", started, &key).is_none());
    }

    #[tokio::test]
    async fn unfilled_fields_are_named_before_any_request() {
        let vendor = crate::domain::catalog::vendor("sentinelone").expect("catalog");
        let client = PingClient::new(None).expect("client");
        let target = PingTarget::of_record(vendor, None);
        let key = KeyParts::single(vendor, crate::domain::secret::SecretValue::new("x"));
        let result = ping(&client, &target, &key).await;
        assert_eq!(result.outcome, PingOutcome::Placeholder);
        assert!(
            result.message.contains("Console subdomain"),
            "{}",
            result.message
        );
        assert!(result.hint.contains("Edit settings"));
    }
}
