//! An MSP with client tenants and a vault each (issue 20): one Entra emulator plays every tenant,
//! and each client tenant has its own vault (an emulator each) where the technician's guest object is Key Vault
//! Secrets Officer. Shared by the tenant tests, their fault tests and the tenants bench; the
//! Entra side is `msp.rs`'s.
#![allow(dead_code)]

use std::sync::Arc;

use akv_core::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use akv_core::error::AppResult;
use akv_core::session::{AppCore, AppPaths, AppStatus, ConnectRequest};
use akv_core::signin::SignInMethod;
use akv_core::store::azure::AzureOptions;
use akv_tests::emulator::{DEFAULT_TENANT, Emulator, EmulatorConfig, PublicClient, Role};
use akv_tests::tls::TestCa;

pub use super::msp::{ADA, CONSOLE_CLIENT, client_tenant};

pub struct Msp {
    pub entra: Emulator,
    pub vaults: Vec<Emulator>,
    pub guests: Vec<String>,
    pub ca: Arc<TestCa>,
}

/// `count` client tenants, each consented, Ada a guest there and Officer on its vault.
pub async fn msp_with_vaults(count: usize) -> Msp {
    msp_with_token_lifetime(count, EmulatorConfig::default().token_lifetime_secs).await
}

/// [`msp_with_vaults`] with Entra's tokens living `token_lifetime_secs` (shorter than the
/// console's 5-minute renewal margin: renewed on every use).
pub async fn msp_with_token_lifetime(count: usize, token_lifetime_secs: u64) -> Msp {
    let ca = Arc::new(TestCa::generate("MSP tenants CA").expect("ca"));
    let entra = super::msp::home_entra(
        PublicClient::new(DEFAULT_TENANT, CONSOLE_CLIENT),
        Some(ca.clone()),
        token_lifetime_secs,
    )
    .await;
    let mut msp = Msp {
        entra,
        vaults: Vec::new(),
        guests: Vec::new(),
        ca,
    };
    for _ in 0..count {
        msp.add_client_tenant(None).await;
    }
    msp
}

impl Msp {
    /// One more client tenant (the next index): consented, Ada a guest there, Officer on its own
    /// vault. With `propagating`, the guest's access replicates for that long (AADSTS50020).
    pub async fn add_client_tenant(&mut self, propagating: Option<std::time::Duration>) {
        let tenant = client_tenant(self.vaults.len());
        self.entra
            .consent_in_tenant(&tenant, CONSOLE_CLIENT)
            .expect("consent");
        let guest = match propagating {
            Some(delay) => self.entra.add_guest_propagating(&tenant, ADA, delay),
            None => self.entra.add_guest(&tenant, ADA),
        }
        .expect("guest");
        let vault = Emulator::start(EmulatorConfig {
            ca: Some(self.ca.clone()),
            vault_tenant: tenant.clone(),
            ..EmulatorConfig::default()
        })
        .await
        .expect("vault starts");
        vault.trust_process_entra();
        vault.grant_vault_role_to_object(&guest, Role::SecretsOfficer);
        self.vaults.push(vault);
        self.guests.push(guest);
    }
}

pub fn client_settings(msp: &Msp, index: usize) -> ConnectionSettings {
    ConnectionSettings {
        tenant_id: client_tenant(index),
        client_id: CONSOLE_CLIENT.into(),
        vault_name: format!("client-{index:02}-vault"),
        cloud: Cloud::Custom,
        authority_host: Some(msp.entra.authority_host()),
        vault_url: Some(msp.vaults[index].vault_url()),
        ca_pem: Some(msp.entra.ca_pem()),
        auth: AuthMode::SignIn,
        home_tenant_id: Some(DEFAULT_TENANT.into()),
    }
}

/// Connect client `index` of `msp` on `core` with the technician's sign-in (the browser flow; the
/// first call signs in at home, the others redeem that sign-in).
pub async fn connect(core: &AppCore, msp: &Msp, index: usize) -> AppResult<AppStatus> {
    core.connect(ConnectRequest {
        settings: client_settings(msp, index),
        client_secret: None,
        method: Some(SignInMethod::Browser),
        remember: false,
    })
    .await
}

/// A console whose "system browser" follows Entra's redirect, as a signed-in browser would.
pub fn console_pc(entra: &Emulator, dir: &std::path::Path, options: AzureOptions) -> Arc<AppCore> {
    let ca = reqwest::Certificate::from_pem(entra.ca_pem().as_bytes()).expect("ca");
    let browser = reqwest::Client::builder()
        .tls_certs_merge([ca])
        .build()
        .expect("browser");
    let runtime = tokio::runtime::Handle::current();
    Arc::new(
        AppCore::new(
            AppPaths {
                config_dir: dir.join("config"),
                data_dir: dir.join("data"),
            },
            false,
            Arc::new(|_| {}),
        )
        .with_options(options, None)
        .with_front_end(
            Arc::new(move |url: &str| {
                let browser = browser.clone();
                let url = url.to_string();
                runtime.spawn(async move {
                    let _ = browser.get(url).send().await;
                });
                Ok(())
            }),
            Arc::new(|| {}),
        ),
    )
}
