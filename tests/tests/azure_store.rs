//! The app's Azure Key Vault store (official SDK) against the local emulator: the storage model,
//! paging without value reads, and every failure mapped to its named error.

mod support;

use std::time::{Duration, Instant};

use akv_core::domain::connection::ConnectionSettings;
use akv_core::domain::secret::SecretValue;
use akv_core::error::ErrorCode;
use akv_core::service::rotation::RotateRequest;
use akv_core::service::vault::{AddKeyRequest, KeySettingsRequest};
use akv_core::store::azure::AzureStore;
use akv_core::store::{ConsoleDocument, SecretStore};
use akv_tests::emulator::{
    AppRegistration, ClientSecret, Fault, PermissionModel, Role, RouteKind, SeedSecret,
};
use chrono::Utc;
use support::*;

/// The current version of a secret as the emulator holds it.
fn current(
    emulator: &akv_tests::emulator::Emulator,
    name: &str,
) -> akv_tests::emulator::SecretVersionSnapshot {
    emulator
        .secret_snapshot(name)
        .and_then(|s| s.versions.last().cloned())
        .expect("stored")
}

fn add_request(vendor: &str, value: &str) -> AddKeyRequest {
    AddKeyRequest {
        generate: None,
        short_reason: None,
        vendor_id: vendor.into(),
        label: None,
        value: Some(SecretValue::new(value)),
        parts: Vec::new(),
        fields: Default::default(),
        expiry: Some(
            (Utc::now() + chrono::Duration::days(200))
                .format("%Y-%m-%d")
                .to_string(),
        ),
        interval_days: None,
        owner: "Dana Reyes".into(),
        note: "integration test".into(),
    }
}

#[tokio::test]
async fn test_and_connect_gets_a_token_lists_and_checks_get_permission() {
    let emulator = emulator().await;
    let store = store(&emulator);
    let check = store.check_access().await.expect("connects");
    assert!(!check.policy_found);
    assert_eq!(emulator.request_count(RouteKind::Token), 1);
    assert_eq!(emulator.request_count(RouteKind::ListSecrets), 1);
    // The get-permission probe reads the policy document (404 = allowed, not there yet).
    assert_eq!(emulator.request_count(RouteKind::GetSecret), 1);
}

