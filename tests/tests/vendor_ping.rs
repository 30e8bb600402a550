//! The vendor test ping against a local HTTPS vendor stub (never the internet): each auth style
//! sends exactly the request the vendor documents (method, path, query, headers, body encoding),
//! each catalog fix of issue 10 has a test that the old ping would have failed, and every outcome
//! is reported with its hint.

mod support;

use akv_core::ping::{PingClient, PingOutcome, PingTarget, ping};
use akv_tests::vendor_stub::VendorStub;
use support::ping::{assert_refused, basic, catalog, client, fields, last, parts, run, run_with};

/// What a request must carry in one header.
#[derive(Clone, Copy)]
enum Header {
    Is(&'static str),
    Basic(&'static str, &'static str),
    Absent,
}

/// One vendor whose test call is a single GET carrying the key: the request its API
/// documentation asks for, and (where the stub knows the vendor's refusal) a wrong key refused.
struct GetCase {
    vendor: &'static str,
    /// Why the case is here when it pins a catalog fix.
    fix: &'static str,
    fields: &'static [(&'static str, &'static str)],
    key: &'static [(&'static str, &'static str)],
    /// The credential the stub accepts (several parts joined as the stub reads them).
    accepted: &'static str,
    /// Headers, besides `Authorization`, the stub reads the credential from.
    credential_headers: &'static [&'static str],
    /// `None` where the case is about its headers only.
    path: Option<&'static str>,
    query: &'static [(&'static str, &'static str)],
    headers: &'static [(&'static str, Header)],
    wrong_key: Option<&'static [(&'static str, &'static str)]>,
}

/// What a case does not say: no fields, nothing extra checked.
const BASE: GetCase = GetCase {
    vendor: "",
    fix: "",
    fields: &[],
    key: &[],
    accepted: "",
    credential_headers: &[],
    path: None,
    query: &[],
    headers: &[],
    wrong_key: None,
};

const GET_CASES: &[GetCase] = &[
    GetCase {
        vendor: "fortigate",
        key: &[("key", "fgt-token-123")],
        accepted: "fgt-token-123",
        path: Some("/api/v2/monitor/system/status"),
        headers: &[("authorization", Header::Is("Bearer fgt-token-123"))],
        ..BASE
    },
    GetCase {
        vendor: "sentinelone",
        fields: &[("tenant", "acme")],
        key: &[("key", "s1-token-456")],
        accepted: "s1-token-456",
        path: Some("/web/api/v2.1/system/info"),
        headers: &[("authorization", Header::Is("ApiToken s1-token-456"))],
        ..BASE
    },
    GetCase {
        vendor: "cisco-meraki",
        fix: "Meraki's documented scheme is Bearer (the stub no longer reads the old header)",
        key: &[("key", "meraki-key-789")],
        accepted: "meraki-key-789",
        path: Some("/api/v1/organizations"),
        headers: &[
            ("authorization", Header::Is("Bearer meraki-key-789")),
            ("x-cisco-meraki-api-key", Header::Absent),
        ],
        ..BASE
    },
    GetCase {
        vendor: "nable-nsight",
        key: &[("key", "nsight-key-000")],
        accepted: "nsight-key-000",
        path: Some("/api/"),
        query: &[("apikey", "nsight-key-000"), ("service", "list_clients")],
        ..BASE
    },
    GetCase {
        vendor: "huntress",
        key: &[("user", "hk_public"), ("password", "hs_private")],
        accepted: "hk_public:hs_private",
        path: Some("/v1/account"),
        headers: &[("authorization", Header::Basic("hk_public", "hs_private"))],
        ..BASE
    },
    GetCase {
        vendor: "connectwise-psa",
        key: &[
            ("user", "acme+pub"),
            ("password", "priv:with:colons"),
            ("clientid", "0f0e0d0c-client-id"),
        ],
        accepted: "acme+pub:priv:with:colons",
        path: Some("/v4_6_release/apis/3.0/system/info"),
        // Basic company+public:private plus the clientId header.
        headers: &[("clientid", Header::Is("0f0e0d0c-client-id"))],
        ..BASE
    },
    GetCase {
        vendor: "autotask",
        fix: "Autotask's secret (in the middle of the old joined form) may hold ':'",
        key: &[
            ("user", "api@acme.example"),
            ("secret", "at:sec:ret"),
            ("code", "INTEGRATION42"),
        ],
        accepted: "at:sec:ret",
        credential_headers: &["Secret"],
        path: Some("/atservicesrest/v1.0/ThresholdInformation"),
        headers: &[
            ("username", Header::Is("api@acme.example")),
            ("secret", Header::Is("at:sec:ret")),
            ("apiintegrationcode", Header::Is("INTEGRATION42")),
        ],
        ..BASE
    },
    GetCase {
        vendor: "veeam-spc",
        fix: "Veeam SPC needs x-client-version",
        key: &[("key", "vspc-key")],
        accepted: "vspc-key",
        headers: &[("x-client-version", Header::Is("3.5"))],
        ..BASE
    },
    GetCase {
        vendor: "jumpcloud",
        fix: "JumpCloud MSP admins send x-org-id",
        fields: &[("org_id", "5b5o13o06tsand0c29a0t3s6")],
        key: &[("key", "jc-key")],
        accepted: "jc-key",
        headers: &[
            ("x-api-key", Header::Is("jc-key")),
            ("x-org-id", Header::Is("5b5o13o06tsand0c29a0t3s6")),
        ],
        ..BASE
    },
    GetCase {
        vendor: "jumpcloud",
        fix: "single-org admins send no x-org-id",
        key: &[("key", "jc-key")],
        accepted: "jc-key",
        headers: &[("x-org-id", Header::Absent)],
        ..BASE
    },
    GetCase {
        vendor: "it-glue",
        fields: &[("region", "api.eu")],
        key: &[("key", "ITG.glue-key-1")],
        accepted: "ITG.glue-key-1",
        credential_headers: &["x-api-key"],
        path: Some("/organizations"),
        query: &[("page[size]", "1")],
        headers: &[
            ("x-api-key", Header::Is("ITG.glue-key-1")),
            ("authorization", Header::Absent),
        ],
        wrong_key: Some(&[("key", "ITG.wrong")]),
        ..BASE
    },
    GetCase {
        vendor: "hudu",
        fields: &[("server", "docs.acme.example")],
        key: &[("key", "hudu-key-2")],
        accepted: "hudu-key-2",
        credential_headers: &["x-api-key"],
        path: Some("/api/v1/companies"),
        query: &[("page_size", "1")],
        headers: &[("x-api-key", Header::Is("hudu-key-2"))],
        wrong_key: Some(&[("key", "hudu-wrong")]),
        ..BASE
    },
    GetCase {
        vendor: "knowbe4",
        fields: &[("region", "eu")],
        key: &[("key", "kb4-reporting-key")],
        accepted: "kb4-reporting-key",
        path: Some("/v1/account"),
        headers: &[("authorization", Header::Is("Bearer kb4-reporting-key"))],
        wrong_key: Some(&[("key", "kb4-old")]),
        ..BASE
    },
];

