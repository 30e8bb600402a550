//! Provisioning a client's vault the way the Setup Guide prescribes (phases 1 and 3), with the
//! signed-in technician's own Azure rights, as one guided flow (issue 20 §3):
//!
//! 1. the resource group (read; created when asked),
//! 2. the vault name's availability (skipped when the vault is already ours: a resume),
//! 3. the vault: Standard, Azure RBAC, soft delete kept 90 days, purge protection, until
//!    `provisioningState` is `Succeeded`,
//! 4. Key Vault Secrets Officer → the technicians' group,
//! 5. Key Vault Secrets User → the read-only group,
//! 6. optionally AuditEvent logs → a Log Analytics workspace (diagnostic settings),
//! 7. the vault added as a client and connected (in `session/provision.rs`).
//!
//! Every step looks before it writes, so running the flow again after a failure at any step
//! finishes the job without a second resource group, vault or role assignment; a step that found
//! its work done shows as skipped ("already there"). The UI's "Retry from here" is such a rerun.

mod arm_extra;
pub mod groups;
mod plan;
mod steps;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::validation::{guid_field, normalise_vault_name, validate_text};
use crate::error::{AppError, AppResult};

pub use plan::{Deviation, assess_vault, check_vault_uri};
pub use steps::{ProvisionOptions, Provisioner, VaultOutcome, name_taken};

/// Name of the diagnostic setting the console writes (one per vault; PUT replaces it in place).
pub const DIAGNOSTIC_SETTING_NAME: &str = "akv-console-audit";
/// Longest client name (the client list's own limit).
pub const MAX_CLIENT_NAME_CHARS: usize = 80;

/// What the technician chose in the wizard. Every field is checked again in Rust
/// ([`ProvisionRequest::validated`]): the page is untrusted input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProvisionRequest {
    /// The client's tenant (one the home sign-in reaches).
    pub tenant_id: String,
    pub subscription_id: String,
    /// Azure region name, e.g. `westeurope`.
    pub location: String,
    pub resource_group: String,
    /// Create the resource group when it does not exist (otherwise a missing one is an error).
    pub create_resource_group: bool,
    pub vault_name: String,
    /// Entra group given Key Vault Secrets Officer (technicians who add and rotate keys).
    pub officer_group_id: String,
    /// Entra group given Key Vault Secrets User (read-only identities).
    pub user_group_id: String,
    /// Log Analytics workspace resource id for AuditEvent logs, if any.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// The client's name in the console's list.
    pub client_name: String,
    /// The technician confirmed switching an existing vault from access policies to Azure RBAC.
    #[serde(default)]
    pub switch_to_rbac: bool,
}

impl ProvisionRequest {
    /// The request with every field checked and normalised, or the first bad field named.
    pub fn validated(&self) -> AppResult<ProvisionRequest> {
        let tenant_id = guid_field("tenantId", "Tenant", &self.tenant_id)?;
        let subscription_id = guid_field("subscriptionId", "Subscription", &self.subscription_id)?;
        let location = self.location.trim().to_ascii_lowercase();
        if location.is_empty()
            || location.len() > 40
            || !location.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(AppError::field(
                "location",
                "Pick the region from the list.",
                "Azure region names are letters and digits, e.g. westeurope.",
            ));
        }
        let resource_group = self.resource_group.trim().to_string();
        if !is_resource_group_name(&resource_group) {
            return Err(AppError::field(
                "resourceGroup",
                format!("'{resource_group}' is not a valid resource group name."),
                "Resource group names are 1–90 letters, digits, underscores, hyphens, periods and parentheses, and do not end with a period.",
            ));
        }
        let vault_name = normalise_vault_name(&self.vault_name)?;
        let officer_group_id = group_field("officerGroupId", &self.officer_group_id)?;
        let user_group_id = group_field("userGroupId", &self.user_group_id)?;
        let workspace_id = match self.workspace_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) if is_workspace_id(id) => Some(id.to_string()),
            Some(_) => {
                return Err(AppError::field(
                    "workspaceId",
                    "That is not a Log Analytics workspace of Azure.",
                    "Pick the workspace from the list, or leave it empty to skip sending audit logs.",
                ));
            }
        };
        let client_name = validate_text(
            "clientName",
            "Client name",
            &self.client_name,
            MAX_CLIENT_NAME_CHARS,
        )?;
        let client_name = if client_name.is_empty() {
            vault_name.clone()
        } else {
            client_name
        };
        Ok(ProvisionRequest {
            tenant_id,
            subscription_id,
            location,
            resource_group,
            create_resource_group: self.create_resource_group,
            vault_name,
            officer_group_id,
            user_group_id,
            workspace_id,
            client_name,
            switch_to_rbac: self.switch_to_rbac,
        })
    }

    /// The vault's ARM resource id.
    pub fn vault_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}",
            self.subscription_id, self.resource_group, self.vault_name
        )
    }
}

fn group_field(field: &str, value: &str) -> AppResult<String> {
    guid_field(field, "Group", value).map_err(|mut error| {
        error.hint = "Pick the group from the search, or paste its Object ID from Entra ID → Groups → the group's Overview.".into();
        error
    })
}

/// Resource group naming rule (learn.microsoft.com/azure/azure-resource-manager/management/
/// resource-name-rules#microsoftresources): 1–90 of letters, digits, `_ - . ( )`, not ending in `.`.
pub fn is_resource_group_name(name: &str) -> bool {
    let len = name.chars().count();
    (1..=90).contains(&len)
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.()".contains(c))
}

