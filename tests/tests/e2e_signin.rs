//! End-to-end "Sign in with Microsoft" (device code) against the emulator's Entra: the window
//! shows the code, the technician enters it elsewhere, and the console connects as them. The top
//! bar names the signed-in user with the role Entra assigned; the profile offers no role to pick;
//! an L1 technician is refused the Security key an Admin copies, with a named error.

use std::time::Duration;

use akv_tests::e2e::{App, Launch, Profile, Result, SignInForm, marker};
use akv_tests::emulator::{
    CONSOLE_ADMIN, CONSOLE_L1, DEFAULT_TENANT, Emulator, EmulatorConfig, PublicClient, Role,
    TestUser,
};

const CONSOLE_CLIENT: &str = "44444444-4444-4444-8444-444444444444";
const ADA: &str = "ada@contoso.example";
const LEE: &str = "lee@contoso.example";
const VAULT: &str = "msp-e2e-signin";

async fn emulator() -> Result<Emulator> {
    let emulator = Emulator::start(EmulatorConfig {
        public_clients: vec![PublicClient::new(DEFAULT_TENANT, CONSOLE_CLIENT)],
        users: vec![
            TestUser::new(DEFAULT_TENANT, ADA, "Ada Admin")
                .with_vault_role(Role::SecretsOfficer)
                .with_app_role(CONSOLE_CLIENT, CONSOLE_ADMIN),
            TestUser::new(DEFAULT_TENANT, LEE, "Lee Level-One")
                .with_vault_role(Role::SecretsOfficer)
                .with_app_role(CONSOLE_CLIENT, CONSOLE_L1),
        ],
        ..EmulatorConfig::default()
    })
    .await?;
    emulator.set_device_code_interval(1);
    Ok(emulator)
}

fn form(upn: &str) -> SignInForm<'_> {
    SignInForm {
        tenant: DEFAULT_TENANT,
        client: CONSOLE_CLIENT,
        vault: VAULT,
        upn,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn technicians_sign_in_with_a_device_code_and_get_the_role_entra_assigned() -> Result<()> {
    let _serial = akv_tests::e2e::exclusive().await;
    let emulator = emulator().await?;

    // Ada (Console.Admin) signs in, saves the manual's default grants and adds two keys.
    let ada_pc = Profile::new("signin-ada")?;
    let app = App::launch("signin-ada", &ada_pc, Launch::default()).await?;
    app.sign_in_with_device_code(&emulator, &form(ADA)).await?;
    app.badge_is("VAULT: MSP-E2E-SIGNIN").await?;
    let chip = app.text("[data-testid=operator-chip]").await?;
    assert!(
        chip.contains("Ada Admin") && chip.contains("Admin"),
        "{chip}"
    );
    assert_eq!(app.count("[data-testid=operator-unverified]").await?, 0);
    app.screenshot("signin-admin.png").await?;

    app.click("[data-testid=tab-distribute]").await?;
    app.click("[data-testid=save-default-policy]").await?;
    app.eventually(
        "the policy to be saved",
        Duration::from_secs(15),
        || async { Ok(app.count("[data-testid=policy-missing]").await? == 0) },
    )
    .await?;
    app.click("[data-testid=tab-vault]").await?;
    let s1 = marker("s1");
    app.add_key("sentinelone", &s1).await?;
    app.add_key("atera", &marker("atera")).await?;
    // The Admin copies the Security key.
    app.click("[data-testid=vault-row][data-vendor=sentinelone] [data-testid=copy-key]")
        .await?;
    app.find("[data-testid=copy-countdown]").await?;
    assert!(!app.webview_contents().await?.contains(&s1));
    app.quit().await;

    // Lee (Console.L1) on another PC: the role comes from the token, not from a dropdown.
    let lee_pc = Profile::new("signin-lee")?;
    let app = App::launch("signin-lee", &lee_pc, Launch::default()).await?;
    app.sign_in_with_device_code(&emulator, &form(LEE)).await?;
    app.badge_is("VAULT: MSP-E2E-SIGNIN").await?;
    assert_eq!(app.text("[data-testid=operator-role]").await?, "L1");
    app.click("[data-testid=operator-chip]").await?;
    app.find("[data-testid=profile-signed-in]").await?;
    assert_eq!(
        app.text("[data-testid=profile-signed-in-name]").await?,
        "Lee Level-One"
    );
    assert_eq!(
        app.count("[data-testid=profile-role]").await?,
        0,
        "no role to pick when signed in"
    );
    app.screenshot("signin-profile.png").await?;
    app.click("[data-testid=profile-modal] button[aria-label=Close]")
        .await?;
    app.eventually("the profile to close", Duration::from_secs(5), || async {
        Ok(app.count("[data-testid=profile-modal]").await? == 0)
    })
    .await?;

    // L1 may not copy the Security key: shown before the click, naming the Entra app roles.
    let copy = "[data-testid=vault-row][data-vendor=sentinelone] [data-testid=copy-key]";
    app.eventually("the refused copy's reason", Duration::from_secs(10), || async {
        let button = app.find(copy).await?;
        let title = button.attr("title").await?.unwrap_or_default();
        Ok(!button.is_enabled().await?
            && title
                == "Copying the SentinelOne key needs Console.Admin or a role granted SentinelOne on the Distribute tab; you are Console.L1.")
    })
    .await?;
    app.click(copy).await?;
    assert_eq!(app.count("[data-testid=copy-countdown]").await?, 0);
    // The RMM key the default grants give L1 is copied.
    app.click("[data-testid=vault-row][data-vendor=atera] [data-testid=copy-key]")
        .await?;
    app.find("[data-testid=copy-countdown]").await?;
    app.screenshot("signin-l1-refused.png").await?;

    // The audit log names the verified user: UPN, not a typed name.
    app.click("[data-testid=tab-audit]").await?;
    app.find("[data-testid=audit-table]").await?;
    let rows = app.text("[data-testid=audit-table]").await?;
    assert!(rows.contains("Lee Level-One"), "{rows}");
    app.quit().await;
    Ok(())
}
