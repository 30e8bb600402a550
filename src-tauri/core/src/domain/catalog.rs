//! The vendor catalog: the MSP stack the console knows out of the box.
//!
//! The catalog is data (`src-tauri/data/vendors.toml`), embedded at build time and parsed once.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use ts_rs::TS;

/// A vendor category. The category sets the default rotation interval and the colour of its pill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum Category {
    #[serde(rename = "RMM")]
    Rmm,
    #[serde(rename = "PSA")]
    Psa,
    #[serde(rename = "Security/EDR")]
    SecurityEdr,
    #[serde(rename = "Email Security")]
    EmailSecurity,
    #[serde(rename = "Network")]
    Network,
    #[serde(rename = "Backup")]
    Backup,
    #[serde(rename = "Identity")]
    Identity,
    #[serde(rename = "Comms")]
    Comms,
    #[serde(rename = "Distribution")]
    Distribution,
    #[serde(rename = "Hardware")]
    Hardware,
    /// IT Glue, Hudu: the MSP's client documentation (not in the manual's table).
    #[serde(rename = "Documentation")]
    Documentation,
    /// Secrets that are not API keys: VPN pre-shared keys, backup encryption passphrases,
    /// service account, local admin and Wi-Fi passwords. No endpoint, no test call.
    #[serde(rename = "Non-API Secret")]
    NonApiSecret,
}

impl Category {
    pub const ALL: [Category; 12] = [
        Category::Rmm,
        Category::Psa,
        Category::SecurityEdr,
        Category::EmailSecurity,
        Category::Network,
        Category::Backup,
        Category::Identity,
        Category::Comms,
        Category::Distribution,
        Category::Hardware,
        Category::Documentation,
        Category::NonApiSecret,
    ];

    /// Display label, identical to the serialized form.
    pub fn label(self) -> &'static str {
        match self {
            Category::Rmm => "RMM",
            Category::Psa => "PSA",
            Category::SecurityEdr => "Security/EDR",
            Category::EmailSecurity => "Email Security",
            Category::Network => "Network",
            Category::Backup => "Backup",
            Category::Identity => "Identity",
            Category::Comms => "Comms",
            Category::Distribution => "Distribution",
            Category::Hardware => "Hardware",
            Category::Documentation => "Documentation",
            Category::NonApiSecret => "Non-API Secret",
        }
    }

    /// Default rotation interval in days (product manual, "Rotation Schedule by Category").
    /// Documentation and Non-API Secret have no row there: 90 days for documentation because
    /// those platforms hold every client's passwords (a PSA-or-higher risk), and 180 days for
    /// non-API secrets, the lifecycle article's "6 or 12 months, depending on sensitivity" at
    /// its sensitive end (each kind may override it in the catalog).
    pub fn default_interval_days(self) -> u32 {
        match self {
            Category::Rmm
            | Category::Psa
            | Category::SecurityEdr
            | Category::EmailSecurity
            | Category::Backup
            | Category::Documentation => 90,
            Category::Network
            | Category::Identity
            | Category::Comms
            | Category::Hardware
            | Category::NonApiSecret => 180,
            Category::Distribution => 365,
        }
    }

    /// Why the interval is what it is, shown in the rotation schedule and the PDF report.
    pub fn interval_rationale(self) -> &'static str {
        match self {
            Category::Rmm => "Full device access; handle like an admin credential.",
            Category::Psa => "Tickets, contracts and billing data.",
            Category::SecurityEdr => "Threat-response tooling; a leak is a critical incident.",
            Category::EmailSecurity => "Mail flow and quarantine control.",
            Category::Network => "Mostly read access to network gear.",
            Category::Backup => "Reaches recovery data; a ransomware target.",
            Category::Identity => "Tied to app-registration lifecycles.",
            Category::Comms => "Voice and messaging data; lower sensitivity.",
            Category::Distribution => "Ordering and procurement; stable and lower risk.",
            Category::Hardware => "Asset and warranty data.",
            Category::Documentation => {
                "Holds every client's passwords and network maps; treat it like RMM."
            }
            Category::NonApiSecret => {
                "Device and account secrets; changing one means visiting each system that uses it."
            }
        }
    }

    /// Pill colour (RGB), shared by the UI (through the views) and the PDF report. Only cool hues
    /// (cyan to magenta): red, amber, green and grey mean a status, so a category never wears them.
    pub fn colour(self) -> [u8; 3] {
        match self {
            Category::Rmm => [37, 99, 235],
            Category::Psa => [124, 58, 237],
            Category::SecurityEdr => [192, 38, 211],
            Category::EmailSecurity => [79, 70, 229],
            Category::Network => [8, 145, 160],
            Category::Backup => [30, 58, 138],
            Category::Identity => [134, 25, 120],
            Category::Comms => [2, 132, 199],
            Category::Distribution => [21, 94, 117],
            Category::Hardware => [88, 28, 135],
            Category::Documentation => [13, 116, 196],
            Category::NonApiSecret => [147, 51, 234],
        }
    }

    /// Colour as a CSS hex string.
    pub fn colour_hex(self) -> String {
        let [r, g, b] = self.colour();
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// How an OAuth client presents its id and secret at the token endpoint (RFC 6749 §2.3.1 and the
/// vendors' own variants).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` as form fields (`client_secret_post`).
    #[default]
    Post,
    /// HTTP Basic `client_id:client_secret`, only `grant_type` in the form (`client_secret_basic`).
    Basic,
    /// One JSON object with `client_id`, `client_secret`, `grant_type` (and audience) (Pax8).
    Json,
}

