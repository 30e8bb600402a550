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
        AppCore::new(
            AppPaths {
                config_dir: dir.join("config"),
                data_dir: dir.join("data"),
            },
            false,
            std::sync::Arc::new(|_| {}),
        )
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
    }
}
