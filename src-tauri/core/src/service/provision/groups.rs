//! The client tenant's Entra groups for the provisioning wizard's two role pickers, read through
//! Microsoft Graph as the signed-in technician (the home sign-in redeemed at the client tenant,
//! a token for that cloud's Graph and nothing else):
//! - search: `GET /v1.0/groups?$search="displayName:…"&$select=…&$top=20` with
//!   `ConsistencyLevel: eventual`, which `$search` on directory objects requires
//!   (learn.microsoft.com/graph/api/group-list, learn.microsoft.com/graph/search-query-parameter);
//! - an Object ID typed in: `GET /v1.0/groups/{id}?$select=id,displayName,securityEnabled`.
//!
//! Graph answers 403 `Authorization_RequestDenied` both when the app lacks a consented group
//! permission and when the technician may not read the directory (a B2B guest's directory
//! permissions are restricted by default; GDAP with Directory Readers or Groups Administrator
//! lifts it). The token's `scp` tells the two apart, so each is named with its own fix.
//!
//! A shared Graph room (`connectors/graph.rs` once it serves delegated calls) should absorb this
//! client: it repeats the host rule, the capped body and Graph's error shape.

use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::connectors::graph::{graph_for_authority, graph_scope};
use crate::domain::connection::ConnectionSettings;
use crate::domain::validation::guid_field;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::signin::TenantCredential;
use crate::store::azure::{AzureOptions, http_client};

/// The most one Graph answer may hold (20 groups are a few kB).
pub const MAX_GRAPH_BODY: usize = 1 << 20;
/// The longest search text (Entra display names are at most 256 characters).
pub const MAX_GROUP_SEARCH: usize = 256;
/// Groups one search lists.
pub const GROUP_SEARCH_TOP: usize = 20;

/// Delegated permissions that let the signed-in user read groups.
const GROUP_READ_SCOPES: [&str; 6] = [
    "Group.Read.All",
    "GroupMember.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];

/// One group as the picker shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GroupChoice {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    /// Only security-enabled groups can usefully hold an Azure role assignment; others are shown
    /// but cannot be picked.
    pub security_enabled: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphGroup {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    security_enabled: Option<bool>,
}

impl From<GraphGroup> for GroupChoice {
    fn from(group: GraphGroup) -> GroupChoice {
        GroupChoice {
            display_name: group.display_name.unwrap_or_else(|| group.id.clone()),
            id: group.id,
            description: group.description.filter(|d| !d.trim().is_empty()),
            security_enabled: group.security_enabled.unwrap_or(false),
        }
    }
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

/// The search text after Rust's checks: trimmed, not empty, not too long, no control characters.
pub fn validated_search(text: &str) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::field(
            "text",
            "Type part of the group's name.",
            "Groups are found by the start of any word of their name.",
        ));
    }
    if text.chars().count() > MAX_GROUP_SEARCH {
        return Err(AppError::field(
            "text",
            format!("The search is longer than {MAX_GROUP_SEARCH} characters."),
            "Type the first words of the group's name.",
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(AppError::field(
            "text",
            "The search holds a control character.",
            "Type the group's name as it appears in Entra ID.",
        ));
    }
    Ok(text.to_string())
}

/// Graph of one client tenant, for reading its groups.
pub struct GroupDirectory {
    http: reqwest::Client,
    graph: url::Url,
    scope: String,
    credential: Arc<TenantCredential>,
}

impl GroupDirectory {
    /// The Graph of `settings`' cloud (a custom authority serves Graph on its own host) for
    /// `credential`'s tenant. Makes no request.
    pub fn new(
        credential: Arc<TenantCredential>,
        settings: &ConnectionSettings,
        azure: &AzureOptions,
    ) -> AppResult<GroupDirectory> {
        let base = graph_for_authority(&settings.authority_host());
        let graph = url::Url::parse(&format!("{}/", base.trim_end_matches('/'))).map_err(|_| {
            AppError::field(
                "authorityHost",
                format!("The Microsoft Graph address {base} is not a URL."),
                "Check the client's cloud and authority host.",
            )
        })?;
        Ok(GroupDirectory {
            http: http_client(settings, azure)?,
            scope: graph_scope(&base),
            graph,
            credential,
        })
    }

    /// Groups of the tenant whose name matches `text` (at most [`GROUP_SEARCH_TOP`]).
    pub async fn search(&self, text: &str) -> AppResult<Vec<GroupChoice>> {
        let text = validated_search(text)?;
        let mut url = self.url("groups")?;
        url.query_pairs_mut()
            .append_pair("$search", &search_expression(&text))
            .append_pair("$select", "id,displayName,description,securityEnabled")
            .append_pair("$top", &GROUP_SEARCH_TOP.to_string());
        let bytes = self.fetch(url, "search the client tenant's groups").await?;
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            value: Vec<GraphGroup>,
        }
        let page: Page = decode(&bytes)?;
        let mut groups: Vec<GroupChoice> = page
            .value
            .into_iter()
            .take(GROUP_SEARCH_TOP)
            .map(GroupChoice::from)
            .collect();
        groups.sort_by_key(|g| (!g.security_enabled, g.display_name.to_lowercase()));
        Ok(groups)
    }

    /// The group with Object ID `id`; a named error when the tenant has none.
    pub async fn group(&self, id: &str) -> AppResult<GroupChoice> {
        let id = guid_field("groupId", "The group's Object ID", id)?;
        let mut url = self.url(&format!("groups/{id}"))?;
        url.query_pairs_mut()
            .append_pair("$select", "id,displayName,description,securityEnabled");
        match self.fetch(url, "read the group").await {
            Ok(bytes) => Ok(decode::<GraphGroup>(&bytes)?.into()),
            Err(error) if error.code == ErrorCode::ResourceNotFound => Err(AppError {
                code: ErrorCode::GroupNotFound,
                ..AppError::field(
                    "groupId",
                    format!("There is no group {id} in this tenant."),
                    "Copy the Object ID from the group's Overview page in the client tenant's Entra admin center.",
                )
            }),
            Err(error) => Err(error),
        }
    }

    fn url(&self, path: &str) -> AppResult<url::Url> {
        self.graph
            .join(path)
            .map_err(|e| AppError::internal(format!("Graph path {path}: {e}")))
    }

    /// One GET to this cloud's Graph with a token for Graph only; the answer read up to the cap.
    async fn fetch(&self, url: url::Url, what: &str) -> AppResult<zeroize::Zeroizing<Vec<u8>>> {
        use crate::ping::client::{BodyError, read_capped};
        if url.origin() != self.graph.origin() {
            return Err(AppError::internal(format!(
                "Graph request outside {}",
                self.graph
            )));
        }
        let (token, _) = self.credential.access_token(&[self.scope.as_str()]).await?;
        let response = self
            .http
            .get(url)
            .bearer_auth(token.expose())
            .header("ConsistencyLevel", "eventual")
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| network_error(what, &e))?;
        let status = response.status().as_u16();
        let bytes = read_capped(response, MAX_GRAPH_BODY)
            .await
            .map_err(|error| match error {
                BodyError::TooLarge => {
                    crate::store::azure::too_large("Microsoft Graph", MAX_GRAPH_BODY)
                }
                BodyError::Network(e) => network_error(what, &e),
            })?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        Err(graph_error(
            status,
            &bytes,
            token_scopes(token.expose()),
            what,
        ))
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> AppResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        AppError::new(
            ErrorCode::UnexpectedResponse,
            format!("Microsoft Graph's answer could not be read ({e})."),
            "Try again later, or enter the group's Object ID instead.",
        )
    })
}

