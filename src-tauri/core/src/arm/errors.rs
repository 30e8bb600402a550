//! ARM's refusals as named errors. ARM answers errors as
//! `{"error":{"code","message","details"?}}` (learn.microsoft.com/azure/azure-resource-manager/
//! troubleshooting/common-deployment-errors); a 403 `AuthorizationFailed` message names the
//! action refused: "… does not have authorization to perform action
//! 'Microsoft.KeyVault/vaults/write' over scope '…' or the scope is invalid. …".

use crate::error::{AppError, ErrorCode};

/// What an ARM call does, for its errors: "create the vault", and the Azure roles that allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Doing {
    /// Completes "Azure refused to let you …".
    pub what: &'static str,
    /// The built-in roles that grant it, e.g. "Owner or User Access Administrator".
    pub role: &'static str,
    /// Where to assign that role, e.g. "the subscription or resource group".
    pub scope: &'static str,
}

impl Doing {
    pub const fn new(what: &'static str, role: &'static str, scope: &'static str) -> Doing {
        Doing { what, role, scope }
    }
}

/// `code` and `message` of ARM's error body, when it has one.
pub(super) fn service_error(body: &[u8]) -> (String, String) {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let error = &value["error"];
    (
        error["code"].as_str().unwrap_or_default().to_string(),
        error["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// The action an `AuthorizationFailed` message names.
fn refused_action(message: &str) -> Option<&str> {
    let start = message.find("perform action '")? + "perform action '".len();
    let rest = &message[start..];
    Some(&rest[..rest.find('\'')?])
}

/// ARM's answer `status` (after the pipeline's retries) as a named error.
pub(super) fn status_error(status: u16, body: &[u8], doing: &Doing) -> AppError {
    let (code, message) = service_error(body);
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(" Azure said: {message}")
    };
    match status {
        401 => AppError::new(
            ErrorCode::CredentialFailed,
            format!(
                "Azure Resource Manager did not accept your sign-in to {} ({code}).{said}",
                doing.what
            ),
            "Sign in again. If it keeps failing, the console's app registration may lack the Azure Service Management permission (user_impersonation) in this tenant: ask its administrator to consent to it.",
        ),
        403 => {
            let action = refused_action(&message)
                .map(|action| format!(" (action {action})"))
                .unwrap_or_default();
            AppError::new(
                ErrorCode::AzureRoleMissing,
                format!(
                    "Azure refused to let you {}{action}: your account has no Azure role that allows it.",
                    doing.what
                ),
                format!(
                    "Ask an Owner of {} to give you {} there (Access control (IAM) → Add role assignment). A role assigned a moment ago can take a few minutes to apply: try again then.",
                    doing.scope, doing.role
                ),
            )
        }
        404 => AppError::new(
            ErrorCode::ResourceNotFound,
            format!("Azure found nothing to {} ({code}).{said}", doing.what),
            "Check the subscription, resource group and name. It may have been deleted or moved, or belong to another tenant.",
        ),
        409 => AppError::new(
            ErrorCode::Conflict,
            format!(
                "Azure could not {} because of a conflict ({code}).{said}",
                doing.what
            ),
            "Another change to the same resource may be running, or it already exists with other settings. Wait a minute and try again.",
        ),
        429 => AppError::new(
            ErrorCode::Throttled,
            format!(
                "Azure Resource Manager is throttling requests, so the console could not {} even after waiting and retrying.",
                doing.what
            ),
            "Too many requests reached Azure in a short time (from this console or other tools of your tenant). Wait a minute and try again.",
        ),
        500..=599 => AppError::new(
            ErrorCode::ServiceUnavailable,
            format!(
                "Azure Resource Manager answered {status} when the console tried to {}, also after retrying.{said}",
                doing.what
            ),
            "Azure had a passing fault. Try again in a few minutes; check status.azure.com if it persists.",
        ),
        _ => AppError::new(
            ErrorCode::AzureRequestRefused,
            format!("Azure refused to {} ({status} {code}).{said}", doing.what),
            "Check the values you entered against what Azure says above, then try again.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_action_names_it_and_the_role_that_grants_it() {
        let body = br#"{"error":{"code":"AuthorizationFailed","message":"The client 'ada@msp.example' with object id '0b9' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv' or the scope is invalid. If access was recently granted, please refresh your credentials."}}"#;
        let doing = Doing::new(
            "assign a Key Vault role",
            "Owner or User Access Administrator",
            "the vault or its resource group",
        );
        let error = status_error(403, body, &doing);
        assert_eq!(error.code, ErrorCode::AzureRoleMissing);
        assert!(
            error
                .message
                .contains("Microsoft.Authorization/roleAssignments/write"),
            "{error:?}"
        );
        assert!(
            error.hint.contains("Owner or User Access Administrator"),
            "{error:?}"
        );
        assert_eq!(
            status_error(404, b"", &doing).code,
            ErrorCode::ResourceNotFound
        );
        assert_eq!(status_error(409, b"", &doing).code, ErrorCode::Conflict);
        assert_eq!(status_error(429, b"", &doing).code, ErrorCode::Throttled);
        assert_eq!(
            status_error(503, b"not json", &doing).code,
            ErrorCode::ServiceUnavailable
        );
        let bad = status_error(
            400,
            br#"{"error":{"code":"BadRequest","message":"The property \"enablePurgeProtection\" cannot be set to false."}}"#,
            &doing,
        );
        assert_eq!(bad.code, ErrorCode::AzureRequestRefused);
        assert!(bad.message.contains("cannot be set to false"));
    }
}
