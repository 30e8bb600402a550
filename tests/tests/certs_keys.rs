//! The vault's own certificates and keys, listed with Microsoft's certificate and key clients
//! against the emulator: listing costs ceil(n / 25) list calls per kind and a policy read only
//! for certificates near expiry; statuses (expired, expiring, auto-renewing, healthy); a role
//! that cannot read certificates is named for that kind only; no private material is ever
//! requested; the sidebar, the Vault tab, the CSV, the PDF, reminders and `akv-console status`
//! agree.

mod support;

use akv_core::domain::keys::KeyStatus;
use akv_core::domain::vault_objects::ObjectKind;
use akv_core::error::ErrorCode;
use akv_core::service::monitor::{FailOn, MonitorLevel};
use akv_core::session::PortfolioFilter;
use akv_core::store::SecretStore;
use akv_tests::emulator::{Emulator, Role, RouteKind, SeedCertificate, SeedKey};
use chrono::{Duration, Utc};
use support::clients::*;
use support::*;

fn days(n: i64) -> chrono::DateTime<Utc> {
    Utc::now() + Duration::days(n)
}

/// A certificate valid for a year, ending `expires_in` days from now.
fn certificate(expires_in: i64) -> SeedCertificate {
    SeedCertificate::new(days(expires_in - 365), days(expires_in))
}

/// The four states a technician must tell apart, and two keys.
fn seed_states(emulator: &Emulator) {
    emulator
        .create_certificate("vpn-gateway", certificate(-3).issuer("Unknown"))
        .expect("expired");
    emulator
        .create_certificate("rmm-signing", certificate(9).issuer("Unknown"))
        .expect("expiring in 9 days");
    emulator
        .create_certificate("portal-tls", certificate(10).auto_renew(7))
        .expect("auto-renewing");
    emulator
        .create_certificate("backup-auth", certificate(300))
        .expect("healthy");
    emulator
        .create_key(
            "sql-tde",
            SeedKey {
                expires: Some(days(12)),
                ..SeedKey::rsa(2048)
            },
        )
        .expect("key due");
    emulator
        .create_key("backup-cmk", SeedKey::rsa(3072))
        .expect("key without expiry");
}

