//! Runs the local Key Vault + Entra emulator by hand, e.g. to point the app's Connect modal
//! (Custom cloud) at it:
//!
//! ```text
//! cargo run -p akv-tests --bin kv-emulator -- --port 8443 --tenant <guid> --client-id <guid> \
//!     --client-secret <secret> --ca-out ./emulator-ca.pem [--role officer|user|none] \
//!     [--purge-protection] [--access-policy-mode] [--token-lifetime <secs>] [--seed <count>] \
//!     [--public-client] [--user <upn>[:<app roles>[:<vault role>[:<name>]]]]... [--demo-users] \
//!     [--interactive-user <upn>] [--device-code-interval <secs>] [--graph-owned-by]
//! ```
//!
//! With `--public-client` and some users it also serves technician sign-in (auth code + PKCE
//! with an account picker page, device code with a code entry page) and prints what to enter.

use std::path::PathBuf;
use std::process::ExitCode;

use akv_tests::emulator::{
    APPLICATION_READWRITE_OWNEDBY, AppRegistration, CONSOLE_ADMIN, CONSOLE_APP_ROLES, CONSOLE_L1,
    CONSOLE_L2, CONSOLE_NOC, DEFAULT_TENANT, DEFAULT_TOKEN_LIFETIME_SECS, Emulator, EmulatorConfig,
    Owner, PermissionModel, PublicClient, Role, TestUser,
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

Technician sign-in (Sign in with Microsoft):
  --public-client         the app registration is also a public client: redirect URI
                          http://localhost (any port), public client flows, the app roles
                          Console.Admin, Console.L2, Console.L1, Console.NOC
  --user <spec>           a test user; spec is upn[:app roles[:vault role[:display name]]],
                          app roles comma-separated (Console.Admin or admin, l2, l1, noc; empty
                          for none), vault role officer | user | none (default none). Repeatable.
                          Example: --user ada@contoso.example:admin:officer:'Ada Admin'
  --demo-users            add admin@, l2@, l1@, noc@ and norole@emulator.example (one per app
                          role, plus one with none; vault roles officer/officer/user/user/user)
  --interactive-user <u>  sign this user in at /authorize without the account picker
  --device-code-interval <s>  device-code polling interval (default 5)
  --graph-owned-by        grant the app Microsoft Graph Application.ReadWrite.OwnedBy and make
                          it own itself, so it can rotate its own client secret
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
    public_client: bool,
    users: Vec<TestUser>,
    interactive_user: Option<String>,
    device_code_interval: Option<u64>,
    graph_owned_by: bool,
}

/// `admin` → `Console.Admin`, …; full values are kept as given.
fn app_role_value(raw: &str) -> Result<String, String> {
    let value = match raw.trim().to_ascii_lowercase().as_str() {
        "admin" => CONSOLE_ADMIN,
        "l2" => CONSOLE_L2,
        "l1" => CONSOLE_L1,
        "noc" => CONSOLE_NOC,
        _ => {
            return CONSOLE_APP_ROLES
                .iter()
                .find(|role| role.eq_ignore_ascii_case(raw.trim()))
                .map(|role| role.to_string())
                .ok_or_else(|| format!("unknown app role '{raw}' (admin, l2, l1 or noc)"));
        }
    };
    Ok(value.to_string())
}

fn vault_role(raw: &str) -> Result<Option<Role>, String> {
    match raw.to_ascii_lowercase().as_str() {
        "officer" | "secrets-officer" => Ok(Some(Role::SecretsOfficer)),
        "user" | "secrets-user" => Ok(Some(Role::SecretsUser)),
        "none" | "" => Ok(None),
        other => Err(format!("unknown vault role '{other}'")),
    }
}

/// `upn[:app roles[:vault role[:display name]]]`
fn parse_user(spec: &str, tenant: &str, client_id: &str) -> Result<TestUser, String> {
    let mut parts = spec.splitn(4, ':');
    let upn = parts.next().unwrap_or("").trim();
    if !upn.contains('@') {
        return Err(format!("--user: '{upn}' is not a UPN (name@domain)"));
    }
    let roles = parts.next().unwrap_or("");
    let vault = vault_role(parts.next().unwrap_or(""))?;
    let name = match parts.next() {
        Some(name) if !name.trim().is_empty() => name.trim().to_string(),
        _ => upn.split('@').next().unwrap_or(upn).to_string(),
    };
    let mut user = TestUser::new(tenant, upn, name);
    user.vault_role = vault;
    for role in roles.split(',').filter(|role| !role.trim().is_empty()) {
        user = user.with_app_role(client_id, &app_role_value(role)?);
    }
    Ok(user)
}

