//! End-to-end on a vault of the size MSPs have: 1,000 console keys and five secrets other tools
//! created. List (only the visible rows in the DOM), search, add, rotate and open details, in the
//! real window. `AKV_E2E_REPEAT=5` runs the whole scenario five times in a row (each a fresh app)
//! to check it is stable; the suite runs it once.

mod support;

use std::time::{Duration, Instant};

use akv_tests::e2e::{App, ConnectForm, Launch, Profile, Result, marker};
use akv_tests::emulator::{
    AppRegistration, DEFAULT_TENANT, Emulator, EmulatorConfig, Fault, Role, RouteKind, SeedSecret,
};
use support::keys::{console_key, seed_console_key};

const CLIENT: &str = "66666666-6666-4666-8666-666666666666";
const SECRET: &str = "e2e-big-vault-secret~Value.1";
const VAULT: &str = "msp-big-vault";
const KEYS: usize = 1000;

async fn big_vault() -> Result<Emulator> {
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    emulator.register_app(AppRegistration::new(
        DEFAULT_TENANT,
        CLIENT,
        SECRET,
        Some(Role::SecretsOfficer),
    ));
    for i in 0..KEYS {
        let vendor = ["atera", "sentinelone", "cisco-meraki"][i % 3];
        let record = console_key(vendor, &format!("site-{i:04}"), (i % 120) as i64);
        seed_console_key(&emulator, &record)?;
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

async fn shown(app: &App) -> Result<String> {
    app.text("[data-testid=vault-count]").await
}

async fn scenario(run: usize, emulator: &Emulator) -> Result<()> {
    let name = format!("big-vault-{run}");
    let profile = Profile::new(&name)?;
    let app = App::launch(&name, &profile, Launch::default()).await?;
    emulator.reset_counters();
    let started = Instant::now();
    app.connect_to(
        emulator,
        &ConnectForm {
            client_name: "",
            name: "Dana Reyes",
            tenant: DEFAULT_TENANT,
            client: CLIENT,
            secret: SECRET,
            vault: VAULT,
            remember: false,
        },
    )
    .await?;
    // Every key is listed (plus the vendors without one), but only the visible rows are in the DOM.
    // (The three seeded vendors have keys; every other catalog API vendor is a "without a key"
    // row; non-API kinds without a secret are not listed.)
    let vendors_without_key = akv_core::domain::catalog::api_vendor_count() - 3;
    let rows_total = KEYS + vendors_without_key;
    app.eventually("1,000 keys listed", Duration::from_secs(60), || async {
        Ok(shown(&app)
            .await?
            .contains(&format!("of {rows_total} rows")))
    })
    .await?;
    eprintln!(
        "run {run}: Connect modal filled by WebDriver and submitted -> {rows_total} rows in {} ms, {} list calls",
        started.elapsed().as_millis(),
        emulator.request_count(RouteKind::ListSecrets)
    );
    let in_dom = app.count("[data-testid=vault-row]").await?;
    assert!(
        in_dom > 5 && in_dom < 120,
        "{in_dom} rows in the DOM for {rows_total}"
    );
    assert_eq!(app.text("[data-testid=unmanaged-count]").await?, "5");
    app.screenshot(&format!("big-vault-{run}.png")).await?;

    // Search finds one key among a thousand.
    app.type_into("[data-testid=vault-search]", "site-0421")
        .await?;
    app.eventually("one row for site-0421", Duration::from_secs(10), || async {
        Ok(app.count("[data-testid=vault-row]").await? == 1)
    })
    .await?;
    // Open its details.
    app.click("[data-testid=vault-row] button.vendor").await?;
    app.wait_for("[data-testid=detail-panel]", Duration::from_secs(15))
        .await?;
    app.click("[data-testid=detail-panel] button[aria-label='Close details']")
        .await?;
    app.eventually("the details to close", Duration::from_secs(10), || async {
        Ok(app.count("[data-testid=detail-panel]").await? == 0)
    })
    .await?;

    // Rotate it.
    let secret_name = "sentinelone--site-0421";
    app.click(&format!(
        "[data-testid=vault-row][data-secret='{secret_name}'] [data-testid=rotate-row]"
    ))
    .await?;
    let rotated = marker("big-rotated");
    app.type_into("[data-testid=rotate-value]", &rotated)
        .await?;
    app.click("[data-testid=rotate-save]").await?;
    app.eventually(
        "the rotate dialog to close",
        Duration::from_secs(20),
        || async { Ok(app.count("[data-testid=rotate-dialog]").await? == 0) },
    )
    .await?;
    assert_eq!(
        emulator.secret_value(secret_name).as_deref(),
        Some(rotated.as_str())
    );

    // Add a key for a vendor that has none.
    app.type_into("[data-testid=vault-search]", "jumpcloud")
        .await?;
    let value = marker("big-add");
    app.add_key("jumpcloud", &value).await?;
    assert_eq!(
        emulator.secret_value("jumpcloud").as_deref(),
        Some(value.as_str())
    );
    assert!(!app.webview_contents().await?.contains(&value));

    // Back to everything: the thousand keys plus the new one, still windowed.
    app.type_into("[data-testid=vault-search]", "").await?;
    app.eventually("every row again", Duration::from_secs(10), || async {
        Ok(shown(&app)
            .await?
            .contains(&format!("Showing {rows_total} of {rows_total}")))
    })
    .await?;
    // One listing for all of it: the console's writes updated the snapshot in place.
    assert_eq!(
        emulator.request_count(RouteKind::ListSecrets),
        ((KEYS + 5) as u64).div_ceil(25),
        "connect, search, rotate and add listed the vault once"
    );

    // Refresh (F5) lists it again, and the button says so while it runs: slow the listing so
    // the technician would see it turning.
    emulator
        .inject_fault(Fault::latency(Duration::from_millis(60)).on_route(RouteKind::ListSecrets));
    app.press_key("\u{E035}").await?; // F5
    app.eventually(
        "the Refresh button busy",
        Duration::from_secs(10),
        || async { Ok(app.count("[data-testid=refresh][aria-busy=true]").await? == 1) },
    )
    .await?;
    if run == 1 {
        app.screenshot("big-vault-refreshing.png").await?;
    }
    app.eventually("the refresh to finish", Duration::from_secs(30), || async {
        Ok(app.count("[data-testid=refresh][aria-busy=false]").await? == 1)
    })
    .await?;
    emulator.clear_faults();
    assert_eq!(
        emulator.request_count(RouteKind::ListSecrets),
        2 * ((KEYS + 5) as u64).div_ceil(25),
        "a refresh is one more listing of the vault"
    );
    assert!(
        shown(&app)
            .await?
            .contains(&format!("Showing {rows_total} of {rows_total}"))
    );
    app.quit().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_key_vault_lists_searches_adds_rotates_and_opens_details() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let repeat: usize = std::env::var("AKV_E2E_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    for run in 1..=repeat {
        // A fresh vault per run, so each run adds and rotates the same way.
        let emulator = big_vault().await?;
        scenario(run, &emulator).await?;
    }
    Ok(())
}
