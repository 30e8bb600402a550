//! Rotate at the vendor: create → test → store → revoke, with the old credential valid and stored
//! until the new one is stored. Every outcome is one audit entry that names the step it reached.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::vault::{VaultRow, row_for_key};
use super::{AuditResult, Console, Operator};
use crate::audit::AuditAction;
use std::time::Instant;

use crate::connectors::propagation::spoken;
use crate::connectors::{
    Connector, ConnectorError, ConnectorStep, Minted, RotationProgress, connector_for,
};
use crate::domain::key_value::KeyParts;
use crate::domain::keys::{KeyRecord, expiry_from_date};
use crate::domain::policy::KeyAction;
use crate::domain::validation::validate_expiry;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ping::{PingOutcome, PingReport, PingTarget};

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VendorRotateRequest {
    pub secret_name: String,
    /// The new expiry; empty takes the vendor's (if it says) or none.
    #[serde(default)]
    #[ts(optional)]
    pub expiry: Option<String>,
    #[serde(default)]
    pub used_by_checked: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VendorRotation {
    /// The new key is stored in the vault.
    pub saved: bool,
    /// The step that failed, if any.
    pub failed_step: Option<ConnectorStep>,
    /// What happened, for the dialog (and the result list of Rotate All Due).
    pub message: String,
    pub hint: String,
    pub row: Option<VaultRow>,
    pub ping: Option<PingReport>,
}

/// The console's own connection secret was rotated: the old one is removed only once the session
/// has reconnected with the new one (the session does that, then calls
/// [`Console::finish_held_revoke`]). Never leaves Rust.
pub struct HeldRevoke {
    pub secret_name: String,
    pub handle: String,
    /// The new credential (it authenticates the removal, and the session reconnects with it).
    pub new_parts: KeyParts,
}

/// The app registration a console's connection signs in as (app-secret mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnApp {
    pub tenant_id: String,
    pub client_id: String,
}

fn connector_error(step: ConnectorStep, message: &str, hint: &str) -> AppError {
    AppError::new(
        ErrorCode::ConnectorFailed,
        format!("Could not {}: {message}", step.label()),
        hint,
    )
}