/// How the vendor test ping presents the stored key to the vendor's API. Each style reads the
/// key's parts by id (see [`AuthStyle::required_parts`]); parts that name a `header` are sent as
/// that header on every request, the login included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "style", rename_all = "kebab-case")]
#[ts(export)]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// A named header carrying the key, with an optional prefix (`Authorization: ApiToken <key>`).
    Header {
        name: String,
        #[serde(default)]
        #[ts(optional)]
        prefix: Option<String>,
    },
    /// HTTP Basic with the parts `user` and `password`.
    Basic,
    /// Every part travels in its own header (Autotask, Proofpoint Essentials).
    Headers,
    /// The key travels as a query parameter.
    Query { param: String },
    /// OAuth client credentials with the parts `client_id` and `client_secret`.
    OauthClientCredentials {
        token_url: String,
        #[serde(default)]
        #[ts(optional)]
        scope: Option<String>,
        #[serde(default)]
        #[ts(optional)]
        audience: Option<String>,
        #[serde(default)]
        client_auth: ClientAuth,
    },
    /// OAuth password grant with a fixed public client; the parts are `user` and `password`.
    OauthPassword {
        token_url: String,
        client_id: String,
        client_secret: String,
    },
    /// HTTP Basic with the key as the user name and an empty password (Bitdefender GravityZone).
    BasicKey,
    /// The key is a long-lived bearer token posted to `token_path` under the endpoint, which
    /// answers a short-lived one at the JSON pointer `token_pointer` (N-able N-central's
    /// User-API token → access token).
    BearerExchange {
        token_path: String,
        token_pointer: String,
    },
    /// Duo's signed requests: a `Date` header and HTTP Basic of the integration key (`ikey`)
    /// and an HMAC-SHA1 of the request under the secret key (`skey`).
    DuoHmac,
    /// No test call: a non-API secret, or a vendor whose API the console cannot call with the
    /// stored key alone. `reason` is shown where the Test button would be.
    None { reason: String },
    /// A JSON login (`{user_field: .., password_field: ..}` posted to `token_path` under the
    /// endpoint) answering a bearer token in `token_field`; the parts are `user` and `password`.
    JsonLogin {
        token_path: String,
        user_field: String,
        password_field: String,
        token_field: String,
    },
}