fn demo_users(tenant: &str, client_id: &str) -> Vec<TestUser> {
    [
        (
            "admin@emulator.example",
            "Avery Admin",
            Some(CONSOLE_ADMIN),
            Role::SecretsOfficer,
        ),
        (
            "l2@emulator.example",
            "Lou Level-Two",
            Some(CONSOLE_L2),
            Role::SecretsOfficer,
        ),
        (
            "l1@emulator.example",
            "Lee Level-One",
            Some(CONSOLE_L1),
            Role::SecretsUser,
        ),
        (
            "noc@emulator.example",
            "Noa Operations",
            Some(CONSOLE_NOC),
            Role::SecretsUser,
        ),
        (
            "norole@emulator.example",
            "Nico No-Role",
            None,
            Role::SecretsUser,
        ),
    ]
    .into_iter()
    .map(|(upn, name, app_role, vault)| {
        let user = TestUser::new(tenant, upn, name).with_vault_role(vault);
        match app_role {
            Some(role) => user.with_app_role(client_id, role),
            None => user,
        }
    })
    .collect()
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
        public_client: false,
        users: Vec::new(),
        interactive_user: None,
        device_code_interval: None,
        graph_owned_by: false,
    };
    let mut user_specs = Vec::new();
    let mut with_demo_users = false;
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
            "--public-client" => options.public_client = true,
            "--user" => user_specs.push(value("--user")?),
            "--demo-users" => with_demo_users = true,
            "--interactive-user" => options.interactive_user = Some(value("--interactive-user")?),
            "--device-code-interval" => {
                let raw = value("--device-code-interval")?;
                options.device_code_interval = Some(
                    raw.parse()
                        .map_err(|_| format!("--device-code-interval: '{raw}' is not a number"))?,
                );
            }
            "--graph-owned-by" => options.graph_owned_by = true,
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    // Users are parsed last so they pick up --tenant and --client-id wherever those appear.
    if with_demo_users {
        options.users = demo_users(&options.tenant, &options.client_id);
    }
    for spec in &user_specs {
        let user = parse_user(spec, &options.tenant, &options.client_id)?;
        options
            .users
            .retain(|known| !known.upn.eq_ignore_ascii_case(&user.upn));
        options.users.push(user);
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
        public_clients: if options.public_client {
            vec![PublicClient::new(
                options.tenant.clone(),
                options.client_id.clone(),
            )]
        } else {
            Vec::new()
        },
        users: options.users.clone(),
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
    if let Some(secs) = options.device_code_interval {
        emulator.set_device_code_interval(secs);
    }
    emulator.set_interactive_user(options.interactive_user.as_deref());
    if options.graph_owned_by {
        let granted = emulator
            .grant_graph_permission(
                &options.tenant,
                &options.client_id,
                APPLICATION_READWRITE_OWNEDBY,
            )
            .and_then(|()| {
                emulator.add_application_owner(
                    &options.tenant,
                    &options.client_id,
                    Owner::App(options.client_id.clone()),
                )
            });
        if let Err(err) = granted {
            eprintln!("warning: could not set up Graph permissions: {err}");
        }
    }
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
        Some(Role::Reader) => "Key Vault Reader",
        Some(Role::CertificatesOfficer) => "Key Vault Certificates Officer",
        Some(Role::CryptoOfficer) => "Key Vault Crypto Officer",
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
    if options.public_client {
        print_sign_in(&emulator, &options);
    } else if !options.users.is_empty() {
        println!("(--user given without --public-client: nobody can sign in interactively)");
    }
    if options.graph_owned_by {
        println!();
        println!("Microsoft Graph (app passwords):");
        println!("  Graph root      {}/v1.0", emulator.graph_url());
        println!(
            "  application id  {} (the app owns itself, Application.ReadWrite.OwnedBy)",
            emulator
                .application_object_id(&options.tenant, &options.client_id)
                .unwrap_or_default()
        );
    }
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

fn print_sign_in(emulator: &Emulator, options: &Options) {
    println!();
    println!(
        "Sign in with Microsoft (public client {}):",
        options.client_id
    );
    println!("  authority       {}", emulator.authority(&options.tenant));
    println!(
        "  OIDC discovery  {}/.well-known/openid-configuration",
        emulator.issuer(&options.tenant)
    );
    println!("  redirect URI    http://localhost (any port)");
    println!(
        "  device code     open {} and enter the code",
        emulator.device_login_url()
    );
    match &options.interactive_user {
        Some(upn) => println!("  browser sign-in signs in {upn} at once"),
        None => println!("  browser sign-in shows an account picker (or honours login_hint)"),
    }
    if options.users.is_empty() {
        println!("  no users: add --user or --demo-users to sign anyone in");
    }
    for user in &options.users {
        let roles = user.roles_on(&options.client_id);
        let vault = match user.vault_role {
            Some(Role::SecretsOfficer) => "Secrets Officer",
            Some(Role::SecretsUser) => "Secrets User",
            Some(Role::Reader) => "Reader",
            Some(Role::CertificatesOfficer) => "Certificates Officer",
            Some(Role::CryptoOfficer) => "Crypto Officer",
            None => "no vault role",
        };
        println!(
            "  user  {:<32} {:<22} {:<28} {vault}",
            user.upn,
            user.display_name,
            if roles.is_empty() {
                "(no app role)".to_string()
            } else {
                roles.join(", ")
            }
        );
    }
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

    #[test]
    fn users_and_sign_in_flags_are_read() {
        let options = parse_args(&args(&[
            "--user",
            "ada@contoso.example:admin,noc:officer:Ada Admin",
            "--client-id",
            "console",
            "--user",
            "nora@contoso.example",
            "--public-client",
            "--device-code-interval",
            "1",
            "--graph-owned-by",
        ]))
        .unwrap()
        .unwrap();
        assert!(options.public_client && options.graph_owned_by);
        assert_eq!(options.device_code_interval, Some(1));
        let ada = &options.users[0];
        assert_eq!(ada.display_name, "Ada Admin");
        assert_eq!(ada.vault_role, Some(Role::SecretsOfficer));
        assert_eq!(ada.roles_on("console"), vec![CONSOLE_ADMIN, CONSOLE_NOC]);
        let nora = &options.users[1];
        assert_eq!(nora.display_name, "nora");
        assert!(nora.roles_on("console").is_empty() && nora.vault_role.is_none());
        assert!(parse_args(&args(&["--user", "not-a-upn"])).is_err());
        assert!(parse_args(&args(&["--user", "a@b:root"])).is_err());
        assert!(parse_args(&args(&["--user", "a@b:l1:owner"])).is_err());
        let demo = parse_args(&args(&["--demo-users"])).unwrap().unwrap();
        assert_eq!(demo.users.len(), 5);
        assert!(demo.users[4].app_roles.is_empty());
    }
}
