//! Role assignments (Microsoft.Authorization), diagnostic settings (Microsoft.Insights) and
//! Log Analytics workspaces (Microsoft.OperationalInsights).

use azure_core::http::Method;
use serde::{Deserialize, Serialize};

use super::client::ArmClient;
use super::errors::Doing;
use super::resources::seg;
use crate::error::{AppError, AppResult, ErrorCode};

const ROLE_ASSIGNMENTS_API: &str = "2022-04-01";
const DIAGNOSTIC_SETTINGS_API: &str = "2021-05-01-preview";
const WORKSPACES_API: &str = "2022-10-01";

/// Built-in role "Key Vault Secrets Officer" (learn.microsoft.com/azure/role-based-access-
/// control/built-in-roles/security#key-vault-secrets-officer).
pub const KEY_VAULT_SECRETS_OFFICER: &str = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
/// Built-in role "Key Vault Secrets User" (…/built-in-roles/security#key-vault-secrets-user).
pub const KEY_VAULT_SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";

/// The full id of built-in role `role` (a GUID) as seen from `subscription_id`.
pub fn role_definition_id(subscription_id: &str, role: &str) -> String {
    format!(
        "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{}",
        seg(subscription_id),
        seg(role)
    )
}

/// Who a role is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum PrincipalType {
    User,
    Group,
    ServicePrincipal,
    ForeignGroup,
}

/// Role Assignments - Create's body `properties`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentRequest {
    /// From [`role_definition_id`].
    pub role_definition_id: String,
    /// The object id of the user, group or service principal.
    pub principal_id: String,
    pub principal_type: PrincipalType,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentProperties {
    pub role_definition_id: String,
    pub principal_id: String,
    #[serde(default)]
    pub principal_type: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub properties: RoleAssignmentProperties,
}

/// A Log Analytics workspace (its `id` is what a diagnostic setting's `workspaceId` takes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub location: String,
}

/// A diagnostic setting as ARM answers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticSetting {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub properties: serde_json::Value,
}

const ASSIGN_ROLE: Doing = Doing::new(
    "assign a role on the vault",
    "Owner or User Access Administrator",
    "the vault, its resource group or subscription",
);
const LIST_ASSIGNMENTS: Doing = Doing::new(
    "list the role assignments",
    "Reader",
    "the vault, its resource group or subscription",
);
const WRITE_DIAGNOSTICS: Doing = Doing::new(
    "send the vault's audit logs to Log Analytics",
    "Monitoring Contributor (or Contributor) on the vault and Log Analytics Contributor on the workspace",
    "the vault and the workspace",
);
const LIST_WORKSPACES: Doing = Doing::new(
    "list the Log Analytics workspaces",
    "Reader",
    "the subscription",
);

/// An ARM id to append `/providers/…` to: `/subscriptions/…`, nothing that changes the path or
/// query (`..`, `?`, `#`, `%`).
fn checked_scope(scope: &str) -> AppResult<&str> {
    let scope = scope.trim_end_matches('/');
    let plain = scope.starts_with("/subscriptions/")
        && !scope.contains("..")
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.()".contains(&b));
    if plain {
        Ok(scope)
    } else {
        Err(AppError::new(
            ErrorCode::InvalidInput,
            format!("{scope} is not an Azure resource id the console can use."),
            "Pick the vault, resource group or subscription from the lists the console shows.",
        ))
    }
}

impl ArmClient {
    /// Role Assignments - Create: `PUT {scope}/providers/Microsoft.Authorization/
    /// roleAssignments/{roleAssignmentName}?api-version=2022-04-01` with `{"properties":
    /// {"roleDefinitionId","principalId","principalType"}}` (learn.microsoft.com/rest/api/
    /// authorization/role-assignments/create). A new GUID names each assignment, so ARM answers
    /// 409 `RoleAssignmentExists` when the principal already has the role there: `None` then.
    pub async fn create_role_assignment(
        &self,
        scope: &str,
        request: &RoleAssignmentRequest,
    ) -> AppResult<Option<RoleAssignment>> {
        let path = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            checked_scope(scope)?,
            uuid::Uuid::new_v4()
        );
        let body = serde_json::json!({ "properties": request });
        match self
            .write(
                Method::Put,
                &path,
                ROLE_ASSIGNMENTS_API,
                &body,
                &ASSIGN_ROLE,
            )
            .await
        {
            Ok((_, assignment)) => Ok(Some(assignment)),
            Err(error)
                if error.code == ErrorCode::Conflict
                    && error.message.contains("RoleAssignmentExists") =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Role Assignments - List For Scope: `GET {scope}/providers/Microsoft.Authorization/
    /// roleAssignments?api-version=2022-04-01` (learn.microsoft.com/rest/api/authorization/
    /// role-assignments/list-for-scope): assignments at, above and below the scope.
    pub async fn list_role_assignments(&self, scope: &str) -> AppResult<Vec<RoleAssignment>> {
        let path = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments",
            checked_scope(scope)?
        );
        self.list(&path, ROLE_ASSIGNMENTS_API, &LIST_ASSIGNMENTS)
            .await
    }

    /// Diagnostic Settings - Create Or Update: `PUT {resourceUri}/providers/Microsoft.Insights/
    /// diagnosticSettings/{name}?api-version=2021-05-01-preview` with `{"properties":
    /// {"workspaceId","logs":[{"category":"AuditEvent","enabled":true}]}}`
    /// (learn.microsoft.com/rest/api/monitor/diagnostic-settings/create-or-update). Idempotent.
    pub async fn set_audit_diagnostics(
        &self,
        vault_id: &str,
        setting_name: &str,
        workspace_id: &str,
    ) -> AppResult<DiagnosticSetting> {
        let path = format!(
            "{}/providers/Microsoft.Insights/diagnosticSettings/{}",
            checked_scope(vault_id)?,
            seg(setting_name)
        );
        let body = serde_json::json!({
            "properties": {
                "workspaceId": workspace_id,
                "logs": [{ "category": "AuditEvent", "enabled": true }],
            }
        });
        let (_, setting) = self
            .write(
                Method::Put,
                &path,
                DIAGNOSTIC_SETTINGS_API,
                &body,
                &WRITE_DIAGNOSTICS,
            )
            .await?;
        Ok(setting)
    }

    /// Workspaces - List: `GET /subscriptions/{sub}/providers/Microsoft.OperationalInsights/
    /// workspaces?api-version=2022-10-01` (learn.microsoft.com/rest/api/loganalytics/
    /// workspaces/list).
    pub async fn list_workspaces(&self, subscription_id: &str) -> AppResult<Vec<Workspace>> {
        let path = format!(
            "/subscriptions/{}/providers/Microsoft.OperationalInsights/workspaces",
            seg(subscription_id)
        );
        self.list(&path, WORKSPACES_API, &LIST_WORKSPACES).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_resource_ids_become_paths() {
        assert!(
            checked_scope(
                "/subscriptions/s1/resourceGroups/rg-1/providers/Microsoft.KeyVault/vaults/kv"
            )
            .is_ok()
        );
        for bad in [
            "https://evil.example/x",
            "/subscriptions/s1/../../tenants",
            "/subscriptions/s1?api-version=1",
            "/subscriptions/s1%2F..",
            "/tenants",
        ] {
            assert!(checked_scope(bad).is_err(), "{bad}");
        }
    }
}
