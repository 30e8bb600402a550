//! Entra app secrets through Microsoft Graph (learn.microsoft.com/graph/api/application-addpassword
//! and application-removepassword, v1.0):
//! - token: client credentials with the current secret at
//!   `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`, scope `{graph}/.default` of
//!   the Graph it then calls (`https://graph.microsoft.com/.default` in the global cloud; a
//!   national cloud's Graph only accepts its own); the app needs
//!   `Application.ReadWrite.OwnedBy` and must own itself (its service principal listed as an
//!   owner of the application);
//! - `POST /applications(appId='{client id}')/addPassword` with
//!   `{"passwordCredential":{"displayName":…,"endDateTime":…}}` answers a `passwordCredential`
//!   with `keyId`, `secretText`, `endDateTime`;
//! - `GET /applications(appId='{client id}')?$select=passwordCredentials` lists `keyId`, `hint`
//!   (the secret's first three characters) and `endDateTime`, which identifies the old secret;
//! - `POST /applications(appId='{client id}')/removePassword` with `{"keyId":…}` answers 204.
//!
//! Offered for keys of other app registrations (the Entra App Secret vendor). Rotating the
//! console's own connection secret also needs the session glue (reconnect with the new secret,
//! update the keychain) and the top bar's expiry warning, which are not built yet.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::{Connector, ConnectorError, Minted, json_body, wipe};
use crate::domain::key_value::KeyParts;
use crate::domain::secret::SecretValue;
use crate::ping::PingTarget;

pub const GRAPH: &str = "https://graph.microsoft.com/v1.0";

/// Microsoft Graph's hosts per cloud (learn.microsoft.com/graph/deployments): global, US
/// Government L4 (GCC High), US Government L5 (DoD), China (21Vianet). Each accepts only
/// tokens for itself.
pub const GRAPH_HOSTS: [&str; 4] = [
    "graph.microsoft.com",
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "microsoftgraph.chinacloudapi.cn",
];

/// How long a new secret is valid (the manual: 12 months, rotated every 90 days).
pub const SECRET_VALIDITY_DAYS: i64 = 365;

/// Rotates the client secret of the app registration a key belongs to. Where it talks follows
/// the key's token URL: its host is the authority, and Microsoft Graph is that cloud's Graph
/// (global, US Government, China); a custom authority (a private cloud, the emulator in tests)
/// serves Graph on its own host. The token URL's host is checked like every key endpoint.
pub struct EntraAppSecret;

/// Microsoft Graph of the cloud whose sign-in lives at `authority` (`https://host[:port]`); a
/// custom authority (private cloud, the emulator) serves Graph on its own host.
pub fn graph_for_authority(authority: &str) -> String {
    let authority = authority.trim_end_matches('/');
    let host = url::Url::parse(authority)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    match host.as_str() {
        "login.microsoftonline.com" => GRAPH.to_string(),
        "login.microsoftonline.us" => "https://graph.microsoft.us/v1.0".to_string(),
        "login.chinacloudapi.cn" => "https://microsoftgraph.chinacloudapi.cn/v1.0".to_string(),
        _ => format!("{authority}/v1.0"),
    }
}

/// The app-only token scope for the Graph at `graph` (a base URL such as
/// `https://graph.microsoft.us/v1.0`): that Graph's own resource, `{scheme}://{host}/.default`.
/// A private Graph (the emulator in tests) is its own resource the same way.
pub fn graph_scope(graph: &str) -> String {
    match url::Url::parse(graph) {
        Ok(url) => {
            let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
            match url.port() {
                Some(port) => format!("{}://{host}:{port}/.default", url.scheme()),
                None => format!("{}://{host}/.default", url.scheme()),
            }
        }
        Err(_) => format!("{}/.default", graph.trim_end_matches('/')),
    }
}

/// Where to sign in and where Graph lives for one key.
struct Endpoints {
    authority: String,
    graph: String,
}

impl EntraAppSecret {
    fn tenant<'a>(&self, target: &'a PingTarget<'_>) -> Result<&'a str, ConnectorError> {
        target
            .fields
            .get("tenant")
            .map(String::as_str)
            .filter(|tenant| !tenant.trim().is_empty())
            .ok_or_else(|| {
                ConnectorError::new(
                    "The key's Tenant ID field is empty.",
                    "Fill it in Edit settings, then try again.",
                )
            })
    }

    fn endpoints(&self, target: &PingTarget<'_>) -> Result<Endpoints, ConnectorError> {
        let token_url = target.token_url.as_deref().unwrap_or(&target.endpoint);
        let url = url::Url::parse(token_url).map_err(|_| {
            ConnectorError::new(
                "The key's token URL is not a URL.",
                "Check the Tenant ID and the endpoint in Edit settings.",
            )
        })?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let authority = match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        // US Government DoD shares its sign-in host with GCC High but has its own Graph: a key
        // whose endpoint names one of Graph's hosts uses that Graph.
        let named_graph = url::Url::parse(&target.endpoint)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .filter(|host| GRAPH_HOSTS.contains(&host.as_str()))
            .map(|host| format!("https://{host}/v1.0"));
        let graph = named_graph.unwrap_or_else(|| graph_for_authority(&authority));
        Ok(Endpoints { authority, graph })
    }

