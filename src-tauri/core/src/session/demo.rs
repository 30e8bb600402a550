//! The offline demo: three fictitious clients, each with its own in-memory vault and log. A role
//! is picked freely for training; nothing is written anywhere.

use std::sync::Arc;

use chrono::Utc;

use super::{AppCore, AppStatus, Connection, ConnectionIdentity, Slot, SlotState, lock};
use crate::audit::{AuditAction, AuditLog};
use crate::config::ClientConfig;
use crate::domain::connection::ConnectionSettings;
use crate::domain::identity::Operator;
use crate::domain::policy::Role;
use crate::error::AppResult;
use crate::service::{AuditResult, ClientRef, Console};
use crate::store::demo::DemoStore;

/// The demo's fictitious clients.
pub const DEMO_CLIENTS: [&str; 3] = ["Contoso Dental", "Fabrikam Logistics", "Northwind Legal"];

impl AppCore {
    /// Open the demo: three seeded in-memory clients and in-memory logs. Real connections close
    /// first (the demo never mixes with them).
    pub async fn start_demo(&self) -> AppResult<AppStatus> {
        self.disconnect().await;
        let operator = Operator::demo(
            self.profile_name()
                .unwrap_or_else(|| "Demo Technician".to_string()),
            Role::Admin,
        );
        *lock(&self.demo_operator) = Some(operator.clone());
        let now = Utc::now();
        let mut slots = Vec::new();
        for (index, name) in DEMO_CLIENTS.iter().enumerate() {
            let client = ClientRef {
                id: format!("demo-{}", index + 1),
                name: name.to_string(),
            };
            let console = Arc::new(
                Console::new(
                    Arc::new(DemoStore::seeded_variant(now, index)),
                    AuditLog::in_memory(),
                    self.notifier.clone(),
                    self.ping_client()?,
                    "demo",
                )
                .for_client(client.clone())
                .for_demo_session(),
            );
            console.refresh().await?;
            console.refresh_policy().await?;
            console
                .record(
                    &operator,
                    AuditAction::Connect,
                    None,
                    None,
                    AuditResult::Ok,
                    "demo mode (in memory only)",
                )
                .await;
            slots.push(Slot {
                config: ClientConfig {
                    id: client.id,
                    name: client.name,
                    settings: ConnectionSettings::unset(),
                },
                remembered: false,
                state: SlotState::Connected(Arc::new(Connection {
                    console,
                    identity: ConnectionIdentity::Demo,
                    secret_expiry: Default::default(),
                })),
            });
        }
        *lock(&self.demo) = Some(slots);
        *lock(&self.general_error) = None;
        (self.on_status)();
        Ok(self.status().await)
    }
}
