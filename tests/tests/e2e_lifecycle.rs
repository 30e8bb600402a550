//! End-to-end, demo mode: rotating from a row, Rotate All Due with its progress bar, and the
//! Distribute tab's role toggles enforced against an L1 operator.

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
    let huntress = "[data-testid=vault-row][data-vendor=huntress]";
    app.find(huntress).await?;
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
    // Generate where the console may; paste a vendor-shaped value where the key has parts.
    for (index, row) in app
        .client
        .find_all(Locator::Css("[data-testid=bulk-row]"))
        .await?
        .into_iter()
        .enumerate()
    {
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
    }
    app.click("[data-testid=bulk-run]").await?;
    app.find("[data-testid=bulk-progress]").await?;
    app.eventually("every due key rotated", Duration::from_secs(20), || async {
        let results = app
            .client
            .find_all(Locator::Css("[data-testid=bulk-result] .ok"))
            .await?;
        Ok(results.len() == rows)
    })
    .await?;
    let progress = app.text("[data-testid=bulk-progress]").await?;
    assert!(progress.contains(&format!("{rows} / {rows}")), "{progress}");
    app.screenshot("rotate-all-due.png").await?;
    app.client
        .find(Locator::Css("[data-testid=bulk-rotate] footer button"))
        .await?
        .click()
        .await?;
    app.eventually("nothing left due", Duration::from_secs(10), || async {
        Ok(app
            .text("[data-testid=rotate-all-due]")
            .await?
            .contains("(0)"))
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
    app.screenshot("distribute-tab.png").await?;

    // The technician switches to L1 (demo mode allows it) and is refused a copy of NinjaOne.
    app.click("[data-testid=operator-chip]").await?;
    app.find("[data-testid=profile-role]")
        .await?
        .select_by_value("L1")
        .await?;
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
    app.click("[data-testid=vault-row][data-vendor=ninjaone] [data-testid=copy-key]")
        .await?;
    app.eventually("the refusal toast", Duration::from_secs(10), || async {
        let toasts = app
            .client
            .find_all(Locator::Css("[data-testid=toast]"))
            .await?;
        for toast in toasts {
            if toast
                .text()
                .await?
                .contains("Your role (L1) may not copy the NinjaOne key")
            {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .await?;
    assert_eq!(
        app.count("[data-testid=copy-countdown]").await?,
        0,
        "nothing was copied"
    );
    // RMM keys the policy still grants L1 can be copied.
    app.click("[data-testid=vault-row][data-vendor=atera] [data-testid=copy-key]")
        .await?;
    app.find("[data-testid=copy-countdown]").await?;
    app.screenshot("l1-refused-copy.png").await?;

    // As L1 the Distribute toggles are read-only.
    open_tab(&app, "distribute").await?;
    assert!(
        !app.find("[data-testid=grant-L2-ninjaone]")
            .await?
            .is_enabled()
            .await?
    );
    app.quit().await;
    Ok(())
}
