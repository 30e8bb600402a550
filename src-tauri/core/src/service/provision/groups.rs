//! The client tenant's Entra groups for the provisioning wizard's two role pickers, read through
//! Microsoft Graph (`crate::graph::groups`) as the signed-in technician (the home sign-in
//! redeemed at the client tenant, a token for that cloud's Graph and nothing else). This module
//! checks what the technician typed, orders what the picker shows and names Graph's refusals.
//!
//! Graph answers 403 `Authorization_RequestDenied` both when the app lacks a consented group
//! permission and when the technician may not read the directory (a B2B guest's directory
//! permissions are restricted by default; GDAP with Directory Readers or Groups Administrator
//! lifts it). The token's `scp` tells the two apart, so each is named with its own fix.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::connection::ConnectionSettings;
use crate::domain::validation::guid_field;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::graph::groups::GraphGroup;
use crate::graph::{GraphClient, GraphOptions, Refusal, service_error};
use crate::signin::TenantCredential;
use crate::store::azure::AzureOptions;

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
    graph: GraphClient,
}

impl GroupDirectory {
    /// The Graph of `settings`' cloud (a custom authority serves Graph on its own host) for
    /// `credential`'s tenant. Makes no request.
    pub fn new(
        credential: Arc<TenantCredential>,
        settings: &ConnectionSettings,
        azure: &AzureOptions,
    ) -> AppResult<GroupDirectory> {
        let options = GraphOptions {
            azure: azure.clone(),
            body_cap: MAX_GRAPH_BODY,
            ..GraphOptions::default()
        };
        Ok(GroupDirectory {
            graph: GraphClient::new(credential, settings, &options)?,
        })
    }

    /// Groups of the tenant whose name matches `text` (at most [`GROUP_SEARCH_TOP`]).
    pub async fn search(&self, text: &str) -> AppResult<Vec<GroupChoice>> {
        let text = validated_search(text)?;
        let what = "search the client tenant's groups";
        let answer = self
            .graph
            .search_groups(&text, GROUP_SEARCH_TOP, what)
            .await;
        let mut groups: Vec<GroupChoice> = self
            .named(answer, what)
            .await?
            .into_iter()
            .map(GroupChoice::from)
            .collect();
        groups.sort_by_key(|g| (!g.security_enabled, g.display_name.to_lowercase()));
        Ok(groups)
    }

    /// The group with Object ID `id`; a named error when the tenant has none.
    pub async fn group(&self, id: &str) -> AppResult<GroupChoice> {
        let id = guid_field("groupId", "The group's Object ID", id)?;
        let what = "read the group";
        let answer = self.graph.group(&id, what).await;
        match self.named(answer, what).await {
            Ok(group) => Ok(group.into()),
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

    /// Graph's answer, its refusal or a failure on the way named for the picker (whose way out
    /// is always typing the Object ID).
    async fn named<T>(&self, answer: AppResult<Result<T, Refusal>>, what: &str) -> AppResult<T> {
        match answer {
            Ok(Ok(value)) => Ok(value),
            Ok(Err((status, body))) => {
                let scopes = if status == 403 {
                    self.graph.delegated_scopes().await
                } else {
                    None
                };
                Err(graph_error(status, &body, scopes, what))
            }
            Err(error) => Err(on_the_way(error, what)),
        }
    }
}

/// A failure before Graph answered: the network ones said as the picker's, the rest (the
/// sign-in's own named errors, the guard's refusals) as they are.
fn on_the_way(error: AppError, what: &str) -> AppError {
    match error.code {
        // The shared mapping calls an unknown host the vault's; here it is Graph's.
        ErrorCode::Timeout | ErrorCode::NetworkUnreachable | ErrorCode::VaultNotFound => {
            let code = if error.code == ErrorCode::Timeout {
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
        ErrorCode::UnexpectedResponse => AppError {
            hint: "Try again later, or enter the group's Object ID instead.".into(),
            ..error
        },
        _ => error,
    }
}

/// Graph's error body (`{"error":{"code","message"}}`) and status, named for the technician.
fn graph_error(status: u16, body: &[u8], scopes: Option<Vec<String>>, what: &str) -> AppError {
    let (code, message) = service_error(body);
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
