//! The Setup Guide's copyable Azure CLI commands, run for real in Bash and in zsh (macOS's
//! default shell) against a stand-in `az` that records the arguments it receives. A command
//! that a shell mangles — an unquoted `[0].appId` that zsh globs, a `<placeholder>` that Bash
//! reads as a redirection, a JSON body whose quotes do not survive — fails here.
//!
//! The PowerShell forms cannot be run on this machine (no PowerShell in Debian's packages); a
//! unit test in `service/setup.rs` checks them for what PowerShell 5.1 cannot parse.

use std::path::Path;
use std::process::Command;

use akv_core::service::setup::{CliCommand, CommandShell, SetupNames, setup_guide};

/// What the stand-in `az` prints for an ID lookup (`--query id` / `[0].appId`).
const LOOKED_UP_ID: &str = "0b5e7c1a-3f1d-4c55-9a77-52f0e3b1d9c4";

/// One call of `az`: its arguments.
type AzCall = Vec<String>;

fn write_stand_in_az(bin: &Path, log: &Path) {
    // Arguments separated by US (0x1f), calls by RS (0x1e): no argument contains either.
    let script = format!(
        "#!/bin/sh\nfor arg in \"$@\"; do printf '%s\\037' \"$arg\" >> '{log}'; done\nprintf '\\036' >> '{log}'\ncase \"$*\" in *--query*) echo {LOOKED_UP_ID} ;; esac\nexit 0\n",
        log = log.display()
    );
    let path = bin.join("az");
    std::fs::write(&path, script).expect("write az");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

/// Runs one command in `shell` (bash or zsh) in a fresh folder; returns the `az` calls and the folder.
fn run(shell: &str, command: &CliCommand) -> (Vec<AzCall>, tempfile::TempDir) {
    let work = tempfile::tempdir().expect("temp dir");
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    let log = work.path().join("az.log");
    write_stand_in_az(&bin, &log);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new(shell)
        .arg("-c")
        .arg(&command.command)
        .current_dir(work.path())
        .env("PATH", path)
        .output()
        .unwrap_or_else(|e| panic!("{shell} must be installed (scripts/setup.sh): {e}"));
    assert!(
        output.status.success(),
        "{shell} failed on {}: {}\n{}",
        command.id,
        String::from_utf8_lossy(&output.stderr),
        command.command
    );
    assert!(
        output.stderr.is_empty(),
        "{shell} complained on {}: {}",
        command.id,
        String::from_utf8_lossy(&output.stderr)
    );
    let recorded = std::fs::read_to_string(&log).unwrap_or_default();
    let calls = recorded
        .split('\u{1e}')
        .filter(|call| !call.is_empty())
        .map(|call| {
            call.split('\u{1f}')
                .filter(|arg| !arg.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect();
    (calls, work)
}

fn value_after<'a>(call: &'a AzCall, flag: &str) -> Option<&'a str> {
    call.iter()
        .position(|arg| arg == flag)
        .and_then(|at| call.get(at + 1))
        .map(String::as_str)
}

fn every_command() -> Vec<CliCommand> {
    let guide = setup_guide(&SetupNames::default());
    guide
        .phases
        .iter()
        .flat_map(|p| p.steps.iter())
        .chain(guide.hardening.iter())
        .flat_map(|s| s.commands.iter().cloned())
        .collect()
}

#[test]
fn every_command_runs_unchanged_in_bash_and_zsh() {
    let commands = every_command();
    assert!(commands.len() >= 15, "{} commands", commands.len());
    for shell in ["bash", "zsh"] {
        for command in &commands {
            let (calls, work) = run(shell, command);
            assert!(!calls.is_empty(), "{shell}: {} never called az", command.id);
            for call in &calls {
                // Every ID lookup reached az with its query intact (zsh would stop on `[0]`).
                if let Some(query) = value_after(call, "--query") {
                    assert!(
                        ["[0].appId", "id", "tenantId", "{clientId: appId}"].contains(&query),
                        "{shell}: {}: query {query:?}",
                        command.id
                    );
                }
                // IDs looked up inline arrive as the looked-up value, never as an empty string.
                for flag in ["--id", "--scope", "--resource", "--owner-object-id"] {
                    if let Some(value) = value_after(call, flag) {
                        assert!(!value.is_empty(), "{shell}: {}: empty {flag}", command.id);
                        if value.contains('-') && value.len() == LOOKED_UP_ID.len() {
                            assert_eq!(value, LOOKED_UP_ID, "{shell}: {}", command.id);
                        }
                    }
                }
                // A placeholder is passed as text, not read as a redirection.
                if let Some(assignee) = value_after(call, "--assignee") {
                    assert!(
                        assignee.starts_with('<') || assignee == LOOKED_UP_ID,
                        "{shell}: {}: assignee {assignee:?}",
                        command.id
                    );
                }
                for flag in ["--body", "--logs"] {
                    if let Some(json) = value_after(call, flag) {
                        let parsed: serde_json::Value =
                            serde_json::from_str(json).unwrap_or_else(|e| {
                                panic!("{shell}: {}: {flag} {json:?}: {e}", command.id)
                            });
                        if flag == "--body" {
                            assert_eq!(
                                parsed["resourceId"], LOOKED_UP_ID,
                                "{shell}: {}",
                                command.id
                            );
                        }
                    }
                }
            }
            if command.id == "app-roles" {
                let written = std::fs::read_to_string(work.path().join("console-app-roles.json"))
                    .expect("the roles file");
                let roles: serde_json::Value = serde_json::from_str(&written).expect("roles JSON");
                assert_eq!(roles.as_array().map(Vec::len), Some(4), "{shell}");
                let update = calls.last().expect("az ad app update");
                assert_eq!(
                    value_after(update, "--app-roles"),
                    Some("@console-app-roles.json")
                );
            }
            if command.id == "multi-tenant" {
                let update = calls.last().expect("az ad app update");
                assert_eq!(
                    value_after(update, "--sign-in-audience"),
                    Some("AzureADMultipleOrgs"),
                    "{shell}"
                );
                assert_eq!(value_after(update, "--id"), Some(LOOKED_UP_ID), "{shell}");
            }
            if command.id == "create-app" {
                let sp_create = calls.last().expect("az ad sp create");
                assert_eq!(&sp_create[..3], ["ad", "sp", "create"], "{shell}");
                assert_eq!(
                    value_after(sp_create, "--id"),
                    Some(LOOKED_UP_ID),
                    "{shell}"
                );
            }
        }
    }
}

#[test]
fn copying_picks_the_shell_asked_for() {
    let names = SetupNames::default();
    let posix = akv_core::service::setup::command_text(&names, "app-roles", CommandShell::Posix)
        .expect("bash form");
    let powershell =
        akv_core::service::setup::command_text(&names, "app-roles", CommandShell::PowerShell)
            .expect("PowerShell form");
    assert!(posix.contains("<<'ROLES'"));
    assert!(powershell.contains("Set-Content -Encoding ascii console-app-roles.json"));
    assert_ne!(posix, powershell);
}
