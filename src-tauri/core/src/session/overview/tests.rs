//! The client overview: forty demo clients ranked worst first, refresh trouble on the row, the
//! vendor filter across clients.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::domain::keys::KeyRecord;
use crate::error::ErrorCode;
use crate::session::{AppPaths, PortfolioFilter};

fn demo_core(dir: &std::path::Path, clients: Option<&str>) -> AppCore {
    let core = AppCore::new(
        AppPaths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        },
        true,
        Arc::new(|_| {}),
    );
    match clients {
        Some(asked) => core.with_demo_clients_asked(asked),
        None => core,
    }
}

fn row(name: &str, attention: Attention, expired: usize, overdue: usize) -> ClientOverviewRow {
    ClientOverviewRow {
        client_id: name.to_lowercase(),
        name: name.to_string(),
        state: ClientState::Connected,
        connection: "Connected".into(),
        keys: 10,
        expired,
        overdue,
        due_soon: 0,
        next_deadline: None,
        last_refresh: None,
        refresh: Some(RefreshHealth::Fresh),
        refresh_label: String::new(),
        attention,
        reason: String::new(),
        rank: 99,
    }
}

#[test]
fn worst_first_is_expired_then_overdue_then_unreachable_then_due_then_outdated() {
    let mut rows = vec![
        row("Zeta", Attention::NotConnected, 0, 0),
        row("Alpha", Attention::InOrder, 0, 0),
        row("Delta", Attention::Outdated, 0, 0),
        row("Echo", Attention::Due, 0, 0),
        row("Bravo", Attention::Unreachable, 0, 0),
        row("Foxtrot", Attention::Overdue, 0, 4),
        row("Golf", Attention::Expired, 1, 0),
        row("Hotel", Attention::Expired, 3, 0),
        row("India", Attention::Overdue, 0, 1),
    ];
    rank_rows(&mut rows);
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Hotel", "Golf", "Foxtrot", "India", "Bravo", "Echo", "Delta", "Alpha", "Zeta"
        ]
    );
    assert!(rows.iter().enumerate().all(|(i, r)| r.rank == i));
}

#[test]
fn the_next_deadline_is_the_nearest_one_ahead_rotation_or_expiry() {
    let now = Utc
        .with_ymd_and_hms(2026, 12, 7, 9, 0, 0)
        .single()
        .expect("date");
    let key =
        |vendor: &str, rotated_days_ago: i64, expires_in: Option<i64>, enabled: bool| KeyRecord {
            secret_name: vendor.into(),
            vendor_id: vendor.into(),
            interval_days: 90,
            last_rotated: now - Duration::days(rotated_days_ago),
            expires: expires_in.map(|d| now + Duration::days(d)),
            enabled,
            label: None,
            owner: String::new(),
            note: String::new(),
            masked_preview: String::new(),
            outside_change: None,
            endpoint_override: None,
            token_url_override: None,
            settings: Default::default(),
            version: "v1".into(),
            created: None,
            updated: None,
        };
    // Atera's rotation is due in 10 days; Okta expires in 4 days; HaloPSA's overdue rotation and
    // a disabled key expiring tomorrow are not "ahead".
    let keys = vec![
        key("atera", 80, Some(300), true),
        key("okta", 10, Some(4), true),
        key("halopsa", 120, None, true),
        key("sophos-central", 10, Some(1), false),
    ];
    let deadline = next_deadline(&keys, now).expect("a deadline");
    assert_eq!(deadline.kind, DeadlineKind::Expiry);
    assert_eq!(deadline.days, 4);
    assert_eq!(deadline.date, "2026-12-11");
    assert_eq!(deadline.text, "Okta: expires in 4 d");
    let later = next_deadline(&keys[..1], now).expect("rotation");
    assert_eq!(later.kind, DeadlineKind::Rotation);
    assert_eq!(later.text, "Atera: rotation due in 10 d");
    assert!(next_deadline(&keys[2..], now).is_none());
}

