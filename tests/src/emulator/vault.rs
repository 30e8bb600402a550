//! Key Vault secrets data plane: the operations themselves (run under the state lock).

use serde_json::{Value, json};

use super::routes::Route;
use super::state::{Identity, State, VAULT_DISPLAY};
use super::store::{
    DeletedItem, KvError, MAX_PAGE_SIZE, RECOVERABLE_DAYS, SecretItem, SecretVersion, Shapes,
    decode_backup, decode_skiptoken, encode_backup, encode_skiptoken, new_version_id, now_unix,
    parse_fields, store_key, validate_name,
};

/// Decoded query string (keys and values percent-decoded, as the Rust client re-encodes
/// `$skiptoken` to `%24skiptoken`).
#[derive(Debug, Default, Clone)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query(
            raw.map(|raw| {
                url::form_urlencoded::parse(raw.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.as_str())
    }
}

/// Accepts `7.x[-preview]` and dated `YYYY-MM-DD[-preview]` versions.
pub fn check_api_version(query: &Query) -> Result<String, KvError> {
    let Some(version) = query.get("api-version") else {
        return Err(KvError::bad_parameter(
            "The 'api-version' query parameter is missing.".to_string(),
        ));
    };
    let core = version.strip_suffix("-preview").unwrap_or(version);
    let seven = core
        .strip_prefix("7.")
        .is_some_and(|minor| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()));
    let dated = core.len() == 10
        && core.bytes().enumerate().all(|(index, b)| match index {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if seven || dated {
        Ok(version.to_string())
    } else {
        Err(KvError::bad_parameter(format!(
            "The specified version ({version}) is not recognized. Consider using the latest \
             supported version (2025-07-01)."
        )))
    }
}

/// One request to run against the store.
pub struct VaultCall<'a> {
    pub route: &'a Route,
    pub identity: &'a Identity,
    pub body: &'a [u8],
    pub query: &'a Query,
    /// `https://{Host}`
    pub base: &'a str,
    pub api_version: &'a str,
}

/// Success: status and JSON body (None = empty body, for 204).
pub type VaultResult = Result<(u16, Option<Value>), KvError>;

pub fn execute(state: &mut State, call: &VaultCall<'_>) -> VaultResult {
    state.authorize(call.identity, call.route.kind())?;
    if let Some(result) = super::vault_objects::execute(state, call) {
        return result;
    }
    if let Some(name) = call.route.secret_name() {
        validate_name(name)?;
    }
    let recovery_level = if state.purge_protection {
        "Recoverable"
    } else {
        "Recoverable+Purgeable"
    };
    let shapes = Shapes {
        base: call.base,
        recovery_level,
    };
    match call.route {
        Route::SetSecret { name } => set_secret(state, &shapes, name, call.body),
        Route::GetSecret { name, version } => get_secret(state, &shapes, name, version.as_deref()),
        Route::UpdateSecret { name, version } => {
            update_secret(state, &shapes, name, version.as_deref(), call.body)
        }
        Route::DeleteSecret { name } => delete_secret(state, &shapes, name),
        Route::ListSecrets => {
            let entries = state.store.active.iter().filter_map(|(key, item)| {
                let mut listed = shapes.list_item(item)?;
                // A certificate's backing secret says so, as in Azure.
                if state.objects.managed_secrets.contains(key) {
                    listed["managed"] = json!(true);
                }
                Some((key.clone(), listed))
            });
            list_page(entries.collect(), call, "/secrets")
        }
        Route::ListVersions { name } => {
            let item = state
                .store
                .active
                .get(&store_key(name))
                .ok_or_else(|| KvError::secret_not_found(name))?;
            let entries = item
                .versions
                .iter()
                .enumerate()
                .map(|(index, version)| {
                    (
                        format!("{index:08}"),
                        shapes.version_item(&item.name, version),
                    )
                })
                .collect();
            list_page(entries, call, &format!("/secrets/{}/versions", item.name))
        }
        Route::GetDeleted { name } => {
            let deleted = state
                .store
                .deleted
                .get(&store_key(name))
                .ok_or_else(|| KvError::deleted_not_found(name))?;
            let body = shapes
                .deleted_bundle(deleted)
                .ok_or_else(|| KvError::deleted_not_found(name))?;
            Ok((200, Some(body)))
        }
        Route::ListDeleted => {
            let entries = state.store.deleted.iter().filter_map(|(key, deleted)| {
                Some((key.clone(), shapes.deleted_list_item(deleted)?))
            });
            list_page(entries.collect(), call, "/deletedsecrets")
        }
        Route::Recover { name } => recover_secret(state, &shapes, name),
        Route::Purge { name } => purge_secret(state, name),
        Route::Backup { name } => {
            let item = state
                .store
                .active
                .get(&store_key(name))
                .ok_or_else(|| KvError::secret_not_found(name))?;
            Ok((200, Some(json!({ "value": encode_backup(item)? }))))
        }
        Route::Restore => restore_secret(state, &shapes, call.body),
        _ => Err(KvError::new(
            404,
            "NotFound",
            "Not a Key Vault route".to_string(),
            None,
        )),
    }
}

