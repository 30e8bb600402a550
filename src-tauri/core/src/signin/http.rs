//! The HTTP client the OpenID Connect crate sends its requests through: the console's own
//! reqwest 0.13 client (the same TLS roots, timeouts and refusal to follow redirects as the Key
//! Vault client), adapted to `openidconnect`'s `AsyncHttpClient`. It talks only to the
//! authority's own origin (discovery, signing keys, token and device code endpoints all live
//! there at Entra), so a discovery document naming another host gets no request, and it reads
//! at most 1 MiB of an answer, so a server streaming without end cannot exhaust memory.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

use crate::store::azure::MAX_AUTHORITY_BODY;

/// Why a sign-in request did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum SignInHttpError {
    #[error("{0}")]
    Send(String),
    #[error("the answer could not be read: {0}")]
    Read(String),
    #[error("the answer was larger than {MAX_AUTHORITY_BODY} bytes")]
    TooLarge,
    /// A request for another origin than the authority's, never sent.
    #[error("refused to send a sign-in request to {0}")]
    OtherHost(String),
}

pub struct OidcHttp {
    client: reqwest::Client,
    /// The authority's scheme, host and port: the only place sign-in requests go.
    origin: url::Origin,
    /// Where the last answer's status and Retry-After go, for callers that retry: the OpenID
    /// Connect crate keeps neither in its errors.
    last_answer: Option<Arc<Mutex<Option<LastAnswer>>>>,
}

/// The status and `Retry-After` (seconds) of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastAnswer {
    pub status: u16,
    pub retry_after_secs: Option<u64>,
}

impl OidcHttp {
    pub fn new(client: reqwest::Client, authority_host: &str) -> OidcHttp {
        OidcHttp {
            client,
            origin: authority_origin(authority_host),
            last_answer: None,
        }
    }

    /// Also record each answer's status and Retry-After in `slot`.
    pub fn recording(mut self, slot: Arc<Mutex<Option<LastAnswer>>>) -> OidcHttp {
        self.last_answer = Some(slot);
        self
    }
}

/// The origin of an authority host; an unparsable one is opaque and matches nothing.
pub fn authority_origin(authority_host: &str) -> url::Origin {
    url::Url::parse(authority_host)
        .map(|u| u.origin())
        .unwrap_or_else(|_| url::Origin::new_opaque())
}

impl<'c> AsyncHttpClient<'c> for OidcHttp {
    type Error = SignInHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = parts.uri.to_string();
            let target = url::Url::parse(&url).map_err(|e| SignInHttpError::Send(e.to_string()))?;
            if target.origin() != self.origin {
                return Err(SignInHttpError::OtherHost(
                    target.host_str().unwrap_or("another address").to_string(),
                ));
            }
            let mut outgoing = self.client.request(parts.method, url).body(body);
            for (name, value) in &parts.headers {
                outgoing = outgoing.header(name, value);
            }
            let mut response = outgoing.send().await.map_err(|e| {
                // Keep the whole cause chain: "error sending request" alone names nothing.
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    text.push_str(" | ");
                    text.push_str(&cause.to_string());
                    source = cause.source();
                }
                SignInHttpError::Send(text)
            })?;
            let status = response.status();
            let headers = response.headers().clone();
            if let Some(slot) = &self.last_answer {
                let retry_after_secs = headers
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(LastAnswer {
                    status: status.as_u16(),
                    retry_after_secs,
                });
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| SignInHttpError::Read(e.to_string()))?
            {
                if bytes.len() + chunk.len() > MAX_AUTHORITY_BODY {
                    return Err(SignInHttpError::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
            }
            let mut built = http::Response::builder().status(status);
            if let Some(map) = built.headers_mut() {
                *map = headers;
            }
            built
                .body(bytes)
                .map_err(|e| SignInHttpError::Read(e.to_string()))
        })
    }
}
