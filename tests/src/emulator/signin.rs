//! Interactive sign-in: `/authorize` (authorization code + PKCE), `/devicecode`, and the pages a
//! person uses by hand — the account picker and the device-code entry page at `/devicelogin`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::directory::{
    AuthCode, DeviceCodeEntry, DeviceStatus, normalize_user_code, random_text, same_id,
};
use super::entra::{
    EntraError, Form, check_tenant, missing_parameter, random_token_id, unknown_app,
};
use super::grants::parse_scope;
use super::respond::{self, HttpResponse, escape_html};
use super::signin_types::TestUser;
use super::state::State;
use super::vault::Query;
use crate::tls::IncomingRequest;

/// Entra's user codes: upper-case letters and digits without look-alikes.
const USER_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} - Entra \
         emulator</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem \
         auto;padding:0 1rem}}li{{margin:.5rem 0}}.error{{color:#a4262c}}code{{background:#eee;\
         padding:0 .25rem}}</style></head><body><h1>{title}</h1>{body}</body></html>",
        title = escape_html(title)
    )
}

/// An error the browser shows instead of redirecting (unknown app, unregistered redirect URI, …).
fn error_page(error: &EntraError) -> HttpResponse {
    let body = format!(
        "<p class=\"error\" id=\"error\">{}</p><p>Error: <code id=\"error-code\">{}</code></p>",
        escape_html(&error.description_text()),
        escape_html(&error.error)
    );
    respond::html(error.status.max(400), page("Sign in failed", &body))
}

/// How `/authorize` hands its result back (`response_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseMode {
    Query,
    Fragment,
    /// An auto-submitting HTML form that POSTs the result to the redirect URI (MSAL's
    /// interactive flow asks for this).
    FormPost,
}

impl ResponseMode {
    fn parse(raw: Option<&str>) -> ResponseMode {
        match raw {
            Some("fragment") => ResponseMode::Fragment,
            Some("form_post") => ResponseMode::FormPost,
            _ => ResponseMode::Query,
        }
    }
}

/// Sends `pairs` to the redirect URI in the query, the fragment, or a form post.
fn redirect_with(redirect_uri: &str, mode: ResponseMode, pairs: &[(&str, &str)]) -> HttpResponse {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return error_page(&missing_parameter("redirect_uri"));
    };
    match mode {
        ResponseMode::Fragment => {
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            url.set_fragment(Some(&encoded));
            respond::redirect(url.as_str())
        }
        ResponseMode::Query => {
            url.query_pairs_mut().extend_pairs(pairs);
            respond::redirect(url.as_str())
        }
        ResponseMode::FormPost => {
            let inputs: String = pairs
                .iter()
                .map(|(name, value)| {
                    format!(
                        "<input type=\"hidden\" name=\"{}\" value=\"{}\" />",
                        escape_html(name),
                        escape_html(value)
                    )
                })
                .collect();
            respond::html(
                200,
                format!(
                    "<html><head><title>Working...</title></head><body><form method=\"POST\" \
                     name=\"hiddenform\" action=\"{}\">{inputs}<noscript><p>Script is disabled. \
                     Click Submit to continue.</p><input type=\"submit\" value=\"Submit\" />\
                     </noscript></form><script language=\"javascript\">document.forms[0].submit();\
                     </script></body></html>",
                    escape_html(redirect_uri)
                ),
            )
        }
    }
}

