//! The headline figures `scripts/bench.sh` prints beside the Clients figures (connect.rs), as
//! table rows `| figure | target | measured |`. Asserts nothing; exits non-zero only if it could
//! not measure.
//! - Rotate All Due of 100 keys with 429s injected (Retry-After 1 s on 10% of writes) next to
//!   the same 100 rotations one after another (target ≤ 0.3×);
//! - the PDF report of 1,000 keys (target < 300 ms);
//! - audit verify of 100,000 entries, reading the file from disk (target < 1 s);
//! - the window (`AKV_BENCH_APP`, the release build in bench.sh): cold start from the app
//!   process's start to the first Vault rows in the page, demo mode (target < 1 s), and memory
//!   (PSS of the app and its WebKit processes) with a 1,000-key vault listed (target < 200 MB).
//!
//! `cargo bench -p akv-tests --bench headline` measures full sizes; `cargo test` runs it once
//! with tiny sizes (and the debug app) so it cannot rot.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akv_core::audit::{Actor, AuditAction, AuditLog, NewEntry};
use akv_core::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use akv_core::domain::secret::SecretValue;
use akv_core::service::rotation::RotateRequest;
use akv_core::session::{AppCore, AppPaths, BulkRequest, ClientRequest, PortfolioFilter};
use akv_core::store::azure::AzureOptions;
use akv_tests::e2e::{App, Launch, Profile, app_binary};
use akv_tests::emulator::{
    AppRegistration, DEFAULT_TENANT, Emulator, EmulatorConfig, Fault, Role, RouteKind,
};
use chrono::Utc;

#[path = "../tests/support/keys.rs"]
mod keys;

const CLIENT: &str = "66666666-6666-4666-8666-666666666666";
const SECRET: &str = "headline-client-secret~value.1";
const VAULT: &str = "headline-vault";
const IDENTIFIER: &str = "com.msp.apikeyvaultconsole";

type Failure = Box<dyn std::error::Error + Send + Sync>;

struct Sizes {
    rotate: usize,
    report_keys: usize,
    audit_entries: u64,
    window_keys: usize,
}

fn row(figure: &str, target: &str, measured: String) {
    println!("| {figure:<58} | {target:<22} | {measured:<34} |");
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = if full {
        Sizes {
            rotate: 100,
            report_keys: 1000,
            audit_entries: 100_000,
            window_keys: 1000,
        }
    } else {
        Sizes {
            rotate: 10,
            report_keys: 30,
            audit_entries: 2_000,
            window_keys: 30,
        }
    };
    // The memory figure's keychain (a private D-Bus session with GNOME Keyring), set up before
    // anything else runs: every console started in this process (the Rotate All Due and PDF
    // figures' too) reads its installation id from the keychain, and the D-Bus address must be the
    // private session's from the first use on.
    let memory_profile = match Profile::new("bench-memory") {
        Ok(profile) => profile,
        Err(error) => {
            eprintln!("headline bench: no keychain session: {error}");
            std::process::exit(2);
        }
    };
    for (name, value) in memory_profile.env() {
        if name == "DBUS_SESSION_BUS_ADDRESS" {
            // SAFETY: set before the runtime and any other thread exist.
            unsafe { std::env::set_var(name, value) };
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("headline bench: no runtime: {error}");
            std::process::exit(2);
        }
    };
    if let Err(error) = runtime.block_on(run(&sizes, &memory_profile)) {
        eprintln!("headline bench could not measure: {error}");
        std::process::exit(2);
    }
}

async fn vault(keys: usize, days_ago: i64) -> Result<Emulator, Failure> {
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    emulator.register_app(AppRegistration::new(
        DEFAULT_TENANT,
        CLIENT,
        SECRET,
        Some(Role::SecretsOfficer),
    ));
    for i in 0..keys {
        // Single-part vendors, so Rotate All Due can generate their new values.
        let vendor = ["atera", "sentinelone"][i % 2];
        let key = keys::console_key(vendor, &format!("site-{i:05}"), days_ago + (i % 30) as i64);
        keys::seed_console_key(&emulator, &key)?;
    }
    Ok(emulator)
}

fn settings(emulator: &Emulator) -> ConnectionSettings {
    ConnectionSettings {
        tenant_id: DEFAULT_TENANT.into(),
        client_id: CLIENT.into(),
        vault_name: VAULT.into(),
        cloud: Cloud::Custom,
        authority_host: Some(emulator.authority_host()),
        vault_url: Some(emulator.vault_url()),
        ca_pem: Some(emulator.ca_pem()),
        auth: AuthMode::AppSecret,
        home_tenant_id: None,
    }
}

