//! Azure Resource Manager's state in the emulator: tenants' names, subscriptions, resource
//! groups, vaults (and the names soft-deleted vaults still hold), Azure role assignments,
//! diagnostic settings and Log Analytics workspaces, plus the control methods tests set them
//! up with. The HTTP side is `arm.rs`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::directory::same_id;
use super::signin_types::{ControlError, new_guid};
use super::types::Role;
use super::{Emulator, Shared};

/// Built-in Azure roles the emulator knows (learn.microsoft.com/azure/role-based-access-control/
/// built-in-roles), by role definition GUID.
pub mod roles {
    pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
    pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
    pub const USER_ACCESS_ADMINISTRATOR: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
    pub const KEY_VAULT_ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
    pub const KEY_VAULT_CONTRIBUTOR: &str = "f25e0fa2-a7c8-4377-a976-54943a77a395";
    pub const KEY_VAULT_READER: &str = "21090545-7ca7-4776-b22c-e363652d74d2";
    pub const KEY_VAULT_SECRETS_OFFICER: &str = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
    pub const KEY_VAULT_SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";
}

/// What a role allows on the control plane (the emulator's coarse view of each role's actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// `*/read`: see subscriptions' resources, vaults, groups, workspaces, assignments.
    Read,
    /// `Microsoft.Resources/subscriptions/resourceGroups/write`, diagnostic settings.
    WriteResources,
    /// `Microsoft.KeyVault/vaults/write`.
    WriteVaults,
    /// `Microsoft.Authorization/roleAssignments/write`.
    AssignRoles,
}

/// Whether built-in role `role` grants `permission`. The Key Vault data roles (Secrets
/// Officer/User, Administrator) carry no `vaults/read` of the control plane: they make the
/// subscription show up, not the vault in a listing.
pub fn grants(role: &str, permission: Permission) -> bool {
    use roles::*;
    let role = role.to_ascii_lowercase();
    let role = role.as_str();
    match permission {
        Permission::Read => [
            OWNER,
            CONTRIBUTOR,
            READER,
            USER_ACCESS_ADMINISTRATOR,
            KEY_VAULT_CONTRIBUTOR,
            KEY_VAULT_READER,
        ]
        .contains(&role),
        Permission::WriteResources => [OWNER, CONTRIBUTOR].contains(&role),
        Permission::WriteVaults => [OWNER, CONTRIBUTOR, KEY_VAULT_CONTRIBUTOR].contains(&role),
        Permission::AssignRoles => [OWNER, USER_ACCESS_ADMINISTRATOR].contains(&role),
    }
}

/// The data-plane role a built-in role gives on a vault, if any.
pub fn data_role(role: &str) -> Option<Role> {
    let role = role.to_ascii_lowercase();
    match role.as_str() {
        roles::KEY_VAULT_SECRETS_OFFICER | roles::KEY_VAULT_ADMINISTRATOR => {
            Some(Role::SecretsOfficer)
        }
        roles::KEY_VAULT_SECRETS_USER => Some(Role::SecretsUser),
        _ => None,
    }
}

#[derive(Debug, Clone)]
pub struct SubscriptionRecord {
    pub id: String,
    pub tenant: String,
    pub display_name: String,
}

#[derive(Debug, Clone)]
pub struct GroupRecord {
    pub subscription: String,
    pub name: String,
    pub location: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VaultRecord {
    pub subscription: String,
    pub group: String,
    pub name: String,
    pub location: String,
    pub tenant_id: String,
    pub sku: String,
    pub rbac: bool,
    pub soft_delete: bool,
    pub retention_days: u64,
    pub purge_protection: bool,
    pub vault_uri: String,
}

impl VaultRecord {
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}",
            self.subscription, self.group, self.name
        )
    }
}

#[derive(Debug, Clone)]
pub struct AssignmentRecord {
    pub name: String,
    /// Lowercased ARM id the role applies at.
    pub scope: String,
    /// The role definition GUID.
    pub role: String,
    pub principal_id: String,
    pub principal_type: String,
}

#[derive(Debug, Clone)]
pub struct WorkspaceRecord {
    pub subscription: String,
    pub group: String,
    pub name: String,
    pub location: String,
}

impl WorkspaceRecord {
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}",
            self.subscription, self.group, self.name
        )
    }
}

/// A started vault emulator standing in for the data plane of the vault ARM creates by a name.
pub struct DataPlane {
    pub name: String,
    pub url: String,
    pub shared: Arc<Shared>,
}

