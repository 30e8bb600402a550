//! The emulator must be accepted by Microsoft's own clients: the Python SDK
//! (azure-identity + azure-keyvault-secrets, in `.venv`, see scripts/python-venv.sh), the
//! Rust SDK (azure_identity + azure_security_keyvault_secrets, what the app uses), MSAL for
//! Python signing technicians in (device code, auth code + PKCE), and the strict Rust OpenID
//! Connect client (`openidconnect` 4.x) discovering, verifying id tokens and refreshing.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use akv_tests::emulator::{
    AppRegistration, CONSOLE_ADMIN, CONSOLE_L1, ClientSecret, Emulator, EmulatorConfig, GrantType,
    PublicClient, Role, RouteKind, SeedCertificate, SeedKey, TestUser,
};
use azure_core::http::{ClientOptions, Transport};
use azure_security_keyvault_secrets::models::{
    SetSecretParameters, UpdateSecretPropertiesParameters,
};
use azure_security_keyvault_secrets::{ResourceExt, SecretClient, SecretClientOptions};
use futures::TryStreamExt;

const TENANT: &str = "8f6b3a2e-4c1d-4e7a-9b0c-2d5e6f7a8b9c";
const CLIENT_ID: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const CLIENT_SECRET: &str = "fidelity~Secret.Value_123";
const EXPIRED_CLIENT_ID: &str = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";
const EXPIRED_CLIENT_SECRET: &str = "expired~Secret.Value_456";

fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn fidelity_config() -> EmulatorConfig {
    EmulatorConfig {
        vault_tenant: TENANT.to_string(),
        apps: vec![
            AppRegistration::new(TENANT, CLIENT_ID, CLIENT_SECRET, Some(Role::SecretsOfficer)),
            AppRegistration {
                tenant: TENANT.to_string(),
                client_id: EXPIRED_CLIENT_ID.to_string(),
                secrets: vec![ClientSecret::expiring(
                    EXPIRED_CLIENT_SECRET,
                    chrono::Utc::now() - chrono::Duration::days(1),
                )],
                role: Some(Role::SecretsOfficer),
            },
        ],
        ..EmulatorConfig::default()
    }
}

#[test]
fn python_sdk_accepts_the_emulator() {
    let root = repo_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "Python venv missing at {}: run scripts/python-venv.sh",
        python.display()
    );
    let emulator = Emulator::start_blocking(fidelity_config()).expect("emulator starts");
    let started = Instant::now();
    let output = Command::new(&python)
        .arg(root.join("tests/python/fidelity.py"))
        .args(["--url", &emulator.vault_url()])
        .arg("--ca")
        .arg(emulator.ca_pem_path())
        .args(["--tenant", TENANT, "--client-id", CLIENT_ID])
        .args(["--client-secret", CLIENT_SECRET])
        .args(["--expired-client-id", EXPIRED_CLIENT_ID])
        .args(["--expired-client-secret", EXPIRED_CLIENT_SECRET])
        .output()
        .expect("python runs");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("--- fidelity.py stdout ---\n{stdout}--- stderr ---\n{stderr}");
    assert!(
        output.status.success(),
        "fidelity.py failed ({}): {stderr}",
        output.status
    );
    assert!(stdout.contains("SUMMARY "), "no summary line: {stdout}");

    let counts: Vec<String> = RouteKind::ALL
        .iter()
        .map(|kind| format!("{kind:?}={}", emulator.request_count(*kind)))
        .collect();
    eprintln!(
        "fidelity run: {:.2}s wall, {} requests + {} challenges: {}",
        elapsed.as_secs_f64(),
        emulator.total_request_count(),
        emulator.challenge_count(),
        counts.join(" ")
    );
    // The Python client really went through the challenge + token flow, and the work landed.
    assert!(emulator.challenge_count() >= 1);
    // One successful token plus the three credential errors; the unknown tenant is already
    // refused at MSAL's OIDC discovery, before any token request.
    assert!(emulator.request_count(RouteKind::Token) >= 4);
    assert!(emulator.request_count(RouteKind::OpenIdConfiguration) >= 1);
    assert!(emulator.request_count(RouteKind::SetSecret) >= 60);
    assert!(emulator.request_count(RouteKind::ListSecrets) >= 3 + 9);
    assert!(emulator.request_count(RouteKind::Purge) >= 2);
    assert_eq!(
        emulator.secret_value("fidelity-000").as_deref(),
        Some("value-0-second")
    );
    assert_eq!(emulator.secret_versions("fidelity-000").len(), 2);
    assert_eq!(
        emulator.secret_value("fidelity-002").as_deref(),
        Some("value-2-again")
    );
}