/// Every path the console requested: none may touch private material.
fn assert_no_private_material(emulator: &Emulator) {
    for request in emulator.request_log() {
        let path = request.path.to_ascii_lowercase();
        for name in ["vpn-gateway", "rmm-signing", "portal-tls", "backup-auth"] {
            assert!(
                !path.starts_with(&format!("/secrets/{name}")),
                "read a certificate's backing secret: {path}"
            );
        }
        assert!(
            !path.contains("/export") && !path.contains("/backup"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_thousand_certificates_cost_forty_list_calls_and_no_policy_read_when_far_from_expiry() {
    let emulator = emulator().await;
    emulator.add_app_role(TENANT, CLIENT, Role::Reader);
    for n in 0..1000 {
        emulator
            .create_certificate(&format!("cert-{n:04}"), certificate(400))
            .expect("created");
    }
    let store = store(&emulator);
    let listing = store.list_objects().await;
    assert_eq!(listing.certificates.items().len(), 1000);
    assert_eq!(emulator.request_count(RouteKind::ListCertificates), 40);
    assert_eq!(emulator.request_count(RouteKind::GetCertificatePolicy), 0);
    assert_eq!(emulator.request_count(RouteKind::GetCertificate), 0);
    // Each certificate's managed key is listed (40 pages) and left to its certificate.
    assert_eq!(emulator.request_count(RouteKind::ListKeys), 40);
    assert!(listing.keys.items().is_empty());
    // Their backing secrets are neither API keys nor unmanaged secrets.
    let secrets = store.list_all().await.expect("secrets");
    assert!(secrets.unmanaged.is_empty() && secrets.keys.is_empty());
    assert_eq!(emulator.request_count(RouteKind::GetSecret), 0);
}

#[tokio::test]
async fn a_thousand_keys_cost_forty_list_calls_and_no_key_read() {
    let emulator = emulator().await;
    emulator.add_app_role(TENANT, CLIENT, Role::CryptoOfficer);
    for n in 0..1000 {
        emulator
            .create_key(&format!("key-{n:04}"), SeedKey::rsa(2048))
            .expect("created");
    }
    let listing = store(&emulator).list_objects().await;
    assert_eq!(listing.keys.items().len(), 1000);
    assert_eq!(emulator.request_count(RouteKind::ListKeys), 40);
    assert_eq!(emulator.request_count(RouteKind::GetKey), 0);
    // Crypto Officer reads no certificate: that kind alone is refused, by name.
    let refused = listing
        .certificates
        .refused()
        .expect("certificates refused");
    assert_eq!(refused.code, ErrorCode::ForbiddenByRbac);
}

#[tokio::test]
async fn statuses_say_expired_expiring_auto_renewing_and_healthy() {
    let emulator = emulator().await;
    emulator.add_app_role(TENANT, CLIENT, Role::Reader);
    seed_states(&emulator);
    // A key whose rotation policy rotates it 5 days before expiry.
    emulator
        .create_key(
            "cmk-rotating",
            SeedKey {
                expires: Some(days(10)),
                rotate_before_expiry: Some(5),
                ..SeedKey::rsa(2048)
            },
        )
        .expect("rotating key");
    let (console, _) = console(&emulator);
    console.refresh().await.expect("refresh");
    let view = console.objects_view(Utc::now());
    let row = |name: &str| {
        view.all_rows()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("{name} listed"))
    };
    assert_eq!(row("vpn-gateway").facts.status, KeyStatus::Expired);
    assert_eq!(row("vpn-gateway").facts.status_text, "Expired 3 d ago");
    assert_eq!(row("rmm-signing").facts.status, KeyStatus::DueSoon);
    assert_eq!(row("rmm-signing").facts.status_text, "Expires in 9 d");
    assert_eq!(row("rmm-signing").issuer, "Unknown (manual)");
    let renewing = row("portal-tls");
    assert_eq!(renewing.facts.status, KeyStatus::Healthy);
    let renews = (Utc::now() + Duration::days(3)).format("%Y-%m-%d");
    assert_eq!(renewing.facts.status_text, format!("Auto-renews {renews}"));
    assert_eq!(renewing.issuer, "Self");
    assert_eq!(renewing.detail, "AutoRenew 7 days before expiry");
    assert_eq!(row("backup-auth").facts.status, KeyStatus::Healthy);
    assert_eq!(row("sql-tde").facts.status_text, "Expires in 12 d");
    assert_eq!(row("backup-cmk").facts.status, KeyStatus::Healthy);
    let rotates = (Utc::now() + Duration::days(5)).format("%Y-%m-%d");
    assert_eq!(
        row("cmk-rotating").facts.status_text,
        format!("Auto-rotates {rotates}")
    );
    // The certificates' own keys are not listed twice.
    assert_eq!(view.keys.rows.len(), 3);
    // Rotation policies only for the keys within 30 days of expiry; no key read at all.
    assert_eq!(emulator.request_count(RouteKind::GetKeyRotationPolicy), 2);
    assert_eq!(emulator.request_count(RouteKind::GetKey), 0);
    // Policies were read for the three within 30 days of expiry, not for the healthy one.
    assert_eq!(emulator.request_count(RouteKind::GetCertificatePolicy), 3);
    assert_eq!(emulator.request_count(RouteKind::ListCertificates), 1);
    assert_no_private_material(&emulator);

    let counts = console.client_counts(Utc::now());
    assert_eq!(
        (
            counts.certificates.total,
            counts.certificates.expired,
            counts.certificates.due_soon,
            counts.certificates.auto_renewing
        ),
        (4, 1, 1, 1)
    );
    assert_eq!(
        (
            counts.crypto_keys.total,
            counts.crypto_keys.due_soon,
            counts.crypto_keys.auto_renewing
        ),
        (3, 1, 1)
    );
    // The API keys' counts are the API keys' only: Rotate All Due takes no certificate.
    assert_eq!((counts.keys, counts.due_total, counts.unmanaged), (0, 0, 0));
}

#[tokio::test]
async fn without_certificate_rights_the_keys_list_and_certificates_are_named_not_a_failure() {
    let emulator = emulator().await;
    // Secrets Officer (the console's own role) and Crypto Officer; no certificate role.
    emulator.add_app_role(TENANT, CLIENT, Role::CryptoOfficer);
    seed_states(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    core.set_profile("Dana Reyes", None).await.expect("profile");
    let status = core
        .save_client(client("Contoso Dental", settings(&emulator), SECRET, false))
        .await
        .expect("connects");
    assert_eq!(status.connected, 1, "the client connects");
    let counts = status.clients[0].counts.clone().expect("counts");
    assert!(counts.certificates.refused);
    assert_eq!(counts.crypto_keys.total, 2);

    let view = core
        .objects_view(&PortfolioFilter::default(), Utc::now())
        .await
        .expect("view");
    assert_eq!(view.keys.rows.len(), 2);
    assert!(view.certificates.rows.is_empty());
    let refusal = &view.certificates.refused[0];
    assert_eq!(refusal.client_name, "Contoso Dental");
    assert_eq!(refusal.error.code, ErrorCode::ForbiddenByRbac);
    assert!(
        refusal.error.message.contains("certificates")
            && refusal
                .error
                .message
                .contains("API keys are listed as usual"),
        "{}",
        refusal.error.message
    );
    assert!(refusal.error.hint.contains("Key Vault Reader"));
    assert!(view.keys.refused.is_empty());
    assert_no_private_material(&emulator);
}

#[tokio::test]
async fn sidebar_csv_pdf_reminders_and_status_agree_on_certificates_and_keys() {
    let emulator = emulator().await;
    emulator.add_app_role(TENANT, CLIENT, Role::Reader);
    seed_states(&emulator);
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.save_client(client("Contoso Dental", settings(&emulator), SECRET, false))
        .await
        .expect("connects");
    let now = Utc::now();
    let status = core.status().await;
    let sidebar = status.clients[0].counts.clone().expect("counts");
    let filter = PortfolioFilter::default();
    let view = core.objects_view(&filter, now).await.expect("view");
    assert_eq!(view.certificates.counts, sidebar.certificates);
    assert_eq!(view.keys.counts, sidebar.crypto_keys);
    let vault = core.vault_view(&filter, now).await.expect("vault tab");
    assert_eq!(
        vault.counts, sidebar,
        "the Vault tab's counts are the sidebar's"
    );

    // CSV: one row per certificate and key, with its kind, status and expiry.
    let csv =
        String::from_utf8(core.inventory_csv(&filter, now).await.expect("csv")).expect("utf-8");
    let line = |name: &str| {
        csv.lines()
            .find(|l| l.contains(&format!(",{name},")))
            .unwrap_or_else(|| panic!("{name} in the CSV: {csv}"))
    };
    assert!(line("portal-tls").ends_with(",Certificate"));
    assert!(line("portal-tls").contains("Auto-renews"));
    assert!(line("vpn-gateway").contains(",Expired,"));
    assert!(line("sql-tde").ends_with(",Cryptographic key"));
    assert!(csv.lines().next().is_some_and(|h| h.ends_with(",Kind")));

    // akv-console status --json: the objects, their levels, and the client's level.
    let monitor = core.monitor_report(&status.clients, FailOn::Due, now).await;
    let client = &monitor.clients[0];
    assert_eq!(client.objects.len(), 6);
    assert_eq!(
        client.level,
        MonitorLevel::Critical,
        "an expired certificate"
    );
    let json = serde_json::to_value(&monitor).expect("json");
    assert_eq!(json["schema"], "akv-console.status/4");
    assert_eq!(json["alertingObjects"], 3, "expired, expiring, the key due");
    let renewing = json["clients"][0]["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["name"] == "portal-tls")
        .cloned()
        .expect("listed");
    assert_eq!(renewing["kind"], "certificate");
    assert_eq!(renewing["level"], "ok");
    assert_eq!(
        json["clients"][0]["counts"]["certificates"]["autoRenewing"],
        1
    );

    // Reminders: the expired and the expiring certificate and the key due; not the one Key
    // Vault renews.
    let reminders = core.due_reminders().await;
    let titles: Vec<&str> = reminders.iter().map(|r| r.title.as_str()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("vpn-gateway") && t.contains("EXPIRED")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("rmm-signing")),
        "{titles:?}"
    );
    assert!(titles.iter().any(|t| t.contains("sql-tde")), "{titles:?}");
    assert!(
        !titles.iter().any(|t| t.contains("portal-tls")),
        "{titles:?}"
    );
    assert!(
        !titles.iter().any(|t| t.contains("backup-auth")),
        "{titles:?}"
    );

    // PDF: a "Certificates and keys" section, read back as text.
    let pdf = core.report_pdf(&filter, now).await.expect("pdf");
    let text = support::pdf_text(&pdf);
    assert!(text.contains("Certificates and keys"), "{text}");
    let pdf_line = |name: &str| {
        text.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} in the PDF: {text}"))
            .to_string()
    };
    assert!(pdf_line("portal-tls").contains("Auto-renews"), "{text}");
    assert!(
        pdf_line("vpn-gateway").contains("Expired 3 d ago"),
        "{text}"
    );
    assert!(
        pdf_line("rmm-signing").contains("Unknown (manual)"),
        "{text}"
    );
    assert!(pdf_line("sql-tde").contains("Expires in 12 d"), "{text}");
    assert!(text.contains("4 certificates: 1 expired"), "{text}");
    assert!(matches!(
        view.certificates.rows[0].kind,
        ObjectKind::Certificate
    ));
    assert_no_private_material(&emulator);
}

// ---- Key type and size: read on demand for the rows on screen, once per version ----

fn names(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|n| format!("key-{n:04}")).collect()
}

fn key_row<'a>(
    view: &'a akv_core::service::objects::ObjectsView,
    name: &str,
) -> &'a akv_core::service::objects::ObjectRow {
    view.keys
        .rows
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} listed"))
}

