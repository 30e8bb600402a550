//! Steps that throw something away — removing a client, forgetting remembered connections,
//! starting the demo over open connections — are confirmed by Rust, not by the page: the page
//! could call the command without asking. Each asks through `ask` (a native dialog in the app,
//! a closure in tests) with what exactly would be lost, and does nothing unless it says yes.

use std::future::Future;

use super::{AppCore, AppStatus, lock};
use crate::error::{AppError, AppResult, ErrorCode};

/// What a native confirmation shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPrompt {
    pub title: String,
    pub message: String,
    /// The label of the button that goes ahead (the other one cancels).
    pub confirm_label: String,
}

fn declined() -> AppError {
    AppError::new(
        ErrorCode::ActionDeclined,
        "Nothing was changed: you chose Cancel.",
        "Do it again and confirm if you meant it.",
    )
}

/// Ask when there is something to lose; `Err` unless the answer is yes.
async fn confirmed<F, Fut>(prompt: Option<ConfirmPrompt>, ask: F) -> AppResult<()>
where
    F: FnOnce(ConfirmPrompt) -> Fut,
    Fut: Future<Output = bool>,
{
    let Some(prompt) = prompt else {
        return Ok(());
    };
    if ask(prompt).await {
        Ok(())
    } else {
        Err(declined())
    }
}

fn names(names: &[String]) -> String {
    names.join(", ")
}

impl AppCore {
    /// Removing a client: always asked, naming it.
    pub fn remove_client_prompt(&self, client_id: &str) -> AppResult<ConfirmPrompt> {
        let name = self
            .with_slots(|slots| {
                slots
                    .iter()
                    .find(|s| s.config.id == client_id)
                    .map(|s| s.config.name.clone())
            })
            .ok_or_else(super::connect::unknown_client)?;
        Ok(ConfirmPrompt {
            title: format!("Remove {name}?"),
            message: format!(
                "The console forgets {name}'s connection and the secret or sign-in this PC's keychain keeps for it, and disconnects it. Its Key Vault, keys and audit log are not touched; you can add it again."
            ),
            confirm_label: "Remove client".into(),
        })
    }

    /// Forgetting remembered connections: asked when any is remembered.
    pub fn forget_prompt(&self) -> Option<ConfirmPrompt> {
        let remembered: Vec<String> = self.with_slots(|slots| {
            slots
                .iter()
                .filter(|s| s.remembered)
                .map(|s| s.config.name.clone())
                .collect()
        });
        (!remembered.is_empty()).then(|| ConfirmPrompt {
            title: "Forget the remembered connections?".into(),
            message: format!(
                "This PC forgets how to reconnect {} and deletes the secrets or sign-ins its keychain keeps for them. Their vaults are not touched.",
                names(&remembered)
            ),
            confirm_label: "Forget".into(),
        })
    }

    /// Starting the demo: asked when it would disconnect clients or end a running demo.
    pub fn start_demo_prompt(&self) -> Option<ConfirmPrompt> {
        if self.is_demo() {
            return Some(ConfirmPrompt {
                title: "Start the demo over?".into(),
                message: "Keys added or changed in this demo are lost; the demo starts again from its seeded clients.".into(),
                confirm_label: "Start over".into(),
            });
        }
        let mut open: Vec<String> = self.with_slots(|slots| {
            slots
                .iter()
                .filter(|s| s.connection().is_some())
                .map(|s| s.config.name.clone())
                .collect()
        });
        open.extend(lock(&self.attempts).values().map(|a| a.name.clone()));
        (!open.is_empty()).then(|| ConfirmPrompt {
            title: "Disconnect and start the demo?".into(),
            message: format!(
                "The demo disconnects {} (a copied key's clipboard timer and any open detail go with it). Nothing in the vaults changes; reconnect them after the demo.",
                names(&open)
            ),
            confirm_label: "Start demo".into(),
        })
    }

    /// [`AppCore::remove_client`] once `ask` said yes.
    pub async fn remove_client_confirmed<F, Fut>(
        &self,
        client_id: &str,
        ask: F,
    ) -> AppResult<AppStatus>
    where
        F: FnOnce(ConfirmPrompt) -> Fut,
        Fut: Future<Output = bool>,
    {
        confirmed(Some(self.remove_client_prompt(client_id)?), ask).await?;
        self.remove_client(client_id).await
    }

    /// [`AppCore::forget`] once `ask` said yes (or nothing is remembered).
    pub async fn forget_confirmed<F, Fut>(&self, ask: F) -> AppResult<AppStatus>
    where
        F: FnOnce(ConfirmPrompt) -> Fut,
        Fut: Future<Output = bool>,
    {
        confirmed(self.forget_prompt(), ask).await?;
        self.forget().await
    }

    /// [`AppCore::start_demo`] once `ask` said yes (or nothing would be lost).
    pub async fn start_demo_confirmed<F, Fut>(&self, ask: F) -> AppResult<AppStatus>
    where
        F: FnOnce(ConfirmPrompt) -> Fut,
        Fut: Future<Output = bool>,
    {
        confirmed(self.start_demo_prompt(), ask).await?;
        self.start_demo().await
    }
}
