//! The emulator must be accepted by Microsoft's own clients: the Python SDK
//! (azure-identity + azure-keyvault-secrets, in `.venv`, see scripts/python-venv.sh) and the
//! Rust SDK (azure_identity + azure_security_keyvault_secrets, what the app uses).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use akv_tests::emulator::{
    AppRegistration, ClientSecret, Emulator, EmulatorConfig, Role, RouteKind,
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
