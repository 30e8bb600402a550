//! The secret routes: versions and bundles, ids, paging, patch, limits, soft delete and purge,
//! backup and restore.

use super::*;

#[tokio::test]
async fn set_get_versions_and_bundle_shape() {
    let h = Harness::start().await;
    let (status, first) = h
        .put(
            "NinjaOne-Key",
            json!({"value": "v1", "contentType": "text/plain", "tags": {"vendor": "ninjaone"},
                   "attributes": {"enabled": true, "exp": 4102444800u64}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let base = h.emulator.vault_url();
    let id = first["id"].as_str().unwrap();
    let version = id
        .strip_prefix(&format!("{base}/secrets/NinjaOne-Key/"))
        .expect("id built from Host");
    assert_eq!(version.len(), 32);
    assert!(version.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(first["value"], "v1");
    assert_eq!(first["contentType"], "text/plain");
    assert_eq!(first["tags"], json!({"vendor": "ninjaone"}));
    let attributes = &first["attributes"];
    assert!(attributes["created"].is_i64() && attributes["updated"].is_i64());
    assert_eq!(attributes["exp"], 4102444800u64);
    assert_eq!(attributes["recoveryLevel"], "Recoverable+Purgeable");
    assert_eq!(attributes["recoverableDays"], 90);

    let (_, second) = h.put("NinjaOne-Key", json!({"value": "v2"})).await;
    assert_ne!(second["id"], first["id"]);
    assert!(second.get("tags").is_none(), "tags are per version");

    // Latest, with the trailing-slash empty version the clients send, case-insensitively.
    let (status, latest) = h.get("/secrets/ninjaone-key/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(latest["value"], "v2");
    assert_eq!(latest["id"], second["id"]);
    let (_, old) = h.get(&format!("/secrets/NinjaOne-Key/{version}")).await;
    assert_eq!(old["value"], "v1");

    let (_, versions) = h.get("/secrets/NinjaOne-Key/versions").await;
    let listed = versions["value"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|item| item.get("value").is_none()));
    assert!(listed.iter().any(|item| item["id"] == first["id"]));
    assert_eq!(
        h.emulator.secret_versions("ninjaone-key"),
        vec![
            (version.to_string(), "v1".to_string(), true),
            (
                second["id"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                "v2".to_string(),
                true
            )
        ]
    );

    let (status, body) = h
        .get("/secrets/NinjaOne-Key/0123456789abcdef0123456789abcdef")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body).0, "SecretNotFound");
    let (status, body) = h.get("/secrets/missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("(name/id) missing")
    );
}

#[tokio::test]
async fn ids_follow_the_host_the_client_used() {
    let h = Harness::start_with(EmulatorConfig {
        extra_server_names: vec!["contoso-msp.vault.azure.net".to_string()],
        ..EmulatorConfig::default()
    })
    .await;
    let port = h.emulator.port();
    let ca = reqwest::Certificate::from_pem(h.emulator.ca_pem().as_bytes()).unwrap();
    let resolving = reqwest::Client::builder()
        .tls_certs_only([ca])
        .resolve(
            "contoso-msp.vault.azure.net",
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        )
        .build()
        .unwrap();
    // Each host names its own resource: the 127.0.0.1 vault's token is refused under the
    // public name, whose challenge asks for Key Vault's public resource.
    let public_host =
        format!("https://contoso-msp.vault.azure.net:{port}/secrets/x?api-version={API}");
    let refused = resolving
        .put(&public_host)
        .bearer_auth(&h.token)
        .json(&json!({"value": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(
        refused
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.ends_with("resource=\"https://vault.azure.net\"")),
        "{:?}",
        refused.headers()
    );
    let (_, public) = h
        .token_response_for(TENANT, OFFICER, SECRET, "https://vault.azure.net/.default")
        .await;
    let response = resolving
        .put(&public_host)
        .bearer_auth(public["access_token"].as_str().unwrap())
        .json(&json!({"value": "1"}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(body["id"].as_str().unwrap().starts_with(&format!(
        "https://contoso-msp.vault.azure.net:{port}/secrets/x/"
    )));
    let (_, local) = h
        .token_response_for(
            TENANT,
            OFFICER,
            SECRET,
            &format!("https://localhost:{port}/.default"),
        )
        .await;
    let response = h
        .http
        .get(format!(
            "https://localhost:{port}/secrets/x?api-version={API}"
        ))
        .bearer_auth(local["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(
        body["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("https://localhost:{port}/"))
    );
}

#[tokio::test]
async fn lists_page_with_absolute_next_links_and_percent_encoded_skiptoken() {
    let h = Harness::start().await;
    for index in 0..60 {
        h.emulator
            .seed_secret(&format!("s-{index:02}"), "x")
            .unwrap();
    }
    // Default page size is 25.
    let (_, first) = h.get("/secrets").await;
    assert_eq!(first["value"].as_array().unwrap().len(), 25);

    let mut next = Some(h.url("/secrets?maxresults=10"));
    let mut names = Vec::new();
    let mut pages = 0;
    while let Some(link) = next {
        // Encode `$skiptoken` as the Rust SDK does when it rebuilds the query.
        let link = link.replace("$skiptoken", "%24skiptoken");
        let (status, page) = h.send(h.http.get(&link).bearer_auth(&h.token)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        for item in page["value"].as_array().unwrap() {
            assert!(item.get("value").is_none(), "list items carry no value");
            let id = item["id"].as_str().unwrap();
            names.push(id.rsplit('/').next().unwrap().to_string());
        }
        next = page["nextLink"].as_str().map(str::to_string);
        if let Some(link) = &next {
            assert!(
                link.starts_with(&h.emulator.vault_url()),
                "absolute nextLink"
            );
            assert!(link.contains("$skiptoken="));
        }
    }
    assert_eq!(pages, 6);
    let expected: Vec<String> = (0..60).map(|i| format!("s-{i:02}")).collect();
    assert_eq!(names, expected);
    assert_eq!(h.emulator.request_count(RouteKind::ListSecrets), 7);

    for bad in ["0", "26", "ten"] {
        let (status, body) = h.get(&format!("/secrets?maxresults={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "maxresults={bad}");
        assert_eq!(error_code(&body).0, "BadParameter");
    }
    let (status, _) = h.get("/secrets?%24skiptoken=garbage!").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn patch_replaces_tags_and_disabled_secrets_cannot_be_read() {
    let h = Harness::start().await;
    h.put(
        "k",
        json!({"value": "secret", "tags": {"a": "1", "b": "2"}}),
    )
    .await;
    let (status, updated) = h
        .send(
            h.request(Method::PATCH, "/secrets/k/")
                .json(&json!({"tags": {"c": "3"}, "contentType": "application/json"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["tags"], json!({"c": "3"}));
    assert_eq!(updated["contentType"], "application/json");
    assert!(updated.get("value").is_none(), "PATCH returns no value");

    let (_, disabled) = h
        .send(
            h.request(Method::PATCH, "/secrets/k")
                .json(&json!({"attributes": {"enabled": false}})),
        )
        .await;
    assert_eq!(disabled["attributes"]["enabled"], false);
    let (status, body) = h.get("/secrets/k").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), ("Forbidden", Some("SecretDisabled")));
    // Still listed, and the backdoor still sees it.
    let (_, list) = h.get("/secrets").await;
    assert_eq!(list["value"][0]["attributes"]["enabled"], false);
    assert_eq!(h.emulator.secret_value("k").as_deref(), Some("secret"));
    assert!(
        !h.emulator.secret_versions("k")[0].2,
        "stored version is disabled"
    );
}

#[tokio::test]
async fn input_limits_are_enforced() {
    let h = Harness::start().await;
    let too_long_name = "a".repeat(128);
    for name in ["bad_name", "dot.name", too_long_name.as_str()] {
        let (status, body) = h.put(name, json!({"value": "x"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(error_code(&body).0, "BadParameter");
    }
    let (status, _) = h.put(&"a".repeat(127), json!({"value": "x"})).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = h.put("big", json!({"value": "x".repeat(25 * 1024)})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .put("big", json!({"value": "x".repeat(25 * 1024 + 1)}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let tags: serde_json::Map<String, Value> =
        (0..16).map(|i| (format!("t{i}"), json!("v"))).collect();
    let (status, _) = h.put("tags", json!({"value": "x", "tags": tags})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h
        .put(
            "tags",
            json!({"value": "x", "tags": {"k": "v".repeat(257)}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h
        .put(
            "tags",
            json!({"value": "x", "tags": {"k": "v".repeat(256)}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .put("ct", json!({"value": "x", "contentType": "c".repeat(256)}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h.put("novalue", json!({"contentType": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // api-version: required; 7.x and dated ones accepted.
    let base = h.emulator.vault_url();
    for (query, expected) in [
        ("", StatusCode::BAD_REQUEST),
        ("?api-version=7.4", StatusCode::OK),
        ("?api-version=7.6-preview", StatusCode::OK),
        ("?api-version=2026-04-01", StatusCode::OK),
        ("?api-version=banana", StatusCode::BAD_REQUEST),
    ] {
        let (status, _) = h
            .send(
                h.http
                    .get(format!("{base}/secrets{query}"))
                    .bearer_auth(&h.token),
            )
            .await;
        assert_eq!(status, expected, "{query}");
    }
}

#[tokio::test]
async fn soft_delete_recover_and_purge() {
    let h = Harness::start().await;
    h.put("gone", json!({"value": "v", "tags": {"x": "y"}}))
        .await;
    let (status, deleted) = h.send(h.request(Method::DELETE, "/secrets/gone")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(deleted.get("value").is_none());
    assert_eq!(
        deleted["recoveryId"],
        format!("{}/deletedsecrets/gone", h.emulator.vault_url())
    );
    let deleted_date = deleted["deletedDate"].as_i64().unwrap();
    assert_eq!(
        deleted["scheduledPurgeDate"].as_i64().unwrap(),
        deleted_date + 90 * 86_400
    );

    // Visible at once as deleted; gone as active; the name is blocked.
    let (status, _) = h.get("/deletedsecrets/gone").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h.get("/secrets/gone").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = h.get("/deletedsecrets").await;
    assert_eq!(list["value"][0]["recoveryId"], deleted["recoveryId"]);
    let (status, body) = h.put("gone", json!({"value": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        error_code(&body),
        ("Conflict", Some("ObjectIsDeletedButRecoverable"))
    );
    let (status, _) = h.send(h.request(Method::DELETE, "/secrets/gone")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, recovered) = h
        .send(h.request(Method::POST, "/deletedsecrets/gone/recover"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(recovered.get("value").is_none());
    let (_, back) = h.get("/secrets/gone/").await;
    assert_eq!(back["value"], "v");
    assert_eq!(back["tags"], json!({"x": "y"}));
    let (status, body) = h.get("/deletedsecrets/gone").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["message"], "Deleted Secret not found: gone");

    h.send(h.request(Method::DELETE, "/secrets/gone")).await;
    let response = h
        .request(Method::DELETE, "/deletedsecrets/gone")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.unwrap().is_empty());
    assert!(h.emulator.secret_snapshot("gone").is_none());
    let (status, _) = h.put("gone", json!({"value": "reborn"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .send(h.request(Method::DELETE, "/deletedsecrets/gone"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn purge_protection_refuses_purge_with_azures_message() {
    let h = Harness::start_with(EmulatorConfig {
        purge_protection: true,
        ..EmulatorConfig::default()
    })
    .await;
    let (_, created) = h.put("kept", json!({"value": "v"})).await;
    assert_eq!(created["attributes"]["recoveryLevel"], "Recoverable");
    h.send(h.request(Method::DELETE, "/secrets/kept")).await;
    let (status, body) = h
        .send(h.request(Method::DELETE, "/deletedsecrets/kept"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "Forbidden");
    assert!(body["error"]["message"].as_str().unwrap().starts_with(
        "Operation \"purge\" is not allowed because purge protection is enabled for this vault."
    ));
    assert_eq!(h.emulator.deleted_secret_names(), vec!["kept".to_string()]);
    h.emulator.set_purge_protection(false);
    let (status, _) = h
        .send(h.request(Method::DELETE, "/deletedsecrets/kept"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn backup_and_restore_round_trip() {
    let h = Harness::start().await;
    h.put("b", json!({"value": "one"})).await;
    h.put("b", json!({"value": "two"})).await;
    let (status, backup) = h.send(h.request(Method::POST, "/secrets/b/backup")).await;
    assert_eq!(status, StatusCode::OK);
    let blob = backup["value"].as_str().unwrap().to_string();
    let (status, body) = h
        .send(
            h.request(Method::POST, "/secrets/restore")
                .json(&json!({"value": blob})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    h.send(h.request(Method::DELETE, "/secrets/b")).await;
    h.send(h.request(Method::DELETE, "/deletedsecrets/b")).await;
    let (status, restored) = h
        .send(
            h.request(Method::POST, "/secrets/restore")
                .json(&json!({"value": blob})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(restored["id"].as_str().unwrap().contains("/secrets/b/"));
    assert_eq!(h.emulator.secret_versions("b").len(), 2);
    assert_eq!(h.emulator.secret_value("b").as_deref(), Some("two"));
}
