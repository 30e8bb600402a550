//! The console's small config file (the technician's typed name, the remembered connections) and
//! the keychain entries of a remembered connection (its client secret, or a
//! signed-in technician's refresh token). No Tauri imports; the caller gives the directory.
//!
//! The file never holds a secret, and nothing in it decides a role: it holds names, GUIDs, the
//! vault name, the cloud and (for custom clouds) a public CA certificate. Anyone can edit it while
//! the console is closed, so everything read from it is treated as a claim, not a fact.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::connection::ConnectionSettings;
use crate::domain::reminders::ReminderLedger;
use crate::domain::secret::SecretValue;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::keychain::{self, Keychain};

pub const CONFIG_FILE: &str = "config.json";
/// Reminder ledgers live in `<data>/reminders/<vault>.json`, one per vault.
pub const REMINDERS_DIR: &str = "reminders";
/// Audit logs live in `<data>/audit/<vault>.jsonl`, one per vault.
pub const AUDIT_DIR: &str = "audit";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleConfig {
    /// The installation id as consoles before this one kept it. Read once and carried to
    /// `installation.json` in the local data folder (config.json roams on Windows), never written
    /// back, so the next save removes it.
    #[serde(default, skip_serializing)]
    pub console_id: Option<String>,
    /// The name typed in the profile. Files written before roles came from Entra and the
    /// vault's roster also hold a `role` here: it is ignored.
    #[serde(default)]
    pub operator: Option<Profile>,
    /// The single remembered connection of consoles before the Clients list; read once and
    /// moved into `clients`.
    #[serde(default, skip_serializing)]
    pub remembered: Option<ConnectionSettings>,
    /// Every remembered client (one vault each), in the sidebar's order.
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    /// The MSP's name printed on every report, set once per installation. Validated when set
    /// (one line, at most 80 characters) and again when read, as the file is only a claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msp_name: Option<String>,
}

/// A client (an MSP customer) as the config remembers it: a name and its connection. Its secret
/// or refresh token is in the keychain, never here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientConfig {
    pub id: String,
    pub name: String,
    pub settings: ConnectionSettings,
}

impl ConsoleConfig {
    /// Clients, with a connection remembered by an older console turned into the first one.
    pub fn migrate(&mut self) -> bool {
        let Some(settings) = self.remembered.take() else {
            return false;
        };
        if !self
            .clients
            .iter()
            .any(|c| c.settings.vault_name == settings.vault_name)
        {
            self.clients.insert(
                0,
                ClientConfig {
                    id: uuid::Uuid::new_v4().simple().to_string(),
                    name: settings.vault_name.clone(),
                    settings,
                },
            );
        }
        true
    }
}

/// The profile as the config file keeps it: a name, never a role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
}

fn unreadable(path: &Path, error: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::ConfigUnreadable,
        format!(
            "The console's settings file {} could not be read ({error}).",
            path.display()
        ),
        "Fix or delete the file; the console then starts with no remembered connection and asks for your name again.",
    )
}

/// A client from the file, validated as the Clients form validates it: the vault name reaches file
/// paths and the vault's host, and the file is only a claim. The error names the client.
pub fn check_client(client: &ClientConfig) -> AppResult<ConnectionSettings> {
    client.settings.validated().map_err(|error| {
        AppError::new(
            ErrorCode::InvalidSavedClient,
            format!(
                "The saved client '{}' is not valid ({}), so the console will not connect it.",
                client.name, error.message
            ),
            "Edit the client in the Clients list (or fix config.json while the console is closed); it stays in the file until you change or remove it.",
        )
    })
}

/// The one error that lists every invalid saved client (see [`check_client`]).
pub fn invalid_clients_error(names: &[String]) -> AppError {
    AppError::new(
        ErrorCode::InvalidSavedClient,
        format!(
            "config.json holds {} client(s) that are not valid and were not connected: {}.",
            names.len(),
            names.join(", ")
        ),
        "Each shows its problem in the Clients list; edit or remove it there. The other clients load as usual.",
    )
}

