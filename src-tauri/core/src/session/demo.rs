//! The offline demo: three fictitious clients (or up to sixty on request, `AKV_DEMO_CLIENTS`),
//! each with its own in-memory vault and log. A role is picked freely for training; nothing is
//! written anywhere.

use std::sync::Arc;

use chrono::Utc;

use super::{AppCore, AppStatus, Connection, ConnectionIdentity, Slot, SlotState, lock};
use crate::audit::{AuditAction, AuditLog};
use crate::config::ClientConfig;
use crate::domain::connection::ConnectionSettings;
use crate::domain::identity::Operator;
use crate::domain::policy::Role;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::{AuditResult, ClientRef, Console};
use crate::store::demo::{DemoHealth, DemoStore};

/// The demo's fictitious clients.
pub const DEMO_CLIENTS: [&str; 3] = ["Contoso Dental", "Fabrikam Logistics", "Northwind Legal"];

/// A larger demo's further clients, after the three above (fictitious names only).
const MORE_DEMO_CLIENTS: [&str; 57] = [
    "Adventure Works Cycles",
    "Alpine Ski House",
    "Bellows College",
    "Best For You Organics",
    "Blue Yonder Airlines",
    "City Power & Light",
    "Coho Winery",
    "Consolidated Messenger",
    "Datum Engineering",
    "First Up Consultants",
    "Fourth Coffee",
    "Graphic Design Institute",
    "Humongous Insurance",
    "Lamna Healthcare",
    "Litware Software",
    "Lucerne Publishing",
    "Margie's Travel",
    "Munson's Pickles",
    "Nod Publishers",
    "Proseware Labs",
    "Relecloud Media",
    "School of Fine Art",
    "Southridge Video",
    "Tailspin Toys",
    "Trey Research",
    "VanArsdel Foods",
    "Wide World Importers",
    "Wingtip Toys",
    "Woodgrove Bank",
    "Adatum Dental Group",
    "Baldwin Museum of Science",
    "Boulder Creek Vets",
    "Cedar Hill Accounting",
    "Clearwater Pediatrics",
    "Contoso Pharmaceuticals",
    "Fabrikam Residences",
    "Harbor View Realty",
    "Ironwood Manufacturing",
    "Juniper Family Law",
    "Kestrel Architects",
    "Lakeside Orthodontics",
    "Maple Grove Schools",
    "Meadowlark Insurance",
    "Northwind Traders",
    "Oakridge Credit Union",
    "Pinecrest Veterinary",
    "Quarry Stone Supply",
    "Redwood Physical Therapy",
    "Riverbend Logistics",
    "Silverline Plumbing",
    "Summit Ridge Clinic",
    "Tidewater Marine",
    "Union Street Bakery",
    "Valley Forge Dental",
    "Westbrook Partners",
    "Willow Creek Farms",
    "Yellowstone Outfitters",
];

/// The most clients a demo seeds.
pub const MAX_DEMO_CLIENTS: usize = DEMO_CLIENTS.len() + MORE_DEMO_CLIENTS.len();

/// The demo client (from the fourth on) whose listings fail, and the one whose last listing is
/// old, so a large demo shows both kinds of refresh trouble.
const FAILING_CLIENT: usize = 9;
const OUTDATED_CLIENT: usize = 18;

/// How many clients a demo seeds, from `AKV_DEMO_CLIENTS` or `--demo-clients=N`.
pub fn demo_clients_from(value: &str) -> AppResult<usize> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_DEMO_CLIENTS).contains(&n) => Ok(n),
        _ => Err(AppError::new(
            ErrorCode::InvalidInput,
            format!("The demo cannot seed \"{}\" clients.", value.trim()),
            format!(
                "Set AKV_DEMO_CLIENTS (or --demo-clients) to a number from 1 to {MAX_DEMO_CLIENTS}; the demo starts with {} clients meanwhile.",
                DEMO_CLIENTS.len()
            ),
        )),
    }
}

/// The trouble the `index`-th client of a large demo has: a repeating mix where most clients
/// are in order and a few have expired, overdue or due keys.
fn demo_health(index: usize) -> DemoHealth {
    let h = |expired, overdue, due| DemoHealth {
        expired,
        overdue,
        due,
    };
    if index % 24 == 22 {
        return h(2, 3, 1);
    }
    match index % 12 {
        1 => h(0, 0, 1),
        4 => h(0, 2, 1),
        7 => h(1, 0, 0),
        10 => h(0, 0, 2),
        _ => h(0, 0, 0),
    }
}

fn demo_client_name(index: usize) -> &'static str {
    DEMO_CLIENTS
        .iter()
        .chain(MORE_DEMO_CLIENTS.iter())
        .nth(index)
        .copied()
        .unwrap_or("Demo client")
}

impl AppCore {
    /// Open the demo: three seeded in-memory clients (or as many as asked for) and in-memory
    /// logs. Real connections close first (the demo never mixes with them).
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
        for index in 0..self.demo_clients {
            let client = ClientRef {
                id: format!("demo-{}", index + 1),
                name: demo_client_name(index).to_string(),
            };
            // The first three are the default demo's; a larger demo's others are mostly healthy.
            let store = Arc::new(if index < DEMO_CLIENTS.len() {
                DemoStore::seeded_variant(now, index)
            } else {
                DemoStore::seeded_health(now, index, demo_health(index))
            });
            let console = Arc::new(
                Console::new(
                    store.clone(),
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
            if index == FAILING_CLIENT {
                // Listed once at start, then the vault stops answering: a failed refresh.
                store.fail_listings();
                let _ = console.refresh().await;
            } else if index == OUTDATED_CLIENT {
                // As if this console had slept: the last listing is older than two refreshes.
                console.backdate_listing_for_demo(chrono::Duration::minutes(47));
            }
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
        *lock(&self.general_error) = self.demo_clients_error.clone();
        if let Some(error) = &self.demo_clients_error {
            (self.notifier)(crate::service::Notice::from_error(error));
        }
        (self.on_status)();
        Ok(self.status().await)
    }
}
