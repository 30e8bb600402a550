//! Injected faults (throttling, drops, latency, custom errors) and the request counters.

use super::*;

#[tokio::test]
async fn throttling_returns_429_with_retry_after_then_recovers() {
    let h = Harness::start().await;
    h.emulator
        .inject_fault(Fault::throttle(7).on_route(RouteKind::ListSecrets).times(2));
    for _ in 0..2 {
        let response = h.request(Method::GET, "/secrets").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "7");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "Throttled");
    }
    let (status, _) = h.get("/secrets").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.emulator.request_count(RouteKind::ListSecrets), 3);
    assert_eq!(h.emulator.active_fault_count(), 0);
}

#[tokio::test]
async fn per_secret_faults_hit_only_their_puts() {
    // "The 3 PUTs for secrets a, b, c fail with 5xx / 429-forever / 403 while 17 others succeed."
    let h = Harness::start().await;
    h.emulator
        .inject_fault(Fault::server_error(503).for_secret("a").for_method("PUT"));
    h.emulator.inject_fault(
        Fault::throttle(1)
            .on_route(RouteKind::SetSecret)
            .for_secret("b"),
    );
    h.emulator.inject_fault(
        Fault::error(403, "Forbidden", Some("ForbiddenByRbac"))
            .for_secret("c")
            .on_route(RouteKind::SetSecret),
    );
    let mut names: Vec<String> = (0..17).map(|i| format!("ok-{i}")).collect();
    names.extend(["a", "b", "c"].map(String::from));
    let mut outcomes = Vec::new();
    for name in &names {
        let (status, body) = h.put(name, json!({"value": name})).await;
        outcomes.push((name.clone(), status, body));
    }
    let ok = outcomes
        .iter()
        .filter(|(_, status, _)| *status == StatusCode::OK)
        .count();
    assert_eq!(ok, 17);
    let status_of = |wanted: &str| {
        outcomes
            .iter()
            .find(|(name, _, _)| name == wanted)
            .map(|(_, status, body)| (status.as_u16(), body.clone()))
            .unwrap()
    };
    assert_eq!(status_of("a").0, 503);
    assert_eq!(status_of("a").1["error"]["code"], "ServiceUnavailable");
    assert_eq!(status_of("b").0, 429);
    let (status, body) = status_of("c");
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), ("Forbidden", Some("ForbiddenByRbac")));
    // Forever: a retry still fails; GETs of those names are untouched.
    let (status, _) = h.put("b", json!({"value": "b"})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = h.get("/secrets/a").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(h.emulator.request_count(RouteKind::SetSecret), 21);
    assert_eq!(h.emulator.secret_names().len(), 17);
    h.emulator.clear_faults();
    let (status, _) = h.put("b", json!({"value": "b"})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn dropped_connections_latency_and_fractions() {
    let h = Harness::start().await;
    h.emulator.inject_fault(Fault::drop_connection().times(1));
    let failure = h.request(Method::GET, "/secrets").send().await;
    assert!(
        failure.is_err(),
        "dropped connection must be a transport error"
    );
    let (status, _) = h.get("/secrets").await;
    assert_eq!(status, StatusCode::OK);

    h.emulator.inject_fault(
        Fault::latency(Duration::from_millis(300))
            .on_route(RouteKind::GetSecret)
            .times(1),
    );
    h.put("slow", json!({"value": "v"})).await;
    let started = Instant::now();
    let (status, _) = h.get("/secrets/slow").await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    h.emulator.inject_fault(
        Fault::server_error(500)
            .on_route(RouteKind::GetSecret)
            .with_probability(0.5),
    );
    let mut failures = 0;
    for _ in 0..200 {
        let (status, _) = h.get("/secrets/slow").await;
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            failures += 1;
        }
    }
    assert!(
        (50..=150).contains(&failures),
        "{failures} of 200 failed at p=0.5"
    );
}

#[tokio::test]
async fn custom_errors_and_conflicts_in_progress() {
    let h = Harness::start().await;
    h.put("busy", json!({"value": "v"})).await;
    h.emulator.inject_fault(
        Fault::being_deleted()
            .on_route(RouteKind::DeleteSecret)
            .times(1),
    );
    let (status, body) = h.send(h.request(Method::DELETE, "/secrets/busy")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        error_code(&body),
        ("Conflict", Some("ObjectIsBeingDeleted"))
    );
    assert_eq!(
        body["error"]["message"],
        "Secret busy is currently being deleted."
    );

    h.emulator.inject_fault(
        Fault::error(503, "ServiceUnavailable", None)
            .with_message("maintenance")
            .with_retry_after(3)
            .times(1),
    );
    let response = h
        .request(Method::GET, "/secrets/busy")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "3");

    // Faults on the token route answer in Entra's shape.
    h.emulator
        .inject_fault(Fault::server_error(503).on_route(RouteKind::Token).times(1));
    let (status, body) = h.token_response(TENANT, OFFICER, SECRET).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["error_codes"].is_array());
    h.token_for(TENANT, OFFICER, SECRET).await;
}