#[tokio::test]
async fn keys_live_in_the_vault_with_metadata_in_tags() {
    let emulator = emulator().await;
    let (console, _) = console(&emulator);
    let admin = admin();
    let now = Utc::now();

    // Add: one secret per key, value in the vault, metadata in tags, the preview masked.
    let row = console
        .add_key(
            &admin,
            add_request("cisco-meraki", "meraki-api-key-0123456789abcdef0123"),
            now,
        )
        .await
        .expect("add");
    assert_eq!(row.secret_name.as_deref(), Some("cisco-meraki"));
    assert_eq!(
        emulator.secret_value("cisco-meraki").as_deref(),
        Some("meraki-api-key-0123456789abcdef0123")
    );
    let snapshot = current(&emulator, "cisco-meraki");
    assert_eq!(
        snapshot.tags.get("akv-vendor").map(String::as_str),
        Some("cisco-meraki")
    );
    assert_eq!(
        snapshot.tags.get("akv-owner").map(String::as_str),
        Some("Dana Reyes")
    );
    assert_eq!(
        snapshot.tags.get("akv-preview").map(String::as_str),
        row.masked_preview.as_deref()
    );
    assert!(
        snapshot.expires.is_some(),
        "expiry is the secret's exp attribute"
    );

    // List: the key comes back from tags alone.
    let view = console.vault_view(&admin, now).await.expect("list");
    let listed = view
        .rows
        .iter()
        .find(|r| r.secret_name.as_deref() == Some("cisco-meraki"))
        .expect("listed");
    assert_eq!(listed.owner, "Dana Reyes");
    assert_eq!(listed.interval_days, 180);

    // Update settings: tags and attributes change, the value does not.
    console
        .update_settings(
            &admin,
            KeySettingsRequest {
                secret_name: "cisco-meraki".into(),
                interval_days: 120,
                expiry: listed.facts.expiry.clone(),
                owner: "Sam Okafor".into(),
                note: "moved to the NOC".into(),
                endpoint: String::new(),
                token_url: String::new(),
                ..Default::default()
            },
            now,
        )
        .await
        .expect("update");
    let snapshot = current(&emulator, "cisco-meraki");
    assert_eq!(
        snapshot.tags.get("akv-interval-days").map(String::as_str),
        Some("120")
    );
    assert_eq!(
        snapshot.tags.get("akv-owner").map(String::as_str),
        Some("Sam Okafor")
    );
    assert_eq!(emulator.secret_versions("cisco-meraki").len(), 1);

    // Rotate: a new version; the old one stays readable in the vault.
    let outcome = console
        .rotate_key(
            &admin,
            RotateRequest {
                secret_name: "cisco-meraki".into(),
                value: Some(SecretValue::new("meraki-api-key-ROTATED-9876543210fedcba")),
                ..Default::default()
            },
            false,
            now,
        )
        .await
        .expect("rotate");
    assert!(outcome.saved);
    let versions = emulator.secret_versions("cisco-meraki");
    assert_eq!(versions.len(), 2);
    assert!(
        versions
            .iter()
            .any(|(_, v, _)| v == "meraki-api-key-0123456789abcdef0123")
    );
    assert_eq!(
        emulator.secret_value("cisco-meraki").as_deref(),
        Some("meraki-api-key-ROTATED-9876543210fedcba")
    );
    assert_eq!(
        console
            .versions(&admin, "cisco-meraki")
            .await
            .expect("versions")
            .len(),
        2
    );

    // Delete (disable, then soft delete) → listed as deleted → recover.
    console
        .delete_key(&admin, "cisco-meraki")
        .await
        .expect("delete");
    assert_eq!(
        emulator.deleted_secret_names(),
        vec!["cisco-meraki".to_string()]
    );
    let deleted = console.deleted_keys(&admin).await.expect("deleted list");
    assert_eq!(deleted.len(), 1);
    assert!(deleted[0].scheduled_purge.is_some());
    console
        .recover_key(&admin, "cisco-meraki")
        .await
        .expect("recover");
    assert!(
        emulator
            .secret_names()
            .contains(&"cisco-meraki".to_string())
    );
    let recovered = console.vault_view(&admin, now).await.expect("list");
    assert!(
        recovered
            .rows
            .iter()
            .any(|r| r.secret_name.as_deref() == Some("cisco-meraki"))
    );
}

#[tokio::test]
async fn listing_sixty_keys_takes_three_pages_one_token_and_no_value_reads() {
    let emulator = emulator().await;
    for index in 0..60 {
        let name = format!("cisco-meraki--client-{index:02}");
        emulator
            .seed(
                &name,
                SeedSecret::new(format!("value-{index}"))
                    .content_type("application/vnd.akv-console.api-key")
                    .tag("akv-vendor", "cisco-meraki")
                    .tag("akv-label", &format!("client-{index:02}"))
                    .tag("akv-interval-days", "180")
                    .tag("akv-last-rotated", "2026-10-01T00:00:00+00:00")
                    .tag("akv-preview", "mera••••••••ab12"),
            )
            .expect("seed");
    }
    // Secrets of other applications and the console's own documents are not keys.
    emulator
        .seed_secret("db-connection-string", "Server=x")
        .expect("seed");
    let store = store(&emulator);
    store
        .write_document(&ConsoleDocument::RolePolicy, "{}")
        .await
        .expect("policy");
    emulator.reset_counters();

    let keys = store.list_keys().await.expect("list");
    assert_eq!(keys.len(), 60);
    assert!(keys.iter().all(|k| k.vendor_id == "cisco-meraki"));
    // 63 secrets in the vault: ceil(63/25) = 3 list pages, and not one value read.
    assert_eq!(emulator.request_count(RouteKind::ListSecrets), 3);
    assert_eq!(emulator.request_count(RouteKind::GetSecret), 0);
    assert!(emulator.request_count(RouteKind::Token) <= 1);
}

async fn error_code(store: &AzureStore) -> ErrorCode {
    store.check_access().await.expect_err("must fail").code
}

