//! The Distribute tab: role cards and toggles, the default policy, and the roster of app-secret
//! mode (all Admin only).

use super::Core;
use akv_core::domain::policy::Role;
use akv_core::error::AppResult;
use akv_core::service::distribute::DistributionView;

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