impl AuthStyle {
    /// The token URL template of token-exchange styles (may hold placeholders).
    pub fn token_url(&self) -> Option<&str> {
        match self {
            AuthStyle::OauthClientCredentials { token_url, .. }
            | AuthStyle::OauthPassword { token_url, .. } => Some(token_url),
            _ => None,
        }
    }

    /// Part ids this style reads (parts sent as headers come on top).
    pub fn required_parts(&self) -> &'static [&'static str] {
        match self {
            AuthStyle::Bearer
            | AuthStyle::Header { .. }
            | AuthStyle::Query { .. }
            | AuthStyle::BasicKey
            | AuthStyle::BearerExchange { .. } => &["key"],
            AuthStyle::Basic | AuthStyle::OauthPassword { .. } | AuthStyle::JsonLogin { .. } => {
                &["user", "password"]
            }
            AuthStyle::OauthClientCredentials { .. } => &["client_id", "client_secret"],
            AuthStyle::DuoHmac => &["ikey", "skey"],
            AuthStyle::Headers | AuthStyle::None { .. } => &[],
        }
    }

    /// One line for the detail panel: how the test ping authenticates.
    pub fn describe(&self) -> String {
        match self {
            AuthStyle::Bearer => "Bearer token in the Authorization header".into(),
            AuthStyle::Header { name, prefix } => match prefix {
                Some(prefix) => format!("{name}: {prefix}<key>"),
                None => format!("{name} header"),
            },
            AuthStyle::Basic => "HTTP Basic".into(),
            AuthStyle::Headers => "Credential headers".into(),
            AuthStyle::Query { param } => format!("Query parameter '{param}'"),
            AuthStyle::OauthClientCredentials { client_auth, .. } => match client_auth {
                ClientAuth::Post => "OAuth client credentials (form)".into(),
                ClientAuth::Basic => "OAuth client credentials (HTTP Basic)".into(),
                ClientAuth::Json => "OAuth client credentials (JSON body)".into(),
            },
            AuthStyle::OauthPassword { .. } => "OAuth password grant".into(),
            AuthStyle::JsonLogin { .. } => "Login exchange for a bearer token".into(),
            AuthStyle::BasicKey => "HTTP Basic with the key as user name".into(),
            AuthStyle::BearerExchange { .. } => "Token exchanged for an access token".into(),
            AuthStyle::DuoHmac => "Duo HMAC-SHA1 request signature".into(),
            AuthStyle::None { .. } => "No test call".into(),
        }
    }
}

/// One labelled part of a key (client ID, client secret, integration code, ...). The Add Key and
/// Rotate forms show one field per part; Rust joins, splits and validates them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct KeyPart {
    pub id: String,
    pub label: String,
    /// Shown as a password field and never part of the masked preview's visible characters.
    #[serde(default)]
    pub secret: bool,
    /// Sent as this header on every request of the ping (ConnectWise's ClientId).
    #[serde(default)]
    #[ts(optional)]
    pub header: Option<String>,
    #[serde(default)]
    pub hint: String,
}

/// A named field that a tenant-specific vendor's endpoint and token URL are derived from
/// (`{tenant}`, `{server}`, `{region}`, ...), filled once per key in the detail panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EndpointField {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub hint: String,
    /// Used until the technician fills the field (e.g. CrowdStrike's US-1 host).
    #[serde(default)]
    #[ts(optional)]
    pub default: Option<String>,
    /// When set, only these values are accepted (regions, clouds).
    #[serde(default)]
    pub choices: Vec<FieldChoice>,
    /// Optional fields may stay empty (JumpCloud's organization ID for single-org admins).
    #[serde(default)]
    pub optional: bool,
    /// Sent as this header when filled (JumpCloud's `x-org-id`).
    #[serde(default)]
    #[ts(optional)]
    pub header: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FieldChoice {
    pub value: String,
    pub label: String,
}

