//! API Key Vault Console: the desktop app. Everything but the window lives in the Tauri-free
//! core library (`akv_core`); this crate holds the thin `commands` that adapt it to the webview
//! and builds the Tauri app (plugins, managed state, background tasks).

pub mod commands;
mod webview_memory;

use std::sync::Arc;
use std::time::Duration;

use tauri::{Emitter, Manager};

use crate::commands::{events, vault::ClipboardState};
use akv_core::service::{Notice, Notifier};
use akv_core::session::{AppCore, AppPaths, BrowserOpener, StatusListener};

/// Expiry reminders are checked at start and this often while the console is open.
const REMINDER_INTERVAL: Duration = Duration::from_secs(4 * 60 * 60);

/// Every connected client's vault is listed again this often in the background (one listing per
/// client), so keys changed at another console or in the Portal show up without a Refresh. The
/// core marks data older than two of these as outdated.
const REFRESH_INTERVAL: Duration = akv_core::service::snapshot::AUTO_REFRESH_INTERVAL;

/// `--demo` (or `AKV_DEMO=1`) starts in demo mode and keeps the whole session in memory.
fn demo_requested() -> bool {
    std::env::args().any(|a| a == "--demo")
        || std::env::var("AKV_DEMO").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// How many clients the demo seeds: `--demo-clients=N` or `AKV_DEMO_CLIENTS=N` (training a
/// portfolio of forty), checked by the core; `None` keeps the default three.
fn demo_clients_requested() -> Option<String> {
    std::env::args()
        .find_map(|a| a.strip_prefix("--demo-clients=").map(str::to_string))
        .or_else(|| std::env::var("AKV_DEMO_CLIENTS").ok())
}

pub fn run() {
    let demo = demo_requested();
    tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(move |app| {
            // The data folder is the local one: on Windows app_data_dir is the Roaming
            // %APPDATA%, which a roaming profile shares between PCs (installation id, audit
            // logs, reminders are this computer's alone). Linux and macOS resolve both alike.
            let paths = AppPaths {
                config_dir: app.path().app_config_dir()?,
                data_dir: app.path().app_local_data_dir()?,
            };
            let handle = app.handle().clone();
            let notifier: Notifier = Arc::new(move |notice: Notice| {
                let _ = handle.emit(events::NOTICE, notice);
            });
            // "Sign in with Microsoft" opens the system browser from Rust; the window learns of
            // sign-in progress (a device code, the end of a wait) through the status event.
            let opener_handle = app.handle().clone();
            let browser: BrowserOpener = Arc::new(move |url: &str| {
                use tauri_plugin_opener::OpenerExt;
                opener_handle
                    .opener()
                    .open_url(url, None::<&str>)
                    .map_err(|e| e.to_string())
            });
            let status_handle = app.handle().clone();
            let on_status: StatusListener =
                Arc::new(move || commands::announce_status(&status_handle));
            let mut core = AppCore::new(paths, demo, notifier);
            if let Some(asked) = demo_clients_requested() {
                core = core.with_demo_clients_asked(&asked);
            }
            #[cfg(windows)]
            let core = core.adopting_roaming_data(&app.path().app_data_dir()?);
            let core = Arc::new(core.with_front_end(browser, on_status).with_test_hooks());
            app.manage(core.clone());
            let refresh_core = core.clone();
            app.manage(ClipboardState::default());
            app.manage(commands::LastSaved::default());
            app.manage(commands::ToastedReminders::default());

            if let Some(window) = app.get_webview_window("main") {
                webview_memory::tune(&window);
                let watched = window.clone();
                window.on_window_event(move |event| {
                    webview_memory::on_window_event(&watched, event);
                });
            }

            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if demo {
                    if let Err(error) = core.start_demo().await {
                        let _ = handle.emit(events::NOTICE, Notice::from_error(&error));
                    }
                } else if let Some(Err(error)) = core.connect_remembered().await {
                    let _ = handle.emit(events::NOTICE, Notice::from_error(&error));
                }
                commands::announce_status(&handle);
                loop {
                    commands::show_reminders(&handle);
                    tokio::time::sleep(REMINDER_INTERVAL).await;
                }
            });
            let refresh_handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    tokio::time::sleep(REFRESH_INTERVAL).await;
                    // Failures show on each client (its snapshot marked stale), not as a notice.
                    if refresh_core.status().await.connected > 0 {
                        let _ = refresh_core.refresh(None).await;
                        commands::announce_status(&refresh_handle);
                    }
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_status,
            commands::app::client_overview,
            commands::app::allowed_actions,
            commands::app::start_demo,
            commands::app::set_profile,
            commands::app::report_settings,
            commands::app::set_msp_name,
            commands::app::pending_reminders,
            commands::app::reminders_shown,
            commands::connection::connect,
            commands::connection::cancel_sign_in,
            commands::connection::disconnect,
            commands::connection::forget_connection,
            commands::connection::save_client,
            commands::connection::connect_client,
            commands::connection::sign_in_to_tenant,
            commands::connection::export_clients_csv,
            commands::connection::import_clients_csv,
            commands::discover::discover_clients,
            commands::discover::discover_sign_in,
            commands::discover::add_discovered_clients,
            commands::connection::disconnect_client,
            commands::connection::remove_client,
            commands::connection::refresh,
            commands::connection::choose_ca_file,
            commands::vault::vendor_catalog,
            commands::vault::vault_view,
            commands::vault::key_detail,
            commands::vault::add_key,
            commands::vault::update_key_settings,
            commands::vault::copy_key,
            commands::vault::test_key,
            commands::vault::key_versions,
            commands::vault::set_key_enabled,
            commands::vault::delete_key,
            commands::vault::key_runbook,
            commands::vault::save_runbook,
            commands::vault::deleted_keys,
            commands::vault::recover_key,
            commands::vault::purge_key,
            commands::vault::unmanaged_view,
            commands::vault::objects_view,
            commands::vault::key_type_details,
            commands::vault::adopt_secret,
            commands::vault::adopt_secrets,
            commands::vault::export_report_pdf,
            commands::vault::export_inventory_csv,
            commands::open_last_saved,
            commands::rotation::rotation_view,
            commands::rotation::rotate_key,
            commands::rotation::rotate_all_due,
            commands::rotation::rotate_at_vendor,
            commands::rotation::restore_version,
            commands::rotation::open_vendor_portal,
            commands::distribute::distribution_view,
            commands::distribute::set_role_access,
            commands::distribute::save_default_policy,
            commands::distribute::set_roster_role,
            commands::distribute::custom_vendors_view,
            commands::distribute::save_custom_vendor,
            commands::distribute::remove_custom_vendor,
            commands::distribute::policy_templates,
            commands::distribute::save_policy_template,
            commands::distribute::delete_policy_template,
            commands::distribute::preview_policy_template,
            commands::distribute::apply_policy_template,
            commands::distribute::undo_policy_template,
            commands::audit::audit_view,
            commands::audit::verify_audit,
            commands::audit::acknowledge_tamper,
            commands::audit::acknowledge_installation,
            commands::audit::export_audit_csv,
            commands::provision::provision_choices,
            commands::provision::provision_check_name,
            commands::provision::provision_vault,
            commands::provision::provision_search_groups,
            commands::provision::provision_resolve_group,
            commands::setup::setup_guide_view,
            commands::setup::copy_setup_command,
        ])
        .on_window_event(|window, event| {
            if matches!(event, tauri::WindowEvent::CloseRequested { .. }) {
                commands::vault::clear_clipboard_on_exit(window.app_handle());
            }
        })
        .build(tauri::generate_context!())
        .unwrap_or_else(|error| panic!("the console could not start: {error}"))
        .run(|app, event| {
            if matches!(event, tauri::RunEvent::Exit) {
                commands::vault::clear_clipboard_on_exit(app);
            }
        });
}
