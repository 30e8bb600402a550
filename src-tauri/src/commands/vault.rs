//! The Vault tab: rows, details, Add Key, settings, copy (clipboard from Rust), test ping,
//! versions, revoke/recover/purge, and the report exports.

use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;
use ts_rs::TS;

use super::{Core, SavedFile, events, save_with_dialog};
use akv_core::error::{AppError, AppResult, ErrorCode};
use akv_core::ping::PingReport;
use akv_core::service::adopt::{AdoptRequest, AdoptResult, UnmanagedView};
use akv_core::service::clipboard::{Clipboard, ClipboardGuard};
use akv_core::service::key_details::KeyDetailRow;
use akv_core::service::objects::ObjectsView;
use akv_core::service::procedure::{RunbookRequest, RunbookView};
use akv_core::service::revocation::DeletedView;
use akv_core::service::vault::{
    AddKeyRequest, CatalogEntry, KeyDetail, KeySettingsRequest, VaultRow, VaultView, VersionView,
    catalog_entries,
};
use akv_core::session::PortfolioFilter;

/// The clipboard is cleared this long after a copy, if it still holds the copied value.
pub const CLIPBOARD_SECONDS: u64 = 30;

/// What the console remembers about its last copy: a hash to recognise the value, never the value.
#[derive(Default)]
pub struct ClipboardState(ClipboardGuard);

/// The system clipboard through the plugin, for the guard.
struct SystemClipboard<'a, R: Runtime>(&'a AppHandle<R>);

impl<R: Runtime> Clipboard for SystemClipboard<'_, R> {
    fn read_text(&self) -> Option<zeroize::Zeroizing<String>> {
        self.0
            .clipboard()
            .read_text()
            .ok()
            .map(zeroize::Zeroizing::new)
    }

    fn clear(&self) {
        let _ = self.0.clipboard().clear();
    }
}

/// On window close and app exit: clear a copied key the clipboard still holds, so it does not
/// outlive the console (the 30-second timer dies with the app).
pub fn clear_clipboard_on_exit<R: Runtime>(app: &AppHandle<R>) {
    if let Some(state) = app.try_state::<ClipboardState>()
        && state.0.pending()
    {
        state.0.clear_if_still_ours(&SystemClipboard(app), None);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CopyReceipt {
    pub vendor_name: String,
    pub clear_after_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClipboardCleared {
    /// False when the clipboard held something else by then (left alone).
    pub cleared: bool,
}

/// The Add Key form's vendors: the catalog, plus the custom vendors of `client_id`'s vault.
#[tauri::command]
pub async fn vendor_catalog(
    core: Core<'_>,
    client_id: Option<String>,
) -> AppResult<Vec<CatalogEntry>> {
    match client_id {
        Some(id) => Ok(core.client_console(&id).await?.0.catalog_entries()),
        None => Ok(catalog_entries()),
    }
}

/// Every connected client's keys (a Client column), or one client opened alone.
#[tauri::command]
pub async fn vault_view(core: Core<'_>, filter: PortfolioFilter) -> AppResult<VaultView> {
    core.vault_view(&filter, Utc::now()).await
}

#[tauri::command]
pub async fn key_detail(
    core: Core<'_>,
    client_id: String,
    vendor_id: String,
    secret_name: Option<String>,
) -> AppResult<KeyDetail> {
    let (console, operator) = core.client_console(&client_id).await?;
    console
        .key_detail(&operator, &vendor_id, secret_name.as_deref(), Utc::now())
        .await
}

#[tauri::command]
pub async fn add_key(
    core: Core<'_>,
    client_id: String,
    request: AddKeyRequest,
) -> AppResult<VaultRow> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.add_key(&operator, request, Utc::now()).await
}

#[tauri::command]
pub async fn update_key_settings(
    core: Core<'_>,
    client_id: String,
    request: KeySettingsRequest,
) -> AppResult<VaultRow> {
    let (console, operator) = core.client_console(&client_id).await?;
    console
        .update_settings(&operator, request, Utc::now())
        .await
}

/// Copy a key to the clipboard from Rust, then clear it after 30 s if it still holds that value.
#[tauri::command]
pub async fn copy_key<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    client_id: String,
    clipboard: tauri::State<'_, ClipboardState>,
    secret_name: String,
    part: Option<String>,
) -> AppResult<CopyReceipt> {
    let (console, operator) = core.client_console(&client_id).await?;
    let record = console.key(&secret_name).await?;
    let mut generation = 0;
    console
        .copy_key_part(&operator, &secret_name, part.as_deref(), |value| {
            app.clipboard().write_secret(value.expose()).map_err(|e| {
                AppError::new(
                    ErrorCode::ClipboardUnavailable,
                    format!("The clipboard could not be written ({e})."),
                    "Close any program that holds the clipboard and try again.",
                )
            })?;
            generation = clipboard.0.copied(value);
            Ok(())
        })
        .await?;

    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_secs(CLIPBOARD_SECONDS)).await;
        let state = handle.state::<ClipboardState>();
        // `None`: a newer copy owns the clipboard now, and its own timer clears it.
        if let Some(cleared) = state
            .0
            .clear_if_still_ours(&SystemClipboard(&handle), Some(generation))
        {
            let _ = handle.emit(events::CLIPBOARD, ClipboardCleared { cleared });
        }
    });
    Ok(CopyReceipt {
        vendor_name: akv_core::service::vendor_name(&record.vendor_id),
        clear_after_seconds: CLIPBOARD_SECONDS,
    })
}

