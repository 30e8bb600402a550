//! Where a key's value may be sent: its named fields, endpoint edits, the per-key CA, the Admin's
//! confirmation of a host outside the vendor's domains, and the ping itself (which re-checks all
//! of it, since tags can be edited in the Azure Portal behind the console's back).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::vault::{VaultRow, row_for_key};
use super::{AuditResult, Console, Operator, format_date};
use crate::audit::{AuditAction, Outcome};
use crate::domain::key_value::KeyParts;
use crate::domain::keys::{KeyRecord, expiry_from_date};
use crate::domain::policy::{KeyAction, Role};
use crate::domain::secret::SecretValue;
use crate::domain::validation::{
    MAX_NOTE_CHARS, MAX_OWNER_CHARS, validate_endpoint, validate_expiry, validate_field_value,
    validate_interval, validate_text,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ping::target::host_of;
use crate::ping::{PingOutcome, PingReport, PingTarget, ping};
use crate::store::ConsoleDocument;

/// Largest extra CA bundle accepted for one key.
const MAX_CA_BYTES: usize = 16 * 1024;

/// The settings form of the detail panel.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeySettingsRequest {
    pub secret_name: String,
    pub interval_days: u32,
    #[serde(default)]
    #[ts(optional)]
    pub expiry: Option<String>,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub note: String,
    /// Endpoint edit (empty = derived from the fields).
    #[serde(default)]
    pub endpoint: String,
    /// Token URL edit (empty = derived from the endpoint and fields).
    #[serde(default)]
    pub token_url: String,
    /// The vendor's named fields (tenant, server, region, ...).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// `None` keeps the key's extra CA, `Some("")` removes it, a PEM replaces it (Admin only).
    #[serde(default)]
    #[ts(optional)]
    pub ca_pem: Option<String>,
    /// Hosts outside the vendor's domains that an Admin confirms by naming them (the second
    /// request, after the first one was refused with `host-not-confirmed`).
    #[serde(default)]
    pub confirm_hosts: Vec<String>,
}

/// The audit-note marker of an Admin's host confirmation; the ping looks for it in the log.
fn approval_marker(host: &str) -> String {
    format!("[host-approved:{host}]")
}

pub fn ca_fingerprint(pem: &str) -> String {
    hex::encode(Sha256::digest(pem.trim().as_bytes()))
}

fn admin_only(what: &str) -> AppError {
    AppError::new(
        ErrorCode::AdminOnly,
        format!("Only an Admin may {what}."),
        "Ask an Admin of this console to make the change.",
    )
}

impl Console {
    /// Has an Admin of this console confirmed `host` for `secret_name` (an entry in the
    /// tamper-evident log, which a tag edit cannot forge)? Only entries the vault's anchor
    /// vouched for, or that this session wrote, count: a line added to the file while the
    /// console was closed is not an Admin's approval.
    pub fn host_confirmed(&self, secret_name: &str, host: &str) -> bool {
        let marker = approval_marker(host);
        self.audit_log().entries().iter().any(|entry| {
            self.entry_trusted(entry.seq)
                && entry.action == AuditAction::Update
                && entry.outcome == Outcome::Ok
                && entry.role == Role::Admin.label()
                && entry.key_name.as_deref() == Some(secret_name)
                && entry.note.contains(&marker)
        })
    }

    /// Hosts of `target` outside the vendor's domains that no Admin confirmed for this key.
    pub fn unconfirmed_hosts(&self, secret_name: &str, target: &PingTarget<'_>) -> Vec<String> {
        target
            .off_domain_hosts()
            .into_iter()
            .filter(|host| !self.host_confirmed(secret_name, host))
            .collect()
    }

