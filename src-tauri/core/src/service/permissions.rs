//! What the technician at the console may do on one client, asked before the click: the UI
//! disables what is refused and shows the reason on hover. Every answer comes from the same checks
//! the actions run (`check_operator_action`, `check_admin`), so the view and the enforcement
//! cannot disagree; the actions still check again.

use serde::Serialize;
use ts_rs::TS;

use super::{Console, Operator};
use crate::domain::catalog;
use crate::domain::identity::{APP_ROLES, IdentityKind};
use crate::domain::policy::{AdminAction, KeyAction, Role, check_admin, check_operator_action};
use crate::error::ErrorCode;

/// Actions that are not about one vendor's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ConsoleAction {
    AddKey,
    Adopt,
    RotateAllDue,
    DistributeSave,
    AuditVerify,
    AuditExport,
}

impl ConsoleAction {
    pub const ALL: [ConsoleAction; 6] = [
        ConsoleAction::AddKey,
        ConsoleAction::Adopt,
        ConsoleAction::RotateAllDue,
        ConsoleAction::DistributeSave,
        ConsoleAction::AuditVerify,
        ConsoleAction::AuditExport,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConsolePermission {
    pub action: ConsoleAction,
    pub allowed: bool,
    /// Why not, in words a technician can act on; `None` when allowed.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyPermission {
    pub action: KeyAction,
    pub allowed: bool,
    pub reason: Option<String>,
}

/// The refused key actions of one vendor (allowed ones are left out to keep the view small).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VendorPermissions {
    pub vendor_id: String,
    pub refused: Vec<KeyPermission>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AllowedActions {
    pub client_id: String,
    pub role: Option<Role>,
    /// The role as the technician knows it: the Entra app role (`Console.L1`) when signed in
    /// with Microsoft, the roster's or demo's role name otherwise.
    pub role_name: String,
    pub console: Vec<ConsolePermission>,
    /// Every catalog vendor with at least one refused key action.
    pub vendors: Vec<VendorPermissions>,
}

/// "Console.L1" signed in with Microsoft, "L1" on the roster or in the demo, "no role".
pub fn role_name(operator: &Operator) -> String {
    match operator.role {
        None => "without a console role".to_string(),
        Some(role) if operator.identity == IdentityKind::Entra => APP_ROLES
            .iter()
            .find(|(_, r)| *r == role)
            .map(|(value, _)| value.to_string())
            .unwrap_or_else(|| role.label().to_string()),
        Some(role) => role.label().to_string(),
    }
}

fn admin_name(operator: &Operator) -> &'static str {
    if operator.identity == IdentityKind::Entra {
        "Console.Admin"
    } else {
        "Admin"
    }
}

fn gerund(action: KeyAction) -> &'static str {
    match action {
        KeyAction::Copy => "Copying",
        KeyAction::Test => "Testing",
        KeyAction::Add => "Adding",
        KeyAction::Rotate => "Rotating",
        KeyAction::Restore => "Restoring a version of",
        KeyAction::Update => "Changing the settings of",
        KeyAction::Disable => "Disabling",
        KeyAction::Enable => "Enabling",
        KeyAction::Delete => "Deleting",
        KeyAction::Recover => "Recovering",
        KeyAction::Purge => "Purging",
    }
}

/// The refusal of one key action in words, or `None` when the role may take it.
pub fn key_refusal(
    policy: &crate::domain::policy::AccessPolicy,
    operator: &Operator,
    vendor: &catalog::Vendor,
    action: KeyAction,
) -> Option<String> {
    // Not a role question: the kind has nothing to test against, for everyone.
    if action == KeyAction::Test
        && let Some(reason) = vendor.no_test_reason()
    {
        return Some(reason.to_string());
    }
    let error = check_operator_action(policy, operator, &vendor.id, &vendor.name, action).err()?;
    let you = role_name(operator);
    let admin = admin_name(operator);
    Some(match error.code {
        ErrorCode::AdminOnly => format!(
            "{} a key needs the {admin} role; you are {you}.",
            gerund(action)
        ),
        ErrorCode::AccessDenied => format!(
            "{} the {} key needs {admin} or a role granted {} on the Distribute tab; you are {you}.",
            gerund(action),
            vendor.name,
            vendor.name
        ),
        // No role at all (not on the roster, no app role, a foreign app): its own message says why.
        _ => format!("{} {}", error.message, error.hint),
    })
}

