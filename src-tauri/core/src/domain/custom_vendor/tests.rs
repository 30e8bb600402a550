//! Custom vendors: validation of hostile input, ids, the stamped document, the registry.

use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0)
        .single()
        .expect("date")
}

fn request(name: &str, endpoint: &str) -> CustomVendorRequest {
    CustomVendorRequest {
        id: None,
        name: name.into(),
        category: Category::Rmm,
        interval_days: 90,
        endpoint: endpoint.into(),
        token_url: String::new(),
        test_path: "/v1/me".into(),
        auth: CustomAuth::Header {
            name: "X-API-Key".into(),
        },
        key_parts: vec![CustomKeyPart {
            label: "API key".into(),
            secret: true,
        }],
        procedure: "1. Open Settings > API.\n2. Make a key.".into(),
        key_hint: "40 hex characters".into(),
    }
}

fn refused(endpoint: &str) -> ErrorCode {
    validate(&request("Acme RMM", endpoint), &[], "Ada", now())
        .expect_err(endpoint)
        .code
}

#[test]
fn each_hostile_endpoint_is_refused_with_its_named_error() {
    let cases = [
        ("http://api.acme.com/v1", ErrorCode::EndpointNotHttps),
        (
            "https://user:pw@api.acme.com/v1",
            ErrorCode::EndpointUserinfo,
        ),
        ("https://203.0.113.7/v1", ErrorCode::EndpointIpLiteral),
        ("https://[::1]/v1", ErrorCode::EndpointIpLiteral),
        (
            "https://169.254.169.254/metadata",
            ErrorCode::EndpointIpLiteral,
        ),
        ("https://2130706433/v1", ErrorCode::EndpointIpLiteral),
        ("https://localhost/v1", ErrorCode::EndpointLocalHost),
        ("https://api.localhost/v1", ErrorCode::EndpointLocalHost),
        ("https://intranet/v1", ErrorCode::EndpointLocalHost),
        ("https://nas.local/v1", ErrorCode::EndpointLocalHost),
        ("https://vault.internal/v1", ErrorCode::EndpointLocalHost),
        (
            "https://{tenant}.acme.com/v1",
            ErrorCode::EndpointPlaceholder,
        ),
        (
            "https://%7Btenant%7D.acme.com/v1",
            ErrorCode::EndpointPlaceholder,
        ),
        ("https://api.acme.com:8443/v1", ErrorCode::EndpointPort),
        ("https://api.acme.com/v1?key=1", ErrorCode::EndpointQuery),
        ("https://api.acme.com/v1#x", ErrorCode::EndpointQuery),
        ("not a url", ErrorCode::InvalidInput),
    ];
    for (endpoint, code) in cases {
        assert_eq!(refused(endpoint), code, "{endpoint}");
    }
    let error = validate(
        &request("Acme RMM", "http://api.acme.com"),
        &[],
        "Ada",
        now(),
    )
    .expect_err("http");
    assert_eq!(error.field.as_deref(), Some("endpoint"));
    // The default port is no port; the host is what the key may reach without approval.
    let ok = validate(
        &request("Acme RMM", "https://API.acme.com:443/v1/"),
        &[],
        "Ada",
        now(),
    )
    .expect("valid");
    assert_eq!(ok.to_vendor().domains, vec!["api.acme.com".to_string()]);
    // The token URL follows the same rules.
    let mut oauth = request("Acme RMM", "https://api.acme.com/v1");
    oauth.auth = CustomAuth::OauthClientCredentials;
    oauth.key_parts.insert(
        0,
        CustomKeyPart {
            label: "Client ID".into(),
            secret: false,
        },
    );
    oauth.token_url = "https://127.0.0.1/token".into();
    let error = validate(&oauth, &[], "Ada", now()).expect_err("ip token url");
    assert_eq!(
        (error.code, error.field.as_deref()),
        (ErrorCode::EndpointIpLiteral, Some("tokenUrl"))
    );
    oauth.token_url = "https://login.acme.com/oauth/token".into();
    let vendor = validate(&oauth, &[], "Ada", now())
        .expect("oauth")
        .to_vendor();
    assert_eq!(vendor.domains, vec!["api.acme.com", "login.acme.com"]);
    assert_eq!(vendor.key_parts[1].id, "client_secret");
}

#[test]
fn test_paths_and_header_names_cannot_leave_the_endpoint() {
    for path in [
        "v1/me",
        "//evil.com/x",
        "/../x",
        "/x?y",
        "/@evil.com",
        "/a b",
    ] {
        let mut r = request("Acme RMM", "https://api.acme.com");
        r.test_path = path.into();
        let error = validate(&r, &[], "Ada", now()).expect_err(path);
        assert_eq!(error.field.as_deref(), Some("testPath"), "{path}");
    }
    let mut r = request("Acme RMM", "https://api.acme.com");
    r.auth = CustomAuth::Header {
        name: "Host".into(),
    };
    assert_eq!(
        validate(&r, &[], "Ada", now())
            .expect_err("host")
            .field
            .as_deref(),
        Some("authName")
    );
    r.auth = CustomAuth::Header {
        name: "X-Key\r\nEvil: 1".into(),
    };
    assert!(validate(&r, &[], "Ada", now()).is_err());
}

