//! Mutable emulator state: directory, tokens, permissions, secrets, faults and counters.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::Method;

use super::directory::{AppRecord, Sessions, same_id, upsert_confidential};
use super::jwt::SigningKey;
use super::signin_types::{Caller, GrantType, RequestRecord, TestUser};
use super::store::{KvError, SecretStore};
use super::types::{AppRegistration, Fault, FaultKind, PermissionModel, Role, RouteKind};

/// Identity behind a valid access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub tenant: String,
    pub client_id: String,
    /// The user's object id, or the app's service principal object id.
    pub object_id: String,
    /// Set for delegated (signed-in user) tokens.
    pub user: Option<UserRef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    pub upn: String,
    pub name: String,
}

impl Identity {
    pub fn caller(&self) -> Caller {
        Caller {
            tenant: self.tenant.clone(),
            app_id: self.client_id.clone(),
            object_id: self.object_id.clone(),
            upn: self.user.as_ref().map(|user| user.upn.clone()),
            name: self.user.as_ref().map(|user| user.name.clone()),
        }
    }

    /// How Key Vault names the caller in 403 messages. App tokens give
    /// `appid=…;oid=…;iss=…` as Azure does; user tokens also carry `name=` and `upn=` so the
    /// person refused is named.
    pub fn key_vault_caller(&self) -> String {
        let issuer = format!("https://sts.windows.net/{}/", self.tenant);
        match &self.user {
            Some(user) => format!(
                "appid={};oid={};name={};upn={};iss={issuer}",
                self.client_id, self.object_id, user.name, user.upn
            ),
            None => format!(
                "appid={};oid={};iss={issuer}",
                self.client_id, self.object_id
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub identity: Identity,
    /// Resource the token was requested for (scope without `/.default`).
    pub audience: String,
    pub expires_at: Instant,
    /// Application permissions (`roles`) on the resource, for app-only tokens.
    pub roles: Vec<String>,
    /// Delegated permissions (`scp`), for user tokens.
    pub scopes: Vec<String>,
}

/// Most requests kept in the request log (oldest dropped first).
pub const REQUEST_LOG_CAPACITY: usize = 10_000;

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
    pub apps: Vec<AppRecord>,
    pub users: Vec<TestUser>,
    pub sessions: Sessions,
    signing_key: Option<Arc<SigningKey>>,
    pub request_log: VecDeque<RequestRecord>,
    pub grant_counters: HashMap<GrantType, u64>,
    /// Keyed by (lowercased tenant, lowercased client id).
    pub roles: HashMap<(String, String), Role>,
    pub tokens: HashMap<String, IssuedToken>,
    pub permission_model: PermissionModel,
    pub purge_protection: bool,
    pub store: SecretStore,
    /// Certificates and keys.
    pub objects: super::vault_objects::ObjectStore,
    /// Further roles of an identity on the vault (Azure lets a principal hold several), keyed
    /// like [`State::roles`] for apps and by lowercased object id for users.
    pub extra_roles: HashMap<String, Vec<Role>>,
    pub faults: Vec<ActiveFault>,
    pub counters: HashMap<RouteKind, u64>,
    /// 401 challenges answered (requests without a usable token).
    pub challenges: u64,
    /// Secrets added through Graph are refused by the token endpoint for this long, as Entra
    /// does while a new secret propagates (seconds to about two minutes).
    pub new_secret_delay: Duration,
    /// The one resource Graph accepts tokens for. `None`: the global Graph's
    /// ([`super::GRAPH_RESOURCE`]) or the emulator's own origin, the Graph it serves (a national
    /// cloud's Graph is likewise its own resource).
    pub graph_resource: Option<String>,
    /// Client tenants: guests, consents and Conditional Access (see `tenants.rs`).
    pub tenants: super::tenants::ClientTenants,
    /// Azure Resource Manager: subscriptions, vaults, role assignments (see `arm_state.rs`).
    pub arm: super::arm_state::ArmState,
}

impl State {
    /// Is `audience` (a token's `aud`) the Graph served at `base`?
    pub fn is_graph_audience(&self, audience: &str, base: &str) -> bool {
        let audience = audience.trim_end_matches('/');
        match &self.graph_resource {
            Some(only) => audience.eq_ignore_ascii_case(only.trim_end_matches('/')),
            None => {
                audience.eq_ignore_ascii_case(super::GRAPH_RESOURCE)
                    || audience.eq_ignore_ascii_case(base.trim_end_matches('/'))
            }
        }
    }
}

pub fn identity_key(tenant: &str, client_id: &str) -> (String, String) {
    (tenant.to_ascii_lowercase(), client_id.to_ascii_lowercase())
}

/// Who holds [`State::extra_roles`]: a user by object id, an app by tenant and client id.
pub fn principal_key(identity: &Identity) -> String {
    match &identity.user {
        Some(_) => identity.object_id.to_ascii_lowercase(),
        None => app_principal(&identity.tenant, &identity.client_id),
    }
}

pub fn app_principal(tenant: &str, client_id: &str) -> String {
    format!(
        "app:{}/{}",
        tenant.to_ascii_lowercase(),
        client_id.to_ascii_lowercase()
    )
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
        RouteKind::ListCertificates | RouteKind::GetCertificate => {
            ("Microsoft.KeyVault/vaults/certificates/read", "list")
        }
        RouteKind::GetCertificatePolicy => ("Microsoft.KeyVault/vaults/certificates/read", "get"),
        RouteKind::ListKeys => ("Microsoft.KeyVault/vaults/keys/read", "list"),
        RouteKind::GetKey => ("Microsoft.KeyVault/vaults/keys/read", "get"),
        RouteKind::GetKeyRotationPolicy => (
            "Microsoft.KeyVault/vaults/keyrotationpolicies/read",
            "getrotationpolicy",
        ),
        _ => ("", ""),
    }
}

/// The object type an operation's access-policy permission belongs to.
fn object_type(kind: RouteKind) -> &'static str {
    match kind {
        RouteKind::ListKeys | RouteKind::GetKey | RouteKind::GetKeyRotationPolicy => "keys",
        RouteKind::ListCertificates
        | RouteKind::GetCertificate
        | RouteKind::GetCertificatePolicy => "certificates",
        _ => "secrets",
    }
}

