//! The Audit Log tab: entries, Verify, CSV export.

use chrono::Utc;
use tauri::{AppHandle, Runtime};

use super::{Core, SavedFile, save_with_dialog};
use akv_core::audit::VerifyReport;
use akv_core::error::AppResult;
use akv_core::service::audit::{AuditFilter, AuditView};

#[tauri::command]
pub async fn audit_view(core: Core<'_>, filter: AuditFilter) -> AppResult<AuditView> {
    let (console, _) = core.console().await?;
    console.audit_view(&filter)
}

#[tauri::command]
pub async fn verify_audit(core: Core<'_>) -> AppResult<VerifyReport> {
    let (console, _) = core.console().await?;
    console.verify_audit().await
}

#[tauri::command]
pub async fn export_audit_csv<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
) -> AppResult<Option<SavedFile>> {
    let (console, operator) = core.console().await?;
    let bytes = console.audit_csv(&operator).await?;
    let name = format!("api-key-vault-audit-{}.csv", Utc::now().format("%Y-%m-%d"));
    save_with_dialog(&app, &name, ("CSV spreadsheet", &["csv"]), bytes).await
}
