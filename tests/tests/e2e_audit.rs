//! End-to-end, connected to the emulator: actions appear in the Audit Log tab newest first,
//! Verify says intact, a one-byte edit of the log file on disk is named by Verify, and the CSV
//! and PDF exports are written through the app (the test supplies the save folder).

use std::path::Path;
use std::time::Duration;

use akv_tests::e2e::{App, ConnectForm, Launch, Profile, Result, marker};
use akv_tests::emulator::{AppRegistration, DEFAULT_TENANT, Emulator, EmulatorConfig, Role};
use fantoccini::Locator;

const CLIENT: &str = "88888888-8888-4888-8888-888888888888";
const SECRET: &str = "audit-e2e-secret.Value";

fn contains(path: &Path, needle: &str) -> bool {
    std::fs::read(path)
        .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .unwrap_or(false)
}

async fn saved_file(dir: &Path, suffix: &str) -> Result<std::path::PathBuf> {
    for _ in 0..50 {
        if let Some(found) = std::fs::read_dir(dir)?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(suffix))
        {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("no *{suffix} was saved in {}", dir.display()).into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_lists_verifies_detects_tampering_and_exports() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    emulator.register_app(AppRegistration::new(
        DEFAULT_TENANT,
        CLIENT,
        SECRET,
        Some(Role::SecretsOfficer),
    ));
    let profile = Profile::new("audit")?;
    let saves = tempfile::tempdir()?;
    let launch = Launch::default().with_env("AKV_E2E_SAVE_DIR", saves.path().display().to_string());
    let app = App::launch("audit", &profile, launch).await?;
    app.connect_to(
        &emulator,
        &ConnectForm {
            client_name: "",
            name: "Priya Nair",
            tenant: DEFAULT_TENANT,
            client: CLIENT,
            secret: SECRET,
            vault: "msp-audit-vault",
            remember: false,
        },
    )
    .await?;
    app.badge_is("VAULT: MSP-AUDIT-VAULT").await?;

    // Three actions: add, copy, rotate.
    let value = marker("audit");
    app.add_key("ubiquiti-unifi", &value).await?;
    let row = "[data-testid=vault-row][data-vendor=ubiquiti-unifi]";
    app.click(&format!("{row} [data-testid=copy-key]")).await?;
    app.find("[data-testid=copy-countdown]").await?;
    app.click(&format!("{row} [data-testid=rotate-row]"))
        .await?;
    app.type_into("[data-testid=rotate-value]", &marker("rotated"))
        .await?;
    app.click("[data-testid=rotate-save]").await?;
    app.eventually(
        "the rotate dialog to close",
        Duration::from_secs(10),
        || async { Ok(app.count("[data-testid=rotate-dialog]").await? == 0) },
    )
    .await?;

    // Newest first: rotate, retrieve, add, connect, and the first operator of a vault without a
    // policy becoming its Admin.
    app.click("[data-testid=tab-audit]").await?;
    app.find("[data-testid=audit-table]").await?;
    let actions: Vec<String> = {
        let mut found = Vec::new();
        for row in app
            .client
            .find_all(Locator::Css("[data-testid=audit-row]"))
            .await?
        {
            found.push(row.attr("data-action").await?.unwrap_or_default());
        }
        found
    };
    assert_eq!(
        actions,
        vec!["rotate", "retrieve", "add", "connect", "policy-bootstrap"],
        "{actions:?}"
    );
    let newest = app.text("[data-testid=audit-row]").await?;
    assert!(
        newest.contains("Priya Nair") && newest.contains("Ubiquiti UniFi"),
        "{newest}"
    );

    // The action filter narrows the list.
    app.select("[aria-label='Filter by action']", "add").await?;
    app.eventually("only the add entry", Duration::from_secs(5), || async {
        Ok(app.count("[data-testid=audit-row]").await? == 1)
    })
    .await?;
    app.select("[aria-label='Filter by action']", "").await?;

    app.click("[data-testid=verify-audit]").await?;
    let result = app.find("[data-testid=verify-result]").await?;
    assert_eq!(result.attr("data-intact").await?.as_deref(), Some("true"));
    assert!(
        result.text().await?.contains("anchor matches"),
        "{}",
        result.text().await?
    );
    app.screenshot("audit-log-intact.png").await?;

    // Exports through the app's save path.
    app.click("[data-testid=export-audit]").await?;
    let csv = saved_file(saves.path(), ".csv").await?;
    let text = std::fs::read_to_string(&csv)?;
    assert!(
        text.contains("prev hash") && text.contains("hash"),
        "hash columns"
    );
    assert!(text.contains("rotate") && text.contains("verification"));
    assert!(!text.contains(&value));
    std::fs::remove_file(&csv)?;

    app.click("[data-testid=print-pdf]").await?;
    let pdf = saved_file(saves.path(), ".pdf").await?;
    assert!(!contains(&pdf, &value), "the key value is in the PDF");
    let pdftext = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()?;
    let pdftext = String::from_utf8_lossy(&pdftext.stdout);
    assert!(pdftext.contains("Ubiquiti UniFi") && pdftext.contains("VAULT: MSP-AUDIT-VAULT"));
    assert!(pdftext.contains("Page 1 of"));

    app.click("[data-testid=tab-vault]").await?;
    app.click("[data-testid=export-inventory]").await?;
    let inventory = saved_file(saves.path(), ".csv").await?;
    let inventory = std::fs::read_to_string(&inventory)?;
    let vendors = akv_core::domain::catalog::api_vendor_count();
    assert!(
        inventory.contains("Ubiquiti UniFi") && inventory.lines().count() == 1 + vendors,
        "header + a row per catalog vendor"
    );

    // Edit one byte of entry #2 in the log file on disk.
    let log = profile
        .files()
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("audit/msp-audit-vault.jsonl"))
        .ok_or("the audit log file was not found")?;
    let original = std::fs::read_to_string(&log)?;
    let lines: Vec<&str> = original.lines().collect();
    assert!(lines[1].contains("\"seq\":2"), "{}", lines[1]);
    let edited_line = lines[1].replacen("Priya Nair", "Priya Nais", 1);
    assert_eq!(edited_line.len(), lines[1].len(), "a one-byte edit");
    let tampered = original.replacen(lines[1], &edited_line, 1);
    std::fs::write(&log, tampered)?;

    app.click("[data-testid=tab-audit]").await?;
    app.click("[data-testid=verify-audit]").await?;
    app.eventually(
        "Verify to report the edit",
        Duration::from_secs(10),
        || async {
            let result = app.find("[data-testid=verify-result]").await?;
            Ok(result.attr("data-intact").await?.as_deref() == Some("false"))
        },
    )
    .await?;
    let problem = app.text("[data-testid=verify-problem]").await?;
    assert!(
        problem.contains("#2") && problem.contains("edited"),
        "{problem}"
    );
    // The entry that breaks the chain is highlighted in the list and in view, and the result
    // says what to do next.
    app.eventually(
        "entry #2 highlighted in view",
        Duration::from_secs(10),
        || async {
            let shown = app
                .eval(
                    "const row = document.querySelector('tr[data-broken]'); if (!row) return null; const r = row.getBoundingClientRect(); return [row.dataset.seq, r.top >= 0 && r.bottom <= window.innerHeight];",
                )
                .await?;
            Ok(shown == serde_json::json!(["2", true]))
        },
    )
    .await?;
    let result = app.text("[data-testid=verify-result]").await?;
    assert!(result.contains("Next step"), "{result}");
    app.screenshot("audit-log-tampered.png").await?;
    app.quit().await;
    Ok(())
}
