//! Rotation at the vendor for an Entra app secret kept as a key, against the emulator's Entra
//! and Microsoft Graph: addPassword with an app-only token of the key itself, a token with the new
//! secret as the test, the new secret stored, and only then removePassword of the old one (found
//! by its hint). A failure at each step leaves a working stored secret and names the step. A new
//! secret Entra takes a while to accept is waited for; the Graph token is asked for the Graph
//! the connector calls.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use akv_core::audit::{AuditAction, AuditLog, Outcome};
use akv_core::connectors::{ConnectorStep, PropagationSchedule, RotationProgress, with_progress};
use akv_core::domain::key_value::KeyPartInput;
use akv_core::domain::policy::Role;
use akv_core::domain::secret::SecretValue;
use akv_core::ping::PingClient;
use akv_core::service::connector::VendorRotateRequest;
use akv_core::service::vault::AddKeyRequest;
use akv_core::service::{Console, Operator};
use akv_core::store::SecretStore;
use akv_tests::emulator::{
    APPLICATION_READWRITE_OWNEDBY, AppRegistration, Emulator, EmulatorConfig, Fault, Owner,
    RouteKind,
};
use chrono::Utc;
use support::flaky::FlakyStore;

const TENANT: &str = "7e7e7e7e-1111-4222-8333-444444444444";
/// An app registration whose secret is kept as a key (it owns itself, with OwnedBy).
const APP: &str = "a990a990-0000-4000-8000-0000000000dd";
const OLD_SECRET: &str = "old~App.Secret-0001-abcdefghijklmnop";

struct Setup {
    emulator: Arc<Emulator>,
    store: Arc<FlakyStore>,
    console: Console,
    admin: Operator,
}

