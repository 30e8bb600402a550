//! Role-policy templates across the session's clients: the templates are kept with the
//! installation's settings (in memory in the demo), applied to many clients at once, and each
//! apply can be undone from its notice.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use ts_rs::TS;

use super::{AppCore, lock};
use crate::domain::policy::{AdminAction, Role, check_admin};
use crate::domain::policy_template::{
    Grants, PolicyTemplate, TemplateBook, grants_of, validate_template_name,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::templates::{
    ClientTemplatePreview, TemplateApplyResult, UndoRecord, apply_many, preview_many,
};
use crate::service::{Console, Operator};

const TEMPLATES_FILE: &str = "policy-templates.json";
/// More clients than any MSP's Clients list; a longer list is not from our page.
const MAX_CLIENTS_PER_APPLY: usize = 500;
/// Undo stays offered for the last few applies of this session only.
const UNDO_KEPT: usize = 5;

/// A template as the Distribute tab lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TemplateSummary {
    pub name: String,
    pub saved_at: String,
    pub saved_by: String,
    pub source_client: String,
    /// e.g. "L2 12 vendors · L1 4 · NOC 6".
    pub grants: String,
}

/// Templates of the demo (nothing of it touches the disk) and the undo of recent applies.
#[derive(Default)]
pub(crate) struct TemplateState {
    demo_book: Option<TemplateBook>,
    undo: Vec<(String, String, Vec<UndoRecord>)>,
}

fn summary(template: &PolicyTemplate) -> TemplateSummary {
    let count = |role: Role| template.grants.get(&role).map_or(0, |v| v.len());
    TemplateSummary {
        name: template.name.clone(),
        saved_at: crate::service::format_date(template.saved_at),
        saved_by: template.saved_by.clone(),
        source_client: template.source_client.clone(),
        grants: format!(
            "L2 {} vendors · L1 {} · NOC {}",
            count(Role::L2),
            count(Role::L1),
            count(Role::Noc)
        ),
    }
}

