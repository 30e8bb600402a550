//! Response helpers.

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use hyper::header::{HeaderName, HeaderValue};
use serde_json::Value;

pub type HttpResponse = Response<Full<Bytes>>;

/// A random UUID-shaped id (for request / trace / correlation ids).
pub fn pseudo_uuid() -> String {
    let bits = rand::random::<u128>();
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

fn status_code(status: u16) -> hyper::StatusCode {
    hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR)
}

pub fn json(status: u16, body: &Value) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status_code(status);
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        hyper::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    add_request_id(response)
}

pub fn empty(status: u16) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status_code(status);
    add_request_id(response)
}

fn add_request_id(mut response: HttpResponse) -> HttpResponse {
    if let Ok(value) = HeaderValue::from_str(&pseudo_uuid()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-ms-request-id"), value);
    }
    response
}

/// Adds a header; values that are not valid header text are skipped.
pub fn with_header(mut response: HttpResponse, name: &'static str, value: &str) -> HttpResponse {
    if let Ok(value) = HeaderValue::from_str(value) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
    response
}

/// An HTML page (sign-in pages a person clicks through with `kv-emulator`).
pub fn html(status: u16, body: String) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status_code(status);
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        hyper::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    add_request_id(response)
}

/// `302 Found` to `location`.
pub fn redirect(location: &str) -> HttpResponse {
    let response = with_header(empty(302), "location", location);
    with_header(response, "cache-control", "no-store")
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}
