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
}

impl Category {
    pub const ALL: [Category; 10] = [
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
        }
    }

    /// Default rotation interval in days (product manual, "Rotation Schedule by Category").
    pub fn default_interval_days(self) -> u32 {
        match self {
            Category::Rmm
            | Category::Psa
            | Category::SecurityEdr
            | Category::EmailSecurity
            | Category::Backup => 90,
            Category::Network | Category::Identity | Category::Comms | Category::Hardware => 180,
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
        }
    }

    /// Pill colour (RGB), shared by the UI (through the views) and the PDF report.
    pub fn colour(self) -> [u8; 3] {
        match self {
            Category::Rmm => [37, 99, 235],
            Category::Psa => [124, 58, 237],
            Category::SecurityEdr => [220, 38, 38],
            Category::EmailSecurity => [234, 88, 12],
            Category::Network => [8, 145, 178],
            Category::Backup => [22, 163, 74],
            Category::Identity => [219, 39, 119],
            Category::Comms => [202, 138, 4],
            Category::Distribution => [71, 85, 105],
            Category::Hardware => [101, 84, 60],
        }
    }

    /// Colour as a CSS hex string.
    pub fn colour_hex(self) -> String {
        let [r, g, b] = self.colour();
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// How the vendor test ping presents the stored key to the vendor's API. Styles whose key holds
/// several parts (user, password, extra id) split the stored value on `:` (the last part may itself
/// contain colons).
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
    /// HTTP Basic; the key is `user:password`, or `user:password:extra` when `extra_header` names a
    /// header that must carry a third part (ConnectWise PSA's `clientId`).
    Basic {
        #[serde(default)]
        #[ts(optional)]
        extra_header: Option<String>,
    },
    /// The key's `:`-separated parts, one per named header (Autotask, Proofpoint Essentials).
    Headers { names: Vec<String> },
    /// The key travels as a query parameter.
    Query { param: String },
    /// OAuth client credentials: the key is `client_id:client_secret`, exchanged at `token_url`.
    OauthClientCredentials {
        token_url: String,
        #[serde(default)]
        #[ts(optional)]
        scope: Option<String>,
        #[serde(default)]
        #[ts(optional)]
        audience: Option<String>,
    },
    /// OAuth password grant with a fixed public client; the key is `username:password`.
    OauthPassword {
        token_url: String,
        client_id: String,
        client_secret: String,
    },
    /// A JSON login (`{user_field: .., password_field: ..}` posted to `token_path` under the
    /// endpoint) answering a bearer token in `token_field`; the key is `user:password[:extra]`.
    JsonLogin {
        token_path: String,
        user_field: String,
        password_field: String,
        token_field: String,
        #[serde(default)]
        #[ts(optional)]
        extra_header: Option<String>,
    },
}

impl AuthStyle {
    /// The token URL of token-exchange styles (may hold placeholders).
    pub fn token_url(&self) -> Option<&str> {
        match self {
            AuthStyle::OauthClientCredentials { token_url, .. }
            | AuthStyle::OauthPassword { token_url, .. } => Some(token_url),
            _ => None,
        }
    }

    /// How many `:`-separated parts a stored key of this style has.
    pub fn key_parts(&self) -> usize {
        match self {
            AuthStyle::Bearer | AuthStyle::Header { .. } | AuthStyle::Query { .. } => 1,
            AuthStyle::Basic { extra_header } | AuthStyle::JsonLogin { extra_header, .. } => {
                2 + usize::from(extra_header.is_some())
            }
            AuthStyle::Headers { names } => names.len().max(1),
            AuthStyle::OauthClientCredentials { .. } | AuthStyle::OauthPassword { .. } => 2,
        }
    }

    /// One line for the detail panel: how the test ping authenticates.
    pub fn describe(&self) -> String {
        match self {
            AuthStyle::Bearer => "Bearer token in the Authorization header".into(),
            AuthStyle::Header { name, prefix } => match prefix {
                Some(prefix) => format!("{name}: {}<key>", prefix),
                None => format!("{name} header"),
            },
            AuthStyle::Basic { extra_header: None } => "HTTP Basic (user:password)".into(),
            AuthStyle::Basic {
                extra_header: Some(header),
            } => format!("HTTP Basic plus a {header} header"),
            AuthStyle::Headers { names } => format!("Headers {}", names.join(", ")),
            AuthStyle::Query { param } => format!("Query parameter '{param}'"),
            AuthStyle::OauthClientCredentials { .. } => "OAuth client credentials".into(),
            AuthStyle::OauthPassword { .. } => "OAuth password grant".into(),
            AuthStyle::JsonLogin { .. } => "Login exchange for a bearer token".into(),
        }
    }
}

/// One vendor of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Vendor {
    /// Stable id, also the Key Vault secret name of the vendor's key (`^[a-z0-9-]+$`, no `--`).
    pub id: String,
    pub name: String,
    pub category: Category,
    /// API base endpoint; `{tenant}`, `{server}` or `{region}` mark the parts each MSP fills in.
    pub endpoint: String,
    /// Path (relative to the endpoint) of a cheap authenticated GET used by the test ping.
    pub test_path: String,
    /// What the key looks like and where to create it.
    pub key_hint: String,
    pub auth: AuthStyle,
    /// Name of the vendor's API documentation, shown as text (the app opens no remote content).
    pub docs: String,
    /// Overrides the category's default interval (the Entra App Secret is Identity but rotates at 90 days).
    #[serde(default)]
    #[ts(optional)]
    pub interval_days: Option<u32>,
}

impl Vendor {
    /// Rotation interval a new key of this vendor gets unless the technician picks another.
    pub fn default_interval_days(&self) -> u32 {
        self.interval_days
            .unwrap_or_else(|| self.category.default_interval_days())
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

/// Look a vendor up by id.
pub fn vendor(id: &str) -> Option<&'static Vendor> {
    catalog().iter().find(|v| v.id == id)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalog_has_32_vendors_with_unique_ids() {
        let vendors = catalog();
        assert_eq!(vendors.len(), 32);
        let ids: HashSet<_> = vendors.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids.len(), 32, "vendor ids must be unique");
        let names: HashSet<_> = vendors.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names.len(), 32, "vendor names must be unique");
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
                    && !v.id.starts_with("akv-console"),
                "bad vendor id {:?}",
                v.id
            );
        }
    }

    #[test]
    fn endpoints_are_https_and_placeholders_are_known() {
        for v in catalog() {
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
                    ["tenant", "server", "region"].contains(&p.as_str()),
                    "{} has unknown placeholder {p}",
                    v.id
                );
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
        }
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
