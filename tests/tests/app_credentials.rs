//! Every app registration's credentials in every connected tenant, read from the emulator's
//! Microsoft Graph (`GET /v1.0/applications?$select=…&$top=999`): two tenants, one whose
//! connection lacks `Application.Read.All` (403 named with the permission and the admin's fix,
//! the other tenant's credentials listed, the refusing client's keys unaffected); statuses
//! across the 14-day and expiry boundaries; ceil(apps / 999) requests with paging; the sidebar,
//! the Vault tab, the CSV, the PDF, reminders and `akv-console status` agree; the console's own
//! secret is linked to the key that rotates it.

mod support;

use akv_core::domain::key_value::KeyPartInput;
use akv_core::domain::keys::KeyStatus;
use akv_core::domain::secret::SecretValue;
use akv_core::domain::vault_objects::ObjectKind;
use akv_core::error::ErrorCode;
use akv_core::service::monitor::{FailOn, MonitorLevel};
use akv_core::service::vault::AddKeyRequest;
use akv_core::session::PortfolioFilter;
use akv_core::store::SecretStore;
use akv_tests::emulator::{APPLICATION_READ_ALL, Emulator, RouteKind};
use chrono::{Duration, Utc};
use support::clients::*;
use support::*;

fn days(n: i64) -> chrono::DateTime<Utc> {
    support::end_of_day_in(n)
}

/// Contoso's tenant: a secret expiring in 9 days, an expired certificate, a healthy secret.
fn seed_contoso(emulator: &Emulator) {
    let backup = emulator.add_application(TENANT, "Backup agent");
    emulator
        .add_password_credential(TENANT, &backup, "nightly", days(9))
        .expect("secret");
    let intune = emulator.add_application(TENANT, "Intune connector");
    emulator
        .add_key_credential(TENANT, &intune, "CN=intune", days(-4), [0x3f; 20])
        .expect("certificate");
    let portal = emulator.add_application(TENANT, "Customer portal");
    emulator
        .add_password_credential(TENANT, &portal, "prod", days(200))
        .expect("secret");
}

/// Contoso may read its tenant's applications; Fabrikam's app was never granted it.
async fn two_tenants() -> (Emulator, Emulator) {
    let contoso = emulator().await;
    contoso
        .grant_graph_permission(TENANT, CLIENT, APPLICATION_READ_ALL)
        .expect("granted");
    seed_contoso(&contoso);
    let fabrikam = fabrikam().await;
    let app = fabrikam.add_application(FABRIKAM_TENANT, "Fabrikam payroll");
    fabrikam
        .add_password_credential(FABRIKAM_TENANT, &app, "payroll", days(3))
        .expect("secret");
    (contoso, fabrikam)
}

#[tokio::test]
async fn two_tenants_one_refusing_is_named_with_the_permission_and_the_other_is_listed() {
    let (contoso, fabrikam) = two_tenants().await;
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
    assert_eq!(status.connected, 2, "a Graph refusal fails no client");

    // Fabrikam's keys are unaffected: a key added there is stored and counted.
    let fabrikam_id = id_of(&core, "Fabrikam Logistics").await;
    let (console, operator) = core.client_console(&fabrikam_id).await.expect("fabrikam");
    console
        .add_key(
            &operator,
            add("sentinelone", "fabrikam-s1-token-0001"),
            Utc::now(),
        )
        .await
        .expect("add");
    let counts = console.client_counts(Utc::now());
    assert_eq!(counts.keys, 1);
    assert!(counts.app_credentials.refused);

    let view = core
        .objects_view(&PortfolioFilter::default(), Utc::now())
        .await
        .expect("view");
    let apps = &view.app_credentials;
    assert!(
        apps.rows.iter().all(|r| r.client_name == "Contoso Dental"),
        "only the consenting tenant's credentials"
    );
    assert!(apps.rows.iter().any(|r| r.name == "Backup agent"));
    assert!(!apps.rows.iter().any(|r| r.name == "Fabrikam payroll"));
    assert_eq!(apps.refused.len(), 1);
    let refusal = &apps.refused[0];
    assert_eq!(refusal.client_name, "Fabrikam Logistics");
    assert_eq!(refusal.error.code, ErrorCode::GraphPermissionMissing);
    assert!(
        refusal.error.message.contains("Application.Read.All")
            && refusal.error.message.contains("application permission")
            && refusal.error.message.contains("keys are listed as usual"),
        "{}",
        refusal.error.message
    );
    assert!(
        refusal.error.hint.contains("Grant admin consent")
            && refusal.error.hint.contains(&format!(
                "az ad app permission admin-consent --id {FABRIKAM_CLIENT}"
            )),
        "{}",
        refusal.error.hint
    );
    // The refusal is kept in the snapshot: looking again asks Graph nothing.
    let asked = fabrikam.request_count(RouteKind::GraphListApplications);
    assert_eq!(asked, 1, "one listing per connect");
    core.objects_view(&PortfolioFilter::default(), Utc::now())
        .await
        .expect("view again");
    assert_eq!(
        fabrikam.request_count(RouteKind::GraphListApplications),
        asked
    );
    assert_eq!(contoso.request_count(RouteKind::GraphListApplications), 1);
}

