//! Key Vaults as ARM resources (Microsoft.KeyVault/vaults, api-version 2023-07-01).

use azure_core::http::Method;
use serde::{Deserialize, Serialize};

use super::client::ArmClient;
use super::errors::Doing;
use super::resources::seg;
use crate::error::AppResult;

const KEY_VAULT_API: &str = "2023-07-01";

/// `sku` of a vault: family `A`, name `standard` or `premium`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultSku {
    pub family: String,
    pub name: String,
}

impl VaultSku {
    pub fn standard() -> VaultSku {
        VaultSku {
            family: "A".to_string(),
            name: "standard".to_string(),
        }
    }
}

/// The `properties` of a vault as ARM answers them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultProperties {
    #[serde(default)]
    pub tenant_id: String,
    #[serde(default)]
    pub sku: Option<VaultSku>,
    /// `https://{name}.vault.azure.net/`: the data plane the console connects to.
    #[serde(default)]
    pub vault_uri: Option<String>,
    #[serde(default)]
    pub enable_rbac_authorization: Option<bool>,
    #[serde(default)]
    pub enable_soft_delete: Option<bool>,
    #[serde(default)]
    pub soft_delete_retention_in_days: Option<u32>,
    #[serde(default)]
    pub enable_purge_protection: Option<bool>,
    /// `Succeeded` or `RegisteringDns`.
    #[serde(default)]
    pub provisioning_state: Option<String>,
}

/// A vault resource.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vault {
    /// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}`.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub location: String,
    pub properties: VaultProperties,
}

impl Vault {
    /// The segment after `key` in the vault's id (`subscriptions`, `resourceGroups`).
    fn id_part(&self, key: &str) -> Option<&str> {
        let mut parts = self.id.split('/');
        while let Some(part) = parts.next() {
            if part.eq_ignore_ascii_case(key) {
                return parts.next();
            }
        }
        None
    }

    pub fn subscription_id(&self) -> Option<&str> {
        self.id_part("subscriptions")
    }

    pub fn resource_group(&self) -> Option<&str> {
        self.id_part("resourceGroups")
    }
}

/// What to create (or make true of) a vault: Vaults - Create Or Update's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultRequest {
    pub location: String,
    pub properties: VaultRequestProperties,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultRequestProperties {
    pub tenant_id: String,
    pub sku: VaultSku,
    pub enable_rbac_authorization: bool,
    pub enable_soft_delete: bool,
    pub soft_delete_retention_in_days: u32,
    /// Only `true` may be sent: Azure refuses turning purge protection off (400).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_purge_protection: Option<bool>,
}

impl VaultRequest {
    /// The vault the Setup Guide prescribes: Standard, Azure RBAC, soft delete with 90 days'
    /// retention, purge protection.
    pub fn setup_guide(tenant_id: &str, location: &str) -> VaultRequest {
        VaultRequest {
            location: location.to_string(),
            properties: VaultRequestProperties {
                tenant_id: tenant_id.to_string(),
                sku: VaultSku::standard(),
                enable_rbac_authorization: true,
                enable_soft_delete: true,
                soft_delete_retention_in_days: 90,
                enable_purge_protection: Some(true),
            },
        }
    }
}

/// Vaults - Check Name Availability's answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NameAvailability {
    pub name_available: bool,
    /// `AccountNameInvalid` or `AlreadyExists` when not available.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

const LIST_VAULTS: Doing = Doing::new(
    "list the subscription's key vaults",
    "Reader (or any Azure role on the vault)",
    "the subscription, resource group or vault",
);
const READ_VAULT: Doing = Doing::new(
    "read the vault's settings",
    "Reader",
    "the vault or its resource group",
);
const WRITE_VAULT: Doing = Doing::new(
    "create the vault",
    "Contributor or Key Vault Contributor",
    "the resource group or subscription",
);
const CHECK_NAME: Doing = Doing::new(
    "check whether the vault name is free",
    "Reader",
    "the subscription",
);

