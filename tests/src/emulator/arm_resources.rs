//! ARM's Microsoft.Resources operations in the emulator: Tenants - List, Subscriptions - List and
//! List Locations (2022-12-01), Resource Groups - Get, Create Or Update and List (2021-04-01).

use serde_json::{Value, json};

use super::arm::{ArmCall, ArmError, ArmResult, authorization_failed};
use super::arm_state::{Permission, subscription_scope};
use super::directory::same_id;
use super::state::State;

/// Tenants - List: the home tenant and every tenant where the account is a guest.
pub fn list_tenants(state: &State, call: &ArmCall<'_>) -> ArmResult {
    let object_id = &call.identity.object_id;
    let home_oid = state
        .tenants
        .guests
        .iter()
        .find(|guest| same_id(&guest.object_id, object_id))
        .map(|guest| guest.home_object_id.clone())
        .unwrap_or_else(|| object_id.clone());
    let mut tenants: Vec<(String, &str)> = Vec::new();
    if let Some(home) = state.find_user_by_oid(&home_oid) {
        tenants.push((home.tenant.clone(), "Home"));
    }
    for guest in state
        .tenants
        .guests
        .iter()
        .filter(|g| same_id(&g.home_object_id, &home_oid))
    {
        tenants.push((guest.tenant.clone(), "Home"));
    }
    let items = tenants
        .into_iter()
        .map(|(tenant, category)| {
            let (name, domain) = state
                .arm
                .tenant_names
                .iter()
                .find(|(t, _, _)| same_id(t, &tenant))
                .map(|(_, name, domain)| (name.clone(), domain.clone()))
                .unwrap_or_else(|| {
                    let short: String = tenant.chars().take(8).collect();
                    (
                        format!("Tenant {short}"),
                        format!("{short}.onmicrosoft.com"),
                    )
                });
            json!({
                "id": format!("/tenants/{tenant}"),
                "tenantId": tenant,
                "countryCode": "US",
                "displayName": name,
                "domains": [domain],
                "tenantCategory": category,
                "defaultDomain": domain,
                "tenantType": "AAD",
            })
        })
        .collect();
    call.page(state, items)
}

/// Subscriptions - List: the token's tenant's subscriptions with a role of the caller in them.
pub fn list_subscriptions(state: &State, call: &ArmCall<'_>) -> ArmResult {
    let identity = call.identity;
    let items = state
        .arm
        .subscriptions
        .iter()
        .filter(|s| same_id(&s.tenant, &identity.tenant))
        .filter(|s| {
            state
                .arm
                .any_role_within(&identity.object_id, &subscription_scope(&s.id))
        })
        .map(|s| {
            json!({
                "id": subscription_scope(&s.id),
                "authorizationSource": "RoleBased",
                "managedByTenants": [],
                "subscriptionId": s.id,
                "tenantId": s.tenant,
                "displayName": s.display_name,
                "state": "Enabled",
                "subscriptionPolicies": {
                    "locationPlacementId": "Public_2014-09-01",
                    "quotaId": "PayAsYouGo_2014-09-01",
                    "spendingLimit": "Off"
                }
            })
        })
        .collect();
    call.page(state, items)
}

pub fn list_locations(state: &State, call: &ArmCall<'_>, sub: &str) -> ArmResult {
    if !state
        .arm
        .any_role_within(&call.identity.object_id, &subscription_scope(sub))
    {
        return Err(authorization_failed(
            call.identity,
            "Microsoft.Resources/subscriptions/locations/read",
            &subscription_scope(sub),
        ));
    }
    let items = state
        .arm
        .locations
        .iter()
        .map(|(name, display)| {
            json!({
                "id": format!("/subscriptions/{sub}/locations/{name}"),
                "name": name,
                "displayName": display,
                "regionalDisplayName": format!("(Europe) {display}"),
                "type": "Region",
            })
        })
        .collect();
    call.page(state, items)
}

fn group_json(sub: &str, name: &str, location: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{sub}/resourceGroups/{name}"),
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "properties": { "provisioningState": "Succeeded" }
    })
}

fn group_scope(sub: &str, group: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{group}")
}

pub fn get_group(state: &State, call: &ArmCall<'_>, sub: &str, group: &str) -> ArmResult {
    if !state.arm.allowed(
        &call.identity.object_id,
        &group_scope(sub, group),
        Permission::Read,
    ) {
        return Err(authorization_failed(
            call.identity,
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            &group_scope(sub, group),
        ));
    }
    state
        .arm
        .groups
        .iter()
        .find(|g| same_id(&g.subscription, sub) && same_id(&g.name, group))
        .map(|g| (200, group_json(sub, &g.name, &g.location)))
        .ok_or_else(|| group_not_found(group))
}

pub fn group_not_found(group: &str) -> ArmError {
    ArmError::new(
        404,
        "ResourceGroupNotFound",
        format!("Resource group '{group}' could not be found."),
    )
}

pub fn put_group(state: &mut State, call: &ArmCall<'_>, sub: &str, group: &str) -> ArmResult {
    let scope = group_scope(sub, group);
    if !state
        .arm
        .allowed(&call.identity.object_id, &scope, Permission::WriteResources)
    {
        return Err(authorization_failed(
            call.identity,
            "Microsoft.Resources/subscriptions/resourceGroups/write",
            &scope,
        ));
    }
    let body = call.json()?;
    let location = body["location"]
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
    if let Some(existing) = state
        .arm
        .groups
        .iter()
        .find(|g| same_id(&g.subscription, sub) && same_id(&g.name, group))
    {
        if !same_id(&existing.location, &location) {
            return Err(ArmError::new(
                409,
                "InvalidResourceGroupLocation",
                format!(
                    "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                    existing.location
                ),
            ));
        }
        return Ok((200, group_json(sub, &existing.name, &existing.location)));
    }
    state.arm.groups.push(super::arm_state::GroupRecord {
        subscription: sub.to_string(),
        name: group.to_string(),
        location: location.clone(),
    });
    Ok((201, group_json(sub, group, &location)))
}

pub fn list_groups(state: &State, call: &ArmCall<'_>, sub: &str) -> ArmResult {
    let items = state
        .arm
        .groups
        .iter()
        .filter(|g| same_id(&g.subscription, sub))
        .filter(|g| {
            state.arm.allowed(
                &call.identity.object_id,
                &group_scope(sub, &g.name),
                Permission::Read,
            )
        })
        .map(|g| group_json(sub, &g.name, &g.location))
        .collect();
    call.page(state, items)
}
