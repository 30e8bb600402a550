//! The client list as CSV, for MSPs coming from a spreadsheet (issue 20 §2): export every client
//! (name, tenant, vault, cloud, sign-in mode, MSP home tenant, custom endpoints; never a secret)
//! and import such a file. Every imported row passes the checks the Connect modal's do; a bad row
//! is reported by its line and field, the good rows are added whole (to the list and the config
//! file, not connected yet), and a row is never half-added.

use serde::Serialize;
use ts_rs::TS;

use super::connect::{MAX_CLIENT_NAME_CHARS, demo_only};
use super::{AppCore, Slot, SlotState, lock};
use crate::config::{self, ClientConfig};
use crate::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use crate::domain::validation::validate_text;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::report::csv::CsvWriter;

const HEADER: [&str; 8] = [
    "Name",
    "Tenant ID",
    "Vault",
    "Cloud",
    "Sign-in",
    "MSP tenant ID",
    "Authority host",
    "Vault URL",
];

/// A pasted spreadsheet, not a database dump.
const MAX_IMPORT_BYTES: usize = 1024 * 1024;
const MAX_IMPORT_ROWS: usize = 2_000;

/// One refused row of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportProblem {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub message: String,
    pub hint: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientImport {
    /// Names of the clients added (not connected yet).
    pub added: Vec<String>,
    pub problems: Vec<ImportProblem>,
}

fn cloud_word(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::AzurePublic => "azure",
        Cloud::AzureUsGovernment => "us-government",
        Cloud::AzureChina => "china",
        Cloud::Custom => "custom",
    }
}

fn parse_cloud(text: &str) -> Option<Cloud> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "azure" | "public" | "azure-public" | "azurecloud" => Some(Cloud::AzurePublic),
        "us-government" | "usgov" | "azure-us-government" | "azureusgovernment" => {
            Some(Cloud::AzureUsGovernment)
        }
        "china" | "azure-china" | "azurechinacloud" => Some(Cloud::AzureChina),
        "custom" => Some(Cloud::Custom),
        _ => None,
    }
}

fn auth_word(auth: AuthMode) -> &'static str {
    match auth {
        AuthMode::SignIn => "sign-in",
        AuthMode::AppSecret => "app-secret",
    }
}

fn parse_auth(text: &str) -> Option<AuthMode> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "sign-in" | "signin" | "microsoft" => Some(AuthMode::SignIn),
        "app-secret" | "secret" | "app secret" => Some(AuthMode::AppSecret),
        _ => None,
    }
}

/// A cell as typed: our own exports neutralise formula-like cells with a leading quote.
fn cell(text: &str) -> String {
    let text = text.trim();
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_string(),
        _ => text.to_string(),
    }
}

fn problem(line: usize, error: &AppError) -> ImportProblem {
    let field = error
        .field
        .as_deref()
        .map(|f| format!(" ({f})"))
        .unwrap_or_default();
    ImportProblem {
        line,
        message: format!("{}{field}", error.message),
        hint: error.hint.clone(),
    }
}

