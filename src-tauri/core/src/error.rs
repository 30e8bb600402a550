//! The one error type the webview sees: `{ code, message, hint, field }`. Every failure a
//! technician can hit maps to a named code with a hint they can act on.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Named error codes. The UI switches on a few (e.g. to open the Connect modal) and shows the
/// message and hint of all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ErrorCode {
    // Input
    InvalidInput,
    UnknownVendor,
    KeyExists,
    KeyNotFound,
    /// The page named a vault object that this client's last listing does not have.
    NotListed,
    /// A secret shorter than its kind's recommended length was given without a reason.
    ReasonRequired,
    /// The key's kind has no test call (a non-API secret, or a vendor whose API the console
    /// cannot call with a stored key alone).
    NoTestCall,
    // Connection and identity
    NotConnected,
    InvalidClientSecret,
    ClientSecretExpired,
    AppNotFound,
    TenantNotFound,
    CredentialFailed,
    VaultNotFound,
    NetworkUnreachable,
    TlsFailure,
    Timeout,
    // Key Vault answers
    ForbiddenByRbac,
    ForbiddenByPolicy,
    Forbidden,
    SecretDisabled,
    SecretNotFound,
    Conflict,
    Throttled,
    ServiceUnavailable,
    PurgeProtected,
    UnexpectedResponse,
    /// A server asked for a token it is not owed, or sent the console to another host.
    UntrustedServer,
    // Console rules
    AccessDenied,
    AdminOnly,
    /// Signed in, but no console app role is assigned to the user in Entra.
    NoAppRole,
    /// The connection signs in through another app registration than the one the vault's
    /// policy pins: its roles are ignored.
    ForeignApp,
    /// App-secret mode: the typed name is not on the vault's roster.
    NotOnRoster,
    /// The vault's role policy could not be read: only Admin may act.
    PolicyUnavailable,
    /// This PC's audit log no longer matches the vault.
    AuditTampered,
    ProfileRequired,
    ConfirmationMismatch,
    /// An endpoint outside the vendor's domains awaits an Admin's confirmation of its host.
    HostNotConfirmed,
    /// A custom vendor's endpoint or token URL: not https, a user name or password in it, an IP
    /// address, a local/internal host name, a `{placeholder}`, a port, a query or fragment.
    EndpointNotHttps,
    EndpointUserinfo,
    EndpointIpLiteral,
    EndpointLocalHost,
    EndpointPlaceholder,
    EndpointPort,
    EndpointQuery,
    /// A custom vendor that still has keys cannot be removed.
    VendorInUse,
    /// Rotating at the vendor stopped at one step; the old key is still stored.
    ConnectorFailed,
    DemoOnly,
    // Local resources
    AuditWriteFailed,
    ClipboardUnavailable,
    KeychainUnavailable,
    /// A remembered secret stored in parts: a part is missing or fails its checksum.
    KeychainDamaged,
    /// Interactive sign-in: cancelled, timed out, refused, or the session expired.
    SignInFailed,
    SignInCancelled,
    SessionExpired,
    /// A client tenant reached with the home sign-in wants an interactive sign-in of its own
    /// (multi-factor authentication or another Conditional Access control there).
    TenantSignInRequired,
    /// The console's multi-tenant app has not been consented in the client tenant.
    TenantConsentRequired,
    /// The signed-in technician is not a user (B2B guest) of the client tenant.
    NotInTenant,
    /// Microsoft Graph refused to list the tenant's app registrations (403
    /// Authorization_RequestDenied): `Application.Read.All` is not granted.
    GraphPermissionMissing,
    // Azure Resource Manager
    /// ARM refused an action (403 AuthorizationFailed): the technician lacks an Azure role.
    AzureRoleMissing,
    /// ARM found no such subscription, resource group or resource (404).
    ResourceNotFound,
    /// ARM refused the request itself (400: a setting Azure does not allow).
    AzureRequestRefused,
    // Provisioning a client's vault
    /// The vault name is taken across Azure (another vault, or a soft-deleted one).
    VaultNameTaken,
    /// An existing vault differs from the Setup Guide in a way the console may not (or, without
    /// confirmation, will not) change.
    VaultNotAsPrescribed,
    /// The vault was provisioned and added, but its new role assignment has not applied yet.
    RoleNotYetEffective,
    /// The client tenant's groups could not be read: the technician's directory permissions
    /// there are restricted (a B2B guest by default).
    GroupsNotReadable,
    /// The console's app has no consented delegated permission to read the tenant's groups.
    GroupsConsentMissing,
    /// No group with the typed Object ID in the client tenant.
    GroupNotFound,
    ConfigUnreadable,
    /// A client saved in config.json fails validation (edited by hand or by something else):
    /// it is listed but never connected.
    InvalidSavedClient,
    FileWriteFailed,
    /// Windows would not replace a file another program holds open (an exported PDF in Acrobat,
    /// a CSV in Excel).
    FileInUse,
    SaveCancelled,
    /// The technician answered Cancel to a native confirmation: nothing was changed.
    ActionDeclined,
    ReportFailed,
    Internal,
}

