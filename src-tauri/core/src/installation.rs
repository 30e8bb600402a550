//! This computer's installation: its id (which names its audit anchor and registry record in the
//! vault) and the files that belong to this computer alone.
//!
//! On Windows the config folder is the Roaming `%APPDATA%`, which a roaming profile copies to
//! every PC the technician signs in to, and keyring's Credential Manager entries roam too. Two PCs
//! sharing one installation id would each see the other's audit entries as tampering, so the id,
//! the audit logs and the reminders live in the local data folder (`%LOCALAPPDATA%`; the same
//! folder as before on Linux and macOS), and the keychain copy of the id is named after this
//! computer as well as the folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{AUDIT_DIR, REMINDERS_DIR, write_atomically};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::keychain::Keychain;

/// `<local data>/installation.json`.
pub const INSTALLATION_FILE: &str = "installation.json";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InstallationFile {
    installation_id: String,
    /// The computer that created or adopted the id (for whoever reads the file; not trusted).
    #[serde(default)]
    host: String,
}

/// Where this installation's id is looked for.
pub struct Place<'a> {
    /// The local data folder: holds `installation.json`.
    pub data_dir: &'a Path,
    /// The (roaming) config folder: older consoles named their keychain entry after it.
    pub config_dir: &'a Path,
    /// This computer's name.
    pub host: &'a str,
}

/// The id reaches secret names in the vault (`akv-console-audit-anchor-<id>`), and the file is
/// the user's to edit: anything else is treated as no id at all.
fn valid(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(INSTALLATION_FILE)
}

/// The id in `installation.json`; a missing, unreadable or edited-to-nonsense file is none.
pub fn load_id(data_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file_path(data_dir)).ok()?;
    let file: InstallationFile = serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()?;
    Some(file.installation_id).filter(|id| valid(id))
}

pub fn save_id(data_dir: &Path, id: &str, host: &str) -> AppResult<()> {
    let json = serde_json::to_vec_pretty(&InstallationFile {
        installation_id: id.to_string(),
        host: host.to_string(),
    })
    .map_err(|e| AppError::internal(format!("installation file encoding: {e}")))?;
    write_atomically(&file_path(data_dir), &json)
}

/// The keychain entry of the id: named after this computer as well as the folder, so a
/// Credential Manager entry that roamed from another PC is never taken for this one's.
pub fn keychain_name(place: &Place<'_>) -> String {
    format!(
        "installation-id@{}@{}",
        place.host,
        place.data_dir.display()
    )
}

/// The entry older consoles used (the config folder only, no computer name).
fn legacy_keychain_name(place: &Place<'_>) -> String {
    format!("installation-id@{}", place.config_dir.display())
}

/// This installation's id, decided once per start: the keychain's copy wins over the file (the
/// user's to edit); a console upgraded from one that kept `consoleId` in config.json (`legacy`)
/// or in the older keychain entry carries it over once; otherwise a new id. Without a working
/// keychain the file alone decides (Verify then flags a new installation on a computer the
/// vault already knows).
pub fn resolve(
    keychain: &Keychain<'_>,
    place: &Place<'_>,
    legacy: Option<&str>,
) -> AppResult<String> {
    let in_file = load_id(place.data_dir);
    // Keychain failures only mean "no keychain": the file still decides.
    let kept = keychain
        .get(&keychain_name(place))
        .ok()
        .flatten()
        .map(|id| id.trim().to_string())
        .filter(|id| valid(id));
    let migrated = if in_file.is_none() && kept.is_none() {
        keychain
            .get(&legacy_keychain_name(place))
            .ok()
            .flatten()
            .map(|id| id.trim().to_string())
            .or_else(|| legacy.map(str::to_string))
            .filter(|id| valid(id))
    } else {
        None
    };
    let id = kept
        .clone()
        .or_else(|| in_file.clone())
        .or(migrated)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    if in_file.as_deref() != Some(id.as_str()) {
        save_id(place.data_dir, &id, place.host)?;
    }
    if kept.as_deref() != Some(id.as_str()) {
        // Best effort: a PC without a usable keychain keeps the id in the file only.
        let _ = keychain.set(&keychain_name(place), &id);
    }
    Ok(id)
}

fn has_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

fn move_failed(from: &Path, to: &Path, error: std::io::Error) -> AppError {
    AppError::new(
        ErrorCode::FileWriteFailed,
        format!(
            "The console could not move {} to {} ({error}).",
            from.display(),
            to.display()
        ),
        "Close every console window, move the files yourself (the audit logs must keep their names), and start the console again.",
    )
}

/// Consoles before this one kept the audit logs and reminders in the Roaming data folder on
/// Windows. Move each folder (`audit`, `reminders`) to the local data folder once: only when the
/// roaming one has files and the local one has none, so nothing local is ever overwritten.
/// Returns how many files moved.
pub fn adopt_roaming_data(roaming: &Path, local: &Path) -> AppResult<usize> {
    if roaming == local {
        return Ok(0);
    }
    let mut moved = 0;
    for folder in [AUDIT_DIR, REMINDERS_DIR] {
        let (from, to) = (roaming.join(folder), local.join(folder));
        if !has_files(&from) || has_files(&to) {
            continue;
        }
        std::fs::create_dir_all(&to).map_err(|e| move_failed(&from, &to, e))?;
        let entries = std::fs::read_dir(&from).map_err(|e| move_failed(&from, &to, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| move_failed(&from, &to, e))?;
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                continue;
            }
            let target = to.join(entry.file_name());
            move_file(&entry.path(), &target)
                .map_err(|e| move_failed(&entry.path(), &target, e))?;
            moved += 1;
        }
        // Only an empty folder goes; anything left (a subfolder) stays where it was.
        let _ = std::fs::remove_dir(&from);
    }
    Ok(moved)
}

