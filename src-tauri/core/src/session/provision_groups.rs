//! The provisioning wizard's group pickers: search the client tenant's groups by name, or
//! resolve a typed Object ID to its name (`service::provision::groups`). Admin only and only in
//! a tenant the home sign-in reaches, like the rest of provisioning.

use std::sync::Arc;

use super::AppCore;
use crate::domain::connection::ConnectionSettings;
use crate::domain::validation::guid_field;
use crate::error::AppResult;
use crate::service::provision::groups::{GroupChoice, GroupDirectory, validated_search};
use crate::service::provision::{ProvisionProgress, ProvisionRequest, StepId};
use crate::signin::UserCredential;

impl AppCore {
    async fn provision_groups(&self, tenant_id: &str) -> AppResult<GroupDirectory> {
        let tenant = guid_field("tenantId", "Tenant", tenant_id)?;
        let (settings, home) = self.provisioning_home().await?;
        // Checks the tenant is one of the sign-in's (no token is asked for another).
        self.provision_arm(&settings, &home, &tenant).await?;
        GroupDirectory::new(home.for_tenant(&tenant), &settings, &self.azure_options)
    }

    /// Groups of `tenant_id` whose name matches `text` (security-enabled first).
    pub async fn provision_search_groups(
        &self,
        tenant_id: &str,
        text: &str,
    ) -> AppResult<Vec<GroupChoice>> {
        let text = validated_search(text)?;
        self.provision_groups(tenant_id).await?.search(&text).await
    }

    /// The group of `tenant_id` with Object ID `group_id`.
    pub async fn provision_resolve_group(
        &self,
        tenant_id: &str,
        group_id: &str,
    ) -> AppResult<GroupChoice> {
        let group = guid_field("groupId", "The group's Object ID", group_id)?;
        self.provision_groups(tenant_id).await?.group(&group).await
    }

    /// Names the two role steps after their groups' display names, read from Graph as the
    /// technician. Best effort: a guest who may not read the group keeps the generic title, and
    /// the run goes on (the Object ID is what Azure assigns the role to).
    pub(super) async fn name_role_groups(
        &self,
        settings: &ConnectionSettings,
        home: &Arc<UserCredential>,
        request: &ProvisionRequest,
        progress: &mut ProvisionProgress,
    ) {
        let Ok(directory) = GroupDirectory::new(
            home.for_tenant(&request.tenant_id),
            settings,
            &self.azure_options,
        ) else {
            return;
        };
        for (step, role, id) in [
            (
                StepId::OfficerRole,
                "Key Vault Secrets Officer",
                &request.officer_group_id,
            ),
            (
                StepId::UserRole,
                "Key Vault Secrets User",
                &request.user_group_id,
            ),
        ] {
            if let Ok(group) = directory.group(id).await
                && let Some(view) = progress.steps.iter_mut().find(|s| s.id == step)
            {
                view.title = format!("{role} → {}", group.display_name);
            }
        }
    }
}