fn request(emulator: &Emulator, remember: bool) -> ClientRequest {
    ClientRequest {
        id: None,
        name: "Headline Client".into(),
        settings: settings(emulator),
        client_secret: Some(SecretValue::new(SECRET)),
        method: None,
        remember,
    }
}

async fn connected(dir: &Path, emulator: &Emulator) -> Result<AppCore, Failure> {
    let core = AppCore::new(
        AppPaths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        },
        false,
        Arc::new(|_| {}),
    )
    .with_options(AzureOptions::default(), None);
    core.set_profile("Bench Technician", None).await?;
    core.save_client(request(emulator, false)).await?;
    Ok(core)
}

fn rotate(name: &str) -> RotateRequest {
    RotateRequest {
        secret_name: name.to_string(),
        generate: true,
        ..Default::default()
    }
}

/// Every key of the vault is due (last rotated 100+ days ago, 90-day interval).
async fn rotate_all_due(sizes: &Sizes) -> Result<(Duration, Duration, usize, usize), Failure> {
    let throttled = |emulator: &Emulator| {
        emulator.inject_fault(
            Fault::throttle(1)
                .on_route(RouteKind::SetSecret)
                .with_probability(0.1),
        )
    };
    // Side by side on two identical vaults: the batch, and one rotation after another.
    let batch_vault = vault(sizes.rotate, 100).await?;
    let dir = tempfile::tempdir()?;
    let core = connected(dir.path(), &batch_vault).await?;
    let client_id = core.status().await.clients[0].id.clone();
    let names: Vec<String> = core
        .rotation_view(&PortfolioFilter::default(), Utc::now())
        .await?
        .rows
        .into_iter()
        .map(|r| r.secret_name)
        .collect();
    throttled(&batch_vault);
    let started = Instant::now();
    let result = core
        .rotate_all_due(
            names
                .iter()
                .map(|name| BulkRequest {
                    client_id: client_id.clone(),
                    request: rotate(name),
                })
                .collect(),
            Utc::now(),
            |_| {},
        )
        .await?;
    let batch = started.elapsed();
    if result.succeeded != names.len() {
        let errors: Vec<String> = result
            .items
            .iter()
            .filter_map(|item| item.error.as_ref().map(|e| e.message.clone()))
            .collect();
        return Err(format!(
            "{} of {} rotated: {errors:?}",
            result.succeeded,
            names.len()
        )
        .into());
    }
    let throttles = batch_vault
        .request_log()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    core.disconnect().await;

    let one_by_one_vault = vault(sizes.rotate, 100).await?;
    let dir = tempfile::tempdir()?;
    let core = connected(dir.path(), &one_by_one_vault).await?;
    let (console, operator) = core.console().await?;
    throttled(&one_by_one_vault);
    let started = Instant::now();
    for name in &names {
        console
            .rotate_key(&operator, rotate(name), false, Utc::now())
            .await?;
    }
    let sequential = started.elapsed();
    let sequential_throttles = one_by_one_vault
        .request_log()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    core.disconnect().await;
    Ok((batch, sequential, throttles, sequential_throttles))
}

async fn report(sizes: &Sizes) -> Result<(Duration, usize), Failure> {
    let emulator = vault(sizes.report_keys, 10).await?;
    let dir = tempfile::tempdir()?;
    let core = connected(dir.path(), &emulator).await?;
    let mut samples = Vec::new();
    let mut bytes = 0;
    for _ in 0..3 {
        let started = Instant::now();
        bytes = core
            .report_pdf(&PortfolioFilter::default(), Utc::now())
            .await?
            .len();
        samples.push(started.elapsed());
    }
    samples.sort();
    core.disconnect().await;
    Ok((samples[1], bytes))
}

/// Build the log through the public API (batches, one fsync each), then time what Verify does:
/// read the file from disk and check every entry against the anchor.
fn audit_verify(entries: u64) -> Result<Duration, Failure> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.audit.jsonl");
    let actor = Actor {
        user: "Dana Reyes".into(),
        role: "Admin".into(),
        identity: Some("entra".into()),
        upn: Some("dana@contoso.com".into()),
        oid: Some("00000000-0000-4000-8000-00000000d4a4".into()),
    };
    let (mut log, _) = AuditLog::open(&path)?;
    let mut next = 0;
    while next < entries {
        let end = (next + 1000).min(entries);
        let batch = (next..end)
            .map(|i| {
                NewEntry::new(AuditAction::Rotate)
                    .vendor("NinjaOne")
                    .key_name(format!("ninjaone--site-{i:05}"))
                    .note("Rotated by schedule; new expiry in 90 days")
            })
            .collect();
        log.append_batch(batch, &actor, Utc::now())?;
        next = end;
    }
    let anchor = log.head().ok_or("empty log")?;
    drop(log);
    let started = Instant::now();
    let (log, _) = AuditLog::open(&path)?;
    let report = log.verify(Some(&anchor));
    let elapsed = started.elapsed();
    if !report.intact || report.entries_checked != entries {
        return Err(format!("the bench log did not verify: {}", report.summary).into());
    }
    Ok(elapsed)
}

