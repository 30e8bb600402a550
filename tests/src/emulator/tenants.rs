//! Client tenants reached from one sign-in, as an MSP's technicians reach them: the console's app
//! registration is multi-tenant in the MSP's (home) tenant and consented in each client tenant
//! (there it has a service principal: an app record of the same client id in that tenant); the
//! technician is a B2B guest of each client tenant (a user object of its own, with its own object
//! id, linked to the home account). A refresh token of the home sign-in is redeemable at a client
//! tenant's token endpoint for such a guest, as at Entra:
//! - not a guest there: AADSTS50020;
//! - the app not consented there: AADSTS65001 (consent_required) until an admin consents;
//! - the tenant demands multi-factor authentication (Conditional Access): AADSTS50076.
//!
//! The refresh token stays the home account's (the family Entra rotates on every redemption).
//!
//! Federation, for tests with a vault per client tenant: each vault is an emulator of its own,
//! and one emulator plays Entra for every tenant. A vault that trusts the process's Entra accepts
//! its tokens as Key Vault accepts Entra's, by signature (the emulators of one process share the
//! signing key), tenant, audience and expiry; the guest's data role is granted by object id.

use super::directory::{AppRecord, same_id};
use super::entra::EntraError;

use super::Emulator;
use super::signin_types::{ControlError, TestUser, new_guid};
use super::state::{Identity, State, UserRef};
use super::types::Role;

/// A B2B guest: the home account's object in a client tenant.
#[derive(Debug, Clone)]
pub struct GuestRecord {
    pub tenant: String,
    pub home_object_id: String,
    pub object_id: String,
    /// Entra refuses the guest (AADSTS50020) until then: a new guest's access takes a while to
    /// replicate through the directory, as a just-invited guest sees at Entra.
    pub usable_from: Option<std::time::Instant>,
}

impl GuestRecord {
    pub fn is_usable(&self) -> bool {
        self.usable_from
            .is_none_or(|from| std::time::Instant::now() >= from)
    }
}

#[derive(Debug, Default)]
pub struct ClientTenants {
    pub guests: Vec<GuestRecord>,
    /// Client ids registered as "Accounts in any organizational directory".
    pub multi_tenant_apps: Vec<String>,
    /// Tenants whose Conditional Access demands MFA on every token for guests.
    pub mfa_tenants: Vec<String>,
    /// Tenants named by a guest record or an MFA rule (they exist, even without users or apps).
    pub known: Vec<String>,
    /// This vault accepts tokens any emulator of the process issued (see the module comment).
    pub trusts_process_entra: bool,
    /// Key Vault data roles by object id (guests of this vault's tenant).
    pub object_roles: Vec<(String, Role)>,
}

impl ClientTenants {
    pub fn knows(&self, tenant: &str) -> bool {
        self.known.iter().any(|known| same_id(known, tenant))
    }

    pub fn guest(&self, tenant: &str, home_object_id: &str) -> Option<&GuestRecord> {
        self.guests.iter().find(|guest| {
            same_id(&guest.tenant, tenant) && same_id(&guest.home_object_id, home_object_id)
        })
    }

    pub fn is_multi_tenant(&self, client_id: &str) -> bool {
        self.multi_tenant_apps
            .iter()
            .any(|id| same_id(id, client_id))
    }

    pub fn requires_mfa(&self, tenant: &str) -> bool {
        self.mfa_tenants.iter().any(|known| same_id(known, tenant))
    }

    pub fn object_role(&self, object_id: &str) -> Option<Role> {
        self.object_roles
            .iter()
            .find(|(known, _)| same_id(known, object_id))
            .map(|(_, role)| *role)
    }

    fn note(&mut self, tenant: &str) {
        if !self.knows(tenant) {
            self.known.push(tenant.to_string());
        }
    }
}

/// AADSTS50020, as Entra words it for a user who is not in the tenant.
pub fn not_a_guest(upn: &str, tenant: &str) -> EntraError {
    EntraError::new(
        400,
        "invalid_grant",
        50020,
        format!(
            "User account '{upn}' from identity provider 'live.com' does not exist in tenant \
             '{tenant}' and cannot access the application in that tenant. The account needs to \
             be added as an external user in the tenant first."
        ),
    )
}

/// AADSTS65001: the multi-tenant app has no service principal (consent) in the tenant.
pub fn consent_required(client_id: &str, display_name: &str) -> EntraError {
    EntraError::new(
        400,
        "invalid_grant",
        65001,
        format!(
            "The user or administrator has not consented to use the application with ID \
             '{client_id}' named '{display_name}'. Send an interactive authorization request for \
             this user and resource."
        ),
    )
}

/// AADSTS50076: Conditional Access in the tenant wants MFA, which only an interactive sign-in
/// there can give.
pub fn mfa_required(resource: &str) -> EntraError {
    EntraError::new(
        400,
        "invalid_grant",
        50076,
        format!(
            "Due to a configuration change made by your administrator, or because you moved to a \
             new location, you must use multi-factor authentication to access '{resource}'."
        ),
    )
}

/// The home account as it appears in a client tenant where it is a guest: the guest's object id
/// and tenant, no roles of its own there.
pub fn guest_view(home: &TestUser, guest: &GuestRecord) -> TestUser {
    TestUser {
        tenant: guest.tenant.clone(),
        object_id: guest.object_id.clone(),
        vault_role: None,
        app_roles: Vec::new(),
        ..home.clone()
    }
}

impl State {
    /// Who signs in at `tenant` as `upn`: a member of the tenant, or a guest there (the home
    /// account signs in with its own name at the client tenant's sign-in page).
    pub fn user_at(&self, tenant: &str, upn: &str) -> Option<TestUser> {
        if let Some(member) = self.find_user(tenant, upn) {
            return Some(member.clone());
        }
        let home = self.find_user_any_tenant(upn)?;
        let guest = self.tenants.guest(tenant, &home.object_id)?;
        Some(guest_view(home, guest))
    }