/// A header the vendor requires on every request (Veeam's `x-client-version`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FixedHeader {
    pub name: String,
    pub value: String,
}

/// How to read a 2xx answer whose body still says whether the key was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum BodyCheck {
    /// N-able N-sight's Data Extraction API: XML with `<error>` (or a `status` other than OK).
    NsightXml,
}

fn default_key_parts() -> Vec<KeyPart> {
    vec![KeyPart {
        id: "key".into(),
        label: "API key".into(),
        secret: true,
        header: None,
        hint: String::new(),
    }]
}

/// One vendor of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Vendor {
    /// Stable id, also the Key Vault secret name of the vendor's key (`^[a-z0-9-]+$`, no `--`).
    pub id: String,
    pub name: String,
    pub category: Category,
    /// API base endpoint template; `{field}` placeholders are filled from [`Vendor::fields`].
    pub endpoint: String,
    /// Host patterns the endpoint and token URL may use without an Admin's confirmation
    /// (`*.halopsa.com` matches any subdomain, `api.pax8.com` only itself).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Path (relative to the endpoint) of a cheap authenticated GET used by the test ping.
    pub test_path: String,
    /// What the key looks like and where to create it.
    pub key_hint: String,
    pub auth: AuthStyle,
    /// The key's parts, in the order the console stored them joined with `:` before it kept
    /// them as separate fields (that order is how old values are read back).
    #[serde(default = "default_key_parts")]
    pub key_parts: Vec<KeyPart>,
    #[serde(default)]
    pub fields: Vec<EndpointField>,
    #[serde(default)]
    pub headers: Vec<FixedHeader>,
    #[serde(default)]
    #[ts(optional)]
    pub body_check: Option<BodyCheck>,
    /// A JSON body that makes the test call a POST (JSON-RPC APIs such as GravityZone's).
    #[serde(default)]
    #[ts(optional)]
    pub test_body: Option<String>,
    /// What a generated value of this kind may be (non-API secrets); `None` for API vendors,
    /// whose generated value is the 64-character default.
    #[serde(default)]
    #[ts(optional)]
    pub generator: Option<crate::domain::generator::GeneratorRules>,
    /// Name of the vendor's API documentation, shown as text (the app opens no remote content).
    pub docs: String,
    /// Where in the vendor's portal the key is made (for the rotation procedure).
    #[serde(default)]
    pub portal: String,
    /// The vendor's page where a new key is made, opened in the system browser from Rotate All
    /// Due. Only where the vendor documents one fixed https page (tenant-hosted portals have
    /// none); checked by [`valid_portal_url`] in the catalog's tests.
    #[serde(default)]
    #[ts(optional)]
    pub portal_url: Option<String>,
    /// The permission or scope the key needs (for the rotation procedure).
    #[serde(default)]
    pub scope: String,
    /// A connector that rotates the key at the vendor (`meraki-api-key`, ...).
    #[serde(default)]
    #[ts(optional)]
    pub connector: Option<String>,
    /// Overrides the category's default interval (the Entra App Secret is Identity but rotates at 90 days).
    #[serde(default)]
    #[ts(optional)]
    pub interval_days: Option<u32>,
    /// A custom vendor's rotation procedure, as its Admin wrote it (replaces the prefilled one).
    #[serde(default)]
    #[ts(optional)]
    pub procedure: Option<String>,
}

impl Vendor {
    /// Rotation interval a new key of this vendor gets unless the technician picks another.
    pub fn default_interval_days(&self) -> u32 {
        self.interval_days
            .unwrap_or_else(|| self.category.default_interval_days())
    }

    /// Why the key cannot be tested, when it cannot (the Test button's place shows it).
    pub fn no_test_reason(&self) -> Option<&str> {
        match &self.auth {
            AuthStyle::None { reason } => Some(reason),
            _ => None,
        }
    }