async fn setup() -> Setup {
    let emulator = Emulator::start(EmulatorConfig {
        vault_tenant: TENANT.into(),
        apps: vec![AppRegistration::new(TENANT, APP, OLD_SECRET, None)],
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    emulator
        .grant_graph_permission(TENANT, APP, APPLICATION_READWRITE_OWNEDBY)
        .expect("permission");
    emulator
        .add_application_owner(TENANT, APP, Owner::App(APP.into()))
        .expect("owner");
    let store = Arc::new(FlakyStore::new());
    let client = PingClient::new(Some(&emulator.ca_pem()))
        .and_then(PingClient::allowing_private_addresses_for_tests)
        .expect("client");
    let console = Console::new(
        store.clone(),
        AuditLog::in_memory(),
        Arc::new(|_| {}),
        client,
        "t",
    );
    // 50 ms between attempts, 2 s at most (3 min in production).
    console.set_propagation_schedule(PropagationSchedule::fixed(
        Duration::from_millis(50),
        Duration::from_secs(2),
    ));
    let admin = Operator::unverified("Admin tester", Some(Role::Admin));
    console
        .add_key(
            &admin,
            AddKeyRequest {
                generate: None,
                short_reason: None,
                vendor_id: "entra-app-secret".into(),
                label: None,
                value: None,
                parts: vec![
                    KeyPartInput {
                        id: "client_id".into(),
                        value: SecretValue::new(APP),
                    },
                    KeyPartInput {
                        id: "client_secret".into(),
                        value: SecretValue::new(OLD_SECRET),
                    },
                ],
                fields: [("tenant".to_string(), TENANT.to_string())].into(),
                expiry: None,
                interval_days: None,
                owner: String::new(),
                note: String::new(),
            },
            Utc::now(),
        )
        .await
        .expect("add");
    // The emulator stands in for login.microsoftonline.com: an Admin confirms its host.
    support::point_entra_key_at_emulator(&console, &admin, &emulator, TENANT, "entra-app-secret")
        .await;
    Setup {
        emulator: Arc::new(emulator),
        store,
        console,
        admin,
    }
}

/// The stored secret part of the key.
async fn stored_secret(s: &Setup) -> String {
    let value = s
        .store
        .read_value("entra-app-secret", None)
        .await
        .expect("stored");
    let json: serde_json::Value = serde_json::from_str(value.expose()).expect("parts JSON");
    json["parts"]["client_secret"]
        .as_str()
        .expect("secret part")
        .to_string()
}

/// Does Entra still accept this secret for the app?
async fn accepted(s: &Setup, secret: &str) -> bool {
    let ca = reqwest::Certificate::from_pem(s.emulator.ca_pem().as_bytes()).expect("ca");
    let http = reqwest::Client::builder()
        .tls_certs_only([ca])
        .no_proxy()
        .build()
        .expect("http");
    http.post(format!(
        "{}/{TENANT}/oauth2/v2.0/token",
        s.emulator.authority_host()
    ))
    .form(&[
        ("grant_type", "client_credentials"),
        ("client_id", APP),
        ("client_secret", secret),
        ("scope", "https://vault.azure.net/.default"),
    ])
    .send()
    .await
    .map(|r| r.status().is_success())
    .unwrap_or(false)
}

fn last_rotation(s: &Setup) -> (Outcome, String) {
    let log = s.console.audit_entries();
    let entry = log
        .iter()
        .rev()
        .find(|e| e.action == AuditAction::Rotate)
        .expect("a rotate entry");
    (entry.outcome, entry.note.clone())
}

fn request() -> VendorRotateRequest {
    VendorRotateRequest {
        secret_name: "entra-app-secret".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_app_secret_is_rotated_through_graph_and_the_old_one_removed_last() {
    let s = setup().await;
    let done = s
        .console
        .rotate_at_vendor(&s.admin, request(), false, Utc::now())
        .await
        .expect("attempted");
    assert!(done.saved && done.failed_step.is_none(), "{done:?}");
    let new = stored_secret(&s).await;
    assert_ne!(new, OLD_SECRET);
    assert!(accepted(&s, &new).await, "the new secret works");
    assert!(
        !accepted(&s, OLD_SECRET).await,
        "the old secret was removed"
    );
    assert_eq!(s.emulator.request_count(RouteKind::GraphAddPassword), 1);
    assert_eq!(s.emulator.request_count(RouteKind::GraphRemovePassword), 1);
    let (outcome, note) = last_rotation(&s);
    assert_eq!(outcome, Outcome::Ok);
    assert!(note.contains("old key revoked"), "{note}");
}

#[tokio::test]
async fn a_failure_at_each_step_leaves_a_working_stored_secret_and_names_the_step() {
    for step in [
        ConnectorStep::Create,
        ConnectorStep::Test,
        ConnectorStep::Store,
        ConnectorStep::Revoke,
    ] {
        let s = setup().await;
        match step {
            ConnectorStep::Create => s
                .emulator
                .inject_fault(Fault::server_error(503).on_route(RouteKind::GraphAddPassword)),
            // Entra never accepts the new secret within the (test) propagation limit.
            ConnectorStep::Test => s.emulator.set_new_secret_delay(Duration::from_secs(600)),
            ConnectorStep::Revoke => s
                .emulator
                .inject_fault(Fault::server_error(503).on_route(RouteKind::GraphRemovePassword)),
            ConnectorStep::Store => s.store.fail_writes(true),
        }
        let done = s
            .console
            .rotate_at_vendor(&s.admin, request(), false, Utc::now())
            .await
            .expect("attempted");
        s.store.fail_writes(false);
        let stored = stored_secret(&s).await;
        assert!(
            accepted(&s, &stored).await,
            "{step:?}: the stored secret must still work"
        );
        let (outcome, note) = last_rotation(&s);
        assert_eq!(outcome, Outcome::Failed, "{step:?}: {note}");
        let named = match step {
            ConnectorStep::Create => "failed at create",
            ConnectorStep::Test => "failed its test",
            ConnectorStep::Store => "could not be stored",
            ConnectorStep::Revoke => "failed at revoke",
        };
        assert!(note.contains(named), "{step:?}: {note}");
        if step == ConnectorStep::Revoke {
            // The new secret is stored and works; the old one still works too, for a retry.
            assert_ne!(stored, OLD_SECRET);
            assert!(accepted(&s, OLD_SECRET).await);
        } else {
            assert_eq!(stored, OLD_SECRET, "{step:?}: the old secret stays stored");
        }
        assert_eq!(done.failed_step, Some(step), "{done:?}");
    }
}

#[tokio::test]
async fn a_new_secret_entra_accepts_late_is_waited_for_with_progress() {
    let s = setup().await;
    s.emulator.set_new_secret_delay(Duration::from_millis(500));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let done = with_progress(
        Arc::new(move |p: RotationProgress| sink.lock().unwrap_or_else(|e| e.into_inner()).push(p)),
        s.console
            .rotate_at_vendor(&s.admin, request(), false, Utc::now()),
    )
    .await
    .expect("attempted");
    assert!(done.saved && done.failed_step.is_none(), "{done:?}");
    let new = stored_secret(&s).await;
    assert!(accepted(&s, &new).await && !accepted(&s, OLD_SECRET).await);
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(
        seen.iter().any(|p| p
            .message
            .starts_with("waiting for the new key to propagate at Entra App Secret (attempt 2, ")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_new_secret_entra_never_accepts_times_out_and_is_removed_again() {
    let s = setup().await;
    s.emulator.set_new_secret_delay(Duration::from_secs(600));
    let done = s
        .console
        .rotate_at_vendor(&s.admin, request(), false, Utc::now())
        .await
        .expect("attempted");
    assert_eq!(done.failed_step, Some(ConnectorStep::Test), "{done:?}");
    assert!(
        done.message.contains("still failed after"),
        "{}",
        done.message
    );
    assert_eq!(stored_secret(&s).await, OLD_SECRET);
    assert_eq!(s.emulator.request_count(RouteKind::GraphRemovePassword), 1);
    let (_, note) = last_rotation(&s);
    assert!(note.contains("revoked again"), "{note}");
}

#[tokio::test]
async fn the_graph_token_is_asked_for_the_graph_the_connector_calls() {
    let s = setup().await;
    // Like a national cloud's Graph, the emulator's Graph now accepts only tokens for itself
    // (https://graph.microsoft.us accepts no https://graph.microsoft.com token).
    s.emulator.set_graph_resource(Some(&s.emulator.graph_url()));
    let done = s
        .console
        .rotate_at_vendor(&s.admin, request(), false, Utc::now())
        .await
        .expect("attempted");
    assert!(done.saved && done.failed_step.is_none(), "{done:?}");
    // And the global resource is refused there: the scope really is checked.
    s.emulator
        .set_graph_resource(Some("https://graph.microsoft.us"));
    let refused = s
        .console
        .rotate_at_vendor(&s.admin, request(), false, Utc::now())
        .await
        .expect("attempted");
    assert_eq!(
        refused.failed_step,
        Some(ConnectorStep::Create),
        "{refused:?}"
    );
}
