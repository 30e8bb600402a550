//! The Clients figures, against the local emulator, printed as a table (asserts nothing; exits
//! non-zero only if it could not measure):
//! - connect + every tab of a 1,000-key vault: list calls (target ceil(secrets/25)), tokens (1),
//!   key value reads (0);
//! - connect → rows next to Microsoft's Python client listing the same vault, side by side in
//!   this run (target ≤ 1.3×);
//! - 10 clients × 200 keys connecting in parallel next to one client alone (target ≤ 2×).
//!
//! `cargo bench -p akv-tests --bench connect` measures the full sizes (release build);
//! `cargo test` runs it once with tiny sizes so it cannot rot.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akv_core::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use akv_core::domain::secret::SecretValue;
use akv_core::session::{AppCore, AppPaths, ClientRequest, PortfolioFilter};
use akv_core::store::azure::AzureOptions;
use akv_tests::emulator::{
    AppRegistration, DEFAULT_TENANT, Emulator, EmulatorConfig, Fault, Role, RouteKind, SeedSecret,
};
use chrono::Utc;
use tokio::runtime::Handle;

#[path = "../tests/support/keys.rs"]
mod keys;

const CLIENT: &str = "55555555-5555-4555-8555-555555555555";
const SECRET: &str = "bench-client-secret~value.1";
const RUNS: usize = 3;

struct Sizes {
    keys: usize,
    clients: usize,
    keys_per_client: usize,
}

type Failure = Box<dyn std::error::Error>;

fn main() {
    // `cargo bench` passes --bench; `cargo test` runs the same binary without it.
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = if full {
        Sizes {
            keys: 1000,
            clients: 10,
            keys_per_client: 200,
        }
    } else {
        Sizes {
            keys: 40,
            clients: 3,
            keys_per_client: 10,
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("connect bench: no runtime: {error}");
            std::process::exit(2);
        }
    };
    // The emulators run on a runtime of their own, so the CPU their threads use can be told
    // apart from the console's (see `CpuSplit`).
    let emulator_runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_name(EMULATOR_THREAD)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("connect bench: no emulator runtime: {error}");
            std::process::exit(2);
        }
    };
    let emulators = emulator_runtime.handle().clone();
    if let Err(error) = runtime.block_on(run(&sizes, &emulators)) {
        eprintln!("connect bench could not measure: {error}");
        std::process::exit(2);
    }
}

/// Thread name of the emulators' runtime (at most 15 bytes: Linux keeps no more in `comm`).
const EMULATOR_THREAD: &str = "kv-emulator";

/// An emulator (one tenant, one vault) holding `keys` console keys and five secrets of other
/// tools, started on the emulators' runtime.
async fn vault(on: &Handle, tenant: &str, keys: usize) -> Result<Emulator, Failure> {
    let tenant = tenant.to_string();
    on.spawn(async move { seeded_vault(&tenant, keys).await.map_err(|e| e.to_string()) })
        .await?
        .map_err(Failure::from)
}

async fn seeded_vault(tenant: &str, keys: usize) -> Result<Emulator, Failure> {
    let emulator = Emulator::start(EmulatorConfig {
        vault_tenant: tenant.into(),
        ..EmulatorConfig::default()
    })
    .await?;
    emulator.register_app(AppRegistration::new(
        tenant,
        CLIENT,
        SECRET,
        Some(Role::SecretsOfficer),
    ));
    for i in 0..keys {
        let vendor = ["atera", "sentinelone", "cisco-meraki"][i % 3];
        let key = keys::console_key(vendor, &format!("site-{i:05}"), (i % 120) as i64);
        keys::seed_console_key(&emulator, &key)?;
    }
    for name in [
        "ninja-legacy",
        "s1-automation",
        "backup-svc",
        "graph-report",
        "pax8-partner",
    ] {
        emulator
            .seed(name, SeedSecret::new("another tool's value"))
            .map_err(|e| format!("seed: {e:?}"))?;
    }
    Ok(emulator)
}

