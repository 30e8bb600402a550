//! The Clients list and the Connect modal: add, edit, connect, disconnect and remove clients,
//! Refresh (F5), and choosing a CA file.

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

use super::{Core, announce_status, ask_native, show_reminders};
use akv_core::error::{AppError, AppResult};
use akv_core::session::{AppStatus, ClientImport, ClientRequest, ConnectRequest};
use akv_core::signin::SignInMethod;

#[tauri::command]
pub async fn connect<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    request: ConnectRequest,
) -> AppResult<AppStatus> {
    let result = core.connect(request).await;
    announce_status(&app);
    if result.is_ok() {
        show_reminders(&app);
    }
    result
}

/// Add a client or change one (name and connection), and connect it.
#[tauri::command]
pub async fn save_client<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    request: ClientRequest,
) -> AppResult<AppStatus> {
    let result = core.save_client(request).await;
    announce_status(&app);
    if result.is_ok() {
        show_reminders(&app);
    }
    result
}

/// Reconnect a client with what the keychain remembers for it.
#[tauri::command]
pub async fn connect_client<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    client_id: String,
) -> AppResult<AppStatus> {
    let result = core.connect_client(&client_id).await;
    announce_status(&app);
    result
}

/// "Sign in to this tenant": a client reached through the MSP's home tenant whose own tenant
/// asked for the technician in person. Only the client id comes from the page; Rust finds the
/// tenant and the account.
#[tauri::command]
pub async fn sign_in_to_tenant<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    client_id: String,
    method: Option<SignInMethod>,
) -> AppResult<AppStatus> {
    let result = core
        .sign_in_to_tenant(&client_id, method.unwrap_or(SignInMethod::Browser))
        .await;
    announce_status(&app);
    result
}

/// The client list as CSV (no secret), saved where the technician picks.
#[tauri::command]
pub async fn export_clients_csv<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
) -> AppResult<Option<super::SavedFile>> {
    let bytes = core.clients_csv()?;
    let name = format!(
        "api-key-vault-clients-{}.csv",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    super::save_with_dialog(&app, &name, ("CSV spreadsheet", &["csv"]), bytes).await
}

/// Add clients from a CSV file the technician picks; `None` when the dialog was cancelled.
#[tauri::command]
pub async fn import_clients_csv<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
) -> AppResult<Option<ClientImport>> {
    let Some(console_app) = core.console_client_id() else {
        return Err(AppError::new(
            akv_core::error::ErrorCode::InvalidInput,
            "Add one client first: its Client ID is the console's app registration, which the imported clients share.",
            "Use Add a client once, then import the rest.",
        ));
    };
    let Some(bytes) =
        super::open_with_dialog(&app, ("CSV spreadsheet", &["csv", "txt"]), 1024 * 1024).await?
    else {
        return Ok(None);
    };
    let report = core.import_clients_csv(&bytes, &console_app)?;
    announce_status(&app);
    Ok(Some(report))
}

#[tauri::command]
pub async fn disconnect_client<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    client_id: String,
) -> AppResult<AppStatus> {
    let result = core.disconnect_client(&client_id).await;
    announce_status(&app);
    result
}

/// Take a client off the list (its config entry and keychain secrets); its vault is untouched.
#[tauri::command]
pub async fn remove_client<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    client_id: String,
) -> AppResult<AppStatus> {
    let result = core
        .remove_client_confirmed(&client_id, |prompt| ask_native(&app, prompt))
        .await;
    announce_status(&app);
    result
}

/// Refresh (F5): list one client's vault again, or every connected client's.
#[tauri::command]
pub async fn refresh<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
    client_id: Option<String>,
) -> AppResult<AppStatus> {
    let result = core.refresh(client_id.as_deref()).await;
    announce_status(&app);
    result
}

/// Stop a "Sign in with Microsoft" that is waiting for the browser or the device code.
#[tauri::command]
pub fn cancel_sign_in(core: Core<'_>) {
    core.cancel_sign_in();
}

#[tauri::command]
pub async fn disconnect<R: Runtime>(app: AppHandle<R>, core: Core<'_>) -> AppResult<AppStatus> {
    let status = core.disconnect().await;
    announce_status(&app);
    Ok(status)
}

#[tauri::command]
pub async fn forget_connection<R: Runtime>(
    app: AppHandle<R>,
    core: Core<'_>,
) -> AppResult<AppStatus> {
    core.forget_confirmed(|prompt| ask_native(&app, prompt))
        .await
}

/// Pick a CA certificate file (custom clouds) in the native dialog; returns its certificates as
/// PEM text, which is public. PEM and DER (`.cer` as certmgr exports it) are both read. The
/// webview itself has no file access.
#[tauri::command]
pub async fn choose_ca_file<R: Runtime>(app: AppHandle<R>) -> AppResult<Option<String>> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Choose the CA certificate")
        .add_filter("Certificate (PEM or DER)", &["pem", "crt", "cer", "der"])
        .pick_file(move |chosen| {
            let _ = sender.send(chosen);
        });
    let chosen = receiver
        .await
        .map_err(|_| AppError::internal("the file dialog closed without an answer"))?;
    let Some(path) = chosen.and_then(|p| p.into_path().ok()) else {
        return Ok(None);
    };
    // Zeroed when dropped: a private key may sit in the same file.
    let bytes = zeroize::Zeroizing::new(std::fs::read(&path).map_err(|e| {
        AppError::field(
            "caPem",
            format!("{} could not be read ({e}).", path.display()),
            "Choose a certificate file you can open.",
        )
    })?);
    // Only the certificates go back to the window; a private key in the same file stays behind.
    akv_core::domain::connection::ca_file_certificates(&path.display().to_string(), &bytes)
        .map(Some)
}
