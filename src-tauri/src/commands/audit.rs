//! The Audit Log tab: entries, Verify, CSV export.

use chrono::Utc;
use tauri::{AppHandle, Runtime};

use super::{Core, SavedFile, save_with_dialog};
use akv_core::error::AppResult;
use akv_core::service::audit::{AuditFilter, AuditView};
use akv_core::service::trust::Verification;

#[tauri::command]
pub async fn audit_view(
    core: Core<'_>,
    client_id: String,
    filter: AuditFilter,
) -> AppResult<AuditView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.audit_view(&operator, &filter)
}

#[tauri::command]
pub async fn verify_audit(core: Core<'_>, client_id: String) -> AppResult<Verification> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.verify_audit(&operator).await
}

/// An Admin acknowledges a detected tampering of this PC's audit log.
#[tauri::command]
pub async fn acknowledge_tamper<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    client_id: String,
) -> AppResult<Verification> {
    let (console, operator) = core.client_console(&client_id).await?;
    let result = console.acknowledge_tamper(&operator).await;
    super::announce_status(&app);
    result
}

/// An Admin accepts a new installation on a computer that already kept a log for the vault.
#[tauri::command]
pub async fn acknowledge_installation(
    core: Core<'_>,
    client_id: String,
) -> AppResult<Verification> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.acknowledge_installation(&operator).await
}

#[tauri::command]
pub async fn export_audit_csv<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    client_id: String,
) -> AppResult<Option<SavedFile>> {
    let (console, operator) = core.client_console(&client_id).await?;
    let bytes = console.audit_csv(&operator).await?;
    let name = format!("api-key-vault-audit-{}.csv", Utc::now().format("%Y-%m-%d"));
    save_with_dialog(&app, &name, ("CSV spreadsheet", &["csv"]), bytes).await
}
