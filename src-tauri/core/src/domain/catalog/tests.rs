//! Tests of the vendor catalog: categories, colours, endpoints, links and the manual's intervals.

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
