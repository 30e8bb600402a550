//! "Remember me" after signing in with Microsoft, through a real Secret Service (a private GNOME
//! Keyring): Entra's refresh tokens are longer than one Windows Credential Manager entry holds,
//! so the console keeps them in parts on every platform. The console restarts and connects
//! without a browser, each rotated token replaces the last, and removing the client leaves no
//! part behind. Its own test binary: the keyring's D-Bus address is set in this process.

mod support;

use std::sync::{Arc, Mutex};

use akv_core::config::{KeychainItem, keychain_name};
use akv_core::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use akv_core::keychain;
use akv_core::session::{AppCore, AppPaths, ConnectRequest};
use akv_core::signin::SignInMethod;
use akv_tests::e2e::Profile;
use akv_tests::emulator::{
    CONSOLE_ADMIN, DEFAULT_TENANT, Emulator, EmulatorConfig, GrantType, PublicClient, Role,
    TestUser,
};
use support::fast_options;

const CONSOLE_CLIENT: &str = "33333333-3333-4333-8333-333333333333";
const ADA: &str = "ada@contoso.example";
const VAULT: &str = "msp-remember-vault";

fn settings(emulator: &Emulator) -> ConnectionSettings {
    ConnectionSettings {
        tenant_id: DEFAULT_TENANT.into(),
        client_id: CONSOLE_CLIENT.into(),
        vault_name: VAULT.into(),
        cloud: Cloud::Custom,
        authority_host: Some(emulator.authority_host()),
        vault_url: Some(emulator.vault_url()),
        ca_pem: Some(emulator.ca_pem()),
        auth: AuthMode::SignIn,
        home_tenant_id: None,
    }
}

/// A console whose "system browser" follows Entra's redirect back to the loopback listener,
/// counting the pages it opened.
fn console_pc(emulator: &Emulator, dir: &std::path::Path) -> (Arc<AppCore>, Arc<Mutex<usize>>) {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()).expect("ca");
    let browser = reqwest::Client::builder()
        .tls_certs_merge([ca])
        .build()
        .expect("browser");
    let runtime = tokio::runtime::Handle::current();
    let opened = Arc::new(Mutex::new(0usize));
    let count = opened.clone();
    let core = AppCore::new(
        AppPaths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        },
        false,
        Arc::new(|_| {}),
    )
    .with_options(fast_options(), None)
    .with_front_end(
        Arc::new(move |url: &str| {
            if let Ok(mut n) = count.lock() {
                *n += 1;
            }
            let browser = browser.clone();
            let url = url.to_string();
            runtime.spawn(async move {
                let _ = browser.get(url).send().await;
            });
            Ok(())
        }),
        Arc::new(|| {}),
    );
    (Arc::new(core), opened)
}

/// The parts of the remembered refresh token in the keychain (0 when stored whole or absent).
fn parts_in_keychain(settings: &ConnectionSettings) -> usize {
    let name = keychain_name(settings, KeychainItem::RefreshToken);
    (1..=16)
        .take_while(|i| {
            keychain::os()
                .get(&format!("{name}#{i}"))
                .expect("the keychain answers")
                .is_some()
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_sign_in_with_a_long_refresh_token_survives_restarts() {
    let profile = Profile::new("remember-signin").expect("a private keychain");
    for (name, value) in profile.env() {
        if name == "DBUS_SESSION_BUS_ADDRESS" {
            // SAFETY: the only test of this binary, set before any thread reads the variable.
            unsafe { std::env::set_var(name, value) };
        }
    }
    let emulator = Emulator::start(EmulatorConfig {
        public_clients: vec![PublicClient::new(DEFAULT_TENANT, CONSOLE_CLIENT)],
        users: vec![
            TestUser::new(DEFAULT_TENANT, ADA, "Ada Admin")
                .with_vault_role(Role::SecretsOfficer)
                .with_app_role(CONSOLE_CLIENT, CONSOLE_ADMIN),
        ],
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = settings(&emulator);

    {
        let (core, opened) = console_pc(&emulator, dir.path());
        emulator.set_interactive_user(Some(ADA));
        let status = core
            .connect(ConnectRequest {
                settings: settings.clone(),
                client_secret: None,
                method: Some(SignInMethod::Browser),
                remember: true,
            })
            .await
            .expect("Ada signs in and ticks Remember me");
        assert_eq!(status.connected, 1);
        assert_eq!(*opened.lock().expect("count"), 1);
        core.disconnect().await;
    }
    // Entra's token (1.5–4 KB) is kept in parts no larger than Windows takes.
    let parts = parts_in_keychain(&settings);
    assert!((2..=4).contains(&parts), "{parts} parts");

    for restart in 1..=2 {
        let (core, opened) = console_pc(&emulator, dir.path());
        let refreshes = emulator.grant_count(GrantType::RefreshToken);
        let status = core
            .connect_remembered()
            .await
            .expect("a remembered client")
            .unwrap_or_else(|e| panic!("restart {restart}: {} ({})", e.message, e.hint));
        assert_eq!(status.connected, 1, "restart {restart}");
        assert_eq!(*opened.lock().expect("count"), 0, "no browser at restart");
        assert!(emulator.grant_count(GrantType::RefreshToken) > refreshes);
        // Only the newest token works (they rotate), so this restart read the one the last
        // session stored.
        assert_eq!(emulator.active_refresh_token_count(ADA), 1);
        core.disconnect().await;
    }

    // Removing the client takes every part with it.
    let (core, _) = console_pc(&emulator, dir.path());
    let client = core.status().await.clients[0].id.clone();
    core.remove_client(&client).await.expect("remove");
    assert_eq!(parts_in_keychain(&settings), 0);
    assert!(
        keychain::os()
            .get(&keychain_name(&settings, KeychainItem::RefreshToken))
            .expect("the keychain answers")
            .is_none()
    );
}
