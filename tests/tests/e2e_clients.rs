//! End-to-end, two clients in two tenants (two emulators): the first connects from the top bar,
//! the second from the sidebar's Clients list; the portfolio shows both with a Client column and
//! a filter; a key added for one client lands in that client's vault only; removing a client
//! leaves its vault untouched.

use std::time::Duration;

use akv_tests::e2e::{App, ConnectForm, Launch, Profile, Result, marker};
use akv_tests::emulator::{AppRegistration, DEFAULT_TENANT, Emulator, EmulatorConfig, Role};

const CONTOSO_CLIENT: &str = "88888888-8888-4888-8888-888888888888";
const CONTOSO_SECRET: &str = "contoso-e2e-secret~Value.1";
const FABRIKAM_TENANT: &str = "f0f0f0f0-2222-4333-8444-555555555555";
const FABRIKAM_CLIENT: &str = "99999999-9999-4999-8999-999999999999";
const FABRIKAM_SECRET: &str = "fabrikam-e2e-secret~Value.2";

async fn tenant_vault(tenant: &str, client: &str, secret: &str) -> Result<Emulator> {
    let emulator = Emulator::start(EmulatorConfig {
        vault_tenant: tenant.into(),
        ..EmulatorConfig::default()
    })
    .await?;
    emulator.register_app(AppRegistration::new(
        tenant,
        client,
        secret,
        Some(Role::SecretsOfficer),
    ));
    Ok(emulator)
}

async fn rows_of(app: &App, client: &str) -> Result<usize> {
    app.count(&format!("[data-testid=vault-row][data-client='{client}']"))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_side_by_side_in_the_portfolio_and_one_removed() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let contoso = tenant_vault(DEFAULT_TENANT, CONTOSO_CLIENT, CONTOSO_SECRET).await?;
    let fabrikam = tenant_vault(FABRIKAM_TENANT, FABRIKAM_CLIENT, FABRIKAM_SECRET).await?;
    let profile = Profile::new("clients")?;
    // Removing a client is confirmed in Rust's native dialog, which Xvfb cannot click: the
    // debug build takes the answer from the environment.
    let app = App::launch(
        "clients",
        &profile,
        Launch::default().with_env("AKV_E2E_CONFIRM", "accept"),
    )
    .await?;

    app.connect_to(
        &contoso,
        &ConnectForm {
            name: "Dana Reyes",
            client_name: "Contoso Dental",
            tenant: DEFAULT_TENANT,
            client: CONTOSO_CLIENT,
            secret: CONTOSO_SECRET,
            vault: "contoso-vault",
            remember: false,
        },
    )
    .await?;
    app.badge_is("VAULT: CONTOSO-VAULT").await?;
    let contoso_value = marker("contoso");
    app.add_key("atera", &contoso_value).await?;

    app.add_client(
        &fabrikam,
        &ConnectForm {
            name: "Dana Reyes",
            client_name: "Fabrikam Logistics",
            tenant: FABRIKAM_TENANT,
            client: FABRIKAM_CLIENT,
            secret: FABRIKAM_SECRET,
            vault: "fabrikam-vault",
            remember: false,
        },
    )
    .await?;
    app.badge_is("2 CLIENTS CONNECTED").await?;
    assert_eq!(
        app.count("[data-testid=client-item][data-state=connected]")
            .await?,
        2
    );
    // All clients opens on the client overview, one row per client; the keys are one click away.
    app.eventually("two overview rows", Duration::from_secs(10), || async {
        Ok(app.count("[data-testid=overview-row]").await? == 2)
    })
    .await?;
    app.show_all_keys().await?;

    // Add a key while both are shown: the modal asks which client's vault gets it.
    app.click("[data-testid=add-key]").await?;
    app.find("[data-testid=add-client-select]")
        .await?
        .select_by_label("Fabrikam Logistics")
        .await?;
    app.select("[data-testid=add-vendor]", "sentinelone")
        .await?;
    let fabrikam_value = marker("fabrikam");
    app.type_into("[data-testid=add-value]", &fabrikam_value)
        .await?;
    app.click("[data-testid=add-save]").await?;
    app.eventually("Fabrikam's key row", Duration::from_secs(15), || async {
        Ok(rows_of(&app, "Fabrikam Logistics").await? == 1)
    })
    .await?;
    assert_eq!(
        fabrikam.secret_value("sentinelone").as_deref(),
        Some(fabrikam_value.as_str())
    );
    assert_eq!(contoso.secret_value("sentinelone"), None);
    assert_eq!(fabrikam.secret_value("atera"), None);

    // The portfolio: a Client column, both clients' keys, a filter.
    assert!(app.count("[data-testid=row-client]").await? >= 2);
    assert_eq!(rows_of(&app, "Contoso Dental").await?, 1);
    app.screenshot("clients-portfolio.png").await?;
    app.find("[data-testid=client-filter]")
        .await?
        .select_by_label("Fabrikam Logistics")
        .await?;
    app.eventually("only Fabrikam's rows", Duration::from_secs(10), || async {
        Ok(rows_of(&app, "Contoso Dental").await? == 0
            && rows_of(&app, "Fabrikam Logistics").await? > 1)
    })
    .await?;
    // Opened alone, the client's vendors without a key are listed too, without the Client column.
    assert_eq!(app.count("[data-testid=row-client]").await?, 0);
    app.click("[data-testid=client-all]").await?;
    app.wait_for("[data-testid=overview-row]", Duration::from_secs(10))
        .await?;
    app.show_all_keys().await?;
    app.wait_for("[data-testid=row-client]", Duration::from_secs(10))
        .await?;

    // Remove Fabrikam: gone from the console, its vault and key untouched.
    app.click(
        "[data-testid=client-item][data-client='Fabrikam Logistics'] ~ [data-testid=client-menu]",
    )
    .await?;
    app.click("[data-testid=client-remove]").await?;
    app.badge_is("VAULT: CONTOSO-VAULT").await?;
    assert_eq!(app.count("[data-testid=client-item]").await?, 1);
    assert_eq!(
        fabrikam.secret_value("sentinelone").as_deref(),
        Some(fabrikam_value.as_str())
    );
    assert!(!app.webview_contents().await?.contains(&fabrikam_value));
    assert!(!app.webview_contents().await?.contains(&contoso_value));
    app.screenshot("clients-after-remove.png").await?;
    app.quit().await;
    Ok(())
}
