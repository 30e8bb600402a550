//! What a connection to Azure Key Vault is made of (everything but the client secret), its
//! validation, and the cloud endpoints.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::validation::{guid_field, normalise_vault_name};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Cloud {
    AzurePublic,
    AzureUsGovernment,
    AzureChina,
    /// Own authority host and vault URL (private endpoints, sovereign setups, the local emulator).
    Custom,
}

impl Cloud {
    pub fn label(self) -> &'static str {
        match self {
            Cloud::AzurePublic => "Azure (public)",
            Cloud::AzureUsGovernment => "Azure US Government",
            Cloud::AzureChina => "Azure China (21Vianet)",
            Cloud::Custom => "Custom endpoints",
        }
    }

    /// Vault DNS suffix of the built-in clouds.
    pub fn vault_suffix(self) -> Option<&'static str> {
        match self {
            Cloud::AzurePublic => Some("vault.azure.net"),
            Cloud::AzureUsGovernment => Some("vault.usgovcloudapi.net"),
            Cloud::AzureChina => Some("vault.azure.cn"),
            Cloud::Custom => None,
        }
    }

    pub fn authority_host(self) -> Option<&'static str> {
        match self {
            Cloud::AzurePublic => Some("https://login.microsoftonline.com"),
            Cloud::AzureUsGovernment => Some("https://login.microsoftonline.us"),
            Cloud::AzureChina => Some("https://login.chinacloudapi.cn"),
            Cloud::Custom => None,
        }
    }

    /// The Key Vault resource (token audience) of the built-in clouds.
    pub fn vault_resource(self) -> Option<&'static str> {
        match self {
            Cloud::AzurePublic => Some("https://vault.azure.net"),
            Cloud::AzureUsGovernment => Some("https://vault.usgovcloudapi.net"),
            Cloud::AzureChina => Some("https://vault.azure.cn"),
            Cloud::Custom => None,
        }
    }

    const BUILT_IN: [Cloud; 3] = [
        Cloud::AzurePublic,
        Cloud::AzureUsGovernment,
        Cloud::AzureChina,
    ];

    /// The built-in cloud whose Entra sign-in host `host` is (its aliases included), if any.
    pub fn of_authority_host(host: &str) -> Option<Cloud> {
        match normal_host(host).as_str() {
            "login.microsoftonline.com"
            | "login.windows.net"
            | "login.microsoft.com"
            | "sts.windows.net" => Some(Cloud::AzurePublic),
            "login.microsoftonline.us" | "login-us.microsoftonline.com" => {
                Some(Cloud::AzureUsGovernment)
            }
            "login.chinacloudapi.cn" | "login.partner.microsoftonline.cn" => {
                Some(Cloud::AzureChina)
            }
            _ => None,
        }
    }

    /// The built-in cloud whose vault DNS suffix `host` is under, if any.
    pub fn of_vault_host(host: &str) -> Option<Cloud> {
        let host = normal_host(host);
        Cloud::BUILT_IN.into_iter().find(|cloud| {
            cloud
                .vault_suffix()
                .is_some_and(|suffix| host.ends_with(&format!(".{suffix}")))
        })
    }
}

/// A host name compared the way DNS does: case-insensitive, without a trailing dot.
fn normal_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// How the console authenticates to Entra ID for a connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum AuthMode {
    /// Each technician signs in as themselves (public client; roles from Entra).
    SignIn,
    /// The app registration's client secret (client credentials); identities not verified.
    /// Remembered connections from before sign-in existed read as this.
    #[default]
    AppSecret,
}

/// A connection as the Connect modal collects it and as "Remember this connection" stores it.
/// The client secret is not part of it: it lives in Rust memory and, if remembered, in the OS
/// keychain only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConnectionSettings {
    pub tenant_id: String,
    pub client_id: String,
    pub vault_name: String,
    pub cloud: Cloud,
    /// Custom cloud: the Entra authority host, e.g. `https://login.contoso.example`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub authority_host: Option<String>,
    /// Custom cloud: the vault URL, e.g. `https://127.0.0.1:8443`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub vault_url: Option<String>,
    /// Custom cloud: extra root CA certificates (PEM text) to trust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ca_pem: Option<String>,
    #[serde(default)]
    pub auth: AuthMode,
    /// Sign-in mode through the MSP's multi-tenant app: the MSP's own (home) tenant, where the
    /// technician signs in once; the client's tenant (`tenant_id`) is reached as a guest with
    /// that sign-in. `None`: the technician signs in at the client's tenant itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub home_tenant_id: Option<String>,
}

