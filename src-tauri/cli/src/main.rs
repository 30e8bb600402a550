//! `akv-console`: the console's headless companion for RMM scripts (NinjaOne, Datto RMM,
//! ConnectWise Automate). It opens the clients the window remembered on this PC, with the
//! keychain's secrets or refresh tokens, and never prints a secret value.
//!
//! Exit codes: 0 OK, 1 warning (keys due within 14 days), 2 critical (keys expired or with rotation overdue, or an audit
//! log that does not verify), 3 the check could not run (a client did not connect, a file could
//! not be written), 64 the command line was wrong.

mod output;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use clap::{Args, Parser, Subcommand, ValueEnum};

use akv_core::error::{AppError, AppResult, ErrorCode};
use akv_core::service::monitor::{FailOn, MonitorLevel};
use akv_core::service::{Notice, Notifier};
use akv_core::session::{AppCore, AppPaths, ClientStatus, PortfolioFilter};

/// Tauri keeps the window's files under this name in the user's config and data folders
/// (`identifier` in tauri.conf.json; a test keeps the two equal).
const APP_IDENTIFIER: &str = "com.msp.apikeyvaultconsole";

/// The program as audit entries name it.
const PROGRAM: &str = "akv-console";

const EXIT_USAGE: u8 = 64;

#[derive(Parser)]
#[command(
    name = "akv-console",
    version,
    about = "Headless companion of API Key Vault Console: key status for RMM monitors, reports and audit checks.",
    long_about = "Headless companion of API Key Vault Console. It uses the clients the console window \
                  remembered on this PC (Remember this connection) and their keychain entries, so run it \
                  as the same user. It never prints a secret value; commands that read a vault write an \
                  audit entry, as the window does.\n\n\
                  Exit codes: 0 OK, 1 warning (keys due within 14 days), 2 critical (keys expired or with rotation overdue, or \
                  an audit log that does not verify), 3 the check could not run, 64 wrong arguments."
)]
struct Cli {
    /// Use the offline demo's three fictitious clients instead of this PC's clients (nothing is
    /// read from or written to disk).
    #[arg(long, global = true)]
    demo: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the clients remembered on this PC (no vault is contacted).
    Clients {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Key counts and per-key rows (masked previews only); the exit code says whether keys are due.
    Status(StatusArgs),
    /// Write the PDF report (a summary page per client, then its keys).
    Report {
        /// Where to write the PDF.
        #[arg(long, value_name = "FILE")]
        pdf: PathBuf,
        #[command(flatten)]
        client: ClientArg,
    },
    /// Write the key inventory as CSV (with a Client column).
    Export {
        /// Where to write the CSV.
        #[arg(long, value_name = "FILE")]
        csv: PathBuf,
        #[command(flatten)]
        client: ClientArg,
    },
    /// Audit log checks.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify this PC's audit log of each client against its vault (as the Audit Log tab's
    /// Verify does); exit code 2 when a log does not verify.
    Verify {
        #[command(flatten)]
        client: ClientArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct ClientArg {
    /// One client (its name as in the Clients list, any case); every remembered client by default.
    #[arg(long, value_name = "NAME")]
    client: Option<String>,
}

#[derive(Args)]
struct StatusArgs {
    #[command(flatten)]
    client: ClientArg,
    /// Print JSON (schema "akv-console.status/4") instead of a table.
    #[arg(long)]
    json: bool,
    /// From which status on the exit code rises: due (due within 14 days is 1, rotation overdue
    /// or expired is 2), overdue (rotation overdue or expired is 2), expired (expired is 2).
    #[arg(long, value_enum, default_value = "due", value_name = "STATUS")]
    fail_on: FailOnArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOnArg {
    Due,
    Overdue,
    Expired,
}

impl From<FailOnArg> for FailOn {
    fn from(value: FailOnArg) -> FailOn {
        match value {
            FailOnArg::Due => FailOn::Due,
            FailOnArg::Overdue => FailOn::Overdue,
            FailOnArg::Expired => FailOn::Expired,
        }
    }
}

fn main() -> ExitCode {
    output::use_charset(output::detect_charset());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let usage = error.use_stderr();
            let _ = error.print();
            return ExitCode::from(if usage { EXIT_USAGE } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            output::error(
                &AppError::internal(format!("no async runtime: {error}")),
                false,
            );
            return ExitCode::from(MonitorLevel::Unknown.exit_code());
        }
    };
    let json = cli.command.json();
    match runtime.block_on(run(cli)) {
        Ok(level) => ExitCode::from(level.exit_code()),
        Err(error) => {
            output::error(&error, json);
            ExitCode::from(MonitorLevel::Unknown.exit_code())
        }
    }
}

impl Command {
    fn json(&self) -> bool {
        match self {
            Command::Clients { json } => *json,
            Command::Status(args) => args.json,
            Command::Audit(AuditCommand::Verify { json, .. }) => *json,
            Command::Report { .. } | Command::Export { .. } => false,
        }
    }
}

/// What to do when the user's folders cannot be found, in the words of the platform: Windows
/// finds them through the user's profile, not `HOME`.
fn missing_folders_hint(os: &str) -> &'static str {
    match os {
        "windows" => {
            "Run akv-console as the technician's Windows user with their profile loaded, not as SYSTEM (the console's files are in that user's %APPDATA% and %LOCALAPPDATA%)."
        }
        "macos" => {
            "Run akv-console as the technician's macOS user (HOME must point to their home folder)."
        }
        _ => {
            "Run akv-console as the user who uses the console window (HOME, or XDG_CONFIG_HOME and XDG_DATA_HOME, must be set)."
        }
    }
}

fn paths() -> AppResult<AppPaths> {
    let missing = || {
        AppError::new(
            ErrorCode::ConfigUnreadable,
            "This user has no configuration or data folder.",
            missing_folders_hint(std::env::consts::OS),
        )
    };
    Ok(AppPaths {
        config_dir: dirs::config_dir().ok_or_else(missing)?.join(APP_IDENTIFIER),
        // The local data folder, as the window uses (Roaming %APPDATA% is shared between the
        // PCs of a roaming profile); the same folder as dirs::data_dir on Linux and macOS.
        data_dir: dirs::data_local_dir()
            .ok_or_else(missing)?
            .join(APP_IDENTIFIER),
    })
}

/// Windows: where consoles before this one kept the audit logs and reminders.
#[cfg(windows)]
fn roaming_data_dir() -> Option<std::path::PathBuf> {
    dirs::data_dir().map(|dir| dir.join(APP_IDENTIFIER))
}

async fn run(cli: Cli) -> AppResult<MonitorLevel> {
    // Notices (a reminder, a key changed outside the console) go to stderr, never stdout, so
    // JSON on stdout stays parseable.
    let notifier: Notifier = Arc::new(|notice: Notice| output::notice(&notice));
    let core = AppCore::new(paths()?, cli.demo, notifier);
    #[cfg(windows)]
    let core = match roaming_data_dir() {
        Some(roaming) => core.adopting_roaming_data(&roaming),
        None => core,
    };
    let core = core.headless(PROGRAM);
    if cli.demo {
        core.start_demo().await?;
    }
    let level = match cli.command {
        Command::Clients { json } => {
            output::clients(&core.status().await.clients, json);
            MonitorLevel::Ok
        }
        Command::Status(args) => {
            let clients = core.connect_headless(args.client.client.as_deref()).await?;
            let report = core
                .monitor_report(&clients, args.fail_on.into(), Utc::now())
                .await;
            output::status(&report, args.json);
            report.level
        }
        Command::Report { pdf, client } => {
            write_file(&core, client, &pdf, |core, filter| async move {
                core.report_pdf(&filter, Utc::now()).await
            })
            .await?
        }
        Command::Export { csv, client } => {
            write_file(&core, client, &csv, |core, filter| async move {
                core.inventory_csv(&filter, Utc::now()).await
            })
            .await?
        }
        Command::Audit(AuditCommand::Verify { client, json }) => {
            let clients = core.connect_headless(client.client.as_deref()).await?;
            let mut results = Vec::with_capacity(clients.len());
            for client in &clients {
                let verification = match core.client_console(&client.id).await {
                    Ok((console, operator)) => console.verify_audit(&operator).await,
                    Err(_) => Err(connect_error(client)),
                };
                results.push((client.clone(), verification));
            }
            output::verification(&results, json)
        }
    };
    core.disconnect().await;
    Ok(level)
}

/// Render a report or export over the connected clients and write it. Clients that did not
/// connect are named on stderr and make the exit code 3; the file still covers the others.
async fn write_file<'a, F, Fut>(
    core: &'a AppCore,
    client: ClientArg,
    path: &Path,
    render: F,
) -> AppResult<MonitorLevel>
where
    F: FnOnce(&'a AppCore, PortfolioFilter) -> Fut,
    Fut: std::future::Future<Output = AppResult<Vec<u8>>>,
{
    let clients = core.connect_headless(client.client.as_deref()).await?;
    let failed: Vec<&ClientStatus> = clients
        .iter()
        .filter(|c| c.state != akv_core::session::ClientState::Connected)
        .collect();
    if failed.len() == clients.len() {
        return Err(connect_error(failed[0]));
    }
    for client in &failed {
        output::error(&connect_error(client), false);
    }
    let filter = PortfolioFilter {
        client: client
            .client
            .as_ref()
            .and_then(|_| clients.first().map(|c| c.id.clone())),
        ..Default::default()
    };
    let bytes = render(core, filter).await?;
    akv_core::config::write_atomically(path, &bytes)?;
    eprintln!(
        "{}",
        output::human(
            &format!("Wrote {} ({} bytes).", path.display(), bytes.len()),
            false
        )
    );
    Ok(if failed.is_empty() {
        MonitorLevel::Ok
    } else {
        MonitorLevel::Unknown
    })
}

/// Why a client is not connected (its own error when it has one).
fn connect_error(client: &ClientStatus) -> AppError {
    client.error.clone().unwrap_or_else(|| {
        AppError::new(
            ErrorCode::NotConnected,
            format!("{} did not connect.", client.name),
            "Open the console window and connect it to see why.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_folders_are_the_windows_own() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../../tauri.conf.json"))
                .expect("tauri.conf.json is JSON");
        assert_eq!(conf["identifier"], APP_IDENTIFIER);
    }

    #[test]
    fn the_missing_folders_hint_speaks_the_platforms_language() {
        let windows = missing_folders_hint("windows");
        assert!(!windows.contains("HOME"), "{windows}");
        assert!(windows.contains("%APPDATA%") && windows.contains("SYSTEM"));
        assert!(missing_folders_hint("macos").contains("HOME"));
        assert!(missing_folders_hint("linux").contains("XDG_DATA_HOME"));
    }

    #[test]
    fn the_command_line_is_consistent_and_every_command_has_help() {
        Cli::command().debug_assert();
        for command in Cli::command().get_subcommands() {
            assert!(
                command.get_about().is_some(),
                "{} has no help",
                command.get_name()
            );
        }
    }
}
