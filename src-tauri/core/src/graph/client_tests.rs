//! The Graph client against a scripted transport: paging on `@odata.nextLink`, the guard
//! (foreign next link, answer size, page cap), the one token scope, and the 403 named.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenRequestOptions};
use azure_core::http::headers::{HeaderName, Headers};
use azure_core::http::{AsyncRawResponse, StatusCode};
use azure_core::time::OffsetDateTime;

use super::applications::GraphCaller;
use super::*;
use crate::domain::connection::{AuthMode, Cloud};
use crate::domain::vault_objects::KindListing;

/// A scripted answer: status, headers, body.
type Reply = (u16, Vec<(&'static str, String)>, Vec<u8>);

/// Answers scripted replies in order and records each request's URL and bearer token.
#[derive(Debug, Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<(String, Option<String>)>>,
}

impl Script {
    fn reply(self, status: u16, body: &str) -> Script {
        self.reply_with(status, Vec::new(), body.as_bytes().to_vec())
    }

    fn reply_with(
        self,
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Script {
        self.replies
            .lock()
            .expect("lock")
            .push_back((status, headers, body));
        self
    }

    fn urls(&self) -> Vec<String> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .map(|(url, _)| url.clone())
            .collect()
    }
}

#[async_trait]
impl HttpClient for Script {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let auth = request
            .headers()
            .get_optional_str(&HeaderName::from_static("authorization"))
            .map(str::to_string);
        self.seen
            .lock()
            .expect("lock")
            .push((request.url().to_string(), auth));
        let (status, extra, body) =
            self.replies
                .lock()
                .expect("lock")
                .pop_front()
                .unwrap_or((500, Vec::new(), Vec::new()));
        let mut headers = Headers::new();
        for (name, value) in extra {
            headers.insert(name, value);
        }
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::from(status),
            headers,
            body,
        ))
    }
}

/// Hands out a token for any scope and records what was asked.
#[derive(Debug, Default)]
struct Tokens(Mutex<Vec<String>>);

#[async_trait]
impl TokenCredential for Tokens {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.0.lock().expect("lock").push(scopes.join(" "));
        Ok(AccessToken::new(
            Secret::new("graph-token"),
            OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

fn settings(cloud: Cloud) -> ConnectionSettings {
    ConnectionSettings {
        tenant_id: "11111111-1111-1111-1111-111111111111".into(),
        client_id: "22222222-2222-2222-2222-222222222222".into(),
        vault_name: String::new(),
        cloud,
        authority_host: None,
        vault_url: None,
        ca_pem: None,
        auth: AuthMode::default(),
        home_tenant_id: None,
    }
}

fn quick() -> GraphOptions {
    let mut options = GraphOptions::default();
    options.azure.initial_delay = Duration::from_millis(5);
    options.azure.max_delay = Duration::from_millis(20);
    options.azure.max_retries = 2;
    options
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
    let asked = tokens.0.lock().expect("lock").clone();
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