const READER_ID: &str = "7e6d5c4b-3a29-4187-9f6e-5d4c3b2a1908";
const READER_SECRET: &str = "reader~Secret.Value_789";

#[test]
fn python_sdk_reads_certificates_and_keys_from_the_emulator() {
    let root = repo_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "Python venv missing at {}: run scripts/python-venv.sh",
        python.display()
    );
    let mut config = fidelity_config();
    config.apps.push(AppRegistration::new(
        TENANT,
        READER_ID,
        READER_SECRET,
        Some(Role::Reader),
    ));
    let emulator = Emulator::start_blocking(config).expect("emulator starts");
    let now = chrono::Utc::now();
    let year = |days: i64| {
        SeedCertificate::new(
            now + chrono::Duration::days(days - 365),
            now + chrono::Duration::days(days),
        )
    };
    // 30 certificates: two pages of 25.
    for n in 0..28 {
        emulator
            .create_certificate(&format!("cert-{n:02}"), year(200 + n))
            .expect("certificate");
    }
    emulator
        .create_certificate("renewing", year(10).auto_renew(7))
        .expect("renewing");
    emulator
        .create_certificate("manual", year(9).issuer("Unknown"))
        .expect("manual");
    emulator
        .create_key("cmk-rsa", SeedKey::rsa(3072))
        .expect("rsa");
    emulator
        .create_key(
            "cmk-ec",
            SeedKey {
                kty: "EC".into(),
                size_or_curve: "P-256".into(),
                ..SeedKey::rsa(0)
            },
        )
        .expect("ec");
    emulator
        .create_key("cmk-hsm", SeedKey::ec("P-384").hsm())
        .expect("ec-hsm");
    emulator
        .create_key(
            "cmk-rotating",
            SeedKey {
                expires: Some(now + chrono::Duration::days(40)),
                rotate_before_expiry: Some(7),
                ..SeedKey::rsa(2048)
            },
        )
        .expect("rotating");
    let output = Command::new(&python)
        .arg(root.join("tests/python/objects_fidelity.py"))
        .args(["--url", &emulator.vault_url()])
        .arg("--ca")
        .arg(emulator.ca_pem_path())
        .args(["--tenant", TENANT, "--client-id", READER_ID])
        .args(["--client-secret", READER_SECRET])
        .args(["--secrets-only-id", CLIENT_ID])
        .args(["--secrets-only-secret", CLIENT_SECRET])
        .args(["--certificates", "30", "--keys", "4"])
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("--- objects_fidelity.py stdout ---\n{stdout}--- stderr ---\n{stderr}");
    assert!(
        output.status.success(),
        "objects_fidelity.py failed ({}): {stderr}",
        output.status
    );
    assert!(stdout.contains("SUMMARY certificates=30 keys=4 managed=30"));
    // Each key GET is counted on its own: the three the script read, two of them twice
    // (by version, and the missing one).
    assert_eq!(emulator.request_count(RouteKind::GetKey), 5);
    assert_eq!(emulator.request_count(RouteKind::GetKeyRotationPolicy), 2);
    // Two pages of certificates, counted where they were served.
    assert_eq!(emulator.request_count(RouteKind::ListCertificates), 2 + 1);
    assert!(emulator.request_count(RouteKind::GetCertificatePolicy) >= 2);
    // No client asked for a certificate's backing secret.
    assert_eq!(emulator.request_count(RouteKind::GetSecret), 0);
}

fn rust_client(emulator: &Emulator, secret: &str) -> SecretClient {
    rust_client_for(emulator, secret, &emulator.vault_url(), None)
}

