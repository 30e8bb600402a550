//! ARM operations on Key Vaults (Microsoft.KeyVault 2023-07-01), role assignments
//! (Microsoft.Authorization 2022-04-01), diagnostic settings (Microsoft.Insights
//! 2021-05-01-preview) and Log Analytics workspaces (Microsoft.OperationalInsights 2022-10-01).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::Shared;
use super::arm::{ArmCall, ArmError, ArmResult, ArmRoute, authorization_failed};
use super::arm_resources::group_not_found;
use super::arm_state::{
    AssignmentRecord, Permission, VaultRecord, covers, data_role, subscription_scope,
};
use super::directory::same_id;
use super::state::State;
use super::types::{PermissionModel, Role};

pub fn execute(state: &mut State, call: &ArmCall<'_>) -> ArmResult {
    match call.route {
        ArmRoute::ListVaults { sub } => list_vaults(state, call, sub),
        ArmRoute::GetVault { sub, group, name } => get_vault(state, call, sub, group, name),
        ArmRoute::PutVault { sub, group, name } => put_vault(state, call, sub, group, name),
        ArmRoute::CheckVaultName { sub } => check_name(state, call, sub),
        ArmRoute::PutRoleAssignment { scope, name } => assign_role(state, call, scope, name),
        ArmRoute::ListRoleAssignments { scope } => list_assignments(state, call, scope),
        ArmRoute::PutDiagnosticSetting { scope, name } => set_diagnostics(state, call, scope, name),
        ArmRoute::ListWorkspaces { sub } => list_workspaces(state, call, sub),
        _ => Err(ArmError::new(
            404,
            "InvalidResourceType",
            "Unknown operation.",
        )),
    }
}

fn vault_json(vault: &VaultRecord) -> Value {
    let mut properties = json!({
        "sku": { "family": "A", "name": vault.sku },
        "tenantId": vault.tenant_id,
        "accessPolicies": [],
        "enabledForDeployment": false,
        "enabledForDiskEncryption": false,
        "enabledForTemplateDeployment": false,
        "enableSoftDelete": vault.soft_delete,
        "softDeleteRetentionInDays": vault.retention_days,
        "enableRbacAuthorization": vault.rbac,
        "vaultUri": vault.vault_uri,
        "provisioningState": "Succeeded",
        "publicNetworkAccess": "Enabled",
    });
    // Azure leaves the property out until purge protection is on.
    if vault.purge_protection {
        properties["enablePurgeProtection"] = json!(true);
    }
    json!({
        "id": vault.id(),
        "name": vault.name,
        "type": "Microsoft.KeyVault/vaults",
        "location": vault.location,
        "tags": {},
        "properties": properties,
    })
}

fn list_vaults(state: &State, call: &ArmCall<'_>, sub: &str) -> ArmResult {
    let items = state
        .arm
        .vaults
        .iter()
        .filter(|v| same_id(&v.subscription, sub))
        .filter(|v| {
            state
                .arm
                .allowed(&call.identity.object_id, &v.id(), Permission::Read)
        })
        .map(vault_json)
        .collect();
    call.page(state, items)
}

fn vault_id(sub: &str, group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{name}"
    )
}

fn get_vault(state: &State, call: &ArmCall<'_>, sub: &str, group: &str, name: &str) -> ArmResult {
    let id = vault_id(sub, group, name);
    if !state
        .arm
        .allowed(&call.identity.object_id, &id, Permission::Read)
    {
        return Err(authorization_failed(
            call.identity,
            "Microsoft.KeyVault/vaults/read",
            &id,
        ));
    }
    state
        .arm
        .vaults
        .iter()
        .find(|v| same_id(&v.subscription, sub) && same_id(&v.group, group) && same_id(&v.name, name))
        .map(|v| (200, vault_json(v)))
        .ok_or_else(|| {
            ArmError::new(
                404,
                "ResourceNotFound",
                format!(
                    "The Resource 'Microsoft.KeyVault/vaults/{name}' under resource group '{group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
                ),
            )
        })
}

/// The Key Vault naming rule: 3–24 letters, digits and single hyphens, starting with a letter,
/// ending with a letter or digit.
fn valid_vault_name(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !name.contains("--")
}

const NAME_TAKEN: &str = "is already in use. Vault names are globally unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. For more information on soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740.";

fn bad_request(message: impl Into<String>) -> ArmError {
    ArmError::new(400, "BadRequest", message)
}

