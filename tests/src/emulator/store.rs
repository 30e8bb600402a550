//! The in-memory secret store and Key Vault's JSON shapes.
//!
//! Names are case-insensitive in Key Vault, so entries are keyed by the lowercased name and
//! keep the spelling they were created with.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::types::{SecretSnapshot, SecretVersionSnapshot};

/// Days a deleted secret stays recoverable.
pub const RECOVERABLE_DAYS: i64 = 90;
/// Largest secret value Key Vault accepts (25 KB).
pub const MAX_VALUE_BYTES: usize = 25 * 1024;
pub const MAX_TAGS: usize = 15;
pub const MAX_TAG_NAME_CHARS: usize = 512;
pub const MAX_TAG_VALUE_CHARS: usize = 256;
pub const MAX_CONTENT_TYPE_CHARS: usize = 255;
pub const MAX_NAME_CHARS: usize = 127;
/// Page size limits of the list operations.
pub const MAX_PAGE_SIZE: usize = 25;

/// A Key Vault error: status plus `{"error":{"code","message","innererror":{"code"}}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub inner_code: Option<String>,
    pub retry_after_secs: Option<u64>,
}

impl KvError {
    pub fn new(status: u16, code: &str, message: String, inner_code: Option<&str>) -> KvError {
        KvError {
            status,
            code: code.to_string(),
            message,
            inner_code: inner_code.map(str::to_string),
            retry_after_secs: None,
        }
    }

    pub fn bad_parameter(message: String) -> KvError {
        KvError::new(400, "BadParameter", message, None)
    }

    pub fn secret_not_found(name_or_id: &str) -> KvError {
        KvError::new(
            404,
            "SecretNotFound",
            format!(
                "A secret with (name/id) {name_or_id} was not found in this key vault. If you \
                 recently deleted this secret you may be able to recover it using the correct \
                 recovery command. For help resolving this issue, please see \
                 https://go.microsoft.com/fwlink/?linkid=2125182"
            ),
            None,
        )
    }

    pub fn deleted_not_found(name: &str) -> KvError {
        KvError::new(
            404,
            "SecretNotFound",
            format!("Deleted Secret not found: {name}"),
            None,
        )
    }

    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), Value::String(self.code.clone()));
        error.insert("message".into(), Value::String(self.message.clone()));
        if let Some(inner) = &self.inner_code {
            error.insert("innererror".into(), json!({ "code": inner }));
        }
        json!({ "error": Value::Object(error) })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretVersion {
    pub version: String,
    pub value: String,
    pub content_type: Option<String>,
    pub enabled: bool,
    pub nbf: Option<i64>,
    pub exp: Option<i64>,
    pub created: i64,
    pub updated: i64,
    pub tags: BTreeMap<String, String>,
}

/// All versions of one secret, oldest first; the last one is "latest".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretItem {
    pub name: String,
    pub versions: Vec<SecretVersion>,
}

impl SecretItem {
    pub fn latest(&self) -> Option<&SecretVersion> {
        self.versions.last()
    }

    pub fn snapshot(&self, deleted: bool) -> SecretSnapshot {
        SecretSnapshot {
            name: self.name.clone(),
            deleted,
            versions: self
                .versions
                .iter()
                .map(|v| SecretVersionSnapshot {
                    version: v.version.clone(),
                    value: v.value.clone(),
                    content_type: v.content_type.clone(),
                    enabled: v.enabled,
                    not_before: v.nbf,
                    expires: v.exp,
                    created: v.created,
                    updated: v.updated,
                    tags: v.tags.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedItem {
    pub item: SecretItem,
    pub deleted_date: i64,
    pub scheduled_purge_date: i64,
}

/// Secrets and soft-deleted secrets.
#[derive(Debug, Default)]
pub struct SecretStore {
    pub active: BTreeMap<String, SecretItem>,
    pub deleted: BTreeMap<String, DeletedItem>,
}

/// Settable fields of a version, parsed from a PUT/PATCH body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SecretFields {
    pub value: Option<String>,
    pub content_type: Option<String>,
    pub enabled: Option<bool>,
    pub nbf: Option<Option<i64>>,
    pub exp: Option<Option<i64>>,
    pub tags: Option<BTreeMap<String, String>>,
}

pub fn store_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

pub fn new_version_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `^[0-9a-zA-Z-]{1,127}$`
pub fn validate_name(name: &str) -> Result<(), KvError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME_CHARS
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(KvError::bad_parameter(format!(
            "The request URI contains an invalid name: {name}"
        )))
    }
}

fn unix_field(value: &Value, field: &str) -> Result<Option<i64>, KvError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| {
                KvError::bad_parameter(format!("Property attributes.{field} has invalid value"))
            }),
        _ => Err(KvError::bad_parameter(format!(
            "Property attributes.{field} has invalid value"
        ))),
    }
}

