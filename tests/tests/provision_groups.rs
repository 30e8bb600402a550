//! The provisioning wizard's group pickers (issue 20 §3: the roles go "to the groups the
//! technician picks"): the client tenant's Entra groups searched by name through Microsoft
//! Graph as the signed-in technician, a typed Object ID resolved to its name, and the named
//! refusals a B2B guest meets, after which a typed Object ID still provisions.

mod support;

use std::sync::Arc;
use std::time::Duration;

use akv_core::error::ErrorCode;
use akv_core::service::provision::{ProvisionOptions, ProvisionRequest, StepState};
use akv_core::session::AppCore;
use akv_tests::emulator::{Emulator, EmulatorConfig, azure_roles};
use support::msp_vaults::{
    ADA, CONSOLE_CLIENT, Msp, client_tenant, connect, console_pc, msp_with_vaults,
};

const VAULT: &str = "contoso-keys";

struct World {
    msp: Msp,
    core: Arc<AppCore>,
    subscription: String,
    officers: String,
    readers: String,
    marketing: String,
    _data_plane: Emulator,
    _dir: tempfile::TempDir,
}

/// Ada, home at the MSP, a guest and subscription Owner in Contoso (tenant 1), whose directory
/// holds the two Key Vault groups and a Microsoft 365 (not security-enabled) group; tenant 2
/// has a group of the same name that must never show up.
async fn world(groups_consented: bool) -> World {
    let msp = msp_with_vaults(1).await;
    let tenant = client_tenant(1);
    msp.entra
        .consent_in_tenant(&tenant, CONSOLE_CLIENT)
        .expect("consent");
    if groups_consented {
        msp.entra
            .consent_graph_delegated(&tenant, CONSOLE_CLIENT, "GroupMember.Read.All")
            .expect("group consent");
    }
    let guest = msp.entra.add_guest(&tenant, ADA).expect("guest");
    let subscription = msp.entra.add_subscription(&tenant, "Contoso production");
    msp.entra
        .grant_azure_role(
            &tenant,
            ADA,
            azure_roles::OWNER,
            &format!("/subscriptions/{subscription}"),
        )
        .expect("owner");
    let officers = msp.entra.add_entra_group(
        &tenant,
        "Key Vault Officers",
        Some("MSP technicians who manage keys"),
        true,
    );
    let readers = msp
        .entra
        .add_entra_group(&tenant, "Key Vault Readers", None, true);
    let marketing = msp.entra.add_entra_group(
        &tenant,
        "Key \"Vault\" Fans \\ Marketing",
        Some("Microsoft 365 group"),
        false,
    );
    msp.entra
        .add_entra_group(&client_tenant(2), "Key Vault Officers", None, true);
    msp.entra.add_group_member(&officers, &guest);
    let data_plane = Emulator::start(EmulatorConfig {
        ca: Some(msp.ca.clone()),
        ..EmulatorConfig::default()
    })
    .await
    .expect("data plane");
    msp.entra.register_data_plane(VAULT, &data_plane);
    let dir = tempfile::tempdir().expect("dir");
    let core = console_pc(&msp.entra, dir.path(), support::fast_options());
    msp.entra.set_interactive_user(Some(ADA));
    connect(&core, &msp, 0).await.expect("signed in at home");
    World {
        msp,
        core,
        subscription,
        officers,
        readers,
        marketing,
        _data_plane: data_plane,
        _dir: dir,
    }
}

