//! The tenants figure of issue 20, against the local emulator, printed as a table (asserts
//! nothing; exits non-zero only if it could not measure): after one interactive sign-in at the
//! MSP's home tenant, the time until 20 clients in 20 client tenants are connected (each a token
//! redemption at its tenant's endpoint, then the vault's list), next to one client alone on the
//! same sign-in. One Entra emulator plays every tenant; each client has its own vault emulator
//! with 25 console keys.
//!
//! `cargo bench -p akv-tests --bench tenants` measures 20 clients; `cargo test` runs it once
//! with 3 so it cannot rot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use akv_core::session::AppCore;
use akv_core::store::azure::AzureOptions;

#[path = "../tests/support/keys.rs"]
mod keys;
#[path = "../tests/support/msp.rs"]
mod msp;
#[path = "../tests/support/msp_vaults.rs"]
mod msp_vaults;

const RUNS: usize = 3;
const KEYS_PER_VAULT: usize = 25;

type Failure = Box<dyn std::error::Error>;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let clients = if full { 20 } else { 3 };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tenants bench: no runtime: {error}");
            std::process::exit(2);
        }
    };
    if let Err(error) = runtime.block_on(run(clients)) {
        eprintln!("tenants bench could not measure: {error}");
        std::process::exit(2);
    }
}

async fn run(clients: usize) -> Result<(), Failure> {
    // Tenant 0 is where each console signs in (its client is connected first, untimed); the
    // clients measured are tenants 1..=clients.
    let msp = msp_vaults::msp_with_vaults(clients + 1).await;
    for vault in &msp.vaults {
        for i in 0..KEYS_PER_VAULT {
            let vendor = ["atera", "sentinelone", "cisco-meraki"][i % 3];
            keys::seed_console_key(vault, &keys::console_key(vendor, &format!("site-{i}"), 10))?;
        }
    }
    msp.entra.set_interactive_user(Some(msp_vaults::ADA));
    measure(&msp, clients, "no added latency").await?;
    // A round trip like Azure's: every answer of Entra and of each vault held back 20 ms.
    let latency = akv_tests::emulator::Fault::latency(Duration::from_millis(20));
    msp.entra.inject_fault(latency.clone());
    for vault in &msp.vaults {
        vault.inject_fault(latency.clone());
    }
    measure(&msp, clients, "20 ms per request").await
}

/// The median of a few runs: one client alone, then every client at once, each on a fresh
/// console signed in once.
async fn measure(msp: &msp_vaults::Msp, clients: usize, condition: &str) -> Result<(), Failure> {
    let mut alone = Vec::new();
    let mut all = Vec::new();
    for _ in 0..RUNS {
        alone.push(signed_in_then_connect(msp, 1..=1).await?);
        all.push(signed_in_then_connect(msp, 1..=clients).await?);
    }
    let alone = median(alone);
    let all = median(all);
    row(
        &format!("one sign-in → one client tenant connected ({condition})"),
        "(reference)",
        format!("{} ms", alone.as_millis()),
    );
    row(
        &format!("one sign-in → {clients} clients in {clients} tenants ({condition})"),
        &format!("parallel: ≪ {clients}×"),
        format!(
            "{} ms ({:.1}×)",
            all.as_millis(),
            all.as_secs_f64() / alone.as_secs_f64().max(1e-6)
        ),
    );
    Ok(())
}

/// A fresh console signs in (by connecting tenant 0's client), then the clients of `range`
/// connect in parallel: the time from "signed in" to all of them connected.
async fn signed_in_then_connect(
    msp: &msp_vaults::Msp,
    range: std::ops::RangeInclusive<usize>,
) -> Result<Duration, Failure> {
    let dir = tempfile::tempdir()?;
    let core: Arc<AppCore> =
        msp_vaults::console_pc(&msp.entra, dir.path(), AzureOptions::default());
    msp_vaults::connect(&core, msp, 0)
        .await
        .map_err(|e| format!("sign-in: {e:?}"))?;
    let count = range.clone().count();
    let started = Instant::now();
    let results =
        futures::future::join_all(range.map(|index| msp_vaults::connect(&core, msp, index))).await;
    let elapsed = started.elapsed();
    for result in results {
        result.map_err(|e| format!("connect: {e:?}"))?;
    }
    let connected = core.status().await.connected;
    if connected != count + 1 {
        return Err(format!("{connected} clients connected, expected {}", count + 1).into());
    }
    Ok(elapsed)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn row(figure: &str, target: &str, measured: String) {
    println!("| {figure:<58} | {target:<22} | {measured:<34} |");
}
