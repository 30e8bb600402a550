//! The Distribute tab: a card per role listing every vendor with a stored key and whether the
//! role may use it, and (app-secret mode) the roster of who holds which role. Only an Admin
//! changes either; every change is audited.

use chrono::Utc;
use serde::Serialize;
use ts_rs::TS;

use super::{AuditResult, Console, Operator, PolicySource, format_date, vendor_name};
use crate::audit::AuditAction;
use crate::domain::catalog::{self, Category};
use crate::domain::identity::IdentityKind;
use crate::domain::policy::{AccessPolicy, AdminAction, Role, check_admin};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::ConsoleDocument;

/// What the enforcement is and is not, by how the operator signed in (shown on the tab).
pub fn enforcement_note(identity: IdentityKind) -> &'static str {
    match identity {
        IdentityKind::Entra => {
            "Roles come from Entra ID: the app roles Console.Admin, Console.L2, Console.L1 and Console.NOC assigned to each technician or their group. These toggles decide which vendors each role may use in the console. Every technician's Key Vault calls carry their own identity, so Azure RBAC (Secrets Officer or Secrets User) remains the hard boundary underneath."
        }
        IdentityKind::Unverified => {
            "App-secret mode: every console signs in as the same app registration, so Azure sees one identity and the console cannot verify who is typing. The roster below decides each typed name's role; names are not verified. Sign in with Microsoft for identities and roles that Entra vouches for."
        }
        IdentityKind::Demo => {
            "Demo mode: switch roles from your profile to see what each may do. Nothing here leaves memory."
        }
    }
}

/// One name on the roster, as the tab lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RosterRow {
    pub name: String,
    pub role: Role,
    pub added_at: Option<String>,
    pub added_by: Option<String>,
}

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
    pub policy_source: PolicySource,
    /// App-secret mode: the roster (name → role). `None` when roles come from Entra or the demo.
    pub roster: Option<Vec<RosterRow>>,
    /// Which app registration's roles count (the pin), or that none is pinned yet. `None` in
    /// the demo.
    pub app_pin: Option<AppPinView>,
}

/// The console app pinned in the vault's policy, as the Distribute tab shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppPinView {
    pub pinned: bool,
    pub text: String,
}

fn app_pin_view(policy: &AccessPolicy) -> AppPinView {
    match &policy.console_app {
        Some(app) => AppPinView {
            pinned: true,
            text: format!(
                "Roles count only on connections through the console's app registration, {}, pinned in this vault's policy.",
                app.describe()
            ),
        },
        None => AppPinView {
            pinned: false,
            text: "No app registration is pinned yet: roles from any app registration in the tenant are accepted, and anyone there can register an app and give themselves Console.Admin. The next Admin save of this policy (any toggle) pins the app this console signs in through.".to_string(),
        },
    }
}

impl Console {
    pub async fn distribution_view(&self, operator: &Operator) -> AppResult<DistributionView> {
        let keys = self.cached_keys();
        let policy = self.policy();
        // Vendors with a stored key, in catalog order.
        let vendors: Vec<&catalog::Vendor> = self
            .vendors()
            .into_iter()
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
        let roster = (operator.identity == IdentityKind::Unverified).then(|| {
            policy
                .roster
                .iter()
                .flat_map(|roster| roster.values())
                .map(|entry| RosterRow {
                    name: entry.name.clone(),
                    role: entry.role,
                    added_at: entry.added_at.map(format_date),
                    added_by: entry.added_by.clone(),
                })
                .collect()
        });
        Ok(DistributionView {
            roles,
            can_edit: operator.role == Some(Role::Admin),
            updated_at: policy.updated_at.map(format_date),
            updated_by: policy.updated_by.clone(),
            enforcement_note: enforcement_note(operator.identity).to_string(),
            policy_source: self.policy_source(),
            roster,
            app_pin: (operator.identity != IdentityKind::Demo).then(|| app_pin_view(&policy)),
        })
    }

    /// Change the stored policy with `change` (Admin only): read the vault's copy first so a change
    /// made at another console is not overwritten, save it for every console, and audit it.
    pub(super) async fn change_policy(
        &self,
        operator: &Operator,
        action: AuditAction,
        vendor_id: Option<&str>,
        note: String,
        change: impl FnOnce(&mut AccessPolicy, PolicySource) -> AppResult<()>,
    ) -> AppResult<()> {
        if let Err(error) = check_admin(operator.role, AdminAction::ChangePolicy) {
            self.record(operator, action, vendor_id, None, Err(&error), note)
                .await;
            return Err(error);
        }
        let _serial = self.policy_lock.lock().await;
        let result = async {
            let mut policy = self.refresh_policy().await?;
            change(&mut policy, self.policy_source())?;
            // Only an Admin gets here, and only through an app that is not foreign to the pin.
            self.admin_save(&mut policy);
            policy.version = crate::domain::policy::POLICY_FORMAT_VERSION;
            policy.updated_at = Some(Utc::now());
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
            action,
            vendor_id,
            None,
            result.as_ref().map(|_| ()),
            note,
        )
        .await;
        result
    }

