//! Secrets the console did not create: the Unmanaged view (metadata only, never a value) and
//! Adopt, which turns one into a console key in place. Adopting reads the value once, only to
//! compute the masked preview, then updates the current version's properties (the console's
//! tags and content type): no new version is written and the value is untouched.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::vault::{VaultRow, row_for_key};
use super::{Console, Operator, format_date};
use crate::audit::AuditAction;
use crate::domain::catalog::{self, Vendor};
use crate::domain::key_value::KeyParts;
use crate::domain::keys::{KeyRecord, KeySettings};
use crate::domain::policy::{AdminAction, check_admin};
use crate::domain::validation::{
    MAX_NOTE_CHARS, MAX_OWNER_CHARS, validate_interval, validate_label, validate_text,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::UnmanagedSecret;

/// Bulk adopt takes at most this many secrets in one go (each is one read and one update).
pub const MAX_BULK_ADOPT: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SecretTag {
    pub name: String,
    pub value: String,
}

/// One secret another tool created, as the Unmanaged view lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UnmanagedRow {
    pub client_id: String,
    pub client_name: String,
    pub name: String,
    pub content_type: Option<String>,
    pub enabled: bool,
    pub expiry: Option<String>,
    pub created: Option<String>,
    pub updated: Option<String>,
    pub tags: Vec<SecretTag>,
    /// The vendor the secret's name suggests (`ninja-*` → NinjaOne), if any.
    pub suggested_vendor: Option<String>,
    pub suggested_vendor_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UnmanagedView {
    pub rows: Vec<UnmanagedRow>,
    /// The operator may adopt (Admin only).
    pub can_adopt: bool,
}

/// Adopt one secret: which vendor it belongs to and the console's settings for it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AdoptRequest {
    pub secret_name: String,
    pub vendor_id: String,
    #[serde(default)]
    #[ts(optional)]
    pub label: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub interval_days: Option<u32>,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AdoptResult {
    pub secret_name: String,
    pub ok: bool,
    pub row: Option<VaultRow>,
    pub error: Option<AppError>,
}

/// Short names technicians and scripts use for vendors, beyond the catalog id itself.
const ALIASES: &[(&str, &str)] = &[
    ("ninja", "ninjaone"),
    ("s1", "sentinelone"),
    ("cw-automate", "connectwise-automate"),
    ("labtech", "connectwise-automate"),
    ("cw-manage", "connectwise-psa"),
    ("cw-psa", "connectwise-psa"),
    ("manage", "connectwise-psa"),
    ("halo", "halopsa"),
    ("cs", "crowdstrike"),
    ("falcon", "crowdstrike"),
    ("mde", "defender-endpoint"),
    ("defender", "defender-endpoint"),
    ("sophos", "sophos-central"),
    ("abnormal", "abnormal-security"),
    ("proofpoint", "proofpoint-essentials"),
    ("meraki", "cisco-meraki"),
    ("forti", "fortigate"),
    ("unifi", "ubiquiti-unifi"),
    ("datto", "datto-rmm"),
    ("nsight", "nable-nsight"),
    ("n-sight", "nable-nsight"),
    ("veeam", "veeam-spc"),
    ("vspc", "veeam-spc"),
    ("graph", "microsoft-graph"),
    ("3cx", "threecx"),
    ("ingram", "ingram-micro"),
    ("dell", "dell-techdirect"),
    ("techdirect", "dell-techdirect"),
];

/// The secret's name starts with `prefix` as a whole word (`ninja-prod`, `ninja_key`, `ninja`).
fn starts_with_word(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '_', '.', ' ']))
}

