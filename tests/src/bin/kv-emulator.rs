//! Runs the local Key Vault + Entra emulator by hand, e.g. to point the app's Connect modal
//! (Custom cloud) at it:
//!
//! ```text
//! cargo run -p akv-tests --bin kv-emulator -- --port 8443 --tenant <guid> --client-id <guid> \
//!     --client-secret <secret> --ca-out ./emulator-ca.pem [--role officer|user|none] \
//!     [--purge-protection] [--access-policy-mode] [--token-lifetime <secs>] [--seed <count>]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use akv_tests::emulator::{
    AppRegistration, DEFAULT_TENANT, DEFAULT_TOKEN_LIFETIME_SECS, Emulator, EmulatorConfig,
    PermissionModel, Role,
};

const DEFAULT_CLIENT_ID: &str = "22222222-2222-4222-8222-222222222222";
const DEFAULT_CLIENT_SECRET: &str = "emulator-client-secret";
const DEFAULT_PORT: u16 = 8443;

const USAGE: &str = "\
kv-emulator: local Azure Key Vault + Entra ID emulator (HTTPS on 127.0.0.1)

Options (all optional):
  --port <n>              listen port (default 8443; 0 = any free port)
  --tenant <id>           tenant of the vault and the app (default 11111111-1111-4111-8111-111111111111)
  --client-id <id>        app registration client id (default 22222222-2222-4222-8222-222222222222)
  --client-secret <s>     app client secret (default emulator-client-secret)
  --ca-out <path>         where to write the CA certificate PEM (default ./emulator-ca.pem)
  --role <r>              officer | user | none (default officer)
  --purge-protection      refuse purges like a purge-protected vault
  --access-policy-mode    access-policy permission model (the app is on the policy list
                          unless --role none)
  --token-lifetime <s>    token lifetime in seconds (default 3599)
  --seed <n>              create n demo secrets (demo-secret-1 ..)
  -h, --help              this text";

struct Options {
    port: u16,
    tenant: String,
    client_id: String,
    client_secret: String,
    ca_out: PathBuf,
    role: Option<Role>,
    purge_protection: bool,
    access_policy_mode: bool,
    token_lifetime: u64,
    seed: usize,
}

fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: DEFAULT_PORT,
        tenant: DEFAULT_TENANT.to_string(),
        client_id: DEFAULT_CLIENT_ID.to_string(),
        client_secret: DEFAULT_CLIENT_SECRET.to_string(),
        ca_out: PathBuf::from("emulator-ca.pem"),
        role: Some(Role::SecretsOfficer),
        purge_protection: false,
        access_policy_mode: false,
        token_lifetime: DEFAULT_TOKEN_LIFETIME_SECS,
        seed: 0,
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = |name: &str| {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let raw = value("--port")?;
                options.port = raw
                    .parse()
                    .map_err(|_| format!("--port: '{raw}' is not a port number"))?;
            }
            "--tenant" => options.tenant = value("--tenant")?,
            "--client-id" => options.client_id = value("--client-id")?,
            "--client-secret" => options.client_secret = value("--client-secret")?,
            "--ca-out" => options.ca_out = PathBuf::from(value("--ca-out")?),
            "--role" => {
                options.role = match value("--role")?.to_ascii_lowercase().as_str() {
                    "officer" | "secrets-officer" => Some(Role::SecretsOfficer),
                    "user" | "secrets-user" => Some(Role::SecretsUser),
                    "none" => None,
                    other => return Err(format!("--role: unknown role '{other}'")),
                }
            }
            "--purge-protection" => options.purge_protection = true,
            "--access-policy-mode" => options.access_policy_mode = true,
            "--token-lifetime" => {
                let raw = value("--token-lifetime")?;
                options.token_lifetime = raw
                    .parse()
                    .map_err(|_| format!("--token-lifetime: '{raw}' is not a number"))?;
            }
            "--seed" => {
                let raw = value("--seed")?;
                options.seed = raw
                    .parse()
                    .map_err(|_| format!("--seed: '{raw}' is not a number"))?;
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(Some(options))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let permission_model = if options.access_policy_mode {
        let allowed = if options.role.is_some() {
            vec![options.client_id.clone()]
        } else {
            Vec::new()
        };
        PermissionModel::AccessPolicy { allowed }
    } else {
        PermissionModel::Rbac
    };
    let config = EmulatorConfig {
        port: options.port,
        vault_tenant: options.tenant.clone(),
        token_lifetime_secs: options.token_lifetime,
        purge_protection: options.purge_protection,
        permission_model,
        apps: vec![AppRegistration::new(
            options.tenant.clone(),
            options.client_id.clone(),
            options.client_secret.clone(),
            options.role,
        )],
        ca_out: Some(options.ca_out.clone()),
        ..EmulatorConfig::default()
    };
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("error: could not start the emulator: {err}");
            return ExitCode::FAILURE;
        }
    };
    for index in 1..=options.seed {
        let name = format!("demo-secret-{index}");
        if let Err(err) = emulator.seed_secret(&name, &format!("demo-value-{index}")) {
            eprintln!("warning: could not seed {name}: {}", err.message);
        }
    }
    let ca_path = std::fs::canonicalize(emulator.ca_pem_path())
        .unwrap_or_else(|_| emulator.ca_pem_path().to_path_buf());
    let role = match options.role {
        Some(Role::SecretsOfficer) => "Key Vault Secrets Officer",
        Some(Role::SecretsUser) => "Key Vault Secrets User",
        None => "none",
    };
    println!("Key Vault + Entra emulator listening");
    println!("  vault URL       {}", emulator.vault_url());
    println!("  authority host  {}", emulator.authority_host());
    println!("  CA certificate  {}", ca_path.display());
    println!(
        "  permission      {} ({role}){}",
        if options.access_policy_mode {
            "access policies"
        } else {
            "Azure RBAC"
        },
        if options.purge_protection {
            ", purge protection on"
        } else {
            ""
        }
    );
    println!();
    println!("Connect modal (choose cloud: Custom):");
    println!("  Tenant ID       {}", options.tenant);
    println!("  Client ID       {}", options.client_id);
    println!("  Client Secret   {}", options.client_secret);
    println!("  Vault URL       {}", emulator.vault_url());
    println!("  Authority host  {}", emulator.authority_host());
    println!("  Extra root CA   {}", ca_path.display());
    println!();
    println!("Ctrl-C to stop.");
    if let Err(err) = tokio::signal::ctrl_c().await {
        eprintln!("error: waiting for Ctrl-C failed: {err}");
        return ExitCode::FAILURE;
    }
    drop(emulator);
    println!("stopped");
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_need_no_flags() {
        let options = parse_args(&[]).unwrap().unwrap();
        assert_eq!(options.port, DEFAULT_PORT);
        assert_eq!(options.role, Some(Role::SecretsOfficer));
        assert_eq!(options.ca_out, PathBuf::from("emulator-ca.pem"));
    }

    #[test]
    fn flags_are_read() {
        let options = parse_args(&args(&[
            "--port",
            "0",
            "--role",
            "user",
            "--purge-protection",
            "--access-policy-mode",
            "--client-id",
            "abc",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(options.port, 0);
        assert_eq!(options.role, Some(Role::SecretsUser));
        assert!(options.purge_protection && options.access_policy_mode);
        assert_eq!(options.client_id, "abc");
        assert!(parse_args(&args(&["--port", "x"])).is_err());
        assert!(parse_args(&args(&["--bogus"])).is_err());
        assert!(parse_args(&args(&["--role"])).is_err());
    }
}
