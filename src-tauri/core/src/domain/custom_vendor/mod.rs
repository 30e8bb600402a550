//! Custom vendors: tools an Admin adds to the catalog for every console on the vault.
//!
//! They live in one console document (`akv-console-custom-vendors`), stamped with an
//! HMAC-SHA256 under the policy's stamp key so that a change made outside the console (Portal,
//! script) is named and its vendors are not used. Their hosts are exactly the hosts the Admin
//! typed (no wildcards, no placeholders, no IPs, no ports), so a stored definition can never
//! widen where a key may go; any other host still needs the per-key Admin host approval.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::catalog::{self, AuthStyle, Category, ClientAuth, KeyPart, Vendor};
use super::policy::StampKey;
use crate::error::{AppError, AppResult, ErrorCode};

/// Every custom vendor id starts with this; no catalog id may (a catalog test holds that).
pub const CUSTOM_PREFIX: &str = "custom-";
pub const MAX_CUSTOM_VENDORS: usize = 50;
pub const MAX_NAME_CHARS: usize = 60;
pub const MAX_URL_CHARS: usize = 300;
pub const MAX_HINT_CHARS: usize = 300;
pub const MAX_PROCEDURE_CHARS: usize = 4000;
pub const MAX_PARTS: usize = 4;
pub const MAX_PART_LABEL_CHARS: usize = 40;
/// Room for `{id}--{label}` in a Key Vault secret name (127 characters).
const MAX_SLUG_CHARS: usize = 40;
pub const CUSTOM_DOCUMENT_VERSION: u32 = 1;

/// The auth styles a custom vendor may pick: the catalog's own, with only what a form can give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "style", rename_all = "kebab-case")]
#[ts(export)]
pub enum CustomAuth {
    Bearer,
    Header {
        name: String,
    },
    Basic,
    Query {
        param: String,
    },
    BasicKey,
    /// OAuth client credentials (form post) at the vendor's token URL.
    OauthClientCredentials,
    /// No test call; the key is tracked, rotated and reported like any other.
    None,
}

impl CustomAuth {
    /// Part ids the style reads, in the order the form's first parts take them.
    fn part_ids(&self) -> &'static [&'static str] {
        match self {
            CustomAuth::Bearer
            | CustomAuth::Header { .. }
            | CustomAuth::Query { .. }
            | CustomAuth::BasicKey => &["key"],
            CustomAuth::Basic => &["user", "password"],
            CustomAuth::OauthClientCredentials => &["client_id", "client_secret"],
            CustomAuth::None => &[],
        }
    }
}

/// One labelled part of the key as the Admin describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CustomKeyPart {
    pub label: String,
    pub secret: bool,
}

/// The Admin's form (create when `id` is absent, change otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CustomVendorRequest {
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<String>,
    pub name: String,
    pub category: Category,
    pub interval_days: u32,
    #[serde(default)]
    pub endpoint: String,
    #[serde(default)]
    pub token_url: String,
    /// Path of a cheap authenticated GET under the endpoint (the test ping).
    #[serde(default)]
    pub test_path: String,
    pub auth: CustomAuth,
    pub key_parts: Vec<CustomKeyPart>,
    #[serde(default)]
    pub procedure: String,
    #[serde(default)]
    pub key_hint: String,
}

/// A custom vendor as stored in the document (validated form plus who made it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CustomVendor {
    pub id: String,
    pub name: String,
    pub category: Category,
    pub interval_days: u32,
    pub endpoint: String,
    pub token_url: String,
    pub test_path: String,
    pub auth: CustomAuth,
    pub key_parts: Vec<CustomKeyPart>,
    pub procedure: String,
    pub key_hint: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// Why an endpoint or token URL was refused; each is its own error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    Unparsable,
    NotHttps,
    Userinfo,
    IpLiteral,
    LocalHost,
    Placeholder,
    Port,
    QueryOrFragment,
    TooLong,
}

