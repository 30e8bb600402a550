//! Connectors rotate a key at the vendor: create the new credential there, test it, store it as
//! a new Key Vault version, and only then revoke the old one. The console drives the steps
//! (`service::connector`); a connector only speaks the vendor's API.
//!
//! Implemented: Cisco Meraki API keys, SentinelOne API tokens, and Entra app secrets of other app
//! registrations through Microsoft Graph (the console's own connection secret is not rotated
//! from here yet: that needs the session to reconnect with the new secret).

pub mod graph;
pub mod meraki;
pub mod sentinelone;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use crate::domain::catalog::Vendor;
use crate::domain::key_value::KeyParts;
use crate::ping::PingTarget;

/// The steps of a rotation at the vendor, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ConnectorStep {
    Create,
    Test,
    Store,
    Revoke,
}

impl ConnectorStep {
    pub fn label(self) -> &'static str {
        match self {
            ConnectorStep::Create => "create the new key at the vendor",
            ConnectorStep::Test => "test the new key",
            ConnectorStep::Store => "store the new key in the vault",
            ConnectorStep::Revoke => "revoke the old key at the vendor",
        }
    }
}

/// A new credential made at the vendor.
pub struct Minted {
    pub parts: KeyParts,
    /// What identifies the old credential for [`Connector::revoke`] (Meraki's key suffix,
    /// Graph's keyId); `None` when the vendor already replaced it on create.
    pub old_handle: Option<String>,
    /// What identifies the new one, to remove it again if a later step fails.
    pub new_handle: Option<String>,
    pub expires: Option<DateTime<Utc>>,
}

/// A vendor's refusal or an unreadable answer, in words for the technician.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorError {
    pub message: String,
    pub hint: String,
}

impl ConnectorError {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        ConnectorError {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// From an HTTP answer the connector did not expect.
    pub fn status(what: &str, status: u16) -> Self {
        let hint = match status {
            401 => "The current key was rejected: it may already be revoked. Rotate by hand.",
            403 => "The current key may not manage keys at the vendor (check its role or scope).",
            429 => "The vendor is throttling; try again in a minute.",
            300..=399 => "The vendor redirected the request: check the key's region.",
            _ => "Try again later, or rotate by hand in the vendor's portal.",
        };
        ConnectorError::new(format!("{what}: the vendor answered HTTP {status}."), hint)
    }

    pub fn network(what: &str, error: &reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            "timed out"
        } else {
            "could not reach the vendor"
        };
        ConnectorError::new(
            format!("{what}: {kind}."),
            "Check your connection and the key's endpoint, then try again.",
        )
    }
}

#[async_trait]
pub trait Connector: Send + Sync {
    fn id(&self) -> &'static str;

    /// True when creating a new credential invalidates the current one at once (SentinelOne):
    /// the console then keeps the new value until it is stored, and has nothing to revoke.
    fn replaces_on_create(&self) -> bool {
        false
    }

    /// Make a new credential, authenticating with the current one.
    async fn create(
        &self,
        http: &reqwest::Client,
        target: &PingTarget<'_>,
        current: &KeyParts,
    ) -> Result<Minted, ConnectorError>;

    /// Revoke the credential `handle` names, authenticating with `acting` (the new credential,
    /// or the old one when cleaning up a new credential that failed a later step).
    async fn revoke(
        &self,
        http: &reqwest::Client,
        target: &PingTarget<'_>,
        acting: &KeyParts,
        handle: &str,
    ) -> Result<(), ConnectorError>;
}

static MERAKI: meraki::MerakiApiKeys = meraki::MerakiApiKeys;
static SENTINELONE: sentinelone::SentinelOneApiToken = sentinelone::SentinelOneApiToken;
static ENTRA: graph::EntraAppSecret = graph::EntraAppSecret;

/// The connector the console offers for a vendor's keys.
pub fn connector_for(vendor: &Vendor) -> Option<&'static dyn Connector> {
    match vendor.connector.as_deref()? {
        "meraki-api-key" => Some(&MERAKI),
        "sentinelone-api-token" => Some(&SENTINELONE),
        "entra-app-secret" => Some(&ENTRA),
        _ => None,
    }
}

/// Read a JSON answer (bounded, zeroed after parsing by the caller's value types).
pub(crate) async fn json_body(
    response: reqwest::Response,
    what: &str,
) -> Result<serde_json::Value, ConnectorError> {
    let text = zeroize::Zeroizing::new(
        response
            .text()
            .await
            .map_err(|e| ConnectorError::network(what, &e))?,
    );
    serde_json::from_str(&text).map_err(|_| {
        ConnectorError::new(
            format!("{what}: the vendor's answer was not JSON."),
            "Try again later.",
        )
    })
}

/// Zero the strings of a parsed answer that carried a credential.
pub(crate) fn wipe(value: &mut serde_json::Value) {
    use zeroize::Zeroize;
    match value {
        serde_json::Value::String(text) => text.zeroize(),
        serde_json::Value::Array(items) => items.iter_mut().for_each(wipe),
        serde_json::Value::Object(map) => map.iter_mut().for_each(|(_, v)| wipe(v)),
        _ => {}
    }
}
