//! One listing per refresh, counted at the emulator: a vault of 1,000 console keys plus secrets
//! other tools created; connecting and visiting every tab costs ceil(secrets / 25) list calls,
//! one token and no key value read. Writes update the snapshot in place, a refresh replaces it, a
//! failed refresh keeps the last good one, marked stale, and changes made outside the console are
//! noticed and recorded.

mod support;

use std::sync::Arc;

use akv_core::audit::AuditAction;
use akv_core::domain::keys::KeyRecord;
use akv_core::domain::secret::SecretValue;
use akv_core::service::audit::AuditFilter;
use akv_core::service::vault::AddKeyRequest;
use akv_core::session::{AppCore, AppPaths, ConnectRequest};
use akv_core::store::tags::{CONTENT_TYPE, record_to_tags, record_to_tags_at};
use akv_tests::emulator::{Emulator, Fault, RouteKind, SeedSecret};
use chrono::{Duration, Utc};
use support::*;

fn key(vendor: &str, label: &str, days_ago: i64) -> KeyRecord {
    support::keys::console_key(vendor, label, days_ago)
}

fn seed_console_key(emulator: &Emulator, record: &KeyRecord) {
    support::keys::seed_console_key(emulator, record).expect("seed");
}

/// 1,000 console keys (spread over three vendors, some due) and five secrets of other tools.
fn big_vault(emulator: &Emulator) {
    for i in 0..1000 {
        let vendor = ["atera", "sentinelone", "cisco-meraki"][i % 3];
        seed_console_key(
            emulator,
            &key(vendor, &format!("client-{i:04}"), (i % 120) as i64),
        );
    }
    for (name, content_type) in [
        ("ninja-legacy", None),
        ("s1-automation", Some("text/plain")),
        ("backup-svc-password", None),
        ("graph-reporting", Some("application/json")),
        ("pax8-partner", None),
    ] {
        let mut seed = SeedSecret::new("a value another tool keeps").tag("owner", "scripts");
        if let Some(content_type) = content_type {
            seed = seed.content_type(content_type);
        }
        emulator.seed(name, seed).expect("seed");
    }
}

fn pc(dir: &std::path::Path) -> AppCore {
    AppCore::new(
        AppPaths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        },
        false,
        Arc::new(|_| {}),
    )
    .with_options(fast_options(), None)
}

async fn connect(emulator: &Emulator, core: &AppCore) {
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.connect(ConnectRequest {
        settings: settings(emulator),
        client_secret: Some(SecretValue::new(SECRET)),
        method: None,
        remember: false,
    })
    .await
    .expect("connect");
}

/// Key value reads: GETs of console key secrets (documents are the console's own settings).
fn key_value_reads(emulator: &Emulator) -> usize {
    emulator
        .request_log()
        .iter()
        .filter(|r| {
            r.route == Some(RouteKind::GetSecret)
                && r.secret_name
                    .as_deref()
                    .is_some_and(|n| !n.starts_with("akv-console-"))
        })
        .count()
}

#[tokio::test]
async fn connecting_and_visiting_every_tab_lists_a_big_vault_once() {
    let emulator = emulator().await;
    big_vault(&emulator);
    emulator.reset_counters();
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    connect(&emulator, &core).await;
    let (console, dana) = core.console().await.expect("console");
    // Every tab a technician opens, twice.
    for _ in 0..2 {
        let vault = console.vault_view(&dana, Utc::now()).await.expect("vault");
        assert_eq!(vault.counts.keys, 1000);
        console
            .rotation_view(&dana, Utc::now())
            .await
            .expect("rotation");
        console.distribution_view(&dana).await.expect("distribute");
        console
            .audit_view(&dana, &AuditFilter::default())
            .expect("audit");
        core.due_reminders().await;
    }
    assert_eq!(console.unmanaged_secrets().len(), 5);
    // 1,005 secrets, plus the console's policy written by the bootstrap: one listing.
    let secrets_at_listing = 1005;
    assert_eq!(
        emulator.request_count(RouteKind::ListSecrets),
        (secrets_at_listing as u64).div_ceil(25),
        "one listing for connect and every tab"
    );
    // One Key Vault token; the other is Microsoft Graph's, for the one read of the client
    // secret's end date (the top bar's expiry warning).
    assert_eq!(emulator.request_count(RouteKind::Token), 2);
    assert_eq!(emulator.request_count(RouteKind::GraphGetApplication), 1);
    assert_eq!(key_value_reads(&emulator), 0, "no key value was read");
}