#[tokio::test]
async fn statuses_follow_the_same_rules_as_keys_across_the_boundaries() {
    let emulator = emulator().await;
    emulator
        .grant_graph_permission(TENANT, CLIENT, APPLICATION_READ_ALL)
        .expect("granted");
    let app = emulator.add_application(TENANT, "Boundaries");
    for (name, n) in [("d14", 14), ("d15", 15), ("d0", 0), ("past", -1)] {
        emulator
            .add_password_credential(TENANT, &app, name, days(n))
            .expect("secret");
    }
    emulator
        .add_password_credential(
            TENANT,
            &app,
            "just-expired",
            Utc::now() - Duration::minutes(5),
        )
        .expect("secret");
    let (console, _) = console(&emulator);
    console.refresh().await.expect("refresh");
    let view = console.objects_view(Utc::now());
    let status = |label: &str| {
        view.app_credentials
            .rows
            .iter()
            .find(|r| r.detail.starts_with(label))
            .unwrap_or_else(|| panic!("{label} listed"))
            .facts
            .clone()
    };
    assert_eq!(status("d14 ").status, KeyStatus::DueSoon);
    assert_eq!(status("d14 ").status_text, "Expires in 14 d");
    assert_eq!(status("d15 ").status, KeyStatus::Healthy);
    assert_eq!(status("d0 ").status, KeyStatus::DueSoon);
    assert_eq!(status("past ").status, KeyStatus::Expired);
    assert_eq!(status("just-expired ").status, KeyStatus::Expired);
    let row = &view.app_credentials.rows[0];
    assert_eq!(row.kind, ObjectKind::AppCredential);
    assert_eq!(row.issuer, "Client secret");
    assert!(row.detail.contains("(hint "), "{}", row.detail);
}

#[tokio::test]
async fn a_thousand_apps_cost_two_graph_requests() {
    let emulator = emulator().await;
    emulator
        .grant_graph_permission(TENANT, CLIENT, APPLICATION_READ_ALL)
        .expect("granted");
    for n in 0..1000 {
        let app = emulator.add_application(TENANT, &format!("app-{n:04}"));
        emulator
            .add_password_credential(TENANT, &app, "s", days(100))
            .expect("secret");
    }
    let listing = store(&emulator).list_objects().await;
    // The console's own app (with its connection secret) is a registration too.
    assert_eq!(listing.app_credentials.items().len(), 1001);
    assert_eq!(emulator.request_count(RouteKind::GraphListApplications), 2);
    let paths: Vec<String> = emulator
        .request_log()
        .into_iter()
        .filter(|r| r.path.ends_with("/applications"))
        .map(|r| r.path)
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
}