const PEM_BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const PEM_END: &str = "-----END CERTIFICATE-----";

/// Rebuild PEM certificates from pasted text: line breaks lost or added on the way (a chat
/// window, a web form) are repaired, anything outside the certificate blocks is dropped.
/// `None` when no well-formed certificate block is found.
pub fn normalise_pem(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(PEM_BEGIN) {
        let after = &rest[start + PEM_BEGIN.len()..];
        let end = after.find(PEM_END)?;
        let body: String = after[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let base64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
        if body.is_empty() || !body.chars().all(base64) {
            return None;
        }
        out.push_str(PEM_BEGIN);
        out.push('\n');
        for chunk in body.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).ok()?);
            out.push('\n');
        }
        out.push_str(PEM_END);
        out.push('\n');
        rest = &after[end + PEM_END.len()..];
    }
    (!out.is_empty()).then_some(out)
}

/// The certificates of a CA file chosen in the Connect modal, as PEM: PEM text (one or more
/// certificates; a private key or other text in the file stays behind) or one DER certificate,
/// the binary `.cer` that Windows' certificate manager exports by default. `file` names the file
/// in the error when it holds neither.
pub fn ca_file_certificates(file: &str, bytes: &[u8]) -> AppResult<String> {
    let as_text = String::from_utf8_lossy(bytes);
    let pem = normalise_pem(&as_text).or_else(|| der_certificate_to_pem(bytes));
    // The text copy may hold a private key that sat in the same file.
    if let std::borrow::Cow::Owned(text) = as_text {
        drop(zeroize::Zeroizing::new(text));
    }
    pem.ok_or_else(|| {
        AppError::new(
            crate::error::ErrorCode::InvalidInput,
            format!("{file} holds no X.509 certificate (neither PEM text nor a DER certificate)."),
            "Choose the CA's certificate: a .pem, .crt or .cer file, in PEM (Base-64) or DER (binary) format.",
        )
    })
}

/// One DER-encoded X.509 certificate as PEM, or `None` when the bytes do not parse as one.
fn der_certificate_to_pem(der: &[u8]) -> Option<String> {
    use base64::Engine;
    let certificate = rustls_pki_types::CertificateDer::from(der);
    // Parsing it as a trust anchor reads the certificate's structure (name, key, extensions),
    // which is what the connection will do with it.
    webpki::anchor_from_trusted_cert(&certificate).ok()?;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    normalise_pem(&format!("{PEM_BEGIN}{body}{PEM_END}"))
}

fn https_url(field: &str, label: &str, text: Option<&str>) -> AppResult<String> {
    let trimmed = text.unwrap_or_default().trim().trim_end_matches('/');
    let hint = "Custom clouds need full https URLs, e.g. https://login.contoso.example and https://myvault.vault.contoso.example.";
    if trimmed.is_empty() {
        return Err(AppError::field(
            field,
            format!("{label} is required for a custom cloud."),
            hint,
        ));
    }
    match url::Url::parse(trimmed) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some() => Ok(trimmed.to_string()),
        Ok(_) => Err(AppError::field(
            field,
            format!("{label} must be an https URL."),
            hint,
        )),
        Err(_) => Err(AppError::field(
            field,
            format!("{label} is not a URL."),
            hint,
        )),
    }
}

