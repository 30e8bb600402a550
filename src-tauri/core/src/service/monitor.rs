//! What an RMM monitor asks of the console: are any keys due? The headless `akv-console status`
//! prints this report and exits with its level, so NinjaOne, Datto RMM or ConnectWise Automate
//! scripts can alert on it. Built from the Vault tab's rows, so the statuses are the tab's own.

use serde::Serialize;

use crate::domain::catalog::Category;
use crate::domain::keys::KeyStatus;
use crate::domain::status::{ClientCounts, KeyFacts};
use crate::domain::vault_objects::{ObjectFacts, ObjectKind};
use crate::error::AppError;
use crate::service::objects::ObjectsView;
use crate::service::vault::VaultRow;

/// From which status on the monitor raises its level (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// Due within 14 days is a warning; rotation overdue or expired is critical.
    Due,
    /// Rotation overdue or expired is critical; due within 14 days is fine.
    Overdue,
    /// Only expired keys are critical.
    Expired,
}

impl FailOn {
    pub fn parse(text: &str) -> Option<FailOn> {
        match text {
            "due" => Some(FailOn::Due),
            "overdue" => Some(FailOn::Overdue),
            "expired" => Some(FailOn::Expired),
            _ => None,
        }
    }
}

/// The monitor's verdict; the exit code is its number. A check that could not run (a client
/// that did not connect) is `Unknown`, so a monitor never reads silence as health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MonitorLevel {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl MonitorLevel {
    pub fn exit_code(self) -> u8 {
        self as u8
    }

    pub fn label(self) -> &'static str {
        match self {
            MonitorLevel::Ok => "OK",
            MonitorLevel::Warning => "WARNING",
            MonitorLevel::Critical => "CRITICAL",
            MonitorLevel::Unknown => "UNKNOWN",
        }
    }

    /// The level one key's status raises under `fail_on`.
    pub fn of_status(status: KeyStatus, fail_on: FailOn) -> MonitorLevel {
        match (status, fail_on) {
            (KeyStatus::Expired, _) => MonitorLevel::Critical,
            (KeyStatus::Overdue, FailOn::Due | FailOn::Overdue) => MonitorLevel::Critical,
            (KeyStatus::DueSoon, FailOn::Due) => MonitorLevel::Warning,
            _ => MonitorLevel::Ok,
        }
    }
}

/// One key as the monitor prints it: the masked preview only, never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorKey {
    pub vendor_id: String,
    pub vendor_name: String,
    pub label: Option<String>,
    pub secret_name: String,
    /// Status, rotation and expiry: the same fields as the Vault tab's rows and the CSV.
    #[serde(flatten)]
    pub facts: KeyFacts,
    pub level: MonitorLevel,
    pub masked_preview: Option<String>,
    pub owner: String,
    /// "Non-API Secret" for VPN keys, passwords and the like; the vendor's category otherwise.
    pub category: Category,
    /// Flagged for review: why a secret shorter than its kind's recommended length was
    /// accepted; `null` otherwise. Does not change the level (the key is not late).
    pub review: Option<String>,
}

/// One of the vault's certificates or keys as the monitor prints it (no private material).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorObject {
    pub kind: ObjectKind,
    pub name: String,
    /// The same fields as the Vault tab's certificate and key rows.
    #[serde(flatten)]
    pub facts: ObjectFacts,
    pub issuer: String,
    pub detail: String,
    pub level: MonitorLevel,
}

/// One client's part of the report: its keys, or why it could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorClient {
    pub id: String,
    pub name: String,
    pub vault: String,
    pub level: MonitorLevel,
    /// The same counts as the console window's sidebar and Vault tab.
    pub counts: Option<ClientCounts>,
    /// Keys flagged for review (listed with their reason in `keys`).
    pub flagged_for_review: usize,
    pub keys: Vec<MonitorKey>,
    /// The vault's certificates and keys, most urgent first.
    pub objects: Vec<MonitorObject>,
    /// A kind the vault refused to list (named, e.g. no certificate read role): the rest of the
    /// client was checked.
    pub object_errors: Vec<AppError>,
    pub error: Option<AppError>,
}

/// `akv-console status`: every client's keys and the overall level (the exit code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorReport {
    /// Bumped when a field changes meaning, so RMM scripts can check what they parse.
    pub schema: &'static str,
    pub generated_at: String,
    pub fail_on: FailOn,
    pub level: MonitorLevel,
    pub exit_code: u8,
    /// Keys at or past the `--fail-on` status, across clients.
    pub alerting_keys: usize,
    /// Certificates and keys of the vaults at or past the `--fail-on` status, across clients.
    pub alerting_objects: usize,
    pub clients: Vec<MonitorClient>,
}

/// 2: statuses in the one vocabulary ("Rotation overdue", "Due within 14 days"), `about`,
/// `statusText`, `urgency`, `rotationText`, `expiryText`, `needsRotation` per key, and the counts
/// the window shows (`keys`, `noKey`, `dueTotal`, `lines`).
///
/// 3: each client's `objects` (the vault's certificates and keys: `kind`, `name`, the status
/// fields, `issuer`, `detail`, `level`) and `objectErrors`; `counts.certificates` and
/// `counts.cryptoKeys`; the report's `alertingObjects`.
///
/// 4: app registration credentials of each client's tenant among `objects` (`kind`
/// "app-credential", `name` the app, `issuer` the credential type, `detail` the credential),
/// their refusal (`GraphPermissionMissing`) in `objectErrors`, and `counts.appCredentials`.
pub const MONITOR_SCHEMA: &str = "akv-console.status/4";

