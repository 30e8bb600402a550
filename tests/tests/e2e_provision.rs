//! End-to-end (issue 20): an MSP technician signs in once (device code, the MSP's home tenant),
//! discovers three more clients' vaults in their tenants and adds them at once, then provisions a
//! fifth client's vault through the "New vault…" wizard; every client ends connected in the
//! portfolio. One emulator plays Entra and Resource Manager for every tenant; each vault's data
//! plane is an emulator of its own. Screenshots are kept in test-artifacts/e2e.

use std::sync::Arc;
use std::time::Duration;

use akv_tests::e2e::{App, Launch, Profile, Result};
use akv_tests::emulator::{
    CONSOLE_ADMIN, DEFAULT_TENANT, Emulator, EmulatorConfig, PublicClient, Role, TestUser,
    azure_roles,
};
use akv_tests::tls::TestCa;

const CONSOLE_CLIENT: &str = "45454545-4545-4545-8545-454545454545";
const ADA: &str = "ada@msp.example";
const NEW_VAULT: &str = "northwind-keys";

fn tenant(index: usize) -> String {
    format!("e2e{index:05x}-0000-4000-8000-{index:012x}")
}

struct Msp {
    entra: Emulator,
    /// The data planes of the four existing vaults, then the one provisioning makes.
    _vaults: Vec<Emulator>,
    new_subscription: String,
    /// Object IDs of Northwind's two Key Vault groups.
    officers: String,
    readers: String,
}

const CLIENTS: [(&str, &str, &str); 4] = [
    ("Alder Dental", "alder.example", "alder-keys"),
    ("Birch Logistics", "birch.example", "birch-keys"),
    ("Cedar Legal", "cedar.example", "cedar-keys"),
    ("Dogwood Clinic", "dogwood.example", "dogwood-keys"),
];

async fn msp() -> Result<Msp> {
    let ca = Arc::new(TestCa::generate("e2e MSP CA")?);
    let entra = Emulator::start(EmulatorConfig {
        ca: Some(ca.clone()),
        public_clients: vec![PublicClient::new(DEFAULT_TENANT, CONSOLE_CLIENT)],
        users: vec![
            TestUser::new(DEFAULT_TENANT, ADA, "Ada Admin")
                .with_app_role(CONSOLE_CLIENT, CONSOLE_ADMIN),
        ],
        ..EmulatorConfig::default()
    })
    .await?;
    entra.set_device_code_interval(1);
    entra.make_multi_tenant(DEFAULT_TENANT, CONSOLE_CLIENT)?;
    let mut vaults = Vec::new();
    for (index, (name, domain, vault_name)) in CLIENTS.iter().enumerate() {
        let client_tenant = tenant(index + 1);
        entra.consent_in_tenant(&client_tenant, CONSOLE_CLIENT)?;
        let guest = entra.add_guest(&client_tenant, ADA)?;
        entra.set_tenant_name(&client_tenant, name, domain);
        let subscription = entra.add_subscription(&client_tenant, &format!("{name} production"));
        entra.grant_azure_role(
            &client_tenant,
            ADA,
            azure_roles::READER,
            &format!("/subscriptions/{subscription}"),
        )?;
        let vault = Emulator::start(EmulatorConfig {
            ca: Some(ca.clone()),
            vault_tenant: client_tenant.clone(),
            ..EmulatorConfig::default()
        })
        .await?;
        vault.trust_process_entra();
        vault.grant_vault_role_to_object(&guest, Role::SecretsOfficer);
        entra.add_arm_vault(
            &subscription,
            "rg-keys",
            vault_name,
            Some(&vault.vault_url()),
        )?;
        vaults.push(vault);
    }
    // The fifth client: nothing there yet but a subscription Ada owns.
    let new_tenant = tenant(5);
    entra.consent_in_tenant(&new_tenant, CONSOLE_CLIENT)?;
    let guest = entra.add_guest(&new_tenant, ADA)?;
    entra.set_tenant_name(&new_tenant, "Northwind Traders", "northwind.example");
    let new_subscription = entra.add_subscription(&new_tenant, "Northwind production");
    entra.grant_azure_role(
        &new_tenant,
        ADA,
        azure_roles::OWNER,
        &format!("/subscriptions/{new_subscription}"),
    )?;
    // Northwind's directory: the two groups the roles go to, a Microsoft 365 group (not
    // security-enabled) that matches the same search, and Ada reads it through GDAP (Directory
    // Readers) with the console's GroupMember.Read.All consented there.
    entra
        .consent_graph_delegated(&new_tenant, CONSOLE_CLIENT, "GroupMember.Read.All")
        .map_err(|e| e.to_string())?;
    entra.grant_directory_readers(&new_tenant, ADA)?;
    let officers = entra.add_entra_group(
        &new_tenant,
        "Northwind Key Vault Officers",
        Some("MSP technicians: add and rotate keys"),
        true,
    );
    let readers = entra.add_entra_group(
        &new_tenant,
        "Northwind Key Vault Readers",
        Some("Read-only identities"),
        true,
    );
    entra.add_entra_group(
        &new_tenant,
        "Northwind Key Vault Newsletter",
        Some("Microsoft 365 group"),
        false,
    );
    entra.add_group_member(&officers, &guest);
    let data_plane = Emulator::start(EmulatorConfig {
        ca: Some(ca.clone()),
        ..EmulatorConfig::default()
    })
    .await?;
    entra.register_data_plane(NEW_VAULT, &data_plane);
    entra.set_rbac_propagation_delay(Duration::from_secs(2));
    vaults.push(data_plane);
    Ok(Msp {
        entra,
        _vaults: vaults,
        new_subscription,
        officers,
        readers,
    })
}

