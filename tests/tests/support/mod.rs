//! Shared set-up for the tests that drive the app's own code against the emulator.
#![allow(dead_code)]

pub mod audit;
pub mod clients;
pub mod flaky;
pub mod keys;
pub mod msp;
pub mod msp_vaults;
pub mod ping;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use akv_core::audit::AuditLog;
use akv_core::domain::connection::{Cloud, ConnectionSettings};
use akv_core::domain::policy::Role as OperatorRole;
use akv_core::domain::secret::SecretValue;
use akv_core::ping::PingClient;
use akv_core::service::{Console, Notice, Notifier, Operator};
use akv_core::store::azure::{AzureOptions, AzureStore};
use akv_tests::emulator::{AppRegistration, DEFAULT_TENANT, Emulator, EmulatorConfig, Role};

pub const TENANT: &str = DEFAULT_TENANT;
pub const CLIENT: &str = "22222222-2222-4222-8222-222222222222";
pub const SECRET: &str = "console-client-secret~value.42";
pub const VAULT: &str = "msp-test-vault";

/// An emulator with the console's app registered as Key Vault Secrets Officer.
pub async fn emulator() -> Emulator {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts");
    emulator.register_app(AppRegistration::new(
        TENANT,
        CLIENT,
        SECRET,
        Some(Role::SecretsOfficer),
    ));
    emulator
}

/// The Connect modal's values for a Custom cloud pointing at the emulator.
pub fn settings(emulator: &Emulator) -> ConnectionSettings {
    ConnectionSettings {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        vault_name: VAULT.into(),
        cloud: Cloud::Custom,
        authority_host: Some(emulator.authority_host()),
        vault_url: Some(emulator.vault_url()),
        ca_pem: Some(emulator.ca_pem()),
        auth: akv_core::domain::connection::AuthMode::AppSecret,
        home_tenant_id: None,
    }
    .validated()
    .expect("valid settings")
}

/// Short retries so fault tests finish quickly; still exponential and Retry-After aware.
pub fn fast_options() -> AzureOptions {
    AzureOptions {
        max_retries: 3,
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(400),
        max_total_elapsed: Duration::from_secs(8),
        request_timeout: Duration::from_secs(2),
        ..AzureOptions::default()
    }
}

pub fn store_with(emulator: &Emulator, secret: &str) -> AzureStore {
    AzureStore::connect(
        &settings(emulator),
        &SecretValue::new(secret),
        &fast_options(),
    )
    .expect("store builds")
}

pub fn store(emulator: &Emulator) -> AzureStore {
    store_with(emulator, SECRET)
}

/// A console on the emulator with an in-memory audit log; notices are collected.
pub fn console(emulator: &Emulator) -> (Console, Arc<Mutex<Vec<Notice>>>) {
    console_with_ping(emulator, None)
}

pub fn console_with_ping(
    emulator: &Emulator,
    ping_ca: Option<&str>,
) -> (Console, Arc<Mutex<Vec<Notice>>>) {
    let notices = Arc::new(Mutex::new(Vec::new()));
    let sink = notices.clone();
    let notifier: Notifier = Arc::new(move |notice| {
        if let Ok(mut list) = sink.lock() {
            list.push(notice);
        }
    });
    let console = Console::new(
        Arc::new(store(emulator)),
        AuditLog::in_memory(),
        notifier,
        PingClient::new(ping_ca).expect("ping client"),
        "integration",
    );
    (console, notices)
}

/// A technician with `role` (as the roster or Entra would give it), acting in app-secret mode.
pub fn operator(role: OperatorRole) -> Operator {
    Operator::unverified(format!("{} tester", role.label()), Some(role))
}

pub fn admin() -> Operator {
    operator(OperatorRole::Admin)
}

/// Points an Entra App Secret key at the emulator's token endpoint of `tenant` (an Admin
/// confirms the emulator's host), as a technician does in the detail panel before Rotate at
/// vendor.
pub async fn point_entra_key_at_emulator(
    console: &Console,
    admin: &Operator,
    emulator: &Emulator,
    tenant: &str,
    secret_name: &str,
) {
    let token_url = format!("{}/{tenant}/oauth2/v2.0/token", emulator.authority_host());
    console
        .update_settings(
            admin,
            akv_core::service::vault::KeySettingsRequest {
                secret_name: secret_name.into(),
                interval_days: 90,
                endpoint: token_url.clone(),
                token_url,
                fields: [("tenant".to_string(), tenant.to_string())].into(),
                confirm_hosts: vec!["127.0.0.1".into()],
                ..Default::default()
            },
            chrono::Utc::now(),
        )
        .await
        .expect("an Admin confirms the emulator's host");
}

/// The last second (UTC) of the calendar day `n` days from now, as the console stores an expiry
/// picked as a date. Statuses count calendar days ("Expires in 9 d"), so a date a test names in
/// days must not cross midnight with a margin added to "now" (an hour's margin did, for runs
/// after 23:00 UTC).
pub fn end_of_day_in(n: i64) -> chrono::DateTime<chrono::Utc> {
    akv_core::domain::keys::expiry_from_date(
        (chrono::Utc::now() + chrono::Duration::days(n)).date_naive(),
    )
}

/// A PDF's text as `pdftotext -layout` reads it: the report tests check what a technician sees.
pub fn pdf_text(pdf: &[u8]) -> String {
    let out = tempfile::tempdir().expect("tempdir");
    let path = out.path().join("report.pdf");
    std::fs::write(&path, pdf).expect("written");
    let text = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    String::from_utf8_lossy(&text.stdout).into_owned()
}
