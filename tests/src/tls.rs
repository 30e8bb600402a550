//! Test certificate authority and a small HTTPS/1.1 server loop shared by the Key Vault
//! emulator and the vendor stub.
//!
//! The official Azure clients refuse plain HTTP, and rustls as well as recent Python/urllib3
//! reject a CA certificate used directly as a server certificate, so every server here gets a
//! proper chain: a generated CA (`CA:TRUE`, keyCertSign) and a leaf (`CA:FALSE`, serverAuth,
//! SAN `IP:127.0.0.1` + `DNS:localhost`) signed by it. Clients trust the CA PEM.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::{Method, Request, Response, Uri};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

/// Anything that went wrong generating certificates or configuring TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError(pub String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TLS setup failed: {}", self.0)
    }
}

impl std::error::Error for TlsError {}

impl From<rcgen::Error> for TlsError {
    fn from(err: rcgen::Error) -> Self {
        TlsError(err.to_string())
    }
}

impl From<rustls::Error> for TlsError {
    fn from(err: rustls::Error) -> Self {
        TlsError(err.to_string())
    }
}

/// A throwaway certificate authority. One CA can sign the certificates of several test
/// servers, so a client only has to trust a single PEM.
pub struct TestCa {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

/// A leaf certificate (with its chain) and private key for one server.
pub struct ServerIdentity {
    /// Leaf first, then the CA.
    pub cert_chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
    /// The leaf certificate as PEM (handy for debugging with `openssl x509`).
    pub leaf_pem: String,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("leaf_pem", &self.leaf_pem)
            .finish_non_exhaustive()
    }
}

impl TestCa {
    /// Generates a fresh CA (ECDSA P-256), valid from yesterday for two years.
    pub fn generate(common_name: &str) -> Result<TestCa, TlsError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        set_validity(&mut params);
        let cert = params.self_signed(&key)?;
        Ok(TestCa {
            ca_pem: cert.pem(),
            ca_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate as PEM, for clients to trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Issues a server (leaf) certificate for `127.0.0.1`, `localhost` and any extra DNS
    /// names or IP addresses given.
    pub fn issue_server_identity(&self, extra_names: &[&str]) -> Result<ServerIdentity, TlsError> {
        let mut names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        names.extend(
            extra_names
                .iter()
                .filter(|name| !names.iter().any(|known| known == *name))
                .map(|name| name.to_string())
                .collect::<Vec<_>>(),
        );
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(names)?;
        params.distinguished_name = distinguished_name("akv-tests local server");
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        set_validity(&mut params);
        let leaf = params.signed_by(&key, &self.issuer)?;
        Ok(ServerIdentity {
            cert_chain: vec![leaf.der().clone(), self.ca_der.clone()],
            key_der: key.serialize_der(),
            leaf_pem: leaf.pem(),
        })
    }
}

impl ServerIdentity {
    /// A rustls server configuration (aws-lc-rs provider, HTTP/1.1 only via ALPN).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(self.cert_chain.clone(), key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

fn distinguished_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name.push(DnType::OrganizationName, "API Key Vault Console tests");
    name
}

fn set_validity(params: &mut CertificateParams) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(730);
}

/// One fully read HTTP request, as handed to a [`Handler`].
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub peer: SocketAddr,
}

/// What a handler wants done with a request.
pub enum Outcome {
    Respond(Response<Full<Bytes>>),
    /// A 200 whose body never ends: `chunk` repeated for as long as the client reads (a broken
    /// or hostile server; clients must cap what they read).
    Endless {
        content_type: &'static str,
        chunk: Bytes,
    },
    /// Close the connection without writing any response (simulates a network failure).
    DropConnection,
}

/// Boxed future returned by a [`Handler`].
pub type HandlerFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// The request handler a server runs for every request.
pub type Handler = Arc<dyn Fn(IncomingRequest) -> HandlerFuture + Send + Sync>;

/// A running HTTPS server; dropping it stops accepting and closes open connections.
pub struct HttpsServer {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl HttpsServer {
    /// Binds `127.0.0.1:port` (0 = any free port) and serves `handler` on the current tokio
    /// runtime.
    pub async fn start(
        port: u16,
        tls: Arc<rustls::ServerConfig>,
        handler: Handler,
    ) -> std::io::Result<HttpsServer> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let local_addr = listener.local_addr()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        tokio::spawn(accept_loop(
            listener,
            TlsAcceptor::from(tls),
            handler,
            shutdown_rx,
        ));
        Ok(HttpsServer {
            local_addr,
            shutdown,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// Stops the server (also done on drop).
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    handler: Handler,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => pair,
            // Transient accept errors (e.g. too many open files) must not kill the server.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let handler = handler.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp));
            let tls = match handshake.await {
                Ok(Ok(tls)) => tls,
                _ => return,
            };
            // Set by a handler that wants the connection dropped without a response.
            let drop_signal = Arc::new(Notify::new());
            let service_drop_signal = drop_signal.clone();
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let handler = handler.clone();
                let drop_signal = service_drop_signal.clone();
                async move {
                    let (parts, body) = request.into_parts();
                    let body = match body.collect().await {
                        Ok(collected) => collected.to_bytes(),
                        Err(_) => Bytes::new(),
                    };
                    let incoming = IncomingRequest {
                        method: parts.method,
                        uri: parts.uri,
                        headers: parts.headers,
                        body,
                        peer,
                    };
                    match handler(incoming).await {
                        Outcome::Respond(response) => {
                            Ok::<_, Infallible>(response.map(http_body_util::Either::Left))
                        }
                        Outcome::Endless {
                            content_type,
                            chunk,
                        } => {
                            let mut response =
                                Response::new(http_body_util::Either::Right(Endless(chunk)));
                            response.headers_mut().insert(
                                hyper::header::CONTENT_TYPE,
                                hyper::header::HeaderValue::from_static(content_type),
                            );
                            Ok(response)
                        }
                        Outcome::DropConnection => {
                            drop_signal.notify_one();
                            // The connection future is dropped by the select below.
                            std::future::pending().await
                        }
                    }
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(tls), service);
            tokio::select! {
                _ = connection => {}
                _ = drop_signal.notified() => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

/// A body that repeats one chunk forever (see [`Outcome::Endless`]).
struct Endless(Bytes);

impl hyper::body::Body for Endless {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(self.0.clone()))))
    }
}

/// Keeps a server started on its own thread and runtime alive, for callers without a tokio
/// runtime (end-to-end tests that drive a separate app process). Shared by the emulator and the
/// vendor stub.
pub struct BackgroundRuntime {
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl BackgroundRuntime {
    /// Run `start` on a new thread's runtime and return what it started, with the runtime that
    /// keeps it serving until [`BackgroundRuntime::stop`].
    pub fn spawn<T, E, F, Fut>(name: &str, start: F) -> Result<(T, BackgroundRuntime), E>
    where
        T: Send + 'static,
        E: From<std::io::Error> + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready_tx.send(Err(E::from(err)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let started = start().await;
                    let ok = started.is_ok();
                    let _ = ready_tx.send(started);
                    if ok {
                        // Keep serving until stopped.
                        let _ = stop_rx.await;
                    }
                });
            })
            .map_err(E::from)?;
        let started = ready_rx
            .recv()
            .map_err(|_| E::from(std::io::Error::other(format!("{name} thread exited early"))))??;
        Ok((
            started,
            BackgroundRuntime {
                stop: stop_tx,
                thread,
            },
        ))
    }

    /// Stop serving and wait for the thread.
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}
