//! Technician roles and the role access policy (which role may use which vendor's key), with the
//! roster of app-secret mode (typed name → role).
//!
//! The policy is console-side enforcement, stored in the vault and shared by every console. Signed
//! in with Microsoft, each technician's role comes from Entra and their Key Vault calls carry their
//! own identity, so Azure RBAC (Secrets Officer vs Secrets User) is the hard boundary under it. In
//! app-secret mode every console is the same app to Azure, and the roster is only as strong as the
//! honesty of the name typed at the console.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::catalog::{self, Category};
use crate::domain::identity::{ConsoleApp, ForeignApp, Operator, roster_key};
use crate::error::{AppError, AppResult, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum Role {
    Admin,
    L2,
    L1,
    #[serde(rename = "NOC")]
    Noc,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::L2, Role::L1, Role::Noc];

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::L2 => "L2",
            Role::L1 => "L1",
            Role::Noc => "NOC",
        }
    }

    pub fn intended_for(self) -> &'static str {
        match self {
            Role::Admin => "Senior engineers and security leads",
            Role::L2 => "Level 2 technicians",
            Role::L1 => "Level 1 and helpdesk",
            Role::Noc => "NOC analysts (monitoring)",
        }
    }

    /// Categories a role gets by default (product manual, "Distributing Keys to Technicians").
    pub fn default_categories(self) -> &'static [Category] {
        match self {
            Role::Admin => &Category::ALL,
            Role::L2 => &[
                Category::Rmm,
                Category::Psa,
                Category::SecurityEdr,
                Category::Network,
                Category::Backup,
            ],
            Role::L1 => &[Category::Rmm, Category::Psa],
            Role::Noc => &[
                Category::Rmm,
                Category::SecurityEdr,
                Category::EmailSecurity,
            ],
        }
    }
}

/// What an operator tries to do with one vendor's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum KeyAction {
    Copy,
    Test,
    Add,
    Rotate,
    Restore,
    Update,
    Disable,
    Enable,
    Delete,
    Recover,
    Purge,
}

impl KeyAction {
    pub const ALL: [KeyAction; 11] = [
        KeyAction::Copy,
        KeyAction::Test,
        KeyAction::Add,
        KeyAction::Rotate,
        KeyAction::Restore,
        KeyAction::Update,
        KeyAction::Disable,
        KeyAction::Enable,
        KeyAction::Delete,
        KeyAction::Recover,
        KeyAction::Purge,
    ];

    fn verb(self) -> &'static str {
        match self {
            KeyAction::Copy => "copy",
            KeyAction::Test => "test",
            KeyAction::Add => "add",
            KeyAction::Rotate => "rotate",
            KeyAction::Restore => "restore a version of",
            KeyAction::Update => "change the settings of",
            KeyAction::Disable => "disable",
            KeyAction::Enable => "enable",
            KeyAction::Delete => "delete",
            KeyAction::Recover => "recover",
            KeyAction::Purge => "purge",
        }
    }
}

/// One name on the roster (app-secret mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    /// The name as the Admin entered it.
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub added_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub added_by: Option<String>,
}

/// The shared policy document, stored as a console secret in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPolicy {
    /// Format version of this document.
    pub version: u32,
    /// Vendor ids each non-Admin role may use. Admin always has every vendor.
    pub grants: BTreeMap<Role, BTreeSet<String>>,
    /// App-secret mode: who holds which role, keyed by [`roster_key`]. `None` in documents
    /// written before the roster existed.
    #[serde(default)]
    pub roster: Option<BTreeMap<String, RosterEntry>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_by: Option<String>,
    /// The console's own app registration: roles (Entra's `roles` claim, the roster) count only
    /// on connections through it, since anyone in a tenant may register an app and give
    /// themselves its app roles. Set by an Admin's save; `None` in documents written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_app: Option<ConsoleApp>,
    /// The key of the consoles' outside-change stamps on keys (see `store::tags`). Created by an
    /// Admin's save or an Admin's first connect; `None` in documents written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp_key: Option<StampKey>,
}

