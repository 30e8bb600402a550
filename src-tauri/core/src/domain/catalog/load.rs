//! Loading the embedded vendors.toml, looking vendors up, and the checks on its endpoints and links.

use serde::Deserialize;
use std::sync::OnceLock;

use super::Vendor;

#[derive(Deserialize)]
struct CatalogFile {
    vendor: Vec<Vendor>,
}

const CATALOG_TOML: &str = include_str!("../../../data/vendors.toml");

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