#[test]
fn ids_are_prefixed_secret_name_parts_and_unique() {
    assert_eq!(derive_id("Acme Backup Cloud!"), "custom-acme-backup-cloud");
    assert_eq!(
        derive_id("  N-able   Take Control "),
        "custom-n-able-take-control"
    );
    let long = derive_id(&"x".repeat(200));
    assert!(long.len() <= 47, "{long}");
    // Built-in names are taken, whatever the case.
    let error = validate_for_save(
        &request("it glue", "https://api.acme.com"),
        &[],
        "Ada",
        now(),
    )
    .expect_err("catalog name");
    assert_eq!(error.field.as_deref(), Some("name"));
    // A stored vendor that a later catalog names too stays usable (only new names are held to it).
    let stored = validate(
        &request("IT Glue", "https://api.acme.com"),
        &[],
        "Ada",
        now(),
    )
    .expect("stored before the catalog had it");
    let key = StampKey::generate(now());
    let json = CustomVendorDocument::stamped(vec![stored.clone()], &key)
        .expect("doc")
        .to_json();
    assert_eq!(
        CustomVendorDocument::load(&json, Some(&key)),
        LoadedVendors::Trusted(vec![stored])
    );
    let first = validate(
        &request("Acme RMM", "https://api.acme.com"),
        &[],
        "Ada",
        now(),
    )
    .expect("first");
    assert_eq!(first.id, "custom-acme-rmm");
    let again = validate(
        &request("ACME rmm", "https://api.acme.com"),
        std::slice::from_ref(&first),
        "Ada",
        now(),
    );
    assert_eq!(again.expect_err("same id").field.as_deref(), Some("name"));
    // An edit names an existing id; a page cannot invent one.
    let mut edit = request("Acme RMM", "https://api.acme.com");
    edit.id = Some("ninjaone".into());
    assert_eq!(
        validate(&edit, &[first], "Ada", now())
            .expect_err("edit")
            .code,
        ErrorCode::UnknownVendor
    );
    let mut secretless = request("Other", "https://api.other.com");
    secretless.key_parts[0].secret = false;
    assert!(validate(&secretless, &[], "Ada", now()).is_err());
    let mut non_api = request("Other", "https://api.other.com");
    non_api.category = Category::NonApiSecret;
    assert!(validate(&non_api, &[], "Ada", now()).is_err());
}

fn key() -> StampKey {
    StampKey::generate(now())
}

#[test]
fn the_document_round_trips_under_the_stamp_key() {
    let key = key();
    let a = validate(
        &request("Acme RMM", "https://api.acme.com"),
        &[],
        "Ada",
        now(),
    )
    .expect("a");
    let mut none = request("Acme Wiki", "");
    none.auth = CustomAuth::None;
    none.test_path = String::new();
    let b = validate(&none, std::slice::from_ref(&a), "Ada", now()).expect("b");
    assert!(b.to_vendor().no_test_reason().is_some());
    let document = CustomVendorDocument::stamped(vec![a.clone(), b.clone()], &key).expect("doc");
    assert_eq!(
        CustomVendorDocument::load(&document.to_json(), Some(&key)),
        LoadedVendors::Trusted(vec![a, b])
    );
}

#[test]
fn a_tampered_document_is_named_and_none_of_it_is_used() {
    let key = key();
    let a = validate(
        &request("Acme RMM", "https://api.acme.com"),
        &[],
        "Ada",
        now(),
    )
    .expect("a");
    let json = CustomVendorDocument::stamped(vec![a], &key)
        .expect("doc")
        .to_json();
    // Someone with write access in the Portal points the vendor at their own host.
    let moved = json.replace("https://api.acme.com", "https://collector.evil.net");
    match CustomVendorDocument::load(&moved, Some(&key)) {
        LoadedVendors::Untrusted { reason, vendors } => {
            assert!(reason.contains("changed outside the console"), "{reason}");
            assert_eq!(vendors.len(), 1, "listed for review");
        }
        other => panic!("tampered document trusted: {other:?}"),
    }
    // Stamped with another vault's key: not ours either.
    assert!(matches!(
        CustomVendorDocument::load(&json, Some(&StampKey::generate(now()))),
        LoadedVendors::Untrusted { .. }
    ));
    assert!(matches!(
        CustomVendorDocument::load("{not json", Some(&key)),
        LoadedVendors::Untrusted { .. }
    ));
    assert!(matches!(
        CustomVendorDocument::load(&json, None),
        LoadedVendors::Untrusted { .. }
    ));
    // A correctly stamped vendor that breaks the rules (an older or hand-built console) is
    // not used either.
    let mut bad = validate(
        &request("Acme RMM", "https://api.acme.com"),
        &[],
        "Ada",
        now(),
    )
    .expect("a");
    bad.endpoint = "https://127.0.0.1".into();
    let json = CustomVendorDocument::stamped(vec![bad], &key)
        .expect("doc")
        .to_json();
    assert!(matches!(
        CustomVendorDocument::load(&json, Some(&key)),
        LoadedVendors::Untrusted { .. }
    ));
}

#[test]
fn a_vendor_two_vaults_define_differently_resolves_to_nothing() {
    let a = validate(
        &request("Scope Test", "https://api.one.com"),
        &[],
        "Ada",
        now(),
    )
    .expect("a");
    let b = validate(
        &request("Scope Test", "https://api.two.com"),
        &[],
        "Ada",
        now(),
    )
    .expect("b");
    registry::register("vault-one", vec![a.to_vendor()]);
    assert!(catalog::vendor("custom-scope-test").is_some());
    registry::register("vault-two", vec![b.to_vendor()]);
    assert!(catalog::vendor("custom-scope-test").is_none());
    registry::register("vault-two", Vec::new());
    assert_eq!(
        catalog::vendor("custom-scope-test").map(|v| v.endpoint.as_str()),
        Some("https://api.one.com")
    );
    registry::register("vault-one", Vec::new());
    assert!(catalog::vendor("custom-scope-test").is_none());
}
