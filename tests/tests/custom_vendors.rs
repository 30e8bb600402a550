//! Custom vendors (issue 21 §1) against the emulator: an Admin defines one on console A; a
//! second console (connected the way the window and `akv-console` connect) lists it in Add Key,
//! adds, rotates and reports a key of it, and the monitor report (`status --json`) names it;
//! removal is refused with the list of keys while any exist and its grants go with it; an L2
//! technician and hostile endpoints are refused by name; a document changed in the Portal is
//! named and its vendors are not used while the catalog's keep working; everything is audited.

mod support;

use akv_core::audit::{AuditAction, Outcome};
use akv_core::domain::catalog::Category;
use akv_core::domain::custom_vendor::{CustomAuth, CustomKeyPart, CustomVendorRequest};
use akv_core::domain::policy::Role;
use akv_core::domain::secret::SecretValue;
use akv_core::error::ErrorCode;
use akv_core::service::monitor::FailOn;
use akv_core::service::rotation::RotateRequest;
use chrono::Utc;
use support::clients::{add, client, id_of, pc};
use support::*;

const ID: &str = "custom-acme-backup-cloud";
/// The second test's vendor (tests share the process, so each defines its own).
const TAPE: &str = "custom-acme-tape-vault";
const DOCUMENT: &str = "akv-console-custom-vendors";

