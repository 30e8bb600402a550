//! Every client in one console, against two emulators standing for two clients' tenants and
//! vaults: both connect side by side, each with its own token; their keys never mix and
//! nothing of one is written to the other's vault; a client that fails (wrong secret, vault
//! gone) shows on that client only; remembered clients all connect at start; and adopting a
//! secret another tool created reads its value once and writes no new version.

mod support;

use akv_core::audit::AuditAction;
use akv_core::domain::secret::SecretValue;
use akv_core::error::ErrorCode;
use akv_core::service::adopt::AdoptRequest;
use akv_core::service::audit::AuditFilter;
use akv_core::service::rotation::RotateRequest;
use akv_core::session::{BulkRequest, PortfolioFilter};
use akv_tests::emulator::{Fault, RouteKind, SeedSecret};
use chrono::Utc;
use support::clients::*;
use support::*;

#[tokio::test]
async fn two_clients_in_two_tenants_connect_side_by_side_and_never_mix() {
    let contoso = emulator().await;
    let fabrikam = fabrikam().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.save_client(client("Contoso Dental", settings(&contoso), SECRET, false))
        .await
        .expect("contoso connects");
    let status = core
        .save_client(client(
            "Fabrikam Logistics",
            fabrikam_settings(&fabrikam),
            FABRIKAM_SECRET,
            false,
        ))
        .await
        .expect("fabrikam connects");
    assert_eq!(status.connected, 2);
    assert_eq!(status.badge, "2 CLIENTS CONNECTED");
    // Each client got its own token from its own tenant (and one for Graph's read of its
    // client secret's end date).
    for tenant in [&contoso, &fabrikam] {
        assert_eq!(tenant.request_count(RouteKind::Token), 2);
        assert_eq!(tenant.request_count(RouteKind::GraphGetApplication), 1);
    }

    let contoso_id = id_of(&core, "Contoso Dental").await;
    let fabrikam_id = id_of(&core, "Fabrikam Logistics").await;
    // A key added for one client lands in that client's vault only.
    let (console, operator) = core.client_console(&fabrikam_id).await.expect("fabrikam");
    console
        .add_key(
            &operator,
            add("sentinelone", "fabrikam-s1-token-0001"),
            Utc::now(),
        )
        .await
        .expect("add");
    assert_eq!(
        fabrikam.secret_value("sentinelone").as_deref(),
        Some("fabrikam-s1-token-0001")
    );
    assert_eq!(contoso.secret_value("sentinelone"), None);
    // Nothing of Fabrikam (its audit anchor included) is written to Contoso's vault.
    assert!(
        contoso
            .secret_names()
            .iter()
            .all(|name| !name.contains("sentinelone")),
        "{:?}",
        contoso.secret_names()
    );

    // The portfolio shows both clients' keys, each row naming its client.
    let view = core
        .vault_view(&PortfolioFilter::default(), Utc::now())
        .await
        .expect("portfolio");
    let s1: Vec<_> = view
        .rows
        .iter()
        .filter(|r| r.vendor_id == "sentinelone")
        .collect();
    assert_eq!(s1.len(), 1);
    assert_eq!(s1[0].client_name, "Fabrikam Logistics");
    // One client opened alone lists its vendors, with the vendors that have no key yet.
    let alone = core
        .vault_view(
            &PortfolioFilter {
                client: Some(contoso_id.clone()),
            },
            Utc::now(),
        )
        .await
        .expect("contoso alone");
    assert!(alone.rows.iter().all(|r| r.client_id == contoso_id));
    assert_eq!(alone.counts.keys_stored, 0);

    // The inventory CSV has a client column; the report covers both.
    let csv = core
        .inventory_csv(&PortfolioFilter::default(), Utc::now())
        .await
        .expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(
        csv.trim_start_matches('\u{feff}')
            .starts_with("Client,Vendor,"),
        "{csv}"
    );
    assert!(csv.contains("Fabrikam Logistics,SentinelOne"), "{csv}");
    let pdf = core
        .report_pdf(&PortfolioFilter::default(), Utc::now())
        .await
        .expect("pdf");
    assert!(pdf.starts_with(b"%PDF"));

    // Every audit entry names its client's vault; each client keeps its own log.
    let (contoso_console, _) = core.client_console(&contoso_id).await.expect("contoso");
    let contoso_log = contoso_console
        .audit_view(&AuditFilter::default())
        .expect("audit");
    assert!(
        contoso_log
            .entries
            .iter()
            .all(|e| e.action != AuditAction::Add),
        "Fabrikam's add is not in Contoso's log"
    );
    let fabrikam_log = console.audit_view(&AuditFilter::default()).expect("audit");
    assert!(
        fabrikam_log
            .entries
            .iter()
            .any(|e| e.action == AuditAction::Add && e.vendor.as_deref() == Some("SentinelOne"))
    );
}

