//! Discover: the tenants the signed-in technician reaches and, per tenant, the Key Vaults Azure
//! Resource Manager lets them see (subscriptions → vaults), those already in the Clients list
//! marked; then several picked vaults added as clients at once.
//!
//! It runs on the MSP's home sign-in of this session (one Tenants - List at home), then each
//! tenant in parallel (at most [`PARALLEL_TENANTS`] at once) with that sign-in redeemed there —
//! or the tenant's own sign-in where it demanded one. A tenant that refuses (MFA there, consent
//! missing, not a guest, no role) shows on its own row with its named error.
//!
//! The page never names a vault by URL: Rust keeps the last discovery and adds only vaults it
//! returned, by the ids it gave them.

use std::sync::Arc;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::connect::{Credential, MAX_CLIENT_NAME_CHARS, demo_only};
use super::home::home_key;
use super::{AppCore, AppStatus, Slot, SlotState, lock};
use crate::arm::{ArmClient, ArmOptions, TenantInfo, Vault};
use crate::config::{self, ClientConfig};
use crate::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use crate::domain::validation::validate_text;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::signin::{SignInMethod, UserCredential, consent_link};

/// Tenants queried at once.
pub const PARALLEL_TENANTS: usize = 6;

/// One vault Discover found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DiscoveredVault {
    /// The id to add it by (valid for this discovery only).
    pub id: String,
    pub name: String,
    pub vault_url: String,
    pub subscription: String,
    pub resource_group: String,
    pub location: String,
    /// The client name to prefill (the tenant's display name; editable).
    pub suggested_name: String,
    /// The client this vault already is, if any (its row is shown checked and disabled).
    pub client_name: Option<String>,
}

/// One tenant's part of the discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DiscoveredTenant {
    pub tenant_id: String,
    pub display_name: String,
    pub default_domain: String,
    /// The MSP's own (home) tenant.
    pub home: bool,
    pub vaults: Vec<DiscoveredVault>,
    /// Why this tenant could not be listed.
    pub error: Option<AppError>,
    /// The tenant wants the technician in person: offer "Sign in to this tenant".
    pub can_sign_in: bool,
    /// Consent missing: the admin consent address to send to the tenant's administrator.
    pub consent_link: Option<String>,
    /// What to show when the tenant has no vault to list and no error.
    pub empty_text: Option<String>,
}

/// What Discover found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Discovery {
    /// Who Discover ran as (the home sign-in's account).
    pub signed_in_as: String,
    pub tenants: Vec<DiscoveredTenant>,
    /// What to show when no tenant came back at all.
    pub empty_text: Option<String>,
}

/// A vault picked in Discover and the client name it gets.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DiscoveredPick {
    pub id: String,
    pub name: String,
}

/// The last discovery: what the page may add, with the settings each vault would get.
#[derive(Default)]
pub(crate) struct LastDiscovery {
    found: Vec<(DiscoveredVault, ConnectionSettings)>,
    /// Tenants that asked for the technician in person: the only ones "Sign in to this
    /// tenant" accepts from the page.
    sign_in_tenants: Vec<String>,
}

/// The home sign-in Discover runs on, with the settings of a client using it (its cloud, app,
/// authority and extra CA).
struct Home {
    credential: Arc<UserCredential>,
    settings: ConnectionSettings,
    home_tenant: String,
}

fn needs_home_sign_in() -> AppError {
    AppError::new(
        ErrorCode::NotConnected,
        "Discover uses your sign-in at your MSP's own tenant, and no client is connected through it yet.",
        "Add one client with Sign in with Microsoft and your MSP tenant as its home tenant, and connect it. Discover then lists every tenant that sign-in reaches.",
    )
}

/// `https://kv.vault.azure.net/` and `https://KV.vault.azure.net` name one vault.
fn same_vault_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

