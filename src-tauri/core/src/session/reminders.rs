//! Expiry reminders across every connected client. A reminder found is kept pending until the
//! window says it has shown it (`reminders_shown`); only then is it written to that vault's
//! ledger, so a reminder the OS dropped, or found while the window was hidden, comes again at the
//! next check instead of being lost.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use serde::Serialize;
use ts_rs::TS;

use super::{AppCore, lock};
use crate::config;
use crate::domain::reminders::{Reminder, ReminderLedger, Threshold, due_reminders_with_objects};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::{Notice, vendor_name};
use crate::store::StoreKind;

/// At most this many reminder ids in one `reminders_shown` call (a vault of thousands of keys
/// crosses few thresholds at once; the page cannot make Rust walk an unbounded list).
const MAX_SHOWN_IDS: usize = 5_000;

/// One reminder as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReminderView {
    /// Pass back to `reminders_shown` once shown.
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub title: String,
    pub body: String,
    /// Seven days or less left, or expired.
    pub urgent: bool,
}

/// A reminder found and not yet shown.
struct Pending {
    /// The ledger it belongs to: the vault's name, or "demo:<client>".
    ledger_key: String,
    /// `None` in the demo, which writes nothing to disk.
    vault: Option<String>,
    reminder: Reminder,
    view: ReminderView,
}

/// The ledgers of every vault seen, and the reminders waiting to be shown.
#[derive(Default)]
pub(crate) struct ReminderState {
    ledgers: HashMap<String, ReminderLedger>,
    pending: BTreeMap<String, Pending>,
}

impl AppCore {
    /// Expiry reminders due now across every connected client and not yet shown (each threshold
    /// once per key and expiry), from the snapshots. They stay due until `reminders_shown`.
    pub async fn due_reminders(&self) -> Vec<ReminderView> {
        let demo = self.is_demo();
        let consoles = self.consoles(None).await.unwrap_or_default();
        let now = Utc::now();
        let mut state = lock(&self.reminders);
        let state = &mut *state;
        state.pending.clear();
        for (console, _) in consoles {
            let client = console.client().clone();
            let keys = console.cached_keys();
            let vault = match console.kind() {
                StoreKind::Azure { vault_name, .. } if !demo => Some(vault_name),
                _ => None,
            };
            let ledger_key = vault
                .clone()
                .unwrap_or_else(|| format!("demo:{}", client.id));
            let ledger = state
                .ledgers
                .entry(ledger_key.clone())
                .or_insert_with(|| match &vault {
                    Some(vault) => config::load_reminders(&self.paths.data_dir, vault),
                    None => ReminderLedger::default(),
                });
            let objects = console.cached_objects().dates();
            for reminder in due_reminders_with_objects(
                &keys,
                |r| vendor_name(&r.vendor_id),
                &objects,
                now,
                ledger,
            ) {
                let id = format!("{ledger_key}/{}", reminder.id());
                let view = ReminderView {
                    id: id.clone(),
                    client_id: client.id.clone(),
                    client_name: client.name.clone(),
                    title: format!("{} — {}", client.name, reminder.title),
                    body: reminder.body.clone(),
                    urgent: reminder.threshold >= Threshold::Days7,
                };
                state.pending.insert(
                    id,
                    Pending {
                        ledger_key: ledger_key.clone(),
                        vault: vault.clone(),
                        reminder,
                        view,
                    },
                );
            }
        }
        state.pending.values().map(|p| p.view.clone()).collect()
    }

    /// The reminders found at the last check and not yet shown (for a window opened since).
    pub fn pending_reminders(&self) -> Vec<ReminderView> {
        lock(&self.reminders)
            .pending
            .values()
            .map(|p| p.view.clone())
            .collect()
    }

    /// The window has shown these reminders: mark them in their vaults' ledgers (saved to disk,
    /// except in the demo). Unknown ids are ignored. Returns how many were marked.
    pub fn reminders_shown(&self, ids: &[String]) -> AppResult<usize> {
        if ids.len() > MAX_SHOWN_IDS {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!("Too many reminders at once ({}).", ids.len()),
                "Reload the window.",
            ));
        }
        let mut state = lock(&self.reminders);
        let state = &mut *state;
        let mut touched: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut marked = 0;
        for id in ids {
            let Some(pending) = state.pending.remove(id) else {
                continue;
            };
            if let Some(ledger) = state.ledgers.get_mut(&pending.ledger_key) {
                ledger.mark_shown(&pending.reminder);
                touched.insert(pending.ledger_key.clone(), pending.vault.clone());
                marked += 1;
            }
        }
        for (ledger_key, vault) in touched {
            if let (Some(vault), Some(ledger)) = (vault, state.ledgers.get(&ledger_key))
                && let Err(error) = config::save_reminders(&self.paths.data_dir, &vault, ledger)
            {
                // The reminder was shown; failing to remember that only means it shows again.
                (self.notifier)(Notice::from_error(&error));
            }
        }
        Ok(marked)
    }
}