fn put_vault(
    state: &mut State,
    call: &ArmCall<'_>,
    sub: &str,
    group: &str,
    name: &str,
) -> ArmResult {
    let id = vault_id(sub, group, name);
    if !state
        .arm
        .allowed(&call.identity.object_id, &id, Permission::WriteVaults)
    {
        return Err(authorization_failed(
            call.identity,
            "Microsoft.KeyVault/vaults/write",
            &id,
        ));
    }
    if !state
        .arm
        .groups
        .iter()
        .any(|g| same_id(&g.subscription, sub) && same_id(&g.name, group))
    {
        return Err(group_not_found(group));
    }
    if !valid_vault_name(name) {
        return Err(ArmError::new(
            400,
            "VaultNameNotValid",
            format!(
                "The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens."
            ),
        ));
    }
    let body = call.json()?;
    let location = body["location"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let props = &body["properties"];
    let tenant_id = props["tenantId"].as_str().unwrap_or_default().to_string();
    let sku = props["sku"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if location.is_empty() {
        return Err(ArmError::new(
            400,
            "LocationRequired",
            "The location property is required for this definition.",
        ));
    }
    if tenant_id.is_empty()
        || !["standard", "premium"].contains(&sku.as_str())
        || props["sku"]["family"] != "A"
    {
        return Err(bad_request(
            "The request is missing the required properties 'tenantId' and 'sku' (family 'A', name 'standard' or 'premium').",
        ));
    }
    let retention = props["softDeleteRetentionInDays"].as_u64();
    if retention.is_some_and(|days| !(7..=90).contains(&days)) {
        return Err(bad_request(
            "The property \"softDeleteRetentionInDays\" must be between 7 and 90.",
        ));
    }
    if props["enableSoftDelete"] == json!(false) {
        return Err(bad_request(
            "The property \"enableSoftDelete\" cannot be set to false. Soft delete is on for every vault.",
        ));
    }
    let purge = props["enablePurgeProtection"].as_bool();
    let rbac = props["enableRbacAuthorization"].as_bool();
    let existing = state.arm.vaults.iter().position(|v| same_id(&v.name, name));
    let record = match existing {
        Some(index) => {
            let current = &state.arm.vaults[index];
            if !same_id(&current.subscription, sub) || !same_id(&current.group, group) {
                return Err(ArmError::new(
                    409,
                    "VaultAlreadyExists",
                    format!("The vault name '{name}' {NAME_TAKEN}"),
                ));
            }
            if !same_id(&current.location, &location) {
                return Err(ArmError::new(
                    400,
                    "InvalidResourceLocation",
                    format!(
                        "The resource '{name}' already exists in location '{}' in resource group '{group}'. A resource with the same name cannot be created in location '{location}'. Please select a new resource name.",
                        current.location
                    ),
                ));
            }
            if current.purge_protection && purge == Some(false) {
                return Err(bad_request(
                    "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.",
                ));
            }
            if retention.is_some_and(|days| days != current.retention_days) {
                return Err(bad_request(
                    "The property \"softDeleteRetentionInDays\" has been set already and it can't be modified.",
                ));
            }
            VaultRecord {
                tenant_id,
                sku,
                rbac: rbac.unwrap_or(current.rbac),
                purge_protection: current.purge_protection || purge == Some(true),
                ..current.clone()
            }
        }
        None => {
            if state
                .arm
                .deleted_vault_names
                .iter()
                .any(|n| same_id(n, name))
            {
                return Err(ArmError::new(
                    409,
                    "ConflictError",
                    "A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault.",
                ));
            }
            if purge == Some(false) {
                // Azure accepts only true (or leaving it out) when creating.
                return Err(bad_request(
                    "The property \"enablePurgeProtection\" cannot be set to false.",
                ));
            }
            let data_plane = state
                .arm
                .data_planes
                .iter()
                .find(|d| same_id(&d.name, name));
            VaultRecord {
                subscription: sub.to_string(),
                group: group.to_string(),
                name: name.to_string(),
                location,
                tenant_id,
                sku,
                rbac: rbac.unwrap_or(false),
                soft_delete: true,
                retention_days: retention.unwrap_or(90),
                purge_protection: purge == Some(true),
                vault_uri: data_plane
                    .map(|d| format!("{}/", d.url.trim_end_matches('/')))
                    .unwrap_or_else(|| format!("https://{name}.vault.azure.net/")),
            }
        }
    };
    sync_data_plane(state, &record);
    let answer = vault_json(&record);
    match existing {
        Some(index) => {
            state.arm.vaults[index] = record;
            Ok((200, answer))
        }
        None => {
            state.arm.vaults.push(record);
            Ok((201, answer))
        }
    }
}

/// The registered data plane of `vault` takes its tenant, permission model and purge protection.
fn sync_data_plane(state: &State, vault: &VaultRecord) {
    let Some(plane) = state
        .arm
        .data_planes
        .iter()
        .find(|d| same_id(&d.name, &vault.name))
    else {
        return;
    };
    let mut data = plane.shared.lock();
    data.vault_tenant = vault.tenant_id.clone();
    data.purge_protection = vault.purge_protection;
    data.permission_model = if vault.rbac {
        PermissionModel::Rbac
    } else {
        PermissionModel::AccessPolicy {
            allowed: Vec::new(),
        }
    };
    data.tenants.trusts_process_entra = true;
}

fn check_name(state: &State, call: &ArmCall<'_>, sub: &str) -> ArmResult {
    if !state
        .arm
        .any_role_within(&call.identity.object_id, &subscription_scope(sub))
    {
        return Err(authorization_failed(
            call.identity,
            "Microsoft.KeyVault/checkNameAvailability/read",
            &subscription_scope(sub),
        ));
    }
    let body = call.json()?;
    let name = body["name"].as_str().unwrap_or_default();
    if body["type"]
        .as_str()
        .is_none_or(|t| !t.eq_ignore_ascii_case("Microsoft.KeyVault/vaults"))
    {
        return Err(bad_request(
            "The resource type must be 'Microsoft.KeyVault/vaults'.",
        ));
    }
    let answer = if !valid_vault_name(name) {
        json!({
            "nameAvailable": false,
            "reason": "AccountNameInvalid",
            "message": "Vault name must only contain alphanumeric characters and dashes and cannot start with a number.",
        })
    } else if state.arm.name_taken(name) {
        json!({
            "nameAvailable": false,
            "reason": "AlreadyExists",
            "message": format!("The vault name '{name}' {NAME_TAKEN}"),
        })
    } else {
        json!({ "nameAvailable": true })
    };
    Ok((200, answer))
}

fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

fn assignment_json(a: &AssignmentRecord, sub: &str) -> Value {
    json!({
        "id": format!("{}/providers/Microsoft.Authorization/roleAssignments/{}", a.scope, a.name),
        "name": a.name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{}", a.role),
            "principalId": a.principal_id,
            "principalType": a.principal_type,
            "scope": a.scope,
        }
    })
}

fn assign_role(state: &mut State, call: &ArmCall<'_>, scope: &str, name: &str) -> ArmResult {
    let sub = scope.split('/').nth(2).unwrap_or_default().to_string();
    let target = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}");
    if !state
        .arm
        .allowed(&call.identity.object_id, scope, Permission::AssignRoles)
    {
        return Err(authorization_failed(
            call.identity,
            "Microsoft.Authorization/roleAssignments/write",
            &target,
        ));
    }
    if !is_guid(name) {
        return Err(ArmError::new(
            400,
            "InvalidRoleAssignmentId",
            format!(
                "The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."
            ),
        ));
    }
    let body = call.json()?;
    let props = &body["properties"];
    let role = props["roleDefinitionId"]
        .as_str()
        .and_then(|id| id.rsplit('/').next())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let principal = props["principalId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if !is_guid(&role) || principal.is_empty() {
        return Err(bad_request(
            "The request must name 'properties.roleDefinitionId' (a role definition's id) and 'properties.principalId'.",
        ));
    }
    let scope_key = scope.trim_end_matches('/').to_ascii_lowercase();
    if state
        .arm
        .assignments
        .iter()
        .any(|a| a.scope == scope_key && a.role == role && same_id(&a.principal_id, &principal))
    {
        return Err(ArmError::new(
            409,
            "RoleAssignmentExists",
            "The role assignment already exists.",
        ));
    }
    let record = AssignmentRecord {
        name: name.to_string(),
        scope: scope_key,
        role,
        principal_id: principal,
        principal_type: props["principalType"]
            .as_str()
            .unwrap_or("User")
            .to_string(),
    };
    reach_data_planes(state, &record);
    let answer = assignment_json(&record, &sub);
    state.arm.assignments.push(record);
    Ok((201, answer))
}

