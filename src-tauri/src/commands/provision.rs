//! "Provision a new vault…": the wizard's lists, the name check as the technician types, and the
//! run, whose step list arrives as `provision-progress` events. Every argument is checked again
//! in Rust (GUIDs, names, the workspace id's shape; the tenant must be one the home sign-in
//! reaches); only a console Admin may run it (`AppCore::provision_vault` says why).

use std::sync::Arc;

use tauri::{AppHandle, Emitter, Runtime};

use akv_core::error::AppResult;
use akv_core::service::provision::groups::GroupChoice;
use akv_core::service::provision::{
    ProgressSink, ProvisionOptions, ProvisionProgress, ProvisionRequest,
};
use akv_core::session::{ChoiceKind, ProvisionChoice, VaultNameCheck};

use super::{Core, announce_status, events};

#[tauri::command]
pub async fn provision_choices(
    core: Core<'_>,
    kind: ChoiceKind,
    tenant_id: Option<String>,
    subscription_id: Option<String>,
) -> AppResult<Vec<ProvisionChoice>> {
    core.provision_choices(kind, tenant_id.as_deref(), subscription_id.as_deref())
        .await
}

#[tauri::command]
pub async fn provision_check_name(
    core: Core<'_>,
    tenant_id: String,
    subscription_id: String,
    resource_group: String,
    name: String,
) -> AppResult<VaultNameCheck> {
    core.provision_check_name(&tenant_id, &subscription_id, &resource_group, &name)
        .await
}

/// Runs (or reruns: every step is idempotent) the provisioning; the reply is the final step list.
#[tauri::command]
pub async fn provision_vault<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    request: ProvisionRequest,
) -> AppResult<ProvisionProgress> {
    let events_app = app.clone();
    let sink: ProgressSink = Arc::new(move |progress: &ProvisionProgress| {
        let _ = events_app.emit(events::PROVISION_PROGRESS, progress);
    });
    let result = core
        .provision_vault(&request, &ProvisionOptions::default(), sink)
        .await;
    announce_status(&app);
    result
}

/// Groups of the client tenant whose name matches `text`, for the role pickers.
#[tauri::command]
pub async fn provision_search_groups(
    core: Core<'_>,
    tenant_id: String,
    text: String,
) -> AppResult<Vec<GroupChoice>> {
    core.provision_search_groups(&tenant_id, &text).await
}

/// The client tenant's group with a typed Object ID (its name, or a named "no such group").
#[tauri::command]
pub async fn provision_resolve_group(
    core: Core<'_>,
    tenant_id: String,
    group_id: String,
) -> AppResult<GroupChoice> {
    core.provision_resolve_group(&tenant_id, &group_id).await
}