#[tokio::test]
async fn key_types_cost_one_read_per_shown_key_and_version_and_none_on_refresh() {
    let emulator = emulator().await;
    emulator.add_app_role(TENANT, CLIENT, Role::Reader);
    for n in 0..1000 {
        let seed = match n {
            0 => SeedKey::rsa(3072).hsm(),
            1 => SeedKey::ec("P-384"),
            2 => SeedKey::rsa(3072),
            _ => SeedKey::rsa(2048),
        };
        emulator
            .create_key(&format!("key-{n:04}"), seed)
            .expect("created");
    }
    let (console, _) = console(&emulator);
    console.refresh().await.expect("refresh");
    console.refresh().await.expect("second refresh");
    assert_eq!(emulator.request_count(RouteKind::ListKeys), 80);
    assert_eq!(
        emulator.request_count(RouteKind::GetKey),
        0,
        "a listing reads no key"
    );
    let view = console.objects_view(Utc::now());
    assert_eq!(key_row(&view, "key-0000").detail, "—");
    assert!(
        key_row(&view, "key-0000")
            .detail_note
            .as_deref()
            .is_some_and(|n| n.starts_with("Read when the row is shown")),
        "the row says why it has no type yet"
    );

    // The Keys view shows 30 rows: 30 reads, each key once.
    let shown = names(0..30);
    let details = console.key_details(&shown).await.expect("details");
    assert_eq!(emulator.request_count(RouteKind::GetKey), 30);
    assert_eq!(details.len(), 30);
    let detail = |name: &str| {
        details
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.detail.clone())
            .unwrap_or_default()
    };
    assert_eq!(detail("key-0000"), "RSA-HSM 3072 bits");
    assert_eq!(detail("key-0001"), "EC P-384");
    assert_eq!(detail("key-0002"), "RSA 3072 bits");
    assert_eq!(detail("key-0029"), "RSA 2048 bits");
    // Asked again (scrolling back): answered from the session's cache.
    console.key_details(&shown).await.expect("again");
    assert_eq!(emulator.request_count(RouteKind::GetKey), 30);

    // The view (and so the PDF, CSV and CLI) has them, also after a refresh.
    console.refresh().await.expect("refresh");
    let view = console.objects_view(Utc::now());
    assert_eq!(key_row(&view, "key-0001").detail, "EC P-384");
    assert_eq!(key_row(&view, "key-0001").detail_note, None);
    assert_eq!(
        key_row(&view, "key-0030").detail,
        "—",
        "not shown, not read"
    );
    assert_eq!(emulator.request_count(RouteKind::GetKey), 30);
    assert_eq!(emulator.request_count(RouteKind::ListKeys), 120);

    // A new version of one key (created a second later: Key Vault dates to the second) is
    // read again; the 29 others are not.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    emulator
        .create_key("key-0007", SeedKey::ec("P-256"))
        .expect("new version");
    console.refresh().await.expect("refresh");
    let view = console.objects_view(Utc::now());
    assert_eq!(
        key_row(&view, "key-0007").detail,
        "—",
        "the old type is not shown"
    );
    assert_eq!(key_row(&view, "key-0008").detail, "RSA 2048 bits");
    let details = console.key_details(&shown).await.expect("details");
    assert_eq!(emulator.request_count(RouteKind::GetKey), 31);
    assert!(
        details
            .iter()
            .any(|d| d.name == "key-0007" && d.detail == "EC P-256")
    );
    assert_no_private_material(&emulator);
}

