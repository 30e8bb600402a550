//! The session without a vault: demo launches, roles only in the demo, the name required in
//! app-secret mode.

use super::*;
use crate::domain::connection::{AuthMode, Cloud};

fn core(dir: &std::path::Path, demo_launch: bool) -> AppCore {
    AppCore::new(
        AppPaths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        },
        demo_launch,
        Arc::new(|_| {}),
    )
}

fn request() -> ConnectRequest {
    ConnectRequest {
        settings: ConnectionSettings {
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            vault_name: "msp-api-keyvault".into(),
            cloud: Cloud::AzurePublic,
            authority_host: None,
            vault_url: None,
            ca_pem: None,
            auth: AuthMode::AppSecret,
        },
        client_secret: Some(SecretValue::new("secret")),
        method: None,
        remember: true,
    }
}

#[tokio::test]
async fn a_demo_launch_refuses_to_connect_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = core(dir.path(), true);
    core.start_demo().await.expect("demo");
    core.set_profile("Trainer", Some(Role::L1))
        .await
        .expect("any role in demo");
    let error = core
        .connect(request())
        .await
        .expect_err("no vault from a demo launch");
    assert_eq!(error.code, ErrorCode::DemoOnly);
    assert!(core.status().await.demo_launch);
    assert!(!dir.path().join("config").exists() && !dir.path().join("data").exists());
}

#[tokio::test]
async fn roles_are_picked_only_in_the_demo_and_never_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = core(dir.path(), false);
    let refused = core
        .set_profile("Lee", Some(Role::Admin))
        .await
        .expect_err("no role outside the demo");
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    core.set_profile("Lee", None).await.expect("a name");
    let status = core.status().await;
    assert_eq!(status.profile_name.as_deref(), Some("Lee"));
    assert_eq!(status.operator, None, "no role before connecting");
    assert!(!status.can_change_role);

    core.start_demo().await.expect("demo");
    core.set_profile("Lee", Some(Role::Noc))
        .await
        .expect("demo role switch");
    let consoles = core.consoles(None).await.expect("the demo's clients");
    assert_eq!(consoles.len(), 3, "the demo has three fictitious clients");
    for (_, operator) in &consoles {
        assert_eq!(operator.role, Some(Role::Noc));
        assert_eq!(operator.identity, IdentityKind::Demo);
    }
    assert!(core.status().await.can_change_role);
    let saved = std::fs::read_to_string(dir.path().join("config").join(config::CONFIG_FILE))
        .expect("config");
    assert!(
        !saved.contains("NOC") && !saved.contains("Admin"),
        "no role in the config file: {saved}"
    );
}

#[tokio::test]
async fn app_secret_mode_needs_a_name_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = core(dir.path(), false);
    let error = core.connect(request()).await.expect_err("who are you?");
    assert_eq!(error.code, ErrorCode::ProfileRequired);
}

#[tokio::test]
async fn the_demo_seeds_three_clients_whose_keys_never_mix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = core(dir.path(), true);
    let status = core.start_demo().await.expect("demo");
    let names: Vec<&str> = status.clients.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, super::demo::DEMO_CLIENTS.to_vec());
    assert_eq!(status.connected, 3);
    assert_eq!(status.badge, "DEMO MODE");
    let all = core
        .vault_view(&PortfolioFilter::default(), chrono::Utc::now())
        .await
        .expect("portfolio");
    for client in &status.clients {
        let one = core
            .vault_view(
                &PortfolioFilter {
                    client: Some(client.id.clone()),
                },
                chrono::Utc::now(),
            )
            .await
            .expect("one client");
        assert!(one.rows.iter().all(|r| r.client_id == client.id));
        let keys_of_client = all.rows.iter().filter(|r| r.client_id == client.id).count();
        assert_eq!(keys_of_client, one.counts.keys_stored);
        assert_eq!(
            client.counts.as_ref().map(|c| c.keys),
            Some(one.counts.keys_stored)
        );
    }
    assert!(
        all.rows.iter().all(|r| r.secret_name.is_some()),
        "across clients the rows are keys"
    );
}

/// A reminder the window has not shown (the OS dropped the toast, the window was hidden) is still
/// due at the next check; once shown it is not.
#[tokio::test]
async fn reminders_stay_due_until_the_window_has_shown_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = core(dir.path(), true);
    core.start_demo().await.expect("demo");
    let first = core.due_reminders().await;
    assert!(!first.is_empty(), "the demo has keys near expiry");
    assert!(first.iter().any(|r| r.urgent));
    assert!(
        first.iter().all(|r| r.title.contains(" — ")),
        "named after the client"
    );
    let again = core.due_reminders().await;
    assert_eq!(again, first, "nothing showed them: still due");
    assert_eq!(core.pending_reminders(), first);

    let (shown, kept) = first.split_at(1);
    let ids: Vec<String> = shown.iter().map(|r| r.id.clone()).collect();
    assert_eq!(core.reminders_shown(&ids).expect("shown"), 1);
    // An id the console never issued is ignored.
    assert_eq!(
        core.reminders_shown(&["nobody@0:Days7".to_string()])
            .expect("ignored"),
        0
    );
    let later = core.due_reminders().await;
    assert_eq!(later, kept.to_vec(), "only the one not shown comes again");
    let too_many = vec![String::new(); 5_001];
    assert_eq!(
        core.reminders_shown(&too_many).expect_err("bounded").code,
        ErrorCode::InvalidInput
    );
}