#[tokio::test]
async fn rotate_all_due_across_clients_goes_to_each_clients_vault() {
    let contoso = emulator().await;
    let fabrikam = fabrikam().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.save_client(client("Contoso Dental", settings(&contoso), SECRET, false))
        .await
        .expect("contoso");
    core.save_client(client(
        "Fabrikam Logistics",
        fabrikam_settings(&fabrikam),
        FABRIKAM_SECRET,
        false,
    ))
    .await
    .expect("fabrikam");
    let mut ids = Vec::new();
    for name in ["Contoso Dental", "Fabrikam Logistics"] {
        let id = id_of(&core, name).await;
        let (console, operator) = core.client_console(&id).await.expect("console");
        let mut request = add("atera", &format!("{name}-old-atera-key-01"));
        request.expiry = Some(
            (Utc::now() + chrono::Duration::days(3))
                .format("%Y-%m-%d")
                .to_string(),
        );
        console
            .add_key(&operator, request, Utc::now())
            .await
            .expect("add");
        ids.push(id);
    }
    let requests = ids
        .iter()
        .zip(["contoso-new-atera-key-02", "fabrikam-new-atera-key-02"])
        .map(|(id, value)| BulkRequest {
            client_id: id.clone(),
            request: RotateRequest {
                secret_name: "atera".into(),
                value: Some(SecretValue::new(value)),
                parts: Vec::new(),
                generate: false,
                expiry: None,
                test_first: false,
                used_by_checked: Vec::new(),
                at_vendor: false,
            },
        })
        .collect();
    let result = core
        .rotate_all_due(requests, Utc::now(), |_| {})
        .await
        .expect("bulk");
    assert_eq!((result.succeeded, result.failed), (2, 0), "{result:?}");
    assert_eq!(
        contoso.secret_value("atera").as_deref(),
        Some("contoso-new-atera-key-02")
    );
    assert_eq!(
        fabrikam.secret_value("atera").as_deref(),
        Some("fabrikam-new-atera-key-02")
    );
    let clients: Vec<&str> = result
        .items
        .iter()
        .map(|i| i.client_name.as_str())
        .collect();
    assert_eq!(clients, ["Contoso Dental", "Fabrikam Logistics"]);
    // The batch anchors its entries once at the end: each vault vouches for its whole log.
    for name in ["Contoso Dental", "Fabrikam Logistics"] {
        let (console, operator) = core
            .client_console(&id_of(&core, name).await)
            .await
            .expect("console");
        let verification = console.verify_audit(&operator).await.expect("verify");
        assert!(verification.report.intact, "{name}: {verification:?}");
        assert!(
            verification.report.summary.contains("anchor matches"),
            "{name}: {}",
            verification.report.summary
        );
    }
}

#[tokio::test]
async fn adopting_a_secret_reads_it_once_and_writes_no_new_version() {
    let emulator = emulator().await;
    emulator
        .seed(
            "ninja-legacy-api",
            SeedSecret::new("ninja-client-id:ninja-legacy-value-1234").tag("owner", "scripts"),
        )
        .expect("seed");
    emulator
        .seed("sql-admin-password", SeedSecret::new("not an api key"))
        .expect("seed");
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.save_client(client("Contoso Dental", settings(&emulator), SECRET, false))
        .await
        .expect("connect");
    let id = id_of(&core, "Contoso Dental").await;

    // The Unmanaged view lists both, with a vendor suggested from the name, never a value.
    let view = core
        .unmanaged_view(&PortfolioFilter::default())
        .await
        .expect("unmanaged");
    let names: Vec<&str> = view.rows.iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains(&"ninja-legacy-api") && names.contains(&"sql-admin-password"));
    let ninja = view
        .rows
        .iter()
        .find(|r| r.name == "ninja-legacy-api")
        .expect("row");
    assert_eq!(ninja.suggested_vendor.as_deref(), Some("ninjaone"));
    assert!(!format!("{view:?}").contains("ninja-legacy-value-1234"));

    emulator.reset_counters();
    let (console, operator) = core.client_console(&id).await.expect("console");
    let row = console
        .adopt(
            &operator,
            AdoptRequest {
                secret_name: "ninja-legacy-api".into(),
                vendor_id: "ninjaone".into(),
                label: None,
                interval_days: Some(60),
                owner: "Dana Reyes".into(),
                note: String::new(),
            },
            Utc::now(),
        )
        .await
        .expect("adopt");
    assert_eq!(
        emulator.request_count(RouteKind::GetSecret),
        1,
        "one value read"
    );
    assert_eq!(emulator.request_count(RouteKind::UpdateSecret), 1);
    let snapshot = emulator
        .secret_snapshot("ninja-legacy-api")
        .expect("secret");
    assert_eq!(snapshot.versions.len(), 1);
    assert_eq!(
        snapshot.versions[0].value,
        "ninja-client-id:ninja-legacy-value-1234"
    );
    assert!(
        row.masked_preview
            .as_deref()
            .is_some_and(|p| p.contains('•'))
    );
    assert_eq!(row.interval_days, 60);

    // It is a console key now, in the snapshot and after a fresh listing.
    core.refresh(Some(&id)).await.expect("refresh");
    let keys = core
        .vault_view(&PortfolioFilter::default(), Utc::now())
        .await
        .expect("view");
    assert!(
        keys.rows
            .iter()
            .any(|r| r.secret_name.as_deref() == Some("ninja-legacy-api"))
    );
    let view = core
        .unmanaged_view(&PortfolioFilter::default())
        .await
        .expect("unmanaged");
    assert_eq!(view.rows.len(), 1);
    let log = console.audit_view(&AuditFilter::default()).expect("audit");
    assert!(log.entries.iter().any(|e| e.action == AuditAction::Adopt));

    // A secret that is not there (adopted elsewhere meanwhile) is a named error.
    emulator.inject_fault(Fault::server_error(503).on_route(RouteKind::GetSecret));
    let error = console
        .adopt(
            &operator,
            AdoptRequest {
                secret_name: "gone-secret".into(),
                vendor_id: "ninjaone".into(),
                label: None,
                interval_days: None,
                owner: String::new(),
                note: String::new(),
            },
            Utc::now(),
        )
        .await
        .expect_err("not unmanaged");
    assert_eq!(error.code, ErrorCode::KeyNotFound);
}
