//! Discover (issue 20 §2) against the emulator's Resource Manager: after one sign-in at the MSP's
//! home tenant, the console lists every tenant the technician reaches and, per tenant, exactly
//! the vaults Azure RBAC lets them see; a tenant demanding MFA shows on its own row while the
//! others list; throttling and a 503 are retried; and three picked vaults become three clients
//! that connect, with one Tenants - List, one Subscriptions - List per tenant and one vault page
//! per subscription counted at the emulator.

mod support;

use std::sync::Arc;

use akv_core::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use akv_core::error::ErrorCode;
use akv_core::session::{AppCore, AppPaths, ConnectRequest, DiscoveredPick, Discovery};
use akv_core::signin::SignInMethod;
use akv_tests::emulator::{
    DEFAULT_TENANT, Emulator, EmulatorConfig, Fault, PublicClient, Role, RouteKind, azure_roles,
};
use akv_tests::tls::TestCa;
use support::msp::{ADA, CONSOLE_CLIENT, client_tenant, msp_emulator_ca};

/// A client tenant's vault: a vault emulator of that tenant where Ada's guest is Secrets Officer.
async fn vault_in(entra: &Emulator, ca: &Arc<TestCa>, tenant: &str) -> Emulator {
    let vault = Emulator::start(EmulatorConfig {
        ca: Some(ca.clone()),
        vault_tenant: tenant.to_string(),
        ..EmulatorConfig::default()
    })
    .await
    .expect("vault starts");
    vault.trust_process_entra();
    let guest = entra.add_guest(tenant, ADA).expect("guest");
    vault.grant_vault_role_to_object(&guest, Role::SecretsOfficer);
    vault
}

