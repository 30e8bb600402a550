//! Keys of app registrations are linked to their credentials in the App credentials view,
//! against the emulator's Entra and Microsoft Graph: a key records its application (client) id
//! as a tag when the console saves its value (Add, Adopt, Rotate, Rotate at vendor, Restore),
//! and the credential of that app names the key, saying whether the console rotates it. The tag
//! is display only: a forged one moves the text and nothing else.

mod support;

use std::sync::Arc;

use akv_core::audit::AuditLog;
use akv_core::domain::key_value::KeyPartInput;
use akv_core::domain::secret::SecretValue;
use akv_core::ping::PingClient;
use akv_core::service::Console;
use akv_core::service::objects::ObjectsView;
use akv_core::service::vault::AddKeyRequest;
use akv_tests::emulator::{APPLICATION_READ_ALL, Emulator};
use chrono::Utc;
use support::clients::*;
use support::*;

fn days(n: i64) -> chrono::DateTime<Utc> {
    support::end_of_day_in(n)
}

/// A console on the emulator whose pings may reach it (the Entra App Secret connector tests the
/// new secret there).
fn console_on(emulator: &Emulator) -> Console {
    Console::new(
        Arc::new(store(emulator)),
        AuditLog::in_memory(),
        Arc::new(|_| {}),
        PingClient::new(Some(&emulator.ca_pem()))
            .and_then(PingClient::allowing_private_addresses_for_tests)
            .expect("ping client"),
        "integration",
    )
}

/// Contoso's tenant may be read by the console's app; two apps nobody keeps a key for.
async fn tenant() -> Emulator {
    let emulator = emulator().await;
    emulator
        .grant_graph_permission(TENANT, CLIENT, APPLICATION_READ_ALL)
        .expect("granted");
    for (name, due) in [("Backup agent", 9), ("Customer portal", 200)] {
        let app = emulator.add_application(TENANT, name);
        emulator
            .add_password_credential(TENANT, &app, "prod", days(due))
            .expect("secret");
    }
    emulator
}

/// A key added through the console with these parts and the tenant field.
fn app_key(vendor: &str, label: Option<&str>, client_id: &str, secret: &str) -> AddKeyRequest {
    AddKeyRequest {
        generate: None,
        short_reason: None,
        vendor_id: vendor.into(),
        label: label.map(str::to_string),
        value: None,
        parts: vec![
            KeyPartInput {
                id: "client_id".into(),
                value: SecretValue::new(client_id),
            },
            KeyPartInput {
                id: "client_secret".into(),
                value: SecretValue::new(secret),
            },
        ],
        fields: [("tenant".to_string(), TENANT.to_string())].into(),
        expiry: None,
        interval_days: None,
        owner: "Dana Reyes".into(),
        note: String::new(),
    }
}

/// The App credentials view's link text of `app`'s client secret (the newest if several).
fn link_of(view: &ObjectsView, app: &str) -> Option<String> {
    let rows: Vec<_> = view
        .app_credentials
        .rows
        .iter()
        .filter(|r| r.name == app && r.issuer == "Client secret")
        .collect();
    assert!(!rows.is_empty(), "{app} is listed");
    rows.last().and_then(|r| r.linked_key.clone())
}