/// Bearer, named-header, query, Basic and multi-header styles: each vendor's GET carries the
/// key where the vendor documents it (each on a fresh stub, so no case leans on another's).
#[tokio::test]
async fn each_key_style_sends_the_vendors_documented_get() {
    for case in GET_CASES {
        let what = format!("{} {}", case.vendor, case.fix);
        let stub = VendorStub::start().await.expect("stub");
        for header in case.credential_headers {
            stub.add_credential_header(header);
        }
        stub.accept(case.accepted);
        let vendor = catalog(case.vendor);
        let report = run_with(&stub, vendor, case.fields, case.key).await;
        assert_eq!(
            report.outcome,
            PingOutcome::Authenticated,
            "{what}: {report:?}"
        );
        for (_, value) in case.key {
            assert!(
                !report.target.contains(value),
                "{what}: the report must not show the key"
            );
        }
        let request = last(&stub, "GET");
        if let Some(path) = case.path {
            assert_eq!(request.path, path, "{what}");
        }
        for (name, value) in case.query {
            assert_eq!(request.query_param(name), Some(*value), "{what}: ?{name}");
        }
        for (name, expected) in case.headers {
            let expected = match expected {
                Header::Is(value) => Some(value.to_string()),
                Header::Basic(user, password) => Some(basic(user, password)),
                Header::Absent => None,
            };
            assert_eq!(
                request.header(name),
                expected.as_deref(),
                "{what}: header {name}"
            );
        }
        if let Some(wrong) = case.wrong_key {
            assert_refused(&run_with(&stub, vendor, case.fields, wrong).await);
        }
    }
}

#[tokio::test]
async fn a_key_missing_a_part_never_leaves_the_console() {
    let stub = VendorStub::start().await.expect("stub");
    let report = run(&stub, catalog("autotask"), &[("user", "only-one-part")]).await;
    assert_eq!(report.outcome, PingOutcome::BadKeyFormat);
    assert!(stub.requests().is_empty());
}