impl AppCore {
    fn template_book(&self) -> AppResult<TemplateBook> {
        if self.is_demo() || self.demo_launch {
            return Ok(lock(&self.templates).demo_book.clone().unwrap_or_default());
        }
        let path = self.paths.config_dir.join(TEMPLATES_FILE);
        match std::fs::read(&path) {
            // `from_json` refuses more than MAX_TEMPLATE_FILE_BYTES, whatever the file holds.
            Ok(bytes) => TemplateBook::from_json(&String::from_utf8_lossy(&bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TemplateBook::default()),
            Err(e) => Err(AppError::new(
                ErrorCode::InvalidInput,
                format!("{} could not be read ({e}).", path.display()),
                "Check the file's permissions.",
            )),
        }
    }

    fn save_template_book(&self, book: TemplateBook) -> AppResult<()> {
        if self.is_demo() || self.demo_launch {
            lock(&self.templates).demo_book = Some(book);
            return Ok(());
        }
        crate::config::write_atomically(
            &self.paths.config_dir.join(TEMPLATES_FILE),
            book.to_json().as_bytes(),
        )
    }

    pub fn policy_templates(&self) -> AppResult<Vec<TemplateSummary>> {
        Ok(self
            .template_book()?
            .templates
            .iter()
            .map(summary)
            .collect())
    }

    /// Save `client_id`'s current grants (read from its vault) as a template (Admin there only).
    pub async fn save_policy_template(
        &self,
        client_id: &str,
        name: &str,
    ) -> AppResult<Vec<TemplateSummary>> {
        let name = validate_template_name(name)?;
        let (console, operator) = self.client_console(client_id).await?;
        check_admin(operator.role, AdminAction::ChangePolicy)?;
        let policy = console.refresh_policy().await?;
        let mut book = self.template_book()?;
        book.put(PolicyTemplate {
            name,
            grants: grants_of(&policy),
            saved_at: Utc::now(),
            saved_by: operator.name.clone(),
            source_client: console.client().name.clone(),
        })?;
        self.save_template_book(book)?;
        self.policy_templates()
    }

    pub fn delete_policy_template(&self, name: &str) -> AppResult<Vec<TemplateSummary>> {
        let mut book = self.template_book()?;
        book.remove(name)?;
        self.save_template_book(book)?;
        self.policy_templates()
    }

    /// The page names the clients; each must be one of this session's (unknown or repeated ids
    /// are refused as a whole, not skipped).
    async fn consoles_for(
        &self,
        client_ids: &[String],
    ) -> AppResult<Vec<Result<(Arc<Console>, Operator), (String, AppError)>>> {
        if client_ids.is_empty() || client_ids.len() > MAX_CLIENTS_PER_APPLY {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "Pick the clients to apply the template to.",
                format!("Between 1 and {MAX_CLIENTS_PER_APPLY} clients at a time."),
            ));
        }
        let unique: BTreeSet<&String> = client_ids.iter().collect();
        if unique.len() != client_ids.len() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "A client appears twice in this request.",
                "Reload the Distribute tab and pick the clients again.",
            ));
        }
        let known: Vec<(String, String)> = self.with_slots(|slots| {
            slots
                .iter()
                .map(|s| (s.config.id.clone(), s.config.name.clone()))
                .collect()
        });
        let mut consoles = Vec::with_capacity(client_ids.len());
        for id in client_ids {
            let Some((_, name)) = known.iter().find(|(known, _)| known == id) else {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    "One of the chosen clients is not in the Clients list.",
                    "It may have been removed; reload the Distribute tab.",
                ));
            };
            consoles.push(
                self.client_console(id)
                    .await
                    .map_err(|error| (name.clone(), error)),
            );
        }
        Ok(consoles)
    }

    pub async fn preview_policy_template(
        &self,
        name: &str,
        client_ids: &[String],
    ) -> AppResult<Vec<ClientTemplatePreview>> {
        let template = self.template_book()?.find(name)?.clone();
        let mut previews = Vec::new();
        let mut ready = Vec::new();
        for (entry, id) in self
            .consoles_for(client_ids)
            .await?
            .into_iter()
            .zip(client_ids)
        {
            match entry {
                Ok(pair) => ready.push(pair),
                Err((client_name, error)) => previews.push(ClientTemplatePreview {
                    client_id: id.clone(),
                    client_name,
                    changes: Default::default(),
                    error: Some(error),
                }),
            }
        }
        previews.extend(preview_many(ready, &template.grants).await);
        Ok(previews)
    }

    /// Apply a template to the chosen clients: one audited policy save per client that changes.
    pub async fn apply_policy_template(
        &self,
        name: &str,
        client_ids: &[String],
    ) -> AppResult<TemplateApplyResult> {
        let template = self.template_book()?.find(name)?.clone();
        let what = format!("applied template \"{}\"", template.name);
        let (work, unreachable) = self.split(client_ids, |_| template.grants.clone()).await?;
        let (mut result, undo) = apply_many(work, &template.name, &what).await;
        add_unreachable(&mut result, unreachable);
        if let Some(id) = &result.undo_id {
            let mut state = lock(&self.templates);
            state.undo.push((id.clone(), template.name.clone(), undo));
            let excess = state.undo.len().saturating_sub(UNDO_KEPT);
            state.undo.drain(..excess);
        }
        Ok(result)
    }

    /// Put back each client's grants from before the apply `undo_id` (once; audited per client).
    pub async fn undo_policy_template(&self, undo_id: &str) -> AppResult<TemplateApplyResult> {
        let taken = {
            let mut state = lock(&self.templates);
            let index = state.undo.iter().position(|(id, _, _)| id == undo_id);
            index.map(|i| state.undo.remove(i))
        };
        let Some((_, template, records)) = taken else {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "That change can no longer be undone.",
                "Undo is offered for the last few template applies of this session; change single toggles on each client's Distribute tab instead.",
            ));
        };
        let ids: Vec<String> = records.iter().map(|r| r.client_id.clone()).collect();
        let what = format!("undid template \"{template}\"");
        let (work, unreachable) = self
            .split(&ids, |id| {
                records
                    .iter()
                    .find(|r| r.client_id == id)
                    .map(|r| r.previous.clone())
                    .unwrap_or_default()
            })
            .await?;
        let (mut result, _) = apply_many(work, &template, &what).await;
        result.undo_id = None;
        add_unreachable(&mut result, unreachable);
        Ok(result)
    }

    #[allow(clippy::type_complexity)]
    async fn split(
        &self,
        client_ids: &[String],
        grants_for: impl Fn(&str) -> Grants,
    ) -> AppResult<(
        Vec<(Arc<Console>, Operator, Grants)>,
        Vec<(String, String, AppError)>,
    )> {
        let mut work = Vec::new();
        let mut unreachable = Vec::new();
        for (entry, id) in self
            .consoles_for(client_ids)
            .await?
            .into_iter()
            .zip(client_ids)
        {
            match entry {
                Ok((console, operator)) => work.push((console, operator, grants_for(id))),
                Err((name, error)) => unreachable.push((id.clone(), name, error)),
            }
        }
        Ok((work, unreachable))
    }
}