/// An error as the webview receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub hint: String,
    /// The form field the error belongs to, when it is a validation error.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            hint: hint.into(),
            field: None,
        }
    }

    /// A validation error on one form field.
    pub fn field(field: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        AppError {
            code: ErrorCode::InvalidInput,
            message: message.into(),
            hint: hint.into(),
            field: Some(field.to_string()),
        }
    }

    pub fn not_connected() -> Self {
        AppError::new(
            ErrorCode::NotConnected,
            "No vault is connected.",
            "Connect to your Azure Key Vault, or start demo mode to explore the console.",
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AppError::new(
            ErrorCode::Internal,
            message,
            "This is a defect in the console. Nothing stored was changed; please report it.",
        )
    }

    /// Short text for the audit log's error column.
    pub fn audit_code(&self) -> String {
        serde_json::to_value(self.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "internal".to_string())
    }
}

/// Marks an [`AppError`] carried through the Azure SDK as text (a credential of ours fails inside
/// the SDK's pipeline, which only keeps a message), so the store can hand back the named error.
const CARRIED: &str = "akv-console-error\u{1f}";

impl AppError {
    /// This error as the message of an SDK error.
    pub fn carry(&self) -> String {
        format!(
            "{CARRIED}{}\u{1f}{}\u{1f}{}\u{1f}",
            self.audit_code(),
            self.message,
            self.hint
        )
    }

    /// The error [`AppError::carry`] put into `text`, if any.
    pub fn carried(text: &str) -> Option<AppError> {
        let rest = &text[text.find(CARRIED)? + CARRIED.len()..];
        let mut parts = rest.splitn(4, '\u{1f}');
        let code = parts.next()?;
        let message = parts.next()?;
        let hint = parts.next()?;
        let code: ErrorCode =
            serde_json::from_value(serde_json::Value::String(code.into())).ok()?;
        Some(AppError::new(code, message, hint))
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.message, self.hint)
    }
}

impl std::error::Error for AppError {}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_code_message_hint() {
        let error = AppError::field(
            "expiry",
            "The expiry date is in the past.",
            "Pick a later date.",
        );
        let json = serde_json::to_value(&error).expect("json");
        assert_eq!(json["code"], "invalid-input");
        assert_eq!(json["field"], "expiry");
        assert_eq!(json["hint"], "Pick a later date.");
        let plain = serde_json::to_value(AppError::not_connected()).expect("json");
        assert!(plain.get("field").is_none());
        assert_eq!(AppError::not_connected().audit_code(), "not-connected");
    }

    #[test]
    fn an_error_survives_a_trip_through_sdk_text() {
        let expired = AppError::new(
            ErrorCode::SessionExpired,
            "Your sign-in has expired.",
            "Sign in with Microsoft again.",
        );
        let text = format!("ClientAssertion failed | {} | more", expired.carry());
        assert_eq!(AppError::carried(&text), Some(expired));
        assert_eq!(AppError::carried("plain text"), None);
    }
}
