//! End-to-end, demo mode: the real app window under Xvfb, driven like a technician would — one
//! client's tabs (Vault, Setup Guide, Audit Log, Report, custom vendors) and the theme. The
//! forty-client overview and the sidebar are in `e2e_demo_overview.rs`.

use std::time::Duration;

use akv_tests::e2e::{App, Launch, Profile, Result, marker};

/// One row per catalog vendor (the manual's 32 and the tools added since); kinds of non-API
/// secret get a row only once one is stored, and the demo stores none.
fn vendors() -> usize {
    akv_core::domain::catalog::api_vendor_count()
}

async fn vault_rows(app: &App) -> Result<usize> {
    app.count("[data-testid=vault-row]").await
}

/// One client open: rotation and expiry are two columns, the status says which date it is about,
/// the rows open worst first, and the sidebar badges say the chips' numbers in the chips' words.
/// Screenshots at the default window (1,360 × 860) and the minimum (1,024 × 640).
async fn status_model_reads_the_same_everywhere(app: &App) -> Result<()> {
    // Headers are upper case on screen (CSS); compare what a person reads, in any case.
    let headers = app
        .text("[data-testid=vault-table] thead")
        .await?
        .to_lowercase();
    assert!(
        headers.contains("next rotation") && headers.contains("expires"),
        "{headers}"
    );
    assert!(!headers.contains("days left"), "{headers}");

    let rows = app
        .eval(
            "return [...document.querySelectorAll('[data-testid=vault-row]')].map(r => [r.querySelector('[data-status]').dataset.status, r.querySelector('[data-testid=row-status]').textContent.trim()]);",
        )
        .await?;
    let rows: Vec<(String, String)> = serde_json::from_value(rows)?;
    let rank = |status: &str| {
        [
            "expired", "overdue", "due-soon", "disabled", "healthy", "no-key",
        ]
        .iter()
        .position(|s| *s == status)
        .unwrap_or(usize::MAX)
    };
    assert!(
        rows.windows(2).all(|w| rank(&w[0].0) <= rank(&w[1].0)),
        "worst first by default: {rows:?}"
    );
    for (status, text) in &rows {
        let says = match status.as_str() {
            "expired" => text.starts_with("Expired"),
            "overdue" => text.starts_with("Rotation overdue ") && text.ends_with(" d"),
            "due-soon" => text.starts_with("Rotation due") || text.starts_with("Expires"),
            "healthy" => text == "Healthy",
            "disabled" => text == "Disabled",
            _ => text == "No key",
        };
        assert!(says, "{status}: {text:?}");
    }

    // The sidebar's badges are the chips' counts, said the same way (never expired + overdue
    // added up as "overdue").
    let contoso = "[data-testid=client-item][data-client='Contoso Dental']";
    for (status, words) in [
        ("expired", "expired"),
        ("overdue", "rotation overdue"),
        ("due-soon", "due within 14 days"),
    ] {
        let chip: usize = app
            .text(&format!("[data-testid=chip-{status}] strong"))
            .await?
            .parse()?;
        let in_rows = rows.iter().filter(|(s, _)| s == status).count();
        assert_eq!(chip, in_rows, "{status}: chip vs rows");
        let badge = if status == "due-soon" {
            format!("{contoso} [data-testid=client-due]")
        } else {
            format!("{contoso} [data-testid=client-{status}]")
        };
        if chip == 0 {
            assert_eq!(app.count(&badge).await?, 0, "{status}");
        } else {
            assert_eq!(app.text(&badge).await?, format!("{chip} {words}"));
        }
    }
    // The console's own words are explained where they appear.
    let title = app
        .find("[data-testid=open-unmanaged]")
        .await?
        .attr("title")
        .await?
        .unwrap_or_default();
    assert!(title.starts_with("Unmanaged:"), "{title}");
    let title = app
        .find("[data-testid=chip-no-key]")
        .await?
        .attr("title")
        .await?
        .unwrap_or_default();
    assert!(title.starts_with("Without a key:"), "{title}");

    app.screenshot("vault-status-1360x860.png").await?;
    app.client.set_window_size(1024, 640).await?;
    app.screenshot("vault-status-1024x640.png").await?;
    app.click("[data-testid=tab-rotation]").await?;
    app.wait_for("[data-testid=rotation-row]", Duration::from_secs(10))
        .await?;
    app.screenshot("rotation-status-1024x640.png").await?;
    app.client.set_window_size(1360, 860).await?;
    app.screenshot("rotation-status-1360x860.png").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_tab_lists_vendors_searches_and_adds_a_key_without_leaking_it() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let profile = Profile::new("demo-vault")?;
    let app = App::launch("demo-vault", &profile, Launch::demo()).await?;

    // The demo opens on the client overview of its three fictitious clients; "All keys" shows
    // them side by side: a Client column, every client's keys (vendors without a key are only
    // counted).
    app.eventually(
        "three clients in the sidebar",
        Duration::from_secs(20),
        || async {
            Ok(app
                .count("[data-testid=client-item][data-state=connected]")
                .await?
                == 3)
        },
    )
    .await?;
    app.eventually("three overview rows", Duration::from_secs(20), || async {
        Ok(app.count("[data-testid=overview-row]").await? == 3)
    })
    .await?;
    app.show_all_keys().await?;
    app.wait_for("[data-testid=row-client]", Duration::from_secs(10))
        .await?;
    let clients = app
        .eval(
            "return [...new Set([...document.querySelectorAll('[data-testid=vault-row]')].map(r => r.dataset.client))].sort();",
        )
        .await?;
    assert_eq!(
        clients,
        serde_json::json!(["Contoso Dental", "Fabrikam Logistics", "Northwind Legal"])
    );
    assert_eq!(
        app.count("[data-testid=vault-row] [data-status=no-key]")
            .await?,
        0
    );
    // Expiry reminders show in the window too (a desktop notification may be dropped by the
    // OS), the urgent ones first, each naming its client.
    app.wait_for("[data-testid=reminders]", Duration::from_secs(10))
        .await?;
    let reminders = app.text("[data-testid=reminders]").await?;
    assert!(reminders.contains("Expiry reminders"), "{reminders}");
    assert!(
        ["Contoso Dental", "Fabrikam Logistics", "Northwind Legal"]
            .iter()
            .any(|client| reminders.contains(client)),
        "{reminders}"
    );
    app.screenshot("demo-portfolio.png").await?;
    app.click("[data-testid=reminders-dismiss]").await?;
    assert_eq!(app.count("[data-testid=reminders]").await?, 0);

    // One client opened alone: every catalog vendor and a mix of statuses, no Client column.
    app.open_client("Contoso Dental").await?;
    app.eventually(
        "a row per catalog vendor",
        Duration::from_secs(20),
        || async { Ok(vault_rows(&app).await? == vendors()) },
    )
    .await?;
    assert_eq!(app.count("[data-testid=row-client]").await?, 0);
    assert_eq!(
        app.text("[data-testid=connection-badge]").await?,
        "DEMO MODE"
    );
    for status in [
        "healthy", "due-soon", "overdue", "expired", "disabled", "no-key",
    ] {
        let count = app
            .count(&format!("[data-testid=vault-row] [data-status={status}]"))
            .await?;
        assert!(count > 0, "no {status} row in the demo");
    }

    status_model_reads_the_same_everywhere(&app).await?;

    // Search narrows the list; "/" focuses the search box from anywhere.
    app.click("[data-testid=tab-vault]").await?;
    app.client
        .find(fantoccini::Locator::Css("body"))
        .await?
        .send_keys("/")
        .await?;
    let focused = app
        .eval("return document.activeElement?.dataset?.testid ?? '';")
        .await?;
    assert_eq!(
        focused.as_str(),
        Some("vault-search"),
        "'/' should focus the search box"
    );
    app.type_into("[data-testid=vault-search]", "sentinel")
        .await?;
    app.eventually("one row for 'sentinel'", Duration::from_secs(5), || async {
        Ok(vault_rows(&app).await? == 1)
    })
    .await?;
    let only = app.find("[data-testid=vault-row]").await?;
    assert_eq!(
        only.attr("data-vendor").await?.as_deref(),
        Some("sentinelone")
    );
    app.type_into("[data-testid=vault-search]", "network")
        .await?;
    app.eventually("the Network vendors", Duration::from_secs(5), || async {
        let n = vault_rows(&app).await?;
        Ok(n > 1 && n < vendors())
    })
    .await?;
    app.type_into("[data-testid=vault-search]", "no vendor is called this")
        .await?;
    app.wait_for("[data-testid=vault-empty]", Duration::from_secs(5))
        .await?;
    app.type_into("[data-testid=vault-search]", "").await?;
    app.eventually("all rows again", Duration::from_secs(5), || async {
        Ok(vault_rows(&app).await? == vendors())
    })
    .await?;

    // Add a key with a unique marker value for a vendor that has none yet.
    let secret = marker("demo");
    app.click("[data-testid=add-key]").await?;
    app.find("[data-testid=add-key-modal]").await?;
    app.select("[data-testid=add-vendor]", "jumpcloud").await?;
    app.find("[data-testid=add-hint]").await?;
    app.type_into("[data-testid=add-value]", &secret).await?;
    app.type_into("[data-testid=add-owner]", "E2E Technician")
        .await?;
    app.type_into("[data-testid=add-note]", "added by the end-to-end test")
        .await?;
    app.click("[data-testid=add-save]").await?;
    app.eventually(
        "the Add Key modal to close",
        Duration::from_secs(10),
        || async { Ok(app.count("[data-testid=add-key-modal]").await? == 0) },
    )
    .await?;

    // The new row shows a masked preview derived from the value, never the value.
    let row = "[data-testid=vault-row][data-vendor=jumpcloud]";
    app.eventually(
        "a masked preview on the JumpCloud row",
        Duration::from_secs(10),
        || async {
            let preview = app
                .text(&format!("{row} [data-testid=masked-preview]"))
                .await?;
            Ok(preview.contains('•'))
        },
    )
    .await?;
    let preview = app
        .text(&format!("{row} [data-testid=masked-preview]"))
        .await?;
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(
        preview.ends_with(&tail),
        "preview {preview} should end like the value"
    );
    assert!(!preview.contains(&secret));
    assert_eq!(
        app.find(&format!("{row} [data-status]"))
            .await?
            .attr("data-status")
            .await?
            .as_deref(),
        Some("healthy")
    );

    // The marker is nowhere in the page: DOM, input values, storage, or any IPC reply.
    let replies = app.replies().await?;
    assert!(
        replies
            .iter()
            .any(|r| r.contains("\"vendorId\":\"jumpcloud\"") && r.contains(&preview)),
        "the IPC recorder must have seen the add_key reply (with the masked preview)"
    );
    let contents = app.webview_contents().await?;
    assert!(
        !contents.contains(&secret),
        "the key value reached the webview"
    );
    app.screenshot("vault-tab-demo.png").await?;

    // Copy puts the value on the clipboard from Rust and shows the countdown.
    app.click(&format!("{row} [data-testid=copy-key]")).await?;
    let countdown = app.text("[data-testid=copy-countdown]").await?;
    assert!(
        countdown.contains("JumpCloud") && countdown.contains(" s"),
        "{countdown}"
    );
    let contents = app.webview_contents().await?;
    assert!(
        !contents.contains(&secret),
        "copying leaked the value to the webview"
    );

    // A Wi-Fi key generated in the console, shorter than its kind recommends: the form asks
    // why before it saves, the row is marked for review, and the detail has no Test button
    // but says why.
    let reason = "The lobby printer joins with at most 12 characters";
    app.click("[data-testid=add-key]").await?;
    app.select("[data-testid=add-vendor]", "wifi-psk").await?;
    app.find("[data-testid=add-generator]").await?;
    assert_eq!(
        app.count("[data-testid=add-value]").await?,
        0,
        "generated, not typed"
    );
    app.type_into("[data-testid=add-gen-length]", "12").await?;
    app.wait_for("[data-testid=add-gen-reason]", Duration::from_secs(5))
        .await?;
    assert!(
        app.find("[data-testid=add-save]")
            .await?
            .attr("disabled")
            .await?
            .is_some(),
        "no save without a reason"
    );
    app.screenshot("add-wifi-key-short-needs-reason.png")
        .await?;
    app.type_into("[data-testid=add-gen-reason]", reason)
        .await?;
    app.click("[data-testid=add-save]").await?;
    let wifi = "[data-testid=vault-row][data-vendor=wifi-psk]";
    app.eventually("the flagged Wi-Fi row", Duration::from_secs(10), || async {
        Ok(app.count("[data-testid=add-key-modal]").await? == 0
            && app
                .count(&format!("{wifi} [data-testid=row-review]"))
                .await?
                == 1)
    })
    .await?;
    app.click(&format!("{wifi} button.vendor")).await?;
    app.wait_for("[data-testid=no-test-reason]", Duration::from_secs(10))
        .await?;
    assert_eq!(
        app.count("[data-testid=detail-panel] [data-testid=test-key]")
            .await?,
        0
    );
    assert!(
        app.text("[data-testid=no-test-reason]")
            .await?
            .contains("join the network")
    );
    assert!(
        app.text("[data-testid=detail-review]")
            .await?
            .contains(reason)
    );
    app.screenshot("vault-wifi-key-for-review.png").await?;

    app.quit().await;

    // Demo mode writes nothing of the session to disk.
    let leaked = profile.files_containing(&secret);
    assert!(leaked.is_empty(), "marker found on disk: {leaked:?}");
    let ours: Vec<_> = profile
        .files()
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("com.msp.apikeyvaultconsole"))
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with("config.json")
                || name.ends_with(".jsonl")
                || name.ends_with("reminders.json")
        })
        .collect();
    assert!(ours.is_empty(), "demo mode wrote console files: {ours:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_guide_audit_log_and_report_work_offline_in_demo_mode() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let profile = Profile::new("demo-offline")?;
    let saves = tempfile::tempdir()?;
    let launch = Launch::demo().with_env("AKV_E2E_SAVE_DIR", saves.path().display().to_string());
    let app = App::launch("demo-offline", &profile, launch).await?;
    app.find("[data-testid=overview-row]").await?;

    // The Setup Guide: four phases, CLI commands with copy buttons.
    app.click("[data-testid=tab-setup]").await?;
    app.eventually("the four setup phases", Duration::from_secs(10), || async {
        Ok(app.count("[data-testid=setup-phase]").await? == 5)
    })
    .await?;
    let guide = app.text("[data-testid=setup-tab]").await?;
    for expected in [
        "Key Vault Secrets Officer",
        "--enable-rbac-authorization true",
        "--enable-purge-protection true",
        "AuditEvent",
        "Entra App Secret",
    ] {
        assert!(
            guide.contains(expected),
            "the guide should mention {expected}"
        );
    }
    app.click("[data-testid=copy-command]").await?;
    app.eventually("the copy confirmation", Duration::from_secs(5), || async {
        Ok(app
            .text("[data-testid=toast]")
            .await?
            .contains("Command copied"))
    })
    .await?;
    app.screenshot("setup-guide.png").await?;

    // The same commands for PowerShell: no `&&`, JSON through a file.
    app.click("[data-testid=command-shell] input[value=powerShell]")
        .await?;
    let powershell = app.text("[data-testid=setup-tab]").await?;
    assert!(
        powershell.contains("$appId = az ad app list"),
        "PowerShell form shown"
    );
    assert!(powershell.contains("Set-Content -Encoding ascii console-app-roles.json"));
    assert!(!powershell.contains("<<'ROLES'"));
    app.screenshot("setup-guide-powershell.png").await?;

    // The Audit Log in demo mode lives in memory and has no vault anchor.
    app.click("[data-testid=tab-audit]").await?;
    let audit = app.text("[data-testid=audit-tab]").await?;
    assert!(audit.contains("kept in memory only"), "{audit}");
    app.click("[data-testid=verify-audit]").await?;
    let result = app.find("[data-testid=verify-result]").await?;
    assert_eq!(result.attr("data-intact").await?.as_deref(), Some("true"));

    // The MSP's name, set once in the profile, heads the report. A name over 80 characters is
    // refused by Rust, under the field.
    app.click("[data-testid=operator-chip]").await?;
    app.find("[data-testid=msp-form]").await?;
    app.type_into("[data-testid=msp-name]", &"Northwind ".repeat(9))
        .await?;
    app.click("[data-testid=msp-save]").await?;
    app.find("#msp-name-error").await?;
    app.eventually(
        "the refusal under the field",
        Duration::from_secs(5),
        || async { Ok(!app.text("#msp-name-error").await?.trim().is_empty()) },
    )
    .await?;
    app.type_into("[data-testid=msp-name]", "Northwind IT Services")
        .await?;
    app.click("[data-testid=msp-save]").await?;
    app.eventually("the name saved", Duration::from_secs(5), || async {
        Ok(app
            .text("[data-testid=toast]")
            .await?
            .contains("Prepared by Northwind IT Services"))
    })
    .await?;
    app.screenshot("profile-msp-name-1360x860.png").await?;
    app.resize(1024, 640).await?;
    app.screenshot("profile-msp-name-1024x640.png").await?;
    app.resize(1360, 860).await?;
    app.click("[data-testid=profile-modal] button.close")
        .await?;
    app.eventually("the profile closed", Duration::from_secs(5), || async {
        Ok(app.count("[data-testid=profile-modal]").await? == 0)
    })
    .await?;

    // Print / PDF from the top bar, saved where the test says.
    app.click("[data-testid=print-pdf]").await?;
    let mut pdf = None;
    for _ in 0..50 {
        pdf = std::fs::read_dir(saves.path())?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "pdf"));
        if pdf.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let pdf = pdf.ok_or("the PDF report was not saved")?;
    let text = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()?;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("DEMO") && text.contains("NinjaOne") && text.contains("Page 1 of"));
    // A document for the client: MSP and client named, the log verified (in memory in the
    // demo), exceptions before the full table, a sign-off block.
    assert!(
        text.lines()
            .any(|l| l.contains("Prepared by Northwind IT Services for ")),
        "{text}"
    );
    assert!(
        text.contains("Audit log verified:") && text.contains("demo: the log is kept in memory"),
        "{text}"
    );
    let exceptions = text
        .find("Exceptions: keys that need action")
        .ok_or("no exceptions section")?;
    let table = text
        .find("All stored keys, most urgent first")
        .ok_or("no key table")?;
    assert!(exceptions < table, "exceptions first");
    assert!(text.contains("Sign-off") && text.contains("Keys within policy"));
    let page_one = akv_tests::e2e::artifacts_dir().join("demo-report-page1");
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(&page_one)
        .status()?;
    assert!(rendered.success(), "pdftoppm renders page 1");
    app.quit().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_theme_follows_the_operating_system() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let background = "return getComputedStyle(document.body).backgroundColor;";
    for (theme, expected, shot) in [
        ("Adwaita", "rgb(244, 246, 250)", "vault-tab-light.png"),
        ("Adwaita:dark", "rgb(11, 18, 32)", "vault-tab-dark.png"),
    ] {
        let profile = Profile::new("theme")?;
        let app = App::launch(
            "theme",
            &profile,
            Launch::demo().with_env("GTK_THEME", theme),
        )
        .await?;
        app.find("[data-testid=overview-row]").await?;
        app.show_all_keys().await?;
        app.find("[data-testid=vault-row]").await?;
        let colour = app.eval(background).await?;
        assert_eq!(colour.as_str(), Some(expected), "{theme}");
        app.screenshot(shot).await?;
        app.quit().await;
    }
    Ok(())
}

