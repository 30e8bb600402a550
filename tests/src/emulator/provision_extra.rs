//! Vaults - Update (`PATCH …/Microsoft.KeyVault/vaults/{name}?api-version=2023-07-01`, learn.
//! microsoft.com/rest/api/keyvault/keyvault/vaults/update) for the ARM emulator, which the
//! provisioning flow uses to fix an existing vault without replacing its other settings. Kept
//! apart from `arm*.rs` (another engineer's room): it authenticates as ARM does (an ARM-audience
//! token of this process's Entra), needs `Microsoft.KeyVault/vaults/write` (Owner, Contributor,
//! Key Vault Contributor), and keeps Azure's irreversible rules: purge protection cannot be
//! turned off, soft delete cannot be turned off, retention cannot change. Counted as
//! [`RouteKind::ArmPutVault`] (a write of the vault) and subject to its faults.

use std::time::Instant;

use hyper::Method;
use serde_json::{Value, json};

use super::arm::is_arm_resource;
use super::arm_state::{Permission, VaultRecord};
use super::directory::same_id;
use super::state::{Identity, State};
use super::types::{PermissionModel, RouteKind};
use super::{Shared, respond};
use crate::tls::{IncomingRequest, Outcome};

const API_VERSION: &str = "2023-07-01";

/// `(subscription, group, name)` of a vault PATCH, if the request is one.
pub fn vault_patch(method: &Method, path: &str) -> Option<(String, String, String)> {
    if *method != Method::PATCH {
        return None;
    }
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    match segs.as_slice() {
        [s, sub, r, group, p, ns, v, name]
            if eq(s, "subscriptions")
                && eq(r, "resourceGroups")
                && eq(p, "providers")
                && eq(ns, "Microsoft.KeyVault")
                && eq(v, "vaults") =>
        {
            Some((sub.to_string(), group.to_string(), name.to_string()))
        }
        _ => None,
    }
}

/// ARM's error answer, `{"error":{"code","message"}}`.
struct Refusal {
    status: u16,
    code: &'static str,
    message: String,
}

impl Refusal {
    fn outcome(self) -> Outcome {
        Outcome::Respond(respond::json(
            self.status,
            &json!({"error": {"code": self.code, "message": self.message}}),
        ))
    }
}

fn error(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        code,
        message: message.into(),
    }
}

fn identity(state: &mut State, request: &IncomingRequest) -> Result<Identity, Refusal> {
    let token = request
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string())
        .ok_or_else(|| {
            error(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            )
        })?;
    let invalid = || {
        error(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )
    };
    let (identity, audience, live) = match state.tokens.get(&token) {
        Some(issued) => (
            issued.identity.clone(),
            issued.audience.clone(),
            issued.expires_at > Instant::now(),
        ),
        None => {
            let (identity, audience, expires) =
                super::tenants::federated_identity(state, &token).ok_or_else(invalid)?;
            (identity, audience, expires > super::store::now_unix())
        }
    };
    if !live {
        return Err(error(
            401,
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        ));
    }
    if !is_arm_resource(&audience) {
        return Err(invalid());
    }
    Ok(identity)
}

/// Answers a vault PATCH.
pub async fn handle(
    shared: &Shared,
    request: &IncomingRequest,
    (sub, group, name): (String, String, String),
) -> Outcome {
    let decision = {
        let mut state = shared.lock();
        let identity = match identity(&mut state, request) {
            Ok(identity) => identity,
            Err(refusal) => return refusal.outcome(),
        };
        state.count(RouteKind::ArmPutVault);
        let version = url::form_urlencoded::parse(request.uri.query().unwrap_or("").as_bytes())
            .find(|(k, _)| k == "api-version")
            .map(|(_, v)| v.into_owned());
        if version.as_deref() != Some(API_VERSION) {
            return error(
                400,
                "InvalidApiVersionParameter",
                format!(
                    "The api-version '{}' is invalid. The supported versions are '{API_VERSION}'.",
                    version.unwrap_or_default()
                ),
            )
            .outcome();
        }
        (
            identity,
            state.take_faults(RouteKind::ArmPutVault, None, &request.method),
        )
    };
    let (identity, decision) = decision;
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    if decision.action.is_some() {
        return error(503, "ServiceUnavailable", "Injected server error 503.").outcome();
    }
    let mut state = shared.lock();
    match patch(&mut state, &identity, &sub, &group, &name, &request.body) {
        Ok(body) => Outcome::Respond(respond::json(200, &body)),
        Err(refusal) => refusal.outcome(),
    }
}

