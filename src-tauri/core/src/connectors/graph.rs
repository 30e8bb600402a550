//! Entra app secrets through Microsoft Graph (learn.microsoft.com/graph/api/application-addpassword
//! and application-removepassword, v1.0):
//! - token: client credentials with the current secret at
//!   `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`, scope
//!   `https://graph.microsoft.com/.default`; the app needs `Application.ReadWrite.OwnedBy` and
//!   must own itself (its service principal listed as an owner of the application);
//! - `POST /applications(appId='{client id}')/addPassword` with
//!   `{"passwordCredential":{"displayName":…,"endDateTime":…}}` answers a `passwordCredential`
//!   with `keyId`, `secretText`, `endDateTime`;
//! - `GET /applications(appId='{client id}')?$select=passwordCredentials` lists `keyId`, `hint`
//!   (the secret's first three characters) and `endDateTime`, which identifies the old secret;
//! - `POST /applications(appId='{client id}')/removePassword` with `{"keyId":…}` answers 204.
//!
//! Not offered in the UI yet: its integration tests wait for the emulator's Graph endpoints, and
//! rotating the console's own secret also needs the session glue (reconnect with the new
//! secret, update the keychain, the top bar's expiry warning).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::{Connector, ConnectorError, Minted, json_body, wipe};
use crate::domain::key_value::KeyParts;
use crate::domain::secret::SecretValue;
use crate::ping::PingTarget;

pub const GRAPH: &str = "https://graph.microsoft.com/v1.0";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// How long a new secret is valid (the manual: 12 months, rotated every 90 days).
pub const SECRET_VALIDITY_DAYS: i64 = 365;

pub struct EntraAppSecret {
    /// Graph's base URL (the emulator's in tests).
    pub graph: String,
    /// The authority host (`https://login.microsoftonline.com`, or a national cloud's).
    pub authority: String,
}

impl Default for EntraAppSecret {
    fn default() -> Self {
        EntraAppSecret {
            graph: GRAPH.to_string(),
            authority: "https://login.microsoftonline.com".to_string(),
        }
    }
}

impl EntraAppSecret {
    fn tenant<'a>(&self, target: &'a PingTarget<'_>) -> Result<&'a str, ConnectorError> {
        target
            .fields
            .get("tenant")
            .map(String::as_str)
            .ok_or_else(|| {
                ConnectorError::new(
                    "The key's Tenant ID field is empty.",
                    "Fill it in Edit settings, then try again.",
                )
            })
    }

    fn application(&self, client_id: &str) -> String {
        format!(
            "{}/applications(appId='{}')",
            self.graph.trim_end_matches('/'),
            url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect::<String>()
        )
    }

    /// A Graph token from the app's own client credentials.
    async fn token(
        &self,
        http: &reqwest::Client,
        tenant: &str,
        credentials: &KeyParts,
    ) -> Result<zeroize::Zeroizing<String>, ConnectorError> {
        let what = "Signing in to Microsoft Graph";
        let url = format!(
            "{}/{tenant}/oauth2/v2.0/token",
            self.authority.trim_end_matches('/')
        );
        let form = [
            ("grant_type", "client_credentials"),
            (
                "client_id",
                credentials.get("client_id").unwrap_or_default(),
            ),
            (
                "client_secret",
                credentials.get("client_secret").unwrap_or_default(),
            ),
            ("scope", GRAPH_SCOPE),
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
        token.ok_or_else(|| {
            ConnectorError::new(format!("{what}: no access token."), "Try again later.")
        })
    }

    /// The keyId of the secret `current` is, found by its three-character hint.
    async fn current_key_id(
        &self,
        http: &reqwest::Client,
        token: &str,
        client_id: &str,
        current_secret: &str,
    ) -> Result<Option<String>, ConnectorError> {
        let what = "Reading the app's secrets";
        let response = http
            .get(format!(
                "{}?$select=passwordCredentials",
                self.application(client_id)
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
        let hint: String = current_secret.chars().take(3).collect();
        let matching: Vec<String> = body
            .get("passwordCredentials")
            .and_then(|c| c.as_array())
            .map(|list| {
                list.iter()
                    .filter(|c| c.get("hint").and_then(|h| h.as_str()) == Some(hint.as_str()))
                    .filter_map(|c| c.get("keyId").and_then(|k| k.as_str()).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        // Two secrets with the same hint cannot be told apart: leave the old one for a human.
        Ok((matching.len() == 1).then(|| matching[0].clone()))
    }
}

#[async_trait]
impl Connector for EntraAppSecret {
    fn id(&self) -> &'static str {
        "entra-app-secret"
    }

    async fn create(
        &self,
        http: &reqwest::Client,
        target: &PingTarget<'_>,
        current: &KeyParts,
    ) -> Result<Minted, ConnectorError> {
        let what = "Adding a client secret";
        let tenant = self.tenant(target)?;
        let client_id = current.get("client_id").unwrap_or_default().to_string();
        let token = self.token(http, tenant, current).await?;
        let old = self
            .current_key_id(
                http,
                &token,
                &client_id,
                current.get("client_secret").unwrap_or_default(),
            )
            .await?;
        let end = Utc::now() + Duration::days(SECRET_VALIDITY_DAYS);
        let body = serde_json::json!({
            "passwordCredential": {
                "displayName": format!("api-key-vault-console {}", Utc::now().format("%Y-%m-%d")),
                "endDateTime": end.to_rfc3339(),
            }
        });
        let response = http
            .post(format!("{}/addPassword", self.application(&client_id)))
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
            ConnectorError::new(
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
        let token = self.token(http, tenant, acting).await?;
        let response = http
            .post(format!(
                "{}/removePassword",
                self.application(acting.get("client_id").unwrap_or_default())
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