impl Console {
    /// What `operator` may do on this client, with the reason for each refusal.
    pub fn allowed_actions(&self, operator: &Operator) -> AllowedActions {
        let policy = self.policy();
        let you = role_name(operator);
        let admin = admin_name(operator);
        let vendors: Vec<VendorPermissions> = self
            .vendors()
            .into_iter()
            .filter_map(|vendor| {
                let refused: Vec<KeyPermission> = KeyAction::ALL
                    .into_iter()
                    .filter_map(|action| {
                        key_refusal(&policy, operator, vendor, action).map(|reason| KeyPermission {
                            action,
                            allowed: false,
                            reason: Some(reason),
                        })
                    })
                    .collect();
                (!refused.is_empty()).then(|| VendorPermissions {
                    vendor_id: vendor.id.clone(),
                    refused,
                })
            })
            .collect();
        let keys = self.cached_keys();
        let no_role = operator.require_role().err();
        let any_vendor = |action: KeyAction, vendor_ids: Vec<&str>| {
            vendor_ids
                .into_iter()
                .any(|id| check_operator_action(&policy, operator, id, "", action).is_ok())
        };
        let admin_only = |what: &str, admin_action: AdminAction| {
            check_admin(operator.role, admin_action)
                .err()
                .map(|_| format!("{what} needs the {admin} role; you are {you}."))
        };
        let console = ConsoleAction::ALL
            .into_iter()
            .map(|action| {
                let reason = match action {
                    ConsoleAction::AddKey => (!any_vendor(
                        KeyAction::Add,
                        self.vendors().iter().map(|v| v.id.as_str()).collect(),
                    ))
                    .then(|| match &no_role {
                        Some(error) => format!("{} {}", error.message, error.hint),
                        None => format!(
                            "Adding a key needs {admin} or a role granted a vendor on the Distribute tab; you are {you}, granted none."
                        ),
                    }),
                    ConsoleAction::Adopt => {
                        admin_only("Adopting secrets the console did not create", AdminAction::Adopt)
                    }
                    ConsoleAction::DistributeSave => admin_only(
                        "Changing which roles may use which keys",
                        AdminAction::ChangePolicy,
                    ),
                    ConsoleAction::RotateAllDue => (!any_vendor(
                        KeyAction::Rotate,
                        keys.iter().map(|k| k.vendor_id.as_str()).collect(),
                    ))
                    .then(|| match &no_role {
                        Some(error) => format!("{} {}", error.message, error.hint),
                        None => format!(
                            "Rotating needs {admin} or a role granted the key's vendor on the Distribute tab; you are {you}, granted none of this vault's keys."
                        ),
                    }),
                    // Anyone at the console may check the log's integrity.
                    ConsoleAction::AuditVerify => None,
                    ConsoleAction::AuditExport => no_role
                        .as_ref()
                        .map(|error| format!("{} {}", error.message, error.hint)),
                };
                ConsolePermission {
                    action,
                    allowed: reason.is_none(),
                    reason,
                }
            })
            .collect();
        AllowedActions {
            client_id: self.client().id.clone(),
            role: operator.role,
            role_name: you,
            console,
            vendors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keys::tests::{at, record};
    use crate::domain::policy::AccessPolicy;
    use crate::store::demo::DemoStore;
    use std::sync::Arc;

    fn console_with(policy: AccessPolicy) -> Console {
        let console = Console::new(
            Arc::new(DemoStore::empty()),
            crate::audit::AuditLog::in_memory(),
            Arc::new(|_| {}),
            crate::ping::PingClient::new(None).expect("client"),
            "test",
        );
        console.set_policy(policy);
        console
    }

    fn sentinelone() -> crate::domain::keys::KeyRecord {
        let mut key = record(at(2026, 1, 1, 0), 90, None);
        key.vendor_id = "sentinelone".into();
        key.secret_name = "sentinelone".into();
        key
    }

    fn entra(role: Option<Role>) -> Operator {
        let mut operator = Operator::demo("Lee", Role::Admin);
        operator.identity = IdentityKind::Entra;
        operator.role = role;
        operator
    }

    fn refused<'a>(view: &'a AllowedActions, vendor: &str, action: KeyAction) -> Option<&'a str> {
        view.vendors
            .iter()
            .find(|v| v.vendor_id == vendor)
            .and_then(|v| v.refused.iter().find(|p| p.action == action))
            .and_then(|p| p.reason.as_deref())
    }