pub struct ArmState {
    /// Display name and default domain per tenant id (Tenants - List).
    pub tenant_names: Vec<(String, String, String)>,
    pub subscriptions: Vec<SubscriptionRecord>,
    pub groups: Vec<GroupRecord>,
    pub vaults: Vec<VaultRecord>,
    /// Names of soft-deleted vaults: taken until purged (Check Name Availability).
    pub deleted_vault_names: Vec<String>,
    pub assignments: Vec<AssignmentRecord>,
    /// Group object id → member object ids (role assignments to groups reach their members).
    pub group_members: Vec<(String, String)>,
    /// Entra groups per tenant and who may list them through Graph (see `graph_groups.rs`).
    pub entra_groups: super::graph_groups::EntraGroups,
    /// (lowercased scope of the vault, setting name, the PUT body's properties).
    pub diagnostics: Vec<(String, String, Value)>,
    pub workspaces: Vec<WorkspaceRecord>,
    pub data_planes: Vec<DataPlane>,
    /// How long a data role assigned through ARM takes to reach the data plane.
    pub rbac_delay: Duration,
    /// Most items on one listing page (then `nextLink`).
    pub page_size: usize,
    pub locations: Vec<(String, String)>,
}

impl Default for ArmState {
    fn default() -> Self {
        ArmState {
            tenant_names: Vec::new(),
            subscriptions: Vec::new(),
            groups: Vec::new(),
            vaults: Vec::new(),
            deleted_vault_names: Vec::new(),
            assignments: Vec::new(),
            group_members: Vec::new(),
            entra_groups: Default::default(),
            diagnostics: Vec::new(),
            workspaces: Vec::new(),
            data_planes: Vec::new(),
            rbac_delay: Duration::ZERO,
            page_size: 100,
            locations: [
                ("westeurope", "West Europe"),
                ("northeurope", "North Europe"),
                ("eastus", "East US"),
                ("uksouth", "UK South"),
            ]
            .iter()
            .map(|(name, display)| (name.to_string(), display.to_string()))
            .collect(),
        }
    }
}

/// Whether the role at `scope` applies at `target` (the same resource or one under it).
pub fn covers(scope: &str, target: &str) -> bool {
    let scope = scope.trim_end_matches('/').to_ascii_lowercase();
    let target = target.trim_end_matches('/').to_ascii_lowercase();
    target == scope || target.starts_with(&format!("{scope}/"))
}

impl ArmState {
    pub fn subscription(&self, id: &str) -> Option<&SubscriptionRecord> {
        self.subscriptions.iter().find(|s| same_id(&s.id, id))
    }

    /// The object ids `object_id` acts as: itself and its groups.
    fn principals(&self, object_id: &str) -> Vec<String> {
        let mut ids = vec![object_id.to_ascii_lowercase()];
        ids.extend(
            self.group_members
                .iter()
                .filter(|(_, member)| same_id(member, object_id))
                .map(|(group, _)| group.to_ascii_lowercase()),
        );
        ids
    }

    /// Whether `object_id` holds a role granting `permission` at `target` or above.
    pub fn allowed(&self, object_id: &str, target: &str, permission: Permission) -> bool {
        let principals = self.principals(object_id);
        self.assignments.iter().any(|a| {
            principals.contains(&a.principal_id.to_ascii_lowercase())
                && covers(&a.scope, target)
                && grants(&a.role, permission)
        })
    }

    /// Whether `object_id` holds any role at, above or below `target` (a subscription shows in
    /// Subscriptions - List for a role anywhere in it).
    pub fn any_role_within(&self, object_id: &str, target: &str) -> bool {
        let principals = self.principals(object_id);
        self.assignments.iter().any(|a| {
            principals.contains(&a.principal_id.to_ascii_lowercase())
                && (covers(&a.scope, target) || covers(target, &a.scope))
        })
    }

    pub fn name_taken(&self, name: &str) -> bool {
        self.vaults.iter().any(|v| same_id(&v.name, name))
            || self.deleted_vault_names.iter().any(|n| same_id(n, name))
    }
}

/// `/subscriptions/{id}`.
pub fn subscription_scope(id: &str) -> String {
    format!("/subscriptions/{id}")
}

impl Emulator {
    /// Names a tenant for Tenants - List (`displayName`, `defaultDomain`).
    pub fn set_tenant_name(&self, tenant: &str, display_name: &str, default_domain: &str) {
        let mut state = self.shared.lock();
        state
            .arm
            .tenant_names
            .retain(|(t, _, _)| !same_id(t, tenant));
        state.arm.tenant_names.push((
            tenant.to_string(),
            display_name.to_string(),
            default_domain.to_string(),
        ));
    }

    /// Adds a subscription to `tenant`; returns its id.
    pub fn add_subscription(&self, tenant: &str, display_name: &str) -> String {
        let id = new_guid();
        self.shared
            .lock()
            .arm
            .subscriptions
            .push(SubscriptionRecord {
                id: id.clone(),
                tenant: tenant.to_string(),
                display_name: display_name.to_string(),
            });
        id
    }

    pub fn add_resource_group(&self, subscription: &str, name: &str, location: &str) {
        let mut state = self.shared.lock();
        if !state
            .arm
            .groups
            .iter()
            .any(|g| same_id(&g.subscription, subscription) && same_id(&g.name, name))
        {
            state.arm.groups.push(GroupRecord {
                subscription: subscription.to_string(),
                name: name.to_string(),
                location: location.to_string(),
            });
        }
    }