/// A random HMAC-SHA256 key only the consoles know (it lives in the policy document, which
/// technicians' consoles read and tag writers elsewhere need not), and when it was made: stamps
/// that cannot be verified with it are trusted only on secrets Key Vault last changed before it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StampKey {
    /// 32 bytes, hex.
    pub key: String,
    pub created: DateTime<Utc>,
}

impl std::fmt::Debug for StampKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StampKey([redacted], created {})", self.created)
    }
}

impl StampKey {
    pub fn generate(now: DateTime<Utc>) -> StampKey {
        StampKey {
            key: hex::encode(rand::random::<[u8; 32]>()),
            created: now,
        }
    }

    /// The key's bytes; `None` for a damaged document (then nothing is verified).
    pub fn bytes(&self) -> Option<[u8; 32]> {
        hex::decode(&self.key).ok()?.try_into().ok()
    }
}

/// 3: the pinned console app.
pub const POLICY_FORMAT_VERSION: u32 = 3;

impl AccessPolicy {
    /// The product manual's default grants (Admin all; L2 RMM, PSA, EDR, Network, Backup; L1 RMM,
    /// PSA; NOC RMM, EDR, Email Security). Only ever saved on purpose: a vault without a policy
    /// document is admin-only.
    pub fn manual_defaults() -> AccessPolicy {
        let mut grants = BTreeMap::new();
        for role in [Role::L2, Role::L1, Role::Noc] {
            let vendors = catalog::catalog()
                .iter()
                .filter(|v| role.default_categories().contains(&v.category))
                .map(|v| v.id.clone())
                .collect();
            grants.insert(role, vendors);
        }
        AccessPolicy {
            version: POLICY_FORMAT_VERSION,
            grants,
            roster: None,
            updated_at: None,
            updated_by: None,
            console_app: None,
            stamp_key: None,
        }
    }

    /// What applies when no policy is stored, or it cannot be read: only Admin may use keys, so a
    /// missing, damaged or tampered document never grants more than the Admin set.
    pub fn admin_only() -> AccessPolicy {
        AccessPolicy {
            version: POLICY_FORMAT_VERSION,
            grants: BTreeMap::new(),
            roster: None,
            updated_at: None,
            updated_by: None,
            console_app: None,
            stamp_key: None,
        }
    }

    /// Whether roles on a connection through `app` count: `Some` names the pinned app it is
    /// not. An unpinned policy accepts any app (as before the pin existed; the Distribute tab
    /// says so until an Admin saves the policy).
    pub fn foreign_app(&self, app: &ConsoleApp) -> Option<ForeignApp> {
        self.console_app
            .as_ref()
            .filter(|pinned| !pinned.same(app))
            .map(|pinned| ForeignApp {
                pinned: pinned.clone(),
                used: app.clone(),
            })
    }

    /// The roster's role for a typed name (app-secret mode).
    pub fn roster_role(&self, name: &str) -> Option<Role> {
        self.roster
            .as_ref()
            .and_then(|roster| roster.get(&roster_key(name)))
            .map(|entry| entry.role)
    }

