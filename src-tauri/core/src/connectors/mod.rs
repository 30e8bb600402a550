//! Connectors rotate a key at the vendor: create the new credential there, test it, store it as
//! a new Key Vault version, and only then revoke the old one. The console drives the steps
//! (`service::connector`); a connector only speaks the vendor's API.
//!
//! Implemented: Cisco Meraki API keys, SentinelOne API tokens, and Entra app secrets of other app
//! registrations through Microsoft Graph (the console's own connection secret is not rotated
//! from here yet: that needs the session to reconnect with the new secret).

pub mod graph;
pub mod meraki;
pub mod propagation;
pub mod sentinelone;

pub use propagation::{ProgressSink, PropagationSchedule, RotationProgress, with_progress};

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
    /// The request reached the vendor and may have done its work before the failure (a 5xx, a
    /// lost answer, an answer without the new key): a vendor that replaces the key on create
    /// may already have replaced it.
    pub maybe_applied: bool,
}

impl ConnectorError {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        ConnectorError {
            message: message.into(),
            hint: hint.into(),
            maybe_applied: false,
        }
    }

    /// The vendor answered 2xx but the answer was unusable: whatever it did is done.
    pub fn after_success(message: impl Into<String>, hint: impl Into<String>) -> Self {
        ConnectorError {
            maybe_applied: true,
            ..ConnectorError::new(message, hint)
        }
    }

    /// The answer went past [`crate::ping::client::MAX_VENDOR_BODY`].
    pub fn too_large(what: &str) -> Self {
        ConnectorError::after_success(
            format!(
                "{what}: the vendor's answer was larger than {} KiB, so the console stopped reading it.",
                crate::ping::client::MAX_VENDOR_BODY / 1024
            ),
            "Check the key's endpoint (it may point at something other than the vendor's API), then try again.",
        )
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
        ConnectorError {
            // A server error may come after the work was done; a 4xx refused it.
            maybe_applied: status >= 500,
            ..ConnectorError::new(format!("{what}: the vendor answered HTTP {status}."), hint)
        }
    }

    pub fn network(what: &str, error: &reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            "timed out"
        } else {
            "could not reach the vendor"
        };
        ConnectorError {
            // Only a failed connect proves the vendor never saw the request.
            maybe_applied: !error.is_connect(),
            ..ConnectorError::new(
                format!("{what}: {kind}."),
                "Check your connection and the key's endpoint, then try again.",
            )
        }
    }
}

#[async_trait]
pub trait Connector: Send + Sync {
    fn id(&self) -> &'static str;

    /// True when creating a new credential invalidates the current one at once (SentinelOne):
    /// the console then stores the new value before testing it (it is the only one that can
    /// work from then on), and has nothing to revoke.
    fn replaces_on_create(&self) -> bool {
        false
    }

    /// How long a new credential may take to work at the vendor (see [`propagation`]).
    fn propagation_limit(&self) -> std::time::Duration;

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

/// Read a JSON answer of at most [`crate::ping::client::MAX_VENDOR_BODY`] bytes (the raw bytes
/// are zeroed; the caller wipes the parsed value with [`wipe`] when it carried a credential).
pub(crate) async fn json_body(
    response: reqwest::Response,
    what: &str,
) -> Result<serde_json::Value, ConnectorError> {
    use crate::ping::client::{BodyError, MAX_VENDOR_BODY, read_capped};
    let bytes = read_capped(response, MAX_VENDOR_BODY)
        .await
        .map_err(|error| match error {
            BodyError::TooLarge => ConnectorError::too_large(what),
            BodyError::Network(e) => ConnectorError {
                maybe_applied: true,
                ..ConnectorError::network(what, &e)
            },
        })?;
    serde_json::from_slice(&bytes).map_err(|_| {
        ConnectorError::after_success(
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
