//! Provisioning a client's vault the way the Setup Guide prescribes (issue 20 §3), against the
//! emulator's Entra and Resource Manager: signed in once at the MSP's home tenant, Ada (a guest
//! and Owner of the client's subscription) brings a new client from nothing to a connected,
//! correctly configured vault. Every step resumes after a failure without duplicating anything
//! (request counts at the emulator); refusals are named.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use akv_core::error::ErrorCode;
use akv_core::service::provision::{
    ProgressSink, ProvisionOptions, ProvisionProgress, ProvisionRequest, StepId, StepState,
};
use akv_core::session::AppCore;
use akv_tests::emulator::{Emulator, EmulatorConfig, Fault, RouteKind, azure_roles};
use support::msp_vaults::{
    ADA, CONSOLE_CLIENT, Msp, client_tenant, connect, console_pc, msp_with_vaults,
};

const VAULT: &str = "contoso-keys";
const OFFICERS: &str = "0ff1ce00-0000-4000-8000-000000000001";
const READERS: &str = "0ff1ce00-0000-4000-8000-000000000002";

/// The MSP (tenant 0's client connected: the home sign-in is live) and the new client's tenant
/// (tenant 1): Ada a guest there, Owner of its subscription, in the technicians' group; a vault
/// emulator waiting to become the data plane of the vault ARM creates.
struct World {
    msp: Msp,
    core: Arc<AppCore>,
    subscription: String,
    workspace: String,
    data_plane: Emulator,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let msp = msp_with_vaults(1).await;
    let tenant = client_tenant(1);
    msp.entra
        .consent_in_tenant(&tenant, CONSOLE_CLIENT)
        .expect("consent");
    let guest = msp.entra.add_guest(&tenant, ADA).expect("guest");
    msp.entra
        .set_tenant_name(&tenant, "Contoso Dental", "contoso.example");
    let subscription = msp.entra.add_subscription(&tenant, "Contoso production");
    msp.entra
        .grant_azure_role(
            &tenant,
            ADA,
            azure_roles::OWNER,
            &format!("/subscriptions/{subscription}"),
        )
        .expect("owner");
    msp.entra.add_group_member(OFFICERS, &guest);
    let workspace = msp
        .entra
        .add_workspace(&subscription, "rg-logs", "msp-logs");
    let data_plane = Emulator::start(EmulatorConfig {
        ca: Some(msp.ca.clone()),
        ..EmulatorConfig::default()
    })
    .await
    .expect("data plane");
    msp.entra.register_data_plane(VAULT, &data_plane);
    msp.entra
        .set_rbac_propagation_delay(Duration::from_millis(600));
    let dir = tempfile::tempdir().expect("dir");
    let core = console_pc(&msp.entra, dir.path(), support::fast_options());
    msp.entra.set_interactive_user(Some(ADA));
    connect(&core, &msp, 0)
        .await
        .expect("the MSP's first client connects: signed in at home");
    World {
        msp,
        core,
        subscription,
        workspace,
        data_plane,
        _dir: dir,
    }
}

impl World {
    fn request(&self) -> ProvisionRequest {
        ProvisionRequest {
            tenant_id: client_tenant(1),
            subscription_id: self.subscription.clone(),
            location: "westeurope".into(),
            resource_group: "rg-contoso-keys".into(),
            create_resource_group: true,
            vault_name: VAULT.into(),
            officer_group_id: OFFICERS.into(),
            user_group_id: READERS.into(),
            workspace_id: Some(self.workspace.clone()),
            client_name: "Contoso Dental".into(),
            switch_to_rbac: false,
        }
    }

    async fn run(&self, request: &ProvisionRequest) -> (ProvisionProgress, Vec<ProvisionProgress>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink_seen = seen.clone();
        let sink: ProgressSink = Arc::new(move |p: &ProvisionProgress| {
            sink_seen.lock().expect("lock").push(p.clone());
        });
        let progress = self
            .core
            .provision_vault(request, &options(), sink)
            .await
            .expect("the run starts");
        let seen = seen.lock().expect("lock").clone();
        (progress, seen)
    }

