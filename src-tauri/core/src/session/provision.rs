//! Provisioning a client's vault from the session (issue 20 §3): the home sign-in reaches the
//! client tenant's Azure Resource Manager, steps 1–6 run in `service::provision`, step 7 adds
//! the vault as a client and connects it.
//!
//! Who may: creating client vaults is an Admin task (the manual's Admin "manages the vault and
//! the console"; L2/L1/NOC only use keys), so the console role of the home sign-in must be Admin.
//! Azure RBAC still decides what the technician may create: ARM refuses the rest, named.
//!
//! Where the audit goes: every step the run attempted (done, found already there, or failed) is
//! one `provision` entry in the new vault's own audit log, the one a technician reviews for that
//! client. That log is hash-chained and anchored in the vault, which does not exist (or is not
//! reachable) while the steps run, and entries written to the local file before the first
//! connect would be rightly reported as unvouched by the vault. So the entries wait in a small
//! pending file (`provisioning/<vault>.jsonl` in the data folder: step, outcome, error code, when
//! and by whom — never a secret) and are recorded through the client's connection as soon as it
//! connects (at the end of the run, or later when Azure's role has propagated), which anchors
//! them. A run that failed before the vault existed leaves its entries pending for that vault
//! name. When the client is already connected (a rerun), they are recorded at once.

use std::sync::Arc;

use chrono::Utc;

use super::{AppCore, ClientRequest, Slot, SlotState, lock};
use crate::arm::{ArmClient, ArmOptions, NameAvailability};
use crate::audit::AuditAction;
use crate::config::{self, ClientConfig};
use crate::domain::connection::{AuthMode, ConnectionSettings};
use crate::domain::policy::Role;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::provision::{
    ProgressSink, ProvisionOptions, ProvisionProgress, ProvisionRequest, Provisioner, StepId,
    StepState, check_vault_uri,
};
use crate::signin::{SignInMethod, UserCredential};

/// What the name field shows as the technician types.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VaultNameCheck {
    pub name: String,
    pub available: bool,
    /// The vault is already in the chosen resource group: the run checks and finishes it.
    pub resumes: bool,
    pub message: String,
}

/// One entry of a wizard list (tenant, subscription, region, resource group, workspace): what
/// Rust sends back when it is picked, and what the list shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProvisionChoice {
    pub id: String,
    pub label: String,
}

/// Which list the wizard asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ChoiceKind {
    Tenants,
    Subscriptions,
    Locations,
    ResourceGroups,
    Workspaces,
}

impl AppCore {
    /// A wizard list. `tenant_id` is needed for all but tenants, `subscription_id` for regions,
    /// resource groups and workspaces; both are checked as GUIDs and the tenant as reachable.
    pub async fn provision_choices(
        &self,
        kind: ChoiceKind,
        tenant_id: Option<&str>,
        subscription_id: Option<&str>,
    ) -> AppResult<Vec<ProvisionChoice>> {
        use crate::domain::validation::guid_field;
        let (settings, home) = self.provisioning_home().await?;
        if kind == ChoiceKind::Tenants {
            let home_tenant = home.user().tenant_id;
            let arm = ArmClient::new(
                home.for_tenant(&home_tenant),
                &home_tenant,
                &settings,
                &ArmOptions {
                    azure: self.azure_options.clone(),
                    ..ArmOptions::default()
                },
            )?;
            let mut tenants: Vec<ProvisionChoice> = arm
                .list_tenants()
                .await?
                .into_iter()
                .map(|t| {
                    let name = t
                        .display_name
                        .clone()
                        .or(t.default_domain.clone())
                        .unwrap_or_else(|| t.tenant_id.clone());
                    ProvisionChoice {
                        label: format!("{name} ({})", t.tenant_id),
                        id: t.tenant_id,
                    }
                })
                .collect();
            tenants.sort_by_key(|a| a.label.to_lowercase());
            return Ok(tenants);
        }
        let tenant = guid_field("tenantId", "Tenant", tenant_id.unwrap_or_default())?;
        let arm = self.provision_arm(&settings, &home, &tenant).await?;
        if kind == ChoiceKind::Subscriptions {
            return Ok(arm
                .list_subscriptions()
                .await?
                .into_iter()
                .filter(|s| {
                    s.tenant_id
                        .as_deref()
                        .is_none_or(|t| t.eq_ignore_ascii_case(&tenant))
                        && s.state.eq_ignore_ascii_case("Enabled")
                })
                .map(|s| ProvisionChoice {
                    label: format!("{} ({})", s.display_name, s.subscription_id),
                    id: s.subscription_id,
                })
                .collect());
        }
        let subscription = guid_field(
            "subscriptionId",
            "Subscription",
            subscription_id.unwrap_or_default(),
        )?;
        let mut choices: Vec<ProvisionChoice> = match kind {
            ChoiceKind::Locations => arm
                .list_locations(&subscription)
                .await?
                .into_iter()
                .map(|l| ProvisionChoice {
                    label: format!("{} ({})", l.display_name, l.name),
                    id: l.name,
                })
                .collect(),
            ChoiceKind::ResourceGroups => arm
                .list_resource_groups(&subscription)
                .await?
                .into_iter()
                .map(|g| ProvisionChoice {
                    label: format!("{} ({})", g.name, g.location),
                    id: g.name,
                })
                .collect(),
            ChoiceKind::Workspaces => arm
                .list_workspaces(&subscription)
                .await?
                .into_iter()
                .map(|w| ProvisionChoice {
                    label: format!("{} ({})", w.name, w.location),
                    id: w.id,
                })
                .collect(),
            ChoiceKind::Tenants | ChoiceKind::Subscriptions => Vec::new(),
        };
        choices.sort_by_key(|a| a.label.to_lowercase());
        Ok(choices)
    }

