//! What the shell shows of the session: each client's state and key counts for the sidebar,
//! and the top bar's summary (mode, badge, the one connected vault, alerts, warnings).

use std::collections::HashMap;

use chrono::Utc;
use serde::Serialize;
use ts_rs::TS;

use super::{AppCore, Attempt, Mode, SecretExpiryView, SignInProgress, Slot, SlotState, lock};
use crate::domain::connection::{AuthMode, Cloud, ConnectionSettings};
use crate::domain::identity::Operator;
use crate::domain::status::{Glossary, glossary};
use crate::error::AppError;
use crate::service::Console;
use crate::service::snapshot::SnapshotState;
use crate::service::trust::TamperAlert;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ClientState {
    NotConnected,
    Connecting,
    Connected,
    /// The last attempt failed (its error is in the status); the other clients are unaffected.
    Failed,
}

/// Key counts of one client, for the sidebar badges: the same struct every view counts with.
pub use crate::domain::status::ClientCounts;

/// One client as the sidebar and the Clients list show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientStatus {
    pub id: String,
    pub name: String,
    pub state: ClientState,
    /// The connection (no secret), to prefill the edit form.
    pub settings: ConnectionSettings,
    /// Kept in the config file (and its secret or refresh token in the keychain).
    pub remembered: bool,
    pub badge: String,
    pub vault_url: String,
    pub operator: Option<Operator>,
    pub error: Option<AppError>,
    pub sign_in: Option<SignInProgress>,
    pub audit_alert: Option<TamperAlert>,
    pub counts: Option<ClientCounts>,
    pub snapshot: Option<SnapshotState>,
    /// App-secret mode: the client secret's end date, and a warning from 30 days before it.
    pub secret_expiry: Option<SecretExpiryView>,
    /// The client's place in the overview's worst-first order (0 needs attention most); the
    /// sidebar's "by urgency" order.
    pub urgency: usize,
    /// Reached through the MSP's home tenant and refused for missing consent: the admin consent
    /// address to send to this tenant's administrator.
    pub consent_link: Option<String>,
}

impl ClientStatus {
    /// The vault's name, or what the demo keeps instead.
    pub fn vault_label(&self) -> String {
        if self.settings.vault_name.is_empty() {
            "demo, in memory".to_string()
        } else {
            self.settings.vault_name.clone()
        }
    }
}

/// What the top bar and the shell need to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppStatus {
    pub mode: Mode,
    /// "DEMO MODE", "NOT CONNECTED", "VAULT: NAME" (one client) or "3 OF 4 CLIENTS CONNECTED".
    pub badge: String,
    pub clients: Vec<ClientStatus>,
    pub connected: usize,
    /// With exactly one connected client: its vault and how it authenticates (the top bar's
    /// details); `None` with several.
    pub vault_name: Option<String>,
    pub vault_url: Option<String>,
    pub cloud: Option<Cloud>,
    pub auth: Option<AuthMode>,
    /// The technician as Rust resolved them for the only (or first) connected client.
    pub operator: Option<Operator>,
    /// The name typed in the profile (app-secret mode), if any.
    pub profile_name: Option<String>,
    /// The first client's remembered connection (no secret), to prefill a new client.
    pub remembered: Option<ConnectionSettings>,
    /// A connection attempt is running for some client.
    pub connecting: bool,
    /// The interactive sign-in in progress, if any (only one at a time).
    pub sign_in: Option<SignInProgress>,
    /// A failure that belongs to no client (e.g. an unreadable config file), or the last
    /// client's failure when there is only one.
    pub last_error: Option<AppError>,
    /// Roles can be picked by hand only in the demo.
    pub can_change_role: bool,
    /// Started with `--demo`: this window keeps everything in memory and cannot connect a vault.
    pub demo_launch: bool,
    /// The first client whose audit log no longer matched its vault, unacknowledged.
    pub audit_alert: Option<TamperAlert>,
    /// The client `audit_alert` belongs to.
    pub audit_alert_client: Option<String>,
    /// The most urgent warning about a client's connection secret expiring (30/14/7/1 days).
    pub secret_warning: Option<SecretExpiryView>,
    /// What the console's own words mean ("unmanaged", "not verified", "without a key"), shown
    /// as help where they appear.
    pub glossary: Glossary,
}

fn counts(console: &Console) -> ClientCounts {
    console.client_counts(Utc::now())
}

