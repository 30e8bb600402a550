//! All clients' first view: one row per client — its expired, overdue and due counts, the next
//! deadline, when its data was last listed and its connection — worst first. Rust decides the
//! order (each row's `rank`, also the sidebar's urgency order); the window only filters by search
//! and renders.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::{AppCore, ClientState, ClientStatus, Slot};
use crate::domain::keys::KeyRecord;
use crate::service::snapshot::{OUTDATED_AFTER_MINUTES, RefreshHealth};
use crate::service::vendor_name;

/// Why a client needs a look, most urgent first (the order of the overview).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Attention {
    /// At least one key is past its expiry date: a vendor integration has stopped.
    Expired,
    /// At least one key is past its rotation date.
    Overdue,
    /// The console cannot see the vault now: the client failed to connect or its last refresh
    /// failed, so its counts may be wrong.
    Unreachable,
    /// Keys due within 14 days.
    Due,
    /// The data is older than two background refreshes.
    Outdated,
    /// Nothing to do.
    InOrder,
    /// Not connected (or still connecting): nothing is known yet.
    NotConnected,
}

/// What a deadline is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum DeadlineKind {
    Rotation,
    Expiry,
}

/// A client's next deadline still ahead (the ones already passed are its overdue and expired
/// counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Deadline {
    /// YYYY-MM-DD (UTC).
    pub date: String,
    /// Calendar days from today; 0 is today.
    pub days: i64,
    pub kind: DeadlineKind,
    pub vendor_name: String,
    /// "Atera: rotation due in 9 d", "Okta: expires today".
    pub text: String,
}

/// One client of the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientOverviewRow {
    pub client_id: String,
    pub name: String,
    pub state: ClientState,
    /// The connection in words: "Connected", "Connecting…", "Could not connect", "Not connected".
    pub connection: String,
    pub keys: usize,
    pub expired: usize,
    pub overdue: usize,
    pub due_soon: usize,
    pub next_deadline: Option<Deadline>,
    /// The last successful listing (YYYY-MM-DD HH:MM:SS UTC).
    pub last_refresh: Option<String>,
    /// `None` while not connected.
    pub refresh: Option<RefreshHealth>,
    /// "Refreshed 08:14 UTC", "Refresh failed 08:19 UTC; data from 08:14 UTC", …
    pub refresh_label: String,
    pub attention: Attention,
    /// Why, in words: "2 expired · 3 overdue", "Last refresh failed: …", "All keys in order".
    pub reason: String,
    /// 0 is the client that needs attention most.
    pub rank: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClientOverview {
    /// Worst first.
    pub rows: Vec<ClientOverviewRow>,
    /// Clients whose attention is above "in order" (not counting clients not connected).
    pub needing_attention: usize,
    /// "6 of 40 clients need attention", for the heading.
    pub summary: String,
    /// Data older than this many minutes shows as outdated.
    pub outdated_after_minutes: i64,
}

fn connection_words(state: ClientState) -> &'static str {
    match state {
        ClientState::Connected => "Connected",
        ClientState::Connecting => "Connecting…",
        ClientState::Failed => "Could not connect",
        ClientState::NotConnected => "Not connected",
    }
}

/// The soonest deadline still ahead among the enabled keys.
pub fn next_deadline(keys: &[KeyRecord], now: DateTime<Utc>) -> Option<Deadline> {
    let mut best: Option<(DateTime<Utc>, i64, DeadlineKind, &KeyRecord)> = None;
    for key in keys.iter().filter(|k| k.enabled) {
        let timing = key.timing(now);
        let mut candidates = Vec::with_capacity(2);
        if timing.days_to_due >= 0 {
            candidates.push((timing.next_due, timing.days_to_due, DeadlineKind::Rotation));
        }
        if let (Some(expires), Some(days)) = (key.expires, timing.days_to_expiry)
            && expires > now
        {
            candidates.push((expires, days, DeadlineKind::Expiry));
        }
        for (when, days, kind) in candidates {
            if best.as_ref().is_none_or(|(b, ..)| when < *b) {
                best = Some((when, days, kind, key));
            }
        }
    }
    best.map(|(when, days, kind, key)| {
        let mut vendor = vendor_name(&key.vendor_id);
        if let Some(label) = key.label.as_deref().filter(|l| !l.is_empty()) {
            vendor = format!("{vendor} · {label}");
        }
        let when_words = match days {
            0 => "today".to_string(),
            1 => "tomorrow".to_string(),
            d => format!("in {d} d"),
        };
        let text = match kind {
            DeadlineKind::Rotation => format!("{vendor}: rotation due {when_words}"),
            DeadlineKind::Expiry => format!("{vendor}: expires {when_words}"),
        };
        Deadline {
            date: when.format("%Y-%m-%d").to_string(),
            days,
            kind,
            vendor_name: vendor,
            text,
        }
    })
}

