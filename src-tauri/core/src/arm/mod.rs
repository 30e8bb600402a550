//! Azure Resource Manager: the one client every caller (Discover, vault provisioning) shares.
//!
//! No official Rust crate covers ARM for these resources (the `azure_mgmt_*` 0.21 crates are the
//! retired unofficial SDK), so [`ArmClient`] runs small typed requests through `azure_core`'s
//! pipeline: its retry policy (429 and 5xx, honouring `Retry-After`, dropped connections) and its
//! bearer-token policy. The same trust bounds as the Key Vault store apply (`store/azure/guard.rs`):
//! the credential mints only the ARM scope of the client's cloud, the transport sends only to that
//! cloud's ARM host, each answer is read up to [`MAX_ARM_BODY`], a listing follows at most
//! [`MAX_ARM_PAGES`] pages and never a `nextLink` to another host.
//!
//! Each operation cites its REST reference (learn.microsoft.com/rest/api/…) and api-version.
//! Tokens for a client tenant come from the home sign-in redeemed at that tenant
//! ([`crate::signin::TenantCredential`] with [`arm_scope`]): the console's app registration needs
//! Azure Service Management's delegated `user_impersonation` permission, consented in each tenant.

mod access;
mod client;
mod errors;
mod resources;
mod vaults;

pub use access::{
    DiagnosticSetting, KEY_VAULT_SECRETS_OFFICER, KEY_VAULT_SECRETS_USER, PrincipalType,
    RoleAssignment, RoleAssignmentProperties, RoleAssignmentRequest, Workspace, role_definition_id,
};
pub use client::{ArmClient, ArmOptions, MAX_ARM_BODY, MAX_ARM_PAGES};
pub use errors::Doing;
pub use resources::{Location, ResourceGroup, ResourceGroupProperties, Subscription, TenantInfo};
pub use vaults::{
    NameAvailability, Vault, VaultProperties, VaultRequest, VaultRequestProperties, VaultSku,
};

use crate::domain::connection::Cloud;

/// Azure Resource Manager of `cloud` (learn.microsoft.com/azure/azure-government/documentation-
/// government-developer-guide, /azure/china/resources-developer-guide). A custom cloud (a
/// private one, the emulator in tests) serves ARM on its authority host, as Graph does
/// (`connectors::graph::graph_for_authority`).
pub fn arm_endpoint(cloud: Cloud, authority_host: &str) -> String {
    match cloud {
        Cloud::AzurePublic => "https://management.azure.com".to_string(),
        Cloud::AzureUsGovernment => "https://management.usgovcloudapi.net".to_string(),
        Cloud::AzureChina => "https://management.chinacloudapi.cn".to_string(),
        Cloud::Custom => origin_of(authority_host),
    }
}

/// The ARM resource (token audience) of `cloud`. A custom cloud's authority names no ARM
/// audience of its own, so it is asked for ARM's public one: the token comes from that custom
/// authority and is only ever sent back to its host, so it is worth nothing at Azure's.
pub fn arm_resource(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::AzurePublic | Cloud::Custom => "https://management.azure.com",
        Cloud::AzureUsGovernment => "https://management.usgovcloudapi.net",
        Cloud::AzureChina => "https://management.chinacloudapi.cn",
    }
}

/// `{arm resource}/.default`: the one scope the ARM client's credential mints.
pub fn arm_scope(cloud: Cloud) -> String {
    format!("{}/.default", arm_resource(cloud))
}

/// `https://host[:port]` of `url` (no path), or the text trimmed when it is not a URL.
fn origin_of(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(parsed) if parsed.host_str().is_some() => parsed.origin().ascii_serialization(),
        _ => url.trim().trim_end_matches('/').to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cloud_has_its_own_resource_manager() {
        assert_eq!(
            arm_endpoint(Cloud::AzurePublic, ""),
            "https://management.azure.com"
        );
        assert_eq!(
            arm_endpoint(Cloud::AzureUsGovernment, ""),
            "https://management.usgovcloudapi.net"
        );
        assert_eq!(
            arm_endpoint(Cloud::AzureChina, ""),
            "https://management.chinacloudapi.cn"
        );
        assert_eq!(
            arm_endpoint(Cloud::Custom, "https://127.0.0.1:8443/"),
            "https://127.0.0.1:8443"
        );
        assert_eq!(
            arm_scope(Cloud::AzureChina),
            "https://management.chinacloudapi.cn/.default"
        );
        assert_eq!(
            arm_scope(Cloud::AzurePublic),
            "https://management.azure.com/.default"
        );
    }
}