    /// The live home sign-in provisioning uses, with the settings (cloud, authority, app, CA) of
    /// a client reached through it. Admin only.
    pub(super) async fn provisioning_home(
        &self,
    ) -> AppResult<(ConnectionSettings, Arc<UserCredential>)> {
        if self.is_demo() {
            return Err(AppError::new(
                ErrorCode::DemoOnly,
                "The demo cannot create vaults in Azure.",
                "Connect to your MSP tenant to provision a client's vault.",
            ));
        }
        let (settings, home) = self.live_home().await.ok_or_else(|| {
            AppError::new(
                ErrorCode::NotConnected,
                "Provisioning needs your sign-in to your MSP's tenant.",
                "Connect a client reached through your MSP tenant (Sign in with Microsoft) first; the new vault's tenant is reached with that same sign-in.",
            )
        })?;
        if home.user().role() != Some(Role::Admin) {
            return Err(AppError::new(
                ErrorCode::AdminOnly,
                "Only a console Admin may create client vaults.",
                "Ask an Admin of the console, or an Entra admin to give you the Console.Admin app role.",
            ));
        }
        Ok((settings, home))
    }

    /// The ARM client for `tenant` on the home sign-in, after checking the sign-in reaches it
    /// (Azure's own tenant list for the technician: a typed-in tenant of someone else is refused
    /// before any token is asked for it).
    pub(super) async fn provision_arm(
        &self,
        settings: &ConnectionSettings,
        home: &Arc<UserCredential>,
        tenant: &str,
    ) -> AppResult<ArmClient> {
        let options = ArmOptions {
            azure: self.azure_options.clone(),
            ..ArmOptions::default()
        };
        let home_tenant = home.user().tenant_id;
        let at_home = ArmClient::new(
            home.for_tenant(&home_tenant),
            &home_tenant,
            settings,
            &options,
        )?;
        let reachable = at_home
            .list_tenants()
            .await?
            .iter()
            .any(|t| t.tenant_id.eq_ignore_ascii_case(tenant));
        if !reachable {
            return Err(AppError::field(
                "tenantId",
                format!("Your sign-in does not reach tenant {tenant}."),
                "Pick a tenant from the list: those are the ones where you are a guest (or reach through GDAP).",
            ));
        }
        ArmClient::new(home.for_tenant(tenant), tenant, settings, &options)
    }

