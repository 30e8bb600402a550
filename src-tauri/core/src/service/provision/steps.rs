//! Steps 1–6 against Azure Resource Manager, each looking before it writes (see the module
//! comment of `provision`). Step 7 (add and connect) belongs to the session.

use std::time::Duration;

use super::arm_extra::{VaultPatchProperties, update_vault};
use super::plan::{Fixes, assess_vault, plan_fixes};
use super::{
    DIAGNOSTIC_SETTING_NAME, ProgressSink, ProvisionProgress, ProvisionRequest, StepId, StepState,
};
use crate::arm::{
    ArmClient, KEY_VAULT_SECRETS_OFFICER, KEY_VAULT_SECRETS_USER, NameAvailability, PrincipalType,
    RoleAssignmentRequest, Vault, VaultRequest, role_definition_id,
};
use crate::error::{AppError, AppResult, ErrorCode};

/// How long the flow waits for Azure.
#[derive(Debug, Clone)]
pub struct ProvisionOptions {
    /// Between two reads of a vault still being created.
    pub vault_poll: Duration,
    /// Longest wait for `provisioningState: Succeeded`.
    pub vault_wait: Duration,
    /// Between two connect attempts while a new role assignment propagates.
    pub role_poll: Duration,
    /// Longest wait for the role to apply before the client is added with a named error.
    pub role_wait: Duration,
}

impl Default for ProvisionOptions {
    fn default() -> Self {
        // Role assignments usually apply within a minute or two (Setup Guide phase 3), and can
        // take up to ten: wait two minutes in the flow, then say it will work later.
        ProvisionOptions {
            vault_poll: Duration::from_secs(2),
            vault_wait: Duration::from_secs(120),
            role_poll: Duration::from_secs(10),
            role_wait: Duration::from_secs(120),
        }
    }
}

/// The vault as steps 1–6 left it.
#[derive(Debug, Clone)]
pub struct VaultOutcome {
    pub vault: Vault,
    /// True when this run created the vault or gave a role (so a 403 at connect is most likely
    /// the new assignment still propagating).
    pub roles_just_assigned: bool,
}

pub struct Provisioner<'a> {
    pub arm: &'a ArmClient,
    pub options: &'a ProvisionOptions,
    pub progress: &'a mut ProvisionProgress,
    pub sink: &'a ProgressSink,
}

enum Assigned {
    Created,
    AlreadyThere,
}

