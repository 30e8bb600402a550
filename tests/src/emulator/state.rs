//! Mutable emulator state: apps, tokens, permissions, secrets, faults and counters.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hyper::Method;

use super::store::{KvError, SecretStore};
use super::types::{AppRegistration, Fault, FaultKind, PermissionModel, Role, RouteKind};

/// Identity behind a valid access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub tenant: String,
    pub client_id: String,
}

#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub identity: Identity,
    /// Resource the token was requested for (scope without `/.default`).
    pub audience: String,
    pub expires_at: Instant,
}

#[derive(Debug, Clone)]
pub struct ActiveFault {
    pub fault: Fault,
    /// Hits left when `fault.times` is set.
    pub remaining: Option<u64>,
}

/// What the injected faults decided for one request.
#[derive(Debug, Default)]
pub struct FaultDecision {
    pub delay: Duration,
    pub action: Option<FaultKind>,
}

pub struct State {
    pub vault_tenant: String,
    pub token_lifetime_secs: u64,
    pub apps: Vec<AppRegistration>,
    /// Keyed by (lowercased tenant, lowercased client id).
    pub roles: HashMap<(String, String), Role>,
    pub tokens: HashMap<String, IssuedToken>,
    pub permission_model: PermissionModel,
    pub purge_protection: bool,
    pub store: SecretStore,
    pub faults: Vec<ActiveFault>,
    pub counters: HashMap<RouteKind, u64>,
    /// 401 challenges answered (requests without a usable token).
    pub challenges: u64,
}

pub fn identity_key(tenant: &str, client_id: &str) -> (String, String) {
    (tenant.to_ascii_lowercase(), client_id.to_ascii_lowercase())
}

/// RBAC data action and access-policy permission name of an operation.
fn permission_names(kind: RouteKind) -> (&'static str, &'static str) {
    match kind {
        RouteKind::GetSecret => ("Microsoft.KeyVault/vaults/secrets/getSecret/action", "get"),
        RouteKind::ListSecrets | RouteKind::ListVersions => (
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
            "list",
        ),
        RouteKind::SetSecret => ("Microsoft.KeyVault/vaults/secrets/setSecret/action", "set"),
        RouteKind::UpdateSecret => ("Microsoft.KeyVault/vaults/secrets/update/action", "set"),
        RouteKind::DeleteSecret => ("Microsoft.KeyVault/vaults/secrets/delete", "delete"),
        RouteKind::GetDeleted => ("Microsoft.KeyVault/vaults/deletedSecrets/read", "get"),
        RouteKind::ListDeleted => ("Microsoft.KeyVault/vaults/deletedSecrets/read", "list"),
        RouteKind::Recover => (
            "Microsoft.KeyVault/vaults/deletedSecrets/recover/action",
            "recover",
        ),
        RouteKind::Purge => ("Microsoft.KeyVault/vaults/deletedSecrets/delete", "purge"),
        RouteKind::Backup => ("Microsoft.KeyVault/vaults/secrets/backup/action", "backup"),
        RouteKind::Restore => (
            "Microsoft.KeyVault/vaults/secrets/restore/action",
            "restore",
        ),
        RouteKind::Token | RouteKind::OpenIdConfiguration => ("", ""),
    }
}

/// Name used for the vault in error messages.
pub const VAULT_DISPLAY: &str = "emulator;location=local";

impl State {
    pub fn new(
        vault_tenant: String,
        token_lifetime_secs: u64,
        permission_model: PermissionModel,
        purge_protection: bool,
    ) -> State {
        State {
            vault_tenant,
            token_lifetime_secs,
            apps: Vec::new(),
            roles: HashMap::new(),
            tokens: HashMap::new(),
            permission_model,
            purge_protection,
            store: SecretStore::default(),
            faults: Vec::new(),
            counters: HashMap::new(),
            challenges: 0,
        }
    }

    pub fn register_app(&mut self, app: AppRegistration) {
        let key = identity_key(&app.tenant, &app.client_id);
        self.apps
            .retain(|known| identity_key(&known.tenant, &known.client_id) != key);
        match app.role {
            Some(role) => {
                self.roles.insert(key, role);
            }
            None => {
                self.roles.remove(&key);
            }
        }
        self.apps.push(app);
    }

    pub fn set_role(&mut self, tenant: &str, client_id: &str, role: Option<Role>) {
        let key = identity_key(tenant, client_id);
        for app in &mut self.apps {
            if identity_key(&app.tenant, &app.client_id) == key {
                app.role = role;
            }
        }
        match role {
            Some(role) => {
                self.roles.insert(key, role);
            }
            None => {
                self.roles.remove(&key);
            }
        }
    }

