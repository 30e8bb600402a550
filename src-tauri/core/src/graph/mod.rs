//! Microsoft Graph, read side: the one client every caller that reads a tenant's directory
//! shares: the app registrations' credentials ([`applications`]) and the client tenant's groups
//! for the provisioning wizard ([`groups`]).
//!
//! A room of its own beside the ARM room (`crate::arm`) rather than inside
//! `connectors::graph`: that module rotates one app's secret for a vendor key with the key's own
//! credentials, while this one reads for a connected client with the client's connection
//! credential, on `azure_core`'s pipeline (retries honouring `Retry-After`, bearer tokens). Host
//! and scope follow the same rules ([`graph_for_authority`], [`graph_scope`]): Graph only at the
//! cloud's Graph host (a custom authority, such as the emulator, serves it on its own host).
//! The same trust bounds as the Key Vault store apply (`store/azure/guard.rs`): the credential
//! mints only Graph's scope, the transport sends only to that Graph's origin, each answer is
//! read up to [`MAX_GRAPH_BODY`], a listing follows at most [`MAX_GRAPH_PAGES`] pages and never
//! an `@odata.nextLink` to another host.

pub mod applications;
pub mod groups;

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_core::http::policies::Policy;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    ClientOptions, Context, HttpClient, Method, Pipeline, PipelineSendOptions, Request, Transport,
    Url,
};

pub use crate::connectors::graph::{GRAPH_HOSTS, graph_for_authority, graph_scope};
use crate::domain::connection::ConnectionSettings;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::azure::guard::{BoundCredential, GuardedTransport, too_many_pages_of};
use crate::store::azure::{AzureOptions, http_client, map_service_error};

/// The most one Graph answer may hold: 999 applications with a few credentials each, selected
/// down to ids, names and credentials, stay well under this.
pub const MAX_GRAPH_BODY: usize = 8 << 20;
/// The most pages one listing follows (999 applications a page: about a hundred thousand).
pub const MAX_GRAPH_PAGES: usize = 100;

const SERVICE: &str = "Microsoft Graph";

/// Retries, timeouts and caps of the Graph client.
#[derive(Debug, Clone)]
pub struct GraphOptions {
    pub azure: AzureOptions,
    pub body_cap: usize,
    pub max_pages: usize,
}

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            azure: AzureOptions::default(),
            body_cap: MAX_GRAPH_BODY,
            max_pages: MAX_GRAPH_PAGES,
        }
    }
}

/// One tenant's Microsoft Graph, with one connection's credential.
#[derive(Debug, Clone)]
pub struct GraphClient {
    pipeline: Pipeline,
    base: Url,
    max_pages: usize,
    /// The bound credential the pipeline uses, kept to read the token's permissions when Graph
    /// refuses (its tokens are cached, so this asks for nothing new).
    credential: Arc<dyn TokenCredential>,
    scope: String,
}

/// Graph's refusal: the status and body, for the caller, who knows what permission was missing.
pub type Refusal = (u16, Vec<u8>);

/// A page of a Graph collection (`{"value":[…],"@odata.nextLink":…}`).
#[derive(serde::Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

impl GraphClient {
    /// The Graph of `settings`' cloud with `credential` (the connection's: the app secret, or
    /// the technician's sign-in redeemed at the client tenant). Makes no request.
    pub fn new(
        credential: Arc<dyn TokenCredential>,
        settings: &ConnectionSettings,
        options: &GraphOptions,
    ) -> AppResult<GraphClient> {
        let http = http_client(settings, &options.azure)?;
        GraphClient::over(credential, settings, Arc::new(http), options)
    }

    /// [`GraphClient::new`] over a given HTTP client; the guard still applies.
    pub(crate) fn over(
        credential: Arc<dyn TokenCredential>,
        settings: &ConnectionSettings,
        http: Arc<dyn HttpClient>,
        options: &GraphOptions,
    ) -> AppResult<GraphClient> {
        let endpoint = graph_for_authority(&settings.authority_host());
        // A trailing slash so that `join` keeps `/v1.0`.
        let base = Url::parse(&format!("{}/", endpoint.trim_end_matches('/'))).map_err(|_| {
            AppError::field(
                "authorityHost",
                format!("The Microsoft Graph address {endpoint} is not a URL."),
                "Check the client's cloud and authority host.",
            )
        })?;
        let scope = graph_scope(&endpoint);
        let bound: Arc<dyn TokenCredential> = Arc::new(BoundCredential::for_resource(
            credential,
            &scope,
            &endpoint,
            "Microsoft Graph of this client's cloud",
        ));
        let transport = GuardedTransport::over(http, &endpoint, options.body_cap, SERVICE);
        let client_options = ClientOptions {
            transport: Some(Transport::new(Arc::new(transport))),
            retry: options.azure.retry(),
            ..Default::default()
        };
        let auth: Arc<dyn Policy> = Arc::new(BearerTokenAuthorizationPolicy::new(
            bound.clone(),
            [scope.clone()],
        ));
        let pipeline = Pipeline::new(
            Some("akv-console-graph"),
            Some(env!("CARGO_PKG_VERSION")),
            client_options,
            Vec::new(),
            vec![auth],
            None,
        );
        Ok(GraphClient {
            pipeline,
            base,
            max_pages: options.max_pages,
            credential: bound,
            scope,
        })
    }