/// Read the config; a missing file is an empty config.
pub fn load(dir: &Path) -> AppResult<ConsoleConfig> {
    let path = dir.join(CONFIG_FILE);
    match std::fs::read_to_string(&path) {
        // Windows PowerShell 5.1 writes UTF-8 with a byte-order mark (`Set-Content -Encoding
        // UTF8`), which JSON parsers refuse.
        Ok(text) => serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(&text))
            .map_err(|e| unreadable(&path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConsoleConfig::default()),
        Err(e) => Err(unreadable(&path, e)),
    }
}

/// Write a file atomically: a uniquely named temporary file in the same folder (created
/// exclusively, so a planted symlink or file at a predictable name is never followed or reused),
/// fsynced, then renamed over `path` (which replaces a symlink at `path` rather than writing
/// through it), and the folder fsynced so the rename survives a crash.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> AppResult<()> {
    use std::io::Write;
    let failed = |e: std::io::Error| {
        AppError::new(
            ErrorCode::FileWriteFailed,
            format!("{} could not be written ({e}).", path.display()),
            "Check free disk space and that the folder is writable.",
        )
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(failed)?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".akv-write-")
        .suffix(".tmp")
        .tempfile_in(parent)
        .map_err(failed)?;
    temporary.write_all(bytes).map_err(failed)?;
    crate::files::sync_durably(temporary.as_file()).map_err(failed)?;
    replace_with(
        path,
        temporary,
        |temporary, path| {
            temporary
                .persist(path)
                .map(drop)
                .map_err(|e| (e.error, e.file))
        },
        crate::files::held_by_another_program,
        std::thread::sleep,
    )?;
    sync_dir(parent).map_err(failed)
}

/// Rename `temporary` over `path`, retrying while another program holds `path` open (Windows
/// refuses to replace a PDF that Acrobat shows or a CSV that Excel has open). On failure the
/// temporary file is removed (dropped) and `path` is untouched. The rename, the in-use test and
/// the pause are parameters so the retry and its error are tested where no program can hold a
/// file against a rename.
fn replace_with<T>(
    path: &Path,
    temporary: T,
    mut rename: impl FnMut(T, &Path) -> Result<(), (std::io::Error, T)>,
    in_use: impl Fn(&std::io::Error) -> bool,
    pause: impl FnMut(std::time::Duration),
) -> AppResult<()> {
    let mut pending = Some(temporary);
    let attempt = || {
        let Some(temporary) = pending.take() else {
            return Err(std::io::Error::other("the temporary file is gone"));
        };
        rename(temporary, path).map_err(|(error, temporary)| {
            pending = Some(temporary);
            error
        })
    };
    crate::files::retry_while_in_use(attempt, in_use, pause)
        .map_err(|failure| replace_error(path, failure))
}

fn replace_error(path: &Path, failure: crate::files::ReplaceFailure) -> AppError {
    match failure {
        crate::files::ReplaceFailure::InUse(e) => AppError::new(
            ErrorCode::FileInUse,
            format!(
                "{} is open in another program, so it could not be replaced ({e}).",
                path.display()
            ),
            "Close it there (Acrobat, Excel) and export again. If it is not open anywhere, check that the file is not read-only.",
        ),
        crate::files::ReplaceFailure::Other(e) => AppError::new(
            ErrorCode::FileWriteFailed,
            format!("{} could not be written ({e}).", path.display()),
            "Check free disk space and that the folder is writable.",
        ),
    }
}

/// Make a rename in `dir` durable (POSIX needs the folder fsynced; Windows makes the entry durable
/// with the file and has no folder handles for this).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

pub fn save(dir: &Path, config: &ConsoleConfig) -> AppResult<()> {
    let json = serde_json::to_vec_pretty(config)
        .map_err(|e| AppError::internal(format!("config encoding: {e}")))?;
    write_atomically(&dir.join(CONFIG_FILE), &json)
}

