//! The portfolio: the Vault and Rotation tabs across every connected client (a Client column
//! and filter), or one client opened alone, and Rotate All Due across clients, grouped by
//! client. Each client's rows come from its own snapshot, computed by its own console, so two
//! clients' keys never mix; every action goes back to the client the row belongs to.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use ts_rs::TS;

use super::AppCore;
use crate::domain::catalog;
use crate::domain::keys::KeyStatus;
use crate::domain::status::ClientCounts;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::adopt::UnmanagedView;
use crate::service::report::{inventory_csv, render_report};
use crate::service::rotation::{
    BulkItemResult, BulkProgress, BulkResult, RotateRequest, RotationView, category_defaults,
    check_bulk_requests,
};
use crate::service::vault::VaultView;

/// Which clients a portfolio view covers.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PortfolioFilter {
    /// One client opened alone; `None` for every connected client.
    #[serde(default)]
    #[ts(optional)]
    pub client: Option<String>,
    /// One catalog vendor's keys only ("every SentinelOne key"): the Vault and Rotation views,
    /// Rotate All Due's list and the CSV. `None` for every vendor.
    #[serde(default)]
    #[ts(optional)]
    pub vendor: Option<String>,
}

impl PortfolioFilter {
    /// The vendor asked for, checked against the catalog (the page is untrusted input).
    fn vendor(&self) -> AppResult<Option<&str>> {
        match self.vendor.as_deref() {
            None => Ok(None),
            Some(id) if catalog::vendor(id).is_some() => Ok(Some(id)),
            Some(_) => Err(AppError::new(
                ErrorCode::UnknownVendor,
                "That vendor is not in the console's catalog.",
                "Pick a vendor from the Vendor list of the Vault tab.",
            )),
        }
    }
}

/// One vendor's rows of a client and their counts: how many of its keys are in each state, and
/// whether the client has none of that vendor (counted as one vendor without a key).
/// One key of Rotate All Due, with the client whose vault holds it.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BulkRequest {
    pub client_id: String,
    pub request: RotateRequest,
}

impl AppCore {
    /// The Vault tab: every connected client's rows (or one client's). Vendors without a key are
    /// listed for one client opened alone; across clients they are only counted, so the rows are
    /// keys.
    pub async fn vault_view(
        &self,
        filter: &PortfolioFilter,
        now: DateTime<Utc>,
    ) -> AppResult<VaultView> {
        let vendor = filter.vendor()?;
        let consoles = self.consoles(filter.client.as_deref()).await?;
        let single = consoles.len() == 1;
        let mut rows = Vec::new();
        let mut counts = ClientCounts::default();
        for (console, operator) in &consoles {
            let view = console.vault_view(operator, now).await?;
            let (view_rows, view_counts) = match vendor {
                Some(vendor) => (
                    view.rows
                        .into_iter()
                        .filter(|row| row.vendor_id == vendor)
                        .collect(),
                    ClientCounts::of_vendor(&console.cached_keys(), vendor, now),
                ),
                None => (view.rows, view.counts),
            };
            counts.add(&view_counts);
            if single {
                rows.extend(view_rows);
            } else {
                rows.extend(
                    view_rows
                        .into_iter()
                        .filter(|row| row.facts.status != KeyStatus::NoKey),
                );
            }
        }
        Ok(VaultView { rows, counts })
    }

    /// The Rotation tab across clients, soonest due first.
    pub async fn rotation_view(
        &self,
        filter: &PortfolioFilter,
        now: DateTime<Utc>,
    ) -> AppResult<RotationView> {
        let vendor = filter.vendor()?;
        let consoles = self.consoles(filter.client.as_deref()).await?;
        let mut rows = Vec::new();
        let mut counts = ClientCounts::default();
        for (console, operator) in &consoles {
            let view = console.rotation_view(operator, now).await?;
            match vendor {
                Some(vendor) => {
                    counts.add(&ClientCounts::of_vendor(
                        &console.cached_keys(),
                        vendor,
                        now,
                    ));
                    rows.extend(view.rows.into_iter().filter(|row| row.vendor_id == vendor));
                }
                None => {
                    counts.add(&view.counts);
                    rows.extend(view.rows);
                }
            }
        }
        rows.sort_by(|a, b| {
            a.facts
                .urgency
                .cmp(&b.facts.urgency)
                .then_with(|| a.client_name.cmp(&b.client_name))
                .then_with(|| a.vendor_name.cmp(&b.vendor_name))
        });
        Ok(RotationView {
            rows,
            counts,
            defaults: category_defaults(),
        })
    }

