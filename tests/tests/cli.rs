//! `akv-console`, the headless companion, against the emulator: the client the window remembered
//! (config file and keychain) is used as is; `status` exit codes at the 14-day and expiry
//! boundaries; the JSON schema; the PDF and CSV files; `audit verify` on an intact and a
//! tampered log; audit entries naming the program; no secret value in any output. Its own test
//! binary: it runs a private D-Bus session with GNOME Keyring for the keychain. Multi-threaded:
//! the emulator keeps answering while the test waits for the CLI process.
//!
//! The Windows lane (scripts/windows-lane.sh) runs this same test against the Windows build:
//! `AKV_CLI_EXE` names `akv-console.exe` and `AKV_CLI_RUNNER` the `wine64` that runs it, in the
//! Wine prefix `WINEPREFIX`. The test then writes the window's files where Windows keeps them
//! (config in the prefix's AppData\Roaming, installation id and audit logs in AppData\Local;
//! the audit log starts in Roaming as older consoles left it, and the CLI moves it) and copies the remembered secret into Wine's Credential
//! Manager with `AKV_CLI_CREDWRITE` (scripts/windows/credwrite.c).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use akv_core::config::{self, KeychainItem};
use akv_core::domain::connection::ConnectionSettings;
use akv_core::domain::keys::{KeyRecord, expiry_from_date};
use akv_core::session::{AppCore, AppPaths};
use akv_tests::e2e::{Profile, cli_binary};
use chrono::{Duration, Utc};
use serde_json::Value;
use support::clients::client;
use support::keys::{console_key, seed_console_key};
use support::*;

const IDENTIFIER: &str = "com.msp.apikeyvaultconsole";

struct Pc {
    profile: Profile,
    binary: PathBuf,
    /// Set when the CLI under test is the Windows build, run under Wine.
    wine: Option<Wine>,
    /// Every stdout and stderr the CLI printed, to search for secret values at the end.
    printed: String,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The Windows `akv-console.exe` and what runs it on this Linux machine.
struct Wine {
    runner: PathBuf,
    prefix: PathBuf,
    credwrite: PathBuf,
}

impl Wine {
    /// From the Windows lane's environment; `None` (the Linux build) when `AKV_CLI_EXE` is unset.
    fn from_env() -> Option<(PathBuf, Wine)> {
        let exe = PathBuf::from(std::env::var_os("AKV_CLI_EXE")?);
        let var = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .unwrap_or_else(|| panic!("AKV_CLI_EXE is set, so {name} must be too (scripts/windows-lane.sh sets both)"))
        };
        Some((
            exe,
            Wine {
                runner: var("AKV_CLI_RUNNER"),
                prefix: var("WINEPREFIX"),
                credwrite: var("AKV_CLI_CREDWRITE"),
            },
        ))
    }

    /// The Wine user's AppData (Wine names the user's folder after the Unix user): the Windows
    /// CLI's `dirs::config_dir()` is its Roaming folder, `dirs::data_local_dir()` its Local one.
    fn app_data(&self) -> PathBuf {
        let users = self.prefix.join("drive_c").join("users");
        std::fs::read_dir(&users)
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (the Wine prefix is not initialised)",
                    users.display()
                )
            })
            .flatten()
            .map(|entry| entry.path())
            .find(|path| path.join("AppData").join("Roaming").is_dir() && !path.ends_with("Public"))
            .unwrap_or_else(|| {
                panic!(
                    "no user folder with AppData\\Roaming in {}",
                    users.display()
                )
            })
            .join("AppData")
    }

    fn env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        vec![
            ("WINEPREFIX", self.prefix.clone().into_os_string()),
            ("WINEDEBUG", "-all".into()),
            ("WINEDLLOVERRIDES", "mscoree,mshtml=".into()),
        ]
    }

    /// Put the secret the (Linux) window remembered into Wine's Credential Manager under the
    /// name the keyring crate gives it on Windows: `{user}.{service}`.
    fn remember(&self, settings: &ConnectionSettings, secret: &str) {
        let user = config::keychain_name(settings, KeychainItem::ClientSecret);
        let mut child = Command::new(&self.runner)
            .arg(&self.credwrite)
            .arg(format!("{user}.{IDENTIFIER}"))
            .arg(&user)
            .envs(self.env())
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("credwrite.exe starts under Wine");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin is piped");
            stdin
                .write_all(secret.as_bytes())
                .expect("secret written to credwrite");
        }
        let status = child.wait().expect("credwrite.exe ends");
        assert!(status.success(), "credwrite.exe failed: {status}");
    }
}