/// A custom cloud that signs in at a public cloud's Entra must use a vault of that cloud (and a
/// vault of a public cloud, that cloud's Entra): otherwise a page or an edited config.json
/// could point the technician's real Microsoft sign-in at a server that only pretends to be a
/// vault, and have it ask for their Key Vault or Graph token.
fn check_pairing(authority_host: &str, vault_url: &str) -> AppResult<()> {
    let host_of = |url: &str| {
        url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(normal_host))
            .unwrap_or_default()
    };
    let (authority, vault) = (host_of(authority_host), host_of(vault_url));
    let signs_in_at = Cloud::of_authority_host(&authority);
    let vault_of = Cloud::of_vault_host(&vault);
    if signs_in_at == vault_of {
        return Ok(());
    }
    let message = match (signs_in_at, vault_of) {
        (Some(cloud), _) => format!(
            "{vault} is not a vault of {}, so the console will not sign in at {authority} for it.",
            cloud.label()
        ),
        (None, Some(cloud)) => format!(
            "{vault} is a vault of {}, so the console signs in for it only at that cloud's Entra ID, not at {authority}.",
            cloud.label()
        ),
        (None, None) => return Ok(()),
    };
    Err(AppError::field(
        "vaultUrl",
        message,
        "Pick the vault's own cloud (Azure, US Government or China) instead of Custom, with the extra root CA if a proxy needs one. A private endpoint keeps the vault's name (myvault.vault.azure.net). Custom is for Azure Stack Hub and other clouds with their own sign-in host and vault domain.",
    ))
}

impl ConnectionSettings {
    /// The settings of a client with no vault connection: the demo's clients, or a client
    /// still being added (nothing of it is known until its connect succeeds).
    pub fn unset() -> ConnectionSettings {
        ConnectionSettings {
            tenant_id: String::new(),
            client_id: String::new(),
            vault_name: String::new(),
            cloud: Cloud::AzurePublic,
            authority_host: None,
            vault_url: None,
            ca_pem: None,
            auth: AuthMode::SignIn,
            home_tenant_id: None,
        }
    }

