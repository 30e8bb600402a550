//! The console's own client secret (app-secret mode), against the emulator's Entra and Graph:
//! its end date is read on connect and the top bar warns from 30 days before it; rotating its
//! Entra App Secret key at the vendor reconnects the session with the new secret before the old
//! one is removed, and the console stays connected.

mod support;

use std::sync::Arc;

use akv_core::domain::connection::ConnectionSettings;
use akv_core::domain::key_value::KeyPartInput;
use akv_core::domain::secret::SecretValue;
use akv_core::service::connector::VendorRotateRequest;
use akv_core::service::vault::AddKeyRequest;
use akv_core::session::{AppCore, AppPaths, ClientRequest, SecretWarningLevel};
use akv_tests::emulator::{
    APPLICATION_READWRITE_OWNEDBY, AppRegistration, ClientSecret, Emulator, EmulatorConfig, Owner,
    Role, RouteKind,
};
use chrono::{Duration, Utc};
use support::*;

const OWN_SECRET: &str = "own~Console.Secret-0001-abcdefghij";

async fn emulator_with_graph(expires_in_days: i64) -> Emulator {
    let emulator = Emulator::start(EmulatorConfig {
        apps: vec![AppRegistration {
            tenant: TENANT.into(),
            client_id: CLIENT.into(),
            secrets: vec![ClientSecret::expiring(
                OWN_SECRET,
                Utc::now() + Duration::days(expires_in_days),
            )],
            role: Some(Role::SecretsOfficer),
        }],
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    emulator
        .grant_graph_permission(TENANT, CLIENT, APPLICATION_READWRITE_OWNEDBY)
        .expect("permission");
    emulator
        .add_application_owner(TENANT, CLIENT, Owner::App(CLIENT.into()))
        .expect("owner");
    emulator
}

fn pc(dir: &std::path::Path, emulator: &Emulator) -> AppCore {
    AppCore::new(
        AppPaths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        },
        false,
        Arc::new(|_| {}),
    )
    .with_options(fast_options(), Some(emulator.ca_pem()))
}

async fn connect(core: &AppCore, settings: ConnectionSettings, secret: &str) -> String {
    core.set_profile("Dana Reyes", None).await.expect("profile");
    let status = core
        .save_client(ClientRequest {
            id: None,
            name: "Contoso Dental".into(),
            settings,
            client_secret: Some(SecretValue::new(secret)),
            method: None,
            remember: false,
        })
        .await
        .expect("connect");
    status.clients[0].id.clone()
}

#[tokio::test]
async fn the_top_bar_warns_before_the_consoles_own_secret_expires() {
    let emulator = emulator_with_graph(10).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path(), &emulator);
    connect(&core, settings(&emulator), OWN_SECRET).await;
    let warning = core.status().await.secret_warning.expect("a warning");
    assert_eq!(warning.level, Some(SecretWarningLevel::Warning));
    assert!(
        warning.days_left.is_some_and(|d| (9..=10).contains(&d)),
        "{warning:?}"
    );
    assert!(
        warning.message.contains("Contoso Dental"),
        "{}",
        warning.message
    );

    // Far from its end date: no warning, but the date is known.
    let emulator = emulator_with_graph(200).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path(), &emulator);
    connect(&core, settings(&emulator), OWN_SECRET).await;
    let status = core.status().await;
    assert!(status.secret_warning.is_none());
    let known = status.clients[0].secret_expiry.clone().expect("known");
    assert!(known.ends.is_some() && known.level.is_none());
}

#[tokio::test]
async fn without_graph_permission_the_end_date_is_unknown_and_says_why() {
    let emulator = emulator().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path(), &emulator);
    connect(&core, settings(&emulator), SECRET).await;
    let status = core.status().await;
    assert!(status.secret_warning.is_none());
    let view = status.clients[0].secret_expiry.clone().expect("a reason");
    assert!(
        view.message.contains("Application.Read.All"),
        "{}",
        view.message
    );
}

#[tokio::test]
async fn rotating_the_own_secret_reconnects_with_it_before_the_old_one_goes() {
    let emulator = emulator_with_graph(5).await;
    // Tokens shorter than the SDK's renewal margin are fetched anew at every use: after the
    // rotation every request shows which secret the session signs in with.
    emulator.set_token_lifetime(3);
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path(), &emulator);
    let client = connect(&core, settings(&emulator), OWN_SECRET).await;
    {
        let (console, dana) = core.client_console(&client).await.expect("console");
        // The first operator of the vault is its Admin; the key is the console's own secret.
        console
            .add_key(
                &dana,
                AddKeyRequest {
                    generate: None,
                    short_reason: None,
                    vendor_id: "entra-app-secret".into(),
                    label: None,
                    value: None,
                    parts: vec![
                        KeyPartInput {
                            id: "client_id".into(),
                            value: SecretValue::new(CLIENT),
                        },
                        KeyPartInput {
                            id: "client_secret".into(),
                            value: SecretValue::new(OWN_SECRET),
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
        support::point_entra_key_at_emulator(
            &console,
            &dana,
            &emulator,
            TENANT,
            "entra-app-secret",
        )
        .await;
    }

    let done = core
        .rotate_at_vendor(
            &client,
            VendorRotateRequest {
                secret_name: "entra-app-secret".into(),
                ..Default::default()
            },
            Utc::now(),
        )
        .await
        .expect("rotated");
    assert!(done.saved && done.failed_step.is_none(), "{done:?}");
    assert!(done.message.contains("reconnected"), "{}", done.message);
    assert_eq!(emulator.request_count(RouteKind::GraphRemovePassword), 1);

    // Still connected, now with the new secret: the old one is gone at Entra, and every token
    // from here on is asked for with the new one.
    let status = core.status().await;
    assert_eq!(status.connected, 1);
    let tokens = emulator.request_count(RouteKind::Token);
    core.refresh(Some(&client))
        .await
        .expect("the vault is listed with the new secret");
    assert!(
        emulator.request_count(RouteKind::Token) > tokens,
        "a fresh token was asked for (with the new secret: the old one no longer exists)"
    );
    let (console, dana) = core.client_console(&client).await.expect("console");
    let row = console
        .vault_view(&dana, Utc::now())
        .await
        .expect("view")
        .rows
        .into_iter()
        .find(|r| r.vendor_id == "entra-app-secret")
        .expect("row");
    assert_ne!(row.masked_preview.as_deref(), None);
    let log = console.audit_entries();
    assert!(
        log.iter().any(|e| e
            .note
            .contains("reconnected with the new secret; old secret removed")),
        "{:?}",
        log.iter().map(|e| e.note.clone()).collect::<Vec<_>>()
    );
    // The new secret's end date (a year away) replaces the warning.
    assert!(core.status().await.secret_warning.is_none());
}
