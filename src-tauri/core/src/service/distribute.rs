//! The Distribute tab: a card per role listing every vendor with a stored key and whether the
//! role may use it. Only an Admin changes the policy; every change is audited.

use serde::Serialize;
use ts_rs::TS;

use super::{Console, Operator, format_date, vendor_name};
use crate::audit::AuditAction;
use crate::domain::catalog::{self, Category};
use crate::domain::policy::{AdminAction, Role, check_admin};
use crate::error::AppResult;
use crate::store::ConsoleDocument;

/// Shown on the tab and in the README: what the enforcement is and is not.
pub const ENFORCEMENT_NOTE: &str = "These toggles are enforced by the console: every technician's console signs in with the same app registration, so Azure sees one identity. For a hard boundary, give each group its own app registration and Key Vault role (Azure RBAC).";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RoleVendor {
    pub vendor_id: String,
    pub vendor_name: String,
    pub category: Category,
    pub category_colour: String,
    pub granted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RoleCard {
    pub role: Role,
    pub intended_for: String,
    /// Admin's card is fixed: Admin always has every key.
    pub editable: bool,
    pub granted: usize,
    pub vendors: Vec<RoleVendor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DistributionView {
    pub roles: Vec<RoleCard>,
    /// Whether the current operator may change toggles (Admin only).
    pub can_edit: bool,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
    pub enforcement_note: String,
}

impl Console {
    pub async fn distribution_view(&self, operator: &Operator) -> AppResult<DistributionView> {
        let keys = self.refresh_keys().await?;
        let policy = self.refresh_policy().await?;
        // Vendors with a stored key, in catalog order.
        let vendors: Vec<&catalog::Vendor> = catalog::catalog()
            .iter()
            .filter(|v| keys.iter().any(|k| k.vendor_id == v.id))
            .collect();
        let roles = Role::ALL
            .into_iter()
            .map(|role| {
                let entries: Vec<RoleVendor> = vendors
                    .iter()
                    .map(|v| RoleVendor {
                        vendor_id: v.id.clone(),
                        vendor_name: v.name.clone(),
                        category: v.category,
                        category_colour: v.category.colour_hex(),
                        granted: policy.allows(role, &v.id),
                    })
                    .collect();
                RoleCard {
                    role,
                    intended_for: role.intended_for().to_string(),
                    editable: role != Role::Admin,
                    granted: entries.iter().filter(|e| e.granted).count(),
                    vendors: entries,
                }
            })
            .collect();
        Ok(DistributionView {
            roles,
            can_edit: operator.role == Role::Admin,
            updated_at: policy.updated_at.map(format_date),
            updated_by: policy.updated_by.clone(),
            enforcement_note: ENFORCEMENT_NOTE.to_string(),
        })
    }

    /// Grant or revoke one vendor for one role, and save the policy in the vault for every console.
    pub async fn set_access(
        &self,
        operator: &Operator,
        role: Role,
        vendor_id: &str,
        allowed: bool,
    ) -> AppResult<DistributionView> {
        let note = format!(
            "{}: {}",
            role.label(),
            if allowed { "granted" } else { "revoked" }
        );
        if let Err(error) = check_admin(operator.role, AdminAction::ChangePolicy) {
            self.record(
                operator,
                AuditAction::Distribute,
                Some(vendor_id),
                None,
                Err(&error),
                note,
            )
            .await;
            return Err(error);
        }
        let _serial = self.policy_lock.lock().await;
        let result = async {
            // Start from the vault's copy so a change made at another console is not overwritten.
            let mut policy = self.refresh_policy().await?;
            policy.set(role, vendor_id, allowed)?;
            policy.updated_at = Some(chrono::Utc::now());
            policy.updated_by = Some(operator.name.clone());
            self.store
                .write_document(&ConsoleDocument::RolePolicy, &policy.to_json())
                .await?;
            self.set_policy(policy);
            Ok(())
        }
        .await;
        self.record(
            operator,
            AuditAction::Distribute,
            Some(vendor_id),
            None,
            result.as_ref().map(|_| ()),
            note,
        )
        .await;
        result?;
        self.distribution_view(operator).await
    }

    /// Audit a change of the operator profile (name or role).
    pub async fn record_profile_change(&self, operator: &Operator, before: Option<&Operator>) {
        let note = match before {
            Some(previous) if previous.role != operator.role => {
                format!("role {} → {}", previous.role.label(), operator.role.label())
            }
            Some(previous) if previous.name != operator.name => {
                format!("name {} → {}", previous.name, operator.name)
            }
            Some(_) => "profile saved".to_string(),
            None => format!("profile created ({})", operator.role.label()),
        };
        self.record(
            operator,
            AuditAction::ProfileChange,
            None,
            None,
            super::AuditResult::Ok,
            note,
        )
        .await;
    }
}

/// Display name helper re-exported for the commands' toasts.
pub fn describe_grant(role: Role, vendor_id: &str, allowed: bool) -> String {
    format!(
        "{} {} {}",
        role.label(),
        if allowed {
            "may now use"
        } else {
            "may no longer use"
        },
        vendor_name(vendor_id)
    )
}