impl UrlRefusal {
    pub fn code(self) -> ErrorCode {
        match self {
            UrlRefusal::Unparsable | UrlRefusal::TooLong => ErrorCode::InvalidInput,
            UrlRefusal::NotHttps => ErrorCode::EndpointNotHttps,
            UrlRefusal::Userinfo => ErrorCode::EndpointUserinfo,
            UrlRefusal::IpLiteral => ErrorCode::EndpointIpLiteral,
            UrlRefusal::LocalHost => ErrorCode::EndpointLocalHost,
            UrlRefusal::Placeholder => ErrorCode::EndpointPlaceholder,
            UrlRefusal::Port => ErrorCode::EndpointPort,
            UrlRefusal::QueryOrFragment => ErrorCode::EndpointQuery,
        }
    }

    fn message(self, what: &str) -> String {
        match self {
            UrlRefusal::Unparsable => format!("The {what} is not a URL."),
            UrlRefusal::TooLong => format!("The {what} is limited to {MAX_URL_CHARS} characters."),
            UrlRefusal::NotHttps => format!("The {what} must use https."),
            UrlRefusal::Userinfo => format!("The {what} must not hold a user name or password."),
            UrlRefusal::IpLiteral => format!("The {what} must name a host, not an IP address."),
            UrlRefusal::LocalHost => format!(
                "The {what} names a local or internal host (localhost, a single-label name, .local, .internal)."
            ),
            UrlRefusal::Placeholder => format!(
                "The {what} may not hold a {{placeholder}}: a filled-in host could be any host."
            ),
            UrlRefusal::Port => format!("The {what} may not name a port other than 443."),
            UrlRefusal::QueryOrFragment => {
                format!("The {what} may not carry a query (?) or fragment (#).")
            }
        }
    }

    fn hint(self) -> &'static str {
        match self {
            UrlRefusal::LocalHost | UrlRefusal::IpLiteral | UrlRefusal::Port => {
                "A self-hosted server is set per key (Edit settings on the key), where an Admin confirms its host."
            }
            _ => "Use the vendor's public https API address, e.g. https://api.vendor.com/v1.",
        }
    }
}

/// Check a custom vendor's URL; returns its host (lowercase, no trailing dot).
pub fn check_url(text: &str) -> Result<String, UrlRefusal> {
    if text.chars().count() > MAX_URL_CHARS {
        return Err(UrlRefusal::TooLong);
    }
    if text.contains('{') || text.contains('}') || text.contains("%7B") || text.contains("%7b") {
        return Err(UrlRefusal::Placeholder);
    }
    let url = url::Url::parse(text).map_err(|_| UrlRefusal::Unparsable)?;
    if url.scheme() != "https" {
        return Err(UrlRefusal::NotHttps);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Userinfo);
    }
    let host = match url.host() {
        Some(url::Host::Domain(domain)) => domain.trim_end_matches('.').to_ascii_lowercase(),
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => return Err(UrlRefusal::IpLiteral),
        None => return Err(UrlRefusal::Unparsable),
    };
    let local = !host.contains('.')
        || [
            "localhost",
            "local",
            "internal",
            "lan",
            "home.arpa",
            "localdomain",
        ]
        .iter()
        .any(|suffix| host == *suffix || host.ends_with(&format!(".{suffix}")));
    if local {
        return Err(UrlRefusal::LocalHost);
    }
    // `url` drops the default port, so any port left is another one.
    if url.port().is_some() {
        return Err(UrlRefusal::Port);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(UrlRefusal::QueryOrFragment);
    }
    Ok(host)
}

fn url_error(field: &str, what: &str, refusal: UrlRefusal) -> AppError {
    let mut error = AppError::new(refusal.code(), refusal.message(what), refusal.hint());
    error.field = Some(field.to_string());
    error
}

/// The id a name gets: `custom-` and the name's letters and digits, lowercase, single hyphens.
pub fn derive_id(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.chars().take(MAX_SLUG_CHARS).collect();
    format!("{CUSTOM_PREFIX}{}", slug.trim_end_matches('-'))
}

fn text_field(field: &str, label: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(AppError::field(
            field,
            format!("{label} is limited to {max} characters."),
            "Shorten it; link to longer documents instead.",
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppError::field(
            field,
            format!("{label} holds control characters."),
            "Type it again without pasting from a terminal.",
        ));
    }
    Ok(value.to_string())
}

