//! The emulator's Azure Resource Manager against the documented REST shapes: each request below
//! is the body of the sample in Microsoft's REST reference (learn.microsoft.com/rest/api/…, the
//! api-version the console uses), sent raw, and the answers carry the documented fields. Also its
//! refusals: api-version, token audience, AADSTS65001 for an app without ARM's permission,
//! AuthorizationFailed's wording, RoleAssignmentExists, purge protection and retention that
//! cannot change, names held by soft-deleted vaults, paging, and a data plane that follows ARM.

mod support;

use std::time::Duration;

use akv_tests::emulator::{
    DEFAULT_TENANT, Emulator, EmulatorConfig, PublicClient, azure_roles, jwt_claims,
};
use serde_json::{Value, json};
use support::msp::{
    ADA, CONSOLE_CLIENT, arm_token, client_tenant, http, msp_emulator, msp_emulator_with,
    sign_in_at_home,
};

struct Arm {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Arm {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("ARM answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
}

fn vault_path(sub: &str, group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{name}"
    )
}

/// The body of "Create a new vault or update an existing vault" (Vaults - Create Or Update,
/// 2023-07-01), with the console's settings.
fn vault_body(tenant: &str, retention: u64, purge: Option<bool>) -> Value {
    let mut body = json!({
        "location": "westeurope",
        "properties": {
            "tenantId": tenant,
            "sku": { "family": "A", "name": "standard" },
            "enableRbacAuthorization": true,
            "enableSoftDelete": true,
            "softDeleteRetentionInDays": retention,
        }
    });
    if let Some(purge) = purge {
        body["properties"]["enablePurgeProtection"] = json!(purge);
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_manager_answers_the_documented_shapes_and_refusals() {
    let emulator = msp_emulator(1).await;
    let client = client_tenant(0);
    emulator.set_tenant_name(&client, "Contoso Dental", "contosodental.onmicrosoft.com");
    let sub = emulator.add_subscription(&client, "Contoso Production");
    let other_sub = emulator.add_subscription(&client, "Contoso Dev");
    emulator.add_resource_group(&sub, "rg-keys", "westeurope");
    emulator
        .grant_azure_role(
            &client,
            ADA,
            azure_roles::OWNER,
            &format!("/subscriptions/{sub}"),
        )
        .expect("Owner");
    let home = sign_in_at_home(&emulator).await;
    let token = arm_token(&home, &client).await;
    let claims = jwt_claims(&token).expect("jwt");
    assert_eq!(claims["aud"], "https://management.azure.com");
    assert_eq!(claims["scp"], "user_impersonation");
    let arm = Arm {
        http: http(&emulator),
        base: emulator.authority_host(),
        token,
    };

    // Tenants - List: home and guest tenant, with the documented fields.
    let (status, tenants) = arm.get("/tenants?api-version=2022-12-01").await;
    assert_eq!(status, 200);
    let listed: Vec<&str> = tenants["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|t| t["tenantId"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(listed, [DEFAULT_TENANT, client.as_str()]);
    let contoso = &tenants["value"][1];
    assert_eq!(contoso["id"], format!("/tenants/{client}"));
    assert_eq!(contoso["displayName"], "Contoso Dental");
    assert_eq!(contoso["defaultDomain"], "contosodental.onmicrosoft.com");

    // Subscriptions - List: only where Ada holds a role.
    let (status, subs) = arm.get("/subscriptions?api-version=2022-12-01").await;
    assert_eq!(status, 200);
    assert_eq!(subs["value"].as_array().map(Vec::len), Some(1));
    assert_eq!(subs["value"][0]["subscriptionId"], sub.as_str());
    assert_eq!(subs["value"][0]["state"], "Enabled");
    assert_eq!(subs["value"][0]["tenantId"], client.as_str());

    // api-version is required, and only the documented one is served.
    let (status, body) = arm.get("/subscriptions").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("MissingApiVersionParameter"))
    );
    let (status, body) = arm.get("/subscriptions?api-version=2016-06-01").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("InvalidApiVersionParameter"))
    );