#[tokio::test]
async fn entra_sign_in_failures_are_named() {
    let emulator = emulator().await;
    assert_eq!(
        error_code(&store_with(&emulator, "not-the-secret")).await,
        ErrorCode::InvalidClientSecret
    );

    let expired_client = "33333333-3333-4333-8333-333333333333";
    emulator.register_app(AppRegistration {
        tenant: TENANT.into(),
        client_id: expired_client.into(),
        secrets: vec![ClientSecret::expiring(
            "old-secret",
            Utc::now() - chrono::Duration::days(1),
        )],
        role: Some(Role::SecretsOfficer),
    });
    let mut settings = settings(&emulator);
    settings.client_id = expired_client.into();
    let expired = AzureStore::connect(&settings, &SecretValue::new("old-secret"), &fast_options())
        .expect("builds");
    let error = expired.check_access().await.expect_err("expired");
    assert_eq!(error.code, ErrorCode::ClientSecretExpired, "{error:?}");
    assert!(error.message.contains("AADSTS7000222"));
    assert!(error.hint.contains("new client secret"));

    let mut unknown_app = support::settings(&emulator);
    unknown_app.client_id = "44444444-4444-4444-8444-444444444444".into();
    let store = AzureStore::connect(&unknown_app, &SecretValue::new(SECRET), &fast_options())
        .expect("builds");
    assert_eq!(error_code(&store).await, ErrorCode::AppNotFound);

    let mut unknown_tenant = support::settings(&emulator);
    unknown_tenant.tenant_id = "55555555-5555-4555-8555-555555555555".into();
    let store = AzureStore::connect(&unknown_tenant, &SecretValue::new(SECRET), &fast_options())
        .expect("builds");
    assert_eq!(error_code(&store).await, ErrorCode::TenantNotFound);
}

#[tokio::test]
async fn an_unknown_vault_host_is_vault_not_found() {
    let emulator = emulator().await;
    let settings = ConnectionSettings {
        vault_url: Some("https://no-such-vault-4f2a.invalid".into()),
        ..support::settings(&emulator)
    };
    let store =
        AzureStore::connect(&settings, &SecretValue::new(SECRET), &fast_options()).expect("builds");
    let error = store.check_access().await.expect_err("no such host");
    assert_eq!(error.code, ErrorCode::VaultNotFound, "{error:?}");
    assert!(error.hint.contains("just the vault name"));
}

#[tokio::test]
async fn rbac_and_access_policy_refusals_are_told_apart() {
    let emulator = emulator().await;
    // Secrets User may read but not write.
    let reader = "66666666-6666-4666-8666-666666666666";
    emulator.register_app(AppRegistration::new(
        TENANT,
        reader,
        "reader-secret",
        Some(Role::SecretsUser),
    ));
    let mut settings = support::settings(&emulator);
    settings.client_id = reader.into();
    let store = AzureStore::connect(
        &settings,
        &SecretValue::new("reader-secret"),
        &fast_options(),
    )
    .expect("builds");
    store
        .check_access()
        .await
        .expect("a Secrets User can connect");
    let error = store
        .write_document(&ConsoleDocument::RolePolicy, "{}")
        .await
        .expect_err("no set permission");
    assert_eq!(error.code, ErrorCode::ForbiddenByRbac);
    assert!(error.hint.contains("Secrets Officer"));

    // No role at all.
    emulator.set_role(TENANT, CLIENT, None);
    assert_eq!(
        error_code(&support::store(&emulator)).await,
        ErrorCode::ForbiddenByRbac
    );

    // Vault in access-policy mode: RBAC roles do not apply.
    emulator.set_role(TENANT, CLIENT, Some(Role::SecretsOfficer));
    emulator.set_permission_model(PermissionModel::AccessPolicy { allowed: vec![] });
    let error = support::store(&emulator)
        .check_access()
        .await
        .expect_err("policy mode");
    assert_eq!(error.code, ErrorCode::ForbiddenByPolicy);
    assert!(error.hint.contains("Access policies"));
}