fn token_name(field: &str, label: &str, value: &str) -> AppResult<String> {
    let value = value.trim();
    let valid = !value.is_empty()
        && value.len() <= 40
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(AppError::field(
            field,
            format!("{label} uses letters, digits, '-' and '_' (up to 40)."),
            "Copy it from the vendor's API documentation, e.g. X-API-Key.",
        ));
    }
    // Headers the console sets itself (and the ones that steer where a request goes) stay its own.
    let reserved = [
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "cookie",
    ];
    if reserved.contains(&value.to_ascii_lowercase().as_str()) {
        return Err(AppError::field(
            field,
            format!("'{value}' is set by the console itself."),
            "Name the header the vendor reads the key from.",
        ));
    }
    Ok(value.to_string())
}

/// Validate an Admin's form against the vendors already defined; the result is what is stored.
pub fn validate(
    request: &CustomVendorRequest,
    existing: &[CustomVendor],
    by: &str,
    now: DateTime<Utc>,
) -> AppResult<CustomVendor> {
    let name = text_field("name", "The name", &request.name, MAX_NAME_CHARS)?;
    if name.is_empty() || !name.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::field(
            "name",
            "Enter the vendor's name (with at least one letter or digit).",
            "For example 'Acme Backup Cloud'.",
        ));
    }
    let id = match &request.id {
        Some(id) => {
            if !existing.iter().any(|v| v.id == *id) {
                return Err(AppError::new(
                    ErrorCode::UnknownVendor,
                    format!("'{id}' is not a custom vendor of this vault."),
                    "Reload the list; another console may have removed it.",
                ));
            }
            id.clone()
        }
        None => {
            let id = derive_id(&name);
            if existing.iter().any(|v| v.id == id) {
                return Err(AppError::field(
                    "name",
                    format!("A custom vendor with the id '{id}' exists already."),
                    "Edit that one, or pick a name that differs in letters or digits.",
                ));
            }
            if existing.len() >= MAX_CUSTOM_VENDORS {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    format!("A vault holds at most {MAX_CUSTOM_VENDORS} custom vendors."),
                    "Remove one that has no keys first.",
                ));
            }
            id
        }
    };
    let lower = name.to_lowercase();
    let clash = existing
        .iter()
        .filter(|v| v.id != id)
        .any(|other| other.name.to_lowercase() == lower);
    if clash {
        return Err(AppError::field(
            "name",
            format!("'{name}' is already a custom vendor of this vault."),
            "Edit that one, or pick a distinct name.",
        ));
    }
    if request.category == Category::NonApiSecret {
        return Err(AppError::field(
            "category",
            "Non-API secrets have their own kinds in Add Key.",
            "Pick the category of the vendor's tool (RMM, PSA, Backup, ...).",
        ));
    }
    if !(1..=730).contains(&request.interval_days) {
        return Err(AppError::field(
            "intervalDays",
            "The default interval is 1 to 730 days.",
            "The manual's categories use 90, 180 or 365 days.",
        ));
    }
    let auth = match &request.auth {
        CustomAuth::Header { name } => CustomAuth::Header {
            name: token_name("authName", "The header name", name)?,
        },
        CustomAuth::Query { param } => CustomAuth::Query {
            param: token_name("authName", "The query parameter", param)?,
        },
        other => other.clone(),
    };
    let testable = auth != CustomAuth::None;
    let endpoint = request.endpoint.trim().trim_end_matches('/').to_string();
    if testable || !endpoint.is_empty() {
        check_url(&endpoint).map_err(|r| url_error("endpoint", "endpoint", r))?;
    }
    let token_url = request.token_url.trim().to_string();
    if auth == CustomAuth::OauthClientCredentials {
        check_url(&token_url).map_err(|r| url_error("tokenUrl", "token URL", r))?;
    } else if !token_url.is_empty() {
        return Err(AppError::field(
            "tokenUrl",
            "Only the OAuth client credentials style uses a token URL.",
            "Clear the token URL, or pick OAuth client credentials.",
        ));
    }
    let test_path = request.test_path.trim().to_string();
    if testable {
        let valid = test_path.starts_with('/')
            && test_path.len() <= 200
            && !test_path.starts_with("//")
            && !test_path.contains("..")
            && !test_path.contains(['{', '}', '\\', '@', '#', '?', ' '])
            && test_path.chars().all(|c| c.is_ascii_graphic());
        if !valid {
            return Err(AppError::field(
                "testPath",
                "The test path starts with '/' and stays under the endpoint (no '..', '?', '#', '@', spaces).",
                "A cheap authenticated GET from the vendor's API documentation, e.g. /v1/me.",
            ));
        }
    } else if !test_path.is_empty() {
        return Err(AppError::field(
            "testPath",
            "'No test' sends nothing, so it has no test path.",
            "Clear the test path, or pick how the key authenticates.",
        ));
    }
    let required = auth.part_ids().len();
    if request.key_parts.len() < required.max(1) || request.key_parts.len() > MAX_PARTS {
        return Err(AppError::field(
            "keyParts",
            format!(
                "This auth style needs {} key part(s); a vendor has at most {MAX_PARTS}.",
                required.max(1)
            ),
            "Give each part the label the vendor's portal uses.",
        ));
    }
    let mut parts = Vec::new();
    for (index, part) in request.key_parts.iter().enumerate() {
        let label = text_field(
            "keyParts",
            "A part's label",
            &part.label,
            MAX_PART_LABEL_CHARS,
        )?;
        if label.is_empty() {
            return Err(AppError::field(
                "keyParts",
                format!("Part {} has no label.", index + 1),
                "For example 'API key' or 'Client ID'.",
            ));
        }
        parts.push(CustomKeyPart {
            label,
            secret: part.secret,
        });
    }
    if !parts.iter().any(|p| p.secret) {
        return Err(AppError::field(
            "keyParts",
            "Mark at least one part as secret.",
            "The secret part is never shown in the masked preview.",
        ));
    }
    Ok(CustomVendor {
        id,
        name,
        category: request.category,
        interval_days: request.interval_days,
        endpoint: if testable || !endpoint.is_empty() {
            endpoint
        } else {
            String::new()
        },
        token_url,
        test_path,
        auth,
        key_parts: parts,
        procedure: text_field(
            "procedure",
            "The procedure",
            &request.procedure,
            MAX_PROCEDURE_CHARS,
        )?,
        key_hint: text_field(
            "keyHint",
            "The key-format hint",
            &request.key_hint,
            MAX_HINT_CHARS,
        )?,
        updated_at: now,
        updated_by: by.to_string(),
    })
}

