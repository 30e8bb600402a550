//! The loopback redirect of the authorization-code flow (RFC 8252 §7.3): the console listens on
//! 127.0.0.1 on a port the OS picks, the system browser is sent to Entra, and Entra sends it
//! back to `http://127.0.0.1:{port}/?code=…&state=…`. The literal address, not `localhost`:
//! a browser may resolve `localhost` to `::1`, where another process may hold the same port.
//! Connections are served side by side, so one that never sends a request (a stray local
//! process, a browser's speculative connection) cannot hold up the redirect. Only the first
//! request that carries the expected `state` ends the wait; anything else (a favicon request,
//! a forged redirect) gets a 404 and is ignored.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{AppError, AppResult, ErrorCode};

/// The most a browser's request line and headers may take before the connection is dropped.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// How long one connection may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed unanswered until one ends.
const MAX_CONNECTIONS: usize = 64;

pub struct LoopbackListener {
    v4: TcpListener,
    port: u16,
}

/// What the browser brought back.
pub enum Redirect {
    Code(zeroize::Zeroizing<String>),
    /// Entra redirected with `error` (the user cancelled, consent refused, …).
    Refused {
        error: String,
        description: String,
    },
}

/// The authorization code is a credential (with the PKCE verifier it buys tokens): never in a
/// log or a panic message.
impl std::fmt::Debug for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Redirect::Code(_) => f.write_str("Code([redacted])"),
            Redirect::Refused { error, description } => f
                .debug_struct("Refused")
                .field("error", error)
                .field("description", description)
                .finish(),
        }
    }
}

impl LoopbackListener {
    pub async fn bind() -> AppResult<LoopbackListener> {
        let v4 = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| {
            AppError::new(
                ErrorCode::SignInFailed,
                format!("The console could not listen for the sign-in redirect ({e})."),
                "Use 'Sign in with a device code' instead, or check that local firewall software allows the console to listen on 127.0.0.1.",
            )
        })?;
        let port = v4
            .local_addr()
            .map(|a| a.port())
            .map_err(|e| AppError::internal(format!("loopback listener has no address: {e}")))?;
        Ok(LoopbackListener { v4, port })
    }

    /// The redirect URI sent to Entra. Entra accepts any port for a registered
    /// `http://127.0.0.1` redirect of a public client.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Wait for the browser to come back with `state`, for at most `timeout`.
    pub async fn wait(self, expected_state: &str, timeout: Duration) -> AppResult<Redirect> {
        let deadline = tokio::time::Instant::now() + timeout;
        let expected: Arc<str> = Arc::from(expected_state);
        let (found, mut redirects) = tokio::sync::mpsc::channel::<Redirect>(1);
        // Dropped on return: every connection still being served ends with the wait.
        let mut serving = tokio::task::JoinSet::new();
        loop {
            while serving.try_join_next().is_some() {}
            tokio::select! {
                accepted = self.v4.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    if serving.len() >= MAX_CONNECTIONS {
                        continue;
                    }
                    let (found, expected) = (found.clone(), expected.clone());
                    serving.spawn(async move {
                        if let Some(redirect) = handle(stream, &expected).await {
                            let _ = found.send(redirect).await;
                        }
                    });
                }
                Some(redirect) = redirects.recv() => return Ok(redirect),
                () = tokio::time::sleep_until(deadline) => {
                    return Err(AppError::new(
                        ErrorCode::SignInFailed,
                        "The sign-in in the browser did not finish in time.",
                        "Start again with 'Sign in with Microsoft'. If the browser cannot reach this PC's 127.0.0.1, use 'Sign in with a device code'.",
                    ));
                }
            }
        }
    }
}

