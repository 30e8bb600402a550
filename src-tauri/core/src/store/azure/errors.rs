//! Azure SDK errors as the console's named errors, with hints a technician can act on: Entra
//! sign-in codes (AADSTS…), Key Vault's refusals (RBAC vs access policies, purge protection,
//! throttling) and transport failures (DNS, TLS, timeouts).

use azure_core::error::ErrorKind;

use crate::error::{AppError, ErrorCode};

/// Whether an operation writes (and so needs Secrets Officer rather than Secrets User).
fn writes(doing: &str) -> bool {
    [
        "save", "update", "delete", "purge", "recover", "restore", "disable", "enable",
    ]
    .iter()
    .any(|verb| doing.contains(verb))
}

/// Name the signed-in technician, and the Key Vault role they lack, in a refusal.
pub(super) fn for_caller(mut error: AppError, caller: &str, doing: &str) -> AppError {
    let role = if writes(doing) {
        "Key Vault Secrets Officer"
    } else {
        "Key Vault Secrets User (read) or Key Vault Secrets Officer (read and write)"
    };
    match error.code {
        ErrorCode::ForbiddenByRbac => {
            error.message =
                format!("Key Vault's role-based access refused to let {caller} {doing}.");
            error.hint = format!(
                "{caller} needs the {role} role on this vault: Key Vault → Access control (IAM) → Add role assignment, for them or their group. If it was just assigned, wait 2–3 minutes for Azure RBAC to propagate and retry."
            );
        }
        ErrorCode::ForbiddenByPolicy => {
            error.message = format!("The vault's access policies do not let {caller} {doing}.");
            error.hint = format!(
                "The vault uses the Vault access policy model: add {caller} under Access policies with the secret permissions needed (get and list to read; set and delete to change keys), or switch the vault to Azure RBAC and assign {role}."
            );
        }
        ErrorCode::Forbidden => {
            error.message = format!("Key Vault refused to let {caller} {doing}.");
        }
        _ => {}
    }
    error
}

/// The parts of a Key Vault error body we act on.
#[derive(Default)]
struct ServiceError {
    code: String,
    inner: String,
    message: String,
}

fn service_error(raw: Option<&azure_core::http::RawResponse>) -> ServiceError {
    let Some(raw) = raw else {
        return ServiceError::default();
    };
    let body: serde_json::Value = serde_json::from_slice(raw.body().as_ref()).unwrap_or_default();
    let error = &body["error"];
    ServiceError {
        code: error["code"].as_str().unwrap_or_default().to_string(),
        inner: error["innererror"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        message: error["message"].as_str().unwrap_or_default().to_string(),
    }
}

fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(current) = source {
        text.push_str(" | ");
        text.push_str(&current.to_string());
        source = current.source();
    }
    text
}

/// Turn an SDK error into a named error with a hint. `doing` completes "Could not …".
pub fn map_error(error: azure_core::Error, doing: &str) -> AppError {
    let text = chain_text(&error);
    // Our own credential (a signed-in technician) failed with a named error of its own.
    if let Some(carried) = AppError::carried(&text) {
        return carried;
    }
    if let Some(mapped) = map_entra(&text) {
        return mapped;
    }
    match error.kind() {
        ErrorKind::HttpResponse {
            status,
            error_code,
            raw_response,
        } => {
            let status = u16::from(*status);
            let body = service_error(raw_response.as_deref());
            let code = error_code
                .clone()
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| body.code.clone());
            map_http(status, &code, &body, doing)
        }
        ErrorKind::Io | ErrorKind::Connection | ErrorKind::Credential | ErrorKind::Other => {
            map_transport(&text, doing)
        }
        _ => AppError::new(
            ErrorCode::UnexpectedResponse,
            format!("Could not {doing}: Key Vault's answer could not be read."),
            "Try again. If it persists, check that the vault URL points at Azure Key Vault.",
        ),
    }
}

