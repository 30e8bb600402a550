//! What the Azure SDK may do with a connection's tokens and how much of an answer it may read.
//!
//! The SDK's Key Vault client asks its credential for whatever scope a vault's 401 challenge
//! names, and attaches the token to every request of its pipeline, `nextLink`s included. So the
//! console binds both ends: the credential handed to the client mints only the connection's own
//! vault scope ([`BoundCredential`]), and the transport sends only to the connection's own vault
//! (or, for the app-secret credential, its own Entra authority) and stops reading an answer past
//! a cap ([`GuardedTransport`]), so a server streaming without end cannot exhaust memory.

use std::sync::Arc;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::http::{AsyncRawResponse, HttpClient, Request, Url};
use futures::StreamExt;

use crate::error::{AppError, ErrorCode};

/// The most one Key Vault answer (a page of 25 secrets is a few kB) may hold.
pub const MAX_VAULT_BODY: usize = 4 << 20;
/// The most one token answer from Entra ID may hold.
pub const MAX_AUTHORITY_BODY: usize = 1 << 20;
/// The most pages one listing follows (250,000 secrets at 25 a page; a vault holds far fewer).
pub const MAX_PAGES: usize = 10_000;

/// `https://vault.azure.net/.default` and `https://VAULT.azure.net//.default` name one scope.
fn normal_scope(scope: &str) -> String {
    let resource = scope
        .trim()
        .strip_suffix("/.default")
        .unwrap_or(scope.trim());
    format!(
        "{}/.default",
        resource.trim_end_matches('/').to_ascii_lowercase()
    )
}

fn refused(error: AppError) -> azure_core::Error {
    azure_core::Error::with_message(ErrorKind::Other, error.carry())
}

/// The credential handed to the Key Vault client: a token for the connection's own vault
/// resource and nothing else, whatever a challenge asks for.
#[derive(Debug)]
pub struct BoundCredential {
    inner: Arc<dyn TokenCredential>,
    scope: String,
    vault_host: String,
    /// What the one scope is, for the refusal ("this vault's own Key Vault resource").
    resource: &'static str,
}

impl BoundCredential {
    pub fn new(inner: Arc<dyn TokenCredential>, scope: &str, vault_url: &str) -> BoundCredential {
        BoundCredential::for_resource(
            inner,
            scope,
            vault_url,
            "this vault's own Key Vault resource",
        )
    }

    /// A credential minting only `scope`, for the service at `url` (`resource` names it).
    pub fn for_resource(
        inner: Arc<dyn TokenCredential>,
        scope: &str,
        url: &str,
        resource: &'static str,
    ) -> BoundCredential {
        BoundCredential {
            resource,
            inner,
            scope: normal_scope(scope),
            vault_host: Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default(),
        }
    }
}

#[async_trait]
impl TokenCredential for BoundCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        if let [scope] = scopes
            && normal_scope(scope) == self.scope
        {
            return self.inner.get_token(&[self.scope.as_str()], options).await;
        }
        Err(refused(AppError::new(
            ErrorCode::UntrustedServer,
            format!(
                "The server at {} asked for a token for {}; the console only gives it a token for {}, so nothing was sent.",
                self.vault_host,
                scopes.join(" "),
                self.resource
            ),
            "Check this client's vault URL and cloud. If they are right, the server at that address is not the Azure Key Vault it claims to be: tell your Azure administrator.",
        )))
    }
}

/// The HTTP client under one SDK client: sends only to `origin`, reads at most `cap` bytes of
/// an answer.
#[derive(Debug)]
pub struct GuardedTransport {
    http: Arc<dyn HttpClient>,
    origin: url::Origin,
    cap: usize,
    /// Who answers there, for the errors ("Key Vault", "Entra ID").
    service: &'static str,
}

impl GuardedTransport {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        cap: usize,
        service: &'static str,
    ) -> GuardedTransport {
        GuardedTransport::over(Arc::new(http), base_url, cap, service)
    }

    /// The same guard over any HTTP client (the ARM client's tests put a scripted one under it).
    pub fn over(
        http: Arc<dyn HttpClient>,
        base_url: &str,
        cap: usize,
        service: &'static str,
    ) -> GuardedTransport {
        GuardedTransport {
            http,
            // An unparsable URL gives an opaque origin, which no request matches.
            origin: Url::parse(base_url)
                .map(|u| u.origin())
                .unwrap_or_else(|_| url::Origin::new_opaque()),
            cap,
            service,
        }
    }
}

