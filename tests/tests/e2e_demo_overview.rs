//! End-to-end, demo mode with forty clients: the overview worst first with search, the sidebar
//! at the default and the minimum window, the vendor filter, Rotate All Due's summary, templates
//! and an L1 refused — the real app window under Xvfb, driven like a technician would.

use std::time::Duration;

use akv_tests::e2e::{App, Launch, Profile, Result};

/// The overview's order of trouble, worst first (Rust's `Attention`).
const ATTENTION: [&str; 7] = [
    "expired",
    "overdue",
    "unreachable",
    "due",
    "outdated",
    "in-order",
    "not-connected",
];

/// An element's text whether or not it is scrolled into view (WebDriver's text is the visible
/// text only).
async fn text_of(app: &App, css: &str) -> Result<String> {
    let script = format!("return document.querySelector(\"{css}\")?.textContent.trim() ?? '';");
    Ok(app
        .eval(&script)
        .await?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// Cancel, in the open dialog.
const CANCEL_DIALOG: &str = "[...document.querySelectorAll('[role=dialog] button')].find(b => b.textContent.trim() === 'Cancel').click(); return true;";

async fn overview_rows(app: &App) -> Result<Vec<(String, String)>> {
    let rows = app
        .eval(
            "return [...document.querySelectorAll('[data-testid=overview-row]')].map(r => [r.dataset.client, r.dataset.attention]);",
        )
        .await?;
    Ok(serde_json::from_value(rows)?)
}

/// Is the element entirely inside the window (seen without scrolling)?
async fn in_view(app: &App, css: &str) -> Result<bool> {
    let script = format!(
        "const r = document.querySelector(\"{css}\").getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;"
    );
    Ok(app.eval(&script).await? == serde_json::json!(true))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_demo_clients_open_on_an_overview_worst_first_with_search() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let profile = Profile::new("demo-forty")?;
    let launch = Launch::demo().with_env("AKV_DEMO_CLIENTS", "40");
    let app = App::launch("demo-forty", &profile, launch).await?;
    app.eventually(
        "forty clients connected",
        Duration::from_secs(40),
        || async {
            Ok(app
                .count("[data-testid=client-item][data-state=connected]")
                .await?
                == 40)
        },
    )
    .await?;
    app.eventually("forty overview rows", Duration::from_secs(20), || async {
        Ok(app.count("[data-testid=overview-row]").await? == 40)
    })
    .await?;

    // Worst first: expired keys at the top, the kinds of trouble never out of order.
    let rows = overview_rows(&app).await?;
    let severity = |attention: &str| ATTENTION.iter().position(|a| *a == attention);
    assert!(
        rows.windows(2)
            .all(|w| severity(&w[0].1) <= severity(&w[1].1) && severity(&w[0].1).is_some()),
        "{rows:?}"
    );
    assert_eq!(rows[0].1, "expired", "{rows:?}");
    assert!(rows.iter().any(|r| r.1 == "in-order"), "{rows:?}");
    let summary = app.text("[data-testid=overview-summary]").await?;
    assert!(
        summary.ends_with("of 40 clients need attention."),
        "{summary}"
    );
    // A failed and an outdated refresh are said on the row, in words.
    let refresh = |client: &str| {
        format!("[data-testid=overview-row][data-client='{client}'] [data-testid=overview-refresh]")
    };
    app.screenshot("overview-forty-1360x860.png").await?;
    let failed = text_of(&app, &refresh("Coho Winery")).await?;
    assert!(failed.starts_with("Refresh failed "), "{failed}");
    let outdated = text_of(&app, &refresh("Lucerne Publishing")).await?;
    assert_eq!(outdated, "Outdated: refreshed 47 min ago");
    // The sidebar lists the clients in the same order by default, says what its dot means and
    // names the failed refresh on the row.
    let sidebar = app
        .eval(
            "return [...document.querySelectorAll('[data-testid=client-item]')].map(c => c.dataset.client);",
        )
        .await?;
    let overview_order: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(sidebar, serde_json::json!(overview_order));
    assert_eq!(
        app.find("[data-testid=client-dot]")
            .await?
            .attr("aria-label")
            .await?
            .as_deref(),
        Some("Connection: connected")
    );
    assert!(
        app.text("[data-testid=client-legend]")
            .await?
            .contains("not connected")
    );
    let stale = text_of(
        &app,
        "[data-testid=client-item][data-client='Coho Winery'] [data-testid=client-stale]",
    )
    .await?;
    assert_eq!(stale, "refresh failed");
    // Seen without scrolling at the default size: the summary and the worst client.
    assert!(in_view(&app, "[data-testid=overview-summary]").await?);
    assert!(in_view(&app, "[data-testid=overview-row]").await?);
    app.screenshot("overview-forty-1360x860.png").await?;

    // Search keeps worst first.
    app.type_into("[data-testid=overview-search]", "dental")
        .await?;
    app.eventually(
        "only the dental clients",
        Duration::from_secs(10),
        || async {
            let rows = overview_rows(&app).await?;
            Ok(!rows.is_empty() && rows.iter().all(|r| r.0.contains("Dental")))
        },
    )
    .await?;
    let dental = overview_rows(&app).await?;
    assert!(dental.len() >= 2, "{dental:?}");
    let expected: Vec<_> = rows
        .iter()
        .filter(|r| r.0.contains("Dental"))
        .cloned()
        .collect();
    assert_eq!(dental, expected);

    // Enter on a row opens that client alone.
    let first = dental[0].0.clone();
    let row = app.find("[data-testid=overview-row]").await?;
    app.client
        .execute("arguments[0].focus();", vec![serde_json::to_value(&row)?])
        .await?;
    row.send_keys("\u{E007}").await?;
    app.eventually(
        "the client opened alone",
        Duration::from_secs(10),
        || async {
            Ok(app
                .find(&format!("[data-testid=client-item][data-client='{first}']"))
                .await?
                .attr("aria-current")
                .await?
                .as_deref()
                == Some("true"))
        },
    )
    .await?;
    app.wait_for("[data-testid=vault-row]", Duration::from_secs(10))
        .await?;
    assert!(
        app.count("[data-testid=row-client]").await? == 0,
        "one client alone has no Client column"
    );

    // Back to All clients: the overview; the keys of every client one click away, and one
    // vendor's keys across every client.
    app.click("[data-testid=client-all]").await?;
    app.wait_for("[data-testid=overview-row]", Duration::from_secs(10))
        .await?;
    app.show_all_keys().await?;
    app.wait_for("[data-testid=row-client]", Duration::from_secs(10))
        .await?;
    app.select("[data-testid=vendor-filter]", "sentinelone")
        .await?;
    app.eventually("only SentinelOne keys", Duration::from_secs(10), || async {
        let vendors = app
            .eval(
                "return [...new Set([...document.querySelectorAll('[data-testid=vault-row]')].map(r => r.dataset.vendor))];",
            )
            .await?;
        Ok(vendors == serde_json::json!(["sentinelone"]))
    })
    .await?;
    let bar = app.text("[data-testid=vendor-bar]").await?;
    assert!(bar.contains("SentinelOne keys across 40 clients"), "{bar}");
    app.screenshot("vendor-filter-forty-1360x860.png").await?;
    // Acting on the result: Rotate All Due with only the SentinelOne keys that are due.
    let secrets = "return [...new Set([...document.querySelectorAll('[data-testid=bulk-row]')].map(r => r.dataset.secret))];";
    app.click("[data-testid=vendor-rotate]").await?;
    app.eventually(
        "SentinelOne's due keys only",
        Duration::from_secs(10),
        || async { Ok(app.eval(secrets).await? == serde_json::json!(["sentinelone"])) },
    )
    .await?;
    app.eval(CANCEL_DIALOG).await?;
    app.eventually("the dialog closed", Duration::from_secs(10), || async {
        Ok(app.count("[data-testid=bulk-row]").await? == 0)
    })
    .await?;
    // The sidebar's Rotate All Due is every vendor's again. Bulk work across the forty clients
    // ends with a summary, failures first: the first key gets an expiry in the past (it fails),
    // two more get their new value, the rest are left empty (skipped).
    app.click("[data-testid=sidebar-rotate-all]").await?;
    app.eventually(
        "every vendor's due keys",
        Duration::from_secs(10),
        || async { Ok(app.eval(secrets).await?.as_array().map_or(0, Vec::len) > 1) },
    )
    .await?;
    let listed = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=bulk-row]"))
        .await?;
    let due = listed.len();
    assert!(due > 3, "{due} keys due across forty clients");
    for (index, row) in listed.into_iter().take(3).enumerate() {
        let generate = row
            .find(fantoccini::Locator::Css("[data-testid=bulk-generate]"))
            .await?;
        if generate.is_enabled().await? {
            generate.click().await?;
        } else {
            for (part, field) in row
                .find_all(fantoccini::Locator::Css("input[data-part]"))
                .await?
                .into_iter()
                .enumerate()
            {
                field
                    .send_keys(&format!("new-{index}-{part}-0123456789abcdef"))
                    .await?;
            }
        }
        if index == 0 {
            let expiry = row
                .find(fantoccini::Locator::Css("[data-testid=bulk-expiry]"))
                .await?;
            expiry.clear().await?;
            expiry.send_keys("2020-01-01").await?;
        }
    }
    app.click("[data-testid=bulk-run]").await?;
    app.eventually("the run's summary", Duration::from_secs(60), || async {
        Ok(app.count("[data-testid=bulk-summary]").await? == 1)
    })
    .await?;
    assert_eq!(
        app.text("[data-testid=bulk-headline]").await?,
        format!("2 rotated · 1 failed · {} skipped", due - 3)
    );
    let summary = app.text("[data-testid=bulk-summary]").await?;
    let failed_at = summary.find("Failed").expect("failed section");
    let skipped_at = summary.find("Skipped").expect("skipped section");
    let rotated_at = summary.find("Rotated").expect("rotated section");
    assert!(
        failed_at < skipped_at && skipped_at < rotated_at,
        "{summary}"
    );
    app.screenshot("rotate-all-due-summary-forty-1360x860.png")
        .await?;
    app.client
        .find(fantoccini::Locator::Css(
            "[data-testid=bulk-rotate] footer button",
        ))
        .await?
        .click()
        .await?;
    app.eventually("the dialog closed", Duration::from_secs(10), || async {
        Ok(app.count("[data-testid=bulk-row]").await? == 0)
    })
    .await?;

    // The minimum window: the overview still shows the summary and the worst clients.
    app.client.set_window_size(1024, 640).await?;
    app.eventually(
        "the window at 1024 x 640",
        Duration::from_secs(10),
        || async {
            let size = app
                .eval("return [window.innerWidth, window.innerHeight];")
                .await?;
            let (w, h) = (size[0].as_i64().unwrap_or(0), size[1].as_i64().unwrap_or(0));
            Ok((1000..=1024).contains(&w) && (600..=640).contains(&h))
        },
    )
    .await?;
    // Nothing but the tables scrolls: the window itself never does.
    assert_eq!(
        app.eval("return document.documentElement.scrollHeight <= window.innerHeight;")
            .await?,
        serde_json::json!(true)
    );
    app.screenshot("vendor-filter-forty-1024x640.png").await?;
    app.click("[data-testid=view-overview]").await?;
    app.type_into("[data-testid=overview-search]", "").await?;
    app.eventually("forty overview rows", Duration::from_secs(10), || async {
        Ok(app.count("[data-testid=overview-row]").await? == 40)
    })
    .await?;
    assert!(in_view(&app, "[data-testid=overview-summary]").await?);
    assert!(in_view(&app, "[data-testid=overview-row]").await?);
    app.screenshot("overview-forty-1024x640.png").await?;
    // The sidebar's compact mode: one line per client, kept for the next start.
    app.click("[data-testid=client-compact]").await?;
    assert_eq!(
        app.eval("return localStorage.getItem('akv.sidebar.compact');")
            .await?,
        serde_json::json!("1")
    );
    let visible = app
        .eval(
            "const list = document.querySelector('[data-testid=client-list]').getBoundingClientRect(); return [...document.querySelectorAll('[data-testid=client-item]')].filter(c => c.getBoundingClientRect().bottom <= list.bottom).length;",
        )
        .await?;
    assert!(
        visible.as_u64().unwrap_or(0) >= 8,
        "{visible} clients in view"
    );
    // Every reminder line stays inside the banner at this size (a long app credential's title
    // ran past its edge): a line is its own box within the banner, and what does not fit is
    // clipped there with an ellipsis.
    let overflowing = app
        .eval(
            "const card = document.querySelector('[data-testid=reminders]').getBoundingClientRect(); \
             return [...document.querySelectorAll('[data-testid=reminder]')] \
               .filter(li => { const s = getComputedStyle(li); \
                 return li.getBoundingClientRect().right > card.right + 0.5 \
                   || (li.scrollWidth > li.clientWidth && (s.overflowX !== 'hidden' || s.textOverflow !== 'ellipsis')); }) \
               .map(li => li.textContent);",
        )
        .await?;
    assert_eq!(
        overflowing,
        serde_json::json!([]),
        "reminder lines past the banner's edge"
    );
    app.screenshot("sidebar-compact-1024x640.png").await?;

    // Forty clients do not mean forty times the toggles: one client's policy becomes a template,
    // applied to all forty with a preview, one audited save per client that changes.
    app.client.set_window_size(1360, 860).await?;
    app.click("[data-testid=tab-distribute]").await?;
    app.find("[data-testid=distribute-tab]").await?;
    let toggle = "[data-testid=grant-L1-ninjaone]";
    if app.find(toggle).await?.is_selected().await? {
        app.click(toggle).await?;
        app.eventually("the toggle to be off", Duration::from_secs(10), || async {
            Ok(!app.find(toggle).await?.is_selected().await?)
        })
        .await?;
    }
    app.type_into("[data-testid=template-name]", "Forty")
        .await?;
    app.click("[data-testid=template-save]").await?;
    app.find("[data-testid=template-row][data-name=Forty]")
        .await?;
    app.click("[data-testid=template-apply-open]").await?;
    app.find("[data-testid=apply-template]").await?;
    app.click("[data-testid=template-preview]").await?;
    app.eventually(
        "a preview row per client",
        Duration::from_secs(20),
        || async { Ok(app.count("[data-testid=template-preview-row]").await? == 40) },
    )
    .await?;
    let preview = app.text("[data-testid=template-preview-summary]").await?;
    assert!(preview.starts_with("39 of 40 clients change"), "{preview}");
    app.screenshot("template-preview-forty-1360x860.png")
        .await?;
    app.click("[data-testid=template-apply]").await?;
    app.find("[data-testid=template-result]").await?;
    let applied = app.text("[data-testid=template-result] h3").await?;
    assert_eq!(
        applied,
        "Applied template \"Forty\": 39 clients changed, 1 already matched, 0 failed."
    );
    app.screenshot("template-applied-forty-1360x860.png")
        .await?;
    app.client
        .find(fantoccini::Locator::Css(
            "[data-testid=apply-template] footer button",
        ))
        .await?
        .click()
        .await?;

    // As L1 (the demo lets the technician pick a role), what the template took away is refused
    // before the click, on every client, with Rust's reason.
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
    app.click("[data-testid=tab-vault]").await?;
    app.show_all_keys().await?;
    app.select("[data-testid=vendor-filter]", "ninjaone")
        .await?;
    app.eventually(
        "every NinjaOne copy refused with its reason",
        Duration::from_secs(20),
        || async {
            let refused = app
                .eval(
                    "const b = [...document.querySelectorAll('[data-testid=vault-row][data-vendor=ninjaone] [data-testid=copy-key]')]; return [b.length, b.filter(x => x.disabled && x.title.includes('you are L1')).length];",
                )
                .await?;
            Ok(refused[0].as_u64().unwrap_or(0) > 0 && refused[0] == refused[1])
        },
    )
    .await?;
    app.screenshot("l1-refused-forty-1360x860.png").await?;
    app.quit().await;
    Ok(())
}
