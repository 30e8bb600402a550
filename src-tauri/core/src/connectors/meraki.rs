//! Cisco Meraki: an identity holds up to two API keys, so the new one is generated while the old
//! one still works, and the old one is revoked by its last four characters.
//! GET {base}/administered/identities/me/api/keys → `[{ "suffix": "…", "createdAt": … }]`;
//! POST {base}/administered/identities/me/api/keys/generate → `{ "key": … }`;
//! POST {base}/administered/identities/me/api/keys/{suffix}/revoke
//! (developer.cisco.com/meraki/api-v1, "Authorization"; Meraki OpenAPI / dashboard-api-python).
//! A new or revoked key takes up to five minutes to propagate for admins of several
//! organizations: see [`super::propagation::MERAKI_PROPAGATION_LIMIT`].

use async_trait::async_trait;

use super::{Connector, ConnectorError, Minted, json_body, wipe};
use crate::domain::key_value::KeyParts;
use crate::domain::secret::SecretValue;
use crate::ping::PingTarget;

pub struct MerakiApiKeys;

/// Meraki allows an identity this many API keys at once.
pub const MAX_KEYS: usize = 2;

fn suffix(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

#[async_trait]
impl Connector for MerakiApiKeys {
    fn id(&self) -> &'static str {
        "meraki-api-key"
    }

    fn propagation_limit(&self) -> std::time::Duration {
        super::propagation::MERAKI_PROPAGATION_LIMIT
    }

    async fn create(
        &self,
        http: &reqwest::Client,
        target: &PingTarget<'_>,
        current: &KeyParts,
    ) -> Result<Minted, ConnectorError> {
        let what = "Generating a Meraki API key";
        let key = current.get("key").unwrap_or_default();
        // Read the identity's keys first: with two already, generating would fail or, worse,
        // leave the technician unsure which two exist.
        let existing = list_suffixes(http, target, key).await?;
        if existing.len() >= MAX_KEYS {
            return Err(ConnectorError::new(
                format!(
                    "{what}: this Meraki identity already holds {} API keys (ending in {}), the most Meraki allows.",
                    existing.len(),
                    existing.join(" and ")
                ),
                format!(
                    "Revoke the key you do not use (the stored one ends in {}) in the Meraki dashboard under My profile → API access, then rotate again.",
                    suffix(key)
                ),
            ));
        }
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
            ConnectorError::after_success(
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

/// The last four characters of each API key the calling identity holds.
async fn list_suffixes(
    http: &reqwest::Client,
    target: &PingTarget<'_>,
    key: &str,
) -> Result<Vec<String>, ConnectorError> {
    let what = "Reading the Meraki identity's API keys";
    let url = format!(
        "{}/administered/identities/me/api/keys",
        target.endpoint.trim_end_matches('/')
    );
    let response = http
        .get(&url)
        .bearer_auth(key)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| ConnectorError::network(what, &e))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(ConnectorError {
            maybe_applied: false,
            ..ConnectorError::status(what, status)
        });
    }
    let body = json_body(response, what)
        .await
        .map_err(|e| ConnectorError {
            maybe_applied: false,
            ..e
        })?;
    let list = body.as_array().ok_or_else(|| {
        ConnectorError::new(
            format!("{what}: the answer was not a list of keys."),
            "Try again later.",
        )
    })?;
    Ok(list
        .iter()
        .filter_map(|k| k.get("suffix").and_then(|s| s.as_str()))
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::suffix;

    #[test]
    fn the_suffix_is_the_last_four_characters() {
        assert_eq!(suffix("0123456789abcdef"), "cdef");
        assert_eq!(suffix("abc"), "abc");
    }
}