#[tokio::test]
async fn a_page_may_name_only_keys_of_the_clients_last_listing_and_the_csv_shows_types() {
    let contoso = emulator().await;
    contoso.add_app_role(TENANT, CLIENT, Role::Reader);
    contoso
        .create_key("cmk-hsm", SeedKey::rsa(3072).hsm())
        .expect("rsa-hsm");
    contoso
        .create_key("signing-ec", SeedKey::ec("P-384"))
        .expect("ec");
    let fabrikam = fabrikam().await;
    fabrikam.add_app_role(FABRIKAM_TENANT, FABRIKAM_CLIENT, Role::Reader);
    fabrikam
        .create_key("fabrikam-only", SeedKey::rsa(2048))
        .expect("other client's key");
    let dir = tempfile::tempdir().expect("tempdir");
    let core = pc(dir.path());
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.save_client(client("Contoso Dental", settings(&contoso), SECRET, false))
        .await
        .expect("contoso");
    core.save_client(client(
        "Fabrikam Legal",
        fabrikam_settings(&fabrikam),
        FABRIKAM_SECRET,
        false,
    ))
    .await
    .expect("fabrikam");
    let contoso_id = id_of(&core, "Contoso Dental").await;
    let (console, _) = core.client_console(&contoso_id).await.expect("console");

    // Hostile asks are refused by name, before any request.
    let ask = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let error = console
        .key_details(&ask(&["fabrikam-only"]))
        .await
        .expect_err("another client's key");
    assert_eq!(error.code, ErrorCode::NotListed);
    assert!(error.message.contains("fabrikam-only"), "{}", error.message);
    let error = console
        .key_details(&ask(&["cmk-hsm", "not-listed"]))
        .await
        .expect_err("a name not in the listing");
    assert_eq!(error.code, ErrorCode::NotListed);
    let many: Vec<String> = (0..500).map(|_| "cmk-hsm".to_string()).collect();
    let error = console.key_details(&many).await.expect_err("500 names");
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert!(error.message.contains("500"), "{}", error.message);
    assert_eq!(contoso.request_count(RouteKind::GetKey), 0);
    assert_eq!(fabrikam.request_count(RouteKind::GetKey), 0);

    console
        .key_details(&ask(&["cmk-hsm", "signing-ec"]))
        .await
        .expect("details");
    assert_eq!(contoso.request_count(RouteKind::GetKey), 2);
    let filter = PortfolioFilter::default();
    let view = core.objects_view(&filter, Utc::now()).await.expect("view");
    assert_eq!(key_row(&view, "cmk-hsm").detail, "RSA-HSM 3072 bits");
    assert_eq!(key_row(&view, "fabrikam-only").detail, "—");
    let csv = String::from_utf8(core.inventory_csv(&filter, Utc::now()).await.expect("csv"))
        .expect("utf-8");
    let line = |name: &str| {
        csv.lines()
            .find(|l| l.contains(&format!(",{name},")))
            .unwrap_or_else(|| panic!("{name} in the CSV: {csv}"))
            .to_string()
    };
    assert!(line("cmk-hsm").contains("Type: RSA-HSM 3072 bits"), "{csv}");
    assert!(line("signing-ec").contains("Type: EC P-384"), "{csv}");
    assert!(
        line("fabrikam-only").contains("Type: —; Read when the row is shown"),
        "{csv}"
    );
    // The PDF: the types read, and why the other one is "—".
    let pdf = core.report_pdf(&filter, Utc::now()).await.expect("pdf");
    let text = support::pdf_text(&pdf);
    let pdf_line = |name: &str| {
        text.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} in the PDF: {text}"))
            .to_string()
    };
    assert!(pdf_line("cmk-hsm").contains("RSA-HSM 3072 bits"), "{text}");
    assert!(pdf_line("signing-ec").contains("EC P-384"), "{text}");
    assert!(text.contains("(1 of 1 vault keys): not read"), "{text}");
}

