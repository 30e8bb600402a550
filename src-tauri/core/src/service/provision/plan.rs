//! What an existing vault must look like (Setup Guide phase 1) and what the console may change
//! on it: purge protection and soft delete can be turned on (Azure allows it, and never off
//! again); soft-delete retention is fixed at creation, so a vault with another retention is
//! refused; switching the permission model from access policies to Azure RBAC removes every
//! access the policies gave, so it happens only with the technician's confirmation.

use crate::arm::Vault;
use crate::domain::connection::{Cloud, ConnectionSettings};
use crate::error::{AppError, AppResult, ErrorCode};

/// The Setup Guide's retention (days).
pub const RETENTION_DAYS: u32 = 90;

/// How an existing vault differs from the Setup Guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deviation {
    /// Access-policy permission model (enableRbacAuthorization false or absent).
    AccessPolicies,
    /// Soft delete off (older vaults only; Azure turns it on for every new vault).
    SoftDeleteOff,
    /// Soft-delete retention other than 90 days (fixed at creation).
    Retention(u32),
    PurgeProtectionOff,
    /// The vault trusts another tenant than the client's.
    OtherTenant(String),
}

impl Deviation {
    pub fn describe(&self) -> String {
        match self {
            Deviation::AccessPolicies => {
                "uses vault access policies instead of Azure RBAC".to_string()
            }
            Deviation::SoftDeleteOff => "has soft delete off".to_string(),
            Deviation::Retention(days) => {
                format!("keeps deleted items {days} days instead of {RETENTION_DAYS}")
            }
            Deviation::PurgeProtectionOff => "has purge protection off".to_string(),
            Deviation::OtherTenant(tenant) => format!("belongs to tenant {tenant}"),
        }
    }
}

/// Every way `vault` differs from the Setup Guide, for the client tenant `tenant_id`.
pub fn assess_vault(vault: &Vault, tenant_id: &str) -> Vec<Deviation> {
    let p = &vault.properties;
    let mut found = Vec::new();
    if !p.tenant_id.is_empty() && !p.tenant_id.eq_ignore_ascii_case(tenant_id) {
        found.push(Deviation::OtherTenant(p.tenant_id.clone()));
    }
    if p.enable_rbac_authorization != Some(true) {
        found.push(Deviation::AccessPolicies);
    }
    if p.enable_soft_delete == Some(false) {
        found.push(Deviation::SoftDeleteOff);
    }
    // Azure leaves the retention out of older vaults' answers: 90 is its default.
    let retention = p.soft_delete_retention_in_days.unwrap_or(RETENTION_DAYS);
    if retention != RETENTION_DAYS {
        found.push(Deviation::Retention(retention));
    }
    if p.enable_purge_protection != Some(true) {
        found.push(Deviation::PurgeProtectionOff);
    }
    found
}

/// What to do about the deviations: the properties to PATCH, or why the console refuses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fixes {
    pub enable_rbac: bool,
    pub enable_soft_delete: bool,
    pub enable_purge_protection: bool,
}

impl Fixes {
    pub fn any(&self) -> bool {
        self.enable_rbac || self.enable_soft_delete || self.enable_purge_protection
    }

    pub fn describe(&self) -> Vec<&'static str> {
        let mut done = Vec::new();
        if self.enable_rbac {
            done.push("switched to Azure RBAC");
        }
        if self.enable_soft_delete {
            done.push("turned soft delete on");
        }
        if self.enable_purge_protection {
            done.push("turned purge protection on");
        }
        done
    }
}