#[test]
fn the_demo_size_is_checked_and_capped() {
    assert_eq!(crate::session::demo_clients_from("40").ok(), Some(40));
    assert_eq!(crate::session::demo_clients_from(" 1 ").ok(), Some(1));
    for refused in ["0", "61", "-3", "forty", "", "4000000000000000000000"] {
        let error = crate::session::demo_clients_from(refused).expect_err(refused);
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert!(error.hint.contains("1 to 60"), "{}", error.hint);
    }
}

#[tokio::test]
async fn forty_demo_clients_open_worst_first_with_refresh_trouble_on_the_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = demo_core(dir.path(), Some("40"));
    let status = core.start_demo().await.expect("demo");
    assert_eq!(status.clients.len(), 40);
    assert_eq!(status.connected, 40);
    let overview = core.client_overview(Utc::now()).await;
    assert_eq!(overview.rows.len(), 40);
    // Worst first: attention never improves then worsens down the list.
    assert!(
        overview
            .rows
            .windows(2)
            .all(|w| w[0].attention <= w[1].attention),
        "{:?}",
        overview
            .rows
            .iter()
            .map(|r| (&r.name, r.attention))
            .collect::<Vec<_>>()
    );
    assert_eq!(overview.rows[0].attention, Attention::Expired);
    assert!(
        overview
            .rows
            .iter()
            .any(|r| r.attention == Attention::InOrder)
    );
    assert!(overview.rows.iter().any(|r| r.attention == Attention::Due));
    assert!(overview.needing_attention > 0 && overview.needing_attention < 40);
    assert_eq!(
        overview.summary,
        format!(
            "{} of 40 clients need attention.",
            overview.needing_attention
        )
    );

    // The row's counts are the sidebar's, and the sidebar's urgency order is the overview's.
    for row in &overview.rows {
        let client = status
            .clients
            .iter()
            .find(|c| c.id == row.client_id)
            .expect("client");
        let counts = client.counts.clone().expect("counts");
        assert_eq!(
            (row.expired, row.overdue, row.due_soon),
            (counts.expired, counts.overdue, counts.due_soon)
        );
        assert_eq!(client.urgency, row.rank, "{}", row.name);
        assert!(row.last_refresh.is_some(), "{}", row.name);
    }

    // One client's vault stopped answering after the first listing: said on the row, with the
    // time of the data shown.
    let failed = overview
        .rows
        .iter()
        .find(|r| r.name == "Coho Winery")
        .expect("the failing client");
    assert_eq!(failed.refresh, Some(RefreshHealth::Failed));
    assert_eq!(failed.attention, Attention::Unreachable);
    assert!(
        failed.refresh_label.starts_with("Refresh failed "),
        "{}",
        failed.refresh_label
    );
    assert!(
        failed.refresh_label.contains("; data from "),
        "{}",
        failed.refresh_label
    );
    assert!(
        failed
            .reason
            .contains("Last refresh failed: The vault did not answer"),
        "{}",
        failed.reason
    );
    // One client's data is older than two background refreshes.
    let outdated = overview
        .rows
        .iter()
        .find(|r| r.name == "Lucerne Publishing")
        .expect("the outdated client");
    assert_eq!(outdated.refresh, Some(RefreshHealth::Outdated));
    assert_eq!(outdated.refresh_label, "Outdated: refreshed 47 min ago");
    assert_eq!(outdated.attention, Attention::Outdated);
    // A healthy client says so.
    let fine = overview
        .rows
        .iter()
        .find(|r| r.attention == Attention::InOrder)
        .expect("a client in order");
    assert_eq!(fine.reason, "All keys in order");
    assert!(
        fine.refresh_label.starts_with("Refreshed "),
        "{}",
        fine.refresh_label
    );
    assert!(fine.next_deadline.is_some());
}

