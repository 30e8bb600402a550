//! Console keys as the console itself would have written them, seeded straight into the
//! emulator (big vaults for the snapshot tests, the 1,000-key end-to-end run and the benchmark).
#![allow(dead_code)]

use akv_core::domain::keys::KeyRecord;
use akv_core::store::tags::{CONTENT_TYPE, record_to_tags};
use akv_tests::emulator::{Emulator, SeedSecret};
use chrono::{Duration, Utc};

/// `{vendor}--{label}`, last rotated `days_ago`, a 90-day interval and a seeded preview.
pub fn console_key(vendor: &str, label: &str, days_ago: i64) -> KeyRecord {
    KeyRecord {
        secret_name: format!("{vendor}--{label}"),
        vendor_id: vendor.into(),
        label: Some(label.into()),
        interval_days: 90,
        last_rotated: Utc::now() - Duration::days(days_ago),
        expires: None,
        enabled: true,
        owner: "Seeded".into(),
        note: String::new(),
        masked_preview: "seed••••••••0000".into(),
        endpoint_override: None,
        token_url_override: None,
        settings: Default::default(),
        version: String::new(),
        created: None,
        updated: None,
        outside_change: None,
    }
}

/// Store `record` in the emulator with the console's content type, tags and attributes.
pub fn seed_console_key(emulator: &Emulator, record: &KeyRecord) -> Result<(), String> {
    let mut seed =
        SeedSecret::new(format!("value-of-{}", record.secret_name)).content_type(CONTENT_TYPE);
    // Expiry and enabled are the secret's attributes, not tags, as the console writes them.
    seed.expires = record.expires;
    if !record.enabled {
        seed = seed.disabled();
    }
    // Unkeyed, as a console wrote it before the vault had a stamp key.
    for (name, value) in record_to_tags(record, None) {
        seed = seed.tag(&name, &value);
    }
    emulator
        .seed(&record.secret_name, seed)
        .map(|_| ())
        .map_err(|e| format!("seed {}: {e:?}", record.secret_name))
}
