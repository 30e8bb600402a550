//! Two clients for the Clients tests: Contoso on the default emulator and Fabrikam on an
//! emulator of its own tenant.
#![allow(dead_code)]

use std::sync::Arc;

use akv_core::domain::connection::ConnectionSettings;
use akv_core::domain::secret::SecretValue;
use akv_core::service::vault::AddKeyRequest;
use akv_core::session::{AppCore, AppPaths, ClientRequest};
use akv_tests::emulator::{AppRegistration, Emulator, EmulatorConfig, Role};

use super::{fast_options, settings};

pub const FABRIKAM_TENANT: &str = "f0f0f0f0-1111-4222-8333-444444444444";
pub const FABRIKAM_CLIENT: &str = "abababab-1111-4222-8333-444444444444";
pub const FABRIKAM_SECRET: &str = "fabrikam-client-secret~value.7";

/// A second client's tenant and vault: its own emulator, its own app registration.
pub async fn fabrikam() -> Emulator {
    let emulator = Emulator::start(EmulatorConfig {
        vault_tenant: FABRIKAM_TENANT.into(),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    emulator.register_app(AppRegistration::new(
        FABRIKAM_TENANT,
        FABRIKAM_CLIENT,
        FABRIKAM_SECRET,
        Some(Role::SecretsOfficer),
    ));
    emulator
}

pub fn fabrikam_settings(emulator: &Emulator) -> ConnectionSettings {
    ConnectionSettings {
        tenant_id: FABRIKAM_TENANT.into(),
        client_id: FABRIKAM_CLIENT.into(),
        vault_name: "fabrikam-vault".into(),
        ..settings(emulator)
    }
}

pub fn pc(dir: &std::path::Path) -> AppCore {
    AppCore::new(
        AppPaths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        },
        false,
        Arc::new(|_| {}),
    )
    .with_options(fast_options(), None)
}

pub fn client(
    name: &str,
    settings: ConnectionSettings,
    secret: &str,
    remember: bool,
) -> ClientRequest {
    ClientRequest {
        id: None,
        name: name.into(),
        settings,
        client_secret: Some(SecretValue::new(secret)),
        method: None,
        remember,
    }
}

pub fn add(vendor: &str, value: &str) -> AddKeyRequest {
    AddKeyRequest {
        generate: None,
        short_reason: None,
        vendor_id: vendor.into(),
        label: None,
        value: Some(SecretValue::new(value)),
        parts: Vec::new(),
        fields: Default::default(),
        expiry: None,
        interval_days: None,
        owner: "Dana Reyes".into(),
        note: String::new(),
    }
}

pub async fn id_of(core: &AppCore, name: &str) -> String {
    core.status()
        .await
        .clients
        .into_iter()
        .find(|c| c.name == name)
        .map(|c| c.id)
        .unwrap_or_else(|| panic!("no client named {name}"))
}
