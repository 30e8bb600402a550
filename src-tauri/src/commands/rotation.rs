//! The Rotation tab: schedule, single rotation, Rotate All Due with progress events, restore.

use std::sync::Arc;

use chrono::Utc;
use tauri::{AppHandle, Emitter, Runtime};

use super::{Core, events};
use akv_core::connectors::{ProgressSink, RotationProgress, with_progress};
use akv_core::error::AppResult;
use akv_core::service::connector::{VendorRotateRequest, VendorRotation};
use akv_core::service::rotation::{BulkResult, RotateOutcome, RotateRequest, RotationView};
use akv_core::service::vault::VaultRow;
use akv_core::session::{BulkRequest, PortfolioFilter};

/// The schedule across every connected client, or one client's.
#[tauri::command]
pub async fn rotation_view(core: Core<'_>, filter: PortfolioFilter) -> AppResult<RotationView> {
    core.rotation_view(&filter, Utc::now()).await
}

#[tauri::command]
pub async fn rotate_key(
    core: Core<'_>,
    client_id: String,
    request: RotateRequest,
) -> AppResult<RotateOutcome> {
    let (console, operator) = core.client_console(&client_id).await?;
    console
        .rotate_key(&operator, request, false, Utc::now())
        .await
}

/// The steps of rotations at the vendor as `rotation-progress` events.
fn rotation_progress<R: Runtime>(app: &AppHandle<R>) -> ProgressSink {
    let app = app.clone();
    Arc::new(move |progress: RotationProgress| {
        let _ = app.emit(events::ROTATION_PROGRESS, progress);
    })
}

/// Rotate All Due: progress arrives as `bulk-progress` events (and `rotation-progress` for keys
/// rotated at their vendor); the reply is the result list.
#[tauri::command]
pub async fn rotate_all_due<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    requests: Vec<BulkRequest>,
) -> AppResult<BulkResult> {
    let sink = rotation_progress(&app);
    with_progress(
        sink,
        core.rotate_all_due(requests, Utc::now(), |progress| {
            let _ = app.emit(events::BULK_PROGRESS, progress);
        }),
    )
    .await
    .map(BulkResult::failures_first)
}

/// Open the vendor's page where a new key is made, in the system browser. The page names only a
/// vendor id: the address comes from the compiled-in catalog, so no page can open another URL.
#[tauri::command]
pub fn open_vendor_portal<R: Runtime>(app: AppHandle<R>, vendor_id: String) -> AppResult<()> {
    use akv_core::domain::catalog;
    use akv_core::error::{AppError, ErrorCode};
    use tauri_plugin_opener::OpenerExt;
    let url = catalog::vendor(&vendor_id)
        .and_then(|v| v.portal_url.clone())
        .filter(|url| catalog::valid_portal_url(url))
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::UnknownVendor,
                "The console knows no portal page for this vendor.",
                "Open the vendor's portal yourself; the path to the key page is shown beside the key.",
            )
        })?;
    if super::test_save_dir().is_some() {
        // End-to-end runs have no desktop browser.
        return Ok(());
    }
    app.opener()
        .open_url(url.clone(), None::<&str>)
        .map_err(|e| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("The browser could not be opened ({e})."),
                format!("Open {url} yourself."),
            )
        })
}

/// Rotate at the vendor (create, test, store, revoke) where a connector exists; each step
/// arrives as a `rotation-progress` event.
#[tauri::command]
pub async fn rotate_at_vendor<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    client_id: String,
    request: VendorRotateRequest,
) -> AppResult<VendorRotation> {
    with_progress(
        rotation_progress(&app),
        core.rotate_at_vendor(&client_id, request, Utc::now()),
    )
    .await
}

#[tauri::command]
pub async fn restore_version(
    core: Core<'_>,
    client_id: String,
    secret_name: String,
    version: String,
) -> AppResult<VaultRow> {
    let (console, operator) = core.client_console(&client_id).await?;
    console
        .restore_version(&operator, &secret_name, &version, Utc::now())
        .await
}
