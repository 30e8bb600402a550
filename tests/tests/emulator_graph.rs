//! Microsoft Graph app passwords on the emulator: list / get an application's
//! `passwordCredentials`, `addPassword` and `removePassword` by object id and by appId, the
//! permissions Graph asks for, and injected faults at each step.

use akv_tests::emulator::{
    APPLICATION_READWRITE_ALL, APPLICATION_READWRITE_OWNEDBY, AppRegistration, ClientSecret,
    Emulator, EmulatorConfig, Fault, GRAPH_RESOURCE, Owner, PublicClient, Role, RouteKind,
    TestUser, jwt_claims,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const TENANT: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
/// The console's own app registration (app-secret mode); it owns itself.
const CONSOLE: &str = "c0701e00-0000-4000-8000-0000000000aa";
const CONSOLE_SECRET: &str = "old~Console.Secret-0001";
/// Another app registration whose secret is kept as a key (owned by the console).
const DEFENDER: &str = "defe0de0-0000-4000-8000-0000000000bb";
const DEFENDER_SECRET: &str = "defender~Secret-0002";
/// An app with no Graph permission.
const BYSTANDER: &str = "b7575a0d-0000-4000-8000-0000000000cc";
const BYSTANDER_SECRET: &str = "bystander~Secret-0003";
const OWNER: &str = "olga.owner@contoso.example";
const STRANGER: &str = "sam.stranger@contoso.example";

struct Harness {
    emulator: Emulator,
    http: reqwest::Client,
}

impl Harness {
    async fn start() -> Harness {
        let config = EmulatorConfig {
            vault_tenant: TENANT.to_string(),
            apps: vec![
                AppRegistration {
                    tenant: TENANT.to_string(),
                    client_id: CONSOLE.to_string(),
                    secrets: vec![
                        ClientSecret::expiring(
                            CONSOLE_SECRET,
                            chrono::Utc::now() + chrono::Duration::days(20),
                        )
                        .with_display_name("console"),
                    ],
                    role: Some(Role::SecretsOfficer),
                },
                AppRegistration::new(TENANT, DEFENDER, DEFENDER_SECRET, None),
                AppRegistration::new(TENANT, BYSTANDER, BYSTANDER_SECRET, None),
            ],
            users: vec![
                TestUser::new(TENANT, OWNER, "Olga Owner"),
                TestUser::new(TENANT, STRANGER, "Sam Stranger"),
            ],
            ..EmulatorConfig::default()
        };
        let emulator = Emulator::start(config).await.expect("emulator starts");
        emulator
            .grant_graph_permission(TENANT, CONSOLE, APPLICATION_READWRITE_OWNEDBY)
            .unwrap();
        emulator
            .add_application_owner(TENANT, CONSOLE, Owner::App(CONSOLE.into()))
            .unwrap();
        emulator
            .add_application_owner(TENANT, DEFENDER, Owner::App(CONSOLE.into()))
            .unwrap();
        let ca = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_only([ca])
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        Harness { emulator, http }
    }

    async fn form(&self, url: String, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let response = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn app_token_response(
        &self,
        client_id: &str,
        secret: &str,
        scope: &str,
    ) -> (StatusCode, Value) {
        self.form(
            format!("{}/oauth2/v2.0/token", self.emulator.authority(TENANT)),
            &[
                ("client_id", client_id),
                ("client_secret", secret),
                ("grant_type", "client_credentials"),
                ("scope", scope),
            ],
        )
        .await
    }

    async fn graph_token(&self, client_id: &str, secret: &str) -> String {
        let (status, body) = self
            .app_token_response(client_id, secret, &format!("{GRAPH_RESOURCE}/.default"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    async fn graph(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.emulator.graph_url()))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("graph request");
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|value| value.to_str().unwrap().to_string());
        let text = response.text().await.unwrap();
        let mut value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("Graph JSON")
        };
        if let Some(retry_after) = retry_after {
            value["retry-after"] = json!(retry_after);
        }
        (status, value)
    }

    fn object_id(&self, client_id: &str) -> String {
        self.emulator
            .application_object_id(TENANT, client_id)
            .expect("registered")
    }
}

fn add_body(name: &str) -> Option<Value> {
    Some(json!({"passwordCredential": {
        "displayName": name,
        "endDateTime": (chrono::Utc::now() + chrono::Duration::days(180)).to_rfc3339(),
    }}))
}

fn graph_error(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn the_console_rotates_its_own_secret_with_owned_by() {
    let h = Harness::start().await;
    let token = h.graph_token(CONSOLE, CONSOLE_SECRET).await;
    let claims = jwt_claims(&token).unwrap();
    assert_eq!(claims["aud"], GRAPH_RESOURCE);
    assert_eq!(claims["roles"], json!([APPLICATION_READWRITE_OWNEDBY]));
    assert_eq!(
        claims["oid"],
        h.emulator.service_principal_id(TENANT, CONSOLE).unwrap()
    );

    // Find the application object by appId, with its secret's end date (never its value).
    let (status, listed) = h
        .graph(
            &token,
            Method::GET,
            &format!("/v1.0/applications?$filter=appId eq '{CONSOLE}'&$select=id,appId,passwordCredentials"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let apps = listed["value"].as_array().unwrap();
    assert_eq!(apps.len(), 1);
    let object_id = apps[0]["id"].as_str().unwrap().to_string();
    assert_eq!(object_id, h.object_id(CONSOLE));
    assert!(apps[0].get("displayName").is_none(), "$select applies");
    let old = &apps[0]["passwordCredentials"][0];
    assert_eq!(old["displayName"], "console");
    assert_eq!(old["hint"], "old");
    assert!(old["secretText"].is_null());
    let old_end =
        chrono::DateTime::parse_from_rfc3339(old["endDateTime"].as_str().unwrap()).unwrap();
    let days_left = (old_end.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!((19..=20).contains(&days_left), "{days_left}");
    let old_key = old["keyId"].as_str().unwrap().to_string();

    // Add the new secret; its value is shown once and works at once.
    let (status, added) = h
        .graph(
            &token,
            Method::POST,
            &format!("/v1.0/applications/{object_id}/addPassword"),
            add_body("rotated by the console"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let new_secret = added["secretText"].as_str().unwrap().to_string();
    assert_eq!(new_secret.len(), 40);
    assert_eq!(added["hint"], &new_secret[..3]);
    assert_eq!(added["displayName"], "rotated by the console");
    let new_key = added["keyId"].as_str().unwrap().to_string();
    let (status, _) = h
        .app_token_response(CONSOLE, &new_secret, "https://vault.azure.net/.default")
        .await;
    assert_eq!(status, StatusCode::OK, "the new secret signs in");

    let (status, app) = h
        .graph(
            &token,
            Method::GET,
            &format!("/v1.0/applications(appId='{CONSOLE}')"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{app}");
    let credentials = app["passwordCredentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 2);
    assert!(
        credentials.iter().all(|c| c["secretText"].is_null()),
        "never the value again"
    );

    // Remove the old one: it stops working at once.
    let (status, body) = h
        .graph(
            &token,
            Method::POST,
            &format!("/v1.0/applications/{object_id}/removePassword"),
            Some(json!({"keyId": old_key})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = h
        .app_token_response(CONSOLE, CONSOLE_SECRET, "https://vault.azure.net/.default")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error_codes"][0], 7000215);
    let listed = h.emulator.password_credentials(TENANT, CONSOLE);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key_id, new_key);

    // The appId addressing form works for add and remove too.
    let (status, second) = h
        .graph(
            &token,
            Method::POST,
            &format!("/v1.0/applications(appId='{CONSOLE}')/addPassword"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let two_years = chrono::DateTime::parse_from_rfc3339(second["endDateTime"].as_str().unwrap())
        .unwrap()
        - chrono::DateTime::parse_from_rfc3339(second["startDateTime"].as_str().unwrap()).unwrap();
    assert_eq!(two_years.num_days(), 730, "Graph's default lifetime");
    let (status, _) = h
        .graph(
            &token,
            Method::POST,
            &format!("/v1.0/applications(appId='{CONSOLE}')/removePassword"),
            Some(json!({"keyId": second["keyId"]})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let calls = h.emulator.requests_by(CONSOLE);
    assert_eq!(calls.len(), 6, "{calls:?}");
    assert_eq!(h.emulator.request_count(RouteKind::GraphAddPassword), 2);
    assert_eq!(h.emulator.request_count(RouteKind::GraphRemovePassword), 2);
}

#[tokio::test]
async fn graph_refuses_without_the_permission_or_ownership() {
    let h = Harness::start().await;
    let bystander = h.graph_token(BYSTANDER, BYSTANDER_SECRET).await;
    assert!(jwt_claims(&bystander).unwrap().get("roles").is_none());
    let defender_id = h.object_id(DEFENDER);
    for (method, path, body) in [
        (Method::GET, "/v1.0/applications".to_string(), None),
        (
            Method::GET,
            format!("/v1.0/applications/{defender_id}"),
            None,
        ),
        (
            Method::POST,
            format!("/v1.0/applications/{defender_id}/addPassword"),
            add_body("x"),
        ),
        (
            Method::POST,
            format!("/v1.0/applications/{defender_id}/removePassword"),
            Some(json!({"keyId": "00000000-0000-4000-8000-000000000000"})),
        ),
    ] {
        let (status, reply) = h.graph(&bystander, method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(graph_error(&reply), "Authorization_RequestDenied");
        assert_eq!(
            reply["error"]["message"],
            "Insufficient privileges to complete the operation."
        );
        assert!(reply["error"]["innerError"]["request-id"].is_string());
    }

    // OwnedBy reaches only what the caller owns: the bystander app is not the console's.
    h.emulator
        .grant_graph_permission(TENANT, BYSTANDER, APPLICATION_READWRITE_OWNEDBY)
        .unwrap();
    let owned_by = h.graph_token(BYSTANDER, BYSTANDER_SECRET).await;
    let (status, _) = h
        .graph(
            &owned_by,
            Method::POST,
            &format!("/v1.0/applications/{defender_id}/addPassword"),
            add_body("x"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, listed) = h
        .graph(
            &owned_by,
            Method::GET,
            &format!("/v1.0/applications?$filter=appId eq '{DEFENDER}'"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["value"], json!([]), "not owned, not listed");
    h.emulator
        .add_application_owner(TENANT, DEFENDER, Owner::App(BYSTANDER.into()))
        .unwrap();
    let (status, _) = h
        .graph(
            &owned_by,
            Method::POST,
            &format!("/v1.0/applications/{defender_id}/addPassword"),
            add_body("x"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "an owner now");

    // Application.ReadWrite.All reaches every app; a withdrawn permission is gone from new tokens.
    h.emulator
        .grant_graph_permission(TENANT, BYSTANDER, APPLICATION_READWRITE_ALL)
        .unwrap();
    let all = h.graph_token(BYSTANDER, BYSTANDER_SECRET).await;
    let (status, listed) = h.graph(&all, Method::GET, "/v1.0/applications", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["value"].as_array().unwrap().len(), 3);
    h.emulator
        .revoke_graph_permission(TENANT, BYSTANDER, APPLICATION_READWRITE_ALL)
        .unwrap();
    h.emulator
        .revoke_graph_permission(TENANT, BYSTANDER, APPLICATION_READWRITE_OWNEDBY)
        .unwrap();
    let none = h.graph_token(BYSTANDER, BYSTANDER_SECRET).await;
    let (status, _) = h
        .graph(&none, Method::GET, "/v1.0/applications", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Tokens that are not Graph tokens get Graph's 401.
    let (_, vault) = h
        .app_token_response(CONSOLE, CONSOLE_SECRET, "https://vault.azure.net/.default")
        .await;
    for token in [vault["access_token"].as_str().unwrap(), "", "made-up"] {
        let (status, reply) = h
            .graph(token, Method::GET, "/v1.0/applications", None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:.12}");
        assert_eq!(graph_error(&reply), "InvalidAuthenticationToken");
    }
    let console = h.graph_token(CONSOLE, CONSOLE_SECRET).await;
    h.emulator.expire_tokens();
    let (status, reply) = h
        .graph(&console, Method::GET, "/v1.0/applications", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn a_signed_in_owner_rotates_another_apps_secret_with_delegated_permission() {
    let h = Harness::start().await;
    h.emulator.register_public_client(
        PublicClient::new(TENANT, CONSOLE)
            .with_graph_delegated_scopes(&["User.Read", APPLICATION_READWRITE_ALL]),
    );
    h.emulator
        .add_application_owner(TENANT, DEFENDER, Owner::User(OWNER.into()))
        .unwrap();
    async fn user_graph_token(h: &Harness, upn: &str) -> String {
        let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 40]>());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("client_id", CONSOLE),
                ("response_type", "code"),
                ("redirect_uri", "http://localhost:40000"),
                (
                    "scope",
                    "https://graph.microsoft.com/.default openid profile",
                ),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("login_hint", upn),
            ])
            .finish();
        let response = h
            .http
            .get(format!(
                "{}/oauth2/v2.0/authorize?{query}",
                h.emulator.authority(TENANT)
            ))
            .send()
            .await
            .unwrap();
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        let code = location
            .query_pairs()
            .find(|(key, _)| key == "code")
            .unwrap()
            .1
            .into_owned();
        let (status, tokens) = h
            .form(
                format!("{}/oauth2/v2.0/token", h.emulator.authority(TENANT)),
                &[
                    ("client_id", CONSOLE),
                    ("client_secret", CONSOLE_SECRET),
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", "http://localhost:40000"),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        tokens["access_token"].as_str().unwrap().to_string()
    }
    let owner = user_graph_token(&h, OWNER).await;
    assert_eq!(
        jwt_claims(&owner).unwrap()["scp"],
        format!("User.Read {APPLICATION_READWRITE_ALL}")
    );
    let path = format!("/v1.0/applications(appId='{DEFENDER}')/addPassword");
    let (status, added) = h
        .graph(&owner, Method::POST, &path, add_body("by Olga"))
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let (status, _) = h
        .app_token_response(
            DEFENDER,
            added["secretText"].as_str().unwrap(),
            "https://vault.azure.net/.default",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let stranger = user_graph_token(&h, STRANGER).await;
    let (status, reply) = h
        .graph(&stranger, Method::POST, &path, add_body("by Sam"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not an owner");
    assert_eq!(graph_error(&reply), "Authorization_RequestDenied");
    let (status, _) = h
        .graph(
            &stranger,
            Method::GET,
            &format!("/v1.0/applications(appId='{DEFENDER}')"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "reading needs no ownership");
    let logged = h.emulator.requests_by(OWNER);
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].status, 200);
}

#[tokio::test]
async fn injected_faults_fail_each_graph_step_and_change_nothing() {
    let h = Harness::start().await;
    let token = h.graph_token(CONSOLE, CONSOLE_SECRET).await;
    let object_id = h.object_id(CONSOLE);
    let add_path = format!("/v1.0/applications/{object_id}/addPassword");
    let remove_path = format!("/v1.0/applications/{object_id}/removePassword");

    h.emulator.inject_fault(
        Fault::server_error(503)
            .on_route(RouteKind::GraphAddPassword)
            .times(1),
    );
    let (status, reply) = h
        .graph(&token, Method::POST, &add_path, add_body("x"))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(graph_error(&reply), "serviceNotAvailable");
    assert_eq!(
        h.emulator.password_credentials(TENANT, CONSOLE).len(),
        1,
        "nothing added"
    );
    let (status, added) = h
        .graph(&token, Method::POST, &add_path, add_body("x"))
        .await;
    assert_eq!(status, StatusCode::OK, "the fault was used up");

    let old_key = h.emulator.password_credentials(TENANT, CONSOLE)[0]
        .key_id
        .clone();
    h.emulator.inject_fault(
        Fault::error(409, "Request_MultipleObjectsWithSameKeyValue", None)
            .with_message("Injected remove failure.")
            .on_route(RouteKind::GraphRemovePassword),
    );
    let (status, reply) = h
        .graph(
            &token,
            Method::POST,
            &remove_path,
            Some(json!({"keyId": old_key})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        graph_error(&reply),
        "Request_MultipleObjectsWithSameKeyValue"
    );
    assert_eq!(reply["error"]["message"], "Injected remove failure.");
    let (status, _) = h
        .app_token_response(CONSOLE, CONSOLE_SECRET, "https://vault.azure.net/.default")
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a failed remove leaves the old secret working"
    );
    h.emulator.clear_faults();

    h.emulator.inject_fault(
        Fault::throttle(7)
            .on_route(RouteKind::GraphListApplications)
            .times(1),
    );
    let list = format!("/v1.0/applications?$filter=appId eq '{CONSOLE}'");
    let (status, reply) = h.graph(&token, Method::GET, &list, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(graph_error(&reply), "TooManyRequests");
    assert_eq!(reply["retry-after"], "7");
    h.emulator.inject_fault(
        Fault::drop_connection()
            .on_route(RouteKind::GraphGetApplication)
            .times(1),
    );
    let dropped = h
        .http
        .get(format!(
            "{}/v1.0/applications/{object_id}",
            h.emulator.graph_url()
        ))
        .bearer_auth(&token)
        .send()
        .await;
    assert!(dropped.is_err(), "connection dropped");
    let (status, app) = h
        .graph(
            &token,
            Method::GET,
            &format!("/v1.0/applications/{object_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app["passwordCredentials"].as_array().unwrap().len(), 2);
    assert!(added["secretText"].is_string());
    assert_eq!(
        h.emulator.request_count(RouteKind::GraphListApplications),
        1
    );
    assert_eq!(h.emulator.request_count(RouteKind::GraphGetApplication), 2);
    assert_eq!(h.emulator.active_fault_count(), 0);
}

#[tokio::test]
async fn malformed_graph_requests_get_graphs_errors() {
    let h = Harness::start().await;
    let token = h.graph_token(CONSOLE, CONSOLE_SECRET).await;
    let object_id = h.object_id(CONSOLE);
    let bad_json = h
        .http
        .post(format!(
            "{}/v1.0/applications/{object_id}/addPassword",
            h.emulator.graph_url()
        ))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);
    let cases = [
        (
            Method::POST,
            format!("/v1.0/applications/{object_id}/addPassword"),
            Some(json!({"passwordCredential": {"endDateTime": "next tuesday"}})),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            Method::POST,
            format!("/v1.0/applications/{object_id}/removePassword"),
            Some(json!({"keyId": "00000000-0000-4000-8000-000000000000"})),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            Method::GET,
            "/v1.0/applications/00000000-0000-4000-8000-00000000dead".to_string(),
            None,
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
        ),
        (
            Method::GET,
            "/v1.0/applications?$filter=displayName eq 'x'".to_string(),
            None,
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
        ),
        (
            Method::GET,
            "/v1.0/users".to_string(),
            None,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        ),
    ];
    for (method, path, body, status, code) in cases {
        let (got, reply) = h.graph(&token, method.clone(), &path, body).await;
        assert_eq!(got, status, "{method} {path}: {reply}");
        assert_eq!(graph_error(&reply), code, "{method} {path}");
    }
    assert_eq!(h.emulator.password_credentials(TENANT, CONSOLE).len(), 1);
}