/// A Key Vault data role assigned at or above a vault with a registered data plane reaches that
/// vault after the propagation delay (the principal, or each member of a group).
fn reach_data_planes(state: &State, assignment: &AssignmentRecord) {
    let Some(role) = data_role(&assignment.role) else {
        return;
    };
    let mut principals = vec![assignment.principal_id.clone()];
    principals.extend(
        state
            .arm
            .group_members
            .iter()
            .filter(|(group, _)| same_id(group, &assignment.principal_id))
            .map(|(_, member)| member.clone()),
    );
    for vault in state
        .arm
        .vaults
        .iter()
        .filter(|v| covers(&assignment.scope, &v.id()))
    {
        if let Some(plane) = state
            .arm
            .data_planes
            .iter()
            .find(|d| same_id(&d.name, &vault.name))
        {
            grant_later(
                plane.shared.clone(),
                principals.clone(),
                role,
                state.arm.rbac_delay,
            );
        }
    }
}

fn grant_later(shared: Arc<Shared>, principals: Vec<String>, role: Role, delay: Duration) {
    let grant = move || {
        let mut data = shared.lock();
        for principal in &principals {
            // The stronger role wins when a principal holds both.
            let current = data.tenants.object_role(principal);
            if current == Some(Role::SecretsOfficer) {
                continue;
            }
            data.tenants
                .object_roles
                .retain(|(known, _)| !same_id(known, principal));
            data.tenants.object_roles.push((principal.clone(), role));
        }
    };
    if delay.is_zero() {
        grant();
    } else {
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            grant();
        });
    }
}