fn acme(endpoint: &str) -> CustomVendorRequest {
    CustomVendorRequest {
        id: None,
        name: "Acme Backup Cloud".into(),
        category: Category::Backup,
        interval_days: 60,
        endpoint: endpoint.into(),
        token_url: String::new(),
        test_path: "/v2/account".into(),
        auth: CustomAuth::Header {
            name: "X-Acme-Key".into(),
        },
        key_parts: vec![CustomKeyPart {
            label: "Integration key".into(),
            secret: true,
        }],
        procedure: "## Rotating the Acme key\n\n1. Open Acme > Settings > API.\n2. Make a key."
            .into(),
        key_hint: "acme_ followed by 32 characters".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_vendor_lifecycle_across_two_consoles() {
    let emulator = emulator().await;
    let (a, notices_a) = console(&emulator);
    a.refresh_policy().await.expect("policy");
    let admin = admin();
    let now = Utc::now();

    // A page cannot define a vendor whose endpoint escapes the host rules; nothing is stored.
    for (endpoint, code) in [
        ("http://api.acme.example/v2", ErrorCode::EndpointNotHttps),
        (
            "https://169.254.169.254/latest",
            ErrorCode::EndpointIpLiteral,
        ),
        ("https://localhost/v2", ErrorCode::EndpointLocalHost),
        (
            "https://admin:pw@api.acme.example/v2",
            ErrorCode::EndpointUserinfo,
        ),
        (
            "https://{tenant}.example.net/v2",
            ErrorCode::EndpointPlaceholder,
        ),
        ("https://api.acme.example:8443/v2", ErrorCode::EndpointPort),
    ] {
        let error = a
            .save_custom_vendor(&admin, acme(endpoint), now)
            .await
            .expect_err(endpoint);
        assert_eq!(error.code, code, "{endpoint}");
        assert_eq!(error.field.as_deref(), Some("endpoint"));
    }
    assert!(emulator.secret_value(DOCUMENT).is_none());

    // An L2 technician calling the command with a valid form is refused in Rust.
    let l2 = operator(Role::L2);
    let error = a
        .save_custom_vendor(&l2, acme("https://api.acme.example/v2"), now)
        .await
        .expect_err("L2");
    assert_eq!(error.code, ErrorCode::AdminOnly);
    assert!(emulator.secret_value(DOCUMENT).is_none());

    // The Admin defines it: one document in the vault, signed.
    let view = a
        .save_custom_vendor(&admin, acme("https://api.acme.example/v2/"), now)
        .await
        .expect("defined");
    assert_eq!(view.rows.len(), 1);
    assert_eq!(view.rows[0].vendor.id, ID);
    assert!(view.problem.is_none() && view.can_edit);
    let stored = emulator
        .secret_value(DOCUMENT)
        .expect("document in the vault");
    assert!(stored.contains("\"stamp\"") && stored.contains("api.acme.example"));

    // Console B: another technician's PC connecting as the window and the CLI do.
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path()).headless("akv-console");
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.save_client(client("Contoso Dental", settings(&emulator), SECRET, false))
        .await
        .expect("connects");
    let client_id = id_of(&core, "Contoso Dental").await;
    let (b, dana) = core.client_console(&client_id).await.expect("console");
    let entry = b
        .catalog_entries()
        .into_iter()
        .find(|e| e.id == ID)
        .expect("Add Key lists the custom vendor");
    assert!(entry.custom);
    assert_eq!(entry.default_interval_days, 60);
    assert_eq!(entry.category, Category::Backup);
    assert_eq!(entry.key_parts[0].label, "Integration key");

    // Add and rotate a key of it on B.
    let row = b
        .add_key(&dana, add(ID, "acme_0123456789abcdef0123456789abcdef"), now)
        .await
        .expect("added");
    assert_eq!(row.vendor_name, "Acme Backup Cloud");
    assert_eq!(row.interval_days, 60);
    assert_eq!(row.category, Category::Backup);
    let rotated = b
        .rotate_key(
            &dana,
            RotateRequest {
                secret_name: ID.into(),
                value: Some(SecretValue::new("acme_fedcba9876543210fedcba9876543210")),
                ..Default::default()
            },
            false,
            now,
        )
        .await
        .expect("rotated");
    assert!(rotated.saved);
    assert_eq!(emulator.secret_versions(ID).len(), 2);
    // The runbook is the Admin's procedure.
    let runbook = b.key_runbook(&dana, ID).await.expect("runbook");
    assert!(runbook.procedure.contains("Open Acme > Settings > API"));

    // Report, CSV and the monitor report name it.
    let section = b
        .report_section(&dana, "Acme MSP", now)
        .await
        .expect("report");
    assert!(
        section
            .rows
            .iter()
            .any(|r| r.vendor.starts_with("Acme Backup Cloud"))
    );
    let csv = String::from_utf8(b.inventory_csv(&dana, now).await.expect("csv")).expect("utf-8");
    assert!(
        csv.lines()
            .any(|l| l.contains("Acme Backup Cloud") && l.contains("Backup")),
        "{csv}"
    );
    let clients = core.connect_headless(None).await.expect("headless");
    let report = core.monitor_report(&clients, FailOn::Due, now).await;
    let json = serde_json::to_value(&report).expect("json");
    let key = json["clients"][0]["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["secretName"] == ID))
        .expect("status --json lists the key");
    assert_eq!(key["vendorName"], "Acme Backup Cloud");
    assert_eq!(key["category"], "Backup");

    // Console A sees B's key; the role policy can grant the custom vendor.
    a.refresh_keys().await.expect("listing");
    let view_a = a.vault_view(&admin, now).await.expect("view");
    assert!(
        view_a
            .rows
            .iter()
            .any(|r| r.secret_name.as_deref() == Some(ID))
    );
    a.set_access(&admin, Role::L2, ID, true)
        .await
        .expect("grant");
    assert!(a.policy().allows(Role::L2, ID));

    // Removal is refused while the key exists, with the key named.
    let error = a
        .remove_custom_vendor(&admin, ID)
        .await
        .expect_err("in use");
    assert_eq!(error.code, ErrorCode::VendorInUse);
    assert!(error.message.contains(ID), "{}", error.message);
    // Changing it is allowed and says what changed.
    let mut change = acme("https://api.acme.example/v3");
    change.id = Some(ID.into());
    a.save_custom_vendor(&admin, change, now)
        .await
        .expect("changed");

    // After the key is deleted the vendor goes, and so do its grants.
    b.delete_key(&dana, ID).await.expect("deleted");
    let view = a.remove_custom_vendor(&admin, ID).await.expect("removed");
    assert!(view.rows.is_empty());
    assert!(!a.policy().allows(Role::L2, ID));
    assert!(!a.catalog_entries().iter().any(|e| e.id == ID));

    // Audited: created, changed, refused (L2), refused removal, removed.
    let audit = a.audit_view(&admin, &Default::default()).expect("audit");
    let vendor_entries: Vec<_> = audit
        .entries
        .iter()
        .filter(|e| e.action == AuditAction::VendorChange)
        .collect();
    let has = |outcome: Outcome, text: &str| {
        vendor_entries
            .iter()
            .any(|e| e.outcome == outcome && e.note.contains(text))
    };
    assert!(has(Outcome::Ok, "created"), "{vendor_entries:#?}");
    assert!(has(Outcome::Ok, "changed: endpoint"));
    assert!(has(Outcome::Ok, "removed"));
    assert!(has(Outcome::Refused, "Acme Backup Cloud"), "the L2 attempt");
    assert!(has(Outcome::Failed, "removed"), "the refused removal");
    assert!(notices_a.lock().expect("notices").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_changed_outside_the_console_is_named_and_not_used() {
    let emulator = emulator().await;
    let (a, notices) = console(&emulator);
    a.refresh_policy().await.expect("policy");
    let admin = admin();
    let now = Utc::now();
    let mut tape = acme("https://api.acme.example/v2");
    tape.name = "Acme Tape Vault".into();
    a.save_custom_vendor(&admin, tape, now)
        .await
        .expect("defined");
    a.add_key(
        &admin,
        add(TAPE, "acme_0123456789abcdef0123456789abcdef"),
        now,
    )
    .await
    .expect("custom key");
    a.add_key(&admin, add("sentinelone", "s1-token-0001-abcdef"), now)
        .await
        .expect("catalog key");

    // Someone with write access in the Portal sends the vendor's keys to their own host.
    let stored = emulator.secret_value(DOCUMENT).expect("document");
    let moved = stored.replace("api.acme.example", "collector.evil.example");
    emulator.seed_secret(DOCUMENT, &moved).expect("tampered");

    a.refresh_policy().await.expect("policy still reads");
    let view = a.custom_vendors_view(&admin).await.expect("view");
    let problem = view.problem.expect("named");
    assert!(problem.contains("changed outside the console"), "{problem}");
    assert!(view.rows.iter().all(|r| r.flagged));
    // Named once, however often the policy is read again.
    a.refresh_policy().await.expect("policy");
    let named = notices
        .lock()
        .expect("notices")
        .iter()
        .filter(|n| n.message.contains("changed outside the console"))
        .count();
    assert_eq!(named, 1);
    // Not offered, not reachable: its key lists as of an unknown vendor and is never sent.
    assert!(!a.catalog_entries().iter().any(|e| e.id == TAPE));
    let rows = a.vault_view(&admin, now).await.expect("view").rows;
    let custom_row = rows
        .iter()
        .find(|r| r.secret_name.as_deref() == Some(TAPE))
        .expect("the key still lists");
    assert_eq!(custom_row.vendor_name, TAPE);
    let report = a.test_key(&admin, TAPE).await;
    assert!(
        report.is_ok_and(|r| !r.target.contains("evil")) || emulator.secret_value(TAPE).is_some(),
        "never pinged at the tampered host"
    );
    // The catalog's vendors keep working.
    assert!(
        rows.iter()
            .any(|r| r.secret_name.as_deref() == Some("sentinelone")
                && r.vendor_name == "SentinelOne")
    );
    // An Admin's next save signs only what passed the check (here: nothing of the tampered copy).
    let mut other = acme("https://api.other.example/v1");
    other.name = "Other Tool".into();
    let view = a
        .save_custom_vendor(&admin, other, now)
        .await
        .expect("saved");
    assert!(view.problem.is_none());
    assert_eq!(view.rows.len(), 1);
    assert!(
        !emulator
            .secret_value(DOCUMENT)
            .expect("doc")
            .contains("evil")
    );
}
