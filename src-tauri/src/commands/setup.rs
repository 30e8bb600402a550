//! The Setup Guide tab: the guide with the technician's names filled in, and copying a command.

use tauri::{AppHandle, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;

use akv_core::error::{AppError, AppResult, ErrorCode};
use akv_core::service::setup::{CommandShell, SetupGuide, SetupNames, command_text, setup_guide};

#[tauri::command]
pub fn setup_guide_view(names: Option<SetupNames>) -> SetupGuide {
    setup_guide(&names.unwrap_or_default())
}

/// Copy one Azure CLI command (public text), in Bash/zsh or PowerShell form, to the clipboard.
#[tauri::command]
pub fn copy_setup_command<R: Runtime>(
    app: AppHandle<R>,
    names: SetupNames,
    id: String,
    shell: CommandShell,
) -> AppResult<()> {
    let text = command_text(&names, &id, shell).ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidInput,
            "No such command in the guide.",
            "Reload the Setup Guide tab.",
        )
    })?;
    app.clipboard().write_text(text).map_err(|e| {
        AppError::new(
            ErrorCode::ClipboardUnavailable,
            format!("The clipboard could not be written ({e})."),
            "Select the command text and copy it by hand.",
        )
    })
}