    /// Rotate All Due across clients: each client's keys run as that client's own batch (its
    /// own checks, policy and concurrency), the clients side by side; one client failing never
    /// stops another. Results come back grouped by client.
    pub async fn rotate_all_due(
        &self,
        requests: Vec<BulkRequest>,
        now: DateTime<Utc>,
        on_progress: impl Fn(BulkProgress) + Send + Sync,
    ) -> AppResult<BulkResult> {
        let total = requests.len();
        let mut groups: Vec<(String, Vec<RotateRequest>)> = Vec::new();
        for BulkRequest { client_id, request } in requests {
            match groups.iter_mut().find(|(id, _)| *id == client_id) {
                Some((_, list)) => list.push(request),
                None => groups.push((client_id, vec![request])),
            }
        }
        // Every client's batch is checked before any key is rotated (duplicates, keys not due).
        let mut consoles = Vec::with_capacity(groups.len());
        for (client_id, list) in &groups {
            let (console, operator) = self.client_console(client_id).await?;
            check_bulk_requests(&console.cached_keys(), list, now)?;
            consoles.push((console, operator));
        }
        let names: Vec<Vec<String>> = groups
            .iter()
            .map(|(_, list)| list.iter().map(|r| r.secret_name.clone()).collect())
            .collect();
        // Progress across every client: done counts add up.
        let done = std::sync::Mutex::new((0usize, 0usize, 0usize));
        let on_progress = &on_progress;
        let done = &done;
        let runs = groups.into_iter().zip(consoles.iter()).map(
            |((_, list), (console, operator))| async move {
                console
                    .rotate_many(operator, list, now, |progress| {
                        let mut counter = done.lock().unwrap_or_else(|p| p.into_inner());
                        counter.0 += 1;
                        if progress.item.ok {
                            counter.1 += 1;
                        } else {
                            counter.2 += 1;
                        }
                        on_progress(BulkProgress {
                            done: counter.0,
                            total,
                            succeeded: counter.1,
                            failed: counter.2,
                            item: progress.item,
                        });
                    })
                    .await
            },
        );
        let results = futures::future::join_all(runs).await;
        let mut merged = BulkResult {
            total,
            succeeded: 0,
            failed: 0,
            items: Vec::with_capacity(total),
        };
        let mut held_revokes = Vec::new();
        for ((result, names), (console, _)) in results.into_iter().zip(names).zip(&consoles) {
            // A client whose batch could not start (its policy could not be read: fail closed)
            // shows every one of its keys as failed, with the reason; the others are unaffected.
            let result = result.unwrap_or_else(|error| BulkResult {
                total: names.len(),
                succeeded: 0,
                failed: names.len(),
                items: names
                    .iter()
                    .map(|name| BulkItemResult {
                        client_id: console.client().id.clone(),
                        client_name: console.client().name.clone(),
                        secret_name: name.clone(),
                        vendor_name: name.clone(),
                        ok: false,
                        error: Some(error.clone()),
                        ping: None,
                    })
                    .collect(),
            });
            // The client's own connection secret among them: settled once every console here
            // has let go of its audit log (the reconnect opens it anew).
            if let Some(held) = console.take_held_revoke() {
                held_revokes.push((console.client().id.clone(), held));
            }
            merged.succeeded += result.succeeded;
            merged.failed += result.failed;
            let mut items = result.items;
            items.sort_by(|a, b| a.vendor_name.cmp(&b.vendor_name));
            merged.items.extend(items);
        }
        drop(consoles);
        for (client_id, held) in held_revokes {
            let placeholder = crate::service::connector::VendorRotation {
                saved: true,
                failed_step: None,
                message: String::new(),
                hint: String::new(),
                row: None,
                ping: None,
            };
            if let Ok(done) = self
                .reconnect_then_revoke(&client_id, held, placeholder)
                .await
                && done.failed_step.is_some()
            {
                (self.notifier)(crate::service::Notice {
                    level: crate::service::NoticeLevel::Warning,
                    message: done.message,
                    hint: Some(done.hint),
                });
            }
        }
        Ok(merged)
    }