    /// Tenants Entra knows: the vault's and every registered app's.
    pub fn tenant_known(&self, tenant: &str) -> bool {
        tenant.eq_ignore_ascii_case(&self.vault_tenant)
            || self
                .apps
                .iter()
                .any(|app| app.tenant.eq_ignore_ascii_case(tenant))
    }

    pub fn find_app(&self, tenant: &str, client_id: &str) -> Option<&AppRegistration> {
        let key = identity_key(tenant, client_id);
        self.apps
            .iter()
            .find(|app| identity_key(&app.tenant, &app.client_id) == key)
    }

    pub fn count(&mut self, kind: RouteKind) {
        *self.counters.entry(kind).or_insert(0) += 1;
    }

    /// Picks the faults for a request: every matching latency adds up, and the first
    /// matching non-latency fault decides the response.
    pub fn take_faults(
        &mut self,
        kind: RouteKind,
        secret_name: Option<&str>,
        method: &Method,
    ) -> FaultDecision {
        let mut decision = FaultDecision::default();
        for active in &mut self.faults {
            let fault = &active.fault;
            if active.remaining == Some(0) {
                continue;
            }
            if fault.route.is_some_and(|route| route != kind) {
                continue;
            }
            if let Some(wanted) = &fault.secret_name {
                match secret_name {
                    Some(name) if name.eq_ignore_ascii_case(wanted) => {}
                    _ => continue,
                }
            }
            if let Some(wanted) = &fault.method
                && !method.as_str().eq_ignore_ascii_case(wanted)
            {
                continue;
            }
            let is_latency = matches!(fault.kind, FaultKind::Latency { .. });
            if !is_latency && decision.action.is_some() {
                continue;
            }
            if fault.probability < 1.0 && rand::random::<f64>() >= fault.probability {
                continue;
            }
            match &fault.kind {
                FaultKind::Latency { delay } => decision.delay += *delay,
                other => decision.action = Some(other.clone()),
            }
            if let Some(remaining) = &mut active.remaining {
                *remaining -= 1;
            }
        }
        self.faults.retain(|active| active.remaining != Some(0));
        decision
    }

    /// Checks what the identity may do under the current permission model.
    pub fn authorize(&self, identity: &Identity, kind: RouteKind) -> Result<(), KvError> {
        let (action, permission) = permission_names(kind);
        match &self.permission_model {
            PermissionModel::AccessPolicy { allowed } => {
                if allowed
                    .iter()
                    .any(|entry| entry.eq_ignore_ascii_case(&identity.client_id))
                {
                    return Ok(());
                }
                Err(KvError::new(
                    403,
                    "Forbidden",
                    format!(
                        "The user, group or application 'appid={client};oid={client};iss=https://sts.windows.net/{tenant}/' \
                         does not have secrets {permission} permission on key vault '{VAULT_DISPLAY}'. \
                         For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                        client = identity.client_id,
                        tenant = identity.tenant,
                    ),
                    Some("ForbiddenByPolicy"),
                ))
            }
            PermissionModel::Rbac => {
                let role = self
                    .roles
                    .get(&identity_key(&identity.tenant, &identity.client_id));
                let allowed = match role {
                    Some(Role::SecretsOfficer) => true,
                    Some(Role::SecretsUser) => matches!(
                        kind,
                        RouteKind::GetSecret | RouteKind::ListSecrets | RouteKind::ListVersions
                    ),
                    None => false,
                };
                if allowed {
                    return Ok(());
                }
                Err(KvError::new(
                    403,
                    "Forbidden",
                    format!(
                        "Caller is not authorized to perform action on resource.\r\n\
                         If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n\
                         Caller: appid={client};oid={client};iss=https://sts.windows.net/{tenant}/\r\n\
                         Action: '{action}'\r\n\
                         Resource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator/providers/microsoft.keyvault/vaults/emulator'\r\n\
                         Assignment: (not found)\r\n\
                         DenyAssignmentId: null\r\n\
                         DecisionReason: 'DeniedWithNoValidRBAC' \r\n\
                         Vault: {VAULT_DISPLAY}\r\n",
                        client = identity.client_id,
                        tenant = identity.tenant,
                    ),
                    Some("ForbiddenByRbac"),
                ))
            }
        }
    }
}