    /// The key's extra CA, checked against the fingerprint in its tags.
    async fn key_ca(&self, record: &KeyRecord) -> Result<Option<String>, PingReport> {
        let Some(expected) = &record.settings.ca_sha256 else {
            return Ok(None);
        };
        let document = ConsoleDocument::KeyCa {
            secret_name: record.secret_name.clone(),
        };
        let refused = |message: &str| {
            PingReport::refused(
                PingOutcome::TlsError,
                message,
                "An Admin can add the CA again in Edit settings.",
                &record.endpoint(),
            )
        };
        match self.store().read_document(&document).await {
            Ok(Some(pem)) if ca_fingerprint(&pem) == *expected => Ok(Some(pem)),
            Ok(Some(_)) => Err(refused(
                "This key's extra CA was changed outside the console; the ping does not trust it.",
            )),
            Ok(None) => Err(refused("This key's extra CA is missing from the vault.")),
            Err(error) => Err(refused(&error.message)),
        }
    }

    /// Ping the vendor with a value (stored or about to be), after re-checking where it would go.
    pub(crate) async fn ping_value(&self, record: &KeyRecord, value: &SecretValue) -> PingReport {
        // This client's vendors only: a custom vendor of another vault never decides where a
        // key of this one goes.
        let Ok(vendor) = self.client_vendor(&record.vendor_id) else {
            return PingReport::refused(
                PingOutcome::NotReachable,
                "This key's vendor is neither in the catalog nor a custom vendor of this vault.",
                "Re-add the key under one of the catalog's vendors, or ask an Admin to define the custom vendor again.",
                "",
            );
        };
        let Some(parts) = KeyParts::decode(vendor, value) else {
            return PingReport::refused(
                PingOutcome::BadKeyFormat,
                "The stored key does not have the parts this vendor needs.",
                "Rotate the key with every labelled part filled.",
                &record.endpoint(),
            );
        };
        self.ping_parts(record, &parts).await
    }

    pub(crate) async fn ping_parts(&self, record: &KeyRecord, parts: &KeyParts) -> PingReport {
        // This client's vendors only: a custom vendor of another vault never decides where a
        // key of this one goes.
        let Ok(vendor) = self.client_vendor(&record.vendor_id) else {
            return PingReport::refused(
                PingOutcome::NotReachable,
                "This key's vendor is neither in the catalog nor a custom vendor of this vault.",
                "Re-add the key under one of the catalog's vendors, or ask an Admin to define the custom vendor again.",
                "",
            );
        };
        let target = PingTarget::of_record(vendor, Some(record));
        let unconfirmed = self.unconfirmed_hosts(&record.secret_name, &target);
        if !unconfirmed.is_empty() {
            return PingReport::refused(
                PingOutcome::HostRefused,
                format!(
                    "{} is outside {}'s own domains and no Admin of this console has confirmed it for this key.",
                    unconfirmed.join(", "),
                    vendor.name
                ),
                "If the endpoint was edited on purpose, an Admin opens Edit settings and confirms the host; otherwise restore the endpoint.",
                &target.endpoint,
            );
        }
        let ca = match self.key_ca(record).await {
            Ok(ca) => ca,
            Err(refused) => return refused,
        };
        let target = target.with_key_ca(ca);
        ping(self.ping_client(), &target, parts).await
    }

    /// The vendor test ping with the stored key.
    pub async fn test_key(&self, operator: &Operator, secret_name: &str) -> AppResult<PingReport> {
        let record = self.key(secret_name).await?;
        if let Some(reason) = record.vendor().and_then(|v| v.no_test_reason()) {
            return Err(AppError::new(
                ErrorCode::NoTestCall,
                reason,
                "Nothing was sent. Check the secret where it is used after each rotation.",
            ));
        }
        self.refresh_policy().await?;
        self.authorize(operator, &record, KeyAction::Test, AuditAction::Test)?;
        let report = match self.store().read_value(secret_name, None).await {
            Ok(value) => self.ping_value(&record, &value).await,
            Err(error) => {
                self.record(
                    operator,
                    AuditAction::Test,
                    Some(&record.vendor_id),
                    Some(secret_name),
                    Err(&error),
                    "",
                )
                .await;
                return Err(error);
            }
        };
        let outcome = if report.authenticated() {
            AuditResult::Ok
        } else {
            AuditResult::Failed(super::rotation::ping_code(&report))
        };
        self.record(
            operator,
            AuditAction::Test,
            Some(&record.vendor_id),
            Some(secret_name),
            outcome,
            report.message.clone(),
        )
        .await;
        Ok(report)
    }

