//! The app's session against the emulator: connecting, reconnecting to the same vault while the
//! first session holds its audit log, and the audit log file that results.

mod support;

use std::sync::Arc;

use akv_core::domain::secret::SecretValue;
use akv_core::session::{AppCore, AppPaths, ConnectRequest, Mode};
use support::*;

#[tokio::test]
async fn reconnecting_to_the_open_vault_works_and_keeps_one_audit_log() {
    let emulator = emulator().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let core = AppCore::new(
        AppPaths {
            config_dir: dir.path().join("config"),
            data_dir: dir.path().join("data"),
        },
        false,
        Arc::new(|_| {}),
    )
    .with_options(fast_options(), None);
    core.set_profile("Dana Reyes", None).await.expect("profile");
    let request = || ConnectRequest {
        settings: settings(&emulator),
        client_secret: Some(SecretValue::new(SECRET)),
        method: None,
        remember: false,
    };
    let first = core.connect(request()).await.expect("connect");
    assert_eq!(first.mode, Mode::Connected);
    assert_eq!(first.badge, format!("VAULT: {}", VAULT.to_uppercase()));
    let again = core
        .connect(request())
        .await
        .expect("reconnect to the same vault");
    assert_eq!(again.mode, Mode::Connected);

    // A failed connection to another vault keeps the open session.
    let mut wrong = settings(&emulator);
    wrong.vault_name = "other-vault".into();
    let error = core
        .connect(ConnectRequest {
            settings: wrong,
            client_secret: Some(SecretValue::new("wrong secret")),
            method: None,
            remember: false,
        })
        .await
        .expect_err("wrong secret");
    assert_eq!(error.code, akv_core::error::ErrorCode::InvalidClientSecret);
    let status = core.status().await;
    assert_eq!(
        status.mode,
        Mode::Connected,
        "the old session survives a failed connect"
    );
    // The failure is the reply; the client that could not connect is not added to the list.
    assert_eq!(status.connected, 1);
    assert_eq!(status.clients.len(), 1);

    core.disconnect().await;
    let log = dir
        .path()
        .join("data")
        .join("audit")
        .join(format!("{VAULT}.jsonl"));
    let text = std::fs::read_to_string(&log).expect("audit log");
    let actions: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split("\"action\":\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(
        actions,
        vec![
            "policy-bootstrap",
            "connect",
            "disconnect",
            "connect",
            "disconnect"
        ],
        "the first operator of a fresh vault became its Admin, and that is recorded"
    );
    assert!(!text.contains(SECRET));
    // The chain head is anchored in the vault.
    let anchored = emulator
        .secret_names()
        .into_iter()
        .any(|n| n.starts_with("akv-console-audit-anchor-"));
    assert!(anchored);
}
