//! Behind a corporate proxy: the console's sign-in and Key Vault traffic go through the proxy the
//! environment names (`HTTPS_PROXY`; on Windows and macOS also the system's proxy settings, which
//! only the hosted runners can exercise). A local CONNECT proxy records every tunnel it opens.
//! Its own test binary: it sets the proxy variables for the whole process before any client
//! is built.

mod support;

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use support::clients::{client, pc};
use support::*;

/// An HTTP CONNECT proxy on 127.0.0.1 that tunnels to wherever it is asked and records where.
struct ConnectProxy {
    address: String,
    tunnels: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    async fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let address = listener.local_addr().expect("proxy address").to_string();
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let recorded = tunnels.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let _ = tunnel(stream, recorded).await;
                });
            }
        });
        ConnectProxy { address, tunnels }
    }

    fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

async fn tunnel(stream: TcpStream, recorded: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let mut client = BufReader::new(stream);
    let mut request_line = String::new();
    client.read_line(&mut request_line).await?;
    // The header lines, up to the blank line.
    loop {
        let mut line = String::new();
        if client.read_line(&mut line).await? == 0 || line == "\r\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        client
            .get_mut()
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    if let Ok(mut tunnels) = recorded.lock() {
        tunnels.push(target.to_string());
    }
    let mut upstream = TcpStream::connect(target).await?;
    client
        .get_mut()
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(client.get_mut(), &mut upstream).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_and_the_vault_go_through_the_proxy_the_environment_names() {
    let proxy = ConnectProxy::start().await;
    // SAFETY: the only test of this binary, set before any HTTP client is built.
    unsafe {
        std::env::set_var("HTTPS_PROXY", format!("http://{}", proxy.address));
        for bypass in ["NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"] {
            std::env::remove_var(bypass);
        }
    }
    let emulator = emulator().await;
    let vault = url::Url::parse(&emulator.vault_url()).expect("vault URL");
    let vault_target = format!(
        "{}:{}",
        vault.host_str().expect("host"),
        vault.port_or_known_default().expect("port")
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let core = pc(dir.path());
    core.set_profile("Dana Reyes", None).await.expect("profile");
    core.save_client(client("Contoso Dental", settings(&emulator), SECRET, false))
        .await
        .expect("connects through the proxy");
    assert_eq!(core.status().await.connected, 1);

    let tunnels = proxy.tunnels();
    assert!(
        tunnels.contains(&vault_target),
        "the vault's traffic went through the proxy: {tunnels:?}"
    );
    let authority = url::Url::parse(&emulator.authority_host()).expect("authority URL");
    let authority_target = format!(
        "{}:{}",
        authority.host_str().expect("host"),
        authority.port_or_known_default().expect("port")
    );
    assert!(
        tunnels.contains(&authority_target),
        "the token request went through the proxy: {tunnels:?}"
    );
}