impl Console {
    /// Rotate one key at its vendor. `Ok` also for a failed step (the result names it); `Err`
    /// only when nothing was attempted (no connector, refused, key unreadable).
    pub async fn rotate_at_vendor(
        &self,
        operator: &Operator,
        request: VendorRotateRequest,
        bulk: bool,
        now: DateTime<Utc>,
    ) -> AppResult<VendorRotation> {
        let record = if bulk {
            self.key(&request.secret_name).await?
        } else {
            self.refresh_policy().await?;
            self.fresh_key(&request.secret_name).await?
        };
        let vendor = record
            .vendor()
            .ok_or_else(|| AppError::internal("key of an unknown vendor"))?;
        let connector = self.connector_for(vendor).ok_or_else(|| {
            if connector_for(vendor).is_some() {
                AppError::new(
                    ErrorCode::DemoOnly,
                    "The demo has no vendor to rotate keys at.",
                    "Paste or generate the new key with Rotate; rotation at the vendor works once a real vault is connected.",
                )
            } else {
                AppError::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "{} keys cannot be rotated at the vendor from the console.",
                        vendor.name
                    ),
                    "Generate the new key in the vendor's portal and paste it with Rotate.",
                )
            }
        })?;
        let expiry = validate_expiry(request.expiry.as_deref(), now)?;
        self.authorize(operator, &record, KeyAction::Rotate, AuditAction::Rotate)?;

        let target = PingTarget::of_record(vendor, Some(&record));
        let unconfirmed = self.unconfirmed_hosts(&record.secret_name, &target);
        if !unconfirmed.is_empty() {
            let error = AppError::new(
                ErrorCode::HostNotConfirmed,
                format!(
                    "{} is outside {}'s domains and not confirmed by an Admin.",
                    unconfirmed.join(", "),
                    vendor.name
                ),
                "An Admin confirms the host in Edit settings first.",
            );
            self.record(
                operator,
                AuditAction::Rotate,
                Some(&record.vendor_id),
                Some(&record.secret_name),
                &error,
                "at vendor: not attempted",
            )
            .await;
            return Err(error);
        }
        for url in target.hosts() {
            if let Ok(parsed) = url::Url::parse(&format!("https://{url}/"))
                && let Err(host) = self.ping_client().check_url(&parsed)
            {
                return Err(AppError::new(
                    ErrorCode::HostNotConfirmed,
                    format!("The console does not send keys to {host}."),
                    "Vendor APIs live on public addresses; check the key's endpoint.",
                ));
            }
        }
        let http = self.ping_client().http_for(None)?;
        let current_value = self.store().read_value(&record.secret_name, None).await?;
        let current = KeyParts::decode(vendor, &current_value).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidInput,
                "The stored key does not have the parts this vendor needs.",
                "Rotate it by hand once with every part filled.",
            )
        })?;
        let prefix = if bulk {
            "Rotate All Due; at vendor"
        } else {
            "at vendor"
        };
        let checklist = self
            .used_by_note(&record.secret_name, &request.used_by_checked)
            .await;
        let with_checklist = |note: String| match &checklist {
            Some(list) => format!("{note}; {list}"),
            None => note,
        };

        let progress = Progress {
            client_id: self.client().id.clone(),
            secret_name: record.secret_name.clone(),
        };

        // A token that replaced the old one at the vendor but was not stored yet: store it now.
        let pending = self.take_pending(&record.secret_name);
        let resumed = pending.is_some();
        let minted = match pending {
            Some(parts) => Minted {
                parts,
                old_handle: None,
                new_handle: None,
                expires: None,
            },
            None => {
                progress.step(
                    ConnectorStep::Create,
                    format!("creating the new key at {}", vendor.name),
                );
                match connector.create(&http, &target, &current).await {
                    Ok(minted) => minted,
                    Err(error) => {
                        let (after, hint_tail) = match (
                            error.maybe_applied,
                            connector.replaces_on_create(),
                        ) {
                            (false, _) => (
                                "the old key is unchanged",
                                "The old key is still stored in the vault.",
                            ),
                            (true, true) => (
                                "the request reached the vendor, which may already have replaced the old key",
                                "The vendor may have replaced the old key before the failure: test the stored key, and if it is rejected make a new one in the vendor's portal and paste it with Rotate.",
                            ),
                            (true, false) => (
                                "the old key is unchanged; the vendor may have made a new key before failing",
                                "The old key is still stored in the vault. Remove any key you do not recognise in the vendor's portal.",
                            ),
                        };
                        return Ok(self
                            .step_failed(
                                operator,
                                &record,
                                ConnectorStep::Create,
                                &error,
                                with_checklist(format!(
                                    "{prefix}: failed at create ({}); {after}",
                                    error.message
                                )),
                                hint_tail,
                            )
                            .await);
                    }
                }
            }
        };

        if connector.replaces_on_create() || resumed {
            // From the vendor's answer on the new key is the only one that works: store it
            // before anything else can go wrong, then test it.
            progress.step(
                ConnectorStep::Store,
                "storing the new key in the vault (the vendor replaced the old one)".into(),
            );
            let next = next_record(&record, &minted, expiry, now);
            let stored = match self.store().write_key(&next, &minted.parts.encode()).await {
                Ok(stored) => stored,
                Err(error) => {
                    self.keep_pending(&record.secret_name, minted.parts);
                    let note = with_checklist(format!(
                        "{prefix}: the new key could not be stored ({}); the vendor already replaced the old key: the new one is held in this console's memory, press Rotate at vendor again to store it",
                        error.message
                    ));
                    let failure = ConnectorError::new(error.message.clone(), error.hint.clone());
                    return Ok(self
                        .step_failed(
                            operator,
                            &record,
                            ConnectorStep::Store,
                            &failure,
                            note,
                            "The vendor already replaced the old key: press Rotate at vendor again to store the new one this console holds (closing the console loses it).",
                        )
                        .await);
                }
            };
            self.remember_key(&stored);
            let row = row_for_key(self, operator, &stored, now);
            let report = self
                .test_until_propagated(
                    &record,
                    vendor.name.as_str(),
                    connector,
                    &minted.parts,
                    &progress,
                )
                .await;
            if !report.authenticated() {
                let error = connector_error(ConnectorStep::Test, &report.message, &report.hint);
                self.record(
                    operator,
                    AuditAction::Rotate,
                    Some(&record.vendor_id),
                    Some(&record.secret_name),
                    AuditResult::Failed(error.audit_code()),
                    with_checklist(format!(
                        "{prefix}: created, stored; the new key failed its test ({}); the vendor replaced the old key when the new one was made",
                        report.message
                    )),
                )
                .await;
                return Ok(VendorRotation {
                    saved: true,
                    failed_step: Some(ConnectorStep::Test),
                    message: format!(
                        "The new key {} is stored, but it failed its test: {}",
                        stored.masked_preview, report.message
                    ),
                    hint: format!(
                        "{} The vendor replaced the old key when it made this one, so the stored key is the only one that can work: check it at the vendor.",
                        report.hint
                    ),
                    row: Some(row),
                    ping: Some(report),
                });
            }
            let what = "the vendor replaced the old key when the new one was made";
            self.record(
                operator,
                AuditAction::Rotate,
                Some(&record.vendor_id),
                Some(&record.secret_name),
                AuditResult::Ok,
                with_checklist(format!("{prefix}: created, stored, tested; {what}")),
            )
            .await;
            return Ok(VendorRotation {
                saved: true,
                failed_step: None,
                message: format!(
                    "{} rotated at the vendor: new key {} stored; {what}.",
                    vendor.name, stored.masked_preview
                ),
                hint: "Update the systems that use the key.".into(),
                row: Some(row),
                ping: Some(report),
            });
        }

        // Meraki revokes by the last four characters: a new key ending like the old one cannot
        // be told apart from it, so neither is revoked by that handle.
        let same_handle = minted.new_handle.is_some() && minted.new_handle == minted.old_handle;

        // Test: the console's own ping with the new credential, again until it propagated.
        let report = self
            .test_until_propagated(
                &record,
                vendor.name.as_str(),
                connector,
                &minted.parts,
                &progress,
            )
            .await;
        if !report.authenticated() {
            let mut note = format!("{prefix}: the new key failed its test ({})", report.message);
            match &minted.new_handle {
                Some(_) if same_handle => note.push_str(
                    "; the old key is unchanged; the unused new key ends in the same four characters as the old one, so it was not revoked: remove it in the vendor's portal",
                ),
                Some(handle) => {
                    // Clean up the unused new credential with the old one, which still works.
                    progress.step(
                        ConnectorStep::Revoke,
                        "revoking the unused new key again".into(),
                    );
                    match connector.revoke(&http, &target, &current, handle).await {
                        Ok(()) => note.push_str(
                            "; the new key was revoked again, the old key is unchanged",
                        ),
                        Err(_) => note.push_str(
                            "; the unused new key could not be revoked: remove it in the vendor's portal",
                        ),
                    }
                }
                None => {}
            }
            let error = ConnectorError::new(report.message.clone(), report.hint.clone());
            let mut result = self
                .step_failed(
                    operator,
                    &record,
                    ConnectorStep::Test,
                    &error,
                    with_checklist(note),
                    "The old key is still stored in the vault.",
                )
                .await;
            result.ping = Some(report);
            return Ok(result);
        }

        // Store: a new Key Vault version; the old one stays in the history.
        progress.step(
            ConnectorStep::Store,
            "storing the new key in the vault".into(),
        );
        let next = next_record(&record, &minted, expiry, now);
        let stored = match self.store().write_key(&next, &minted.parts.encode()).await {
            Ok(stored) => stored,
            Err(error) => {
                let mut note = format!(
                    "{prefix}: the new key could not be stored ({})",
                    error.message
                );
                match &minted.new_handle {
                    Some(_) if same_handle => note.push_str(
                        "; the unused new key ends in the same four characters as the old one, so it was not revoked: remove it in the vendor's portal",
                    ),
                    Some(handle) => {
                        match connector.revoke(&http, &target, &current, handle).await {
                            Ok(()) => note.push_str(
                                "; the new key was revoked again, the old key is unchanged",
                            ),
                            Err(_) => note.push_str(
                                "; the unused new key could not be revoked: remove it in the vendor's portal",
                            ),
                        }
                    }
                    None => {}
                }
                let failure = ConnectorError::new(error.message.clone(), error.hint.clone());
                let mut result = self
                    .step_failed(
                        operator,
                        &record,
                        ConnectorStep::Store,
                        &failure,
                        with_checklist(note),
                        "The old key is still stored in the vault.",
                    )
                    .await;
                result.ping = Some(report);
                return Ok(result);
            }
        };
        self.remember_key(&stored);
        let row = row_for_key(self, operator, &stored, now);

        // The console's own connection secret: reconnect with the new one before the old one
        // goes, or this console would lose its vault the moment the old token expires.
        if let (Some(own), Some(handle)) = (self.own_app(), &minted.old_handle)
            && connector.id() == "entra-app-secret"
            && minted.parts.get("client_id") == Some(own.client_id.as_str())
            && target
                .fields
                .get("tenant")
                .is_some_and(|t| t.eq_ignore_ascii_case(&own.tenant_id))
        {
            let note = with_checklist(format!(
                "{prefix}: created, tested, stored; this console's own secret: the old one is removed after reconnecting with the new one"
            ));
            self.record(
                operator,
                AuditAction::Rotate,
                Some(&record.vendor_id),
                Some(&record.secret_name),
                AuditResult::Ok,
                note,
            )
            .await;
            self.hold_revoke(HeldRevoke {
                secret_name: record.secret_name.clone(),
                handle: handle.clone(),
                new_parts: minted.parts,
            });
            return Ok(VendorRotation {
                saved: true,
                failed_step: None,
                message: format!(
                    "{} rotated at the vendor: new secret {} stored; reconnecting with it before the old one is removed.",
                    vendor.name, stored.masked_preview
                ),
                hint: "The console reconnects by itself.".into(),
                row: Some(row),
                ping: Some(report),
            });
        }

        // Revoke the old credential, authenticating with the new one.
        progress.step(
            ConnectorStep::Revoke,
            format!("revoking the old key at {}", vendor.name),
        );
        let revoke = match &minted.old_handle {
            None => Err(ConnectorError::new(
                "the old key could not be identified at the vendor",
                "Revoke it by hand in the vendor's portal.",
            )),
            Some(_) if same_handle => Err(ConnectorError::new(
                "the new key ends in the same four characters as the old one, and the vendor revokes keys by those characters: the console did not revoke either",
                "Revoke the old key by hand in the vendor's portal (compare the creation dates), or rotate again for a key with another ending.",
            )),
            Some(handle) => connector
                .revoke(&http, &target, &minted.parts, handle)
                .await
                .map(|()| "old key revoked at the vendor"),
        };
        match revoke {
            Ok(what) => {
                let note = with_checklist(format!("{prefix}: created, tested, stored; {what}"));
                self.record(
                    operator,
                    AuditAction::Rotate,
                    Some(&record.vendor_id),
                    Some(&record.secret_name),
                    AuditResult::Ok,
                    note,
                )
                .await;
                Ok(VendorRotation {
                    saved: true,
                    failed_step: None,
                    message: format!(
                        "{} rotated at the vendor: new key {} stored; {what}.",
                        vendor.name, stored.masked_preview
                    ),
                    hint: "Update the systems that use the key.".into(),
                    row: Some(row),
                    ping: Some(report),
                })
            }
            Err(error) => {
                let note = with_checklist(format!(
                    "{prefix}: created, tested, stored; failed at revoke ({}): the old key still works at the vendor",
                    error.message
                ));
                let app_error = connector_error(ConnectorStep::Revoke, &error.message, &error.hint);
                self.record(
                    operator,
                    AuditAction::Rotate,
                    Some(&record.vendor_id),
                    Some(&record.secret_name),
                    AuditResult::Failed(app_error.audit_code()),
                    note,
                )
                .await;
                Ok(VendorRotation {
                    saved: true,
                    failed_step: Some(ConnectorStep::Revoke),
                    message: format!(
                        "The new key is stored and works, but the old one could not be revoked: {}",
                        error.message
                    ),
                    hint: format!(
                        "{} The old key is kept as the previous version in the vault.",
                        error.hint
                    ),
                    row: Some(row),
                    ping: Some(report),
                })
            }
        }
    }

    /// After the session reconnected with the new secret of a [`HeldRevoke`]: remove the old
    /// secret at Graph, authenticating with the new one. Audited either way.
    pub async fn finish_held_revoke(
        &self,
        operator: &Operator,
        held: HeldRevoke,
    ) -> AppResult<VendorRotation> {
        let record = self.key(&held.secret_name).await?;
        let vendor = record
            .vendor()
            .ok_or_else(|| AppError::internal("key of an unknown vendor"))?;
        let connector = connector_for(vendor)
            .ok_or_else(|| AppError::internal("the vendor has no connector"))?;
        let target = PingTarget::of_record(vendor, Some(&record));
        let http = self.ping_client().http_for(None)?;
        let outcome = connector
            .revoke(&http, &target, &held.new_parts, &held.handle)
            .await;
        let row = row_for_key(self, operator, &record, Utc::now());
        match outcome {
            Ok(()) => {
                self.record(
                    operator,
                    AuditAction::Rotate,
                    Some(&record.vendor_id),
                    Some(&record.secret_name),
                    AuditResult::Ok,
                    "at vendor: reconnected with the new secret; old secret removed",
                )
                .await;
                Ok(VendorRotation {
                    saved: true,
                    failed_step: None,
                    message: format!(
                        "{} rotated at the vendor: the console reconnected with the new secret {} and removed the old one.",
                        vendor.name, record.masked_preview
                    ),
                    hint: "Other consoles that remember this client's secret need the new one (edit the client).".into(),
                    row: Some(row),
                    ping: None,
                })
            }
            Err(error) => {
                let app_error = connector_error(ConnectorStep::Revoke, &error.message, &error.hint);
                self.record(
                    operator,
                    AuditAction::Rotate,
                    Some(&record.vendor_id),
                    Some(&record.secret_name),
                    AuditResult::Failed(app_error.audit_code()),
                    format!(
                        "at vendor: reconnected with the new secret; failed at revoke ({}): the old secret still works",
                        error.message
                    ),
                )
                .await;
                Ok(VendorRotation {
                    saved: true,
                    failed_step: Some(ConnectorStep::Revoke),
                    message: format!(
                        "The console now uses the new secret, but the old one could not be removed: {}",
                        error.message
                    ),
                    hint: format!(
                        "{} Remove it in the Entra admin center (Certificates & secrets).",
                        error.hint
                    ),
                    row: Some(row),
                    ping: None,
                })
            }
        }
    }

    async fn step_failed(
        &self,
        operator: &Operator,
        record: &KeyRecord,
        step: ConnectorStep,
        error: &ConnectorError,
        note: String,
        hint_tail: &str,
    ) -> VendorRotation {
        let app_error = connector_error(step, &error.message, &error.hint);
        self.record(
            operator,
            AuditAction::Rotate,
            Some(&record.vendor_id),
            Some(&record.secret_name),
            AuditResult::Failed(app_error.audit_code()),
            note,
        )
        .await;
        VendorRotation {
            saved: false,
            failed_step: Some(step),
            message: app_error.message,
            hint: format!("{} {hint_tail}", error.hint),
            row: None,
            ping: None,
        }
    }

    /// Ping the new credential until it works, it fails in a way waiting cannot fix, or the
    /// connector's propagation limit has passed; the window hears of every wait.
    async fn test_until_propagated(
        &self,
        record: &KeyRecord,
        vendor_name: &str,
        connector: &dyn Connector,
        parts: &KeyParts,
        progress: &Progress,
    ) -> PingReport {
        let schedule = self.propagation_schedule(connector);
        let started = Instant::now();
        let mut attempt: u32 = 1;
        progress.step(
            ConnectorStep::Test,
            format!("testing the new key at {vendor_name}"),
        );
        loop {
            let mut report = self.ping_parts(record, parts).await;
            if report.authenticated() || !may_still_propagate(&report) {
                return report;
            }
            let elapsed = started.elapsed();
            let wait = schedule.wait_after(attempt);
            if elapsed + wait > schedule.limit {
                report.message = format!(
                    "{} It still failed after {attempt} attempt{} over {} (the vendor may take up to {} to accept a new key).",
                    report.message,
                    if attempt == 1 { "" } else { "s" },
                    spoken(elapsed),
                    spoken(schedule.limit),
                );
                return report;
            }
            attempt += 1;
            let waited = elapsed + wait;
            progress.send(RotationProgress {
                client_id: progress.client_id.clone(),
                secret_name: progress.secret_name.clone(),
                step: ConnectorStep::Test,
                attempt,
                elapsed_ms: millis(waited),
                limit_ms: millis(schedule.limit),
                message: format!(
                    "waiting for the new key to propagate at {vendor_name} (attempt {attempt}, {} of up to {})",
                    spoken(waited),
                    spoken(schedule.limit)
                ),
            });
            tokio::time::sleep(wait).await;
        }
    }
}