    /// A secret that is not an API key (no endpoint, no vendor to rotate at).
    pub fn is_non_api(&self) -> bool {
        self.category == Category::NonApiSecret
    }

    pub fn is_multi_part(&self) -> bool {
        self.key_parts.len() > 1
    }

    /// Defined by an Admin of the vault (see `custom_vendor`), not shipped in the catalog.
    pub fn is_custom(&self) -> bool {
        self.id
            .starts_with(crate::domain::custom_vendor::CUSTOM_PREFIX)
    }

    pub fn field(&self, id: &str) -> Option<&EndpointField> {
        self.fields.iter().find(|f| f.id == id)
    }
}

#[derive(Deserialize)]
struct CatalogFile {
    vendor: Vec<Vendor>,
}

const CATALOG_TOML: &str = include_str!("../../data/vendors.toml");

/// Parse a catalog document. Used for the embedded catalog and by tests.
pub fn parse_catalog(text: &str) -> Result<Vec<Vendor>, String> {
    let file: CatalogFile = toml::from_str(text).map_err(|e| e.to_string())?;
    Ok(file.vendor)
}

/// The embedded catalog, parsed once.
pub fn catalog() -> &'static [Vendor] {
    static CATALOG: OnceLock<Vec<Vendor>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        // The catalog is compiled in and checked by unit tests, so a parse failure is a build defect.
        parse_catalog(CATALOG_TOML).expect("embedded vendor catalog must parse")
    })
}

/// Catalog vendors with an API (not the non-API kinds): one Vault row each, with or without a key.
pub fn api_vendor_count() -> usize {
    catalog().iter().filter(|v| !v.is_non_api()).count()
}

/// Look a vendor up by id: the catalog's, else a custom vendor of a connected vault.
pub fn vendor(id: &str) -> Option<&'static Vendor> {
    catalog()
        .iter()
        .find(|v| v.id == id)
        .or_else(|| crate::domain::custom_vendor::registry::lookup(id))
}

