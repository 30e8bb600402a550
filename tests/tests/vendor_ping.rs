//! The vendor test ping against a local HTTPS vendor stub (never the internet): each auth style
//! sends exactly the request the vendor documents (method, path, query, headers, body encoding),
//! each catalog fix of issue 10 has a test that the old ping would have failed, and every outcome
//! is reported with its hint.

mod support;

use std::collections::BTreeMap;

use akv_core::domain::catalog::{Vendor, vendor};
use akv_core::domain::key_value::KeyParts;
use akv_core::domain::secret::SecretValue;
use akv_core::ping::target::fill;
use akv_core::ping::{PingClient, PingOutcome, PingReport, PingTarget, ping};
use akv_tests::vendor_stub::{RecordedRequest, VendorStub};

fn catalog(id: &str) -> &'static Vendor {
    vendor(id).unwrap_or_else(|| panic!("{id} is in the catalog"))
}

/// A URL template moved onto the stub: same path and query, stub host.
fn on_stub(stub: &VendorStub, template: &str, fields: &BTreeMap<String, String>) -> String {
    let mut filled = fill(template, fields);
    for placeholder in ["{tenant}", "{server}", "{region}"] {
        filled = filled.replace(placeholder, "acme.example");
    }
    let parsed = url::Url::parse(&filled).expect("template is a URL");
    let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
    format!(
        "{}{}{query}",
        stub.base_url(),
        parsed.path().trim_end_matches('/')
    )
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn client(stub: &VendorStub) -> PingClient {
    PingClient::new(Some(&stub.ca_pem()))
        .and_then(PingClient::allowing_private_addresses_for_tests)
        .expect("client")
}

fn parts(vendor: &Vendor, named: &[(&str, &str)]) -> KeyParts {
    KeyParts::from_named(
        vendor,
        named
            .iter()
            .map(|(id, v)| (*id, SecretValue::new(*v)))
            .collect(),
    )
}

async fn run_with(
    stub: &VendorStub,
    vendor: &'static Vendor,
    field_values: &[(&str, &str)],
    key: &[(&str, &str)],
) -> PingReport {
    let values = fields(field_values);
    let endpoint = on_stub(stub, &vendor.endpoint, &values);
    let token_url = vendor.auth.token_url().map(|t| on_stub(stub, t, &values));
    let target = PingTarget::new(vendor, endpoint, token_url).with_fields(&values);
    ping(&client(stub), &target, &parts(vendor, key)).await
}

async fn run(stub: &VendorStub, vendor: &'static Vendor, key: &[(&str, &str)]) -> PingReport {
    run_with(stub, vendor, &[], key).await
}

fn last(stub: &VendorStub, method: &str) -> RecordedRequest {
    stub.requests()
        .into_iter()
        .rev()
        .find(|r| r.method == method)
        .unwrap_or_else(|| panic!("a {method} reached the stub"))
}

fn form(request: &RecordedRequest) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

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

const GET_CASES: &[GetCase] = &[
    GetCase {
        vendor: "fortigate",
        fix: "",
        fields: &[],
        key: &[("key", "fgt-token-123")],
        accepted: "fgt-token-123",
        credential_headers: &[],
        path: Some("/api/v2/monitor/system/status"),
        query: &[],
        headers: &[("authorization", Header::Is("Bearer fgt-token-123"))],
        wrong_key: None,
    },
    GetCase {
        vendor: "sentinelone",
        fix: "",
        fields: &[("tenant", "acme")],
        key: &[("key", "s1-token-456")],
        accepted: "s1-token-456",
        credential_headers: &[],
        path: Some("/web/api/v2.1/system/info"),
        query: &[],
        headers: &[("authorization", Header::Is("ApiToken s1-token-456"))],
        wrong_key: None,
    },
    GetCase {
        vendor: "cisco-meraki",
        fix: "Meraki's documented scheme is Bearer (the stub no longer reads the old header)",
        fields: &[],
        key: &[("key", "meraki-key-789")],
        accepted: "meraki-key-789",
        credential_headers: &[],
        path: Some("/api/v1/organizations"),
        query: &[],
        headers: &[
            ("authorization", Header::Is("Bearer meraki-key-789")),
            ("x-cisco-meraki-api-key", Header::Absent),
        ],
        wrong_key: None,
    },
    GetCase {
        vendor: "nable-nsight",
        fix: "",
        fields: &[],
        key: &[("key", "nsight-key-000")],
        accepted: "nsight-key-000",
        credential_headers: &[],
        path: Some("/api/"),
        query: &[("apikey", "nsight-key-000"), ("service", "list_clients")],
        headers: &[],
        wrong_key: None,
    },
    GetCase {
        vendor: "huntress",
        fix: "",
        fields: &[],
        key: &[("user", "hk_public"), ("password", "hs_private")],
        accepted: "hk_public:hs_private",
        credential_headers: &[],
        path: Some("/v1/account"),
        query: &[],
        headers: &[("authorization", Header::Basic("hk_public", "hs_private"))],
        wrong_key: None,
    },
    GetCase {
        vendor: "connectwise-psa",
        fix: "",
        fields: &[],
        key: &[
            ("user", "acme+pub"),
            ("password", "priv:with:colons"),
            ("clientid", "0f0e0d0c-client-id"),
        ],
        accepted: "acme+pub:priv:with:colons",
        credential_headers: &[],
        path: Some("/v4_6_release/apis/3.0/system/info"),
        query: &[],
        // Basic company+public:private plus the clientId header.
        headers: &[("clientid", Header::Is("0f0e0d0c-client-id"))],
        wrong_key: None,
    },
    GetCase {
        vendor: "autotask",
        fix: "Autotask's secret (in the middle of the old joined form) may hold ':'",
        fields: &[],
        key: &[
            ("user", "api@acme.example"),
            ("secret", "at:sec:ret"),
            ("code", "INTEGRATION42"),
        ],
        accepted: "at:sec:ret",
        credential_headers: &["Secret"],
        path: Some("/atservicesrest/v1.0/ThresholdInformation"),
        query: &[],
        headers: &[
            ("username", Header::Is("api@acme.example")),
            ("secret", Header::Is("at:sec:ret")),
            ("apiintegrationcode", Header::Is("INTEGRATION42")),
        ],
        wrong_key: None,
    },
    GetCase {
        vendor: "veeam-spc",
        fix: "Veeam SPC needs x-client-version",
        fields: &[],
        key: &[("key", "vspc-key")],
        accepted: "vspc-key",
        credential_headers: &[],
        path: None,
        query: &[],
        headers: &[("x-client-version", Header::Is("3.5"))],
        wrong_key: None,
    },
    GetCase {
        vendor: "jumpcloud",
        fix: "JumpCloud MSP admins send x-org-id",
        fields: &[("org_id", "5b5o13o06tsand0c29a0t3s6")],
        key: &[("key", "jc-key")],
        accepted: "jc-key",
        credential_headers: &[],
        path: None,
        query: &[],
        headers: &[
            ("x-api-key", Header::Is("jc-key")),
            ("x-org-id", Header::Is("5b5o13o06tsand0c29a0t3s6")),
        ],
        wrong_key: None,
    },
    GetCase {
        vendor: "jumpcloud",
        fix: "single-org admins send no x-org-id",
        fields: &[],
        key: &[("key", "jc-key")],
        accepted: "jc-key",
        credential_headers: &[],
        path: None,
        query: &[],
        headers: &[("x-org-id", Header::Absent)],
        wrong_key: None,
    },
    GetCase {
        vendor: "it-glue",
        fix: "",
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
    },
    GetCase {
        vendor: "hudu",
        fix: "",
        fields: &[("server", "docs.acme.example")],
        key: &[("key", "hudu-key-2")],
        accepted: "hudu-key-2",
        credential_headers: &["x-api-key"],
        path: Some("/api/v1/companies"),
        query: &[("page_size", "1")],
        headers: &[("x-api-key", Header::Is("hudu-key-2"))],
        wrong_key: Some(&[("key", "hudu-wrong")]),
    },
    GetCase {
        vendor: "knowbe4",
        fix: "",
        fields: &[("region", "eu")],
        key: &[("key", "kb4-reporting-key")],
        accepted: "kb4-reporting-key",
        credential_headers: &[],
        path: Some("/v1/account"),
        query: &[],
        headers: &[("authorization", Header::Is("Bearer kb4-reporting-key"))],
        wrong_key: Some(&[("key", "kb4-old")]),
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
async fn oauth_client_authentication_styles_match_each_vendor() {
    let stub = VendorStub::start().await.expect("stub");

    // client_secret_post (NinjaOne): form fields and the scope.
    let ninja = catalog("ninjaone");
    stub.accept_client("ninja-client", "ninja-secret");
    let report = run(
        &stub,
        ninja,
        &[
            ("client_id", "ninja-client"),
            ("client_secret", "ninja-secret"),
        ],
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let token = last(&stub, "POST");
    assert_eq!(token.path, "/ws/oauth/token");
    assert_eq!(
        token.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let body = form(&token);
    assert_eq!(
        body.get("grant_type").map(String::as_str),
        Some("client_credentials")
    );
    assert_eq!(
        body.get("client_id").map(String::as_str),
        Some("ninja-client")
    );
    assert_eq!(body.get("scope").map(String::as_str), Some("monitoring"));
    let issued = stub.issued_tokens();
    let get = last(&stub, "GET");
    assert_eq!(get.path, "/api/v2/organizations");
    assert_eq!(
        get.header("authorization"),
        Some(format!("Bearer {}", issued[0]).as_str())
    );

    // Fix: client_secret_basic (Acronis): the id and secret only in the Basic header.
    let acronis = catalog("acronis");
    stub.accept_client("acronis-client", "acronis-secret");
    let report = run(
        &stub,
        acronis,
        &[
            ("client_id", "acronis-client"),
            ("client_secret", "acronis-secret"),
        ],
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let token = last(&stub, "POST");
    assert_eq!(token.path, "/api/2/idp/token");
    assert_eq!(
        token.header("authorization"),
        Some(basic("acronis-client", "acronis-secret").as_str())
    );
    let body = form(&token);
    assert_eq!(
        body.get("grant_type").map(String::as_str),
        Some("client_credentials")
    );
    assert!(
        !body.contains_key("client_secret"),
        "the secret travels only in the header"
    );

    // Fix: Pax8 takes a JSON body with the audience.
    let pax8 = catalog("pax8");
    stub.accept_client("pax8-client", "pax8-secret");
    let report = run(
        &stub,
        pax8,
        &[
            ("client_id", "pax8-client"),
            ("client_secret", "pax8-secret"),
        ],
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let token = last(&stub, "POST");
    assert_eq!(token.path, "/v1/token");
    assert_eq!(token.header("content-type"), Some("application/json"));
    let json: serde_json::Value = serde_json::from_slice(&token.body).expect("JSON body");
    assert_eq!(json["grant_type"], "client_credentials");
    assert_eq!(json["client_id"], "pax8-client");
    assert_eq!(json["audience"], "https://api.pax8.com");
    let rejected = run(
        &stub,
        pax8,
        &[("client_id", "pax8-client"), ("client_secret", "wrong")],
    )
    .await;
    assert_eq!(rejected.outcome, PingOutcome::Rejected);

    // Fix: hosted HaloPSA needs ?tenant= on the token request.
    let halo = catalog("halopsa");
    stub.accept_client("halo-client", "halo-secret");
    let report = run_with(
        &stub,
        halo,
        &[("tenant", "acme")],
        &[
            ("client_id", "halo-client"),
            ("client_secret", "halo-secret"),
        ],
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let token = last(&stub, "POST");
    assert_eq!(token.path, "/auth/token");
    assert_eq!(token.query_param("tenant"), Some("acme"));
    assert_eq!(form(&token).get("scope").map(String::as_str), Some("all"));

    // Datto RMM: the password grant with the public client in Basic.
    let datto = catalog("datto-rmm");
    stub.accept_client("rmm-api-key", "rmm-api-secret");
    let report = run_with(
        &stub,
        datto,
        &[("region", "merlot")],
        &[("user", "rmm-api-key"), ("password", "rmm-api-secret")],
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let token = last(&stub, "POST");
    assert_eq!(
        token.header("authorization"),
        Some(basic("public-client", "public").as_str())
    );
    assert_eq!(
        form(&token).get("grant_type").map(String::as_str),
        Some("password")
    );
}

#[tokio::test]
async fn connectwise_automate_sends_client_id_on_every_call() {
    // Fix: the ClientId header went only to /apitoken, not to the test GET.
    let stub = VendorStub::start().await.expect("stub");
    let automate = catalog("connectwise-automate");
    stub.add_token_path("/cwa/api/v1/apitoken");
    stub.accept_client("integrator", "pass:with:colons");
    let report = run(
        &stub,
        automate,
        &[
            ("user", "integrator"),
            ("password", "pass:with:colons"),
            ("clientid", "cw-client-id"),
        ],
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let login = last(&stub, "POST");
    assert_eq!(login.path, "/cwa/api/v1/apitoken");
    assert_eq!(login.header("clientid"), Some("cw-client-id"));
    let json: serde_json::Value = serde_json::from_slice(&login.body).expect("JSON login");
    assert_eq!(json["UserName"], "integrator");
    assert_eq!(json["Password"], "pass:with:colons");
    let get = last(&stub, "GET");
    assert_eq!(get.path, "/cwa/api/v1/clients");
    assert_eq!(
        get.header("clientid"),
        Some("cw-client-id"),
        "ClientId on the REST call too"
    );
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

// ─────────────── Issue 21: the MSP tools the catalog lacked ───────────────

/// A wrong key is the named "rejected" outcome with its hint, from the vendor's 401.
fn assert_refused(report: &PingReport) {
    assert_eq!(report.outcome, PingOutcome::Rejected, "{report:?}");
    assert_eq!(report.status, Some(401));
    assert_eq!(report.message, "The vendor rejected the key (401).");
    assert!(report.hint.contains("revoked or regenerated"), "{report:?}");
}

#[tokio::test]
async fn gravityzone_posts_a_json_rpc_call_with_the_key_as_basic_user() {
    let stub = VendorStub::start().await.expect("stub");
    let gravityzone = catalog("bitdefender-gravityzone");
    stub.accept("gz-api-key");
    let report = run(&stub, gravityzone, &[("key", "gz-api-key")]).await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    // JSON-RPC: one POST, no GET.
    assert!(stub.requests().iter().all(|r| r.method == "POST"));
    let request = last(&stub, "POST");
    assert_eq!(request.path, "/api/v1.0/jsonrpc/general");
    // The key is the user name, the password empty.
    assert_eq!(
        request.header("authorization"),
        Some(basic("gz-api-key", "").as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["method"], "getApiKeyDetails");
    assert_refused(&run(&stub, gravityzone, &[("key", "gz-wrong")]).await);
}

#[tokio::test]
async fn ncentral_exchanges_the_user_api_token_for_an_access_token() {
    let stub = VendorStub::start().await.expect("stub");
    let ncentral = catalog("nable-ncentral");
    stub.accept("eyJ.user-api.jwt");
    let report = run_with(
        &stub,
        ncentral,
        &[("server", "ncentral.acme.example")],
        &[("key", "eyJ.user-api.jwt")],
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let requests = stub.requests();
    assert_eq!(requests.len(), 1, "the exchange alone proves the token");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/api/auth/authenticate");
    assert_eq!(
        request.header("authorization"),
        Some("Bearer eyJ.user-api.jwt")
    );
    // The access token was found inside tokens.access.token.
    assert_eq!(stub.issued_tokens().len(), 1);
    assert_refused(
        &run_with(
            &stub,
            ncentral,
            &[("server", "ncentral.acme.example")],
            &[("key", "eyJ.revoked")],
        )
        .await,
    );
}

#[tokio::test]
async fn duo_requests_are_signed_and_never_carry_the_secret_key() {
    let stub = VendorStub::start().await.expect("stub");
    let duo = catalog("cisco-duo");
    let skey = "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT";
    stub.accept_duo("DIWJ8X6AEYOR5OMC6TQ1", skey);
    let report = run_with(
        &stub,
        duo,
        &[("server", "api-12345678.duosecurity.com")],
        &[("ikey", "DIWJ8X6AEYOR5OMC6TQ1"), ("skey", skey)],
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let request = last(&stub, "GET");
    assert_eq!(request.path, "/admin/v1/info/summary");
    let date = request.header("date").expect("a Date header");
    assert!(
        chrono::DateTime::parse_from_rfc2822(date).is_ok() && date.ends_with("-0000"),
        "{date}"
    );
    let auth = request.header("authorization").expect("Authorization");
    assert_ne!(
        auth,
        basic("DIWJ8X6AEYOR5OMC6TQ1", skey),
        "the secret key never travels"
    );
    let signature = auth
        .strip_prefix("Basic ")
        .and_then(|b| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(b).ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| {
            pair.strip_prefix("DIWJ8X6AEYOR5OMC6TQ1:")
                .map(str::to_string)
        })
        .expect("ikey:signature");
    assert!(
        signature.len() == 40 && signature.chars().all(|c| c.is_ascii_hexdigit()),
        "an HMAC-SHA1 in hex: {signature}"
    );
    // A wrong secret key signs wrongly: Duo's 401.
    assert_refused(
        &run_with(
            &stub,
            duo,
            &[("server", "api-12345678.duosecurity.com")],
            &[
                ("ikey", "DIWJ8X6AEYOR5OMC6TQ1"),
                ("skey", "wrong-secret-key"),
            ],
        )
        .await,
    );
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
