//! Key lifecycle against the emulator: Rotate All Due with failures that never stop the others
//! and never lose a value, versions and restore, the shared role policy, and revoke/recover/purge.

mod support;

use akv_core::domain::policy::Role as OperatorRole;
use akv_core::domain::secret::SecretValue;
use akv_core::error::ErrorCode;
use akv_core::service::rotation::RotateRequest;
use akv_tests::emulator::{Fault, RouteKind, SeedSecret};
use chrono::{Duration, Utc};
use support::*;

/// A key of this console, rotated `days_ago` days ago on a 90-day interval.
fn seed_key(
    emulator: &akv_tests::emulator::Emulator,
    name: &str,
    label: &str,
    value: &str,
    days_ago: i64,
) {
    let rotated = (Utc::now() - Duration::days(days_ago)).to_rfc3339();
    emulator
        .seed(
            name,
            SeedSecret::new(value)
                .content_type("application/vnd.akv-console.api-key")
                .tag("akv-vendor", "ninjaone")
                .tag("akv-label", label)
                .tag("akv-interval-days", "90")
                .tag("akv-last-rotated", &rotated)
                .tag("akv-preview", "ninj••••••••0000"),
        )
        .expect("seed");
}

/// The one NinjaOne key most tests start from.
fn seed_ninjaone(emulator: &akv_tests::emulator::Emulator) {
    seed_key(emulator, "ninjaone", "", "ninja-value-0123456789abcdef", 10);
}

/// A rotation with a new value; a multi-part vendor's value is given as `first:rest`.
fn request(name: &str, value: &str) -> RotateRequest {
    let vendor_id = name.split("--").next().unwrap_or(name);
    let vendor = akv_core::domain::catalog::vendor(vendor_id).expect("catalog vendor");
    if vendor.is_multi_part() {
        let (first, rest) = value
            .split_once(':')
            .unwrap_or((value, "secret-0123456789"));
        let ids: Vec<&str> = vendor.key_parts.iter().map(|p| p.id.as_str()).collect();
        let parts = ids
            .iter()
            .enumerate()
            .map(|(i, id)| akv_core::domain::key_value::KeyPartInput {
                id: id.to_string(),
                value: SecretValue::new(if i == 0 {
                    first.to_string()
                } else {
                    format!("{rest}-{i}")
                }),
            })
            .collect();
        return RotateRequest {
            secret_name: name.into(),
            parts,
            ..Default::default()
        };
    }
    RotateRequest {
        secret_name: name.into(),
        value: Some(SecretValue::new(value)),
        ..Default::default()
    }
}

