//! The Graph client against a scripted transport: paging on `@odata.nextLink`, the guard
//! (foreign next link, answer size, page cap), the one token scope, and the 403 named.

use super::applications::GraphCaller;
use super::*;
use crate::domain::connection::Cloud;
use crate::domain::vault_objects::KindListing;
use crate::test_support::{Script, Tokens, quick_azure, settings};

fn quick() -> GraphOptions {
    GraphOptions {
        azure: quick_azure(),
        ..GraphOptions::default()
    }
}

fn client(
    script: Arc<Script>,
    tokens: Arc<Tokens>,
    cloud: Cloud,
    options: &GraphOptions,
) -> GraphClient {
    GraphClient::over(tokens, &settings(cloud), script, options).expect("client")
}

fn app_json(name: &str) -> String {
    format!(
        r#"{{"id":"o-{name}","appId":"a-{name}","displayName":"{name}","passwordCredentials":[{{"keyId":"k-{name}","displayName":"s","hint":"abc","endDateTime":"2027-01-01T00:00:00Z"}}],"keyCredentials":[]}}"#
    )
}

async fn list(
    graph: &GraphClient,
) -> KindListing<crate::domain::app_credentials::AppCredentialInfo> {
    graph
        .list_app_credentials(&GraphCaller::AppSecret, "app-1", "tenant-1")
        .await
}

#[tokio::test]
async fn a_listing_follows_next_links_on_the_cloud_graph_with_graphs_scope_only() {
    let next =
        "https://graph.microsoft.us/v1.0/applications?$select=id&$top=999&$skiptoken=X%274453%27";
    let script = Arc::new(
        Script::default()
            .reply(
                200,
                &format!(
                    r#"{{"value":[{},{}],"@odata.nextLink":"{next}"}}"#,
                    app_json("a"),
                    app_json("b")
                ),
            )
            .reply(200, &format!(r#"{{"value":[{}]}}"#, app_json("c"))),
    );
    let tokens = Arc::new(Tokens::default());
    let graph = client(
        script.clone(),
        tokens.clone(),
        Cloud::AzureUsGovernment,
        &quick(),
    );
    let listed = list(&graph).await;
    assert_eq!(listed.items().len(), 3, "{:?}", listed.refused());
    let urls = script.urls();
    assert_eq!(
        urls[0],
        format!(
            "https://graph.microsoft.us/v1.0/{}",
            applications::LIST_APPLICATIONS
        )
    );
    assert_eq!(urls[1], next);
    let asked = tokens.asked();
    assert!(
        !asked.is_empty()
            && asked
                .iter()
                .all(|s| s == "https://graph.microsoft.us/.default"),
        "only that cloud's Graph scope: {asked:?}"
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_unsent() {
    let script = Arc::new(Script::default().reply(
        200,
        &format!(
            r#"{{"value":[{}],"@odata.nextLink":"https://collector.evil.example/v1.0/applications?page=2"}}"#,
            app_json("a")
        ),
    ));
    let graph = client(
        script.clone(),
        Arc::new(Tokens::default()),
        Cloud::AzurePublic,
        &quick(),
    );
    let error = list(&graph).await.refused().cloned().expect("refused");
    assert_eq!(error.code, ErrorCode::UntrustedServer);
    assert_eq!(script.urls().len(), 1, "nothing sent to the foreign host");
}

#[tokio::test]
async fn an_oversized_answer_and_too_many_pages_are_refused() {
    let big = format!(r#"{{"value":[],"pad":"{}"}}"#, "x".repeat(2048));
    let script = Arc::new(Script::default().reply(200, &big));
    let options = GraphOptions {
        body_cap: 1024,
        ..quick()
    };
    let graph = client(
        script,
        Arc::new(Tokens::default()),
        Cloud::AzurePublic,
        &options,
    );
    assert!(
        list(&graph).await.refused().is_some(),
        "an answer over the cap"
    );

    let next = "https://graph.microsoft.com/v1.0/applications?$skiptoken=1";
    let page = format!(r#"{{"value":[],"@odata.nextLink":"{next}"}}"#);
    let script = Arc::new(
        Script::default()
            .reply(200, &page)
            .reply(200, &page)
            .reply(200, &page),
    );
    let options = GraphOptions {
        max_pages: 2,
        ..quick()
    };
    let graph = client(
        script.clone(),
        Arc::new(Tokens::default()),
        Cloud::AzurePublic,
        &options,
    );
    assert!(list(&graph).await.refused().is_some(), "a third page");
    assert_eq!(script.urls().len(), 2);
}

#[tokio::test]
async fn a_403_names_application_read_all_and_is_not_retried() {
    let script = Arc::new(Script::default().reply(
        403,
        r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#,
    ));
    let graph = client(
        script.clone(),
        Arc::new(Tokens::default()),
        Cloud::AzurePublic,
        &quick(),
    );
    let error = list(&graph).await.refused().cloned().expect("refused");
    assert_eq!(error.code, ErrorCode::GraphPermissionMissing);
    assert!(
        error.hint.contains("az ad app permission add --id app-1"),
        "{}",
        error.hint
    );
    assert_eq!(script.urls().len(), 1);
}