fn vault_path(subscription_id: &str, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}",
        seg(subscription_id),
        seg(resource_group),
        seg(name)
    )
}

impl ArmClient {
    /// Vaults - List By Subscription: `GET /subscriptions/{sub}/providers/Microsoft.KeyVault/
    /// vaults?api-version=2023-07-01` (learn.microsoft.com/rest/api/keyvault/keyvault/vaults/
    /// list-by-subscription): the vaults the account may read, paged with `nextLink`.
    pub async fn list_vaults(&self, subscription_id: &str) -> AppResult<Vec<Vault>> {
        let path = format!(
            "/subscriptions/{}/providers/Microsoft.KeyVault/vaults",
            seg(subscription_id)
        );
        self.list(&path, KEY_VAULT_API, &LIST_VAULTS).await
    }

    /// Vaults - Get: `GET /subscriptions/{sub}/resourceGroups/{rg}/providers/
    /// Microsoft.KeyVault/vaults/{name}?api-version=2023-07-01` (learn.microsoft.com/rest/api/
    /// keyvault/keyvault/vaults/get); `None` on 404.
    pub async fn get_vault(
        &self,
        subscription_id: &str,
        resource_group: &str,
        name: &str,
    ) -> AppResult<Option<Vault>> {
        let path = vault_path(subscription_id, resource_group, name);
        self.get_optional(&path, KEY_VAULT_API, &READ_VAULT).await
    }

    /// Vaults - Create Or Update: `PUT …/Microsoft.KeyVault/vaults/{name}?api-version=
    /// 2023-07-01` (learn.microsoft.com/rest/api/keyvault/keyvault/vaults/create-or-update):
    /// 201 created, 200 updated; `properties.provisioningState`, `vaultUri`. Answers whether it
    /// was created and the vault.
    pub async fn create_or_update_vault(
        &self,
        subscription_id: &str,
        resource_group: &str,
        name: &str,
        request: &VaultRequest,
    ) -> AppResult<(bool, Vault)> {
        let path = vault_path(subscription_id, resource_group, name);
        let (status, vault) = self
            .write(Method::Put, &path, KEY_VAULT_API, request, &WRITE_VAULT)
            .await?;
        Ok((status == 201, vault))
    }

    /// Vaults - Check Name Availability: `POST /subscriptions/{sub}/providers/
    /// Microsoft.KeyVault/checkNameAvailability?api-version=2023-07-01` with
    /// `{"name","type":"Microsoft.KeyVault/vaults"}` (learn.microsoft.com/rest/api/keyvault/
    /// keyvault/vaults/check-name-availability). Vault names are global: a soft-deleted vault
    /// keeps its name (`AlreadyExists`) until purged.
    pub async fn check_vault_name(
        &self,
        subscription_id: &str,
        name: &str,
    ) -> AppResult<NameAvailability> {
        let path = format!(
            "/subscriptions/{}/providers/Microsoft.KeyVault/checkNameAvailability",
            seg(subscription_id)
        );
        let body = serde_json::json!({ "name": name, "type": "Microsoft.KeyVault/vaults" });
        let (_, answer) = self
            .write(Method::Post, &path, KEY_VAULT_API, &body, &CHECK_NAME)
            .await?;
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vaults - Create Or Update's documented body (2023-07-01: `location`, `properties.tenantId`,
    /// `sku {family, name}`, the soft-delete, RBAC and purge-protection switches), with the Setup
    /// Guide's settings.
    #[test]
    fn the_setup_guides_vault_is_asked_in_the_documented_shape() {
        let body =
            serde_json::to_value(VaultRequest::setup_guide("t-1", "westeurope")).expect("json");
        assert_eq!(
            body,
            serde_json::json!({
                "location": "westeurope",
                "properties": {
                    "tenantId": "t-1",
                    "sku": { "family": "A", "name": "standard" },
                    "enableRbacAuthorization": true,
                    "enableSoftDelete": true,
                    "softDeleteRetentionInDays": 90,
                    "enablePurgeProtection": true
                }
            })
        );
    }
}