    /// Adds an existing vault (RBAC, soft delete 90 days, no purge protection, `vault_uri` or
    /// `https://{name}.vault.azure.net/`); returns its ARM id.
    pub fn add_arm_vault(
        &self,
        subscription: &str,
        group: &str,
        name: &str,
        vault_uri: Option<&str>,
    ) -> Result<String, ControlError> {
        self.add_resource_group(subscription, group, "westeurope");
        let mut state = self.shared.lock();
        let tenant = state
            .arm
            .subscription(subscription)
            .map(|s| s.tenant.clone())
            .ok_or_else(|| ControlError(format!("no subscription {subscription}")))?;
        if state.arm.name_taken(name) {
            return Err(ControlError(format!("vault name {name} is taken")));
        }
        let record = VaultRecord {
            subscription: subscription.to_string(),
            group: group.to_string(),
            name: name.to_string(),
            location: "westeurope".to_string(),
            tenant_id: tenant,
            sku: "standard".to_string(),
            rbac: true,
            soft_delete: true,
            retention_days: 90,
            purge_protection: false,
            vault_uri: vault_uri
                .map(|uri| format!("{}/", uri.trim_end_matches('/')))
                .unwrap_or_else(|| format!("https://{name}.vault.azure.net/")),
        };
        let id = record.id();
        state.arm.vaults.push(record);
        Ok(id)
    }

    /// A vault of that name was deleted and waits in soft delete: the name stays taken.
    pub fn add_soft_deleted_vault_name(&self, name: &str) {
        self.shared
            .lock()
            .arm
            .deleted_vault_names
            .push(name.to_string());
    }

    /// Gives the user `upn` (a member of `tenant` or a guest there) built-in role `role` (a GUID
    /// from [`roles`]) at `scope` (an ARM id), as the Portal's Add role assignment does.
    pub fn grant_azure_role(
        &self,
        tenant: &str,
        upn: &str,
        role: &str,
        scope: &str,
    ) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        let object_id = state
            .user_at(tenant, upn)
            .map(|user| user.object_id)
            .ok_or_else(|| ControlError(format!("{upn} is not in tenant {tenant}")))?;
        state.arm.assignments.push(AssignmentRecord {
            name: new_guid(),
            scope: scope.trim_end_matches('/').to_ascii_lowercase(),
            role: role.to_ascii_lowercase(),
            principal_id: object_id,
            principal_type: "User".to_string(),
        });
        Ok(())
    }

    /// Makes `member` (an object id) a member of group `group` (an object id).
    pub fn add_group_member(&self, group: &str, member: &str) {
        self.shared
            .lock()
            .arm
            .group_members
            .push((group.to_string(), member.to_string()));
    }

    pub fn add_workspace(&self, subscription: &str, group: &str, name: &str) -> String {
        self.add_resource_group(subscription, group, "westeurope");
        let record = WorkspaceRecord {
            subscription: subscription.to_string(),
            group: group.to_string(),
            name: name.to_string(),
            location: "westeurope".to_string(),
        };
        let id = record.id();
        self.shared.lock().arm.workspaces.push(record);
        id
    }

    /// `vault` (a started emulator) is the data plane of the vault ARM creates as `name`: its
    /// URL becomes `properties.vaultUri`, it joins the subscription's tenant and trusts this
    /// process's Entra, and Key Vault data roles assigned through ARM reach it after
    /// [`Emulator::set_rbac_propagation_delay`].
    pub fn register_data_plane(&self, name: &str, vault: &Emulator) {
        self.shared.lock().arm.data_planes.push(DataPlane {
            name: name.to_string(),
            url: vault.vault_url(),
            shared: vault.shared.clone(),
        });
    }

    /// How long Azure RBAC takes before a data role assigned through ARM applies (real Azure:
    /// minutes; until then the vault answers 403 ForbiddenByRbac).
    pub fn set_rbac_propagation_delay(&self, delay: Duration) {
        self.shared.lock().arm.rbac_delay = delay;
    }

    /// Most items on one ARM listing page (Azure's pages vary; tests make them small).
    pub fn set_arm_page_size(&self, size: usize) {
        self.shared.lock().arm.page_size = size.max(1);
    }

    /// The vault ARM holds under `name`, if any.
    pub fn arm_vault(&self, name: &str) -> Option<VaultRecord> {
        self.shared
            .lock()
            .arm
            .vaults
            .iter()
            .find(|v| same_id(&v.name, name))
            .cloned()
    }

    /// The diagnostic settings' properties set on the vault with ARM id `vault_id`.
    pub fn diagnostic_settings(&self, vault_id: &str) -> Vec<(String, Value)> {
        let scope = vault_id.to_ascii_lowercase();
        self.shared
            .lock()
            .arm
            .diagnostics
            .iter()
            .filter(|(s, _, _)| *s == scope)
            .map(|(_, name, props)| (name.clone(), props.clone()))
            .collect()
    }

    /// The role assignments (scope, role GUID, principal id) ARM holds.
    pub fn role_assignments(&self) -> Vec<(String, String, String)> {
        self.shared
            .lock()
            .arm
            .assignments
            .iter()
            .map(|a| (a.scope.clone(), a.role.clone(), a.principal_id.clone()))
            .collect()
    }
}
