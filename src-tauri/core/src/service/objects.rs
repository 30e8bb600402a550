//! The Vault tab's certificates, keys and app credentials: rows and per-kind refusals, from the snapshot (no
//! request of its own). Read-only: nothing here needs, or offers, private material.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::Console;
use crate::domain::app_credentials::AppCredentialInfo;
use crate::domain::vault_objects::{
    CertificateInfo, CryptoKeyInfo, ObjectCounts, ObjectFacts, ObjectKind, ObjectListing,
};
use crate::error::AppError;

/// One certificate or key as the Vault tab, the CSV, the PDF and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectRow {
    pub client_id: String,
    pub client_name: String,
    pub kind: ObjectKind,
    pub name: String,
    pub enabled: bool,
    pub facts: ObjectFacts,
    /// Certificates: "Self", "DigiCert", "Unknown (manual)", or "—" when the policy was not
    /// read (far from expiry). Keys: "—".
    pub issuer: String,
    /// Certificates: the lifetime actions ("AutoRenew 30 days before expiry"); keys: the type
    /// and size ("RSA-HSM 3072 bits") where known.
    pub detail: String,
    /// Keys whose `detail` is "—": why (not read yet, or the read was refused, with the reason).
    pub detail_note: Option<String>,
    pub subject: Option<String>,
    pub not_before: Option<String>,
    /// SHA-1 thumbprint (hex), certificates only; an app's certificate credential's
    /// `customKeyIdentifier`.
    pub thumbprint: Option<String>,
    /// App credentials: the application (client) id.
    pub app_id: Option<String>,
    /// App credentials: "rotated by the console: key <name>" when a console key rotates it.
    pub linked_key: Option<String>,
}

/// One kind's rows, counts, and the refusal if the vault would not list it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectKindView {
    pub rows: Vec<ObjectRow>,
    pub counts: ObjectCounts,
    /// Per client that refused this kind: its name and the named error.
    pub refused: Vec<ObjectRefusal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectRefusal {
    pub client_id: String,
    pub client_name: String,
    pub error: AppError,
}

/// The Vault tab's "Certificates" and "Keys" sections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectsView {
    pub certificates: ObjectKindView,
    pub keys: ObjectKindView,
    /// The client tenant's app registration credentials (read through Graph).
    pub app_credentials: ObjectKindView,
}

fn day(d: DateTime<Utc>) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl ObjectsView {
    /// Add another client's view (the portfolio), most urgent first.
    pub fn add(&mut self, other: ObjectsView) {
        for (mine, theirs) in [
            (&mut self.certificates, other.certificates),
            (&mut self.keys, other.keys),
            (&mut self.app_credentials, other.app_credentials),
        ] {
            mine.rows.extend(theirs.rows);
            mine.rows.sort_by(|a, b| {
                a.facts
                    .urgency
                    .cmp(&b.facts.urgency)
                    .then_with(|| a.client_name.cmp(&b.client_name))
                    .then_with(|| a.name.cmp(&b.name))
            });
            mine.counts.add(&theirs.counts);
            mine.refused.extend(theirs.refused);
        }
    }

    /// Every row, certificates first, app credentials last (the CSV, PDF and CLI order).
    pub fn all_rows(&self) -> impl Iterator<Item = &ObjectRow> {
        self.certificates
            .rows
            .iter()
            .chain(self.keys.rows.iter())
            .chain(self.app_credentials.rows.iter())
    }

    /// Every refusal, per kind and client.
    pub fn all_refusals(&self) -> impl Iterator<Item = &ObjectRefusal> {
        self.certificates
            .refused
            .iter()
            .chain(&self.keys.refused)
            .chain(&self.app_credentials.refused)
    }
}

impl Console {
    /// This client's certificates and keys at `now`, from the snapshot.
    pub fn objects_view(&self, now: DateTime<Utc>) -> ObjectsView {
        let mut listing = self.cached_objects();
        if let Some(own) = self.own_app() {
            self.with_keys(|keys| {
                link_own_secret(&mut listing, &own.client_id, &own.tenant_id, keys)
            });
        }
        objects_view(&listing, &self.client().id, &self.client().name, now)
    }
}

/// The vendor whose keys are app registration secrets the console rotates through Graph.
const ENTRA_APP_SECRET: &str = "entra-app-secret";

