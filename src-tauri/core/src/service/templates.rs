//! Applying a role-policy template to many clients: a preview of the toggles it turns per
//! client, one audited policy save per client (never one per toggle), and an undo that puts
//! each client's previous grants back (audited the same way).

use std::sync::Arc;

use futures::StreamExt;
use serde::Serialize;
use ts_rs::TS;

use super::{Console, Operator};
use crate::audit::AuditAction;
use crate::domain::policy::{AdminAction, check_admin};
use crate::domain::policy_template::{
    GrantChanges, Grants, diff, grants_of, set_grants, validate_grants,
};
use crate::error::{AppError, AppResult};

/// Policy saves in flight at once: each is a read and a write of one small secret per vault.
pub const TEMPLATE_CONCURRENCY: usize = 6;

/// What applying a template changes on one client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientTemplatePreview {
    pub client_id: String,
    pub client_name: String,
    pub changes: GrantChanges,
    /// Why this client cannot take it (not an Admin there, policy unreadable); `None` if it can.
    pub error: Option<AppError>,
}

/// The outcome on one client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientTemplateResult {
    pub client_id: String,
    pub client_name: String,
    pub ok: bool,
    pub changes: GrantChanges,
    pub error: Option<AppError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TemplateApplyResult {
    pub template: String,
    /// Hands the notice's Undo back to Rust; `None` when nothing changed.
    pub undo_id: Option<String>,
    pub changed: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Failures first, then by client name.
    pub clients: Vec<ClientTemplateResult>,
    /// One line for the notice, e.g. "Applied to 38 clients; 2 already matched; 0 failed."
    pub summary: String,
}

/// The grants each client had before a template was applied, for its undo.
#[derive(Debug, Clone)]
pub struct UndoRecord {
    pub client_id: String,
    pub previous: Grants,
}

impl Console {
    /// The toggles `grants` would turn on this client, read from the vault's current policy.
    pub async fn preview_grants(
        &self,
        operator: &Operator,
        grants: &Grants,
    ) -> AppResult<GrantChanges> {
        check_admin(operator.role, AdminAction::ChangePolicy)?;
        let policy = self.refresh_policy().await?;
        Ok(diff(&policy, grants))
    }

    /// Set the editable roles' grants in one audited save. Returns the grants it replaced and
    /// what changed; a client that already matches is left alone (no save, no entry).
    pub async fn set_grants(
        &self,
        operator: &Operator,
        grants: &Grants,
        what: &str,
    ) -> AppResult<(Grants, GrantChanges)> {
        validate_grants(grants)?;
        let current = if check_admin(operator.role, AdminAction::ChangePolicy).is_ok() {
            self.refresh_policy().await?
        } else {
            // Not an Admin: change_policy refuses and audits the refusal.
            self.policy()
        };
        let previous = grants_of(&current);
        let changes = diff(&current, grants);
        if changes.is_empty() && operator.role == Some(crate::domain::policy::Role::Admin) {
            return Ok((previous, changes));
        }
        let note = format!("{what}: {}", changes.describe());
        self.change_policy(
            operator,
            AuditAction::Distribute,
            None,
            note,
            |policy, _| {
                set_grants(policy, grants);
                Ok(())
            },
        )
        .await?;
        Ok((previous, changes))
    }
}

/// "Applied template "Standard": 38 clients changed, 2 already matched, 0 failed."
pub fn summary_line(what: &str, changed: usize, unchanged: usize, failed: usize) -> String {
    let mut chars = what.chars();
    let what: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    format!(
        "{what}: {changed} client{} changed, {unchanged} already matched, {failed} failed.",
        if changed == 1 { "" } else { "s" }
    )
}