impl Provisioner<'_> {
    fn set(&mut self, id: StepId, state: StepState, detail: impl Into<String>) {
        self.progress.set(id, state, detail);
        (self.sink)(self.progress);
    }

    fn fail(&mut self, id: StepId, error: AppError) -> AppError {
        self.progress.fail(id, &error);
        (self.sink)(self.progress);
        error
    }

    /// Steps 1–6. On a failure the step shows it and the error is returned; nothing after it ran.
    pub async fn run(&mut self, request: &ProvisionRequest) -> AppResult<VaultOutcome> {
        self.set(StepId::ResourceGroup, StepState::Running, "");
        match self.resource_group(request).await {
            Ok((state, detail)) => self.set(StepId::ResourceGroup, state, detail),
            Err(error) => return Err(self.fail(StepId::ResourceGroup, error)),
        }

        self.set(StepId::NameAvailability, StepState::Running, "");
        let existing = match self.name_or_existing(request).await {
            Ok(existing) => existing,
            Err(error) => return Err(self.fail(StepId::NameAvailability, error)),
        };

        self.set(StepId::Vault, StepState::Running, "");
        let vault = match self.vault(request, existing).await {
            Ok(vault) => vault,
            Err(error) => return Err(self.fail(StepId::Vault, error)),
        };

        let mut assigned_now = false;
        for (step, role, role_name, group) in [
            (
                StepId::OfficerRole,
                KEY_VAULT_SECRETS_OFFICER,
                "Key Vault Secrets Officer",
                &request.officer_group_id,
            ),
            (
                StepId::UserRole,
                KEY_VAULT_SECRETS_USER,
                "Key Vault Secrets User",
                &request.user_group_id,
            ),
        ] {
            self.set(step, StepState::Running, "");
            match self.role(request, role, role_name, group).await {
                Ok(Assigned::Created) => {
                    assigned_now = true;
                    self.set(
                        step,
                        StepState::Done,
                        format!("Assigned {role_name} on the vault to group {group}."),
                    );
                }
                Ok(Assigned::AlreadyThere) => self.set(
                    step,
                    StepState::Skipped,
                    format!("Group {group} already has {role_name} on the vault."),
                ),
                Err(error) => return Err(self.fail(step, error)),
            }
        }

        match &request.workspace_id {
            None => self.set(
                StepId::Diagnostics,
                StepState::Skipped,
                "Not asked for: the vault's own logs stay in Azure only.",
            ),
            Some(workspace) => {
                self.set(StepId::Diagnostics, StepState::Running, "");
                // Diagnostic Settings - Create Or Update is a PUT of a named setting: running it
                // again replaces the same setting, never adds a second one.
                match self
                    .arm
                    .set_audit_diagnostics(&request.vault_id(), DIAGNOSTIC_SETTING_NAME, workspace)
                    .await
                {
                    Ok(_) => self.set(
                        StepId::Diagnostics,
                        StepState::Done,
                        format!(
                            "AuditEvent logs go to the workspace {} (diagnostic setting {DIAGNOSTIC_SETTING_NAME}).",
                            workspace.rsplit('/').next().unwrap_or(workspace)
                        ),
                    ),
                    Err(error) => return Err(self.fail(StepId::Diagnostics, error)),
                }
            }
        }
        Ok(VaultOutcome {
            vault,
            roles_just_assigned: assigned_now,
        })
    }

    async fn resource_group(&self, request: &ProvisionRequest) -> AppResult<(StepState, String)> {
        let arm = self.arm;
        if let Some(group) = arm
            .get_resource_group(&request.subscription_id, &request.resource_group)
            .await?
        {
            return Ok((
                StepState::Skipped,
                format!(
                    "Resource group {} already there ({}).",
                    group.name, group.location
                ),
            ));
        }
        if !request.create_resource_group {
            return Err(AppError::new(
                ErrorCode::ResourceNotFound,
                format!(
                    "There is no resource group {} in this subscription.",
                    request.resource_group
                ),
                "Pick an existing resource group from the list, or tick \"Create it\".",
            ));
        }
        arm.create_resource_group(
            &request.subscription_id,
            &request.resource_group,
            &request.location,
        )
        .await?;
        Ok((
            StepState::Done,
            format!(
                "Created resource group {} in {}.",
                request.resource_group, request.location
            ),
        ))
    }

    /// The vault if it is already in the chosen resource group (a resume), otherwise the name
    /// checked free.
    async fn name_or_existing(&mut self, request: &ProvisionRequest) -> AppResult<Option<Vault>> {
        if let Some(vault) = self
            .arm
            .get_vault(
                &request.subscription_id,
                &request.resource_group,
                &request.vault_name,
            )
            .await?
        {
            self.set(
                StepId::NameAvailability,
                StepState::Skipped,
                format!(
                    "The vault {} is already in resource group {}: checking and finishing it.",
                    request.vault_name, request.resource_group
                ),
            );
            return Ok(Some(vault));
        }
        let answer = self
            .arm
            .check_vault_name(&request.subscription_id, &request.vault_name)
            .await?;
        if !answer.name_available {
            return Err(name_taken(&request.vault_name, &answer));
        }
        self.set(
            StepId::NameAvailability,
            StepState::Done,
            format!("{} is free.", request.vault_name),
        );
        Ok(None)
    }

    async fn vault(
        &mut self,
        request: &ProvisionRequest,
        existing: Option<Vault>,
    ) -> AppResult<Vault> {
        let Some(vault) = existing else {
            let spec = VaultRequest::setup_guide(&request.tenant_id, &request.location);
            let (_, vault) = self
                .arm
                .create_or_update_vault(
                    &request.subscription_id,
                    &request.resource_group,
                    &request.vault_name,
                    &spec,
                )
                .await
                .map_err(|error| taken_on_create(error, &request.vault_name))?;
            let vault = self.until_succeeded(request, vault).await?;
            self.set(
                StepId::Vault,
                StepState::Done,
                format!(
                    "Created {} in {}: Standard, Azure RBAC, soft delete 90 days, purge protection.",
                    request.vault_name, request.location
                ),
            );
            return Ok(vault);
        };
        let vault = self.until_succeeded(request, vault).await?;
        let found = assess_vault(&vault, &request.tenant_id);
        let fixes: Fixes = plan_fixes(&request.vault_name, &found, request.switch_to_rbac)?;
        if !fixes.any() {
            self.set(
                StepId::Vault,
                StepState::Skipped,
                "Already there with the Setup Guide's settings.",
            );
            return Ok(vault);
        }
        let patch = VaultPatchProperties {
            enable_rbac_authorization: fixes.enable_rbac.then_some(true),
            enable_soft_delete: fixes.enable_soft_delete.then_some(true),
            enable_purge_protection: fixes.enable_purge_protection.then_some(true),
        };
        let vault = update_vault(self.arm, &request.vault_id(), &patch).await?;
        let vault = self.until_succeeded(request, vault).await?;
        let was: Vec<String> = found.iter().map(|d| d.describe()).collect();
        self.set(
            StepId::Vault,
            StepState::Done,
            format!(
                "The vault {}; the console {}.",
                was.join(" and "),
                fixes.describe().join(" and ")
            ),
        );
        Ok(vault)
    }

    /// Reads the vault until Azure says `Succeeded` (a new vault answers `Provisioning` for a
    /// few seconds), at most [`ProvisionOptions::vault_wait`].
    async fn until_succeeded(
        &self,
        request: &ProvisionRequest,
        mut vault: Vault,
    ) -> AppResult<Vault> {
        let started = std::time::Instant::now();
        loop {
            let state = vault
                .properties
                .provisioning_state
                .as_deref()
                .unwrap_or("Succeeded");
            if state.eq_ignore_ascii_case("Succeeded") {
                return Ok(vault);
            }
            if state.eq_ignore_ascii_case("Failed") || started.elapsed() >= self.options.vault_wait
            {
                return Err(AppError::new(
                    ErrorCode::ServiceUnavailable,
                    format!(
                        "Azure has not finished creating the vault {} (it says {state}).",
                        request.vault_name
                    ),
                    "Run the provisioning again in a few minutes: it picks up the vault where Azure left it.",
                ));
            }
            tokio::time::sleep(self.options.vault_poll).await;
            vault = self
                .arm
                .get_vault(&request.subscription_id, &request.resource_group, &request.vault_name)
                .await?
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::ResourceNotFound,
                        format!("The vault {} disappeared while Azure was creating it.", request.vault_name),
                        "Someone may have deleted it meanwhile: check the resource group, then run again.",
                    )
                })?;
        }
    }

    /// `role` on the vault for `group`: listed first, so a rerun (or an assignment made by hand,
    /// or inherited from the resource group or subscription) is not assigned again; ARM's 409
    /// RoleAssignmentExists also counts as done.
    async fn role(
        &self,
        request: &ProvisionRequest,
        role: &str,
        role_name: &str,
        group: &str,
    ) -> AppResult<Assigned> {
        let scope = request.vault_id();
        let definition_suffix = format!("/roledefinitions/{role}").to_ascii_lowercase();
        let present = self
            .arm
            .list_role_assignments(&scope)
            .await
            .map_err(|e| about_role(e, role_name))?
            .iter()
            .any(|a| {
                a.properties.principal_id.eq_ignore_ascii_case(group)
                    && a.properties
                        .role_definition_id
                        .to_ascii_lowercase()
                        .ends_with(&definition_suffix)
            });
        if present {
            return Ok(Assigned::AlreadyThere);
        }
        let created = self
            .arm
            .create_role_assignment(
                &scope,
                &RoleAssignmentRequest {
                    role_definition_id: role_definition_id(&request.subscription_id, role),
                    principal_id: group.to_string(),
                    principal_type: PrincipalType::Group,
                },
            )
            .await
            .map_err(|e| about_role(e, role_name))?;
        Ok(match created {
            Some(_) => Assigned::Created,
            None => Assigned::AlreadyThere,
        })
    }
}