    /// Save the product manual's default grants as the vault's policy (Admin only, when the vault
    /// has none yet: until then only Admin may use keys).
    pub async fn save_default_policy(&self, operator: &Operator) -> AppResult<DistributionView> {
        self.change_policy(
            operator,
            AuditAction::Distribute,
            None,
            "saved the manual's default grants as the policy".into(),
            |policy, source| {
                if source != PolicySource::Missing {
                    return Err(AppError::new(
                        ErrorCode::InvalidInput,
                        "This vault already has a role policy.",
                        "Change single grants with the toggles instead.",
                    ));
                }
                let roster = policy.roster.take();
                *policy = AccessPolicy::manual_defaults();
                policy.roster = roster;
                Ok(())
            },
        )
        .await?;
        self.distribution_view(operator).await
    }

    /// Put a name on the roster with a role, or take it off (app-secret mode, Admin only).
    pub async fn set_roster_role(
        &self,
        operator: &Operator,
        name: &str,
        role: Option<Role>,
    ) -> AppResult<DistributionView> {
        let name = crate::domain::validation::validate_text(
            "rosterName",
            "Name",
            name,
            crate::domain::validation::MAX_OWNER_CHARS,
        )?;
        let note = match role {
            Some(role) => format!("{name}: {}", role.label()),
            None => format!("{name}: removed from the roster"),
        };
        let by = operator.name.clone();
        self.change_policy(
            operator,
            AuditAction::RosterChange,
            None,
            note,
            |policy, _| policy.set_roster(&name, role, &by, Utc::now()),
        )
        .await?;
        self.distribution_view(operator).await
    }

    /// App-secret mode on a vault the console has never used: no policy document at all. The first
    /// operator becomes its Admin, the manual's default grants are saved, and the bootstrap is an
    /// audit entry. Returns the policy now in force.
    pub async fn bootstrap_policy(&self, name: &str) -> AppResult<AccessPolicy> {
        let _serial = self.policy_lock.lock().await;
        let mut policy = AccessPolicy::manual_defaults();
        policy.set_roster(
            name,
            Some(Role::Admin),
            "first operator of this vault",
            Utc::now(),
        )?;
        self.admin_save(&mut policy);
        policy.updated_at = Some(Utc::now());
        policy.updated_by = Some(name.to_string());
        self.store
            .write_document(&ConsoleDocument::RolePolicy, &policy.to_json())
            .await?;
        self.set_policy(policy.clone());
        Ok(policy)
    }

    /// The same for a policy written before the roster existed: its grants stay, and the first
    /// operator becomes the roster's Admin.
    pub async fn bootstrap_roster(&self, name: &str) -> AppResult<AccessPolicy> {
        let _serial = self.policy_lock.lock().await;
        let mut policy = self.refresh_policy().await?;
        // Through another app than the pinned one nobody becomes Admin.
        if policy.roster.is_some() || self.foreign_app().is_some() {
            return Ok(policy);
        }
        policy.set_roster(
            name,
            Some(Role::Admin),
            "first operator after the roster was introduced",
            Utc::now(),
        )?;
        self.admin_save(&mut policy);
        policy.version = crate::domain::policy::POLICY_FORMAT_VERSION;
        self.store
            .write_document(&ConsoleDocument::RolePolicy, &policy.to_json())
            .await?;
        self.set_policy(policy.clone());
        Ok(policy)
    }

    /// Audit a bootstrap done by [`Console::bootstrap_policy`] or [`Console::bootstrap_roster`].
    pub async fn record_bootstrap(&self, operator: &Operator, note: &str) {
        self.record(
            operator,
            AuditAction::PolicyBootstrap,
            None,
            None,
            AuditResult::Ok,
            note,
        )
        .await;
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
        self.change_policy(
            operator,
            AuditAction::Distribute,
            Some(vendor_id),
            note,
            |policy, _| policy.set(role, vendor_id, allowed),
        )
        .await?;
        self.distribution_view(operator).await
    }

    /// Audit a change of the operator's name (app-secret mode; the role is never the profile's).
    pub async fn record_profile_change(&self, operator: &Operator, previous_name: Option<&str>) {
        let note = match previous_name {
            Some(previous) if previous != operator.name => {
                format!("name {previous} → {}", operator.name)
            }
            Some(_) => "profile saved".to_string(),
            None => "profile created".to_string(),
        };
        self.record(
            operator,
            AuditAction::ProfileChange,
            None,
            None,
            AuditResult::Ok,
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
