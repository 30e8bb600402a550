//! Revocation and destruction: revoke (disable, then soft-delete), the deleted keys, recover
//! and purge. Every step is authorized by the role policy and audited.

use serde::Serialize;
use ts_rs::TS;

use super::{AuditResult, Console, Operator, format_date, vendor_name};
use crate::audit::AuditAction;
use crate::domain::policy::KeyAction;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::DeletedKey;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeletedView {
    pub secret_name: String,
    pub vendor_name: String,
    pub masked_preview: String,
    pub deleted_on: Option<String>,
    pub scheduled_purge: Option<String>,
    pub purge_protected: bool,
}

fn deleted_view(deleted: DeletedKey) -> DeletedView {
    DeletedView {
        vendor_name: vendor_name(&deleted.vendor_id),
        secret_name: deleted.secret_name,
        masked_preview: deleted.masked_preview,
        deleted_on: deleted.deleted_on.map(format_date),
        scheduled_purge: deleted.scheduled_purge.map(format_date),
        purge_protected: deleted.purge_protected,
    }
}

impl Console {
    /// Revoke: disable first (blocks use at once), then soft-delete.
    pub async fn delete_key(
        &self,
        operator: &Operator,
        secret_name: &str,
    ) -> AppResult<DeletedView> {
        self.delete_key_checked(operator, secret_name, &[]).await
    }

    /// Revoke with the "used by" checklist: the ticked entries go into the audit note.
    pub async fn delete_key_checked(
        &self,
        operator: &Operator,
        secret_name: &str,
        used_by_checked: &[String],
    ) -> AppResult<DeletedView> {
        let mut record = self.fresh_key(secret_name).await?;
        let checklist = self
            .used_by_note(secret_name, used_by_checked)
            .await
            .map(|note| format!("; {note}"))
            .unwrap_or_default();
        self.authorize(operator, &record, KeyAction::Delete, AuditAction::Delete)?;
        let mut disabled_now = false;
        if record.enabled {
            record.enabled = false;
            match self.store.update_key(&record).await {
                Ok(updated) => {
                    disabled_now = true;
                    self.remember_key(&updated);
                }
                Err(error) => {
                    self.record(
                        operator,
                        AuditAction::Delete,
                        Some(&record.vendor_id),
                        Some(secret_name),
                        Err(&error),
                        "could not disable; nothing changed",
                    )
                    .await;
                    return Err(error);
                }
            }
        }
        match self.store.delete_key(secret_name).await {
            Ok(deleted) => {
                self.record(
                    operator,
                    AuditAction::Delete,
                    Some(&record.vendor_id),
                    Some(secret_name),
                    AuditResult::Ok,
                    format!("disabled, then soft-deleted{checklist}"),
                )
                .await;
                self.forget_key(secret_name);
                Ok(deleted_view(deleted))
            }
            Err(mut error) => {
                // The key is already disabled in the vault: say so rather than hide it.
                let note = if disabled_now {
                    "disabled, but the delete failed"
                } else {
                    "the delete failed"
                };
                self.record(
                    operator,
                    AuditAction::Delete,
                    Some(&record.vendor_id),
                    Some(secret_name),
                    Err(&error),
                    note,
                )
                .await;
                if disabled_now {
                    error.message = format!(
                        "The key was disabled, but deleting it failed: {}",
                        error.message
                    );
                    error.hint = format!(
                        "{} It stays disabled until you enable it or retry the delete.",
                        error.hint
                    );
                }
                Err(error)
            }
        }
    }

    pub async fn deleted_keys(&self, operator: &Operator) -> AppResult<Vec<DeletedView>> {
        operator.require_role()?;
        Ok(self
            .store
            .list_deleted()
            .await?
            .into_iter()
            .map(deleted_view)
            .collect())
    }

    pub async fn recover_key(&self, operator: &Operator, secret_name: &str) -> AppResult<()> {
        let vendor_id = self.deleted_vendor(secret_name).await?;
        self.authorize_vendor(
            operator,
            &vendor_id,
            Some(secret_name),
            KeyAction::Recover,
            AuditAction::Recover,
        )?;
        let result = self.store.recover_key(secret_name).await;
        self.record(
            operator,
            AuditAction::Recover,
            Some(&vendor_id),
            Some(secret_name),
            result.as_ref().map(|_| ()),
            "",
        )
        .await;
        result?;
        self.fresh_key(secret_name).await?;
        Ok(())
    }

    /// Purge (destroy): Admin only, and the operator must type the secret name to confirm.
    pub async fn purge_key(
        &self,
        operator: &Operator,
        secret_name: &str,
        confirmation: &str,
    ) -> AppResult<()> {
        let vendor_id = self.deleted_vendor(secret_name).await?;
        self.authorize_vendor(
            operator,
            &vendor_id,
            Some(secret_name),
            KeyAction::Purge,
            AuditAction::Purge,
        )?;
        if confirmation.trim() != secret_name {
            return Err(AppError::field(
                "confirmation",
                format!("Type '{secret_name}' exactly to confirm the purge."),
                "Purging destroys every version for good; the confirmation guards against the wrong row.",
            ));
        }
        let result = self.store.purge_key(secret_name).await;
        self.record(
            operator,
            AuditAction::Purge,
            Some(&vendor_id),
            Some(secret_name),
            result.as_ref().map(|_| ()),
            "",
        )
        .await;
        result
    }

    async fn deleted_vendor(&self, secret_name: &str) -> AppResult<String> {
        self.store
            .list_deleted()
            .await?
            .into_iter()
            .find(|d| d.secret_name == secret_name)
            .map(|d| d.vendor_id)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::SecretNotFound,
                    format!("'{secret_name}' is not among the deleted keys."),
                    "It may have been recovered or purged from another console; refresh the list.",
                )
            })
    }
}