fn settings(emulator: &Emulator, tenant: &str, vault: &str) -> ConnectionSettings {
    ConnectionSettings {
        tenant_id: tenant.into(),
        client_id: CLIENT.into(),
        vault_name: vault.into(),
        cloud: Cloud::Custom,
        authority_host: Some(emulator.authority_host()),
        vault_url: Some(emulator.vault_url()),
        ca_pem: Some(emulator.ca_pem()),
        auth: AuthMode::AppSecret,
        home_tenant_id: None,
    }
}

fn console_pc(dir: &Path) -> AppCore {
    AppCore::new(
        AppPaths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        },
        false,
        Arc::new(|_| {}),
    )
    .with_options(AzureOptions::default(), None)
}

fn request(name: &str, settings: ConnectionSettings) -> ClientRequest {
    ClientRequest {
        id: None,
        name: name.into(),
        settings,
        client_secret: Some(SecretValue::new(SECRET)),
        method: None,
        remember: false,
    }
}

/// "Test and connect" to the Vault tab's rows on a fresh PC: token, listing, policy, audit
/// verification, then the view.
async fn connect_to_rows(emulator: &Emulator, tenant: &str) -> Result<Sample, Failure> {
    let dir = tempfile::tempdir()?;
    let core = console_pc(dir.path());
    core.set_profile("Bench Technician", None).await?;
    let sample = measured(async {
        core.save_client(request("Bench", settings(emulator, tenant, "bench-vault")))
            .await?;
        let view = core
            .vault_view(&PortfolioFilter::default(), Utc::now())
            .await?;
        if view.rows.is_empty() {
            return Err("no rows after connecting".into());
        }
        Ok(())
    })
    .await?;
    core.disconnect().await;
    Ok(sample)
}

fn venv_python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(".venv/bin/python")
}

