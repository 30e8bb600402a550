//! A key's runbook: its rotation procedure (Markdown, prefilled from the vendor's catalog entry)
//! and the "used by" list of systems that consume it. Stored as a console document in the vault
//! (not a 256-character tag), shown as steps in the Rotate dialog and as a checklist when
//! rotating or revoking. Never a secret: saving refuses text that contains the key's value.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Console, Operator, format_date};
use crate::audit::AuditAction;
use crate::domain::catalog::Vendor;
use crate::domain::key_value::KeyParts;
use crate::domain::policy::KeyAction;
use crate::domain::validation::validate_text;
use crate::error::{AppError, AppResult};
use crate::store::ConsoleDocument;

pub const MAX_PROCEDURE_CHARS: usize = 20_000;
pub const MAX_USED_BY: usize = 100;
const MAX_USED_BY_FIELD: usize = 200;
/// The tag summary of the "used by" list stays within Key Vault's 256-character tag values.
const USED_BY_TAG_CHARS: usize = 250;

/// One system, script or client that uses a key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UsedBy {
    pub name: String,
    /// Where it is configured (server, RMM policy, script path, client).
    #[serde(default, rename = "where")]
    #[ts(rename = "where")]
    pub location: String,
    #[serde(default)]
    pub owner: String,
}

impl UsedBy {
    /// "PSA sync (psa01: C:\jobs; Dana)" for the CSV and reports.
    pub fn describe(&self) -> String {
        let detail: Vec<&str> = [self.location.as_str(), self.owner.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        if detail.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, detail.join("; "))
        }
    }
}

/// The stored document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunbookDocument {
    procedure: String,
    #[serde(default)]
    used_by: Vec<UsedBy>,
    #[serde(default)]
    updated: Option<String>,
    #[serde(default)]
    updated_by: Option<String>,
}

/// What the detail panel and the Rotate dialog show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RunbookView {
    pub secret_name: String,
    pub procedure: String,
    /// The procedure's numbered or bulleted lines, for the Rotate dialog.
    pub steps: Vec<String>,
    pub used_by: Vec<UsedBy>,
    /// True while nobody has saved a procedure for this key (the text is the catalog's template).
    pub prefilled: bool,
    pub updated: Option<String>,
    pub updated_by: Option<String>,
}

/// The runbook form.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RunbookRequest {
    pub secret_name: String,
    pub procedure: String,
    #[serde(default)]
    pub used_by: Vec<UsedBy>,
}

/// The procedure a key starts with, from its vendor's catalog entry.
pub fn prefilled_procedure(vendor: &Vendor) -> String {
    if let Some(procedure) = &vendor.procedure {
        return procedure.clone();
    }
    if vendor.is_non_api() {
        return non_api_procedure(vendor);
    }
    let parts: Vec<&str> = vendor.key_parts.iter().map(|p| p.label.as_str()).collect();
    let store = match vendor.no_test_reason() {
        Some(reason) => format!("In the console, press Rotate on this key and enter the new key. {reason}"),
        None => "In the console, press Rotate on this key, enter the new key and tick \"Test the new key before saving\".".to_string(),
    };
    let mut steps = vec![
        format!("Sign in to {} and open {}.", vendor.name, vendor.portal),
        format!(
            "Create the new key with {}. Copy {} (shown once at most vendors).",
            vendor.scope,
            parts.join(" and ")
        ),
        store,
        "Update every system in the \"Used by\" list and tick each one in the Rotate dialog."
            .to_string(),
        format!(
            "Revoke or delete the old key in {} once nothing uses it any more.",
            vendor.name
        ),
    ];
    if vendor.connector.is_some() {
        steps.insert(
            0,
            "Or press \"Rotate at vendor\": the console creates, tests and stores the new key, then revokes the old one.".to_string(),
        );
    }
    let mut text = format!("## Rotating the {} key\n\n", vendor.name);
    for (index, step) in steps.iter().enumerate() {
        text.push_str(&format!("{}. {step}\n", index + 1));
    }
    text.push_str(&format!("\nKey format: {}\n", vendor.key_hint));
    text
}

