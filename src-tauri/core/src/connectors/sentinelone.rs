//! SentinelOne: POST {base}/users/generate-api-token with `Authorization: ApiToken <current>`
//! answers `{ "data": { "token": …, "expiresAt": … } }`. "Regenerate revokes the token and
//! generates a new token" (Management Console API v2.1; public clients): from the moment the
//! request is sent the old token may be dead, even if the answer is lost. So the console stores
//! the new token as a new vault version before testing it (a crash after that loses nothing),
//! never claims the old token is unchanged once the request went out, and has nothing to revoke.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Connector, ConnectorError, Minted, json_body, wipe};
use crate::domain::key_value::KeyParts;
use crate::domain::secret::SecretValue;
use crate::ping::PingTarget;

pub struct SentinelOneApiToken;

#[async_trait]
impl Connector for SentinelOneApiToken {
    fn id(&self) -> &'static str {
        "sentinelone-api-token"
    }

    fn replaces_on_create(&self) -> bool {
        true
    }

    fn propagation_limit(&self) -> std::time::Duration {
        super::propagation::SENTINELONE_PROPAGATION_LIMIT
    }

    async fn create(
        &self,
        http: &reqwest::Client,
        target: &PingTarget<'_>,
        current: &KeyParts,
    ) -> Result<Minted, ConnectorError> {
        let what = "Generating a SentinelOne API token";
        let url = format!(
            "{}/users/generate-api-token",
            target.endpoint.trim_end_matches('/')
        );
        let auth = zeroize::Zeroizing::new(format!(
            "ApiToken {}",
            current.get("key").unwrap_or_default()
        ));
        let response = http
            .post(&url)
            .header("Authorization", auth.as_str())
            .header("Accept", "application/json")
            .json(&serde_json::json!({ "data": {} }))
            .send()
            .await
            .map_err(|e| ConnectorError::network(what, &e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(ConnectorError::status(what, status));
        }
        let mut body = json_body(response, what).await?;
        let data = body.get("data");
        let token = data
            .and_then(|d| d.get("token"))
            .and_then(|t| t.as_str())
            .map(SecretValue::new);
        let expires = data
            .and_then(|d| d.get("expiresAt"))
            .and_then(|t| t.as_str())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        wipe(&mut body);
        let token = token.filter(|t| t.byte_len() >= 8).ok_or_else(|| {
            ConnectorError::after_success(
                format!("{what}: the answer held no token."),
                "Generate a token by hand in the console (My User → API Token Operations) and paste it.",
            )
        })?;
        Ok(Minted {
            parts: KeyParts::single(target.vendor, token),
            old_handle: None,
            new_handle: None,
            expires,
        })
    }

    async fn revoke(
        &self,
        _http: &reqwest::Client,
        _target: &PingTarget<'_>,
        _acting: &KeyParts,
        _handle: &str,
    ) -> Result<(), ConnectorError> {
        // Generating replaced the old token; revoking the new one would lock the key out.
        Ok(())
    }
}
