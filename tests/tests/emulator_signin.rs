//! Technician sign-in against the emulator over plain HTTPS: discovery and the JWKS,
//! authorization code + PKCE, the id token's claims and roles, and Key Vault seeing the
//! signed-in person. Device code and refresh tokens are in emulator_sessions.rs.

mod emulator_signin_support;

use akv_tests::emulator::{
    CONSOLE_ADMIN, CONSOLE_L1, CONSOLE_L2, CONSOLE_NOC, GrantType, PermissionModel, Role, RouteKind,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use emulator_signin_support::*;
use reqwest::StatusCode;
use serde_json::Value;

// ---------------------------------------------------------------- discovery

#[tokio::test]
async fn discovery_names_every_sign_in_endpoint_and_the_jwks_signs_the_tokens() {
    let h = Harness::start().await;
    let discovery: Value = h
        .http
        .get(format!(
            "{}/.well-known/openid-configuration",
            h.emulator.issuer(TENANT)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], h.emulator.issuer(TENANT));
    assert_eq!(discovery["authorization_endpoint"], h.endpoint("authorize"));
    assert_eq!(discovery["token_endpoint"], h.endpoint("token"));
    assert_eq!(
        discovery["device_authorization_endpoint"],
        h.endpoint("devicecode")
    );
    let jwks: Value = h
        .http
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");

    // The id token's signature verifies against that key (RS256), with the key's kid.
    let tokens = h.sign_in(ADMIN).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let (signed, signature) = id_token.rsplit_once('.').unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(signed.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], key["kid"]);
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            signed.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).unwrap(),
        )
        .expect("id token signature verifies against the JWKS");
    let mut tampered = claims(&tokens["id_token"]);
    tampered["roles"] = serde_json::json!([CONSOLE_ADMIN, "Console.Root"]);
    let forged = format!(
        "{}.{}",
        signed.split('.').next().unwrap(),
        URL_SAFE_NO_PAD.encode(tampered.to_string())
    );
    assert!(
        aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
            .verify(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                forged.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).unwrap(),
            )
            .is_err(),
        "edited claims must not verify"
    );
}

// ---------------------------------------------------------------- authorization code + PKCE

#[tokio::test]
async fn auth_code_with_pkce_signs_in_the_hinted_user_with_every_claim() {
    let h = Harness::start().await;
    let (code, verifier) = h.code_for(ADMIN, "nonce-42").await;
    let (status, tokens) = h.redeem(&code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3599);
    assert!(tokens["refresh_token"].is_string());
    assert!(
        tokens["scope"]
            .as_str()
            .unwrap()
            .contains("https://vault.azure.net/user_impersonation")
    );
    let admin = h.emulator.user(ADMIN).unwrap();
    let info: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(tokens["client_info"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(info["uid"], admin.object_id.as_str());
    assert_eq!(info["utid"], TENANT);

    let id = claims(&tokens["id_token"]);
    assert_eq!(id["aud"], CONSOLE);
    assert_eq!(id["iss"], h.emulator.issuer(TENANT));
    assert_eq!(id["nonce"], "nonce-42");
    assert_eq!(id["name"], "Ada Admin");
    assert_eq!(id["preferred_username"], ADMIN);
    assert_eq!(id["oid"], admin.object_id.as_str());
    assert_eq!(id["tid"], TENANT);
    assert_eq!(id["roles"], serde_json::json!([CONSOLE_ADMIN]));
    assert!(id["sub"].as_str().unwrap().len() >= 40);
    let (iat, nbf, exp) = (
        id["iat"].as_i64().unwrap(),
        id["nbf"].as_i64().unwrap(),
        id["exp"].as_i64().unwrap(),
    );
    assert!(nbf <= iat && exp - iat == 3599, "{id}");

    let access = claims(&tokens["access_token"]);
    assert_eq!(access["aud"], "https://vault.azure.net");
    assert_eq!(access["upn"], ADMIN);
    assert_eq!(access["oid"], admin.object_id.as_str());
    assert_eq!(access["appid"], CONSOLE);
    assert_eq!(access["appidacr"], "0", "public client, no secret");
    assert_eq!(access["scp"], "user_impersonation");

    // Key Vault accepts the user's token and records who called.
    let token = tokens["access_token"].as_str().unwrap();
    let (status, body) = h.vault(token, reqwest::Method::GET, "/secrets").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = h.vault(token, reqwest::Method::PUT, "/secrets/added").await;
    assert_eq!(status, StatusCode::OK, "Secrets Officer may write");
    let calls = h.emulator.requests_by(ADMIN);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].route, Some(RouteKind::ListSecrets));
    assert_eq!(calls[1].secret_name.as_deref(), Some("added"));
    let caller = calls[1].caller.as_ref().unwrap();
    assert_eq!(caller.app_id, CONSOLE);
    assert_eq!(caller.name.as_deref(), Some("Ada Admin"));
    assert_eq!(h.emulator.grant_count(GrantType::AuthorizationCode), 1);
    assert_eq!(h.emulator.live_vault_token_count_for(ADMIN), 1);
}

