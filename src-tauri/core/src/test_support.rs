//! Test scaffolding shared by the clients built on `azure_core`'s pipeline (ARM, Graph): a
//! scripted transport, a credential that records the scopes it was asked for, and settings.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::headers::{HeaderName, Headers};
use azure_core::http::{AsyncRawResponse, HttpClient, Request, StatusCode};
use azure_core::time::OffsetDateTime;

use crate::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use crate::store::azure::AzureOptions;

/// A scripted answer: status, headers, body.
pub type Reply = (u16, Vec<(&'static str, String)>, Vec<u8>);

/// Answers scripted replies in order (a 500 once they run out) and records each request's URL
/// and bearer token.
#[derive(Debug, Default)]
pub struct Script {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<(String, Option<String>)>>,
}

impl Script {
    pub fn reply(self, status: u16, body: &str) -> Script {
        self.reply_with(status, Vec::new(), body.as_bytes().to_vec())
    }

    pub fn reply_with(
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

    pub fn urls(&self) -> Vec<String> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .map(|(url, _)| url.clone())
            .collect()
    }

    /// Each request's `Authorization` header, in order.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, auth)| auth.clone())
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

/// The access token [`Tokens`] hands out.
pub const TOKEN: &str = "scripted-token";

/// Hands out [`TOKEN`] for any scope and records what was asked.
#[derive(Debug, Default)]
pub struct Tokens(Mutex<Vec<String>>);

impl Tokens {
    /// The scopes asked for, one entry per request (space-joined).
    pub fn asked(&self) -> Vec<String> {
        self.0.lock().expect("lock").clone()
    }
}

#[async_trait]
impl TokenCredential for Tokens {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.0.lock().expect("lock").push(scopes.join(" "));
        Ok(AccessToken::new(
            Secret::new(TOKEN),
            OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

/// A connection of `cloud` with GUIDs for tenant and client and nothing else.
pub fn settings(cloud: Cloud) -> ConnectionSettings {
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

/// Two quick retries, so a test of the retry path takes milliseconds.
pub fn quick_azure() -> AzureOptions {
    AzureOptions {
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retries: 2,
        ..AzureOptions::default()
    }
}
