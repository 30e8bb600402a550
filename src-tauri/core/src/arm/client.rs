//! The ARM client: `azure_core`'s pipeline (retries honouring `Retry-After`, bearer tokens) over
//! the guarded transport of the Key Vault store, with typed JSON requests and bounded paging.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_core::http::policies::Policy;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    ClientOptions, Context, HttpClient, Method, Pipeline, PipelineSendOptions, Request, Transport,
    Url,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::errors::{Doing, status_error};
use super::{arm_endpoint, arm_scope};
use crate::domain::connection::ConnectionSettings;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::azure::guard::{BoundCredential, GuardedTransport, too_many_pages_of};
use crate::store::azure::{AzureOptions, http_client, map_service_error};

/// The most one ARM answer may hold (a page of 1,000 subscriptions is well under 1 MiB).
pub const MAX_ARM_BODY: usize = 4 << 20;
/// The most pages one ARM listing follows (ARM pages hold up to 1,000 items).
pub const MAX_ARM_PAGES: usize = 1_000;

const SERVICE: &str = "Azure Resource Manager";

/// Retries, timeouts and caps of the ARM client.
#[derive(Debug, Clone)]
pub struct ArmOptions {
    pub azure: AzureOptions,
    pub body_cap: usize,
    pub max_pages: usize,
}

impl Default for ArmOptions {
    fn default() -> Self {
        ArmOptions {
            azure: AzureOptions::default(),
            body_cap: MAX_ARM_BODY,
            max_pages: MAX_ARM_PAGES,
        }
    }
}

/// One tenant's view of Azure Resource Manager, for the signed-in technician.
#[derive(Debug, Clone)]
pub struct ArmClient {
    pipeline: Pipeline,
    base: Url,
    tenant_id: String,
    max_pages: usize,
}

/// A page of an ARM listing (`{"value":[…],"nextLink":…}`).
#[derive(serde::Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "nextLink", default)]
    next_link: Option<String>,
}

impl ArmClient {
    /// The ARM client of `settings`' cloud for `tenant_id`, with `credential` (the home sign-in
    /// redeemed at that tenant: [`crate::signin::TenantCredential`]). Makes no request.
    pub fn new(
        credential: Arc<dyn TokenCredential>,
        tenant_id: &str,
        settings: &ConnectionSettings,
        options: &ArmOptions,
    ) -> AppResult<ArmClient> {
        let http = http_client(settings, &options.azure)?;
        ArmClient::over(
            credential,
            tenant_id,
            settings,
            Arc::new(http) as Arc<dyn HttpClient>,
            options,
        )
    }