/// [`validate`] for an Admin's save: a new name may not be a catalog vendor's either. (Stored
/// vendors are not held to it, so a later catalog that adds a vendor of the same name never
/// makes a vault's document unusable; the `custom-` id keeps the two apart.)
pub fn validate_for_save(
    request: &CustomVendorRequest,
    existing: &[CustomVendor],
    by: &str,
    now: DateTime<Utc>,
) -> AppResult<CustomVendor> {
    let saved = validate(request, existing, by, now)?;
    let renamed = existing
        .iter()
        .find(|v| v.id == saved.id)
        .is_none_or(|before| before.name.to_lowercase() != saved.name.to_lowercase());
    let lower = saved.name.to_lowercase();
    if renamed
        && catalog::catalog()
            .iter()
            .any(|v| v.name.to_lowercase() == lower)
    {
        return Err(AppError::field(
            "name",
            format!("'{}' is already a vendor of the catalog.", saved.name),
            "Add keys under the catalog's vendor instead.",
        ));
    }
    Ok(saved)
}

impl CustomVendor {
    /// The catalog vendor it stands for. Its domains are exactly the hosts the Admin typed.
    pub fn to_vendor(&self) -> Vendor {
        let ids = self.auth.part_ids();
        let key_parts = self
            .key_parts
            .iter()
            .enumerate()
            .map(|(index, part)| KeyPart {
                id: ids
                    .get(index)
                    .map_or_else(|| format!("part{}", index + 1), |id| id.to_string()),
                label: part.label.clone(),
                secret: part.secret,
                header: None,
                hint: String::new(),
            })
            .collect();
        let mut domains: Vec<String> = [&self.endpoint, &self.token_url]
            .into_iter()
            .filter_map(|url| check_url(url).ok())
            .collect();
        domains.dedup();
        let auth = match &self.auth {
            CustomAuth::Bearer => AuthStyle::Bearer,
            CustomAuth::Header { name } => AuthStyle::Header {
                name: name.clone(),
                prefix: None,
            },
            CustomAuth::Basic => AuthStyle::Basic,
            CustomAuth::Query { param } => AuthStyle::Query {
                param: param.clone(),
            },
            CustomAuth::BasicKey => AuthStyle::BasicKey,
            CustomAuth::OauthClientCredentials => AuthStyle::OauthClientCredentials {
                token_url: self.token_url.clone(),
                scope: None,
                audience: None,
                client_auth: ClientAuth::Post,
            },
            CustomAuth::None => AuthStyle::None {
                reason: "An Admin defined this custom vendor without a test call.".into(),
            },
        };
        Vendor {
            id: self.id.clone(),
            name: self.name.clone(),
            category: self.category,
            endpoint: self.endpoint.clone(),
            domains,
            test_path: self.test_path.clone(),
            key_hint: if self.key_hint.is_empty() {
                "As the vendor's portal shows it.".into()
            } else {
                self.key_hint.clone()
            },
            auth,
            key_parts,
            fields: Vec::new(),
            headers: Vec::new(),
            body_check: None,
            test_body: None,
            generator: None,
            docs: "Custom vendor defined by an Admin of this vault".into(),
            portal: "the vendor's admin portal".into(),
            portal_url: None,
            scope: "the access the integration needs".into(),
            connector: None,
            interval_days: Some(self.interval_days),
            procedure: (!self.procedure.is_empty()).then(|| self.procedure.clone()),
        }
    }