impl AppCore {
    /// A live home sign-in of this session and the settings of a client that uses it.
    async fn discovery_home(&self) -> AppResult<Home> {
        let candidates: Vec<ConnectionSettings> = self.with_slots(|slots| {
            slots
                .iter()
                .map(|s| s.config.settings.clone())
                .filter(|s| s.auth == AuthMode::SignIn && s.home_tenant_id.is_some())
                .collect()
        });
        let signed_in = self.home_sign_ins.signed_in.lock().await;
        for settings in candidates {
            let Some(home_tenant) = settings.home_tenant_id.clone() else {
                continue;
            };
            if let Some(credential) = signed_in.get(&home_key(&settings, &home_tenant)) {
                return Ok(Home {
                    credential: credential.clone(),
                    settings,
                    home_tenant,
                });
            }
        }
        Err(needs_home_sign_in())
    }

    /// The ARM client for `tenant`: the tenant's own sign-in where it demanded one, else the
    /// home sign-in redeemed there.
    async fn arm_for(&self, home: &Home, tenant: &str) -> AppResult<ArmClient> {
        let key = format!(
            "{}|{}",
            home_key(&home.settings, &home.home_tenant),
            tenant.to_ascii_lowercase()
        );
        let own = self.home_sign_ins.tenants.lock().await.get(&key).cloned();
        let credential: Arc<dyn azure_core::credentials::TokenCredential> = match own {
            Some(own) => own,
            None => home.credential.for_tenant(tenant),
        };
        let options = ArmOptions {
            azure: self.azure_options.clone(),
            ..ArmOptions::default()
        };
        ArmClient::new(credential, tenant, &home.settings, &options)
    }

    /// List the tenants the technician reaches and the vaults ARM shows in each.
    pub async fn discover(&self) -> AppResult<Discovery> {
        if self.demo_launch || self.is_demo() {
            return Err(demo_only());
        }
        let home = self.discovery_home().await?;
        let home_arm = self.arm_for(&home, &home.home_tenant).await?;
        let tenants = home_arm.list_tenants().await?;
        let existing: Vec<(String, ConnectionSettings)> = self.with_slots(|slots| {
            slots
                .iter()
                .map(|s| (s.config.name.clone(), s.config.settings.clone()))
                .collect()
        });
        let home_ref = &home;
        let existing_ref = &existing;
        let rows: Vec<(DiscoveredTenant, Vec<ConnectionSettings>)> = futures::stream::iter(tenants)
            .map(|tenant| async move { self.discover_tenant(home_ref, tenant, existing_ref).await })
            .buffered(PARALLEL_TENANTS)
            .collect()
            .await;
        let mut found = Vec::new();
        let mut listed = Vec::new();
        let mut sign_in_tenants = Vec::new();
        for (row, settings) in rows {
            found.extend(row.vaults.iter().cloned().zip(settings));
            if row.can_sign_in {
                sign_in_tenants.push(row.tenant_id.clone());
            }
            listed.push(row);
        }
        *lock(&self.discovered) = LastDiscovery {
            found,
            sign_in_tenants,
        };
        let signed_in_as = home.credential.user().upn;
        let empty_text = listed.is_empty().then(|| {
            format!(
                "No tenants came back for {signed_in_as}. Azure lists a tenant once your account is a member or a guest (B2B) there."
            )
        });
        Ok(Discovery {
            signed_in_as,
            tenants: listed,
            empty_text,
        })
    }