fn reminders_path(dir: &Path, vault: &str) -> PathBuf {
    dir.join(REMINDERS_DIR)
        .join(format!("{}.json", crate::files::file_stem_for_vault(vault)))
}

/// The vault's audit log, `<data>/audit/<vault>.jsonl`; its `.torn`, `.lock`, `.alert.json` and
/// evidence files are named after it.
pub fn audit_log_path(data_dir: &Path, vault: &str) -> PathBuf {
    data_dir.join(AUDIT_DIR).join(format!(
        "{}.jsonl",
        crate::files::file_stem_for_vault(vault)
    ))
}

pub fn load_reminders(dir: &Path, vault: &str) -> ReminderLedger {
    std::fs::read_to_string(reminders_path(dir, vault))
        .map(|text| ReminderLedger::from_json(&text))
        .unwrap_or_default()
}

pub fn save_reminders(dir: &Path, vault: &str, ledger: &ReminderLedger) -> AppResult<()> {
    write_atomically(&reminders_path(dir, vault), ledger.to_json().as_bytes())
}

/// The keychain entry's name. Custom endpoints are part of it, so editing the config file to
/// point the console elsewhere cannot make it hand the remembered secret to another host.
///
/// The entry is bound to the whole connection: every field (cloud, endpoints, the extra CA, the
/// vault) goes into a fingerprint in its name, so editing any of them in `config.json` (say, adding
/// a CA that lets a proxy read the traffic) finds no stored secret and asks for it again.
fn keychain_user(settings: &ConnectionSettings) -> String {
    use sha2::{Digest, Sha256};
    // A struct of strings and enums always serializes.
    let canonical = serde_json::to_vec(settings).unwrap_or_default();
    let fingerprint = hex::encode(&Sha256::digest(&canonical)[..12]);
    format!(
        "{}/{}#{fingerprint}",
        settings.tenant_id, settings.client_id
    )
}

/// What a remembered connection keeps in the keychain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeychainItem {
    /// App-secret mode: the app registration's client secret.
    ClientSecret,
    /// Signed in with "Remember me": the technician's refresh token (rotated on every renewal).
    RefreshToken,
}

/// The keychain entry of one item of a connection (long values add `<name>#1` … parts).
pub fn keychain_name(settings: &ConnectionSettings, item: KeychainItem) -> String {
    match item {
        KeychainItem::ClientSecret => keychain_user(settings),
        KeychainItem::RefreshToken => format!("{}#refresh-token", keychain_user(settings)),
    }
}

/// Keep a secret of a remembered connection in the OS keychain (long refresh tokens in parts,
/// see [`crate::keychain`]), never in a file.
pub fn store_secret(
    settings: &ConnectionSettings,
    item: KeychainItem,
    secret: &SecretValue,
) -> AppResult<()> {
    store_secret_in(&keychain::os(), settings, item, secret)
}

pub fn load_secret(
    settings: &ConnectionSettings,
    item: KeychainItem,
) -> AppResult<Option<SecretValue>> {
    load_secret_from(&keychain::os(), settings, item)
}

pub fn forget_secret(settings: &ConnectionSettings, item: KeychainItem) -> AppResult<()> {
    keychain::os().delete(&keychain_name(settings, item))
}

fn store_secret_in(
    keychain: &Keychain<'_>,
    settings: &ConnectionSettings,
    item: KeychainItem,
    secret: &SecretValue,
) -> AppResult<()> {
    keychain.set(&keychain_name(settings, item), secret.expose())
}

