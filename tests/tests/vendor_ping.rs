//! The vendor test ping against a local HTTPS vendor stub (never the internet): every auth style
//! of the catalog presents the key the way the vendor expects, and every outcome is reported with
//! its hint.

mod support;

use akv_core::domain::catalog::{Vendor, vendor};
use akv_core::domain::secret::SecretValue;
use akv_core::ping::{PingClient, PingOutcome, PingReport, ping};
use akv_tests::vendor_stub::{RecordedRequest, VendorStub};

fn catalog(id: &str) -> &'static Vendor {
    vendor(id).unwrap_or_else(|| panic!("{id} is in the catalog"))
}

/// The vendor's endpoint moved onto the stub: same path, stub host.
fn endpoint_on(stub: &VendorStub, vendor: &Vendor) -> String {
    let url = vendor
        .endpoint
        .replace("{tenant}", "acme")
        .replace("{server}", "acme.example")
        .replace("{region}", "eu");
    let parsed = url::Url::parse(&url).expect("catalog endpoint is a URL");
    format!("{}{}", stub.base_url(), parsed.path().trim_end_matches('/'))
}

async fn run(
    stub: &VendorStub,
    vendor: &Vendor,
    token_url: Option<String>,
    key: &str,
) -> PingReport {
    let client = PingClient::new(Some(&stub.ca_pem())).expect("client");
    ping(
        &client,
        vendor,
        &endpoint_on(stub, vendor),
        token_url.as_deref(),
        &SecretValue::new(key),
    )
    .await
}

fn last_get(stub: &VendorStub) -> RecordedRequest {
    stub.requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "GET")
        .expect("a GET reached the stub")
}

#[tokio::test]
async fn bearer_header_and_query_styles_present_the_key_as_documented() {
    let stub = VendorStub::start().await.expect("stub");

    let fortigate = catalog("fortigate");
    stub.accept("fgt-token-123");
    let report = run(&stub, fortigate, None, "fgt-token-123").await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let request = last_get(&stub);
    assert_eq!(
        request.header("authorization"),
        Some("Bearer fgt-token-123")
    );
    assert!(
        request
            .path
            .ends_with(fortigate.test_path.split('?').next().unwrap_or_default())
    );

    let sentinel = catalog("sentinelone");
    stub.accept("s1-token-456");
    assert_eq!(
        run(&stub, sentinel, None, "s1-token-456").await.outcome,
        PingOutcome::Authenticated
    );
    assert_eq!(
        last_get(&stub).header("authorization"),
        Some("ApiToken s1-token-456")
    );

    let meraki = catalog("cisco-meraki");
    stub.add_credential_header("X-Cisco-Meraki-API-Key");
    stub.accept("meraki-key-789");
    assert_eq!(
        run(&stub, meraki, None, "meraki-key-789").await.outcome,
        PingOutcome::Authenticated
    );
    assert_eq!(
        last_get(&stub).header("x-cisco-meraki-api-key"),
        Some("meraki-key-789")
    );

    let nsight = catalog("nable-nsight");
    stub.accept("nsight-key-000");
    let report = run(&stub, nsight, None, "nsight-key-000").await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    assert_eq!(
        last_get(&stub).query_param("apikey"),
        Some("nsight-key-000")
    );
    assert!(
        !report.target.contains("nsight-key-000"),
        "the report must not show the key"
    );
}

