//! A technician's tokens go only to their own vault, and no server can make the console read
//! without end: servers that only pretend to be a vault or Entra ID (answering Key Vault's 401
//! challenge for another resource, a discovery document sending the browser elsewhere, a body
//! streamed forever, a nextLink to another host) get no token and a named error.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use akv_core::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use akv_core::domain::secret::SecretValue;
use akv_core::error::{AppError, ErrorCode};
use akv_core::session::{AppCore, AppPaths, ConnectRequest};
use akv_core::signin::SignInMethod;
use akv_core::store::SecretStore;
use akv_core::store::azure::{AzureOptions, AzureStore};
use akv_tests::emulator::{
    AppRegistration, CONSOLE_ADMIN, DEFAULT_TENANT, Emulator, EmulatorConfig, GrantType,
    PublicClient, Role, TestUser,
};
use akv_tests::tls::TestCa;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TENANT: &str = DEFAULT_TENANT;
const CLIENT: &str = "44444444-4444-4444-8444-444444444444";
const SECRET: &str = "binding-client-secret~1";
const TECH: &str = "tess@contoso.example";

/// What a fake server answers to one request.
enum Reply {
    Fixed {
        status: &'static str,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// `200` and a JSON body that never ends.
    Endless,
}

/// One request a fake server saw.
#[derive(Debug, Clone)]
struct Seen {
    host: String,
    target: String,
    authorization: Option<String>,
}

/// A TLS server on 127.0.0.1 (trusted through the test CA) that answers with `answer` and
/// records every request's Host, target and Authorization header.
struct FakeServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    async fn start(
        ca: &TestCa,
        answer: impl Fn(&str, u16) -> Reply + Send + Sync + 'static,
    ) -> FakeServer {
        let tls = ca
            .issue_server_identity(&[])
            .and_then(|identity| identity.server_config())
            .expect("server identity");
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(answer);
        let record = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, answer, record) = (acceptor.clone(), answer.clone(), record.clone());
                tokio::spawn(async move {
                    let Ok(mut stream) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
                        match stream.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let text = String::from_utf8_lossy(&head).to_string();
                    let header = |name: &str| {
                        text.lines().find_map(|line| {
                            let (key, value) = line.split_once(':')?;
                            key.eq_ignore_ascii_case(name)
                                .then(|| value.trim().to_string())
                        })
                    };
                    let length: usize = header("content-length")
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0u8; length.min(1 << 20)];
                    if stream.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let target = text
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_string();
                    if let Ok(mut seen) = record.lock() {
                        seen.push(Seen {
                            host: header("host").unwrap_or_default(),
                            target: target.clone(),
                            authorization: header("authorization"),
                        });
                    }
                    match answer(&target, port) {
                        Reply::Fixed {
                            status,
                            headers,
                            body,
                        } => {
                            let mut out = format!(
                                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                                body.len()
                            );
                            for (name, value) in headers {
                                out.push_str(&format!("{name}: {value}\r\n"));
                            }
                            out.push_str("\r\n");
                            out.push_str(&body);
                            let _ = stream.write_all(out.as_bytes()).await;
                        }
                        Reply::Endless => {
                            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"value\":[";
                            if stream.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            let filler = vec![b' '; 64 * 1024];
                            // Bounded only so a console without a cap fails by timeout.
                            for _ in 0..(1 << 14) {
                                if stream.write_all(&filler).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                    let _ = stream.shutdown().await;
                });
            }
        });
        FakeServer { port, seen, task }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Every Authorization header that reached this server.
    fn authorizations(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter_map(|s| s.authorization)
            .collect()
    }
}

/// A "vault" that answers every request with Key Vault's 401 challenge for `resource`, its
/// `authorization` naming `authority` (a real vault's names Microsoft's sign-in host).
fn challenging(authority: String, resource: &'static str) -> impl Fn(&str, u16) -> Reply {
    move |_, _| {
        Reply::Fixed {
        status: "401 Unauthorized",
        headers: vec![(
            "WWW-Authenticate",
            format!("Bearer authorization=\"{authority}/{TENANT}\", resource=\"{resource}\""),
        )],
        body: r#"{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}"#.into(),
    }
    }
}