/// Keys of other app registrations are linked to their credentials: a Microsoft Graph key and a
/// Defender key of two app registrations, and an Entra App Secret key of a third app, all
/// "rotated by the console"; a key of a vendor without a client id is not linked. Rotating the
/// Entra App Secret key through Graph (addPassword, removePassword) keeps the link on the new
/// credential. A key at the 15-tag limit keeps its application id; a forged application id tag
/// changes the link text and nothing else; a key saved before ids were recorded is named in the
/// view's note.
#[tokio::test]
async fn keys_of_other_app_registrations_are_linked_with_who_rotates_them() {
    use akv_core::service::connector::VendorRotateRequest;
    use akv_core::service::procedure::{RunbookRequest, UsedBy};
    use akv_core::service::vault::KeySettingsRequest;
    use akv_core::store::tags::{CONTENT_TYPE, MAX_TAGS, TAG_APP_ID, record_to_tags};
    use akv_tests::emulator::{APPLICATION_READWRITE_OWNEDBY, Owner, SeedSecret};

    let emulator = tenant().await;
    let reporting = emulator.add_application(TENANT, "Reporting");
    let reporting_secret = emulator
        .add_password_credential(TENANT, &reporting, "graph", days(60))
        .expect("secret");
    let export = emulator.add_application(TENANT, "Defender export");
    let export_secret = emulator
        .add_password_credential(TENANT, &export, "defender", days(60))
        .expect("secret");
    let payroll = emulator.add_application(TENANT, "Payroll sync");
    emulator
        .add_password_credential(TENANT, &payroll, "sync", days(5))
        .expect("secret");
    let backup = emulator.add_application(TENANT, "Backup job");
    let backup_secret = emulator
        .add_password_credential(TENANT, &backup, "job", days(12))
        .expect("secret");
    // The backup job's app may rotate its own secret (as the Entra App Secret connector needs).
    emulator
        .grant_graph_permission(TENANT, &backup, APPLICATION_READWRITE_OWNEDBY)
        .expect("permission");
    emulator
        .add_application_owner(TENANT, &backup, Owner::App(backup.clone()))
        .expect("owner");

    let console = console_on(&emulator);
    let admin = admin();
    let now = Utc::now();
    // Entra shows application ids in any case; the console records them in lowercase.
    let upper = reporting.to_uppercase();
    for request in [
        app_key(
            "microsoft-graph",
            Some("reporting"),
            &upper,
            &reporting_secret,
        ),
        app_key("defender-endpoint", None, &export, &export_secret),
        app_key("entra-app-secret", Some("backup"), &backup, &backup_secret),
    ] {
        console.add_key(&admin, request, now).await.expect("add");
    }
    // A vendor without a client id: its value is the backup app's id, and still no link.
    console
        .add_key(&admin, add("atera", &backup), now)
        .await
        .expect("add atera");
    console.refresh().await.expect("refresh");

    let view = console.objects_view(Utc::now());
    assert_eq!(
        link_of(&view, "Reporting").as_deref(),
        Some("rotated by the console: key microsoft-graph--reporting")
    );
    assert_eq!(
        link_of(&view, "Defender export").as_deref(),
        Some("rotated by the console: key defender-endpoint")
    );
    assert_eq!(
        link_of(&view, "Backup job").as_deref(),
        Some("rotated by the console: key entra-app-secret--backup")
    );
    for unkept in ["Backup agent", "Customer portal", "Payroll sync"] {
        assert_eq!(link_of(&view, unkept), None, "{unkept}");
    }
    assert!(view.app_link_notes.is_empty(), "{:?}", view.app_link_notes);
    // The key's detail panel names the credential it holds, with its end and status.
    let detail = console
        .key_detail(
            &admin,
            "microsoft-graph",
            Some("microsoft-graph--reporting"),
            Utc::now(),
        )
        .await
        .expect("detail");
    let text = detail.app_credential.expect("the credential is named");
    assert!(
        text.starts_with(&format!(
            "Application (client) ID {reporting}: Reporting / graph ["
        )) && text.ends_with("(Healthy)"),
        "{text}"
    );
    let graph_tags = |name: &str| {
        emulator
            .secret_snapshot(name)
            .and_then(|s| s.versions.last().cloned())
            .expect("stored")
            .tags
    };
    assert_eq!(
        graph_tags("microsoft-graph--reporting").get(TAG_APP_ID),
        Some(&reporting)
    );
    assert!(!graph_tags("atera").contains_key(TAG_APP_ID));
    // The CSV says it too.
    let csv = String::from_utf8(
        console
            .inventory_csv(&admin, Utc::now())
            .await
            .expect("csv"),
    )
    .expect("utf-8");
    assert!(
        csv.lines().any(|l| l.contains("Defender export")
            && l.contains("rotated by the console: key defender-endpoint")),
        "{csv}"
    );

    // Rotated at the vendor through Graph: a new credential, the old one removed, still linked.
    support::point_entra_key_at_emulator(
        &console,
        &admin,
        &emulator,
        TENANT,
        "entra-app-secret--backup",
    )
    .await;
    let done = console
        .rotate_at_vendor(
            &admin,
            VendorRotateRequest {
                secret_name: "entra-app-secret--backup".into(),
                ..Default::default()
            },
            false,
            Utc::now(),
        )
        .await
        .expect("attempted");
    assert!(done.saved && done.failed_step.is_none(), "{done:?}");
    console.refresh().await.expect("refresh");
    let view = console.objects_view(Utc::now());
    let backup_rows: Vec<_> = view
        .app_credentials
        .rows
        .iter()
        .filter(|r| r.name == "Backup job")
        .collect();
    assert_eq!(backup_rows.len(), 1, "the old secret was removed");
    assert!(
        !backup_rows[0].detail.contains("job (hint"),
        "a new credential"
    );
    assert_eq!(
        backup_rows[0].linked_key.as_deref(),
        Some("rotated by the console: key entra-app-secret--backup")
    );

    // At the tag limit: every tag an API key carries, and the application id, in 15.
    let graph_url = format!("{}/v1.0", emulator.authority_host());
    let graph_token = format!("{}/{TENANT}/oauth2/v2.0/token", emulator.authority_host());
    console
        .update_settings(
            &admin,
            KeySettingsRequest {
                secret_name: "microsoft-graph--reporting".into(),
                interval_days: 60,
                owner: "Dana Reyes".into(),
                note: "Monthly licence report".into(),
                endpoint: graph_url,
                token_url: graph_token,
                fields: [("tenant".to_string(), TENANT.to_string())].into(),
                ca_pem: Some(emulator.ca_pem()),
                confirm_hosts: vec!["127.0.0.1".into()],
                ..Default::default()
            },
            Utc::now(),
        )
        .await
        .expect("settings");
    console
        .save_runbook(
            &admin,
            RunbookRequest {
                secret_name: "microsoft-graph--reporting".into(),
                procedure: "Rotate at vendor.".into(),
                used_by: vec![UsedBy {
                    name: "Licence report".into(),
                    location: "rpt01".into(),
                    owner: "Dana".into(),
                }],
            },
            Utc::now(),
        )
        .await
        .expect("runbook");
    let rotated = console
        .rotate_key(
            &admin,
            akv_core::service::rotation::RotateRequest {
                secret_name: "microsoft-graph--reporting".into(),
                value: None,
                parts: vec![
                    KeyPartInput {
                        id: "client_id".into(),
                        value: SecretValue::new(&reporting),
                    },
                    KeyPartInput {
                        id: "client_secret".into(),
                        value: SecretValue::new(&reporting_secret),
                    },
                ],
                ..Default::default()
            },
            false,
            Utc::now(),
        )
        .await
        .expect("rotated by hand at the limit");
    assert!(rotated.saved);
    let tags = graph_tags("microsoft-graph--reporting");
    assert_eq!(tags.len(), MAX_TAGS, "{tags:?}");
    assert_eq!(tags.get(TAG_APP_ID), Some(&reporting), "{tags:?}");

    // Someone with vault write points the Graph key at the payroll app: only the text
    // moves; statuses and counts stay (the stamp that marks the edit on the key is
    // tested with the tags).
    console.refresh().await.expect("refresh");
    let before = console.objects_view(Utc::now());
    let key = console.policy().stamp_key;
    let record = console
        .cached_keys()
        .into_iter()
        .find(|k| k.secret_name == "microsoft-graph--reporting")
        .expect("listed");
    let mut forged = SeedSecret::new("forged tags, same value").content_type(CONTENT_TYPE);
    for (name, value) in record_to_tags(&record, key.as_ref()) {
        let value = if name == TAG_APP_ID {
            payroll.clone()
        } else {
            value
        };
        forged = forged.tag(&name, &value);
    }
    emulator
        .seed("microsoft-graph--reporting", forged)
        .expect("forged");
    console.refresh().await.expect("refresh");
    let after = console.objects_view(Utc::now());
    assert_eq!(
        link_of(&after, "Payroll sync").as_deref(),
        Some("rotated by the console: key microsoft-graph--reporting")
    );
    assert_eq!(link_of(&after, "Reporting"), None);
    assert_eq!(before.app_credentials.counts, after.app_credentials.counts);
    let facts = |view: &ObjectsView| {
        let mut facts: Vec<_> = view
            .app_credentials
            .rows
            .iter()
            .map(|r| (r.name.clone(), r.detail.clone(), r.facts.clone()))
            .collect();
        facts.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        facts
    };
    assert_eq!(facts(&before), facts(&after));

    // A key as a console before this version stored it (no id recorded) is named in the note.
    let mut old_record = console
        .cached_keys()
        .into_iter()
        .find(|k| k.secret_name == "defender-endpoint")
        .expect("listed");
    old_record.settings.app_id = None;
    let mut old = SeedSecret::new("old value").content_type(CONTENT_TYPE);
    for (name, value) in record_to_tags(&old_record, key.as_ref()) {
        old = old.tag(&name, &value);
    }
    emulator.seed("defender-endpoint", old).expect("old");
    console.refresh().await.expect("refresh");
    let view = console.objects_view(Utc::now());
    assert_eq!(link_of(&view, "Defender export"), None);
    assert_eq!(view.app_link_notes.len(), 1, "{:?}", view.app_link_notes);
    assert!(
        view.app_link_notes[0].contains(
            "Key defender-endpoint was saved before the console recorded application (client) IDs"
        ),
        "{}",
        view.app_link_notes[0]
    );
}