#[tokio::test]
async fn a_key_that_cannot_be_read_keeps_its_row_with_the_reason() {
    use akv_tests::emulator::{PermissionModel, PolicyEntry};
    let emulator = emulator().await;
    let all = |list: &[&str]| list.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    // An access-policy vault whose entry has List but not Get on keys.
    emulator.set_permission_model(PermissionModel::AccessPolicies(vec![PolicyEntry {
        principal: CLIENT.to_string(),
        secrets: all(&["get", "list", "set", "delete", "recover", "purge"]),
        keys: all(&["list"]),
        certificates: all(&["list", "get"]),
    }]));
    emulator.create_key("cmk", SeedKey::rsa(2048)).expect("key");
    emulator
        .create_key("gone", SeedKey::rsa(2048))
        .expect("key");
    let (console, _) = console(&emulator);
    console.refresh().await.expect("refresh");
    let view = console.objects_view(Utc::now());
    assert_eq!(view.keys.rows.len(), 2, "listing keys is allowed");
    let ask = vec!["cmk".to_string()];
    let details = console.key_details(&ask).await.expect("no failure");
    assert_eq!(details[0].detail, "—");
    let note = details[0].detail_note.clone().unwrap_or_default();
    assert!(
        note.contains("list keys but not get them") && note.contains("Get under Key permissions"),
        "{note}"
    );
    let view = console.objects_view(Utc::now());
    assert_eq!(
        key_row(&view, "cmk").detail_note.as_deref(),
        Some(note.as_str())
    );
    // Not asked again in this listing.
    let reads = emulator.request_count(RouteKind::GetKey);
    console.key_details(&ask).await.expect("again");
    assert_eq!(emulator.request_count(RouteKind::GetKey), reads);

    // Deleted after the listing (with Get now granted): the row says so.
    emulator.set_permission_model(PermissionModel::AccessPolicies(vec![PolicyEntry {
        principal: CLIENT.to_string(),
        secrets: all(&["get", "list", "set", "delete", "recover", "purge"]),
        keys: all(&["list", "get"]),
        certificates: all(&["list", "get"]),
    }]));
    assert!(emulator.delete_key("gone"));
    let details = console
        .key_details(&["gone".to_string()])
        .await
        .expect("no failure");
    assert_eq!(details[0].detail, "—");
    assert!(
        details[0]
            .detail_note
            .as_deref()
            .is_some_and(|n| n.contains("deleted after the listing")),
        "{details:?}"
    );
    assert_eq!(console.objects_view(Utc::now()).keys.rows.len(), 2);
}