/// Parses a PUT (`require_value`) or PATCH body and checks Key Vault's limits.
pub fn parse_fields(body: &[u8], require_value: bool) -> Result<SecretFields, KvError> {
    let parsed: Value = if body.is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body).map_err(|err| {
            KvError::bad_parameter(format!("The request body is not valid JSON: {err}"))
        })?
    };
    let Value::Object(object) = parsed else {
        return Err(KvError::bad_parameter(
            "The request body must be a JSON object".to_string(),
        ));
    };
    let mut fields = SecretFields::default();
    match object.get("value") {
        Some(Value::String(value)) => fields.value = Some(value.clone()),
        Some(Value::Null) | None => {}
        Some(_) => {
            return Err(KvError::bad_parameter(
                "Property value has invalid value".to_string(),
            ));
        }
    }
    if require_value && fields.value.is_none() {
        return Err(KvError::bad_parameter(
            "Property value is required".to_string(),
        ));
    }
    if let Some(value) = &fields.value
        && value.len() > MAX_VALUE_BYTES
    {
        return Err(KvError::bad_parameter(format!(
            "Secret value is beyond the maximum permitted length of {MAX_VALUE_BYTES} characters."
        )));
    }
    match object.get("contentType") {
        Some(Value::String(content_type)) => {
            if content_type.chars().count() > MAX_CONTENT_TYPE_CHARS {
                return Err(KvError::bad_parameter(format!(
                    "Property contentType is longer than {MAX_CONTENT_TYPE_CHARS} characters"
                )));
            }
            fields.content_type = Some(content_type.clone());
        }
        Some(Value::Null) | None => {}
        Some(_) => {
            return Err(KvError::bad_parameter(
                "Property contentType has invalid value".to_string(),
            ));
        }
    }
    match object.get("attributes") {
        Some(Value::Object(attributes)) => {
            match attributes.get("enabled") {
                Some(Value::Bool(enabled)) => fields.enabled = Some(*enabled),
                Some(Value::Null) | None => {}
                Some(_) => {
                    return Err(KvError::bad_parameter(
                        "Property attributes.enabled has invalid value".to_string(),
                    ));
                }
            }
            if let Some(nbf) = attributes.get("nbf") {
                fields.nbf = Some(unix_field(nbf, "nbf")?);
            }
            if let Some(exp) = attributes.get("exp") {
                fields.exp = Some(unix_field(exp, "exp")?);
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => {
            return Err(KvError::bad_parameter(
                "Property attributes has invalid value".to_string(),
            ));
        }
    }
    match object.get("tags") {
        Some(Value::Object(tags)) => {
            if tags.len() > MAX_TAGS {
                return Err(KvError::bad_parameter(format!(
                    "Too many tags: {} (at most {MAX_TAGS} are allowed)",
                    tags.len()
                )));
            }
            let mut parsed_tags = BTreeMap::new();
            for (key, value) in tags {
                let Value::String(value) = value else {
                    return Err(KvError::bad_parameter(format!(
                        "Tag {key} has invalid value: tag values must be strings"
                    )));
                };
                if key.chars().count() > MAX_TAG_NAME_CHARS {
                    return Err(KvError::bad_parameter(format!(
                        "Tag name is longer than {MAX_TAG_NAME_CHARS} characters"
                    )));
                }
                if value.chars().count() > MAX_TAG_VALUE_CHARS {
                    return Err(KvError::bad_parameter(format!(
                        "Tag {key} has a value longer than {MAX_TAG_VALUE_CHARS} characters"
                    )));
                }
                parsed_tags.insert(key.clone(), value.clone());
            }
            fields.tags = Some(parsed_tags);
        }
        Some(Value::Null) | None => {}
        Some(_) => {
            return Err(KvError::bad_parameter(
                "Property tags has invalid value".to_string(),
            ));
        }
    }
    Ok(fields)
}

/// Builds JSON bundles; `base` is `https://{Host}`.
pub struct Shapes<'a> {
    pub base: &'a str,
    pub recovery_level: &'static str,
}

