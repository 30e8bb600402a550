//! The installation's report settings: the MSP's name printed in every report's header and
//! sign-off block. Set once in the profile and kept in config.json (a local preference, not in
//! any vault, so it is not audited); the demo window keeps it in memory only.

use serde::Serialize;
use ts_rs::TS;

use super::{AppCore, lock};
use crate::config;
use crate::domain::validation::validate_text;
use crate::error::AppResult;

/// Long enough for "Northwind Managed IT Services & Cloud Solutions GmbH", short enough for the
/// report's header line.
pub const MAX_MSP_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReportSettings {
    /// `None` until it is set.
    pub msp_name: Option<String>,
}

impl AppCore {
    /// The settings as saved; a hand-edited name that fails the rules is ignored.
    pub fn report_settings(&self) -> ReportSettings {
        let saved = lock(&self.config).msp_name.clone();
        ReportSettings {
            msp_name: saved
                .and_then(|name| check_msp_name(&name).ok())
                .filter(|name| !name.is_empty()),
        }
    }

    /// Set (or, with an empty name, clear) the MSP's name.
    pub fn set_msp_name(&self, name: &str) -> AppResult<ReportSettings> {
        let name = check_msp_name(name)?;
        {
            let mut config = lock(&self.config);
            config.msp_name = (!name.is_empty()).then_some(name);
            // A demo launch writes nothing to disk.
            if !self.demo_launch {
                config::save(&self.paths.config_dir, &config)?;
            }
        }
        Ok(self.report_settings())
    }
}

