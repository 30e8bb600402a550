//! End-to-end harness: the real app window under Xvfb, driven through `tauri-driver` and
//! `WebKitWebDriver` (W3C WebDriver, via `fantoccini`).
//!
//! Each [`Profile`] is a throw-away home directory with its own D-Bus session and an unlocked
//! GNOME Keyring, so "remember this connection" uses a real Secret Service and survives an app
//! restart within the profile. Each [`App`] owns its Xvfb display and `tauri-driver`; dropping it
//! ends them (the WebDriver session is deleted first, which closes the app).

use std::path::{Path, PathBuf};

// The desktop itself (Xvfb, D-Bus, GNOME Keyring, WebKitWebDriver, process groups, /proc) is
// Linux's; the paths and markers below also serve tests that run elsewhere.
#[cfg(target_os = "linux")]
use std::os::unix::process::CommandExt;
#[cfg(target_os = "linux")]
use std::process::Command;
#[cfg(target_os = "linux")]
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
use fantoccini::{Client, Locator};
#[cfg(target_os = "linux")]
use serde_json::Value;

#[cfg(target_os = "linux")]
mod desktop;

#[cfg(target_os = "linux")]
pub use desktop::Profile;
#[cfg(target_os = "linux")]
use desktop::{Processes, connect, find_tool, free_port, start_xvfb};

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A binary of the workspace's debug build, or an error saying how to build it.
fn workspace_binary(name: &str, how: &str) -> Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let binary = target
        .join("debug")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        return Err(format!("{} is missing: {how}", binary.display()).into());
    }
    Ok(binary)
}

/// The app binary built with the UI embedded (`cargo build` at the workspace root).
pub fn app_binary() -> Result<PathBuf> {
    workspace_binary(
        "api-key-vault-console",
        "build the app first (`cargo build` at the repository root, after `npm --prefix ui run build`)",
    )
}

/// The headless companion (`cargo build --workspace`, or `cargo build -p akv-console`).
pub fn cli_binary() -> Result<PathBuf> {
    workspace_binary(
        "akv-console",
        "build it first (`cargo build --workspace` or `cargo build -p akv-console`)",
    )
}

/// Where end-to-end screenshots and files go (kept as test artifacts).
pub fn artifacts_dir() -> PathBuf {
    let dir = workspace_root().join("test-artifacts").join("e2e");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// How to start the app.
#[derive(Default, Clone)]
pub struct Launch {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Another build of the app (the installed package); the workspace's debug build if `None`.
    pub binary: Option<PathBuf>,
}

impl Launch {
    pub fn demo() -> Launch {
        Launch {
            args: vec!["--demo".into()],
            env: Vec::new(),
            binary: None,
        }
    }

    pub fn with_binary(mut self, binary: PathBuf) -> Launch {
        self.binary = Some(binary);
        self
    }

    pub fn with_env(mut self, key: &str, value: impl Into<String>) -> Launch {
        self.env.push((key.to_string(), value.into()));
        self
    }
}

/// What to type into the Connect modal.
pub struct ConnectForm<'a> {
    /// The technician's name, asked for (and marked "not verified") in app-secret mode.
    pub name: &'a str,
    /// The client's display name in the Clients list ("" leaves it to the vault's name).
    pub client_name: &'a str,
    pub tenant: &'a str,
    pub client: &'a str,
    pub secret: &'a str,
    pub vault: &'a str,
    pub remember: bool,
}

/// The Connect modal's "Sign in with Microsoft" fields and who approves the device code.
pub struct SignInForm<'a> {
    pub tenant: &'a str,
    pub client: &'a str,
    pub vault: &'a str,
    pub upn: &'a str,
}

/// The running app under test.
#[cfg(target_os = "linux")]
pub struct App {
    pub client: Client,
    processes: Processes,
    pub name: String,
    /// The X display the app runs on (e.g. `:140`).
    pub display: String,
}

/// Records every IPC reply (and event payload) the page receives. Tauri defines `invoke` as a
/// read-only property, so the recorder hooks the one place every reply passes through: the
/// callback table that `runCallback` looks replies up in.
#[cfg(target_os = "linux")]
const RECORD_REPLIES: &str = r#"
    if (!window.__akvReplies) {
      window.__akvReplies = [];
      const table = window.__TAURI_INTERNALS__.callbacks;
      const lookup = table.get.bind(table);
      table.get = (id) => {
        const callback = lookup(id);
        if (!callback) {
          return callback;
        }
        return (data) => {
          try {
            window.__akvReplies.push(JSON.stringify(data) ?? "undefined");
          } catch (error) {
            window.__akvReplies.push(String(data));
          }
          return callback(data);
        };
      };
    }
    return true;
"#;