#[tokio::test]
async fn not_found_and_conflict_are_named() {
    let emulator = emulator().await;
    let store = store(&emulator);
    let missing = store
        .read_value("no-such-key", None)
        .await
        .expect_err("404");
    assert_eq!(missing.code, ErrorCode::SecretNotFound);

    emulator
        .seed_deleted("cisco-meraki", "old")
        .expect("seed deleted");
    let (console, _) = console(&emulator);
    let error = console
        .add_key(
            &admin(),
            add_request("cisco-meraki", "meraki-new-key-0123456789abcdef"),
            Utc::now(),
        )
        .await
        .expect_err("409");
    assert_eq!(error.code, ErrorCode::Conflict);
    assert!(error.hint.contains("Recover it"));

    emulator.inject_fault(Fault::being_deleted().for_secret("cisco-meraki").times(1));
    let error = store
        .recover_key("cisco-meraki")
        .await
        .expect_err("being deleted");
    assert_eq!(error.code, ErrorCode::Conflict);
    assert!(error.hint.contains("Wait a few seconds"));
}

#[tokio::test]
async fn throttling_waits_for_retry_after_then_succeeds() {
    let emulator = emulator().await;
    let store = store(&emulator);
    store.check_access().await.expect("warm up the token");
    emulator.inject_fault(Fault::throttle(1).on_route(RouteKind::ListSecrets).times(1));
    emulator.reset_counters();
    let started = Instant::now();
    store.list_keys().await.expect("succeeds after the wait");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
    assert_eq!(emulator.request_count(RouteKind::ListSecrets), 2);
}

#[tokio::test]
async fn throttling_that_never_ends_is_reported() {
    let emulator = emulator().await;
    let store = store(&emulator);
    store.check_access().await.expect("warm up");
    emulator.inject_fault(Fault::throttle(1).on_route(RouteKind::ListSecrets));
    let error = store.list_keys().await.expect_err("still throttled");
    assert_eq!(error.code, ErrorCode::Throttled);
}

#[tokio::test]
async fn a_burst_of_server_errors_is_retried() {
    let emulator = emulator().await;
    let store = store(&emulator);
    store.check_access().await.expect("warm up");
    emulator.inject_fault(
        Fault::server_error(503)
            .on_route(RouteKind::ListSecrets)
            .times(2),
    );
    emulator.inject_fault(
        Fault::server_error(500)
            .on_route(RouteKind::ListSecrets)
            .times(1),
    );
    emulator.reset_counters();
    store.list_keys().await.expect("retried through the burst");
    assert_eq!(emulator.request_count(RouteKind::ListSecrets), 4);

    emulator.inject_fault(Fault::server_error(502).on_route(RouteKind::ListSecrets));
    let error = store.list_keys().await.expect_err("retries exhausted");
    assert_eq!(error.code, ErrorCode::ServiceUnavailable);
    assert!(error.hint.contains("Nothing was changed"));
}

#[tokio::test]
async fn a_vault_that_stops_answering_times_out_with_a_named_error() {
    let emulator = emulator().await;
    let store = store(&emulator);
    store.check_access().await.expect("warm up");
    emulator.inject_fault(Fault::latency(Duration::from_secs(5)).on_route(RouteKind::ListSecrets));
    let error = store.list_keys().await.expect_err("timeout");
    assert_eq!(error.code, ErrorCode::Timeout, "{error:?}");
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    let emulator = emulator().await;
    let store = store(&emulator);
    store.check_access().await.expect("warm up");
    emulator.inject_fault(
        Fault::drop_connection()
            .on_route(RouteKind::ListSecrets)
            .times(1),
    );
    store
        .list_keys()
        .await
        .expect("retried after the dropped connection");
}