    /// Change interval, expiry, owner, note, fields, endpoint or CA of a key (no value change).
    /// A host outside the vendor's domains needs an Admin who names it in `confirm_hosts`.
    pub async fn update_settings(
        &self,
        operator: &Operator,
        request: KeySettingsRequest,
        now: DateTime<Utc>,
    ) -> AppResult<VaultRow> {
        let mut record = self.fresh_key(&request.secret_name).await?;
        let vendor = record
            .vendor()
            .ok_or_else(|| AppError::internal("key of an unknown vendor"))?;
        let interval = validate_interval(request.interval_days)?;
        let expiry = match request.expiry.as_deref().map(str::trim) {
            // An unchanged past expiry stays as it is; a newly typed one must not be in the past.
            Some(text) if record.expires.map(format_date).as_deref() == Some(text) => {
                record.expires
            }
            other => validate_expiry(other, now)?.map(expiry_from_date),
        };
        let owner = validate_text("owner", "Owner", &request.owner, MAX_OWNER_CHARS)?;
        let note = validate_text("note", "Note", &request.note, MAX_NOTE_CHARS)?;
        let endpoint = validate_endpoint(&request.endpoint)?;
        let token_url = validate_endpoint(&request.token_url).map_err(|e| AppError {
            field: Some("tokenUrl".into()),
            ..e
        })?;
        let mut fields = BTreeMap::new();
        for field in &vendor.fields {
            let value = request
                .fields
                .get(&field.id)
                .map(String::as_str)
                .unwrap_or("");
            match validate_field_value(field, value)? {
                Some(valid) => {
                    fields.insert(field.id.clone(), valid);
                }
                None if !field.optional && field.default.is_none() && !value.is_empty() => {}
                None => {}
            }
        }
        if let Some(unknown) = request.fields.keys().find(|id| vendor.field(id).is_none()) {
            return Err(AppError::field(
                "fields",
                format!("{} has no field '{unknown}'.", vendor.name),
                "Reopen the detail panel and try again.",
            ));
        }
        let ca = match request.ca_pem.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(pem) => {
                if pem.len() > MAX_CA_BYTES
                    || reqwest::Certificate::from_pem_bundle(pem.as_bytes()).is_err()
                    || !pem.contains("BEGIN CERTIFICATE")
                {
                    return Err(AppError::field(
                        "caPem",
                        "That is not a PEM certificate.",
                        "Paste the CA certificate (-----BEGIN CERTIFICATE----- …) of the appliance.",
                    ));
                }
                Some(Some(pem.to_string()))
            }
        };
        self.authorize(operator, &record, KeyAction::Update, AuditAction::Update)?;

        let mut changes = Vec::new();
        if record.interval_days != interval {
            changes.push(format!(
                "interval {} → {} days",
                record.interval_days, interval
            ));
        }
        if record.expires != expiry {
            changes.push(format!(
                "expiry {} → {}",
                record
                    .expires
                    .map(format_date)
                    .unwrap_or_else(|| "none".into()),
                expiry.map(format_date).unwrap_or_else(|| "none".into())
            ));
        }
        if record.owner != owner {
            changes.push("owner".into());
        }
        if record.note != note {
            changes.push("note".into());
        }
        let before = PingTarget::of_record(vendor, Some(&record));
        let before_hosts = before.hosts();
        let mut next = record.clone();
        next.interval_days = interval;
        next.expires = expiry;
        next.owner = owner;
        next.note = note;
        if next.settings.fields != fields {
            let names: Vec<String> = fields.keys().cloned().collect();
            changes.push(format!("fields ({})", names.join(", ")));
        }
        next.settings.fields = fields;
        // Keep edits only when they differ from what the fields already give.
        let mut derived = next.clone();
        derived.endpoint_override = None;
        derived.token_url_override = None;
        let plain = PingTarget::of_record(vendor, Some(&derived));
        next.endpoint_override = endpoint.filter(|e| *e != plain.endpoint);
        let mut probe = next.clone();
        probe.token_url_override = None;
        let implied = PingTarget::of_record(vendor, Some(&probe)).token_url;
        next.token_url_override = token_url.filter(|url| Some(url) != implied.as_ref());
        if record.endpoint_override != next.endpoint_override {
            changes.push("endpoint".into());
        }
        if record.token_url_override != next.token_url_override {
            changes.push("token URL".into());
        }
        if let Some(ca) = &ca {
            if operator.role != Some(Role::Admin) {
                let error = admin_only("change the extra CA a key's ping trusts");
                self.record(
                    operator,
                    AuditAction::Update,
                    Some(&record.vendor_id),
                    Some(&record.secret_name),
                    &error,
                    "extra CA",
                )
                .await;
                return Err(error);
            }
            next.settings.ca_sha256 = ca.as_deref().map(ca_fingerprint);
            if next.settings.ca_sha256 != record.settings.ca_sha256 {
                changes.push(if ca.is_some() {
                    "extra CA added".into()
                } else {
                    "extra CA removed".into()
                });
            }
        }

