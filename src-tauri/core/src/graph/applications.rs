//! Every app registration's credentials in a tenant: `GET /v1.0/applications?$select=id,appId,
//! displayName,passwordCredentials,keyCredentials&$top=999`, following `@odata.nextLink`
//! (learn.microsoft.com/graph/api/application-list, v1.0): ceil(apps / 999) requests. Graph
//! lists a secret's `hint` (its first characters), never its value.
//!
//! Permission (same page): `Application.Read.All` — delegated for a signed-in technician (the
//! console's app registration, consented in the client tenant), application for an app-secret
//! connection (the app's own, admin-consented). Without it Graph answers 403
//! `Authorization_RequestDenied` "Insufficient privileges to complete the operation.", which is
//! named here with the permission and how an admin grants it, and never fails the client.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{GraphClient, service_error};
use crate::domain::app_credentials::{AppCredentialInfo, CredentialType};
use crate::domain::vault_objects::KindListing;
use crate::error::{AppError, ErrorCode};

/// The listing's request, relative to `/v1.0/`.
pub const LIST_APPLICATIONS: &str =
    "applications?$select=id,appId,displayName,passwordCredentials,keyCredentials&$top=999";

/// Microsoft Graph's own application id, and `Application.Read.All`'s ids
/// (learn.microsoft.com/graph/permissions-reference).
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
pub const APPLICATION_READ_ALL_ROLE: &str = "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30";
pub const APPLICATION_READ_ALL_SCOPE: &str = "c79f8feb-a9db-4090-85f9-90d820caa0eb";

/// Whose token read Graph: it decides which kind of permission an admin must grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphCaller {
    /// A signed-in technician (delegated permission of the console's app registration).
    Technician { upn: String },
    /// The connection's own app registration (application permission).
    AppSecret,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Application {
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    password_credentials: Option<Vec<Password>>,
    #[serde(default)]
    key_credentials: Option<Vec<KeyCredential>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Password {
    #[serde(default)]
    key_id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default)]
    start_date_time: Option<String>,
    #[serde(default)]
    end_date_time: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyCredential {
    #[serde(default)]
    key_id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    start_date_time: Option<String>,
    #[serde(default)]
    end_date_time: Option<String>,
    #[serde(default)]
    custom_key_identifier: Option<String>,
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Graph gives a certificate's `customKeyIdentifier` as base64 of its SHA-1 thumbprint: shown
/// in hex as the portal shows it; anything else as given.
fn thumbprint(identifier: &str) -> String {
    match base64::engine::general_purpose::STANDARD.decode(identifier) {
        Ok(bytes) if bytes.len() == 20 => hex::encode_upper(bytes),
        _ => identifier.to_string(),
    }
}

fn credentials_of(app: Application) -> Vec<AppCredentialInfo> {
    let app_name = app
        .display_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "(unnamed app)".to_string());
    let app_id = app.app_id.clone().unwrap_or_default();
    let passwords = app
        .password_credentials
        .unwrap_or_default()
        .into_iter()
        .map(|p| AppCredentialInfo {
            app_name: app_name.clone(),
            app_id: app_id.clone(),
            credential_type: CredentialType::Password,
            key_id: p.key_id.unwrap_or_default(),
            display_name: p.display_name,
            hint: p.hint,
            thumbprint: None,
            start: time(p.start_date_time.as_deref()),
            end: time(p.end_date_time.as_deref()),
            links: Vec::new(),
        });
    let keys = app
        .key_credentials
        .unwrap_or_default()
        .into_iter()
        .map(|k| AppCredentialInfo {
            app_name: app_name.clone(),
            app_id: app_id.clone(),
            credential_type: CredentialType::Certificate,
            key_id: k.key_id.unwrap_or_default(),
            display_name: k.display_name,
            hint: None,
            thumbprint: k.custom_key_identifier.as_deref().map(thumbprint),
            start: time(k.start_date_time.as_deref()),
            end: time(k.end_date_time.as_deref()),
            links: Vec::new(),
        });
    passwords.chain(keys).collect()
}

/// The 403 named: the permission, and how an admin grants it (portal path and `az` lines).
pub fn permission_missing(caller: &GraphCaller, client_id: &str, tenant_id: &str) -> AppError {
    // A token issued before the grant does not carry it (Entra keeps it up to about an hour),
    // so the last step is a fresh token, not just a Refresh.
    let (who, kind, api_permission, then) = match caller {
        GraphCaller::Technician { upn } => (
            format!("your sign-in ({upn})"),
            "delegated",
            format!("{APPLICATION_READ_ALL_SCOPE}=Scope"),
            "Then sign out and sign in again (a Graph token from before the grant lacks it; it renews by itself within about an hour).",
        ),
        GraphCaller::AppSecret => (
            format!("the app registration {client_id}"),
            "application",
            format!("{APPLICATION_READ_ALL_ROLE}=Role"),
            "Then disconnect and connect this client (the app's current token predates the grant; it renews by itself within about an hour).",
        ),
    };
    AppError::new(
        ErrorCode::GraphPermissionMissing,
        format!(
            "Microsoft Graph refused to list this tenant's app registrations for {who}: Application.Read.All ({kind} permission) is not granted. The client's keys are listed as usual."
        ),
        format!(
            "An administrator of tenant {tenant_id} grants it: Entra admin center → App registrations → {client_id} → API permissions → Add a permission → Microsoft Graph → {} permissions → Application.Read.All, then \"Grant admin consent\". Or: az ad app permission add --id {client_id} --api {GRAPH_APP_ID} --api-permissions {api_permission} && az ad app permission admin-consent --id {client_id}. {then}",
            if kind == "delegated" {
                "Delegated"
            } else {
                "Application"
            }
        ),
    )
}

