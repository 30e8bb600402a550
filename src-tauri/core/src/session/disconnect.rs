//! Ending connections: disconnect one client or all (the disconnect is audited, a signed-in
//! technician's tokens are dropped), remove a client, forget every remembered one.

use std::sync::Arc;

use super::connect::unknown_client;
use super::{AppCore, AppStatus, Connection, ConnectionIdentity, Slot, SlotState, lock};
use crate::audit::AuditAction;
use crate::config::{self, KeychainItem};
use crate::error::AppResult;
use crate::service::AuditResult;

impl AppCore {
    /// End a connection: the disconnect is recorded, a signed-in user's tokens are dropped.
    pub(crate) async fn close_connection(&self, connection: &Connection) {
        if let Some(operator) = self.operator_of(connection) {
            connection
                .console
                .record(
                    &operator,
                    AuditAction::Disconnect,
                    None,
                    None,
                    AuditResult::Ok,
                    "",
                )
                .await;
        }
        if let ConnectionIdentity::SignedIn(credential) = &connection.identity {
            credential.sign_out().await;
        }
    }

    /// Disconnect one client (sign out): its client and every token or secret are dropped.
    pub async fn disconnect_client(&self, client_id: &str) -> AppResult<AppStatus> {
        let connection = self.with_slots(|slots| {
            slots
                .iter_mut()
                .find(|s| s.config.id == client_id)
                .and_then(
                    |slot| match std::mem::replace(&mut slot.state, SlotState::Idle) {
                        SlotState::Connected(connection) => Some(connection),
                        _ => None,
                    },
                )
        });
        if let Some(connection) = connection {
            self.close_connection(&connection).await;
        }
        Ok(self.status().await)
    }

    /// Disconnect every client (or leave the demo).
    pub async fn disconnect(&self) -> AppStatus {
        // The guard must be gone before the first await (the future crosses threads).
        let demo = lock(&self.demo).take();
        if let Some(slots) = demo {
            for connection in slots.iter().filter_map(Slot::connection) {
                self.close_connection(&connection).await;
            }
            return self.status().await;
        }
        let connections: Vec<Arc<Connection>> = {
            let mut slots = lock(&self.clients);
            slots
                .iter_mut()
                .filter_map(
                    |slot| match std::mem::replace(&mut slot.state, SlotState::Idle) {
                        SlotState::Connected(connection) => Some(connection),
                        _ => None,
                    },
                )
                .collect()
        };
        for connection in connections {
            self.close_connection(&connection).await;
        }
        // Every client is gone: so is the sign-in at the MSP's home tenant they shared.
        self.forget_home_sign_ins().await;
        self.status().await
    }

    /// Remove a client from the list: disconnected, forgotten by the config and the keychain.
    /// Its vault and audit log are untouched.
    pub async fn remove_client(&self, client_id: &str) -> AppResult<AppStatus> {
        self.disconnect_client(client_id).await?;
        let removed = self.with_slots(|slots| {
            let index = slots.iter().position(|s| s.config.id == client_id)?;
            Some(slots.remove(index))
        });
        let removed = removed.ok_or_else(unknown_client)?;
        config::forget_secret(&removed.config.settings, KeychainItem::ClientSecret)?;
        config::forget_secret(&removed.config.settings, KeychainItem::RefreshToken)?;
        {
            let mut file = lock(&self.config);
            file.clients.retain(|c| c.id != client_id);
            config::save(&self.paths.config_dir, &file)?;
        }
        Ok(self.status().await)
    }

    /// Forget every remembered client (the config entries and their keychain secrets).
    pub async fn forget(&self) -> AppResult<AppStatus> {
        let ids: Vec<String> = self.with_slots(|slots| {
            slots
                .iter()
                .filter(|s| s.remembered)
                .map(|s| s.config.id.clone())
                .collect()
        });
        for id in ids {
            let settings = self.with_slots(|slots| {
                slots.iter_mut().find(|s| s.config.id == id).map(|slot| {
                    slot.remembered = false;
                    slot.config.settings.clone()
                })
            });
            if let Some(settings) = settings {
                config::forget_secret(&settings, KeychainItem::ClientSecret)?;
                config::forget_secret(&settings, KeychainItem::RefreshToken)?;
                if let Some(home) = settings.home_tenant_id.as_deref() {
                    let home = super::home::home_settings(&settings, home);
                    config::forget_secret(&home, KeychainItem::RefreshToken)?;
                }
            }
        }
        {
            let mut file = lock(&self.config);
            file.clients.clear();
            config::save(&self.paths.config_dir, &file)?;
        }
        Ok(self.status().await)
    }
}
