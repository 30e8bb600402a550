//! The Linux packages `tauri build` made (the test command builds them first, with
//! `--debug` to reuse the test build): the `.deb` and `.rpm` carry the product name, version,
//! icons and a desktop entry; the `.deb` installs with apt on this machine, and the installed app
//! starts in demo mode under Xvfb and paints its Vault tab. Needs root (or sudo) for apt.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use akv_tests::e2e::{App, Launch, Profile, Result};

const PACKAGE: &str = "api-key-vault-console";
const INSTALLED: &str = "/usr/bin/api-key-vault-console";

fn bundle_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("debug")
        .join("bundle")
}

/// The one file with `extension` in `bundle/<kind>/`.
fn package(kind: &str, extension: &str) -> Result<PathBuf> {
    let dir = bundle_dir().join(kind);
    let found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}: run `ui/node_modules/.bin/tauri build --debug --bundles deb,rpm -- --workspace` first (the test command does)", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        other => Err(format!(
            "expected one .{extension} in {}, found {other:?}",
            dir.display()
        )
        .into()),
    }
}

fn run(program: &str, args: &[&str]) -> Result<String> {
    let mut command = if unsafe_is_root() {
        Command::new(program)
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("-n").arg(program);
        sudo
    };
    let output = command
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn unsafe_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn field(deb: &Path, name: &str) -> Result<String> {
    let output = Command::new("dpkg-deb")
        .arg("-f")
        .arg(deb)
        .arg(name)
        .output()?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Removes the installed package even when an assertion fails half-way.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = run("apt-get", &["remove", "-y", "-qq", PACKAGE]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deb_installs_and_the_installed_app_starts_in_demo_mode() -> Result<()> {
    let deb = package("deb", "deb")?;
    let rpm = package("rpm", "rpm")?;
    let version = env!("CARGO_PKG_VERSION");

    // What apt and the desktop will show.
    assert_eq!(field(&deb, "Package")?, PACKAGE);
    assert_eq!(field(&deb, "Version")?, version);
    let depends = field(&deb, "Depends")?;
    assert!(depends.contains("libwebkit2gtk-4.1-0"), "{depends}");
    assert!(field(&deb, "Description")?.contains("Azure Key Vault"));
    let listing = String::from_utf8_lossy(
        &Command::new("dpkg-deb")
            .arg("-c")
            .arg(&deb)
            .output()?
            .stdout,
    )
    .into_owned();
    for path in [
        " usr/bin/api-key-vault-console",
        " usr/bin/akv-console",
        " usr/share/applications/API Key Vault Console.desktop",
        " usr/share/icons/hicolor/128x128/apps/api-key-vault-console.png",
        " usr/share/icons/hicolor/32x32/apps/api-key-vault-console.png",
    ] {
        assert!(listing.contains(path), "{path} in the .deb:\n{listing}");
    }
    // An RPM lead starts with this magic number; its name carries the version.
    let rpm_bytes = std::fs::read(&rpm)?;
    assert!(
        rpm_bytes.starts_with(&[0xed, 0xab, 0xee, 0xdb]),
        "{} is an RPM",
        rpm.display()
    );
    assert!(rpm.display().to_string().contains(version));

    // Installed with apt (dependencies from this machine's packages), as a technician would.
    let deb_arg = deb.display().to_string();
    run(
        "apt-get",
        &["install", "-y", "-qq", "--reinstall", &deb_arg],
    )?;
    let _installed = Installed;
    let status = run("dpkg-query", &["-W", "-f=${Status} ${Version}", PACKAGE])?;
    assert_eq!(status, format!("install ok installed {version}"));
    let desktop = std::fs::read_to_string("/usr/share/applications/API Key Vault Console.desktop")?;
    for line in [
        "Name=API Key Vault Console",
        "Exec=api-key-vault-console",
        "Icon=api-key-vault-console",
    ] {
        assert!(
            desktop.contains(line),
            "{line} in the desktop entry:\n{desktop}"
        );
    }

    // The headless companion ships in the package, on PATH, and works from there.
    let help = run("/usr/bin/akv-console", &["--help"])?;
    assert!(help.contains("Usage: akv-console"), "{help}");
    let demo_status = Command::new("/usr/bin/akv-console")
        .args(["--demo", "status", "--json"])
        .output()?;
    let json: serde_json::Value = serde_json::from_slice(&demo_status.stdout)?;
    assert_eq!(json["schema"], "akv-console.status/4", "{json}");

    // The installed binary (not the build tree's) starts in demo mode and paints the client
    // overview.
    let _serial = akv_tests::e2e::exclusive().await;
    let profile = Profile::new("package")?;
    let app = App::launch(
        "package",
        &profile,
        Launch::demo().with_binary(PathBuf::from(INSTALLED)),
    )
    .await?;
    app.eventually("the demo's rows", Duration::from_secs(30), || async {
        Ok(app.count("[data-testid=overview-row]").await? > 0)
    })
    .await?;
    let badge = app.text("[data-testid=connection-badge]").await?;
    assert_eq!(badge, "DEMO MODE");
    app.screenshot("package-installed-demo.png").await?;
    app.quit().await;
    Ok(())
}
