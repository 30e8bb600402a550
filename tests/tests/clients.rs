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
                ..Default::default()
            },
            Utc::now(),
        )
        .await
        .expect("contoso alone");
    assert!(alone.rows.iter().all(|r| r.client_id == contoso_id));
    assert_eq!(alone.counts.keys, 0);

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
    let (contoso_console, contoso_operator) =
        core.client_console(&contoso_id).await.expect("contoso");
    let contoso_log = contoso_console
        .audit_view(&contoso_operator, &AuditFilter::default())
        .expect("audit");
    assert!(
        contoso_log
            .entries
            .iter()
            .all(|e| e.action != AuditAction::Add),
        "Fabrikam's add is not in Contoso's log"
    );
    let fabrikam_log = console
        .audit_view(&operator, &AuditFilter::default())
        .expect("audit");
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
                generator: None,
                short_reason: None,
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
    let log = console
        .audit_view(&operator, &AuditFilter::default())
        .expect("audit");
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

#[tokio::test]
async fn only_an_admin_adopts_and_the_audit_keeps_what_the_secret_was() {
    let emulator = emulator().await;
    emulator
        .seed(
            "rmm-db-password",
            SeedSecret::new("database password, not an api key")
                .content_type("text/x-db-password")
                .tag("app", "billing-db"),
        )
        .expect("seed");
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.save_client(client("Contoso Dental", settings(&emulator), SECRET, false))
        .await
        .expect("connect");
    let id = id_of(&core, "Contoso Dental").await;
    let (console, dana) = core.client_console(&id).await.expect("console");
    // Lee is L2: the manual's defaults grant L2 every RMM key, Atera included.
    console
        .set_roster_role(&dana, "Lee", Some(akv_core::domain::policy::Role::L2))
        .await
        .expect("roster");
    core.set_profile("Lee", None).await.expect("profile");
    let (console, lee) = core.client_console(&id).await.expect("console");
    let view = core
        .unmanaged_view(&PortfolioFilter::default())
        .await
        .expect("L2 sees the list");
    assert!(!view.can_adopt, "the Adopt button is not offered to L2");
    emulator.reset_counters();
    let adopt = |owner: &str| AdoptRequest {
        secret_name: "rmm-db-password".into(),
        vendor_id: "atera".into(),
        label: None,
        interval_days: None,
        owner: owner.into(),
        note: String::new(),
    };
    let refused = console
        .adopt(&lee, adopt("Lee"), Utc::now())
        .await
        .expect_err("L2 may not turn a database password into an Atera key");
    assert_eq!(refused.code, ErrorCode::AdminOnly);
    assert_eq!(
        emulator.request_count(RouteKind::GetSecret),
        0,
        "no value read"
    );
    assert_eq!(emulator.request_count(RouteKind::UpdateSecret), 0);
    let refused_copy = console
        .copy_key(&lee, "rmm-db-password", |_| panic!("no value for L2"))
        .await
        .expect_err("still not a key");
    assert_eq!(refused_copy.code, ErrorCode::KeyNotFound);

    // The Admin may, and the entry keeps the secret's content type and tags from before.
    core.set_profile("Dana Reyes", None).await.expect("profile");
    let (console, dana) = core.client_console(&id).await.expect("console");
    console
        .adopt(&dana, adopt("Dana Reyes"), Utc::now())
        .await
        .expect("the Admin adopts");
    let log = console
        .audit_view(&dana, &AuditFilter::default())
        .expect("audit");
    let entries: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.action == AuditAction::Adopt)
        .collect();
    assert_eq!(entries.len(), 2, "the refusal and the adoption");
    assert!(entries.iter().any(|e| e.user == "Lee"));
    let adopted = entries
        .iter()
        .find(|e| e.user == "Dana Reyes")
        .expect("entry");
    assert!(
        adopted.note.contains("content type text/x-db-password")
            && adopted.note.contains("app=billing-db"),
        "{}",
        adopted.note
    );
}

#[tokio::test]
async fn app_secret_mode_takes_roster_roles_only_through_the_pinned_app() {
    let emulator = emulator().await;
    // A second app registration with its own secret and the same vault role.
    const OTHER_APP: &str = "55555555-5555-4555-8555-555555555555";
    const OTHER_SECRET: &str = "someone-elses-app-secret~value.7";
    emulator.register_app(akv_tests::emulator::AppRegistration::new(
        TENANT,
        OTHER_APP,
        OTHER_SECRET,
        Some(akv_tests::emulator::Role::SecretsOfficer),
    ));
    let dana_pc = tempfile::tempdir().expect("tempdir");
    let core = pc(dana_pc.path());
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.save_client(client("Contoso Dental", settings(&emulator), SECRET, false))
        .await
        .expect("connect");
    let id = id_of(&core, "Contoso Dental").await;
    let (console, dana) = core.client_console(&id).await.expect("console");
    // Dana became the vault's first Admin; that save pinned the console's app.
    let pin = console
        .distribution_view(&dana)
        .await
        .expect("view")
        .app_pin
        .expect("shown");
    assert!(pin.pinned && pin.text.contains(CLIENT), "{}", pin.text);

    // On another PC, the same typed name through the other app's secret: no role.
    let other_pc = tempfile::tempdir().expect("tempdir");
    let other = pc(other_pc.path());
    other
        .set_profile("Dana Reyes", None)
        .await
        .expect("profile");
    let other_settings = akv_core::domain::connection::ConnectionSettings {
        client_id: OTHER_APP.into(),
        ..settings(&emulator)
    };
    let status = other
        .save_client(client(
            "Contoso Dental",
            other_settings,
            OTHER_SECRET,
            false,
        ))
        .await
        .expect("the connection itself works");
    assert_eq!(
        status.clients[0].operator.as_ref().and_then(|o| o.role),
        None
    );
    let other_id = id_of(&other, "Contoso Dental").await;
    let (other_console, impostor) = other.client_console(&other_id).await.expect("console");
    let refused = other_console
        .set_roster_role(
            &impostor,
            "Mallory",
            Some(akv_core::domain::policy::Role::Admin),
        )
        .await
        .expect_err("no Admin through another app");
    assert_eq!(refused.code, ErrorCode::AdminOnly);
    let refused = impostor.require_role().expect_err("no role");
    assert_eq!(refused.code, ErrorCode::ForeignApp);
    assert!(refused.message.contains(CLIENT), "{}", refused.message);
}