/// Placeholders an MSP must replace before the endpoint can be reached.
pub fn endpoint_placeholders(endpoint: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = endpoint;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                found.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

/// A portal link the console may open: https, a host, no credentials, no placeholders. The
/// catalog is compiled in, so this guards against a bad edit, not against the page.
pub fn valid_portal_url(text: &str) -> bool {
    if text.contains('{') || text.contains('}') {
        return false;
    }
    url::Url::parse(text).is_ok_and(|url| {
        url.scheme() == "https"
            && url.host_str().is_some_and(|h| !h.is_empty())
            && url.username().is_empty()
            && url.password().is_none()
    })
}

/// Does `host` match one of `patterns` (`*.example.com` = any subdomain of example.com)?
pub fn host_matches(host: &str, patterns: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    patterns.iter().any(|pattern| {
        let pattern = pattern.to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(parent) => host
                .strip_suffix(parent)
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            None => host == pattern,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Hue in degrees and HSL saturation of an RGB colour.
    fn hue_saturation([r, g, b]: [u8; 3]) -> (f64, f64) {
        let [r, g, b] = [r, g, b].map(|c| f64::from(c) / 255.0);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        let delta = max - min;
        if delta == 0.0 {
            return (0.0, 0.0);
        }
        let hue = if max == r {
            60.0 * ((g - b) / delta).rem_euclid(6.0)
        } else if max == g {
            60.0 * ((b - r) / delta + 2.0)
        } else {
            60.0 * ((r - g) / delta + 4.0)
        };
        let lightness = (max + min) / 2.0;
        (hue, delta / (1.0 - (2.0 * lightness - 1.0).abs()))
    }

    #[test]
    fn no_category_wears_a_status_colour() {
        use crate::domain::keys::KeyStatus;
        // Red, amber and green are statuses (Overdue, Due within 14 days, Healthy) and grey is
        // Disabled / No key: every category sits between cyan and magenta, clearly saturated.
        for category in Category::ALL {
            let (hue, saturation) = hue_saturation(category.colour());
            assert!(
                (180.0..=315.0).contains(&hue) && saturation >= 0.4,
                "{category:?}: hue {hue:.0}, saturation {saturation:.2}"
            );
            for status in KeyStatus::ALL {
                assert_ne!(
                    category.colour(),
                    status.colour(),
                    "{category:?} vs {status:?}"
                );
            }
        }
        // The statuses themselves are outside that band, so the test means what it says.
        for status in [KeyStatus::Overdue, KeyStatus::DueSoon, KeyStatus::Healthy] {
            let (hue, _) = hue_saturation(status.colour());
            assert!(!(180.0..=315.0).contains(&hue), "{status:?}: {hue:.0}");
        }
        let distinct: HashSet<[u8; 3]> = Category::ALL.iter().map(|c| c.colour()).collect();
        assert_eq!(distinct.len(), Category::ALL.len());
    }

    /// The manual's 32 API vendors, the MSP tools issue 21 adds, and the non-API kinds.
    const MANUAL_32: usize = 32;
    const MSP_TOOLS: [&str; 8] = [
        "it-glue",
        "hudu",
        "kaseya-vsa",
        "nable-ncentral",
        "connectwise-screenconnect",
        "bitdefender-gravityzone",
        "cisco-duo",
        "knowbe4",
    ];
    const NON_API_KINDS: [&str; 5] = [
        "vpn-psk",
        "backup-encryption",
        "service-account-password",
        "local-admin-password",
        "wifi-psk",
    ];

    #[test]
    fn catalog_keeps_the_manuals_32_and_adds_the_msp_tools_with_unique_ids() {
        let vendors = catalog();
        let api = api_vendor_count();
        assert_eq!(api, MANUAL_32 + MSP_TOOLS.len());
        assert_eq!(vendors.len(), api + NON_API_KINDS.len());
        for id in MSP_TOOLS.iter().chain(NON_API_KINDS.iter()) {
            assert!(vendor(id).is_some(), "{id} is missing");
        }
        let ids: HashSet<_> = vendors.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids.len(), vendors.len(), "vendor ids must be unique");
        let names: HashSet<_> = vendors.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names.len(), vendors.len(), "vendor names must be unique");
    }

    #[test]
    fn documentation_tools_rotate_at_90_days_with_a_reason() {
        assert_eq!(Category::Documentation.default_interval_days(), 90);
        assert!(!Category::Documentation.interval_rationale().is_empty());
        for id in ["it-glue", "hudu"] {
            let v = vendor(id).expect("documentation vendor");
            assert_eq!(v.category, Category::Documentation);
            assert_eq!(v.default_interval_days(), 90);
        }
        // Hudu is self-hosted or per-customer: no host passes without an Admin.
        assert!(vendor("hudu").is_some_and(|v| v.domains.is_empty()));
        // Each IT Glue data center is on IT Glue's domain.
        let glue = vendor("it-glue").expect("it-glue");
        let region = glue.field("region").expect("region field");
        assert_eq!(region.choices.len(), 3);
        for choice in &region.choices {
            let endpoint = glue.endpoint.replace("{region}", &choice.value);
            let host = url::Url::parse(&endpoint)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            assert!(host_matches(&host, &glue.domains), "{host}");
        }
        // And a look-alike host is not.
        assert!(!host_matches("api.itglue.com.evil.net", &glue.domains));
    }

    #[test]
    fn non_api_kinds_have_no_endpoint_no_test_and_generator_rules() {
        for v in catalog() {
            let rules = v.generator.as_ref();
            if v.is_non_api() {
                assert!(v.endpoint.is_empty() && v.test_path.is_empty(), "{}", v.id);
                assert!(v.domains.is_empty() && v.fields.is_empty(), "{}", v.id);
                assert!(
                    v.no_test_reason().is_some_and(|r| r.len() > 20),
                    "{} needs a reason for having no test",
                    v.id
                );
                let rules = rules.unwrap_or_else(|| panic!("{} has no generator rules", v.id));
                assert!(
                    rules.min_length >= 8
                        && rules.min_length <= rules.recommended_length
                        && rules.recommended_length <= rules.default_length
                        && rules.default_length <= rules.max_length,
                    "{}: {rules:?}",
                    v.id
                );
                assert!(!rules.source.is_empty(), "{}", v.id);
                assert_eq!(
                    rules.charsets,
                    crate::domain::generator::charset_choices(),
                    "{}: the charset labels are the console's",
                    v.id
                );
                assert!(v.connector.is_none(), "{}", v.id);
            } else {
                assert!(rules.is_none(), "{} is an API vendor", v.id);
            }
        }
        // The standard's numbers where there is one.
        let wifi = vendor("wifi-psk")
            .and_then(|v| v.generator.clone())
            .expect("wifi rules");
        assert_eq!((wifi.min_length, wifi.max_length), (8, 63));
        assert_eq!(wifi.recommended_length, 20);
        let admin = vendor("local-admin-password")
            .and_then(|v| v.generator.clone())
            .expect("local admin rules");
        assert!(admin.recommended_length >= 16 && admin.max_length == 64);
        assert_eq!(Category::NonApiSecret.default_interval_days(), 180);
    }

    #[test]
    fn every_category_is_represented_and_valid() {
        let used: HashSet<Category> = catalog().iter().map(|v| v.category).collect();
        for category in Category::ALL {
            assert!(
                used.contains(&category),
                "no vendor in {}",
                category.label()
            );
        }
    }

    #[test]
    fn ids_are_valid_key_vault_secret_names() {
        for v in catalog() {
            assert!(
                !v.id.is_empty()
                    && v.id.len() <= 100
                    && v.id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !v.id.contains("--")
                    && !v.id.starts_with("akv-console")
                    // Custom vendors own this prefix, so no catalog id can ever collide with one.
                    && !v.id.starts_with(crate::domain::custom_vendor::CUSTOM_PREFIX),
                "bad vendor id {:?}",
                v.id
            );
        }
    }

    #[test]
    fn endpoints_are_https_and_placeholders_are_declared_fields() {
        for v in catalog().iter().filter(|v| !v.is_non_api()) {
            assert!(
                v.endpoint.starts_with("https://"),
                "{} endpoint {}",
                v.id,
                v.endpoint
            );
            let token_url = v.auth.token_url().unwrap_or_default();
            for p in endpoint_placeholders(&v.endpoint)
                .into_iter()
                .chain(endpoint_placeholders(token_url))
            {
                assert!(
                    v.field(&p).is_some(),
                    "{} has undeclared placeholder {p}",
                    v.id
                );
            }
            for field in &v.fields {
                assert!(
                    v.endpoint.contains(&format!("{{{}}}", field.id))
                        || token_url.contains(&format!("{{{}}}", field.id))
                        || field.header.is_some(),
                    "{} field {} is used nowhere",
                    v.id,
                    field.id
                );
                for choice in &field.choices {
                    assert!(!choice.value.is_empty() && !choice.label.is_empty());
                }
            }
            assert!(
                token_url.is_empty() || token_url.starts_with("https://"),
                "{}",
                v.id
            );
            assert!(
                v.test_path.is_empty() || v.test_path.starts_with('/'),
                "{}",
                v.id
            );
            assert!(!v.key_hint.is_empty() && !v.docs.is_empty(), "{}", v.id);
            assert!(
                !v.portal.is_empty() && !v.scope.is_empty(),
                "{} needs portal and scope for its rotation procedure",
                v.id
            );
        }
    }

    #[test]
    fn every_auth_style_finds_the_parts_it_reads() {
        for v in catalog() {
            let ids: Vec<&str> = v.key_parts.iter().map(|p| p.id.as_str()).collect();
            for required in v.auth.required_parts() {
                assert!(ids.contains(required), "{} lacks part {required}", v.id);
            }
            if v.auth == AuthStyle::Headers {
                assert!(v.key_parts.iter().all(|p| p.header.is_some()), "{}", v.id);
            }
            assert_eq!(
                v.key_parts.iter().filter(|p| p.secret).count().min(1),
                1,
                "{} needs a secret part",
                v.id
            );
            let unique: HashSet<&str> = ids.iter().copied().collect();
            assert_eq!(unique.len(), ids.len(), "{} repeats a part id", v.id);
        }
    }

    #[test]
    fn vendor_hosted_endpoints_stay_on_their_domains() {
        // Vendors without domain patterns are self-hosted (an Admin confirms each host).
        for v in catalog().iter().filter(|v| !v.domains.is_empty()) {
            let mut endpoint = v.endpoint.clone();
            for field in &v.fields {
                let sample = field
                    .default
                    .clone()
                    .or_else(|| field.choices.first().map(|c| c.value.clone()))
                    .unwrap_or_else(|| {
                        // A whole-host field takes a host under the vendor's first domain.
                        if field.id == "server" {
                            v.domains[0].replace('*', "acme")
                        } else {
                            "acme".into()
                        }
                    });
                endpoint = endpoint.replace(&format!("{{{}}}", field.id), &sample);
            }
            let host = url::Url::parse(&endpoint)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            assert!(
                host_matches(&host, &v.domains),
                "{} endpoint host {host}",
                v.id
            );
        }
    }

    #[test]
    fn portal_links_are_https_pages_without_placeholders() {
        let linked: Vec<&Vendor> = catalog()
            .iter()
            .filter(|v| v.portal_url.is_some())
            .collect();
        assert!(
            linked.len() >= 10,
            "only {} vendors link their portal",
            linked.len()
        );
        for v in linked {
            let url = v.portal_url.as_deref().unwrap_or_default();
            assert!(valid_portal_url(url), "{} portal_url {url}", v.id);
        }
        for bad in [
            "http://app.atera.com/",
            "https://{tenant}.okta.com/admin",
            "https://user:pw@example.com/",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://",
        ] {
            assert!(!valid_portal_url(bad), "{bad}");
        }
    }

    #[test]
    fn host_patterns() {
        let patterns = vec!["*.halopsa.com".to_string(), "api.pax8.com".to_string()];
        assert!(host_matches("acme.halopsa.com", &patterns));
        assert!(host_matches("ACME.halopsa.com.", &patterns));
        assert!(host_matches("api.pax8.com", &patterns));
        assert!(!host_matches("halopsa.com", &patterns));
        assert!(!host_matches("evilhalopsa.com", &patterns));
        assert!(!host_matches("acme.halopsa.com.evil.net", &patterns));
        assert!(!host_matches("x.api.pax8.com", &patterns));
    }

    #[test]
    fn entra_app_secret_is_identity_at_90_days() {
        let entra = catalog()
            .iter()
            .find(|v| v.name == "Entra App Secret")
            .expect("Entra App Secret entry");
        assert_eq!(entra.category, Category::Identity);
        assert_eq!(entra.default_interval_days(), 90);
    }

    #[test]
    fn default_intervals_follow_the_manual() {
        assert_eq!(Category::Rmm.default_interval_days(), 90);
        assert_eq!(Category::EmailSecurity.default_interval_days(), 90);
        assert_eq!(Category::Network.default_interval_days(), 180);
        assert_eq!(Category::Distribution.default_interval_days(), 365);
        assert_eq!(Category::Hardware.default_interval_days(), 180);
    }

    #[test]
    fn placeholders_are_found() {
        assert_eq!(
            endpoint_placeholders("https://{tenant}.sentinelone.net/web/api/v2.1"),
            vec!["tenant".to_string()]
        );
        assert!(endpoint_placeholders("https://api.pax8.com/v1").is_empty());
    }
}