fn network_error(what: &str, error: &reqwest::Error) -> AppError {
    let code = if error.is_timeout() {
        ErrorCode::Timeout
    } else {
        ErrorCode::NetworkUnreachable
    };
    AppError::new(
        code,
        format!("Could not reach Microsoft Graph to {what}."),
        "Check the network, then search again, or enter the group's Object ID instead.",
    )
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

/// Graph's error body (`{"error":{"code","message"}}`) and status, named for the technician.
fn graph_error(status: u16, body: &[u8], scopes: Option<Vec<String>>, what: &str) -> AppError {
    let (code, message) = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let error = v.get("error")?;
            Some((
                error.get("code")?.as_str()?.to_string(),
                error
                    .get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or_default()
                    .to_string(),
            ))
        })
        .unwrap_or_default();
    match status {
        403 => {
            let consented = scopes.as_ref().is_none_or(|scopes| {
                scopes
                    .iter()
                    .any(|s| GROUP_READ_SCOPES.iter().any(|g| g.eq_ignore_ascii_case(s)))
            });
            if !consented {
                AppError::new(
                    ErrorCode::GroupsConsentMissing,
                    "The console's app may not read groups in this tenant: Group.Read.All or GroupMember.Read.All (delegated) is not consented there.",
                    "Ask the client's Global Administrator to grant admin consent for the console app's Microsoft Graph permission GroupMember.Read.All (Setup Guide), or enter each group's Object ID instead.",
                )
            } else {
                AppError::new(
                    ErrorCode::GroupsNotReadable,
                    format!(
                        "Microsoft Graph would not let you {what} ({code}: {message}). As a guest in this tenant your directory permissions are restricted."
                    ),
                    "Enter each group's Object ID from the client's Entra admin center instead, or ask for GDAP with Directory Readers (or Groups Administrator) in this tenant.",
                )
            }
        }
        404 => AppError::new(
            ErrorCode::ResourceNotFound,
            format!("Microsoft Graph found nothing when trying to {what}."),
            "Check the Object ID.",
        ),
        429 | 503 => AppError::new(
            ErrorCode::Throttled,
            "Microsoft Graph is busy.",
            "Search again in a minute, or enter the group's Object ID instead.",
        ),
        _ => AppError::new(
            ErrorCode::UnexpectedResponse,
            format!("Microsoft Graph answered {status} when trying to {what} ({code}: {message})."),
            "Search again later, or enter the group's Object ID instead.",
        ),
    }
}

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

    #[test]
    fn search_text_is_checked() {
        assert!(validated_search("  ").is_err());
        assert!(validated_search(&"a".repeat(MAX_GROUP_SEARCH + 1)).is_err());
        assert!(validated_search("a\u{0}b").is_err());
        assert_eq!(validated_search(" Ops ").expect("ok"), "Ops");
    }

    #[test]
    fn a_403_names_missing_consent_apart_from_guest_restrictions() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#;
        let no_consent = graph_error(403, body, Some(vec!["User.Read".into()]), "search");
        assert_eq!(no_consent.code, ErrorCode::GroupsConsentMissing);
        let guest = graph_error(
            403,
            body,
            Some(vec!["GroupMember.Read.All".into()]),
            "search",
        );
        assert_eq!(guest.code, ErrorCode::GroupsNotReadable);
        assert!(guest.hint.contains("Object ID"));
    }
}
