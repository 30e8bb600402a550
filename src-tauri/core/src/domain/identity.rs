//! Who is at the console, and how the console knows.
//!
//! - **Entra** (signed in with Microsoft): name, UPN and object id come from an id token whose
//!   signature, issuer, audience, expiry and nonce were checked; the role comes from its `roles`
//!   claim (app roles `Console.Admin`, `Console.L2`, `Console.L1`, `Console.NOC`).
//! - **Unverified** (app-registration secret): every console signs in as the same app, so nobody
//!   can prove who is typing. The name is what the technician typed; the role comes from the
//!   vault's roster (name → role), which only an Admin edits. The UI says "not verified".
//! - **Demo**: free role switching for training; nothing leaves memory.
//!
//! No role is ever read from a local file.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::policy::Role;
use crate::error::{AppError, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum IdentityKind {
    Demo,
    Unverified,
    Entra,
}

impl IdentityKind {
    /// As written in audit entries.
    pub fn id(self) -> &'static str {
        match self {
            IdentityKind::Demo => "demo",
            IdentityKind::Unverified => "unverified",
            IdentityKind::Entra => "entra",
        }
    }
}

/// The app role values on the console's app registration, highest first.
pub const APP_ROLES: [(&str, Role); 4] = [
    ("Console.Admin", Role::Admin),
    ("Console.L2", Role::L2),
    ("Console.L1", Role::L1),
    ("Console.NOC", Role::Noc),
];

/// The console role a token's `roles` claim grants: the highest of the console's app roles it
/// holds (a user in two groups gets the stronger one), or `None`. Other values are ignored.
pub fn role_from_claims<S: AsRef<str>>(roles: &[S]) -> Option<Role> {
    APP_ROLES
        .iter()
        .find(|(value, _)| roles.iter().any(|r| r.as_ref() == *value))
        .map(|(_, role)| *role)
}

/// An app registration in its tenant: the one a connection signs in as, or the one the vault's
/// policy pins as the console's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleApp {
    pub tenant_id: String,
    pub client_id: String,
}

impl ConsoleApp {
    /// GUIDs compare without regard to case.
    pub fn same(&self, other: &ConsoleApp) -> bool {
        self.tenant_id.eq_ignore_ascii_case(&other.tenant_id)
            && self.client_id.eq_ignore_ascii_case(&other.client_id)
    }

    pub fn describe(&self) -> String {
        format!("app {} in tenant {}", self.client_id, self.tenant_id)
    }
}

/// A connection whose app registration is not the one the vault's policy pins: its roles
/// (Entra's `roles` claim or the roster) count for nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignApp {
    pub pinned: ConsoleApp,
    pub used: ConsoleApp,
}

/// The technician at this console, as Rust resolved them for this connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Operator {
    pub name: String,
    /// `None`: no key access (no app role assigned in Entra, or not on the vault's roster).
    pub role: Option<Role>,
    pub identity: IdentityKind,
    /// Signed in: the user principal name and object id from the verified token.
    pub upn: Option<String>,
    pub oid: Option<String>,
    /// Set when the role was refused because the connection's app is not the pinned one (the
    /// reason `role` is `None`), so the refusal can name the pinned app.
    #[serde(skip)]
    #[ts(skip)]
    pub foreign_app: Option<ForeignApp>,
}

impl Operator {
    pub fn demo(name: impl Into<String>, role: Role) -> Operator {
        Operator {
            name: name.into(),
            role: Some(role),
            identity: IdentityKind::Demo,
            upn: None,
            oid: None,
            foreign_app: None,
        }
    }

    /// App-secret mode: a typed name and the roster's role for it.
    pub fn unverified(name: impl Into<String>, role: Option<Role>) -> Operator {
        Operator {
            name: name.into(),
            role,
            identity: IdentityKind::Unverified,
            upn: None,
            oid: None,
            foreign_app: None,
        }
    }