    /// Print / PDF for one client or all: a section per client (its summary page, then its
    /// rows), each client's report audited in its own log.
    pub async fn report_pdf(
        &self,
        filter: &PortfolioFilter,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<u8>> {
        if filter.vendor.is_some() {
            // A client's report states its whole inventory; a vendor's slice is the CSV's job.
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "The report always covers every vendor of a client.",
                "Clear the vendor filter to print the report, or export the filtered keys as CSV.",
            ));
        }
        let consoles = self.consoles(filter.client.as_deref()).await?;
        let msp_name = self.report_settings().msp_name.unwrap_or_default();
        let mut sections = Vec::with_capacity(consoles.len());
        for (console, operator) in &consoles {
            sections.push(console.report_section(operator, &msp_name, now).await?);
        }
        let sizes: Vec<usize> = sections.iter().map(|s| s.rows.len()).collect();
        let result = render_report(sections).await;
        for ((console, operator), rows) in consoles.iter().zip(sizes) {
            console
                .record_report(operator, result.as_ref().map(|_| ()), rows, consoles.len())
                .await;
        }
        result
    }

    /// The inventory CSV for one client or all, with a Client column.
    pub async fn inventory_csv(
        &self,
        filter: &PortfolioFilter,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<u8>> {
        let vendor = filter.vendor()?;
        let consoles = self.consoles(filter.client.as_deref()).await?;
        let mut sections = Vec::with_capacity(consoles.len());
        let mut objects = crate::service::objects::ObjectsView::default();
        for (console, operator) in &consoles {
            // A vendor filter is about API keys: certificates and keys have no vendor.
            if vendor.is_none() {
                objects.add(console.objects_view(now));
            }
            let (mut rows, lists) = console.inventory_rows(operator, now).await?;
            if consoles.len() > 1 {
                rows.retain(|row| row.facts.status != KeyStatus::NoKey);
            }
            if let Some(vendor) = vendor {
                rows.retain(|row| row.vendor_id == vendor);
            }
            sections.push((rows, lists));
        }
        let objects: Vec<_> = objects.all_rows().cloned().collect();
        let bytes = inventory_csv(&sections, &objects);
        for (console, operator) in &consoles {
            console.record_export(operator).await;
        }
        Ok(bytes)
    }

    /// The Vault tab's certificates and keys across every connected client (or one), from the
    /// snapshots; a client that refused a kind is named in that kind's section.
    pub async fn objects_view(
        &self,
        filter: &PortfolioFilter,
        now: DateTime<Utc>,
    ) -> AppResult<crate::service::objects::ObjectsView> {
        let consoles = self.consoles(filter.client.as_deref()).await?;
        let mut view = crate::service::objects::ObjectsView::default();
        for (console, _) in &consoles {
            view.add(console.objects_view(now));
        }
        Ok(view)
    }

    /// The Unmanaged view across every connected client (or one), from the snapshots.
    pub async fn unmanaged_view(&self, filter: &PortfolioFilter) -> AppResult<UnmanagedView> {
        let consoles = self.consoles(filter.client.as_deref()).await?;
        let mut rows = Vec::new();
        let mut can_adopt = false;
        for (console, operator) in &consoles {
            let view = console.unmanaged_view(operator)?;
            can_adopt |= view.can_adopt;
            rows.extend(view.rows);
        }
        Ok(UnmanagedView { rows, can_adopt })
    }
}