    /// [`ArmClient::new`] over a given HTTP client (tests script one); the guard still applies.
    pub(crate) fn over(
        credential: Arc<dyn TokenCredential>,
        tenant_id: &str,
        settings: &ConnectionSettings,
        http: Arc<dyn HttpClient>,
        options: &ArmOptions,
    ) -> AppResult<ArmClient> {
        let endpoint = arm_endpoint(settings.cloud, &settings.authority_host());
        let base = Url::parse(&endpoint).map_err(|_| {
            AppError::field(
                "authorityHost",
                format!("The Resource Manager address {endpoint} is not a URL."),
                "Check the client's cloud and authority host.",
            )
        })?;
        let scope = arm_scope(settings.cloud);
        let bound: Arc<dyn TokenCredential> = Arc::new(BoundCredential::for_resource(
            credential,
            &scope,
            &endpoint,
            "Azure Resource Manager of this client's cloud",
        ));
        let transport = GuardedTransport::over(http, &endpoint, options.body_cap, SERVICE);
        let client_options = ClientOptions {
            transport: Some(Transport::new(Arc::new(transport))),
            retry: options.azure.retry(),
            ..Default::default()
        };
        // Per try: a fresh token for each retry (one that expired while waiting is renewed).
        let auth: Arc<dyn Policy> = Arc::new(BearerTokenAuthorizationPolicy::new(bound, [scope]));
        let pipeline = Pipeline::new(
            Some("akv-console-arm"),
            Some(env!("CARGO_PKG_VERSION")),
            client_options,
            Vec::new(),
            vec![auth],
            None,
        );
        Ok(ArmClient {
            pipeline,
            base,
            tenant_id: tenant_id.to_string(),
            max_pages: options.max_pages,
        })
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// `https://management.azure.com` or the cloud's own.
    pub fn endpoint(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `{base}{path}?api-version=…` (`path` starts with `/`; its own query, if any, is kept).
    fn url(&self, path: &str, api_version: &str) -> AppResult<Url> {
        let mut url = self
            .base
            .join(path)
            .map_err(|e| AppError::internal(format!("ARM path {path}: {e}")))?;
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        Ok(url)
    }

    /// Sends one request; answers the status and body of a 2xx, a named error otherwise.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        doing: &Doing,
    ) -> AppResult<(u16, Vec<u8>)> {
        if url.origin() != self.base.origin() {
            return Err(foreign_link(&url, &self.base));
        }
        let mut request = Request::new(url, method);
        request.insert_header("accept", "application/json");
        if let Some(body) = body {
            request.insert_header("content-type", "application/json");
            request.set_body(body);
        }
        let options = PipelineSendOptions {
            // Statuses are mapped here, with ARM's error body and the role that was missing.
            skip_checks: true,
            ..Default::default()
        };
        let response = self
            .pipeline
            .send(&Context::new(), &mut request, Some(options))
            .await
            .map_err(|e| map_service_error(e, doing.what, "Azure Resource Manager"))?;
        let status = u16::from(response.status());
        let bytes = response.into_body().as_ref().to_vec();
        if (200..300).contains(&status) {
            Ok((status, bytes))
        } else {
            Err(status_error(status, &bytes, doing))
        }
    }

    fn decode<T: DeserializeOwned>(bytes: &[u8], doing: &Doing) -> AppResult<T> {
        serde_json::from_slice(bytes).map_err(|e| {
            AppError::new(
                ErrorCode::UnexpectedResponse,
                format!(
                    "Azure Resource Manager's answer when trying to {} could not be read ({e}).",
                    doing.what
                ),
                "Try again later. If it persists, something between this PC and Azure may be changing the answers.",
            )
        })
    }

    /// `GET {path}`: the resource.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        doing: &Doing,
    ) -> AppResult<T> {
        let (_, bytes) = self
            .send(Method::Get, self.url(path, api_version)?, None, doing)
            .await?;
        Self::decode(&bytes, doing)
    }

    /// `GET {path}`, `None` on 404 (a resource that does not exist yet).
    pub(crate) async fn get_optional<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        doing: &Doing,
    ) -> AppResult<Option<T>> {
        match self.get(path, api_version, doing).await {
            Ok(found) => Ok(Some(found)),
            Err(error) if error.code == ErrorCode::ResourceNotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `PUT`/`POST {path}` with a JSON body: the status (200 updated, 201 created) and resource.
    pub(crate) async fn write<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
        body: &B,
        doing: &Doing,
    ) -> AppResult<(u16, T)> {
        let body = serde_json::to_vec(body)
            .map_err(|e| AppError::internal(format!("ARM request body: {e}")))?;
        let (status, bytes) = self
            .send(method, self.url(path, api_version)?, Some(body), doing)
            .await?;
        Ok((status, Self::decode(&bytes, doing)?))
    }

    /// Every item of a listing at `path` (its query is kept, `api-version` added), following
    /// `nextLink`s on the same host only and at most `max_pages` pages.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        doing: &Doing,
    ) -> AppResult<Vec<T>> {
        let mut items = Vec::new();
        let mut next = Some(self.url(path, api_version)?);
        let mut pages = 0usize;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > self.max_pages {
                return Err(too_many_pages_of(SERVICE, self.max_pages));
            }
            let (_, bytes) = self.send(Method::Get, url, None, doing).await?;
            let page: Page<T> = Self::decode(&bytes, doing)?;
            items.extend(page.value);
            if let Some(link) = page.next_link.filter(|link| !link.trim().is_empty()) {
                let url = Url::parse(&link).map_err(|_| {
                    AppError::new(
                        ErrorCode::UnexpectedResponse,
                        "Azure Resource Manager sent a next-page link that is not a URL.",
                        "Try again later. If it persists, something between this PC and Azure may be changing the answers.",
                    )
                })?;
                next = Some(url);
            }
        }
        Ok(items)
    }
}

/// A `nextLink` (or any request) to another host than the client's ARM endpoint.
fn foreign_link(url: &Url, base: &Url) -> AppError {
    AppError::new(
        ErrorCode::UntrustedServer,
        format!(
            "Azure Resource Manager's answer sent the console on to {}, which is not {} ({}); nothing was sent there.",
            url.host_str().unwrap_or("another address"),
            SERVICE,
            base.origin().ascii_serialization()
        ),
        "Check the client's cloud. If it is right, something between this PC and Azure is rewriting the answers: tell your Azure administrator.",
    )
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
