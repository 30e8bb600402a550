//! What the headless `akv-console` companion asks of the session: the remembered clients by
//! name, connecting them without a window (the keychain's secret or refresh token only, never an
//! interactive sign-in), and the monitor report. The window's own rules apply unchanged: the
//! same roles, the same audit entries (each connect names the program), the same errors.

use chrono::{DateTime, Utc};

use super::{AppCore, ClientState, ClientStatus, PortfolioFilter};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::monitor::{FailOn, MonitorClient, MonitorReport};

impl AppCore {
    /// Name the program in the audit entry of each connect (`"akv-console"`).
    pub fn headless(mut self, program: &'static str) -> AppCore {
        self.program = Some(program);
        self
    }

    /// The client a name (any case) or id stands for.
    pub async fn find_client(&self, name_or_id: &str) -> AppResult<ClientStatus> {
        let clients = self.status().await.clients;
        let wanted = name_or_id.trim();
        if let Some(found) = clients
            .iter()
            .find(|c| c.id == wanted || c.name.eq_ignore_ascii_case(wanted))
        {
            return Ok(found.clone());
        }
        // "fabrikam" for "Fabrikam Logistics", when only one client starts so.
        let lower = wanted.to_lowercase();
        let starting: Vec<&ClientStatus> = clients
            .iter()
            .filter(|c| !lower.is_empty() && c.name.to_lowercase().starts_with(&lower))
            .collect();
        if let [only] = starting.as_slice() {
            return Ok((*only).clone());
        }
        let known: Vec<&str> = clients.iter().map(|c| c.name.as_str()).collect();
        Err(AppError::new(
            ErrorCode::InvalidInput,
            format!("No client named \"{wanted}\" is remembered on this PC."),
            if known.is_empty() {
                "Open the console window, add the client and tick Remember this connection."
                    .to_string()
            } else {
                format!("Use one of: {}.", known.join(", "))
            },
        ))
    }

    /// Connect the remembered clients (or the one named) with what the keychain holds, in
    /// parallel, and return the clients to report on. Failures stay on each client.
    pub async fn connect_headless(&self, client: Option<&str>) -> AppResult<Vec<ClientStatus>> {
        let wanted = match client {
            Some(name) => Some(self.find_client(name).await?),
            None => None,
        };
        if self.is_demo() {
            let clients = self.status().await.clients;
            return Ok(match wanted {
                Some(one) => vec![one],
                None => clients,
            });
        }
        match &wanted {
            Some(one) => {
                // The client's failure is kept on its slot and shown in its report.
                let _ = self.connect_client(&one.id).await;
            }
            None => {
                self.connect_all().await;
            }
        }
        let clients: Vec<ClientStatus> = self
            .status()
            .await
            .clients
            .into_iter()
            .filter(|c| wanted.as_ref().is_none_or(|w| w.id == c.id))
            .collect();
        if clients.is_empty() {
            return Err(AppError::new(
                ErrorCode::NotConnected,
                "No client is remembered on this PC.",
                "Open the console window, connect each client with Remember this connection \
                 ticked, then run akv-console again as the same user.",
            ));
        }
        Ok(clients)
    }

    /// The monitor report over `clients` (from [`AppCore::connect_headless`]).
    pub async fn monitor_report(
        &self,
        clients: &[ClientStatus],
        fail_on: FailOn,
        now: DateTime<Utc>,
    ) -> MonitorReport {
        let mut checked = Vec::with_capacity(clients.len());
        for client in clients {
            let vault = client.vault_label();
            let id = client.id.clone();
            let name = client.name.clone();
            if client.state != ClientState::Connected {
                let error = client.error.clone().unwrap_or_else(|| {
                    AppError::new(
                        ErrorCode::NotConnected,
                        format!("{name} did not connect."),
                        "Open the console window and connect it to see why.",
                    )
                });
                checked.push(MonitorClient::failed(id, name, vault, error));
                continue;
            }
            let filter = PortfolioFilter {
                client: Some(id.clone()),
                ..Default::default()
            };
            checked.push(match self.vault_view(&filter, now).await {
                Ok(view) => {
                    let objects = self.objects_view(&filter, now).await.unwrap_or_default();
                    MonitorClient::checked(id, name, vault, view.rows, view.counts, fail_on)
                        .with_objects(&objects, fail_on)
                }
                Err(error) => MonitorClient::failed(id, name, vault, error),
            });
        }
        MonitorReport::new(
            checked,
            fail_on,
            now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
    }
}
