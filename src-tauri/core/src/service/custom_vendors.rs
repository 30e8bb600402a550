//! Custom vendors (Admin only): define, change and remove the vault's own vendors, shared by
//! every console on the vault through one stamped console document (see
//! `domain::custom_vendor`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::{Console, NoticeLevel, Operator, PolicySource};
use crate::audit::AuditAction;
use crate::domain::catalog::{self, Vendor};
use crate::domain::custom_vendor::{
    CustomVendor, CustomVendorDocument, CustomVendorRequest, LoadedVendors, validate_for_save,
};
use crate::domain::policy::{AdminAction, StampKey, check_admin};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{ConsoleDocument, StoreKind};

/// One custom vendor as the Admin's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CustomVendorRow {
    pub vendor: CustomVendor,
    /// Secret names of this client's keys of the vendor (removal is refused while any exist).
    pub keys: Vec<String>,
    /// Not used by the console: the document failed its check (see the view's `problem`).
    pub flagged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CustomVendorsView {
    pub rows: Vec<CustomVendorRow>,
    /// The stored document was changed outside the console or cannot be read: its vendors are
    /// listed flagged and not used until an Admin saves the list again.
    #[ts(optional)]
    pub problem: Option<String>,
    pub can_edit: bool,
}

/// What this console made of the vault's document.
#[derive(Debug, Clone, Default)]
pub(crate) struct CustomState {
    pub trusted: Vec<CustomVendor>,
    pub flagged: Vec<CustomVendor>,
    pub problem: Option<String>,
}

impl Console {
    /// Custom vendors are keyed by vault: a demo client has none in common with another.
    pub(crate) fn catalog_scope(&self) -> String {
        match self.store().kind() {
            StoreKind::Azure { vault_url, .. } => vault_url.trim_end_matches('/').to_string(),
            StoreKind::Demo => format!("demo:{}", self.client().id),
        }
    }