/// Microsoft's Python client listing the same vault (token + every page), seconds as it reports.
fn python_list(emulator: &Emulator, tenant: &str) -> Result<Duration, Failure> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/list_vault.py");
    let output = std::process::Command::new(venv_python())
        .arg(script)
        .args(["--url", &emulator.vault_url()])
        .arg("--ca")
        .arg(emulator.ca_pem_path())
        .args(["--tenant", tenant, "--client-id", CLIENT])
        .args(["--client-secret", SECRET])
        .output()
        .map_err(|e| {
            format!("the Python venv is missing or broken ({e}): run scripts/python-venv.sh")
        })?;
    if !output.status.success() {
        return Err(format!(
            "list_vault.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let line = String::from_utf8_lossy(&output.stdout);
    let parsed: serde_json::Value = serde_json::from_str(line.trim())?;
    let seconds = parsed["seconds"]
        .as_f64()
        .ok_or("list_vault.py printed no seconds")?;
    Ok(Duration::from_secs_f64(seconds))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn row(figure: &str, target: &str, measured: String) {
    println!("| {figure:<58} | {target:<22} | {measured:<34} |");
}

fn tenant_of(index: usize) -> String {
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        0xbe9c_0000u32 + index as u32,
        index
    )
}

/// CPU time used so far by this process's threads: the emulators' runtime and the rest (the
/// console). Read from /proc, per thread, in nanoseconds; `None` where there is no /proc. A
/// thread that has ended is no longer counted, which the worker threads of both runtimes
/// never do during a measurement.
#[derive(Clone, Copy, Default)]
struct CpuSplit {
    console: Duration,
    emulators: Duration,
}

impl CpuSplit {
    fn now() -> Option<CpuSplit> {
        let mut split = CpuSplit::default();
        for task in std::fs::read_dir("/proc/self/task").ok()? {
            let task = task.ok()?.path();
            // A thread may end between listing and reading: skip it.
            let (Ok(name), Ok(stat)) = (
                std::fs::read_to_string(task.join("comm")),
                std::fs::read_to_string(task.join("schedstat")),
            ) else {
                continue;
            };
            let on_cpu: u64 = stat.split_whitespace().next()?.parse().ok()?;
            let on_cpu = Duration::from_nanos(on_cpu);
            if name.trim_end() == EMULATOR_THREAD {
                split.emulators += on_cpu;
            } else {
                split.console += on_cpu;
            }
        }
        Some(split)
    }

    fn since(self, earlier: CpuSplit) -> CpuSplit {
        CpuSplit {
            console: self.console.saturating_sub(earlier.console),
            emulators: self.emulators.saturating_sub(earlier.emulators),
        }
    }

    fn total(self) -> Duration {
        self.console + self.emulators
    }
}

/// One measured connect (or set of parallel connects): wall time and CPU used.
struct Sample {
    wall: Duration,
    cpu: Option<CpuSplit>,
}

/// The sample of median wall time.
fn median_sample(mut samples: Vec<Sample>) -> Sample {
    samples.sort_by_key(|s| s.wall);
    samples.swap_remove(samples.len() / 2)
}

async fn measured<F: std::future::Future<Output = Result<(), Failure>>>(
    work: F,
) -> Result<Sample, Failure> {
    let cpu_before = CpuSplit::now();
    let started = Instant::now();
    work.await?;
    let wall = started.elapsed();
    let cpu = match (CpuSplit::now(), cpu_before) {
        (Some(after), Some(before)) => Some(after.since(before)),
        _ => None,
    };
    Ok(Sample { wall, cpu })
}

/// One client alone, then every client connecting in parallel (fresh PCs; medians).
async fn many_clients(
    emulators: &[(Emulator, String)],
    sizes: &Sizes,
) -> Result<(Sample, Sample), Failure> {
    let all = PortfolioFilter::default();
    let mut alone = Vec::new();
    for _ in 0..RUNS {
        let (emulator, tenant) = &emulators[0];
        alone.push(connect_to_rows(emulator, tenant).await?);
    }
    let alone = median_sample(alone);
    let mut together = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir()?;
        let core = console_pc(dir.path());
        core.set_profile("Bench Technician", None).await?;
        let sample = measured(async {
            let results = futures::future::join_all(emulators.iter().enumerate().map(
                |(index, (emulator, tenant))| {
                    core.save_client(request(
                        &format!("Client {index:02}"),
                        settings(emulator, tenant, &format!("client-{index:02}-vault")),
                    ))
                },
            ))
            .await;
            for result in results {
                result?;
            }
            let view = core.vault_view(&all, Utc::now()).await?;
            let expected = sizes.clients * sizes.keys_per_client;
            if view.rows.len() != expected {
                return Err(format!(
                    "{} rows across clients, expected {expected}",
                    view.rows.len()
                )
                .into());
            }
            Ok(())
        })
        .await?;
        together.push(sample);
        core.disconnect().await;
    }
    Ok((alone, median_sample(together)))
}

fn millis(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}

/// The CPU a run used, split between the console and the emulators.
fn cpu_text(cpu: Option<CpuSplit>) -> String {
    match cpu {
        Some(cpu) => format!(
            "{} ({} console + {} emulators)",
            millis(cpu.total()),
            millis(cpu.console),
            millis(cpu.emulators)
        ),
        None => "not measurable here (no /proc)".into(),
    }
}

async fn run(sizes: &Sizes, emulators_on: &Handle) -> Result<(), Failure> {
    println!(
        "\nClients benchmark ({} build, {} keys; {} clients x {} keys; median of {RUNS} runs)\n",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        sizes.keys,
        sizes.clients,
        sizes.keys_per_client
    );
    println!(
        "| {:<58} | {:<22} | {:<34} |",
        "figure", "target", "measured"
    );
    println!("|{}|{}|{}|", "-".repeat(60), "-".repeat(24), "-".repeat(36));

    // Requests for connect + every tab, counted at the emulator.
    let emulator = vault(emulators_on, DEFAULT_TENANT, sizes.keys).await?;
    let secrets = sizes.keys + 5;
    emulator.reset_counters();
    let dir = tempfile::tempdir()?;
    let core = console_pc(dir.path());
    core.set_profile("Bench Technician", None).await?;
    core.save_client(request(
        "Bench",
        settings(&emulator, DEFAULT_TENANT, "bench-vault"),
    ))
    .await?;
    let all = PortfolioFilter::default();
    for _ in 0..2 {
        core.vault_view(&all, Utc::now()).await?;
        core.rotation_view(&all, Utc::now()).await?;
        core.unmanaged_view(&all).await?;
        let (console, operator) = core.console().await?;
        console.distribution_view(&operator).await?;
        console.audit_view(&operator, &Default::default())?;
        core.due_reminders().await;
    }
    core.disconnect().await;
    let value_reads = emulator
        .request_log()
        .iter()
        .filter(|r| {
            r.route == Some(RouteKind::GetSecret)
                && r.secret_name
                    .as_deref()
                    .is_some_and(|n| !n.starts_with("akv-console-"))
        })
        .count();
    row(
        &format!("list calls, connect + every tab twice ({secrets} secrets)"),
        &format!("ceil(n/25) = {}", secrets.div_ceil(25)),
        emulator.request_count(RouteKind::ListSecrets).to_string(),
    );
    // Each connect also reads the client secret's end date from Graph: one token and one GET.
    let graph_reads = emulator.request_count(RouteKind::GraphGetApplication);
    row(
        "Key Vault tokens (+ Graph tokens for the secret's end date)",
        "1 (+1)",
        format!(
            "{} (+{graph_reads})",
            emulator.request_count(RouteKind::Token) - graph_reads
        ),
    );
    row("key value reads", "0", value_reads.to_string());

    // Connect → rows, next to the Python client, alternating so both see the same machine.
    let mut console_runs = Vec::new();
    let mut python_runs = Vec::new();
    for _ in 0..RUNS {
        console_runs.push(connect_to_rows(&emulator, DEFAULT_TENANT).await?.wall);
        python_runs.push(python_list(&emulator, DEFAULT_TENANT)?);
    }
    let console_time = median(console_runs);
    let python_time = median(python_runs);
    row(
        &format!("connect -> rows, {} keys (console)", sizes.keys),
        "",
        format!("{:.0} ms", console_time.as_secs_f64() * 1000.0),
    );
    row(
        "list the same vault (Microsoft's Python client)",
        "",
        format!("{:.0} ms", python_time.as_secs_f64() * 1000.0),
    );
    row(
        "ratio console / Python",
        "<= 1.3x",
        format!(
            "{:.2}x",
            console_time.as_secs_f64() / python_time.as_secs_f64()
        ),
    );

    // Many clients in parallel, next to one alone.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut emulators = Vec::new();
    for index in 0..sizes.clients {
        let tenant = tenant_of(index);
        emulators.push((
            vault(emulators_on, &tenant, sizes.keys_per_client).await?,
            tenant,
        ));
    }
    // Without added latency every request is CPU work for this machine's cores (the emulators
    // run in this process); with a round trip like Azure's, waiting dominates, as in real use.
    for latency in [None, Some(Duration::from_millis(20))] {
        for (emulator, _) in &emulators {
            emulator.clear_faults();
            if let Some(delay) = latency {
                emulator.inject_fault(Fault::latency(delay));
            }
        }
        let label = match latency {
            None => "no added latency".to_string(),
            Some(delay) => format!("{} ms per request", delay.as_millis()),
        };
        let (alone, together) = many_clients(&emulators, sizes).await?;
        row(
            &format!("one client alone, {} keys ({label})", sizes.keys_per_client),
            "",
            millis(alone.wall),
        );
        row(
            &format!(
                "{} clients x {} keys in parallel ({label})",
                sizes.clients, sizes.keys_per_client
            ),
            "",
            millis(together.wall),
        );
        row(
            &format!("ratio parallel / alone ({label})"),
            "<= 2x",
            format!(
                "{:.2}x",
                together.wall.as_secs_f64() / alone.wall.as_secs_f64()
            ),
        );
        row("  CPU used, one client alone", "", cpu_text(alone.cpu));
        row(
            &format!("  CPU used, {} clients in parallel", sizes.clients),
            "",
            cpu_text(together.cpu),
        );
        // The emulators and the console share this machine's cores, so the parallel run
        // cannot take less than its CPU time spread over every core. Next to the ratio, this
        // tells whether the console serialises anything or the machine is simply full.
        if let Some(cpu) = together.cpu {
            let floor = (cpu.total().as_secs_f64() / cores as f64).max(alone.wall.as_secs_f64());
            row(
                &format!("  fastest possible on {cores} cores (CPU / cores)"),
                "",
                format!(
                    "{} = {:.2}x (measured: {:.2}x that)",
                    millis(Duration::from_secs_f64(floor)),
                    floor / alone.wall.as_secs_f64(),
                    together.wall.as_secs_f64() / floor
                ),
            );
        }
    }
    println!();
    Ok(())
}