#[tokio::test]
async fn key_reads_go_four_at_a_time_and_wait_out_throttling() {
    use akv_tests::emulator::Fault;
    let emulator = emulator().await;
    emulator.add_app_role(TENANT, CLIENT, Role::Reader);
    for n in 0..16 {
        emulator
            .create_key(&format!("key-{n:04}"), SeedKey::rsa(2048))
            .expect("created");
    }
    let (console, _) = console(&emulator);
    console.refresh().await.expect("refresh");
    // Each read takes 400 ms: eight reads, four at a time, take two rounds at least.
    emulator.inject_fault(
        Fault::latency(std::time::Duration::from_millis(400)).on_route(RouteKind::GetKey),
    );
    let started = std::time::Instant::now();
    let details = console.key_details(&names(0..8)).await.expect("details");
    let elapsed = started.elapsed();
    assert!(
        details.iter().all(|d| d.detail == "RSA 2048 bits"),
        "{details:?}"
    );
    assert!(
        elapsed >= std::time::Duration::from_millis(800),
        "more than four reads at once: {elapsed:?}"
    );
    // Key Vault throttles two reads: they are retried after its Retry-After, not failed.
    emulator.inject_fault(Fault::throttle(1).on_route(RouteKind::GetKey).times(2));
    let details = console.key_details(&names(8..16)).await.expect("details");
    assert!(
        details.iter().all(|d| d.detail == "RSA 2048 bits"),
        "{details:?}"
    );
    assert_eq!(emulator.request_count(RouteKind::GetKey), 16 + 2);
}
