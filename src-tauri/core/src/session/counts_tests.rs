//! Every view counts with the one function: the sidebar, the Vault chips and rows, the Rotation
//! tab and Rotate All Due, the PDF summary, the CSV and `akv-console status` agree for the same
//! keys, per client and across clients.

use std::collections::HashMap;

use chrono::{Duration, Utc};

use super::*;
use crate::domain::keys::{KeyStatus, expiry_from_date};
use crate::domain::status::ClientCounts;
use crate::service::monitor::FailOn;
use crate::session::portfolio::PortfolioFilter;

fn core(dir: &std::path::Path) -> AppCore {
    AppCore::new(
        AppPaths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        },
        true,
        Arc::new(|_| {}),
    )
}

/// RFC 4180 fields of a document the console wrote (BOM, CRLF, quotes doubled).
fn csv_records(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    let text = text.trim_start_matches('\u{feff}');
    let (mut records, mut record, mut field, mut quoted) =
        (Vec::new(), Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => field.push(c),
        }
    }
    records
}

/// How many rows carry each status, by the label the rows print.
fn tally<'a>(labels: impl Iterator<Item = &'a str>) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for label in labels {
        *out.entry(label.to_string()).or_default() += 1;
    }
    out
}

fn expected_tally(counts: &ClientCounts) -> HashMap<String, usize> {
    KeyStatus::ALL
        .into_iter()
        .filter(|s| *s != KeyStatus::NoKey && counts.get(*s) > 0)
        .map(|s| (s.label().to_string(), counts.get(s)))
        .collect()
}

