//! Protocol corners of the emulator over plain HTTPS (reqwest), plus the vendor stub.

use std::time::{Duration, Instant};

use akv_tests::emulator::{
    AppRegistration, ClientSecret, Emulator, EmulatorConfig, Fault, PermissionModel, Role,
    RouteKind, SeedSecret,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
                ("scope", "https://vault.azure.net/.default"),
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
            "Bearer authorization=\"https://127.0.0.1:{}/{TENANT}\", resource=\"https://vault.azure.net\"",
            h.emulator.port()
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

// ---------------------------------------------------------------- secrets

#[tokio::test]
async fn set_get_versions_and_bundle_shape() {
    let h = Harness::start().await;
    let (status, first) = h
        .put(
            "NinjaOne-Key",
            json!({"value": "v1", "contentType": "text/plain", "tags": {"vendor": "ninjaone"},
                   "attributes": {"enabled": true, "exp": 4102444800u64}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let base = h.emulator.vault_url();
    let id = first["id"].as_str().unwrap();
    let version = id
        .strip_prefix(&format!("{base}/secrets/NinjaOne-Key/"))
        .expect("id built from Host");
    assert_eq!(version.len(), 32);
    assert!(version.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(first["value"], "v1");
    assert_eq!(first["contentType"], "text/plain");
    assert_eq!(first["tags"], json!({"vendor": "ninjaone"}));
    let attributes = &first["attributes"];
    assert!(attributes["created"].is_i64() && attributes["updated"].is_i64());
    assert_eq!(attributes["exp"], 4102444800u64);
    assert_eq!(attributes["recoveryLevel"], "Recoverable+Purgeable");
    assert_eq!(attributes["recoverableDays"], 90);

    let (_, second) = h.put("NinjaOne-Key", json!({"value": "v2"})).await;
    assert_ne!(second["id"], first["id"]);
    assert!(second.get("tags").is_none(), "tags are per version");

    // Latest, with the trailing-slash empty version the clients send, case-insensitively.
    let (status, latest) = h.get("/secrets/ninjaone-key/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(latest["value"], "v2");
    assert_eq!(latest["id"], second["id"]);
    let (_, old) = h.get(&format!("/secrets/NinjaOne-Key/{version}")).await;
    assert_eq!(old["value"], "v1");

    let (_, versions) = h.get("/secrets/NinjaOne-Key/versions").await;
    let listed = versions["value"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|item| item.get("value").is_none()));
    assert!(listed.iter().any(|item| item["id"] == first["id"]));
    assert_eq!(
        h.emulator.secret_versions("ninjaone-key"),
        vec![
            (version.to_string(), "v1".to_string(), true),
            (
                second["id"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                "v2".to_string(),
                true
            )
        ]
    );

    let (status, body) = h
        .get("/secrets/NinjaOne-Key/0123456789abcdef0123456789abcdef")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body).0, "SecretNotFound");
    let (status, body) = h.get("/secrets/missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("(name/id) missing")
    );
}

#[tokio::test]
async fn ids_follow_the_host_the_client_used() {
    let h = Harness::start_with(EmulatorConfig {
        extra_server_names: vec!["contoso-msp.vault.azure.net".to_string()],
        ..EmulatorConfig::default()
    })
    .await;
    let port = h.emulator.port();
    let ca = reqwest::Certificate::from_pem(h.emulator.ca_pem().as_bytes()).unwrap();
    let resolving = reqwest::Client::builder()
        .tls_certs_only([ca])
        .resolve(
            "contoso-msp.vault.azure.net",
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        )
        .build()
        .unwrap();
    let response = resolving
        .put(format!(
            "https://contoso-msp.vault.azure.net:{port}/secrets/x?api-version={API}"
        ))
        .bearer_auth(&h.token)
        .json(&json!({"value": "1"}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(body["id"].as_str().unwrap().starts_with(&format!(
        "https://contoso-msp.vault.azure.net:{port}/secrets/x/"
    )));
    let response = h
        .http
        .get(format!(
            "https://localhost:{port}/secrets/x?api-version={API}"
        ))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(
        body["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://localhost:{port}/"))
    );
}

#[tokio::test]
async fn lists_page_with_absolute_next_links_and_percent_encoded_skiptoken() {
    let h = Harness::start().await;
    for index in 0..60 {
        h.emulator
            .seed_secret(&format!("s-{index:02}"), "x")
            .unwrap();
    }
    // Default page size is 25.
    let (_, first) = h.get("/secrets").await;
    assert_eq!(first["value"].as_array().unwrap().len(), 25);

    let mut next = Some(h.url("/secrets?maxresults=10"));
    let mut names = Vec::new();
    let mut pages = 0;
    while let Some(link) = next {
        // Encode `$skiptoken` as the Rust SDK does when it rebuilds the query.
        let link = link.replace("$skiptoken", "%24skiptoken");
        let (status, page) = h.send(h.http.get(&link).bearer_auth(&h.token)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        for item in page["value"].as_array().unwrap() {
            assert!(item.get("value").is_none(), "list items carry no value");
            let id = item["id"].as_str().unwrap();
            names.push(id.rsplit('/').next().unwrap().to_string());
        }
        next = page["nextLink"].as_str().map(str::to_string);
        if let Some(link) = &next {
            assert!(
                link.starts_with(&h.emulator.vault_url()),
                "absolute nextLink"
            );
            assert!(link.contains("$skiptoken="));
        }
    }
    assert_eq!(pages, 6);
    let expected: Vec<String> = (0..60).map(|i| format!("s-{i:02}")).collect();
    assert_eq!(names, expected);
    assert_eq!(h.emulator.request_count(RouteKind::ListSecrets), 7);

    for bad in ["0", "26", "ten"] {
        let (status, body) = h.get(&format!("/secrets?maxresults={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "maxresults={bad}");
        assert_eq!(error_code(&body).0, "BadParameter");
    }
    let (status, _) = h.get("/secrets?%24skiptoken=garbage!").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn patch_replaces_tags_and_disabled_secrets_cannot_be_read() {
    let h = Harness::start().await;
    h.put(
        "k",
        json!({"value": "secret", "tags": {"a": "1", "b": "2"}}),
    )
    .await;
    let (status, updated) = h
        .send(
            h.request(Method::PATCH, "/secrets/k/")
                .json(&json!({"tags": {"c": "3"}, "contentType": "application/json"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["tags"], json!({"c": "3"}));
    assert_eq!(updated["contentType"], "application/json");
    assert!(updated.get("value").is_none(), "PATCH returns no value");

    let (_, disabled) = h
        .send(
            h.request(Method::PATCH, "/secrets/k")
                .json(&json!({"attributes": {"enabled": false}})),
        )
        .await;
    assert_eq!(disabled["attributes"]["enabled"], false);
    let (status, body) = h.get("/secrets/k").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), ("Forbidden", Some("SecretDisabled")));
    // Still listed, and the backdoor still sees it.
    let (_, list) = h.get("/secrets").await;
    assert_eq!(list["value"][0]["attributes"]["enabled"], false);
    assert_eq!(h.emulator.secret_value("k").as_deref(), Some("secret"));
    assert!(
        !h.emulator.secret_versions("k")[0].2,
        "stored version is disabled"
    );
}

#[tokio::test]
async fn input_limits_are_enforced() {
    let h = Harness::start().await;
    let too_long_name = "a".repeat(128);
    for name in ["bad_name", "dot.name", too_long_name.as_str()] {
        let (status, body) = h.put(name, json!({"value": "x"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(error_code(&body).0, "BadParameter");
    }
    let (status, _) = h.put(&"a".repeat(127), json!({"value": "x"})).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = h.put("big", json!({"value": "x".repeat(25 * 1024)})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .put("big", json!({"value": "x".repeat(25 * 1024 + 1)}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let tags: serde_json::Map<String, Value> =
        (0..16).map(|i| (format!("t{i}"), json!("v"))).collect();
    let (status, _) = h.put("tags", json!({"value": "x", "tags": tags})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h
        .put(
            "tags",
            json!({"value": "x", "tags": {"k": "v".repeat(257)}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h
        .put(
            "tags",
            json!({"value": "x", "tags": {"k": "v".repeat(256)}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .put("ct", json!({"value": "x", "contentType": "c".repeat(256)}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.put("novalue", json!({"contentType": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // api-version: required; 7.x and dated ones accepted.
    let base = h.emulator.vault_url();
    for (query, expected) in [
        ("", StatusCode::BAD_REQUEST),
        ("?api-version=7.4", StatusCode::OK),
        ("?api-version=7.6-preview", StatusCode::OK),
        ("?api-version=2026-04-01", StatusCode::OK),
        ("?api-version=banana", StatusCode::BAD_REQUEST),
    ] {
        let (status, _) = h
            .send(
                h.http
                    .get(format!("{base}/secrets{query}"))
                    .bearer_auth(&h.token),
            )
            .await;
        assert_eq!(status, expected, "{query}");
    }
}

#[tokio::test]
async fn soft_delete_recover_and_purge() {
    let h = Harness::start().await;
    h.put("gone", json!({"value": "v", "tags": {"x": "y"}}))
        .await;
    let (status, deleted) = h.send(h.request(Method::DELETE, "/secrets/gone")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(deleted.get("value").is_none());
    assert_eq!(
        deleted["recoveryId"],
        format!("{}/deletedsecrets/gone", h.emulator.vault_url())
    );
    let deleted_date = deleted["deletedDate"].as_i64().unwrap();
    assert_eq!(
        deleted["scheduledPurgeDate"].as_i64().unwrap(),
        deleted_date + 90 * 86_400
    );

    // Visible at once as deleted; gone as active; the name is blocked.
    let (status, _) = h.get("/deletedsecrets/gone").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.get("/secrets/gone").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = h.get("/deletedsecrets").await;
    assert_eq!(list["value"][0]["recoveryId"], deleted["recoveryId"]);
    let (status, body) = h.put("gone", json!({"value": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        error_code(&body),
        ("Conflict", Some("ObjectIsDeletedButRecoverable"))
    );
    let (status, _) = h.send(h.request(Method::DELETE, "/secrets/gone")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, recovered) = h
        .send(h.request(Method::POST, "/deletedsecrets/gone/recover"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(recovered.get("value").is_none());
    let (_, back) = h.get("/secrets/gone/").await;
    assert_eq!(back["value"], "v");
    assert_eq!(back["tags"], json!({"x": "y"}));
    let (status, body) = h.get("/deletedsecrets/gone").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["message"], "Deleted Secret not found: gone");

    h.send(h.request(Method::DELETE, "/secrets/gone")).await;
    let response = h
        .request(Method::DELETE, "/deletedsecrets/gone")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.unwrap().is_empty());
    assert!(h.emulator.secret_snapshot("gone").is_none());
    let (status, _) = h.put("gone", json!({"value": "reborn"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .send(h.request(Method::DELETE, "/deletedsecrets/gone"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn purge_protection_refuses_purge_with_azures_message() {
    let h = Harness::start_with(EmulatorConfig {
        purge_protection: true,
        ..EmulatorConfig::default()
    })
    .await;
    let (_, created) = h.put("kept", json!({"value": "v"})).await;
    assert_eq!(created["attributes"]["recoveryLevel"], "Recoverable");
    h.send(h.request(Method::DELETE, "/secrets/kept")).await;
    let (status, body) = h
        .send(h.request(Method::DELETE, "/deletedsecrets/kept"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "Forbidden");
    assert!(body["error"]["message"].as_str().unwrap().starts_with(
        "Operation \"purge\" is not allowed because purge protection is enabled for this vault."
    ));
    assert_eq!(h.emulator.deleted_secret_names(), vec!["kept".to_string()]);
    h.emulator.set_purge_protection(false);
    let (status, _) = h
        .send(h.request(Method::DELETE, "/deletedsecrets/kept"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn backup_and_restore_round_trip() {
    let h = Harness::start().await;
    h.put("b", json!({"value": "one"})).await;
    h.put("b", json!({"value": "two"})).await;
    let (status, backup) = h.send(h.request(Method::POST, "/secrets/b/backup")).await;
    assert_eq!(status, StatusCode::OK);
    let blob = backup["value"].as_str().unwrap().to_string();
    let (status, body) = h
        .send(
            h.request(Method::POST, "/secrets/restore")
                .json(&json!({"value": blob})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    h.send(h.request(Method::DELETE, "/secrets/b")).await;
    h.send(h.request(Method::DELETE, "/deletedsecrets/b")).await;
    let (status, restored) = h
        .send(
            h.request(Method::POST, "/secrets/restore")
                .json(&json!({"value": blob})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(restored["id"].as_str().unwrap().contains("/secrets/b/"));
    assert_eq!(h.emulator.secret_versions("b").len(), 2);
    assert_eq!(h.emulator.secret_value("b").as_deref(), Some("two"));
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

// ---------------------------------------------------------------- faults and counters

#[tokio::test]
async fn throttling_returns_429_with_retry_after_then_recovers() {
    let h = Harness::start().await;
    h.emulator
        .inject_fault(Fault::throttle(7).on_route(RouteKind::ListSecrets).times(2));
    for _ in 0..2 {
        let response = h.request(Method::GET, "/secrets").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "7");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "Throttled");
    }
    let (status, _) = h.get("/secrets").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.emulator.request_count(RouteKind::ListSecrets), 3);
    assert_eq!(h.emulator.active_fault_count(), 0);
}

#[tokio::test]
async fn per_secret_faults_hit_only_their_puts() {
    // "The 3 PUTs for secrets a, b, c fail with 5xx / 429-forever / 403 while 17 others succeed."
    let h = Harness::start().await;
    h.emulator
        .inject_fault(Fault::server_error(503).for_secret("a").for_method("PUT"));
    h.emulator.inject_fault(
        Fault::throttle(1)
            .on_route(RouteKind::SetSecret)
            .for_secret("b"),
    );
    h.emulator.inject_fault(
        Fault::error(403, "Forbidden", Some("ForbiddenByRbac"))
            .for_secret("c")
            .on_route(RouteKind::SetSecret),
    );
    let mut names: Vec<String> = (0..17).map(|i| format!("ok-{i}")).collect();
    names.extend(["a", "b", "c"].map(String::from));
    let mut outcomes = Vec::new();
    for name in &names {
        let (status, body) = h.put(name, json!({"value": name})).await;
        outcomes.push((name.clone(), status, body));
    }
    let ok = outcomes
        .iter()
        .filter(|(_, status, _)| *status == StatusCode::OK)
        .count();
    assert_eq!(ok, 17);
    let status_of = |wanted: &str| {
        outcomes
            .iter()
            .find(|(name, _, _)| name == wanted)
            .map(|(_, status, body)| (status.as_u16(), body.clone()))
            .unwrap()
    };
    assert_eq!(status_of("a").0, 503);
    assert_eq!(status_of("a").1["error"]["code"], "ServiceUnavailable");
    assert_eq!(status_of("b").0, 429);
    let (status, body) = status_of("c");
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), ("Forbidden", Some("ForbiddenByRbac")));
    // Forever: a retry still fails; GETs of those names are untouched.
    let (status, _) = h.put("b", json!({"value": "b"})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = h.get("/secrets/a").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(h.emulator.request_count(RouteKind::SetSecret), 21);
    assert_eq!(h.emulator.secret_names().len(), 17);
    h.emulator.clear_faults();
    let (status, _) = h.put("b", json!({"value": "b"})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn dropped_connections_latency_and_fractions() {
    let h = Harness::start().await;
    h.emulator.inject_fault(Fault::drop_connection().times(1));
    let failure = h.request(Method::GET, "/secrets").send().await;
    assert!(
        failure.is_err(),
        "dropped connection must be a transport error"
    );
    let (status, _) = h.get("/secrets").await;
    assert_eq!(status, StatusCode::OK);

    h.emulator.inject_fault(
        Fault::latency(Duration::from_millis(300))
            .on_route(RouteKind::GetSecret)
            .times(1),
    );
    h.put("slow", json!({"value": "v"})).await;
    let started = Instant::now();
    let (status, _) = h.get("/secrets/slow").await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    h.emulator.inject_fault(
        Fault::server_error(500)
            .on_route(RouteKind::GetSecret)
            .with_probability(0.5),
    );
    let mut failures = 0;
    for _ in 0..200 {
        let (status, _) = h.get("/secrets/slow").await;
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            failures += 1;
        }
    }
    assert!(
        (50..=150).contains(&failures),
        "{failures} of 200 failed at p=0.5"
    );
}

#[tokio::test]
async fn custom_errors_and_conflicts_in_progress() {
    let h = Harness::start().await;
    h.put("busy", json!({"value": "v"})).await;
    h.emulator.inject_fault(
        Fault::being_deleted()
            .on_route(RouteKind::DeleteSecret)
            .times(1),
    );
    let (status, body) = h.send(h.request(Method::DELETE, "/secrets/busy")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        error_code(&body),
        ("Conflict", Some("ObjectIsBeingDeleted"))
    );
    assert_eq!(
        body["error"]["message"],
        "Secret busy is currently being deleted."
    );

    h.emulator.inject_fault(
        Fault::error(503, "ServiceUnavailable", None)
            .with_message("maintenance")
            .with_retry_after(3)
            .times(1),
    );
    let response = h
        .request(Method::GET, "/secrets/busy")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "3");

    // Faults on the token route answer in Entra's shape.
    h.emulator
        .inject_fault(Fault::server_error(503).on_route(RouteKind::Token).times(1));
    let (status, body) = h.token_response(TENANT, OFFICER, SECRET).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["error_codes"].is_array());
    h.token_for(TENANT, OFFICER, SECRET).await;
}

#[tokio::test]
async fn counters_count_each_route_and_reset() {
    let h = Harness::start().await;
    h.put("c", json!({"value": "v"})).await;
    h.get("/secrets/c").await;
    h.get("/secrets/c/").await;
    h.get("/secrets").await;
    h.get("/secrets/c/versions").await;
    h.send(
        h.request(Method::PATCH, "/secrets/c")
            .json(&json!({"tags": {}})),
    )
    .await;
    h.send(h.request(Method::DELETE, "/secrets/c")).await;
    h.get("/deletedsecrets/c").await;
    h.get("/deletedsecrets").await;
    h.send(h.request(Method::POST, "/deletedsecrets/c/recover"))
        .await;
    h.send(h.request(Method::DELETE, "/secrets/c")).await;
    h.send(h.request(Method::DELETE, "/deletedsecrets/c")).await;
    let expected = [
        (RouteKind::SetSecret, 1),
        (RouteKind::GetSecret, 2),
        (RouteKind::ListSecrets, 1),
        (RouteKind::ListVersions, 1),
        (RouteKind::UpdateSecret, 1),
        (RouteKind::DeleteSecret, 2),
        (RouteKind::GetDeleted, 1),
        (RouteKind::ListDeleted, 1),
        (RouteKind::Recover, 1),
        (RouteKind::Purge, 1),
        (RouteKind::Token, 0),
    ];
    for (kind, count) in expected {
        assert_eq!(h.emulator.request_count(kind), count, "{kind:?}");
    }
    h.emulator.reset_counters();
    assert_eq!(h.emulator.total_request_count(), 0);
}

#[tokio::test]
async fn backdoors_seed_inspect_and_clear() {
    let h = Harness::start().await;
    h.emulator
        .seed(
            "seeded",
            SeedSecret::new("s3cr3t")
                .tag("vendor", "datto")
                .content_type("text/plain"),
        )
        .unwrap();
    h.emulator.seed_deleted("binned", "old").unwrap();
    let (_, body) = h.get("/secrets/seeded").await;
    assert_eq!(body["value"], "s3cr3t");
    assert_eq!(body["tags"]["vendor"], "datto");
    let (status, _) = h.get("/deletedsecrets/binned").await;
    assert_eq!(status, StatusCode::OK);
    let snapshot = h.emulator.secret_snapshot("binned").unwrap();
    assert!(snapshot.deleted);
    assert!(h.emulator.seed_secret("bad name", "x").is_err());
    h.emulator.clear_secrets();
    assert!(h.emulator.secret_names().is_empty() && h.emulator.deleted_secret_names().is_empty());
    assert_eq!(
        h.emulator.request_count(RouteKind::SetSecret),
        0,
        "seeding is not a request"
    );
}

#[test]
fn start_blocking_serves_without_a_caller_runtime() {
    let emulator = Emulator::start_blocking(EmulatorConfig::default()).unwrap();
    let ca_path = emulator.ca_pem_path().to_path_buf();
    assert_eq!(
        std::fs::read_to_string(&ca_path).unwrap(),
        emulator.ca_pem()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        http_client(&emulator.ca_pem())
            .get(format!("{}/secrets", emulator.vault_url()))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let port = emulator.port();
    drop(emulator);
    assert!(!ca_path.exists(), "temporary CA file removed on drop");
    let refused = runtime.block_on(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await
    });
    assert!(refused.is_err(), "listener closed on drop");
}

// ---------------------------------------------------------------- vendor stub

mod vendor_stub {
    use super::FormPairs;
    use akv_tests::vendor_stub::VendorStub;
    use base64::Engine;
    use reqwest::StatusCode;
    use serde_json::{Value, json};

    async fn status(request: reqwest::RequestBuilder) -> StatusCode {
        request.send().await.expect("request").status()
    }

    #[tokio::test]
    async fn credentials_are_found_wherever_vendors_put_them() {
        let stub = VendorStub::start().await.unwrap();
        let http = super::http_client(&stub.ca_pem());
        let url = format!("{}/api/v2/organizations", stub.base_url());
        stub.accept("good-key");
        stub.accept_without_scope("read-only-key");
        stub.add_credential_header("X-Custom-Auth");

        assert_eq!(
            status(http.get(&url).bearer_auth("good-key")).await,
            StatusCode::OK
        );
        assert_eq!(
            status(http.get(&url).header("Authorization", "ApiToken good-key")).await,
            StatusCode::OK
        );
        assert_eq!(
            status(http.get(&url).basic_auth("good-key", Some("x"))).await,
            StatusCode::OK
        );
        assert_eq!(
            status(http.get(&url).header("x-api-key", "good-key")).await,
            StatusCode::OK
        );
        assert_eq!(
            status(http.get(&url).header("X-Custom-Auth", "good-key")).await,
            StatusCode::OK
        );
        assert_eq!(
            status(http.get(format!("{url}?api_token=good-key"))).await,
            StatusCode::OK
        );
        assert_eq!(
            status(http.get(&url).bearer_auth("read-only-key")).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            status(http.get(&url).bearer_auth("wrong")).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(status(http.get(&url)).await, StatusCode::UNAUTHORIZED);
        stub.revoke("good-key");
        assert_eq!(
            status(http.get(&url).bearer_auth("good-key")).await,
            StatusCode::UNAUTHORIZED
        );

        let requests = stub.requests();
        assert_eq!(requests.len(), 10);
        assert_eq!(requests[0].method, "GET");
        assert_eq!(requests[0].path, "/api/v2/organizations");
        assert_eq!(requests[0].header("authorization"), Some("Bearer good-key"));
        assert_eq!(requests[5].query_param("api_token"), Some("good-key"));
        assert_eq!(requests[6].status, 403);
    }

    #[tokio::test]
    async fn oauth_token_route_issues_tokens_that_are_then_accepted() {
        let stub = VendorStub::start().await.unwrap();
        let http = super::http_client(&stub.ca_pem());
        stub.accept_client("client-1", "secret-1");
        stub.accept_client_without_scope("client-2", "secret-2");
        let base = stub.base_url();

        // Form fields (NinjaOne style).
        let response = http
            .post(format!("{base}/ws/oauth/token"))
            .form_pairs(&[
                ("grant_type", "client_credentials"),
                ("client_id", "client-1"),
                ("client_secret", "secret-1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        let token = body["access_token"].as_str().unwrap().to_string();
        assert_eq!(
            status(http.get(format!("{base}/v2/devices")).bearer_auth(&token)).await,
            StatusCode::OK
        );

        // JSON body (Pax8 style) for the scope-less client: token works but gets 403.
        let response = http
            .post(format!("{base}/oauth/token"))
            .json(&json!({"client_id": "client-2", "client_secret": "secret-2", "grant_type": "client_credentials"}))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        let limited = body["access_token"].as_str().unwrap().to_string();
        assert_eq!(
            status(
                http.get(format!("{base}/v1/companies"))
                    .bearer_auth(&limited)
            )
            .await,
            StatusCode::FORBIDDEN
        );

        // Basic auth for the client pair; wrong secret is refused.
        let basic = base64::engine::general_purpose::STANDARD.encode("client-1:secret-1");
        let response = http
            .post(format!("{base}/token"))
            .header("Authorization", format!("Basic {basic}"))
            .form_pairs(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let response = http
            .post(format!("{base}/token"))
            .form_pairs(&[("client_id", "client-1"), ("client_secret", "nope")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(stub.issued_tokens().len(), 3);
    }

    #[tokio::test]
    async fn forced_statuses_come_first() {
        let stub = VendorStub::start().await.unwrap();
        let http = super::http_client(&stub.ca_pem());
        stub.accept("k");
        stub.respond_next_with(429, 1);
        let response = http
            .get(stub.base_url())
            .bearer_auth("k")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(
            status(http.get(stub.base_url()).bearer_auth("k")).await,
            StatusCode::OK
        );
        stub.clear_requests();
        assert!(stub.requests().is_empty());
    }

    #[tokio::test]
    async fn stub_can_share_the_emulator_ca() {
        let emulator = akv_tests::emulator::Emulator::start(Default::default())
            .await
            .unwrap();
        let stub = VendorStub::start_with_ca(emulator.test_ca()).await.unwrap();
        assert_eq!(stub.ca_pem(), emulator.ca_pem());
        let http = super::http_client(&emulator.ca_pem());
        assert_eq!(
            status(http.get(stub.base_url())).await,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[test]
fn handles_can_be_shared_across_test_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
    assert_send_sync::<akv_tests::vendor_stub::VendorStub>();
}