/// Links the console's own app registration's secrets (app-secret mode: `app_id` in
/// `tenant_id`) to the Entra App Secret key that holds it. The key's application id is part of
/// its value, which a listing never reads, so the key is recognised by its Tenant ID field:
/// one such key names it; several are all named.
pub fn link_own_secret(
    listing: &mut ObjectListing,
    app_id: &str,
    tenant_id: &str,
    keys: &[crate::domain::keys::KeyRecord],
) {
    let mut candidates: Vec<&str> = keys
        .iter()
        .filter(|k| k.vendor_id == ENTRA_APP_SECRET)
        .filter(|k| {
            k.settings
                .fields
                .get("tenant")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(tenant_id))
        })
        .map(|k| k.secret_name.as_str())
        .collect();
    candidates.sort_unstable();
    let link = match candidates.as_slice() {
        [] => return,
        [one] => one.to_string(),
        several => format!("one of {}", several.join(", ")),
    };
    if let crate::domain::vault_objects::KindListing::Listed(credentials) =
        &mut listing.app_credentials
    {
        for credential in credentials.iter_mut().filter(|c| {
            c.app_id.eq_ignore_ascii_case(app_id)
                && c.credential_type == crate::domain::app_credentials::CredentialType::Password
        }) {
            credential.rotated_by = Some(link.clone());
        }
    }
}

/// The rows of one client's listing.
pub fn objects_view(
    listing: &ObjectListing,
    client_id: &str,
    client_name: &str,
    now: DateTime<Utc>,
) -> ObjectsView {
    let refusal = |error: Option<&AppError>| {
        error
            .map(|error| ObjectRefusal {
                client_id: client_id.to_string(),
                client_name: client_name.to_string(),
                error: error.clone(),
            })
            .into_iter()
            .collect()
    };
    let cert_row = |c: &CertificateInfo| ObjectRow {
        client_id: client_id.to_string(),
        client_name: client_name.to_string(),
        kind: ObjectKind::Certificate,
        name: c.name.clone(),
        enabled: c.enabled,
        facts: c.dates().facts(now),
        issuer: c.issuer_text(),
        detail: c
            .policy
            .as_ref()
            .map_or_else(|| "—".to_string(), |p| p.actions_text()),
        detail_note: None,
        subject: c.policy.as_ref().and_then(|p| p.subject.clone()),
        not_before: c.not_before.map(day),
        thumbprint: c.thumbprint.clone(),
        app_id: None,
        linked_key: None,
    };
    let key_row = |k: &CryptoKeyInfo| ObjectRow {
        client_id: client_id.to_string(),
        client_name: client_name.to_string(),
        kind: ObjectKind::Key,
        name: k.name.clone(),
        enabled: k.enabled,
        facts: k.dates().facts(now),
        issuer: "—".to_string(),
        detail: k.type_text(),
        detail_note: k.key_type.is_none().then(|| {
            k.detail_note
                .clone()
                .unwrap_or_else(|| crate::domain::key_detail::NOT_READ_YET.to_string())
        }),
        subject: None,
        not_before: k.not_before.map(day),
        thumbprint: None,
        app_id: None,
        linked_key: None,
    };
    let app_row = |a: &AppCredentialInfo| ObjectRow {
        client_id: client_id.to_string(),
        client_name: client_name.to_string(),
        kind: ObjectKind::AppCredential,
        name: a.app_name.clone(),
        enabled: true,
        facts: a.dates().facts(now),
        // The PDF's and CSV's second column: the credential's type.
        issuer: a.credential_type.label().to_string(),
        detail: a.credential_text(),
        detail_note: None,
        subject: None,
        not_before: a.start.map(day),
        thumbprint: a.thumbprint.clone(),
        app_id: Some(a.app_id.clone()),
        linked_key: a
            .rotated_by
            .as_ref()
            .map(|key| format!("rotated by the console: key {key}")),
    };
    let mut view = ObjectsView {
        certificates: ObjectKindView {
            rows: listing.certificates.items().iter().map(cert_row).collect(),
            counts: listing.certificate_counts(now),
            refused: refusal(listing.certificates.refused()),
        },
        keys: ObjectKindView {
            rows: listing.keys.items().iter().map(key_row).collect(),
            counts: listing.key_counts(now),
            refused: refusal(listing.keys.refused()),
        },
        app_credentials: ObjectKindView {
            rows: listing
                .app_credentials
                .items()
                .iter()
                .map(app_row)
                .collect(),
            counts: listing.app_credential_counts(now),
            refused: refusal(listing.app_credentials.refused()),
        },
    };
    for kind in [
        &mut view.certificates,
        &mut view.keys,
        &mut view.app_credentials,
    ] {
        kind.rows.sort_by(|a, b| {
            a.facts
                .urgency
                .cmp(&b.facts.urgency)
                .then_with(|| a.name.cmp(&b.name))
        });
    }
    view
}