/// The fixes for `found`, or a named refusal listing what the console cannot (or may not
/// without confirmation) change.
pub fn plan_fixes(
    vault_name: &str,
    found: &[Deviation],
    switch_to_rbac_confirmed: bool,
) -> AppResult<Fixes> {
    let mut fixes = Fixes::default();
    let mut refused = Vec::new();
    let mut needs_confirmation = false;
    for deviation in found {
        match deviation {
            Deviation::SoftDeleteOff => fixes.enable_soft_delete = true,
            Deviation::PurgeProtectionOff => fixes.enable_purge_protection = true,
            Deviation::AccessPolicies if switch_to_rbac_confirmed => fixes.enable_rbac = true,
            Deviation::AccessPolicies => {
                needs_confirmation = true;
                refused.push(deviation.describe());
            }
            Deviation::Retention(_) | Deviation::OtherTenant(_) => {
                refused.push(deviation.describe())
            }
        }
    }
    if refused.is_empty() {
        return Ok(fixes);
    }
    let hint = if needs_confirmation && refused.len() == 1 {
        "Switching to Azure RBAC ends every access the vault's access policies give (apps and people listed there lose access until they get a Key Vault role). If that is intended, tick \"Switch this vault to Azure RBAC\" and run again; otherwise pick a new vault name."
            .to_string()
    } else {
        format!(
            "Azure fixes a vault's tenant and soft-delete retention when it is created. Pick a new vault name for this client, or change the existing vault yourself and run again.{}",
            if needs_confirmation {
                " Switching it to Azure RBAC also needs your confirmation (the tick box)."
            } else {
                ""
            }
        )
    };
    Err(AppError::new(
        ErrorCode::VaultNotAsPrescribed,
        format!(
            "The existing vault {vault_name} {}, unlike the Setup Guide's vault.",
            refused.join(" and ")
        ),
        hint,
    ))
}

