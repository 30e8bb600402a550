//! Where keys live. One trait, two homes: [`azure::AzureStore`] (the official Key Vault SDK) and
//! [`demo::DemoStore`] (in memory, seeded, nothing on disk).
//!
//! A store deals in [`KeyRecord`]s (metadata) and [`SecretValue`]s. Listing returns records only;
//! a value is read only when the operator copies, tests, or restores a key.

pub mod azure;
pub mod demo;
mod demo_objects;
pub mod tags;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::keys::KeyRecord;
use crate::domain::secret::SecretValue;
use crate::domain::vault_objects::ObjectListing;
use crate::error::AppResult;

/// Secrets the console keeps for itself in the vault. Their names start with `akv-console-`, which
/// no vendor id may, so they are never listed as vendor keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleDocument {
    /// The role access policy (JSON), shared by every console on the vault.
    RolePolicy,
    /// The audit chain head (JSON `{seq, hash}`, also in tags so a listing shows every head) of
    /// one console installation's log, one new version per append. Each installation keeps its
    /// own log file, so each has its own anchor; a chain segment begun after detected tampering
    /// (`segment` ≥ 1) gets its own, so the anchor the tampered log was compared with stays as the
    /// vault last saw it.
    AuditAnchor { console_id: String, segment: u32 },
    /// The shared registry of older consoles (read once to carry a record over).
    AuditRegistry,
    /// One installation's first sighting, computer and chain segments (see `audit::registry`).
    AuditInstallation { console_id: String },
    /// A key's rotation runbook (JSON: Markdown procedure and the "used by" list). Never a value.
    KeyRunbook { secret_name: String },
    /// A key's extra CA (PEM), trusted by its ping next to the built-in roots; the key's
    /// `akv-ca-sha256` tag binds it.
    KeyCa { secret_name: String },
    /// The vault's custom vendors (JSON, stamped with the policy's stamp key).
    CustomVendors,
}

/// Name prefix of every installation's audit anchor.
pub const ANCHOR_PREFIX: &str = "akv-console-audit-anchor-";
/// Name prefix of every installation's record.
pub const INSTALLATION_PREFIX: &str = "akv-console-audit-installation-";

impl ConsoleDocument {
    pub fn secret_name(&self) -> String {
        match self {
            ConsoleDocument::RolePolicy => "akv-console-role-policy".to_string(),
            ConsoleDocument::AuditAnchor {
                console_id,
                segment: 0,
            } => format!("{ANCHOR_PREFIX}{console_id}"),
            ConsoleDocument::AuditAnchor {
                console_id,
                segment,
            } => format!("{ANCHOR_PREFIX}{console_id}-s{segment}"),
            ConsoleDocument::AuditRegistry => "akv-console-audit-registry".to_string(),
            ConsoleDocument::AuditInstallation { console_id } => {
                format!("{INSTALLATION_PREFIX}{console_id}")
            }
            ConsoleDocument::KeyRunbook { secret_name } => {
                format!("akv-console-runbook-{secret_name}")
            }
            ConsoleDocument::KeyCa { secret_name } => format!("akv-console-ca-{secret_name}"),
            ConsoleDocument::CustomVendors => "akv-console-custom-vendors".to_string(),
        }
    }
}

/// A secret in the vault that is neither a console key nor a console document: created in the
/// Portal, by a script or by another tool. Never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmanagedSecret {
    pub name: String,
    pub content_type: Option<String>,
    pub enabled: bool,
    pub expires: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub tags: std::collections::HashMap<String, String>,
    /// The current version (adopting updates its properties, never making a new one).
    pub version: String,
}

/// Everything one listing of the vault shows (no value read): the console's keys, its own
/// documents, and every other secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaultListing {
    pub keys: Vec<KeyRecord>,
    pub documents: Vec<DocumentInfo>,
    pub unmanaged: Vec<UnmanagedSecret>,
}

/// A console document as a listing shows it: name, tags and when it was last written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentInfo {
    pub name: String,
    pub tags: std::collections::HashMap<String, String>,
    pub updated: Option<DateTime<Utc>>,
}

/// Prefix reserved for the console's own documents.
pub const RESERVED_PREFIX: &str = "akv-console-";

/// One version of a key, for the versions list in the detail panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyVersion {
    pub version: String,
    pub created: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub expires: Option<DateTime<Utc>>,
    pub masked_preview: String,
    pub last_rotated: Option<DateTime<Utc>>,
}

