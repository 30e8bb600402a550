//! The desktop one end-to-end session runs on: a throw-away home with its own D-Bus session
//! and keyring ([`Profile`]), a virtual display (Xvfb), and `tauri-driver` in a process group
//! of its own, so everything it starts is stopped with it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use super::Result;

pub(super) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub(super) fn find_tool(name: &str) -> Result<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin")))
        .chain(std::iter::once(PathBuf::from("/usr/bin")));
    for dir in candidates {
        let path = dir.join(name);
        if path.is_file() {
            return Ok(path);
        }
    }
    Err(format!("{name} was not found; run the README's test command, which installs it").into())
}

pub(super) fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Kill a process started in its own process group, and everything in that group. tauri-driver
/// does not stop the WebKitWebDriver it started when it is killed: that driver (and the app it
/// runs) would live on, holding its port, its window and CPU, into the next tests.
pub(super) fn kill_group(child: &mut Child) {
    // `--` so the negative number is read as a process group, never as an option or a signal;
    // a pid of 0 or 1 would name this test's own group or every process.
    let pid = child.id();
    if pid > 1 {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
    }
    kill(child);
}

/// A private home for one simulated technician PC: config, data and cache dirs, a D-Bus session
/// and an unlocked GNOME Keyring (the Secret Service the app keeps a remembered secret in).
pub struct Profile {
    pub home: PathBuf,
    _dir: tempfile::TempDir,
    dbus_address: String,
    dbus_pid: Option<u32>,
}

impl Profile {
    pub fn new(name: &str) -> Result<Profile> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("akv-e2e-{name}-"))
            .tempdir()?;
        let home = dir.path().to_path_buf();
        for sub in [".config", ".local/share", ".cache"] {
            std::fs::create_dir_all(home.join(sub))?;
        }
        let mut profile = Profile {
            home,
            _dir: dir,
            dbus_address: String::new(),
            dbus_pid: None,
        };
        profile.start_keyring()?;
        Ok(profile)
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let home = self.home.display().to_string();
        vec![
            ("HOME".into(), home.clone()),
            ("XDG_CONFIG_HOME".into(), format!("{home}/.config")),
            ("XDG_DATA_HOME".into(), format!("{home}/.local/share")),
            ("XDG_CACHE_HOME".into(), format!("{home}/.cache")),
            ("XDG_RUNTIME_DIR".into(), format!("{home}/.cache")),
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.dbus_address.clone()),
        ]
    }

    fn start_keyring(&mut self) -> Result<()> {
        let output = Command::new("dbus-daemon")
            .args([
                "--session",
                "--fork",
                "--print-address=1",
                "--print-pid=1",
                "--nosyslog",
            ])
            .env("HOME", &self.home)
            .stderr(Stdio::null())
            .output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut lines = text.lines();
        self.dbus_address = lines.next().unwrap_or_default().trim().to_string();
        self.dbus_pid = lines.next().and_then(|l| l.trim().parse().ok());
        if self.dbus_address.is_empty() {
            return Err("dbus-daemon did not start (package dbus-daemon)".into());
        }
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets"])
            .envs(self.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("gnome-keyring-daemon could not start ({e}); install gnome-keyring")
            })?;
        if let Some(mut stdin) = keyring.stdin.take() {
            use std::io::Write;
            stdin.write_all(b"e2e-keyring-password")?;
        }
        // The daemon forks and exits; wait for the launcher.
        let _ = keyring.wait();
        Ok(())
    }

    /// Every regular file under the profile, for "no marker on disk" checks.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut pending = vec![self.home.clone()];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                match entry.file_type() {
                    Ok(t) if t.is_dir() => pending.push(path),
                    Ok(t) if t.is_file() => found.push(path),
                    _ => {}
                }
            }
        }
        found
    }

    /// Files under the profile containing `needle` (raw bytes, any encoding of UTF-8 text).
    pub fn files_containing(&self, needle: &str) -> Vec<PathBuf> {
        self.files()
            .into_iter()
            .filter(|path| {
                std::fs::read(path)
                    .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
                    .unwrap_or(false)
            })
            .collect()
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        if let Some(pid) = self.dbus_pid.filter(|pid| *pid > 1) {
            // Ends the session bus; gnome-keyring-daemon exits with it.
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        let _ = Command::new("pkill")
            .args([
                "-f",
                &format!("gnome-keyring-daemon.*{}", self.home.display()),
            ])
            .status();
    }
}

/// The driver's process group and the virtual display of one session, stopped exactly once.
pub(super) struct Processes {
    pub(super) driver: Option<Child>,
    pub(super) xvfb: Option<Child>,
}

impl Processes {
    pub(super) fn stop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            kill_group(&mut driver);
        }
        if let Some(mut xvfb) = self.xvfb.take() {
            stop_xvfb(&mut xvfb);
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A display whose lock file is missing or names a process that is gone (a killed Xvfb leaves
/// its lock behind) can be used; stale locks and sockets are cleared first.
pub(super) fn display_free(number: u32) -> bool {
    let lock = PathBuf::from(format!("/tmp/.X{number}-lock"));
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return !lock.exists();
    };
    let alive = text
        .trim()
        .parse::<u32>()
        .is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
    if alive {
        return false;
    }
    let _ = std::fs::remove_file(&lock);
    let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{number}"));
    true
}

/// Ask Xvfb to exit so it removes its own lock file; kill it if it does not.
pub(super) fn stop_xvfb(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..20 {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    kill(child);
}

pub(super) fn start_xvfb() -> Result<(Child, String)> {
    for number in 140..240 {
        if !display_free(number) {
            continue;
        }
        let display = format!(":{number}");
        let child = Command::new(find_tool("Xvfb")?)
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1440x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if socket.exists() {
                return Ok((child, display));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut child = child;
        kill(&mut child);
    }
    Err("no free X display for Xvfb".into())
}

pub(super) async fn connect(port: u16, binary: &Path, args: &[String]) -> Result<Client> {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "tauri:options".into(),
        json!({ "application": binary.display().to_string(), "args": args }),
    );
    capabilities.insert("browserName".into(), json!("wry"));
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    // tauri-driver answers before WebKitWebDriver behind it is ready: retry for a while.
    loop {
        let attempt = ClientBuilder::rustls()?
            .capabilities(capabilities.clone())
            .connect(&url)
            .await;
        match attempt {
            Ok(client) => return Ok(client),
            Err(error) if started.elapsed() < Duration::from_secs(30) => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => return Err(format!("no WebDriver session after 30 s: {error}").into()),
        }
    }
}