    /// Whether `name` is free for a vault, as the technician types it (the wizard debounces).
    pub async fn provision_check_name(
        &self,
        tenant_id: &str,
        subscription_id: &str,
        resource_group: &str,
        name: &str,
    ) -> AppResult<VaultNameCheck> {
        let probe = ProvisionRequest {
            tenant_id: tenant_id.into(),
            subscription_id: subscription_id.into(),
            location: "westeurope".into(),
            resource_group: if resource_group.trim().is_empty() {
                "unset".into()
            } else {
                resource_group.into()
            },
            create_resource_group: true,
            vault_name: name.into(),
            officer_group_id: tenant_id.into(),
            user_group_id: tenant_id.into(),
            workspace_id: None,
            client_name: String::new(),
            switch_to_rbac: false,
        }
        .validated()?;
        let (settings, home) = self.provisioning_home().await?;
        let arm = self
            .provision_arm(&settings, &home, &probe.tenant_id)
            .await?;
        if !resource_group.trim().is_empty()
            && arm
                .get_vault(
                    &probe.subscription_id,
                    &probe.resource_group,
                    &probe.vault_name,
                )
                .await
                .ok()
                .flatten()
                .is_some()
        {
            return Ok(VaultNameCheck {
                name: probe.vault_name,
                available: true,
                resumes: true,
                message: "This vault is already in the resource group: provisioning checks its settings and finishes it.".into(),
            });
        }
        let NameAvailability {
            name_available,
            reason,
            message,
        } = arm
            .check_vault_name(&probe.subscription_id, &probe.vault_name)
            .await?;
        let message = if name_available {
            format!("{} is free.", probe.vault_name)
        } else {
            crate::service::provision::name_taken(
                &probe.vault_name,
                &NameAvailability {
                    name_available,
                    reason,
                    message,
                },
            )
            .message
        };
        Ok(VaultNameCheck {
            name: probe.vault_name,
            available: name_available,
            resumes: false,
            message,
        })
    }

    /// Run the provisioning flow for `request`; `sink` gets the step list after every change.
    /// Input, role and tenant errors come back as `Err` before anything is sent to Azure; a
    /// step's failure is in the returned progress (its step failed, with the named error).
    pub async fn provision_vault(
        &self,
        request: &ProvisionRequest,
        options: &ProvisionOptions,
        sink: ProgressSink,
    ) -> AppResult<ProvisionProgress> {
        let request = request.validated()?;
        let (settings, home) = self.provisioning_home().await?;
        let _running = RunGuard::claim(&format!(
            "{}|{}",
            self.paths.data_dir.display(),
            request.vault_name
        ))?;
        let arm = self
            .provision_arm(&settings, &home, &request.tenant_id)
            .await?;
        let mut progress = ProvisionProgress::new(&request);
        self.name_role_groups(&settings, &home, &request, &mut progress)
            .await;
        sink(&progress);
        let outcome = Provisioner {
            arm: &arm,
            options,
            progress: &mut progress,
            sink: &sink,
        }
        .run(&request)
        .await;
        let client_settings = outcome.and_then(|outcome| {
            let vault_url = check_vault_uri(
                outcome.vault.properties.vault_uri.as_deref(),
                &request.vault_name,
                &settings,
            )?;
            Ok(ConnectionSettings {
                tenant_id: request.tenant_id.clone(),
                client_id: settings.client_id.clone(),
                vault_name: request.vault_name.clone(),
                cloud: settings.cloud,
                authority_host: settings.authority_host.clone(),
                vault_url,
                ca_pem: settings.ca_pem.clone(),
                auth: AuthMode::SignIn,
                home_tenant_id: Some(home.user().tenant_id),
            })
        });
        let client_settings = match client_settings {
            Ok(client_settings) => client_settings,
            Err(error) => {
                if progress.error().is_none() {
                    progress.fail(StepId::Connect, &error);
                }
                progress.finished = true;
                self.audit_provisioning(&request, &home, &progress).await;
                sink(&progress);
                return Ok(progress);
            }
        };
        // Audited before connecting, so the first connect anchors the entries in the vault.
        self.audit_provisioning(&request, &home, &progress).await;
        self.add_and_connect(&request, client_settings, options, &mut progress, &sink)
            .await;
        if let Some(step) = progress.step(StepId::Connect).cloned() {
            self.audit_steps(&request, &home, std::slice::from_ref(&step))
                .await;
        }
        progress.finished = true;
        sink(&progress);
        Ok(progress)
    }

