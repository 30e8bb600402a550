//! Tests of the demo store: the seeded spread, versions, delete/recover/purge, masked previews.

use super::*;
use crate::domain::keys::KeyStatus;
use std::collections::HashMap;

fn now() -> DateTime<Utc> {
    crate::domain::keys::tests::at(2026, 11, 23, 10)
}

#[tokio::test]
async fn seed_has_a_realistic_spread() {
    let store = DemoStore::seeded(now());
    let keys = store.list_keys().await.expect("list");
    assert_eq!(keys.len(), 24);
    let mut counts: HashMap<KeyStatus, usize> = HashMap::new();
    for key in &keys {
        *counts.entry(key.timing(now()).status).or_default() += 1;
    }
    assert_eq!(counts.get(&KeyStatus::Overdue), Some(&3), "{counts:?}");
    assert_eq!(counts.get(&KeyStatus::DueSoon), Some(&4), "{counts:?}");
    assert_eq!(counts.get(&KeyStatus::Expired), Some(&2), "{counts:?}");
    assert_eq!(counts.get(&KeyStatus::Disabled), Some(&1), "{counts:?}");
    assert_eq!(counts.get(&KeyStatus::Healthy), Some(&14), "{counts:?}");
}

#[tokio::test]
async fn the_demo_links_its_app_registration_secrets_to_the_keys_that_hold_them() {
    use crate::domain::app_credentials::links_text;
    use crate::service::objects::{link_keys, unrecorded_app_keys};
    let store = DemoStore::seeded(now());
    let keys = store.list_keys().await.expect("list");
    let mut listing = store.list_objects().await;
    link_keys(&mut listing, None, &keys);
    let link_of = |app: &str| {
        listing
            .app_credentials
            .items()
            .iter()
            .find(|c| c.app_name == app)
            .and_then(|c| links_text(&c.links))
    };
    assert_eq!(
        link_of("Line-of-business portal").as_deref(),
        Some("rotated by the console: key entra-app-secret")
    );
    assert_eq!(
        link_of("Backup reporting").as_deref(),
        Some("rotated by the console: key microsoft-graph")
    );
    // Certificates are not values a key holds; and no demo key reads as saved before ids.
    assert_eq!(link_of("Intune connector"), None);
    assert!(unrecorded_app_keys(&listing, &keys).is_empty());
}

#[tokio::test]
async fn rotation_keeps_old_versions_and_values() {
    let store = DemoStore::seeded(now());
    let keys = store.list_keys().await.expect("list");
    let key = keys
        .iter()
        .find(|k| k.enabled)
        .expect("an enabled key")
        .clone();
    let old_value = store
        .read_value(&key.secret_name, None)
        .await
        .expect("read");
    let versions_before = store
        .list_versions(&key.secret_name)
        .await
        .expect("versions")
        .len();
    let new_value = SecretValue::new("rotated-value-0123456789");
    let written = store.write_key(&key, &new_value).await.expect("write");
    assert_ne!(written.version, key.version);
    let versions = store
        .list_versions(&key.secret_name)
        .await
        .expect("versions");
    assert_eq!(versions.len(), versions_before + 1);
    assert_eq!(
        store
            .read_value(&key.secret_name, None)
            .await
            .expect("read")
            .expose(),
        new_value.expose()
    );
    let old = store
        .read_value(&key.secret_name, Some(&key.version))
        .await
        .expect("old version");
    assert_eq!(old.expose(), old_value.expose());
}

#[tokio::test]
async fn delete_recover_purge() {
    let store = DemoStore::seeded(now());
    let name = store.list_keys().await.expect("list")[0]
        .secret_name
        .clone();
    store.delete_key(&name).await.expect("delete");
    assert_eq!(store.list_deleted().await.expect("deleted").len(), 1);
    assert!(
        store
            .list_keys()
            .await
            .expect("list")
            .iter()
            .all(|k| k.secret_name != name)
    );
    store.recover_key(&name).await.expect("recover");
    assert!(
        store
            .list_keys()
            .await
            .expect("list")
            .iter()
            .any(|k| k.secret_name == name)
    );
    store.delete_key(&name).await.expect("delete again");
    store.purge_key(&name).await.expect("purge");
    assert!(store.list_deleted().await.expect("deleted").is_empty());
    assert_eq!(
        store.recover_key(&name).await.expect_err("gone").code,
        ErrorCode::SecretNotFound
    );
}

#[tokio::test]
async fn disabled_values_cannot_be_read() {
    let store = DemoStore::seeded(now());
    let disabled = store
        .list_keys()
        .await
        .expect("list")
        .into_iter()
        .find(|k| !k.enabled)
        .expect("a disabled key");
    let error = store
        .read_value(&disabled.secret_name, None)
        .await
        .expect_err("disabled");
    assert_eq!(error.code, ErrorCode::SecretDisabled);
}

#[tokio::test]
async fn previews_are_masked_parts_never_the_stored_json() {
    let store = DemoStore::seeded(now());
    for key in store.list_keys().await.expect("keys") {
        assert!(
            !key.masked_preview.contains('{') && !key.masked_preview.contains('"'),
            "{}: {}",
            key.secret_name,
            key.masked_preview
        );
        assert!(key.masked_preview.contains('•'), "{}", key.masked_preview);
    }
}
