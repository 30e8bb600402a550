//! The demo's seed: which keys each fictitious client holds, in which state, with which values.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::domain::catalog::{self, Vendor};
use crate::domain::generator;
use crate::domain::keys::{KeyRecord, expiry_from_date};
use crate::domain::secret::SecretValue;
use crate::store::{ConsoleDocument, UnmanagedSecret};

use super::{DemoDocument, DemoSecret, DemoState, DemoStore, DemoVersion, new_version_id};

impl DemoStore {
    /// The store the demo mode opens with: keys in every state, and vendors without a key.
    pub fn seeded(now: DateTime<Utc>) -> Self {
        DemoStore::seeded_variant(now, 0)
    }

    /// The demo's `variant`-th fictitious client: the same spread of states, shifted in time and
    /// with some vendors missing, so the clients of a demo do not look alike.
    pub fn seeded_variant(now: DateTime<Utc>, variant: usize) -> Self {
        let store = DemoStore::empty();
        {
            let mut state = store.lock();
            for (index, vendor) in catalog::catalog().iter().enumerate() {
                let Some(mut plan) = seed_plan(&vendor.id) else {
                    continue;
                };
                if variant > 0 {
                    if (index + variant).is_multiple_of(4) {
                        continue;
                    }
                    plan.rotated_days_ago += (variant as i64) * 9;
                }
                let secret = seed_secret(vendor, &plan, index, now);
                state.secrets.insert(vendor.id.clone(), secret);
            }
            seed_common(&mut state, now);
            state.objects = crate::store::demo_objects::seed(now, variant);
        }
        store
    }

    /// One client of a large demo portfolio (`AKV_DEMO_CLIENTS`): the seeded vendors, some missing,
    /// every key healthy except `health`'s counts of expired, overdue and due keys, so a portfolio
    /// of forty has a few clients in trouble and many in order.
    pub fn seeded_health(now: DateTime<Utc>, variant: usize, health: DemoHealth) -> Self {
        let store = DemoStore::empty();
        {
            let mut state = store.lock();
            let vendors: Vec<(usize, &Vendor, SeedPlan)> = catalog::catalog()
                .iter()
                .enumerate()
                .filter_map(|(index, vendor)| seed_plan(&vendor.id).map(|p| (index, vendor, p)))
                .filter(|(index, _, _)| !(index + variant).is_multiple_of(5))
                .collect();
            // The troubled keys start at a different vendor for each client.
            let start = variant.wrapping_mul(7) % vendors.len().max(1);
            // The first `expired` keys from there expire, the next `overdue` are overdue, …
            for position in 0..vendors.len() {
                let (index, vendor, base) = &vendors[(start + position) % vendors.len()];
                let interval = i64::from(vendor.default_interval_days());
                let spread = ((index * 7 + variant * 5) as i64) % (interval - 20).max(1);
                let mut plan = SeedPlan {
                    // Healthy: more than 14 days before the next rotation, expiry far or none.
                    rotated_days_ago: 1 + spread.min(interval - 18),
                    expires_in_days: base.expires_in_days.map(|_| 200 + spread),
                    enabled: true,
                    versions: base.versions,
                };
                let k = position as i64;
                let v = variant as i64;
                if position < health.expired {
                    plan.expires_in_days = Some(-(1 + (v * 3 + k * 4) % 25));
                } else if position < health.expired + health.overdue {
                    plan.rotated_days_ago = interval + 2 + (v * 7 + k * 5) % 60;
                } else if position < health.expired + health.overdue + health.due {
                    plan.rotated_days_ago = interval - 3 - (v + k) % 10;
                }
                state
                    .secrets
                    .insert(vendor.id.clone(), seed_secret(vendor, &plan, *index, now));
            }
            seed_common(&mut state, now);
            state.objects = crate::store::demo_objects::seed_for_health(
                now,
                health.expired > 0,
                health.due > 0,
            );
        }
        store
    }
}

/// How many keys of a large demo's client are in trouble.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoHealth {
    pub expired: usize,
    pub overdue: usize,
    pub due: usize,
}

/// What every demo vault holds besides its keys: secrets of other tools and the role policy.
fn seed_common(state: &mut DemoState, now: DateTime<Utc>) {
    for (name, content_type, owner, days_ago) in DEMO_UNMANAGED {
        let created = now - Duration::days(*days_ago);
        let mut tags = HashMap::new();
        if !owner.is_empty() {
            tags.insert("owner".to_string(), owner.to_string());
        }
        state.unmanaged.insert(
            name.to_string(),
            (
                UnmanagedSecret {
                    name: name.to_string(),
                    content_type: (!content_type.is_empty()).then(|| content_type.to_string()),
                    enabled: true,
                    expires: None,
                    created: Some(created),
                    updated: Some(created),
                    tags,
                    version: new_version_id(),
                },
                generator::generate_value(),
            ),
        );
    }
    // The demo's vault has the manual's default policy, so trainers can show each role.
    state.documents.insert(
        ConsoleDocument::RolePolicy.secret_name(),
        DemoDocument {
            json: crate::domain::policy::AccessPolicy::manual_defaults().to_json(),
            tags: HashMap::new(),
            updated: now,
        },
    );
}

/// Secrets "created by other tools" in the demo vault: name, content type, an owner tag, age in days.
const DEMO_UNMANAGED: &[(&str, &str, &str, i64)] = &[
    ("ninja-api-legacy", "", "", 400),
    ("s1-automation-token", "text/plain", "automation", 120),
    ("veeam-backup-svc", "", "backup team", 35),
    (
        "graph-reporting-app",
        "application/json",
        "reporting script",
        200,
    ),
    ("pax8-partner-api", "", "", 15),
];

