//! A tampered log stays tampered when the vault has a bad minute: the log is cut, rewritten or
//! its anchor deleted while the console is closed, and the next connect finds the vault unable
//! to record it (503, a timeout, a dropped connection, Key Vault's size limit). Nothing of that
//! session may be anchored, the alert survives the restart on disk, and the next healthy
//! connect records it: Verify stays red and the anchor the log was compared with is unchanged.
//! Also: the registry stays small with 500 installations, a vanished history is flagged until an
//! Admin acknowledges it, and a host approval written into the file is not an approval.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use akv_core::audit::ProblemKind;
use akv_core::domain::identity::Operator;
use akv_core::error::ErrorCode;
use akv_core::store::SecretStore;
use akv_tests::emulator::{Emulator, Fault, RouteKind, SeedSecret};
use serde_json::Value;
use support::audit::*;
use support::*;

#[derive(Debug, Clone, Copy)]
enum Tamper {
    CutTail,
    Rewrite,
    DeleteAnchor,
}

#[derive(Debug, Clone, Copy)]
enum Outage {
    Unavailable,
    Timeout,
    Dropped,
    TooLarge,
}

const OUTAGES: [Outage; 4] = [
    Outage::Unavailable,
    Outage::Timeout,
    Outage::Dropped,
    Outage::TooLarge,
];

/// The registry write fails the way the real service fails.
fn outage(kind: Outage) -> Fault {
    match kind {
        Outage::Unavailable => Fault::server_error(503),
        // Longer than the console's request timeout (2 s in the tests); the vault still
        // handles the request afterwards, as a real one may.
        Outage::Timeout => Fault::latency(Duration::from_secs(3)),
        Outage::Dropped => Fault::drop_connection(),
        // What Key Vault answers a value over 25 KB.
        Outage::TooLarge => Fault::error(400, "BadParameter", None).with_message(
            "Secret value is beyond the maximum permitted length of 25600 characters.",
        ),
    }
    .on_route(RouteKind::SetSecret)
}

async fn tamper(emulator: &Emulator, pc: &Pc, how: Tamper) {
    let mut log = lines(&pc.log());
    match how {
        Tamper::CutTail => {
            let total = log.len();
            log.truncate(total - 2);
            write(&pc.log(), &log);
        }
        Tamper::Rewrite => {
            let copy = log
                .iter()
                .position(|l| l.contains("\"action\":\"retrieve\""))
                .expect("copy entry");
            log[copy] = log[copy].replace("Dana Reyes", "Someone Else");
            write(&pc.log(), &rehash(&log));
        }
        Tamper::DeleteAnchor => {
            let vault = store(emulator);
            let anchor = anchor_name(pc);
            vault.delete_key(&anchor).await.expect("delete");
            vault.purge_key(&anchor).await.expect("purge");
        }
    }
}