/// Serve one connection; `Some` when it was the redirect we wait for.
async fn handle(mut stream: TcpStream, expected_state: &str) -> Option<Redirect> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    let read = tokio::time::timeout(REQUEST_TIMEOUT, async {
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buffer.extend_from_slice(&chunk[..n]);
            if buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                return Some(());
            }
            if buffer.len() > MAX_REQUEST_BYTES {
                return None;
            }
        }
    })
    .await;
    if !matches!(read, Ok(Some(()))) {
        return None;
    }
    let request_line = buffer
        .split(|&b| b == b'\n')
        .next()
        .and_then(|line| std::str::from_utf8(line).ok())
        .unwrap_or_default()
        .trim()
        .to_string();
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let parsed = url::Url::parse(&format!("http://127.0.0.1{target}")).ok();
    let params: Vec<(String, String)> = parsed
        .as_ref()
        .map(|url| url.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let state_matches = param("state").is_some_and(|state| state == expected_state);
    let outcome = if !state_matches {
        None
    } else if let Some(code) = param("code") {
        Some(Redirect::Code(zeroize::Zeroizing::new(code)))
    } else {
        param("error").map(|error| Redirect::Refused {
            error,
            description: param("error_description").unwrap_or_default(),
        })
    };
    let (status, body) = match &outcome {
        Some(Redirect::Code(_)) => (
            "200 OK",
            page(
                "Signed in",
                "You are signed in. Close this tab and return to API Key Vault Console.",
            ),
        ),
        Some(Redirect::Refused { .. }) => (
            "200 OK",
            page(
                "Sign-in not completed",
                "Entra ID did not sign you in. Return to API Key Vault Console for the reason.",
            ),
        ),
        None => ("404 Not Found", page("Not found", "Nothing here.")),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    outcome
}

fn page(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;margin:4em auto;max-width:32em\">\
         <h1 style=\"font-size:1.4em\">{title}</h1><p>{text}</p></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(port: u16, path: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
            .await
            .expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer
    }

    #[tokio::test]
    async fn only_the_redirect_with_the_right_state_ends_the_wait() {
        let listener = LoopbackListener::bind().await.expect("bind");
        let port = listener.port();
        assert_eq!(listener.redirect_uri(), format!("http://127.0.0.1:{port}/"));
        let waiting = tokio::spawn(listener.wait("expected-state", Duration::from_secs(10)));
        assert!(get(port, "/favicon.ico").await.starts_with("HTTP/1.1 404"));
        assert!(
            get(port, "/?code=forged&state=wrong")
                .await
                .starts_with("HTTP/1.1 404"),
            "a forged state is ignored"
        );
        let page = get(port, "/?code=the-code&state=expected-state").await;
        assert!(page.starts_with("HTTP/1.1 200") && page.contains("You are signed in"));
        match waiting.await.expect("join").expect("redirect") {
            Redirect::Code(code) => assert_eq!(code.as_str(), "the-code"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_idle_connection_does_not_hold_up_the_redirect() {
        let listener = LoopbackListener::bind().await.expect("bind");
        let port = listener.port();
        let waiting = tokio::spawn(listener.wait("s", Duration::from_secs(30)));
        // Connected, and never a byte: served one at a time, this held the wait for 10 s.
        let idle = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        let started = std::time::Instant::now();
        let page =
            tokio::time::timeout(Duration::from_secs(5), get(port, "/?code=the-code&state=s"))
                .await
                .expect("the redirect is answered while the idle connection waits");
        assert!(page.contains("You are signed in"), "{page}");
        let redirect = waiting.await.expect("join").expect("redirect");
        assert!(started.elapsed() < Duration::from_secs(5));
        let shown = format!("{redirect:?}");
        assert!(!shown.contains("the-code"), "the code is redacted: {shown}");
        drop(idle);
    }

    #[tokio::test]
    async fn an_error_redirect_is_reported_and_a_silent_browser_times_out() {
        let listener = LoopbackListener::bind().await.expect("bind");
        let port = listener.port();
        let waiting = tokio::spawn(listener.wait("s", Duration::from_secs(10)));
        get(
            port,
            "/?error=access_denied&error_description=AADSTS65004%3A+declined&state=s",
        )
        .await;
        match waiting.await.expect("join").expect("redirect") {
            Redirect::Refused { error, description } => {
                assert_eq!(error, "access_denied");
                assert!(description.contains("AADSTS65004"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let listener = LoopbackListener::bind().await.expect("bind");
        let error = listener
            .wait("s", Duration::from_millis(100))
            .await
            .expect_err("times out");
        assert_eq!(error.code, ErrorCode::SignInFailed);
    }
}