impl AppCore {
    fn client_status(&self, slot: &Slot, attempts: &HashMap<String, Attempt>) -> ClientStatus {
        let settings = &slot.config.settings;
        let (mut state, error, connection) = match &slot.state {
            SlotState::Idle => (ClientState::NotConnected, None, None),
            SlotState::Connected(connection) => {
                (ClientState::Connected, None, Some(connection.clone()))
            }
            SlotState::Failed(error) => (ClientState::Failed, Some(error.clone()), None),
        };
        let attempt = attempts.get(&slot.config.id);
        if attempt.is_some() {
            state = ClientState::Connecting;
        }
        let sign_in = attempt.and_then(|a| a.progress.clone());
        let consent_link = error
            .as_ref()
            .filter(|e| e.code == crate::error::ErrorCode::TenantConsentRequired)
            .filter(|_| settings.home_tenant_id.is_some())
            .map(|_| {
                crate::signin::consent_link(
                    &settings.authority_host(),
                    &settings.client_id,
                    &settings.vault_scope(),
                    &settings.tenant_id,
                )
            });
        ClientStatus {
            id: slot.config.id.clone(),
            name: slot.config.name.clone(),
            state,
            settings: settings.clone(),
            remembered: slot.remembered,
            badge: if settings.vault_name.is_empty() {
                "DEMO".to_string()
            } else {
                format!("VAULT: {}", settings.vault_name.to_uppercase())
            },
            vault_url: settings.vault_url(),
            operator: connection.as_ref().and_then(|c| self.operator_of(c)),
            error,
            sign_in,
            audit_alert: connection.as_ref().and_then(|c| c.console.tamper_alert()),
            counts: connection.as_ref().map(|c| counts(&c.console)),
            snapshot: connection.as_ref().map(|c| c.console.snapshot_state()),
            secret_expiry: connection
                .as_ref()
                .and_then(|c| lock(&c.secret_expiry).view(&slot.config.name, Utc::now())),
            urgency: 0,
            consent_link,
        }
    }

    pub async fn status(&self) -> AppStatus {
        let demo = self.is_demo();
        let attempts = lock(&self.attempts);
        let mut clients: Vec<ClientStatus> = self.with_slots(|slots| {
            slots
                .iter()
                .map(|s| self.client_status(s, &attempts))
                .collect()
        });
        let sign_in = attempts.values().find_map(|a| a.progress.clone());
        let connecting = !attempts.is_empty();
        // A client being added shows while it connects (it joins the list once it works).
        for (id, attempt) in attempts.iter() {
            if !clients.iter().any(|c| &c.id == id) {
                clients.push(ClientStatus {
                    id: id.clone(),
                    name: attempt.name.clone(),
                    state: ClientState::Connecting,
                    settings: ConnectionSettings::unset(),
                    remembered: false,
                    badge: String::new(),
                    vault_url: String::new(),
                    operator: None,
                    error: None,
                    sign_in: attempt.progress.clone(),
                    audit_alert: None,
                    counts: None,
                    snapshot: None,
                    secret_expiry: None,
                    urgency: 0,
                    consent_link: None,
                });
            }
        }
        drop(attempts);
        for row in self.overview_rows(&clients, Utc::now()) {
            if let Some(client) = clients.iter_mut().find(|c| c.id == row.client_id) {
                client.urgency = row.rank;
            }
        }
        let connected: Vec<&ClientStatus> = clients
            .iter()
            .filter(|c| c.state == ClientState::Connected)
            .collect();
        let mode = if demo {
            Mode::Demo
        } else if connected.is_empty() {
            Mode::NotConnected
        } else {
            Mode::Connected
        };
        let badge = match (mode, connected.len(), clients.len()) {
            (Mode::Demo, _, _) => "DEMO MODE".to_string(),
            (Mode::NotConnected, _, _) => "NOT CONNECTED".to_string(),
            (_, 1, _) => connected[0].badge.clone(),
            (_, n, total) if n == total => format!("{n} CLIENTS CONNECTED"),
            (_, n, total) => format!("{n} OF {total} CLIENTS CONNECTED"),
        };
        let only = (connected.len() == 1 && !demo).then(|| connected[0]);
        let alerted = clients.iter().find(|c| c.audit_alert.is_some());
        let last_error = lock(&self.general_error).clone().or_else(|| {
            (clients.len() == 1)
                .then(|| clients[0].error.clone())
                .flatten()
        });
        AppStatus {
            can_change_role: mode == Mode::Demo,
            mode,
            badge,
            connected: connected.len(),
            vault_name: only.map(|c| c.settings.vault_name.clone()),
            vault_url: only.map(|c| c.vault_url.clone()),
            cloud: only.map(|c| c.settings.cloud),
            auth: only.map(|c| c.settings.auth),
            operator: connected.first().and_then(|c| c.operator.clone()),
            profile_name: self.profile_name(),
            remembered: clients
                .iter()
                .find(|c| c.remembered)
                .map(|c| c.settings.clone()),
            connecting,
            sign_in,
            last_error,
            demo_launch: self.demo_launch,
            audit_alert: alerted.and_then(|c| c.audit_alert.clone()),
            audit_alert_client: alerted.map(|c| c.id.clone()),
            secret_warning: clients
                .iter()
                .filter_map(|c| c.secret_expiry.clone())
                .filter(|v| v.level.is_some())
                .min_by_key(|v| v.days_left),
            glossary: glossary(),
            clients,
        }
    }
}