/// Parent pid of every process, from /proc.
fn process_tree() -> HashMap<u32, u32> {
    let mut parents = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name may hold spaces and parentheses: fields follow the last ')'.
        if let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest)
            && let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok())
        {
            parents.insert(pid, ppid);
        }
    }
    parents
}

fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

/// The pid of the process running `binary`, among `parents`' processes.
fn app_pid(binary: &Path, parents: &HashMap<u32, u32>) -> Result<u32, Failure> {
    let wanted = std::fs::canonicalize(binary)?;
    parents
        .keys()
        .copied()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == wanted))
        .ok_or_else(|| "the app process was not found".into())
}

/// PSS of the app process (started from `binary`) and all its descendants (WebKit's web and
/// network processes), in MiB, with each process's share.
fn app_memory(binary: &Path) -> Result<(f64, String), Failure> {
    let parents = process_tree();
    let app = app_pid(binary, &parents)?;
    let mut members = vec![app];
    let mut index = 0;
    while index < members.len() {
        let parent = members[index];
        members.extend(
            parents
                .iter()
                .filter(|(_, p)| **p == parent)
                .map(|(c, _)| *c),
        );
        index += 1;
    }
    let mut parts = Vec::new();
    let mut total = 0;
    for pid in members {
        let kib = pss_kib(pid);
        total += kib;
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        parts.push(format!("{} {:.0}", name.trim(), kib as f64 / 1024.0));
    }
    Ok((total as f64 / 1024.0, parts.join(", ")))
}

/// How long ago a process started, in milliseconds, from the clock since boot (its start in
/// clock ticks, USER_HZ = 100 on Linux, so to within 10 ms). Not from wall-clock times: this VM's
/// wall clock and its boot clock drift apart when it is paused.
fn process_age_ms(pid: u32) -> Result<f64, Failure> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks: f64 = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
        .and_then(|t| t.parse().ok())
        .ok_or("no start time in /proc/PID/stat")?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")?
        .split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or("no /proc/uptime")?;
    Ok(uptime * 1000.0 - ticks * 10.0)
}

