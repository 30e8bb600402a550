//! Where a key's ping goes: the endpoint and token URL derived from the vendor's templates and
//! the key's named fields (or an endpoint edit), and which of their hosts lie outside the
//! vendor's own domains.

use std::collections::BTreeMap;

use crate::domain::catalog::{EndpointField, Vendor, endpoint_placeholders, host_matches};
use crate::domain::keys::KeyRecord;
use crate::domain::validation::validate_field_value;

/// Everything one ping needs besides the key: resolved URLs, the fields that become headers, and
/// the key's own extra CA.
#[derive(Debug, Clone)]
pub struct PingTarget<'a> {
    pub vendor: &'a Vendor,
    pub endpoint: String,
    pub token_url: Option<String>,
    /// Field values in effect (defaults included), for field headers such as `x-org-id`.
    pub fields: BTreeMap<String, String>,
    pub key_ca_pem: Option<String>,
}

impl<'a> PingTarget<'a> {
    /// A target with an explicit endpoint and token URL (tests, and pings of a value about to be
    /// stored for a key whose settings are known).
    pub fn new(vendor: &'a Vendor, endpoint: impl Into<String>, token_url: Option<String>) -> Self {
        PingTarget {
            vendor,
            endpoint: endpoint.into(),
            token_url,
            fields: effective_fields(vendor, &BTreeMap::new()),
            key_ca_pem: None,
        }
    }

    pub fn with_fields(mut self, fields: &BTreeMap<String, String>) -> Self {
        self.fields = effective_fields(self.vendor, fields);
        self
    }

    pub fn with_key_ca(mut self, pem: Option<String>) -> Self {
        self.key_ca_pem = pem;
        self
    }

    /// The target of a stored key (its fields and edits), without its CA.
    pub fn of_record(vendor: &'a Vendor, record: Option<&KeyRecord>) -> Self {
        let fields = record
            .map(|r| valid_fields(vendor, &r.settings.fields))
            .unwrap_or_default();
        PingTarget {
            vendor,
            endpoint: endpoint_for(vendor, record),
            token_url: token_url_for(vendor, record),
            fields: effective_fields(vendor, &fields),
            key_ca_pem: None,
        }
    }

    /// Hosts this target sends the key to.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = std::iter::once(self.endpoint.as_str())
            .chain(self.token_url.as_deref())
            .filter_map(host_of)
            .collect();
        hosts.dedup();
        hosts
    }

    /// Hosts outside the vendor's domain patterns (all of them for self-hosted vendors).
    pub fn off_domain_hosts(&self) -> Vec<String> {
        self.hosts()
            .into_iter()
            .filter(|host| !host_matches(host, &self.vendor.domains))
            .collect()
    }

    /// Fields whose placeholder is still in the endpoint or token URL.
    pub fn unfilled(&self) -> Vec<&'a EndpointField> {
        let mut names = endpoint_placeholders(&self.endpoint);
        names.extend(
            self.token_url
                .as_deref()
                .map(endpoint_placeholders)
                .unwrap_or_default(),
        );
        self.vendor
            .fields
            .iter()
            .filter(|field| names.contains(&field.id))
            .collect()
    }
}

pub fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok().and_then(|u| {
        u.host_str()
            .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
    })
}

/// Field values that pass validation (a tag edited in the Portal may hold anything).
pub fn valid_fields(
    vendor: &Vendor,
    fields: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|(id, value)| {
            let field = vendor.field(id)?;
            validate_field_value(field, value)
                .ok()
                .flatten()
                .map(|valid| (id.clone(), valid))
        })
        .collect()
}

/// The key's fields over the catalog defaults.
pub fn effective_fields(
    vendor: &Vendor,
    fields: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut effective: BTreeMap<String, String> = vendor
        .fields
        .iter()
        .filter_map(|f| f.default.clone().map(|d| (f.id.clone(), d)))
        .collect();
    for (id, value) in fields {
        effective.insert(id.clone(), value.clone());
    }
    effective
}

/// Replace `{id}` placeholders with field values (unknown ones stay, and the ping reports them).
pub fn fill(template: &str, fields: &BTreeMap<String, String>) -> String {
    let mut result = template.to_string();
    for (id, value) in fields {
        result = result.replace(&format!("{{{id}}}"), value);
    }
    result
}

/// Learn field values from an edited endpoint matched against the template (e.g. the tenant from
/// `https://acme.halopsa.com/api` for `https://{tenant}.halopsa.com/api`).
pub fn learn_fields(template: &str, actual: &str) -> BTreeMap<String, String> {
    let mut learned = BTreeMap::new();
    let mut rest_template = template;
    let mut rest_actual = actual;
    while let Some(open) = rest_template.find('{') {
        let literal = &rest_template[..open];
        let Some(after_literal) = rest_actual.strip_prefix(literal) else {
            break;
        };
        let Some(close) = rest_template[open..].find('}') else {
            break;
        };
        let name = &rest_template[open + 1..open + close];
        rest_template = &rest_template[open + close + 1..];
        let next_literal_end = rest_template.find('{').unwrap_or(rest_template.len());
        let next_literal = &rest_template[..next_literal_end];
        let value_end = if next_literal.is_empty() {
            after_literal.len()
        } else {
            match after_literal.find(next_literal) {
                Some(end) => end,
                None => break,
            }
        };
        let value = &after_literal[..value_end];
        if !value.is_empty() && !value.contains('{') {
            learned.insert(name.to_string(), value.to_string());
        }
        rest_actual = &after_literal[value_end..];
    }
    learned
}

fn record_fields(vendor: &Vendor, record: Option<&KeyRecord>) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    if let Some(record) = record {
        if let Some(endpoint) = &record.endpoint_override {
            fields.extend(learn_fields(&vendor.endpoint, endpoint));
        }
        fields.extend(valid_fields(vendor, &record.settings.fields));
    }
    effective_fields(vendor, &fields)
}