fn load_secret_from(
    keychain: &Keychain<'_>,
    settings: &ConnectionSettings,
    item: KeychainItem,
) -> AppResult<Option<SecretValue>> {
    match keychain.get(&keychain_name(settings, item)) {
        Ok(value) => Ok(value.map(|v| SecretValue::new(v.as_str()))),
        Err(mut error) if error.code == ErrorCode::KeychainDamaged => {
            error.hint = match item {
                KeychainItem::ClientSecret => "Edit the client and paste the app registration's client secret again; it is then stored afresh.",
                KeychainItem::RefreshToken => "Sign in again (Connect, then Sign in with Microsoft) and tick Remember me; the new sign-in is stored afresh.",
            }
            .to_string();
            Err(error)
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::connection::Cloud;

    #[test]
    fn config_round_trip_without_secrets() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(load(dir.path()).expect("empty"), ConsoleConfig::default());
        let config = ConsoleConfig {
            console_id: None,
            operator: Some(Profile {
                name: "Dana Reyes".into(),
            }),
            remembered: None,
            clients: vec![ClientConfig {
                id: "c1".into(),
                name: "Contoso Dental".into(),
                settings: ConnectionSettings {
                    tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
                    client_id: "11111111-2222-3333-4444-555555555555".into(),
                    vault_name: "msp-api-keyvault".into(),
                    cloud: Cloud::AzurePublic,
                    authority_host: None,
                    vault_url: None,
                    ca_pem: None,
                    auth: crate::domain::connection::AuthMode::SignIn,
                    home_tenant_id: None,
                },
            }],
            msp_name: Some("Northwind IT Services".into()),
        };
        save(dir.path(), &config).expect("save");
        assert_eq!(load(dir.path()).expect("load"), config);
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).expect("file");
        assert!(!text.to_ascii_lowercase().contains("secret"));
    }

    #[test]
    fn an_installation_id_in_config_json_is_read_but_never_written_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(CONFIG_FILE), r#"{"consoleId":"abc"}"#).expect("write");
        let config = load(dir.path()).expect("load");
        assert_eq!(config.console_id.as_deref(), Some("abc"));
        save(dir.path(), &config).expect("save");
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).expect("read");
        assert!(!text.contains("consoleId"), "{text}");
    }

    fn signed_in_settings() -> ConnectionSettings {
        ConnectionSettings {
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            vault_name: "msp-api-keyvault".into(),
            cloud: Cloud::AzurePublic,
            authority_host: None,
            vault_url: None,
            ca_pem: None,
            auth: crate::domain::connection::AuthMode::SignIn,
            home_tenant_id: None,
        }
    }

    #[test]
    fn a_4_kb_refresh_token_is_remembered_in_a_keychain_with_windows_limits() {
        let memory = crate::keychain::memory::MemoryKeychain::default();
        let keychain = Keychain::with(&memory);
        let settings = signed_in_settings();
        let token: String = (0..4096)
            .map(|i| if i % 3 == 0 { 'x' } else { '7' })
            .collect();
        store_secret_in(
            &keychain,
            &settings,
            KeychainItem::RefreshToken,
            &SecretValue::new(token.as_str()),
        )
        .expect("a long refresh token is stored");
        let loaded = load_secret_from(&keychain, &settings, KeychainItem::RefreshToken)
            .expect("load")
            .expect("remembered");
        assert_eq!(loaded.expose(), token);
        // The client secret of the same connection is a separate entry.
        assert!(
            load_secret_from(&keychain, &settings, KeychainItem::ClientSecret)
                .expect("load")
                .is_none()
        );
        // A lost part asks the technician to sign in again.
        let part = format!("{}#2", keychain_name(&settings, KeychainItem::RefreshToken));
        memory.lock().remove(&part);
        let damaged = load_secret_from(&keychain, &settings, KeychainItem::RefreshToken)
            .expect_err("damaged");
        assert_eq!(damaged.code, ErrorCode::KeychainDamaged);
        assert!(damaged.hint.contains("Sign in again"), "{}", damaged.hint);
    }

    #[test]
    fn the_keychain_entry_changes_with_any_part_of_the_connection() {
        let base = ConnectionSettings {
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            vault_name: "msp-api-keyvault".into(),
            cloud: Cloud::Custom,
            authority_host: Some("https://login.contoso.example".into()),
            vault_url: Some("https://vault.contoso.example".into()),
            ca_pem: None,
            auth: crate::domain::connection::AuthMode::AppSecret,
            home_tenant_id: None,
        };
        let mut with_ca = base.clone();
        with_ca.ca_pem =
            Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into());
        let mut other_vault = base.clone();
        other_vault.vault_name = "other-vault".into();
        let mut other_authority = base.clone();
        other_authority.authority_host = Some("https://login.evil.example".into());
        let mut signed_in = base.clone();
        signed_in.auth = crate::domain::connection::AuthMode::SignIn;
        let names =
            [&base, &with_ca, &other_vault, &other_authority, &signed_in].map(keychain_user);
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert_ne!(a, b, "two different connections share a keychain entry");
            }
        }
        assert_eq!(keychain_user(&base), keychain_user(&base.clone()));
    }

    #[test]
    fn atomic_writes_replace_a_planted_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "untouched").expect("write");
        let target = dir.path().join("config.json");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, &target).expect("symlink");
        write_atomically(&target, b"{}").expect("write");
        assert_eq!(
            std::fs::read_to_string(&outside).expect("read"),
            "untouched"
        );
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "{}");
        // No temporary file is left behind.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_remembered_connection_of_an_older_console_becomes_the_first_client() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            r#"{"remembered":{"tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","clientId":"11111111-2222-3333-4444-555555555555","vaultName":"msp-api-keyvault","cloud":"azure-public"}}"#,
        )
        .expect("write");
        let mut config = load(dir.path()).expect("load");
        assert!(config.migrate());
        assert_eq!(config.clients.len(), 1);
        assert_eq!(config.clients[0].name, "msp-api-keyvault");
        assert_eq!(
            config.clients[0].settings.auth,
            crate::domain::connection::AuthMode::AppSecret,
            "an old remembered connection used the app secret"
        );
        save(dir.path(), &config).expect("save");
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).expect("read");
        assert!(!text.contains("remembered"));
        assert!(!load(dir.path()).expect("load").migrate());
    }

    #[test]
    fn a_role_written_into_the_config_file_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            r#"{"consoleId":"abc","operator":{"name":"Mallory","role":"Admin"}}"#,
        )
        .expect("write");
        let config = load(dir.path()).expect("an old or edited file still loads");
        assert_eq!(
            config.operator,
            Some(Profile {
                name: "Mallory".into()
            })
        );
        let saved = {
            save(dir.path(), &config).expect("save");
            std::fs::read_to_string(dir.path().join(CONFIG_FILE)).expect("read")
        };
        assert!(!saved.contains("Admin"), "no role is written back: {saved}");
    }

    #[test]
    fn a_config_saved_by_windows_powershell_with_a_byte_order_mark_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "\u{feff}{\"consoleId\":\"abc\",\"operator\":{\"name\":\"Dana Reyes\"}}",
        )
        .expect("write");
        let config = load(dir.path()).expect("a BOM is not damage");
        assert_eq!(config.console_id.as_deref(), Some("abc"));
        assert_eq!(
            config.operator.map(|p| p.name).as_deref(),
            Some("Dana Reyes")
        );
    }

    /// A temporary file stand-in that counts as removed when dropped.
    struct FakeTemporary<'a>(&'a std::cell::Cell<bool>);
    impl Drop for FakeTemporary<'_> {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }

    fn windows_in_use(error: &std::io::Error) -> bool {
        matches!(error.raw_os_error(), Some(5 | 32 | 33))
    }

    #[test]
    fn an_export_open_in_another_program_is_retried_then_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("key-report-2025-03-01.pdf");
        let removed = std::cell::Cell::new(false);
        let mut attempts = 0;
        let error = replace_with(
            &target,
            FakeTemporary(&removed),
            |temporary, _| {
                attempts += 1;
                // ERROR_SHARING_VIOLATION, as while Acrobat shows the file.
                Err((std::io::Error::from_raw_os_error(32), temporary))
            },
            windows_in_use,
            |_| {},
        )
        .expect_err("still open");
        assert_eq!(error.code, ErrorCode::FileInUse);
        assert!(error.message.contains("key-report-2025-03-01.pdf"));
        assert!(error.message.contains("open in another program"));
        assert!(error.hint.contains("Close it there"));
        assert!(!error.hint.contains("disk space"));
        assert!(attempts > 10, "retried for about two seconds: {attempts}");
        assert!(removed.get(), "the temporary file is removed");
    }

    #[test]
    fn an_export_let_go_while_retrying_is_saved() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("inventory.csv");
        let removed = std::cell::Cell::new(false);
        let mut failures_left = 3;
        replace_with(
            &target,
            FakeTemporary(&removed),
            |temporary, _| {
                if failures_left > 0 {
                    failures_left -= 1;
                    return Err((std::io::Error::from_raw_os_error(33), temporary));
                }
                std::mem::forget(temporary);
                Ok(())
            },
            windows_in_use,
            |_| {},
        )
        .expect("saved once Excel let go");
        assert_eq!(failures_left, 0);
        assert!(!removed.get(), "the renamed file is not removed");
    }

    #[test]
    fn a_rename_that_fails_otherwise_is_a_write_failure_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let removed = std::cell::Cell::new(false);
        let mut attempts = 0;
        let error = replace_with(
            &dir.path().join("inventory.csv"),
            FakeTemporary(&removed),
            |temporary, _| {
                attempts += 1;
                Err((std::io::Error::from_raw_os_error(112), temporary))
            },
            windows_in_use,
            |_| {},
        )
        .expect_err("disk full");
        assert_eq!(error.code, ErrorCode::FileWriteFailed);
        assert_eq!(attempts, 1);
        assert!(removed.get());
    }

    /// Windows (the Wine lane): a file opened without sharing, as Acrobat opens a PDF it shows,
    /// cannot be replaced; the export is refused by name and the open file keeps its content.
    #[cfg(windows)]
    #[test]
    fn on_windows_a_file_held_without_sharing_is_named_in_use() {
        use std::os::windows::fs::OpenOptionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("key-report.pdf");
        std::fs::write(&target, b"old report").expect("write");
        let held = std::fs::OpenOptions::new()
            .read(true)
            .share_mode(0)
            .open(&target)
            .expect("open without sharing");
        let error = write_atomically(&target, b"new report").expect_err("held open");
        assert_eq!(error.code, ErrorCode::FileInUse, "{error:?}");
        drop(held);
        assert_eq!(std::fs::read(&target).expect("read"), b"old report");
        let leftovers = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count();
        assert_eq!(leftovers, 0, "the temporary file is removed");
        write_atomically(&target, b"new report").expect("replaced once closed");
        assert_eq!(std::fs::read(&target).expect("read"), b"new report");
    }

    #[test]
    fn a_vault_named_like_a_windows_device_gets_usable_file_names() {
        let data = Path::new("data");
        assert_eq!(
            audit_log_path(data, "con"),
            data.join("audit").join("con_.jsonl")
        );
        assert_eq!(
            reminders_path(data, "NUL"),
            data.join("reminders").join("NUL_.json")
        );
        assert_eq!(
            audit_log_path(data, "msp-api-keyvault"),
            data.join("audit").join("msp-api-keyvault.jsonl"),
            "other vaults keep the names their files already have"
        );
    }

    #[test]
    fn damaged_config_is_a_named_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(CONFIG_FILE), "{not json").expect("write");
        assert_eq!(
            load(dir.path()).expect_err("damaged").code,
            ErrorCode::ConfigUnreadable
        );
    }
}
