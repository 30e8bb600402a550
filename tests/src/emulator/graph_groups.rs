//! Microsoft Graph's groups, as the provisioning wizard reads them
//! (learn.microsoft.com/graph/api/group-list, learn.microsoft.com/graph/search-query-parameter):
//! - `GET /v1.0/groups` with `$search="displayName:…"` (only with `ConsistencyLevel: eventual`,
//!   else 400 `Request_UnsupportedQuery`), `$select`, `$top` (1–999);
//! - `GET /v1.0/groups/{id}`: 404 `Request_ResourceNotFound` for an unknown id or another
//!   tenant's group.
//!
//! Who may, as at Graph: a delegated token needs `Group.Read.All`, `GroupMember.Read.All` (or a
//! directory-wide read permission) in `scp`; an app-only token `Group.Read.All` or
//! `Directory.Read.All` in `roles`. A member of the tenant may list its groups. A B2B guest has
//! Entra's default "limited access": it may read a group whose Object ID it knows but not list
//! or search groups, unless given a directory role there (GDAP with Directory Readers or Groups
//! Administrator: [`super::Emulator::grant_directory_readers`]). Otherwise 403
//! `Authorization_RequestDenied` "Insufficient privileges to complete the operation."

use serde_json::{Value, json};

use super::directory::same_id;
use super::graph::{GraphError, authenticate, select};
use super::respond;
use super::signin_types::{RequestRecord, new_guid};
use super::state::{IssuedToken, State};
use super::vault::Query;
use super::{Emulator, Shared};
use crate::tls::{IncomingRequest, Outcome};

/// Delegated (or app) permissions that read groups.
const GROUP_READERS: [&str; 6] = [
    "Group.Read.All",
    "GroupMember.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];

#[derive(Debug, Clone)]
pub struct EntraGroup {
    pub tenant: String,
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub security_enabled: bool,
}

#[derive(Debug, Clone, Default)]
pub struct EntraGroups {
    pub groups: Vec<EntraGroup>,
    /// (tenant, object id) of guests holding a directory reader role there.
    pub directory_readers: Vec<(String, String)>,
}

impl Emulator {
    /// Adds an Entra group to `tenant`; answers its Object ID.
    pub fn add_entra_group(
        &self,
        tenant: &str,
        display_name: &str,
        description: Option<&str>,
        security_enabled: bool,
    ) -> String {
        let id = new_guid();
        self.shared.lock().arm.entra_groups.groups.push(EntraGroup {
            tenant: tenant.to_string(),
            id: id.clone(),
            display_name: display_name.to_string(),
            description: description.map(str::to_string),
            security_enabled,
        });
        id
    }

    /// The guest of `home_upn` in `tenant` gets Directory Readers there (as through GDAP).
    pub fn grant_directory_readers(&self, tenant: &str, home_upn: &str) -> Result<(), String> {
        let mut state = self.shared.lock();
        let home = state
            .users
            .iter()
            .find(|user| user.upn.eq_ignore_ascii_case(home_upn))
            .map(|user| user.object_id.clone())
            .ok_or_else(|| format!("no user {home_upn}"))?;
        let guest = state
            .tenants
            .guest(tenant, &home)
            .map(|guest| guest.object_id.clone())
            .ok_or_else(|| format!("{home_upn} is not a guest of {tenant}"))?;
        state
            .arm
            .entra_groups
            .directory_readers
            .push((tenant.to_string(), guest));
        Ok(())
    }
}

/// `/v1.0/groups` and `/v1.0/groups/…`.
pub fn is_groups_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower == "/v1.0/groups" || lower.starts_with("/v1.0/groups/")
}

fn holds(list: &[String]) -> bool {
    list.iter()
        .any(|entry| GROUP_READERS.iter().any(|g| g.eq_ignore_ascii_case(entry)))
}

/// May the token read groups (`listing`: list or search them, not just one by id)?
fn may_read(state: &State, token: &IssuedToken, listing: bool) -> bool {
    let identity = &token.identity;
    if identity.user.is_none() {
        return holds(&token.roles);
    }
    if !holds(&token.scopes) {
        return false;
    }
    let guest = state.tenants.guests.iter().any(|guest| {
        same_id(&guest.tenant, &identity.tenant) && same_id(&guest.object_id, &identity.object_id)
    });
    !guest
        || !listing
        || state
            .arm
            .entra_groups
            .directory_readers
            .iter()
            .any(|(tenant, id)| {
                same_id(tenant, &identity.tenant) && same_id(id, &identity.object_id)
            })
}

fn group_json(group: &EntraGroup) -> Value {
    json!({
        "id": group.id,
        "displayName": group.display_name,
        "description": group.description,
        "securityEnabled": group.security_enabled,
        "mailEnabled": !group.security_enabled,
        "groupTypes": if group.security_enabled { json!([]) } else { json!(["Unified"]) },
    })
}