/// Official Rust client. With `vault_host` set, that name resolves to the emulator and the
/// SDK's challenge-resource check stays on (the host ends in `.vault.azure.net`).
fn rust_client_for(
    emulator: &Emulator,
    secret: &str,
    vault_url: &str,
    vault_host: Option<&str>,
) -> SecretClient {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()).expect("CA parses");
    let mut builder = reqwest::Client::builder().tls_certs_only([ca]);
    if let Some(host) = vault_host {
        builder = builder.resolve(
            host,
            std::net::SocketAddr::from(([127, 0, 0, 1], emulator.port())),
        );
    }
    let http = builder.build().expect("reqwest client");
    let transport = Transport::new(Arc::new(http));
    let mut cloud = azure_core::cloud::CustomConfiguration::default();
    cloud.authority_host = emulator.authority_host();
    let credential = azure_identity::ClientSecretCredential::new(
        TENANT,
        CLIENT_ID.to_string(),
        secret.to_string().into(),
        Some(azure_identity::ClientSecretCredentialOptions {
            client_options: ClientOptions {
                transport: Some(transport.clone()),
                cloud: Some(Arc::new(cloud.into())),
                ..Default::default()
            },
        }),
    )
    .expect("credential");
    SecretClient::new(
        vault_url,
        credential,
        Some(SecretClientOptions {
            // Loopback hosts never end in the challenge resource domain: turn the check off.
            verify_challenge_resource: if vault_host.is_some() {
                None
            } else {
                Some(false)
            },
            client_options: ClientOptions {
                transport: Some(transport),
                ..Default::default()
            },
            ..Default::default()
        }),
    )
    .expect("secret client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_sdk_accepts_the_emulator() {
    let emulator = Emulator::start(fidelity_config()).await.expect("emulator");
    let client = rust_client(&emulator, CLIENT_SECRET);
    let started = Instant::now();

    for index in 0..60 {
        let name = format!("rust-{index:02}");
        let params = SetSecretParameters {
            value: Some(format!("value-{index}")),
            ..Default::default()
        };
        let secret = client
            .set_secret(&name, params.try_into().expect("body"), None)
            .await
            .expect("set_secret")
            .into_model()
            .expect("secret model");
        assert_eq!(
            secret.value.as_deref(),
            Some(format!("value-{index}").as_str())
        );
        let id = secret.resource_id().expect("id parses");
        assert_eq!(id.name, name);
        assert_eq!(id.version.as_deref().map(str::len), Some(32));
    }
    let fetched = client
        .get_secret("rust-07", None)
        .await
        .expect("get_secret")
        .into_model()
        .expect("model");
    assert_eq!(fetched.value.as_deref(), Some("value-7"));

    let mut names = Vec::new();
    let mut pager = client.list_secret_properties(None).expect("pager");
    while let Some(properties) = pager.try_next().await.expect("page") {
        names.push(properties.resource_id().expect("id").name);
    }
    names.sort();
    let expected: Vec<String> = (0..60).map(|i| format!("rust-{i:02}")).collect();
    assert_eq!(names, expected);
    assert_eq!(
        emulator.request_count(RouteKind::ListSecrets),
        3,
        "60 secrets come back in three pages of at most 25"
    );

    // Tags replace the whole set; the response carries no value.
    let update = UpdateSecretPropertiesParameters {
        tags: Some([("vendor".to_string(), "meraki".to_string())].into()),
        ..Default::default()
    };
    let updated = client
        .update_secret_properties("rust-01", update.try_into().expect("body"), None)
        .await
        .expect("update")
        .into_model()
        .expect("model");
    assert_eq!(
        updated.tags.and_then(|tags| tags.get("vendor").cloned()),
        Some("meraki".to_string())
    );
    assert!(updated.value.is_none());

    // Delete (soft), read the deleted secret, purge (204 is what the Rust client wants).
    let deleted = client
        .delete_secret("rust-02", None)
        .await
        .expect("delete")
        .into_model()
        .expect("model");
    assert!(deleted.recovery_id.is_some() && deleted.scheduled_purge_date.is_some());
    client
        .get_deleted_secret("rust-02", None)
        .await
        .expect("get deleted");
    client
        .purge_deleted_secret("rust-02", None)
        .await
        .expect("purge");
    assert!(emulator.deleted_secret_names().is_empty());

    // A 404 surfaces as an HTTP error with the Key Vault code.
    let missing = client.get_secret("rust-02", None).await.expect_err("404");
    assert_eq!(
        missing.http_status(),
        Some(azure_core::http::StatusCode::NotFound)
    );

    eprintln!(
        "rust SDK run: {:.2}s, {} requests + {} challenges",
        started.elapsed().as_secs_f64(),
        emulator.total_request_count(),
        emulator.challenge_count()
    );
    assert_eq!(emulator.request_count(RouteKind::Token), 1);
    assert_eq!(emulator.challenge_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_sdk_reports_a_wrong_client_secret_with_its_aadsts_code() {
    let emulator = Emulator::start(fidelity_config()).await.expect("emulator");
    let client = rust_client(&emulator, "not-the-secret");
    let err = client
        .get_secret("anything", None)
        .await
        .expect_err("wrong secret must fail");
    let text = format!("{err:?} {err}");
    assert!(text.contains("7000215"), "AADSTS code missing: {text}");
    assert_eq!(emulator.request_count(RouteKind::GetSecret), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_sdk_keeps_challenge_verification_with_a_vault_like_host() {
    let host = "contoso-msp.vault.azure.net";
    let mut config = fidelity_config();
    config.extra_server_names = vec![host.to_string()];
    let emulator = Emulator::start(config).await.expect("emulator");
    let vault_url = format!("https://{host}:{}", emulator.port());
    let client = rust_client_for(&emulator, CLIENT_SECRET, &vault_url, Some(host));
    let params = SetSecretParameters {
        value: Some("kept-check".to_string()),
        ..Default::default()
    };
    let secret = client
        .set_secret("verified", params.try_into().expect("body"), None)
        .await
        .expect("set with challenge-resource verification on")
        .into_model()
        .expect("model");
    assert!(secret.id.as_deref().unwrap_or("").starts_with(&vault_url));
    assert_eq!(
        emulator.secret_value("verified").as_deref(),
        Some("kept-check")
    );
}

// ---------------------------------------------------------------- technician sign-in

const CONSOLE: &str = "c0701e00-0000-4000-8000-0000000000f1";
const ADMIN_UPN: &str = "ada.admin@fidelity.example";
const TECH_UPN: &str = "lee.l1@fidelity.example";

fn sign_in_config() -> EmulatorConfig {
    let mut config = fidelity_config();
    config.public_clients = vec![PublicClient::new(TENANT, CONSOLE)];
    config.users = vec![
        TestUser::new(TENANT, ADMIN_UPN, "Ada Admin")
            .with_vault_role(Role::SecretsOfficer)
            .with_app_role(CONSOLE, CONSOLE_ADMIN),
        TestUser::new(TENANT, TECH_UPN, "Lee Tech")
            .with_vault_role(Role::SecretsUser)
            .with_app_role(CONSOLE, CONSOLE_L1),
    ];
    config
}

#[test]
fn python_msal_signs_technicians_in_and_key_vault_sees_them() {
    let root = repo_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "Python venv missing at {}: run scripts/python-venv.sh",
        python.display()
    );
    let emulator = Emulator::start_blocking(sign_in_config()).expect("emulator starts");
    emulator.set_device_code_interval(1);
    emulator
        .seed_secret("signin-fidelity", "seeded-value")
        .expect("seed");
    let started = Instant::now();
    let output = Command::new(&python)
        .arg(root.join("tests/python/signin_fidelity.py"))
        .args(["--authority-host", &emulator.authority_host()])
        .arg("--ca")
        .arg(emulator.ca_pem_path())
        .args(["--tenant", TENANT, "--client-id", CONSOLE])
        .args(["--vault-url", &emulator.vault_url()])
        .args(["--admin", ADMIN_UPN, "--tech", TECH_UPN])
        .args(["--seeded", "signin-fidelity"])
        // A headless run must not try a real browser before the scripted one.
        .env("BROWSER", "")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("--- signin_fidelity.py stdout ---\n{stdout}--- stderr ---\n{stderr}");
    assert!(
        output.status.success(),
        "signin_fidelity.py failed ({}): {stderr}",
        output.status
    );
    assert!(stdout.contains("SUMMARY "), "no summary line: {stdout}");
    eprintln!(
        "MSAL sign-in run: {:.2}s wall; grants: code {} device {} refresh {}",
        started.elapsed().as_secs_f64(),
        emulator.grant_count(GrantType::AuthorizationCode),
        emulator.grant_count(GrantType::DeviceCode),
        emulator.grant_count(GrantType::RefreshToken),
    );
    // What MSAL did is what the emulator saw.
    assert!(
        emulator.grant_count(GrantType::DeviceCode) >= 2,
        "pending poll + tokens"
    );
    assert!(
        emulator.grant_count(GrantType::AuthorizationCode) >= 3,
        "PKCE, wrong verifier, loopback"
    );
    assert!(
        emulator.grant_count(GrantType::RefreshToken) >= 2,
        "Graph + forced refresh"
    );
    assert!(emulator.request_count(RouteKind::Authorize) >= 3);
    assert_eq!(
        emulator.active_refresh_token_count(ADMIN_UPN),
        1,
        "refresh tokens rotated"
    );
    let tech_calls = emulator.requests_by(TECH_UPN);
    assert!(
        tech_calls
            .iter()
            .any(|call| call.route == Some(RouteKind::ListSecrets) && call.status == 200),
        "{tech_calls:?}"
    );
    assert!(
        tech_calls
            .iter()
            .any(|call| call.route == Some(RouteKind::SetSecret) && call.status == 403),
        "{tech_calls:?}"
    );
    assert_eq!(
        emulator.secret_value("msal-admin-wrote").as_deref(),
        Some("written-by-admin")
    );
    assert!(emulator.secret_value("msal-tech-tried").is_none());
}

/// reqwest 0.13 as the `openidconnect` crate's HTTP client (it is built without one). Never
/// follows redirects, as the crate's documentation asks.
struct OidcHttp(reqwest::Client);

impl<'c> openidconnect::AsyncHttpClient<'c> for OidcHttp {
    type Error = openidconnect::HttpClientError<reqwest::Error>;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<openidconnect::HttpResponse, Self::Error>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(Box::new)?;
            let mut builder = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(Box::new)?;
            builder
                .body(body.to_vec())
                .map_err(openidconnect::HttpClientError::Http)
        })
    }
}

