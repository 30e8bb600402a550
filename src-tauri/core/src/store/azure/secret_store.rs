//! The `SecretStore` impl on Key Vault: listing, reading, writing, versions, deletion and documents.

use std::collections::HashMap;

use async_trait::async_trait;
use azure_core::time::OffsetDateTime;
use azure_security_keyvault_secrets::ResourceExt;
use azure_security_keyvault_secrets::models::{
    DeletedSecretProperties, SecretAttributes, SecretClientGetSecretOptions,
    SecretClientListDeletedSecretPropertiesOptions, SecretClientListSecretPropertiesOptions,
    SecretClientListSecretPropertiesVersionsOptions, SecretClientUpdateSecretPropertiesOptions,
    SecretProperties, SetSecretParameters, UpdateSecretPropertiesParameters,
};
use chrono::{DateTime, Utc};

use crate::domain::keys::KeyRecord;
use crate::domain::secret::SecretValue;
use crate::error::{AppResult, ErrorCode};
use crate::store::tags::{self, CONTENT_TYPE, SecretParts, record_from_parts, record_to_tags};
use crate::store::{
    ConsoleDocument, DeletedKey, DocumentInfo, KeyVersion, RESERVED_PREFIX, SecretStore, StoreKind,
    UnmanagedSecret, VaultListing,
};

use super::guard::collect_pages;
use super::{AzureStore, PAGE_SIZE};

/// Content type of the console's own documents (policy, audit anchor).
const DOCUMENT_CONTENT_TYPE: &str = "application/vnd.akv-console.document+json";

pub(super) fn to_chrono(time: Option<OffsetDateTime>) -> Option<DateTime<Utc>> {
    time.and_then(|t| DateTime::from_timestamp(t.unix_timestamp(), 0))
}

fn to_offset(time: Option<DateTime<Utc>>) -> Option<OffsetDateTime> {
    time.and_then(|t| OffsetDateTime::from_unix_timestamp(t.timestamp()).ok())
}

fn attributes(record: &KeyRecord) -> SecretAttributes {
    SecretAttributes {
        enabled: Some(record.enabled),
        expires: to_offset(record.expires),
        ..Default::default()
    }
}

fn parts_from_properties(properties: &SecretProperties) -> Option<SecretParts> {
    let id = properties.resource_id().ok()?;
    let attrs = properties.attributes.as_ref();
    Some(SecretParts {
        name: id.name,
        content_type: properties.content_type.clone(),
        tags: properties.tags.clone().unwrap_or_default(),
        enabled: attrs.and_then(|a| a.enabled).unwrap_or(true),
        expires: to_chrono(attrs.and_then(|a| a.expires)),
        created: to_chrono(attrs.and_then(|a| a.created)),
        updated: to_chrono(attrs.and_then(|a| a.updated)),
        version: id.version.unwrap_or_default(),
    })
}

/// Name of a secret from its id (`https://vault/secrets/{name}[/{version}]`, or deleted ids).
fn name_from_id(id: Option<&str>) -> String {
    id.and_then(|id| {
        let url = url::Url::parse(id).ok()?;
        let mut segments = url.path_segments()?.filter(|s| !s.is_empty());
        segments.next()?;
        segments.next().map(str::to_string)
    })
    .unwrap_or_default()
}

fn deleted_from_properties(properties: &DeletedSecretProperties) -> DeletedKey {
    let tags = properties.tags.clone().unwrap_or_default();
    let protected = properties
        .attributes
        .as_ref()
        .and_then(|a| a.recovery_level.as_ref())
        .is_some_and(|level| !format!("{level:?}").contains("Purgeable"));
    DeletedKey {
        secret_name: name_from_id(
            properties
                .id
                .as_deref()
                .or(properties.recovery_id.as_deref()),
        ),
        vendor_id: tags.get(tags::TAG_VENDOR).cloned().unwrap_or_default(),
        masked_preview: tags.get(tags::TAG_PREVIEW).cloned().unwrap_or_default(),
        deleted_on: to_chrono(properties.deleted_date),
        scheduled_purge: to_chrono(properties.scheduled_purge_date),
        purge_protected: protected,
    }
}

