//! The vendors' HTTPS stub: where each vendor puts its credentials, scopes and faults.

use super::FormPairs;
use akv_tests::vendor_stub::VendorStub;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn status(request: reqwest::RequestBuilder) -> StatusCode {
    request.send().await.expect("request").status()
}

#[tokio::test]
async fn credentials_are_found_wherever_vendors_put_them() {
    let stub = VendorStub::start().await.unwrap();
    let http = super::http_client(&stub.ca_pem());
    let url = format!("{}/api/v2/organizations", stub.base_url());
    stub.accept("good-key");
    stub.accept_without_scope("read-only-key");
    stub.add_credential_header("X-Custom-Auth");

    assert_eq!(
        status(http.get(&url).bearer_auth("good-key")).await,
        StatusCode::OK
    );
    assert_eq!(
        status(http.get(&url).header("Authorization", "ApiToken good-key")).await,
        StatusCode::OK
    );
    assert_eq!(
        status(http.get(&url).basic_auth("good-key", Some("x"))).await,
        StatusCode::OK
    );
    assert_eq!(
        status(http.get(&url).header("x-api-key", "good-key")).await,
        StatusCode::OK
    );
    assert_eq!(
        status(http.get(&url).header("X-Custom-Auth", "good-key")).await,
        StatusCode::OK
    );
    assert_eq!(
        status(http.get(format!("{url}?api_token=good-key"))).await,
        StatusCode::OK
    );
    assert_eq!(
        status(http.get(&url).bearer_auth("read-only-key")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(http.get(&url).bearer_auth("wrong")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status(http.get(&url)).await, StatusCode::UNAUTHORIZED);
    stub.revoke("good-key");
    assert_eq!(
        status(http.get(&url).bearer_auth("good-key")).await,
        StatusCode::UNAUTHORIZED
    );

    let requests = stub.requests();
    assert_eq!(requests.len(), 10);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/api/v2/organizations");
    assert_eq!(requests[0].header("authorization"), Some("Bearer good-key"));
    assert_eq!(requests[5].query_param("api_token"), Some("good-key"));
    assert_eq!(requests[6].status, 403);
}

#[tokio::test]
async fn oauth_token_route_issues_tokens_that_are_then_accepted() {
    let stub = VendorStub::start().await.unwrap();
    let http = super::http_client(&stub.ca_pem());
    stub.accept_client("client-1", "secret-1");
    stub.accept_client_without_scope("client-2", "secret-2");
    let base = stub.base_url();

    // Form fields (NinjaOne style).
    let response = http
        .post(format!("{base}/ws/oauth/token"))
        .form_pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "client-1"),
            ("client_secret", "secret-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        status(http.get(format!("{base}/v2/devices")).bearer_auth(&token)).await,
        StatusCode::OK
    );

    // JSON body (Pax8 style) for the scope-less client: token works but gets 403.
    let response = http
        .post(format!("{base}/oauth/token"))
        .json(&json!({"client_id": "client-2", "client_secret": "secret-2", "grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let limited = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        status(
            http.get(format!("{base}/v1/companies"))
                .bearer_auth(&limited)
        )
        .await,
        StatusCode::FORBIDDEN
    );

    // Basic auth for the client pair; wrong secret is refused.
    let basic = base64::engine::general_purpose::STANDARD.encode("client-1:secret-1");
    let response = http
        .post(format!("{base}/token"))
        .header("Authorization", format!("Basic {basic}"))
        .form_pairs(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = http
        .post(format!("{base}/token"))
        .form_pairs(&[("client_id", "client-1"), ("client_secret", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(stub.issued_tokens().len(), 3);
}

#[tokio::test]
async fn forced_statuses_come_first() {
    let stub = VendorStub::start().await.unwrap();
    let http = super::http_client(&stub.ca_pem());
    stub.accept("k");
    stub.respond_next_with(429, 1);
    let response = http
        .get(stub.base_url())
        .bearer_auth("k")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        status(http.get(stub.base_url()).bearer_auth("k")).await,
        StatusCode::OK
    );
    stub.clear_requests();
    assert!(stub.requests().is_empty());
}

#[tokio::test]
async fn stub_can_share_the_emulator_ca() {
    let emulator = akv_tests::emulator::Emulator::start(Default::default())
        .await
        .unwrap();
    let stub = VendorStub::start_with_ca(emulator.test_ca()).await.unwrap();
    assert_eq!(stub.ca_pem(), emulator.ca_pem());
    let http = super::http_client(&emulator.ca_pem());
    assert_eq!(
        status(http.get(stub.base_url())).await,
        StatusCode::UNAUTHORIZED
    );
}