    /// A user by object id: a member of any tenant, or a guest object.
    pub fn user_by_oid(&self, object_id: &str) -> Option<TestUser> {
        if let Some(member) = self.find_user_by_oid(object_id) {
            return Some(member.clone());
        }
        let guest = self
            .tenants
            .guests
            .iter()
            .find(|guest| same_id(&guest.object_id, object_id))?;
        let home = self.find_user_by_oid(&guest.home_object_id)?;
        Some(guest_view(home, guest))
    }
}

/// A token another emulator of this process issued, if this vault trusts them: its identity,
/// audience and expiry from the signed claims.
pub fn federated_identity(state: &mut State, token: &str) -> Option<(Identity, String, i64)> {
    if !state.tenants.trusts_process_entra {
        return None;
    }
    let claims = state.signing_key().ok()?.verified_claims(token)?;
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let identity = Identity {
        tenant: text("tid")?,
        client_id: text("appid")?,
        object_id: text("oid")?,
        user: text("upn").map(|upn| UserRef {
            upn,
            name: text("name").unwrap_or_default(),
        }),
    };
    Some((identity, text("aud")?, claims.get("exp")?.as_i64()?))
}

impl Emulator {
    /// This vault accepts tokens issued by any emulator of the process (one Entra for many
    /// vaults), checked by signature, tenant, audience and expiry.
    pub fn trust_process_entra(&self) {
        self.shared.lock().tenants.trusts_process_entra = true;
    }

    /// Gives the object `object_id` (e.g. a guest) a Key Vault data role on this vault.
    pub fn grant_vault_role_to_object(&self, object_id: &str, role: Role) {
        let mut state = self.shared.lock();
        state
            .tenants
            .object_roles
            .retain(|(known, _)| !same_id(known, object_id));
        state
            .tenants
            .object_roles
            .push((object_id.to_string(), role));
    }

    /// Registers `client_id` (already an app of `home_tenant`) as multi-tenant.
    pub fn make_multi_tenant(
        &self,
        home_tenant: &str,
        client_id: &str,
    ) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        if state.find_app(home_tenant, client_id).is_none() {
            return Err(ControlError(format!(
                "no app {client_id} in tenant {home_tenant}"
            )));
        }
        if !state.tenants.is_multi_tenant(client_id) {
            state.tenants.multi_tenant_apps.push(client_id.to_string());
        }
        Ok(())
    }

    /// An admin of `tenant` consents to the multi-tenant app: its service principal appears there.
    pub fn consent_in_tenant(&self, tenant: &str, client_id: &str) -> Result<(), ControlError> {
        let mut state = self.shared.lock();
        if state.find_app(tenant, client_id).is_some() {
            return Ok(());
        }
        let home = state
            .apps
            .iter()
            .find(|app| same_id(&app.client_id, client_id))
            .cloned()
            .filter(|_| state.tenants.is_multi_tenant(client_id))
            .ok_or_else(|| ControlError(format!("no multi-tenant app {client_id}")))?;
        state.apps.push(AppRecord {
            tenant: tenant.to_string(),
            object_id: new_guid(),
            service_principal_id: new_guid(),
            passwords: Vec::new(),
            owners: Vec::new(),
            graph_app_roles: Vec::new(),
            consented_copy: true,
            ..home
        });
        Ok(())
    }

    /// The tenant's admin removes the multi-tenant app's service principal (consent withdrawn).
    pub fn withdraw_consent(&self, tenant: &str, client_id: &str) {
        let mut state = self.shared.lock();
        if state.tenants.is_multi_tenant(client_id) {
            state.apps.retain(|app| !app.is(tenant, client_id));
        }
    }

    /// Invites the user `home_upn` into `tenant` as a B2B guest; returns the guest's object id.
    pub fn add_guest(&self, tenant: &str, home_upn: &str) -> Result<String, ControlError> {
        let mut state = self.shared.lock();
        let home_object_id = state
            .find_user_any_tenant(home_upn)
            .map(|user| user.object_id.clone())
            .ok_or_else(|| ControlError(format!("no test user {home_upn}")))?;
        if let Some(guest) = state.tenants.guest(tenant, &home_object_id) {
            return Ok(guest.object_id.clone());
        }
        let object_id = new_guid();
        state.tenants.guests.push(GuestRecord {
            tenant: tenant.to_string(),
            home_object_id,
            object_id: object_id.clone(),
            usable_from: None,
        });
        state.tenants.note(tenant);
        Ok(object_id)
    }

    /// Invites `home_upn` into `tenant` as a guest whose access propagates for `delay`: until
    /// then the tenant's token endpoint answers AADSTS50020 as for a stranger. Returns the
    /// guest's object id.
    pub fn add_guest_propagating(
        &self,
        tenant: &str,
        home_upn: &str,
        delay: std::time::Duration,
    ) -> Result<String, ControlError> {
        let object_id = self.add_guest(tenant, home_upn)?;
        let mut state = self.shared.lock();
        if let Some(guest) = state
            .tenants
            .guests
            .iter_mut()
            .find(|guest| same_id(&guest.object_id, &object_id))
        {
            guest.usable_from = Some(std::time::Instant::now() + delay);
        }
        Ok(object_id)
    }

    /// Conditional Access in `tenant` demands MFA for every guest token (AADSTS50076).
    pub fn require_mfa_in_tenant(&self, tenant: &str) {
        let mut state = self.shared.lock();
        if !state.tenants.requires_mfa(tenant) {
            state.tenants.mfa_tenants.push(tenant.to_string());
        }
        state.tenants.note(tenant);
    }
}