/// `/subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/
/// workspaces/{name}`, nothing else (the id is sent to Azure as the logs' destination).
pub fn is_workspace_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('/').collect();
    matches!(
        parts.as_slice(),
        ["", subs, sub, groups, group, providers, provider, workspaces, name]
            if subs.eq_ignore_ascii_case("subscriptions")
                && crate::domain::validation::is_guid(sub)
                && groups.eq_ignore_ascii_case("resourceGroups")
                && is_resource_group_name(group)
                && providers.eq_ignore_ascii_case("providers")
                && provider.eq_ignore_ascii_case("Microsoft.OperationalInsights")
                && workspaces.eq_ignore_ascii_case("workspaces")
                && (4..=63).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    )
}

/// The flow's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum StepId {
    ResourceGroup,
    NameAvailability,
    Vault,
    OfficerRole,
    UserRole,
    Diagnostics,
    Connect,
}

impl StepId {
    pub const ALL: [StepId; 7] = [
        StepId::ResourceGroup,
        StepId::NameAvailability,
        StepId::Vault,
        StepId::OfficerRole,
        StepId::UserRole,
        StepId::Diagnostics,
        StepId::Connect,
    ];

    pub fn title(self) -> &'static str {
        match self {
            StepId::ResourceGroup => "Resource group",
            StepId::NameAvailability => "Vault name available",
            StepId::Vault => "Vault (Standard, Azure RBAC, 90-day soft delete, purge protection)",
            StepId::OfficerRole => "Key Vault Secrets Officer → technicians' group",
            StepId::UserRole => "Key Vault Secrets User → read-only group",
            StepId::Diagnostics => "Audit logs → Log Analytics",
            StepId::Connect => "Add as a client and connect",
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum StepState {
    Pending,
    Running,
    /// Running, and waiting for Azure (a role assignment to propagate).
    Waiting,
    Done,
    /// Nothing to do: it was already there (a resume), or not asked for.
    Skipped,
    Failed,
}

/// One row of the step list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StepView {
    pub id: StepId,
    pub title: String,
    pub state: StepState,
    /// What the step did or found, in a technician's words.
    pub detail: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<AppError>,
}

/// The whole step list, sent to the UI after every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProvisionProgress {
    pub vault_name: String,
    pub steps: Vec<StepView>,
    /// The new client's id once it is in the list.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub finished: bool,
}

impl ProvisionProgress {
    pub fn new(request: &ProvisionRequest) -> ProvisionProgress {
        ProvisionProgress {
            vault_name: request.vault_name.clone(),
            steps: StepId::ALL
                .iter()
                .map(|id| StepView {
                    id: *id,
                    title: id.title().to_string(),
                    state: StepState::Pending,
                    detail: String::new(),
                    error: None,
                })
                .collect(),
            client_id: None,
            finished: false,
        }
    }

    pub fn step(&self, id: StepId) -> Option<&StepView> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn set(&mut self, id: StepId, state: StepState, detail: impl Into<String>) {
        if let Some(step) = self.steps.iter_mut().find(|s| s.id == id) {
            step.state = state;
            step.detail = detail.into();
            step.error = None;
        }
    }

    pub fn fail(&mut self, id: StepId, error: &AppError) {
        if let Some(step) = self.steps.iter_mut().find(|s| s.id == id) {
            step.state = StepState::Failed;
            step.detail = error.message.clone();
            step.error = Some(error.clone());
        }
        self.finished = true;
    }

    /// The first failed step's error.
    pub fn error(&self) -> Option<&AppError> {
        self.steps.iter().find_map(|s| s.error.as_ref())
    }
}

/// Where the progress goes (the Tauri command emits it as an event).
pub type ProgressSink = std::sync::Arc<dyn Fn(&ProvisionProgress) + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ProvisionRequest {
        ProvisionRequest {
            tenant_id: "11111111-1111-4111-8111-111111111111".into(),
            subscription_id: "22222222-2222-4222-8222-222222222222".into(),
            location: "WestEurope".into(),
            resource_group: "rg-contoso-keys".into(),
            create_resource_group: true,
            vault_name: "contoso-api-keys".into(),
            officer_group_id: "33333333-3333-4333-8333-333333333333".into(),
            user_group_id: "44444444-4444-4444-8444-444444444444".into(),
            workspace_id: None,
            client_name: " Contoso ".into(),
            switch_to_rbac: false,
        }
    }

    #[test]
    fn a_request_is_checked_field_by_field_and_normalised() {
        let ok = request().validated().expect("valid");
        assert_eq!(ok.location, "westeurope");
        assert_eq!(ok.client_name, "Contoso");
        let bad = |change: fn(&mut ProvisionRequest), field: &str| {
            let mut r = request();
            change(&mut r);
            let error = r.validated().expect_err(field);
            assert_eq!(error.field.as_deref(), Some(field), "{error:?}");
        };
        bad(
            |r| r.officer_group_id = "technicians".into(),
            "officerGroupId",
        );
        bad(|r| r.user_group_id = String::new(), "userGroupId");
        bad(|r| r.vault_name = "a--b".into(), "vaultName");
        bad(|r| r.resource_group = "rg/../other".into(), "resourceGroup");
        bad(|r| r.resource_group = "rg.".into(), "resourceGroup");
        bad(|r| r.location = "west europe".into(), "location");
        bad(|r| r.subscription_id = "sub".into(), "subscriptionId");
        bad(
            |r| r.workspace_id = Some("https://evil.example/ws".into()),
            "workspaceId",
        );
        bad(|r| r.client_name = "a\nb".into(), "clientName");
        let mut with_ws = request();
        with_ws.workspace_id = Some(
            "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/msp-logs".into(),
        );
        assert!(with_ws.validated().expect("valid").workspace_id.is_some());
    }
}