impl Pc {
    fn paths(&self) -> AppPaths {
        match &self.wine {
            Some(wine) => AppPaths {
                config_dir: wine.app_data().join("Roaming").join(IDENTIFIER),
                data_dir: wine.app_data().join("Local").join(IDENTIFIER),
            },
            None => AppPaths {
                config_dir: self.profile.home.join(".config").join(IDENTIFIER),
                data_dir: self.profile.home.join(".local/share").join(IDENTIFIER),
            },
        }
    }

    /// Under Wine the CLI reads Wine's Credential Manager, which the Linux side of this test
    /// cannot write: copy every secret the window remembered there.
    fn hand_remembered_secrets_to_wine(&self) {
        let Some(wine) = &self.wine else { return };
        let console = config::load(&self.paths().config_dir).expect("the window's config");
        for client in &console.clients {
            if let Some(secret) = config::load_secret(&client.settings, KeychainItem::ClientSecret)
                .expect("the Secret Service answers")
            {
                wine.remember(&client.settings, secret.expose());
            }
        }
    }

    fn run(&mut self, args: &[&str]) -> Run {
        let mut command = match &self.wine {
            Some(wine) => {
                let mut command = Command::new(&wine.runner);
                command.arg(&self.binary);
                command
            }
            None => Command::new(&self.binary),
        };
        let Output {
            status,
            stdout,
            stderr,
        } = command
            .args(args)
            .env_clear()
            .envs(self.profile.env())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.wine.as_ref().map(Wine::env).unwrap_or_default())
            .output()
            .expect("akv-console runs");
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        };
        self.printed.push_str(&run.stdout);
        self.printed.push_str(&run.stderr);
        run
    }

    fn status(&mut self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["status", "--json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        let json: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!("status --json is JSON ({e}): {}{}", run.stdout, run.stderr)
        });
        (run.code, json)
    }
}

fn seed(emulator: &akv_tests::emulator::Emulator, record: KeyRecord) {
    seed_console_key(emulator, &record).expect("seeded");
}