#[tokio::test]
async fn nsight_errors_in_an_http_200_body_are_not_authenticated() {
    // Fix: N-sight answers a bad key with HTTP 200 and an XML error.
    let stub = VendorStub::start().await.expect("stub");
    stub.respond_at(
        "/api/",
        200,
        "<?xml version=\"1.0\"?><result><error><message>Invalid API key</message></error></result>",
        None,
    );
    let report = run(&stub, catalog("nable-nsight"), &[("key", "revoked-key")]).await;
    assert_eq!(report.outcome, PingOutcome::Rejected, "{report:?}");
    assert!(
        report.message.contains("Invalid API key"),
        "{}",
        report.message
    );
}

#[tokio::test]
async fn an_endless_answer_stops_the_ping_at_the_cap_not_the_timeout() {
    let stub = VendorStub::start().await.expect("stub");
    stub.accept("nsight-key-000");
    stub.stream_endlessly_at("/api/");
    let started = std::time::Instant::now();
    let report = run(&stub, catalog("nable-nsight"), &[("key", "nsight-key-000")]).await;
    assert_eq!(report.outcome, PingOutcome::AnswerTooLarge, "{report:?}");
    assert!(
        report.message.contains("larger than 1 MiB"),
        "{}",
        report.message
    );
    assert!(started.elapsed() < akv_core::ping::PING_TIMEOUT);
}

#[tokio::test]
async fn a_redirect_to_another_region_is_explained_not_followed() {
    // Fix: CrowdStrike answers a key of another cloud with 308; it was a bare "HTTP 308".
    let stub = VendorStub::start().await.expect("stub");
    stub.respond_at(
        "/oauth2/token",
        308,
        "",
        Some("https://api.eu-1.crowdstrike.com/oauth2/token"),
    );
    let before = stub.requests().len();
    let report = run(
        &stub,
        catalog("crowdstrike"),
        &[("client_id", "cs-id"), ("client_secret", "cs-secret")],
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Redirected, "{report:?}");
    assert_eq!(report.status, Some(308));
    assert_eq!(
        report.message,
        "This key belongs to another region: api.eu-1.crowdstrike.com (HTTP 308)."
    );
    assert_eq!(
        stub.requests().len(),
        before + 1,
        "the redirect is not followed"
    );

    // Auvik answers a wrong region on the API call itself.
    stub.respond_at(
        "/authentication/verify",
        301,
        "",
        Some("https://auvikapi.eu1.my.auvik.com/v1/authentication/verify"),
    );
    let report = run_with(
        &stub,
        catalog("auvik"),
        &[("region", "us1")],
        &[("user", "a@b.c"), ("password", "k")],
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Redirected);
    assert!(report.message.contains("auvikapi.eu1.my.auvik.com"));
}

#[tokio::test]
async fn keys_are_never_sent_to_loopback_or_private_addresses_by_default() {
    let stub = VendorStub::start().await.expect("stub");
    stub.accept("fgt-token-123");
    let default_client = PingClient::new(Some(&stub.ca_pem())).expect("client");
    let fortigate = catalog("fortigate");
    let target = PingTarget::new(fortigate, format!("{}/api/v2", stub.base_url()), None);
    let before = stub.requests().len();
    let report = ping(
        &default_client,
        &target,
        &parts(fortigate, &[("key", "fgt-token-123")]),
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::HostRefused, "{report:?}");
    assert!(report.message.contains("127.0.0.1"));
    // A name that resolves to loopback is refused by the resolver too.
    let named = PingTarget::new(
        fortigate,
        format!("https://localhost.localdomain:{}/api/v2", stub.port()),
        None,
    );
    let report = ping(
        &default_client,
        &named,
        &parts(fortigate, &[("key", "fgt-token-123")]),
    )
    .await;
    assert!(
        matches!(
            report.outcome,
            PingOutcome::HostRefused | PingOutcome::NotReachable
        ),
        "{report:?}"
    );
    assert_eq!(stub.requests().len(), before, "nothing reached the stub");
}