    /// `https://graph.microsoft.com/v1.0` or the cloud's own.
    pub fn endpoint(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `path_and_query` relative to `/v1.0/`.
    fn url(&self, path_and_query: &str) -> AppResult<Url> {
        self.base
            .join(path_and_query)
            .map_err(|e| AppError::internal(format!("Graph path {path_and_query}: {e}")))
    }

    /// One GET; the body of a 2xx, otherwise the status and body for the caller to name.
    async fn get(
        &self,
        url: Url,
        doing: &str,
        headers: &[(&'static str, &str)],
    ) -> AppResult<Result<Vec<u8>, Refusal>> {
        if url.origin() != self.base.origin() {
            return Err(foreign_link(&url, &self.base));
        }
        let mut request = Request::new(url, Method::Get);
        request.insert_header("accept", "application/json");
        for (name, value) in headers {
            request.insert_header(*name, value.to_string());
        }
        let options = PipelineSendOptions {
            // Statuses are named by the caller, which knows the permission that was missing.
            skip_checks: true,
            ..Default::default()
        };
        let response = self
            .pipeline
            .send(&Context::new(), &mut request, Some(options))
            .await
            .map_err(|e| map_service_error(e, doing, SERVICE))?;
        let status = u16::from(response.status());
        let bytes = response.into_body().as_ref().to_vec();
        Ok(if (200..300).contains(&status) {
            Ok(bytes)
        } else {
            Err((status, bytes))
        })
    }

    /// One GET of a single JSON document, or Graph's refusal.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
        doing: &str,
        headers: &[(&'static str, &str)],
    ) -> AppResult<Result<T, Refusal>> {
        match self.get(url, doing, headers).await? {
            Ok(bytes) => Ok(Ok(
                serde_json::from_slice(&bytes).map_err(|e| unreadable(doing, e))?
            )),
            Err(refusal) => Ok(Err(refusal)),
        }
    }

    /// Every item of the collection at `path_and_query` (relative to `/v1.0/`), following
    /// `@odata.nextLink` on the same origin only and at most `max_pages` pages. A refusal comes
    /// back as `Err(Ok((status, body)))` for the caller to name; everything else is named here.
    pub(crate) async fn list<T: serde::de::DeserializeOwned>(
        &self,
        path_and_query: &str,
        doing: &str,
    ) -> AppResult<Result<Vec<T>, Refusal>> {
        let first = self.url(path_and_query)?;
        let mut items = Vec::new();
        let mut next = Some(first);
        let mut pages = 0usize;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > self.max_pages {
                return Err(too_many_pages_of(SERVICE, self.max_pages));
            }
            let bytes = match self.get(url, doing, &[]).await? {
                Ok(bytes) => bytes,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let page: Page<T> = serde_json::from_slice(&bytes).map_err(|e| unreadable(doing, e))?;
            items.extend(page.value);
            if let Some(link) = page.next_link.filter(|link| !link.trim().is_empty()) {
                next = Some(Url::parse(&link).map_err(|_| {
                    AppError::new(
                        ErrorCode::UnexpectedResponse,
                        "Microsoft Graph sent a next-page link that is not a URL.",
                        "Try again later. If it persists, something between this PC and Microsoft may be changing the answers.",
                    )
                })?);
            }
        }
        Ok(Ok(items))
    }
}

fn unreadable(doing: &str, e: serde_json::Error) -> AppError {
    AppError::new(
        ErrorCode::UnexpectedResponse,
        format!("Microsoft Graph's answer when trying to {doing} could not be read ({e})."),
        "Try again later. If it persists, something between this PC and Microsoft may be changing the answers.",
    )
}

/// A `@odata.nextLink` (or any request) to another origin than the client's Graph.
fn foreign_link(url: &Url, base: &Url) -> AppError {
    AppError::new(
        ErrorCode::UntrustedServer,
        format!(
            "Microsoft Graph's answer sent the console on to {}, which is not this client's Graph ({}); nothing was sent there.",
            url.host_str().unwrap_or("another address"),
            base.origin().ascii_serialization()
        ),
        "Check the client's cloud. If it is right, something between this PC and Microsoft is rewriting the answers: tell your Azure administrator.",
    )
}

/// `code` and `message` of Graph's error body (`{"error":{"code","message",…}}`).
pub(crate) fn service_error(body: &[u8]) -> (String, String) {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let error = &value["error"];
    (
        error["code"].as_str().unwrap_or_default().to_string(),
        error["message"].as_str().unwrap_or_default().to_string(),
    )
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
