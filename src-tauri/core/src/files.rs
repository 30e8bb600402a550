//! Small file-system rules shared by the audit log, the config and the exports: durable syncs that
//! also work on macOS network volumes, file names for vault names that Windows would read as
//! devices, and the retry when Windows refuses to replace a file another program holds open.

use std::fs::File;
use std::io;
use std::time::Duration;

/// Flush a file's data and metadata to the disk.
///
/// Rust's `sync_all` and `sync_data` use `F_FULLFSYNC` on Apple systems and return its error;
/// SMB and some other network volumes do not support it (ENOTSUP, or EINVAL on some), which would
/// make every audit append and every export fail there. Those volumes get a plain `fsync`, the
/// strongest flush they offer.
pub fn sync_durably(file: &File) -> io::Result<()> {
    with_fallback(file, file.sync_all())
}

/// [`sync_durably`] for the file's data (and the size an append changed) only: `fdatasync` on
/// Linux, the same full sync or fallback on Apple systems.
pub fn sync_data_durably(file: &File) -> io::Result<()> {
    with_fallback(file, file.sync_data())
}

fn with_fallback(file: &File, synced: io::Result<()>) -> io::Result<()> {
    match synced {
        Ok(()) => Ok(()),
        Err(error) if full_fsync_unsupported(error.raw_os_error()) => plain_fsync(file, error),
        Err(error) => Err(error),
    }
}

/// Apple's errno values for "this volume has no F_FULLFSYNC" (`<sys/errno.h>`): ENOTSUP 45,
/// EINVAL 22. Only Apple targets fall back; elsewhere the numbers mean other things.
const APPLE_ENOTSUP: i32 = 45;
const APPLE_EINVAL: i32 = 22;

/// Whether a failed full sync should be retried as a plain `fsync`: a pure decision, so it is
/// tested on every platform.
fn fsync_fallback_for(raw_os_error: Option<i32>, apple: bool) -> bool {
    apple && matches!(raw_os_error, Some(APPLE_ENOTSUP | APPLE_EINVAL))
}

fn full_fsync_unsupported(raw_os_error: Option<i32>) -> bool {
    fsync_fallback_for(raw_os_error, cfg!(target_vendor = "apple"))
}

#[cfg(target_vendor = "apple")]
fn plain_fsync(file: &File, _full_fsync_error: io::Error) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: `fsync` only reads the descriptor, which `file` keeps open for this call.
    if unsafe { libc::fsync(file.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_vendor = "apple"))]
fn plain_fsync(_file: &File, full_fsync_error: io::Error) -> io::Result<()> {
    // Never reached: only Apple targets fall back.
    Err(full_fsync_error)
}

/// Names Windows reserves for devices, in any case and with any extension: `con.jsonl` opens the
/// console, `nul.json` discards what is written.
const RESERVED_DEVICE_NAMES: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];

fn is_reserved_device_name(stem: &str) -> bool {
    let upper = stem.to_ascii_uppercase();
    if RESERVED_DEVICE_NAMES.contains(&upper.as_str()) {
        return true;
    }
    // COM1-COM9 and LPT1-LPT9 (COM0/LPT0 are free).
    match upper.as_bytes() {
        [b'C', b'O', b'M', digit] | [b'L', b'P', b'T', digit] => (b'1'..=b'9').contains(digit),
        _ => false,
    }
}

/// The file-name stem of a vault's files (`audit/<stem>.jsonl`, `reminders/<stem>.json`, and the
/// `.torn`, `.alert.json` and evidence files named after the log). A vault called `con`, `aux`,
/// `nul`, `prn`, `com1`-`com9` or `lpt1`-`lpt9` (all valid Key Vault names) gets a trailing `_`
/// on every platform, so a log carried between Windows and macOS keeps its name; every other
/// vault keeps its name unchanged, so existing files are found as before.
pub fn file_stem_for_vault(vault_name: &str) -> String {
    if is_reserved_device_name(vault_name) {
        format!("{vault_name}_")
    } else {
        vault_name.to_string()
    }
}

/// Windows error codes for a file another program holds open: ERROR_ACCESS_DENIED (5, a rename
/// over a file opened without delete sharing, as Acrobat and Excel open theirs),
/// ERROR_SHARING_VIOLATION (32) and ERROR_LOCK_VIOLATION (33).
fn is_in_use_code(raw_os_error: Option<i32>) -> bool {
    matches!(raw_os_error, Some(5 | 32 | 33))
}

/// Whether replacing a file failed because another program holds it (Windows only: macOS and
/// Linux replace open files).
pub fn held_by_another_program(error: &io::Error) -> bool {
    cfg!(windows) && is_in_use_code(error.raw_os_error())
}

