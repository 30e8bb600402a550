//! Technicians sign in as themselves, against the emulator's Entra: device code and auth code +
//! PKCE through the console's own session, the role from the id token's `roles` claim, no role =
//! no key access, token renewal with the refresh token, and Key Vault seeing the user.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use akv_core::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use akv_core::domain::identity::IdentityKind;
use akv_core::domain::policy::Role as ConsoleRole;
use akv_core::domain::secret::SecretValue;
use akv_core::error::ErrorCode;
use akv_core::service::vault::AddKeyRequest;
use akv_core::session::{AppCore, AppPaths, AppStatus, ConnectRequest, Mode};
use akv_core::signin::SignInMethod;
use akv_tests::emulator::{
    CONSOLE_ADMIN, CONSOLE_L1, CONSOLE_NOC, DEFAULT_TENANT, Emulator, EmulatorConfig, GrantType,
    PublicClient, Role, TestUser,
};
use chrono::Utc;
use support::fast_options;

/// The console's public client (its app registration for "Sign in with Microsoft").
const CONSOLE_CLIENT: &str = "33333333-3333-4333-8333-333333333333";
const ADA: &str = "ada@contoso.example";
const LEE: &str = "lee@contoso.example";
const NORA: &str = "nora@contoso.example";
const UMA: &str = "uma@contoso.example";
const VAULT: &str = "msp-signin-vault";
/// An app registration any tenant member could create, with themselves as its Console.Admin.
const ROGUE_CLIENT: &str = "44444444-4444-4444-8444-444444444444";
const MALLORY: &str = "mallory@contoso.example";

async fn signin_emulator(token_lifetime_secs: u64) -> Emulator {
    let emulator = Emulator::start(EmulatorConfig {
        token_lifetime_secs,
        public_clients: vec![PublicClient::new(DEFAULT_TENANT, CONSOLE_CLIENT)],
        users: vec![
            TestUser::new(DEFAULT_TENANT, ADA, "Ada Admin")
                .with_vault_role(Role::SecretsOfficer)
                .with_app_role(CONSOLE_CLIENT, CONSOLE_ADMIN),
            TestUser::new(DEFAULT_TENANT, LEE, "Lee Level-One")
                .with_vault_role(Role::SecretsOfficer)
                .with_app_role(CONSOLE_CLIENT, CONSOLE_L1),
            TestUser::new(DEFAULT_TENANT, NORA, "Nora No-Role")
                .with_vault_role(Role::SecretsOfficer),
            TestUser::new(DEFAULT_TENANT, UMA, "Uma Reader")
                .with_vault_role(Role::SecretsUser)
                .with_app_role(CONSOLE_CLIENT, CONSOLE_ADMIN),
        ],
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    emulator.set_device_code_interval(1);
    emulator
}

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

/// A console on its own PC (own config and data folders) whose "system browser" is an HTTP
/// client: it follows Entra's redirect back to the console's loopback listener, as a browser
/// would once the user has signed in.
fn console_pc(emulator: &Emulator, dir: &std::path::Path) -> Arc<AppCore> {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()).expect("ca");
    let browser = reqwest::Client::builder()
        .tls_certs_merge([ca])
        .build()
        .expect("browser");
    let runtime = tokio::runtime::Handle::current();
    let opened: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let seen = opened.clone();
    Arc::new(
        AppCore::new(
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
                if let Ok(mut list) = seen.lock() {
                    list.push(url.to_string());
                }
                let browser = browser.clone();
                let url = url.to_string();
                runtime.spawn(async move {
                    let _ = browser.get(url).send().await;
                });
                Ok(())
            }),
            Arc::new(|| {}),
        ),
    )
}