/// Entra sign-in failures, recognised by their AADSTS codes.
fn map_entra(text: &str) -> Option<AppError> {
    let found = |code: &str| text.contains(&format!("AADSTS{code}"));
    if found("7000215") {
        return Some(AppError::new(
            ErrorCode::InvalidClientSecret,
            "Entra ID rejected the client secret (AADSTS7000215: invalid client secret).",
            "Paste the secret's Value, not its Secret ID, from App registrations → your app → Certificates & secrets. If it was regenerated, use the new Value.",
        ));
    }
    if found("7000222") {
        return Some(AppError::new(
            ErrorCode::ClientSecretExpired,
            "The client secret has expired (AADSTS7000222).",
            "Create a new client secret in App registrations → Certificates & secrets, connect with it, and rotate the Entra App Secret entry in this console.",
        ));
    }
    if found("700016") {
        return Some(AppError::new(
            ErrorCode::AppNotFound,
            "Entra ID does not know this Client ID in this tenant (AADSTS700016).",
            "Check that the Client ID is the app registration's Application (client) ID and that the Tenant ID is the directory it was registered in.",
        ));
    }
    if found("90002") {
        return Some(AppError::new(
            ErrorCode::TenantNotFound,
            "Entra ID does not know this tenant (AADSTS90002).",
            "Copy the Directory (tenant) ID from Entra ID → Overview, and check the cloud (public, US Government, China) matches your tenant.",
        ));
    }
    let code = text.split("AADSTS").nth(1).map(|rest| {
        rest.chars()
            .take_while(|c| c.is_ascii_digit())
            .collect::<String>()
    })?;
    Some(AppError::new(
        ErrorCode::CredentialFailed,
        format!("Entra ID refused the sign-in (AADSTS{code})."),
        "Check the Tenant ID, Client ID and client secret against the app registration.",
    ))
}

fn map_http(status: u16, code: &str, body: &ServiceError, doing: &str) -> AppError {
    let detail = if body.message.is_empty() {
        String::new()
    } else {
        format!(" ({})", body.message)
    };
    let inner = if body.inner.is_empty() {
        code
    } else {
        body.inner.as_str()
    };
    match status {
        401 => AppError::new(
            ErrorCode::CredentialFailed,
            format!("Key Vault did not accept the sign-in token while trying to {doing}."),
            "The app registration may be in a different tenant than the vault. Check the Tenant ID.",
        ),
        403 if inner == "ForbiddenByRbac" || code == "ForbiddenByRbac" => AppError::new(
            ErrorCode::ForbiddenByRbac,
            format!("Key Vault's role-based access refused to let this app {doing}."),
            "Assign the app registration the Key Vault Secrets Officer role (Secrets User can only read). If you just assigned it, wait 2–3 minutes for Azure RBAC to propagate and retry.",
        ),
        403 if inner == "ForbiddenByPolicy" || code == "ForbiddenByPolicy" => AppError::new(
            ErrorCode::ForbiddenByPolicy,
            format!("The vault's access policies do not let this app {doing}."),
            "The vault uses the Vault access policy permission model, so RBAC roles do not apply. Switch Access configuration to Azure role-based access control (needs Owner), or add the app in the Access policies blade.",
        ),
        403 if inner == "SecretDisabled" => AppError::new(
            ErrorCode::SecretDisabled,
            "This key is disabled, so its value cannot be read.",
            "Enable it first if it should be usable again.",
        ),
        403 if body
            .message
            .to_ascii_lowercase()
            .contains("purge protection") =>
        {
            AppError::new(
                ErrorCode::PurgeProtected,
                "The vault's purge protection forbids purging this key before its retention period ends.",
                "Purge protection cannot be turned off. The key stays recoverable until its scheduled purge date, then Azure removes it.",
            )
        }
        403 => AppError::new(
            ErrorCode::Forbidden,
            format!("Key Vault refused to {doing}{detail}."),
            "Check the app's role on the vault (Key Vault Secrets Officer) and any firewall or private-endpoint rules.",
        ),
        404 => AppError::new(
            ErrorCode::SecretNotFound,
            format!("Key Vault has no such secret (while trying to {doing})."),
            "It may have been deleted or renamed from another console. Refresh and try again.",
        ),
        409 => {
            let hint = match inner {
                "ObjectIsDeletedButRecoverable" => {
                    "A deleted key with this name is still recoverable. Recover it from the Deleted view, or purge it first."
                }
                _ => "The key is being deleted or recovered. Wait a few seconds and try again.",
            };
            AppError::new(
                ErrorCode::Conflict,
                format!("Key Vault reported a conflict while trying to {doing}{detail}."),
                hint,
            )
        }
        429 => AppError::new(
            ErrorCode::Throttled,
            format!(
                "Key Vault is throttling requests; the console waited as asked and retried, but could not {doing}."
            ),
            "Wait a minute and retry. Bulk work runs a few keys at a time to stay under Key Vault's limits.",
        ),
        400 => AppError::new(
            ErrorCode::InvalidInput,
            format!("Key Vault rejected the request to {doing}{detail}."),
            "Check names, sizes and tags: names are letters, digits and hyphens; values are at most 25 KB.",
        ),
        500..=599 => AppError::new(
            ErrorCode::ServiceUnavailable,
            format!(
                "Key Vault had a server error (HTTP {status}) and the retries were used up; could not {doing}."
            ),
            "Nothing was changed. Check the Azure status page and retry in a few minutes.",
        ),
        other => AppError::new(
            ErrorCode::UnexpectedResponse,
            format!("Key Vault answered HTTP {other} while trying to {doing}{detail}."),
            "Try again. If it persists, check the vault URL and cloud.",
        ),
    }
}