    /// "Admin", "L2", … or "no role", for notes and the report.
    pub fn role_label(&self) -> &'static str {
        self.role.map(Role::label).unwrap_or("no role")
    }

    /// Who this is, for error messages: the UPN when signed in, else the name.
    pub fn who(&self) -> &str {
        self.upn.as_deref().unwrap_or(&self.name)
    }

    /// The operator's role, or the refusal that says how to get one.
    pub fn require_role(&self) -> Result<Role, AppError> {
        self.role.ok_or_else(|| self.no_role_error())
    }

    /// Drop the role of a connection made through another app registration than the pinned one.
    pub fn refuse_foreign_app(mut self, foreign: Option<ForeignApp>) -> Operator {
        if foreign.is_some() {
            self.role = None;
        }
        self.foreign_app = foreign;
        self
    }

    fn no_role_error(&self) -> AppError {
        if let Some(foreign) = &self.foreign_app {
            return AppError::new(
                ErrorCode::ForeignApp,
                format!(
                    "This vault's role policy takes roles only from the console's own app registration ({}); this connection signs in through {}, so its roles are ignored.",
                    foreign.pinned.describe(),
                    foreign.used.describe()
                ),
                format!(
                    "Edit the client and set Tenant ID {} and Client ID {} (the console's app registration), then connect again. Roles assigned on any other app registration never count.",
                    foreign.pinned.tenant_id, foreign.pinned.client_id
                ),
            );
        }
        match self.identity {
            IdentityKind::Entra => AppError::new(
                ErrorCode::NoAppRole,
                format!(
                    "You ({}) have no console role on this tenant's app registration, so the console gives you no key access.",
                    self.who()
                ),
                "An Entra admin assigns one: Entra ID → Enterprise applications → the console's app → Users and groups → Add user/group → choose you (or your group) and one of Console.Admin, Console.L2, Console.L1 or Console.NOC. Then sign in again.",
            ),
            IdentityKind::Unverified | IdentityKind::Demo => AppError::new(
                ErrorCode::NotOnRoster,
                format!(
                    "'{}' is not on this vault's roster, so the console gives no key access.",
                    self.name
                ),
                "An Admin adds your name with a role on the Distribute tab. In app-secret mode the console cannot verify who you are; sign in with Microsoft for a verified identity and a role from Entra.",
            ),
        }
    }
}

/// The roster's key for a typed name: case and spacing do not make a new person.
pub fn roster_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_console_role_in_the_claim_wins_and_others_are_ignored() {
        assert_eq!(role_from_claims(&["Console.L1"]), Some(Role::L1));
        assert_eq!(
            role_from_claims(&["Console.NOC", "Console.L2"]),
            Some(Role::L2)
        );
        assert_eq!(
            role_from_claims(&["Console.L1", "Console.Admin"]),
            Some(Role::Admin)
        );
        assert_eq!(role_from_claims(&["Directory.Read", "console.admin"]), None);
        assert_eq!(role_from_claims::<&str>(&[]), None);
    }

    #[test]
    fn no_role_errors_say_how_to_get_one() {
        let signed_in = Operator {
            name: "Dana Reyes".into(),
            role: None,
            identity: IdentityKind::Entra,
            upn: Some("dana@contoso.com".into()),
            oid: Some("oid".into()),
            foreign_app: None,
        };
        let error = signed_in.require_role().expect_err("no role");
        assert_eq!(error.code, ErrorCode::NoAppRole);
        assert!(error.message.contains("dana@contoso.com"));
        assert!(error.hint.contains("Users and groups"));
        let typed = Operator::unverified("Lee", None);
        let error = typed.require_role().expect_err("not listed");
        assert_eq!(error.code, ErrorCode::NotOnRoster);
        assert!(error.hint.contains("Distribute"));
    }

    #[test]
    fn roster_keys_ignore_case_and_spacing() {
        assert_eq!(roster_key("  Dana   Reyes "), "dana reyes");
        assert_eq!(roster_key("DANA REYES"), roster_key("dana reyes"));
    }
}