/// A role step's error says which role it was assigning; a 403 keeps the ARM room's hint, which
/// names Owner or User Access Administrator.
fn about_role(mut error: AppError, role_name: &str) -> AppError {
    // 400 PrincipalNotFound: no such object in the tenant (a mistyped id), or a group created
    // moments ago that has not replicated to Azure RBAC yet.
    if error.code == ErrorCode::AzureRequestRefused && error.message.contains("PrincipalNotFound") {
        error.field = None;
        error.hint = "Check the group's Object ID (Entra ID → Groups → the group's Overview) in the client's tenant. A group created a few minutes ago may not be known to Azure RBAC yet: run again shortly.".into();
    }
    error.message = format!("Assigning {role_name}: {}", error.message);
    if error.code == ErrorCode::AzureRoleMissing
        && !error.hint.contains("User Access Administrator")
    {
        error.hint = format!(
            "Assigning roles needs Owner or User Access Administrator on the vault, its resource group or subscription. {}",
            error.hint
        );
    }
    error
}

/// The name is Azure-wide: someone else's vault (any tenant), or a soft-deleted vault, holds it.
pub fn name_taken(name: &str, answer: &NameAvailability) -> AppError {
    let said = answer
        .message
        .as_deref()
        .filter(|m| !m.is_empty())
        .map(|m| format!(" Azure said: {m}"))
        .unwrap_or_default();
    let reason = answer.reason.as_deref().unwrap_or_default();
    if reason.eq_ignore_ascii_case("AccountNameInvalid") {
        return AppError::field(
            "vaultName",
            format!("Azure does not accept {name} as a vault name.{said}"),
            "Vault names are 3–24 letters, digits and hyphens, start with a letter, end with a letter or digit, and have no '--'.",
        );
    }
    AppError::new(
        ErrorCode::VaultNameTaken,
        format!("The vault name {name} is already taken.{said}"),
        "Vault names are unique across all of Azure. Pick another (e.g. add the client's short name). If you deleted a vault of this name in the last 90 days, it is soft-deleted: recover it, or purge it if purge protection was off.",
    )
}

/// A 409 on create: the name was taken between the check and the create (or by a soft-deleted
/// vault the check did not see).
fn taken_on_create(error: AppError, name: &str) -> AppError {
    if error.code == ErrorCode::Conflict {
        let mut named = name_taken(
            name,
            &NameAvailability {
                name_available: false,
                reason: Some("AlreadyExists".into()),
                message: None,
            },
        );
        named.message = format!("{} ({})", named.message, error.message);
        return named;
    }
    error
}
