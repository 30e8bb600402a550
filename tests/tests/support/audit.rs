//! A technician PC that survives restarts, its first session, and what an attacker with the log
//! format can do to its audit log while the console is closed (shared by the audit trust tests).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use akv_core::domain::secret::SecretValue;
use akv_core::service::vault::AddKeyRequest;
use akv_core::session::{AppCore, AppPaths, ConnectRequest};
use akv_tests::emulator::Emulator;
use chrono::Utc;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{SECRET, VAULT, fast_options, settings};

/// One technician PC: its config and data folders survive "restarts" (new `AppCore`s).
pub struct Pc {
    pub dir: tempfile::TempDir,
}

impl Pc {
    pub fn new() -> Pc {
        Pc {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn start(&self) -> AppCore {
        AppCore::new(
            AppPaths {
                config_dir: self.dir.path().join("config"),
                data_dir: self.dir.path().join("data"),
            },
            false,
            Arc::new(|_| {}),
        )
        .with_options(fast_options(), None)
    }

    pub fn log(&self) -> PathBuf {
        self.dir
            .path()
            .join("data")
            .join("audit")
            .join(format!("{VAULT}.jsonl"))
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config").join("config.json")
    }

    /// `installation.json` in the local data folder: this PC's installation id.
    pub fn installation_file(&self) -> PathBuf {
        self.dir.path().join("data").join("installation.json")
    }

    pub fn installation(&self) -> String {
        let file: Value = serde_json::from_str(
            &std::fs::read_to_string(self.installation_file()).expect("installation file"),
        )
        .expect("json");
        file["installationId"]
            .as_str()
            .expect("installation id")
            .to_string()
    }
}

pub async fn connect(emulator: &Emulator, core: &AppCore, name: &str) {
    core.set_profile(name, None).await.expect("profile");
    core.connect(ConnectRequest {
        settings: settings(emulator),
        client_secret: Some(SecretValue::new(SECRET)),
        method: None,
        remember: false,
    })
    .await
    .expect("connect");
}

/// A first session: Dana becomes the vault's first Admin, adds two keys and copies one.
pub async fn first_session(emulator: &Emulator, pc: &Pc) {
    let core = pc.start();
    connect(emulator, &core, "Dana Reyes").await;
    let (console, dana) = core.console().await.expect("console");
    for (vendor, value) in [
        ("atera", "atera-value-0001"),
        ("sentinelone", "s1-value-0002"),
    ] {
        console
            .add_key(
                &dana,
                AddKeyRequest {
                    generate: None,
                    short_reason: None,
                    vendor_id: vendor.into(),
                    label: None,
                    value: Some(SecretValue::new(value)),
                    parts: Vec::new(),
                    fields: Default::default(),
                    expiry: None,
                    interval_days: None,
                    owner: String::new(),
                    note: String::new(),
                },
                Utc::now(),
            )
            .await
            .expect("add");
    }
    console
        .copy_key(&dana, "atera", |_| Ok(()))
        .await
        .expect("copy");
    core.disconnect().await;
}

pub fn anchor_name(pc: &Pc) -> String {
    format!("akv-console-audit-anchor-{}", pc.installation())
}

/// The anchor as the vault holds it: its current value and how many versions it has.
pub fn anchor_state(emulator: &Emulator, name: &str) -> (Option<String>, usize) {
    (
        emulator.secret_value(name),
        emulator
            .secret_snapshot(name)
            .map(|s| s.versions.len())
            .unwrap_or(0),
    )
}

pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("log")
        .lines()
        .map(str::to_string)
        .collect()
}

pub fn write(path: &Path, lines: &[String]) {
    std::fs::write(path, format!("{}\n", lines.join("\n"))).expect("write log");
}

/// What an attacker with the documented format can do: recompute every hash (format 2's
/// canonical form: the fields in their stored order without `hash`, compact JSON).
pub fn rehash(lines: &[String]) -> Vec<String> {
    const ORDER: [&str; 18] = [
        "v",
        "seq",
        "timestamp",
        "action",
        "vendor",
        "key_name",
        "user",
        "identity",
        "upn",
        "oid",
        "role",
        "client",
        "vault",
        "installation",
        "outcome",
        "error_code",
        "note",
        "prev_hash",
    ];
    let mut prev = "0".repeat(64);
    lines
        .iter()
        .map(|line| {
            let mut record: Value = serde_json::from_str(line).expect("json");
            record["prev_hash"] = Value::String(prev.clone());
            let canonical = ORDER
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).into()), record[*k]))
                .collect::<Vec<_>>()
                .join(",");
            let hash = hex::encode(Sha256::digest(format!("{{{canonical}}}").as_bytes()));
            prev = hash.clone();
            format!("{{{canonical},\"hash\":\"{hash}\"}}")
        })
        .collect()
}

/// Restart the PC's console, connect, and return Verify's result and the banner.
pub async fn restart_and_verify(
    emulator: &Emulator,
    pc: &Pc,
    name: &str,
) -> (AppCore, akv_core::service::trust::Verification) {
    let core = pc.start();
    connect(emulator, &core, name).await;
    let (console, operator) = core.console().await.expect("console");
    let verification = console.verify_audit(&operator).await.expect("verify");
    (core, verification)
}

/// The vault's record of the PC's installation (its segments and computer).
pub fn record_name(pc: &Pc) -> String {
    format!("akv-console-audit-installation-{}", pc.installation())
}

/// Where a tampering the vault could not record yet is kept on the PC.
pub fn pending_alert(pc: &Pc) -> PathBuf {
    pc.log().with_file_name(format!("{VAULT}.alert.json"))
}
