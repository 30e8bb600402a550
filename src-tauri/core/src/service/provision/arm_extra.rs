//! ARM operations provisioning needs beyond the shared ARM room (`crate::arm`), kept here so the
//! room stays one engineer's: Vaults - Update (PATCH), which changes only the properties sent and
//! keeps the rest (network rules, access policies, tags) as they are — a PUT would replace them.

use azure_core::http::Method;
use serde::Serialize;

use crate::arm::{ArmClient, Doing, Vault};
use crate::error::AppResult;

/// Microsoft.KeyVault's api-version, as the shared room uses.
const KEY_VAULT_API: &str = "2023-07-01";

const UPDATE_VAULT: Doing = Doing::new(
    "change the vault's settings",
    "Contributor or Key Vault Contributor",
    "the vault or its resource group",
);

/// The properties a PATCH may turn on (only ever on: Azure refuses turning purge protection
/// off, and the console never turns RBAC or soft delete off).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultPatchProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_rbac_authorization: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_soft_delete: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_purge_protection: Option<bool>,
}

/// Vaults - Update: `PATCH /subscriptions/{sub}/resourceGroups/{rg}/providers/
/// Microsoft.KeyVault/vaults/{name}?api-version=2023-07-01` with `{"properties":{…}}`
/// (learn.microsoft.com/rest/api/keyvault/keyvault/vaults/update).
pub async fn update_vault(
    arm: &ArmClient,
    vault_id: &str,
    properties: &VaultPatchProperties,
) -> AppResult<Vault> {
    let body = serde_json::json!({ "properties": properties });
    let (_, vault) = arm
        .write(Method::Patch, vault_id, KEY_VAULT_API, &body, &UPDATE_VAULT)
        .await?;
    Ok(vault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_sends_only_what_it_turns_on() {
        let body = serde_json::json!({ "properties": VaultPatchProperties {
            enable_purge_protection: Some(true),
            ..VaultPatchProperties::default()
        }});
        assert_eq!(
            body.to_string(),
            r#"{"properties":{"enablePurgeProtection":true}}"#
        );
    }
}