#[tokio::test]
async fn counters_count_each_route_and_reset() {
    let h = Harness::start().await;
    h.put("c", json!({"value": "v"})).await;
    h.get("/secrets/c").await;
    h.get("/secrets/c/").await;
    h.get("/secrets").await;
    h.get("/secrets/c/versions").await;
    h.send(
        h.request(Method::PATCH, "/secrets/c")
            .json(&json!({"tags": {}})),
    )
    .await;
    h.send(h.request(Method::DELETE, "/secrets/c")).await;
    h.get("/deletedsecrets/c").await;
    h.get("/deletedsecrets").await;
    h.send(h.request(Method::POST, "/deletedsecrets/c/recover"))
        .await;
    h.send(h.request(Method::DELETE, "/secrets/c")).await;
    h.send(h.request(Method::DELETE, "/deletedsecrets/c")).await;
    let expected = [
        (RouteKind::SetSecret, 1),
        (RouteKind::GetSecret, 2),
        (RouteKind::ListSecrets, 1),
        (RouteKind::ListVersions, 1),
        (RouteKind::UpdateSecret, 1),
        (RouteKind::DeleteSecret, 2),
        (RouteKind::GetDeleted, 1),
        (RouteKind::ListDeleted, 1),
        (RouteKind::Recover, 1),
        (RouteKind::Purge, 1),
        (RouteKind::Token, 0),
    ];
    for (kind, count) in expected {
        assert_eq!(h.emulator.request_count(kind), count, "{kind:?}");
    }
    h.emulator.reset_counters();
    assert_eq!(h.emulator.total_request_count(), 0);
}

#[tokio::test]
async fn backdoors_seed_inspect_and_clear() {
    let h = Harness::start().await;
    h.emulator
        .seed(
            "seeded",
            SeedSecret::new("s3cr3t")
                .tag("vendor", "datto")
                .content_type("text/plain"),
        )
        .unwrap();
    h.emulator.seed_deleted("binned", "old").unwrap();
    let (_, body) = h.get("/secrets/seeded").await;
    assert_eq!(body["value"], "s3cr3t");
    assert_eq!(body["tags"]["vendor"], "datto");
    let (status, _) = h.get("/deletedsecrets/binned").await;
    assert_eq!(status, StatusCode::OK);
    let snapshot = h.emulator.secret_snapshot("binned").unwrap();
    assert!(snapshot.deleted);
    assert!(h.emulator.seed_secret("bad name", "x").is_err());
    h.emulator.clear_secrets();
    assert!(h.emulator.secret_names().is_empty() && h.emulator.deleted_secret_names().is_empty());
    assert_eq!(
        h.emulator.request_count(RouteKind::SetSecret),
        0,
        "seeding is not a request"
    );
}

#[test]
fn start_blocking_serves_without_a_caller_runtime() {
    let emulator = Emulator::start_blocking(EmulatorConfig::default()).unwrap();
    let ca_path = emulator.ca_pem_path().to_path_buf();
    assert_eq!(
        std::fs::read_to_string(&ca_path).unwrap(),
        emulator.ca_pem()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        http_client(&emulator.ca_pem())
            .get(format!("{}/secrets", emulator.vault_url()))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let port = emulator.port();
    drop(emulator);
    assert!(!ca_path.exists(), "temporary CA file removed on drop");
    let refused = runtime.block_on(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await
    });
    assert!(refused.is_err(), "listener closed on drop");
}