async fn sign_in_with_device_code(
    emulator: &Emulator,
    core: &Arc<AppCore>,
    upn: &str,
) -> akv_core::error::AppResult<AppStatus> {
    let connecting = {
        let core = core.clone();
        let settings = settings(emulator);
        tokio::spawn(async move {
            core.connect(ConnectRequest {
                settings,
                client_secret: None,
                method: Some(SignInMethod::DeviceCode),
                remember: false,
            })
            .await
        })
    };
    // The technician reads the code from the Connect modal and enters it at the address.
    let mut shown = None;
    for _ in 0..100 {
        if let Some(prompt) = core.status().await.sign_in.and_then(|s| s.device_code) {
            shown = Some(prompt);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let prompt = shown.expect("the device code is shown while the console waits");
    assert_eq!(prompt.verification_uri, emulator.device_login_url());
    emulator
        .approve_device_code(&prompt.user_code, upn)
        .expect("approve");
    connecting.await.expect("join")
}

async fn sign_in_with_browser(
    emulator: &Emulator,
    core: &Arc<AppCore>,
    upn: &str,
) -> akv_core::error::AppResult<AppStatus> {
    emulator.set_interactive_user(Some(upn));
    core.connect(ConnectRequest {
        settings: settings(emulator),
        client_secret: None,
        method: Some(SignInMethod::Browser),
        remember: false,
    })
    .await
}

fn add(vendor: &str, value: &str) -> AddKeyRequest {
    AddKeyRequest {
        generate: None,
        short_reason: None,
        vendor_id: vendor.into(),
        label: None,
        value: Some(SecretValue::new(value)),
        parts: Vec::new(),
        fields: Default::default(),
        expiry: None,
        interval_days: None,
        owner: String::new(),
        note: String::new(),
    }
}

#[tokio::test]
async fn technicians_sign_in_as_themselves_and_get_exactly_the_role_entra_assigned() {
    let emulator = signin_emulator(3600).await;
    let ada_pc = tempfile::tempdir().expect("tempdir");
    let lee_pc = tempfile::tempdir().expect("tempdir");

    // Ada signs in through the browser (authorization code + PKCE, loopback redirect).
    let ada = console_pc(&emulator, ada_pc.path());
    let status = sign_in_with_browser(&emulator, &ada, ADA)
        .await
        .expect("browser sign-in");
    assert_eq!(status.mode, Mode::Connected);
    let operator = status.operator.expect("signed in");
    assert_eq!(operator.name, "Ada Admin");
    assert_eq!(operator.upn.as_deref(), Some(ADA));
    assert_eq!(operator.identity, IdentityKind::Entra);
    assert_eq!(operator.role, Some(ConsoleRole::Admin));
    assert_eq!(emulator.grant_count(GrantType::AuthorizationCode), 1);
    assert!(!status.can_change_role, "no role choice when signed in");

    // A fresh vault has no policy: admin-only until the Admin saves the manual's defaults.
    let (console, admin) = ada.console().await.expect("console");
    console.save_default_policy(&admin).await.expect("defaults");
    for (vendor, value) in [
        ("atera", "atera-value-0001"),
        ("sentinelone", "s1-value-0002"),
    ] {
        console
            .add_key(&admin, add(vendor, value), Utc::now())
            .await
            .expect("add");
    }

    // Lee signs in with a device code and is L1: RMM yes, EDR no.
    let lee = console_pc(&emulator, lee_pc.path());
    let status = sign_in_with_device_code(&emulator, &lee, LEE)
        .await
        .expect("device code sign-in");
    let lee_operator = status.operator.expect("signed in");
    assert_eq!(lee_operator.role, Some(ConsoleRole::L1));
    assert_eq!(lee_operator.upn.as_deref(), Some(LEE));
    let (lee_console, l1) = lee.console().await.expect("console");
    lee_console
        .copy_key(&l1, "atera", |value| {
            assert_eq!(value.expose(), "atera-value-0001");
            Ok(())
        })
        .await
        .expect("L1 may copy an RMM key");
    let refused = lee_console
        .copy_key(&l1, "sentinelone", |_| panic!("no value for L1"))
        .await
        .expect_err("L1 may not copy an EDR key");
    assert_eq!(refused.code, ErrorCode::AccessDenied);
    console
        .copy_key(&admin, "sentinelone", |_| Ok(()))
        .await
        .expect("the Admin gets the EDR key");

    // Key Vault saw each technician, never a shared app identity.
    let log = emulator.request_log();
    let vault_calls: Vec<_> = log.iter().filter(|r| r.caller.is_some()).collect();
    assert!(!vault_calls.is_empty());
    assert!(
        vault_calls
            .iter()
            .all(|r| r.caller.as_ref().is_some_and(|c| c.is_user())),
        "every authenticated vault call carried a user's token"
    );
    assert!(!emulator.requests_by(LEE).is_empty());
    assert!(!emulator.requests_by(ADA).is_empty());
    let lee_reads: Vec<_> = emulator
        .requests_by(LEE)
        .into_iter()
        .filter(|r| r.secret_name.as_deref() == Some("atera") && r.method == "GET")
        .collect();
    assert_eq!(lee_reads.len(), 1, "Lee's copy was Lee's request");

    // The audit entries name the verified identity.
    let entries = lee_console
        .audit_view(&l1, &Default::default())
        .expect("audit");
    let copy = entries
        .entries
        .iter()
        .find(|e| e.action == akv_core::audit::AuditAction::Retrieve)
        .expect("copy entry");
    assert_eq!(copy.upn.as_deref(), Some(LEE));
    assert_eq!(copy.identity.as_deref(), Some("entra"));
    assert!(copy.oid.as_deref().is_some_and(|oid| !oid.is_empty()));
}

#[tokio::test]
async fn no_app_role_means_no_key_access_and_the_error_says_how_to_get_one() {
    let emulator = signin_emulator(3600).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ada = console_pc(&emulator, dir.path().join("ada").as_path());
    sign_in_with_browser(&emulator, &ada, ADA)
        .await
        .expect("ada");
    let (console, admin) = ada.console().await.expect("console");
    console.save_default_policy(&admin).await.expect("defaults");
    console
        .add_key(&admin, add("atera", "atera-value-0001"), Utc::now())
        .await
        .expect("add");

    let nora = console_pc(&emulator, dir.path().join("nora").as_path());
    let status = sign_in_with_device_code(&emulator, &nora, NORA)
        .await
        .expect("Nora signs in");
    let operator = status.operator.expect("signed in");
    assert_eq!(operator.role, None);
    let (nora_console, nobody) = nora.console().await.expect("console");
    let refused = nora_console
        .copy_key(&nobody, "atera", |_| panic!("no value without a role"))
        .await
        .expect_err("no role, no key");
    assert_eq!(refused.code, ErrorCode::NoAppRole);
    assert!(refused.message.contains(NORA), "{}", refused.message);
    assert!(
        refused.hint.contains("Users and groups"),
        "{}",
        refused.hint
    );
    // A local profile edit cannot give her one.
    let error = nora
        .set_profile("Nora No-Role", Some(ConsoleRole::Admin))
        .await
        .expect_err("no role from the profile");
    assert_eq!(error.code, ErrorCode::InvalidInput);
}

#[tokio::test]
async fn a_key_vault_refusal_names_the_signed_in_user_and_the_role_they_lack() {
    let emulator = signin_emulator(3600).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let uma = console_pc(&emulator, dir.path());
    sign_in_with_browser(&emulator, &uma, UMA)
        .await
        .expect("a Secrets User may sign in and read");
    let (console, operator) = uma.console().await.expect("console");
    assert_eq!(operator.role, Some(ConsoleRole::Admin));
    let refused = console
        .add_key(&operator, add("atera", "atera-value-0001"), Utc::now())
        .await
        .expect_err("Key Vault refuses a Secrets User's write");
    assert_eq!(refused.code, ErrorCode::ForbiddenByRbac);
    assert!(refused.message.contains(UMA), "{}", refused.message);
    assert!(
        refused.hint.contains("Key Vault Secrets Officer"),
        "{}",
        refused.hint
    );
}

#[tokio::test]
async fn tokens_are_renewed_with_the_refresh_token_and_a_role_change_in_entra_follows() {
    // Tokens shorter than the 5-minute renewal margin are renewed at every use; they expire
    // after 3 s, so a revoked sign-in shows soon after.
    let emulator = signin_emulator(3).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ada = console_pc(&emulator, dir.path().join("ada").as_path());
    sign_in_with_browser(&emulator, &ada, ADA)
        .await
        .expect("ada");
    let (console, admin) = ada.console().await.expect("console");
    console.save_default_policy(&admin).await.expect("defaults");

    let lee = console_pc(&emulator, dir.path().join("lee").as_path());
    sign_in_with_device_code(&emulator, &lee, LEE)
        .await
        .expect("lee");
    let (_, l1) = lee.console().await.expect("console");
    assert_eq!(l1.role, Some(ConsoleRole::L1));
    let before = emulator.grant_count(GrantType::RefreshToken);
    // Views come from the snapshot; a Refresh lists the vault again, with a renewed token.
    let client = lee.status().await.clients[0].id.clone();
    lee.refresh(Some(&client))
        .await
        .expect("listing with a renewed token");
    assert!(
        emulator.grant_count(GrantType::RefreshToken) > before,
        "the access token was renewed with the refresh token"
    );

    // An Entra admin moves Lee from L1 to NOC; the next renewal carries it.
    emulator
        .remove_app_role(LEE, CONSOLE_CLIENT, CONSOLE_L1)
        .expect("remove");
    emulator
        .assign_app_role(LEE, CONSOLE_CLIENT, CONSOLE_NOC)
        .expect("assign");
    lee.refresh(Some(&client)).await.expect("listing");
    let (_, now) = lee.console().await.expect("console");
    assert_eq!(now.role, Some(ConsoleRole::Noc));

    // The refresh token revoked: once the last access token has expired, a named error.
    emulator.revoke_refresh_tokens(LEE);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let error = lee.refresh(Some(&client)).await.expect_err("revoked");
    assert_eq!(error.code, ErrorCode::SessionExpired, "{error:?}");
    assert!(error.hint.contains("Sign in with Microsoft"), "{error:?}");
    lee.disconnect().await;
    assert_eq!(lee.status().await.mode, Mode::NotConnected);
}

#[tokio::test]
async fn a_cancelled_sign_in_keeps_the_console_as_it_was() {
    let emulator = signin_emulator(3600).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let core = console_pc(&emulator, dir.path());
    let connecting = {
        let core = core.clone();
        let settings = settings(&emulator);
        tokio::spawn(async move {
            core.connect(ConnectRequest {
                settings,
                client_secret: None,
                method: Some(SignInMethod::DeviceCode),
                remember: false,
            })
            .await
        })
    };
    for _ in 0..100 {
        if core
            .status()
            .await
            .sign_in
            .is_some_and(|s| s.device_code.is_some())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    core.cancel_sign_in();
    let error = connecting.await.expect("join").expect_err("cancelled");
    assert_eq!(error.code, ErrorCode::SignInCancelled);
    let status = core.status().await;
    assert_eq!(status.mode, Mode::NotConnected);
    assert!(status.sign_in.is_none());
}

#[tokio::test]
async fn roles_from_another_app_registration_are_refused_once_the_policy_pins_the_console() {
    let emulator = Emulator::start(EmulatorConfig {
        token_lifetime_secs: 3600,
        public_clients: vec![
            PublicClient::new(DEFAULT_TENANT, CONSOLE_CLIENT),
            PublicClient::new(DEFAULT_TENANT, ROGUE_CLIENT),
        ],
        users: vec![
            TestUser::new(DEFAULT_TENANT, ADA, "Ada Admin")
                .with_vault_role(Role::SecretsOfficer)
                .with_app_role(CONSOLE_CLIENT, CONSOLE_ADMIN),
            // No role on the console's app; Admin on an app she registered herself.
            TestUser::new(DEFAULT_TENANT, MALLORY, "Mallory")
                .with_vault_role(Role::SecretsOfficer)
                .with_app_role(ROGUE_CLIENT, CONSOLE_ADMIN),
        ],
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let ada_pc = tempfile::tempdir().expect("tempdir");
    let mallory_pc = tempfile::tempdir().expect("tempdir");

    // Ada connects first; the vault's policy does not exist yet, so nothing is pinned.
    let ada = console_pc(&emulator, ada_pc.path());
    sign_in_with_browser(&emulator, &ada, ADA)
        .await
        .expect("Ada signs in");
    let (console, admin) = ada.console().await.expect("console");
    console
        .add_key(&admin, add("atera", "atera-value-0001"), Utc::now())
        .await
        .expect("add");

    // Mallory signs in through her own app registration. Unpinned, her Console.Admin still
    // counts (as before the pin), and the Distribute tab says the policy is not pinned.
    let mallory = console_pc(&emulator, mallory_pc.path());
    emulator.set_interactive_user(Some(MALLORY));
    let rogue_settings = ConnectionSettings {
        client_id: ROGUE_CLIENT.into(),
        ..settings(&emulator)
    };
    mallory
        .connect(ConnectRequest {
            settings: rogue_settings,
            client_secret: None,
            method: Some(SignInMethod::Browser),
            remember: false,
        })
        .await
        .expect("Mallory signs in through her app");
    let (unpinned_console, rogue) = mallory.console().await.expect("console");
    assert_eq!(rogue.role, Some(ConsoleRole::Admin));
    let view = unpinned_console
        .distribution_view(&rogue)
        .await
        .expect("view");
    let pin = view.app_pin.expect("shown when connected");
    assert!(!pin.pinned);
    assert!(pin.text.contains("No app registration is pinned"));

    // Ada saves the policy: it pins the console's app (and tenant).
    console.save_default_policy(&admin).await.expect("defaults");
    let view = console.distribution_view(&admin).await.expect("view");
    let pin = view.app_pin.expect("shown");
    assert!(pin.pinned);
    assert!(pin.text.contains(CONSOLE_CLIENT));

    // Mallory's console reads the pinned policy: her app's roles count for nothing, and the
    // refusal names the console's app.
    mallory.refresh(None).await.expect("refresh");
    let status = mallory.status().await;
    assert_eq!(status.operator.as_ref().and_then(|o| o.role), None);
    let (rogue_console, rogue) = mallory.console().await.expect("console");
    let refused = rogue_console
        .copy_key(&rogue, "atera", |_| {
            panic!("no value through a foreign app")
        })
        .await
        .expect_err("a self-made Console.Admin is no Admin");
    assert_eq!(refused.code, ErrorCode::ForeignApp);
    assert!(
        refused.message.contains(CONSOLE_CLIENT),
        "{}",
        refused.message
    );
    assert!(
        refused.message.contains(ROGUE_CLIENT),
        "{}",
        refused.message
    );
    let refused = rogue_console
        .set_access(&rogue, ConsoleRole::L1, "atera", false)
        .await
        .expect_err("nor may she re-pin by saving");
    assert_eq!(refused.code, ErrorCode::AdminOnly);
    // A new connection through her app is refused the same way (the old one lets go of the
    // vault's audit log first).
    drop((unpinned_console, rogue_console));
    emulator.set_interactive_user(Some(MALLORY));
    let status = mallory
        .connect(ConnectRequest {
            settings: ConnectionSettings {
                client_id: ROGUE_CLIENT.into(),
                ..settings(&emulator)
            },
            client_secret: None,
            method: Some(SignInMethod::Browser),
            remember: false,
        })
        .await
        .expect("the connection itself works");
    assert_eq!(status.operator.and_then(|o| o.role), None);
    // Ada, through the pinned app, is still Admin.
    let (console, admin) = ada.console().await.expect("console");
    assert_eq!(admin.role, Some(ConsoleRole::Admin));
    console
        .copy_key(&admin, "atera", |_| Ok(()))
        .await
        .expect("the Admin copies");
}