#[async_trait]
impl HttpClient for GuardedTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let target = request.url();
        if target.origin() != self.origin {
            return Err(refused(AppError::new(
                ErrorCode::UntrustedServer,
                format!(
                    "{}'s answer sent the console on to {}, which is not the server this connection talks to ({}); nothing was sent there.",
                    self.service,
                    target.host_str().unwrap_or("another address"),
                    self.origin.ascii_serialization()
                ),
                "Check this client's vault URL and cloud. If they are right, something between this PC and Azure is rewriting the answers: tell your Azure administrator.",
            )));
        }
        let response = self.http.execute_request(request).await?;
        let (status, headers, body) = response.deconstruct();
        let (cap, service) = (self.cap, self.service);
        let mut read = 0usize;
        let capped = body.map(move |chunk| {
            let chunk = chunk?;
            read = read.saturating_add(chunk.len());
            if read > cap {
                return Err(azure_core::Error::with_message(
                    ErrorKind::DataConversion,
                    too_large(service, cap).carry(),
                ));
            }
            Ok(chunk)
        });
        Ok(AsyncRawResponse::new(status, headers, Box::pin(capped)))
    }
}

/// An answer larger than the console reads.
pub fn too_large(service: &str, cap: usize) -> AppError {
    AppError::new(
        ErrorCode::UnexpectedResponse,
        format!(
            "{service}'s answer was larger than {} MiB, so the console stopped reading it.",
            cap >> 20
        ),
        "Check the client's cloud and vault URL: a proxy or a server that is not Azure may be answering. Try again later if it was a passing fault.",
    )
}

/// A listing that would not end.
pub fn too_many_pages() -> AppError {
    too_many_pages_of("Key Vault", MAX_PAGES)
}

/// `service` kept sending pages past `cap`.
pub fn too_many_pages_of(service: &str, cap: usize) -> AppError {
    AppError::new(
        ErrorCode::UnexpectedResponse,
        format!(
            "{service} kept sending more pages of the listing (over {cap}), so the console stopped."
        ),
        "Check the client's vault URL: a server that is not Azure Key Vault may be answering. Try again later if it was a passing fault.",
    )
}

/// Every item of a listing, following at most [`MAX_PAGES`] pages.
pub async fn collect_pages<P>(
    pager: azure_core::http::ItemIterator<P>,
) -> azure_core::Result<Vec<P::Item>>
where
    P: azure_core::http::pager::Page + Send + 'static,
{
    let mut pages = pager.into_pages();
    let mut items = Vec::new();
    let mut count = 0usize;
    while let Some(page) = pages.next().await {
        count += 1;
        if count > MAX_PAGES {
            return Err(azure_core::Error::with_message(
                ErrorKind::DataConversion,
                too_many_pages().carry(),
            ));
        }
        items.extend(page?.into_items().await?);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::credentials::Secret;
    use azure_core::time::OffsetDateTime;
    use std::sync::Mutex;

    #[derive(Debug, Default)]
    struct Recording(Mutex<Vec<String>>);

    #[async_trait]
    impl TokenCredential for Recording {
        async fn get_token(
            &self,
            scopes: &[&str],
            _options: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            if let Ok(mut asked) = self.0.lock() {
                asked.push(scopes.join(" "));
            }
            Ok(AccessToken::new(
                Secret::new("token"),
                OffsetDateTime::UNIX_EPOCH,
            ))
        }
    }

    #[tokio::test]
    async fn only_the_connections_own_vault_scope_is_minted() {
        let inner = Arc::new(Recording::default());
        let bound = BoundCredential::new(
            inner.clone(),
            "https://127.0.0.1:8443/.default",
            "https://127.0.0.1:8443",
        );
        bound
            .get_token(&["https://127.0.0.1:8443/.default"], None)
            .await
            .expect("own scope");
        for asked in [
            vec!["https://vault.azure.net/.default"],
            vec!["https://graph.microsoft.com/.default"],
            vec!["https://127.0.0.1:8443/.default", "openid"],
        ] {
            let error = bound.get_token(&asked, None).await.expect_err("refused");
            let carried = AppError::carried(&error.to_string()).expect("named");
            assert_eq!(carried.code, ErrorCode::UntrustedServer);
        }
        assert_eq!(
            *inner.0.lock().expect("lock"),
            vec!["https://127.0.0.1:8443/.default".to_string()],
            "the inner credential was asked for nothing else"
        );
    }
}
