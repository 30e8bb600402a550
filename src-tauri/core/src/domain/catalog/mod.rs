//! The vendor catalog: the MSP stack the console knows out of the box.
//!
//! The catalog is data (`src-tauri/data/vendors.toml`), embedded at build time and parsed once.

use serde::{Deserialize, Serialize};
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

mod load;
pub use load::{
    api_vendor_count, catalog, endpoint_placeholders, host_matches, parse_catalog,
    valid_portal_url, vendor,
};

#[cfg(test)]
mod tests;