    fn console_reason(view: &AllowedActions, action: ConsoleAction) -> Option<&str> {
        view.console
            .iter()
            .find(|p| p.action == action)
            .and_then(|p| p.reason.as_deref())
    }

    #[test]
    fn a_reader_sees_why_before_the_click_and_the_action_refuses_the_same() {
        // The manual's defaults: L1 has RMM and PSA, not Security/EDR.
        let policy = AccessPolicy::manual_defaults();
        let console = console_with(policy.clone());
        console.remember_key(&sentinelone());
        let l1 = entra(Some(Role::L1));
        let view = console.allowed_actions(&l1);
        assert_eq!(view.role_name, "Console.L1");
        let why = refused(&view, "sentinelone", KeyAction::Rotate).expect("refused");
        assert_eq!(
            why,
            "Rotating the SentinelOne key needs Console.Admin or a role granted SentinelOne on the Distribute tab; you are Console.L1."
        );
        // The action itself refuses exactly what the view refuses, and allows what it allows.
        for vendor in catalog::catalog() {
            for action in KeyAction::ALL {
                let enforced =
                    check_operator_action(&policy, &l1, &vendor.id, &vendor.name, action);
                // A kind without a test call refuses Test for every role, with its reason.
                let untestable = action == KeyAction::Test && vendor.no_test_reason().is_some();
                assert_eq!(
                    enforced.is_ok() && !untestable,
                    refused(&view, &vendor.id, action).is_none(),
                    "{} {action:?}",
                    vendor.id
                );
            }
        }
        assert!(refused(&view, "ninjaone", KeyAction::Copy).is_none());
        assert_eq!(
            refused(&view, "ninjaone", KeyAction::Purge),
            Some("Purging a key needs the Console.Admin role; you are Console.L1.")
        );
        // Only SentinelOne is stored and L1 may not rotate it: Rotate All Due is refused.
        assert!(
            console_reason(&view, ConsoleAction::RotateAllDue)
                .expect("refused")
                .contains("you are Console.L1")
        );
        assert!(
            console_reason(&view, ConsoleAction::DistributeSave)
                .expect("refused")
                .starts_with(
                    "Changing which roles may use which keys needs the Console.Admin role"
                )
        );
        assert!(console_reason(&view, ConsoleAction::AddKey).is_none());
        assert!(console_reason(&view, ConsoleAction::AuditVerify).is_none());
        assert!(console_reason(&view, ConsoleAction::AuditExport).is_none());
    }

    #[test]
    fn an_admin_may_do_everything_and_no_role_may_do_nothing() {
        let console = console_with(AccessPolicy::manual_defaults());
        console.remember_key(&sentinelone());
        let admin = console.allowed_actions(&entra(Some(Role::Admin)));
        // Admin may do everything but test what has no test call (VPN keys, ScreenConnect):
        // those refuse Test alone, with the kind's reason.
        for vendor in &admin.vendors {
            let entry = catalog::vendor(&vendor.vendor_id).expect("catalog vendor");
            assert_eq!(vendor.refused.len(), 1, "{}", vendor.vendor_id);
            assert_eq!(vendor.refused[0].action, KeyAction::Test);
            assert_eq!(
                vendor.refused[0].reason.as_deref(),
                entry.no_test_reason(),
                "{}",
                vendor.vendor_id
            );
        }
        assert!(admin.vendors.iter().any(|v| v.vendor_id == "wifi-psk"));
        assert!(admin.console.iter().all(|p| p.allowed));

        let nobody = console.allowed_actions(&entra(None));
        assert_eq!(nobody.vendors.len(), catalog::catalog().len());
        for action in [
            ConsoleAction::AddKey,
            ConsoleAction::Adopt,
            ConsoleAction::RotateAllDue,
            ConsoleAction::DistributeSave,
            ConsoleAction::AuditExport,
        ] {
            assert!(console_reason(&nobody, action).is_some(), "{action:?}");
        }
        // Verify stays open: anyone may check the log's integrity.
        assert!(console_reason(&nobody, ConsoleAction::AuditVerify).is_none());
    }

    #[test]
    fn roster_roles_are_named_as_the_roster_names_them() {
        let console = console_with(AccessPolicy::manual_defaults());
        let view = console.allowed_actions(&Operator::unverified("Sam", Some(Role::Noc)));
        assert_eq!(view.role_name, "NOC");
        assert_eq!(
            refused(&view, "ninjaone", KeyAction::Purge),
            Some("Purging a key needs the Admin role; you are NOC.")
        );
    }
}
