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
            home_tenant_id: None,
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
                    ..Default::default()
                },
                chrono::Utc::now(),
            )
            .await
            .expect("one client");
        assert!(one.rows.iter().all(|r| r.client_id == client.id));
        let keys_of_client = all.rows.iter().filter(|r| r.client_id == client.id).count();
        assert_eq!(keys_of_client, one.counts.keys);
        assert_eq!(
            client.counts.as_ref().map(|c| c.keys),
            Some(one.counts.keys)
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

#[tokio::test]
async fn an_invalid_client_in_config_json_is_listed_with_its_error_and_never_connected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&config_dir).expect("dir");
    let valid = request().settings;
    let mut escaping = valid.clone();
    // Hand-edited: the vault name would reach the audit log's path and the vault's host.
    escaping.vault_name = "../../outside".into();
    let file = serde_json::json!({
        "operator": { "name": "Dana Reyes" },
        "clients": [
            { "id": "good", "name": "Contoso Dental", "settings": valid },
            { "id": "bad", "name": "Tampered Client", "settings": escaping },
        ],
    })
    .to_string();
    std::fs::write(config_dir.join(config::CONFIG_FILE), &file).expect("write");

    let core = core(dir.path(), false);
    let status = core.status().await;
    assert_eq!(status.clients.len(), 2, "the valid client still loads");
    let good = status
        .clients
        .iter()
        .find(|c| c.id == "good")
        .expect("good");
    assert!(good.error.is_none());
    let bad = status.clients.iter().find(|c| c.id == "bad").expect("bad");
    assert_eq!(bad.state, ClientState::Failed);
    let error = bad.error.as_ref().expect("reported");
    assert_eq!(error.code, ErrorCode::InvalidSavedClient);
    assert!(
        error.message.contains("Tampered Client"),
        "{}",
        error.message
    );
    let listed = status.last_error.expect("listed at start");
    assert_eq!(listed.code, ErrorCode::InvalidSavedClient);
    assert!(listed.message.contains("Tampered Client"));

    // It is never used: connecting it is refused before any path or host is built from it.
    let refused = core.connect_client("bad").await.expect_err("not connected");
    assert_eq!(refused.code, ErrorCode::InvalidSavedClient);
    assert!(!dir.path().join("outside").exists());
    // Saving the config (a profile change) keeps it in the file.
    core.set_profile("Dana R.", None).await.expect("profile");
    let saved = config::load(&config_dir).expect("load");
    assert!(saved.clients.iter().any(|c| c.id == "bad"));
}

#[tokio::test]
async fn destructive_steps_happen_only_after_rust_asked_and_heard_yes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&config_dir).expect("dir");
    let file = serde_json::json!({
        "operator": { "name": "Dana Reyes" },
        "clients": [{ "id": "c1", "name": "Contoso Dental", "settings": request().settings }],
    })
    .to_string();
    std::fs::write(config_dir.join(config::CONFIG_FILE), &file).expect("write");
    let core = core(dir.path(), false);
    let asked = Arc::new(Mutex::new(Vec::<ConfirmPrompt>::new()));
    let answer = |yes: bool| {
        let asked = asked.clone();
        move |prompt: ConfirmPrompt| {
            lock(&asked).push(prompt);
            async move { yes }
        }
    };

    // Cancel: the client stays, in the list and in the file.
    let declined = core
        .remove_client_confirmed("c1", answer(false))
        .await
        .expect_err("declined");
    assert_eq!(declined.code, ErrorCode::ActionDeclined);
    assert!(lock(&asked)[0].title.contains("Contoso Dental"));
    assert_eq!(core.status().await.clients.len(), 1);
    let declined = core
        .forget_confirmed(answer(false))
        .await
        .expect_err("declined");
    assert_eq!(declined.code, ErrorCode::ActionDeclined);
    assert!(lock(&asked)[1].message.contains("Contoso Dental"));
    assert!(core.status().await.clients[0].remembered);
    assert_eq!(
        config::load(&config_dir).expect("load").clients.len(),
        1,
        "nothing left the file"
    );

    // Nothing connected: the demo starts without a question.
    core.start_demo_confirmed(answer(false))
        .await
        .expect("nothing to lose");
    assert_eq!(lock(&asked).len(), 2);
    // A running demo is not thrown away without one.
    let declined = core
        .start_demo_confirmed(answer(false))
        .await
        .expect_err("declined");
    assert_eq!(declined.code, ErrorCode::ActionDeclined);
    assert_eq!(core.status().await.mode, Mode::Demo);
    // Yes: it goes ahead.
    core.start_demo_confirmed(answer(true))
        .await
        .expect("started over");
    assert_eq!(lock(&asked).len(), 4);
    assert!(lock(&asked)[3].title.contains("over"));
}