/// `GET /{tenant}/oauth2/v2.0/authorize`.
pub fn authorize(state: &mut State, tenant: &str, request: &IncomingRequest) -> HttpResponse {
    let query = Query::parse(request.uri.query());
    if let Err(error) = check_tenant(state, tenant, "invalid_tenant") {
        return error_page(&error);
    }
    let Some(client_id) = query.get("client_id") else {
        return error_page(&missing_parameter("client_id"));
    };
    let Some(app) = state.find_app(tenant, client_id).cloned() else {
        return error_page(&unknown_app(tenant, client_id));
    };
    let registered_first = app
        .public
        .as_ref()
        .and_then(|public| public.redirect_uris.first().cloned());
    let Some(redirect_uri) = query
        .get("redirect_uri")
        .map(str::to_string)
        .or(registered_first)
    else {
        return error_page(&missing_parameter("redirect_uri"));
    };
    if !app.redirect_uri_matches(&redirect_uri) {
        return error_page(&EntraError::new(
            400,
            "invalid_request",
            50011,
            format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the \
                 redirect URIs configured for the application '{client_id}'. Make sure the \
                 redirect URI sent in the request matches one added to your application in the \
                 Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more \
                 about how to fix this."
            ),
        ));
    }
    let mode = ResponseMode::parse(query.get("response_mode"));
    let client_state = query.get("state").map(str::to_string);
    let fail = |error: EntraError| {
        let description = error.description_text();
        let mut pairs = vec![
            ("error", error.error.as_str()),
            ("error_description", description.as_str()),
        ];
        if let Some(value) = &client_state {
            pairs.push(("state", value.as_str()));
        }
        redirect_with(&redirect_uri, mode, &pairs)
    };
    match query.get("response_type") {
        Some("code") => {}
        None => return fail(missing_parameter("response_type")),
        Some(other) => {
            return fail(EntraError::new(
                400,
                "unsupported_response_type",
                700054,
                format!("response_type '{other}' is not enabled for the application."),
            ));
        }
    }
    let scope = match query.get("scope").map(|raw| parse_scope(raw, tenant)) {
        None => return fail(missing_parameter("scope")),
        Some(Err(error)) => return fail(error),
        Some(Ok(scope)) => scope,
    };
    // Desktop and mobile (public) clients must use PKCE with S256 here.
    let Some(challenge) = query.get("code_challenge") else {
        return fail(EntraError::new(
            400,
            "invalid_request",
            9002325,
            "Proof Key for Code Exchange is required for public client authorization code \
             redemption: send code_challenge and code_challenge_method=S256."
                .to_string(),
        ));
    };
    if query.get("code_challenge_method") != Some("S256") {
        return fail(EntraError::new(
            400,
            "invalid_request",
            9002325,
            "code_challenge_method must be S256 for public clients.".to_string(),
        ));
    }
    let challenge_ok = (43..=128).contains(&challenge.len())
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !challenge_ok {
        return fail(EntraError::new(
            400,
            "invalid_request",
            501491,
            "Invalid size of Code_Challenge parameter.".to_string(),
        ));
    }

    let hint = query.get("login_hint");
    let hinted = hint.and_then(|upn| state.user_at(tenant, upn));
    let interactive = state
        .sessions
        .interactive_user
        .as_deref()
        .and_then(|upn| state.user_at(tenant, upn));
    let Some(user) = hinted.or(if hint.is_some() { None } else { interactive }) else {
        if query.get("prompt") == Some("none") {
            return fail(EntraError::new(
                400,
                "login_required",
                50058,
                "A silent sign-in request was sent but no user is signed in.".to_string(),
            ));
        }
        return account_picker(state, tenant, request, hint, &app.display_name);
    };

    let code = format!("1.AEMU.{}", random_token_id(48));
    let lifetime = Duration::from_secs(state.sessions.auth_code_lifetime_secs);
    state.sessions.auth_codes.insert(
        code.clone(),
        AuthCode {
            tenant: tenant.to_string(),
            client_id: app.client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            code_challenge: challenge.to_string(),
            scope,
            nonce: query.get("nonce").map(str::to_string),
            user_object_id: user.object_id.clone(),
            expires_at: Instant::now() + lifetime,
            redeemed: false,
        },
    );
    let session_state = super::signin_types::new_guid();
    let client_info = base64_client_info(&user);
    let mut pairs = vec![("code", code.as_str())];
    if let Some(value) = &client_state {
        pairs.push(("state", value.as_str()));
    }
    pairs.push(("session_state", session_state.as_str()));
    if query.get("client_info") == Some("1") {
        pairs.push(("client_info", client_info.as_str()));
    }
    redirect_with(&redirect_uri, mode, &pairs)
}

fn base64_client_info(user: &TestUser) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"uid": user.object_id, "utid": user.tenant}).to_string())
}

/// No user chosen yet: a page listing the tenant's users, each a link that signs them in.
fn account_picker(
    state: &State,
    tenant: &str,
    request: &IncomingRequest,
    hint: Option<&str>,
    app_name: &str,
) -> HttpResponse {
    let base_query: Vec<(String, String)> = Query::parse(request.uri.query())
        .0
        .into_iter()
        .filter(|(key, _)| key != "login_hint")
        .collect();
    let mut items = String::new();
    for user in state
        .users
        .iter()
        .filter(|user| same_id(&user.tenant, tenant))
    {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&base_query)
            .append_pair("login_hint", &user.upn)
            .finish();
        let href = format!("{}?{query}", request.uri.path());
        items.push_str(&format!(
            "<li><a href=\"{}\" data-upn=\"{}\">{}</a> &lt;{}&gt;</li>",
            escape_html(&href),
            escape_html(&user.upn),
            escape_html(&user.display_name),
            escape_html(&user.upn)
        ));
    }
    if items.is_empty() {
        items.push_str("<li>This directory has no users; add some with kv-emulator --user.</li>");
    }
    let notice = match hint {
        Some(upn) => format!(
            "<p class=\"error\">AADSTS50034: The user account {} does not exist in the {} \
             directory.</p>",
            escape_html(upn),
            escape_html(tenant)
        ),
        None => String::new(),
    };
    let body = format!(
        "{notice}<p>Pick an account to sign in to <strong>{}</strong>:</p><ul>{items}</ul>",
        escape_html(app_name)
    );
    respond::html(200, page("Pick an account", &body))
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub fn device_code(
    state: &mut State,
    tenant: &str,
    request: &IncomingRequest,
    base: &str,
) -> Result<Value, EntraError> {
    check_tenant(state, tenant, "invalid_request")?;
    let form = Form::parse(&request.body);
    let client_id = form
        .get("client_id")
        .ok_or_else(|| missing_parameter("client_id"))?;
    let app = state
        .find_app(tenant, client_id)
        .cloned()
        .ok_or_else(|| unknown_app(tenant, client_id))?;
    let raw_scope = form
        .get("scope")
        .ok_or_else(|| missing_parameter("scope"))?;
    let scope = parse_scope(raw_scope, tenant)?;
    let user_code = random_text(USER_CODE_ALPHABET, 9);
    let device_code = format!("DAQABAAEAAAEMU{}", random_token_id(96));
    let interval = state.sessions.device_code_interval_secs;
    let lifetime = state.sessions.device_code_lifetime_secs;
    let verification_uri = format!("{base}/devicelogin");
    state.sessions.device_codes.push(DeviceCodeEntry {
        device_code: device_code.clone(),
        user_code: user_code.clone(),
        tenant: tenant.to_string(),
        client_id: app.client_id.clone(),
        scope,
        interval_secs: interval,
        expires_at: Instant::now() + Duration::from_secs(lifetime),
        expires_at_utc: chrono::Utc::now() + chrono::Duration::seconds(lifetime as i64),
        last_poll: None,
        status: DeviceStatus::Pending,
    });
    Ok(json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": verification_uri,
        "expires_in": lifetime,
        "interval": interval,
        "message": format!(
            "To sign in, use a web browser to open the page {verification_uri} and enter the \
             code {user_code} to authenticate."
        ),
    }))
}