async fn connected_clients(app: &App) -> Result<usize> {
    app.count("[data-testid=client-item][data-state=connected]")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_once_discover_three_clients_and_provision_a_new_vault() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let msp = msp().await?;
    let profile = Profile::new("provision")?;
    let app = App::launch("provision", &profile, Launch::default()).await?;

    // One sign-in at the MSP's home tenant, through the first client (Alder).
    app.click("[data-testid=open-connect]").await?;
    app.find("[data-testid=connect-modal]").await?;
    app.type_into("[data-testid=connect-client-name]", CLIENTS[0].0)
        .await?;
    app.click("[data-testid=connect-way-sign-in]").await?;
    app.type_into("[data-testid=connect-tenant]", &tenant(1))
        .await?;
    app.type_into("[data-testid=connect-client]", CONSOLE_CLIENT)
        .await?;
    app.type_into("[data-testid=connect-vault]", CLIENTS[0].2)
        .await?;
    app.select("[data-testid=connect-cloud]", "custom").await?;
    app.type_into(
        "[data-testid=connect-authority]",
        &msp.entra.authority_host(),
    )
    .await?;
    app.type_into(
        "[data-testid=connect-vault-url]",
        &msp._vaults[0].vault_url(),
    )
    .await?;
    app.type_into("[data-testid=connect-ca]", &msp.entra.ca_pem())
        .await?;
    app.type_into("[data-testid=connect-home-tenant]", DEFAULT_TENANT)
        .await?;
    app.click("[data-testid=connect-device-code]").await?;
    let code = app
        .wait_for("[data-testid=device-code]", Duration::from_secs(30))
        .await?
        .text()
        .await?;
    msp.entra
        .approve_device_code(code.trim(), ADA)
        .map_err(|e| format!("device code refused: {e:?}"))?;
    app.eventually(
        "the first client connected",
        Duration::from_secs(40),
        || async { Ok(connected_clients(&app).await? == 1) },
    )
    .await?;

    // The Clients header keeps Refresh and Add as buttons and the rest in More, whose menu
    // the keyboard walks: the arrows move, Escape closes it and focus goes back to More.
    app.click("[data-testid=clients-more]").await?;
    app.find("[data-testid=clients-more-menu]").await?;
    app.screenshot("sidebar-more-menu-1360x860.png").await?;
    let focused = "return document.activeElement?.dataset.testid ?? '';";
    assert_eq!(
        app.eval(focused).await?,
        "provision-vault",
        "the first item has focus"
    );
    app.press_on_focused("\u{E015}").await?;
    assert_eq!(
        app.eval(focused).await?,
        "discover-clients",
        "ArrowDown moves"
    );
    app.press_on_focused("\u{E00C}").await?;
    assert_eq!(
        app.count("[data-testid=clients-more-menu]").await?,
        0,
        "Escape closes it"
    );
    assert_eq!(
        app.eval(focused).await?,
        "clients-more",
        "focus is back on More"
    );
    app.resize(1024, 640).await?;
    app.screenshot("sidebar-clients-head-1024x640.png").await?;
    app.resize(1360, 860).await?;

    // Discover: every tenant the sign-in reaches; the three other clients' vaults at once.
    app.client_list_action("discover-clients").await?;
    app.eventually("the discovery", Duration::from_secs(40), || async {
        Ok(app.count("[data-testid=discover-vault]").await? >= 4)
    })
    .await?;
    for vault in ["birch-keys", "cedar-keys", "dogwood-keys"] {
        app.click(&format!("input[aria-label='Add {vault} as a client']"))
            .await?;
    }
    app.screenshot("provision-01-discover.png").await?;
    app.click("[data-testid=discover-add]").await?;
    app.eventually(
        "four clients connected",
        Duration::from_secs(60),
        || async { Ok(connected_clients(&app).await? == 4) },
    )
    .await?;

    // Provision the fifth client's vault through the wizard.
    app.client_list_action("provision-vault").await?;
    app.find("[data-testid=provision-modal]").await?;
    let new_tenant = tenant(5);
    app.eventually("the tenant list", Duration::from_secs(30), || async {
        Ok(app
            .count(&format!(
                "[data-testid=provision-tenant] option[value='{new_tenant}']"
            ))
            .await?
            == 1)
    })
    .await?;
    app.select("[data-testid=provision-tenant]", &new_tenant)
        .await?;
    let subscription = msp.new_subscription.clone();
    app.eventually("the subscriptions", Duration::from_secs(30), || async {
        Ok(app
            .count(&format!(
                "[data-testid=provision-subscription] option[value='{subscription}']"
            ))
            .await?
            == 1)
    })
    .await?;
    app.select("[data-testid=provision-subscription]", &subscription)
        .await?;
    app.eventually("the regions", Duration::from_secs(30), || async {
        Ok(app
            .count("[data-testid=provision-location] option[value='westeurope']")
            .await?
            == 1)
    })
    .await?;
    app.select("[data-testid=provision-location]", "westeurope")
        .await?;
    app.type_into(
        "[data-testid=provision-resource-group]",
        "rg-northwind-keys",
    )
    .await?;
    app.type_into("[data-testid=provision-vault-name]", NEW_VAULT)
        .await?;
    app.eventually("the name check", Duration::from_secs(30), || async {
        Ok(app
            .text("[data-testid=provision-name-check]")
            .await?
            .contains("is free"))
    })
    .await?;
    let client_name = app
        .find("[data-testid=provision-client-name]")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(
        client_name, "Northwind Traders",
        "prefilled from the tenant's name"
    );
    // The technicians' group by keyboard: type, the list opens on the first pickable group,
    // ArrowDown skips the Microsoft 365 group, ArrowUp comes back, Enter picks.
    app.type_into(
        "[data-testid=provision-officer-group-search]",
        "northwind key",
    )
    .await?;
    app.eventually("the group search", Duration::from_secs(30), || async {
        Ok(app
            .count("[data-testid=provision-officer-group-option]")
            .await?
            == 3)
    })
    .await?;
    let options = app
        .text("[data-testid=provision-officer-group-results]")
        .await?;
    assert!(
        options.contains("Northwind Key Vault Newsletter")
            && options.contains("not security-enabled"),
        "the Microsoft 365 group is listed and marked: {options}"
    );
    app.screenshot("provision-02-group-search.png").await?;
    let search = app
        .find("[data-testid=provision-officer-group-search]")
        .await?;
    search.send_keys("\u{E015}").await?; // ArrowDown: Readers
    search.send_keys("\u{E013}").await?; // ArrowUp: Officers
    search.send_keys("\u{E007}").await?; // Enter
    let chosen = app
        .text("[data-testid=provision-officer-group-chosen]")
        .await?;
    assert!(
        chosen.contains("Northwind Key Vault Officers") && chosen.contains(&msp.officers),
        "the chosen group shows its name and Object ID: {chosen}"
    );
    // The read-only group by mouse.
    app.type_into("[data-testid=provision-user-group-search]", "readers")
        .await?;
    app.eventually("the second search", Duration::from_secs(30), || async {
        Ok(app
            .count("[data-testid=provision-user-group-option]")
            .await?
            == 1)
    })
    .await?;
    app.eval("document.querySelector('[data-testid=provision-user-group-option]').dispatchEvent(new MouseEvent('mousedown', {bubbles: true})); return 0;")
        .await?;
    let chosen = app
        .text("[data-testid=provision-user-group-chosen]")
        .await?;
    assert!(chosen.contains(&msp.readers), "{chosen}");
    app.find("[data-testid=provision-review]").await?;
    let review = app.text("[data-testid=provision-review]").await?;
    assert!(
        review.contains("Northwind Key Vault Officers")
            && review.contains("Northwind Key Vault Readers"),
        "the review names the groups: {review}"
    );
    app.screenshot("provision-02-review.png").await?;
    app.click("[data-testid=provision-run]").await?;
    app.eventually("the provisioning", Duration::from_secs(90), || async {
        Ok(app
            .count("[data-testid=provision-step-connect][data-state=done]")
            .await?
            == 1)
    })
    .await?;
    app.screenshot("provision-03-steps.png").await?;
    let steps = app.text("[data-testid=provision-steps]").await?;
    assert!(
        steps.contains("Key Vault Secrets Officer → Northwind Key Vault Officers")
            && steps.contains("Key Vault Secrets User → Northwind Key Vault Readers"),
        "the step list names the groups: {steps}"
    );
    let assigned: Vec<String> = msp
        .entra
        .role_assignments()
        .into_iter()
        .filter(|(scope, _, _)| scope.ends_with(&format!("/vaults/{NEW_VAULT}")))
        .map(|(_, _, principal)| principal)
        .collect();
    assert!(
        assigned.contains(&msp.officers) && assigned.contains(&msp.readers),
        "the roles went to the picked groups: {assigned:?}"
    );
    // The dialog never scrolls sideways (WebKit widened it by the selects' long options).
    let overflow = app
        .eval("const body = document.querySelector('[data-testid=provision-modal] .body'); return body.scrollWidth - body.clientWidth;")
        .await?;
    assert_eq!(
        overflow.as_i64(),
        Some(0),
        "the provisioning dialog scrolls sideways"
    );
    let vault = msp
        .entra
        .arm_vault(NEW_VAULT)
        .ok_or("the vault exists in ARM")?;
    assert!(vault.rbac && vault.purge_protection && vault.retention_days == 90);
    app.click("[data-testid=provision-close]").await?;

    // Every client in the portfolio, connected.
    app.eventually(
        "five clients connected",
        Duration::from_secs(30),
        || async { Ok(connected_clients(&app).await? == 5) },
    )
    .await?;
    for name in CLIENTS
        .iter()
        .map(|(name, _, _)| *name)
        .chain(["Northwind Traders"])
    {
        let row = format!("[data-testid=client-item][data-client='{name}'][data-state=connected]");
        assert_eq!(app.count(&row).await?, 1, "{name} connected in the list");
    }
    app.screenshot("provision-04-portfolio.png").await?;
    app.quit().await;
    Ok(())
}
