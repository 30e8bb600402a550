//! Where the stub finds the credential a request carries: headers, query, Basic auth, token-request bodies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use serde_json::Value;

use crate::tls::IncomingRequest;

pub(super) fn decode_basic(value: &str) -> Option<(String, String)> {
    let decoded = STANDARD.decode(value.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// Every value in the request that might be the credential.
pub(super) fn credential_candidates(
    request: &IncomingRequest,
    query: &[(String, String)],
    credential_headers: &[String],
) -> Vec<String> {
    let mut candidates = Vec::new();
    if let Some(auth) = request
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    {
        let auth = auth.trim();
        match auth.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => {
                if let Some((user, pass)) = decode_basic(rest) {
                    candidates.push(format!("{user}:{pass}"));
                    candidates.push(user);
                    candidates.push(pass);
                }
            }
            Some((_, rest)) => candidates.push(rest.trim().to_string()),
            None => {}
        }
        candidates.push(auth.to_string());
    }
    for name in credential_headers {
        for value in request.headers.get_all(name.as_str()) {
            if let Ok(value) = value.to_str() {
                candidates.push(value.trim().to_string());
            }
        }
    }
    candidates.extend(query.iter().map(|(_, value)| value.clone()));
    candidates.retain(|candidate| !candidate.is_empty());
    candidates
}

/// (id, secret) pairs a token request carries.
pub(super) fn client_pairs(request: &IncomingRequest) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut push = |id: Option<String>, secret: Option<String>| {
        if let (Some(id), Some(secret)) = (id, secret) {
            pairs.push((id, secret));
        }
    };
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let basic = request
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, rest) = value.split_once(' ')?;
            if scheme.eq_ignore_ascii_case("basic") {
                decode_basic(rest)
            } else {
                None
            }
        });
    // Form fields, with the Basic header filling in whichever half is missing.
    push(
        field("client_id").or_else(|| basic.as_ref().map(|pair| pair.0.clone())),
        field("client_secret").or_else(|| basic.as_ref().map(|pair| pair.1.clone())),
    );
    push(field("username"), field("password"));
    if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(&request.body) {
        let text = |names: &[&str]| {
            names.iter().find_map(|name| {
                object
                    .get(*name)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
        };
        push(
            text(&["client_id", "clientId"]),
            text(&["client_secret", "clientSecret"]),
        );
        // JSON logins such as ConnectWise Automate's `{UserName, Password}`.
        push(
            text(&["username", "UserName"]),
            text(&["password", "Password"]),
        );
    }
    if let Some((id, secret)) = basic {
        push(Some(id), Some(secret));
    }
    pairs
}