#[tokio::test]
async fn codes_are_single_use_short_lived_and_bound_to_the_verifier_and_redirect() {
    let h = Harness::start().await;
    let (code, verifier) = h.code_for(TECH, "n").await;
    let (status, body) = h
        .redeem(&code, "a-wrong-verifier-that-is-long-enough-0123456789")
        .await;
    assert_entra_error(status, &body, "invalid_grant", 501481);
    let (status, body) = h
        .token(&[
            ("client_id", CONSOLE),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_entra_error(status, &body, "invalid_request", 900144);
    let (status, body) = h
        .token(&[
            ("client_id", CONSOLE),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:53124/"),
            ("code_verifier", &verifier),
        ])
        .await;
    assert_entra_error(status, &body, "invalid_grant", 70000);
    // None of those used the code up; the right request still works, once.
    let (status, body) = h.redeem(&code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = h.redeem(&code, &verifier).await;
    assert_entra_error(status, &body, "invalid_grant", 54005);
    let (status, body) = h.redeem("made-up-code", &verifier).await;
    assert_entra_error(status, &body, "invalid_grant", 70000);

    let (code, verifier) = h.code_for(TECH, "n").await;
    h.emulator.expire_authorization_codes();
    let (status, body) = h.redeem(&code, &verifier).await;
    assert_entra_error(status, &body, "invalid_grant", 70008);
    assert_eq!(h.emulator.grant_count(GrantType::AuthorizationCode), 7);
}

#[tokio::test]
async fn authorize_refuses_like_entra_on_a_page_or_on_the_redirect() {
    let h = Harness::start().await;
    let (_, challenge) = pkce();
    let base = |overrides: &[(&'static str, &'static str)]| {
        let mut params: Vec<(&str, String)> = vec![
            ("client_id", CONSOLE.to_string()),
            ("response_type", "code".to_string()),
            ("redirect_uri", REDIRECT.to_string()),
            ("scope", VAULT_SCOPE.to_string()),
            ("state", "keep-me".to_string()),
            ("code_challenge", challenge.clone()),
            ("code_challenge_method", "S256".to_string()),
            ("login_hint", ADMIN.to_string()),
        ];
        for (key, value) in overrides {
            params.retain(|(known, _)| known != key);
            if !value.is_empty() {
                params.push((key, value.to_string()));
            }
        }
        params
    };
    async fn run(
        h: &Harness,
        params: Vec<(&str, String)>,
    ) -> (StatusCode, Option<url::Url>, String) {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        h.authorize(&pairs).await
    }

    // No trustworthy redirect URI: Entra shows an error page instead of redirecting.
    for (overrides, code) in [
        (
            vec![("client_id", "00000000-dead-4000-8000-000000000000")],
            "AADSTS700016",
        ),
        (
            vec![("redirect_uri", "https://evil.example/callback")],
            "AADSTS50011",
        ),
        (
            vec![("redirect_uri", "http://localhost:53123/other")],
            "AADSTS50011",
        ),
    ] {
        let (status, location, body) = run(&h, base(&overrides)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{overrides:?}");
        assert!(location.is_none(), "{overrides:?} must not redirect");
        assert!(body.contains(code), "{overrides:?}: {body}");
    }

    // Everything else comes back on the redirect, with the state echoed.
    for (overrides, error, code) in [
        (
            vec![("code_challenge", "")],
            "invalid_request",
            "AADSTS9002325",
        ),
        (
            vec![("code_challenge_method", "plain")],
            "invalid_request",
            "AADSTS9002325",
        ),
        (
            vec![("code_challenge", "short")],
            "invalid_request",
            "AADSTS501491",
        ),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
            "AADSTS700054",
        ),
        (
            vec![("scope", "api://someone-else/.default openid")],
            "invalid_resource",
            "AADSTS500011",
        ),
        (
            vec![(
                "scope",
                "https://vault.azure.net/.default https://graph.microsoft.com/User.Read",
            )],
            "invalid_scope",
            "AADSTS28000",
        ),
        (
            vec![("login_hint", ""), ("prompt", "none")],
            "login_required",
            "AADSTS50058",
        ),
    ] {
        let (status, location, _) = run(&h, base(&overrides)).await;
        assert_eq!(status, StatusCode::FOUND, "{overrides:?}");
        let location = location.unwrap();
        assert!(location.as_str().starts_with(REDIRECT), "{location}");
        let query = query_of(&location);
        assert_eq!(query["error"], error, "{overrides:?}");
        assert!(query["error_description"].starts_with(code), "{query:?}");
        assert_eq!(query["state"], "keep-me");
        assert!(!query.contains_key("code"));
    }

    // Loopback redirect URIs match on any port, as in Entra.
    let (status, location, _) = run(&h, base(&[("redirect_uri", "http://localhost:61001")])).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(query_of(&location.unwrap()).contains_key("code"));

    // response_mode=fragment puts the result after '#'; form_post (what MSAL's interactive
    // flow asks for) answers with Entra's auto-submitting form.
    let (status, location, _) = run(&h, base(&[("response_mode", "fragment")])).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.unwrap();
    assert!(location.query().is_none());
    assert!(location.fragment().unwrap().contains("code="));
    let (status, location, page) = run(&h, base(&[("response_mode", "form_post")])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(location.is_none());
    assert!(page.contains(&format!("action=\"{REDIRECT}\"")), "{page}");
    assert!(
        page.contains("name=\"code\"") && page.contains("value=\"keep-me\""),
        "{page}"
    );
    assert_eq!(h.emulator.request_count(RouteKind::Authorize), 13);
}

#[tokio::test]
async fn without_a_hint_the_interactive_user_signs_in_else_a_picker_lists_the_users() {
    let h = Harness::start().await;
    let (verifier, challenge) = pkce();
    let params = [
        ("client_id", CONSOLE),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", VAULT_SCOPE),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (status, location, page) = h.authorize(&params).await;
    assert_eq!(status, StatusCode::OK);
    assert!(location.is_none());
    for upn in [ADMIN, TECH, MULTI, NOROLE] {
        assert!(page.contains(upn), "{upn} missing from the picker: {page}");
    }
    // Following a user's link signs that user in.
    let marker = format!("data-upn=\"{TECH}\"");
    let anchor_end = page.find(&marker).expect("link for the tech");
    let href_start = page[..anchor_end].rfind("href=\"").unwrap() + 6;
    let href = page[href_start..anchor_end]
        .trim_end_matches("\" ")
        .replace("&amp;", "&");
    let followed = h
        .http
        .get(format!("{}{href}", h.emulator.authority_host()))
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status(), StatusCode::FOUND);
    let location = url::Url::parse(followed.headers()["location"].to_str().unwrap()).unwrap();
    let (status, tokens) = h.redeem(&query_of(&location)["code"], &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(claims(&tokens["id_token"])["preferred_username"], TECH);

    // With an interactive user set, /authorize signs that user in without a page.
    h.emulator.set_interactive_user(Some(MULTI));
    let (status, location, _) = h.authorize(&params).await;
    assert_eq!(status, StatusCode::FOUND);
    let (status, tokens) = h
        .redeem(&query_of(&location.unwrap())["code"], &verifier)
        .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(claims(&tokens["id_token"])["preferred_username"], MULTI);

    // A hint naming nobody shows the picker with Entra's "account does not exist".
    let mut hinted = params.to_vec();
    hinted.push(("login_hint", "ghost@contoso.example"));
    let (status, _, page) = h.authorize(&hinted).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("AADSTS50034"), "{page}");
}

// ---------------------------------------------------------------- roles

#[tokio::test]
async fn roles_claim_lists_each_assigned_role_and_is_absent_without_one() {
    let h = Harness::start().await;
    let multi = claims(&h.sign_in(MULTI).await["id_token"]);
    assert_eq!(multi["roles"], serde_json::json!([CONSOLE_L2, CONSOLE_NOC]));
    let tokens = h.sign_in(NOROLE).await;
    let none = claims(&tokens["id_token"]);
    assert!(
        none.get("roles").is_none(),
        "no app role → no roles claim: {none}"
    );
    assert_eq!(none["preferred_username"], NOROLE);

    // An assignment made now shows in the next refreshed id token; a role the app does not
    // define never does.
    h.emulator
        .assign_app_role(NOROLE, CONSOLE, CONSOLE_L1)
        .unwrap();
    h.emulator
        .assign_app_role(NOROLE, CONSOLE, "Console.Root")
        .unwrap();
    let (status, refreshed) = h
        .refresh(tokens["refresh_token"].as_str().unwrap(), VAULT_SCOPE)
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(
        claims(&refreshed["id_token"])["roles"],
        serde_json::json!([CONSOLE_L1])
    );
    h.emulator
        .remove_app_role(NOROLE, CONSOLE, CONSOLE_L1)
        .unwrap();
    let (_, again) = h
        .refresh(refreshed["refresh_token"].as_str().unwrap(), VAULT_SCOPE)
        .await;
    assert!(claims(&again["id_token"]).get("roles").is_none());
    assert!(
        h.emulator
            .assign_app_role("ghost@x", CONSOLE, CONSOLE_L1)
            .is_err()
    );
}

// ---------------------------------------------------------------- the vault sees the person

#[tokio::test]
async fn key_vault_refuses_the_signed_in_user_by_name() {
    let h = Harness::start().await;
    let tech = h.sign_in(TECH).await;
    let token = tech["access_token"].as_str().unwrap();
    let tech_oid = h.emulator.user(TECH).unwrap().object_id;
    let (status, body) = h
        .vault(token, reqwest::Method::GET, "/secrets/ninjaone")
        .await;
    assert_eq!(status, StatusCode::OK, "Secrets User reads: {body}");
    assert_eq!(body["value"], "ninja_value");
    let (status, body) = h
        .vault(token, reqwest::Method::PUT, "/secrets/ninjaone")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["innererror"]["code"], "ForbiddenByRbac");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "Caller: appid={CONSOLE};oid={tech_oid};name=Lee Tech;upn={TECH};"
        )),
        "{message}"
    );
    assert!(message.contains("secrets/setSecret/action"), "{message}");

    // A user with an app role but no vault role gets nothing; granting one works at once.
    let multi = h.sign_in(MULTI).await;
    let multi_token = multi["access_token"].as_str().unwrap();
    let (status, body) = h.vault(multi_token, reqwest::Method::GET, "/secrets").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"]["message"].as_str().unwrap().contains(MULTI));
    h.emulator
        .set_user_vault_role(MULTI, Some(Role::SecretsOfficer))
        .unwrap();
    let (status, _) = h
        .vault(multi_token, reqwest::Method::PUT, "/secrets/ninjaone")
        .await;
    assert_eq!(status, StatusCode::OK);

    // Access policies name the user's object id; the console app's id does not cover its users.
    h.emulator
        .set_permission_model(PermissionModel::AccessPolicy {
            allowed: vec![tech_oid.clone(), CONSOLE.to_string()],
        });
    let (status, _) = h
        .vault(token, reqwest::Method::PUT, "/secrets/ninjaone")
        .await;
    assert_eq!(status, StatusCode::OK, "on the policy as a user");
    let (status, body) = h.vault(multi_token, reqwest::Method::GET, "/secrets").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["innererror"]["code"], "ForbiddenByPolicy");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("upn={MULTI}"))
    );

    // The log says who made each call and what came back.
    let statuses: Vec<u16> = h
        .emulator
        .requests_by(TECH)
        .iter()
        .map(|record| record.status)
        .collect();
    assert_eq!(statuses, vec![200, 403, 200]);
    assert_eq!(h.emulator.requests_by(&tech_oid).len(), 3);
    let multi_calls = h.emulator.requests_by(MULTI);
    assert_eq!(multi_calls.len(), 3);
    assert!(
        multi_calls
            .iter()
            .all(|record| record.caller.as_ref().unwrap().is_user())
    );
}