/// A soft-deleted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedKey {
    pub secret_name: String,
    pub vendor_id: String,
    pub masked_preview: String,
    pub deleted_on: Option<DateTime<Utc>>,
    pub scheduled_purge: Option<DateTime<Utc>>,
    /// True when the vault's purge protection forbids purging before the retention ends.
    pub purge_protected: bool,
}

/// Which kind of store is active, for the connection badge and the report header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    Demo,
    Azure {
        vault_name: String,
        vault_url: String,
    },
}

#[async_trait]
pub trait SecretStore: Send + Sync {
    fn kind(&self) -> StoreKind;

    /// One listing of the whole vault, sorted into keys, documents and other secrets. Reads no
    /// value: ceil(secrets / 25) list calls.
    async fn list_all(&self) -> AppResult<VaultListing>;

    /// The vault's certificates and cryptographic keys (never private material), each kind
    /// listed on its own: ceil(n / 25) list calls per kind, plus one policy read per object near
    /// or past expiry. A kind the caller may not read comes back refused, with its named error,
    /// and never fails the client. A store without such objects has none.
    async fn list_objects(&self) -> ObjectListing {
        ObjectListing::default()
    }

    /// One cryptographic key's type and size, from its public JWK (one GET of the current
    /// version; nothing else of the JWK is kept), and the `updated` of the version it read.
    /// Stores whose listing already carries the type (the demo) are never asked.
    async fn read_key_detail(
        &self,
        name: &str,
    ) -> AppResult<(crate::domain::key_detail::KeyDetail, Option<DateTime<Utc>>)> {
        Err(crate::error::AppError::internal(format!(
            "This vault has no key detail to read for '{name}'."
        )))
    }

    /// Every vendor key with its metadata (a whole listing; the console reads its snapshot
    /// instead).
    async fn list_keys(&self) -> AppResult<Vec<KeyRecord>> {
        Ok(self.list_all().await?.keys)
    }

    /// The current state of one key as the vault has it now, or `None` (no value read). Used
    /// before writing metadata back, so a change made elsewhere is not overwritten.
    async fn current_key(&self, secret_name: &str) -> AppResult<Option<KeyRecord>>;

    /// The value of the current version, or of `version`.
    async fn read_value(&self, secret_name: &str, version: Option<&str>) -> AppResult<SecretValue>;

    /// Write a value as a new version carrying `record`'s metadata. Earlier versions are kept.
    async fn write_key(&self, record: &KeyRecord, value: &SecretValue) -> AppResult<KeyRecord>;

    /// Change the metadata (tags, expiry, enabled) of the current version without touching the value.
    async fn update_key(&self, record: &KeyRecord) -> AppResult<KeyRecord>;

    async fn list_versions(&self, secret_name: &str) -> AppResult<Vec<KeyVersion>>;

    /// Soft-delete (the caller disables first).
    async fn delete_key(&self, secret_name: &str) -> AppResult<DeletedKey>;

    async fn list_deleted(&self) -> AppResult<Vec<DeletedKey>>;

    async fn recover_key(&self, secret_name: &str) -> AppResult<()>;

    async fn purge_key(&self, secret_name: &str) -> AppResult<()>;

    /// A console document, or `None` if it was never written.
    async fn read_document(&self, document: &ConsoleDocument) -> AppResult<Option<String>>;

    async fn write_document(&self, document: &ConsoleDocument, json: &str) -> AppResult<()> {
        self.write_document_tagged(document, json, &std::collections::HashMap::new())
            .await
    }

    /// Write a console document with tags (readable from a listing, without a value read).
    async fn write_document_tagged(
        &self,
        document: &ConsoleDocument,
        json: &str,
        tags: &std::collections::HashMap<String, String>,
    ) -> AppResult<()>;

    /// The stamp key from the vault's policy (see `tags`): stamps written from now on carry
    /// it, and listings verify with it. Stores without tags ignore it.
    fn use_stamp_key(&self, _key: Option<crate::domain::policy::StampKey>) {}

    /// Every console document in the vault (names starting `akv-console-`), without values.
    async fn list_documents(&self) -> AppResult<Vec<DocumentInfo>> {
        Ok(self.list_all().await?.documents)
    }
}