/// One client's row, with its next deadline from [`next_deadline`] (its rank is set later, once
/// every row is known).
pub fn overview_row(client: &ClientStatus, deadline: Option<Deadline>) -> ClientOverviewRow {
    let counts = client.counts.clone().unwrap_or_default();
    let connected = client.state == ClientState::Connected;
    let refresh = client.snapshot.as_ref().filter(|_| connected);
    let health = refresh.map(|s| s.health);
    // The vault's certificates and keys count as the API keys do: an expired certificate has
    // stopped something as surely as an expired key.
    let objects_expired =
        counts.certificates.expired + counts.crypto_keys.expired + counts.app_credentials.expired;
    let objects_due = counts.certificates.due_soon
        + counts.crypto_keys.due_soon
        + counts.app_credentials.due_soon;
    let attention = match client.state {
        ClientState::Failed => Attention::Unreachable,
        ClientState::NotConnected | ClientState::Connecting => Attention::NotConnected,
        ClientState::Connected if counts.expired + objects_expired > 0 => Attention::Expired,
        ClientState::Connected if counts.overdue > 0 => Attention::Overdue,
        ClientState::Connected if health == Some(RefreshHealth::Failed) => Attention::Unreachable,
        ClientState::Connected if counts.due_soon + objects_due > 0 => Attention::Due,
        ClientState::Connected if health == Some(RefreshHealth::Outdated) => Attention::Outdated,
        ClientState::Connected => Attention::InOrder,
    };
    let mut reasons = Vec::new();
    if client.state == ClientState::Failed {
        reasons.push(match &client.error {
            Some(error) => format!("Could not connect: {}", error.message),
            None => "Could not connect".to_string(),
        });
    }
    if counts.expired > 0 {
        reasons.push(format!("{} expired", counts.expired));
    }
    if counts.overdue > 0 {
        reasons.push(format!("{} overdue", counts.overdue));
    }
    if counts.due_soon > 0 {
        reasons.push(format!("{} due within 14 days", counts.due_soon));
    }
    // Reasons name vault objects and app credentials apart: they are fixed in different places.
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let vault_expired = counts.certificates.expired + counts.crypto_keys.expired;
    let vault_due = counts.certificates.due_soon + counts.crypto_keys.due_soon;
    if vault_expired > 0 {
        reasons.push(format!(
            "{vault_expired} certificate{} or vault key{} expired",
            plural(vault_expired),
            plural(vault_expired)
        ));
    }
    if vault_due > 0 {
        reasons.push(format!(
            "{vault_due} certificate{} or vault key{} expiring within 14 days",
            plural(vault_due),
            plural(vault_due)
        ));
    }
    let apps = &counts.app_credentials;
    if apps.expired > 0 {
        reasons.push(format!(
            "{} app credential{} expired",
            apps.expired,
            plural(apps.expired)
        ));
    }
    if apps.due_soon > 0 {
        reasons.push(format!(
            "{} app credential{} expiring within 14 days",
            apps.due_soon,
            plural(apps.due_soon)
        ));
    }
    match (health, refresh.and_then(|s| s.stale.as_ref())) {
        (Some(RefreshHealth::Failed), Some(error)) => {
            reasons.push(format!("Last refresh failed: {}", error.message));
        }
        (Some(RefreshHealth::Outdated), _) => reasons.push("Data may be outdated".to_string()),
        _ => {}
    }
    if reasons.is_empty() {
        reasons.push(match attention {
            Attention::NotConnected => connection_words(client.state).to_string(),
            _ => "All keys in order".to_string(),
        });
    }
    ClientOverviewRow {
        client_id: client.id.clone(),
        name: client.name.clone(),
        state: client.state,
        connection: connection_words(client.state).to_string(),
        keys: counts.keys,
        expired: counts.expired,
        overdue: counts.overdue,
        due_soon: counts.due_soon,
        next_deadline: deadline.filter(|_| connected),
        last_refresh: refresh.and_then(|s| s.listed_at.clone()),
        refresh: health,
        refresh_label: refresh
            .map(|s| s.label.clone())
            .unwrap_or_else(|| "—".to_string()),
        attention,
        reason: reasons.join(" · "),
        rank: 0,
    }
}

/// Worst first: the kind of trouble, then how much of it, then the nearest deadline, then the
/// name; each row's `rank` is its place.
pub fn rank_rows(rows: &mut [ClientOverviewRow]) {
    rows.sort_by_cached_key(|row| {
        (
            row.attention,
            Reverse(row.expired),
            Reverse(row.overdue),
            Reverse(row.due_soon),
            row.next_deadline.as_ref().map_or(i64::MAX, |d| d.days),
            row.name.to_lowercase(),
            row.client_id.clone(),
        )
    });
    for (rank, row) in rows.iter_mut().enumerate() {
        row.rank = rank;
    }
}

impl AppCore {
    /// The overview rows of `clients` (as the status lists them), ranked worst first.
    pub(crate) fn overview_rows(
        &self,
        clients: &[ClientStatus],
        now: DateTime<Utc>,
    ) -> Vec<ClientOverviewRow> {
        let mut deadlines: std::collections::HashMap<String, Deadline> = self.with_slots(|slots| {
            slots
                .iter()
                .filter_map(|slot: &Slot| {
                    let connection = slot.connection()?;
                    let deadline = connection
                        .console
                        .with_keys(|keys| next_deadline(keys, now))?;
                    Some((slot.config.id.clone(), deadline))
                })
                .collect()
        });
        let mut rows: Vec<ClientOverviewRow> = clients
            .iter()
            .map(|client| overview_row(client, deadlines.remove(&client.id)))
            .collect();
        rank_rows(&mut rows);
        rows
    }

    /// All clients' overview, worst first.
    pub async fn client_overview(&self, now: DateTime<Utc>) -> ClientOverview {
        let status = self.status().await;
        let rows = self.overview_rows(&status.clients, now);
        let needing_attention = rows
            .iter()
            .filter(|r| r.attention < Attention::InOrder)
            .count();
        let summary = match (needing_attention, rows.len()) {
            (_, 0) => "No clients yet.".to_string(),
            (0, n) => format!("All {n} clients are in order."),
            (1, n) => format!("1 of {n} clients needs attention."),
            (a, n) => format!("{a} of {n} clients need attention."),
        };
        ClientOverview {
            rows,
            needing_attention,
            summary,
            outdated_after_minutes: OUTDATED_AFTER_MINUTES,
        }
    }
}

#[cfg(test)]
mod tests;