/// The vault URL the console may connect to, from ARM's `vaultUri`: it must pass the same host
/// rules as a typed-in vault. On a built-in cloud that is exactly `https://{name}.{vault suffix}/`
/// (a token is never sent to another host). A Custom cloud has no suffix to hold it to: the URL
/// must be https and pass the Connect form's checks, and the vault token is minted for that
/// URL's own resource (see `store/azure/guard.rs`), so it is worth nothing elsewhere. Returns
/// `None` for a built-in cloud (the name alone makes the URL), `Some(url)` for Custom.
pub fn check_vault_uri(
    vault_uri: Option<&str>,
    vault_name: &str,
    settings: &ConnectionSettings,
) -> AppResult<Option<String>> {
    let refused = |uri: &str| {
        AppError::new(
            ErrorCode::UntrustedServer,
            format!(
                "Azure Resource Manager gave the vault's address as {uri}, which is not the address of a vault called {vault_name} in this cloud; the console did not connect to it."
            ),
            "Check the client's cloud. If it is right, something between this PC and Azure is rewriting its answers: tell your Azure administrator.",
        )
    };
    let Some(uri) = vault_uri.map(str::trim).filter(|u| !u.is_empty()) else {
        return Err(AppError::new(
            ErrorCode::UnexpectedResponse,
            format!("Azure did not give the address of the vault {vault_name}."),
            "Wait a minute and run the provisioning again: it resumes where it stopped.",
        ));
    };
    let parsed = url::Url::parse(uri).map_err(|_| refused(uri))?;
    let path_ok = parsed.path() == "/" || parsed.path().is_empty();
    if parsed.scheme() != "https"
        || !path_ok
        || parsed.query().is_some()
        || !parsed.username().is_empty()
    {
        return Err(refused(uri));
    }
    match settings.cloud.vault_suffix() {
        Some(suffix) => {
            let expected = format!("{vault_name}.{suffix}");
            let host_ok = parsed
                .host_str()
                .is_some_and(|host| host.eq_ignore_ascii_case(&expected));
            if host_ok && parsed.port().is_none() {
                Ok(None)
            } else {
                Err(refused(uri))
            }
        }
        None => {
            debug_assert_eq!(settings.cloud, Cloud::Custom);
            let probe = ConnectionSettings {
                vault_name: vault_name.to_string(),
                vault_url: Some(uri.to_string()),
                ..settings.clone()
            };
            probe.validated().map_err(|_| refused(uri))?;
            Ok(Some(uri.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::VaultProperties;
    use crate::domain::connection::AuthMode;

    const TENANT: &str = "11111111-1111-4111-8111-111111111111";

    fn vault(rbac: Option<bool>, retention: Option<u32>, purge: Option<bool>) -> Vault {
        Vault {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv".into(),
            name: "kv".into(),
            location: "westeurope".into(),
            properties: VaultProperties {
                tenant_id: TENANT.into(),
                sku: None,
                vault_uri: Some("https://kv.vault.azure.net/".into()),
                enable_rbac_authorization: rbac,
                enable_soft_delete: Some(true),
                soft_delete_retention_in_days: retention,
                enable_purge_protection: purge,
                provisioning_state: Some("Succeeded".into()),
            },
        }
    }

    #[test]
    fn a_vault_as_the_guide_says_has_no_deviation() {
        assert!(assess_vault(&vault(Some(true), Some(90), Some(true)), TENANT).is_empty());
    }

    #[test]
    fn purge_protection_off_is_named_and_fixed() {
        let found = assess_vault(&vault(Some(true), Some(90), None), TENANT);
        assert_eq!(found, vec![Deviation::PurgeProtectionOff]);
        let fixes = plan_fixes("kv", &found, false).expect("fixable");
        assert!(fixes.enable_purge_protection && !fixes.enable_rbac);
        assert_eq!(fixes.describe(), vec!["turned purge protection on"]);
    }

    #[test]
    fn access_policies_need_confirmation_and_retention_is_refused() {
        let found = assess_vault(&vault(Some(false), Some(90), Some(true)), TENANT);
        let error = plan_fixes("kv", &found, false).expect_err("needs confirmation");
        assert_eq!(error.code, ErrorCode::VaultNotAsPrescribed);
        assert!(error.message.contains("access policies"), "{error:?}");
        assert!(error.hint.contains("Switch this vault to Azure RBAC"));
        assert!(
            plan_fixes("kv", &found, true)
                .expect("confirmed")
                .enable_rbac
        );

        let found = assess_vault(&vault(Some(true), Some(7), Some(true)), "other-tenant");
        let error = plan_fixes("kv", &found, true).expect_err("refused");
        assert!(
            error.message.contains("7 days") && error.message.contains("tenant"),
            "{error:?}"
        );
    }

    fn settings(cloud: Cloud) -> ConnectionSettings {
        ConnectionSettings {
            tenant_id: TENANT.into(),
            client_id: "22222222-2222-4222-8222-222222222222".into(),
            vault_name: "kv".into(),
            cloud,
            authority_host: Some("https://login.contoso.example".into()),
            vault_url: Some("https://kv.vault.contoso.example".into()),
            ca_pem: None,
            auth: AuthMode::SignIn,
            home_tenant_id: None,
        }
    }

    #[test]
    fn the_vault_uri_from_azure_must_be_the_vaults_own_host() {
        let public = settings(Cloud::AzurePublic);
        assert_eq!(
            check_vault_uri(Some("https://KV1.vault.azure.net/"), "kv1", &public).expect("ok"),
            None
        );
        for bad in [
            "https://kv1.vault.azure.net.evil.example/",
            "https://evil.example/",
            "http://kv.vault.azure.net/",
            "https://kv1.vault.azure.net:444/",
            "https://other.vault.azure.net/",
            "https://kv1.vault.usgovcloudapi.net/",
            "https://kv1.vault.azure.net/path",
        ] {
            let error = check_vault_uri(Some(bad), "kv1", &public).expect_err(bad);
            assert_eq!(error.code, ErrorCode::UntrustedServer, "{bad}");
        }
        assert!(check_vault_uri(None, "kv1", &public).is_err());
        let custom = settings(Cloud::Custom);
        assert_eq!(
            check_vault_uri(Some("https://127.0.0.1:8443/"), "kv1", &custom).expect("custom"),
            Some("https://127.0.0.1:8443/".into())
        );
        assert!(check_vault_uri(Some("http://127.0.0.1:8443/"), "kv1", &custom).is_err());
    }
}
