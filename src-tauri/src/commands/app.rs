//! The shell: status for the top bar, demo mode, and the operator profile.

use tauri::{AppHandle, Runtime};

use super::{Core, announce_status, ask_native, show_reminders};
use akv_core::domain::policy::Role;
use akv_core::error::AppResult;
use akv_core::service::permissions::AllowedActions;
use akv_core::session::{AppStatus, ClientOverview, ReminderView, ReportSettings};

#[tauri::command]
pub async fn app_status(core: Core<'_>) -> AppResult<AppStatus> {
    Ok(core.status().await)
}

/// All clients' overview: one row per client, worst first.
#[tauri::command]
pub async fn client_overview(core: Core<'_>) -> AppResult<ClientOverview> {
    Ok(core.client_overview(chrono::Utc::now()).await)
}

#[tauri::command]
pub async fn start_demo<R: Runtime>(app: AppHandle<R>, core: Core<'_>) -> AppResult<AppStatus> {
    let status = core
        .start_demo_confirmed(|prompt| ask_native(&app, prompt))
        .await?;
    announce_status(&app);
    show_reminders(&app);
    Ok(status)
}

/// What the technician may do on one client, with the reason for each refusal (the page
/// disables those buttons; every action still checks again). An unknown client id is refused.
#[tauri::command]
pub async fn allowed_actions(core: Core<'_>, client_id: String) -> AppResult<AllowedActions> {
    let (console, operator) = core.client_console(&client_id).await?;
    Ok(console.allowed_actions(&operator))
}

/// The operator's name; a role only in the demo (Rust refuses one anywhere else).
#[tauri::command]
pub async fn set_profile(core: Core<'_>, name: String, role: Option<Role>) -> AppResult<AppStatus> {
    core.set_profile(&name, role).await
}

/// The report settings of this installation (the MSP's name on every report).
#[tauri::command]
pub fn report_settings(core: Core<'_>) -> ReportSettings {
    core.report_settings()
}

/// Set the MSP's name printed on reports; Rust validates it (one line, at most 80 characters).
#[tauri::command]
pub fn set_msp_name(core: Core<'_>, name: String) -> AppResult<ReportSettings> {
    core.set_msp_name(&name)
}

/// The expiry reminders found at the last check and not yet shown in the window.
#[tauri::command]
pub fn pending_reminders(core: Core<'_>) -> Vec<ReminderView> {
    core.pending_reminders()
}

/// The window has shown these reminders (it calls this once they are on screen and the window is
/// visible); only now do they count as sent.
#[tauri::command]
pub fn reminders_shown(core: Core<'_>, ids: Vec<String>) -> AppResult<usize> {
    core.reminders_shown(&ids)
}
