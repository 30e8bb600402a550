//! Sign-in sessions against the emulator: device code (polling, approval by control method
//! and by the verification page, decline, expiry), refresh-token rotation and revocation, and
//! how replies follow the requested scopes and the kind of client.

mod emulator_signin_support;

use std::time::Duration;

use akv_tests::emulator::{AppRegistration, CONSOLE_ADMIN, CONSOLE_L1, GrantType, PublicClient};
use emulator_signin_support::*;
use reqwest::StatusCode;

// ---------------------------------------------------------------- device code

#[tokio::test]
async fn device_code_polls_pending_then_slow_down_then_tokens_once() {
    let h = Harness::start().await;
    let flow = start_device_code(&h).await;
    let user_code = flow["user_code"].as_str().unwrap();
    assert_eq!(flow["verification_uri"], h.emulator.device_login_url());
    assert_eq!(flow["interval"], 1);
    assert_eq!(flow["expires_in"], 900);
    assert!(flow["message"].as_str().unwrap().contains(user_code));
    let device_code = flow["device_code"].as_str().unwrap();

    let (status, body) = poll(&h, device_code).await;
    assert_entra_error(status, &body, "authorization_pending", 70016);
    let (status, body) = poll(&h, device_code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "slow_down", "polled again at once");

    let pending = h.emulator.pending_device_codes();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].user_code, user_code);
    assert_eq!(pending[0].client_id, CONSOLE);
    h.emulator
        .approve_device_code(&user_code.to_lowercase(), TECH)
        .expect("approve");
    assert!(h.emulator.pending_device_codes().is_empty());

    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (status, tokens) = poll(&h, device_code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let id = claims(&tokens["id_token"]);
    assert_eq!(id["preferred_username"], TECH);
    assert_eq!(id["roles"], serde_json::json!([CONSOLE_L1]));
    assert!(id.get("nonce").is_none());
    assert!(tokens["refresh_token"].is_string());

    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (status, body) = poll(&h, device_code).await;
    assert_entra_error(status, &body, "invalid_grant", 54005);
    assert_eq!(h.emulator.grant_count(GrantType::DeviceCode), 4);
}

