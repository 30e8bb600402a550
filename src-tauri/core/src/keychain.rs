//! The one door to the OS keychain (Windows Credential Manager, macOS Keychain, the Secret Service
//! of GNOME Keyring or KWallet on Linux). Every caller stores its values through [`Keychain`], so
//! all of them share the same chunking and the same errors.
//!
//! Windows Credential Manager refuses a password longer than 1,280 UTF-16 units (a 2,560-byte
//! blob), and Entra refresh tokens are often longer. A long value is therefore kept as several
//! entries, the same way on every platform (so the Linux tests exercise it): the entry `<user>`
//! holds a manifest `chunks:<N>:<sha256 hex>` and the entries `<user>#1` … `<user>#N` hold at
//! most [`CHUNK_UNITS`] UTF-16 units each. Reading checks the count and the hash.

use zeroize::Zeroizing;

use crate::error::{AppError, AppResult, ErrorCode};

pub const SERVICE: &str = "com.msp.apikeyvaultconsole";
/// Well below Windows' 1,280 UTF-16 units per credential, with room for a longer manifest.
pub const CHUNK_UNITS: usize = 1000;
const MANIFEST_PREFIX: &str = "chunks:";
/// A refresh token is at most a few KB; this bounds what a damaged manifest makes us read.
const MAX_CHUNKS: usize = 64;

/// Makes the keyring entry of one name (the OS keychain, or an in-memory one in tests).
pub trait EntryMaker: Send + Sync {
    fn entry(&self, user: &str) -> keyring::Result<keyring::Entry>;
}

/// The operating system's keychain, under the console's service name.
pub struct OsKeychain;

impl EntryMaker for OsKeychain {
    fn entry(&self, user: &str) -> keyring::Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, user)
    }
}

pub struct Keychain<'a> {
    maker: &'a dyn EntryMaker,
}

/// The OS keychain.
pub fn os() -> Keychain<'static> {
    Keychain { maker: &OsKeychain }
}

fn unavailable(error: keyring::Error) -> AppError {
    AppError::new(
        ErrorCode::KeychainUnavailable,
        format!("The operating system's keychain could not be used ({error})."),
        "The connection works without it, but you will have to paste the client secret again next time. On Linux a Secret Service (GNOME Keyring or KWallet) must be running and unlocked.",
    )
}

fn damaged(user: &str, what: &str) -> AppError {
    AppError::new(
        ErrorCode::KeychainDamaged,
        format!("The keychain's copy of '{user}' is incomplete or damaged ({what})."),
        "Sign in again (or paste the client secret again) with Remember me ticked: the console then stores it afresh.",
    )
}

fn chunk_name(user: &str, index: usize) -> String {
    format!("{user}#{index}")
}

fn sha256_hex(value: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Split at character boundaries into pieces of at most `CHUNK_UNITS` UTF-16 units (a character
/// outside the BMP counts two, as Windows counts it).
fn split(value: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut units) = (0, 0);
    for (at, ch) in value.char_indices() {
        if units + ch.len_utf16() > CHUNK_UNITS {
            pieces.push(&value[start..at]);
            (start, units) = (at, 0);
        }
        units += ch.len_utf16();
    }
    if start < value.len() {
        pieces.push(&value[start..]);
    }
    pieces
}

/// `chunks:<N>:<hash>` → (N, hash); `None` if `stored` is a plain value.
fn parse_manifest<'v>(user: &str, stored: &'v str) -> AppResult<Option<(usize, &'v str)>> {
    let Some(rest) = stored.strip_prefix(MANIFEST_PREFIX) else {
        return Ok(None);
    };
    let (count, hash) = rest
        .split_once(':')
        .ok_or_else(|| damaged(user, "its manifest is malformed"))?;
    let count: usize = count
        .parse()
        .ok()
        .filter(|n| (1..=MAX_CHUNKS).contains(n))
        .ok_or_else(|| damaged(user, "its manifest names an impossible number of parts"))?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(damaged(user, "its manifest has no valid checksum"));
    }
    Ok(Some((count, hash)))
}