/// The Entra claims the console reads, on top of the standard ones.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
struct EntraClaims {
    oid: String,
    tid: String,
    #[serde(default)]
    roles: Option<Vec<String>>,
}

impl openidconnect::AdditionalClaims for EntraClaims {}

type EntraIdToken = openidconnect::IdToken<
    EntraClaims,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJwsSigningAlgorithm,
>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openidconnect_crate_discovers_verifies_id_tokens_and_refreshes() {
    use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
    use openidconnect::{
        AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
        PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
    };

    let emulator = Emulator::start(sign_in_config()).await.expect("emulator");
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()).expect("CA");
    let plain = reqwest::Client::builder()
        .tls_certs_only([ca])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest");
    let http = OidcHttp(plain.clone());

    let issuer = IssuerUrl::new(emulator.issuer(TENANT)).expect("issuer URL");
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("strict OIDC discovery accepts the emulator");
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(CONSOLE.into()), None)
        .set_redirect_uri(RedirectUrl::new("http://localhost:47123/".into()).expect("redirect"));

    // The browser side: follow the authorize URL to the loopback redirect.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("offline_access".into()))
        .add_scope(Scope::new("https://vault.azure.net/.default".into()))
        .add_extra_param("login_hint", ADMIN_UPN)
        .set_pkce_challenge(challenge)
        .url();
    let redirect = plain
        .get(authorize_url.as_str())
        .send()
        .await
        .expect("authorize");
    assert_eq!(redirect.status(), reqwest::StatusCode::FOUND);
    let location = url::Url::parse(redirect.headers()["location"].to_str().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["state"], *csrf.secret());

    let tokens = client
        .exchange_code(AuthorizationCode::new(query["code"].clone()))
        .expect("token endpoint known")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let raw_id_token = tokens.id_token().expect("id token").to_string();
    let id_token: EntraIdToken = raw_id_token.parse().expect("id token parses");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("signature, iss, aud, nonce and exp verify");
    assert_eq!(
        claims.preferred_username().map(|name| name.as_str()),
        Some(ADMIN_UPN)
    );
    assert_eq!(
        claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str()),
        Some("Ada Admin")
    );
    assert_eq!(claims.additional_claims().tid, TENANT);
    assert_eq!(
        claims.additional_claims().roles.as_deref(),
        Some([CONSOLE_ADMIN.to_string()].as_slice())
    );
    assert_eq!(
        claims.additional_claims().oid,
        emulator.user(ADMIN_UPN).unwrap().object_id
    );

    // What the verifier must refuse: another nonce, another audience, an expired token and an
    // edited payload.
    assert!(
        id_token
            .claims(&verifier, &Nonce::new("other".into()))
            .is_err()
    );
    let other_audience = openidconnect::IdTokenVerifier::new_public_client(
        ClientId::new("someone-else".into()),
        IssuerUrl::new(emulator.issuer(TENANT)).unwrap(),
        verifier_keys(&plain, &emulator).await,
    );
    assert!(id_token.claims(&other_audience, &nonce).is_err());
    let later = client
        .id_token_verifier()
        .set_time_fn(|| chrono::Utc::now() + chrono::Duration::hours(2));
    assert!(id_token.claims(&later, &nonce).is_err(), "exp is checked");
    let mut parts: Vec<String> = raw_id_token.split('.').map(str::to_string).collect();
    let mut payload = akv_tests::emulator::jwt_claims(&raw_id_token).unwrap();
    payload["roles"] = serde_json::json!(["Console.Admin", "Console.Root"]);
    parts[1] = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        payload.to_string(),
    );
    let forged: EntraIdToken = parts.join(".").parse().unwrap();
    assert!(
        forged.claims(&verifier, &nonce).is_err(),
        "signature is checked"
    );

    // The access token works at Key Vault; then refresh (rotating) and verify the new id token.
    assert!(!tokens.access_token().secret().is_empty());
    let refresh_token = tokens.refresh_token().expect("refresh token").clone();
    let refreshed = client
        .exchange_refresh_token(&refresh_token)
        .expect("token endpoint known")
        .add_scope(Scope::new("https://vault.azure.net/.default".into()))
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("profile".into()))
        .request_async(&http)
        .await
        .expect("refresh");
    let new_refresh = refreshed.refresh_token().expect("rotated refresh token");
    assert_ne!(new_refresh.secret(), refresh_token.secret());
    let refreshed_id: EntraIdToken = refreshed
        .id_token()
        .expect("id token on refresh")
        .to_string()
        .parse()
        .unwrap();
    let refreshed_claims = refreshed_id
        .claims(&verifier, |nonce: Option<&Nonce>| match nonce {
            None => Ok(()),
            Some(_) => Err("no nonce expected on refresh".to_string()),
        })
        .expect("refreshed id token verifies");
    assert_eq!(refreshed_claims.subject(), claims.subject());
    let again = client
        .exchange_refresh_token(&refresh_token)
        .expect("token endpoint known")
        .request_async(&http)
        .await;
    // Entra does not revoke a used refresh token (learn.microsoft.com/entra/identity-platform/
    // refresh-tokens): it still redeems, for a newer one.
    let again = again.expect("the used refresh token still redeems, as at Entra");
    assert!(again.refresh_token().is_some());
}

/// The emulator's JWKS as the crate reads it.
async fn verifier_keys(
    http: &reqwest::Client,
    emulator: &Emulator,
) -> openidconnect::core::CoreJsonWebKeySet {
    let url = format!("{}/{TENANT}/discovery/v2.0/keys", emulator.authority_host());
    let text = http.get(url).send().await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).expect("JWKS parses")
}
