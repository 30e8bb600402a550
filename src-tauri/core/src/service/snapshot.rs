//! One listing per refresh: the console keeps a snapshot of its vault — keys, its own documents,
//! and every other secret — filled by one listing on connect, updated in place by the console's
//! own writes, and replaced by a refresh (the Refresh button, F5, and a background timer). Every
//! view (Vault, Rotation, Distribute, the report, reminders, the sidebar) reads the snapshot;
//! none lists the vault itself. A failed refresh keeps the last good snapshot, marked stale.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::{AuditResult, Console, Operator, format_date, vendor_name};
use crate::audit::AuditAction;
use crate::domain::keys::{KeyRecord, OutsideChange};
use crate::domain::vault_objects::ObjectListing;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{DocumentInfo, UnmanagedSecret, VaultListing};

/// The console's copy of the vault's listing.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub listing: VaultListing,
    /// The vault's certificates and keys from the same refresh (each kind may be refused).
    pub objects: ObjectListing,
    /// When the listing was taken (`None` before the first one).
    pub listed_at: Option<DateTime<Utc>>,
    /// The last refresh failed with this; the listing is the last good one.
    pub stale: Option<AppError>,
    /// When that refresh failed.
    pub failed_at: Option<DateTime<Utc>>,
    /// Outside changes already recorded in the audit log this session (secret, version seen).
    reported: HashSet<(String, String)>,
    /// Keys that the last listing showed as console keys, to notice one losing its tags.
    known_keys: HashSet<String>,
    /// The cryptographic keys' types read this session (kept across refreshes, per version).
    pub(crate) key_details: crate::domain::key_detail::KeyDetailCache,
}

/// A change made outside the console that a refresh noticed for the first time this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticedChange {
    pub secret_name: String,
    /// The version it was seen on (recorded once per version and session).
    pub version: String,
    pub vendor_id: Option<String>,
    pub description: String,
}

/// The background refresh lists every connected client's vault this often (the app's timer).
pub const AUTO_REFRESH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// A snapshot older than two background refreshes means refreshes stopped happening (a laptop
/// that slept, a refresh that hangs): the data may no longer be the vault's.
pub const OUTDATED_AFTER_MINUTES: i64 = 2 * (AUTO_REFRESH_INTERVAL.as_secs() as i64) / 60;

/// How fresh one client's data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum RefreshHealth {
    /// Listed within the last two background refreshes.
    Fresh,
    /// The last listing succeeded, but longer ago than two background refreshes.
    Outdated,
    /// The last refresh failed; the data shown is the last good listing.
    Failed,
    /// Never listed.
    Never,
}

/// How fresh the snapshot is, for the top bar, the sidebar and the client overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SnapshotState {
    /// The last successful listing.
    pub listed_at: Option<String>,
    pub keys: usize,
    pub unmanaged: usize,
    /// Why the last refresh failed (the data shown is older), if it did.
    pub stale: Option<AppError>,
    /// When the last refresh failed, if it did.
    pub failed_at: Option<String>,
    pub health: RefreshHealth,
    /// What the row says, short: "Refreshed 08:14 UTC", "Refresh failed 08:19 UTC",
    /// "Outdated: refreshed 47 min ago".
    pub label: String,
}

