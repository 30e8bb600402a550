//! Remembered clients at start: every one connects in parallel, and one whose vault is gone
//! shows as failed on that client while the others work. Its own test binary: it runs a
//! private D-Bus session with GNOME Keyring for the keychain, set in this process's environment.

mod support;

use akv_core::error::ErrorCode;
use akv_core::session::{ClientState, PortfolioFilter};
use akv_tests::e2e::Profile;
use chrono::Utc;
use support::clients::*;
use support::*;

#[tokio::test]
async fn one_failing_client_never_blocks_the_others_at_start() {
    let keychain = Profile::new("clients-restart").expect("a private keychain");
    for (name, value) in keychain.env() {
        if name == "DBUS_SESSION_BUS_ADDRESS" {
            // SAFETY: the only test of this binary, set before any thread reads the variable.
            unsafe { std::env::set_var(name, value) };
        }
    }
    let contoso = emulator().await;
    let mut fabrikam = fabrikam().await;
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let core = pc(dir.path());
        core.set_profile("Dana Reyes", None).await.expect("profile");
        core.save_client(client("Contoso Dental", settings(&contoso), SECRET, true))
            .await
            .expect("contoso");
        core.save_client(client(
            "Fabrikam Logistics",
            fabrikam_settings(&fabrikam),
            FABRIKAM_SECRET,
            true,
        ))
        .await
        .expect("fabrikam");
        // A wrong secret for a third client is refused and the client is not added.
        let mut other = settings(&contoso);
        other.vault_name = "northwind-vault".into();
        let error = core
            .save_client(client("Northwind Legal", other, "not the secret", false))
            .await
            .expect_err("wrong secret");
        assert_eq!(error.code, ErrorCode::InvalidClientSecret);
        let status = core.status().await;
        assert_eq!(status.connected, 2);
        assert_eq!(status.clients.len(), 2);
        core.disconnect().await;
    }

    // Fabrikam's vault is gone (its server stopped) when the console starts again.
    fabrikam.shutdown();
    let core = pc(dir.path());
    let results = core.connect_all().await;
    assert_eq!(results.len(), 2, "both remembered clients were tried");
    let status = core.status().await;
    let state = |name: &str| {
        status
            .clients
            .iter()
            .find(|c| c.name == name)
            .map(|c| (c.state, c.error.clone()))
            .expect("client")
    };
    assert_eq!(
        state("Contoso Dental").0,
        ClientState::Connected,
        "{:?}",
        state("Contoso Dental").1
    );
    let (fabrikam_state, fabrikam_error) = state("Fabrikam Logistics");
    assert_eq!(fabrikam_state, ClientState::Failed);
    assert!(fabrikam_error.is_some());
    assert_eq!(status.connected, 1);
    // The connected client works as if alone.
    let view = core
        .vault_view(&PortfolioFilter::default(), Utc::now())
        .await
        .expect("view");
    assert!(view.rows.iter().all(|r| r.client_name == "Contoso Dental"));
}