/// Issue 21 §1: an Admin defines a custom vendor on the Distribute tab (a hostile endpoint is
/// refused on its own field first), then adds a key of it from Add Key, where it is marked
/// Custom, and the key lists under the vendor's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_defines_a_custom_vendor_and_adds_a_key_of_it() -> Result<()> {
    const ID: &str = "custom-acme-backup-cloud";
    let _serial = akv_tests::e2e::exclusive().await;
    let profile = Profile::new("demo-custom-vendor")?;
    let app = App::launch("demo-custom-vendor", &profile, Launch::demo()).await?;
    app.find("[data-testid=overview-row]").await?;
    app.open_client("Contoso Dental").await?;
    app.click("[data-testid=tab-distribute]").await?;
    app.wait_for(
        "[data-testid=custom-vendors-empty]",
        Duration::from_secs(20),
    )
    .await?;
    app.click("[data-testid=custom-vendor-new]").await?;
    app.type_into("[data-testid=cv-name]", "Acme Backup Cloud")
        .await?;
    app.select("[data-testid=cv-category]", "Backup").await?;
    app.type_into("[data-testid=cv-interval]", "60").await?;
    // The cloud metadata address is no vendor: refused on the endpoint field, by name.
    app.type_into(
        "[data-testid=cv-endpoint]",
        "https://169.254.169.254/latest",
    )
    .await?;
    app.type_into("[data-testid=cv-test-path]", "/v2/account")
        .await?;
    app.type_into("[data-testid=cv-hint]", "acme_ and 32 characters")
        .await?;
    app.click("[data-testid=cv-save]").await?;
    app.wait_for(
        "[data-testid=field-error][data-field=endpoint]",
        Duration::from_secs(10),
    )
    .await?;
    let refusal = app
        .text("[data-testid=field-error][data-field=endpoint]")
        .await?;
    assert!(refusal.contains("IP address"), "{refusal}");
    app.type_into(
        "[data-testid=cv-endpoint]",
        "https://api.acme-backup.example/v2",
    )
    .await?;
    app.click("[data-testid=cv-save]").await?;
    app.wait_for(
        &format!("[data-testid=custom-vendor-row][data-vendor={ID}]"),
        Duration::from_secs(10),
    )
    .await?;
    app.screenshot("custom-vendor-defined.png").await?;

    // Add Key offers it, marked Custom; the key lists under its name and category.
    app.click("[data-testid=tab-vault]").await?;
    app.click("[data-testid=add-key]").await?;
    app.find("[data-testid=add-key-modal]").await?;
    let option = format!("[data-testid=add-vendor] option[value={ID}]");
    app.eventually(
        "the custom vendor in Add Key",
        Duration::from_secs(10),
        || async { Ok(app.count(&option).await? == 1) },
    )
    .await?;
    let label = app
        .eval(&format!(
            "return document.querySelector('{}').textContent;",
            option.replace('\'', "\\'")
        ))
        .await?;
    assert_eq!(label.as_str(), Some("Acme Backup Cloud (Custom)"));
    app.select("[data-testid=add-vendor]", ID).await?;
    let hint = app.text("[data-testid=add-hint]").await?;
    assert!(hint.contains("acme_ and 32 characters"), "{hint}");
    let secret = marker("custom");
    app.type_into("[data-testid=add-value]", &secret).await?;
    app.type_into("[data-testid=add-owner]", "E2E Technician")
        .await?;
    app.click("[data-testid=add-save]").await?;
    app.eventually(
        "the Add Key modal to close",
        Duration::from_secs(10),
        || async { Ok(app.count("[data-testid=add-key-modal]").await? == 0) },
    )
    .await?;
    let row = format!("[data-testid=vault-row][data-vendor={ID}]");
    app.eventually(
        "the custom vendor's key",
        Duration::from_secs(10),
        || async { Ok(app.count(&row).await? == 1) },
    )
    .await?;
    let text = app.text(&row).await?;
    assert!(
        text.contains("Acme Backup Cloud") && text.contains("Backup"),
        "{text}"
    );
    assert!(
        !app.eval("return document.body.innerHTML;")
            .await?
            .to_string()
            .contains(&secret)
    );
    // Its detail panel: the Admin's key hint, no connector, the procedure prefilled.
    app.click(&format!("{row} button.vendor")).await?;
    app.wait_for("[data-testid=detail-panel]", Duration::from_secs(10))
        .await?;
    app.screenshot("custom-vendor-key.png").await?;
    app.quit().await;
    Ok(())
}