fn options() -> AzureOptions {
    AzureOptions {
        max_retries: 1,
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(100),
        max_total_elapsed: Duration::from_secs(5),
        request_timeout: Duration::from_secs(20),
        ..AzureOptions::default()
    }
}

fn custom(authority: &str, vault: &str, ca: &TestCa, auth: AuthMode) -> ConnectionSettings {
    ConnectionSettings {
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        vault_name: "msp-binding-vault".into(),
        cloud: Cloud::Custom,
        authority_host: Some(authority.into()),
        vault_url: Some(vault.into()),
        ca_pem: Some(ca.ca_pem().to_string()),
        auth,
        home_tenant_id: None,
    }
}

async fn emulator(ca: &Arc<TestCa>, extra_names: &[&str]) -> Emulator {
    Emulator::start(EmulatorConfig {
        ca: Some(ca.clone()),
        extra_server_names: extra_names.iter().map(|n| n.to_string()).collect(),
        apps: vec![AppRegistration::new(
            TENANT,
            CLIENT,
            SECRET,
            Some(Role::SecretsOfficer),
        )],
        public_clients: vec![PublicClient::new(TENANT, CLIENT)],
        users: vec![
            TestUser::new(TENANT, TECH, "Tess Tech")
                .with_vault_role(Role::SecretsOfficer)
                .with_app_role(CLIENT, CONSOLE_ADMIN),
        ],
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// A console on its own PC; the "system browser" only records where it was sent.
fn console(
    dir: &std::path::Path,
    options: AzureOptions,
) -> (Arc<AppCore>, Arc<Mutex<Vec<String>>>) {
    let opened: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = opened.clone();
    let core = AppCore::new(
        AppPaths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
        },
        false,
        Arc::new(|_| {}),
    )
    .with_options(options, None)
    .with_front_end(
        Arc::new(move |url: &str| {
            if let Ok(mut list) = seen.lock() {
                list.push(url.to_string());
            }
            Ok(())
        }),
        Arc::new(|| {}),
    );
    (Arc::new(core), opened)
}

/// Connect with a device code, approving it as `upn` the moment Entra shows it.
async fn connect_with_device_code(
    emulator: &Emulator,
    core: &Arc<AppCore>,
    settings: ConnectionSettings,
) -> Result<(), AppError> {
    emulator.set_device_code_interval(1);
    let connecting = {
        let core = core.clone();
        tokio::spawn(async move {
            core.connect(ConnectRequest {
                settings,
                client_secret: None,
                method: Some(SignInMethod::DeviceCode),
                remember: false,
            })
            .await
        })
    };
    for _ in 0..200 {
        if connecting.is_finished() {
            break;
        }
        for pending in emulator.pending_device_codes() {
            let _ = emulator.approve_device_code(&pending.user_code, TECH);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    connecting.await.expect("join").map(|_| ())
}

#[tokio::test]
async fn microsofts_sign_in_is_never_paired_with_a_vault_of_another_host() {
    let ca = Arc::new(TestCa::generate("token binding CA").expect("ca"));
    // The emulator plays login.microsoftonline.com (resolved to it); a second server plays a
    // foreign "vault" whose challenge asks for Key Vault's public resource.
    let entra = emulator(&ca, &["login.microsoftonline.com"]).await;
    let authority = format!("https://login.microsoftonline.com:{}", entra.port());
    let foreign = FakeServer::start(
        &ca,
        challenging(authority.clone(), "https://vault.azure.net"),
    )
    .await;
    let mut options = options();
    options.resolve = vec![(
        "login.microsoftonline.com".into(),
        std::net::SocketAddr::from(([127, 0, 0, 1], entra.port())),
    )];
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, _) = console(dir.path(), options);
    core.set_profile("Tess Tech", None).await.expect("profile");

    let refused = core
        .connect(ConnectRequest {
            settings: custom(&authority, &foreign.url(), &ca, AuthMode::AppSecret),
            client_secret: Some(SecretValue::new(SECRET)),
            method: None,
            remember: false,
        })
        .await
        .expect_err("a public-cloud sign-in with a foreign vault is refused");
    assert_eq!(refused.code, ErrorCode::InvalidInput, "{refused:?}");
    assert_eq!(refused.field.as_deref(), Some("vaultUrl"));
    assert!(refused.message.contains("127.0.0.1"), "{refused:?}");
    assert!(
        foreign.authorizations().is_empty(),
        "no bearer token reached the foreign server: {:?}",
        foreign.authorizations()
    );
    assert_eq!(
        entra.grant_count(GrantType::ClientCredentials),
        0,
        "refused before any token was requested"
    );
}

#[tokio::test]
async fn a_challenge_for_another_resource_gets_no_token() {
    let ca = Arc::new(TestCa::generate("token binding CA").expect("ca"));
    let entra = emulator(&ca, &[]).await;
    for resource in ["https://vault.azure.net", "https://graph.microsoft.com"] {
        let foreign = FakeServer::start(&ca, challenging(entra.authority_host(), resource)).await;
        let settings = custom(
            &entra.authority_host(),
            &foreign.url(),
            &ca,
            AuthMode::AppSecret,
        )
        .validated()
        .expect("valid");
        // A custom vault's tokens are for its own host, never Key Vault's public resource.
        assert_eq!(
            settings.vault_scope(),
            format!("{}/.default", foreign.url())
        );
        let store =
            AzureStore::connect(&settings, &SecretValue::new(SECRET), &options()).expect("builds");
        let error = store.list_all().await.expect_err("no listing");
        assert_eq!(
            error.code,
            ErrorCode::UntrustedServer,
            "{resource}: {error:?}"
        );
        assert!(error.message.contains(resource), "{error:?}");
        assert!(
            foreign.authorizations().is_empty(),
            "{resource}: {:?}",
            foreign.authorizations()
        );
    }
}

#[tokio::test]
async fn a_signed_in_technician_gives_a_graph_challenge_no_graph_token() {
    let ca = Arc::new(TestCa::generate("token binding CA").expect("ca"));
    let entra = emulator(&ca, &[]).await;
    let foreign = FakeServer::start(
        &ca,
        challenging(entra.authority_host(), "https://graph.microsoft.com"),
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, _) = console(dir.path(), options());
    let error = connect_with_device_code(
        &entra,
        &core,
        custom(
            &entra.authority_host(),
            &foreign.url(),
            &ca,
            AuthMode::SignIn,
        ),
    )
    .await
    .expect_err("the foreign vault is not served");
    assert_eq!(error.code, ErrorCode::UntrustedServer, "{error:?}");
    assert!(foreign.authorizations().is_empty(), "{:?}", foreign.seen());
    assert_eq!(
        entra.grant_count(GrantType::RefreshToken),
        0,
        "the refresh token was not redeemed for Graph"
    );
}

#[tokio::test]
async fn discovery_that_sends_the_browser_elsewhere_is_refused_before_it_opens() {
    let ca = Arc::new(TestCa::generate("token binding CA").expect("ca"));
    for elsewhere in [
        "https://login.evil.example/common/oauth2/v2.0/authorize".to_string(),
        "http://127.0.0.1:{port}/common/oauth2/v2.0/authorize".to_string(),
    ] {
        let authority = FakeServer::start(&ca, move |target, port| {
            let base = format!("https://127.0.0.1:{port}/{TENANT}");
            let body = if target.ends_with("/.well-known/openid-configuration") {
                serde_json::json!({
                    "issuer": format!("{base}/v2.0"),
                    "authorization_endpoint": elsewhere.replace("{port}", &port.to_string()),
                    "token_endpoint": format!("{base}/oauth2/v2.0/token"),
                    "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
                    "jwks_uri": format!("{base}/discovery/v2.0/keys"),
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["pairwise"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                })
            } else {
                serde_json::json!({"keys": []})
            };
            Reply::Fixed {
                status: "200 OK",
                headers: Vec::new(),
                body: body.to_string(),
            }
        })
        .await;
        let dir = tempfile::tempdir().expect("tempdir");
        let (core, opened) = console(dir.path(), options());
        let error = core
            .connect(ConnectRequest {
                settings: custom(&authority.url(), &authority.url(), &ca, AuthMode::SignIn),
                client_secret: None,
                method: Some(SignInMethod::Browser),
                remember: false,
            })
            .await
            .expect_err("refused");
        assert_eq!(error.code, ErrorCode::UntrustedServer, "{error:?}");
        assert!(error.message.contains("sign-in page"), "{error:?}");
        assert!(
            opened.lock().expect("lock").is_empty(),
            "no browser was opened"
        );
    }
}

#[tokio::test]
async fn answers_that_never_end_get_a_named_error() {
    let ca = Arc::new(TestCa::generate("token binding CA").expect("ca"));
    let entra = emulator(&ca, &[]).await;
    let endless = FakeServer::start(&ca, |_, _| Reply::Endless).await;

    // A "vault" streaming its first page forever.
    let settings = custom(
        &entra.authority_host(),
        &endless.url(),
        &ca,
        AuthMode::AppSecret,
    )
    .validated()
    .expect("valid");
    let store =
        AzureStore::connect(&settings, &SecretValue::new(SECRET), &options()).expect("builds");
    let error = tokio::time::timeout(Duration::from_secs(60), store.list_all())
        .await
        .expect("stops reading")
        .expect_err("no listing");
    assert_eq!(error.code, ErrorCode::UnexpectedResponse, "{error:?}");
    assert!(error.message.contains("4 MiB"), "{error:?}");

    // An "Entra ID" streaming its discovery document forever.
    let dir = tempfile::tempdir().expect("tempdir");
    let (core, _) = console(dir.path(), options());
    let error = tokio::time::timeout(
        Duration::from_secs(60),
        core.connect(ConnectRequest {
            settings: custom(&endless.url(), &endless.url(), &ca, AuthMode::SignIn),
            client_secret: None,
            method: Some(SignInMethod::DeviceCode),
            remember: false,
        }),
    )
    .await
    .expect("stops reading")
    .expect_err("no sign-in");
    assert_eq!(error.code, ErrorCode::UnexpectedResponse, "{error:?}");
    assert!(error.message.contains("1 MiB"), "{error:?}");
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let ca = Arc::new(TestCa::generate("token binding CA").expect("ca"));
    let entra = emulator(&ca, &[]).await;
    // The first page answers without asking for a token; its nextLink names another host.
    let vault = FakeServer::start(&ca, |_, port| Reply::Fixed {
        status: "200 OK",
        headers: Vec::new(),
        body: serde_json::json!({
            "value": [],
            "nextLink": format!("https://localhost:{port}/secrets?page=2&api-version=2025-07-01"),
        })
        .to_string(),
    })
    .await;
    let settings = custom(
        &entra.authority_host(),
        &vault.url(),
        &ca,
        AuthMode::AppSecret,
    )
    .validated()
    .expect("valid");
    let store =
        AzureStore::connect(&settings, &SecretValue::new(SECRET), &options()).expect("builds");
    let error = store.list_all().await.expect_err("not followed");
    assert_eq!(error.code, ErrorCode::UntrustedServer, "{error:?}");
    assert!(error.message.contains("localhost"), "{error:?}");
    let seen = vault.seen();
    assert!(
        seen.iter().all(|s| !s.target.contains("page=2")),
        "{seen:?}"
    );
    assert!(seen.iter().all(|s| s.host.starts_with("127.0.0.1")));
}