#[tokio::test]
async fn device_code_declined_expired_unknown_and_public_flows_off() {
    let h = Harness::start().await;
    let flow = start_device_code(&h).await;
    h.emulator
        .decline_device_code(flow["user_code"].as_str().unwrap())
        .unwrap();
    let (status, body) = poll(&h, flow["device_code"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "authorization_declined");

    let flow = start_device_code(&h).await;
    h.emulator.expire_device_codes();
    let (status, body) = poll(&h, flow["device_code"].as_str().unwrap()).await;
    assert_entra_error(status, &body, "expired_token", 70020);
    assert!(
        h.emulator
            .approve_device_code(flow["user_code"].as_str().unwrap(), TECH)
            .is_err(),
        "an expired code cannot be approved"
    );

    let (status, body) = poll(&h, "not-a-device-code").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "bad_verification_code");

    h.emulator
        .register_public_client(PublicClient::new(TENANT, CONSOLE).without_public_client_flows());
    let flow = start_device_code(&h).await;
    let (status, body) = poll(&h, flow["device_code"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error_codes"][0], 7000218, "{body}");
    assert!(h.emulator.approve_device_code("NOSUCHCODE", TECH).is_err());
}

#[tokio::test]
async fn a_person_can_enter_the_device_code_on_the_verification_page() {
    let h = Harness::start().await;
    let flow = start_device_code(&h).await;
    let page = h
        .http
        .get(flow["verification_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("name=\"user_code\"") && page.contains(ADMIN),
        "{page}"
    );
    let submit = |code: &str, action: &str| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("user_code", code), ("upn", ADMIN), ("action", action)])
            .finish()
    };
    let wrong = h
        .http
        .post(h.emulator.device_login_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(submit("WRONG-CODE", "approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let done = h
        .http
        .post(h.emulator.device_login_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(submit(flow["user_code"].as_str().unwrap(), "approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("Ada Admin"));
    let (status, tokens) = poll(&h, flow["device_code"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(
        claims(&tokens["id_token"])["roles"],
        serde_json::json!([CONSOLE_ADMIN])
    );
}

// ---------------------------------------------------------------- refresh

#[tokio::test]
async fn refresh_tokens_rotate_and_the_used_one_stays_valid_as_at_entra() {
    let h = Harness::start().await;
    let first = h.sign_in(ADMIN).await;
    let old = first["refresh_token"].as_str().unwrap().to_string();
    let (status, second) = h.refresh(&old, VAULT_SCOPE).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let new = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_ne!(second["access_token"], first["access_token"]);
    // Real sizes: a refresh token longer than one Windows Credential Manager entry holds
    // (1,280 UTF-16 characters), access tokens of 1.5–2.5 KB.
    for token in [&old, &new] {
        assert!((1500..=4000).contains(&token.len()), "{}", token.len());
    }
    for reply in [&first, &second] {
        let access = reply["access_token"].as_str().unwrap();
        assert!((1500..=2500).contains(&access.len()), "{}", access.len());
    }
    assert_eq!(claims(&second["id_token"])["preferred_username"], ADMIN);
    // Entra does not revoke a used refresh token: the old one still redeems (the console
    // redeems one token for many client tenants at once and keeps the newest it gets).
    let (status, again) = h.refresh(&old, VAULT_SCOPE).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_ne!(again["refresh_token"], second["refresh_token"]);
    assert_eq!(h.emulator.active_refresh_token_count(ADMIN), 2);

    // One session, several resources: the same refresh token gets a Graph token, which Key
    // Vault refuses.
    let (status, graph) = h
        .refresh(
            &new,
            "https://graph.microsoft.com/.default openid profile offline_access",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{graph}");
    let graph_claims = claims(&graph["access_token"]);
    assert_eq!(graph_claims["aud"], "https://graph.microsoft.com");
    assert_eq!(graph_claims["scp"], "User.Read");
    let (status, _) = h
        .vault(
            graph["access_token"].as_str().unwrap(),
            reqwest::Method::GET,
            "/secrets",
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Another app cannot use this app's refresh token.
    h.emulator
        .register_public_client(PublicClient::new(TENANT, "other-console"));
    let (status, body) = h
        .token(&[
            ("client_id", "other-console"),
            ("grant_type", "refresh_token"),
            ("refresh_token", graph["refresh_token"].as_str().unwrap()),
            ("scope", VAULT_SCOPE),
        ])
        .await;
    assert_entra_error(status, &body, "invalid_grant", 70000);
    assert_eq!(h.emulator.grant_count(GrantType::RefreshToken), 4);
}

#[tokio::test]
async fn revoked_and_inactive_sessions_are_refused() {
    let h = Harness::start().await;
    let tokens = h.sign_in(TECH).await;
    let other = h.sign_in(ADMIN).await;
    assert_eq!(h.emulator.revoke_refresh_tokens(TECH), 1);
    let (status, body) = h
        .refresh(tokens["refresh_token"].as_str().unwrap(), VAULT_SCOPE)
        .await;
    assert_entra_error(status, &body, "invalid_grant", 50173);
    // Other people's sessions are untouched.
    let (status, refreshed) = h
        .refresh(other["refresh_token"].as_str().unwrap(), VAULT_SCOPE)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.emulator.expire_refresh_tokens(ADMIN), 1);
    let (status, body) = h
        .refresh(refreshed["refresh_token"].as_str().unwrap(), VAULT_SCOPE)
        .await;
    assert_entra_error(status, &body, "invalid_grant", 700082);
    assert_eq!(h.emulator.active_refresh_token_count(ADMIN), 0);
}

#[tokio::test]
async fn replies_follow_the_requested_scopes_and_client_kind() {
    let h = Harness::start().await;
    // Without openid / offline_access: only an access token.
    let (code, verifier) = {
        let (verifier, challenge) = pkce();
        let (_, location, _) = h
            .authorize(&[
                ("client_id", CONSOLE),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", "https://vault.azure.net/user_impersonation"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("login_hint", TECH),
            ])
            .await;
        (query_of(&location.unwrap())["code"].clone(), verifier)
    };
    let (status, body) = h.redeem(&code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.get("id_token").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );

    // A public client must not send a secret.
    let (code, verifier) = h.code_for(TECH, "n").await;
    let (status, body) = h
        .token(&[
            ("client_id", CONSOLE),
            ("client_secret", "anything"),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error_codes"][0], 700025, "{body}");

    // The same registration with a secret is confidential too: the secret is checked and the
    // token says so (appidacr 1).
    h.emulator.register_app(AppRegistration::new(
        TENANT,
        CONSOLE,
        "console-secret",
        None,
    ));
    let (code, verifier) = h.code_for(TECH, "n").await;
    let with_secret = |secret: &'static str| {
        [
            ("client_id", CONSOLE),
            ("client_secret", secret),
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
        ]
    };
    let (status, body) = h.token(&with_secret("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error_codes"][0], 7000215);
    let (status, body) = h.token(&with_secret("console-secret")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(claims(&body["access_token"])["appidacr"], "1");
    // Client credentials for the same app still work as before.
    let (status, body) = h
        .token(&[
            ("client_id", CONSOLE),
            ("client_secret", "console-secret"),
            ("grant_type", "client_credentials"),
            ("scope", "https://vault.azure.net/.default"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(claims(&body["access_token"])["idtyp"], "app");
    let app_token = body["access_token"].as_str().unwrap();
    assert!(
        (1500..=2500).contains(&app_token.len()),
        "{}",
        app_token.len()
    );
    assert_eq!(h.emulator.grant_count(GrantType::ClientCredentials), 1);
}

// ---------------------------------------------------------------- request errors

#[tokio::test]
async fn malformed_sign_in_requests_are_refused_with_entras_codes() {
    let h = Harness::start().await;
    let (status, body) = h
        .token(&[("client_id", CONSOLE), ("grant_type", "password")])
        .await;
    assert_entra_error(status, &body, "unsupported_grant_type", 70003);
    let (status, body) = h.token(&[("client_id", CONSOLE)]).await;
    assert_entra_error(status, &body, "invalid_request", 900144);
    let (status, body) = h
        .token(&[
            ("client_id", "00000000-0000-4000-8000-00000000f00d"),
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_entra_error(status, &body, "unauthorized_client", 700016);
    let (status, body) = h
        .token(&[("client_id", CONSOLE), ("grant_type", "refresh_token")])
        .await;
    assert_entra_error(status, &body, "invalid_request", 900144);

    let devicecode = h.endpoint("devicecode");
    let (status, body) = h.post_form(&devicecode, &[("client_id", CONSOLE)]).await;
    assert_entra_error(status, &body, "invalid_request", 900144);
    let (status, body) = h
        .post_form(
            &devicecode,
            &[("client_id", "nobody"), ("scope", VAULT_SCOPE)],
        )
        .await;
    assert_entra_error(status, &body, "unauthorized_client", 700016);
    let (status, body) = h
        .post_form(
            &devicecode,
            &[
                ("client_id", CONSOLE),
                ("scope", "api://elsewhere/.default"),
            ],
        )
        .await;
    assert_entra_error(status, &body, "invalid_resource", 500011);
    let (status, body) = h
        .post_form(
            &devicecode.replace(TENANT, "00000000-0000-4000-8000-0000000000ff"),
            &[("client_id", CONSOLE), ("scope", VAULT_SCOPE)],
        )
        .await;
    assert_entra_error(status, &body, "invalid_request", 90002);
    assert_eq!(h.emulator.grant_count(GrantType::Other), 2);
    assert_eq!(h.emulator.grant_count(GrantType::AuthorizationCode), 1);
    assert_eq!(h.emulator.grant_count(GrantType::RefreshToken), 1);
    assert!(h.emulator.pending_device_codes().is_empty());
}