#[tokio::test]
async fn rotate_all_due_rotates_seventeen_and_keeps_three_failures_due_and_intact() {
    let emulator = emulator().await;
    let names: Vec<String> = (1..=20).map(|i| format!("ninjaone--site-{i:02}")).collect();
    for (i, name) in names.iter().enumerate() {
        seed_key(
            &emulator,
            name,
            &format!("site-{:02}", i + 1),
            &format!("old-value-{i:02}"),
            100,
        );
    }
    let (console, _) = console(&emulator);
    console.refresh_keys().await.expect("the connect's listing");
    let admin = admin();
    let view = console
        .rotation_view(&admin, Utc::now())
        .await
        .expect("view");
    assert_eq!(view.counts.due_total, 20);

    // Three keys fail three different ways; the rest must not notice.
    emulator.inject_fault(
        Fault::server_error(500)
            .for_secret("ninjaone--site-03")
            .for_method("PUT"),
    );
    emulator.inject_fault(
        Fault::throttle(1)
            .for_secret("ninjaone--site-07")
            .for_method("PUT"),
    );
    emulator.inject_fault(
        Fault::error(403, "Forbidden", Some("ForbiddenByRbac"))
            .for_secret("ninjaone--site-11")
            .for_method("PUT"),
    );

    let progress = std::sync::Mutex::new(Vec::new());
    let requests = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            request(
                name,
                &format!("ninja-client:new-value-{i:02}-abcdefghijklmnop"),
            )
        })
        .collect();
    let result = console
        .rotate_many(&admin, requests, Utc::now(), |p| {
            if let Ok(mut seen) = progress.lock() {
                seen.push(p.done);
            }
        })
        .await
        .expect("the batch is accepted");

    assert_eq!((result.total, result.succeeded, result.failed), (20, 17, 3));
    let seen = progress.into_inner().expect("progress");
    assert_eq!(
        seen,
        (1..=20).collect::<Vec<_>>(),
        "one progress event per key, in order of completion"
    );
    let failed: Vec<(&str, ErrorCode)> = result
        .items
        .iter()
        .filter(|i| !i.ok)
        .map(|i| {
            (
                i.secret_name.as_str(),
                i.error
                    .as_ref()
                    .map(|e| e.code)
                    .unwrap_or(ErrorCode::Internal),
            )
        })
        .collect();
    let code_of = |name: &str| failed.iter().find(|(n, _)| *n == name).map(|(_, c)| *c);
    assert_eq!(
        code_of("ninjaone--site-03"),
        Some(ErrorCode::ServiceUnavailable)
    );
    assert_eq!(code_of("ninjaone--site-07"), Some(ErrorCode::Throttled));
    assert_eq!(
        code_of("ninjaone--site-11"),
        Some(ErrorCode::ForbiddenByRbac)
    );

    for (i, name) in names.iter().enumerate() {
        let failed = [
            "ninjaone--site-03",
            "ninjaone--site-07",
            "ninjaone--site-11",
        ]
        .contains(&name.as_str());
        let value = emulator.secret_value(name).expect("still stored");
        if failed {
            assert_eq!(value, format!("old-value-{i:02}"), "{name} lost its value");
            assert_eq!(emulator.secret_versions(name).len(), 1);
        } else {
            // Stored as named parts, so the secret part may hold ':'.
            let ninja = akv_core::domain::catalog::vendor("ninjaone").expect("catalog");
            let parts =
                akv_core::domain::key_value::KeyParts::decode(ninja, &SecretValue::new(value))
                    .expect("parts");
            assert_eq!(parts.get("client_id"), Some("ninja-client"));
            assert_eq!(
                parts.get("client_secret"),
                Some(format!("new-value-{i:02}-abcdefghijklmnop-1").as_str())
            );
            assert_eq!(
                emulator.secret_versions(name).len(),
                2,
                "{name} keeps its old version"
            );
        }
    }

    // The failed ones are still due and can be retried from the result list.
    emulator.clear_faults();
    let view = console
        .rotation_view(&admin, Utc::now())
        .await
        .expect("view");
    let still_due: Vec<&str> = view
        .rows
        .iter()
        .filter(|r| r.facts.needs_rotation)
        .map(|r| r.secret_name.as_str())
        .collect();
    assert_eq!(still_due.len(), 3, "{still_due:?}");
    let retry = console
        .rotate_many(
            &admin,
            still_due
                .iter()
                .map(|n| request(n, "ninja-client:retried-value-0123456789abcdef"))
                .collect(),
            Utc::now(),
            |_| {},
        )
        .await
        .expect("the retry batch is accepted");
    assert_eq!(retry.succeeded, 3);
    assert_eq!(
        console
            .rotation_view(&admin, Utc::now())
            .await
            .expect("view")
            .counts
            .due_total,
        0
    );

    // Every rotation is one audit entry.
    let rotations = console
        .audit_view(&admin, &Default::default())
        .expect("audit")
        .entries
        .iter()
        .filter(|e| e.action == akv_core::audit::AuditAction::Rotate)
        .count();
    assert_eq!(rotations, 23);
}

#[tokio::test]
async fn versions_are_listed_and_an_old_one_restored_as_a_new_version() {
    let emulator = emulator().await;
    seed_key(
        &emulator,
        "ninjaone",
        "",
        "first-value-0123456789abcdef",
        10,
    );
    let (console, _) = console(&emulator);
    console.refresh_keys().await.expect("the connect's listing");
    let admin = admin();
    console
        .rotate_key(
            &admin,
            request("ninjaone", "ninja-client:second-value-0123456789abcdef"),
            false,
            Utc::now(),
        )
        .await
        .expect("rotate");
    let versions = console
        .versions(&admin, "ninjaone")
        .await
        .expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions.iter().filter(|v| v.current).count(), 1);
    let old = versions.iter().find(|v| !v.current).expect("old version");

    emulator.reset_counters();
    console
        .restore_version(&admin, "ninjaone", &old.version, Utc::now())
        .await
        .expect("restore");
    assert_eq!(
        emulator.secret_value("ninjaone").as_deref(),
        Some("first-value-0123456789abcdef")
    );
    assert_eq!(
        emulator.secret_versions("ninjaone").len(),
        3,
        "restoring adds a version"
    );
    // The old value was read by Rust (one get by version) and written back.
    assert_eq!(emulator.request_count(RouteKind::GetSecret), 1);

    // Another console (or this one after a restart) lists the versions from the vault alone:
    // exactly one is current, the newest, and the others can be restored.
    let (fresh, _) = support::console(&emulator);
    fresh.refresh_keys().await.expect("keys");
    let listed = fresh.versions(&admin, "ninjaone").await.expect("versions");
    assert_eq!(listed.len(), 3);
    assert_eq!(listed.iter().filter(|v| v.current).count(), 1);
    assert!(listed[0].current, "the newest version is the current one");
}