#[tokio::test]
async fn the_default_demo_keeps_its_three_clients_and_a_bad_size_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = demo_core(dir.path(), Some("500"));
    let status = core.start_demo().await.expect("demo");
    assert_eq!(status.clients.len(), 3);
    let error = status.last_error.expect("the refused size is shown");
    assert!(error.message.contains("\"500\""), "{}", error.message);
    let overview = core.client_overview(Utc::now()).await;
    assert!(
        overview
            .rows
            .iter()
            .all(|r| r.refresh == Some(RefreshHealth::Fresh)),
        "the default demo has no refresh trouble"
    );
}

#[tokio::test]
async fn every_sentinelone_key_across_clients_and_only_those_go_to_the_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = demo_core(dir.path(), Some("12"));
    core.start_demo().await.expect("demo");
    let now = Utc::now();
    let filter = PortfolioFilter {
        client: None,
        vendor: Some("sentinelone".into()),
    };
    let view = core.vault_view(&filter, now).await.expect("vault view");
    assert!(view.rows.len() > 1, "SentinelOne keys at several clients");
    assert!(view.rows.iter().all(|r| r.vendor_id == "sentinelone"));
    let clients: std::collections::HashSet<&str> =
        view.rows.iter().map(|r| r.client_id.as_str()).collect();
    assert_eq!(
        clients.len(),
        view.rows.len(),
        "one SentinelOne key per client"
    );
    // The chips count the filtered keys; clients without one count as "without a key".
    assert_eq!(view.counts.keys, view.rows.len());
    assert_eq!(view.counts.no_key, 12 - view.rows.len());

    let rotation = core.rotation_view(&filter, now).await.expect("rotation");
    assert_eq!(rotation.rows.len(), view.rows.len());
    assert!(rotation.rows.iter().all(|r| r.vendor_id == "sentinelone"));

    let csv =
        String::from_utf8(core.inventory_csv(&filter, now).await.expect("csv")).expect("utf-8");
    let lines: Vec<&str> = csv.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), view.rows.len() + 1, "{csv}");
    assert!(
        lines[1..].iter().all(|l| l.contains("SentinelOne")),
        "{csv}"
    );

    let unknown = PortfolioFilter {
        client: None,
        vendor: Some("../etc".into()),
    };
    let error = core
        .vault_view(&unknown, now)
        .await
        .expect_err("not a vendor");
    assert_eq!(error.code, ErrorCode::UnknownVendor);
    let error = core
        .report_pdf(&filter, now)
        .await
        .expect_err("report is whole");
    assert_eq!(error.code, ErrorCode::InvalidInput);
}

#[tokio::test]
async fn an_expired_certificate_puts_a_client_with_keys_in_order_among_the_expired() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = demo_core(dir.path(), Some("40"));
    let status = core.start_demo().await.expect("demo");
    let overview = core.client_overview(Utc::now()).await;
    let fine = overview
        .rows
        .iter()
        .find(|r| r.attention == Attention::InOrder)
        .expect("a client in order");
    let mut client = status
        .clients
        .iter()
        .find(|c| c.id == fine.client_id)
        .cloned()
        .expect("client");
    let mut counts = client.counts.clone().expect("counts");
    counts.certificates.expired = 1;
    client.counts = Some(counts.clone());
    let row = overview_row(&client, None);
    assert_eq!(row.attention, Attention::Expired);
    assert!(
        row.reason.contains("1 certificate or vault key expired"),
        "{}",
        row.reason
    );
    counts.certificates.expired = 0;
    counts.crypto_keys.due_soon = 2;
    client.counts = Some(counts);
    let row = overview_row(&client, None);
    assert_eq!(row.attention, Attention::Due);
    assert!(
        row.reason
            .contains("2 certificates or vault keys expiring within 14 days"),
        "{}",
        row.reason
    );
    // An app registration's expired secret in the client's tenant counts too, named apart.
    let mut counts = client.counts.clone().expect("counts");
    counts.crypto_keys.due_soon = 0;
    counts.app_credentials.expired = 1;
    client.counts = Some(counts);
    let row = overview_row(&client, None);
    assert_eq!(row.attention, Attention::Expired);
    assert!(
        row.reason.contains("1 app credential expired") && !row.reason.contains("vault key"),
        "{}",
        row.reason
    );
}