    /// Step 7: the vault as a client, connected. A new role assignment can take minutes to
    /// apply, so a 403 is retried for [`ProvisionOptions::role_wait`] with the step showing
    /// "waiting"; after that the client stays in the list with a named error and connects later.
    async fn add_and_connect(
        &self,
        request: &ProvisionRequest,
        settings: ConnectionSettings,
        options: &ProvisionOptions,
        progress: &mut ProvisionProgress,
        sink: &ProgressSink,
    ) {
        let set = |progress: &mut ProvisionProgress, state, detail: String| {
            progress.set(StepId::Connect, state, detail);
            sink(progress);
        };
        set(progress, StepState::Running, String::new());
        let existing = self.with_slots(|slots| {
            slots
                .iter()
                .find(|s| s.config.settings.vault_name == settings.vault_name)
                .map(|s| (s.config.id.clone(), s.connection().is_some()))
        });
        if let Some((id, true)) = &existing {
            progress.client_id = Some(id.clone());
            set(
                progress,
                StepState::Skipped,
                "Already a connected client.".to_string(),
            );
            return;
        }
        let started = std::time::Instant::now();
        let mut client_id = existing.map(|(id, _)| id);
        loop {
            let result = match &client_id {
                Some(id) => self.connect_client(id).await,
                None => {
                    self.save_client(ClientRequest {
                        id: None,
                        name: request.client_name.clone(),
                        settings: settings.clone(),
                        client_secret: None,
                        method: Some(SignInMethod::Browser),
                        remember: true,
                    })
                    .await
                }
            };
            if client_id.is_none() {
                client_id = self.client_id_of(&settings.vault_name);
            }
            progress.client_id = client_id.clone();
            let error = match result {
                Ok(_) => {
                    set(
                        progress,
                        StepState::Done,
                        format!("{} is in the client list, connected.", request.client_name),
                    );
                    return;
                }
                Err(error) => error,
            };
            let propagating = error.code == ErrorCode::ForbiddenByRbac;
            if !propagating || started.elapsed() >= options.role_wait {
                let error = if propagating {
                    AppError::new(
                        ErrorCode::RoleNotYetEffective,
                        format!(
                            "The vault {} is ready and in the client list, but Azure has not applied your Key Vault role on it yet.",
                            request.vault_name
                        ),
                        format!(
                            "Role assignments can take up to ten minutes. Press Connect on {} later. If it still fails, check that you are a member of the group given Key Vault Secrets Officer ({}).",
                            request.client_name, request.officer_group_id
                        ),
                    )
                } else {
                    error
                };
                if client_id.is_none() {
                    client_id = self.keep_client(request, &settings, &error);
                    progress.client_id = client_id.clone();
                }
                progress.fail(StepId::Connect, &error);
                sink(progress);
                return;
            }
            set(
                progress,
                StepState::Waiting,
                "Waiting for Azure to apply the new Key Vault role (usually a minute or two)…"
                    .to_string(),
            );
            tokio::time::sleep(options.role_poll).await;
        }
    }

    fn client_id_of(&self, vault_name: &str) -> Option<String> {
        self.with_slots(|slots| {
            slots
                .iter()
                .find(|s| s.config.settings.vault_name == vault_name)
                .map(|s| s.config.id.clone())
        })
    }

    /// Keeps the provisioned vault in the client list (and the config file) although it could
    /// not connect yet, with its error on the row; Connect on the row retries.
    fn keep_client(
        &self,
        request: &ProvisionRequest,
        settings: &ConnectionSettings,
        error: &AppError,
    ) -> Option<String> {
        let config = ClientConfig {
            id: uuid::Uuid::new_v4().simple().to_string(),
            name: request.client_name.clone(),
            settings: settings.clone(),
        };
        let saved = {
            let mut file = lock(&self.config);
            if file
                .clients
                .iter()
                .any(|c| c.settings.vault_name == settings.vault_name)
            {
                return self.client_id_of(&settings.vault_name);
            }
            file.clients.push(config.clone());
            let saved = config::save(&self.paths.config_dir, &file);
            if saved.is_err() {
                file.clients.pop();
            }
            saved
        };
        if let Err(save_error) = saved {
            (self.notifier)(crate::service::Notice::from_error(&save_error));
        }
        let id = config.id.clone();
        self.with_slots(|slots| {
            if !slots
                .iter()
                .any(|s| s.config.settings.vault_name == settings.vault_name)
            {
                slots.push(Slot {
                    config,
                    remembered: true,
                    state: SlotState::Failed(error.clone()),
                });
            }
        });
        (self.on_status)();
        self.client_id_of(&settings.vault_name).or(Some(id))
    }