impl Shapes<'_> {
    fn attributes(&self, version: &SecretVersion) -> Value {
        let mut attributes = Map::new();
        attributes.insert("enabled".into(), Value::Bool(version.enabled));
        if let Some(nbf) = version.nbf {
            attributes.insert("nbf".into(), json!(nbf));
        }
        if let Some(exp) = version.exp {
            attributes.insert("exp".into(), json!(exp));
        }
        attributes.insert("created".into(), json!(version.created));
        attributes.insert("updated".into(), json!(version.updated));
        attributes.insert("recoveryLevel".into(), json!(self.recovery_level));
        attributes.insert("recoverableDays".into(), json!(RECOVERABLE_DAYS));
        Value::Object(attributes)
    }

    /// Common fields: id, attributes, and contentType / tags when set (Key Vault omits
    /// them otherwise).
    fn common(&self, id: String, version: &SecretVersion) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert("id".into(), Value::String(id));
        object.insert("attributes".into(), self.attributes(version));
        if let Some(content_type) = &version.content_type {
            object.insert("contentType".into(), Value::String(content_type.clone()));
        }
        if !version.tags.is_empty() {
            object.insert("tags".into(), json!(version.tags));
        }
        object
    }

    pub fn versioned_id(&self, name: &str, version: &str) -> String {
        format!("{}/secrets/{name}/{version}", self.base)
    }

    pub fn unversioned_id(&self, name: &str) -> String {
        format!("{}/secrets/{name}", self.base)
    }

    pub fn recovery_id(&self, name: &str) -> String {
        format!("{}/deletedsecrets/{name}", self.base)
    }

    /// SecretBundle; `with_value` for set/get, not for update/recover.
    pub fn bundle(&self, name: &str, version: &SecretVersion, with_value: bool) -> Value {
        let mut object = self.common(self.versioned_id(name, &version.version), version);
        if with_value {
            object.insert("value".into(), Value::String(version.value.clone()));
        }
        Value::Object(object)
    }

    /// DeletedSecretBundle (no value), for DELETE /secrets/{n} and GET /deletedsecrets/{n}.
    pub fn deleted_bundle(&self, deleted: &DeletedItem) -> Option<Value> {
        let latest = deleted.item.latest()?;
        let mut object = self.common(
            self.versioned_id(&deleted.item.name, &latest.version),
            latest,
        );
        self.add_deletion_fields(&mut object, deleted);
        Some(Value::Object(object))
    }

    fn add_deletion_fields(&self, object: &mut Map<String, Value>, deleted: &DeletedItem) {
        object.insert(
            "recoveryId".into(),
            Value::String(self.recovery_id(&deleted.item.name)),
        );
        object.insert("deletedDate".into(), json!(deleted.deleted_date));
        object.insert(
            "scheduledPurgeDate".into(),
            json!(deleted.scheduled_purge_date),
        );
    }

    /// Item of GET /secrets: unversioned id, latest version's attributes, no value.
    pub fn list_item(&self, item: &SecretItem) -> Option<Value> {
        let latest = item.latest()?;
        Some(Value::Object(
            self.common(self.unversioned_id(&item.name), latest),
        ))
    }

    /// Item of GET /secrets/{n}/versions: versioned id, no value.
    pub fn version_item(&self, name: &str, version: &SecretVersion) -> Value {
        Value::Object(self.common(self.versioned_id(name, &version.version), version))
    }

    /// Item of GET /deletedsecrets.
    pub fn deleted_list_item(&self, deleted: &DeletedItem) -> Option<Value> {
        let latest = deleted.item.latest()?;
        let mut object = self.common(self.unversioned_id(&deleted.item.name), latest);
        self.add_deletion_fields(&mut object, deleted);
        Some(Value::Object(object))
    }
}

/// Continuation token of a list: position after which the next page starts.
pub fn encode_skiptoken(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{position}"))
}

pub fn decode_skiptoken(token: &str) -> Result<String, KvError> {
    let invalid = || KvError::bad_parameter(format!("Invalid skip token: {token}"));
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("v1:")
        .map(str::to_string)
        .ok_or_else(invalid)
}

/// Backup blob: opaque to clients (real ones are encrypted; this one is only encoded).
pub fn encode_backup(item: &SecretItem) -> Result<String, KvError> {
    let json = serde_json::to_vec(item).map_err(|err| {
        KvError::new(
            500,
            "InternalServerError",
            format!("backup failed: {err}"),
            None,
        )
    })?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

pub fn decode_backup(blob: &str) -> Result<SecretItem, KvError> {
    let invalid = || {
        KvError::bad_parameter("Backup blob is corrupt or was not made by this vault".to_string())
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(blob.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let item: SecretItem = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if item.versions.is_empty() || validate_name(&item.name).is_err() {
        return Err(invalid());
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_key_vault_rules() {
        assert!(validate_name("ninjaone-api-key-1").is_ok());
        assert!(validate_name(&"a".repeat(127)).is_ok());
        assert!(validate_name(&"a".repeat(128)).is_err());
        assert!(validate_name("").is_err());
        assert!(validate_name("under_score").is_err());
        assert!(validate_name("dot.name").is_err());
    }

    #[test]
    fn skiptoken_round_trips_and_is_url_safe() {
        let token = encode_skiptoken("some-secret~name?/+");
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(decode_skiptoken(&token).unwrap(), "some-secret~name?/+");
        assert!(decode_skiptoken("not a token").is_err());
    }

    #[test]
    fn put_body_limits_are_enforced() {
        assert!(parse_fields(br#"{"value":"x"}"#, true).is_ok());
        assert!(parse_fields(br#"{}"#, true).is_err());
        let big = format!(r#"{{"value":"{}"}}"#, "x".repeat(MAX_VALUE_BYTES + 1));
        assert_eq!(parse_fields(big.as_bytes(), true).unwrap_err().status, 400);
        let tags: Vec<String> = (0..16).map(|i| format!(r#""t{i}":"v""#)).collect();
        let body = format!(r#"{{"value":"x","tags":{{{}}}}}"#, tags.join(","));
        assert!(parse_fields(body.as_bytes(), true).is_err());
        let long_tag = format!(r#"{{"value":"x","tags":{{"k":"{}"}}}}"#, "v".repeat(257));
        assert!(parse_fields(long_tag.as_bytes(), true).is_err());
        let long_ct = format!(r#"{{"value":"x","contentType":"{}"}}"#, "c".repeat(256));
        assert!(parse_fields(long_ct.as_bytes(), true).is_err());
    }
}
