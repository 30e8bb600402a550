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
        Ok(text) => serde_json::from_str(&text).map_err(|e| unreadable(&path, e)),
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
    temporary.as_file().sync_all().map_err(failed)?;
    temporary.persist(path).map_err(|e| failed(e.error))?;
    sync_dir(parent).map_err(failed)
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
    dir.join(REMINDERS_DIR).join(format!("{vault}.json"))
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
                },
            }],
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
    fn damaged_config_is_a_named_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(CONFIG_FILE), "{not json").expect("write");
        assert_eq!(
            load(dir.path()).expect_err("damaged").code,
            ErrorCode::ConfigUnreadable
        );
    }
}
