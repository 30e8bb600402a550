//! The Distribute tab: role cards and toggles, the default policy, and the roster of app-secret
//! mode (all Admin only).

use super::Core;
use akv_core::domain::custom_vendor::CustomVendorRequest;
use akv_core::domain::policy::Role;
use akv_core::error::AppResult;
use akv_core::service::custom_vendors::CustomVendorsView;
use akv_core::service::distribute::DistributionView;
use akv_core::service::templates::{ClientTemplatePreview, TemplateApplyResult};
use akv_core::session::TemplateSummary;

/// The vault's custom vendors (every role sees them; only Admins may change them).
#[tauri::command]
pub async fn custom_vendors_view(
    core: Core<'_>,
    client_id: String,
) -> AppResult<CustomVendorsView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.custom_vendors_view(&operator).await
}

/// Create or change a custom vendor (Admin only, checked in Rust; the page is untrusted).
#[tauri::command]
pub async fn save_custom_vendor(
    core: Core<'_>,
    client_id: String,
    request: CustomVendorRequest,
) -> AppResult<CustomVendorsView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console
        .save_custom_vendor(&operator, request, chrono::Utc::now())
        .await
}

/// Remove a custom vendor without keys (Admin only).
#[tauri::command]
pub async fn remove_custom_vendor(
    core: Core<'_>,
    client_id: String,
    vendor_id: String,
) -> AppResult<CustomVendorsView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.remove_custom_vendor(&operator, &vendor_id).await
}

#[tauri::command]
pub async fn distribution_view(core: Core<'_>, client_id: String) -> AppResult<DistributionView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.distribution_view(&operator).await
}

#[tauri::command]
pub async fn set_role_access(
    core: Core<'_>,
    client_id: String,
    role: Role,
    vendor_id: String,
    allowed: bool,
) -> AppResult<DistributionView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console
        .set_access(&operator, role, &vendor_id, allowed)
        .await
}

#[tauri::command]
pub async fn save_default_policy(core: Core<'_>, client_id: String) -> AppResult<DistributionView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.save_default_policy(&operator).await
}

/// Put a name on the roster with a role, or take it off (`role: null`).
#[tauri::command]
pub async fn set_roster_role(
    core: Core<'_>,
    client_id: String,
    name: String,
    role: Option<Role>,
) -> AppResult<DistributionView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.set_roster_role(&operator, &name, role).await
}

/// The role-policy templates kept with this installation's settings.
#[tauri::command]
pub fn policy_templates(core: Core<'_>) -> AppResult<Vec<TemplateSummary>> {
    core.policy_templates()
}

/// Save a client's current grants as a named template (Admin on that client only).
#[tauri::command]
pub async fn save_policy_template(
    core: Core<'_>,
    client_id: String,
    name: String,
) -> AppResult<Vec<TemplateSummary>> {
    core.save_policy_template(&client_id, &name).await
}

#[tauri::command]
pub fn delete_policy_template(core: Core<'_>, name: String) -> AppResult<Vec<TemplateSummary>> {
    core.delete_policy_template(&name)
}

/// What a template would turn on and off on each chosen client.
#[tauri::command]
pub async fn preview_policy_template(
    core: Core<'_>,
    name: String,
    client_ids: Vec<String>,
) -> AppResult<Vec<ClientTemplatePreview>> {
    core.preview_policy_template(&name, &client_ids).await
}

/// Apply a template to the chosen clients: one audited save per client.
#[tauri::command]
pub async fn apply_policy_template(
    core: Core<'_>,
    name: String,
    client_ids: Vec<String>,
) -> AppResult<TemplateApplyResult> {
    core.apply_policy_template(&name, &client_ids).await
}

/// Undo an apply from its notice: each client's previous grants, audited again.
#[tauri::command]
pub async fn undo_policy_template(
    core: Core<'_>,
    undo_id: String,
) -> AppResult<TemplateApplyResult> {
    core.undo_policy_template(&undo_id).await
}
