//! Tenants, subscriptions, locations and resource groups (Microsoft.Resources).

use azure_core::http::Method;
use serde::{Deserialize, Serialize};

use super::client::ArmClient;
use super::errors::Doing;
use crate::error::AppResult;

/// api-version of Tenants and Subscriptions (Microsoft.Resources/subscriptions).
const SUBSCRIPTIONS_API: &str = "2022-12-01";
/// api-version of Resource Groups.
const RESOURCE_GROUPS_API: &str = "2021-04-01";

/// A tenant the signed-in account can reach (home or guest).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfo {
    pub tenant_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub default_domain: Option<String>,
}

/// A subscription of the client's tenant the account has an Azure role in (or under).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub subscription_id: String,
    #[serde(default)]
    pub display_name: String,
    /// `Enabled`, `Warned`, `PastDue`, `Disabled`, `Deleted`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// An Azure region a subscription can use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// `westeurope`: what requests carry.
    pub name: String,
    /// `West Europe`: what the technician reads.
    #[serde(default)]
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupProperties {
    #[serde(default)]
    pub provisioning_state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroup {
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub location: String,
    #[serde(default)]
    pub properties: Option<ResourceGroupProperties>,
}

const LIST_TENANTS: Doing = Doing::new(
    "list the tenants your account can reach",
    "any Azure role",
    "a subscription of the tenant",
);
const LIST_SUBSCRIPTIONS: Doing = Doing::new(
    "list this tenant's subscriptions",
    "Reader (or any Azure role)",
    "a subscription, resource group or vault",
);
const LIST_LOCATIONS: Doing = Doing::new(
    "list the subscription's regions",
    "Reader",
    "the subscription",
);
const READ_GROUP: Doing = Doing::new(
    "read the resource group",
    "Reader",
    "the resource group or its subscription",
);
const WRITE_GROUP: Doing = Doing::new(
    "create the resource group",
    "Contributor or Owner",
    "the subscription",
);
const LIST_GROUPS: Doing = Doing::new(
    "list the subscription's resource groups",
    "Reader",
    "the subscription",
);

/// A path segment as ARM expects it: percent-encoded (names never hold `/`).
pub(super) fn seg(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

impl ArmClient {
    /// Tenants - List: `GET /tenants?api-version=2022-12-01` (learn.microsoft.com/rest/api/
    /// resources/tenants/list): `value[]` of `tenantId`, `displayName`, `defaultDomain`.
    pub async fn list_tenants(&self) -> AppResult<Vec<TenantInfo>> {
        self.list("/tenants", SUBSCRIPTIONS_API, &LIST_TENANTS)
            .await
    }

    /// Subscriptions - List: `GET /subscriptions?api-version=2022-12-01`
    /// (learn.microsoft.com/rest/api/resources/subscriptions/list): the token's tenant's
    /// subscriptions where the account holds a role at or under subscription scope.
    pub async fn list_subscriptions(&self) -> AppResult<Vec<Subscription>> {
        self.list("/subscriptions", SUBSCRIPTIONS_API, &LIST_SUBSCRIPTIONS)
            .await
    }

    /// Subscriptions - List Locations: `GET /subscriptions/{subscriptionId}/locations?
    /// api-version=2022-12-01` (learn.microsoft.com/rest/api/resources/subscriptions/
    /// list-locations).
    pub async fn list_locations(&self, subscription_id: &str) -> AppResult<Vec<Location>> {
        let path = format!("/subscriptions/{}/locations", seg(subscription_id));
        self.list(&path, SUBSCRIPTIONS_API, &LIST_LOCATIONS).await
    }

    /// Resource Groups - Get: `GET /subscriptions/{sub}/resourcegroups/{name}?api-version=
    /// 2021-04-01` (learn.microsoft.com/rest/api/resources/resource-groups/get); `None` on 404.
    pub async fn get_resource_group(
        &self,
        subscription_id: &str,
        name: &str,
    ) -> AppResult<Option<ResourceGroup>> {
        let path = format!(
            "/subscriptions/{}/resourcegroups/{}",
            seg(subscription_id),
            seg(name)
        );
        self.get_optional(&path, RESOURCE_GROUPS_API, &READ_GROUP)
            .await
    }

    /// Resource Groups - Create Or Update: `PUT /subscriptions/{sub}/resourcegroups/{name}?
    /// api-version=2021-04-01` with `{"location"}` (learn.microsoft.com/rest/api/resources/
    /// resource-groups/create-or-update): 201 created, 200 already there.
    pub async fn create_resource_group(
        &self,
        subscription_id: &str,
        name: &str,
        location: &str,
    ) -> AppResult<ResourceGroup> {
        let path = format!(
            "/subscriptions/{}/resourcegroups/{}",
            seg(subscription_id),
            seg(name)
        );
        let body = serde_json::json!({ "location": location });
        let (_, group) = self
            .write(Method::Put, &path, RESOURCE_GROUPS_API, &body, &WRITE_GROUP)
            .await?;
        Ok(group)
    }

    /// Resource Groups - List: `GET /subscriptions/{sub}/resourcegroups?api-version=2021-04-01`
    /// (learn.microsoft.com/rest/api/resources/resource-groups/list).
    pub async fn list_resource_groups(
        &self,
        subscription_id: &str,
    ) -> AppResult<Vec<ResourceGroup>> {
        let path = format!("/subscriptions/{}/resourcegroups", seg(subscription_id));
        self.list(&path, RESOURCE_GROUPS_API, &LIST_GROUPS).await
    }
}