#[tokio::test]
async fn the_token_is_cached_and_refreshed_before_it_expires() {
    let emulator = emulator().await;
    let store = store(&emulator);
    store.check_access().await.expect("connect");
    store.list_keys().await.expect("list");
    store.list_keys().await.expect("list");
    assert_eq!(
        emulator.request_count(RouteKind::Token),
        1,
        "one token for many calls"
    );

    // A token that expires within the SDK's 5-minute refresh window is renewed before use,
    // while it is still valid.
    emulator.set_token_lifetime(302);
    let fresh = support::store(&emulator);
    fresh.list_keys().await.expect("list");
    let tokens = emulator.request_count(RouteKind::Token);
    tokio::time::sleep(Duration::from_secs(3)).await;
    fresh.list_keys().await.expect("list");
    assert_eq!(
        emulator.request_count(RouteKind::Token),
        tokens + 1,
        "refreshed before expiry"
    );
}

#[tokio::test]
async fn purge_is_refused_under_purge_protection() {
    let emulator = emulator().await;
    let (console, _) = console(&emulator);
    let admin = admin();
    console
        .add_key(
            &admin,
            add_request("cisco-meraki", "meraki-api-key-0123456789abcdef"),
            Utc::now(),
        )
        .await
        .expect("add");
    console
        .delete_key(&admin, "cisco-meraki")
        .await
        .expect("delete");
    emulator.set_purge_protection(true);
    let error = console
        .purge_key(&admin, "cisco-meraki", "cisco-meraki")
        .await
        .expect_err("protected");
    assert_eq!(error.code, ErrorCode::PurgeProtected);
    assert!(
        emulator
            .deleted_secret_names()
            .contains(&"cisco-meraki".to_string())
    );
    emulator.set_purge_protection(false);
    console
        .purge_key(&admin, "cisco-meraki", "cisco-meraki")
        .await
        .expect("purged");
    assert!(emulator.deleted_secret_names().is_empty());
}

/// A 307/308 between the console and Azure must never make the SDK resend a request body (the
/// client secret in the token request, a key value in a set) to the redirect's host.
#[tokio::test]
async fn redirects_are_never_followed_so_no_secret_is_resent_elsewhere() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use akv_tests::tls::{Handler, HttpsServer, Outcome, TestCa};
    use bytes::Bytes;
    use http_body_util::Full;

    let ca = TestCa::generate("redirect test CA").expect("ca");
    let tls = ca
        .issue_server_identity(&[])
        .and_then(|identity| identity.server_config())
        .expect("tls");
    // The host a redirect points at: it must see no request at all.
    let elsewhere_hits = Arc::new(AtomicUsize::new(0));
    let hits = elsewhere_hits.clone();
    let elsewhere: Handler = Arc::new(move |_request| {
        hits.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            Outcome::Respond(
                hyper::Response::builder()
                    .status(200)
                    .body(Full::new(Bytes::from_static(b"{}")))
                    .expect("response"),
            )
        })
    });
    let elsewhere = HttpsServer::start(0, tls.clone(), elsewhere)
        .await
        .expect("server");
    let target = format!("https://127.0.0.1:{}/stolen", elsewhere.port());
    for status in [307u16, 308] {
        let target = target.clone();
        let redirecting: Handler = Arc::new(move |_request| {
            let target = target.clone();
            Box::pin(async move {
                Outcome::Respond(
                    hyper::Response::builder()
                        .status(status)
                        .header("location", target)
                        .body(Full::new(Bytes::new()))
                        .expect("response"),
                )
            })
        });
        let server = HttpsServer::start(0, tls.clone(), redirecting)
            .await
            .expect("server");
        let base = format!("https://127.0.0.1:{}", server.port());
        let settings = ConnectionSettings {
            tenant_id: TENANT.into(),
            client_id: CLIENT.into(),
            vault_name: VAULT.into(),
            cloud: akv_core::domain::connection::Cloud::Custom,
            authority_host: Some(base.clone()),
            vault_url: Some(base),
            ca_pem: Some(ca.ca_pem().to_string()),
            auth: akv_core::domain::connection::AuthMode::AppSecret,
            home_tenant_id: None,
        }
        .validated()
        .expect("settings");
        let store = AzureStore::connect(&settings, &SecretValue::new(SECRET), &fast_options())
            .expect("store builds");
        let error = store
            .check_access()
            .await
            .expect_err("a redirect is an error, not a new destination");
        assert_ne!(error.code, ErrorCode::Internal, "{error:?}");
    }
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "the redirect target received a request"
    );
}