fn clock(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if time.date_naive() == now.date_naive() {
        time.format("%H:%M UTC").to_string()
    } else {
        time.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

fn age(minutes: i64) -> String {
    match minutes {
        m if m < 120 => format!("{m} min ago"),
        m if m < 48 * 60 => format!("{} h ago", m / 60),
        m => format!("{} days ago", m / (24 * 60)),
    }
}

/// How fresh a listing taken at `listed_at` is at `now`, after a failure at `failed_at` (if the
/// last refresh failed), and the row's words for it.
pub fn refresh_health(
    listed_at: Option<DateTime<Utc>>,
    failed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (RefreshHealth, String) {
    match (listed_at, failed_at) {
        (_, Some(failed)) => (
            RefreshHealth::Failed,
            match listed_at {
                Some(listed) => format!(
                    "Refresh failed {}; data from {}",
                    clock(failed, now),
                    clock(listed, now)
                ),
                None => format!("Refresh failed {}", clock(failed, now)),
            },
        ),
        (None, None) => (RefreshHealth::Never, "Not refreshed yet".to_string()),
        (Some(listed), None) => {
            let minutes = (now - listed).num_minutes();
            if minutes > OUTDATED_AFTER_MINUTES {
                (
                    RefreshHealth::Outdated,
                    format!("Outdated: refreshed {}", age(minutes)),
                )
            } else {
                (
                    RefreshHealth::Fresh,
                    format!("Refreshed {}", clock(listed, now)),
                )
            }
        }
    }
}

impl Console {
    pub(crate) fn snapshot(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One listing of the vault (ceil(secrets / 25) list calls, no value read) replaces the
    /// snapshot. Returns the keys, and the outside changes seen for the first time. On failure the
    /// last good snapshot stays, marked stale, and the error is returned.
    pub async fn refresh(&self) -> AppResult<(Vec<KeyRecord>, Vec<NoticedChange>)> {
        // Certificates and keys are listed beside the secrets; a kind refused there is named
        // in the listing and never fails the refresh.
        let (listing, objects) = futures::join!(self.store.list_all(), self.store.list_objects());
        let listing = match listing {
            Ok(listing) => listing,
            Err(error) => {
                let mut snapshot = self.snapshot();
                snapshot.stale = Some(error.clone());
                snapshot.failed_at = Some(Utc::now());
                return Err(error);
            }
        };
        let mut snapshot = self.snapshot();
        let mut noticed = Vec::new();
        for key in &listing.keys {
            if let Some(change) = &key.outside_change {
                let seen = (key.secret_name.clone(), key.version.clone());
                if !snapshot.reported.contains(&seen) {
                    noticed.push(NoticedChange {
                        secret_name: key.secret_name.clone(),
                        version: key.version.clone(),
                        vendor_id: Some(key.vendor_id.clone()),
                        description: change.describe(),
                    });
                }
            }
        }
        // A console key whose current version lost the console's tags: stored anew elsewhere.
        for secret in &listing.unmanaged {
            if snapshot.known_keys.contains(&secret.name)
                && !snapshot
                    .reported
                    .contains(&(secret.name.clone(), secret.version.clone()))
            {
                noticed.push(NoticedChange {
                    secret_name: secret.name.clone(),
                    version: secret.version.clone(),
                    vendor_id: None,
                    description: format!(
                        "A new version without the console's tags was stored outside the console{}; the key now shows under Unmanaged, where it can be adopted again.",
                        secret
                            .created
                            .map(|t| format!(" on {}", format_date(t)))
                            .unwrap_or_default()
                    ),
                });
            }
        }
        // Keys that lost their tags stay "known" until the change is recorded.
        let lost: Vec<String> = noticed
            .iter()
            .filter(|c| c.vendor_id.is_none())
            .map(|c| c.secret_name.clone())
            .collect();
        snapshot.known_keys = listing
            .keys
            .iter()
            .map(|k| k.secret_name.clone())
            .chain(lost)
            .collect();
        let keys = listing.keys.clone();
        snapshot.listing = listing;
        let mut objects = objects;
        // A key read earlier this session keeps its type while its version stays the same.
        if let crate::domain::vault_objects::KindListing::Listed(crypto) = &mut objects.keys {
            snapshot.key_details.fill(crypto);
        }
        snapshot.objects = objects;
        snapshot.listed_at = Some(Utc::now());
        snapshot.stale = None;
        snapshot.failed_at = None;
        Ok((keys, noticed))
    }

    /// Refresh, and record what changed outside the console in the audit log (once per change
    /// and session) under the operator whose console noticed it.
    pub async fn refresh_keys_as(&self, operator: &Operator) -> AppResult<Vec<KeyRecord>> {
        let (keys, noticed) = self.refresh().await?;
        self.record_changes(operator, noticed).await;
        Ok(keys)
    }

    /// Record the outside changes the current snapshot shows that are not recorded yet (after a
    /// refresh that had no operator, e.g. the connect's own listing before the trust check).
    pub async fn record_outside_changes(&self, operator: &Operator) {
        let noticed: Vec<NoticedChange> = {
            let snapshot = self.snapshot();
            snapshot
                .listing
                .keys
                .iter()
                .filter_map(|key| {
                    let change = key.outside_change.as_ref()?;
                    (!snapshot
                        .reported
                        .contains(&(key.secret_name.clone(), key.version.clone())))
                    .then(|| NoticedChange {
                        secret_name: key.secret_name.clone(),
                        version: key.version.clone(),
                        vendor_id: Some(key.vendor_id.clone()),
                        description: change.describe(),
                    })
                })
                .collect()
        };
        self.record_changes(operator, noticed).await;
    }

    async fn record_changes(&self, operator: &Operator, noticed: Vec<NoticedChange>) {
        for change in noticed {
            {
                let mut snapshot = self.snapshot();
                snapshot
                    .reported
                    .insert((change.secret_name.clone(), change.version.clone()));
                if change.vendor_id.is_none() {
                    snapshot.known_keys.remove(&change.secret_name);
                }
            }
            self.record(
                operator,
                AuditAction::ChangedOutside,
                change.vendor_id.as_deref(),
                Some(&change.secret_name),
                AuditResult::Ok,
                change.description,
            )
            .await;
        }
    }

    /// Refresh without an operator to record outside changes under (they are recorded by the
    /// next refresh that has one).
    pub async fn refresh_keys(&self) -> AppResult<Vec<KeyRecord>> {
        Ok(self.refresh().await?.0)
    }

    /// The keys as the last listing (and the console's own writes since) show them.
    pub fn cached_keys(&self) -> Vec<KeyRecord> {
        self.snapshot().listing.keys.clone()
    }

    /// Look at the keys without copying them (the overview reads forty clients' on every status).
    pub(crate) fn with_keys<T>(&self, look: impl FnOnce(&[KeyRecord]) -> T) -> T {
        look(&self.snapshot().listing.keys)
    }

    /// The secrets of the vault that are not console keys.
    /// This client's counts at `now` from its snapshot: API keys, unmanaged secrets,
    /// certificates and keys. The sidebar, the Vault and Rotation tabs and the CLI read these.
    pub fn client_counts(&self, now: DateTime<Utc>) -> crate::domain::status::ClientCounts {
        let snapshot = self.snapshot();
        let mut counts = crate::domain::status::ClientCounts::of(&snapshot.listing.keys, now);
        counts.unmanaged = snapshot.listing.unmanaged.len();
        counts.certificates = snapshot.objects.certificate_counts(now);
        counts.crypto_keys = snapshot.objects.key_counts(now);
        counts.app_credentials = snapshot.objects.app_credential_counts(now);
        counts
    }

    /// The certificates and keys of the last good refresh.
    pub fn cached_objects(&self) -> ObjectListing {
        self.snapshot().objects.clone()
    }

    pub fn unmanaged_secrets(&self) -> Vec<UnmanagedSecret> {
        self.snapshot().listing.unmanaged.clone()
    }

    /// The console's documents as last listed (anchors of every installation, policy, …).
    pub fn cached_documents(&self) -> Vec<DocumentInfo> {
        self.snapshot().listing.documents.clone()
    }

    pub fn snapshot_state(&self) -> SnapshotState {
        self.snapshot_state_at(Utc::now())
    }

    pub fn snapshot_state_at(&self, now: DateTime<Utc>) -> SnapshotState {
        let snapshot = self.snapshot();
        let (health, label) = refresh_health(snapshot.listed_at, snapshot.failed_at, now);
        SnapshotState {
            listed_at: snapshot
                .listed_at
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            keys: snapshot.listing.keys.len(),
            unmanaged: snapshot.listing.unmanaged.len(),
            stale: snapshot.stale.clone(),
            failed_at: snapshot
                .failed_at
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            health,
            label,
        }
    }

    /// The demo's "laptop that slept" client: its listing is dated `by` earlier than it was taken,
    /// so the overview has an outdated client to show. Only the demo seeding calls it.
    pub(crate) fn backdate_listing_for_demo(&self, by: chrono::Duration) {
        let mut snapshot = self.snapshot();
        snapshot.listed_at = snapshot.listed_at.map(|t| t - by);
    }

    /// A key's record from the snapshot.
    pub async fn key(&self, secret_name: &str) -> AppResult<KeyRecord> {
        self.snapshot()
            .listing
            .keys
            .iter()
            .find(|k| k.secret_name == secret_name)
            .cloned()
            .ok_or_else(|| key_not_found(secret_name))
    }

    /// A key's record as the vault has it now (its versions' properties: no listing of the
    /// vault, no value read). Used before writing metadata back, so a change made at another
    /// console (disabled, tags edited) is not overwritten with a stale copy; the snapshot takes it.
    pub async fn fresh_key(&self, secret_name: &str) -> AppResult<KeyRecord> {
        match self.store.current_key(secret_name).await? {
            Some(record) => {
                self.remember_key(&record);
                Ok(record)
            }
            None => {
                self.forget_key(secret_name);
                Err(key_not_found(secret_name))
            }
        }
    }

    /// The console wrote `record`: keep the snapshot as the vault now is.
    pub(crate) fn remember_key(&self, record: &KeyRecord) {
        let mut snapshot = self.snapshot();
        snapshot.known_keys.insert(record.secret_name.clone());
        snapshot
            .listing
            .unmanaged
            .retain(|u| u.name != record.secret_name);
        let keys = &mut snapshot.listing.keys;
        match keys
            .iter_mut()
            .find(|k| k.secret_name == record.secret_name)
        {
            Some(existing) => *existing = record.clone(),
            None => keys.push(record.clone()),
        }
    }

    pub(crate) fn forget_key(&self, secret_name: &str) {
        let mut snapshot = self.snapshot();
        snapshot.known_keys.remove(secret_name);
        snapshot
            .listing
            .keys
            .retain(|k| k.secret_name != secret_name);
    }

    /// The console wrote a document (anchor, policy): keep its listed tags current too.
    pub(crate) fn remember_document(&self, document: DocumentInfo) {
        let mut snapshot = self.snapshot();
        let documents = &mut snapshot.listing.documents;
        match documents.iter_mut().find(|d| d.name == document.name) {
            Some(existing) => *existing = document,
            None => documents.push(document),
        }
    }
}

fn key_not_found(secret_name: &str) -> AppError {
    AppError::new(
        ErrorCode::KeyNotFound,
        format!("No key named '{secret_name}' is stored."),
        "It may have been deleted from another console. Refresh (F5) to see the vault as it is now.",
    )
}

/// The vendor name for a noticed change (the secret's name when it is no longer a console key).
pub fn noticed_label(change: &NoticedChange) -> String {
    change
        .vendor_id
        .as_deref()
        .map(vendor_name)
        .unwrap_or_else(|| change.secret_name.clone())
}

impl OutsideChange {
    /// Short label for a table cell.
    pub fn label(&self) -> &'static str {
        match self {
            OutsideChange::Edited { .. } => "changed outside the console",
            OutsideChange::NewVersion { .. } => "new version outside the console",
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::{RefreshHealth, refresh_health};

    #[test]
    fn data_turns_outdated_after_two_background_refreshes_and_a_failure_says_when() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 7, 9, 30, 0)
            .single()
            .expect("date");
        let at = |minutes: i64| Some(now - Duration::minutes(minutes));
        assert_eq!(
            refresh_health(at(10), None, now),
            (RefreshHealth::Fresh, "Refreshed 09:20 UTC".to_string())
        );
        assert_eq!(
            refresh_health(at(11), None, now),
            (
                RefreshHealth::Outdated,
                "Outdated: refreshed 11 min ago".to_string()
            )
        );
        assert_eq!(
            refresh_health(at(3 * 60), None, now).1,
            "Outdated: refreshed 3 h ago"
        );
        assert_eq!(
            refresh_health(at(12), at(2), now),
            (
                RefreshHealth::Failed,
                "Refresh failed 09:28 UTC; data from 09:18 UTC".to_string()
            )
        );
        // Yesterday's data carries its date.
        assert_eq!(
            refresh_health(at(11 * 60), at(1), now).1,
            "Refresh failed 09:29 UTC; data from 2026-12-06 22:30 UTC"
        );
        assert_eq!(refresh_health(None, None, now).0, RefreshHealth::Never);
    }
}