#[tokio::test]
async fn a_per_key_ca_is_merged_with_the_other_roots() {
    // Two appliances with different CAs: the key's own CA is added to the roots every ping
    // trusts (here the first stub's CA stands for them), it does not replace them.
    let first = VendorStub::start().await.expect("stub");
    let second = VendorStub::start().await.expect("stub");
    first.accept("k1");
    second.accept("k2");
    let client = client(&first);
    let fortigate = catalog("fortigate");
    let with_key_ca = PingTarget::new(fortigate, format!("{}/api/v2", second.base_url()), None)
        .with_key_ca(Some(second.ca_pem()));
    let report = ping(&client, &with_key_ca, &parts(fortigate, &[("key", "k2")])).await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let other = PingTarget::new(fortigate, format!("{}/api/v2", first.base_url()), None)
        .with_key_ca(Some(second.ca_pem()));
    let report = ping(&client, &other, &parts(fortigate, &[("key", "k1")])).await;
    assert_eq!(
        report.outcome,
        PingOutcome::Authenticated,
        "the shared roots still work: {report:?}"
    );
    let without = PingTarget::new(fortigate, format!("{}/api/v2", second.base_url()), None);
    let report = ping(&client, &without, &parts(fortigate, &[("key", "k2")])).await;
    assert_eq!(
        report.outcome,
        PingOutcome::TlsError,
        "the CA is per key: {report:?}"
    );
}

#[tokio::test]
async fn every_failure_is_reported_with_its_hint() {
    let stub = VendorStub::start().await.expect("stub");
    let fortigate = catalog("fortigate");

    let rejected = run(&stub, fortigate, &[("key", "revoked-token")]).await;
    assert_eq!(rejected.outcome, PingOutcome::Rejected);
    assert_eq!(rejected.status, Some(401));
    assert!(rejected.hint.contains("revoked"));

    stub.accept_without_scope("narrow-token");
    let scope = run(&stub, fortigate, &[("key", "narrow-token")]).await;
    assert_eq!(scope.outcome, PingOutcome::ScopeMissing);
    assert!(
        scope.hint.contains("IP"),
        "the manual's IP allowlisting hint: {}",
        scope.hint
    );

    // Unfilled fields are named before any request (Graph's tenant lives in the token URL).
    let before = stub.requests().len();
    let graph = catalog("microsoft-graph");
    let target = PingTarget::of_record(graph, None);
    let placeholder = ping(
        &client(&stub),
        &target,
        &parts(graph, &[("client_id", "a"), ("client_secret", "b")]),
    )
    .await;
    assert_eq!(placeholder.outcome, PingOutcome::Placeholder);
    assert!(
        placeholder.message.contains("Tenant ID"),
        "{}",
        placeholder.message
    );
    assert!(placeholder.hint.contains("Edit settings"));
    assert_eq!(stub.requests().len(), before);

    // Nothing listening.
    let closed = ping(
        &client(&stub),
        &PingTarget::new(fortigate, "https://127.0.0.1:9/api/v2", None),
        &parts(fortigate, &[("key", "x")]),
    )
    .await;
    assert_eq!(closed.outcome, PingOutcome::NotReachable, "{closed:?}");

    // A certificate the console does not trust (as behind a TLS-inspecting proxy).
    let untrusting = PingClient::new(None)
        .and_then(PingClient::allowing_private_addresses_for_tests)
        .expect("client");
    let tls = ping(
        &untrusting,
        &PingTarget::new(fortigate, format!("{}/api/v2", stub.base_url()), None),
        &parts(fortigate, &[("key", "x")]),
    )
    .await;
    assert_eq!(tls.outcome, PingOutcome::TlsError, "{tls:?}");

    // Vendor trouble.
    stub.respond_next_with(503, 1);
    let unexpected = run(&stub, fortigate, &[("key", "whatever")]).await;
    assert_eq!(unexpected.outcome, PingOutcome::UnexpectedStatus);
    assert_eq!(unexpected.message, "The vendor answered with HTTP 503.");
}

#[tokio::test]
async fn kinds_without_a_test_call_send_nothing_and_say_why() {
    let stub = VendorStub::start().await.expect("stub");
    for id in [
        "kaseya-vsa",
        "connectwise-screenconnect",
        "wifi-psk",
        "vpn-psk",
        "local-admin-password",
    ] {
        let vendor = catalog(id);
        let key: Vec<(&str, &str)> = vendor
            .key_parts
            .iter()
            .map(|p| (p.id.as_str(), "some-secret-value-1234"))
            .collect();
        let values = fields(&[("server", "host.acme.example")]);
        let target = PingTarget::new(vendor, stub.base_url(), None).with_fields(&values);
        let report = ping(&client(&stub), &target, &parts(vendor, &key)).await;
        assert_eq!(report.outcome, PingOutcome::NoTestCall, "{id}: {report:?}");
        assert_eq!(Some(report.message.as_str()), vendor.no_test_reason());
        assert!(!report.hint.is_empty());
    }
    assert!(stub.requests().is_empty(), "nothing was sent");
}