fn names(groups: &[akv_core::service::provision::groups::GroupChoice]) -> Vec<String> {
    groups.iter().map(|g| g.display_name.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_with_directory_readers_finds_the_tenants_groups_by_name() {
    let world = world(true).await;
    let tenant = client_tenant(1);
    world
        .msp
        .entra
        .grant_directory_readers(&tenant, ADA)
        .expect("GDAP");
    let found = world
        .core
        .provision_search_groups(&tenant, "key vault")
        .await
        .expect("search");
    assert_eq!(
        names(&found),
        vec![
            "Key Vault Officers",
            "Key Vault Readers",
            "Key \"Vault\" Fans \\ Marketing"
        ],
        "this tenant's groups only (tenant 2 has a Key Vault Officers too), security-enabled first"
    );
    assert_eq!(found[0].id, world.officers);
    assert_eq!(
        found[0].description.as_deref(),
        Some("MSP technicians who manage keys")
    );
    let marketing = found
        .iter()
        .find(|g| g.id == world.marketing)
        .expect("m365");
    assert!(!marketing.security_enabled, "marked: cannot be picked");
    // Quotes and a backslash in the text reach Graph escaped, and still match.
    let escaped = world
        .core
        .provision_search_groups(&tenant, "\"Vault\" Fans \\")
        .await
        .expect("escaped search");
    assert_eq!(names(&escaped), vec!["Key \"Vault\" Fans \\ Marketing"]);
    let none = world
        .core
        .provision_search_groups(&tenant, "Readers\" OR \"displayName:Officers")
        .await
        .expect("an injected clause is only text");
    assert!(none.is_empty(), "{:?}", names(&none));
    let long = world
        .core
        .provision_search_groups(&tenant, &"k".repeat(300))
        .await
        .expect_err("too long");
    assert_eq!(long.field.as_deref(), Some("text"));
    let foreign = world
        .core
        .provision_search_groups("0badf00d-0000-4000-8000-000000000000", "key")
        .await
        .expect_err("not a tenant of the sign-in");
    assert_eq!(foreign.field.as_deref(), Some("tenantId"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_guest_is_told_why_and_an_object_id_still_provisions() {
    let world = world(true).await;
    let tenant = client_tenant(1);
    let error = world
        .core
        .provision_search_groups(&tenant, "key vault")
        .await
        .expect_err("guests may not list groups by default");
    assert_eq!(error.code, ErrorCode::GroupsNotReadable);
    assert!(error.message.contains("guest"), "{}", error.message);
    assert!(error.hint.contains("Directory Readers"), "{}", error.hint);
    assert!(error.hint.contains("Object ID"), "{}", error.hint);
    // Entra's limited guest access still reads a group whose Object ID is known.
    let officers = world
        .core
        .provision_resolve_group(&tenant, &world.officers.to_uppercase())
        .await
        .expect("resolved");
    assert_eq!(officers.display_name, "Key Vault Officers");
    let missing = world
        .core
        .provision_resolve_group(&tenant, "0ff1ce00-0000-4000-8000-00000000dead")
        .await
        .expect_err("no such group");
    assert_eq!(missing.code, ErrorCode::GroupNotFound);
    assert!(missing.message.contains("no group"), "{}", missing.message);
    let not_a_guid = world
        .core
        .provision_resolve_group(&tenant, "Key Vault Officers")
        .await
        .expect_err("not a GUID");
    assert_eq!(not_a_guid.field.as_deref(), Some("groupId"));
    let request = ProvisionRequest {
        tenant_id: tenant.clone(),
        subscription_id: world.subscription.clone(),
        location: "westeurope".into(),
        resource_group: "rg-contoso-keys".into(),
        create_resource_group: true,
        vault_name: VAULT.into(),
        officer_group_id: world.officers.clone(),
        user_group_id: world.readers.clone(),
        workspace_id: None,
        client_name: "Contoso Dental".into(),
        switch_to_rbac: false,
    };
    let options = ProvisionOptions {
        vault_poll: Duration::from_millis(50),
        vault_wait: Duration::from_secs(5),
        role_poll: Duration::from_millis(200),
        role_wait: Duration::from_secs(10),
    };
    let progress = world
        .core
        .provision_vault(&request, &options, Arc::new(|_| {}))
        .await
        .expect("runs");
    assert!(
        progress
            .steps
            .iter()
            .all(|s| matches!(s.state, StepState::Done | StepState::Skipped)),
        "{progress:?}"
    );
    let titles: Vec<&str> = progress.steps.iter().map(|s| s.title.as_str()).collect();
    assert!(
        titles.contains(&"Key Vault Secrets Officer → Key Vault Officers")
            && titles.contains(&"Key Vault Secrets User → Key Vault Readers"),
        "the step list names the groups: {titles:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_consented_group_permission_the_consent_is_named() {
    let world = world(false).await;
    let tenant = client_tenant(1);
    world
        .msp
        .entra
        .grant_directory_readers(&tenant, ADA)
        .expect("GDAP");
    let error = world
        .core
        .provision_search_groups(&tenant, "key")
        .await
        .expect_err("the app may not read groups");
    assert_eq!(error.code, ErrorCode::GroupsConsentMissing);
    assert!(
        error.message.contains("GroupMember.Read.All"),
        "{}",
        error.message
    );
    assert!(error.hint.contains("admin consent"), "{}", error.hint);
}