#[tokio::test]
async fn a_delete_that_fails_after_disabling_says_the_key_is_disabled() {
    let emulator = emulator().await;
    seed_ninjaone(&emulator);
    let (console, _) = console(&emulator);
    console.refresh_keys().await.expect("the connect's listing");
    emulator.inject_fault(
        Fault::server_error(500)
            .on_route(RouteKind::DeleteSecret)
            .for_secret("ninjaone"),
    );
    let error = console
        .delete_key(&admin(), "ninjaone")
        .await
        .expect_err("delete fails");
    assert_eq!(error.code, ErrorCode::ServiceUnavailable);
    assert!(error.message.contains("was disabled"), "{}", error.message);
    // Nothing was lost: the key is still there (disabled), and the console knows it.
    let snapshot = emulator.secret_snapshot("ninjaone").expect("still stored");
    assert!(!snapshot.deleted);
    assert!(!snapshot.versions.last().expect("version").enabled);
    let row = console
        .vault_view(&admin(), Utc::now())
        .await
        .expect("view")
        .rows
        .into_iter()
        .find(|r| r.secret_name.as_deref() == Some("ninjaone"))
        .expect("row");
    assert_eq!(
        row.facts.status,
        akv_core::domain::keys::KeyStatus::Disabled
    );
}

#[tokio::test]
async fn settings_are_written_over_the_vaults_current_state_not_a_stale_copy() {
    let emulator = emulator().await;
    seed_ninjaone(&emulator);
    let (mine, _) = console(&emulator);
    mine.refresh_keys().await.expect("the connect's listing");
    let (theirs, _) = console(&emulator);
    theirs.refresh_keys().await.expect("the connect's listing");
    let admin = admin();
    mine.refresh_keys().await.expect("keys");
    // Another console disables the key after this one listed it.
    theirs.refresh_keys().await.expect("keys");
    theirs
        .set_enabled(&admin, "ninjaone", false, Utc::now())
        .await
        .expect("disable");
    // Editing the note here must not re-enable it.
    mine.update_settings(
        &admin,
        akv_core::service::vault::KeySettingsRequest {
            secret_name: "ninjaone".into(),
            interval_days: 90,
            expiry: None,
            owner: String::new(),
            note: "edited elsewhere".into(),
            endpoint: String::new(),
            token_url: String::new(),
            ..Default::default()
        },
        Utc::now(),
    )
    .await
    .expect("update");
    let snapshot = emulator.secret_snapshot("ninjaone").expect("stored");
    assert!(
        !snapshot.versions.last().expect("version").enabled,
        "still disabled"
    );
}

#[tokio::test]
async fn the_role_policy_lives_in_the_vault_and_binds_every_console() {
    let emulator = emulator().await;
    seed_ninjaone(&emulator);
    let (admin_console, _) = console(&emulator);
    admin_console
        .refresh_keys()
        .await
        .expect("the connect's listing");
    let (l1_console, _) = console(&emulator);
    l1_console
        .refresh_keys()
        .await
        .expect("the connect's listing");
    let admin = admin();
    let l1 = operator(OperatorRole::L1);

    // A vault without a policy document is admin-only: L1 gets nothing until an Admin saves one.
    l1_console.refresh_policy().await.expect("policy");
    let missing = l1_console
        .copy_key(&l1, "ninjaone", |_| panic!("no value without a policy"))
        .await
        .expect_err("admin-only while no policy is stored");
    assert_eq!(missing.code, ErrorCode::AccessDenied);
    admin_console.refresh_policy().await.expect("policy");
    admin_console
        .save_default_policy(&admin)
        .await
        .expect("the Admin saves the manual's defaults");

    // With the manual's defaults L1 may copy RMM keys.
    l1_console.refresh_policy().await.expect("policy");
    let copied = std::sync::Mutex::new(false);
    l1_console
        .copy_key(&l1, "ninjaone", |_| {
            *copied.lock().expect("flag") = true;
            Ok(())
        })
        .await
        .expect("L1 may copy RMM keys by default");
    assert!(*copied.lock().expect("flag"));

    // Only an Admin may change the policy.
    let refused = l1_console
        .set_access(&l1, OperatorRole::L1, "ninjaone", true)
        .await
        .expect_err("L1");
    assert_eq!(refused.code, ErrorCode::AdminOnly);

    // The Admin revokes it on their console; the policy is saved in the vault.
    admin_console
        .set_access(&admin, OperatorRole::L1, "ninjaone", false)
        .await
        .expect("revoke");
    assert!(emulator.secret_value("akv-console-role-policy").is_some());

    // The L1 technician's console reads the shared policy and refuses the copy.
    l1_console.refresh_policy().await.expect("policy");
    let denied = l1_console
        .copy_key(&l1, "ninjaone", |_| {
            panic!("the value must not be delivered")
        })
        .await
        .expect_err("refused");
    assert_eq!(denied.code, ErrorCode::AccessDenied);
    assert!(denied.message.contains("L1"));
    let audit = l1_console
        .audit_view(&l1, &Default::default())
        .expect("audit");
    let refusal = audit.entries.first().expect("newest entry");
    assert_eq!(refusal.outcome, akv_core::audit::Outcome::Refused);
    assert_eq!(refusal.error_code.as_deref(), Some("access-denied"));
    // The role policy secret is not a key.
    let keys = admin_console
        .vault_view(&admin, Utc::now())
        .await
        .expect("view");
    assert_eq!(keys.counts.keys, 1);
}