/// Approves (`Some(upn)`) or declines (`None`) a pending device code; returns the app's name.
pub fn decide_device_code(
    state: &mut State,
    user_code: &str,
    approve_as: Option<&str>,
) -> Result<String, String> {
    let wanted = normalize_user_code(user_code);
    let now = Instant::now();
    let Some(index) = state
        .sessions
        .device_codes
        .iter()
        .position(|entry| entry.user_code == wanted)
    else {
        return Err(format!("No device code {user_code} is waiting."));
    };
    let entry = &state.sessions.device_codes[index];
    if entry.expires_at <= now {
        return Err(format!("The code {user_code} has expired."));
    }
    if entry.status != DeviceStatus::Pending {
        return Err(format!("The code {user_code} was already used."));
    }
    let tenant = entry.tenant.clone();
    let app_name = state
        .find_app(&tenant, &entry.client_id)
        .map(|app| app.display_name.clone())
        .unwrap_or_else(|| entry.client_id.clone());
    let status = match approve_as {
        Some(upn) => {
            let user = state.find_user(&tenant, upn).ok_or_else(|| {
                format!("The user account {upn} does not exist in the {tenant} directory.")
            })?;
            DeviceStatus::Approved {
                user_object_id: user.object_id.clone(),
            }
        }
        None => DeviceStatus::Declined,
    };
    state.sessions.device_codes[index].status = status;
    Ok(app_name)
}

/// `GET /devicelogin` (the form) and `POST /devicelogin` (`user_code`, `upn`, `action`).
pub fn device_login(state: &mut State, request: &IncomingRequest) -> HttpResponse {
    if request.method == hyper::Method::POST {
        let form = Form::parse(&request.body);
        let code = form.get("user_code").unwrap_or("");
        let approve = form.get("action") != Some("decline");
        let upn = form.get("upn").unwrap_or("");
        let decision = decide_device_code(state, code, approve.then_some(upn));
        return match decision {
            Ok(app) if approve => {
                let name = state
                    .find_user_any_tenant(upn)
                    .map(|user| user.display_name.clone())
                    .unwrap_or_default();
                let body = format!(
                    "<p id=\"result\">You have signed in to <strong>{}</strong> as {} ({}). You \
                     can close this window.</p>",
                    escape_html(&app),
                    escape_html(&name),
                    escape_html(upn)
                );
                respond::html(200, page("Signed in", &body))
            }
            Ok(app) => {
                let body = format!(
                    "<p id=\"result\">You declined to sign in to <strong>{}</strong>.</p>",
                    escape_html(&app)
                );
                respond::html(200, page("Sign-in declined", &body))
            }
            Err(message) => {
                let body = format!(
                    "<p class=\"error\" id=\"error\">That code didn't work: {}</p>{}",
                    escape_html(&message),
                    device_form(state, code)
                );
                respond::html(400, page("Enter code", &body))
            }
        };
    }
    let query = Query::parse(request.uri.query());
    let prefill = query.get("user_code").or(query.get("otc")).unwrap_or("");
    respond::html(200, page("Enter code", &device_form(state, prefill)))
}

fn device_form(state: &State, prefill: &str) -> String {
    let options: String = state
        .users
        .iter()
        .map(|user| {
            format!(
                "<option value=\"{}\">{} &lt;{}&gt;</option>",
                escape_html(&user.upn),
                escape_html(&user.display_name),
                escape_html(&user.upn)
            )
        })
        .collect();
    format!(
        "<form method=\"post\" action=\"/devicelogin\"><p><label>Code <input name=\"user_code\" \
         value=\"{}\" autofocus></label></p><p><label>Sign in as <select name=\"upn\">{options}\
         </select></label></p><p><button name=\"action\" value=\"approve\">Sign in</button> \
         <button name=\"action\" value=\"decline\">Cancel sign-in</button></p></form>",
        escape_html(prefill)
    )
}
