//! An audit log that cannot be quietly rewritten: the log is edited while the console is closed
//! (tail cut off, the whole chain rewritten and re-hashed, the anchor deleted from the vault, the
//! installation id changed in installation.json), the console restarts and connects — and Verify names
//! the problem, the vault's anchor is exactly as it was, and only an Admin's acknowledgement turns
//! Verify green again. Also: nothing in config.json raises a role.

mod support;

use std::path::Path;

use akv_core::audit::ProblemKind;
use akv_core::domain::policy::Role as ConsoleRole;
use akv_core::domain::secret::SecretValue;
use akv_core::error::ErrorCode;
use akv_core::session::ConnectRequest;
use akv_core::store::SecretStore;
use serde_json::Value;
use support::audit::*;
use support::*;

#[tokio::test]
async fn a_cut_tail_is_caught_at_connect_the_anchor_stays_and_an_admin_must_acknowledge() {
    let emulator = emulator().await;
    let pc = Pc::new();
    first_session(&emulator, &pc).await;
    let anchor = anchor_name(&pc);
    let before = anchor_state(&emulator, &anchor);
    assert!(before.0.is_some(), "the first session anchored its head");

    // While the console is closed: cut the last two entries.
    let mut log = lines(&pc.log());
    let total = log.len();
    log.truncate(total - 2);
    write(&pc.log(), &log);

    let (core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    let status = core.status().await;
    let alert = status.audit_alert.expect("the banner shows");
    assert!(alert.problem.contains("cut off"), "{}", alert.problem);
    assert!(alert.recorded_in_vault);
    assert_eq!(
        anchor_state(&emulator, &anchor),
        before,
        "the anchor the log was compared with is unchanged"
    );
    assert!(!verification.report.intact);
    assert_eq!(
        verification.report.problem.as_ref().map(|p| p.kind),
        Some(ProblemKind::TamperUnacknowledged)
    );
    assert!(verification.segments[0].problem.contains("cut off"));
    // The old log is kept as evidence, and the new chain links to the anchored head.
    assert!(Path::new(&alert.evidence_file).exists());
    let new_log = lines(&pc.log());
    let first: Value = serde_json::from_str(&new_log[0]).expect("json");
    assert_eq!(first["action"], "tamper-detected");
    let anchored: Value = serde_json::from_str(&before.0.clone().expect("anchor")).expect("json");
    assert_eq!(first["prev_hash"], anchored["hash"]);
    assert_eq!(
        first["seq"].as_u64(),
        anchored["seq"].as_u64().map(|s| s + 1)
    );

    // Someone not on the roster cannot acknowledge it.
    let (console, _) = core.console().await.expect("console");
    let stranger = akv_core::domain::identity::Operator::unverified("Mallory", None);
    let refused = console
        .acknowledge_tamper(&stranger)
        .await
        .expect_err("not an Admin");
    assert_eq!(refused.code, ErrorCode::AdminOnly);
    // The Admin acknowledges: recorded, and Verify is green for the new chain.
    let (_, dana) = core.console().await.expect("console");
    let after = console
        .acknowledge_tamper(&dana)
        .await
        .expect("acknowledge");
    assert!(after.report.intact, "{:?}", after.report);
    assert_eq!(
        after.segments[0].acknowledged_by.as_deref(),
        Some("Dana Reyes")
    );
    assert!(core.status().await.audit_alert.is_none());
    assert!(
        lines(&pc.log())
            .iter()
            .any(|l| l.contains("\"action\":\"tamper-acknowledged\""))
    );
    // The original anchor still says what the vault saw before the tampering.
    assert_eq!(anchor_state(&emulator, &anchor), before);

    // Next start: intact, no banner, and no new segment.
    drop(console);
    core.disconnect().await;
    drop(core);
    let (core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    assert!(verification.report.intact, "{:?}", verification.report);
    assert!(core.status().await.audit_alert.is_none());
    assert_eq!(verification.segments.len(), 1);
}

#[tokio::test]
async fn a_rewritten_and_rehashed_chain_does_not_pass_as_intact() {
    let emulator = emulator().await;
    let pc = Pc::new();
    first_session(&emulator, &pc).await;
    let anchor = anchor_name(&pc);
    let before = anchor_state(&emulator, &anchor);

    // Change who copied the key and re-hash the whole chain: every link checks out locally.
    let mut log = lines(&pc.log());
    let copy = log
        .iter()
        .position(|l| l.contains("\"action\":\"retrieve\""))
        .expect("copy entry");
    log[copy] = log[copy].replace("Dana Reyes", "Someone Else");
    write(&pc.log(), &rehash(&log));

    let (core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    let alert = core.status().await.audit_alert.expect("banner");
    assert!(
        alert.problem.contains("rewritten") || alert.problem.contains("does not match"),
        "{}",
        alert.problem
    );
    assert!(!verification.report.intact);
    assert_eq!(anchor_state(&emulator, &anchor), before);
}

#[tokio::test]
async fn a_deleted_anchor_is_anchor_missing_never_intact() {
    let emulator = emulator().await;
    let pc = Pc::new();
    first_session(&emulator, &pc).await;
    let anchor = anchor_name(&pc);
    // Someone deletes and purges the anchor from the vault while the console is closed.
    let vault = store(&emulator);
    vault.delete_key(&anchor).await.expect("delete");
    vault.purge_key(&anchor).await.expect("purge");

    let (core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    let alert = core.status().await.audit_alert.expect("banner");
    assert!(
        alert.problem.contains("no anchor"),
        "anchor missing is named: {}",
        alert.problem
    );
    assert!(!verification.report.intact);
    assert_eq!(
        verification.report.problem.map(|p| p.kind),
        Some(ProblemKind::TamperUnacknowledged)
    );
}

#[tokio::test]
async fn an_installation_id_changed_in_its_file_shows_as_new_and_the_old_log_is_not_its_own() {
    let emulator = emulator().await;
    let pc = Pc::new();
    first_session(&emulator, &pc).await;
    let original = pc.installation();
    let text = std::fs::read_to_string(pc.installation_file()).expect("installation file");
    std::fs::write(
        pc.installation_file(),
        text.replace(&original, "renamed0000000000000000000000000"),
    )
    .expect("edit the installation file");

    let (core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    let alert = core.status().await.audit_alert.expect("banner");
    assert!(alert.problem.contains(&original), "{}", alert.problem);
    // Verify on this console lists both installations, the renamed one as new.
    let ids: Vec<&str> = verification
        .installations
        .iter()
        .map(|h| h.id.as_str())
        .collect();
    assert!(ids.contains(&original.as_str()), "{ids:?}");
    let renamed = verification
        .installations
        .iter()
        .find(|h| h.this_pc)
        .expect("this PC");
    assert_eq!(renamed.id, "renamed0000000000000000000000000");
    assert!(renamed.new);
    let old = verification
        .installations
        .iter()
        .find(|h| h.id == original)
        .expect("the original installation");
    assert!(old.head_seq.is_some_and(|seq| seq >= 4), "{old:?}");
}

#[tokio::test]
async fn a_console_upgraded_from_consoleid_in_config_json_keeps_its_installation_and_log() {
    let emulator = emulator().await;
    let pc = Pc::new();
    first_session(&emulator, &pc).await;
    let original = pc.installation();
    // As an older console left it: the id in config.json (which roams on Windows), no local
    // installation file.
    std::fs::remove_file(pc.installation_file()).expect("delete the installation file");
    let mut config: Value =
        serde_json::from_str(&std::fs::read_to_string(pc.config()).expect("config")).expect("json");
    config["consoleId"] = Value::String(original.clone());
    std::fs::write(pc.config(), config.to_string()).expect("edit config");

    let (core, verification) = restart_and_verify(&emulator, &pc, "Dana Reyes").await;
    assert!(verification.report.intact, "{:?}", verification.report);
    assert!(core.status().await.audit_alert.is_none());
    assert_eq!(pc.installation(), original, "carried to the local file");
    // The next save of config.json no longer carries the id.
    core.set_profile("Dana Reyes", None).await.expect("profile");
    let text = std::fs::read_to_string(pc.config()).expect("config");
    assert!(!text.contains("consoleId"), "{text}");
}

#[tokio::test]
async fn nothing_in_config_json_raises_a_role() {
    let emulator = emulator().await;
    let dana_pc = Pc::new();
    first_session(&emulator, &dana_pc).await;

    // Another PC whose config.json claims an Admin role for a name not on the roster.
    let mallory_pc = Pc::new();
    std::fs::create_dir_all(mallory_pc.config().parent().expect("dir")).expect("dir");
    std::fs::write(
        mallory_pc.config(),
        r#"{"operator":{"name":"Mallory","role":"Admin"}}"#,
    )
    .expect("config");
    let core = mallory_pc.start();
    core.connect(ConnectRequest {
        settings: settings(&emulator),
        client_secret: Some(SecretValue::new(SECRET)),
        method: None,
        remember: false,
    })
    .await
    .expect("connect");
    let (console, mallory) = core.console().await.expect("console");
    assert_eq!(mallory.name, "Mallory");
    assert_eq!(mallory.role, None, "not on the roster: no role");
    let refused = console
        .copy_key(&mallory, "atera", |_| panic!("no value"))
        .await
        .expect_err("no key access");
    assert_eq!(refused.code, ErrorCode::NotOnRoster);
    // The roster's Admin adds Mallory as L1; only then may she use L1's keys.
    let dana_core = dana_pc.start();
    connect(&emulator, &dana_core, "Dana Reyes").await;
    let (dana_console, dana) = dana_core.console().await.expect("console");
    assert_eq!(dana.role, Some(ConsoleRole::Admin));
    dana_console
        .set_roster_role(&dana, "Mallory", Some(ConsoleRole::L1))
        .await
        .expect("roster");
    console.refresh_policy().await.expect("policy");
    let (_, mallory) = core.console().await.expect("console");
    assert_eq!(mallory.role, Some(ConsoleRole::L1));
    console
        .copy_key(&mallory, "atera", |_| Ok(()))
        .await
        .expect("L1 may copy an RMM key");
    // L1 cannot change the roster.
    let refused = console
        .set_roster_role(&mallory, "Mallory", Some(ConsoleRole::Admin))
        .await
        .expect_err("admin only");
    assert_eq!(refused.code, ErrorCode::AdminOnly);
}