/// Adopt records the application id of a secret another tool stored (the old `id:secret` form);
/// Rotate records the new value's, and Restore the restored value's, so the link follows the
/// value the key holds now.
#[tokio::test]
async fn adopt_rotate_and_restore_record_the_value_s_application_id() {
    use akv_core::service::adopt::AdoptRequest;
    use akv_core::service::rotation::RotateRequest;

    let emulator = tenant().await;
    let first = emulator.add_application(TENANT, "Reporting");
    let first_secret = emulator
        .add_password_credential(TENANT, &first, "graph", days(60))
        .expect("secret");
    let second = emulator.add_application(TENANT, "Reporting v2");
    let second_secret = emulator
        .add_password_credential(TENANT, &second, "graph", days(90))
        .expect("secret");
    emulator
        .seed_secret("graph-reporting", &format!("{first}:{first_secret}"))
        .expect("seeded by another tool");
    let console = console_on(&emulator);
    let admin = admin();
    console.refresh().await.expect("refresh");
    console
        .adopt(
            &admin,
            AdoptRequest {
                secret_name: "graph-reporting".into(),
                vendor_id: "microsoft-graph".into(),
                label: None,
                interval_days: None,
                owner: "Dana Reyes".into(),
                note: String::new(),
            },
            Utc::now(),
        )
        .await
        .expect("adopted");
    console.refresh().await.expect("refresh");
    let view = console.objects_view(Utc::now());
    assert_eq!(
        link_of(&view, "Reporting").as_deref(),
        Some("rotated by the console: key graph-reporting")
    );
    assert_eq!(link_of(&view, "Reporting v2"), None);

    // The key now holds the second app's secret.
    let rotated = console
        .rotate_key(
            &admin,
            RotateRequest {
                secret_name: "graph-reporting".into(),
                parts: vec![
                    KeyPartInput {
                        id: "client_id".into(),
                        value: SecretValue::new(&second),
                    },
                    KeyPartInput {
                        id: "client_secret".into(),
                        value: SecretValue::new(&second_secret),
                    },
                ],
                ..Default::default()
            },
            false,
            Utc::now(),
        )
        .await
        .expect("rotated");
    assert!(rotated.saved);
    console.refresh().await.expect("refresh");
    let view = console.objects_view(Utc::now());
    assert_eq!(link_of(&view, "Reporting"), None);
    assert_eq!(
        link_of(&view, "Reporting v2").as_deref(),
        Some("rotated by the console: key graph-reporting")
    );

    // Restoring the adopted version brings the first app's link back.
    let versions = console
        .versions(&admin, "graph-reporting")
        .await
        .expect("versions");
    let adopted = versions.iter().find(|v| !v.current).expect("the old one");
    console
        .restore_version(&admin, "graph-reporting", &adopted.version, Utc::now())
        .await
        .expect("restored");
    console.refresh().await.expect("refresh");
    let view = console.objects_view(Utc::now());
    assert_eq!(
        link_of(&view, "Reporting").as_deref(),
        Some("rotated by the console: key graph-reporting")
    );
    assert_eq!(link_of(&view, "Reporting v2"), None);
}