    /// A Graph token from the app's own client credentials.
    async fn token(
        &self,
        http: &reqwest::Client,
        endpoints: &Endpoints,
        tenant: &str,
        credentials: &KeyParts,
    ) -> Result<zeroize::Zeroizing<String>, ConnectorError> {
        graph_token(
            http,
            &endpoints.authority,
            &endpoints.graph,
            tenant,
            credentials.get("client_id").unwrap_or_default(),
            credentials.get("client_secret").unwrap_or_default(),
        )
        .await
    }
}

/// An app-only token for the Microsoft Graph at `graph`, from an app's own client credentials.
async fn graph_token(
    http: &reqwest::Client,
    authority: &str,
    graph: &str,
    tenant: &str,
    client_id: &str,
    client_secret: &str,
) -> Result<zeroize::Zeroizing<String>, ConnectorError> {
    let what = "Signing in to Microsoft Graph";
    let url = format!(
        "{}/{tenant}/oauth2/v2.0/token",
        authority.trim_end_matches('/')
    );
    let scope = graph_scope(graph);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("scope", scope.as_str()),
    ];
    let response = http
        .post(&url)
        .form(&form)
        .send()
        .await
        .map_err(|e| ConnectorError::network(what, &e))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(ConnectorError::status(what, status));
    }
    let mut body = json_body(response, what).await?;
    let token = body
        .get("access_token")
        .and_then(|t| t.as_str())
        .map(|t| zeroize::Zeroizing::new(t.to_string()));
    wipe(&mut body);
    token
        .ok_or_else(|| ConnectorError::new(format!("{what}: no access token."), "Try again later."))
}

fn application_url(graph: &str, client_id: &str) -> String {
    format!(
        "{}/applications(appId='{}')",
        graph.trim_end_matches('/'),
        url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect::<String>()
    )
}