fn patch(
    state: &mut State,
    identity: &Identity,
    sub: &str,
    group: &str,
    name: &str,
    body: &[u8],
) -> Result<Value, Refusal> {
    let id = format!(
        "/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{name}"
    );
    if !state
        .arm
        .allowed(&identity.object_id, &id, Permission::WriteVaults)
    {
        let who = identity
            .user
            .as_ref()
            .map(|u| u.upn.clone())
            .unwrap_or_else(|| identity.client_id.clone());
        return Err(error(
            403,
            "AuthorizationFailed",
            format!(
                "The client '{who}' with object id '{}' does not have authorization to perform action 'Microsoft.KeyVault/vaults/write' over scope '{id}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
                identity.object_id
            ),
        ));
    }
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        error(
            400,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })?;
    let props = &body["properties"];
    let Some(index) = state.arm.vaults.iter().position(|v| {
        same_id(&v.subscription, sub) && same_id(&v.group, group) && same_id(&v.name, name)
    }) else {
        return Err(error(
            404,
            "ResourceNotFound",
            format!(
                "The Resource 'Microsoft.KeyVault/vaults/{name}' under resource group '{group}' was not found."
            ),
        ));
    };
    let current = state.arm.vaults[index].clone();
    let bad = |text: &str| error(400, "BadRequest", text.to_string());
    if current.purge_protection && props["enablePurgeProtection"] == json!(false) {
        return Err(bad(
            "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.",
        ));
    }
    if props["enableSoftDelete"] == json!(false) {
        return Err(bad(
            "The property \"enableSoftDelete\" cannot be set to false.",
        ));
    }
    if props["softDeleteRetentionInDays"]
        .as_u64()
        .is_some_and(|days| days != current.retention_days)
    {
        return Err(bad(
            "The property \"softDeleteRetentionInDays\" has been set already and it can't be modified.",
        ));
    }
    let record = VaultRecord {
        rbac: props["enableRbacAuthorization"]
            .as_bool()
            .unwrap_or(current.rbac),
        purge_protection: current.purge_protection || props["enablePurgeProtection"] == json!(true),
        soft_delete: true,
        ..current
    };
    if let Some(plane) = state
        .arm
        .data_planes
        .iter()
        .find(|d| same_id(&d.name, &record.name))
    {
        // As Vaults - Create Or Update does for a registered data plane (arm_ops.rs).
        let mut data = plane.shared.lock();
        data.vault_tenant = record.tenant_id.clone();
        data.purge_protection = record.purge_protection;
        data.tenants.trusts_process_entra = true;
        if record.rbac {
            data.permission_model = PermissionModel::Rbac;
        }
    }
    state.arm.vaults[index] = record.clone();
    let mut properties = json!({
        "sku": { "family": "A", "name": record.sku },
        "tenantId": record.tenant_id,
        "enableSoftDelete": record.soft_delete,
        "softDeleteRetentionInDays": record.retention_days,
        "enableRbacAuthorization": record.rbac,
        "vaultUri": record.vault_uri,
        "provisioningState": "Succeeded",
    });
    if record.purge_protection {
        properties["enablePurgeProtection"] = json!(true);
    }
    Ok(json!({
        "id": record.id(),
        "name": record.name,
        "type": "Microsoft.KeyVault/vaults",
        "location": record.location,
        "properties": properties,
    }))
}

impl super::Emulator {
    /// The ARM vault `name` uses vault access policies (made in the Portal before Azure RBAC was
    /// the default): `enableRbacAuthorization` false, and its data plane, if registered, too.
    pub fn use_access_policies(&self, name: &str) {
        let mut state = self.shared.lock();
        for vault in state
            .arm
            .vaults
            .iter_mut()
            .filter(|v| same_id(&v.name, name))
        {
            vault.rbac = false;
        }
        if let Some(plane) = state
            .arm
            .data_planes
            .iter()
            .find(|d| same_id(&d.name, name))
        {
            plane.shared.lock().permission_model = PermissionModel::AccessPolicy {
                allowed: Vec::new(),
            };
        }
    }
}