    /// What differs from `before`, for the audit note (never a value: there is none here).
    pub fn changes_from(&self, before: &CustomVendor) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let checks: [(&'static str, bool); 10] = [
            ("name", self.name != before.name),
            ("category", self.category != before.category),
            ("interval", self.interval_days != before.interval_days),
            ("endpoint", self.endpoint != before.endpoint),
            ("token URL", self.token_url != before.token_url),
            ("test path", self.test_path != before.test_path),
            ("auth style", self.auth != before.auth),
            ("key parts", self.key_parts != before.key_parts),
            ("procedure", self.procedure != before.procedure),
            ("key hint", self.key_hint != before.key_hint),
        ];
        for (what, differs) in checks {
            if differs {
                changed.push(what);
            }
        }
        changed
    }
}

/// The stored document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomVendorDocument {
    pub version: u32,
    pub vendors: Vec<CustomVendor>,
    /// Hex HMAC-SHA256 of the rest under the policy's stamp key.
    pub stamp: String,
}

/// What a console made of the stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadedVendors {
    /// No document: no custom vendors.
    None,
    /// Stamped by a console with the vault's stamp key, every vendor valid.
    Trusted(Vec<CustomVendor>),
    /// Changed outside the console, unreadable, or not checkable: nothing of it is used. The
    /// vendors it could still be read as are listed (flagged) so an Admin can review them.
    Untrusted {
        reason: String,
        vendors: Vec<CustomVendor>,
    },
}

fn stamp_of(key: &[u8; 32], version: u32, vendors: &[CustomVendor]) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(b"akv-console-custom-vendors\x1f");
    mac.update(&version.to_le_bytes());
    mac.update(
        serde_json::to_string(vendors)
            .unwrap_or_default()
            .as_bytes(),
    );
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time check of the document's stamp (`Mac::verify_slice`).
fn stamp_verifies(key: &[u8; 32], document: &CustomVendorDocument) -> bool {
    use hmac::{Hmac, Mac};
    let (Ok(mut mac), Ok(stamp)) = (
        Hmac::<sha2::Sha256>::new_from_slice(key),
        hex::decode(&document.stamp),
    ) else {
        return false;
    };
    mac.update(b"akv-console-custom-vendors\x1f");
    mac.update(&document.version.to_le_bytes());
    mac.update(
        serde_json::to_string(&document.vendors)
            .unwrap_or_default()
            .as_bytes(),
    );
    mac.verify_slice(&stamp).is_ok()
}

