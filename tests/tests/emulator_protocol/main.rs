//! Protocol corners of the emulator over plain HTTPS (reqwest), plus the vendor stub. Here:
//! challenges, tokens, discovery and permissions; `secrets`: the secret routes; `faults`:
//! injected faults and counters; `vendor_stub`: the vendors' HTTPS stub.

use std::time::{Duration, Instant};

use akv_tests::emulator::{
    AppRegistration, ClientSecret, Emulator, EmulatorConfig, Fault, PermissionModel, Role,
    RouteKind, SeedSecret,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod faults;
mod secrets;
mod vendor_stub;

const TENANT: &str = "3b1f6a2c-7d4e-4f8a-9b0c-1d2e3f4a5b6c";
const OFFICER: &str = "officer-0000-4000-8000-000000000001";
const USER: &str = "user-0000-4000-8000-000000000002";
const NOBODY: &str = "nobody-0000-4000-8000-000000000003";
const SECRET: &str = "client-secret-value";
const API: &str = "2025-07-01";

fn http_client(ca_pem: &str) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA parses");
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .no_proxy()
        .build()
        .expect("client")
}

/// `application/x-www-form-urlencoded` body (reqwest's `form` needs an extra feature).
trait FormPairs {
    fn form_pairs(self, pairs: &[(&str, &str)]) -> Self;
}

impl FormPairs for reqwest::RequestBuilder {
    fn form_pairs(self, pairs: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }
}

struct Harness {
    emulator: Emulator,
    http: reqwest::Client,
    token: String,
}

impl Harness {
    async fn start() -> Harness {
        Harness::start_with(EmulatorConfig::default()).await
    }

    async fn start_with(mut config: EmulatorConfig) -> Harness {
        config.vault_tenant = TENANT.to_string();
        config.apps.extend([
            AppRegistration::new(TENANT, OFFICER, SECRET, Some(Role::SecretsOfficer)),
            AppRegistration::new(TENANT, USER, SECRET, Some(Role::SecretsUser)),
            AppRegistration::new(TENANT, NOBODY, SECRET, None),
        ]);
        let emulator = Emulator::start(config).await.expect("emulator starts");
        let http = http_client(&emulator.ca_pem());
        let mut harness = Harness {
            emulator,
            http,
            token: String::new(),
        };
        harness.token = harness.token_for(TENANT, OFFICER, SECRET).await;
        harness.emulator.reset_counters();
        harness
    }

    async fn token_response(
        &self,
        tenant: &str,
        client_id: &str,
        secret: &str,
    ) -> (StatusCode, Value) {
        self.token_response_for(tenant, client_id, secret, &self.emulator.vault_scope())
            .await
    }

    /// A token for `scope`: the vault at 127.0.0.1 is its own resource, one addressed as
    /// `*.vault.azure.net` wants `https://vault.azure.net/.default`.
    async fn token_response_for(
        &self,
        tenant: &str,
        client_id: &str,
        secret: &str,
        scope: &str,
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!(
                "{}/{tenant}/oauth2/v2.0/token",
                self.emulator.authority_host()
            ))
            .form_pairs(&[
                ("client_id", client_id),
                ("client_secret", secret),
                ("grant_type", "client_credentials"),
                ("scope", scope),
                ("client_info", "1"),
            ])
            .send()
            .await
            .expect("token request");
        let status = response.status();
        (status, response.json().await.expect("token JSON"))
    }

    async fn token_for(&self, tenant: &str, client_id: &str, secret: &str) -> String {
        let (status, body) = self.token_response(tenant, client_id, secret).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    fn url(&self, path: &str) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!(
            "{}{path}{separator}api-version={API}",
            self.emulator.vault_url()
        )
    }

    fn request_as(&self, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.request_as(&self.token, method, path)
    }

    async fn send(&self, builder: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = builder.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        };
        (status, body)
    }

    async fn put(&self, name: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            self.request(Method::PUT, &format!("/secrets/{name}"))
                .json(&body),
        )
        .await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::GET, path)).await
    }
}