    /// One tenant: its subscriptions, then each one's vaults. Errors stay on the tenant's row.
    async fn discover_tenant(
        &self,
        home: &Home,
        tenant: TenantInfo,
        existing: &[(String, ConnectionSettings)],
    ) -> (DiscoveredTenant, Vec<ConnectionSettings>) {
        let display_name = tenant
            .display_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| tenant.tenant_id.clone());
        let mut row = DiscoveredTenant {
            tenant_id: tenant.tenant_id.clone(),
            display_name: display_name.clone(),
            default_domain: tenant.default_domain.clone().unwrap_or_default(),
            home: tenant.tenant_id.eq_ignore_ascii_case(&home.home_tenant),
            vaults: Vec::new(),
            error: None,
            can_sign_in: false,
            consent_link: None,
            empty_text: None,
        };
        let listed = self.tenant_vaults(home, &tenant.tenant_id).await;
        let vaults = match listed {
            Ok(vaults) => vaults,
            Err(error) => {
                row.can_sign_in = error.code == ErrorCode::TenantSignInRequired;
                if error.code == ErrorCode::TenantConsentRequired {
                    row.consent_link = Some(consent_link(
                        &home.settings.authority_host(),
                        &home.settings.client_id,
                        &home.settings.vault_scope(),
                        &tenant.tenant_id,
                    ));
                }
                row.error = Some(error);
                return (row, Vec::new());
            }
        };
        if vaults.is_empty() {
            row.empty_text = Some(
                "No vaults you can see in this tenant — your Azure role there covers no Key Vault. Ask the tenant's administrator for Reader (or Key Vault Reader) on the vault or its resource group; a Key Vault Secrets role alone lets you use a vault but not find it here.".to_string(),
            );
        }
        let several = vaults.len() > 1;
        let mut settings_of = Vec::new();
        for (subscription, vault) in vaults {
            let settings = vault_settings(home, &tenant.tenant_id, &vault);
            let vault_url = vault.properties.vault_uri.clone().unwrap_or_default();
            let client_name = existing
                .iter()
                .find(|(_, s)| {
                    s.tenant_id.eq_ignore_ascii_case(&tenant.tenant_id)
                        && (s.vault_name.eq_ignore_ascii_case(&vault.name)
                            || same_vault_url(&s.vault_url(), &vault_url))
                })
                .map(|(name, _)| name.clone());
            let suggested = if several {
                format!("{display_name} ({})", vault.name)
            } else {
                display_name.clone()
            };
            row.vaults.push(DiscoveredVault {
                id: uuid::Uuid::new_v4().simple().to_string(),
                name: vault.name.clone(),
                vault_url,
                subscription,
                resource_group: vault.resource_group().unwrap_or_default().to_string(),
                location: vault.location.clone(),
                suggested_name: free_name(&suggested, existing),
                client_name,
            });
            settings_of.push(settings);
        }
        (row, settings_of)
    }

    /// (subscription display name, vault) for every vault ARM shows in `tenant`.
    async fn tenant_vaults(&self, home: &Home, tenant: &str) -> AppResult<Vec<(String, Vault)>> {
        let arm = self.arm_for(home, tenant).await?;
        let mut vaults = Vec::new();
        for subscription in arm.list_subscriptions().await? {
            let name = if subscription.display_name.is_empty() {
                subscription.subscription_id.clone()
            } else {
                subscription.display_name.clone()
            };
            for vault in arm.list_vaults(&subscription.subscription_id).await? {
                vaults.push((name.clone(), vault));
            }
        }
        Ok(vaults)
    }

    /// "Sign in to this tenant" from Discover: the technician signs in at `tenant` (their
    /// account preselected), then Discover runs again.
    pub async fn discover_sign_in(
        &self,
        tenant: &str,
        method: SignInMethod,
    ) -> AppResult<Discovery> {
        let asked = lock(&self.discovered)
            .sign_in_tenants
            .iter()
            .any(|t| t.eq_ignore_ascii_case(tenant));
        if !asked {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "That tenant did not ask for a sign-in of its own in the last discovery.",
                "Run Discover again and use Sign in to this tenant on the tenant that asks for it.",
            ));
        }
        let home = self.discovery_home().await?;
        let settings = ConnectionSettings {
            tenant_id: tenant.to_string(),
            ..home.settings.clone()
        }
        .validated()?;
        self.tenant_credential(
            "discover",
            &settings,
            &home.home_tenant,
            &home.credential,
            Some(method),
            None,
            false,
        )
        .await?;
        self.discover().await
    }

    /// Add the picked vaults of the last discovery as clients, all or none, then connect them
    /// with the home sign-in (each client's outcome shows on its row).
    pub async fn add_discovered(&self, picks: &[DiscoveredPick]) -> AppResult<AppStatus> {
        if self.demo_launch || self.is_demo() {
            return Err(demo_only());
        }
        if picks.is_empty() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "No vault is picked.",
                "Tick the vaults to add as clients, then press Add.",
            ));
        }
        let known: Vec<(String, ConnectionSettings)> = self.with_slots(|slots| {
            slots
                .iter()
                .map(|s| (s.config.name.clone(), s.config.settings.clone()))
                .collect()
        });
        let mut added: Vec<ClientConfig> = Vec::new();
        {
            let last = lock(&self.discovered);
            for pick in picks {
                let (vault, settings) = last
                    .found
                    .iter()
                    .find(|(vault, _)| vault.id == pick.id)
                    .ok_or_else(|| {
                        AppError::new(
                            ErrorCode::InvalidInput,
                            "That vault is not in the last discovery.",
                            "Run Discover again and pick from its list.",
                        )
                    })?;
                let name = validate_text(
                    "clientName",
                    "Client name",
                    &pick.name,
                    MAX_CLIENT_NAME_CHARS,
                )?;
                let name = if name.is_empty() {
                    vault.name.clone()
                } else {
                    name
                };
                let clash = known.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name))
                    || added.iter().any(|c| c.name.eq_ignore_ascii_case(&name));
                if clash {
                    return Err(AppError::field(
                        "clientName",
                        format!("There is already a client named {name}."),
                        "Give each client its own name; nothing was added.",
                    ));
                }
                let taken = known
                    .iter()
                    .map(|(_, s)| s)
                    .chain(added.iter().map(|c| &c.settings))
                    .any(|s| {
                        s.tenant_id.eq_ignore_ascii_case(&settings.tenant_id)
                            && s.vault_name.eq_ignore_ascii_case(&settings.vault_name)
                    });
                if taken {
                    return Err(AppError::new(
                        ErrorCode::InvalidInput,
                        format!("The vault {} already belongs to a client.", vault.name),
                        "Untick it; nothing was added.",
                    ));
                }
                added.push(ClientConfig {
                    id: uuid::Uuid::new_v4().simple().to_string(),
                    name,
                    settings: settings.validated()?,
                });
            }
        }
        // The file first: a client is listed only once it is kept.
        {
            let mut file = lock(&self.config);
            let before = file.clients.len();
            file.clients.extend(added.iter().cloned());
            if let Err(error) = config::save(&self.paths.config_dir, &file) {
                file.clients.truncate(before);
                return Err(error);
            }
        }
        self.with_slots(|slots| {
            for config in &added {
                slots.push(Slot {
                    config: config.clone(),
                    remembered: true,
                    state: SlotState::Idle,
                });
            }
        });
        let runs = added
            .into_iter()
            .map(|config| self.run_attempt(config, Credential::Remembered, None));
        // Each client's outcome lands on its own row; one failing leaves the others connected.
        let _ = futures::future::join_all(runs).await;
        Ok(self.status().await)
    }
}