impl CustomVendorDocument {
    pub fn stamped(vendors: Vec<CustomVendor>, key: &StampKey) -> AppResult<CustomVendorDocument> {
        let bytes = key.bytes().ok_or_else(|| {
            AppError::new(
                ErrorCode::PolicyUnavailable,
                "The vault's stamp key is damaged, so custom vendors cannot be signed.",
                "An Admin saves the role policy on the Distribute tab, then tries again.",
            )
        })?;
        Ok(CustomVendorDocument {
            version: CUSTOM_DOCUMENT_VERSION,
            stamp: stamp_of(&bytes, CUSTOM_DOCUMENT_VERSION, &vendors),
            vendors,
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Read a stored document with the vault's stamp key (`None`: the policy has none).
    pub fn load(text: &str, key: Option<&StampKey>) -> LoadedVendors {
        let document: CustomVendorDocument = match serde_json::from_str(text) {
            Ok(document) => document,
            Err(error) => {
                return LoadedVendors::Untrusted {
                    reason: format!("The custom vendors document cannot be read ({error})."),
                    vendors: Vec::new(),
                };
            }
        };
        let Some(bytes) = key.and_then(StampKey::bytes) else {
            return LoadedVendors::Untrusted {
                reason:
                    "The vault's role policy has no stamp key to check the custom vendors with."
                        .into(),
                vendors: document.vendors,
            };
        };
        if !stamp_verifies(&bytes, &document) {
            return LoadedVendors::Untrusted {
                reason: "The custom vendors document was changed outside the console.".into(),
                vendors: document.vendors,
            };
        }
        // A stamped document is still input: each vendor must pass today's rules unchanged.
        for vendor in &document.vendors {
            let request = CustomVendorRequest {
                id: Some(vendor.id.clone()),
                ..vendor.as_request()
            };
            let recheck = validate(
                &request,
                &document.vendors,
                &vendor.updated_by,
                vendor.updated_at,
            );
            let valid_id = vendor.id.starts_with(CUSTOM_PREFIX)
                && vendor.id.len() <= CUSTOM_PREFIX.len() + MAX_SLUG_CHARS
                && vendor.id[CUSTOM_PREFIX.len()..]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !vendor.id.contains("--")
                && !vendor.id.ends_with('-');
            if !valid_id || recheck.ok().as_ref() != Some(vendor) {
                return LoadedVendors::Untrusted {
                    reason: format!(
                        "The custom vendor '{}' in the vault breaks the console's rules.",
                        vendor.id
                    ),
                    vendors: document.vendors,
                };
            }
        }
        let ids: std::collections::HashSet<&str> =
            document.vendors.iter().map(|v| v.id.as_str()).collect();
        if ids.len() != document.vendors.len() || document.vendors.len() > MAX_CUSTOM_VENDORS {
            return LoadedVendors::Untrusted {
                reason: "The custom vendors document repeats an id or holds too many vendors."
                    .into(),
                vendors: document.vendors,
            };
        }
        LoadedVendors::Trusted(document.vendors)
    }
}

impl CustomVendor {
    /// The form that would make this vendor (for edits and re-validation).
    pub fn as_request(&self) -> CustomVendorRequest {
        CustomVendorRequest {
            id: None,
            name: self.name.clone(),
            category: self.category,
            interval_days: self.interval_days,
            endpoint: self.endpoint.clone(),
            token_url: self.token_url.clone(),
            test_path: self.test_path.clone(),
            auth: self.auth.clone(),
            key_parts: self.key_parts.clone(),
            procedure: self.procedure.clone(),
            key_hint: self.key_hint.clone(),
        }
    }
}

pub mod registry;

#[cfg(test)]
mod tests;
