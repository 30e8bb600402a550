//! The HTTP client the OpenID Connect crate sends its requests through: the console's own
//! reqwest 0.13 client (the same TLS roots, timeouts and refusal to follow redirects as the Key
//! Vault client), adapted to `openidconnect`'s `AsyncHttpClient`.

use std::future::Future;
use std::pin::Pin;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// Why a sign-in request did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum SignInHttpError {
    #[error("{0}")]
    Send(String),
    #[error("the answer could not be read: {0}")]
    Read(String),
}

pub struct OidcHttp(pub reqwest::Client);

impl<'c> AsyncHttpClient<'c> for OidcHttp {
    type Error = SignInHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = parts.uri.to_string();
            let mut outgoing = self.0.request(parts.method, url).body(body);
            for (name, value) in &parts.headers {
                outgoing = outgoing.header(name, value);
            }
            let response = outgoing.send().await.map_err(|e| {
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
            let bytes = response
                .bytes()
                .await
                .map_err(|e| SignInHttpError::Read(e.to_string()))?;
            let mut built = http::Response::builder().status(status);
            if let Some(map) = built.headers_mut() {
                *map = headers;
            }
            built
                .body(bytes.to_vec())
                .map_err(|e| SignInHttpError::Read(e.to_string()))
        })
    }
}