    fn count(&self, route: RouteKind) -> u64 {
        self.msp.entra.request_count(route)
    }

    fn assignments_on_vault(&self) -> Vec<(String, String)> {
        let scope = format!(
            "/subscriptions/{}/resourcegroups/rg-contoso-keys/providers/microsoft.keyvault/vaults/{VAULT}",
            self.subscription
        );
        let mut found: Vec<(String, String)> = self
            .msp
            .entra
            .role_assignments()
            .into_iter()
            .filter(|(s, _, _)| s.eq_ignore_ascii_case(&scope))
            .map(|(_, role, principal)| (role, principal))
            .collect();
        found.sort();
        found
    }
}

fn options() -> ProvisionOptions {
    ProvisionOptions {
        vault_poll: Duration::from_millis(50),
        vault_wait: Duration::from_secs(5),
        role_poll: Duration::from_millis(200),
        role_wait: Duration::from_secs(10),
    }
}

fn states(progress: &ProvisionProgress) -> Vec<StepState> {
    progress.steps.iter().map(|s| s.state).collect()
}

fn expected_assignments() -> Vec<(String, String)> {
    let mut expected = vec![
        (
            azure_roles::KEY_VAULT_SECRETS_OFFICER.to_string(),
            OFFICERS.to_string(),
        ),
        (
            azure_roles::KEY_VAULT_SECRETS_USER.to_string(),
            READERS.to_string(),
        ),
    ];
    expected.sort();
    expected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_client_vault_is_made_as_the_setup_guide_says_and_ends_connected() {
    let world = world().await;
    let (progress, seen) = world.run(&world.request()).await;
    assert_eq!(
        states(&progress),
        vec![StepState::Done; 7],
        "{:#?}",
        progress.steps
    );
    // The vault as Setup Guide phase 1 prescribes.
    let vault = world.msp.entra.arm_vault(VAULT).expect("created");
    assert!(vault.rbac, "Azure RBAC permission model");
    assert!(vault.soft_delete && vault.retention_days == 90);
    assert!(vault.purge_protection);
    assert_eq!(vault.sku, "standard");
    assert_eq!(vault.tenant_id, client_tenant(1));
    // Phase 3: the two data roles to the two groups, on the vault.
    assert_eq!(world.assignments_on_vault(), expected_assignments());
    // AuditEvent logs to the workspace.
    let settings = world.msp.entra.diagnostic_settings(&vault.id());
    assert_eq!(settings.len(), 1, "{settings:?}");
    assert!(
        settings[0].1.to_string().contains("AuditEvent")
            && settings[0].1["workspaceId"] == world.workspace.as_str(),
        "{settings:?}"
    );
    // Role propagation was waited out, visibly.
    assert!(
        seen.iter().any(|p| p
            .step(StepId::Connect)
            .is_some_and(|s| s.state == StepState::Waiting)),
        "the connect step showed it waited for Azure"
    );
    // A connected client, reached with the same home sign-in.
    let status = world.core.status().await;
    let client = status
        .clients
        .iter()
        .find(|c| c.name == "Contoso Dental")
        .expect("in the list");
    assert!(client.error.is_none(), "{:?}", client.error);
    assert_eq!(status.connected, 2);
    assert_eq!(progress.client_id.as_deref(), Some(client.id.as_str()));
    assert_eq!(
        client
            .settings
            .vault_url
            .as_deref()
            .map(|u| u.trim_end_matches('/')),
        Some(world.data_plane.vault_url().trim_end_matches('/'))
    );
    // Every step is in the new vault's own audit log.
    let (console, operator) = world
        .core
        .client_console(&client.id)
        .await
        .expect("console");
    let audit = console
        .audit_view(&operator, &Default::default())
        .expect("audit");
    let provisioned = audit
        .entries
        .iter()
        .filter(|e| e.action == akv_core::audit::AuditAction::Provision)
        .count();
    assert_eq!(provisioned, 7, "one entry per step");

    // Running it again changes nothing and creates nothing.
    let puts = |w: &World| {
        (
            w.count(RouteKind::ArmPutResourceGroup),
            w.count(RouteKind::ArmPutVault),
            w.count(RouteKind::ArmPutRoleAssignment),
        )
    };
    let before = puts(&world);
    let (again, _) = world.run(&world.request()).await;
    assert_eq!(
        states(&again),
        vec![
            StepState::Skipped,
            StepState::Skipped,
            StepState::Skipped,
            StepState::Skipped,
            StepState::Skipped,
            StepState::Done,
            StepState::Skipped
        ],
        "{:#?}",
        again.steps
    );
    assert_eq!(puts(&world), before, "no second group, vault or assignment");
    assert_eq!(world.assignments_on_vault(), expected_assignments());
    assert_eq!(world.core.status().await.clients.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_at_each_step_is_finished_by_running_again_without_duplicates() {
    // (the step that fails, the fault that makes it fail)
    let cases: Vec<(StepId, Fault)> = vec![
        (
            StepId::ResourceGroup,
            Fault::server_error(503).on_route(RouteKind::ArmPutResourceGroup),
        ),
        (
            StepId::NameAvailability,
            Fault::server_error(503).on_route(RouteKind::ArmCheckVaultName),
        ),
        (
            StepId::Vault,
            Fault::server_error(503).on_route(RouteKind::ArmPutVault),
        ),
        (
            StepId::OfficerRole,
            Fault::server_error(503).on_route(RouteKind::ArmPutRoleAssignment),
        ),
        (
            StepId::UserRole,
            Fault::server_error(503)
                .on_route(RouteKind::ArmPutRoleAssignment)
                .after(1),
        ),
        (
            StepId::Diagnostics,
            Fault::server_error(503).on_route(RouteKind::ArmPutDiagnosticSetting),
        ),
    ];
    for (step, fault) in cases {
        let world = world().await;
        world.msp.entra.inject_fault(fault);
        let (failed, _) = world.run(&world.request()).await;
        let failed_step = failed
            .steps
            .iter()
            .find(|s| s.state == StepState::Failed)
            .unwrap_or_else(|| panic!("{step:?}: {:#?}", failed.steps));
        assert_eq!(failed_step.id, step);
        assert_eq!(
            failed_step.error.as_ref().map(|e| e.code),
            Some(ErrorCode::ServiceUnavailable),
            "{step:?}"
        );
        // Nothing after the failed step ran; the client is not in the list yet.
        let after: Vec<StepState> = failed
            .steps
            .iter()
            .skip_while(|s| s.id != step)
            .skip(1)
            .map(|s| s.state)
            .collect();
        assert!(
            after.iter().all(|s| *s == StepState::Pending),
            "{step:?}: {after:?}"
        );
        assert_eq!(world.core.status().await.clients.len(), 1);

        world.msp.entra.clear_faults();
        let (finished, _) = world.run(&world.request()).await;
        assert!(
            finished
                .steps
                .iter()
                .all(|s| matches!(s.state, StepState::Done | StepState::Skipped)),
            "{step:?}: {:#?}",
            finished.steps
        );
        // Exactly one of everything.
        assert_eq!(
            world.assignments_on_vault(),
            expected_assignments(),
            "{step:?}"
        );
        let vault = world.msp.entra.arm_vault(VAULT).expect("vault");
        assert!(vault.rbac && vault.purge_protection && vault.retention_days == 90);
        assert_eq!(
            world.msp.entra.diagnostic_settings(&vault.id()).len(),
            1,
            "{step:?}"
        );
        let status = world.core.status().await;
        assert_eq!(status.clients.len(), 2, "{step:?}");
        assert_eq!(status.connected, 2, "{step:?}");
        // The group was created once: a later step's rerun found it.
        if step != StepId::ResourceGroup {
            assert_eq!(world.count(RouteKind::ArmPutResourceGroup), 1, "{step:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_owner_the_role_step_names_owner_or_user_access_administrator() {
    let world = world().await;
    // Ada is only Contributor on a second subscription: she can create the vault, not assign.
    let tenant = client_tenant(1);
    let subscription = world.msp.entra.add_subscription(&tenant, "Contoso lab");
    world
        .msp
        .entra
        .grant_azure_role(
            &tenant,
            ADA,
            azure_roles::CONTRIBUTOR,
            &format!("/subscriptions/{subscription}"),
        )
        .expect("contributor");
    let request = ProvisionRequest {
        subscription_id: subscription,
        workspace_id: None,
        ..world.request()
    };
    let (progress, _) = world.run(&request).await;
    let step = progress.step(StepId::OfficerRole).expect("step");
    assert_eq!(step.state, StepState::Failed, "{:#?}", progress.steps);
    let error = step.error.as_ref().expect("named");
    assert_eq!(error.code, ErrorCode::AzureRoleMissing);
    assert!(
        error.message.contains("Key Vault Secrets Officer")
            && error.hint.contains("Owner or User Access Administrator"),
        "{error:?}"
    );
    assert_eq!(
        progress.step(StepId::Vault).map(|s| s.state),
        Some(StepState::Done),
        "the vault itself was made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_name_is_named_before_anything_is_created() {
    let world = world().await;
    world.msp.entra.add_soft_deleted_vault_name("taken-keys");
    let request = ProvisionRequest {
        vault_name: "taken-keys".into(),
        create_resource_group: false,
        resource_group: "rg-logs".into(),
        ..world.request()
    };
    let (progress, _) = world.run(&request).await;
    let step = progress.step(StepId::NameAvailability).expect("step");
    assert_eq!(step.state, StepState::Failed);
    let error = step.error.as_ref().expect("named");
    assert_eq!(error.code, ErrorCode::VaultNameTaken);
    assert!(error.hint.contains("soft-deleted"), "{error:?}");
    assert_eq!(world.count(RouteKind::ArmPutVault), 0, "nothing created");
    assert_eq!(world.count(RouteKind::ArmPutRoleAssignment), 0);
    // The wizard says so as the name is typed.
    let check = world
        .core
        .provision_check_name(
            &client_tenant(1),
            &world.subscription,
            "rg-logs",
            "taken-keys",
        )
        .await
        .expect("checked");
    assert!(!check.available && !check.resumes);
    let free = world
        .core
        .provision_check_name(
            &client_tenant(1),
            &world.subscription,
            "rg-logs",
            "free-keys",
        )
        .await
        .expect("checked");
    assert!(free.available, "{free:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_vault_with_purge_protection_off_is_named_and_fixed() {
    let world = world().await;
    // A vault made by hand earlier, without purge protection, in the chosen resource group.
    world
        .msp
        .entra
        .add_arm_vault(
            &world.subscription,
            "rg-contoso-keys",
            VAULT,
            Some(&world.data_plane.vault_url()),
        )
        .expect("vault");
    let (progress, _) = world.run(&world.request()).await;
    let vault_step = progress.step(StepId::Vault).expect("step");
    assert_eq!(vault_step.state, StepState::Done, "{:#?}", progress.steps);
    assert!(
        vault_step.detail.contains("purge protection off")
            && vault_step.detail.contains("turned purge protection on"),
        "{vault_step:?}"
    );
    assert_eq!(
        progress.step(StepId::NameAvailability).map(|s| s.state),
        Some(StepState::Skipped),
        "ours already: resumed"
    );
    assert!(
        world
            .msp
            .entra
            .arm_vault(VAULT)
            .expect("vault")
            .purge_protection
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_tenants_of_the_sign_in_and_valid_input_reach_azure() {
    let world = world().await;
    let before = world.msp.entra.total_request_count();
    let foreign = ProvisionRequest {
        tenant_id: "0badf00d-0000-4000-8000-000000000000".into(),
        ..world.request()
    };
    let error = world
        .core
        .provision_vault(&foreign, &options(), Arc::new(|_| {}))
        .await
        .expect_err("not reachable");
    assert_eq!(error.field.as_deref(), Some("tenantId"));
    let bad = ProvisionRequest {
        officer_group_id: "technicians".into(),
        ..world.request()
    };
    let error = world
        .core
        .provision_vault(&bad, &options(), Arc::new(|_| {}))
        .await
        .expect_err("bad group");
    assert_eq!(error.field.as_deref(), Some("officerGroupId"));
    assert_eq!(world.count(RouteKind::ArmPutVault), 0);
    assert!(
        world.msp.entra.total_request_count() - before <= 2,
        "only the tenant list"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_slower_than_the_wait_leaves_the_client_listed_and_it_connects_later() {
    let world = world().await;
    world
        .msp
        .entra
        .set_rbac_propagation_delay(Duration::from_secs(4));
    let quick = ProvisionOptions {
        role_wait: Duration::from_millis(800),
        ..options()
    };
    let progress = world
        .core
        .provision_vault(&world.request(), &quick, Arc::new(|_| {}))
        .await
        .expect("runs");
    let connect = progress.step(StepId::Connect).expect("step");
    assert_eq!(connect.state, StepState::Failed);
    let error = connect.error.as_ref().expect("named");
    assert_eq!(error.code, ErrorCode::RoleNotYetEffective);
    assert!(error.hint.contains("ten minutes"), "{error:?}");
    // The vault is in the list all the same, with the error on its row.
    let status = world.core.status().await;
    let row = status
        .clients
        .iter()
        .find(|c| c.name == "Contoso Dental")
        .expect("listed");
    assert_eq!(
        row.error.as_ref().map(|e| e.code),
        Some(ErrorCode::RoleNotYetEffective)
    );
    assert_eq!(progress.client_id.as_deref(), Some(row.id.as_str()));
    // Later, Connect on the row works, and the steps reach the vault's audit log then.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let status = world
        .core
        .connect_client(&row.id)
        .await
        .expect("connects later");
    assert_eq!(status.connected, 2);
    let (console, operator) = world.core.client_console(&row.id).await.expect("console");
    let audit = console
        .audit_view(&operator, &Default::default())
        .expect("audit");
    let provisioned = audit
        .entries
        .iter()
        .filter(|e| e.action == akv_core::audit::AuditAction::Provision)
        .count();
    assert_eq!(provisioned, 7, "steps 1–6 and the connect that waited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_policy_vault_is_switched_to_rbac_only_when_the_technician_confirms() {
    let world = world().await;
    world
        .msp
        .entra
        .add_arm_vault(
            &world.subscription,
            "rg-contoso-keys",
            VAULT,
            Some(&world.data_plane.vault_url()),
        )
        .expect("vault");
    // Made in the Portal with vault access policies: ARM answers enableRbacAuthorization false.
    let mut request = world.request();
    request.switch_to_rbac = false;
    world.msp.entra.use_access_policies(VAULT);
    let (refused, _) = world.run(&request).await;
    let step = refused.step(StepId::Vault).expect("step");
    assert_eq!(step.state, StepState::Failed);
    let error = step.error.as_ref().expect("named");
    assert_eq!(error.code, ErrorCode::VaultNotAsPrescribed);
    assert!(error.message.contains("access policies"), "{error:?}");
    assert!(
        !world.msp.entra.arm_vault(VAULT).expect("vault").rbac,
        "unchanged"
    );
    assert_eq!(world.count(RouteKind::ArmPutRoleAssignment), 0);

    request.switch_to_rbac = true;
    let (done, _) = world.run(&request).await;
    assert!(
        done.steps
            .iter()
            .all(|s| matches!(s.state, StepState::Done | StepState::Skipped)),
        "{:#?}",
        done.steps
    );
    let vault = world.msp.entra.arm_vault(VAULT).expect("vault");
    assert!(vault.rbac && vault.purge_protection);
}