fn error_code(body: &Value) -> (&str, Option<&str>) {
    (
        body["error"]["code"].as_str().unwrap_or(""),
        body["error"]["innererror"]["code"].as_str(),
    )
}

// ---------------------------------------------------------------- auth and challenge

#[tokio::test]
async fn unauthenticated_request_gets_the_key_vault_challenge() {
    let h = Harness::start().await;
    let response = h
        .http
        .put(h.url("/secrets/a"))
        .header("content-length", "0")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .expect("challenge header")
        .to_str()
        .expect("text")
        .to_string();
    assert_eq!(
        challenge,
        format!(
            "Bearer authorization=\"https://127.0.0.1:{port}/{TENANT}\", resource=\"https://127.0.0.1:{port}\"",
            port = h.emulator.port()
        )
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "Unauthorized");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("AKV10000")
    );
    assert_eq!(h.emulator.challenge_count(), 1);
    assert_eq!(h.emulator.request_count(RouteKind::SetSecret), 0);
}

#[tokio::test]
async fn bad_expired_foreign_and_wrong_audience_tokens_are_challenged() {
    let h = Harness::start().await;
    let (status, _) = h
        .send(h.request_as("made-up-token", Method::GET, "/secrets"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A token from another tenant is refused by this vault.
    h.emulator.register_app(AppRegistration::new(
        "other-tenant",
        OFFICER,
        SECRET,
        Some(Role::SecretsOfficer),
    ));
    let foreign = h.token_for("other-tenant", OFFICER, SECRET).await;
    let (status, body) = h
        .send(h.request_as(&foreign, Method::GET, "/secrets"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AKV10032")
    );

    // A token for another resource.
    let response = h
        .http
        .post(format!(
            "{}/{TENANT}/oauth2/v2.0/token",
            h.emulator.authority_host()
        ))
        .form_pairs(&[
            ("client_id", OFFICER),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    let graph: Value = response.json().await.unwrap();
    let graph_token = graph["access_token"].as_str().unwrap();
    let (status, _) = h
        .send(h.request_as(graph_token, Method::GET, "/secrets"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Expiry.
    let (status, _) = h.get("/secrets").await;
    assert_eq!(status, StatusCode::OK);
    h.emulator.expire_tokens();
    let (status, _) = h.get("/secrets").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.emulator.challenge_count(), 4);
}

#[tokio::test]
async fn token_lifetime_is_configurable_and_short_tokens_expire() {
    let h = Harness::start_with(EmulatorConfig {
        token_lifetime_secs: 1,
        ..EmulatorConfig::default()
    })
    .await;
    let (_, body) = h.token_response(TENANT, OFFICER, SECRET).await;
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().unwrap().to_string();
    let (status, _) = h.send(h.request_as(&token, Method::GET, "/secrets")).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = h.send(h.request_as(&token, Method::GET, "/secrets")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_endpoint_speaks_entra() {
    let h = Harness::start().await;
    let (status, body) = h.token_response(TENANT, OFFICER, SECRET).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    assert!(body["access_token"].as_str().unwrap().len() > 20);

    h.emulator.register_app(AppRegistration {
        tenant: TENANT.into(),
        client_id: "expired-app".into(),
        secrets: vec![
            ClientSecret::expiring("old", chrono::Utc::now() - chrono::Duration::hours(1)),
            ClientSecret::expiring("new", chrono::Utc::now() + chrono::Duration::days(30)),
        ],
        role: None,
    });
    let cases = [
        (TENANT, OFFICER, "wrong", 401, "invalid_client", 7000215),
        (TENANT, "expired-app", "old", 401, "invalid_client", 7000222),
        (
            TENANT,
            "unknown-app",
            SECRET,
            400,
            "unauthorized_client",
            700016,
        ),
        (
            "unknown-tenant",
            OFFICER,
            SECRET,
            400,
            "invalid_request",
            90002,
        ),
    ];
    for (tenant, client, secret, status, error, code) in cases {
        let (got_status, body) = h.token_response(tenant, client, secret).await;
        assert_eq!(got_status.as_u16(), status, "{body}");
        assert_eq!(body["error"], error);
        assert_eq!(body["error_codes"], json!([code]));
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("AADSTS{code}: ")),
            "{body}"
        );
        assert!(body["trace_id"].is_string() && body["correlation_id"].is_string());
    }
    // The app's other, unexpired secret still works.
    h.token_for(TENANT, "expired-app", "new").await;
    assert_eq!(h.emulator.request_count(RouteKind::Token), 6);
}

#[tokio::test]
async fn openid_configuration_serves_known_tenants_only() {
    let h = Harness::start().await;
    let base = h.emulator.authority_host();
    let response = h
        .http
        .get(format!(
            "{base}/{TENANT}/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["token_endpoint"],
        format!("{base}/{TENANT}/oauth2/v2.0/token")
    );
    assert!(body["authorization_endpoint"].is_string() && body["issuer"].is_string());
    let response = h
        .http
        .get(format!("{base}/nope/v2.0/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_codes"], json!([90002]));
}

// ---------------------------------------------------------------- permissions

#[tokio::test]
async fn rbac_roles_decide_what_each_identity_may_do() {
    let h = Harness::start().await;
    h.put("shared", json!({"value": "v"})).await;
    let user = h.token_for(TENANT, USER, SECRET).await;
    let nobody = h.token_for(TENANT, NOBODY, SECRET).await;

    let (status, _) = h
        .send(h.request_as(&user, Method::GET, "/secrets/shared"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.send(h.request_as(&user, Method::GET, "/secrets")).await;
    assert_eq!(status, StatusCode::OK);
    let writes = [
        (Method::PUT, "/secrets/shared"),
        (Method::PATCH, "/secrets/shared"),
        (Method::DELETE, "/secrets/shared"),
        (Method::POST, "/deletedsecrets/shared/recover"),
        (Method::DELETE, "/deletedsecrets/shared"),
    ];
    for (method, path) in writes {
        let (status, body) = h
            .send(
                h.request_as(&user, method.clone(), path)
                    .json(&json!({"value": "x"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(error_code(&body), ("Forbidden", Some("ForbiddenByRbac")));
    }
    let (status, body) = h
        .send(h.request_as(&nobody, Method::GET, "/secrets/shared"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("getSecret/action")
    );
    let (status, _) = h.send(h.request_as(&nobody, Method::GET, "/secrets")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Role changes apply to the next request, with the same token.
    h.emulator
        .set_role(TENANT, NOBODY, Some(Role::SecretsOfficer));
    let (status, _) = h
        .send(
            h.request_as(&nobody, Method::PUT, "/secrets/shared")
                .json(&json!({"value": "n"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    h.emulator.set_role(TENANT, OFFICER, None);
    let (status, _) = h.get("/secrets").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn access_policy_mode_ignores_roles() {
    let h = Harness::start().await;
    h.put("p", json!({"value": "v"})).await;
    h.emulator
        .set_permission_model(PermissionModel::AccessPolicy {
            allowed: vec![USER.to_string()],
        });
    let (status, body) = h.get("/secrets/p").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "officer role ignored");
    assert_eq!(error_code(&body), ("Forbidden", Some("ForbiddenByPolicy")));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("secrets get permission")
    );
    let user = h.token_for(TENANT, USER, SECRET).await;
    let (status, _) = h
        .send(
            h.request_as(&user, Method::PUT, "/secrets/p")
                .json(&json!({"value": "w"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "user on the policy list may write");
    h.emulator.set_permission_model(PermissionModel::Rbac);
    let (status, _) = h.get("/secrets/p").await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn handles_can_be_shared_across_test_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
    assert_send_sync::<akv_tests::vendor_stub::VendorStub>();
}