impl Keychain<'_> {
    pub fn with(maker: &dyn EntryMaker) -> Keychain<'_> {
        Keychain { maker }
    }

    fn entry(&self, user: &str) -> AppResult<keyring::Entry> {
        self.maker.entry(user).map_err(unavailable)
    }

    fn get_raw(&self, user: &str) -> AppResult<Option<Zeroizing<String>>> {
        match self.entry(user)?.get_password() {
            Ok(value) => Ok(Some(Zeroizing::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(unavailable(error)),
        }
    }

    fn delete_raw(&self, user: &str) -> AppResult<bool> {
        match self.entry(user)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(error) => Err(unavailable(error)),
        }
    }

    /// Remove the parts from `first` on: those a manifest names, and any beyond (left by an
    /// older, longer value whose manifest is gone).
    fn delete_chunks_from(&self, user: &str, first: usize, named: usize) -> AppResult<()> {
        let mut index = first;
        while index <= MAX_CHUNKS {
            if !self.delete_raw(&chunk_name(user, index))? && index > named {
                break;
            }
            index += 1;
        }
        Ok(())
    }

    /// Store `value` under `user`, in parts when it is long (see the module notes). A shorter
    /// value replacing a longer one leaves no stale parts behind.
    pub fn set(&self, user: &str, value: &str) -> AppResult<()> {
        // A short value that looks like a manifest is chunked too, so reading never mistakes it.
        let pieces =
            if value.encode_utf16().count() > CHUNK_UNITS || value.starts_with(MANIFEST_PREFIX) {
                split(value)
            } else {
                Vec::new()
            };
        if pieces.len() > MAX_CHUNKS {
            return Err(AppError::new(
                ErrorCode::KeychainUnavailable,
                format!("The value for '{user}' is too long for the keychain."),
                "Nothing was remembered; connect without Remember me.",
            ));
        }
        // The parts go first and the manifest last, so a reader never finds a manifest whose
        // parts are not written yet.
        for (i, piece) in pieces.iter().enumerate() {
            self.entry(&chunk_name(user, i + 1))?
                .set_password(piece)
                .map_err(unavailable)?;
        }
        let head = if pieces.is_empty() {
            Zeroizing::new(value.to_string())
        } else {
            Zeroizing::new(format!(
                "{MANIFEST_PREFIX}{}:{}",
                pieces.len(),
                sha256_hex(value)
            ))
        };
        self.entry(user)?.set_password(&head).map_err(unavailable)?;
        self.delete_chunks_from(user, pieces.len() + 1, 0)
    }

    /// The value under `user`; `None` when there is none. A chunked value whose parts are
    /// missing or do not match the manifest's checksum is a [`ErrorCode::KeychainDamaged`].
    pub fn get(&self, user: &str) -> AppResult<Option<Zeroizing<String>>> {
        let Some(head) = self.get_raw(user)? else {
            return Ok(None);
        };
        let Some((count, hash)) = parse_manifest(user, &head)? else {
            return Ok(Some(head));
        };
        let mut value = Zeroizing::new(String::new());
        for index in 1..=count {
            let piece = self
                .get_raw(&chunk_name(user, index))?
                .ok_or_else(|| damaged(user, &format!("part {index} of {count} is missing")))?;
            value.push_str(&piece);
        }
        if !sha256_hex(&value).eq_ignore_ascii_case(hash) {
            return Err(damaged(user, "its parts do not match their checksum"));
        }
        Ok(Some(value))
    }

    /// Remove `user` and all its parts; nothing there is fine.
    pub fn delete(&self, user: &str) -> AppResult<()> {
        let named = match self.get_raw(user)? {
            Some(head) => parse_manifest(user, &head)
                .ok()
                .flatten()
                .map_or(0, |(count, _)| count),
            None => 0,
        };
        // The manifest goes first, so nobody reads a manifest whose parts are half gone.
        self.delete_raw(user)?;
        self.delete_chunks_from(user, 1, named)
    }
}

/// An in-memory keychain for tests that refuses what Windows Credential Manager refuses.
#[cfg(test)]
pub(crate) mod memory {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use keyring::credential::{Credential, CredentialApi};

    /// Windows' `CRED_MAX_CREDENTIAL_BLOB_SIZE`: passwords are stored as UTF-16.
    pub const WINDOWS_BLOB_BYTES: usize = 2560;

    #[derive(Clone, Default)]
    pub struct MemoryKeychain {
        pub entries: Arc<Mutex<BTreeMap<String, String>>>,
    }

    impl MemoryKeychain {
        pub fn names(&self) -> Vec<String> {
            self.lock().keys().cloned().collect()
        }

