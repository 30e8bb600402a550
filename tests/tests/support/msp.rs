//! An MSP's world in the emulator: the console's app multi-tenant in the home tenant and
//! consented in client tenants where the technician (Ada) is a guest, one interactive sign-in
//! at home, and Resource Manager tokens for each tenant from that sign-in. `msp_vaults.rs` adds a
//! vault per client tenant on the same Entra (the tenants bench includes both by path).
#![allow(dead_code)]

use std::sync::Arc;

use akv_core::arm::arm_scope;
use akv_core::domain::connection::Cloud;
use akv_core::signin::{self, SignInCancel, SignInMethod, SignInTarget, SignInUi, UserCredential};
use akv_tests::emulator::{
    CONSOLE_ADMIN, DEFAULT_TENANT, Emulator, EmulatorConfig, PublicClient, TestUser, VAULT_RESOURCE,
};
use akv_tests::tls::TestCa;

pub const CONSOLE_CLIENT: &str = "33333333-3333-4333-8333-333333333333";
pub const ADA: &str = "ada@msp.example";

pub fn client_tenant(index: usize) -> String {
    format!("{index:08x}-0000-4000-8000-{index:012x}")
}

/// Follows the sign-in page like a browser whose user is already signed in.
struct FollowingBrowser {
    client: reqwest::Client,
}

impl SignInUi for FollowingBrowser {
    fn open_browser(&self, url: &str) -> Result<(), String> {
        let client = self.client.clone();
        let url = url.to_string();
        tokio::spawn(async move {
            let _ = client.get(url).send().await;
        });
        Ok(())
    }

    fn show_device_code(&self, _prompt: &signin::DeviceCodePrompt) {}
}

/// The emulator with the console's app (`client` changes its registration) and `tenants`
/// client tenants where Ada is a guest and the app is consented.
pub async fn msp_emulator_with(client: PublicClient, tenants: usize) -> Emulator {
    msp_emulator_ca(client, tenants, None).await
}

/// [`msp_emulator_with`] under `ca` (shared with the tests' vault emulators).
pub async fn msp_emulator_ca(
    client: PublicClient,
    tenants: usize,
    ca: Option<Arc<TestCa>>,
) -> Emulator {
    let emulator = home_entra(client, ca, EmulatorConfig::default().token_lifetime_secs).await;
    for index in 0..tenants {
        let tenant = client_tenant(index);
        emulator
            .consent_in_tenant(&tenant, CONSOLE_CLIENT)
            .expect("consent");
        emulator.add_guest(&tenant, ADA).expect("guest");
    }
    emulator
}

/// The Entra of every tenant: the console's app (`client`) multi-tenant in the home tenant,
/// where Ada is the console's Admin; no client tenant yet.
pub async fn home_entra(
    client: PublicClient,
    ca: Option<Arc<TestCa>>,
    token_lifetime_secs: u64,
) -> Emulator {
    let emulator = Emulator::start(EmulatorConfig {
        ca,
        token_lifetime_secs,
        public_clients: vec![client],
        users: vec![
            TestUser::new(DEFAULT_TENANT, ADA, "Ada Admin")
                .with_app_role(CONSOLE_CLIENT, CONSOLE_ADMIN),
        ],
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    emulator
        .make_multi_tenant(DEFAULT_TENANT, CONSOLE_CLIENT)
        .expect("multi-tenant app");
    emulator
}

pub async fn msp_emulator(tenants: usize) -> Emulator {
    msp_emulator_with(PublicClient::new(DEFAULT_TENANT, CONSOLE_CLIENT), tenants).await
}

pub fn http(emulator: &Emulator) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()).expect("ca");
    reqwest::Client::builder()
        .tls_certs_merge([ca])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http")
}

pub fn target(emulator: &Emulator) -> SignInTarget {
    SignInTarget {
        authority_host: emulator.authority_host(),
        tenant_id: DEFAULT_TENANT.to_string(),
        client_id: CONSOLE_CLIENT.to_string(),
        vault_scope: format!("{VAULT_RESOURCE}/.default"),
        http: http(emulator),
        login_hint: None,
    }
}

/// One interactive (browser) sign-in at home.
pub async fn sign_in_at_home(emulator: &Emulator) -> Arc<UserCredential> {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().as_bytes()).expect("ca");
    // A browser follows the redirect back to the console's loopback listener.
    let browser = FollowingBrowser {
        client: reqwest::Client::builder()
            .tls_certs_merge([ca])
            .build()
            .expect("browser"),
    };
    emulator.set_interactive_user(Some(ADA));
    signin::sign_in(
        &target(emulator),
        SignInMethod::Browser,
        &browser,
        &SignInCancel::default(),
    )
    .await
    .expect("one interactive sign-in at home")
}

/// An ARM token for `tenant` from the home sign-in (the custom cloud asks ARM's public scope).
pub async fn arm_token(home: &Arc<UserCredential>, tenant: &str) -> String {
    let scope = arm_scope(Cloud::Custom);
    let (token, _) = home
        .for_tenant(tenant)
        .access_token(&[scope.as_str()])
        .await
        .expect("an ARM token");
    token.expose().to_string()
}