impl MonitorClient {
    /// A connected client's rows (vendors without a key are left out: nothing to monitor).
    pub fn checked(
        id: String,
        name: String,
        vault: String,
        rows: Vec<VaultRow>,
        counts: ClientCounts,
        fail_on: FailOn,
    ) -> MonitorClient {
        let keys: Vec<MonitorKey> = rows
            .into_iter()
            .filter(|row| row.facts.status != KeyStatus::NoKey)
            .filter_map(|row| {
                Some(MonitorKey {
                    level: MonitorLevel::of_status(row.facts.status, fail_on),
                    secret_name: row.secret_name?,
                    vendor_id: row.vendor_id,
                    vendor_name: row.vendor_name,
                    label: row.label,
                    facts: row.facts,
                    masked_preview: row.masked_preview,
                    owner: row.owner,
                    category: row.category,
                    review: row.review,
                })
            })
            .collect();
        let flagged_for_review = keys.iter().filter(|k| k.review.is_some()).count();
        let level = keys
            .iter()
            .map(|k| k.level)
            .max()
            .unwrap_or(MonitorLevel::Ok);
        MonitorClient {
            id,
            name,
            vault,
            level,
            counts: Some(counts),
            flagged_for_review,
            keys,
            objects: Vec::new(),
            object_errors: Vec::new(),
            error: None,
        }
    }

    /// Add the vault's certificates and keys; they raise the level as keys do (an expired
    /// certificate is critical, one due within 14 days a warning under `--fail-on due`).
    pub fn with_objects(mut self, view: &ObjectsView, fail_on: FailOn) -> MonitorClient {
        self.objects = view
            .all_rows()
            .map(|row| MonitorObject {
                kind: row.kind,
                name: row.name.clone(),
                facts: row.facts.clone(),
                issuer: row.issuer.clone(),
                detail: row.detail.clone(),
                level: MonitorLevel::of_status(row.facts.status, fail_on),
            })
            .collect();
        self.object_errors = view.all_refusals().map(|r| r.error.clone()).collect();
        if let Some(worst) = self.objects.iter().map(|o| o.level).max() {
            self.level = self.level.max(worst);
        }
        self
    }

    /// A client that could not be checked.
    pub fn failed(id: String, name: String, vault: String, error: AppError) -> MonitorClient {
        MonitorClient {
            id,
            name,
            vault,
            level: MonitorLevel::Unknown,
            counts: None,
            flagged_for_review: 0,
            keys: Vec::new(),
            objects: Vec::new(),
            object_errors: Vec::new(),
            error: Some(error),
        }
    }
}

impl MonitorReport {
    pub fn new(clients: Vec<MonitorClient>, fail_on: FailOn, generated_at: String) -> Self {
        // No client at all is a check that did not run.
        let level = clients
            .iter()
            .map(|c| c.level)
            .max()
            .unwrap_or(MonitorLevel::Unknown);
        let alerting_keys = clients
            .iter()
            .flat_map(|c| &c.keys)
            .filter(|k| k.level > MonitorLevel::Ok)
            .count();
        let alerting_objects = clients
            .iter()
            .flat_map(|c| &c.objects)
            .filter(|o| o.level > MonitorLevel::Ok)
            .count();
        MonitorReport {
            schema: MONITOR_SCHEMA,
            generated_at,
            fail_on,
            level,
            exit_code: level.exit_code(),
            alerting_keys,
            alerting_objects,
            clients,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn key(status: KeyStatus, fail_on: FailOn) -> MonitorLevel {
        MonitorLevel::of_status(status, fail_on)
    }

    #[test]
    fn due_soon_warns_only_when_asked_and_expired_is_always_critical() {
        assert_eq!(key(KeyStatus::DueSoon, FailOn::Due), MonitorLevel::Warning);
        assert_eq!(key(KeyStatus::DueSoon, FailOn::Overdue), MonitorLevel::Ok);
        assert_eq!(key(KeyStatus::Overdue, FailOn::Due), MonitorLevel::Critical);
        assert_eq!(
            key(KeyStatus::Overdue, FailOn::Overdue),
            MonitorLevel::Critical
        );
        assert_eq!(key(KeyStatus::Overdue, FailOn::Expired), MonitorLevel::Ok);
        for fail_on in [FailOn::Due, FailOn::Overdue, FailOn::Expired] {
            assert_eq!(key(KeyStatus::Expired, fail_on), MonitorLevel::Critical);
            assert_eq!(key(KeyStatus::Healthy, fail_on), MonitorLevel::Ok);
            assert_eq!(key(KeyStatus::Disabled, fail_on), MonitorLevel::Ok);
        }
    }

    #[test]
    fn a_client_that_could_not_be_checked_makes_the_report_unknown() {
        let failed = MonitorClient::failed(
            "c1".into(),
            "Contoso".into(),
            "contoso-vault".into(),
            AppError::new(ErrorCode::VaultNotFound, "gone", "check"),
        );
        let report = MonitorReport::new(vec![failed], FailOn::Due, "now".into());
        assert_eq!(report.level, MonitorLevel::Unknown);
        assert_eq!(report.exit_code, 3);
        let empty = MonitorReport::new(Vec::new(), FailOn::Due, "now".into());
        assert_eq!(
            empty.exit_code, 3,
            "no client checked is not a healthy answer"
        );
        assert_eq!(FailOn::parse("overdue"), Some(FailOn::Overdue));
        assert_eq!(FailOn::parse("soon"), None);
    }
}