/// A client's settings for `vault` in `tenant`, reached through the home sign-in.
fn vault_settings(home: &Home, tenant: &str, vault: &Vault) -> ConnectionSettings {
    let custom = home.settings.cloud == Cloud::Custom;
    ConnectionSettings {
        tenant_id: tenant.to_string(),
        vault_name: vault.name.clone(),
        vault_url: if custom {
            vault
                .properties
                .vault_uri
                .as_deref()
                .map(|uri| uri.trim_end_matches('/').to_string())
        } else {
            None
        },
        home_tenant_id: Some(home.home_tenant.clone()),
        auth: AuthMode::SignIn,
        ..home.settings.clone()
    }
}

/// `name`, or `name (2)`, `name (3)`… if a client already has it.
fn free_name(name: &str, existing: &[(String, ConnectionSettings)]) -> String {
    let taken = |candidate: &str| {
        existing
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(candidate))
    };
    if !taken(name) {
        return name.to_string();
    }
    (2..)
        .map(|n| format!("{name} ({n})"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_name_gets_the_next_free_suffix() {
        let existing = vec![
            ("Contoso".to_string(), ConnectionSettings::unset()),
            ("contoso (2)".to_string(), ConnectionSettings::unset()),
        ];
        assert_eq!(free_name("Contoso", &existing), "Contoso (3)");
        assert_eq!(free_name("Fabrikam", &existing), "Fabrikam");
    }
}
