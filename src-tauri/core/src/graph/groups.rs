//! A client tenant's Entra groups, read as the signed-in technician for the provisioning
//! wizard's role pickers (`service::provision::groups` names the answers):
//! - search: `GET /v1.0/groups?$search="displayName:…"&$select=…&$top=…` with
//!   `ConsistencyLevel: eventual`, which `$search` on directory objects requires
//!   (learn.microsoft.com/graph/api/group-list, learn.microsoft.com/graph/search-query-parameter);
//! - an Object ID: `GET /v1.0/groups/{id}?$select=id,displayName,description,securityEnabled`.

use base64::Engine;
use serde::Deserialize;

use super::{GraphClient, Refusal};
use crate::error::AppResult;

const GROUP_FIELDS: &str = "id,displayName,description,securityEnabled";

/// One group as Graph lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphGroup {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub security_enabled: Option<bool>,
}

/// The `$search` value for groups whose name matches `text`: `"displayName:…"` with the double
/// quotes and backslashes inside escaped by a backslash, as Graph's `$search` syntax wants.
pub fn search_expression(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c == '"' || c == '\\' {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("\"displayName:{escaped}\"")
}

/// The delegated permissions (`scp`) of a Graph access token, `None` when it is not a readable
/// JWT (only used to name the cause of a 403, never to decide access).
pub fn token_scopes(token: &str) -> Option<Vec<String>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(
        claims
            .get("scp")?
            .as_str()?
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    )
}

impl GraphClient {
    /// The first `top` groups whose display name matches `text` (one page: a picker, not a
    /// listing), or Graph's refusal for the caller to name.
    pub async fn search_groups(
        &self,
        text: &str,
        top: usize,
        doing: &str,
    ) -> AppResult<Result<Vec<GraphGroup>, Refusal>> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            value: Vec<GraphGroup>,
        }
        let mut url = self.url("groups")?;
        url.query_pairs_mut()
            .append_pair("$search", &search_expression(text))
            .append_pair("$select", GROUP_FIELDS)
            .append_pair("$top", &top.to_string());
        Ok(self
            .get_json::<Page>(url, doing, EVENTUAL)
            .await?
            .map(|page| page.value.into_iter().take(top).collect()))
    }

    /// The group with Object ID `id` (already a validated GUID), or Graph's refusal.
    pub async fn group(&self, id: &str, doing: &str) -> AppResult<Result<GraphGroup, Refusal>> {
        let mut url = self.url(&format!("groups/{id}"))?;
        url.query_pairs_mut().append_pair("$select", GROUP_FIELDS);
        self.get_json(url, doing, EVENTUAL).await
    }

    /// The delegated permissions of the token this client sends (the credential's cached one),
    /// to name why Graph refused; `None` when they cannot be read.
    pub async fn delegated_scopes(&self) -> Option<Vec<String>> {
        let token = self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
            .ok()?;
        token_scopes(token.token.secret())
    }
}

/// `$search` on directory objects needs it; the plain reads accept it, as the portal sends.
// azure_core wants header names in lower case (HTTP/1.1 names are case-insensitive).
const EVENTUAL: &[(&str, &str)] = &[("consistencylevel", "eventual")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped_inside_search() {
        assert_eq!(search_expression("Key Vault"), "\"displayName:Key Vault\"");
        assert_eq!(
            search_expression(r#"R&D "core" \ ops"#),
            r#""displayName:R&D \"core\" \\ ops""#
        );
    }
}