/// A refusal other than the missing permission, worded as this listing's, not the client's.
fn refused(status: u16, body: &[u8]) -> AppError {
    let (code, message) = service_error(body);
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(" Graph said: {message}")
    };
    let (error_code, hint) = match status {
        401 => (
            ErrorCode::CredentialFailed,
            "Refresh to sign in again; if it keeps failing, the console's app registration may not be consented for Microsoft Graph in this tenant.",
        ),
        429 => (
            ErrorCode::Throttled,
            "Graph is throttling this tenant: the next refresh tries again.",
        ),
        500..=599 => (
            ErrorCode::ServiceUnavailable,
            "Graph is having trouble: the next refresh tries again.",
        ),
        _ => (
            ErrorCode::UnexpectedResponse,
            "The next refresh tries again. If it persists, tell your Azure administrator what Graph said.",
        ),
    };
    AppError::new(
        error_code,
        format!(
            "App registrations' credentials were not listed (Graph answered {status} {code}).{said} The client's keys are listed as usual."
        ),
        hint,
    )
}

impl GraphClient {
    /// Every credential of every app registration the caller may read, or the named refusal.
    /// Never fails the client: whatever goes wrong is this kind's refusal.
    pub async fn list_app_credentials(
        &self,
        caller: &GraphCaller,
        client_id: &str,
        tenant_id: &str,
    ) -> KindListing<AppCredentialInfo> {
        match self
            .list::<Application>(LIST_APPLICATIONS, "list the tenant's app registrations")
            .await
        {
            Ok(Ok(apps)) => {
                let mut all: Vec<AppCredentialInfo> =
                    apps.into_iter().flat_map(credentials_of).collect();
                all.sort_by(|a, b| a.end.cmp(&b.end).then_with(|| a.app_name.cmp(&b.app_name)));
                KindListing::Listed(all)
            }
            Ok(Err((403, _))) => {
                KindListing::Refused(permission_missing(caller, client_id, tenant_id))
            }
            Ok(Err((status, body))) => KindListing::Refused(refused(status, &body)),
            Err(mut error) => {
                // The token itself was refused (no consent, MFA, …) or the network failed: the
                // named error stands, said to be this listing's.
                error.message = format!(
                    "App registrations' credentials were not listed: {} The client's keys are listed as usual.",
                    error.message
                );
                KindListing::Refused(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_credential_kinds_are_read_with_hint_or_thumbprint() {
        let page = serde_json::json!({"value": [{
            "id": "o1", "appId": "a1", "displayName": "Backup agent",
            "passwordCredentials": [{"keyId": "k1", "displayName": "prod", "hint": "Q7x",
                "startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2026-12-10T00:00:00Z"}],
            "keyCredentials": [{"keyId": "k2", "displayName": "CN=agent", "type": "AsymmetricX509Cert",
                "usage": "Verify", "endDateTime": "2026-11-01T00:00:00Z",
                "customKeyIdentifier": "PyqcDR5LWml4wNHi86S1xtfo+QE="}]
        }]});
        let page: super::super::Page<Application> = serde_json::from_value(page).expect("page");
        let creds: Vec<_> = page.value.into_iter().flat_map(credentials_of).collect();
        assert_eq!(creds.len(), 2);
        assert_eq!(creds[0].credential_type, CredentialType::Password);
        assert_eq!(creds[0].hint.as_deref(), Some("Q7x"));
        assert_eq!(creds[1].credential_type, CredentialType::Certificate);
        assert_eq!(
            creds[1].thumbprint.as_deref(),
            Some("3F2A9C0D1E4B5A6978C0D1E2F3A4B5C6D7E8F901")
        );
        assert_eq!(creds[1].app_name, "Backup agent");
    }

    #[test]
    fn the_refusal_names_the_permission_and_the_admins_fix() {
        let error = permission_missing(&GraphCaller::AppSecret, "app-1", "tenant-1");
        assert_eq!(error.code, ErrorCode::GraphPermissionMissing);
        assert!(error.message.contains("Application.Read.All"));
        assert!(error.message.contains("application permission"));
        assert!(error.hint.contains("API permissions"));
        assert!(
            error
                .hint
                .contains(&format!("{APPLICATION_READ_ALL_ROLE}=Role"))
        );
        let delegated = permission_missing(
            &GraphCaller::Technician {
                upn: "tech@msp.example".into(),
            },
            "app-1",
            "tenant-1",
        );
        assert!(delegated.message.contains("delegated permission"));
        assert!(delegated.hint.contains("=Scope"));
    }
}