/// The 1-based line of a record the reader places at byte `at`. After a CRLF the reader's
/// position is the LF ending the previous line, after a bare LF the record's first byte.
fn line_at(bytes: &[u8], at: usize) -> usize {
    let end = if bytes.get(at) == Some(&b'\n') {
        at + 1
    } else {
        at
    };
    bytes[..end.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The columns of the header, by their names (any order, any case).
struct Columns {
    name: usize,
    tenant: usize,
    vault: usize,
    cloud: Option<usize>,
    auth: Option<usize>,
    home: Option<usize>,
    authority: Option<usize>,
    vault_url: Option<usize>,
}

impl Columns {
    fn of(header: &csv::StringRecord) -> AppResult<Columns> {
        let find = |names: &[&str]| {
            header.iter().position(|h| {
                let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
                names.contains(&h.as_str())
            })
        };
        let required = |names: &[&str], label: &str| {
            find(names).ok_or_else(|| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    format!("The file has no {label} column."),
                    "The first line names the columns: Name, Tenant ID, Vault, and optionally Cloud, Sign-in, MSP tenant ID, Authority host, Vault URL (as Export clients writes them).",
                )
            })
        };
        Ok(Columns {
            name: required(&["name", "client", "client name"], "Name")?,
            tenant: required(&["tenant id", "tenant", "tenantid"], "Tenant ID")?,
            vault: required(&["vault", "vault name", "key vault"], "Vault")?,
            cloud: find(&["cloud"]),
            auth: find(&["sign-in", "sign in", "auth", "sign-in mode"]),
            home: find(&["msp tenant id", "home tenant id", "msp tenant"]),
            authority: find(&["authority host", "authority"]),
            vault_url: find(&["vault url"]),
        })
    }
}

impl AppCore {
    /// Every client of the list as CSV (no secret, no token).
    pub fn clients_csv(&self) -> AppResult<Vec<u8>> {
        if self.is_demo() {
            return Err(demo_only());
        }
        let mut writer = CsvWriter::new(&HEADER);
        self.with_slots(|slots| {
            for slot in slots.iter() {
                let s = &slot.config.settings;
                writer.row([
                    slot.config.name.clone(),
                    s.tenant_id.clone(),
                    s.vault_name.clone(),
                    cloud_word(s.cloud).to_string(),
                    auth_word(s.auth).to_string(),
                    s.home_tenant_id.clone().unwrap_or_default(),
                    s.authority_host.clone().unwrap_or_default(),
                    s.vault_url.clone().unwrap_or_default(),
                ]);
            }
        });
        Ok(writer.finish())
    }