    /// Put a name on the roster with a role, or take it off (`None`). Refuses to remove or demote
    /// the last Admin, so the roster can never lock every operator out of the policy.
    pub fn set_roster(
        &mut self,
        name: &str,
        role: Option<Role>,
        by: &str,
        at: DateTime<Utc>,
    ) -> AppResult<()> {
        let key = roster_key(name);
        if key.is_empty() {
            return Err(AppError::field(
                "rosterName",
                "Enter the technician's name.",
                "Use the name they type into their console's profile.",
            ));
        }
        let roster = self.roster.get_or_insert_with(BTreeMap::new);
        let was_admin = roster.get(&key).is_some_and(|e| e.role == Role::Admin);
        let admins = roster.values().filter(|e| e.role == Role::Admin).count();
        if was_admin && role != Some(Role::Admin) && admins <= 1 {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "This is the roster's only Admin.",
                "Add another Admin first; the roster always keeps at least one.",
            ));
        }
        match role {
            Some(role) => {
                roster.insert(
                    key,
                    RosterEntry {
                        name: name.split_whitespace().collect::<Vec<_>>().join(" "),
                        role,
                        added_at: Some(at),
                        added_by: Some(by.to_string()),
                    },
                );
            }
            None => {
                roster.remove(&key);
            }
        }
        Ok(())
    }

    pub fn allows(&self, role: Role, vendor_id: &str) -> bool {
        role == Role::Admin
            || self
                .grants
                .get(&role)
                .is_some_and(|vendors| vendors.contains(vendor_id))
    }

    /// Grant or revoke one vendor for one role. Admin's access cannot be narrowed, so the
    /// console can never lock every operator out of a key.
    pub fn set(&mut self, role: Role, vendor_id: &str, allowed: bool) -> AppResult<()> {
        if role == Role::Admin {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "Admin always has access to every key.",
                "Narrow access for L2, L1 or NOC instead.",
            ));
        }
        if catalog::vendor(vendor_id).is_none() {
            return Err(AppError::new(
                ErrorCode::UnknownVendor,
                format!("'{vendor_id}' is not a vendor of the catalog."),
                "Reload the Distribute tab and try again.",
            ));
        }
        let vendors = self.grants.entry(role).or_default();
        if allowed {
            vendors.insert(vendor_id.to_string());
        } else {
            vendors.remove(vendor_id);
        }
        Ok(())
    }

    pub fn from_json(text: &str) -> AppResult<AccessPolicy> {
        serde_json::from_str(text).map_err(|error| {
            AppError::new(
                ErrorCode::UnexpectedResponse,
                format!("The role policy stored in the vault could not be read ({error})."),
                "An Admin can save it again from the Distribute tab (toggle any vendor).",
            )
        })
    }

    pub fn to_json(&self) -> String {
        // A struct of maps and strings always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Refuse a key action the operator's role lacks (or any, without a role). Purge is Admin-only
/// whatever the grants say.
pub fn check_operator_action(
    policy: &AccessPolicy,
    operator: &Operator,
    vendor_id: &str,
    vendor_name: &str,
    action: KeyAction,
) -> AppResult<()> {
    let role = operator.require_role()?;
    check_key_action(policy, role, vendor_id, vendor_name, action)
}

/// Refuse a key action the role lacks. Purge is Admin-only whatever the grants say.
pub fn check_key_action(
    policy: &AccessPolicy,
    role: Role,
    vendor_id: &str,
    vendor_name: &str,
    action: KeyAction,
) -> AppResult<()> {
    if action == KeyAction::Purge && role != Role::Admin {
        return Err(admin_only("purge keys"));
    }
    if policy.allows(role, vendor_id) {
        return Ok(());
    }
    Err(AppError::new(
        ErrorCode::AccessDenied,
        format!(
            "Your role ({}) may not {} the {vendor_name} key.",
            role.label(),
            action.verb()
        ),
        "Access is set per role on the Distribute tab. Ask an Admin to grant your role this vendor.",
    ))
}

/// Console-wide actions only an Admin may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    ChangePolicy,
    ChangeRole,
    AcknowledgeTamper,
    /// Adopting makes any secret of the vault (a database password, another app's secret) a
    /// vendor key that the vendor's roles may then copy, so only an Admin decides it.
    Adopt,
    /// Custom vendors decide where keys of theirs are sent.
    ChangeVendors,
}

pub fn check_admin(role: Option<Role>, action: AdminAction) -> AppResult<()> {
    if role == Some(Role::Admin) {
        return Ok(());
    }
    Err(admin_only(match action {
        AdminAction::ChangePolicy => "change which roles may use which keys",
        AdminAction::ChangeRole => "change an operator's role",
        AdminAction::AcknowledgeTamper => "acknowledge a detected tampering of the audit log",
        AdminAction::Adopt => "adopt secrets the console did not create",
        AdminAction::ChangeVendors => "create, change or remove custom vendors",
    }))
}