/// The endpoint a key's ping uses: its edit, or the template filled with its fields.
pub fn endpoint_for(vendor: &Vendor, record: Option<&KeyRecord>) -> String {
    match record.and_then(|r| r.endpoint_override.clone()) {
        Some(endpoint) => endpoint,
        None => fill(&vendor.endpoint, &record_fields(vendor, record)),
    }
}

fn template_host(template: &str) -> Option<&str> {
    let rest = template.strip_prefix("https://")?;
    Some(rest.split(['/', '?', ':']).next().unwrap_or(rest))
}

/// The token URL a key's ping uses. When the token endpoint lives on the API's own host
/// (CrowdStrike, HaloPSA, Datto RMM, ...), an edited endpoint moves it along.
pub fn token_url_for(vendor: &Vendor, record: Option<&KeyRecord>) -> Option<String> {
    let template = vendor.auth.token_url()?;
    if let Some(url) = record.and_then(|r| r.token_url_override.clone()) {
        return Some(url);
    }
    let fields = record_fields(vendor, record);
    let filled = fill(template, &fields);
    let edited = record.and_then(|r| r.endpoint_override.as_deref());
    if let Some(edited) = edited
        && template_host(template).is_some()
        && template_host(template) == template_host(&vendor.endpoint)
        && let (Ok(endpoint), Ok(token)) = (url::Url::parse(edited), url::Url::parse(&filled))
    {
        let mut moved = token.clone();
        if moved.set_host(endpoint.host_str()).is_ok() && moved.set_port(endpoint.port()).is_ok() {
            return Some(moved.to_string());
        }
    }
    Some(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::vendor;
    use crate::domain::keys::tests::{at, record};

    fn key_of(vendor_id: &str) -> KeyRecord {
        let mut key = record(at(2026, 9, 1, 8), 90, None);
        key.vendor_id = vendor_id.into();
        key.secret_name = vendor_id.into();
        key
    }

    #[test]
    fn named_fields_fill_endpoint_and_token_url() {
        let halo = vendor("halopsa").expect("catalog");
        let mut key = key_of("halopsa");
        key.settings.fields.insert("tenant".into(), "acme".into());
        let target = PingTarget::of_record(halo, Some(&key));
        assert_eq!(target.endpoint, "https://acme.halopsa.com/api");
        assert_eq!(
            target.token_url.as_deref(),
            Some("https://acme.halopsa.com/auth/token?tenant=acme")
        );
        assert!(target.unfilled().is_empty());
        assert!(target.off_domain_hosts().is_empty());

        // Graph: the tenant lives only in the token URL; the unfilled field is named.
        let graph = vendor("microsoft-graph").expect("catalog");
        let target = PingTarget::of_record(graph, Some(&key_of("microsoft-graph")));
        let unfilled: Vec<&str> = target.unfilled().iter().map(|f| f.label.as_str()).collect();
        assert_eq!(unfilled, vec!["Tenant ID"]);
    }

    #[test]
    fn crowdstrike_token_host_follows_the_cloud_and_an_endpoint_edit() {
        let falcon = vendor("crowdstrike").expect("catalog");
        let default = PingTarget::of_record(falcon, Some(&key_of("crowdstrike")));
        assert_eq!(default.endpoint, "https://api.crowdstrike.com");
        assert_eq!(
            default.token_url.as_deref(),
            Some("https://api.crowdstrike.com/oauth2/token")
        );
        let mut eu = key_of("crowdstrike");
        eu.settings
            .fields
            .insert("region".into(), "api.eu-1".into());
        assert_eq!(
            PingTarget::of_record(falcon, Some(&eu))
                .token_url
                .as_deref(),
            Some("https://api.eu-1.crowdstrike.com/oauth2/token")
        );
        let mut edited = key_of("crowdstrike");
        edited.endpoint_override = Some("https://api.us-2.crowdstrike.com".into());
        assert_eq!(
            PingTarget::of_record(falcon, Some(&edited))
                .token_url
                .as_deref(),
            Some("https://api.us-2.crowdstrike.com/oauth2/token")
        );
    }

    #[test]
    fn invalid_field_values_from_tags_are_ignored() {
        let halo = vendor("halopsa").expect("catalog");
        let mut key = key_of("halopsa");
        key.settings
            .fields
            .insert("tenant".into(), "evil.example/x?".into());
        let target = PingTarget::of_record(halo, Some(&key));
        assert_eq!(target.unfilled().len(), 1, "the bad value is not used");
    }

    #[test]
    fn self_hosted_and_edited_hosts_are_off_domain() {
        let forti = vendor("fortigate").expect("catalog");
        let mut key = key_of("fortigate");
        key.settings
            .fields
            .insert("server".into(), "fw.acme.example".into());
        let target = PingTarget::of_record(forti, Some(&key));
        assert_eq!(
            target.off_domain_hosts(),
            vec!["fw.acme.example".to_string()]
        );

        let s1 = vendor("sentinelone").expect("catalog");
        let mut moved = key_of("sentinelone");
        moved.endpoint_override = Some("https://collector.evil.example/web/api/v2.1".into());
        let target = PingTarget::of_record(s1, Some(&moved));
        assert_eq!(
            target.off_domain_hosts(),
            vec!["collector.evil.example".to_string()]
        );
    }

    #[test]
    fn learning_from_an_edit() {
        assert_eq!(
            learn_fields(
                "https://{region}-api.centrastage.net/api",
                "https://merlot-api.centrastage.net/api"
            )
            .get("region")
            .map(String::as_str),
            Some("merlot")
        );
    }
}
