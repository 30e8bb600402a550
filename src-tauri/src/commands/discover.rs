//! Discover clients: the tenants and vaults the signed-in technician reaches through Azure
//! Resource Manager, and adding several of them as clients at once. The page names vaults and
//! tenants only by what the last discovery returned (Rust keeps it); never by URL.

use tauri::{AppHandle, Runtime};

use super::{Core, announce_status};
use akv_core::error::AppResult;
use akv_core::session::{AppStatus, DiscoveredPick, Discovery};
use akv_core::signin::SignInMethod;

/// List the reachable tenants and the vaults visible in each.
#[tauri::command]
pub async fn discover_clients(core: Core<'_>) -> AppResult<Discovery> {
    core.discover().await
}

/// "Sign in to this tenant" on a tenant the last discovery said asks for it; then discover again.
#[tauri::command]
pub async fn discover_sign_in<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    tenant_id: String,
    method: Option<SignInMethod>,
) -> AppResult<Discovery> {
    let result = core
        .discover_sign_in(&tenant_id, method.unwrap_or(SignInMethod::Browser))
        .await;
    announce_status(&app);
    result
}

/// Add the picked vaults (by the last discovery's ids) as clients, all or none, and connect them.
#[tauri::command]
pub async fn add_discovered_clients<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    picks: Vec<DiscoveredPick>,
) -> AppResult<AppStatus> {
    let result = core.add_discovered(&picks).await;
    announce_status(&app);
    result
}