fn deleted_but_recoverable(name: &str) -> KvError {
    KvError::new(
        409,
        "Conflict",
        format!(
            "Secret {name} is currently in a deleted but recoverable state, and its name cannot \
             be reused; in this state, the secret can only be recovered or purged."
        ),
        Some("ObjectIsDeletedButRecoverable"),
    )
}

fn set_secret(state: &mut State, shapes: &Shapes<'_>, name: &str, body: &[u8]) -> VaultResult {
    let fields = parse_fields(body, true)?;
    let key = store_key(name);
    if state.store.deleted.contains_key(&key) {
        return Err(deleted_but_recoverable(name));
    }
    let now = now_unix();
    let version = SecretVersion {
        version: new_version_id(),
        value: fields.value.unwrap_or_default(),
        content_type: fields.content_type,
        enabled: fields.enabled.unwrap_or(true),
        nbf: fields.nbf.flatten(),
        exp: fields.exp.flatten(),
        created: now,
        updated: now,
        tags: fields.tags.unwrap_or_default(),
    };
    let item = state.store.active.entry(key).or_insert_with(|| SecretItem {
        name: name.to_string(),
        versions: Vec::new(),
    });
    let body = shapes.bundle(&item.name, &version, true);
    item.versions.push(version);
    Ok((200, Some(body)))
}

fn find_version<'a>(
    item: &'a SecretItem,
    name: &str,
    version: Option<&str>,
) -> Result<&'a SecretVersion, KvError> {
    match version {
        None => item.latest().ok_or_else(|| KvError::secret_not_found(name)),
        Some(wanted) => item
            .versions
            .iter()
            .find(|candidate| candidate.version.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| KvError::secret_not_found(&format!("{name}/{wanted}"))),
    }
}

fn get_secret(
    state: &State,
    shapes: &Shapes<'_>,
    name: &str,
    version: Option<&str>,
) -> VaultResult {
    let item = state
        .store
        .active
        .get(&store_key(name))
        .ok_or_else(|| KvError::secret_not_found(name))?;
    let found = find_version(item, name, version)?;
    if !found.enabled {
        return Err(KvError::new(
            403,
            "Forbidden",
            "Operation get is not allowed on a disabled secret.".to_string(),
            Some("SecretDisabled"),
        ));
    }
    Ok((200, Some(shapes.bundle(&item.name, found, true))))
}

fn update_secret(
    state: &mut State,
    shapes: &Shapes<'_>,
    name: &str,
    version: Option<&str>,
    body: &[u8],
) -> VaultResult {
    let fields = parse_fields(body, false)?;
    let item = state
        .store
        .active
        .get_mut(&store_key(name))
        .ok_or_else(|| KvError::secret_not_found(name))?;
    let index = {
        let found = find_version(item, name, version)?;
        item.versions
            .iter()
            .position(|candidate| candidate.version == found.version)
            .ok_or_else(|| KvError::secret_not_found(name))?
    };
    let target = &mut item.versions[index];
    if let Some(content_type) = fields.content_type {
        target.content_type = Some(content_type);
    }
    if let Some(enabled) = fields.enabled {
        target.enabled = enabled;
    }
    if let Some(nbf) = fields.nbf {
        target.nbf = nbf;
    }
    if let Some(exp) = fields.exp {
        target.exp = exp;
    }
    // Key Vault replaces the whole tag set when `tags` is present.
    if let Some(tags) = fields.tags {
        target.tags = tags;
    }
    target.updated = now_unix();
    Ok((200, Some(shapes.bundle(&item.name, target, false))))
}

