//! Thin `#[tauri::command]` adapters, one module per tab, over [`akv_core::session::AppCore`] and
//! [`akv_core::service::Console`]. They turn domain results into views and errors into
//! `{ code, message, hint }`; no rule lives here.

pub mod app;
pub mod audit;
pub mod connection;
pub mod discover;
pub mod distribute;
pub mod list;
pub mod provision;
pub mod rotation;
pub mod setup;
pub mod vault;

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;
use ts_rs::TS;

use akv_core::error::{AppError, AppResult, ErrorCode};
use akv_core::session::{AppCore, ConfirmPrompt};

pub type Core<'a> = tauri::State<'a, Arc<AppCore>>;

/// Events Rust sends to the webview.
pub mod events {
    pub const NOTICE: &str = "console-notice";
    pub const STATUS: &str = "status-changed";
    pub const BULK_PROGRESS: &str = "bulk-progress";
    /// A step of a rotation at the vendor (waiting for a new key to propagate included).
    pub const ROTATION_PROGRESS: &str = "rotation-progress";
    pub const CLIPBOARD: &str = "clipboard-cleared";
    /// Expiry reminders are due: the window fetches and shows them.
    pub const REMINDERS: &str = "reminders-due";
    /// The step list of a vault provisioning, after every change.
    pub const PROVISION_PROGRESS: &str = "provision-progress";
}

/// A file the console wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SavedFile {
    pub path: String,
    pub bytes: usize,
}

/// The last file the console saved, so "Open" can show it without the webview naming a path
/// (the webview can open nothing but what the console itself just wrote).
#[derive(Default)]
pub struct LastSaved(std::sync::Mutex<Option<PathBuf>>);

impl LastSaved {
    fn set(&self, path: PathBuf) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(path);
    }

    fn get(&self) -> Option<PathBuf> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Ask a destructive step's question in a native dialog (the page cannot answer it). Debug builds
/// take the answer from `AKV_E2E_CONFIRM` (`accept` or `decline`) when set: native dialogs cannot
/// be driven under Xvfb. Release builds never read it. A dialog that closes without an answer is
/// a no.
pub async fn ask_native<R: Runtime>(app: &AppHandle<R>, prompt: ConfirmPrompt) -> bool {
    if cfg!(debug_assertions)
        && let Some(answer) = std::env::var_os("AKV_E2E_CONFIRM")
    {
        return answer == "accept";
    }
    use tauri_plugin_dialog::{MessageDialogButtons, MessageDialogKind};
    let (sender, receiver) = tokio::sync::oneshot::channel();
    app.dialog()
        .message(prompt.message)
        .title(prompt.title)
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom(
            prompt.confirm_label,
            "Cancel".to_string(),
        ))
        .show(move |yes| {
            let _ = sender.send(yes);
        });
    receiver.await.unwrap_or(false)
}

/// Debug builds let end-to-end tests name the folder instead of answering a native dialog, which
/// cannot be driven under Xvfb. Release builds never read this variable.
pub(crate) fn test_save_dir() -> Option<PathBuf> {
    if cfg!(debug_assertions) {
        std::env::var_os("AKV_E2E_SAVE_DIR").map(PathBuf::from)
    } else {
        None
    }
}

/// Ask which file to open (native dialog) and read it, up to `max_bytes`. `Ok(None)` when
/// cancelled. The page never names a path: Rust asks the user.
pub async fn open_with_dialog<R: Runtime>(
    app: &AppHandle<R>,
    filter: (&str, &[&str]),
    max_bytes: u64,
) -> AppResult<Option<Vec<u8>>> {
    let path = match test_open_file() {
        Some(path) => Some(path),
        None => {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            app.dialog()
                .file()
                .set_title("Open")
                .add_filter(filter.0, filter.1)
                .pick_file(move |chosen| {
                    let _ = sender.send(chosen);
                });
            let chosen = receiver
                .await
                .map_err(|_| AppError::internal("the open dialog closed without an answer"))?;
            match chosen.map(|p| p.into_path()) {
                Some(Ok(path)) => Some(path),
                Some(Err(error)) => {
                    return Err(AppError::new(
                        ErrorCode::InvalidInput,
                        format!("That file cannot be opened ({error})."),
                        "Choose a file on this computer.",
                    ));
                }
                None => None,
            }
        }
    };
    let Some(path) = path else {
        return Ok(None);
    };
    let unreadable = |error: std::io::Error| {
        AppError::new(
            ErrorCode::InvalidInput,
            format!("{} could not be read ({error}).", path.display()),
            "Close it in other programs and try again, or choose another file.",
        )
    };
    let size = std::fs::metadata(&path).map_err(unreadable)?.len();
    if size > max_bytes {
        return Err(AppError::new(
            ErrorCode::InvalidInput,
            format!("{} is larger than expected ({size} bytes).", path.display()),
            "Choose the CSV with one line per client.",
        ));
    }
    std::fs::read(&path).map(Some).map_err(unreadable)
}