/// The vendor a secret's name suggests: its catalog id, the id without dashes, or a common
/// short name, at the start of the name. The longest match wins (`cw-manage` over `cw`).
pub fn suggest_vendor(secret_name: &str) -> Option<&'static Vendor> {
    let name = secret_name.trim().to_ascii_lowercase();
    let mut candidates: Vec<(String, &'static str)> = Vec::new();
    for vendor in catalog::catalog() {
        candidates.push((vendor.id.clone(), vendor.id.as_str()));
        candidates.push((vendor.id.replace('-', ""), vendor.id.as_str()));
    }
    for (alias, id) in ALIASES {
        candidates.push(((*alias).to_string(), id));
    }
    candidates
        .into_iter()
        .filter(|(prefix, _)| starts_with_word(&name, prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .and_then(|(_, id)| catalog::vendor(id))
}

fn row_of(console: &Console, secret: &UnmanagedSecret) -> UnmanagedRow {
    let suggested = suggest_vendor(&secret.name);
    let mut tags: Vec<SecretTag> = secret
        .tags
        .iter()
        .map(|(name, value)| SecretTag {
            name: name.clone(),
            value: value.clone(),
        })
        .collect();
    tags.sort_by(|a, b| a.name.cmp(&b.name));
    UnmanagedRow {
        client_id: console.client().id.clone(),
        client_name: console.client().name.clone(),
        name: secret.name.clone(),
        content_type: secret.content_type.clone(),
        enabled: secret.enabled,
        expiry: secret.expires.map(format_date),
        created: secret.created.map(format_date),
        updated: secret.updated.map(format_date),
        tags,
        suggested_vendor: suggested.map(|v| v.id.clone()),
        suggested_vendor_name: suggested.map(|v| v.name.clone()),
    }
}

/// The secret's content type and tags as they were before adopting replaced them, for the
/// audit entry: what the secret was is then never lost.
fn describe_original(secret: &UnmanagedSecret) -> String {
    let mut tags: Vec<(&String, &String)> = secret.tags.iter().collect();
    tags.sort();
    let tags = if tags.is_empty() {
        "no tags".to_string()
    } else {
        let listed: Vec<String> = tags
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        format!("tags {}", listed.join(", "))
    };
    format!(
        "content type {}; {tags}",
        secret.content_type.as_deref().unwrap_or("(none)")
    )
}

fn not_unmanaged(name: &str) -> AppError {
    AppError::new(
        ErrorCode::KeyNotFound,
        format!("The vault has no unmanaged secret named '{name}' (as of the last refresh)."),
        "Press Refresh (F5): it may have been adopted, renamed or deleted meanwhile.",
    )
}

impl Console {
    /// Every secret of the vault that is not a console key, from the snapshot (no request).
    /// Names and tags of other tools' secrets are for operators with a role only.
    pub fn unmanaged_view(&self, operator: &Operator) -> AppResult<UnmanagedView> {
        operator.require_role()?;
        let mut rows: Vec<UnmanagedRow> = self
            .unmanaged_secrets()
            .iter()
            .map(|secret| row_of(self, secret))
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        let can_adopt = check_admin(operator.role, AdminAction::Adopt).is_ok();
        Ok(UnmanagedView { rows, can_adopt })
    }

    /// Adopt one secret in place (see the module comment). Audited, with the tags it replaced.
    pub async fn adopt(
        &self,
        operator: &Operator,
        request: AdoptRequest,
        now: DateTime<Utc>,
    ) -> AppResult<VaultRow> {
        let vendor = self.client_vendor(&request.vendor_id)?;
        let secret = self
            .unmanaged_secrets()
            .into_iter()
            .find(|u| u.name == request.secret_name)
            .ok_or_else(|| not_unmanaged(&request.secret_name))?;
        let label = validate_label(request.label.as_deref().unwrap_or_default())?;
        let interval = validate_interval(
            request
                .interval_days
                .unwrap_or_else(|| vendor.default_interval_days()),
        )?;
        let owner = validate_text("owner", "Owner", &request.owner, MAX_OWNER_CHARS)?;
        let note = validate_text("note", "Note", &request.note, MAX_NOTE_CHARS)?;
        if let Err(error) = check_admin(operator.role, AdminAction::Adopt) {
            self.record(
                operator,
                AuditAction::Adopt,
                Some(&vendor.id),
                Some(&secret.name),
                Err(&error),
                "",
            )
            .await;
            return Err(error);
        }

        let result = self
            .adopt_checked(vendor, &secret, label, interval, owner, note, now)
            .await;
        self.record(
            operator,
            AuditAction::Adopt,
            Some(&vendor.id),
            Some(&secret.name),
            result.as_ref().map(|_| ()),
            format!(
                "adopted as {} (no new version); before: {}",
                vendor.name,
                describe_original(&secret)
            ),
        )
        .await;
        let stored = result?;
        self.remember_key(&stored);
        Ok(row_for_key(self, operator, &stored, now))
    }

    #[allow(clippy::too_many_arguments)]
    async fn adopt_checked(
        &self,
        vendor: &'static Vendor,
        secret: &UnmanagedSecret,
        label: Option<String>,
        interval_days: u32,
        owner: String,
        note: String,
        now: DateTime<Utc>,
    ) -> AppResult<KeyRecord> {
        // The one value read: the masked preview is all the console keeps of it.
        let value = self.store.read_value(&secret.name, None).await?;
        let parts = if vendor.is_multi_part() {
            // Several parts are stored as the console's labelled JSON; a plain value cannot be
            // split without guessing, and a wrong split would break the key.
            KeyParts::decode(vendor, &value).ok_or_else(|| {
                AppError::field(
                    "vendor",
                    format!(
                        "{} keys have several parts, and this secret holds one plain value.",
                        vendor.name
                    ),
                    "Add it with Add Key (each part in its own field), then delete the old secret.",
                )
            })?
        } else {
            KeyParts::from_input(vendor, Some(value), Vec::new())?
        };
        let review = adopted_review(vendor, &parts);
        let mut record = KeyRecord {
            outside_change: None,
            secret_name: secret.name.clone(),
            vendor_id: vendor.id.clone(),
            label,
            interval_days,
            // The current version's creation is the best "last rotated" the vault can tell.
            last_rotated: secret.created.or(secret.updated).unwrap_or(now),
            expires: secret.expires,
            enabled: secret.enabled,
            owner,
            note,
            masked_preview: parts.masked_preview(),
            endpoint_override: None,
            token_url_override: None,
            settings: KeySettings {
                review,
                ..Default::default()
            },
            version: secret.version.clone(),
            created: secret.created,
            updated: secret.updated,
        };
        record.record_app_id(&parts);
        self.store.update_key(&record).await
    }

    /// Bulk adopt: each secret on its own (one failing never stops the others), in order.
    pub async fn adopt_many(
        &self,
        operator: &Operator,
        requests: Vec<AdoptRequest>,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<AdoptResult>> {
        if requests.len() > MAX_BULK_ADOPT {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{} secrets were picked; bulk adopt takes up to {MAX_BULK_ADOPT} at a time.",
                    requests.len()
                ),
                "Adopt them in smaller batches (filter the list, then pick).",
            ));
        }
        let mut results = Vec::with_capacity(requests.len());
        for request in requests {
            let secret_name = request.secret_name.clone();
            let outcome = self.adopt(operator, request, now).await;
            results.push(match outcome {
                Ok(row) => AdoptResult {
                    secret_name,
                    ok: true,
                    row: Some(row),
                    error: None,
                },
                Err(error) => AdoptResult {
                    secret_name,
                    ok: false,
                    row: None,
                    error: Some(error),
                },
            });
        }
        Ok(results)
    }
}

