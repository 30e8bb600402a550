//! How long the console takes to build its views and exports for 1,000 keys (demo store, so the
//! numbers are the console's own work, not the network's). Prints numbers; asserts nothing.

use std::sync::Arc;
use std::time::Instant;

use akv_core::audit::AuditLog;
use akv_core::domain::catalog::catalog;
use akv_core::domain::keys::KeyRecord;
use akv_core::domain::policy::Role;
use akv_core::domain::secret::SecretValue;
use akv_core::ping::PingClient;
use akv_core::service::{Console, Operator};
use akv_core::store::SecretStore;
use akv_core::store::demo::DemoStore;
use chrono::{Duration, Utc};

const KEYS: usize = 1_000;

fn main() {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("no runtime: {error}");
            return;
        }
    };
    runtime.block_on(run());
}

async fn run() {
    let now = Utc::now();
    let store = Arc::new(DemoStore::empty());
    let started = Instant::now();
    for index in 0..KEYS {
        let vendor = &catalog()[index % catalog().len()];
        let value = SecretValue::new(format!("{}-value-{index:05}-0123456789abcdef", vendor.id));
        let record = KeyRecord {
            outside_change: None,
            secret_name: format!("{}--client-{index:05}", vendor.id),
            vendor_id: vendor.id.clone(),
            label: Some(format!("client-{index:05}")),
            interval_days: vendor.default_interval_days(),
            last_rotated: now - Duration::days((index % 200) as i64),
            expires: Some(now + Duration::days((index % 400) as i64 - 20)),
            enabled: index % 50 != 0,
            owner: "Dana Reyes".into(),
            note: format!("client {index}"),
            masked_preview: value.masked_preview(),
            endpoint_override: None,
            token_url_override: None,
            settings: Default::default(),
            version: String::new(),
            created: None,
            updated: None,
        };
        if let Err(error) = store.write_key(&record, &value).await {
            eprintln!("seeding failed: {error}");
            return;
        }
    }
    println!("seed {KEYS} keys: {:?}", started.elapsed());

    let ping = match PingClient::new(None) {
        Ok(ping) => ping,
        Err(error) => {
            eprintln!("no ping client: {error}");
            return;
        }
    };
    let console = Console::new(
        store,
        AuditLog::in_memory(),
        Arc::new(|_| {}),
        ping,
        "bench",
    );
    let operator = Operator::demo("Bench", Role::L2);

    let timed = |label: &str, started: Instant, detail: String| {
        println!("{label:<28} {:>10.2?}  {detail}", started.elapsed());
    };
    let started = Instant::now();
    match console.vault_view(&operator, now).await {
        Ok(view) => timed("vault view", started, format!("{} rows", view.rows.len())),
        Err(error) => eprintln!("vault view failed: {error}"),
    }
    let started = Instant::now();
    match console.rotation_view(&operator, now).await {
        Ok(view) => timed(
            "rotation view",
            started,
            format!("{} due", view.counts.due_total),
        ),
        Err(error) => eprintln!("rotation view failed: {error}"),
    }
    let started = Instant::now();
    match console.inventory_csv(&operator, now).await {
        Ok(bytes) => timed("inventory CSV", started, format!("{} bytes", bytes.len())),
        Err(error) => eprintln!("inventory CSV failed: {error}"),
    }
    let started = Instant::now();
    match console
        .report_pdf(&operator, "Northwind IT Services", now)
        .await
    {
        Ok(bytes) => timed("PDF report", started, format!("{} bytes", bytes.len())),
        Err(error) => eprintln!("PDF report failed: {error}"),
    }
}
