//! The vendor test ping for vendors whose key is exchanged or signed before the test call:
//! OAuth client credentials in each client-authentication style, ConnectWise Automate's login,
//! GravityZone's JSON-RPC, N-central's token exchange and Duo's signed requests — each sends
//! exactly the request the vendor documents, against the local HTTPS vendor stub.

mod support;

use akv_core::ping::PingOutcome;
use akv_tests::vendor_stub::VendorStub;
use support::ping::{assert_refused, basic, catalog, form, last, run, run_with};

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