#[tokio::test]
async fn sidebar_csv_pdf_reminders_and_status_agree_and_the_own_secret_is_linked() {
    let emulator = emulator().await;
    emulator
        .grant_graph_permission(TENANT, CLIENT, APPLICATION_READ_ALL)
        .expect("granted");
    seed_contoso(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.save_client(client("Contoso Dental", settings(&emulator), SECRET, false))
        .await
        .expect("connects");
    // The console's own secret, kept as an Entra App Secret key of this tenant.
    let id = id_of(&core, "Contoso Dental").await;
    let (console, dana) = core.client_console(&id).await.expect("console");
    console
        .add_key(
            &dana,
            AddKeyRequest {
                generate: None,
                short_reason: None,
                vendor_id: "entra-app-secret".into(),
                label: None,
                value: None,
                parts: vec![
                    KeyPartInput {
                        id: "client_id".into(),
                        value: SecretValue::new(CLIENT),
                    },
                    KeyPartInput {
                        id: "client_secret".into(),
                        value: SecretValue::new(SECRET),
                    },
                ],
                fields: [("tenant".to_string(), TENANT.to_string())].into(),
                expiry: None,
                interval_days: None,
                owner: String::new(),
                note: String::new(),
            },
            Utc::now(),
        )
        .await
        .expect("add");

    let now = Utc::now();
    let filter = PortfolioFilter::default();
    let status = core.status().await;
    let sidebar = status.clients[0].counts.clone().expect("counts");
    let view = core.objects_view(&filter, now).await.expect("view");
    assert_eq!(view.app_credentials.counts, sidebar.app_credentials);
    assert_eq!(
        (
            sidebar.app_credentials.total,
            sidebar.app_credentials.expired,
            sidebar.app_credentials.due_soon
        ),
        (4, 1, 1),
        "three apps' credentials and the console's own secret"
    );
    let vault = core.vault_view(&filter, now).await.expect("vault tab");
    assert_eq!(vault.counts, sidebar);
    // The overview says why the client needs attention.
    assert!(
        status.clients[0]
            .counts
            .as_ref()
            .is_some_and(|c| c.app_credentials.expired == 1),
        "counted for the overview"
    );

    let own = view
        .app_credentials
        .rows
        .iter()
        .find(|r| r.app_id.as_deref() == Some(CLIENT))
        .expect("the console's own app is listed");
    assert_eq!(
        own.linked_key.as_deref(),
        Some("rotated by the console: key entra-app-secret")
    );
    assert!(
        view.app_credentials
            .rows
            .iter()
            .filter(|r| r.app_id.as_deref() != Some(CLIENT))
            .all(|r| r.linked_key.is_none()),
        "other apps are not the console's"
    );

    // CSV: one row per credential, Kind "App credential".
    let csv =
        String::from_utf8(core.inventory_csv(&filter, now).await.expect("csv")).expect("utf-8");
    let line = |name: &str| {
        csv.lines()
            .find(|l| l.contains(&format!(",{name},")))
            .unwrap_or_else(|| panic!("{name} in the CSV: {csv}"))
    };
    assert!(line("Backup agent").ends_with(",App credential"));
    assert!(line("Backup agent").contains("Expires in 9 d"));
    assert!(line("Intune connector").contains(",Expired,"));
    assert!(line("Intune connector").contains("Certificate: CN=intune (thumbprint 3F3F"));

    // akv-console status --json.
    let monitor = core.monitor_report(&status.clients, FailOn::Due, now).await;
    let client = &monitor.clients[0];
    assert_eq!(
        client.level,
        MonitorLevel::Critical,
        "an expired app certificate"
    );
    let json = serde_json::to_value(&monitor).expect("json");
    assert_eq!(json["schema"], "akv-console.status/4");
    assert_eq!(json["clients"][0]["counts"]["appCredentials"]["expired"], 1);
    let backup = json["clients"][0]["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["name"] == "Backup agent")
        .cloned()
        .expect("listed");
    assert_eq!(backup["kind"], "app-credential");
    assert_eq!(backup["level"], "warning");

    // Reminders at the keys' thresholds.
    let reminders = core.due_reminders().await;
    let titles: Vec<&str> = reminders.iter().map(|r| r.title.as_str()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("Intune connector") && t.contains("EXPIRED")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.contains("Backup agent") && t.contains("app credential")),
        "{titles:?}"
    );
    assert!(
        !titles.iter().any(|t| t.contains("Customer portal")),
        "{titles:?}"
    );

    // PDF, read back as text.
    let pdf = core.report_pdf(&filter, now).await.expect("pdf");
    let text = support::pdf_text(&pdf);
    assert!(text.contains("app credentials"), "{text}");
    assert!(text.contains("4 app credentials: 1 expired"), "{text}");
    let pdf_line = |name: &str| {
        text.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} in the PDF: {text}"))
            .to_string()
    };
    assert!(
        pdf_line("Backup agent").contains("Expires in 9 d"),
        "{text}"
    );
    assert!(pdf_line("Intune connector").contains("Expired"), "{text}");
}

