//! Cisco Meraki: an identity holds up to two API keys, so the new one is generated while the old
//! one still works, and the old one is revoked by its last four characters.
//! POST {base}/administered/identities/me/api/keys/generate → `{ "key": … }`;
//! POST {base}/administered/identities/me/api/keys/{suffix}/revoke
//! (developer.cisco.com/meraki/api-v1, "Authorization"; Meraki OpenAPI / dashboard-api-python).

use async_trait::async_trait;

use super::{Connector, ConnectorError, Minted, json_body, wipe};
use crate::domain::key_value::KeyParts;
use crate::domain::secret::SecretValue;
use crate::ping::PingTarget;

pub struct MerakiApiKeys;

fn suffix(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

#[async_trait]
impl Connector for MerakiApiKeys {
    fn id(&self) -> &'static str {
        "meraki-api-key"
    }

    async fn create(
        &self,
        http: &reqwest::Client,
        target: &PingTarget<'_>,
        current: &KeyParts,
    ) -> Result<Minted, ConnectorError> {
        let what = "Generating a Meraki API key";
        let key = current.get("key").unwrap_or_default();
        let url = format!(
            "{}/administered/identities/me/api/keys/generate",
            target.endpoint.trim_end_matches('/')
        );
        let response = http
            .post(&url)
            .bearer_auth(key)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| ConnectorError::network(what, &e))?;
        let status = response.status().as_u16();
        if status == 400 {
            return Err(ConnectorError::new(
                format!("{what}: Meraki refused (HTTP 400)."),
                "An identity may hold two API keys at most: revoke an unused one in My profile → API access, then try again.",
            ));
        }
        if !(200..300).contains(&status) {
            return Err(ConnectorError::status(what, status));
        }
        let mut body = json_body(response, what).await?;
        let new_key = body
            .get("key")
            .and_then(|k| k.as_str())
            .map(SecretValue::new);
        wipe(&mut body);
        let new_key = new_key.filter(|k| k.byte_len() >= 8).ok_or_else(|| {
            ConnectorError::new(
                format!("{what}: the answer held no key."),
                "Check My profile → API access in the Meraki dashboard; revoke any key you do not recognise.",
            )
        })?;
        let new_suffix = suffix(new_key.expose());
        Ok(Minted {
            parts: KeyParts::single(target.vendor, new_key),
            old_handle: Some(suffix(key)),
            new_handle: Some(new_suffix),
            expires: None,
        })
    }

    async fn revoke(
        &self,
        http: &reqwest::Client,
        target: &PingTarget<'_>,
        acting: &KeyParts,
        handle: &str,
    ) -> Result<(), ConnectorError> {
        let what = "Revoking the old Meraki API key";
        let url = format!(
            "{}/administered/identities/me/api/keys/{}/revoke",
            target.endpoint.trim_end_matches('/'),
            url::form_urlencoded::byte_serialize(handle.as_bytes()).collect::<String>()
        );
        let response = http
            .post(&url)
            .bearer_auth(acting.get("key").unwrap_or_default())
            .header("Accept", "application/json")
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