/// The app's password credential that `secret` is, found by its three-character hint: its
/// keyId and end date. `None` when no single credential matches (two secrets with the same hint
/// cannot be told apart, so the old one is left for a human).
async fn current_credential(
    http: &reqwest::Client,
    graph: &str,
    token: &str,
    client_id: &str,
    secret: &str,
) -> Result<Option<(String, Option<DateTime<Utc>>)>, ConnectorError> {
    let what = "Reading the app's secrets";
    let response = http
        .get(format!(
            "{}?$select=passwordCredentials",
            application_url(graph, client_id)
        ))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| ConnectorError::network(what, &e))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(ConnectorError::status(what, status));
    }
    let body = json_body(response, what).await?;
    let hint: String = secret.chars().take(3).collect();
    let matching: Vec<(String, Option<DateTime<Utc>>)> = body
        .get("passwordCredentials")
        .and_then(|c| c.as_array())
        .map(|list| {
            list.iter()
                .filter(|c| c.get("hint").and_then(|h| h.as_str()) == Some(hint.as_str()))
                .filter_map(|c| {
                    let key_id = c.get("keyId").and_then(|k| k.as_str())?.to_string();
                    let end = c
                        .get("endDateTime")
                        .and_then(|t| t.as_str())
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.with_timezone(&Utc));
                    Some((key_id, end))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(match matching.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    })
}

/// When the client secret `secret` of app `client_id` expires, as Microsoft Graph lists it
/// (read with an app-only token of that very secret: the app needs Application.Read.All, or
/// Application.ReadWrite.OwnedBy and to own itself). `Ok(None)`: Graph lists no single match or
/// no end date.
pub async fn secret_end_date(
    http: &reqwest::Client,
    authority: &str,
    tenant: &str,
    client_id: &str,
    secret: &SecretValue,
) -> Result<Option<DateTime<Utc>>, ConnectorError> {
    let graph = graph_for_authority(authority);
    let token = graph_token(http, authority, &graph, tenant, client_id, secret.expose()).await?;
    Ok(
        current_credential(http, &graph, &token, client_id, secret.expose())
            .await?
            .and_then(|(_, end)| end),
    )
}

#[async_trait]
impl Connector for EntraAppSecret {
    fn id(&self) -> &'static str {
        "entra-app-secret"
    }

    fn propagation_limit(&self) -> std::time::Duration {
        super::propagation::ENTRA_PROPAGATION_LIMIT
    }

    async fn create(
        &self,
        http: &reqwest::Client,
        target: &PingTarget<'_>,
        current: &KeyParts,
    ) -> Result<Minted, ConnectorError> {
        let what = "Adding a client secret";
        let tenant = self.tenant(target)?;
        let endpoints = self.endpoints(target)?;
        let client_id = current.get("client_id").unwrap_or_default().to_string();
        let token = self.token(http, &endpoints, tenant, current).await?;
        let old = current_credential(
            http,
            &endpoints.graph,
            &token,
            &client_id,
            current.get("client_secret").unwrap_or_default(),
        )
        .await?
        .map(|(key_id, _)| key_id);
        let end = Utc::now() + Duration::days(SECRET_VALIDITY_DAYS);
        let body = serde_json::json!({
            "passwordCredential": {
                "displayName": format!("api-key-vault-console {}", Utc::now().format("%Y-%m-%d")),
                "endDateTime": end.to_rfc3339(),
            }
        });
        let response = http
            .post(format!(
                "{}/addPassword",
                application_url(&endpoints.graph, &client_id)
            ))
            .bearer_auth(token.as_str())
            .json(&body)
            .send()
            .await
            .map_err(|e| ConnectorError::network(what, &e))?;
        let status = response.status().as_u16();
        if status == 403 {
            return Err(ConnectorError::new(
                format!("{what}: Microsoft Graph refused (403)."),
                "The app needs Application.ReadWrite.OwnedBy (admin-consented) and must be an owner of its own registration; the Setup Guide shows the commands.",
            ));
        }
        if !(200..300).contains(&status) {
            return Err(ConnectorError::status(what, status));
        }
        let mut answer = json_body(response, what).await?;
        let secret = answer
            .get("secretText")
            .and_then(|s| s.as_str())
            .map(SecretValue::new);
        let key_id = answer
            .get("keyId")
            .and_then(|k| k.as_str())
            .map(str::to_string);
        let expires = answer
            .get("endDateTime")
            .and_then(|t| t.as_str())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        wipe(&mut answer);
        let secret = secret.ok_or_else(|| {
            ConnectorError::after_success(
                format!("{what}: the answer held no secret."),
                "Check Certificates & secrets of the app registration and remove any secret you do not recognise.",
            )
        })?;
        Ok(Minted {
            parts: KeyParts::from_named(
                target.vendor,
                vec![
                    ("client_id", SecretValue::new(client_id)),
                    ("client_secret", secret),
                ],
            ),
            old_handle: old,
            new_handle: key_id,
            expires,
        })
    }

    async fn revoke(
        &self,
        http: &reqwest::Client,
        target: &PingTarget<'_>,
        acting: &KeyParts,
        handle: &str,
    ) -> Result<(), ConnectorError> {
        let what = "Removing the old client secret";
        let tenant = self.tenant(target)?;
        let endpoints = self.endpoints(target)?;
        let token = self.token(http, &endpoints, tenant, acting).await?;
        let response = http
            .post(format!(
                "{}/removePassword",
                application_url(
                    &endpoints.graph,
                    acting.get("client_id").unwrap_or_default()
                )
            ))
            .bearer_auth(token.as_str())
            .json(&serde_json::json!({ "keyId": handle }))
            .send()
            .await
            .map_err(|e| ConnectorError::network(what, &e))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(ConnectorError::status(what, status))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_scope_is_the_graph_the_connector_calls() {
        let cases = [
            (
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com/.default",
            ),
            (
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us/.default",
            ),
            (
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn/.default",
            ),
            ("https://127.0.0.1:8443", "https://127.0.0.1:8443/.default"),
        ];
        for (authority, scope) in cases {
            assert_eq!(
                graph_scope(&graph_for_authority(authority)),
                scope,
                "{authority}"
            );
        }
        assert_eq!(
            graph_scope("https://dod-graph.microsoft.us/v1.0"),
            "https://dod-graph.microsoft.us/.default"
        );
    }

    #[test]
    fn a_dod_key_names_its_graph_in_the_endpoint() {
        let vendor = crate::domain::catalog::vendor("entra-app-secret").expect("catalog");
        let mut target = PingTarget::of_record(vendor, None);
        target.token_url = Some("https://login.microsoftonline.us/t/oauth2/v2.0/token".to_string());
        target.endpoint = "https://login.microsoftonline.us/t/oauth2/v2.0/token".to_string();
        let gcc_high = EntraAppSecret.endpoints(&target).expect("endpoints");
        assert_eq!(gcc_high.graph, "https://graph.microsoft.us/v1.0");
        target.endpoint = "https://dod-graph.microsoft.us".to_string();
        let dod = EntraAppSecret.endpoints(&target).expect("endpoints");
        assert_eq!(dod.graph, "https://dod-graph.microsoft.us/v1.0");
        assert_eq!(dod.authority, "https://login.microsoftonline.us");
        assert_eq!(
            graph_scope(&dod.graph),
            "https://dod-graph.microsoft.us/.default"
        );
    }
}
