//! End-to-end: the console's own client secret. Connected with an app secret that expires in
//! five days, the window warns; the Entra App Secret key is rotated at the vendor in one click
//! (Graph addPassword, reconnect with the new secret, removePassword of the old one) and the
//! console stays connected, the warning gone.

use std::time::Duration;

use akv_tests::e2e::{App, ConnectForm, Launch, Profile, Result};
use akv_tests::emulator::{
    APPLICATION_READWRITE_OWNEDBY, AppRegistration, ClientSecret, DEFAULT_TENANT, Emulator,
    EmulatorConfig, Owner, Role, RouteKind,
};
use chrono::Utc;
use fantoccini::Locator;

const CLIENT: &str = "abcdabcd-1111-4222-8333-444444444444";
const OLD_SECRET: &str = "e2e~Own.Secret-0001-abcdefghijkl";
const VAULT: &str = "msp-e2e-entra";

async fn accepted(emulator: &Emulator, secret: &str) -> bool {
    let Ok(ca) = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()) else {
        return false;
    };
    let Ok(http) = reqwest::Client::builder()
        .tls_certs_only([ca])
        .no_proxy()
        .build()
    else {
        return false;
    };
    http.post(format!(
        "{}/{DEFAULT_TENANT}/oauth2/v2.0/token",
        emulator.authority_host()
    ))
    .form(&[
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT),
        ("client_secret", secret),
        ("scope", "https://vault.azure.net/.default"),
    ])
    .send()
    .await
    .map(|r| r.status().is_success())
    .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consoles_own_secret_is_rotated_in_one_click_and_the_console_stays_connected()
-> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let emulator = Emulator::start(EmulatorConfig {
        apps: vec![AppRegistration {
            tenant: DEFAULT_TENANT.into(),
            client_id: CLIENT.into(),
            secrets: vec![ClientSecret::expiring(
                OLD_SECRET,
                Utc::now() + chrono::Duration::days(5),
            )],
            role: Some(Role::SecretsOfficer),
        }],
        ..EmulatorConfig::default()
    })
    .await?;
    emulator
        .grant_graph_permission(DEFAULT_TENANT, CLIENT, APPLICATION_READWRITE_OWNEDBY)
        .map_err(|e| format!("{e:?}"))?;
    emulator
        .add_application_owner(DEFAULT_TENANT, CLIENT, Owner::App(CLIENT.into()))
        .map_err(|e| format!("{e:?}"))?;
    let profile = Profile::new("entra")?;
    let launch = Launch::default().with_env(
        "AKV_E2E_PING_CA",
        emulator.ca_pem_path().display().to_string(),
    );
    let app = App::launch("entra", &profile, launch).await?;
    app.connect_to(
        &emulator,
        &ConnectForm {
            name: "Dana Reyes",
            client_name: "",
            tenant: DEFAULT_TENANT,
            client: CLIENT,
            secret: OLD_SECRET,
            vault: VAULT,
            remember: false,
        },
    )
    .await?;
    app.badge_is("VAULT: MSP-E2E-ENTRA").await?;
    let warning = app
        .wait_for("[data-testid=secret-warning]", Duration::from_secs(10))
        .await?;
    let text = warning.text().await?;
    assert!(text.contains("expires in"), "{text}");

    // The console's own secret as a key: its two parts and the tenant, then its token URL
    // pointed at the emulator (standing in for login.microsoftonline.com), confirmed by the Admin.
    app.click("[data-testid=add-key]").await?;
    app.select("[data-testid=add-vendor]", "entra-app-secret")
        .await?;
    app.type_into("[data-testid=add-part-client_id]", CLIENT)
        .await?;
    app.type_into("[data-testid=add-part-client_secret]", OLD_SECRET)
        .await?;
    app.type_into("[data-testid=add-field-tenant]", DEFAULT_TENANT)
        .await?;
    app.click("[data-testid=add-save]").await?;
    let row = "[data-testid=vault-row][data-vendor=entra-app-secret]";
    app.eventually("the Entra row", Duration::from_secs(15), || async {
        Ok(app.count("[data-testid=add-key-modal]").await? == 0
            && app
                .text(&format!("{row} [data-testid=masked-preview]"))
                .await?
                .contains('•'))
    })
    .await?;
    app.click(&format!("{row} button.vendor")).await?;
    app.wait_for("[data-testid=detail-panel]", Duration::from_secs(10))
        .await?;
    app.click("[data-testid=edit-settings]").await?;
    let token_url = format!(
        "{}/{DEFAULT_TENANT}/oauth2/v2.0/token",
        emulator.authority_host()
    );
    app.type_into("[data-testid=set-endpoint]", &token_url)
        .await?;
    app.type_into("#set-token", &token_url).await?;
    app.click("[data-testid=save-settings]").await?;
    app.wait_for("[data-testid=confirm-host-check]", Duration::from_secs(10))
        .await?;
    app.click("[data-testid=confirm-host-check]").await?;
    app.click("[data-testid=save-settings]").await?;
    app.wait_for("[data-testid=edit-settings]", Duration::from_secs(10))
        .await?;
    app.click("[data-testid=detail-panel] button[aria-label='Close details']")
        .await?;

    // One click: rotate at the vendor.
    app.click(&format!("{row} [data-testid=rotate-row]"))
        .await?;
    app.click("[data-testid=rotate-at-vendor]").await?;
    app.eventually(
        "the rotation to finish",
        Duration::from_secs(30),
        || async {
            for toast in app
                .client
                .find_all(Locator::Css("[data-testid=toast]"))
                .await?
            {
                if toast
                    .text()
                    .await?
                    .contains("reconnected with the new secret")
                {
                    return Ok(true);
                }
            }
            Ok(false)
        },
    )
    .await?;
    app.badge_is("VAULT: MSP-E2E-ENTRA").await?;
    app.eventually("the warning to go", Duration::from_secs(10), || async {
        Ok(app.count("[data-testid=secret-warning]").await? == 0)
    })
    .await?;
    assert_eq!(emulator.request_count(RouteKind::GraphAddPassword), 1);
    assert_eq!(emulator.request_count(RouteKind::GraphRemovePassword), 1);
    assert!(
        !accepted(&emulator, OLD_SECRET).await,
        "the old secret was removed"
    );
    assert!(!app.webview_contents().await?.contains(OLD_SECRET));
    app.screenshot("entra-own-secret-rotated.png").await?;
    app.quit().await;
    Ok(())
}