/// Access policies name object ids; for apps the client id is accepted too. A user signed in
/// through an app is matched as the user, never as the app.
fn policy_names(entry: &str, identity: &Identity) -> bool {
    match &identity.user {
        Some(user) => same_id(entry, &identity.object_id) || same_id(entry, &user.upn),
        None => same_id(entry, &identity.client_id) || same_id(entry, &identity.object_id),
    }
}

/// Key Vault's 403 under access policies, naming the object type and the missing permission.
fn policy_refusal(caller: &str, object: &str, permission: &str) -> KvError {
    KvError::new(
        403,
        "Forbidden",
        format!(
            "The user, group or application '{caller}' does not have {object} \
             {permission} permission on key vault '{VAULT_DISPLAY}'. For help resolving \
             this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
        ),
        Some("ForbiddenByPolicy"),
    )
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
            users: Vec::new(),
            sessions: Sessions::default(),
            signing_key: None,
            request_log: VecDeque::new(),
            grant_counters: HashMap::new(),
            roles: HashMap::new(),
            tokens: HashMap::new(),
            permission_model,
            purge_protection,
            store: SecretStore::default(),
            objects: Default::default(),
            extra_roles: HashMap::new(),
            faults: Vec::new(),
            counters: HashMap::new(),
            challenges: 0,
            new_secret_delay: Duration::ZERO,
            graph_resource: None,
            tenants: super::tenants::ClientTenants::default(),
            arm: super::arm_state::ArmState::default(),
        }
    }

    /// Adds an app or replaces its secrets and vault role (its object ids, public-client
    /// side, Graph permissions and owners stay).
    pub fn register_app(&mut self, app: AppRegistration) {
        upsert_confidential(&mut self.apps, &app);
        self.set_role(&app.tenant, &app.client_id, app.role);
    }

    pub fn set_role(&mut self, tenant: &str, client_id: &str, role: Option<Role>) {
        let key = identity_key(tenant, client_id);
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
            || self
                .users
                .iter()
                .any(|user| user.tenant.eq_ignore_ascii_case(tenant))
            || self.tenants.knows(tenant)
    }

    pub fn find_app(&self, tenant: &str, client_id: &str) -> Option<&AppRecord> {
        self.apps.iter().find(|app| app.is(tenant, client_id))
    }

    pub fn find_app_mut(&mut self, tenant: &str, client_id: &str) -> Option<&mut AppRecord> {
        self.apps.iter_mut().find(|app| app.is(tenant, client_id))
    }

    /// A user of `tenant` by UPN (case-insensitive).
    pub fn find_user(&self, tenant: &str, upn: &str) -> Option<&TestUser> {
        self.users
            .iter()
            .find(|user| same_id(&user.tenant, tenant) && same_id(&user.upn, upn))
    }

    /// A user of any tenant by UPN (case-insensitive).
    pub fn find_user_any_tenant(&self, upn: &str) -> Option<&TestUser> {
        self.users.iter().find(|user| same_id(&user.upn, upn))
    }

    pub fn find_user_mut(&mut self, upn: &str) -> Option<&mut TestUser> {
        self.users.iter_mut().find(|user| same_id(&user.upn, upn))
    }

    pub fn find_user_by_oid(&self, object_id: &str) -> Option<&TestUser> {
        self.users
            .iter()
            .find(|user| same_id(&user.object_id, object_id))
    }

    pub fn add_user(&mut self, user: TestUser) {
        self.users.retain(|known| !same_id(&known.upn, &user.upn));
        self.users.push(user);
    }

    /// The RSA signing key, made on first use. Generating one costs a few hundred
    /// milliseconds, so every emulator of one process shares the key it made first; it is
    /// never written anywhere, so each run (kv-emulator start, test binary run) has a new one.
    pub fn signing_key(&mut self) -> Result<Arc<SigningKey>, String> {
        static PROCESS_KEY: std::sync::Mutex<Option<Arc<SigningKey>>> = std::sync::Mutex::new(None);
        if let Some(key) = &self.signing_key {
            return Ok(key.clone());
        }
        let mut shared = PROCESS_KEY
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = match shared.as_ref() {
            Some(key) => key.clone(),
            None => {
                let key = Arc::new(SigningKey::generate()?);
                *shared = Some(key.clone());
                key
            }
        };
        self.signing_key = Some(key.clone());
        Ok(key)
    }

    pub fn count(&mut self, kind: RouteKind) {
        *self.counters.entry(kind).or_insert(0) += 1;
    }

    pub fn count_grant(&mut self, grant: GrantType) {
        *self.grant_counters.entry(grant).or_insert(0) += 1;
    }

    pub fn log_request(&mut self, record: RequestRecord) {
        if self.request_log.len() >= REQUEST_LOG_CAPACITY {
            self.request_log.pop_front();
        }
        self.request_log.push_back(record);
    }

    /// Picks the faults for a request: every matching latency adds up, and the first
    /// matching non-latency fault decides the response.
    pub fn take_faults(
        &mut self,
        kind: RouteKind,
        secret_name: Option<&str>,
        method: &Method,
    ) -> FaultDecision {
        self.take_faults_at(kind, secret_name, None, method)
    }

    /// [`State::take_faults`] for a request at a tenant's endpoint (Entra routes).
    pub fn take_faults_at(
        &mut self,
        kind: RouteKind,
        secret_name: Option<&str>,
        tenant: Option<&str>,
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
            if let Some(wanted) = &fault.tenant
                && !tenant.is_some_and(|t| t.eq_ignore_ascii_case(wanted))
            {
                continue;
            }
            let is_latency = matches!(fault.kind, FaultKind::Latency { .. });
            if !is_latency && decision.action.is_some() {
                continue;
            }
            if active.fault.after > 0 {
                active.fault.after -= 1;
                continue;
            }
            let fault = &active.fault;
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

    /// The identity's vault role: a user's own role, or the app's (RBAC model).
    fn vault_role(&self, identity: &Identity) -> Option<Role> {
        match &identity.user {
            Some(_) => self
                .find_user_by_oid(&identity.object_id)
                .and_then(|user| user.vault_role)
                .or_else(|| self.tenants.object_role(&identity.object_id)),
            None => self
                .roles
                .get(&identity_key(&identity.tenant, &identity.client_id))
                .copied(),
        }
    }

    fn extra_roles_of(&self, identity: &Identity) -> Vec<Role> {
        self.extra_roles
            .get(&principal_key(identity))
            .cloned()
            .unwrap_or_default()
    }

    /// Checks what the identity may do under the current permission model.
    pub fn authorize(&self, identity: &Identity, kind: RouteKind) -> Result<(), KvError> {
        let (action, permission) = permission_names(kind);
        let caller = identity.key_vault_caller();
        match &self.permission_model {
            PermissionModel::AccessPolicy { allowed } => {
                if allowed.iter().any(|entry| policy_names(entry, identity)) {
                    return Ok(());
                }
                Err(policy_refusal(&caller, object_type(kind), permission))
            }
            PermissionModel::AccessPolicies(entries) => {
                let object = object_type(kind);
                let granted = entries
                    .iter()
                    .filter(|entry| policy_names(&entry.principal, identity))
                    .any(|entry| {
                        let permissions = match object {
                            "keys" => &entry.keys,
                            "certificates" => &entry.certificates,
                            _ => &entry.secrets,
                        };
                        permission.is_empty()
                            || permissions
                                .iter()
                                .any(|p| p.eq_ignore_ascii_case(permission))
                    });
                if granted {
                    return Ok(());
                }
                Err(policy_refusal(&caller, object, permission))
            }
            PermissionModel::Rbac => {
                let allowed = self
                    .vault_role(identity)
                    .into_iter()
                    .chain(self.extra_roles_of(identity))
                    .any(|role| role.allows(kind));
                if allowed {
                    return Ok(());
                }
                Err(KvError::new(
                    403,
                    "Forbidden",
                    format!(
                        "Caller is not authorized to perform action on resource.\r\n\
                         If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n\
                         Caller: {caller}\r\n\
                         Action: '{action}'\r\n\
                         Resource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator/providers/microsoft.keyvault/vaults/emulator'\r\n\
                         Assignment: (not found)\r\n\
                         DenyAssignmentId: null\r\n\
                         DecisionReason: 'DeniedWithNoValidRBAC' \r\n\
                         Vault: {VAULT_DISPLAY}\r\n",
                    ),
                    Some("ForbiddenByRbac"),
                ))
            }
        }
    }
}