/// Debug builds: the file an end-to-end test "picks" in the open dialog.
fn test_open_file() -> Option<PathBuf> {
    if cfg!(debug_assertions) {
        std::env::var_os("AKV_E2E_OPEN_FILE").map(PathBuf::from)
    } else {
        None
    }
}

/// Ask where to save (native dialog) and write `bytes` there. `Ok(None)` when cancelled.
pub async fn save_with_dialog<R: Runtime>(
    app: &AppHandle<R>,
    default_name: &str,
    filter: (&str, &[&str]),
    bytes: Vec<u8>,
) -> AppResult<Option<SavedFile>> {
    let path = match test_save_dir() {
        Some(dir) => Some(dir.join(default_name)),
        None => {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            app.dialog()
                .file()
                .set_title("Save")
                .set_file_name(default_name)
                .add_filter(filter.0, filter.1)
                .save_file(move |chosen| {
                    let _ = sender.send(chosen);
                });
            let chosen = receiver
                .await
                .map_err(|_| AppError::internal("the save dialog closed without an answer"))?;
            match chosen.map(|p| p.into_path()) {
                Some(Ok(path)) => Some(path),
                Some(Err(error)) => {
                    return Err(AppError::new(
                        ErrorCode::FileWriteFailed,
                        format!("That location cannot be used ({error})."),
                        "Choose a folder on this computer.",
                    ));
                }
                None => None,
            }
        }
    };
    let Some(path) = path else {
        return Ok(None);
    };
    let size = bytes.len();
    akv_core::config::write_atomically(&path, &bytes)?;
    app.state::<LastSaved>().set(path.clone());
    Ok(Some(SavedFile {
        path: path.display().to_string(),
        bytes: size,
    }))
}

/// Open the file the console last saved in the system's viewer (PDF reader, spreadsheet).
#[tauri::command]
pub fn open_last_saved<R: Runtime>(
    app: AppHandle<R>,
    saved: tauri::State<'_, LastSaved>,
) -> AppResult<()> {
    let path = saved.get().ok_or_else(|| {
        AppError::new(
            ErrorCode::FileWriteFailed,
            "Nothing has been saved yet in this session.",
            "Export a report or CSV first.",
        )
    })?;
    if test_save_dir().is_some() {
        // End-to-end runs have no desktop to open a viewer on.
        return Ok(());
    }
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| {
            AppError::new(
                ErrorCode::FileWriteFailed,
                format!("The file was saved but could not be opened ({e})."),
                format!("Open {} yourself.", path.display()),
            )
        })
}

/// Reminders already handed to the OS as desktop notifications (by id), so a reminder the window
/// has not shown yet is not toasted again at every check.
#[derive(Default)]
pub struct ToastedReminders(std::sync::Mutex<std::collections::HashSet<String>>);

/// Show the expiry reminders due now: as a desktop notification (once each; the OS may drop it
/// silently — no AUMID for an unpackaged Windows build, notifications denied on macOS, none on
/// headless CI) and in the window, which marks them sent once it has shown them.
pub fn show_reminders<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_notification::NotificationExt;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let core = app.state::<Arc<AppCore>>().inner().clone();
        let due = core.due_reminders().await;
        if due.is_empty() {
            return;
        }
        let toasted = app.state::<ToastedReminders>();
        for reminder in &due {
            let first_time = toasted
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(reminder.id.clone());
            if first_time {
                let _ = app
                    .notification()
                    .builder()
                    .title(&reminder.title)
                    .body(&reminder.body)
                    .show();
            }
        }
        let _ = app.emit(events::REMINDERS, ());
    });
}

/// Tell the webview the session changed (connected, disconnected, demo started).
pub fn announce_status<R: Runtime>(app: &AppHandle<R>) {
    let _ = app.emit(events::STATUS, ());
}