        // Where would the key go now, and has an Admin confirmed every host off the vendor's domains?
        let after = PingTarget::of_record(vendor, Some(&next));
        let after_hosts = after.hosts();
        let unconfirmed = self.unconfirmed_hosts(&record.secret_name, &after);
        let mut approvals = Vec::new();
        if !unconfirmed.is_empty() {
            let confirmed_all = unconfirmed.iter().all(|host| {
                request
                    .confirm_hosts
                    .iter()
                    .any(|c| c.trim().eq_ignore_ascii_case(host))
            });
            if !confirmed_all || operator.role != Some(Role::Admin) {
                let error = if operator.role != Some(Role::Admin) {
                    admin_only(&format!(
                        "send this key to {}, outside {}'s own domains",
                        unconfirmed.join(", "),
                        vendor.name
                    ))
                } else {
                    AppError {
                        field: Some("confirmHosts".into()),
                        ..AppError::new(
                            ErrorCode::HostNotConfirmed,
                            format!(
                                "{} is not one of {}'s own domains ({}). Confirm that the key may be sent there.",
                                unconfirmed.join(", "),
                                vendor.name,
                                if vendor.domains.is_empty() {
                                    "a self-hosted product".to_string()
                                } else {
                                    vendor.domains.join(", ")
                                }
                            ),
                            "Check the host with the vendor or your own records; your confirmation is recorded in the audit log.",
                        )
                    }
                };
                self.record(
                    operator,
                    AuditAction::Update,
                    Some(&record.vendor_id),
                    Some(&record.secret_name),
                    AuditResult::Refused(error.audit_code()),
                    format!("host {} not confirmed", unconfirmed.join(", ")),
                )
                .await;
                return Err(error);
            }
            approvals = unconfirmed;
        }
        if before_hosts != after_hosts {
            changes.push(format!(
                "host {} → {}",
                before_hosts.join(", "),
                after_hosts.join(", ")
            ));
        }
        for host in &approvals {
            changes.push(format!("confirmed by Admin {}", approval_marker(host)));
        }

        // The CA document first: the tag that binds it is written with the record.
        if let Some(ca) = &ca {
            let document = ConsoleDocument::KeyCa {
                secret_name: record.secret_name.clone(),
            };
            let written = self
                .store()
                .write_document(&document, ca.as_deref().unwrap_or(""))
                .await;
            if let Err(error) = written {
                self.record(
                    operator,
                    AuditAction::Update,
                    Some(&record.vendor_id),
                    Some(&record.secret_name),
                    &error,
                    "extra CA not saved; nothing changed",
                )
                .await;
                return Err(error);
            }
        }
        let result = self.store().update_key(&next).await;
        self.record(
            operator,
            AuditAction::Update,
            Some(&record.vendor_id),
            Some(&record.secret_name),
            result.as_ref().map(|_| ()),
            changes.join(", "),
        )
        .await;
        let stored = result?;
        self.remember_key(&stored);
        record = stored;
        Ok(row_for_key(self, operator, &record, now))
    }
}

/// Hosts named in an endpoint and token URL, for the detail panel.
pub fn hosts_of(urls: &[&str]) -> Vec<String> {
    urls.iter().filter_map(|u| host_of(u)).collect()
}
