//! Per-vendor request checks: Meraki and SentinelOne key management, Duo's signature, N-central's token exchange.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Response};
use serde_json::{Value, json};

use super::{StubState, credential_candidates, decode_basic, json_response};
use crate::tls::IncomingRequest;

/// Vendors' own key management, for the connectors: Meraki's API keys (an identity holds two,
/// revoked by their last four characters) and SentinelOne's token regeneration (the old token
/// stops working at once).
pub(super) fn key_management(
    state: &mut StubState,
    request: &IncomingRequest,
    query: &[(String, String)],
    path: &str,
) -> Option<(u16, Response<Full<Bytes>>)> {
    let caller = credential_candidates(request, query, &state.credential_headers)
        .into_iter()
        .find(|candidate| state.valid(candidate));
    let post = request.method == Method::POST;
    let meraki_list =
        request.method == Method::GET && path.ends_with("/administered/identities/me/api/keys");
    let meraki_generate = post && path.ends_with("/administered/identities/me/api/keys/generate");
    let meraki_revoke =
        post && path.contains("/administered/identities/me/api/keys/") && path.ends_with("/revoke");
    let s1_generate = post && path.ends_with("/users/generate-api-token");
    if !(meraki_list || meraki_generate || meraki_revoke || s1_generate) {
        return None;
    }
    let Some(caller) = caller else {
        return Some((
            401,
            json_response(401, &json!({"errors": ["Invalid API key"]})),
        ));
    };
    if meraki_list {
        let keys: Vec<Value> = state
            .meraki_keys
            .iter()
            .map(|key| json!({"suffix": &key[key.len().saturating_sub(4)..], "createdAt": "2026-01-05T10:00:00Z"}))
            .collect();
        return Some((200, json_response(200, &Value::Array(keys))));
    }
    let fresh = hex::encode(rand::random::<[u8; 20]>());
    if meraki_generate {
        if state.meraki_keys.len() >= 2 {
            return Some((
                400,
                json_response(
                    400,
                    &json!({"errors": ["API key limit reached. Revoke an existing key before generating a new one."]}),
                ),
            ));
        }
        let fresh = state.next_meraki_key.take().unwrap_or(fresh);
        state.issue(&fresh);
        state.meraki_keys.push(fresh.clone());
        return Some((200, json_response(200, &json!({"key": fresh}))));
    }
    if meraki_revoke {
        let suffix = path
            .trim_end_matches("/revoke")
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let before = state.accepted.len();
        state
            .accepted
            .retain(|key| !(key.len() >= 20 && key.ends_with(&suffix)));
        state.meraki_keys.retain(|key| !key.ends_with(&suffix));
        let status = if state.accepted.len() < before {
            204
        } else {
            404
        };
        return Some((status, json_response(status, &json!({}))));
    }
    // SentinelOne: the caller's token is replaced by the new one.
    state.accepted.remove(&caller);
    state.issue(&fresh);
    Some((
        200,
        json_response(
            200,
            &json!({"data": {"token": fresh, "expiresAt": "2027-06-01T00:00:00Z"}}),
        ),
    ))
}

/// Duo's request signature, checked the way Duo documents it: HTTP Basic of the integration key
/// and hex(HMAC-SHA1(secret key, date \n METHOD \n host \n path \n sorted quoted params)),
/// with the request's own `Date` header. `None` when the caller is no Duo application.
pub(super) fn duo(
    state: &StubState,
    request: &IncomingRequest,
    query: &[(String, String)],
) -> Option<(u16, Response<Full<Bytes>>)> {
    use hmac::{Hmac, Mac};
    let (ikey, signature) = request
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(decode_basic)?;
    let (_, skey) = state.duo_apps.iter().find(|(known, _)| *known == ikey)?;
    let refused = || {
        Some((
            401,
            json_response(
                401,
                &json!({"stat": "FAIL", "code": 40103, "message": "Invalid signature in request credentials"}),
            ),
        ))
    };
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    let (Some(date), Some(host)) = (header("date"), header("host")) else {
        return refused();
    };
    let quote = |text: &str| {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let mut params: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", quote(k), quote(v)))
        .collect();
    params.sort();
    let canon = format!(
        "{date}\n{}\n{}\n{}\n{}",
        request.method.as_str().to_ascii_uppercase(),
        host.to_ascii_lowercase(),
        request.uri.path(),
        params.join("&")
    );
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(skey.as_bytes()).ok()?;
    mac.update(canon.as_bytes());
    if hex::encode(mac.finalize().into_bytes()) != signature {
        return refused();
    }
    Some((
        200,
        json_response(200, &json!({"stat": "OK", "response": {"user_count": 42}})),
    ))
}

/// N-able N-central: the User-API token (a JWT) is exchanged for an access and a refresh token.
pub(super) fn ncentral_authenticate(
    state: &mut StubState,
    request: &IncomingRequest,
    query: &[(String, String)],
) -> (u16, Response<Full<Bytes>>) {
    let presented = credential_candidates(request, query, &state.credential_headers)
        .into_iter()
        .any(|candidate| state.valid(&candidate));
    if !presented {
        return (
            401,
            json_response(401, &json!({"message": "Unauthorized", "status": 401})),
        );
    }
    let token = format!(
        "nc-access-{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 18]>())
    );
    state.issued_tokens.push(token.clone());
    state.accepted.insert(token.clone());
    (
        200,
        json_response(
            200,
            &json!({"tokens": {"access": {"token": token, "expirySeconds": 3600}, "refresh": {"token": "nc-refresh", "expirySeconds": 90000}}}),
        ),
    )
}