fn list_assignments(state: &State, call: &ArmCall<'_>, scope: &str) -> ArmResult {
    if !state
        .arm
        .allowed(&call.identity.object_id, scope, Permission::Read)
    {
        return Err(authorization_failed(
            call.identity,
            "Microsoft.Authorization/roleAssignments/read",
            scope,
        ));
    }
    let sub = scope.split('/').nth(2).unwrap_or_default();
    let items = state
        .arm
        .assignments
        .iter()
        .filter(|a| covers(&a.scope, scope) || covers(scope, &a.scope))
        .map(|a| assignment_json(a, sub))
        .collect();
    call.page(state, items)
}

fn set_diagnostics(state: &mut State, call: &ArmCall<'_>, scope: &str, name: &str) -> ArmResult {
    let target = format!("{scope}/providers/Microsoft.Insights/diagnosticSettings/{name}");
    if !state
        .arm
        .allowed(&call.identity.object_id, scope, Permission::WriteResources)
    {
        return Err(authorization_failed(
            call.identity,
            "Microsoft.Insights/diagnosticSettings/write",
            &target,
        ));
    }
    if !state.arm.vaults.iter().any(|v| same_id(&v.id(), scope)) {
        return Err(ArmError::new(
            404,
            "ResourceNotFound",
            format!("The Resource '{scope}' was not found."),
        ));
    }
    let body = call.json()?;
    let props = body["properties"].clone();
    let workspace = props["workspaceId"].as_str().unwrap_or_default();
    if !state
        .arm
        .workspaces
        .iter()
        .any(|w| same_id(&w.id(), workspace))
    {
        return Err(ArmError::new(
            400,
            "LinkedInvalidPropertyId",
            format!(
                "Property id '{workspace}' at path 'properties.workspaceId' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{{subscriptionId}}'."
            ),
        ));
    }
    let logs = props["logs"].as_array().cloned().unwrap_or_default();
    for log in &logs {
        let category = log["category"]
            .as_str()
            .or(log["categoryGroup"].as_str())
            .unwrap_or_default();
        if ![
            "AuditEvent",
            "AzurePolicyEvaluationDetails",
            "audit",
            "allLogs",
        ]
        .contains(&category)
        {
            return Err(bad_request(format!(
                "Category '{category}' is not supported."
            )));
        }
    }
    let key = scope.to_ascii_lowercase();
    state
        .arm
        .diagnostics
        .retain(|(s, n, _)| !(*s == key && same_id(n, name)));
    state
        .arm
        .diagnostics
        .push((key, name.to_string(), props.clone()));
    Ok((
        200,
        json!({
            "id": target,
            "name": name,
            "type": "Microsoft.Insights/diagnosticSettings",
            "properties": props,
        }),
    ))
}

fn list_workspaces(state: &State, call: &ArmCall<'_>, sub: &str) -> ArmResult {
    let items = state
        .arm
        .workspaces
        .iter()
        .filter(|w| same_id(&w.subscription, sub))
        .filter(|w| {
            state
                .arm
                .allowed(&call.identity.object_id, &w.id(), Permission::Read)
        })
        .map(|w| {
            json!({
                "id": w.id(),
                "name": w.name,
                "type": "Microsoft.OperationalInsights/workspaces",
                "location": w.location,
                "properties": { "provisioningState": "Succeeded", "retentionInDays": 30 },
            })
        })
        .collect();
    call.page(state, items)
}