/// How one seeded key looks: days since the last rotation, days to expiry, enabled.
struct SeedPlan {
    rotated_days_ago: i64,
    expires_in_days: Option<i64>,
    enabled: bool,
    versions: usize,
}

/// A fixed plan per vendor so demos (and tests) always show the same mix: 24 keys — 14 healthy,
/// 4 due within 14 days, 3 overdue, 2 expired, 1 disabled — and 8 vendors with none.
fn seed_plan(vendor_id: &str) -> Option<SeedPlan> {
    let plan = |rotated_days_ago, expires_in_days, enabled, versions| {
        Some(SeedPlan {
            rotated_days_ago,
            expires_in_days,
            enabled,
            versions,
        })
    };
    match vendor_id {
        // Overdue rotation.
        "datto-rmm" => plan(118, Some(200), true, 3),
        "huntress" => plan(104, None, true, 2),
        "fortigate" => plan(400, Some(150), true, 1),
        // Due within 14 days: rotation due, or expiry close.
        "atera" => plan(86, Some(240), true, 2),
        "halopsa" => plan(20, Some(9), true, 1),
        "auvik" => plan(170, Some(300), true, 1),
        "entra-app-secret" => plan(82, Some(283), true, 3),
        // Expired.
        "mimecast" => plan(60, Some(-3), true, 2),
        "okta" => plan(30, Some(-18), true, 1),
        // Disabled (revoked, kept for reference).
        "sophos-central" => plan(40, Some(200), false, 1),
        // Healthy, at various points of their cycle.
        "ninjaone" => plan(12, Some(353), true, 3),
        "connectwise-automate" => plan(33, Some(160), true, 2),
        "connectwise-psa" => plan(45, None, true, 2),
        "crowdstrike" => plan(9, Some(172), true, 1),
        "defender-endpoint" => plan(51, Some(130), true, 2),
        "sentinelone" => plan(21, Some(344), true, 3),
        "proofpoint-essentials" => plan(64, None, true, 1),
        "cisco-meraki" => plan(70, Some(290), true, 2),
        "ubiquiti-unifi" => plan(15, None, true, 1),
        "datto-bcdr" => plan(38, Some(190), true, 2),
        "veeam-spc" => plan(5, Some(360), true, 1),
        "microsoft-graph" => plan(95, Some(85), true, 2),
        "twilio" => plan(120, None, true, 1),
        "pax8" => plan(200, Some(165), true, 1),
        // No key yet.
        _ => None,
    }
}

const OWNERS: [&str; 5] = [
    "Dana Reyes",
    "Sam Okafor",
    "Priya Nair",
    "Marcus Lee",
    "Elena Varga",
];

const NOTES: [&str; 6] = [
    "Used by the nightly PSA ticket sync.",
    "Read-only key for the NOC dashboard.",
    "Scoped to device inventory only.",
    "Shared with the onboarding automation runbook.",
    "",
    "Created for the quarterly billing reconciliation.",
];

/// A fake value shaped like the vendor's real ones, so copy and masking look right in demos.
/// A demo key as stored, and its masked preview (made from the parts, as the console does, never
/// from the stored JSON of a multi-part key).
fn demo_value(vendor: &Vendor) -> (SecretValue, String) {
    let random = generator::generate_value();
    let body = &random.expose()[..40];
    let prefix: String = vendor
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(5)
        .collect();
    if !vendor.is_multi_part() {
        let value = SecretValue::new(format!("{prefix}_{body}"));
        let preview = value.masked_preview();
        return (value, preview);
    }
    // Multi-part keys (user + password, client ID + secret, ...): split the random body.
    let count = vendor.key_parts.len();
    let chunk = body.len() / count;
    let named = vendor
        .key_parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let end = if i + 1 == count {
                body.len()
            } else {
                (i + 1) * chunk
            };
            (
                part.id.as_str(),
                SecretValue::new(format!("{prefix}-{}", &body[i * chunk..end])),
            )
        })
        .collect();
    let parts = crate::domain::key_value::KeyParts::from_named(vendor, named);
    (parts.encode(), parts.masked_preview())
}

fn seed_secret(vendor: &Vendor, plan: &SeedPlan, index: usize, now: DateTime<Utc>) -> DemoSecret {
    let interval = vendor.default_interval_days();
    let mut secret = DemoSecret::default();
    for step in (0..plan.versions).rev() {
        // Older versions sit one interval apart before the current one.
        let rotated = now
            - Duration::days(plan.rotated_days_ago + step as i64 * i64::from(interval))
            - Duration::hours(index as i64);
        let (value, preview) = demo_value(vendor);
        let record = KeyRecord {
            secret_name: vendor.id.clone(),
            vendor_id: vendor.id.clone(),
            label: None,
            interval_days: interval,
            last_rotated: rotated,
            expires: plan
                .expires_in_days
                .map(|days| expiry_from_date((now + Duration::days(days)).date_naive())),
            enabled: step > 0 || plan.enabled,
            owner: OWNERS[index % OWNERS.len()].to_string(),
            note: NOTES[index % NOTES.len()].to_string(),
            masked_preview: preview,
            outside_change: None,
            endpoint_override: None,
            token_url_override: None,
            settings: crate::domain::keys::KeySettings {
                app_id: crate::store::demo_objects::demo_app_id(&vendor.id).map(str::to_string),
                ..Default::default()
            },
            version: new_version_id(),
            created: Some(rotated),
            updated: Some(rotated),
        };
        secret.versions.push(DemoVersion {
            id: record.version.clone(),
            created: rotated,
            record,
            value,
        });
    }
    secret
}