#[async_trait]
impl SecretStore for AzureStore {
    fn use_stamp_key(&self, key: Option<crate::domain::policy::StampKey>) {
        *self.stamp_key.lock().unwrap_or_else(|p| p.into_inner()) = key;
    }

    fn kind(&self) -> StoreKind {
        StoreKind::Azure {
            vault_name: self.vault_name.clone(),
            vault_url: self.vault_url.clone(),
        }
    }

    async fn list_objects(&self) -> crate::domain::vault_objects::ObjectListing {
        self.list_vault_objects().await
    }

    async fn read_key_detail(
        &self,
        name: &str,
    ) -> AppResult<(crate::domain::key_detail::KeyDetail, Option<DateTime<Utc>>)> {
        self.get_key_detail(name).await
    }

    async fn list_all(&self) -> AppResult<VaultListing> {
        let pager = self
            .client
            .list_secret_properties(Some(SecretClientListSecretPropertiesOptions {
                maxresults: Some(PAGE_SIZE),
                ..Default::default()
            }))
            .map_err(|e| self.map(e, "list keys"))?;
        let key = self.stamp_key();
        let mut listing = VaultListing::default();
        for properties in collect_pages(pager)
            .await
            .map_err(|e| self.map(e, "list keys"))?
        {
            // A certificate's backing secret holds its private key: it belongs to the
            // certificate (listed with the certificates), never to the API keys or Unmanaged.
            if properties.managed == Some(true) {
                continue;
            }
            let Some(parts) = parts_from_properties(&properties) else {
                continue;
            };
            if parts.name.starts_with(RESERVED_PREFIX) {
                listing.documents.push(DocumentInfo {
                    name: parts.name,
                    tags: parts.tags,
                    updated: parts.updated,
                });
                continue;
            }
            let unmanaged = UnmanagedSecret {
                name: parts.name.clone(),
                content_type: parts.content_type.clone(),
                enabled: parts.enabled,
                expires: parts.expires,
                created: parts.created,
                updated: parts.updated,
                tags: parts.tags.clone(),
                version: parts.version.clone(),
            };
            match record_from_parts(parts, key.as_ref()) {
                Some(record) => listing.keys.push(record),
                None => listing.unmanaged.push(unmanaged),
            }
        }
        Ok(listing)
    }

    async fn current_key(&self, secret_name: &str) -> AppResult<Option<KeyRecord>> {
        let pager = self
            .client
            .list_secret_properties_versions(
                secret_name,
                Some(SecretClientListSecretPropertiesVersionsOptions {
                    maxresults: Some(PAGE_SIZE),
                    ..Default::default()
                }),
            )
            .map_err(|e| self.map(e, "read the key's settings"))?;
        let all = match collect_pages(pager).await {
            Ok(all) => all,
            Err(error) => {
                let mapped = self.map(error, "read the key's settings");
                if mapped.code == ErrorCode::SecretNotFound {
                    return Ok(None);
                }
                return Err(mapped);
            }
        };
        // Key Vault's current version is the newest one.
        let mut newest: Option<SecretParts> = None;
        for properties in all {
            let Some(parts) = parts_from_properties(&properties) else {
                continue;
            };
            if newest.as_ref().is_none_or(|n| parts.created > n.created) {
                newest = Some(parts);
            }
        }
        Ok(newest.and_then(|mut parts| {
            parts.name = secret_name.to_string();
            record_from_parts(parts, self.stamp_key().as_ref())
        }))
    }