/// A rename, or a copy and delete when the two folders are on different volumes.
fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)?;
    std::fs::File::open(to)?.sync_all()?;
    std::fs::remove_file(from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::memory::MemoryKeychain;

    fn place<'a>(dirs: &'a (PathBuf, PathBuf), host: &'a str) -> Place<'a> {
        Place {
            data_dir: &dirs.0,
            config_dir: &dirs.1,
            host,
        }
    }

    fn folders() -> (tempfile::TempDir, (PathBuf, PathBuf)) {
        let root = tempfile::tempdir().expect("tempdir");
        let dirs = (root.path().join("local"), root.path().join("roaming"));
        (root, dirs)
    }

    #[test]
    fn the_keychain_entry_of_the_id_names_this_computer() {
        let (_root, dirs) = folders();
        let on_a = keychain_name(&place(&dirs, "PC-A"));
        let on_b = keychain_name(&place(&dirs, "PC-B"));
        assert_ne!(on_a, on_b, "one roamed entry would serve two computers");
        assert!(on_a.contains("PC-A") && on_a.contains(&dirs.0.display().to_string()));
    }

    #[test]
    fn two_computers_sharing_a_roaming_keychain_get_their_own_ids() {
        let memory = MemoryKeychain::default();
        let keychain = Keychain::with(&memory);
        // One roaming profile: the keychain roams; each PC has its own local folder.
        let (_a_root, a) = folders();
        let (_b_root, b) = folders();
        let id_a = resolve(&keychain, &place(&a, "PC-A"), None).expect("A");
        let id_b = resolve(&keychain, &place(&b, "PC-B"), None).expect("B");
        assert_ne!(id_a, id_b);
        // And each keeps its own through an edited file.
        save_id(&a.0, "edited", "PC-A").expect("edit");
        assert_eq!(
            resolve(&keychain, &place(&a, "PC-A"), None).expect("A"),
            id_a
        );
        assert_eq!(load_id(&a.0).as_deref(), Some(id_a.as_str()));
    }

    #[test]
    fn the_id_of_config_json_moves_to_the_local_file_once() {
        let keychain_store = MemoryKeychain::default();
        let keychain = Keychain::with(&keychain_store);
        let (_root, dirs) = folders();
        let id = resolve(&keychain, &place(&dirs, "PC-A"), Some("abc123")).expect("migrate");
        assert_eq!(id, "abc123");
        assert_eq!(load_id(&dirs.0).as_deref(), Some("abc123"));
        // From then on the local file decides, whatever config.json still says.
        let again = resolve(&keychain, &place(&dirs, "PC-A"), Some("other")).expect("again");
        assert_eq!(again, "abc123");
    }

    #[test]
    fn the_older_keychain_entry_is_carried_over_before_config_json() {
        let memory = MemoryKeychain::default();
        let keychain = Keychain::with(&memory);
        let (_root, dirs) = folders();
        keychain
            .set(&legacy_keychain_name(&place(&dirs, "PC-A")), "fromkeychain")
            .expect("set");
        let id = resolve(&keychain, &place(&dirs, "PC-A"), Some("fromfile")).expect("resolve");
        assert_eq!(id, "fromkeychain");
    }

    #[test]
    fn an_id_that_cannot_name_a_secret_is_no_id() {
        let (_root, dirs) = folders();
        std::fs::create_dir_all(&dirs.0).expect("dir");
        std::fs::write(
            dirs.0.join(INSTALLATION_FILE),
            r#"{"installationId":"../../evil"}"#,
        )
        .expect("write");
        assert_eq!(load_id(&dirs.0), None);
        let memory = MemoryKeychain::default();
        let id =
            resolve(&Keychain::with(&memory), &place(&dirs, "PC-A"), Some("a b")).expect("resolve");
        assert!(valid(&id) && id.len() == 32, "a new id: {id}");
    }

    #[test]
    fn roaming_audit_logs_and_reminders_move_to_an_empty_local_folder_once() {
        let root = tempfile::tempdir().expect("tempdir");
        let (roaming, local) = (root.path().join("Roaming"), root.path().join("Local"));
        std::fs::create_dir_all(roaming.join(AUDIT_DIR)).expect("dir");
        std::fs::create_dir_all(roaming.join(REMINDERS_DIR)).expect("dir");
        std::fs::write(roaming.join(AUDIT_DIR).join("vault.jsonl"), "line\n").expect("log");
        std::fs::write(roaming.join(REMINDERS_DIR).join("vault.json"), "{}").expect("ledger");

        assert_eq!(adopt_roaming_data(&roaming, &local).expect("move"), 2);
        assert_eq!(
            std::fs::read_to_string(local.join(AUDIT_DIR).join("vault.jsonl")).expect("moved"),
            "line\n"
        );
        assert!(local.join(REMINDERS_DIR).join("vault.json").exists());
        assert!(!roaming.join(AUDIT_DIR).exists(), "moved, not copied");

        // A second run, or roaming files appearing again, never overwrite the local log.
        std::fs::create_dir_all(roaming.join(AUDIT_DIR)).expect("dir");
        std::fs::write(roaming.join(AUDIT_DIR).join("vault.jsonl"), "other\n").expect("log");
        assert_eq!(adopt_roaming_data(&roaming, &local).expect("again"), 0);
        assert_eq!(
            std::fs::read_to_string(local.join(AUDIT_DIR).join("vault.jsonl")).expect("kept"),
            "line\n"
        );
        assert_eq!(adopt_roaming_data(&local, &local).expect("same folder"), 0);
    }
}