#[tokio::test]
async fn writes_update_the_snapshot_refresh_replaces_it_and_a_failed_refresh_keeps_it_stale() {
    let emulator = emulator().await;
    for i in 0..30 {
        seed_console_key(&emulator, &key("atera", &format!("site-{i:02}"), 10));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    connect(&emulator, &core).await;
    let (console, dana) = core.console().await.expect("console");
    let lists = || emulator.request_count(RouteKind::ListSecrets);
    let after_connect = lists();

    // The console's own write shows at once, without a listing.
    console
        .add_key(
            &dana,
            AddKeyRequest {
                generate: None,
                short_reason: None,
                vendor_id: "sentinelone".into(),
                label: None,
                value: Some(SecretValue::new("s1-token-0123456789")),
                parts: Vec::new(),
                fields: Default::default(),
                expiry: None,
                interval_days: None,
                owner: String::new(),
                note: String::new(),
            },
            Utc::now(),
        )
        .await
        .expect("add");
    let view = console.vault_view(&dana, Utc::now()).await.expect("view");
    assert_eq!(view.counts.keys, 31);
    assert_eq!(
        lists(),
        after_connect,
        "no listing after the console's own write"
    );

    // A key another console adds appears after a refresh, which is one listing.
    seed_console_key(&emulator, &key("cisco-meraki", "branch", 5));
    assert_eq!(
        console
            .vault_view(&dana, Utc::now())
            .await
            .expect("view")
            .counts
            .keys,
        31
    );
    core.refresh(None).await.expect("refresh");
    assert_eq!(
        console
            .vault_view(&dana, Utc::now())
            .await
            .expect("view")
            .counts
            .keys,
        32
    );
    assert!(lists() > after_connect);

    // A failed refresh keeps the last good snapshot and says it is stale.
    emulator.inject_fault(Fault::server_error(503).on_route(RouteKind::ListSecrets));
    let client = core.status().await.clients[0].id.clone();
    let error = core
        .refresh(Some(&client))
        .await
        .expect_err("the listing fails");
    // Refreshing every client reports failures per client, never as the reply.
    let status = core.refresh(None).await.expect("a refresh of all clients");
    assert!(
        status.clients[0]
            .snapshot
            .as_ref()
            .is_some_and(|s| s.stale.is_some())
    );
    let state = console.snapshot_state();
    assert_eq!(state.stale.as_ref().map(|e| e.code), Some(error.code));
    assert_eq!(
        console
            .vault_view(&dana, Utc::now())
            .await
            .expect("view")
            .counts
            .keys,
        32,
        "the last good snapshot is still shown"
    );
    emulator.clear_faults();
    core.refresh(None).await.expect("refresh");
    assert!(console.snapshot_state().stale.is_none());
}

#[tokio::test]
async fn keys_changed_outside_the_console_are_marked_and_recorded_once() {
    let emulator = emulator().await;
    let edited = key("atera", "edited", 10);
    let replaced = key("sentinelone", "replaced", 10);
    let untagged = key("cisco-meraki", "untagged", 10);
    for record in [&edited, &replaced, &untagged] {
        seed_console_key(&emulator, record);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    connect(&emulator, &core).await;
    let (console, dana) = core.console().await.expect("console");
    assert!(
        console
            .cached_keys()
            .iter()
            .all(|k| k.outside_change.is_none()),
        "as written by the console"
    );

    // The first Admin's connect gave the vault a stamp key. Someone edits an owner tag of a key
    // the console stamped with it in the Portal, stores a new version with the tags a console
    // stamped a day ago copied (the emulator stamps it now), and stores another with no tags.
    let key = console.policy().stamp_key.expect("a stamp key");
    let mut owner_edit = SeedSecret::new("value-of-atera--edited").content_type(CONTENT_TYPE);
    for (name, value) in record_to_tags(&edited, Some(&key)) {
        owner_edit = owner_edit.tag(
            &name,
            if name == "akv-owner" {
                "Mallory"
            } else {
                &value
            },
        );
    }
    emulator
        .seed(&edited.secret_name, owner_edit)
        .expect("seed");
    let mut copied = SeedSecret::new("a new value").content_type(CONTENT_TYPE);
    // The copied stamp says the console wrote it a day ago; this version is stored now.
    let tags = record_to_tags_at(&replaced, Some(&key), Utc::now() - Duration::days(1));
    for (name, value) in tags {
        copied = copied.tag(&name, &value);
    }
    emulator.seed(&replaced.secret_name, copied).expect("seed");
    emulator
        .seed(&untagged.secret_name, SeedSecret::new("re-set by a script"))
        .expect("seed");

    core.refresh(None).await.expect("refresh");
    let keys = console.cached_keys();
    let find = |name: &str| keys.iter().find(|k| k.secret_name == name).cloned();
    assert!(matches!(
        find(&edited.secret_name).and_then(|k| k.outside_change),
        Some(akv_core::domain::keys::OutsideChange::Edited { .. })
    ));
    assert!(matches!(
        find(&replaced.secret_name).and_then(|k| k.outside_change),
        Some(akv_core::domain::keys::OutsideChange::NewVersion { .. })
    ));
    assert!(find(&untagged.secret_name).is_none());
    // The Vault tab marks the row, with what Azure tells (the date).
    let rows = console
        .vault_view(&dana, Utc::now())
        .await
        .expect("view")
        .rows;
    let marked = rows
        .iter()
        .find(|r| r.secret_name.as_deref() == Some(edited.secret_name.as_str()))
        .and_then(|r| r.changed_outside.clone())
        .expect("the edited key is marked");
    assert!(
        marked.starts_with("Changed outside the console on "),
        "{marked}"
    );
    assert!(
        console
            .unmanaged_secrets()
            .iter()
            .any(|u| u.name == untagged.secret_name),
        "the re-set key shows under Unmanaged"
    );
    let recorded = |console: &akv_core::service::Console| {
        console
            .audit_view(&dana, &AuditFilter::default())
            .expect("audit")
            .entries
            .iter()
            .filter(|e| e.action == AuditAction::ChangedOutside)
            .count()
    };
    assert_eq!(
        recorded(&console),
        3,
        "each change recorded by the refresh that saw it"
    );
    core.refresh(None).await.expect("refresh again");
    assert_eq!(recorded(&console), 3, "and only once");
}