#[tokio::test]
async fn revoke_recover_and_destroy() {
    let emulator = emulator().await;
    seed_ninjaone(&emulator);
    let (console, _) = console(&emulator);
    console.refresh_keys().await.expect("the connect's listing");
    let admin = admin();
    let l2 = operator(OperatorRole::L2);
    console.refresh_keys().await.expect("keys");

    // Disable blocks use but keeps the key.
    console
        .set_enabled(&admin, "ninjaone", false, Utc::now())
        .await
        .expect("disable");
    let blocked = console
        .copy_key(&admin, "ninjaone", |_| Ok(()))
        .await
        .expect_err("disabled");
    assert_eq!(blocked.code, ErrorCode::SecretDisabled);
    console
        .set_enabled(&admin, "ninjaone", true, Utc::now())
        .await
        .expect("enable");

    // Delete disables first, then soft-deletes.
    console
        .delete_key(&admin, "ninjaone")
        .await
        .expect("delete");
    let deleted = console.deleted_keys(&admin).await.expect("deleted");
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].vendor_name, "NinjaOne");
    let snapshot = emulator.secret_snapshot("ninjaone").expect("kept");
    assert!(snapshot.deleted);
    assert!(
        !snapshot.versions.last().expect("version").enabled,
        "disabled before deletion"
    );

    // Recover, delete again, purge: Admin only, with the typed confirmation.
    console
        .recover_key(&admin, "ninjaone")
        .await
        .expect("recover");
    console
        .delete_key(&admin, "ninjaone")
        .await
        .expect("delete");
    let l2_purge = console
        .purge_key(&l2, "ninjaone", "ninjaone")
        .await
        .expect_err("L2 may not purge");
    assert_eq!(l2_purge.code, ErrorCode::AdminOnly);
    let mistyped = console
        .purge_key(&admin, "ninjaone", "ninja")
        .await
        .expect_err("confirmation");
    assert_eq!(mistyped.field.as_deref(), Some("confirmation"));
    console
        .purge_key(&admin, "ninjaone", "ninjaone")
        .await
        .expect("purge");
    assert!(emulator.secret_snapshot("ninjaone").is_none());
}

#[tokio::test]
async fn read_only_views_need_a_role_too() {
    let emulator = emulator().await;
    seed_key(
        &emulator,
        "ninjaone",
        "",
        "first-value-0123456789abcdef",
        10,
    );
    let (console, _) = console(&emulator);
    console.refresh_keys().await.expect("the connect's listing");
    // A typed name not on the roster: no role, so no versions, runbooks, deleted keys, other
    // tools' secrets or audit entries either.
    let nobody = akv_core::domain::identity::Operator::unverified("Sam Stranger", None);
    let codes = [
        console.versions(&nobody, "ninjaone").await.map(|_| ()),
        console.key_runbook(&nobody, "ninjaone").await.map(|_| ()),
        console.deleted_keys(&nobody).await.map(|_| ()),
        console.unmanaged_view(&nobody).map(|_| ()),
        console.audit_view(&nobody, &Default::default()).map(|_| ()),
    ]
    .map(|result| result.expect_err("refused without a role").code);
    assert_eq!(codes, [ErrorCode::NotOnRoster; 5]);
    // With a role, each works.
    let l1 = operator(OperatorRole::L1);
    console.versions(&l1, "ninjaone").await.expect("versions");
    console.key_runbook(&l1, "ninjaone").await.expect("runbook");
    console.deleted_keys(&l1).await.expect("deleted");
    console.unmanaged_view(&l1).expect("unmanaged");
    console.audit_view(&l1, &Default::default()).expect("audit");
}