        pub fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
            self.entries.lock().unwrap_or_else(|p| p.into_inner())
        }
    }

    impl super::EntryMaker for MemoryKeychain {
        fn entry(&self, user: &str) -> keyring::Result<keyring::Entry> {
            let credential: Box<Credential> = Box::new(MemoryCredential {
                user: user.to_string(),
                entries: self.entries.clone(),
            });
            Ok(keyring::Entry::new_with_credential(credential))
        }
    }

    #[derive(Debug)]
    struct MemoryCredential {
        user: String,
        entries: Arc<Mutex<BTreeMap<String, String>>>,
    }

    impl MemoryCredential {
        fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
            self.entries.lock().unwrap_or_else(|p| p.into_inner())
        }
    }

    impl CredentialApi for MemoryCredential {
        fn set_password(&self, password: &str) -> keyring::Result<()> {
            if password.encode_utf16().count() * 2 > WINDOWS_BLOB_BYTES {
                return Err(keyring::Error::TooLong(
                    "password encoded as UTF-16".into(),
                    WINDOWS_BLOB_BYTES as u32,
                ));
            }
            self.lock().insert(self.user.clone(), password.to_string());
            Ok(())
        }

        fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
            let text = String::from_utf8(secret.to_vec())
                .map_err(|e| keyring::Error::BadEncoding(e.into_bytes()))?;
            self.set_password(&text)
        }

        fn get_password(&self) -> keyring::Result<String> {
            self.lock()
                .get(&self.user)
                .cloned()
                .ok_or(keyring::Error::NoEntry)
        }

        fn get_secret(&self) -> keyring::Result<Vec<u8>> {
            self.get_password().map(String::into_bytes)
        }

        fn delete_credential(&self) -> keyring::Result<()> {
            self.lock()
                .remove(&self.user)
                .map(|_| ())
                .ok_or(keyring::Error::NoEntry)
        }

        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::MemoryKeychain;
    use super::*;

    fn token(len: usize) -> String {
        (0..len)
            .map(|i| char::from(b'A' + (i % 26) as u8))
            .collect()
    }

    #[test]
    fn the_test_keychain_refuses_what_windows_refuses() {
        let memory = MemoryKeychain::default();
        let entry = memory.entry("long").expect("entry");
        assert!(matches!(
            entry.set_password(&token(1281)),
            Err(keyring::Error::TooLong(..))
        ));
        entry.set_password(&token(1280)).expect("the limit itself");
    }

    #[test]
    fn a_4_kb_refresh_token_round_trips_in_parts_windows_accepts() {
        let memory = MemoryKeychain::default();
        let keychain = Keychain::with(&memory);
        let refresh = format!("1.AEMU.{}", token(4096));
        keychain.set("t/c#refresh-token", &refresh).expect("set");
        assert_eq!(
            keychain
                .get("t/c#refresh-token")
                .expect("get")
                .map(|v| v.to_string()),
            Some(refresh.as_str().to_string())
        );
        let entries = memory.lock().clone();
        assert_eq!(entries.len(), 6, "{:?}", entries.keys());
        assert!(entries["t/c#refresh-token"].starts_with("chunks:5:"));
        assert!(
            entries
                .values()
                .all(|v| v.encode_utf16().count() <= CHUNK_UNITS)
        );
    }

    #[test]
    fn a_short_value_is_one_plain_entry() {
        let memory = MemoryKeychain::default();
        let keychain = Keychain::with(&memory);
        keychain.set("t/c", "client~secret").expect("set");
        assert_eq!(memory.names(), vec!["t/c".to_string()]);
        assert_eq!(
            keychain.get("t/c").expect("get").map(|v| v.to_string()),
            Some("client~secret".to_string())
        );
        // A value that merely looks like a manifest still reads back as itself.
        let tricky = format!("chunks:1:{}", "0".repeat(64));
        keychain.set("t/c", &tricky).expect("set");
        assert_eq!(
            keychain.get("t/c").expect("get").map(|v| v.to_string()),
            Some(tricky.as_str().to_string())
        );
    }

    #[test]
    fn characters_outside_the_bmp_count_twice_towards_the_limit() {
        let memory = MemoryKeychain::default();
        let keychain = Keychain::with(&memory);
        let value = "🔑".repeat(1500);
        keychain.set("emoji", &value).expect("set");
        assert_eq!(
            keychain.get("emoji").expect("get").map(|v| v.to_string()),
            Some(value.as_str().to_string())
        );
    }

    #[test]
    fn a_shorter_value_leaves_no_stale_parts_and_delete_removes_all() {
        let memory = MemoryKeychain::default();
        let keychain = Keychain::with(&memory);
        keychain.set("u", &token(3500)).expect("long");
        assert_eq!(memory.names().len(), 5);
        keychain.set("u", &token(1500)).expect("shorter");
        assert_eq!(memory.names(), vec!["u", "u#1", "u#2"]);
        keychain.set("u", "short").expect("short");
        assert_eq!(memory.names(), vec!["u"]);
        keychain.set("u", &token(2500)).expect("long again");
        keychain.delete("u").expect("delete");
        assert!(memory.names().is_empty(), "{:?}", memory.names());
        assert_eq!(keychain.get("u").expect("gone"), None);
        keychain.delete("u").expect("deleting nothing is fine");
    }

    #[test]
    fn a_missing_or_altered_part_is_a_named_error_asking_to_sign_in_again() {
        let memory = MemoryKeychain::default();
        let keychain = Keychain::with(&memory);
        keychain.set("u", &token(2500)).expect("set");
        memory.lock().insert("u#2".into(), "tampered".into());
        let altered = keychain.get("u").expect_err("hash differs");
        assert_eq!(altered.code, ErrorCode::KeychainDamaged);
        assert!(altered.hint.contains("Sign in again"), "{}", altered.hint);

        keychain.set("u", &token(2500)).expect("set");
        memory.lock().remove("u#3");
        let missing = keychain.get("u").expect_err("part missing");
        assert_eq!(missing.code, ErrorCode::KeychainDamaged);
        assert!(
            missing.message.contains("part 3 of 3"),
            "{}",
            missing.message
        );

        memory.lock().insert("u".into(), "chunks:x:y".into());
        assert_eq!(
            keychain.get("u").expect_err("malformed").code,
            ErrorCode::KeychainDamaged
        );
    }
}