fn audit_logs(dir: &Path) -> Vec<PathBuf> {
    let mut logs = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                logs.push(path);
            }
        }
    }
    logs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headless_companion_reports_what_the_window_would() {
    let profile = Profile::new("cli").expect("a private keychain");
    for (name, value) in profile.env() {
        if name == "DBUS_SESSION_BUS_ADDRESS" || name.starts_with("XDG_") || name == "HOME" {
            // SAFETY: the only test of this binary, set before any thread reads the variable.
            unsafe { std::env::set_var(name, value) };
        }
    }
    let (binary, wine) = match Wine::from_env() {
        Some((exe, wine)) => (exe, Some(wine)),
        None => (cli_binary().expect("akv-console is built"), None),
    };
    let mut pc = Pc {
        binary,
        wine,
        profile,
        printed: String::new(),
    };
    // A Wine prefix outlives the run (its AppData is not the throw-away home): start clean.
    for dir in [pc.paths().config_dir, pc.paths().data_dir] {
        assert!(
            !dir.exists(),
            "{} is left from an earlier run: remove it (scripts/windows-lane.sh does)",
            dir.display()
        );
    }
    let emulator = emulator().await;

    // The window, on this PC: Dana connects Contoso and ticks Remember, then closes.
    {
        let core =
            AppCore::new(pc.paths(), false, Arc::new(|_| {})).with_options(fast_options(), None);
        core.set_profile("Dana Reyes", None).await.expect("profile");
        // Set once in the window's profile; the CLI's reports carry it too.
        core.set_msp_name("Northwind IT Services")
            .expect("the MSP's name");
        core.save_client(client("Contoso Dental", settings(&emulator), SECRET, true))
            .await
            .expect("contoso connects and is remembered");
        core.disconnect().await;
    }
    pc.hand_remembered_secrets_to_wine();
    // Windows: consoles before this one kept the audit logs in Roaming; the CLI's first start
    // moves them to Local, where the window now keeps them.
    let roaming_audit = pc.wine.as_ref().map(|wine| {
        wine.app_data()
            .join("Roaming")
            .join(IDENTIFIER)
            .join("audit")
    });
    if let Some(roaming_audit) = &roaming_audit {
        std::fs::rename(pc.paths().data_dir.join("audit"), roaming_audit)
            .expect("the window's log, as an older console left it");
    }

    // Help for every command; a wrong command line is 64, not a monitor level.
    for args in [
        &["--help"][..],
        &["status", "--help"],
        &["report", "--help"],
        &["export", "--help"],
        &["audit", "verify", "--help"],
        &["clients", "--help"],
    ] {
        let run = pc.run(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(run.stdout.contains("Usage: akv-console"), "{args:?}");
    }
    assert_eq!(pc.run(&["status", "--fail-on", "soon"]).code, 64);

    let clients = pc.run(&["clients"]);
    assert_eq!(clients.code, 0);
    if let Some(roaming_audit) = &roaming_audit {
        assert!(!roaming_audit.exists(), "moved out of Roaming");
        assert_eq!(audit_logs(&pc.paths().data_dir).len(), 1, "moved to Local");
    }
    assert!(clients.stdout.contains("Contoso Dental") && clients.stdout.contains(VAULT));

    // An empty vault: nothing to alert on.
    let (code, json) = pc.status(&[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["schema"], "akv-console.status/4");
    assert_eq!(json["level"], "ok");

    // Due in 15 days is healthy: exit 0.
    seed(&emulator, console_key("ninjaone", "rmm", 75));
    let (code, json) = pc.status(&[]);
    assert_eq!(code, 0, "{json}");
    let keys = &json["clients"][0]["keys"];
    assert_eq!(keys.as_array().map(Vec::len), Some(1));
    assert_eq!(keys[0]["status"], "healthy");
    assert_eq!(keys[0]["daysToDue"], 15);

    // Due in exactly 14 days is due soon: a warning, unless only overdue counts.
    seed(&emulator, console_key("atera", "psa", 76));
    let (code, json) = pc.status(&[]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["level"], "warning");
    assert_eq!(json["alertingKeys"], 1);
    assert_eq!(pc.status(&["--fail-on", "overdue"]).0, 0);

    // A key that expires today (end of day) is due soon; one that expired yesterday is expired.
    let mut today = console_key("huntress", "edr", 1);
    today.expires = Some(expiry_from_date(Utc::now().date_naive()));
    seed(&emulator, today);
    assert_eq!(pc.status(&["--fail-on", "expired"]).0, 0);
    assert_eq!(pc.status(&[]).0, 1);
    let mut yesterday = console_key("mimecast", "mail", 1);
    yesterday.expires = Some(expiry_from_date(
        Utc::now().date_naive() - Duration::days(1),
    ));
    seed(&emulator, yesterday);
    let (code, json) = pc.status(&["--fail-on", "expired"]);
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["alertingKeys"], 1, "only the expired key alerts");
    let (code, json) = pc.status(&[]);
    assert_eq!(code, 2);
    assert_eq!(json["alertingKeys"], 3);
    let client_json = &json["clients"][0];
    assert_eq!(client_json["name"], "Contoso Dental");
    assert_eq!(client_json["vault"], VAULT);
    assert_eq!(client_json["counts"]["expired"], 1);
    assert_eq!(client_json["counts"]["dueSoon"], 2);
    for key in client_json["keys"].as_array().expect("keys") {
        for field in [
            "vendorId",
            "vendorName",
            "secretName",
            "status",
            "statusReason",
            "statusText",
            "about",
            "urgency",
            "rotationText",
            "expiryText",
            "needsRotation",
            "level",
        ] {
            assert!(!key[field].is_null(), "{field} in {key}");
        }
        assert!(
            key["maskedPreview"]
                .as_str()
                .is_some_and(|p| p.contains('•')),
            "masked preview only: {key}"
        );
    }

    // Overdue: critical with --fail-on overdue.
    seed(&emulator, console_key("datto-rmm", "rmm", 120));
    assert_eq!(pc.status(&["--fail-on", "overdue"]).0, 2);

    // The table says the same for people.
    let table = pc.run(&["status", "--client", "contoso"]);
    assert_eq!(table.code, 2);
    assert!(table.stdout.contains("Expired") && table.stdout.contains("Mimecast"));
    // Which date each status is about, in the window's words.
    assert!(
        table.stdout.contains("Rotation overdue 30 d"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("Expired 1 d ago"), "{}", table.stdout);
    assert!(
        table
            .stdout
            .contains("1 expired, 1 rotation overdue, 2 due within 14 days"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("CRITICAL"));

    // An unknown client is a named error on stderr (exit 3), nothing on stdout.
    let unknown = pc.run(&["status", "--client", "Northwind"]);
    assert_eq!(unknown.code, 3);
    assert!(unknown.stdout.is_empty());
    assert!(unknown.stderr.contains("invalid-input") && unknown.stderr.contains("Contoso Dental"));

    // Report and export files.
    let out = tempfile::tempdir().expect("tempdir");
    let pdf = out.path().join("report.pdf");
    let run = pc.run(&["report", "--pdf", pdf.to_str().expect("utf-8 path")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = std::fs::read(&pdf).expect("the PDF was written");
    assert!(bytes.starts_with(b"%PDF"));
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let text = String::from_utf8_lossy(&text.stdout);
    // A document for the client: who prepared it for whom, the log verified against the
    // vault's anchor, the exceptions before the full table.
    assert!(
        text.contains("Prepared by Northwind IT Services for Contoso Dental"),
        "{text}"
    );
    let verified = text
        .lines()
        .find(|l| l.starts_with("Audit log verified:"))
        .unwrap_or_else(|| panic!("no verification line in the CLI's PDF:\n{text}"));
    assert!(
        verified.contains("matching the head anchored in the vault"),
        "{verified}"
    );
    let exceptions = text
        .find("Exceptions: keys that need action")
        .expect("exceptions");
    let table = text
        .find("All stored keys, most urgent first")
        .expect("key table");
    assert!(
        exceptions < table,
        "the exceptions come before the full table"
    );
    for vendor in [
        "NinjaOne",
        "Atera",
        "Huntress",
        "Mimecast",
        "Datto RMM",
        "Contoso Dental",
    ] {
        assert!(text.contains(vendor), "{vendor} in the PDF");
    }
    let csv = out.path().join("keys.csv");
    let run = pc.run(&["export", "--csv", csv.to_str().expect("utf-8 path")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let csv_text = std::fs::read_to_string(&csv).expect("the CSV was written");
    assert!(
        csv_text
            .lines()
            .next()
            .is_some_and(|h| h.contains("Client"))
    );
    assert!(csv_text.contains("Contoso Dental") && csv_text.contains("mimecast--mail"));
    // A folder where the file should go: a named error with a hint, exit 3.
    let run = pc.run(&["export", "--csv", out.path().to_str().expect("utf-8 path")]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);

    // Audit: intact, and every CLI connect, report and export is in the log.
    let run = pc.run(&["audit", "verify"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let logs = audit_logs(&pc.paths().data_dir);
    assert_eq!(logs.len(), 1, "{logs:?}");
    let log = std::fs::read_to_string(&logs[0]).expect("log");
    assert!(
        log.contains("from akv-console"),
        "connects name the program"
    );
    assert!(log.contains("\"report\""), "the report is audited");
    assert!(log.contains("\"export\""), "the export is audited");

    // Someone edits an old entry while no console runs: verify says so, exit 2.
    let tampered = log.replacen("Dana Reyes", "Dana Reyez", 1);
    assert_ne!(tampered, log);
    std::fs::write(&logs[0], tampered).expect("tamper");
    let run = pc.run(&["audit", "verify", "--json"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let verify: Value = serde_json::from_str(&run.stdout).expect("verify --json is JSON");
    assert_eq!(verify["level"], "critical");
    assert_eq!(verify["clients"][0]["intact"], false);
    // The next run says so again: nothing re-anchors the tampering away.
    assert_eq!(pc.run(&["audit", "verify"]).code, 2);

    // While the window has the client open, the CLI says so instead of forking the log. Not
    // under Wine: the window here is a Linux process holding a flock(2), and the CLI's
    // LockFileEx under Wine does not see it (tried: the CLI went on and exited 2); on Windows
    // the window and the CLI both take the same LockFileEx lock.
    if pc.wine.is_none() {
        let window =
            AppCore::new(pc.paths(), false, Arc::new(|_| {})).with_options(fast_options(), None);
        window.connect_all().await;
        let busy = pc.run(&["status"]);
        assert_eq!(busy.code, 3, "{}{}", busy.stdout, busy.stderr);
        assert!(
            busy.stdout.contains("Close the other console window"),
            "{}{}",
            busy.stdout,
            busy.stderr
        );
        window.disconnect().await;
    }

    // Tags are anyone's to write: a preview holding an OSC title sequence, a screen clear, an
    // 8-bit CSI and DEL is printed inert, in the table and in JSON.
    let mut hostile = console_key("sophos-central", "edr", 10);
    hostile.masked_preview = "ab\u{1b}]0;pwned\u{7}\u{1b}[2J••\u{9b}31m\u{7f}5f2a".into();
    hostile.owner = "Mallory\r\nOK: no key needs attention".into();
    seed(&emulator, hostile);
    let table = pc.run(&["status"]);
    let json_run = pc.run(&["status", "--json"]);
    for run in [&table, &json_run] {
        let printed = format!("{}{}", run.stdout, run.stderr);
        assert!(
            !printed
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "a control character reached the terminal: {printed:?}"
        );
    }
    // The table's preview column is 18 characters wide. The CLI runs with no locale (as under
    // cron or an RMM agent), so its tables are ASCII: "•" is "*", the cut is "...".
    assert!(
        table.stdout.is_ascii() && table.stderr.is_ascii(),
        "{}{}",
        table.stdout,
        table.stderr
    );
    assert!(
        table.stdout.contains("ab]0;pwned[2J**..."),
        "{}",
        table.stdout
    );
    let json: Value = serde_json::from_str(&json_run.stdout).expect("still JSON");
    let previews: Vec<String> = json["clients"][0]["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["maskedPreview"].as_str().map(str::to_string))
        .collect();
    assert!(
        previews.iter().any(|p| p == "ab]0;pwned[2J••31m5f2a"),
        "{previews:?}"
    );

    // Never a value: not the client secret, not a key's value.
    assert!(
        !pc.printed.contains(SECRET),
        "the client secret was printed"
    );
    assert!(!pc.printed.contains("value-of-"), "a key value was printed");
}