/// An adopted non-API secret outside its kind's recommended length is kept (adopting records
/// what exists) but flagged for review with what is wrong, since nobody gave a reason for it.
fn adopted_review(vendor: &Vendor, parts: &KeyParts) -> Option<String> {
    let rules = vendor.generator.as_ref()?;
    let length = parts.get("key").map(|v| v.chars().count()).unwrap_or(0);
    if length > rules.max_length as usize {
        return Some(format!(
            "adopted at {length} characters, over the {} this kind allows; no reason recorded",
            rules.max_length
        ));
    }
    (length < rules.recommended_length as usize).then(|| {
        format!(
            "adopted at {length} characters, under the recommended {}; no reason recorded",
            rules.recommended_length
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_suggest_their_vendor() {
        let id = |name: &str| suggest_vendor(name).map(|v| v.id.as_str());
        assert_eq!(id("ninja-prod-api"), Some("ninjaone"));
        assert_eq!(id("NinjaOne"), Some("ninjaone"));
        assert_eq!(id("s1-console-token"), Some("sentinelone"));
        assert_eq!(id("sentinelone_token"), Some("sentinelone"));
        assert_eq!(id("cw-manage-integrator"), Some("connectwise-psa"));
        assert_eq!(id("meraki"), Some("cisco-meraki"));
        assert_eq!(id("cisco-meraki--client-b"), Some("cisco-meraki"));
        // A word must end where the alias does: "ninjago" is not NinjaOne.
        assert_eq!(id("ninjago-db"), None);
        assert_eq!(id("sql-admin-password"), None);
    }
}