#[tokio::test]
async fn basic_and_multi_header_styles_split_the_key() {
    let stub = VendorStub::start().await.expect("stub");

    let huntress = catalog("huntress");
    stub.accept("hk_public:hs_private");
    assert_eq!(
        run(&stub, huntress, None, "hk_public:hs_private")
            .await
            .outcome,
        PingOutcome::Authenticated
    );

    // ConnectWise PSA: Basic company+public:private plus the clientId header.
    let psa = catalog("connectwise-psa");
    stub.accept("acme+pub:priv");
    let report = run(&stub, psa, None, "acme+pub:priv:0f0e0d0c-client-id").await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    assert_eq!(
        last_get(&stub).header("clientid"),
        Some("0f0e0d0c-client-id")
    );

    // Autotask: three headers.
    let autotask = catalog("autotask");
    stub.add_credential_header("Secret");
    stub.accept("at-secret");
    let report = run(
        &stub,
        autotask,
        None,
        "api@acme.example:at-secret:INTEGRATION42",
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let request = last_get(&stub);
    assert_eq!(request.header("username"), Some("api@acme.example"));
    assert_eq!(request.header("secret"), Some("at-secret"));
    assert_eq!(request.header("apiintegrationcode"), Some("INTEGRATION42"));

    // A key missing its parts never leaves the console.
    let before = stub.requests().len();
    let report = run(&stub, autotask, None, "only-one-part").await;
    assert_eq!(report.outcome, PingOutcome::BadKeyFormat);
    assert_eq!(stub.requests().len(), before);
}

#[tokio::test]
async fn token_exchange_styles_get_a_token_first() {
    let stub = VendorStub::start().await.expect("stub");

    // Pax8: client credentials with an audience, then the API call with the bearer token.
    let pax8 = catalog("pax8");
    stub.accept_client("pax8-client", "pax8-secret");
    let token_url = format!("{}/v1/token", stub.base_url());
    let report = run(
        &stub,
        pax8,
        Some(token_url.clone()),
        "pax8-client:pax8-secret",
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let token_request = stub
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("token request");
    assert!(
        token_request
            .body_text()
            .contains("audience=https%3A%2F%2Fapi.pax8.com")
    );
    let issued = stub.issued_tokens();
    assert_eq!(
        last_get(&stub).header("authorization"),
        Some(format!("Bearer {}", issued[0]).as_str())
    );

    let rejected = run(&stub, pax8, Some(token_url), "pax8-client:wrong").await;
    assert_eq!(rejected.outcome, PingOutcome::Rejected);

    // Datto RMM: the password grant with the public client.
    let datto = catalog("datto-rmm");
    stub.accept_client("rmm-api-key", "rmm-api-secret");
    let token_url = format!("{}/auth/oauth/token", stub.base_url());
    let report = run(&stub, datto, Some(token_url), "rmm-api-key:rmm-api-secret").await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");

    // ConnectWise Automate: JSON login at /apitoken with the ClientId header.
    let automate = catalog("connectwise-automate");
    stub.add_token_path("/cwa/api/v1/apitoken");
    stub.accept_client("integrator", "integrator-password");
    let report = run(
        &stub,
        automate,
        None,
        "integrator:integrator-password:cw-client-id",
    )
    .await;
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
    let login = stub
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/apitoken"))
        .expect("login request");
    assert_eq!(login.header("clientid"), Some("cw-client-id"));
    assert!(login.body_text().contains("\"UserName\":\"integrator\""));
}

#[tokio::test]
async fn every_failure_is_reported_with_its_hint() {
    let stub = VendorStub::start().await.expect("stub");
    let fortigate = catalog("fortigate");

    let rejected = run(&stub, fortigate, None, "revoked-token").await;
    assert_eq!(rejected.outcome, PingOutcome::Rejected);
    assert_eq!(rejected.status, Some(401));
    assert!(rejected.hint.contains("revoked"));

    stub.accept_without_scope("narrow-token");
    let scope = run(&stub, fortigate, None, "narrow-token").await;
    assert_eq!(scope.outcome, PingOutcome::ScopeMissing);
    assert!(
        scope.hint.contains("IP"),
        "the manual's IP allowlisting hint: {}",
        scope.hint
    );

    // Placeholders are caught before any request.
    let before = stub.requests().len();
    let client = PingClient::new(Some(&stub.ca_pem())).expect("client");
    let placeholder = ping(
        &client,
        fortigate,
        "https://{server}/api/v2",
        None,
        &SecretValue::new("x"),
    )
    .await;
    assert_eq!(placeholder.outcome, PingOutcome::Placeholder);
    assert!(placeholder.hint.contains("detail panel"));
    assert_eq!(stub.requests().len(), before);

    // Nothing listening.
    let closed = ping(
        &client,
        fortigate,
        "https://127.0.0.1:9/api/v2",
        None,
        &SecretValue::new("x"),
    )
    .await;
    assert_eq!(closed.outcome, PingOutcome::NotReachable, "{closed:?}");

    // A certificate the console does not trust (as behind a TLS-inspecting proxy).
    let untrusting = PingClient::new(None).expect("client");
    let tls = ping(
        &untrusting,
        fortigate,
        &endpoint_on(&stub, fortigate),
        None,
        &SecretValue::new("x"),
    )
    .await;
    assert_eq!(tls.outcome, PingOutcome::TlsError, "{tls:?}");

    // Vendor trouble.
    stub.respond_next_with(503, 1);
    let unexpected = run(&stub, fortigate, None, "whatever").await;
    assert_eq!(unexpected.outcome, PingOutcome::UnexpectedStatus);
    assert_eq!(unexpected.message, "The vendor answered with HTTP 503.");
}