/// A secret that is not an API key is made in the console and set where it is used: there is
/// no vendor portal that creates it and no vendor to revoke it at.
fn non_api_procedure(vendor: &Vendor) -> String {
    let steps = [
        "In the console, press Rotate on this key and keep Generate: the value follows this kind's limits (shorten it only for a system that needs it, and say why).".to_string(),
        format!("Set the new value at: {} ({}).", vendor.portal, vendor.scope),
        "Update every system in the \"Used by\" list and tick each one in the Rotate dialog.".to_string(),
        vendor
            .no_test_reason()
            .unwrap_or("Check that each system works with the new value.")
            .to_string(),
        "Keep the previous version until every system uses the new one: Key Vault keeps it, and Versions in the key's detail restores it.".to_string(),
    ];
    let mut text = format!(
        "## Rotating the {}

",
        vendor.name
    );
    for (index, step) in steps.iter().enumerate() {
        text.push_str(&format!(
            "{}. {step}
",
            index + 1
        ));
    }
    text.push_str(&format!("\nWhat it is: {}\n", vendor.key_hint));
    text
}

/// Numbered (`1.`) or bulleted (`-`, `*`) lines as steps; paragraphs when there are none.
pub fn procedure_steps(markdown: &str) -> Vec<String> {
    let listed: Vec<String> = markdown
        .lines()
        .map(str::trim)
        .filter_map(|line| {
            let digits = line.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 && line[digits..].starts_with(['.', ')']) {
                Some(line[digits + 1..].trim().to_string())
            } else {
                line.strip_prefix("- ")
                    .or_else(|| line.strip_prefix("* "))
                    .map(|rest| rest.trim().to_string())
            }
        })
        .filter(|step| !step.is_empty())
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    markdown
        .split("\n\n")
        .map(|p| p.trim().trim_start_matches('#').trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// A short form of the list for the key's tag (listing reads no documents).
pub fn used_by_summary(used_by: &[UsedBy]) -> String {
    let mut summary = String::new();
    for (index, entry) in used_by.iter().enumerate() {
        let piece = if summary.is_empty() {
            entry.name.clone()
        } else {
            format!("; {}", entry.name)
        };
        let rest = used_by.len() - index;
        if summary.chars().count() + piece.chars().count() > USED_BY_TAG_CHARS - 12 {
            summary.push_str(&format!(" … +{rest} more"));
            break;
        }
        summary.push_str(&piece);
    }
    summary
}

fn validate_used_by(used_by: Vec<UsedBy>) -> AppResult<Vec<UsedBy>> {
    if used_by.len() > MAX_USED_BY {
        return Err(AppError::field(
            "usedBy",
            format!("A key lists at most {MAX_USED_BY} systems that use it."),
            "Group systems of one kind (e.g. 'all client RMM policies').",
        ));
    }
    let mut cleaned = Vec::new();
    for entry in used_by {
        let name = validate_text("usedBy", "A used-by name", &entry.name, MAX_USED_BY_FIELD)?;
        let location = validate_text("usedBy", "Where", &entry.location, MAX_USED_BY_FIELD)?;
        let owner = validate_text("usedBy", "Owner", &entry.owner, MAX_USED_BY_FIELD)?;
        if name.is_empty() {
            if location.is_empty() && owner.is_empty() {
                continue;
            }
            return Err(AppError::field(
                "usedBy",
                "Every used-by entry needs a name.",
                "Name the system, script or client, e.g. 'Nightly PSA sync'.",
            ));
        }
        cleaned.push(UsedBy {
            name,
            location,
            owner,
        });
    }
    Ok(cleaned)
}

impl Console {
    async fn read_runbook(&self, secret_name: &str) -> AppResult<Option<RunbookDocument>> {
        let document = ConsoleDocument::KeyRunbook {
            secret_name: secret_name.to_string(),
        };
        Ok(self
            .store()
            .read_document(&document)
            .await?
            .and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// The key's runbook, or the catalog's template when none was saved.
    pub async fn key_runbook(
        &self,
        operator: &Operator,
        secret_name: &str,
    ) -> AppResult<RunbookView> {
        operator.require_role()?;
        let record = self.key(secret_name).await?;
        let vendor = record
            .vendor()
            .ok_or_else(|| AppError::internal("key of an unknown vendor"))?;
        let stored = self.read_runbook(secret_name).await?;
        let (procedure, used_by, prefilled, updated, updated_by) = match stored {
            Some(doc) if !doc.procedure.trim().is_empty() => (
                doc.procedure,
                doc.used_by,
                false,
                doc.updated,
                doc.updated_by,
            ),
            Some(doc) => (
                prefilled_procedure(vendor),
                doc.used_by,
                true,
                doc.updated,
                doc.updated_by,
            ),
            None => (prefilled_procedure(vendor), Vec::new(), true, None, None),
        };
        Ok(RunbookView {
            secret_name: secret_name.to_string(),
            steps: procedure_steps(&procedure),
            procedure,
            used_by,
            prefilled,
            updated,
            updated_by,
        })
    }

    /// Save the procedure and "used by" list; the key's tag gets the list's summary.
    pub async fn save_runbook(
        &self,
        operator: &Operator,
        request: RunbookRequest,
        now: chrono::DateTime<chrono::Utc>,
    ) -> AppResult<RunbookView> {
        let record = self.fresh_key(&request.secret_name).await?;
        let vendor = record
            .vendor()
            .ok_or_else(|| AppError::internal("key of an unknown vendor"))?;
        let procedure = request.procedure.trim().to_string();
        if procedure.chars().count() > MAX_PROCEDURE_CHARS {
            return Err(AppError::field(
                "procedure",
                format!("The procedure is limited to {MAX_PROCEDURE_CHARS} characters."),
                "Link to longer documents instead of pasting them.",
            ));
        }
        if procedure
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(AppError::field(
                "procedure",
                "The procedure contains control characters.",
                "Paste it as plain text.",
            ));
        }
        let used_by = validate_used_by(request.used_by)?;
        self.authorize(operator, &record, KeyAction::Update, AuditAction::Update)?;
        // Never a secret in these documents: refuse text holding any part of the current key.
        let value = self.store().read_value(&record.secret_name, None).await?;
        let parts = KeyParts::decode(vendor, &value);
        let everything = format!(
            "{procedure}\n{}",
            used_by
                .iter()
                .map(UsedBy::describe)
                .collect::<Vec<_>>()
                .join("\n")
        );
        if parts.as_ref().is_some_and(|p| p.appears_in(&everything))
            || everything.contains(value.expose())
        {
            return Err(AppError::field(
                "procedure",
                "The procedure or used-by list contains this key's value.",
                "Runbooks are read by every technician: describe where the key goes, never the key itself.",
            ));
        }
        let document = RunbookDocument {
            procedure: procedure.clone(),
            used_by: used_by.clone(),
            updated: Some(format_date(now)),
            updated_by: Some(operator.name.clone()),
        };
        let json = serde_json::to_string(&document)
            .map_err(|e| AppError::internal(format!("runbook JSON: {e}")))?;
        let written = self
            .store()
            .write_document(
                &ConsoleDocument::KeyRunbook {
                    secret_name: record.secret_name.clone(),
                },
                &json,
            )
            .await;
        let mut result = written.map(|_| ());
        let summary = used_by_summary(&used_by);
        if result.is_ok() && record.settings.used_by != summary {
            let mut next = record.clone();
            next.settings.used_by = summary;
            match self.store().update_key(&next).await {
                Ok(stored) => self.remember_key(&stored),
                Err(error) => result = Err(error),
            }
        }
        self.record(
            operator,
            AuditAction::Update,
            Some(&record.vendor_id),
            Some(&record.secret_name),
            result.as_ref().map(|_| ()),
            format!("runbook: procedure, used by ({})", used_by.len()),
        )
        .await;
        result?;
        self.key_runbook(operator, &record.secret_name).await
    }

    /// The audit note of a rotation's or revocation's checklist: which "used by" entries were
    /// ticked as updated, and which were not. `None` when the key lists none.
    pub(crate) async fn used_by_note(
        &self,
        secret_name: &str,
        checked: &[String],
    ) -> Option<String> {
        let used_by = self
            .read_runbook(secret_name)
            .await
            .ok()
            .flatten()
            .map(|doc| doc.used_by)
            .unwrap_or_default();
        if used_by.is_empty() {
            return None;
        }
        let (ticked, open): (Vec<&UsedBy>, Vec<&UsedBy>) =
            used_by.iter().partition(|u| checked.contains(&u.name));
        let names = |list: &[&UsedBy]| {
            list.iter()
                .map(|u| u.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut note = format!(
            "used by updated: {}",
            if ticked.is_empty() {
                "none".to_string()
            } else {
                names(&ticked)
            }
        );
        if !open.is_empty() {
            note.push_str(&format!("; not ticked: {}", names(&open)));
        }
        Some(note)
    }

    /// Full "used by" lists of the keys whose tag says they have one (for the CSV and report).
    pub(crate) async fn used_by_lists(
        &self,
        secret_names: Vec<String>,
    ) -> std::collections::HashMap<String, Vec<UsedBy>> {
        use futures::StreamExt;
        futures::stream::iter(secret_names.into_iter().map(|name| async move {
            let list = self
                .read_runbook(&name)
                .await
                .ok()
                .flatten()
                .map(|doc| doc.used_by)
                .unwrap_or_default();
            (name, list)
        }))
        .buffer_unordered(8)
        .collect()
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::vendor;

    #[test]
    fn prefilled_procedures_name_the_portal_scope_and_parts() {
        let ninja = vendor("ninjaone").expect("catalog");
        let text = prefilled_procedure(ninja);
        assert!(text.contains(&ninja.portal));
        assert!(text.contains(&ninja.scope));
        assert!(text.contains("Client ID and Client secret"));
        let steps = procedure_steps(&text);
        assert_eq!(steps.len(), 5);
        assert!(steps[0].starts_with("Sign in to NinjaOne"));
        let meraki = vendor("cisco-meraki").expect("catalog");
        assert!(procedure_steps(&prefilled_procedure(meraki))[0].contains("Rotate at vendor"));
        // A vendor without a test call is not told to test before saving.
        let screenconnect = vendor("connectwise-screenconnect").expect("catalog");
        let text = prefilled_procedure(screenconnect);
        assert!(!text.contains("Test the new key before saving"), "{text}");
        assert!(text.contains("no read-only call"), "{text}");
    }

    #[test]
    fn non_api_procedures_generate_here_and_set_the_value_where_it_is_used() {
        let wifi = vendor("wifi-psk").expect("catalog");
        let text = prefilled_procedure(wifi);
        let steps = procedure_steps(&text);
        assert_eq!(steps.len(), 5);
        assert!(steps[0].contains("Generate"));
        assert!(steps[1].contains(&wifi.portal));
        assert!(steps[3].contains("join the network"));
        // Nothing about a vendor portal, a vendor test or revoking at a vendor.
        for vendor_words in [
            "Sign in to",
            "Test the new key",
            "Revoke or delete the old key in",
        ] {
            assert!(!text.contains(vendor_words), "{vendor_words}: {text}");
        }
    }

    #[test]
    fn steps_from_bullets_and_paragraphs() {
        assert_eq!(
            procedure_steps("Intro\n- one\n* two\n3) three"),
            vec!["one", "two", "three"]
        );
        assert_eq!(
            procedure_steps("# Title\n\nDo this."),
            vec!["Title", "Do this."]
        );
    }

    #[test]
    fn summaries_fit_a_tag() {
        let many: Vec<UsedBy> = (0..60)
            .map(|i| UsedBy {
                name: format!("Client {i:02} RMM policy"),
                ..Default::default()
            })
            .collect();
        let summary = used_by_summary(&many);
        assert!(summary.chars().count() <= 256, "{}", summary.len());
        assert!(summary.contains("more"));
        assert_eq!(
            used_by_summary(&many[..2]),
            "Client 00 RMM policy; Client 01 RMM policy"
        );
    }

    #[test]
    fn used_by_entries_are_validated() {
        let blank = validate_used_by(vec![UsedBy::default()]).expect("blank rows dropped");
        assert!(blank.is_empty());
        let nameless = validate_used_by(vec![UsedBy {
            location: "psa01".into(),
            ..Default::default()
        }]);
        assert!(nameless.is_err());
    }
}