/// From the app process starting to the first Vault rows in the page: the UI sets the performance
/// mark `akv:first-rows` once they are in the DOM. The page says how long ago that was, and /proc
/// how long ago the process started; the difference is the start-up.
async fn app_start_to_first_rows(app: &App, binary: &Path) -> Result<Duration, Failure> {
    let pid = app_pid(binary, &process_tree())?;
    // The mark is set by an effect after the rows render, so it can trail them by a moment.
    for _ in 0..40 {
        let mark_age = app
            .eval(
                "const mark = performance.getEntriesByName('akv:first-rows')[0];\n\
                 return mark ? performance.now() - mark.startTime : null;",
            )
            .await
            .map_err(|e| e.to_string())?
            .as_f64();
        if let Some(mark_age) = mark_age {
            let millis = process_age_ms(pid)? - mark_age;
            if millis <= 0.0 {
                return Err(
                    format!("rows in the page {millis:.0} ms after the process started").into(),
                );
            }
            return Ok(Duration::from_secs_f64(millis / 1000.0));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the page has no akv:first-rows mark".into())
}

/// The window's memory settings measured in turn: `AKV_WEBVIEW_TUNING` and the row's words.
const MEMORY_STEPS: [(&str, &str); 3] = [
    ("default", "WebKit's own settings"),
    ("cache", "+ document-viewer cache"),
    ("console", "+ no GPU compositing"),
];

/// Cold start, and memory with a big vault listed: WebKit's own settings, then the console's cache
/// model alone, then the console's whole tuning (cache model and no GPU compositing).
#[allow(clippy::type_complexity)]
async fn window(
    sizes: &Sizes,
    memory_profile: &Profile,
) -> Result<(Duration, Duration, Vec<(f64, String)>), Failure> {
    let binary = match std::env::var_os("AKV_BENCH_APP") {
        Some(path) => PathBuf::from(path),
        None => app_binary().map_err(|e| e.to_string())?,
    };
    let _serial = akv_tests::e2e::exclusive().await;

    // Cold start: measured from the app process's own start (below); the harness's view, from
    // starting the display and the driver, is printed next to it.
    let profile = Profile::new("bench-start").map_err(|e| e.to_string())?;
    let started = Instant::now();
    let app = App::launch(
        "bench-start",
        &profile,
        Launch::demo().with_binary(binary.clone()),
    )
    .await
    .map_err(|e| e.to_string())?;
    app.eventually("demo rows", Duration::from_secs(30), || async {
        // Three demo clients open on the client overview (its rows set the same mark).
        Ok(app
            .count("[data-testid=vault-row], [data-testid=overview-row]")
            .await?
            > 0)
    })
    .await
    .map_err(|e| e.to_string())?;
    let through_driver = started.elapsed();
    let start = app_start_to_first_rows(&app, &binary).await?;
    app.quit().await;

    // Memory: a remembered client with a big vault connects at start (no typing).
    let emulator = vault(sizes.window_keys, 10).await?;
    {
        let core = AppCore::new(
            AppPaths {
                config_dir: memory_profile.home.join(".config").join(IDENTIFIER),
                data_dir: memory_profile.home.join(".local/share").join(IDENTIFIER),
            },
            false,
            Arc::new(|_| {}),
        );
        core.set_profile("Bench Technician", None).await?;
        core.save_client(request(&emulator, true)).await?;
        core.disconnect().await;
    }
    // Before and after each web view setting, in one run (`AKV_WEBVIEW_TUNING`).
    let mut memory = Vec::new();
    for (tuning, _) in MEMORY_STEPS {
        let app = App::launch(
            "bench-memory",
            memory_profile,
            Launch::default()
                .with_binary(binary.clone())
                .with_env("AKV_WEBVIEW_TUNING", tuning.to_string()),
        )
        .await
        .map_err(|e| e.to_string())?;
        let expected = format!("{} keys stored", sizes.window_keys);
        app.eventually("the big vault listed", Duration::from_secs(60), || async {
            Ok(app
                .text("[data-testid=vault-tab]")
                .await
                .unwrap_or_default()
                .contains(&expected))
        })
        .await
        .map_err(|e| e.to_string())?;
        // Let the web process settle (layout, images) before reading memory.
        tokio::time::sleep(Duration::from_secs(2)).await;
        memory.push(app_memory(&binary)?);
        app.quit().await;
    }
    Ok((start, through_driver, memory))
}

async fn run(sizes: &Sizes, memory_profile: &Profile) -> Result<(), Failure> {
    let (batch, sequential, throttles, sequential_throttles) = rotate_all_due(sizes).await?;
    row(
        &format!(
            "Rotate All Due, {} keys, 429 on 10% of writes vs one by one",
            sizes.rotate
        ),
        "≤ 0.3×",
        format!(
            "{:.2} s vs {:.2} s = {:.2}× ({throttles}/{sequential_throttles} 429s)",
            batch.as_secs_f64(),
            sequential.as_secs_f64(),
            batch.as_secs_f64() / sequential.as_secs_f64().max(f64::MIN_POSITIVE)
        ),
    );
    let (pdf, bytes) = report(sizes).await?;
    row(
        &format!("PDF report of {} keys (median of 3)", sizes.report_keys),
        "< 300 ms",
        format!("{:.0} ms, {} KB", pdf.as_secs_f64() * 1000.0, bytes / 1024),
    );
    let entries = sizes.audit_entries;
    let verify = tokio::task::spawn_blocking(move || audit_verify(entries)).await??;
    row(
        &format!("audit verify of {entries} entries (read from disk + verify)"),
        "< 1 s",
        format!("{:.0} ms", verify.as_secs_f64() * 1000.0),
    );
    let (start, through_driver, memory) = window(sizes, memory_profile).await?;
    row(
        "cold start: app process start to first Vault rows in the page (demo, Xvfb)",
        "< 1 s",
        format!("{:.2} s", start.as_secs_f64()),
    );
    row(
        "the same, from starting Xvfb and tauri-driver to rows seen by WebDriver",
        "",
        format!("{:.2} s", through_driver.as_secs_f64()),
    );
    for ((mib, parts), (_, cache)) in memory.iter().zip(MEMORY_STEPS) {
        row(
            &format!(
                "memory, {} keys listed (PSS app+web+network), {cache}",
                sizes.window_keys
            ),
            "< 200 MB",
            format!("{mib:.0} MB ({parts})"),
        );
    }
    Ok(())
}
