//! End-to-end against the local Key Vault + Entra emulator: the Connect modal with a Custom cloud,
//! a key added in the window living in the vault, the remembered connection after a restart, and
//! a wrong client secret explained in the modal.

use std::time::Duration;

use akv_tests::e2e::{App, ConnectForm, Launch, Profile, Result, marker};
use akv_tests::emulator::{AppRegistration, DEFAULT_TENANT, Emulator, EmulatorConfig, Role};

const CLIENT: &str = "77777777-7777-4777-8777-777777777777";
const SECRET: &str = "e2e-client-secret~Value.123";
const VAULT: &str = "msp-e2e-vault";

async fn emulator() -> Result<Emulator> {
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    emulator.register_app(AppRegistration::new(
        DEFAULT_TENANT,
        CLIENT,
        SECRET,
        Some(Role::SecretsOfficer),
    ));
    Ok(emulator)
}

fn form<'a>(name: &'a str, secret: &'a str, remember: bool) -> ConnectForm<'a> {
    ConnectForm {
        client_name: "",
        name,
        tenant: DEFAULT_TENANT,
        client: CLIENT,
        secret,
        vault: VAULT,
        remember,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_through_the_modal_adds_a_key_and_stays_connected_after_restart() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let emulator = emulator().await?;
    let profile = Profile::new("connected")?;
    let app = App::launch("connected", &profile, Launch::default()).await?;
    assert_eq!(
        app.text("[data-testid=connection-badge]").await?,
        "NOT CONNECTED"
    );

    app.connect_to(&emulator, &form("Dana Reyes", SECRET, true))
        .await?;
    app.badge_is("VAULT: MSP-E2E-VAULT").await?;

    // Add a key: it is stored in the vault, and the window only ever sees its masked preview.
    let value = marker("vault");
    app.click("[data-testid=add-key]").await?;
    app.select("[data-testid=add-vendor]", "cisco-meraki")
        .await?;
    app.type_into("[data-testid=add-value]", &value).await?;
    app.type_into("[data-testid=add-note]", "dashboard read-only key")
        .await?;
    app.click("[data-testid=add-save]").await?;
    let row = "[data-testid=vault-row][data-vendor=cisco-meraki] [data-testid=masked-preview]";
    app.eventually(
        "the Meraki row's preview",
        Duration::from_secs(15),
        || async { Ok(app.text(row).await?.contains('•')) },
    )
    .await?;
    assert_eq!(
        emulator.secret_value("cisco-meraki").as_deref(),
        Some(value.as_str())
    );
    assert!(!app.webview_contents().await?.contains(&value));
    assert!(
        !app.webview_contents().await?.contains(SECRET),
        "the client secret reached the webview"
    );
    app.type_into("[data-testid=vault-search]", "meraki")
        .await?;
    app.screenshot("connected-vault.png").await?;
    app.quit().await;

    // Restart with the remembered connection: the key is listed again, read from the vault.
    let app = App::launch("connected-restart", &profile, Launch::default()).await?;
    app.badge_is("VAULT: MSP-E2E-VAULT").await?;
    app.eventually(
        "the Meraki row after restart",
        Duration::from_secs(15),
        || async { Ok(app.text(row).await?.contains('•')) },
    )
    .await?;
    app.type_into("[data-testid=vault-search]", "meraki")
        .await?;
    app.screenshot("connected-after-restart.png").await?;
    app.quit().await;

    // On disk: the config names the vault, the client secret and the key are nowhere.
    let config = profile
        .files()
        .into_iter()
        .find(|p| p.ends_with("config.json"))
        .ok_or("no config.json was written")?;
    let text = std::fs::read_to_string(&config)?;
    assert!(text.contains(VAULT) && text.contains(CLIENT));
    for needle in [SECRET, value.as_str()] {
        let files: Vec<_> = profile
            .files_containing(needle)
            .into_iter()
            // GNOME Keyring's own encrypted store is where the secret belongs.
            .filter(|p| !p.to_string_lossy().contains("/keyrings/"))
            .collect();
        assert!(files.is_empty(), "{needle} found on disk in {files:?}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_is_explained_in_the_modal() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let emulator = emulator().await?;
    let profile = Profile::new("wrong-secret")?;
    let app = App::launch("wrong-secret", &profile, Launch::default()).await?;
    // The minimum window, where the modal's form is taller than the screen.
    app.client.set_window_size(1024, 640).await?;
    app.connect_to(
        &emulator,
        &form("Sam Okafor", "not-the-right-secret", false),
    )
    .await?;
    let error = app
        .wait_for("[data-testid=connect-error]", Duration::from_secs(30))
        .await?;
    let text = error.text().await?;
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(
        text.contains("Value"),
        "the hint should say to paste the secret's Value: {text}"
    );
    // The error is scrolled into view in the modal, not left below the fold.
    app.eventually("the error in view", Duration::from_secs(10), || async {
        let shown = app
            .eval(
                "const e = document.querySelector('[data-testid=connect-error]'); const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;",
            )
            .await?;
        Ok(shown == serde_json::json!(true))
    })
    .await?;
    assert_eq!(
        app.text("[data-testid=connection-badge]").await?,
        "NOT CONNECTED"
    );
    app.screenshot("connect-wrong-secret.png").await?;
    app.quit().await;
    Ok(())
}
