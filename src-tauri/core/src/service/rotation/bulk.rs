//! Rotate All Due: the batch checks, bounded concurrency and the end-of-run summary.

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;
use ts_rs::TS;

use super::{RotateOutcome, RotateRequest};
use crate::domain::keys::KeyRecord;
use crate::error::{AppError, AppResult};
use crate::ping::PingReport;
use crate::service::{Console, Operator, vendor_name};

/// Rotate All Due keeps this many rotations in flight: enough to finish a maintenance window
/// quickly, few enough to stay clear of Key Vault's throttling.
pub const BULK_CONCURRENCY: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BulkItemResult {
    /// The client whose vault holds the key (filled in by the batch).
    pub client_id: String,
    pub client_name: String,
    pub secret_name: String,
    pub vendor_name: String,
    pub ok: bool,
    pub error: Option<AppError>,
    pub ping: Option<PingReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BulkProgress {
    pub done: usize,
    pub total: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub item: BulkItemResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BulkResult {
    pub total: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub items: Vec<BulkItemResult>,
}

impl BulkResult {
    /// The order the end-of-run summary reads in: failures first (they need the technician),
    /// then the rotated keys; by client, then vendor, inside each.
    pub fn failures_first(mut self) -> BulkResult {
        self.items.sort_by(|a, b| {
            a.ok.cmp(&b.ok)
                .then_with(|| a.client_name.cmp(&b.client_name))
                .then_with(|| a.vendor_name.cmp(&b.vendor_name))
        });
        self
    }
}

/// Rotate All Due takes each due key at most once, and only keys that are due.
pub fn check_bulk_requests(
    keys: &[KeyRecord],
    requests: &[RotateRequest],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut seen = std::collections::HashSet::new();
    for request in requests {
        if !seen.insert(request.secret_name.as_str()) {
            return Err(AppError::new(
                crate::error::ErrorCode::InvalidInput,
                format!(
                    "'{}' appears twice in this Rotate All Due batch.",
                    request.secret_name
                ),
                "Each due key is rotated once per batch. Close the dialog and open Rotate All Due again.",
            ));
        }
        let due = keys
            .iter()
            .find(|k| k.secret_name == request.secret_name)
            .is_some_and(|k| k.timing(now).needs_rotation());
        if !due {
            return Err(AppError::new(
                crate::error::ErrorCode::InvalidInput,
                format!(
                    "'{}' is not due for rotation, so Rotate All Due does not take it.",
                    request.secret_name
                ),
                "Rotate it on its own from the Vault or Rotation tab. Rotate All Due only takes keys that are expired, rotation overdue or due within 14 days.",
            ));
        }
    }
    Ok(())
}

impl Console {
    /// Rotate All Due: every request runs, at most [`BULK_CONCURRENCY`] at once. A failed key keeps
    /// its old value and stays due; its error is in the result list for a retry.
    ///
    /// The batch is refused as a whole when it names a key twice or a key that is not due (so a
    /// crafted request cannot turn "Rotate All Due" into a mass overwrite), or when the keys or the
    /// role policy cannot be read (fail closed: no rotation runs on a stale policy).
    pub async fn rotate_many(
        &self,
        operator: &Operator,
        requests: Vec<RotateRequest>,
        now: DateTime<Utc>,
        on_progress: impl Fn(BulkProgress) + Send + Sync,
    ) -> AppResult<BulkResult> {
        // The snapshot's keys and a fresh policy (fail closed if it cannot be read); each rotation
        // then works from this state.
        let keys = self.cached_keys();
        self.refresh_policy().await?;
        check_bulk_requests(&keys, &requests, now)?;
        self.batch(self.rotate_batch(operator, requests, now, on_progress))
            .await
    }

    async fn rotate_batch(
        &self,
        operator: &Operator,
        requests: Vec<RotateRequest>,
        now: DateTime<Utc>,
        on_progress: impl Fn(BulkProgress) + Send + Sync,
    ) -> AppResult<BulkResult> {
        let total = requests.len();
        let mut items = Vec::with_capacity(total);
        let mut succeeded = 0;
        let mut failed = 0;
        let mut running = futures::stream::iter(requests.into_iter().map(|request| async move {
            let secret_name = request.secret_name.clone();
            let vendor = match self.key(&secret_name).await {
                Ok(record) => vendor_name(&record.vendor_id),
                Err(_) => secret_name.clone(),
            };
            if request.at_vendor {
                let vendor_request = crate::service::connector::VendorRotateRequest {
                    secret_name: request.secret_name,
                    expiry: request.expiry,
                    used_by_checked: request.used_by_checked,
                };
                return match self
                    .rotate_at_vendor(operator, vendor_request, true, now)
                    .await
                {
                    Ok(done) => BulkItemResult {
                        client_id: String::new(),
                        client_name: String::new(),
                        secret_name,
                        vendor_name: vendor,
                        ok: done.saved,
                        error: (!done.saved || done.failed_step.is_some()).then(|| {
                            AppError::new(
                                crate::error::ErrorCode::ConnectorFailed,
                                done.message.clone(),
                                done.hint.clone(),
                            )
                        }),
                        ping: done.ping,
                    },
                    Err(error) => BulkItemResult {
                        client_id: String::new(),
                        client_name: String::new(),
                        secret_name,
                        vendor_name: vendor,
                        ok: false,
                        error: Some(error),
                        ping: None,
                    },
                };
            }
            let outcome = self.rotate_key(operator, request, true, now).await;
            match outcome {
                Ok(RotateOutcome {
                    saved: true, ping, ..
                }) => BulkItemResult {
                    client_id: String::new(),
                    client_name: String::new(),
                    secret_name,
                    vendor_name: vendor,
                    ok: true,
                    error: None,
                    ping,
                },
                Ok(RotateOutcome { ping, .. }) => BulkItemResult {
                    client_id: String::new(),
                    client_name: String::new(),
                    error: ping.as_ref().map(|p| {
                        AppError::new(
                            crate::error::ErrorCode::InvalidInput,
                            format!(
                                "Not saved: the vendor did not accept the new key ({}).",
                                p.message
                            ),
                            p.hint.clone(),
                        )
                    }),
                    secret_name,
                    vendor_name: vendor,
                    ok: false,
                    ping,
                },
                Err(error) => BulkItemResult {
                    client_id: String::new(),
                    client_name: String::new(),
                    secret_name,
                    vendor_name: vendor,
                    ok: false,
                    error: Some(error),
                    ping: None,
                },
            }
        }))
        .buffer_unordered(BULK_CONCURRENCY);
        while let Some(mut item) = running.next().await {
            item.client_id = self.client().id.clone();
            item.client_name = self.client().name.clone();
            if item.ok {
                succeeded += 1;
            } else {
                failed += 1;
            }
            on_progress(BulkProgress {
                done: succeeded + failed,
                total,
                succeeded,
                failed,
                item: item.clone(),
            });
            items.push(item);
        }
        Ok(BulkResult {
            total,
            succeeded,
            failed,
            items,
        })
    }
}
