//! The names of every command the webview may invoke. Shared by `build.rs` (which turns them into
//! the capability's permission set) and `lib.rs` (a test checks the handler registers exactly these).

pub const COMMANDS: &[&str] = &[
    // Shell and profile
    "app_status",
    "start_demo",
    "set_profile",
    "pending_reminders",
    "reminders_shown",
    // Connection
    "connect",
    "cancel_sign_in",
    "disconnect",
    "forget_connection",
    "save_client",
    "connect_client",
    "disconnect_client",
    "remove_client",
    "refresh",
    "choose_ca_file",
    // Vault tab
    "vendor_catalog",
    "vault_view",
    "key_detail",
    "add_key",
    "update_key_settings",
    "copy_key",
    "test_key",
    "key_versions",
    "set_key_enabled",
    "delete_key",
    "key_runbook",
    "save_runbook",
    "deleted_keys",
    "recover_key",
    "purge_key",
    "unmanaged_view",
    "adopt_secret",
    "adopt_secrets",
    "export_report_pdf",
    "export_inventory_csv",
    "open_last_saved",
    // Rotation tab
    "rotation_view",
    "rotate_key",
    "rotate_all_due",
    "rotate_at_vendor",
    "restore_version",
    // Distribute tab
    "distribution_view",
    "set_role_access",
    "save_default_policy",
    "set_roster_role",
    // Audit Log tab
    "audit_view",
    "verify_audit",
    "acknowledge_tamper",
    "acknowledge_installation",
    "export_audit_csv",
    // Setup Guide tab
    "setup_guide_view",
    "copy_setup_command",
];
