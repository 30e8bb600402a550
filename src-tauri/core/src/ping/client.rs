//! The HTTP client behind the ping and the connectors: short timeouts, no redirects (a redirect
//! could carry a key to another host), https only, the built-in roots plus any extra CA (merged,
//! never replacing them), and no loopback or private addresses outside tests.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::{AppError, AppResult, ErrorCode};

/// The whole ping (token exchange included) gives up after this long.
pub const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a vendor's answer the console reads. Every answer it needs (a token, a key, an
/// app's secrets list, an N-sight error) is a few KiB; a larger one is a fault or an attack,
/// and reading it whole would hold it in memory for nothing.
pub const MAX_VENDOR_BODY: usize = 1024 * 1024;

/// Why a vendor's answer could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The answer went past [`MAX_VENDOR_BODY`]; reading stopped there.
    TooLarge,
    Network(reqwest::Error),
}

/// Read a response body chunk by chunk, giving up as soon as it passes `limit` bytes (a
/// `Content-Length` over the limit is refused before reading). The bytes are zeroed on drop:
/// answers may carry credentials.
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<zeroize::Zeroizing<Vec<u8>>, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = zeroize::Zeroizing::new(Vec::new());
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Network)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        // Grow by hand so no reallocation leaves an unzeroed copy behind.
        if body.capacity() < body.len() + chunk.len() {
            let mut bigger = zeroize::Zeroizing::new(Vec::with_capacity(
                (body.len() + chunk.len())
                    .max(body.capacity() * 2)
                    .min(limit),
            ));
            bigger.extend_from_slice(&body);
            body = bigger;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Loopback, private (RFC 1918 / unique local), link-local, CGNAT, unspecified and multicast
/// addresses: nothing a vendor's public API lives on.
pub fn is_private_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private_address(IpAddr::V4(v4)))
        }
    }
}

/// Raised by the resolver when a vendor host name resolves to a private address.
#[derive(Debug)]
pub struct PrivateAddressRefused {
    pub host: String,
}

impl std::fmt::Display for PrivateAddressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} resolves to a private or loopback address", self.host)
    }
}

impl std::error::Error for PrivateAddressRefused {}

/// The system resolver, refusing names that resolve to private addresses (so a public-looking
/// name cannot be pointed at the LAN or at this machine, DNS rebinding included).
struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if found.iter().any(|addr| is_private_address(addr.ip())) {
                return Err(Box::new(PrivateAddressRefused { host }) as _);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// Builds the HTTP clients of pings and connectors.
#[derive(Clone)]
pub struct PingClient {
    base_roots: Vec<reqwest::Certificate>,
    allow_private: bool,
    http: reqwest::Client,
}

fn parse_pem(pem: &str) -> AppResult<Vec<reqwest::Certificate>> {
    reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
        AppError::new(
            ErrorCode::TlsFailure,
            format!("The extra CA certificate could not be read: {e}"),
            "Use a PEM file with one or more BEGIN CERTIFICATE blocks.",
        )
    })
}

impl PingClient {
    /// `extra_root_pem` adds trusted CAs for every ping next to the built-in roots (an MSP's
    /// TLS-inspecting proxy; the end-to-end build's vendor stub).
    pub fn new(extra_root_pem: Option<&str>) -> AppResult<PingClient> {
        let base_roots = match extra_root_pem {
            Some(pem) => parse_pem(pem)?,
            None => Vec::new(),
        };
        let http = build(&base_roots, &[], false)?;
        Ok(PingClient {
            base_roots,
            allow_private: false,
            http,
        })
    }

    /// Let pings reach loopback and private addresses: for tests against the local vendor stub
    /// only. Release builds ignore it.
    pub fn allowing_private_addresses_for_tests(mut self) -> AppResult<PingClient> {
        if cfg!(debug_assertions) {
            self.allow_private = true;
            self.http = build(&self.base_roots, &[], true)?;
        }
        Ok(self)
    }

    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// The client for one key: the shared one, or one that also trusts the key's own CA.
    pub fn http_for(&self, key_ca_pem: Option<&str>) -> AppResult<reqwest::Client> {
        match key_ca_pem {
            None => Ok(self.http.clone()),
            Some(pem) => build(&self.base_roots, &parse_pem(pem)?, self.allow_private),
        }
    }

    /// Refuse a URL whose host is an IP literal in a private range (names are checked by the
    /// resolver when they are looked up).
    pub fn check_url(&self, url: &url::Url) -> Result<(), String> {
        if self.allow_private {
            return Ok(());
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") => {
                return Err(name.to_string());
            }
            _ => None,
        };
        match ip {
            Some(ip) if is_private_address(ip) => Err(ip.to_string()),
            _ => Ok(()),
        }
    }
}

fn build(
    base_roots: &[reqwest::Certificate],
    key_roots: &[reqwest::Certificate],
    allow_private: bool,
) -> AppResult<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(PING_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .https_only(true)
        .user_agent(concat!("api-key-vault-console/", env!("CARGO_PKG_VERSION")));
    let roots: Vec<reqwest::Certificate> = base_roots.iter().chain(key_roots).cloned().collect();
    if !roots.is_empty() {
        // Merged with the platform's roots: a per-key CA for a self-signed FortiGate must not
        // stop every other vendor's public certificate from verifying.
        builder = builder.tls_certs_merge(roots);
    }
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
    }
    builder
        .build()
        .map_err(|e| AppError::internal(format!("HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.99",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:192.168.0.1",
        ] {
            let ip: IpAddr = private.parse().expect("ip");
            assert!(is_private_address(ip), "{private}");
        }
        for public in ["52.1.2.3", "8.8.8.8", "2606:4700::1111"] {
            let ip: IpAddr = public.parse().expect("ip");
            assert!(!is_private_address(ip), "{public}");
        }
    }

    #[test]
    fn ip_literals_and_localhost_are_refused_by_default() {
        let client = PingClient::new(None).expect("client");
        for url in [
            "https://127.0.0.1:8443/api",
            "https://[::1]/x",
            "https://localhost/x",
            "https://10.0.0.5/api",
        ] {
            let parsed = url::Url::parse(url).expect("url");
            assert!(client.check_url(&parsed).is_err(), "{url}");
        }
        let public = url::Url::parse("https://api.pax8.com/v1").expect("url");
        assert!(client.check_url(&public).is_ok());
        let testing = client
            .allowing_private_addresses_for_tests()
            .expect("client");
        let stub = url::Url::parse("https://127.0.0.1:8443/api").expect("url");
        assert!(testing.check_url(&stub).is_ok());
    }
}