/// A signed-in technician reads Graph with the console app's delegated permission: without
/// `Application.Read.All` consented for it, each tenant names the delegated permission (the
/// vault still connects); once the app holds it, the tenant's credentials are listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_technician_needs_the_delegated_permission() {
    use akv_core::session::ConnectRequest;
    use akv_core::signin::SignInMethod;
    use akv_tests::emulator::DEFAULT_TENANT;
    use support::msp_vaults::{
        ADA, CONSOLE_CLIENT, client_settings, client_tenant, console_pc, msp_with_vaults,
    };

    let mut msp = msp_with_vaults(0).await;
    // The console's own (multi-tenant) app has a certificate at home; a client tenant that
    // consents to it holds only its service principal, which Graph does not list there.
    msp.entra
        .add_key_credential(
            DEFAULT_TENANT,
            CONSOLE_CLIENT,
            "CN=console",
            days(100),
            [7; 20],
        )
        .expect("home certificate");
    msp.add_client_tenant(None).await;
    let tenant = client_tenant(0);
    let app = msp
        .entra
        .add_application(&tenant, "Client's line-of-business app");
    msp.entra
        .add_password_credential(&tenant, &app, "lob", days(5))
        .expect("secret");
    let dir = tempfile::tempdir().expect("dir");
    let core = console_pc(&msp.entra, dir.path(), fast_options());
    msp.entra.set_interactive_user(Some(ADA));
    let connect = || {
        core.connect(ConnectRequest {
            settings: client_settings(&msp, 0),
            client_secret: None,
            method: Some(SignInMethod::Browser),
            remember: false,
        })
    };
    connect()
        .await
        .expect("the vault connects without the Graph permission");
    let view = core
        .objects_view(&PortfolioFilter::default(), Utc::now())
        .await
        .expect("view");
    let refusal = view.app_credentials.refused.first().expect("named");
    assert_eq!(refusal.error.code, ErrorCode::GraphPermissionMissing);
    assert!(
        refusal.error.message.contains(ADA)
            && refusal.error.message.contains("delegated permission"),
        "{}",
        refusal.error.message
    );
    assert!(
        refusal.error.hint.contains("Delegated permissions"),
        "{}",
        refusal.error.hint
    );

    // An admin of the client tenant consents Application.Read.All for the console's app. A
    // token issued before the grant does not carry it, as in Entra: the technician signs in
    // again (a fresh console here) and the tenant's credentials are listed.
    msp.entra
        .consent_graph_delegated(&tenant, CONSOLE_CLIENT, APPLICATION_READ_ALL)
        .expect("admin consent in the client tenant");
    assert!(
        refusal.error.hint.contains("sign in again"),
        "{}",
        refusal.error.hint
    );
    let dir = tempfile::tempdir().expect("dir");
    let core = console_pc(&msp.entra, dir.path(), fast_options());
    core.connect(ConnectRequest {
        settings: client_settings(&msp, 0),
        client_secret: None,
        method: Some(SignInMethod::Browser),
        remember: false,
    })
    .await
    .expect("signed in again");
    let view = core
        .objects_view(&PortfolioFilter::default(), Utc::now())
        .await
        .expect("view");
    assert!(
        view.app_credentials.refused.is_empty(),
        "{:?}",
        view.app_credentials.refused
    );
    let row = view
        .app_credentials
        .rows
        .iter()
        .find(|r| r.name == "Client's line-of-business app")
        .expect("listed");
    assert_eq!(row.facts.status, KeyStatus::DueSoon);
    assert!(
        !view
            .app_credentials
            .rows
            .iter()
            .any(|r| r.app_id.as_deref() == Some(CONSOLE_CLIENT)),
        "the consented app's home certificate is not the client tenant's"
    );
}
