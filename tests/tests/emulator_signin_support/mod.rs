//! Shared set-up of the sign-in tests (emulator_signin.rs, emulator_sessions.rs): an emulator
//! with the console's public client and four technicians, and HTTP helpers for each endpoint.
#![allow(dead_code)]

use std::collections::HashMap;

use akv_tests::emulator::{
    CONSOLE_ADMIN, CONSOLE_L1, CONSOLE_L2, CONSOLE_NOC, Emulator, EmulatorConfig, PublicClient,
    Role, TestUser, jwt_claims,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const TENANT: &str = "6c1b2a3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
pub const CONSOLE: &str = "c0701e00-0000-4000-8000-00000000c0de";
pub const VAULT_SCOPE: &str = "https://vault.azure.net/.default openid profile offline_access";
/// The vault's public-cloud name, resolved to the emulator.
pub const VAULT_HOST: &str = "contoso-msp.vault.azure.net";
pub const REDIRECT: &str = "http://localhost:53123/";
pub const ADMIN: &str = "ada.admin@contoso.example";
pub const TECH: &str = "lee.l1@contoso.example";
pub const MULTI: &str = "max.multi@contoso.example";
pub const NOROLE: &str = "nora.none@contoso.example";
pub const API: &str = "2025-07-01";

pub struct Harness {
    pub emulator: Emulator,
    pub http: reqwest::Client,
}

pub fn users() -> Vec<TestUser> {
    vec![
        TestUser::new(TENANT, ADMIN, "Ada Admin")
            .with_vault_role(Role::SecretsOfficer)
            .with_app_role(CONSOLE, CONSOLE_ADMIN),
        TestUser::new(TENANT, TECH, "Lee Tech")
            .with_vault_role(Role::SecretsUser)
            .with_app_role(CONSOLE, CONSOLE_L1),
        TestUser::new(TENANT, MULTI, "Max Multi")
            .with_app_role(CONSOLE, CONSOLE_L2)
            .with_app_role(CONSOLE, CONSOLE_NOC),
        TestUser::new(TENANT, NOROLE, "Nora None").with_vault_role(Role::SecretsUser),
    ]
}

impl Harness {
    pub async fn start() -> Harness {
        let config = EmulatorConfig {
            vault_tenant: TENANT.to_string(),
            public_clients: vec![PublicClient::new(TENANT, CONSOLE)],
            users: users(),
            extra_server_names: vec![VAULT_HOST.to_string()],
            ..EmulatorConfig::default()
        };
        let emulator = Emulator::start(config).await.expect("emulator starts");
        emulator.set_device_code_interval(1);
        let ca = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_only([ca])
            // The vault is addressed by a public-cloud name, so its resource is Key Vault's
            // public one, which VAULT_SCOPE asks for.
            .resolve(
                VAULT_HOST,
                std::net::SocketAddr::from(([127, 0, 0, 1], emulator.port())),
            )
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        emulator
            .seed_secret("ninjaone", "ninja_value")
            .expect("seed");
        Harness { emulator, http }
    }

    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/oauth2/v2.0/{name}", self.emulator.authority(TENANT))
    }

    pub async fn post_form(&self, url: &str, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
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
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("JSON reply"))
    }

    pub async fn token(&self, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
        self.post_form(&self.endpoint("token"), pairs).await
    }

    /// GET /authorize; returns status, the Location header and the body.
    pub async fn authorize(
        &self,
        params: &[(&str, &str)],
    ) -> (StatusCode, Option<url::Url>, String) {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let response = self
            .http
            .get(format!("{}?{query}", self.endpoint("authorize")))
            .send()
            .await
            .expect("authorize");
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .map(|value| url::Url::parse(value).expect("absolute Location"));
        (status, location, response.text().await.unwrap_or_default())
    }

    /// Signs `upn` in through /authorize; returns (code, verifier).
    pub async fn code_for(&self, upn: &str, nonce: &str) -> (String, String) {
        let (verifier, challenge) = pkce();
        let (status, location, body) = self
            .authorize(&[
                ("client_id", CONSOLE),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", VAULT_SCOPE),
                ("state", "st-1"),
                ("nonce", nonce),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("login_hint", upn),
            ])
            .await;
        assert_eq!(status, StatusCode::FOUND, "{body}");
        let query = query_of(&location.expect("Location"));
        assert_eq!(query.get("state").map(String::as_str), Some("st-1"));
        (query["code"].clone(), verifier)
    }

    pub async fn redeem(&self, code: &str, verifier: &str) -> (StatusCode, Value) {
        self.token(&[
            ("client_id", CONSOLE),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("scope", VAULT_SCOPE),
        ])
        .await
    }

    pub async fn sign_in(&self, upn: &str) -> Value {
        let (code, verifier) = self.code_for(upn, "n-0").await;
        let (status, body) = self.redeem(&code, &verifier).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn refresh(&self, refresh_token: &str, scope: &str) -> (StatusCode, Value) {
        self.token(&[
            ("client_id", CONSOLE),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", scope),
        ])
        .await
    }

    pub async fn vault(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .request(
                method.clone(),
                format!(
                    "https://{VAULT_HOST}:{}{path}?api-version={API}",
                    self.emulator.port()
                ),
            )
            .bearer_auth(token);
        let response = if method == reqwest::Method::PUT {
            response.json(&serde_json::json!({"value": "v"}))
        } else {
            response
        };
        let response = response.send().await.expect("vault request");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

pub fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 48]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn query_of(url: &url::Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

pub fn claims(token: &Value) -> Value {
    jwt_claims(token.as_str().expect("token string")).expect("JWT claims")
}

pub fn assert_entra_error(status: StatusCode, body: &Value, error: &str, code: u64) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or("")
            .starts_with(&format!("AADSTS{code}: ")),
        "{body}"
    );
}

pub async fn start_device_code(h: &Harness) -> Value {
    let (status, body) = h
        .post_form(
            &h.endpoint("devicecode"),
            &[("client_id", CONSOLE), ("scope", VAULT_SCOPE)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

pub async fn poll(h: &Harness, device_code: &str) -> (StatusCode, Value) {
    h.token(&[
        ("client_id", CONSOLE),
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
    ])
    .await
}