#[cfg(target_os = "linux")]
impl App {
    /// Start Xvfb, tauri-driver and the app in `profile`.
    pub async fn launch(name: &str, profile: &Profile, launch: Launch) -> Result<App> {
        let binary = match &launch.binary {
            Some(binary) => binary.clone(),
            None => app_binary()?,
        };
        let (xvfb, display) = start_xvfb()?;
        // Owns the display now and the driver once it starts, so any early return below still
        // stops them.
        let mut processes = Processes {
            driver: None,
            xvfb: Some(xvfb),
        };
        let port = free_port()?;
        let native_port = free_port()?;
        let log = std::fs::File::create(artifacts_dir().join(format!("{name}-driver.log")))?;
        let driver = Command::new(find_tool("tauri-driver")?)
            .process_group(0)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .args([
                "--native-driver",
                &find_tool("WebKitWebDriver")?.display().to_string(),
            ])
            .env("DISPLAY", &display)
            .envs(profile.env())
            .envs(launch.env.iter().cloned())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        processes.driver = Some(driver);
        let mut app = App {
            client: connect(port, &binary, &launch.args).await?,
            processes,
            name: name.to_string(),
            display: display.clone(),
        };
        app.wait_for("[data-testid=connection-badge]", Duration::from_secs(30))
            .await?;
        app.client.execute(RECORD_REPLIES, vec![]).await?;
        app.name = name.to_string();
        Ok(app)
    }

