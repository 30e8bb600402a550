//! End-to-end, demo mode: the vault's own certificates and keys in the Vault tab, read-only,
//! with the statuses Rust gives them.

use std::time::Duration;

use akv_tests::e2e::{App, Launch, Profile, Result};

/// The Vault tab shows the vault's own certificates and keys read-only: a certificate Key Vault
/// renews is "Auto-renews <date>", not due; the expiring and the expired ones say so; nothing
/// offers to copy or export private material.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vault_tab_shows_certificates_key_vault_renews_as_auto_renewing() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let profile = Profile::new("demo-certs")?;
    let app = App::launch("demo-certs", &profile, Launch::demo()).await?;
    app.find("[data-testid=overview-row]").await?;
    app.open_client("Contoso Dental").await?;
    app.find("[data-testid=vault-row]").await?;
    let chip = app.text("[data-testid=open-certificates]").await?;
    assert!(chip.starts_with("4 certificates"), "{chip}");
    assert!(chip.contains("2 need attention"), "{chip}");
    app.click("[data-testid=open-certificates]").await?;
    app.find("[data-testid=objects-table]").await?;
    let rows = app
        .eval(
            "return [...document.querySelectorAll('[data-testid=object-row]')].map(r => [r.dataset.name, r.dataset.status, r.querySelector('[data-status]').textContent.trim()]);",
        )
        .await?;
    let rows: Vec<(String, String, String)> = serde_json::from_value(rows)?;
    let row = |name: &str| {
        rows.iter()
            .find(|r| r.0 == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} listed: {rows:?}"))
    };
    let renewing = row("portal-tls");
    assert_eq!(renewing.1, "healthy", "{renewing:?}");
    let renews = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d");
    assert_eq!(renewing.2, format!("Auto-renews {renews}"));
    assert_eq!(row("rmm-agent-signing").1, "due-soon");
    assert!(row("rmm-agent-signing").2.starts_with("Expires in "));
    assert_eq!(row("vpn-gateway").1, "expired");
    // Worst first, as everywhere.
    assert_eq!(rows[0].1, "expired", "{rows:?}");
    // Read-only: nothing here asks for a private key.
    let buttons = app
        .eval("return [...document.querySelectorAll('[data-testid=vault-objects] button')].map(b => b.textContent.trim().toLowerCase());")
        .await?;
    let buttons: Vec<String> = serde_json::from_value(buttons)?;
    assert!(
        buttons
            .iter()
            .all(|b| !["copy", "export", "download", "rotate", "reveal"]
                .iter()
                .any(|w| b.contains(w))),
        "{buttons:?}"
    );
    // The sidebar says it too: Contoso's expired and expiring certificates and its key due.
    let badge = app
        .text(
            "[data-testid=client-item][data-client='Contoso Dental'] [data-testid=client-objects]",
        )
        .await?;
    assert!(badge.starts_with("3 "), "{badge}");
    app.screenshot("vault-certificates.png").await?;
    app.click("[data-testid=objects-keys]").await?;
    app.eventually("the keys to be listed", Duration::from_secs(10), || async {
        Ok(app
            .count("[data-testid=object-row][data-name=sql-tde-protector]")
            .await?
            == 1)
    })
    .await?;
    let key = app
        .text("[data-testid=object-row][data-name=sql-tde-protector]")
        .await?;
    assert!(
        key.contains("Expires in 12 d") && key.contains("RSA 2048 bits"),
        "{key}"
    );
    app.screenshot("vault-keys.png").await?;

    // The tenant's app registration credentials: the secret expiring in 9 days and the expired
    // certificate credential, read-only, and a sidebar badge of their own.
    app.click("[data-testid=objects-app-credentials]").await?;
    app.eventually(
        "the app credentials to be listed",
        Duration::from_secs(10),
        || async {
            Ok(app
                .count("[data-testid=object-row][data-name='Backup reporting']")
                .await?
                == 1)
        },
    )
    .await?;
    let secret = app
        .text("[data-testid=object-row][data-name='Backup reporting']")
        .await?;
    assert!(
        secret.contains("Expires in") && secret.contains("Client secret"),
        "{secret}"
    );
    // The secret is the one the vault's Microsoft Graph key holds: the row names that key.
    assert!(
        secret.contains("rotated by the console") && secret.contains("microsoft-graph"),
        "{secret}"
    );
    let certificate = app
        .text("[data-testid=object-row][data-name='Intune connector']")
        .await?;
    assert!(
        certificate.contains("Expired") && certificate.contains("Certificate"),
        "{certificate}"
    );
    let badge = app
        .text(
            "[data-testid=client-item][data-client='Contoso Dental'] [data-testid=client-app-credentials]",
        )
        .await?;
    assert!(badge.starts_with("2 "), "{badge}");
    // A certificate credential's thumbprint has a one-line monospace cell of its own, cut with
    // an ellipsis, the whole value in its tooltip: the row stays one or two lines (it wrapped
    // over five in the credential's cell).
    let cell = app
        .eval(
            "const r = document.querySelector(\"[data-testid=object-row][data-name='Intune connector']\"); \
             const t = r.querySelector('[data-testid=object-thumbprint]'); \
             const s = getComputedStyle(t); \
             return [r.getBoundingClientRect().height, t.getBoundingClientRect().height, parseFloat(s.fontSize), \
                     t.title, t.scrollWidth > t.clientWidth, s.fontFamily, s.textOverflow];",
        )
        .await?;
    let (row_height, cell_height, font, title, cut, family, overflow): (
        f64,
        f64,
        f64,
        String,
        bool,
        String,
        String,
    ) = serde_json::from_value(cell)?;
    assert_eq!(title, "3F2A9C0D1E4B5A6978C0D1E2F3A4B5C6D7E8F901");
    assert!(cut && overflow == "ellipsis", "{cut} {overflow}");
    assert!(family.contains("mono"), "{family}");
    assert!(
        cell_height < font * 2.0,
        "one line: {cell_height}px at {font}px"
    );
    assert!(
        row_height < font * 5.0,
        "the row is {row_height}px high at {font}px"
    );
    assert!(!certificate.contains("(thumbprint"), "{certificate}");
    app.screenshot("vault-app-credentials.png").await?;
    app.quit().await;
    Ok(())
}