/// [`map_error`] for another Microsoft service on the same pipeline (Resource Manager, Graph):
/// a failure to reach it names that service, not the vault (whose name and DNS the vault's
/// hints are about).
pub fn map_service_error(error: azure_core::Error, doing: &str, service: &str) -> AppError {
    reword_for_service(map_error(error, doing), doing, service)
}

fn reword_for_service(mut mapped: AppError, doing: &str, service: &str) -> AppError {
    match mapped.code {
        ErrorCode::VaultNotFound => {
            mapped.code = ErrorCode::NetworkUnreachable;
            mapped.message =
                format!("{service}'s address could not be found while trying to {doing}.");
            mapped.hint = "Check DNS and the internet or VPN connection; behind a proxy, check the system proxy settings or HTTPS_PROXY.".to_string();
        }
        ErrorCode::Timeout => {
            mapped.message =
                format!("{service} did not answer in time (tried to {doing}, with retries).");
        }
        ErrorCode::NetworkUnreachable => {
            mapped.message = format!("Could not reach {service} while trying to {doing}.");
        }
        _ => {}
    }
    mapped
}

fn map_transport(text: &str, doing: &str) -> AppError {
    let lower = text.to_ascii_lowercase();
    if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
        || lower.contains("no such host")
        || lower.contains("nodename nor servname")
    {
        return AppError::new(
            ErrorCode::VaultNotFound,
            format!("The vault's address could not be found while trying to {doing}."),
            "Enter just the vault name (e.g. msp-api-keyvault, not the full URI) and check the cloud. Also check DNS if the vault uses a private endpoint.",
        );
    }
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        return AppError::new(
            ErrorCode::TlsFailure,
            format!("The secure connection failed while trying to {doing}."),
            "A proxy may be inspecting HTTPS: add its root CA under a Custom cloud, or check the vault URL.",
        );
    }
    if lower.contains("timed out") || lower.contains("timeout") || lower.contains("deadline") {
        return AppError::new(
            ErrorCode::Timeout,
            format!("Key Vault did not answer in time (tried to {doing}, with retries)."),
            "Check your network or VPN and retry.",
        );
    }
    if lower.contains("connect")
        || lower.contains("connection")
        || lower.contains("error sending request")
        || lower.contains("io error")
    {
        return AppError::new(
            ErrorCode::NetworkUnreachable,
            format!("Could not reach Azure while trying to {doing}."),
            "Check the internet or VPN connection and any firewall between this PC and Azure; the console retried a few times first.",
        );
    }
    AppError::new(
        ErrorCode::CredentialFailed,
        format!("Could not {doing}: {text}"),
        "Check the Tenant ID, Client ID, client secret and vault name.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_service_s_unreachable_host_is_named_as_that_service_not_the_vault() {
        let dns = reword_for_service(
            map_transport(
                "dns error: failed to lookup address",
                "list app registrations",
            ),
            "list app registrations",
            "Microsoft Graph",
        );
        assert_eq!(dns.code, ErrorCode::NetworkUnreachable);
        assert!(
            dns.message.starts_with("Microsoft Graph's address"),
            "{}",
            dns.message
        );
        assert!(!dns.message.contains("vault") && !dns.hint.contains("vault name"));
        let slow = reword_for_service(
            map_transport("operation timed out", "list tenants"),
            "list tenants",
            "Azure Resource Manager",
        );
        assert_eq!(slow.code, ErrorCode::Timeout);
        assert!(
            slow.message
                .starts_with("Azure Resource Manager did not answer")
        );
        // Other errors (an expired secret, a refusal) keep their own words.
        let entra = reword_for_service(
            map_entra("AADSTS7000222: expired").expect("named"),
            "x",
            "Microsoft Graph",
        );
        assert_eq!(entra.code, ErrorCode::ClientSecretExpired);
    }

    #[test]
    fn aadsts_codes_are_named() {
        let cases = [
            (
                "ClientSecretCredential authentication failed. AADSTS7000215: Invalid client secret.",
                ErrorCode::InvalidClientSecret,
            ),
            (
                "AADSTS7000222: The provided client secret keys for app 'x' are expired.",
                ErrorCode::ClientSecretExpired,
            ),
            (
                "AADSTS700016: Application with identifier 'x' was not found",
                ErrorCode::AppNotFound,
            ),
            (
                "AADSTS90002: Tenant 'x' not found.",
                ErrorCode::TenantNotFound,
            ),
            ("AADSTS50034: something else", ErrorCode::CredentialFailed),
        ];
        for (text, code) in cases {
            assert_eq!(map_entra(text).map(|e| e.code), Some(code), "{text}");
        }
        assert!(map_entra("no code here").is_none());
    }

    #[test]
    fn forbidden_kinds_are_told_apart() {
        let body = |inner: &str, message: &str| ServiceError {
            code: "Forbidden".into(),
            inner: inner.into(),
            message: message.into(),
        };
        assert_eq!(
            map_http(403, "Forbidden", &body("ForbiddenByRbac", ""), "list").code,
            ErrorCode::ForbiddenByRbac
        );
        assert_eq!(
            map_http(403, "Forbidden", &body("ForbiddenByPolicy", ""), "list").code,
            ErrorCode::ForbiddenByPolicy
        );
        assert_eq!(
            map_http(403, "Forbidden", &body("", "Operation \"purge\" is not allowed because purge protection is enabled for this vault."), "purge").code,
            ErrorCode::PurgeProtected
        );
        assert_eq!(
            map_http(429, "Throttled", &body("", ""), "list").code,
            ErrorCode::Throttled
        );
        assert_eq!(
            map_http(503, "", &body("", ""), "list").code,
            ErrorCode::ServiceUnavailable
        );
        assert_eq!(
            map_http(
                409,
                "Conflict",
                &body("ObjectIsDeletedButRecoverable", ""),
                "save"
            )
            .code,
            ErrorCode::Conflict
        );
    }

    #[test]
    fn refusals_name_the_signed_in_technician_and_the_missing_role() {
        let rbac = AppError::new(ErrorCode::ForbiddenByRbac, "x", "y");
        let named = for_caller(rbac.clone(), "lee@contoso.com", "save the key");
        assert!(named.message.contains("lee@contoso.com"));
        assert!(named.hint.contains("Key Vault Secrets Officer"));
        let read = for_caller(rbac, "lee@contoso.com", "list keys");
        assert!(read.hint.contains("Key Vault Secrets User"));
        let other = for_caller(
            AppError::new(ErrorCode::Timeout, "t", "h"),
            "lee@contoso.com",
            "list keys",
        );
        assert_eq!(other.message, "t");
    }

    #[test]
    fn transport_failures_are_named() {
        assert_eq!(
            map_transport(
                "error sending request | dns error: failed to lookup address",
                "list"
            )
            .code,
            ErrorCode::VaultNotFound
        );
        assert_eq!(
            map_transport("invalid peer certificate: UnknownIssuer", "list").code,
            ErrorCode::TlsFailure
        );
        assert_eq!(
            map_transport("operation timed out", "list").code,
            ErrorCode::Timeout
        );
        assert_eq!(
            map_transport("error sending request | connection refused", "list").code,
            ErrorCode::NetworkUnreachable
        );
    }
}