    // Check Name Availability: the documented body; a soft-deleted vault still holds its name.
    emulator.add_soft_deleted_vault_name("kv-contoso-old");
    let check = |name: &str| json!({ "name": name, "type": "Microsoft.KeyVault/vaults" });
    let check_path = format!(
        "/subscriptions/{sub}/providers/Microsoft.KeyVault/checkNameAvailability?api-version=2023-07-01"
    );
    let (status, free) = arm
        .send(
            reqwest::Method::POST,
            &check_path,
            Some(check("kv-contoso-keys")),
        )
        .await;
    assert_eq!((status, &free), (200, &json!({ "nameAvailable": true })));
    let (_, taken) = arm
        .send(
            reqwest::Method::POST,
            &check_path,
            Some(check("kv-contoso-old")),
        )
        .await;
    assert_eq!(taken["nameAvailable"], false);
    assert_eq!(taken["reason"], "AlreadyExists");
    assert!(
        taken["message"]
            .as_str()
            .unwrap_or_default()
            .contains("is already in use")
    );
    let (_, invalid) = arm
        .send(
            reqwest::Method::POST,
            &check_path,
            Some(check("9-bad--name")),
        )
        .await;
    assert_eq!(invalid["reason"], "AccountNameInvalid");

    // Vaults - Create Or Update: 201, then 200 for the same body (idempotent).
    let path = format!(
        "{}?api-version=2023-07-01",
        vault_path(&sub, "rg-keys", "kv-contoso-keys")
    );
    let (status, created) = arm.put(&path, vault_body(&client, 90, Some(true))).await;
    assert_eq!(status, 201, "{created}");
    let props = &created["properties"];
    assert_eq!(props["provisioningState"], "Succeeded");
    assert_eq!(
        props["vaultUri"],
        "https://kv-contoso-keys.vault.azure.net/"
    );
    assert_eq!(props["enableRbacAuthorization"], true);
    assert_eq!(props["enableSoftDelete"], true);
    assert_eq!(props["softDeleteRetentionInDays"], 90);
    assert_eq!(props["enablePurgeProtection"], true);
    assert_eq!(props["sku"], json!({ "family": "A", "name": "standard" }));
    let (status, _) = arm.put(&path, vault_body(&client, 90, Some(true))).await;
    assert_eq!(status, 200);
    // Purge protection cannot be turned off, retention cannot change.
    let (status, body) = arm.put(&path, vault_body(&client, 90, Some(false))).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("enablePurgeProtection")
    );
    let (status, body) = arm.put(&path, vault_body(&client, 30, None)).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("softDeleteRetentionInDays")
    );
    // The name is global: another resource group gets 409.
    emulator.add_resource_group(&sub, "rg-other", "westeurope");
    let elsewhere = format!(
        "{}?api-version=2023-07-01",
        vault_path(&sub, "rg-other", "kv-contoso-keys")
    );
    let (status, body) = arm.put(&elsewhere, vault_body(&client, 90, None)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("VaultAlreadyExists"))
    );
    // Vaults - Get.
    let (status, got) = arm.get(&path).await;
    assert_eq!(
        (status, got["name"].as_str()),
        (200, Some("kv-contoso-keys"))
    );

    // Role Assignments - Create: the documented body; the same role again is 409.
    let vault_id = vault_path(&sub, "rg-keys", "kv-contoso-keys");
    let principal = "ce2ce14e-85d7-4629-bdbc-454d0519d987";
    let assignment = json!({
        "properties": {
            "roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{}", azure_roles::KEY_VAULT_SECRETS_USER),
            "principalId": principal,
            "principalType": "Group"
        }
    });
    let assign_path = |name: &str| {
        format!(
            "{vault_id}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"
        )
    };
    let (status, made) = arm
        .put(
            &assign_path("05c5a614-a7d6-4502-b150-c2fb455033ff"),
            assignment.clone(),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["properties"]["principalId"], principal);
    let (status, again) = arm
        .put(
            &assign_path("7a3c2f42-4b43-4e6f-9d5e-0b8f2a1b6c11"),
            assignment.clone(),
        )
        .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("RoleAssignmentExists"))
    );
    let (status, listed) = arm
        .get(&format!(
            "{vault_id}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        listed["value"].as_array().is_some_and(|v| v.len() >= 2),
        "Ada's Owner and the new one"
    );

    // Diagnostic Settings - Create Or Update: AuditEvent to a workspace.
    let workspace = emulator.add_workspace(&sub, "rg-logs", "law-contoso");
    let (status, workspaces) = arm
        .get(&format!("/subscriptions/{sub}/providers/Microsoft.OperationalInsights/workspaces?api-version=2022-10-01"))
        .await;
    assert_eq!(
        (status, workspaces["value"][0]["id"].as_str()),
        (200, Some(workspace.as_str()))
    );
    let (status, setting) = arm
        .put(
            &format!("{vault_id}/providers/Microsoft.Insights/diagnosticSettings/akv-console-audit?api-version=2021-05-01-preview"),
            json!({ "properties": { "workspaceId": workspace, "logs": [{ "category": "AuditEvent", "enabled": true }] } }),
        )
        .await;
    assert_eq!(status, 200, "{setting}");
    assert_eq!(emulator.diagnostic_settings(&vault_id).len(), 1);

    // A subscription Ada has no role in is refused with Azure's wording.
    let (status, refused) = arm
        .put(
            &format!("/subscriptions/{other_sub}/resourcegroups/rg-x?api-version=2021-04-01"),
            json!({ "location": "westeurope" }),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(refused["error"]["code"], "AuthorizationFailed");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("The client '{ADA}' with object id '")),
        "{message}"
    );
    assert!(message.contains("does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/write' over scope"));

    // A Key Vault token is no ARM token.
    let (vault_token, _) = home
        .for_tenant(&client)
        .access_token(&["https://vault.azure.net/.default"])
        .await
        .expect("vault token");
    let wrong = Arm {
        token: vault_token.expose().to_string(),
        ..arm
    };
    let (status, body) = wrong.get("/tenants?api-version=2022-12-01").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("InvalidAuthenticationToken"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_without_resource_managers_permission_gets_no_arm_token() {
    let emulator = msp_emulator_with(
        PublicClient::new(DEFAULT_TENANT, CONSOLE_CLIENT).without_arm_permission(),
        1,
    )
    .await;
    let home = sign_in_at_home(&emulator).await;
    let scope = akv_core::arm::arm_scope(akv_core::domain::connection::Cloud::Custom);
    let error = home
        .for_tenant(&client_tenant(0))
        .access_token(&[scope.as_str()])
        .await
        .expect_err("AADSTS65001");
    assert_eq!(
        error.code,
        akv_core::error::ErrorCode::TenantConsentRequired
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_page_and_a_vault_created_through_arm_is_a_data_plane_after_rbac_propagates() {
    let emulator = msp_emulator(1).await;
    let client = client_tenant(0);
    let sub = emulator.add_subscription(&client, "Contoso");
    emulator
        .grant_azure_role(
            &client,
            ADA,
            azure_roles::OWNER,
            &format!("/subscriptions/{sub}"),
        )
        .expect("Owner");
    for index in 0..5 {
        emulator
            .add_arm_vault(&sub, "rg-a", &format!("kv-page-{index}"), None)
            .expect("vault");
    }
    emulator.set_arm_page_size(2);
    let home = sign_in_at_home(&emulator).await;
    let arm = Arm {
        http: http(&emulator),
        base: emulator.authority_host(),
        token: arm_token(&home, &client).await,
    };
    let mut next = Some(format!(
        "/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01"
    ));
    let (mut pages, mut names) = (0, Vec::new());
    while let Some(path) = next.take() {
        let (status, page) = arm.get(&path).await;
        assert_eq!(status, 200);
        pages += 1;
        for vault in page["value"].as_array().expect("value") {
            names.push(vault["name"].as_str().unwrap_or_default().to_string());
        }
        next = page["nextLink"]
            .as_str()
            .map(|link| link.trim_start_matches(&arm.base).to_string());
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 5);

    // The data plane: a started vault emulator stands for the vault ARM creates.
    let data_plane = Emulator::start(EmulatorConfig::default())
        .await
        .expect("vault");
    emulator.register_data_plane("kv-contoso-new", &data_plane);
    emulator.set_rbac_propagation_delay(Duration::from_millis(1500));
    emulator.add_resource_group(&sub, "rg-keys", "westeurope");
    let (status, created) = arm
        .put(
            &format!(
                "{}?api-version=2023-07-01",
                vault_path(&sub, "rg-keys", "kv-contoso-new")
            ),
            vault_body(&client, 90, Some(true)),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        created["properties"]["vaultUri"],
        format!("{}/", data_plane.vault_url())
    );
    let ada_there = emulator
        .role_assignments()
        .iter()
        .find(|(_, role, _)| role == azure_roles::OWNER)
        .map(|(_, _, principal)| principal.clone())
        .expect("Ada's guest object");
    let (status, _) = arm
        .put(
            &format!(
                "{}/providers/Microsoft.Authorization/roleAssignments/0f0e0d0c-0b0a-4909-8807-060504030201?api-version=2022-04-01",
                vault_path(&sub, "rg-keys", "kv-contoso-new")
            ),
            json!({ "properties": {
                "roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{}", azure_roles::KEY_VAULT_SECRETS_OFFICER),
                "principalId": ada_there,
                "principalType": "User"
            } }),
        )
        .await;
    assert_eq!(status, 201);

    let scope = data_plane.vault_scope();
    let (vault_token, _) = home
        .for_tenant(&client)
        .access_token(&[scope.as_str()])
        .await
        .expect("vault token");
    let list = || async {
        http(&data_plane)
            .get(format!(
                "{}/secrets?api-version=7.5",
                data_plane.vault_url()
            ))
            .bearer_auth(vault_token.expose())
            .send()
            .await
            .expect("vault answers")
    };
    let early = list().await;
    assert_eq!(early.status().as_u16(), 403, "RBAC has not propagated yet");
    let body: Value = early.json().await.unwrap_or(Value::Null);
    assert_eq!(body["error"]["innererror"]["code"], "ForbiddenByRbac");
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(
        list().await.status().as_u16(),
        200,
        "the role reached the vault"
    );
}

/// The console's own ARM client through every operation it offers, against the emulator (which
/// holds each request to the documented shape and api-version).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consoles_arm_client_speaks_each_operation_the_emulator_checks() {
    use akv_core::arm::{
        ArmClient, ArmOptions, KEY_VAULT_SECRETS_OFFICER, PrincipalType, RoleAssignmentRequest,
        VaultRequest, role_definition_id,
    };
    use akv_core::domain::connection::{AuthMode, Cloud, ConnectionSettings};

    let emulator = msp_emulator(1).await;
    let client = client_tenant(0);
    let sub = emulator.add_subscription(&client, "Contoso");
    emulator
        .grant_azure_role(
            &client,
            ADA,
            azure_roles::OWNER,
            &format!("/subscriptions/{sub}"),
        )
        .expect("Owner");
    let workspace = emulator.add_workspace(&sub, "rg-logs", "law-contoso");
    let home = sign_in_at_home(&emulator).await;
    let settings = ConnectionSettings {
        tenant_id: client.clone(),
        client_id: CONSOLE_CLIENT.into(),
        vault_name: String::new(),
        cloud: Cloud::Custom,
        authority_host: Some(emulator.authority_host()),
        vault_url: None,
        ca_pem: Some(emulator.ca_pem()),
        auth: AuthMode::SignIn,
        home_tenant_id: Some(DEFAULT_TENANT.into()),
    };
    let arm = ArmClient::new(
        home.for_tenant(&client),
        &client,
        &settings,
        &ArmOptions::default(),
    )
    .expect("client");

    let tenants = arm.list_tenants().await.expect("tenants");
    assert_eq!(tenants.len(), 2);
    let subs = arm.list_subscriptions().await.expect("subscriptions");
    assert_eq!(subs[0].subscription_id, sub);
    let locations = arm.list_locations(&sub).await.expect("locations");
    assert!(locations.iter().any(|l| l.name == "westeurope"));
    assert_eq!(
        arm.get_resource_group(&sub, "rg-keys").await.expect("get"),
        None
    );
    let group = arm
        .create_resource_group(&sub, "rg-keys", "westeurope")
        .await
        .expect("group");
    assert_eq!(group.name, "rg-keys");
    assert!(
        arm.get_resource_group(&sub, "rg-keys")
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(
        arm.list_resource_groups(&sub).await.expect("groups").len(),
        2
    );

    let free = arm
        .check_vault_name(&sub, "kv-contoso-keys")
        .await
        .expect("check");
    assert!(free.name_available);
    let request = VaultRequest::setup_guide(&client, "westeurope");
    let (created, vault) = arm
        .create_or_update_vault(&sub, "rg-keys", "kv-contoso-keys", &request)
        .await
        .expect("vault");
    assert!(created);
    assert_eq!(vault.properties.enable_rbac_authorization, Some(true));
    assert_eq!(vault.properties.soft_delete_retention_in_days, Some(90));
    assert_eq!(vault.properties.enable_purge_protection, Some(true));
    let (created_again, _) = arm
        .create_or_update_vault(&sub, "rg-keys", "kv-contoso-keys", &request)
        .await
        .expect("idempotent");
    assert!(!created_again, "the second PUT updates (200)");
    let taken = arm
        .check_vault_name(&sub, "kv-contoso-keys")
        .await
        .expect("check");
    assert_eq!(taken.reason.as_deref(), Some("AlreadyExists"));
    let got = arm
        .get_vault(&sub, "rg-keys", "kv-contoso-keys")
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got.id, vault.id);
    assert_eq!(arm.list_vaults(&sub).await.expect("vaults").len(), 1);

    let assignment = RoleAssignmentRequest {
        role_definition_id: role_definition_id(&sub, KEY_VAULT_SECRETS_OFFICER),
        principal_id: "ce2ce14e-85d7-4629-bdbc-454d0519d987".into(),
        principal_type: PrincipalType::Group,
    };
    let made = arm
        .create_role_assignment(&vault.id, &assignment)
        .await
        .expect("assigned");
    assert!(made.is_some());
    let again = arm
        .create_role_assignment(&vault.id, &assignment)
        .await
        .expect("409 RoleAssignmentExists is no error");
    assert_eq!(again, None);
    let listed = arm.list_role_assignments(&vault.id).await.expect("list");
    assert!(
        listed
            .iter()
            .any(|a| a.properties.principal_id == assignment.principal_id)
    );

    let workspaces = arm.list_workspaces(&sub).await.expect("workspaces");
    assert_eq!(workspaces[0].id, workspace);
    arm.set_audit_diagnostics(&vault.id, "akv-console-audit", &workspace)
        .await
        .expect("diagnostics");
    let settings_made = emulator.diagnostic_settings(&vault.id);
    assert_eq!(settings_made.len(), 1);
    assert_eq!(settings_made[0].1["logs"][0]["category"], "AuditEvent");

    // A Reader is refused role assignments, named with the role that would allow it.
    let reader_sub = emulator.add_subscription(&client, "Contoso Dev");
    emulator
        .grant_azure_role(
            &client,
            ADA,
            azure_roles::READER,
            &format!("/subscriptions/{reader_sub}"),
        )
        .expect("Reader");
    let error = arm
        .create_role_assignment(&format!("/subscriptions/{reader_sub}"), &assignment)
        .await
        .expect_err("refused");
    assert_eq!(error.code, akv_core::error::ErrorCode::AzureRoleMissing);
    assert!(
        error.hint.contains("Owner or User Access Administrator"),
        "{error:?}"
    );
}