    async fn read_value(&self, secret_name: &str, version: Option<&str>) -> AppResult<SecretValue> {
        let response = self
            .client
            .get_secret(
                secret_name,
                Some(SecretClientGetSecretOptions {
                    secret_version: version.map(str::to_string),
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| self.map(e, "read the key"))?;
        let secret = response
            .into_model()
            .map_err(|e| self.map(e, "read the key"))?;
        let value = secret.value.unwrap_or_default();
        let wrapped = SecretValue::new(value.as_str());
        drop(zeroize::Zeroizing::new(value));
        Ok(wrapped)
    }

    async fn write_key(&self, record: &KeyRecord, value: &SecretValue) -> AppResult<KeyRecord> {
        let parameters = SetSecretParameters {
            value: Some(value.expose().to_string()),
            content_type: Some(CONTENT_TYPE.to_string()),
            secret_attributes: Some(attributes(record)),
            tags: Some(record_to_tags(record, self.stamp_key().as_ref())),
        };
        let body = parameters
            .try_into()
            .map_err(|e| self.map(e, "save the key"))?;
        let response = self
            .client
            .set_secret(&record.secret_name, body, None)
            .await
            .map_err(|e| self.map(e, "save the key"))?;
        let mut secret = response
            .into_model()
            .map_err(|e| self.map(e, "save the key"))?;
        // The service echoes the value; clear our copy of it at once.
        if let Some(echo) = secret.value.take() {
            drop(zeroize::Zeroizing::new(echo));
        }
        let version = secret
            .resource_id()
            .ok()
            .and_then(|id| id.version)
            .unwrap_or_default();
        let attrs = secret.attributes.as_ref();
        let mut stored = record.clone();
        stored.version = version;
        stored.created = to_chrono(attrs.and_then(|a| a.created));
        stored.updated = to_chrono(attrs.and_then(|a| a.updated));
        Ok(stored)
    }

    async fn update_key(&self, record: &KeyRecord) -> AppResult<KeyRecord> {
        let parameters = UpdateSecretPropertiesParameters {
            content_type: Some(CONTENT_TYPE.to_string()),
            secret_attributes: Some(attributes(record)),
            tags: Some(record_to_tags(record, self.stamp_key().as_ref())),
        };
        let body = parameters
            .try_into()
            .map_err(|e| self.map(e, "update the key"))?;
        let version = (!record.version.is_empty()).then(|| record.version.clone());
        let response = self
            .client
            .update_secret_properties(
                &record.secret_name,
                body,
                Some(SecretClientUpdateSecretPropertiesOptions {
                    secret_version: version,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| self.map(e, "update the key"))?;
        let secret = response
            .into_model()
            .map_err(|e| self.map(e, "update the key"))?;
        let mut stored = record.clone();
        stored.updated = to_chrono(secret.attributes.as_ref().and_then(|a| a.updated));
        Ok(stored)
    }

    async fn list_versions(&self, secret_name: &str) -> AppResult<Vec<KeyVersion>> {
        let pager = self
            .client
            .list_secret_properties_versions(
                secret_name,
                Some(SecretClientListSecretPropertiesVersionsOptions {
                    maxresults: Some(PAGE_SIZE),
                    ..Default::default()
                }),
            )
            .map_err(|e| self.map(e, "list versions"))?;
        let mut versions = Vec::new();
        for properties in collect_pages(pager)
            .await
            .map_err(|e| self.map(e, "list versions"))?
        {
            let Some(parts) = parts_from_properties(&properties) else {
                continue;
            };
            let rotated = parts
                .tags
                .get(tags::TAG_ROTATED)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|d| d.with_timezone(&Utc));
            versions.push(KeyVersion {
                masked_preview: parts
                    .tags
                    .get(tags::TAG_PREVIEW)
                    .cloned()
                    .unwrap_or_default(),
                version: parts.version,
                created: parts.created,
                enabled: parts.enabled,
                expires: parts.expires,
                last_rotated: rotated,
            });
        }
        // Newest first.
        // Newest first. `created` has whole seconds only; the rotation time breaks ties.
        versions.sort_by_key(|v| std::cmp::Reverse((v.created, v.last_rotated)));
        Ok(versions)
    }

    async fn delete_key(&self, secret_name: &str) -> AppResult<DeletedKey> {
        let response = self
            .client
            .delete_secret(secret_name, None)
            .await
            .map_err(|e| self.map(e, "delete the key"))?;
        let deleted = response
            .into_model()
            .map_err(|e| self.map(e, "delete the key"))?;
        let tags: HashMap<String, String> = deleted.tags.clone().unwrap_or_default();
        let protected = deleted
            .attributes
            .as_ref()
            .and_then(|a| a.recovery_level.as_ref())
            .is_some_and(|level| !format!("{level:?}").contains("Purgeable"));
        Ok(DeletedKey {
            secret_name: secret_name.to_string(),
            vendor_id: tags.get(tags::TAG_VENDOR).cloned().unwrap_or_default(),
            masked_preview: tags.get(tags::TAG_PREVIEW).cloned().unwrap_or_default(),
            deleted_on: to_chrono(deleted.deleted_date),
            scheduled_purge: to_chrono(deleted.scheduled_purge_date),
            purge_protected: protected,
        })
    }

    async fn list_deleted(&self) -> AppResult<Vec<DeletedKey>> {
        let pager = self
            .client
            .list_deleted_secret_properties(Some(SecretClientListDeletedSecretPropertiesOptions {
                maxresults: Some(PAGE_SIZE),
                ..Default::default()
            }))
            .map_err(|e| self.map(e, "list deleted keys"))?;
        let mut deleted = Vec::new();
        for properties in collect_pages(pager)
            .await
            .map_err(|e| self.map(e, "list deleted keys"))?
        {
            if properties.content_type.as_deref() != Some(CONTENT_TYPE) {
                continue;
            }
            deleted.push(deleted_from_properties(&properties));
        }
        Ok(deleted)
    }

    async fn recover_key(&self, secret_name: &str) -> AppResult<()> {
        self.client
            .recover_deleted_secret(secret_name, None)
            .await
            .map_err(|e| self.map(e, "recover the key"))?;
        Ok(())
    }

    async fn purge_key(&self, secret_name: &str) -> AppResult<()> {
        self.client
            .purge_deleted_secret(secret_name, None)
            .await
            .map_err(|e| self.map(e, "purge the key"))?;
        Ok(())
    }

    async fn read_document(&self, document: &ConsoleDocument) -> AppResult<Option<String>> {
        match self.client.get_secret(&document.secret_name(), None).await {
            Ok(response) => {
                let secret = response
                    .into_model()
                    .map_err(|e| self.map(e, "read the console's settings"))?;
                Ok(secret.value)
            }
            Err(error) => {
                let mapped = self.map(error, "read the console's settings");
                if mapped.code == ErrorCode::SecretNotFound {
                    Ok(None)
                } else {
                    Err(mapped)
                }
            }
        }
    }

    async fn write_document_tagged(
        &self,
        document: &ConsoleDocument,
        json: &str,
        tags: &HashMap<String, String>,
    ) -> AppResult<()> {
        let parameters = SetSecretParameters {
            value: Some(json.to_string()),
            content_type: Some(DOCUMENT_CONTENT_TYPE.to_string()),
            tags: (!tags.is_empty()).then(|| tags.clone()),
            ..Default::default()
        };
        let body = parameters
            .try_into()
            .map_err(|e| self.map(e, "save the console's settings"))?;
        self.client
            .set_secret(&document.secret_name(), body, None)
            .await
            .map_err(|e| self.map(e, "save the console's settings"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_ids() {
        assert_eq!(
            name_from_id(Some("https://v.vault.azure.net/deletedsecrets/ninjaone")),
            "ninjaone"
        );
        assert_eq!(
            name_from_id(Some("https://127.0.0.1:8443/secrets/a--b/0123")),
            "a--b"
        );
    }
}