    /// Validate and normalise every field (GUIDs lower-cased, vault URI reduced to its name).
    pub fn validated(&self) -> AppResult<ConnectionSettings> {
        let tenant_id = guid_field("tenantId", "Tenant ID", &self.tenant_id)?;
        let client_id = guid_field("clientId", "Client ID", &self.client_id)?;
        let vault_name = normalise_vault_name(&self.vault_name)?;
        let (authority_host, vault_url, ca_pem) = if self.cloud == Cloud::Custom {
            // Only certificate blocks are kept: a private key pasted or picked with the CA (proxy
            // exports often hold both) never reaches the config file or the window.
            let pasted = self
                .ca_pem
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty());
            let pem = match pasted {
                None => None,
                Some(text) => Some(normalise_pem(text).ok_or_else(|| {
                    AppError::field(
                        "caPem",
                        "That is not a PEM certificate.",
                        "Choose the CA file in PEM format (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----).",
                    )
                })?),
            };
            let authority_host = https_url(
                "authorityHost",
                "Authority host",
                self.authority_host.as_deref(),
            )?;
            let vault_url = https_url("vaultUrl", "Vault URL", self.vault_url.as_deref())?;
            check_pairing(&authority_host, &vault_url)?;
            (Some(authority_host), Some(vault_url), pem)
        } else {
            (None, None, None)
        };
        let home_tenant_id = match self.home_tenant_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(home) => {
                if self.auth != AuthMode::SignIn {
                    return Err(AppError::field(
                        "homeTenantId",
                        "An MSP home tenant applies only to Sign in with Microsoft.",
                        "Clear the MSP home tenant, or switch the client to Sign in with Microsoft.",
                    ));
                }
                Some(guid_field("homeTenantId", "MSP home tenant ID", home)?)
            }
        }
        // The client's own tenant as "home" is an ordinary sign-in there.
        .filter(|home| *home != tenant_id);
        Ok(ConnectionSettings {
            tenant_id,
            client_id,
            vault_name,
            cloud: self.cloud,
            authority_host,
            vault_url,
            ca_pem,
            auth: self.auth,
            home_tenant_id,
        })
    }

    /// The Key Vault resource tokens of this connection are minted for. A custom cloud's comes
    /// from its own vault host (Azure Stack Hub's `{name}.vault.{region}.{fqdn}` →
    /// `https://vault.{region}.{fqdn}`; any other host, e.g. an emulator, is its own resource),
    /// never a public cloud's unless the host is under that cloud's vault suffix: a token for
    /// `https://vault.azure.net` must only ever reach `*.vault.azure.net`.
    pub fn vault_resource(&self) -> String {
        if let Some(resource) = self.cloud.vault_resource() {
            return resource.to_string();
        }
        let url = self.vault_url.as_deref().unwrap_or_default();
        let Some((host, port)) = url::Url::parse(url)
            .ok()
            .and_then(|u| Some((normal_host(u.host_str()?), u.port())))
        else {
            // Unvalidated settings: a resource no authority knows, so no token is minted.
            return format!("https://invalid.invalid/{url}");
        };
        if let Some(resource) = Cloud::of_vault_host(&host).and_then(Cloud::vault_resource) {
            return resource.to_string();
        }
        let name_label = format!("{}.", self.vault_name.to_ascii_lowercase());
        let resource_host = match host.strip_prefix(&name_label) {
            Some(rest) if rest.contains('.') && !self.vault_name.is_empty() => rest.to_string(),
            _ => host,
        };
        match port {
            Some(port) => format!("https://{resource_host}:{port}"),
            None => format!("https://{resource_host}"),
        }
    }

    /// The Key Vault token scope of this connection (`{resource}/.default`).
    pub fn vault_scope(&self) -> String {
        format!("{}/.default", self.vault_resource())
    }

    /// `https://{name}.vault.azure.net` and the like, or the custom URL.
    pub fn vault_url(&self) -> String {
        match (self.cloud.vault_suffix(), &self.vault_url) {
            (Some(suffix), _) => format!("https://{}.{suffix}", self.vault_name),
            (None, Some(url)) => url.clone(),
            (None, None) => String::new(),
        }
    }

    pub fn authority_host(&self) -> String {
        self.cloud
            .authority_host()
            .map(str::to_string)
            .or_else(|| self.authority_host.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA_DER: &[u8] = include_bytes!("testdata/private-endpoint-root-ca.der");
    const CA_PEM: &str = include_str!("testdata/private-endpoint-root-ca.pem");

    #[test]
    fn a_der_ca_file_becomes_the_same_pem_as_its_pem_export() {
        let from_der = ca_file_certificates("root.cer", CA_DER).expect("DER is accepted");
        assert_eq!(Some(from_der.clone()), normalise_pem(CA_PEM));
        assert!(from_der.starts_with("-----BEGIN CERTIFICATE-----\n"));
        let from_pem = ca_file_certificates("root.pem", CA_PEM.as_bytes()).expect("PEM");
        assert_eq!(from_pem, from_der);
    }

    #[test]
    fn a_ca_file_that_is_no_certificate_is_named() {
        let mut truncated = CA_DER.to_vec();
        truncated.truncate(CA_DER.len() / 2);
        let mut flipped = CA_DER.to_vec();
        flipped[0] = 0x31;
        for (bytes, what) in [
            (&truncated[..], "a truncated DER file"),
            (&flipped[..], "DER that is no certificate"),
            (&b"\x00\x01\x02 random binary"[..], "binary junk"),
            (&b"hello, not a certificate"[..], "text"),
            (&b""[..], "an empty file"),
        ] {
            let error = ca_file_certificates("C:\\certs\\root.cer", bytes).expect_err(what);
            assert_eq!(error.code, crate::error::ErrorCode::InvalidInput, "{what}");
            assert!(error.message.contains("root.cer"), "{what}");
            assert!(error.hint.contains("DER"), "{what}");
        }
    }

    fn settings(cloud: Cloud) -> ConnectionSettings {
        ConnectionSettings {
            tenant_id: "72F988BF-86F1-41AF-91AB-2D7CD011DB47".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            vault_name: "https://MSP-API-KEYVAULT.vault.azure.net/".into(),
            cloud,
            authority_host: None,
            vault_url: None,
            ca_pem: None,
            auth: AuthMode::SignIn,
            home_tenant_id: None,
        }
    }

    #[test]
    fn public_cloud_urls_from_a_pasted_uri() {
        let valid = settings(Cloud::AzurePublic).validated().expect("valid");
        assert_eq!(valid.vault_name, "msp-api-keyvault");
        assert_eq!(valid.tenant_id, "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(
            valid.vault_url(),
            "https://msp-api-keyvault.vault.azure.net"
        );
        assert_eq!(valid.authority_host(), "https://login.microsoftonline.com");
        let gov = settings(Cloud::AzureUsGovernment)
            .validated()
            .expect("valid");
        assert_eq!(
            gov.vault_url(),
            "https://msp-api-keyvault.vault.usgovcloudapi.net"
        );
        assert_eq!(gov.authority_host(), "https://login.microsoftonline.us");
        let china = settings(Cloud::AzureChina).validated().expect("valid");
        assert_eq!(china.vault_url(), "https://msp-api-keyvault.vault.azure.cn");
    }

    #[test]
    fn custom_cloud_needs_https_urls() {
        let mut custom = settings(Cloud::Custom);
        assert_eq!(
            custom.validated().expect_err("missing").field.as_deref(),
            Some("authorityHost")
        );
        custom.authority_host = Some("https://127.0.0.1:8443/".into());
        custom.vault_url = Some("http://127.0.0.1:8443".into());
        assert_eq!(
            custom.validated().expect_err("http").field.as_deref(),
            Some("vaultUrl")
        );
        custom.vault_url = Some("https://127.0.0.1:8443".into());
        custom.ca_pem = Some("not a pem".into());
        assert_eq!(
            custom.validated().expect_err("pem").field.as_deref(),
            Some("caPem")
        );
        custom.ca_pem = Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----".into());
        let valid = custom.validated().expect("valid");
        assert_eq!(valid.vault_url(), "https://127.0.0.1:8443");
        assert_eq!(valid.authority_host(), "https://127.0.0.1:8443");
    }

    #[test]
    fn an_msp_home_tenant_is_a_guid_for_sign_in_clients_only() {
        let mut through_home = settings(Cloud::AzurePublic);
        through_home.home_tenant_id = Some(" 0AE51E19-07C8-4E4B-BB6D-648EE58410F4 ".into());
        let valid = through_home.validated().expect("valid");
        assert_eq!(
            valid.home_tenant_id.as_deref(),
            Some("0ae51e19-07c8-4e4b-bb6d-648ee58410f4")
        );
        // The client's own tenant as home is an ordinary sign-in there.
        through_home.home_tenant_id = Some(through_home.tenant_id.clone());
        assert_eq!(
            through_home.validated().expect("valid").home_tenant_id,
            None
        );
        through_home.home_tenant_id = Some("contoso".into());
        assert_eq!(
            through_home
                .validated()
                .expect_err("not a guid")
                .field
                .as_deref(),
            Some("homeTenantId")
        );
        let mut app_secret = settings(Cloud::AzurePublic);
        app_secret.auth = AuthMode::AppSecret;
        app_secret.home_tenant_id = Some("0ae51e19-07c8-4e4b-bb6d-648ee58410f4".into());
        assert_eq!(
            app_secret
                .validated()
                .expect_err("sign-in only")
                .field
                .as_deref(),
            Some("homeTenantId")
        );
    }

    fn custom(authority: &str, vault: &str) -> ConnectionSettings {
        let mut custom = settings(Cloud::Custom);
        custom.authority_host = Some(authority.into());
        custom.vault_url = Some(vault.into());
        custom
    }

    #[test]
    fn each_connection_mints_tokens_for_its_own_vault_resource() {
        let scope = |s: ConnectionSettings| s.validated().expect("valid").vault_scope();
        assert_eq!(
            scope(settings(Cloud::AzurePublic)),
            "https://vault.azure.net/.default"
        );
        assert_eq!(
            scope(settings(Cloud::AzureUsGovernment)),
            "https://vault.usgovcloudapi.net/.default"
        );
        assert_eq!(
            scope(settings(Cloud::AzureChina)),
            "https://vault.azure.cn/.default"
        );
        // An emulator or private host is its own resource, port included; never vault.azure.net.
        assert_eq!(
            scope(custom("https://127.0.0.1:8443", "https://127.0.0.1:8443")),
            "https://127.0.0.1:8443/.default"
        );
        // Azure Stack Hub: the vault's name is the first label of its host.
        assert_eq!(
            scope(custom(
                "https://adfs.local.azurestack.external",
                "https://MSP-API-KEYVAULT.vault.local.azurestack.external"
            )),
            "https://vault.local.azurestack.external/.default"
        );
        // A public vault behind a proxy's CA keeps its cloud's resource.
        assert_eq!(
            scope(custom(
                "https://login.microsoftonline.com",
                "https://msp-api-keyvault.vault.azure.net"
            )),
            "https://vault.azure.net/.default"
        );
    }

    #[test]
    fn a_public_sign_in_pairs_only_with_a_vault_of_the_same_cloud() {
        for (authority, vault) in [
            (
                "https://login.microsoftonline.com",
                "https://127.0.0.1:9443",
            ),
            ("https://LOGIN.microsoftonline.com.", "https://evil.example"),
            (
                "https://login.microsoftonline.com:8443",
                "https://vault.azure.net.evil.example",
            ),
            (
                "https://login.windows.net",
                "https://myvault.vault.usgovcloudapi.net",
            ),
            (
                "https://login.microsoftonline.us",
                "https://myvault.vault.azure.net",
            ),
            (
                "https://login.chinacloudapi.cn",
                "https://myvault.vault.azure.net",
            ),
            (
                "https://login.partner.microsoftonline.cn",
                "https://graph.chinacloudapi.cn",
            ),
            // A vault of a public cloud signs in only at that cloud's Entra.
            (
                "https://login.contoso.example",
                "https://myvault.vault.azure.net",
            ),
        ] {
            let refused = custom(authority, vault)
                .validated()
                .expect_err(&format!("{authority} with {vault}"));
            assert_eq!(refused.code, crate::error::ErrorCode::InvalidInput);
            assert_eq!(refused.field.as_deref(), Some("vaultUrl"));
            assert!(refused.hint.contains("Azure Stack Hub"), "{refused:?}");
        }
        for (authority, vault) in [
            (
                "https://login.microsoftonline.us",
                "https://myvault.vault.usgovcloudapi.net",
            ),
            (
                "https://login.partner.microsoftonline.cn",
                "https://myvault.vault.azure.cn",
            ),
            ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ] {
            custom(authority, vault).validated().expect(vault);
        }
    }

    #[test]
    fn pasted_pem_is_repaired() {
        let body =
            "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=";
        let flattened =
            format!("junk -----BEGIN CERTIFICATE-----{body}-----END CERTIFICATE----- trailing");
        let repaired = normalise_pem(&flattened).expect("repaired");
        assert!(repaired.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(repaired.ends_with("-----END CERTIFICATE-----\n"));
        assert!(
            repaired
                .lines()
                .all(|l| l.len() <= 64 || l.starts_with("-----"))
        );
        let two = format!("{flattened}\n{flattened}");
        assert_eq!(
            normalise_pem(&two).map(|p| p.matches("BEGIN").count()),
            Some(2)
        );
        assert!(
            normalise_pem("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----")
                .is_none()
        );
        assert!(normalise_pem("-----BEGIN CERTIFICATE-----\nAAAA").is_none());
        assert!(normalise_pem("hello").is_none());
    }

    #[test]
    fn private_keys_next_to_the_ca_are_dropped() {
        let mut custom = settings(Cloud::Custom);
        custom.authority_host = Some("https://127.0.0.1:8443".into());
        custom.vault_url = Some("https://127.0.0.1:8443".into());
        custom.ca_pem = Some(
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg==\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n".into(),
        );
        let kept = custom.validated().expect("valid").ca_pem.expect("pem");
        assert!(!kept.contains("PRIVATE"));
        assert!(kept.contains("BEGIN CERTIFICATE"));
    }

    #[test]
    fn bad_ids_name_their_field() {
        let mut bad = settings(Cloud::AzurePublic);
        bad.client_id = "my-app".into();
        assert_eq!(
            bad.validated().expect_err("guid").field.as_deref(),
            Some("clientId")
        );
    }
}
