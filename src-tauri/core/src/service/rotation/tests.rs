//! Tests of the Rotation tab: single-key rotation, Rotate All Due and its limits.

use super::*;
use crate::domain::keys::tests::{at, record};

use crate::domain::policy::Role;
use crate::domain::secret::SecretValue;
use crate::store::demo::DemoStore;
use crate::store::{ConsoleDocument, DeletedKey, KeyVersion, SecretStore, StoreKind};
use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A console on `store` with an in-memory log, and an Admin to act in it.
fn admin_console(store: Arc<dyn SecretStore>) -> (Console, Operator) {
    let console = Console::new(
        store,
        crate::audit::AuditLog::in_memory(),
        Arc::new(|_| {}),
        crate::ping::PingClient::new(None).expect("client"),
        "test",
    );
    let operator = Operator::demo("Test", Role::Admin);
    (console, operator)
}

/// The demo store, with slow writes that count how many run at once.
struct SlowStore {
    inner: DemoStore,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

#[async_trait]
impl SecretStore for SlowStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Demo
    }
    async fn list_all(&self) -> crate::error::AppResult<crate::store::VaultListing> {
        self.inner.list_all().await
    }
    async fn current_key(&self, name: &str) -> crate::error::AppResult<Option<KeyRecord>> {
        self.inner.current_key(name).await
    }
    async fn read_value(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> crate::error::AppResult<SecretValue> {
        self.inner.read_value(name, version).await
    }
    async fn write_key(
        &self,
        record: &KeyRecord,
        value: &SecretValue,
    ) -> crate::error::AppResult<KeyRecord> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.inner.write_key(record, value).await
    }
    async fn update_key(&self, record: &KeyRecord) -> crate::error::AppResult<KeyRecord> {
        self.inner.update_key(record).await
    }
    async fn list_versions(&self, name: &str) -> crate::error::AppResult<Vec<KeyVersion>> {
        self.inner.list_versions(name).await
    }
    async fn delete_key(&self, name: &str) -> crate::error::AppResult<DeletedKey> {
        self.inner.delete_key(name).await
    }
    async fn list_deleted(&self) -> crate::error::AppResult<Vec<DeletedKey>> {
        self.inner.list_deleted().await
    }
    async fn recover_key(&self, name: &str) -> crate::error::AppResult<()> {
        self.inner.recover_key(name).await
    }
    async fn purge_key(&self, name: &str) -> crate::error::AppResult<()> {
        self.inner.purge_key(name).await
    }
    async fn read_document(&self, d: &ConsoleDocument) -> crate::error::AppResult<Option<String>> {
        self.inner.read_document(d).await
    }
    async fn write_document_tagged(
        &self,
        d: &ConsoleDocument,
        json: &str,
        tags: &std::collections::HashMap<String, String>,
    ) -> crate::error::AppResult<()> {
        self.inner.write_document_tagged(d, json, tags).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_all_due_keeps_a_bounded_number_in_flight() {
    let now = at(2026, 11, 23, 10);
    let store = Arc::new(SlowStore {
        inner: DemoStore::seeded(now),
        in_flight: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    });
    // Make every enabled key overdue, so Rotate All Due may take them all.
    for mut key in store.inner.list_keys().await.expect("keys") {
        key.last_rotated = now - Duration::days(400);
        key.expires = None;
        store.inner.update_key(&key).await.expect("age the key");
    }
    let (console, operator) = admin_console(store.clone());
    let keys = console.refresh_keys().await.expect("keys");
    let requests: Vec<RotateRequest> = keys
        .iter()
        .filter(|k| k.enabled)
        .map(|k| {
            let vendor = k.vendor().expect("catalog vendor");
            let parts = vendor
                .key_parts
                .iter()
                .map(|p| KeyPartInput {
                    id: p.id.clone(),
                    value: SecretValue::new(format!("new-{}-0123456789", p.id)),
                })
                .collect();
            RotateRequest {
                secret_name: k.secret_name.clone(),
                parts,
                ..Default::default()
            }
        })
        .collect();
    let total = requests.len();
    assert!(total > BULK_CONCURRENCY * 2);
    let result = console
        .rotate_many(&operator, requests, now, |_| {})
        .await
        .expect("batch accepted");
    assert_eq!(result.succeeded, total);
    let peak = store.peak.load(Ordering::SeqCst);
    assert!(peak <= BULK_CONCURRENCY, "{peak} rotations ran at once");
    assert!(peak > 1, "rotations should overlap");
}

/// A pasted new value for every part the vendor's key has.
fn paste(console: &Console, name: &str) -> RotateRequest {
    let record = console
        .cached_keys()
        .into_iter()
        .find(|k| k.secret_name == name)
        .expect("key");
    let parts = record
        .vendor()
        .expect("catalog vendor")
        .key_parts
        .iter()
        .map(|p| KeyPartInput {
            id: p.id.clone(),
            value: SecretValue::new(format!("new-{}-0123456789", p.id)),
        })
        .collect();
    RotateRequest {
        secret_name: name.into(),
        parts,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_summary_lists_failures_first_with_their_reason() {
    let now = Utc::now();
    let store = Arc::new(DemoStore::seeded(now));
    for mut key in store.list_keys().await.expect("keys") {
        key.last_rotated = now - Duration::days(400);
        key.expires = None;
        store.update_key(&key).await.expect("age the key");
    }
    let (console, operator) = admin_console(store);
    let keys = console.refresh_keys().await.expect("keys");
    let mut names: Vec<String> = keys
        .iter()
        .filter(|k| k.enabled)
        .map(|k| k.secret_name.clone())
        .collect();
    names.sort();
    // The alphabetically last key gets no new value: it fails, and must still come first.
    let empty = names.pop().expect("keys");
    let mut requests: Vec<RotateRequest> = names.iter().map(|n| paste(&console, n)).collect();
    requests.push(RotateRequest {
        secret_name: empty.clone(),
        ..Default::default()
    });
    let result = console
        .rotate_many(&operator, requests, now, |_| {})
        .await
        .expect("batch accepted")
        .failures_first();
    assert_eq!(result.failed, 1);
    let first = &result.items[0];
    assert_eq!(first.secret_name, empty);
    assert!(!first.ok);
    let reason = first.error.as_ref().expect("a reason");
    assert!(
        reason.message.contains("Paste the new key"),
        "{}",
        reason.message
    );
    assert!(result.items[1..].iter().all(|i| i.ok));
    let vendors: Vec<&str> = result.items[1..]
        .iter()
        .map(|i| i.vendor_name.as_str())
        .collect();
    let mut sorted = vendors.clone();
    sorted.sort();
    assert_eq!(vendors, sorted, "rotated keys read by vendor");
}

#[tokio::test]
async fn rotate_all_due_refuses_duplicates_and_keys_that_are_not_due_and_changes_nothing() {
    let now = at(2026, 11, 23, 10);
    let (console, operator) = admin_console(Arc::new(DemoStore::seeded(now)));
    let keys = console.refresh_keys().await.expect("keys");
    let due: Vec<&KeyRecord> = keys
        .iter()
        .filter(|k| k.timing(now).needs_rotation())
        .collect();
    let healthy = keys
        .iter()
        .find(|k| k.enabled && !k.timing(now).needs_rotation())
        .expect("a healthy key");
    let before: Vec<String> = keys.iter().map(|k| k.masked_preview.clone()).collect();

    let twice = vec![
        paste(&console, &due[0].secret_name),
        paste(&console, &due[0].secret_name),
    ];
    let error = console
        .rotate_many(&operator, twice, now, |_| {})
        .await
        .expect_err("duplicate refused");
    assert!(error.message.contains("appears twice"), "{}", error.message);

    let mut more = due
        .iter()
        .map(|k| paste(&console, &k.secret_name))
        .collect::<Vec<_>>();
    more.push(paste(&console, &healthy.secret_name));
    let error = console
        .rotate_many(&operator, more, now, |_| {})
        .await
        .expect_err("a key that is not due refused");
    assert!(error.message.contains("not due"), "{}", error.message);

    let after: Vec<String> = console
        .refresh_keys()
        .await
        .expect("keys")
        .iter()
        .map(|k| k.masked_preview.clone())
        .collect();
    assert_eq!(before, after, "a refused batch rotates nothing");
}

#[tokio::test]
async fn generate_is_refused_for_keys_of_several_parts() {
    let now = at(2026, 11, 23, 10);
    let (console, operator) = admin_console(Arc::new(DemoStore::seeded(now)));
    let generate = |name: &str| RotateRequest {
        secret_name: name.into(),
        generate: true,
        ..Default::default()
    };
    // Pax8 keys are a client ID and a secret; Atera keys are one value.
    let refused = console
        .rotate_key(&operator, generate("pax8"), false, now)
        .await
        .expect_err("two parts");
    assert_eq!(refused.field.as_deref(), Some("value"));
    let rotated = console
        .rotate_key(&operator, generate("atera"), false, now)
        .await
        .expect("one part");
    assert!(rotated.saved);
    let value = console
        .store()
        .read_value("atera", None)
        .await
        .expect("read");
    assert_eq!(
        value.expose().len(),
        crate::domain::generator::GENERATED_LENGTH
    );
}

#[test]
fn suggested_expiry_keeps_the_validity_period() {
    let now = at(2026, 11, 23, 10);
    let r = record(at(2026, 1, 1, 0), 90, Some(at(2027, 1, 1, 0)));
    // Valid for 365 days before; valid for 365 days again from today.
    assert_eq!(
        suggested_expiry(&r, now).map(format_date).as_deref(),
        Some("2027-11-23")
    );
    assert!(suggested_expiry(&record(now, 90, None), now).is_none());
    // A key that was valid for only 12 days gets at least its 90-day interval.
    let short = record(at(2026, 10, 24, 0), 90, Some(at(2026, 11, 5, 0)));
    assert_eq!(
        suggested_expiry(&short, now).map(format_date).as_deref(),
        Some("2027-02-21")
    );
}