/// `"property:text"` with `\"` and `\\` unescaped, or Graph's 400.
fn search_clause(raw: &str) -> Result<(String, String), GraphError> {
    let syntax = || {
        GraphError::bad_request(
            "Request_UnsupportedQuery",
            format!("Syntax error: character '{raw}' is not valid at position 0 in '$search'."),
        )
    };
    let inner = raw
        .trim()
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .ok_or_else(syntax)?;
    let mut text = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.push(chars.next().ok_or_else(syntax)?),
            // An unescaped quote ends the value early: Graph rejects it.
            '"' => return Err(syntax()),
            other => text.push(other),
        }
    }
    let (property, value) = text.split_once(':').ok_or_else(syntax)?;
    if !["displayName", "description"]
        .iter()
        .any(|p| p.eq_ignore_ascii_case(property.trim()))
    {
        return Err(GraphError::bad_request(
            "Request_UnsupportedQuery",
            format!("Unsupported property '{property}' in $search."),
        ));
    }
    Ok((property.trim().to_string(), value.to_string()))
}

/// Graph's tokenized search: every word of `text` starts some word of `value`.
fn matches(value: &str, text: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let terms = words(text);
    if terms.is_empty() {
        return value.to_lowercase().contains(&text.to_lowercase());
    }
    let value_words = words(value);
    terms
        .iter()
        .all(|term| value_words.iter().any(|w| w.starts_with(term.as_str())))
}

fn execute(
    state: &State,
    token: &IssuedToken,
    request: &IncomingRequest,
    base: &str,
) -> Result<Value, GraphError> {
    if request.method != hyper::Method::GET {
        return Err(GraphError::bad_request(
            "Request_BadRequest",
            format!(
                "Specified HTTP method is not allowed for the request target: {}.",
                request.method
            ),
        ));
    }
    let query = Query::parse(request.uri.query());
    let tenant = &token.identity.tenant;
    let segments: Vec<&str> = request
        .uri
        .path()
        .trim_end_matches('/')
        .split('/')
        .skip(3)
        .collect();
    match segments.as_slice() {
        [] => {
            if !may_read(state, token, true) {
                return Err(GraphError::denied());
            }
            let search = query.get("$search").map(search_clause).transpose()?;
            if search.is_some()
                && !request
                    .headers
                    .get("consistencylevel")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
            {
                return Err(GraphError::bad_request(
                    "Request_UnsupportedQuery",
                    "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
                ));
            }
            let top = match query.get("$top") {
                None => 100,
                Some(raw) => match raw.parse::<usize>() {
                    Ok(n) if (1..=999).contains(&n) => n,
                    _ => {
                        return Err(GraphError::bad_request(
                            "Request_BadRequest",
                            format!(
                                "Invalid page size specified: '{raw}'. Must be between 1 and 999 inclusive."
                            ),
                        ));
                    }
                },
            };
            let value: Vec<Value> = state
                .arm
                .entra_groups
                .groups
                .iter()
                .filter(|g| same_id(&g.tenant, tenant))
                .filter(|g| {
                    search.as_ref().is_none_or(|(property, text)| {
                        let field = if property.eq_ignore_ascii_case("description") {
                            g.description.as_deref().unwrap_or_default()
                        } else {
                            g.display_name.as_str()
                        };
                        matches(field, text)
                    })
                })
                .take(top)
                .map(|g| select(group_json(g), &query))
                .collect();
            Ok(json!({
                "@odata.context": format!("{base}/v1.0/$metadata#groups"),
                "value": value,
            }))
        }
        [id] => {
            let id = super::routes::percent_decode(id);
            let group = state
                .arm
                .entra_groups
                .groups
                .iter()
                .find(|g| same_id(&g.tenant, tenant) && same_id(&g.id, &id));
            if !may_read(state, token, false) {
                return Err(GraphError::denied());
            }
            let group = group.ok_or_else(|| GraphError::not_found(&id))?;
            let mut body = select(group_json(group), &query);
            body["@odata.context"] = json!(format!("{base}/v1.0/$metadata#groups/$entity"));
            Ok(body)
        }
        _ => Err(GraphError::bad_request(
            "BadRequest",
            format!(
                "Resource not found for the segment '{}'.",
                request.uri.path()
            ),
        )),
    }
}

/// Serves one request under `/v1.0/groups`.
pub fn handle(shared: &Shared, request: &IncomingRequest, base: &str) -> Outcome {
    let headers = &request.headers;
    let mut state = shared.lock();
    let mut record = RequestRecord {
        route: None,
        method: request.method.to_string(),
        path: request.uri.path().to_string(),
        secret_name: None,
        caller: None,
        status: 0,
    };
    let result = authenticate(&state, headers, base).and_then(|token| {
        record.caller = Some(token.identity.caller());
        execute(&state, &token, request, base)
    });
    let response = match result {
        Ok(body) => {
            record.status = 200;
            respond::json(200, &body)
        }
        Err(error) => {
            record.status = error.status;
            error.response(headers)
        }
    };
    state.log_request(record);
    Outcome::Respond(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_unescapes_and_matches_word_starts() {
        let (property, text) = search_clause(r#""displayName:R&D \"core\" \\ ops""#).expect("ok");
        assert_eq!(property, "displayName");
        assert_eq!(text, r#"R&D "core" \ ops"#);
        assert!(search_clause(r#""displayName:a"b""#).is_err());
        assert!(matches("Key Vault Officers", "vault off"));
        assert!(!matches("Key Vault Officers", "ault"));
    }
}