    /// Add the clients of a CSV file: each good row whole, each bad row reported by line. The
    /// console's app registration (Client ID) is the one of the clients already listed, or
    /// `client_id` when the list is empty; nothing is connected yet.
    pub fn import_clients_csv(&self, bytes: &[u8], client_id: &str) -> AppResult<ClientImport> {
        if self.demo_launch || self.is_demo() {
            return Err(demo_only());
        }
        if bytes.len() > MAX_IMPORT_BYTES {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "That file is larger than a client list (over 1 MiB).",
                "Choose the CSV with one line per client.",
            ));
        }
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header = reader.headers().map_err(|error| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("The file is not readable as CSV ({error})."),
                "Save the spreadsheet as CSV (UTF-8) and import that file.",
            )
        })?;
        let columns = Columns::of(header)?;
        let mut added_configs: Vec<ClientConfig> = Vec::new();
        let mut problems = Vec::new();
        let (known_names, known_vaults) = self.with_slots(|slots| {
            (
                slots
                    .iter()
                    .map(|s| s.config.name.to_lowercase())
                    .collect::<Vec<_>>(),
                slots
                    .iter()
                    .map(|s| s.config.settings.vault_name.clone())
                    .collect::<Vec<_>>(),
            )
        });
        for (index, record) in reader.records().enumerate() {
            // The line in the file as an editor numbers it, the header being line 1 (a quoted
            // record may span lines: its first line).
            let line = record
                .as_ref()
                .ok()
                .and_then(|r| r.position())
                .and_then(|p| usize::try_from(p.byte()).ok())
                .map_or(index + 2, |at| line_at(bytes, at));
            if index >= MAX_IMPORT_ROWS {
                problems.push(ImportProblem {
                    line,
                    message: format!("Only the first {MAX_IMPORT_ROWS} rows are read."),
                    hint: "Split the file and import the rest separately.".to_string(),
                });
                break;
            }
            let record = match record {
                Ok(record) => record,
                Err(error) => {
                    problems.push(ImportProblem {
                        line,
                        message: format!("This line is not valid CSV ({error})."),
                        hint: "Check its quotes.".to_string(),
                    });
                    continue;
                }
            };
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let get = |at: Option<usize>| at.and_then(|i| record.get(i)).map(cell);
            let Some(cloud) = parse_cloud(&get(columns.cloud).unwrap_or_default()) else {
                problems.push(ImportProblem {
                    line,
                    message: format!(
                        "Unknown cloud \"{}\".",
                        get(columns.cloud).unwrap_or_default()
                    ),
                    hint: "Use azure, us-government, china or custom.".to_string(),
                });
                continue;
            };
            let Some(auth) = parse_auth(&get(columns.auth).unwrap_or_default()) else {
                problems.push(ImportProblem {
                    line,
                    message: format!(
                        "Unknown sign-in mode \"{}\".",
                        get(columns.auth).unwrap_or_default()
                    ),
                    hint: "Use sign-in or app-secret.".to_string(),
                });
                continue;
            };
            let optional = |at: Option<usize>| get(at).filter(|v| !v.is_empty());
            let draft = ConnectionSettings {
                tenant_id: get(Some(columns.tenant)).unwrap_or_default(),
                client_id: client_id.to_string(),
                vault_name: get(Some(columns.vault)).unwrap_or_default(),
                cloud,
                authority_host: optional(columns.authority),
                vault_url: optional(columns.vault_url),
                ca_pem: None,
                auth,
                home_tenant_id: optional(columns.home),
            };
            let settings = match draft.validated() {
                Ok(settings) => settings,
                Err(error) => {
                    problems.push(problem(line, &error));
                    continue;
                }
            };
            let name = match validate_text(
                "clientName",
                "Client name",
                &get(Some(columns.name)).unwrap_or_default(),
                MAX_CLIENT_NAME_CHARS,
            ) {
                Ok(name) if name.is_empty() => settings.vault_name.clone(),
                Ok(name) => name,
                Err(error) => {
                    problems.push(problem(line, &error));
                    continue;
                }
            };
            let name_taken = known_names.contains(&name.to_lowercase())
                || added_configs
                    .iter()
                    .any(|c| c.name.eq_ignore_ascii_case(&name));
            if name_taken {
                problems.push(ImportProblem {
                    line,
                    message: format!("There is already a client named {name}."),
                    hint: "Give each client its own name.".to_string(),
                });
                continue;
            }
            let vault_taken = known_vaults.contains(&settings.vault_name)
                || added_configs
                    .iter()
                    .any(|c| c.settings.vault_name == settings.vault_name);
            if vault_taken {
                problems.push(ImportProblem {
                    line,
                    message: format!(
                        "The vault {} already belongs to a client.",
                        settings.vault_name
                    ),
                    hint: "Each client has its own vault, so two clients' keys are never mixed."
                        .to_string(),
                });
                continue;
            }
            added_configs.push(ClientConfig {
                id: uuid::Uuid::new_v4().simple().to_string(),
                name,
                settings,
            });
        }
        if !added_configs.is_empty() {
            // The file first: a client is added to the list only once it is kept.
            {
                let mut file = lock(&self.config);
                let before = file.clients.len();
                file.clients.extend(added_configs.iter().cloned());
                if let Err(error) = config::save(&self.paths.config_dir, &file) {
                    file.clients.truncate(before);
                    return Err(error);
                }
            }
            self.with_slots(|slots| {
                for config in &added_configs {
                    slots.push(Slot {
                        config: config.clone(),
                        remembered: true,
                        state: SlotState::Idle,
                    });
                }
            });
        }
        Ok(ClientImport {
            added: added_configs.into_iter().map(|c| c.name).collect(),
            problems,
        })
    }

    /// The console's app registration the clients share (the first listed client's).
    pub fn console_client_id(&self) -> Option<String> {
        self.with_slots(|slots| {
            slots
                .iter()
                .map(|s| s.config.settings.client_id.clone())
                .find(|id| !id.is_empty())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::AppPaths;
    use std::sync::Arc;

    const CONSOLE: &str = "33333333-3333-4333-8333-333333333333";

    fn core(dir: &std::path::Path) -> AppCore {
        AppCore::new(
            AppPaths {
                config_dir: dir.join("config"),
                data_dir: dir.join("data"),
            },
            false,
            Arc::new(|_| {}),
        )
    }

    #[test]
    fn good_rows_are_added_whole_and_bad_rows_reported_by_line() {
        let dir = tempfile::tempdir().expect("dir");
        let core = core(dir.path());
        let file = "\u{feff}Name,Tenant ID,Vault,Cloud,Sign-in,MSP tenant ID\r\n\
            Contoso Dental,72f988bf-86f1-41af-91ab-2d7cd011db47,contoso-kv,azure,sign-in,0ae51e19-07c8-4e4b-bb6d-648ee58410f4\r\n\
            Bad Tenant,not-a-guid,bad-kv,azure,sign-in,\r\n\
            \r\n\
            \"Fabrikam, Inc.\",11111111-1111-4111-8111-111111111111,https://FABRIKAM-KV.vault.azure.net/,,,\r\n\
            Twice,11111111-1111-4111-8111-111111111111,contoso-kv,azure,sign-in,\r\n\
            Mars,11111111-1111-4111-8111-111111111111,mars-kv,mars,sign-in,\r\n";
        let report = core
            .import_clients_csv(file.as_bytes(), CONSOLE)
            .expect("import");
        assert_eq!(report.added, vec!["Contoso Dental", "Fabrikam, Inc."]);
        let lines: Vec<usize> = report.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 6, 7], "{:?}", report.problems);
        assert!(
            report.problems[0].message.contains("tenantId"),
            "{:?}",
            report.problems[0]
        );
        assert!(report.problems[1].message.contains("contoso-kv"));
        assert!(report.problems[2].message.contains("mars"));

        // Kept in the config file, listed, not connected; the vault URI reduced to its name.
        let saved = config::load(&dir.path().join("config")).expect("config");
        let fabrikam = saved
            .clients
            .iter()
            .find(|c| c.name == "Fabrikam, Inc.")
            .expect("saved");
        assert_eq!(fabrikam.settings.vault_name, "fabrikam-kv");
        assert_eq!(fabrikam.settings.client_id, CONSOLE);
        let contoso = saved
            .clients
            .iter()
            .find(|c| c.name == "Contoso Dental")
            .expect("saved");
        assert_eq!(
            contoso.settings.home_tenant_id.as_deref(),
            Some("0ae51e19-07c8-4e4b-bb6d-648ee58410f4")
        );
        assert_eq!(core.with_slots(|slots| slots.len()), 2);

        // Line numbers hold with plain LF line ends too.
        let lf = "Name,Tenant ID,Vault\nA,bad,a-kv\nB,bad,b-kv\n";
        let lf_report = core
            .import_clients_csv(lf.as_bytes(), CONSOLE)
            .expect("import");
        let lf_lines: Vec<usize> = lf_report.problems.iter().map(|p| p.line).collect();
        assert_eq!(lf_lines, vec![2, 3]);

        // Exported and imported again: every row is already there, nothing added twice.
        let exported = core.clients_csv().expect("export");
        let again = core.import_clients_csv(&exported, CONSOLE).expect("import");
        assert!(again.added.is_empty());
        assert_eq!(again.problems.len(), 2);
        assert_eq!(core.with_slots(|slots| slots.len()), 2);
    }

    #[test]
    fn a_file_without_the_needed_columns_adds_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let core = core(dir.path());
        let error = core
            .import_clients_csv(b"Name,Vault\r\nContoso,contoso-kv\r\n", CONSOLE)
            .expect_err("no tenant column");
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert!(error.message.contains("Tenant ID"));
        assert_eq!(core.with_slots(|slots| slots.len()), 0);
    }
}
