//! A store whose key writes can be made to fail, for the connectors' "store" step.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};

use akv_core::domain::keys::KeyRecord;
use akv_core::domain::secret::SecretValue;
use akv_core::error::{AppError, AppResult, ErrorCode};
use akv_core::store::demo::DemoStore;
use akv_core::store::{ConsoleDocument, DeletedKey, KeyVersion, SecretStore, StoreKind};
use async_trait::async_trait;

/// The demo store, whose key writes can be made to fail.
pub struct FlakyStore {
    pub inner: DemoStore,
    pub fail_writes: AtomicBool,
}

impl FlakyStore {
    pub fn new() -> FlakyStore {
        FlakyStore {
            inner: DemoStore::empty(),
            fail_writes: AtomicBool::new(false),
        }
    }

    pub fn fail_writes(&self, on: bool) {
        self.fail_writes.store(on, Ordering::SeqCst);
    }
}

#[async_trait]
impl SecretStore for FlakyStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Demo
    }
    async fn list_all(&self) -> AppResult<akv_core::store::VaultListing> {
        self.inner.list_all().await
    }
    async fn current_key(&self, name: &str) -> AppResult<Option<KeyRecord>> {
        self.inner.current_key(name).await
    }
    async fn read_value(&self, name: &str, version: Option<&str>) -> AppResult<SecretValue> {
        self.inner.read_value(name, version).await
    }
    async fn write_key(&self, record: &KeyRecord, value: &SecretValue) -> AppResult<KeyRecord> {
        if self.fail_writes.load(Ordering::SeqCst) {
            return Err(AppError::new(
                ErrorCode::ServiceUnavailable,
                "Key Vault is unavailable (injected).",
                "Try again.",
            ));
        }
        self.inner.write_key(record, value).await
    }
    async fn update_key(&self, record: &KeyRecord) -> AppResult<KeyRecord> {
        self.inner.update_key(record).await
    }
    async fn list_versions(&self, name: &str) -> AppResult<Vec<KeyVersion>> {
        self.inner.list_versions(name).await
    }
    async fn delete_key(&self, name: &str) -> AppResult<DeletedKey> {
        self.inner.delete_key(name).await
    }
    async fn list_deleted(&self) -> AppResult<Vec<DeletedKey>> {
        self.inner.list_deleted().await
    }
    async fn recover_key(&self, name: &str) -> AppResult<()> {
        self.inner.recover_key(name).await
    }
    async fn purge_key(&self, name: &str) -> AppResult<()> {
        self.inner.purge_key(name).await
    }
    async fn read_document(&self, d: &ConsoleDocument) -> AppResult<Option<String>> {
        self.inner.read_document(d).await
    }
    async fn write_document_tagged(
        &self,
        d: &ConsoleDocument,
        json: &str,
        tags: &std::collections::HashMap<String, String>,
    ) -> AppResult<()> {
        self.inner.write_document_tagged(d, json, tags).await
    }
}