/// Preview `grants` on each client, side by side.
pub async fn preview_many(
    consoles: Vec<(Arc<Console>, Operator)>,
    grants: &Grants,
) -> Vec<ClientTemplatePreview> {
    let mut previews: Vec<ClientTemplatePreview> = futures::stream::iter(consoles)
        .map(|(console, operator)| async move {
            let result = console.preview_grants(&operator, grants).await;
            ClientTemplatePreview {
                client_id: console.client().id.clone(),
                client_name: console.client().name.clone(),
                changes: result.as_ref().cloned().unwrap_or_default(),
                error: result.err(),
            }
        })
        .buffer_unordered(TEMPLATE_CONCURRENCY)
        .collect()
        .await;
    previews.sort_by(|a, b| {
        b.error
            .is_some()
            .cmp(&a.error.is_some())
            .then_with(|| a.client_name.cmp(&b.client_name))
    });
    previews
}

/// Apply one grant set per client (a template: the same for all; an undo: each its own), one
/// audited save per client. Returns the results and what each changed client had before.
pub async fn apply_many(
    work: Vec<(Arc<Console>, Operator, Grants)>,
    template: &str,
    what: &str,
) -> (TemplateApplyResult, Vec<UndoRecord>) {
    let outcomes: Vec<(ClientTemplateResult, Option<UndoRecord>)> = futures::stream::iter(work)
        .map(|(console, operator, grants)| async move {
            let client_id = console.client().id.clone();
            let client_name = console.client().name.clone();
            match console.set_grants(&operator, &grants, what).await {
                Ok((previous, changes)) => {
                    let undo = (!changes.is_empty()).then(|| UndoRecord {
                        client_id: client_id.clone(),
                        previous,
                    });
                    (
                        ClientTemplateResult {
                            client_id,
                            client_name,
                            ok: true,
                            changes,
                            error: None,
                        },
                        undo,
                    )
                }
                Err(error) => (
                    ClientTemplateResult {
                        client_id,
                        client_name,
                        ok: false,
                        changes: GrantChanges::default(),
                        error: Some(error),
                    },
                    None,
                ),
            }
        })
        .buffer_unordered(TEMPLATE_CONCURRENCY)
        .collect()
        .await;
    let mut clients = Vec::with_capacity(outcomes.len());
    let mut undo = Vec::new();
    for (result, record) in outcomes {
        clients.push(result);
        undo.extend(record);
    }
    clients.sort_by(|a, b| {
        a.ok.cmp(&b.ok)
            .then_with(|| a.client_name.cmp(&b.client_name))
    });
    let failed = clients.iter().filter(|c| !c.ok).count();
    let changed = clients
        .iter()
        .filter(|c| c.ok && !c.changes.is_empty())
        .count();
    let unchanged = clients.len() - failed - changed;
    let summary = summary_line(what, changed, unchanged, failed);
    (
        TemplateApplyResult {
            template: template.to_string(),
            undo_id: (!undo.is_empty()).then(|| uuid::Uuid::new_v4().to_string()),
            changed,
            unchanged,
            failed,
            clients,
            summary,
        },
        undo,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::{AccessPolicy, Role};
    use crate::service::ClientRef;
    use crate::store::demo::DemoStore;

    fn client(i: usize) -> Arc<Console> {
        let console = Console::new(
            Arc::new(DemoStore::empty()),
            crate::audit::AuditLog::in_memory(),
            Arc::new(|_| {}),
            crate::ping::PingClient::new(None).expect("client"),
            "test",
        )
        .for_client(ClientRef {
            id: format!("c{i:02}"),
            name: format!("Client {i:02}"),
        });
        Arc::new(console)
    }

    fn distribute_entries(console: &Console) -> Vec<String> {
        console
            .audit_log()
            .entries()
            .iter()
            .filter(|e| e.action == AuditAction::Distribute)
            .map(|e| e.note.clone())
            .collect()
    }

    #[tokio::test]
    async fn a_template_reaches_forty_clients_with_one_entry_each_and_undoes() {
        let admin = Operator::demo("Dana", Role::Admin);
        let consoles: Vec<Arc<Console>> = (0..40).map(client).collect();
        // Forty clients on the manual's defaults; two already match the template.
        let mut template = grants_of(&AccessPolicy::manual_defaults());
        template
            .entry(Role::L1)
            .or_default()
            .insert("sentinelone".into());
        template.entry(Role::Noc).or_default().remove("ninjaone");
        for (i, console) in consoles.iter().enumerate() {
            let mut policy = AccessPolicy::manual_defaults();
            if i < 2 {
                crate::domain::policy_template::set_grants(&mut policy, &template);
            }
            console
                .store
                .write_document(
                    &crate::store::ConsoleDocument::RolePolicy,
                    &policy.to_json(),
                )
                .await
                .expect("seed policy");
        }

        let previews = preview_many(
            consoles
                .iter()
                .map(|c| (c.clone(), admin.clone()))
                .collect(),
            &template,
        )
        .await;
        assert_eq!(previews.len(), 40);
        let to_change = previews.iter().filter(|p| !p.changes.is_empty()).count();
        assert_eq!(to_change, 38);
        let sample = previews
            .iter()
            .find(|p| p.client_name == "Client 10")
            .expect("row");
        assert_eq!(sample.changes.added[0].vendor_name, "SentinelOne");
        assert_eq!(sample.changes.removed[0].vendor_id, "ninjaone");

        let work = consoles
            .iter()
            .map(|c| (c.clone(), admin.clone(), template.clone()))
            .collect();
        let (result, undo) = apply_many(work, "Standard", "applied template \"Standard\"").await;
        assert_eq!(
            (result.changed, result.unchanged, result.failed),
            (38, 2, 0)
        );
        assert_eq!(
            result.summary,
            "Applied template \"Standard\": 38 clients changed, 2 already matched, 0 failed."
        );
        assert!(result.undo_id.is_some());
        assert_eq!(undo.len(), 38);
        for (i, console) in consoles.iter().enumerate() {
            let policy = console.refresh_policy().await.expect("policy");
            assert!(policy.allows(Role::L1, "sentinelone"), "client {i}");
            assert!(!policy.allows(Role::Noc, "ninjaone"), "client {i}");
            // One audit entry per changed client, none for those already matching.
            let entries = distribute_entries(console);
            assert_eq!(
                entries.len(),
                usize::from(i >= 2),
                "client {i}: {entries:?}"
            );
        }
        let entry = &distribute_entries(&consoles[5])[0];
        assert!(
            entry.starts_with("applied template \"Standard\": +1 −1"),
            "{entry}"
        );

        // Undo: each changed client back to its own previous grants, audited once more.
        let work = undo
            .iter()
            .map(|r| {
                let console = consoles
                    .iter()
                    .find(|c| c.client().id == r.client_id)
                    .expect("known");
                (console.clone(), admin.clone(), r.previous.clone())
            })
            .collect();
        let (undone, _) = apply_many(work, "Standard", "undid template \"Standard\"").await;
        assert_eq!(undone.changed, 38);
        for console in &consoles[2..] {
            let policy = console.refresh_policy().await.expect("policy");
            assert!(!policy.allows(Role::L1, "sentinelone"));
            assert!(policy.allows(Role::Noc, "ninjaone"));
            assert_eq!(distribute_entries(console).len(), 2);
        }
    }

    #[tokio::test]
    async fn a_non_admin_is_refused_per_client_and_the_refusal_is_audited() {
        let l2 = Operator::demo("Lee", Role::L2);
        let consoles: Vec<Arc<Console>> = (0..3).map(client).collect();
        let template = grants_of(&AccessPolicy::manual_defaults());
        let work = consoles
            .iter()
            .map(|c| (c.clone(), l2.clone(), template.clone()))
            .collect();
        let (result, undo) = apply_many(work, "Standard", "applied template \"Standard\"").await;
        assert_eq!(result.failed, 3);
        assert!(undo.is_empty() && result.undo_id.is_none());
        let error = result.clients[0].error.as_ref().expect("reason");
        assert_eq!(error.code, crate::error::ErrorCode::AdminOnly);
        for console in &consoles {
            assert_eq!(
                distribute_entries(console).len(),
                1,
                "the refusal is recorded"
            );
            assert_eq!(console.policy().grants, AccessPolicy::admin_only().grants);
        }
    }
}
