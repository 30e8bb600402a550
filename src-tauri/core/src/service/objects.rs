//! The Vault tab's certificates and keys: rows and per-kind refusals, from the snapshot (no
//! request of its own). Read-only: nothing here needs, or offers, private material.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::Console;
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
    pub subject: Option<String>,
    pub not_before: Option<String>,
    /// SHA-1 thumbprint (hex), certificates only.
    pub thumbprint: Option<String>,
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

    /// Every row, certificates first (the CSV, PDF and CLI order).
    pub fn all_rows(&self) -> impl Iterator<Item = &ObjectRow> {
        self.certificates.rows.iter().chain(self.keys.rows.iter())
    }
}

impl Console {
    /// This client's certificates and keys at `now`, from the snapshot.
    pub fn objects_view(&self, now: DateTime<Utc>) -> ObjectsView {
        objects_view(
            &self.cached_objects(),
            &self.client().id,
            &self.client().name,
            now,
        )
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
        subject: c.policy.as_ref().and_then(|p| p.subject.clone()),
        not_before: c.not_before.map(day),
        thumbprint: c.thumbprint.clone(),
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
        subject: None,
        not_before: k.not_before.map(day),
        thumbprint: None,
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
    };
    for kind in [&mut view.certificates, &mut view.keys] {
        kind.rows.sort_by(|a, b| {
            a.facts
                .urgency
                .cmp(&b.facts.urgency)
                .then_with(|| a.name.cmp(&b.name))
        });
    }
    view
}