/// Failures a new key shows while the vendor is still spreading it (rejected, not yet allowed,
/// throttled, briefly unreachable); a redirect, a refused host or a wrong endpoint stays wrong.
fn may_still_propagate(report: &PingReport) -> bool {
    match report.outcome {
        PingOutcome::Rejected
        | PingOutcome::ScopeMissing
        | PingOutcome::Timeout
        | PingOutcome::NotReachable => true,
        PingOutcome::UnexpectedStatus => report.status.is_some_and(|s| s == 429 || s >= 500),
        _ => false,
    }
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The key's record as stored with a new credential: rotated now, the expiry asked for, else
/// the vendor's, else none when a date was asked for and none given (kept otherwise).
fn next_record(
    record: &KeyRecord,
    minted: &Minted,
    expiry: Option<chrono::NaiveDate>,
    now: DateTime<Utc>,
) -> KeyRecord {
    let mut next = record.clone();
    next.last_rotated = now;
    next.expires = expiry
        .map(expiry_from_date)
        .or(minted.expires)
        .or(if expiry.is_none() {
            None
        } else {
            record.expires
        });
    next.enabled = true;
    next.masked_preview = minted.parts.masked_preview();
    next.record_app_id(&minted.parts);
    next
}

/// Where one rotation's progress goes (the caller's sink, see [`crate::connectors::propagation`]).
struct Progress {
    client_id: String,
    secret_name: String,
}

impl Progress {
    fn step(&self, step: ConnectorStep, message: String) {
        self.send(RotationProgress {
            client_id: self.client_id.clone(),
            secret_name: self.secret_name.clone(),
            step,
            attempt: 0,
            elapsed_ms: 0,
            limit_ms: 0,
            message,
        });
    }

    fn send(&self, progress: RotationProgress) {
        crate::connectors::propagation::report(progress);
    }
}