/// Clients that were not connected count as failed, listed first with the reason.
fn add_unreachable(result: &mut TemplateApplyResult, unreachable: Vec<(String, String, AppError)>) {
    if unreachable.is_empty() {
        return;
    }
    result.failed += unreachable.len();
    let mut failed: Vec<_> = unreachable
        .into_iter()
        .map(
            |(client_id, client_name, error)| crate::service::templates::ClientTemplateResult {
                client_id,
                client_name,
                ok: false,
                changes: Default::default(),
                error: Some(error),
            },
        )
        .collect();
    failed.append(&mut result.clients);
    result.clients = failed;
    result.clients.sort_by(|a, b| {
        a.ok.cmp(&b.ok)
            .then_with(|| a.client_name.cmp(&b.client_name))
    });
    let what = result
        .summary
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string();
    result.summary = crate::service::templates::summary_line(
        &what,
        result.changed,
        result.unchanged,
        result.failed,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::AppPaths;

    fn core(dir: &std::path::Path, demo_launch: bool) -> AppCore {
        AppCore::new(
            AppPaths {
                config_dir: dir.join("config"),
                data_dir: dir.join("data"),
            },
            demo_launch,
            Arc::new(|_| {}),
        )
    }

    #[tokio::test]
    async fn the_demo_applies_a_template_to_every_client_and_undoes_it_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path(), true);
        core.start_demo().await.expect("demo");
        core.set_profile("Dana", Some(Role::Admin))
            .await
            .expect("demo role");
        let ids: Vec<String> = core
            .status()
            .await
            .clients
            .iter()
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(ids.len(), 3);
        let (first, _) = core.client_console(&ids[0]).await.expect("console");
        let admin = crate::service::Operator::demo("Dana", Role::Admin);
        first
            .set_access(&admin, Role::L1, "ninjaone", false)
            .await
            .expect("revoke");
        let saved = core
            .save_policy_template(&ids[0], "Standard")
            .await
            .expect("saved");
        assert_eq!(saved.len(), 1);

        // A page naming a client twice, or one that is not in the list, is refused whole.
        let twice = vec![ids[1].clone(), ids[1].clone()];
        assert!(
            core.apply_policy_template("Standard", &twice)
                .await
                .is_err()
        );
        let forged = vec![ids[1].clone(), "../../etc".to_string()];
        let error = core
            .apply_policy_template("Standard", &forged)
            .await
            .expect_err("unknown client");
        assert_eq!(error.code, ErrorCode::InvalidInput);

        let preview = core
            .preview_policy_template("Standard", &ids)
            .await
            .expect("preview");
        assert_eq!(preview.iter().filter(|p| !p.changes.is_empty()).count(), 2);
        let applied = core
            .apply_policy_template("Standard", &ids)
            .await
            .expect("applied");
        assert_eq!(
            (applied.changed, applied.unchanged, applied.failed),
            (2, 1, 0)
        );
        for id in &ids {
            let (console, _) = core.client_console(id).await.expect("console");
            assert!(!console.policy().allows(Role::L1, "ninjaone"), "{id}");
        }
        let undo = applied.undo_id.expect("undo offered");
        let undone = core.undo_policy_template(&undo).await.expect("undone");
        assert_eq!(undone.changed, 2);
        for id in &ids[1..] {
            let (console, _) = core.client_console(id).await.expect("console");
            assert!(console.policy().allows(Role::L1, "ninjaone"), "{id}");
        }
        assert!(
            core.undo_policy_template(&undo).await.is_err(),
            "undo runs once"
        );
        // The demo writes nothing to disk, templates included.
        assert!(!dir.path().join("config").exists());
    }

    #[tokio::test]
    async fn a_damaged_templates_file_is_named_not_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = core(dir.path(), false);
        assert!(core.policy_templates().expect("none yet").is_empty());
        std::fs::create_dir_all(dir.path().join("config")).expect("dir");
        std::fs::write(
            dir.path().join("config").join(TEMPLATES_FILE),
            r#"{"templates":[{"name":"X","grants":{"L1":["not-a-vendor"]},"savedAt":"2026-01-01T00:00:00Z","savedBy":"a","sourceClient":"b"}]}"#,
        )
        .expect("write");
        let error = core.policy_templates().expect_err("damaged");
        assert!(error.message.contains("not-a-vendor"), "{}", error.message);
        assert!(error.hint.contains("policy-templates.json"));
    }
}