/// How long a replacement is retried while another program holds the file: long enough for a
/// viewer or a virus scanner to let go, short enough that the technician is not left waiting.
pub const IN_USE_RETRY_FOR: Duration = Duration::from_secs(2);
const IN_USE_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Why a replacement finally failed.
#[derive(Debug)]
pub enum ReplaceFailure {
    /// Another program still held the file when the retries ran out.
    InUse(io::Error),
    Other(io::Error),
}

/// Run `attempt` (a rename) until it succeeds, fails for another reason than `in_use`, or
/// `IN_USE_RETRY_FOR` has been spent in `pause`s. The attempt and the pause are parameters so the
/// retry is tested on platforms where no program can hold a file against a rename.
pub fn retry_while_in_use(
    mut attempt: impl FnMut() -> io::Result<()>,
    in_use: impl Fn(&io::Error) -> bool,
    mut pause: impl FnMut(Duration),
) -> Result<(), ReplaceFailure> {
    let mut waited = Duration::ZERO;
    loop {
        match attempt() {
            Ok(()) => return Ok(()),
            Err(error) if in_use(&error) => {
                if waited >= IN_USE_RETRY_FOR {
                    return Err(ReplaceFailure::InUse(error));
                }
                pause(IN_USE_RETRY_PAUSE);
                waited += IN_USE_RETRY_PAUSE;
            }
            Err(error) => return Err(ReplaceFailure::Other(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_apple_falls_back_to_fsync_and_only_when_full_fsync_is_unsupported() {
        assert!(
            fsync_fallback_for(Some(45), true),
            "ENOTSUP on an SMB volume"
        );
        assert!(fsync_fallback_for(Some(22), true), "EINVAL");
        assert!(!fsync_fallback_for(Some(5), true), "EIO is a real failure");
        assert!(
            !fsync_fallback_for(Some(28), true),
            "ENOSPC is a real failure"
        );
        assert!(!fsync_fallback_for(None, true));
        assert!(
            !fsync_fallback_for(Some(45), false),
            "45 is not ENOTSUP on Linux"
        );
        assert!(!fsync_fallback_for(Some(22), false));
    }

    #[test]
    fn a_durable_sync_of_an_ordinary_file_succeeds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = File::create(dir.path().join("f")).expect("create");
        sync_durably(&file).expect("sync");
    }

    #[test]
    fn windows_device_names_get_a_safe_stem_and_other_vaults_keep_theirs() {
        for reserved in [
            "con", "CON", "Aux", "nul", "prn", "com1", "COM9", "lpt1", "Lpt9",
        ] {
            assert_eq!(file_stem_for_vault(reserved), format!("{reserved}_"));
        }
        for ordinary in [
            "contoso",
            "console",
            "com0",
            "lpt0",
            "com10",
            "null",
            "msp-api-keyvault",
            "auxiliary",
        ] {
            assert_eq!(file_stem_for_vault(ordinary), ordinary);
        }
    }

    #[test]
    fn in_use_codes_are_the_windows_sharing_errors() {
        for code in [5, 32, 33] {
            assert!(is_in_use_code(Some(code)), "{code}");
        }
        for code in [2, 3, 112] {
            assert!(!is_in_use_code(Some(code)), "{code}");
        }
        assert!(!is_in_use_code(None));
    }

    fn in_use(error: &io::Error) -> bool {
        is_in_use_code(error.raw_os_error())
    }

    #[test]
    fn a_file_let_go_within_two_seconds_is_replaced() {
        let mut failures_left = 5;
        let mut paused = Duration::ZERO;
        let result = retry_while_in_use(
            || {
                if failures_left > 0 {
                    failures_left -= 1;
                    Err(io::Error::from_raw_os_error(32))
                } else {
                    Ok(())
                }
            },
            in_use,
            |d| paused += d,
        );
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(failures_left, 0);
        assert!(paused < IN_USE_RETRY_FOR);
    }

    #[test]
    fn a_file_held_open_is_named_in_use_after_about_two_seconds() {
        let mut attempts = 0;
        let mut paused = Duration::ZERO;
        let result = retry_while_in_use(
            || {
                attempts += 1;
                Err(io::Error::from_raw_os_error(5))
            },
            in_use,
            |d| paused += d,
        );
        assert!(
            matches!(result, Err(ReplaceFailure::InUse(_))),
            "{result:?}"
        );
        assert_eq!(paused, IN_USE_RETRY_FOR);
        assert!(attempts > 10, "retried {attempts} times");
    }

    #[test]
    fn other_failures_are_not_retried() {
        let mut attempts = 0;
        let result = retry_while_in_use(
            || {
                attempts += 1;
                Err(io::Error::from_raw_os_error(112))
            },
            in_use,
            |_| panic!("no pause for a full disk"),
        );
        assert!(matches!(result, Err(ReplaceFailure::Other(_))));
        assert_eq!(attempts, 1);
    }
}