/// One line of printable text, at most [`MAX_MSP_NAME_CHARS`] characters.
fn check_msp_name(name: &str) -> AppResult<String> {
    validate_text("mspName", "The MSP's name", name, MAX_MSP_NAME_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::AppPaths;

    fn core_in(dir: &std::path::Path) -> AppCore {
        launch(dir, false)
    }

    fn launch(dir: &std::path::Path, demo_launch: bool) -> AppCore {
        AppCore::new(
            AppPaths {
                config_dir: dir.join("config"),
                data_dir: dir.join("data"),
            },
            demo_launch,
            std::sync::Arc::new(|_| {}),
        )
    }

    /// `pdftotext -layout` of a PDF.
    fn pdf_text(bytes: &[u8]) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, bytes).expect("write");
        let output = std::process::Command::new("pdftotext")
            .args(["-layout", "-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (Debian package poppler-utils) runs");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    #[tokio::test]
    #[cfg_attr(
        windows,
        ignore = "reads the PDF back with poppler's pdftotext, a Linux program a test under Wine cannot start"
    )]
    async fn the_demo_report_names_msp_and_client_puts_exceptions_first_and_verifies_the_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = launch(dir.path(), true);
        let status = core.start_demo().await.expect("demo");
        core.set_msp_name("Northwind IT Services").expect("name");
        let client = status.clients.first().expect("a demo client");
        let filter = crate::session::PortfolioFilter {
            client: Some(client.id.clone()),
            vendor: None,
        };
        let now = chrono::Utc::now();
        let view = core.vault_view(&filter, now).await.expect("vault view");
        let text = pdf_text(&core.report_pdf(&filter, now).await.expect("report"));

        assert!(
            text.contains(&format!(
                "Prepared by Northwind IT Services for {}",
                client.name
            )),
            "{text}"
        );
        // The same verification the Audit tab runs; the demo's log is in memory.
        let verified = text
            .lines()
            .find(|l| l.contains("Audit log verified:"))
            .unwrap_or_else(|| panic!("no verification line:\n{text}"));
        assert!(
            verified.contains("demo: the log is kept in memory"),
            "{verified}"
        );

        // Every count agrees with the Vault tab's.
        let c = &view.counts;
        let exceptions = c.expired + c.overdue + c.disabled;
        let within = c.healthy + c.due_soon;
        assert_eq!(within + exceptions, c.keys);
        let figure = format!("{within} of {} ({}%)", c.keys, within * 100 / c.keys.max(1));
        assert!(text.contains(&figure), "{figure:?} not in:\n{text}");
        let heading = format!("Exceptions: keys that need action ({exceptions})");
        let exceptions_at = text.find(&heading).expect("the exceptions heading");
        let table_at = text
            .find(&format!("All stored keys, most urgent first ({})", c.keys))
            .expect("the key table");
        assert!(exceptions_at < table_at, "exceptions come first");
        assert!(
            text.find("Sign-off").is_some_and(|at| at < table_at),
            "the sign-off block before the appendix"
        );

        // The inventory CSV of the same client says the same: its Status column gives the same
        // exceptions and the same keys within policy.
        let csv = core.inventory_csv(&filter, now).await.expect("csv");
        let csv = String::from_utf8(csv).expect("utf-8");
        let records = csv_records(csv.trim_start_matches('\u{feff}'));
        let status_at = records[0]
            .iter()
            .position(|h| h == "Status")
            .expect("a Status column");
        let name_at = records[0]
            .iter()
            .position(|h| h == "Secret name")
            .expect("a Secret name column");
        let kind_at = records[0].iter().position(|h| h == "Kind").expect("Kind");
        // The API keys' exceptions: certificates and keys have their own section.
        let stored: Vec<String> = records[1..]
            .iter()
            .filter(|r| !r[name_at].is_empty() && r[kind_at] == "API key")
            .map(|r| r[status_at].to_lowercase())
            .collect();
        let csv_exceptions = stored
            .iter()
            .filter(|s| s.contains("expired") || s.contains("overdue") || s.contains("disabled"))
            .count();
        assert_eq!(stored.len(), c.keys, "keys stored");
        assert_eq!(
            csv_exceptions, exceptions,
            "exceptions in the CSV and the PDF"
        );
        assert_eq!(stored.len() - csv_exceptions, within, "keys within policy");
    }

    /// RFC 4180 records (quoted cells may hold commas, quotes and line breaks).
    fn csv_records(text: &str) -> Vec<Vec<String>> {
        let mut records = vec![Vec::new()];
        let mut cell = String::new();
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => records
                    .last_mut()
                    .expect("a record")
                    .push(std::mem::take(&mut cell)),
                ('\r', false) => {}
                ('\n', false) => {
                    records
                        .last_mut()
                        .expect("a record")
                        .push(std::mem::take(&mut cell));
                    records.push(Vec::new());
                }
                (c, _) => cell.push(c),
            }
        }
        records.retain(|r| !r.is_empty());
        records
    }

    #[test]
    fn msp_name_is_saved_for_the_next_start_and_validated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core_in(dir.path());
        assert_eq!(core.report_settings().msp_name, None);
        let saved = core
            .set_msp_name("  Northwind IT Services ")
            .expect("a valid name");
        assert_eq!(saved.msp_name.as_deref(), Some("Northwind IT Services"));
        // Another start of the console (or the CLI) reads it from config.json.
        let again = core_in(dir.path());
        assert_eq!(
            again.report_settings().msp_name.as_deref(),
            Some("Northwind IT Services")
        );

        for bad in ["Northwind\nIT", "Evil\u{202e}corp", &"x".repeat(81)] {
            let error = core.set_msp_name(bad).expect_err("refused");
            assert_eq!(error.field.as_deref(), Some("mspName"), "{bad:?}");
            assert!(!error.hint.is_empty());
        }
        assert_eq!(
            core.report_settings().msp_name.as_deref(),
            Some("Northwind IT Services"),
            "a refused name leaves the saved one"
        );
        assert_eq!(core.set_msp_name("").expect("clear").msp_name, None);

        // config.json is only a claim: a hand-edited name is read, one with a terminal escape
        // is ignored.
        let file = dir.path().join("config").join(config::CONFIG_FILE);
        std::fs::write(&file, r#"{"mspName":"Fabrikam MSP"}"#).expect("edit the file");
        assert_eq!(
            core_in(dir.path()).report_settings().msp_name.as_deref(),
            Some("Fabrikam MSP")
        );
        std::fs::write(
            dir.path().join("config").join(config::CONFIG_FILE),
            r#"{"mspName":"Evil\u001b[31m Corp"}"#,
        )
        .expect("edit the file");
        assert_eq!(core_in(dir.path()).report_settings().msp_name, None);
    }
}