    async fn audit_provisioning(
        &self,
        request: &ProvisionRequest,
        home: &Arc<UserCredential>,
        progress: &ProvisionProgress,
    ) {
        let steps: Vec<_> = progress
            .steps
            .iter()
            .filter(|s| s.id != StepId::Connect)
            .filter(|s| !matches!(s.state, StepState::Pending))
            .cloned()
            .collect();
        self.audit_steps(request, home, &steps).await;
    }

    /// One `provision` entry per step, in the vault's own log (see the module comment).
    async fn audit_steps(
        &self,
        request: &ProvisionRequest,
        home: &Arc<UserCredential>,
        steps: &[crate::service::provision::StepView],
    ) {
        let user = home.user();
        let at = Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
        let pending: Vec<PendingEntry> = steps
            .iter()
            .map(|step| PendingEntry {
                failed: step.state == StepState::Failed,
                error_code: step.error.as_ref().map(code_id),
                note: format!(
                    "{}{}: {} ({at}, {})",
                    step.title,
                    if step.state == StepState::Skipped {
                        " (already there)"
                    } else {
                        ""
                    },
                    step.detail,
                    user.upn
                ),
            })
            .collect();
        if pending.is_empty() {
            return;
        }
        let path = pending_path(&self.paths.data_dir, &request.vault_name);
        let lines: String = pending
            .iter()
            .filter_map(|entry| serde_json::to_string(entry).ok())
            .map(|line| line + "\n")
            .collect();
        let appended = std::fs::create_dir_all(path.parent().unwrap_or(&self.paths.data_dir))
            .and_then(|()| {
                use std::io::Write;
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)?;
                file.write_all(lines.as_bytes())?;
                file.sync_all()
            });
        if let Err(problem) = appended {
            (self.notifier)(crate::service::Notice::from_error(&AppError::new(
                ErrorCode::AuditWriteFailed,
                format!(
                    "The provisioning steps of {} could not be kept for its audit log ({problem}).",
                    request.vault_name
                ),
                "Check the disk space and permissions of the console's data folder.",
            )));
            return;
        }
        if let Some(id) = self.client_id_of(&request.vault_name) {
            self.flush_provision_audit(&id, &request.vault_name).await;
        }
    }

    /// Records the pending provisioning entries of `vault` through client `client_id`'s
    /// connection (which anchors them), then removes the pending file. Nothing happens while the
    /// client is not connected.
    pub(super) async fn flush_provision_audit(&self, client_id: &str, vault: &str) {
        let path = pending_path(&self.paths.data_dir, vault);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let Ok((console, operator)) = self.client_console(client_id).await else {
            return;
        };
        // Taken before recording, so a second connect meanwhile cannot record them twice.
        if std::fs::remove_file(&path).is_err() {
            return;
        }
        for entry in text
            .lines()
            .filter_map(|line| serde_json::from_str::<PendingEntry>(line).ok())
        {
            let outcome = match (entry.failed, entry.error_code) {
                (true, Some(code)) => crate::service::AuditResult::Failed(code),
                (true, None) => crate::service::AuditResult::Failed("unknown".into()),
                (false, _) => crate::service::AuditResult::Ok,
            };
            console
                .record(
                    &operator,
                    AuditAction::Provision,
                    None,
                    None,
                    outcome,
                    entry.note,
                )
                .await;
        }
    }
}

/// A provisioning step waiting for its vault's first connection.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct PendingEntry {
    failed: bool,
    error_code: Option<String>,
    note: String,
}

fn pending_path(data_dir: &std::path::Path, vault: &str) -> std::path::PathBuf {
    data_dir.join("provisioning").join(format!(
        "{}.jsonl",
        crate::files::file_stem_for_vault(vault)
    ))
}

/// Vaults being provisioned by this process: a second run for the same vault (a double click,
/// two windows) would race the first one's steps.
static RUNNING: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct RunGuard(String);

impl RunGuard {
    fn claim(key: &str) -> AppResult<RunGuard> {
        let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
        if running.iter().any(|k| k == key) {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "This vault is already being provisioned.",
                "Wait for the running provisioning to finish; its step list shows where it is.",
            ));
        }
        running.push(key.to_string());
        Ok(RunGuard(key.to_string()))
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        RUNNING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|k| k != &self.0);
    }
}

/// The kebab-case id of an error code, as audit entries store it.
fn code_id(error: &AppError) -> String {
    serde_json::to_value(error.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}
