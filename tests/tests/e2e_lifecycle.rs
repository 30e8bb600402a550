//! End-to-end, demo mode: rotating from a row, Rotate All Due with its progress bar and its
//! summary (failures first, then skipped), the Distribute grid with a role-policy template applied
//! to every client and undone from its notice, and an L1 operator shown what is refused before the
//! click.

use std::time::Duration;

use akv_tests::e2e::{App, Launch, Profile, Result};
use fantoccini::Locator;

async fn open_tab(app: &App, tab: &str) -> Result<()> {
    app.click(&format!("[data-testid=tab-{tab}]")).await?;
    app.find(&format!("[data-testid={tab}-tab]")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_bulk_rotation_and_role_enforcement() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let profile = Profile::new("lifecycle")?;
    let app = App::launch("lifecycle", &profile, Launch::demo()).await?;
    app.show_all_keys().await?;
    // Every client has a Huntress key, and the list re-sorts worst first after a rotation: follow
    // the first one's client.
    let client = app
        .find("[data-testid=vault-row][data-vendor=huntress]")
        .await?
        .attr("data-client")
        .await?
        .unwrap_or_default();
    let huntress =
        &format!("[data-testid=vault-row][data-vendor=huntress][data-client=\"{client}\"]");
    let before = app
        .text(&format!("{huntress} [data-testid=masked-preview]"))
        .await?;
    assert_eq!(
        app.find(&format!("{huntress} [data-status]"))
            .await?
            .attr("data-status")
            .await?
            .as_deref(),
        Some("overdue")
    );

    // Rotate one key from its row: the dialog reminds to generate it at the vendor first.
    app.click(&format!("{huntress} [data-testid=rotate-row]"))
        .await?;
    let dialog = app.find("[data-testid=rotate-dialog]").await?;
    assert!(dialog.text().await?.contains("vendor's portal first"));
    // Huntress keys have two labelled parts; nobody types "key:secret".
    assert!(dialog.text().await?.contains("API secret"));
    app.type_into("[data-testid=rotate-part-user]", "hk_newpublic")
        .await?;
    app.type_into(
        "[data-testid=rotate-part-password]",
        "hs_newprivate_0123456789",
    )
    .await?;
    app.click("[data-testid=rotate-save]").await?;
    app.eventually(
        "Huntress to be healthy",
        Duration::from_secs(10),
        || async {
            let status = app
                .find(&format!("{huntress} [data-status]"))
                .await?
                .attr("data-status")
                .await?;
            Ok(status.as_deref() == Some("healthy"))
        },
    )
    .await?;
    let after = app
        .text(&format!("{huntress} [data-testid=masked-preview]"))
        .await?;
    assert_ne!(before, after, "a new masked preview after rotation");
    assert!(
        !app.webview_contents()
            .await?
            .contains("hs_newprivate_0123456789")
    );

    // The Rotation tab: most urgent first, due and overdue highlighted, counts on top.
    open_tab(&app, "rotation").await?;
    let overdue: usize = app
        .text("[data-testid=count-overdue] strong")
        .await?
        .parse()?;
    let due: usize = app.text("[data-testid=count-due] strong").await?.parse()?;
    assert!(overdue >= 2 && due >= 3, "overdue {overdue}, due {due}");
    app.screenshot("rotation-tab.png").await?;

    // Rotate All Due: one dialog, a field per due key; generate values for all of them.
    app.click("[data-testid=rotate-all-due]").await?;
    app.find("[data-testid=bulk-rotate]").await?;
    let rows = app.count("[data-testid=bulk-row]").await?;
    assert!(rows >= 5, "{rows} due keys listed");
    // Every column is labelled; dates are ISO like the rest of the app.
    let mut header = Vec::new();
    for th in app
        .client
        .find_all(Locator::Css("[data-testid=bulk-rotate] thead th"))
        .await?
    {
        // The header is shown in capitals; compare the words.
        header.push(th.text().await?.to_uppercase());
    }
    let wanted = [
        "VENDOR",
        "DUE",
        "NEW KEY",
        "GENERATE",
        "NEW EXPIRY (YYYY-MM-DD)",
        "RESULT",
    ];
    assert_eq!(header.len(), wanted.len(), "{header:?}");
    for (got, label) in header.iter().zip(wanted) {
        assert!(got.starts_with(label), "column {label}: {header:?}");
    }
    for due in app
        .client
        .find_all(Locator::Css("[data-testid=bulk-due]"))
        .await?
    {
        let text = due.text().await?;
        assert!(
            chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").is_ok(),
            "ISO due date, got {text:?}"
        );
    }
    // Generate where the console may; paste a vendor-shaped value where the key has parts. The
    // first key gets an expiry in the past (it must fail, and be listed first), the last is left
    // empty (skipped).
    let listed = app
        .client
        .find_all(Locator::Css("[data-testid=bulk-row]"))
        .await?;
    let failing_vendor = listed[0].attr("data-secret").await?.unwrap_or_default();
    for (index, row) in listed.into_iter().enumerate() {
        if index == rows - 1 {
            continue;
        }
        let checkbox = row
            .find(Locator::Css("[data-testid=bulk-generate]"))
            .await?;
        if checkbox.is_enabled().await? {
            checkbox.click().await?;
        } else {
            // One field per labelled part of a multi-part key.
            for (part, field) in row
                .find_all(Locator::Css("input[data-part]"))
                .await?
                .into_iter()
                .enumerate()
            {
                field
                    .send_keys(&format!("new-{index}-{part}-0123456789"))
                    .await?;
            }
        }
        if index == 0 {
            let expiry = row.find(Locator::Css("[data-testid=bulk-expiry]")).await?;
            expiry.clear().await?;
            expiry.send_keys("2020-01-01").await?;
        }
    }
    app.screenshot("rotate-all-due.png").await?;
    app.client.set_window_size(1024, 640).await?;
    app.screenshot("rotate-all-due-1024.png").await?;
    app.client.set_window_size(1360, 860).await?;
    app.click("[data-testid=bulk-run]").await?;
    app.eventually("the run's summary", Duration::from_secs(30), || async {
        Ok(app.count("[data-testid=bulk-summary]").await? == 1)
    })
    .await?;
    let progress = app.text("[data-testid=bulk-progress]").await?;
    let ran = rows - 1;
    assert!(progress.contains(&format!("{ran} / {ran}")), "{progress}");
    assert_eq!(
        app.text("[data-testid=bulk-headline]").await?,
        format!("{} rotated · 1 failed · 1 skipped", rows - 2)
    );
    // Failures first, with their reason; then the skipped key; then the rotated ones.
    let summary = app.text("[data-testid=bulk-summary]").await?;
    let failed_at = summary.find("Failed").expect("failed section");
    let skipped_at = summary.find("Skipped").expect("skipped section");
    let rotated_at = summary.find("Rotated").expect("rotated section");
    assert!(
        failed_at < skipped_at && skipped_at < rotated_at,
        "{summary}"
    );
    let failure = app.text("[data-testid=bulk-failed-item]").await?;
    assert!(
        failure.contains("The expiry date is in the past"),
        "{failure}"
    );
    assert!(!failing_vendor.is_empty());
    app.screenshot("rotate-all-due-summary.png").await?;
    app.client.set_window_size(1024, 640).await?;
    app.screenshot("rotate-all-due-summary-1024.png").await?;
    app.client.set_window_size(1360, 860).await?;
    app.client
        .find(Locator::Css("[data-testid=bulk-rotate] footer button"))
        .await?
        .click()
        .await?;
    app.eventually("two keys left due", Duration::from_secs(10), || async {
        Ok(app
            .text("[data-testid=rotate-all-due]")
            .await?
            .contains("(2)"))
    })
    .await?;

    // Distribute: the Admin revokes NinjaOne for L1.
    open_tab(&app, "distribute").await?;
    assert_eq!(app.count("[data-testid=role-card]").await?, 4);
    let toggle = "[data-testid=grant-L1-ninjaone]";
    assert!(
        app.find(toggle).await?.is_selected().await?,
        "L1 has RMM keys by default"
    );
    app.click(toggle).await?;
    app.eventually("the toggle to be off", Duration::from_secs(10), || async {
        Ok(!app.find(toggle).await?.is_selected().await?)
    })
    .await?;
    // The notice names the client whose policy changed: the one the L1 checks below look at.
    let mut source = String::new();
    for toast in app
        .client
        .find_all(Locator::Css("[data-testid=toast]"))
        .await?
    {
        if toast
            .text()
            .await?
            .contains("L1 may no longer use NinjaOne")
        {
            source = toast
                .find(Locator::Css("[data-testid=toast-client]"))
                .await?
                .text()
                .await?;
        }
    }
    assert!(!source.is_empty(), "the toggle's notice names its client");
    app.screenshot("distribute-tab.png").await?;
    app.client.set_window_size(1024, 640).await?;
    app.screenshot("distribute-tab-1024.png").await?;
    app.client.set_window_size(1360, 860).await?;

    // That policy becomes a template, applied to every client in one step with a preview.
    app.type_into("[data-testid=template-name]", "Standard")
        .await?;
    app.click("[data-testid=template-save]").await?;
    app.find("[data-testid=template-row][data-name=Standard]")
        .await?;
    app.click("[data-testid=template-apply-open]").await?;
    app.find("[data-testid=apply-template]").await?;
    app.click("[data-testid=template-preview]").await?;
    app.eventually("the preview", Duration::from_secs(10), || async {
        Ok(app.count("[data-testid=template-preview-row]").await? == 3)
    })
    .await?;
    let preview = app.text("[data-testid=template-preview-summary]").await?;
    assert!(preview.starts_with("2 of 3 clients change"), "{preview}");
    let changed_row = app
        .text("[data-testid=template-preview-row][data-client='Fabrikam Logistics']")
        .await?;
    assert!(changed_row.contains("L1 −NinjaOne"), "{changed_row}");
    app.screenshot("template-preview.png").await?;
    app.click("[data-testid=template-apply]").await?;
    app.find("[data-testid=template-result]").await?;
    let applied = app.text("[data-testid=template-result] h3").await?;
    assert_eq!(
        applied,
        "Applied template \"Standard\": 2 clients changed, 1 already matched, 0 failed."
    );
    app.client
        .find(Locator::Css("[data-testid=apply-template] footer button"))
        .await?
        .click()
        .await?;
    // The notice keeps its Undo until used; Undo puts each client's previous grants back.
    let mut undo = None;
    for toast in app
        .client
        .find_all(Locator::Css("[data-testid=toast]"))
        .await?
    {
        if toast
            .text()
            .await?
            .contains("Applied template \"Standard\"")
        {
            undo = Some(
                toast
                    .find(Locator::Css("[data-testid=toast-action]"))
                    .await?,
            );
        }
    }
    let undo = undo.ok_or("the apply notice with its Undo")?;
    app.screenshot("template-applied-notice.png").await?;
    undo.click().await?;
    app.eventually("the undo notice", Duration::from_secs(10), || async {
        for toast in app
            .client
            .find_all(Locator::Css("[data-testid=toast]"))
            .await?
        {
            if toast
                .text()
                .await?
                .contains("Undid template \"Standard\": 2 clients changed")
            {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .await?;

    // The technician switches to L1 (demo mode allows it) and is refused a copy of NinjaOne.
    app.click("[data-testid=operator-chip]").await?;
    app.select("[data-testid=profile-role]", "L1").await?;
    app.click("[data-testid=profile-save]").await?;
    app.eventually(
        "the L1 role in the top bar",
        Duration::from_secs(10),
        || async {
            Ok(app
                .text("[data-testid=operator-chip]")
                .await?
                .contains("L1"))
        },
    )
    .await?;
    open_tab(&app, "vault").await?;
    // Refused before the click: the button is unavailable and says why (from Rust's allowed
    // actions), rather than a refusal after clicking.
    let copy = &format!(
        "[data-testid=vault-row][data-vendor=ninjaone][data-client=\"{source}\"] [data-testid=copy-key]"
    );
    app.eventually("the refused copy's reason", Duration::from_secs(10), || async {
        let button = app.find(copy).await?;
        let title = button.attr("title").await?.unwrap_or_default();
        Ok(!button.is_enabled().await?
            && title
                == "Copying the NinjaOne key needs Admin or a role granted NinjaOne on the Distribute tab; you are L1.")
    })
    .await?;
    app.click(copy).await?;
    assert_eq!(
        app.count("[data-testid=copy-countdown]").await?,
        0,
        "nothing was copied"
    );
    // RMM keys the policy still grants L1 can be copied.
    app.click(&format!(
        "[data-testid=vault-row][data-vendor=atera][data-client=\"{source}\"] [data-testid=copy-key]"
    ))
    .await?;
    app.find("[data-testid=copy-countdown]").await?;
    app.screenshot("l1-refused-copy.png").await?;

    // As L1 the Distribute toggles are read-only, and the templates say why before any click.
    open_tab(&app, "distribute").await?;
    assert_eq!(
        app.text("[data-testid=templates-refused]").await?,
        "Changing which roles may use which keys needs the Admin role; you are L1."
    );
    assert!(
        !app.find("[data-testid=grant-L2-ninjaone]")
            .await?
            .is_enabled()
            .await?
    );
    app.screenshot("distribute-l1.png").await?;

    // The Audit Log says what happened in plain words: "Rotated", "Changed role access".
    open_tab(&app, "audit").await?;
    app.find("[data-testid=audit-row][data-action=rotate]")
        .await?;
    let rotated = app
        .text("[data-testid=audit-row][data-action=rotate] .action")
        .await?;
    assert_eq!(rotated, "Rotated");
    let access = app
        .text("[data-testid=audit-row][data-action=distribute] .action")
        .await?;
    assert_eq!(access, "Changed role access");
    app.screenshot("audit-plain-words.png").await?;
    app.client.set_window_size(1024, 640).await?;
    app.screenshot("audit-plain-words-1024.png").await?;
    open_tab(&app, "setup").await?;
    // A long command scrolls sideways inside its box instead of breaking inside a flag.
    let command = app.find("[data-testid=setup-tab] pre").await?;
    app.client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' });",
            vec![serde_json::to_value(&command)?],
        )
        .await?;
    let style = app
        .eval("return getComputedStyle(document.querySelector('[data-testid=setup-tab] pre')).whiteSpace;")
        .await?;
    assert_eq!(style.as_str(), Some("pre"));
    app.screenshot("setup-commands-1024.png").await?;
    app.quit().await;
    Ok(())
}