/// One tampering, one outage: the session during the outage anchors nothing and keeps the
/// alert on disk; the healthy restart records it and Verify stays red.
async fn tampered_while_the_vault_cannot_record_it(how: Tamper, kind: Outage) {
    let emulator = emulator().await;
    let pc = Pc::new();
    first_session(&emulator, &pc).await;
    let anchor = anchor_name(&pc);
    tamper(&emulator, &pc, how).await;
    let before = anchor_state(&emulator, &anchor);

    emulator.inject_fault(outage(kind).for_secret(&record_name(&pc)));
    let core = pc.start();
    connect(&emulator, &core, "Dana Reyes").await;
    let alert = core.status().await.audit_alert.expect("the banner shows");
    assert!(!alert.recorded_in_vault, "{how:?}/{kind:?}: {alert:?}");
    let (console, dana) = core.console().await.expect("console");
    let verification = console.verify_audit(&dana).await.expect("verify");
    assert!(!verification.report.intact, "{how:?}/{kind:?}");
    // Not recorded in the vault yet: there is nothing an Admin could acknowledge.
    assert!(!verification.can_acknowledge, "{how:?}/{kind:?}");
    // The technician keeps working: those entries are written, but never anchored.
    console
        .copy_key(&dana, "atera", |_| Ok(()))
        .await
        .expect("copy");
    assert_eq!(
        anchor_state(&emulator, &anchor),
        before,
        "{how:?}/{kind:?}: nothing of the tampered log was anchored"
    );
    assert!(
        pending_alert(&pc).exists(),
        "{how:?}/{kind:?}: alert kept on disk"
    );
    drop(console);
    core.disconnect().await;
    drop(core);
    emulator.clear_faults();
    assert_eq!(anchor_state(&emulator, &anchor), before);

    // A healthy restart: recorded now, red until an Admin acknowledges.
    let (core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    assert!(!verification.report.intact, "{how:?}/{kind:?}");
    assert_eq!(
        verification.report.problem.as_ref().map(|p| p.kind),
        Some(ProblemKind::TamperUnacknowledged),
        "{how:?}/{kind:?}: {:?}",
        verification.report
    );
    let alert = core
        .status()
        .await
        .audit_alert
        .expect("the banner still shows");
    assert!(alert.recorded_in_vault, "{how:?}/{kind:?}");
    assert!(Path::new(&alert.evidence_file).exists());
    assert!(
        !pending_alert(&pc).exists(),
        "{how:?}/{kind:?}: recorded, so cleared"
    );
    let first: Value = serde_json::from_str(&lines(&pc.log())[0]).expect("json");
    assert_eq!(first["action"], "tamper-detected");
    assert_eq!(
        anchor_state(&emulator, &anchor),
        before,
        "{how:?}/{kind:?}: the anchor the log was compared with is unchanged"
    );
    core.disconnect().await;
}

#[tokio::test]
async fn a_cut_tail_stays_caught_through_a_registry_outage() {
    for kind in OUTAGES {
        tampered_while_the_vault_cannot_record_it(Tamper::CutTail, kind).await;
    }
}

#[tokio::test]
async fn a_rewritten_chain_stays_caught_through_a_registry_outage() {
    for kind in OUTAGES {
        tampered_while_the_vault_cannot_record_it(Tamper::Rewrite, kind).await;
    }
}

#[tokio::test]
async fn a_deleted_anchor_stays_caught_through_a_registry_outage() {
    for kind in OUTAGES {
        tampered_while_the_vault_cannot_record_it(Tamper::DeleteAnchor, kind).await;
    }
}

#[tokio::test]
async fn five_hundred_installations_keep_every_registry_secret_far_below_25_kb() {
    let emulator = emulator().await;
    let pc = Pc::new();
    first_session(&emulator, &pc).await;
    // 499 other installations, each tampered with often, as the vault would hold them.
    let long = "p".repeat(300);
    for n in 0..499 {
        let id = format!("{n:032x}");
        let segments: Vec<Value> = (1..=8)
            .map(|s| {
                serde_json::json!({
                    "number": s, "linked": {"seq": s * 10, "hash": "a".repeat(64)},
                    "detected_at": "2026-01-02T03:04:05Z", "detected_by": "Dana Reyes",
                    "problem": long, "evidence_file": long,
                    "acknowledged": {"by": "Dana Reyes", "at": "2026-01-03T03:04:05Z"}
                })
            })
            .collect();
        let record = serde_json::json!({
            "first_seen": "2026-01-01T00:00:00Z", "first_operator": "Tech",
            "host": format!("PC-{n}"), "segments": segments, "earlier_segments": 40
        });
        let mut seed = SeedSecret::new(record.to_string());
        seed.tags = BTreeMap::from([
            ("host".to_string(), format!("PC-{n}")),
            (
                "first-seen".to_string(),
                "2026-01-01T00:00:00+00:00".to_string(),
            ),
            ("segment".to_string(), "8".to_string()),
            ("segments".to_string(), "48".to_string()),
            ("open".to_string(), "0".to_string()),
        ]);
        emulator
            .seed(&format!("akv-console-audit-installation-{id}"), seed)
            .expect("seed");
    }
    let (_core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    assert!(verification.report.intact, "{:?}", verification.report);
    assert_eq!(verification.installations.len(), 500);
    let registry: Vec<String> = emulator
        .secret_names()
        .into_iter()
        .filter(|n| n.starts_with("akv-console-audit-"))
        .collect();
    let largest = registry
        .iter()
        .filter_map(|n| emulator.secret_value(n))
        .map(|v| v.len())
        .max()
        .expect("registry secrets");
    assert!(
        largest < 8 * 1024,
        "largest registry secret: {largest} bytes"
    );
    assert!(largest < 25 * 1024);
    // This PC's own record is small, and there is no shared document to outgrow the limit.
    let own = emulator
        .secret_value(&record_name(&pc))
        .expect("own record");
    assert!(own.len() < 2 * 1024, "{} bytes", own.len());
    assert!(
        emulator
            .secret_value("akv-console-audit-registry")
            .is_none()
    );
}

#[tokio::test]
async fn a_vanished_history_is_flagged_until_an_admin_acknowledges_the_new_installation() {
    let emulator = emulator().await;
    let pc = Pc::new();
    first_session(&emulator, &pc).await;
    let original = pc.installation();
    // While the console is closed: the log deleted, and the installation id removed.
    std::fs::remove_file(pc.log()).expect("delete log");
    std::fs::remove_file(pc.installation_file()).expect("delete the installation file");

    let (core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    assert_ne!(
        pc.installation(),
        original,
        "no keychain here: a new installation"
    );
    assert!(!verification.report.intact, "{:?}", verification.report);
    let problem = verification.report.problem.clone().expect("problem");
    assert_eq!(problem.kind, ProblemKind::NewInstallationOnKnownHost);
    assert!(problem.message.contains(&original), "{}", problem.message);
    assert!(verification.can_acknowledge);

    // Someone not on the roster cannot acknowledge it; the refusal is in the log.
    let (console, dana) = core.console().await.expect("console");
    let stranger = Operator::unverified("Mallory", None);
    let refused = console
        .acknowledge_installation(&stranger)
        .await
        .expect_err("not an Admin");
    assert_eq!(refused.code, ErrorCode::AdminOnly);
    let after = console
        .acknowledge_installation(&dana)
        .await
        .expect("acknowledge");
    assert!(after.report.intact, "{:?}", after.report);
    let log = lines(&pc.log());
    assert!(
        log.iter()
            .any(|l| l.contains("\"action\":\"installation-acknowledged\"")
                && l.contains("\"outcome\":\"ok\"")
                && l.contains(&original))
    );
    assert!(
        log.iter()
            .any(|l| l.contains("\"action\":\"installation-acknowledged\"")
                && l.contains("\"outcome\":\"refused\""))
    );
    drop(console);
    core.disconnect().await;
    drop(core);
    // Acknowledged in the vault: the next start is green.
    let (_core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    assert!(verification.report.intact, "{:?}", verification.report);
}

#[tokio::test]
async fn a_host_approval_written_into_the_file_is_not_an_approval() {
    let emulator = emulator().await;
    let pc = Pc::new();
    first_session(&emulator, &pc).await;
    // While the console is closed: an Admin's approval of a foreign host for the Atera key is
    // appended after the anchored head and the chain re-hashed, as the format allows.
    let mut log = lines(&pc.log());
    let mut forged: Value = serde_json::from_str(log.last().expect("entries")).expect("json");
    forged["seq"] = Value::from(forged["seq"].as_u64().expect("seq") + 1);
    forged["action"] = Value::from("update");
    forged["key_name"] = Value::from("atera");
    forged["role"] = Value::from("Admin");
    forged["outcome"] = Value::from("ok");
    forged["error_code"] = Value::Null;
    forged["note"] =
        Value::from("endpoint changed; confirmed by Admin [host-approved:exfil.example]");
    log.push(forged.to_string());
    write(&pc.log(), &rehash(&log));

    let (core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    // The chain itself is sound (an unanchored tail cannot be told from an offline entry)...
    assert!(verification.report.intact, "{:?}", verification.report);
    let (console, _) = core.console().await.expect("console");
    assert!(
        console
            .audit_entries()
            .iter()
            .any(|e| e.note.contains("[host-approved:exfil.example]")),
        "the forged line was loaded"
    );
    // ...but no Admin approved that host for this key.
    assert!(!console.host_confirmed("atera", "exfil.example"));
    // This session's anchor covers the forged line now; the vault's record remembers that it
    // never vouched for it, so the next start does not believe it either.
    drop(console);
    core.disconnect().await;
    drop(core);
    let (core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    assert!(verification.report.intact, "{:?}", verification.report);
    let (console, _) = core.console().await.expect("console");
    assert!(!console.host_confirmed("atera", "exfil.example"));
}