fn console_pc(entra: &Emulator, dir: &std::path::Path) -> Arc<AppCore> {
    let ca = reqwest::Certificate::from_pem(entra.ca_pem().as_bytes()).expect("ca");
    let browser = reqwest::Client::builder()
        .tls_certs_merge([ca])
        .build()
        .expect("browser");
    let runtime = tokio::runtime::Handle::current();
    Arc::new(
        AppCore::new(
            AppPaths {
                config_dir: dir.join("config"),
                data_dir: dir.join("data"),
            },
            false,
            Arc::new(|_| {}),
        )
        .with_options(support::fast_options(), None)
        .with_front_end(
            Arc::new(move |url: &str| {
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

struct World {
    entra: Emulator,
    /// Data planes, kept running for the test.
    vaults: Vec<Emulator>,
}

/// Home tenant (no subscriptions) and four client tenants:
/// - 0 Contoso: subscriptions A (Ada Reader; the seed client's vault and kv-contoso-keys),
///   B (Ada Reader on rg-shared only: kv-contoso-shared listed, kv-contoso-private not) and
///   C (no role: not listed at all, nor its vault);
/// - 1 Fabrikam: kv-fabrikam (Ada Reader on the subscription);
/// - 2 Northwind: Conditional Access demands MFA (its vault cannot be listed);
/// - 3 Tailspin: kv-tailspin (Ada Key Vault Reader on the vault only).
async fn world(ca: &Arc<TestCa>) -> World {
    let entra = msp_emulator_ca(
        PublicClient::new(DEFAULT_TENANT, CONSOLE_CLIENT),
        4,
        Some(ca.clone()),
    )
    .await;
    let names = [
        "Contoso Dental",
        "Fabrikam Legal",
        "Northwind Traders",
        "Tailspin Toys",
    ];
    for (index, name) in names.iter().enumerate() {
        entra.set_tenant_name(&client_tenant(index), name, "example.onmicrosoft.com");
    }
    entra.set_tenant_name(DEFAULT_TENANT, "Ada's MSP", "msp.example");
    let contoso = client_tenant(0);
    let role = |tenant: &str, role: &str, scope: &str| {
        entra
            .grant_azure_role(tenant, ADA, role, scope)
            .expect("role");
    };
    let seed = vault_in(&entra, ca, &contoso).await;
    let keys = vault_in(&entra, ca, &contoso).await;
    let fabrikam = vault_in(&entra, ca, &client_tenant(1)).await;
    let tailspin = vault_in(&entra, ca, &client_tenant(3)).await;

    let sub_a = entra.add_subscription(&contoso, "Contoso Production");
    let sub_b = entra.add_subscription(&contoso, "Contoso Shared");
    let sub_c = entra.add_subscription(&contoso, "Contoso Finance");
    entra
        .add_arm_vault(
            &sub_a,
            "rg-keys",
            "kv-contoso-seed",
            Some(&seed.vault_url()),
        )
        .expect("vault");
    entra
        .add_arm_vault(
            &sub_a,
            "rg-keys",
            "kv-contoso-keys",
            Some(&keys.vault_url()),
        )
        .expect("vault");
    entra
        .add_arm_vault(&sub_b, "rg-shared", "kv-contoso-shared", None)
        .expect("vault");
    entra
        .add_arm_vault(&sub_b, "rg-private", "kv-contoso-private", None)
        .expect("vault");
    entra
        .add_arm_vault(&sub_c, "rg-finance", "kv-contoso-finance", None)
        .expect("vault");
    role(
        &contoso,
        azure_roles::READER,
        &format!("/subscriptions/{sub_a}"),
    );
    role(
        &contoso,
        azure_roles::READER,
        &format!("/subscriptions/{sub_b}/resourceGroups/rg-shared"),
    );

    let sub_f = entra.add_subscription(&client_tenant(1), "Fabrikam");
    entra
        .add_arm_vault(&sub_f, "rg", "kv-fabrikam", Some(&fabrikam.vault_url()))
        .expect("vault");
    role(
        &client_tenant(1),
        azure_roles::READER,
        &format!("/subscriptions/{sub_f}"),
    );

    let sub_n = entra.add_subscription(&client_tenant(2), "Northwind");
    entra
        .add_arm_vault(&sub_n, "rg", "kv-northwind", None)
        .expect("vault");
    role(
        &client_tenant(2),
        azure_roles::READER,
        &format!("/subscriptions/{sub_n}"),
    );
    entra.require_mfa_in_tenant(&client_tenant(2));

    let sub_t = entra.add_subscription(&client_tenant(3), "Tailspin");
    let tailspin_id = entra
        .add_arm_vault(&sub_t, "rg", "kv-tailspin", Some(&tailspin.vault_url()))
        .expect("vault");
    role(
        &client_tenant(3),
        azure_roles::KEY_VAULT_READER,
        &tailspin_id,
    );

    World {
        entra,
        vaults: vec![seed, keys, fabrikam, tailspin],
    }
}

fn seed_settings(world: &World) -> ConnectionSettings {
    ConnectionSettings {
        tenant_id: client_tenant(0),
        client_id: CONSOLE_CLIENT.into(),
        vault_name: "kv-contoso-seed".into(),
        cloud: Cloud::Custom,
        authority_host: Some(world.entra.authority_host()),
        vault_url: Some(world.vaults[0].vault_url()),
        ca_pem: Some(world.entra.ca_pem()),
        auth: AuthMode::SignIn,
        home_tenant_id: Some(DEFAULT_TENANT.into()),
    }
}

fn tenant<'a>(discovery: &'a Discovery, name: &str) -> &'a akv_core::session::DiscoveredTenant {
    discovery
        .tenants
        .iter()
        .find(|t| t.display_name == name)
        .unwrap_or_else(|| panic!("{name} listed: {discovery:?}"))
}

fn vault_names(tenant: &akv_core::session::DiscoveredTenant) -> Vec<&str> {
    tenant.vaults.iter().map(|v| v.name.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_lists_what_rbac_shows_and_adds_three_clients_that_connect() {
    let ca = Arc::new(TestCa::generate("discover test CA").expect("ca"));
    let world = world(&ca).await;
    let dir = tempfile::tempdir().expect("dir");
    let core = console_pc(&world.entra, dir.path());
    world.entra.set_interactive_user(Some(ADA));

    // Before any home sign-in, Discover says what it needs.
    let error = core.discover().await.expect_err("no home sign-in yet");
    assert_eq!(error.code, ErrorCode::NotConnected);

    core.connect(ConnectRequest {
        settings: seed_settings(&world),
        client_secret: None,
        method: Some(SignInMethod::Browser),
        remember: false,
    })
    .await
    .expect("the seed client connects after the one sign-in");
    world.entra.set_arm_page_size(25);
    world.entra.inject_fault(
        Fault::throttle(1)
            .on_route(RouteKind::ArmListSubscriptions)
            .times(1),
    );
    world.entra.inject_fault(
        Fault::server_error(503)
            .on_route(RouteKind::ArmListVaults)
            .times(1),
    );

    let discovery = core.discover().await.expect("discovered");
    assert_eq!(discovery.signed_in_as, ADA);
    let names: Vec<&str> = discovery
        .tenants
        .iter()
        .map(|t| t.display_name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Ada's MSP",
            "Contoso Dental",
            "Fabrikam Legal",
            "Northwind Traders",
            "Tailspin Toys"
        ]
    );
    let home = tenant(&discovery, "Ada's MSP");
    assert!(home.home && home.vaults.is_empty());
    assert!(
        home.empty_text
            .as_deref()
            .is_some_and(|t| t.starts_with("No vaults you can see"))
    );

    // Exactly what Ada's roles show: 2 of Contoso's 3 subscriptions, and in the second only
    // the resource group where she has a role.
    let contoso = tenant(&discovery, "Contoso Dental");
    assert_eq!(contoso.error, None);
    assert_eq!(
        vault_names(contoso),
        ["kv-contoso-seed", "kv-contoso-keys", "kv-contoso-shared"]
    );
    let subscriptions: Vec<&str> = contoso
        .vaults
        .iter()
        .map(|v| v.subscription.as_str())
        .collect();
    assert_eq!(
        subscriptions,
        ["Contoso Production", "Contoso Production", "Contoso Shared"]
    );
    // The seed vault is already a client; the others are offered under the tenant's name.
    assert_eq!(
        contoso.vaults[0].client_name.as_deref(),
        Some("kv-contoso-seed")
    );
    assert_eq!(contoso.vaults[1].client_name, None);
    assert_eq!(
        contoso.vaults[1].suggested_name,
        "Contoso Dental (kv-contoso-keys)"
    );
    assert_eq!(
        vault_names(tenant(&discovery, "Fabrikam Legal")),
        ["kv-fabrikam"]
    );
    let tailspin = tenant(&discovery, "Tailspin Toys");
    assert_eq!(vault_names(tailspin), ["kv-tailspin"]);
    assert_eq!(tailspin.vaults[0].suggested_name, "Tailspin Toys");

    // The MFA tenant fails alone, named, with the sign-in action.
    let northwind = tenant(&discovery, "Northwind Traders");
    assert!(northwind.vaults.is_empty());
    assert_eq!(
        northwind.error.as_ref().map(|e| e.code),
        Some(ErrorCode::TenantSignInRequired)
    );
    assert!(northwind.can_sign_in);

    // One Tenants - List; one Subscriptions - List per reachable tenant (4) plus the retry of
    // the throttled one; one vault page per visible subscription (4) plus the retried 503.
    assert_eq!(world.entra.request_count(RouteKind::ArmListTenants), 1);
    assert_eq!(
        world.entra.request_count(RouteKind::ArmListSubscriptions),
        4 + 1
    );
    assert_eq!(world.entra.request_count(RouteKind::ArmListVaults), 4 + 1);

    // The page may only add what Discover returned, by id.
    let before = core.status().await.clients.len();
    let error = core
        .add_discovered(&[DiscoveredPick {
            id: "https://evil.example".into(),
            name: "Evil".into(),
        }])
        .await
        .expect_err("unknown id");
    assert_eq!(error.code, ErrorCode::InvalidInput);
    // A name clash refuses the whole batch: nothing half-added.
    let picks = |names: [&str; 3]| {
        vec![
            DiscoveredPick {
                id: contoso.vaults[1].id.clone(),
                name: names[0].into(),
            },
            DiscoveredPick {
                id: tenant(&discovery, "Fabrikam Legal").vaults[0].id.clone(),
                name: names[1].into(),
            },
            DiscoveredPick {
                id: tailspin.vaults[0].id.clone(),
                name: names[2].into(),
            },
        ]
    };
    let error = core
        .add_discovered(&picks(["Contoso keys", "Fabrikam", "kv-contoso-seed"]))
        .await
        .expect_err("clash");
    assert_eq!(error.field.as_deref(), Some("clientName"));
    assert_eq!(core.status().await.clients.len(), before);

    let status = core
        .add_discovered(&picks(["Contoso keys", "Fabrikam", "Tailspin"]))
        .await
        .expect("added");
    assert_eq!(status.clients.len(), before + 3);
    assert_eq!(
        status.connected,
        4,
        "{:?}",
        status
            .clients
            .iter()
            .map(|c| (&c.name, &c.error))
            .collect::<Vec<_>>()
    );
    for name in ["Contoso keys", "Fabrikam", "Tailspin"] {
        let client = status
            .clients
            .iter()
            .find(|c| c.name == name)
            .expect("listed");
        assert_eq!(
            client.settings.home_tenant_id.as_deref(),
            Some(DEFAULT_TENANT)
        );
    }
    // "Sign in to this tenant" is taken only for a tenant the discovery named; after it, the
    // MFA tenant lists its vault on its own sign-in.
    let error = core
        .discover_sign_in(&client_tenant(1), SignInMethod::Browser)
        .await
        .expect_err("Fabrikam did not ask");
    assert_eq!(error.code, ErrorCode::InvalidInput);
    let signed_in = core
        .discover_sign_in(&client_tenant(2), SignInMethod::Browser)
        .await
        .expect("signed in at Northwind");
    let northwind = tenant(&signed_in, "Northwind Traders");
    assert_eq!(northwind.error, None);
    assert_eq!(vault_names(northwind), ["kv-northwind"]);

    // Discover now marks them.
    let again = core.discover().await.expect("discovered again");
    let marked: Vec<Option<&str>> = tenant(&again, "Contoso Dental")
        .vaults
        .iter()
        .map(|v| v.client_name.as_deref())
        .collect();
    assert_eq!(
        marked,
        [Some("kv-contoso-seed"), Some("Contoso keys"), None]
    );
}