#[tauri::command]
pub async fn test_key(
    core: Core<'_>,
    client_id: String,
    secret_name: String,
) -> AppResult<PingReport> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.test_key(&operator, &secret_name).await
}

#[tauri::command]
pub async fn key_versions(
    core: Core<'_>,
    client_id: String,
    secret_name: String,
) -> AppResult<Vec<VersionView>> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.versions(&operator, &secret_name).await
}

#[tauri::command]
pub async fn set_key_enabled(
    core: Core<'_>,
    client_id: String,
    secret_name: String,
    enabled: bool,
) -> AppResult<VaultRow> {
    let (console, operator) = core.client_console(&client_id).await?;
    console
        .set_enabled(&operator, &secret_name, enabled, Utc::now())
        .await
}

#[tauri::command]
pub async fn delete_key(
    core: Core<'_>,
    client_id: String,
    secret_name: String,
    used_by_checked: Option<Vec<String>>,
) -> AppResult<DeletedView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console
        .delete_key_checked(
            &operator,
            &secret_name,
            &used_by_checked.unwrap_or_default(),
        )
        .await
}

/// The key's rotation procedure and "used by" list (prefilled from the catalog).
#[tauri::command]
pub async fn key_runbook(
    core: Core<'_>,
    client_id: String,
    secret_name: String,
) -> AppResult<RunbookView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.key_runbook(&operator, &secret_name).await
}

#[tauri::command]
pub async fn save_runbook(
    core: Core<'_>,
    client_id: String,
    request: RunbookRequest,
) -> AppResult<RunbookView> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.save_runbook(&operator, request, Utc::now()).await
}

#[tauri::command]
pub async fn deleted_keys(core: Core<'_>, client_id: String) -> AppResult<Vec<DeletedView>> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.deleted_keys(&operator).await
}

#[tauri::command]
pub async fn recover_key(core: Core<'_>, client_id: String, secret_name: String) -> AppResult<()> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.recover_key(&operator, &secret_name).await
}

#[tauri::command]
pub async fn purge_key(
    core: Core<'_>,
    client_id: String,
    secret_name: String,
    confirmation: String,
) -> AppResult<()> {
    let (console, operator) = core.client_console(&client_id).await?;
    console
        .purge_key(&operator, &secret_name, &confirmation)
        .await
}

/// The Unmanaged view: secrets other tools created (metadata only), across clients or one.
#[tauri::command]
pub async fn unmanaged_view(core: Core<'_>, filter: PortfolioFilter) -> AppResult<UnmanagedView> {
    core.unmanaged_view(&filter).await
}

/// The vault's certificates and keys (read-only, no private material), across clients or one.
#[tauri::command]
pub async fn objects_view(core: Core<'_>, filter: PortfolioFilter) -> AppResult<ObjectsView> {
    core.objects_view(&filter, Utc::now()).await
}

/// The type and size of the keys on screen in one client's Keys view (keys of its last listing
/// only, at most 50 names; each read once per version and session).
#[tauri::command]
pub async fn key_type_details(
    core: Core<'_>,
    client_id: String,
    names: Vec<String>,
) -> AppResult<Vec<KeyDetailRow>> {
    let (console, _) = core.client_console(&client_id).await?;
    console.key_details(&names).await
}

/// Adopt one secret of a client's vault as a console key (no new version).
#[tauri::command]
pub async fn adopt_secret(
    core: Core<'_>,
    client_id: String,
    request: AdoptRequest,
) -> AppResult<VaultRow> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.adopt(&operator, request, Utc::now()).await
}

/// Bulk adopt in one client's vault; each secret succeeds or fails on its own.
#[tauri::command]
pub async fn adopt_secrets(
    core: Core<'_>,
    client_id: String,
    requests: Vec<AdoptRequest>,
) -> AppResult<Vec<AdoptResult>> {
    let (console, operator) = core.client_console(&client_id).await?;
    console.adopt_many(&operator, requests, Utc::now()).await
}

fn file_stamp() -> String {
    Utc::now().format("%Y-%m-%d").to_string()
}

/// Print / PDF: the native report, saved where the technician chooses (open it afterwards with
/// `open_last_saved`).
#[tauri::command]
pub async fn export_report_pdf<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    filter: PortfolioFilter,
) -> AppResult<Option<SavedFile>> {
    let bytes = core.report_pdf(&filter, Utc::now()).await?;
    let name = format!("api-key-vault-report-{}.pdf", file_stamp());
    save_with_dialog(&app, &name, ("PDF document", &["pdf"]), bytes).await
}

#[tauri::command]
pub async fn export_inventory_csv<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    filter: PortfolioFilter,
) -> AppResult<Option<SavedFile>> {
    let bytes = core.inventory_csv(&filter, Utc::now()).await?;
    let name = format!("api-key-vault-inventory-{}.csv", file_stamp());
    save_with_dialog(&app, &name, ("CSV spreadsheet", &["csv"]), bytes).await
}