fn admin_only(what: &str) -> AppError {
    AppError::new(
        ErrorCode::AdminOnly,
        format!("Only an Admin may {what}."),
        "Ask an Admin to do it from their console.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor_in(category: Category) -> &'static str {
        catalog::catalog()
            .iter()
            .find(|v| v.category == category)
            .map(|v| v.id.as_str())
            .expect("catalog covers every category")
    }

    #[test]
    fn default_policy_follows_the_manual() {
        let policy = AccessPolicy::manual_defaults();
        for category in Category::ALL {
            let vendor = vendor_in(category);
            assert!(policy.allows(Role::Admin, vendor));
            let l2 = matches!(
                category,
                Category::Rmm
                    | Category::Psa
                    | Category::SecurityEdr
                    | Category::Network
                    | Category::Backup
            );
            let l1 = matches!(category, Category::Rmm | Category::Psa);
            let noc = matches!(
                category,
                Category::Rmm | Category::SecurityEdr | Category::EmailSecurity
            );
            assert_eq!(policy.allows(Role::L2, vendor), l2, "L2 {category:?}");
            assert_eq!(policy.allows(Role::L1, vendor), l1, "L1 {category:?}");
            assert_eq!(policy.allows(Role::Noc, vendor), noc, "NOC {category:?}");
        }
    }

    #[test]
    fn enforcement_matrix_every_role_and_action() {
        let policy = AccessPolicy::manual_defaults();
        let rmm = vendor_in(Category::Rmm);
        let backup = vendor_in(Category::Backup);
        for role in Role::ALL {
            for action in KeyAction::ALL {
                for vendor in [rmm, backup] {
                    let result = check_key_action(&policy, role, vendor, "Vendor", action);
                    let expected = if action == KeyAction::Purge {
                        role == Role::Admin
                    } else {
                        policy.allows(role, vendor)
                    };
                    assert_eq!(result.is_ok(), expected, "{role:?} {action:?} {vendor}");
                    if let Err(error) = result {
                        let code = if action == KeyAction::Purge {
                            ErrorCode::AdminOnly
                        } else {
                            ErrorCode::AccessDenied
                        };
                        assert_eq!(error.code, code);
                    }
                }
            }
            assert_eq!(
                check_admin(Some(role), AdminAction::ChangePolicy).is_ok(),
                role == Role::Admin
            );
            assert_eq!(
                check_admin(Some(role), AdminAction::ChangeRole).is_ok(),
                role == Role::Admin
            );
            assert_eq!(
                check_admin(Some(role), AdminAction::Adopt).is_ok(),
                role == Role::Admin
            );
        }
        assert!(check_admin(None, AdminAction::ChangePolicy).is_err());
    }

    #[test]
    fn without_a_role_nothing_is_allowed() {
        let policy = AccessPolicy::manual_defaults();
        let nobody = Operator::unverified("Sam", None);
        for action in KeyAction::ALL {
            let error =
                check_operator_action(&policy, &nobody, vendor_in(Category::Rmm), "RMM", action)
                    .expect_err("no role, no access");
            assert_eq!(error.code, ErrorCode::NotOnRoster);
        }
    }

    #[test]
    fn a_missing_policy_is_admin_only_not_the_defaults() {
        let policy = AccessPolicy::admin_only();
        for role in [Role::L2, Role::L1, Role::Noc] {
            assert!(!policy.allows(role, vendor_in(Category::Rmm)));
        }
        assert!(policy.allows(Role::Admin, vendor_in(Category::Rmm)));
    }

    #[test]
    fn the_roster_keeps_one_admin_and_ignores_case() {
        let now = chrono::Utc::now();
        let mut policy = AccessPolicy::manual_defaults();
        policy
            .set_roster("Dana Reyes", Some(Role::Admin), "bootstrap", now)
            .expect("add");
        policy
            .set_roster("Lee", Some(Role::L1), "Dana Reyes", now)
            .expect("add");
        assert_eq!(policy.roster_role("dana  reyes"), Some(Role::Admin));
        assert_eq!(policy.roster_role("LEE"), Some(Role::L1));
        assert_eq!(policy.roster_role("Mallory"), None);
        assert!(
            policy
                .set_roster("Dana Reyes", Some(Role::L2), "Dana Reyes", now)
                .is_err()
        );
        assert!(
            policy
                .set_roster("dana reyes", None, "Dana Reyes", now)
                .is_err()
        );
        policy
            .set_roster("Lee", Some(Role::Admin), "Dana Reyes", now)
            .expect("second admin");
        policy
            .set_roster("Dana Reyes", None, "Lee", now)
            .expect("now removable");
        let reloaded = AccessPolicy::from_json(&policy.to_json()).expect("round trip");
        assert_eq!(reloaded.roster_role("lee"), Some(Role::Admin));
        assert_eq!(reloaded.roster_role("dana reyes"), None);
    }

    #[test]
    fn a_policy_written_before_the_roster_existed_still_reads() {
        let old =
            r#"{"version":1,"grants":{"L1":["ninjaone"]},"updated_at":null,"updated_by":null}"#;
        let policy = AccessPolicy::from_json(old).expect("old document");
        assert!(policy.allows(Role::L1, "ninjaone"));
        assert_eq!(policy.roster, None);
    }

    #[test]
    fn only_the_pinned_app_confers_roles() {
        let console = ConsoleApp {
            tenant_id: "11111111-1111-4111-8111-111111111111".into(),
            client_id: "33333333-3333-4333-8333-333333333333".into(),
        };
        let rogue = ConsoleApp {
            client_id: "44444444-4444-4444-8444-444444444444".into(),
            ..console.clone()
        };
        let mut policy = AccessPolicy::manual_defaults();
        // Before an Admin's save pins it, any app is accepted (as before the pin).
        assert_eq!(policy.foreign_app(&rogue), None);
        policy.console_app = Some(console.clone());
        let reloaded = AccessPolicy::from_json(&policy.to_json()).expect("round trip");
        assert_eq!(reloaded.foreign_app(&console), None);
        let upper = ConsoleApp {
            client_id: console.client_id.to_uppercase(),
            ..console.clone()
        };
        assert_eq!(
            reloaded.foreign_app(&upper),
            None,
            "GUID case is no new app"
        );
        let foreign = reloaded.foreign_app(&rogue).expect("another app");
        assert_eq!(foreign.pinned, console);
        let other_tenant = ConsoleApp {
            tenant_id: "22222222-2222-4222-8222-222222222222".into(),
            ..console.clone()
        };
        assert!(reloaded.foreign_app(&other_tenant).is_some());
        // The refusal drops the role and names the pinned app.
        let operator = Operator::unverified("Mallory", Some(Role::Admin))
            .refuse_foreign_app(reloaded.foreign_app(&rogue));
        assert_eq!(operator.role, None);
        let error = operator.require_role().expect_err("no role");
        assert_eq!(error.code, ErrorCode::ForeignApp);
        assert!(
            error.message.contains(&console.client_id),
            "{}",
            error.message
        );
        assert!(error.hint.contains(&console.client_id));
    }

    #[test]
    fn toggles_change_access_and_survive_json() {
        let mut policy = AccessPolicy::manual_defaults();
        let rmm = vendor_in(Category::Rmm);
        policy.set(Role::L1, rmm, false).expect("toggle off");
        assert!(!policy.allows(Role::L1, rmm));
        let reloaded = AccessPolicy::from_json(&policy.to_json()).expect("round trip");
        assert!(!reloaded.allows(Role::L1, rmm));
        assert!(policy.set(Role::Admin, rmm, false).is_err());
        assert!(policy.set(Role::L1, "not-a-vendor", true).is_err());
    }
}