    pub async fn wait_for(
        &self,
        css: &str,
        timeout: Duration,
    ) -> Result<fantoccini::elements::Element> {
        match self
            .client
            .wait()
            .at_most(timeout)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => Ok(element),
            Err(error) => {
                let shot = self.failure_screenshot().await;
                Err(
                    format!("{css} did not appear within {timeout:?}: {error} (screen: {shot})")
                        .into(),
                )
            }
        }
    }

    /// Keep a picture of the window when a wait fails, so a red test shows what the user saw.
    async fn failure_screenshot(&self) -> String {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        match self
            .screenshot(&format!("{}-failure-{millis}.png", self.name))
            .await
        {
            Ok(path) => path.display().to_string(),
            Err(error) => format!("no screenshot: {error}"),
        }
    }

    /// Choose `value` in the `<select>` at `css` once that option exists: a select's options
    /// often arrive from Rust after the select itself (the vendor catalog, a tenant's list).
    pub async fn select(&self, css: &str, value: &str) -> Result<()> {
        let option = format!("{css} option[value=\"{value}\"]");
        self.wait_for(&option, Duration::from_secs(10)).await?;
        self.find(css).await?.select_by_value(value).await?;
        Ok(())
    }

    pub async fn find(&self, css: &str) -> Result<fantoccini::elements::Element> {
        self.wait_for(css, Duration::from_secs(10)).await
    }

    /// Click like a person: bring the element to the middle of the window first (WebDriver's own
    /// scrolling stops at the edge, where toasts may sit).
    pub async fn click(&self, css: &str) -> Result<()> {
        let element = self.find(css).await?;
        self.client
            .execute(
                "arguments[0].scrollIntoView({ block: 'center', inline: 'center' });",
                vec![serde_json::to_value(&element)?],
            )
            .await?;
        element
            .click()
            .await
            .map_err(|e| format!("{css} could not be clicked: {e}"))?;
        Ok(())
    }

    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let element = self.find(css).await?;
        // Fields low in a scrolling modal body: bring them into view as a person would.
        self.client
            .execute(
                "arguments[0].scrollIntoView({ block: 'center', inline: 'center' });",
                vec![serde_json::to_value(&element)?],
            )
            .await?;
        element
            .clear()
            .await
            .map_err(|e| format!("{css} could not be cleared: {e}"))?;
        if text.is_empty() {
            // WebKitWebDriver rejects an empty "text", and Clear fires no input event: type a
            // character and delete it, as a person emptying the field would.
            element.send_keys("x\u{E003}").await?;
        } else {
            // A line break is typed as the Enter key, as a person pasting multi-line text would.
            element.send_keys(&text.replace('\n', "\u{E007}")).await?;
        }
        Ok(())
    }

    /// Keys typed with nothing in particular focused, as a shortcut is (WebDriver key codes, e.g.
    /// `\u{E035}` for F5).
    pub async fn press_key(&self, keys: &str) -> Result<()> {
        self.find("body").await?.send_keys(keys).await?;
        Ok(())
    }

    /// Keys to whatever has focus (a menu item, say), without moving the focus first as
    /// [`App::press_key`] does.
    pub async fn press_on_focused(&self, keys: &str) -> Result<()> {
        self.client.active_element().await?.send_keys(keys).await?;
        Ok(())
    }

    /// Resize the window, e.g. to the minimum 1,024 × 640 the app allows, for screenshots at
    /// both sizes a technician uses.
    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.client.set_window_size(width, height).await?;
        Ok(())
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    pub async fn count(&self, css: &str) -> Result<usize> {
        Ok(self.client.find_all(Locator::Css(css)).await?.len())
    }

    /// Poll `check` until it returns true.
    pub async fn eventually<F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: F,
    ) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<bool>>,
    {
        let started = Instant::now();
        loop {
            if check().await.unwrap_or(false) {
                return Ok(());
            }
            if started.elapsed() > timeout {
                let shot = self.failure_screenshot().await;
                return Err(format!("timed out waiting for {what} (screen: {shot})").into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn eval(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Everything the page could hold: the DOM, both storages, and every IPC reply recorded.
    pub async fn webview_contents(&self) -> Result<String> {
        let dom = self
            .eval("return document.documentElement.outerHTML;")
            .await?;
        let storage = self
            .eval("return JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } });")
            .await?;
        let replies = self
            .eval("return JSON.stringify(window.__akvReplies || []);")
            .await?;
        let values = self
            .eval("return JSON.stringify(Array.from(document.querySelectorAll('input,textarea')).map(e => e.value));")
            .await?;
        Ok(format!("{dom}\n{storage}\n{replies}\n{values}"))
    }

    /// The IPC replies recorded so far, as the JSON text each arrived as.
    pub async fn replies(&self) -> Result<Vec<String>> {
        let raw = self
            .eval("return JSON.stringify(window.__akvReplies || []);")
            .await?;
        Ok(serde_json::from_str(raw.as_str().unwrap_or("[]"))?)
    }

    /// Save what is on the app's screen. The picture is taken from the X display (what a person
    /// would see): WebKitWebDriver's own screenshot sometimes returns an earlier frame of the page.
    pub async fn screenshot(&self, file: &str) -> Result<PathBuf> {
        // Let the page paint what the DOM already holds: two animation frames, then a moment
        // for the window to reach the X server (painting lags the DOM on a busy machine).
        let _ = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let path = artifacts_dir().join(file);
        let taken = Command::new("import")
            .args([
                "-display",
                &self.display,
                "-window",
                "root",
                "-trim",
                "+repage",
            ])
            .arg(&path)
            .status();
        match taken {
            Ok(status) if status.success() => Ok(path),
            _ => {
                // Without ImageMagick, fall back to WebDriver's screenshot.
                let png = self.client.screenshot().await?;
                std::fs::write(&path, png)?;
                Ok(path)
            }
        }
    }

    /// First start outside demo mode: the console asks who is using it.
    pub async fn set_profile(&self, name: &str, role: &str) -> Result<()> {
        self.find("[data-testid=profile-modal]").await?;
        self.type_into("[data-testid=profile-name]", name).await?;
        self.select("[data-testid=profile-role]", role).await?;
        self.click("[data-testid=profile-save]").await?;
        self.eventually(
            "the profile modal to close",
            Duration::from_secs(10),
            || async { Ok(self.count("[data-testid=profile-modal]").await? == 0) },
        )
        .await
    }

    /// The connection fields of the Connect modal, for a Custom cloud pointing at `emulator`.
    async fn fill_connection(
        &self,
        emulator: &crate::emulator::Emulator,
        tenant: &str,
        client: &str,
        vault: &str,
    ) -> Result<()> {
        self.type_into("[data-testid=connect-tenant]", tenant)
            .await?;
        self.type_into("[data-testid=connect-client]", client)
            .await?;
        self.type_into("[data-testid=connect-vault]", vault).await?;
        self.select("[data-testid=connect-cloud]", "custom").await?;
        self.type_into(
            "[data-testid=connect-authority]",
            &emulator.authority_host(),
        )
        .await?;
        self.type_into("[data-testid=connect-vault-url]", &emulator.vault_url())
            .await?;
        self.type_into("[data-testid=connect-ca]", &emulator.ca_pem())
            .await
    }

    /// Fill the Connect modal (app registration secret) for a Custom cloud pointing at
    /// `emulator` and submit it.
    pub async fn connect_to(
        &self,
        emulator: &crate::emulator::Emulator,
        form: &ConnectForm<'_>,
    ) -> Result<()> {
        self.click("[data-testid=open-connect]").await?;
        self.fill_app_secret_client(emulator, form).await
    }

    /// One of the Clients list's less frequent actions (`provision-vault`, `discover-clients`,
    /// `import-clients`, `export-clients`), from its More menu.
    pub async fn client_list_action(&self, testid: &str) -> Result<()> {
        self.click("[data-testid=clients-more]").await?;
        self.click(&format!(
            "[data-testid=clients-more-menu] [data-testid={testid}]"
        ))
        .await
    }

    /// Add another client from the sidebar's Clients list (app registration secret).
    pub async fn add_client(
        &self,
        emulator: &crate::emulator::Emulator,
        form: &ConnectForm<'_>,
    ) -> Result<()> {
        self.click("[data-testid=add-client]").await?;
        self.fill_app_secret_client(emulator, form).await
    }

    async fn fill_app_secret_client(
        &self,
        emulator: &crate::emulator::Emulator,
        form: &ConnectForm<'_>,
    ) -> Result<()> {
        self.find("[data-testid=connect-modal]").await?;
        if !form.client_name.is_empty() {
            self.type_into("[data-testid=connect-client-name]", form.client_name)
                .await?;
        }
        self.click("[data-testid=connect-way-app-secret]").await?;
        self.type_into("[data-testid=connect-name]", form.name)
            .await?;
        self.type_into("[data-testid=connect-secret]", form.secret)
            .await?;
        self.fill_connection(emulator, form.tenant, form.client, form.vault)
            .await?;
        if form.remember {
            self.click("[data-testid=connect-remember]").await?;
        }
        self.click("[data-testid=connect-submit]").await
    }

    /// "Sign in with Microsoft" with a device code: fill the modal, ask for a code, read it
    /// from the window and enter it at the emulator as `upn` would on their phone.
    pub async fn sign_in_with_device_code(
        &self,
        emulator: &crate::emulator::Emulator,
        form: &SignInForm<'_>,
    ) -> Result<()> {
        self.click("[data-testid=open-connect]").await?;
        self.find("[data-testid=connect-modal]").await?;
        self.click("[data-testid=connect-way-sign-in]").await?;
        self.fill_connection(emulator, form.tenant, form.client, form.vault)
            .await?;
        self.click("[data-testid=connect-device-code]").await?;
        let code = self
            .wait_for("[data-testid=device-code]", Duration::from_secs(30))
            .await?
            .text()
            .await?;
        let uri = self.text("[data-testid=device-code-uri]").await?;
        if uri.trim() != emulator.device_login_url() {
            return Err(format!("the window shows {uri} for the device code").into());
        }
        emulator
            .approve_device_code(code.trim(), form.upn)
            .map_err(|e| format!("the emulator refused the code {code}: {e:?}"))?;
        Ok(())
    }

    /// Open one client alone from the sidebar's Clients list (the tables then show its rows only).
    pub async fn open_client(&self, name: &str) -> Result<()> {
        let item = format!("[data-testid=client-item][data-client='{name}']");
        self.click(&item).await?;
        self.eventually(
            &format!("{name} to be opened alone"),
            Duration::from_secs(10),
            || async {
                Ok(self
                    .find(&item)
                    .await?
                    .attr("aria-current")
                    .await?
                    .as_deref()
                    == Some("true"))
            },
        )
        .await
    }

    /// All clients as the flat list of every client's keys: with several clients connected the
    /// Vault tab opens on the client overview.
    pub async fn show_all_keys(&self) -> Result<()> {
        self.click("[data-testid=view-keys]").await?;
        self.wait_for("[data-testid=vault-tab]", Duration::from_secs(10))
            .await?;
        Ok(())
    }

    /// Wait until the connection badge reads `expected`.
    pub async fn badge_is(&self, expected: &str) -> Result<()> {
        self.eventually(
            &format!("the badge to read {expected}"),
            Duration::from_secs(30),
            || async { Ok(self.text("[data-testid=connection-badge]").await? == expected) },
        )
        .await
    }

    /// Add a key through the Add Key modal and wait for its masked row.
    pub async fn add_key(&self, vendor: &str, value: &str) -> Result<()> {
        self.click("[data-testid=add-key]").await?;
        self.select("[data-testid=add-vendor]", vendor).await?;
        self.type_into("[data-testid=add-value]", value).await?;
        self.click("[data-testid=add-save]").await?;
        let preview =
            format!("[data-testid=vault-row][data-vendor={vendor}] [data-testid=masked-preview]");
        self.eventually(
            &format!("a masked preview for {vendor}"),
            Duration::from_secs(15),
            || async {
                Ok(self.count("[data-testid=add-key-modal]").await? == 0
                    && self.text(&preview).await?.contains('•'))
            },
        )
        .await
    }

    /// Delete the WebDriver session (closes the app), then stop the driver and the display.
    pub async fn quit(mut self) {
        let client = self.client.clone();
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        self.processes.stop();
    }
}

/// A unique marker value for "this must never reach the webview" checks.
pub fn marker(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "MARKER{}x{}x{nanos}",
        label.to_ascii_uppercase(),
        std::process::id()
    )
}

/// End-to-end tests share the machine's two cores and one keyring daemon binary; run them one at
/// a time.
pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}