#[tokio::test]
async fn every_view_counts_the_same_keys_the_same_way() {
    let dir = tempfile::tempdir().expect("tempdir");
    let core = core(dir.path());
    core.start_demo().await.expect("demo");
    let now = Utc::now();

    // A console key of a vendor this catalog lacks (a newer console wrote it) and one whose
    // rotation is fine but which expires in 9 days: both must be counted and listed alike.
    let (console, _) = core.client_console("demo-1").await.expect("client");
    let mut newer = console.cached_keys()[0].clone();
    newer.secret_name = "future-vendor".into();
    newer.vendor_id = "future-vendor".into();
    newer.label = None;
    newer.last_rotated = now - Duration::days(200);
    newer.expires = None;
    let mut expiring = console.cached_keys()[0].clone();
    expiring.secret_name = format!("{}--nine", expiring.vendor_id);
    expiring.label = Some("nine".into());
    expiring.last_rotated = now - Duration::days(1);
    expiring.expires = Some(expiry_from_date(now.date_naive() + Duration::days(9)));
    for record in [&newer, &expiring] {
        console
            .store()
            .write_key(record, &SecretValue::new("0123456789abcdef0123"))
            .await
            .expect("write");
    }
    console.refresh_keys().await.expect("refresh");

    let status = core.status().await;
    let mut sidebar_total = ClientCounts::default();
    for client in &status.clients {
        let sidebar = client.counts.clone().expect("connected client has counts");
        sidebar_total.add(&sidebar);
        let filter = PortfolioFilter {
            client: Some(client.id.clone()),
            vendor: None,
        };

        let vault = core.vault_view(&filter, now).await.expect("vault view");
        assert_eq!(
            vault.counts, sidebar,
            "{}: Vault chips vs sidebar",
            client.name
        );
        let stored: Vec<_> = vault
            .rows
            .iter()
            .filter(|r| r.secret_name.is_some())
            .collect();
        assert_eq!(stored.len(), sidebar.keys, "{}: rows vs count", client.name);
        assert_eq!(
            tally(stored.iter().map(|r| r.facts.status_label.as_str())),
            expected_tally(&sidebar),
            "{}: Vault rows",
            client.name
        );
        let no_key = vault
            .rows
            .iter()
            .filter(|r| r.secret_name.is_none())
            .count();
        assert_eq!(no_key, sidebar.no_key, "{}: without a key", client.name);

        let rotation = core
            .rotation_view(&filter, now)
            .await
            .expect("rotation view");
        assert_eq!(rotation.counts, sidebar, "{}: Rotation tab", client.name);
        let bulk = rotation
            .rows
            .iter()
            .filter(|r| r.facts.needs_rotation)
            .count();
        assert_eq!(bulk, sidebar.due_total, "{}: Rotate All Due", client.name);
        assert_eq!(
            sidebar.due_total,
            sidebar.expired + sidebar.overdue + sidebar.due_soon
        );

        let (console, operator) = core.client_console(&client.id).await.expect("client");
        let report = console
            .report_section(&operator, "", now)
            .await
            .expect("report");
        let s = &report.summary;
        assert_eq!(
            (
                s.keys_stored,
                s.expired,
                s.overdue,
                s.due_soon,
                s.disabled,
                s.healthy
            ),
            (
                sidebar.keys,
                sidebar.expired,
                sidebar.overdue,
                sidebar.due_soon,
                sidebar.disabled,
                sidebar.healthy
            ),
            "{}: PDF summary",
            client.name
        );
        assert_eq!(s.vendors_without_key, sidebar.no_key);

        let csv = csv_records(&core.inventory_csv(&filter, now).await.expect("csv"));
        let column = csv[0]
            .iter()
            .position(|h| h == "Status")
            .expect("Status column");
        let name_column = csv[0]
            .iter()
            .position(|h| h == "Secret name")
            .expect("name");
        let kind_column = csv[0].iter().position(|h| h == "Kind").expect("Kind");
        let csv_keys: Vec<_> = csv[1..]
            .iter()
            .filter(|r| !r[name_column].is_empty() && r[kind_column] == "API key")
            .collect();
        // The vault's certificates and keys: the same statuses in the CSV, the Vault tab's
        // sections, the sidebar's per-kind counts and the CLI.
        let objects = core.objects_view(&filter, now).await.expect("objects");
        for (kind, rows, counts) in [
            (
                "Certificate",
                &objects.certificates.rows,
                &sidebar.certificates,
            ),
            (
                "Cryptographic key",
                &objects.keys.rows,
                &sidebar.crypto_keys,
            ),
            (
                "App credential",
                &objects.app_credentials.rows,
                &sidebar.app_credentials,
            ),
        ] {
            assert_eq!(rows.len(), counts.total, "{}: {kind} rows", client.name);
            let in_csv: Vec<_> = csv[1..].iter().filter(|r| r[kind_column] == kind).collect();
            assert_eq!(
                in_csv.len(),
                counts.total,
                "{}: {kind} in the CSV",
                client.name
            );
            let expired = rows
                .iter()
                .filter(|r| r.facts.status == KeyStatus::Expired)
                .count();
            let due = rows
                .iter()
                .filter(|r| r.facts.status == KeyStatus::DueSoon)
                .count();
            let renewing = rows
                .iter()
                .filter(|r| r.facts.auto_renews.is_some())
                .count();
            assert_eq!(
                (expired, due, renewing),
                (counts.expired, counts.due_soon, counts.auto_renewing),
                "{}: {kind} statuses",
                client.name
            );
            assert_eq!(
                tally(in_csv.iter().map(|r| r[column].as_str())),
                tally(rows.iter().map(|r| r.facts.status_label.as_str())),
                "{}: {kind} statuses in the CSV",
                client.name
            );
        }
        // The demo holds some of each kind, in every state a technician must tell apart.
        assert!(sidebar.certificates.expired > 0 && sidebar.certificates.due_soon > 0);
        assert!(sidebar.certificates.auto_renewing > 0);
        assert!(sidebar.app_credentials.expired > 0 && sidebar.app_credentials.due_soon > 0);
        assert_eq!(
            tally(csv_keys.iter().map(|r| r[column].as_str())),
            expected_tally(&sidebar),
            "{}: CSV",
            client.name
        );

        let monitor = core
            .monitor_report(std::slice::from_ref(client), FailOn::Due, now)
            .await;
        let json = serde_json::to_value(&monitor).expect("json");
        assert_eq!(
            json["clients"][0]["counts"],
            serde_json::to_value(&sidebar).expect("json"),
            "{}: akv-console status --json",
            client.name
        );
        assert_eq!(monitor.clients[0].keys.len(), sidebar.keys);
        assert_eq!(
            monitor.clients[0].objects.len(),
            sidebar.certificates.total + sidebar.crypto_keys.total + sidebar.app_credentials.total,
            "{}: the CLI lists every certificate, key and app credential",
            client.name
        );
        // The CSV carries the JSON's status fields, with the same values, key by key.
        let col = |name: &str| {
            csv[0]
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{name} column"))
        };
        for key in &json["clients"][0]["keys"].as_array().expect("keys").clone() {
            let line = csv_keys
                .iter()
                .find(|r| key["secretName"] == r[name_column].as_str())
                .expect("every monitored key is in the CSV");
            for (header, field) in [
                ("Status", "statusLabel"),
                ("Status detail", "statusText"),
                ("About", "about"),
                ("Urgency", "urgency"),
                ("Next rotation", "nextDue"),
                ("Days to rotation", "daysToDue"),
                ("Expires", "expiry"),
                ("Days to expiry", "daysToExpiry"),
            ] {
                let in_json = match &key[field] {
                    serde_json::Value::String(text) => text.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                assert_eq!(line[col(header)], in_json, "{header} vs {field}: {key}");
            }
            let needs = if key["needsRotation"] == true {
                "yes"
            } else {
                "no"
            };
            assert_eq!(line[col("Needs rotation")], needs);
        }
    }

    // The extra keys are where a technician looks for them.
    let one = core
        .vault_view(
            &PortfolioFilter {
                client: Some("demo-1".into()),
                vendor: None,
            },
            now,
        )
        .await
        .expect("view");
    let listed = |name: &str| {
        one.rows
            .iter()
            .find(|r| r.secret_name.as_deref() == Some(name))
    };
    assert_eq!(
        listed("future-vendor").map(|r| r.facts.status_text.as_str()),
        Some("Rotation overdue 110 d")
    );
    let nine = listed(&expiring.secret_name).expect("expiring key listed");
    assert_eq!(nine.facts.status_text, "Expires in 9 d");

    // Across clients: the totals are the sum of the sidebar's.
    let all = PortfolioFilter::default();
    let vault = core.vault_view(&all, now).await.expect("all");
    assert_eq!(vault.counts, sidebar_total, "All clients: Vault chips");
    let rotation = core.rotation_view(&all, now).await.expect("all");
    assert_eq!(rotation.counts, sidebar_total, "All clients: Rotation tab");
    assert_eq!(
        rotation
            .rows
            .iter()
            .filter(|r| r.facts.needs_rotation)
            .count(),
        sidebar_total.due_total
    );
    // Worst first: the rows come sorted by urgency.
    assert!(
        rotation
            .rows
            .windows(2)
            .all(|w| w[0].facts.urgency <= w[1].facts.urgency)
    );
    assert_eq!(rotation.rows[0].facts.status, KeyStatus::Expired);
}