    /// The vendors of this client: the catalog's, then the vault's custom ones.
    pub fn vendors(&self) -> Vec<&'static Vendor> {
        catalog::catalog()
            .iter()
            .chain(crate::domain::custom_vendor::registry::of_scope(
                &self.catalog_scope(),
            ))
            .collect()
    }

    /// A vendor this client may hold keys of (a custom vendor of another vault is not one).
    pub fn client_vendor(&self, vendor_id: &str) -> AppResult<&'static Vendor> {
        self.vendors()
            .into_iter()
            .find(|v| v.id == vendor_id)
            .ok_or_else(|| {
                AppError::field(
                    "vendor",
                    "Choose a vendor from the list.",
                    "Every key belongs to a catalog vendor or a custom vendor of this vault.",
                )
            })
    }

    /// Read the vault's document with the policy's stamp key and use what passes.
    pub(crate) async fn load_custom_vendors(&self, key: Option<&StampKey>) {
        let read = self
            .store()
            .read_document(&ConsoleDocument::CustomVendors)
            .await;
        let state = match read {
            Ok(None) => CustomState::default(),
            Ok(Some(text)) => match CustomVendorDocument::load(&text, key) {
                LoadedVendors::None => CustomState::default(),
                LoadedVendors::Trusted(trusted) => CustomState {
                    trusted,
                    ..CustomState::default()
                },
                LoadedVendors::Untrusted { reason, vendors } => {
                    // Said once per finding, not on every policy refresh.
                    let known = Self::lock(&self.custom_vendors).problem.as_deref()
                        == Some(reason.as_str());
                    if !known {
                        self.notify(
                        NoticeLevel::Warning,
                        format!("{reason} Its custom vendors are not used."),
                        Some(
                            "The catalog's vendors work as before. An Admin reviews the Custom vendors list and saves it again."
                                .into(),
                        ),
                    );
                    }
                    CustomState {
                        trusted: Vec::new(),
                        flagged: vendors,
                        problem: Some(reason),
                    }
                }
            },
            // A failed read keeps what this console had (the policy read names the failure).
            Err(_) => return,
        };
        crate::domain::custom_vendor::registry::register(
            &self.catalog_scope(),
            state.trusted.iter().map(CustomVendor::to_vendor).collect(),
        );
        *Self::lock(&self.custom_vendors) = state;
    }

    pub async fn custom_vendors_view(&self, operator: &Operator) -> AppResult<CustomVendorsView> {
        operator.require_role()?;
        self.refresh_policy().await?;
        let keys = self.refresh_keys().await?;
        let state = Self::lock(&self.custom_vendors).clone();
        let keys_of = |id: &str| -> Vec<String> {
            keys.iter()
                .filter(|k| k.vendor_id == id)
                .map(|k| k.secret_name.clone())
                .collect()
        };
        let rows = state
            .trusted
            .iter()
            .map(|v| (v, false))
            .chain(state.flagged.iter().map(|v| (v, true)))
            .map(|(vendor, flagged)| CustomVendorRow {
                keys: keys_of(&vendor.id),
                vendor: vendor.clone(),
                flagged,
            })
            .collect();
        Ok(CustomVendorsView {
            rows,
            problem: state.problem,
            can_edit: check_admin(operator.role, AdminAction::ChangeVendors).is_ok(),
        })
    }

    /// Create (`request.id` absent) or change a custom vendor.
    pub async fn save_custom_vendor(
        &self,
        operator: &Operator,
        request: CustomVendorRequest,
        now: DateTime<Utc>,
    ) -> AppResult<CustomVendorsView> {
        let target = request.id.clone();
        let mut note = String::new();
        let mut vendor_id = target.clone();
        let result = self
            .change_custom_vendors(operator, |vendors| {
                let saved = validate_for_save(&request, vendors, &operator.name, now)?;
                vendor_id = Some(saved.id.clone());
                match vendors.iter_mut().find(|v| v.id == saved.id) {
                    Some(before) => {
                        let changed = saved.changes_from(before);
                        note = if changed.is_empty() {
                            format!("custom vendor {} saved unchanged", saved.id)
                        } else {
                            format!("custom vendor {} changed: {}", saved.id, changed.join(", "))
                        };
                        if before.endpoint != saved.endpoint || before.token_url != saved.token_url
                        {
                            note.push_str(&format!(
                                " (endpoint {} , token URL {})",
                                saved.endpoint,
                                if saved.token_url.is_empty() {
                                    "none"
                                } else {
                                    &saved.token_url
                                }
                            ));
                        }
                        *before = saved;
                    }
                    None => {
                        note = format!(
                            "custom vendor {} created: '{}', {}, {} days, endpoint {}",
                            saved.id,
                            saved.name,
                            saved.category.label(),
                            saved.interval_days,
                            if saved.endpoint.is_empty() {
                                "none"
                            } else {
                                &saved.endpoint
                            }
                        );
                        vendors.push(saved);
                    }
                }
                Ok(())
            })
            .await;
        let note = if note.is_empty() {
            format!(
                "custom vendor {}",
                target.as_deref().unwrap_or(&request.name)
            )
        } else {
            note
        };
        self.record(
            operator,
            AuditAction::VendorChange,
            vendor_id.as_deref(),
            None,
            result.as_ref().map(|_| ()),
            note,
        )
        .await;
        result?;
        self.custom_vendors_view(operator).await
    }

    /// Remove a custom vendor that has no keys; its role grants go with it.
    pub async fn remove_custom_vendor(
        &self,
        operator: &Operator,
        vendor_id: &str,
    ) -> AppResult<CustomVendorsView> {
        let result = async {
            // The vault's listing, not this console's cache: another console may have added one.
            let in_use: Vec<String> = if check_admin(operator.role, AdminAction::ChangeVendors)
                .is_ok()
            {
                self.refresh_keys()
                    .await?
                    .into_iter()
                    .filter(|k| k.vendor_id == vendor_id)
                    .map(|k| k.secret_name)
                    .collect()
            } else {
                Vec::new()
            };
            if !in_use.is_empty() {
                return Err(AppError::new(
                    ErrorCode::VendorInUse,
                    format!(
                        "The custom vendor still has {} key(s): {}.",
                        in_use.len(),
                        in_use.join(", ")
                    ),
                    "Delete those keys (or adopt them under another vendor) first, then remove the vendor.",
                ));
            }
            self.change_custom_vendors(operator, |vendors| {
                let before = vendors.len();
                vendors.retain(|v| v.id != vendor_id);
                if vendors.len() == before {
                    return Err(AppError::new(
                        ErrorCode::UnknownVendor,
                        format!("'{vendor_id}' is not a custom vendor of this vault."),
                        "Reload the list; another console may have removed it.",
                    ));
                }
                Ok(())
            })
            .await
        }
        .await;
        self.record(
            operator,
            AuditAction::VendorChange,
            Some(vendor_id),
            None,
            result.as_ref().map(|_| ()),
            format!("custom vendor {vendor_id} removed"),
        )
        .await;
        result?;
        // Grants of a vendor that no longer exists go too (a later vendor of the same name
        // starts with no role but Admin).
        if self.policy().grants.values().any(|g| g.contains(vendor_id)) {
            self.change_policy(
                operator,
                AuditAction::Distribute,
                Some(vendor_id),
                format!("grants of the removed custom vendor {vendor_id} removed"),
                |policy, _| {
                    for grants in policy.grants.values_mut() {
                        grants.remove(vendor_id);
                    }
                    Ok(())
                },
            )
            .await?;
        }
        self.custom_vendors_view(operator).await
    }

    /// Admin only: read the vault's list, change it, stamp and write it for every console.
    async fn change_custom_vendors(
        &self,
        operator: &Operator,
        change: impl FnOnce(&mut Vec<CustomVendor>) -> AppResult<()>,
    ) -> AppResult<()> {
        check_admin(operator.role, AdminAction::ChangeVendors)?;
        let _serial = self.policy_lock.lock().await;
        let policy = self.refresh_policy().await?;
        if self.policy_source() == PolicySource::Unavailable {
            return Err(AppError::new(
                ErrorCode::PolicyUnavailable,
                "The vault's role policy cannot be read, so custom vendors cannot be signed.",
                "Fix the policy on the Distribute tab first.",
            ));
        }
        let key = match policy.stamp_key.clone() {
            Some(key) => key,
            None => {
                // The stamp key lives in the policy: an Admin's save creates it.
                let mut policy = policy.clone();
                self.admin_save(&mut policy);
                policy.updated_at = Some(Utc::now());
                policy.updated_by = Some(operator.name.clone());
                self.store()
                    .write_document(&ConsoleDocument::RolePolicy, &policy.to_json())
                    .await?;
                self.set_policy(policy.clone());
                policy
                    .stamp_key
                    .clone()
                    .ok_or_else(|| AppError::internal("no stamp key"))?
            }
        };
        // Only vendors that passed the check are carried over: a flagged document's content is
        // never signed by a save that did not look at it.
        let mut vendors = Self::lock(&self.custom_vendors).trusted.clone();
        change(&mut vendors)?;
        let document = CustomVendorDocument::stamped(vendors, &key)?;
        self.store()
            .write_document(&ConsoleDocument::CustomVendors, &document.to_json())
            .await?;
        self.load_custom_vendors(Some(&key)).await;
        Ok(())
    }
}