fn delete_secret(state: &mut State, shapes: &Shapes<'_>, name: &str) -> VaultResult {
    let key = store_key(name);
    let item = state
        .store
        .active
        .remove(&key)
        .ok_or_else(|| KvError::secret_not_found(name))?;
    let now = now_unix();
    let deleted = DeletedItem {
        item,
        deleted_date: now,
        scheduled_purge_date: now + RECOVERABLE_DAYS * 86_400,
    };
    let body = shapes.deleted_bundle(&deleted);
    state.store.deleted.insert(key, deleted);
    Ok((200, body))
}

fn recover_secret(state: &mut State, shapes: &Shapes<'_>, name: &str) -> VaultResult {
    let key = store_key(name);
    if !state.store.deleted.contains_key(&key) {
        return Err(KvError::deleted_not_found(name));
    }
    if state.store.active.contains_key(&key) {
        return Err(KvError::new(
            409,
            "Conflict",
            format!("Secret {name} already exists."),
            None,
        ));
    }
    let Some(deleted) = state.store.deleted.remove(&key) else {
        return Err(KvError::deleted_not_found(name));
    };
    let item = deleted.item;
    let body = item
        .latest()
        .map(|latest| shapes.bundle(&item.name, latest, false));
    state.store.active.insert(key, item);
    Ok((200, body))
}

fn purge_secret(state: &mut State, name: &str) -> VaultResult {
    let key = store_key(name);
    if !state.store.deleted.contains_key(&key) {
        return Err(KvError::deleted_not_found(name));
    }
    if state.purge_protection {
        // Wording as returned by Azure (seen in azurerm/autorest error reports).
        return Err(KvError::new(
            403,
            "Forbidden",
            format!(
                "Operation \"purge\" is not allowed because purge protection is enabled for this \
                 vault. Key Vault service will automatically purge it after the retention period \
                 has passed.\r\nVault: {VAULT_DISPLAY}"
            ),
            None,
        ));
    }
    state.store.deleted.remove(&key);
    Ok((204, None))
}

fn restore_secret(state: &mut State, shapes: &Shapes<'_>, body: &[u8]) -> VaultResult {
    let parsed: Value = serde_json::from_slice(body).map_err(|err| {
        KvError::bad_parameter(format!("The request body is not valid JSON: {err}"))
    })?;
    let blob = parsed
        .get("value")
        .and_then(Value::as_str)
        .ok_or_else(|| KvError::bad_parameter("Property value is required".to_string()))?;
    let item = decode_backup(blob)?;
    let key = store_key(&item.name);
    if state.store.deleted.contains_key(&key) {
        return Err(deleted_but_recoverable(&item.name));
    }
    if state.store.active.contains_key(&key) {
        return Err(KvError::new(
            409,
            "Conflict",
            format!("Secret {} already exists.", item.name),
            None,
        ));
    }
    let body = item
        .latest()
        .map(|latest| shapes.bundle(&item.name, latest, false));
    state.store.active.insert(key, item);
    Ok((200, body))
}

/// One page of a list: entries sorted by position key, starting after `$skiptoken`.
pub(super) fn list_page(
    mut entries: Vec<(String, Value)>,
    call: &VaultCall<'_>,
    path: &str,
) -> VaultResult {
    let page_size = match call.query.get("maxresults") {
        None | Some("") => MAX_PAGE_SIZE,
        Some(raw) => match raw.parse::<usize>() {
            Ok(size) if (1..=MAX_PAGE_SIZE).contains(&size) => size,
            _ => {
                return Err(KvError::bad_parameter(format!(
                    "Invalid maxresults value '{raw}': it must be an integer between 1 and \
                     {MAX_PAGE_SIZE}."
                )));
            }
        },
    };
    let after = match call.query.get("$skiptoken") {
        None | Some("") => None,
        Some(token) => Some(decode_skiptoken(token)?),
    };
    entries.sort_by(|left, right| left.0.cmp(&right.0));
    let mut remaining = entries
        .into_iter()
        .filter(|(position, _)| after.as_ref().is_none_or(|after| position > after))
        .peekable();
    let mut page = Vec::with_capacity(page_size);
    let mut last_position = None;
    while page.len() < page_size {
        match remaining.next() {
            Some((position, value)) => {
                last_position = Some(position);
                page.push(value);
            }
            None => break,
        }
    }
    let next_link = match (remaining.peek(), last_position) {
        (Some(_), Some(position)) => Value::String(format!(
            "{}{path}?api-version={}&$skiptoken={}&maxresults={page_size}",
            call.base,
            call.api_version,
            encode_skiptoken(&position)
        )),
        _ => Value::Null,
    };
    Ok((200, Some(json!({ "value": page, "nextLink": next_link }))))
}
