//! The Vault tab's keys: their type and size, read on demand for the rows on screen. A listing
//! never reads them (ceil(n / 25) list calls stay the whole cost of a refresh); each key is
//! read once per version and session, at most [`READS_AT_ONCE`] at a time, and only keys of
//! this client's last listing may be named — the page is not trusted to name anything else.

use std::collections::HashSet;

use futures::StreamExt;
use serde::Serialize;
use ts_rs::TS;

use super::Console;
use crate::domain::key_detail::{MAX_NAMES_PER_CALL, READS_AT_ONCE};
use crate::domain::vault_objects::KindListing;
use crate::error::{AppError, AppResult, ErrorCode};

/// One key's type and size as its row shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyDetailRow {
    pub name: String,
    /// "RSA 2048 bits", "EC P-256", or "—" when it could not be read.
    pub detail: String,
    /// Why it is "—" (the refusal, or the key deleted meanwhile).
    pub detail_note: Option<String>,
}

fn refused(message: String) -> AppError {
    AppError::new(
        ErrorCode::NotListed,
        message,
        "Only keys of this client's last listing can be read. Refresh (F5) and open the Keys view again.",
    )
}

/// A name from the page, quoted in an error: short and without control characters.
fn shown(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control() && !crate::domain::validation::is_bidi_control(*c))
        .take(64)
        .collect()
}

impl Console {
    /// The type and size of `names` (keys of this client's last listing), reading those not
    /// known yet. The whole request is refused, before any read, when it names more than
    /// [`MAX_NAMES_PER_CALL`] keys or one the listing does not have; a key that cannot be read
    /// comes back as "—" with the reason, which its row keeps until the next refresh.
    pub async fn key_details(&self, names: &[String]) -> AppResult<Vec<KeyDetailRow>> {
        if names.len() > MAX_NAMES_PER_CALL {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{} keys were asked for at once; at most {MAX_NAMES_PER_CALL} are read per request.",
                    names.len()
                ),
                "This is a defect in the console's page: it asks only for the rows on screen. Nothing was read.",
            ));
        }
        let mut seen = HashSet::new();
        let names: Vec<&String> = names.iter().filter(|n| seen.insert(*n)).collect();
        let to_read: Vec<String> = {
            let snapshot = self.snapshot();
            let listed = match &snapshot.objects.keys {
                KindListing::Listed(keys) => keys,
                KindListing::Refused(_) => {
                    return Err(refused(
                        "This client's keys could not be listed, so none can be read.".to_string(),
                    ));
                }
            };
            let mut to_read = Vec::new();
            for name in &names {
                let Some(key) = listed.iter().find(|k| &k.name == *name) else {
                    return Err(refused(format!(
                        "'{}' is not a key in this client's last listing; nothing was read.",
                        shown(name)
                    )));
                };
                // Known, or refused already this listing: not asked again.
                if key.key_type.is_none() && key.detail_note.is_none() {
                    to_read.push(key.name.clone());
                }
            }
            to_read
        };
        let results: Vec<_> = futures::stream::iter(to_read)
            .map(|name| async move {
                let result = self.store.read_key_detail(&name).await;
                (name, result)
            })
            .buffer_unordered(READS_AT_ONCE)
            .collect()
            .await;
        let mut snapshot = self.snapshot();
        let snapshot = &mut *snapshot;
        for (name, result) in results {
            let key = match &mut snapshot.objects.keys {
                KindListing::Listed(keys) => keys.iter_mut().find(|k| k.name == name),
                KindListing::Refused(_) => None,
            };
            match result {
                Ok((detail, updated)) => {
                    if let Some(key) = key {
                        key.apply(&detail);
                    }
                    // Kept under the version it was read at; the next listing shows that one.
                    snapshot.key_details.insert(&name, updated, detail);
                }
                Err(error) => {
                    if let Some(key) = key {
                        key.detail_note = Some(format!("{} {}", error.message, error.hint));
                    }
                }
            }
        }
        let listed = snapshot.objects.keys.items();
        Ok(names
            .iter()
            .filter_map(|name| listed.iter().find(|k| &k.name == *name))
            .map(|key| KeyDetailRow {
                name: key.name.clone(),
                detail: key.type_text(),
                detail_note: key.key_type.is_none().then(|| {
                    key.detail_note
                        .clone()
                        .unwrap_or_else(|| crate::domain::key_detail::NOT_READ_YET.to_string())
                }),
            })
            .collect())
    }
}
