//! The one set of counts ([`ClientCounts::of`]) and the words the counts use ([`glossary`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::{DUE_SOON_DAYS, KeyStatus, KeyTiming};
use crate::domain::catalog;
use crate::domain::keys::KeyRecord;
use crate::domain::vault_objects;

/// One count as the chips and badges say it ("2 expired").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CountLine {
    pub status: KeyStatus,
    pub count: usize,
    /// The status's name ("Rotation overdue"), for filters.
    pub label: String,
    /// The words after the number ("rotation overdue"), for chips that set the number apart.
    pub words: String,
    /// The count in words ("3 rotation overdue").
    pub text: String,
}

/// The one set of counts: a client's (or, added up, several clients'). Every view that shows a
/// count reads it from here, so the numbers cannot disagree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientCounts {
    /// Keys stored.
    pub keys: usize,
    pub expired: usize,
    /// Rotation overdue.
    pub overdue: usize,
    /// Due within 14 days (rotation or expiry).
    pub due_soon: usize,
    pub disabled: usize,
    pub healthy: usize,
    /// Catalog vendors without a key ("without a key").
    pub no_key: usize,
    /// Catalog vendors (per client).
    pub vendors: usize,
    /// Keys Rotate All Due would take (expired + overdue + due within 14 days).
    pub due_total: usize,
    /// Secrets in the vault the console did not create (filled in by the session).
    pub unmanaged: usize,
    /// The vault's certificates and cryptographic keys (filled in by the session from the same
    /// snapshot); apart from the API keys above.
    pub certificates: vault_objects::ObjectCounts,
    pub crypto_keys: vault_objects::ObjectCounts,
    /// The client tenant's app registration credentials (Graph), from the same snapshot.
    pub app_credentials: vault_objects::ObjectCounts,
    /// The counts above in words, one per status, worst first (zeros included: the chips are
    /// filters).
    pub lines: Vec<CountLine>,
}

impl ClientCounts {
    /// The one counting function: a client's key records at `now`.
    pub fn of(keys: &[KeyRecord], now: DateTime<Utc>) -> ClientCounts {
        // Non-API kinds (VPN keys, passwords) are not vendors a client lacks a key for: they
        // count once stored, never as "without a key".
        let vendors: Vec<_> = catalog::catalog()
            .iter()
            .filter(|v| !v.is_non_api())
            .collect();
        let mut counts = ClientCounts {
            vendors: vendors.len(),
            no_key: vendors
                .iter()
                .filter(|v| !keys.iter().any(|k| k.vendor_id == v.id))
                .count(),
            ..Default::default()
        };
        for key in keys {
            counts.keys += 1;
            let timing = KeyTiming::of(key, now);
            *counts.slot(timing.status) += 1;
            if timing.needs_rotation() {
                counts.due_total += 1;
            }
        }
        counts.relabel();
        counts
    }

    /// The counts of one vendor's keys (the vendor filter): the same rules, one catalog vendor.
    pub fn of_vendor(keys: &[KeyRecord], vendor_id: &str, now: DateTime<Utc>) -> ClientCounts {
        let theirs: Vec<KeyRecord> = keys
            .iter()
            .filter(|k| k.vendor_id == vendor_id)
            .cloned()
            .collect();
        let mut counts = ClientCounts::of(&theirs, now);
        counts.vendors = 1;
        let non_api = catalog::vendor(vendor_id).is_some_and(|v| v.is_non_api());
        counts.no_key = usize::from(theirs.is_empty() && !non_api);
        counts.relabel();
        counts
    }

    /// Add another client's counts (the portfolio's totals).
    pub fn add(&mut self, other: &ClientCounts) {
        self.keys += other.keys;
        for status in KeyStatus::ALL {
            *self.slot(status) += other.get(status);
        }
        // Every client has the same catalog; the sum of "without a key" is across clients.
        self.vendors = self.vendors.max(other.vendors);
        self.due_total += other.due_total;
        self.unmanaged += other.unmanaged;
        self.certificates.add(&other.certificates);
        self.crypto_keys.add(&other.crypto_keys);
        self.app_credentials.add(&other.app_credentials);
        self.relabel();
    }

    pub fn get(&self, status: KeyStatus) -> usize {
        match status {
            KeyStatus::NoKey => self.no_key,
            KeyStatus::Healthy => self.healthy,
            KeyStatus::DueSoon => self.due_soon,
            KeyStatus::Overdue => self.overdue,
            KeyStatus::Expired => self.expired,
            KeyStatus::Disabled => self.disabled,
        }
    }

    fn slot(&mut self, status: KeyStatus) -> &mut usize {
        match status {
            KeyStatus::NoKey => &mut self.no_key,
            KeyStatus::Healthy => &mut self.healthy,
            KeyStatus::DueSoon => &mut self.due_soon,
            KeyStatus::Overdue => &mut self.overdue,
            KeyStatus::Expired => &mut self.expired,
            KeyStatus::Disabled => &mut self.disabled,
        }
    }

    fn relabel(&mut self) {
        self.lines = KeyStatus::BY_URGENCY
            .into_iter()
            .map(|status| CountLine {
                status,
                count: self.get(status),
                label: status.label().to_string(),
                words: status.count_words(),
                text: status.count_text(self.get(status)),
            })
            .collect();
    }

    /// One line for text output: "2 expired, 3 rotation overdue, 4 due within 14 days".
    pub fn summary(&self) -> String {
        KeyStatus::BY_URGENCY
            .into_iter()
            .filter(|s| *s != KeyStatus::NoKey)
            .map(|s| s.count_text(self.get(s)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What the words the console invents mean; the UI shows them where the words appear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Glossary {
    pub unmanaged: String,
    pub not_verified: String,
    pub without_a_key: String,
    pub due_within: String,
    pub rotation_overdue: String,
}

pub fn glossary() -> Glossary {
    Glossary {
        unmanaged: "Unmanaged: secrets in this vault that the console did not create (stored from the Azure \
            portal, a script or another tool). The console lists their names and dates, never their \
            values, and tracks no rotation for them until someone adopts one as a vendor key."
            .to_string(),
        not_verified: "Not verified: with the app registration's secret every technician signs in as the \
            same app, so the console records the name typed in the profile but cannot prove who typed it. \
            Sign in with Microsoft for names Entra ID vouches for."
            .to_string(),
        without_a_key: "Without a key: vendors in the catalog for which this vault holds no key yet. \
            Nothing is wrong if the client does not use that vendor."
            .to_string(),
        due_within: format!(
            "Due within {DUE_SOON_DAYS} days: the key's next rotation or its expiry falls within the \
             next {DUE_SOON_DAYS} days. Rotate All Due takes these keys with the overdue and expired ones."
        ),
        rotation_overdue: "Rotation overdue: the key's rotation interval has passed since it was last \
            rotated. The key still works until it expires; the interval is the MSP's policy."
            .to_string(),
    }
}
