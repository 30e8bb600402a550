//! Rotation at the vendor against the HTTPS vendor stub: Meraki (create → test → store → revoke)
//! and SentinelOne (the vendor replaces the token on create), with a failure injected at each
//! step; new keys that take a while to work (propagation); Meraki's two-key limit and suffix
//! revocation; endless answers; vendor text that echoes the key; and the endpoint rules of
//! issue 8 §4 (one test per rule).

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use akv_core::audit::{AuditAction, AuditLog, Outcome};
use akv_core::connectors::{ConnectorStep, PropagationSchedule, RotationProgress, with_progress};
use akv_core::domain::policy::Role;
use akv_core::domain::secret::SecretValue;
use akv_core::error::ErrorCode;
use akv_core::ping::{PingClient, PingOutcome};
use akv_core::service::connector::VendorRotateRequest;
use akv_core::service::vault::{AddKeyRequest, KeySettingsRequest};
use akv_core::service::{Console, Operator};
use akv_core::store::SecretStore;
use akv_core::store::demo::DemoStore;
use akv_tests::vendor_stub::VendorStub;
use chrono::Utc;
use support::flaky::FlakyStore;

fn operator(role: Role) -> Operator {
    Operator::unverified(format!("{} tester", role.label()), Some(role))
}

struct Setup {
    stub: VendorStub,
    store: Arc<FlakyStore>,
    console: Console,
    admin: Operator,
}

async fn setup() -> Setup {
    let stub = VendorStub::start().await.expect("stub");
    let store = Arc::new(FlakyStore::new());
    let client = PingClient::new(Some(&stub.ca_pem()))
        .and_then(PingClient::allowing_private_addresses_for_tests)
        .expect("client");
    let console = Console::new(
        store.clone(),
        AuditLog::in_memory(),
        Arc::new(|_| {}),
        client,
        "t",
    );
    console.set_propagation_schedule(test_schedule());
    Setup {
        stub,
        store,
        console,
        admin: operator(Role::Admin),
    }
}

/// 50 ms between attempts, 2 s at most: minutes in production.
fn test_schedule() -> PropagationSchedule {
    PropagationSchedule::fixed(Duration::from_millis(50), Duration::from_secs(2))
}

/// Rotate at the vendor, collecting the progress the window would show.
async fn rotate_watching(
    s: &Setup,
    name: &str,
) -> (
    akv_core::service::connector::VendorRotation,
    Vec<RotationProgress>,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let done = with_progress(
        Arc::new(move |p: RotationProgress| sink.lock().unwrap_or_else(|e| e.into_inner()).push(p)),
        s.console
            .rotate_at_vendor(&s.admin, request(name), false, Utc::now()),
    )
    .await
    .expect("attempted");
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (done, seen)
}

/// Add a key and point it at the stub, as an Admin who confirms 127.0.0.1.
async fn key_on_stub(s: &Setup, vendor: &str, value: &str, path: &str) {
    s.console
        .add_key(
            &s.admin,
            AddKeyRequest {
                generate: None,
                short_reason: None,
                vendor_id: vendor.into(),
                label: None,
                value: Some(SecretValue::new(value)),
                parts: Vec::new(),
                fields: [("tenant".to_string(), "acme".to_string())]
                    .into_iter()
                    .filter(|_| vendor == "sentinelone")
                    .collect(),
                expiry: None,
                interval_days: None,
                owner: String::new(),
                note: String::new(),
            },
            Utc::now(),
        )
        .await
        .expect("add");
    s.console
        .update_settings(
            &s.admin,
            settings(vendor, &format!("{}{path}", s.stub.base_url()), true),
            Utc::now(),
        )
        .await
        .expect("an Admin confirms the stub's host");
}

fn settings(secret: &str, endpoint: &str, confirm: bool) -> KeySettingsRequest {
    KeySettingsRequest {
        secret_name: secret.into(),
        interval_days: 90,
        endpoint: endpoint.into(),
        fields: [("tenant".to_string(), "acme".to_string())]
            .into_iter()
            .filter(|_| secret == "sentinelone")
            .collect(),
        confirm_hosts: if confirm {
            vec!["127.0.0.1".into()]
        } else {
            Vec::new()
        },
        ..Default::default()
    }
}

async fn stored(s: &Setup, name: &str) -> String {
    s.store
        .read_value(name, None)
        .await
        .expect("stored")
        .expose()
        .to_string()
}

fn last_rotation(s: &Setup) -> (Outcome, String) {
    let log = s.console.audit_entries();
    let entry = log
        .iter()
        .rev()
        .find(|e| e.action == AuditAction::Rotate)
        .expect("a rotate entry");
    (entry.outcome, entry.note.clone())
}

fn request(name: &str) -> VendorRotateRequest {
    VendorRotateRequest {
        secret_name: name.into(),
        ..Default::default()
    }
}

const OLD: &str = "meraki-old-key-0123456789abcdef0123abcd";

#[tokio::test]
async fn meraki_rotates_at_the_vendor_and_revokes_the_old_key_last() {
    let s = setup().await;
    s.stub.add_meraki_key(OLD);
    key_on_stub(&s, "cisco-meraki", OLD, "/api/v1").await;
    let done = s
        .console
        .rotate_at_vendor(&s.admin, request("cisco-meraki"), false, Utc::now())
        .await
        .expect("attempted");
    assert!(done.saved && done.failed_step.is_none(), "{done:?}");
    let new = stored(&s, "cisco-meraki").await;
    assert_ne!(new, OLD);
    assert!(s.stub.accepts(&new), "the new key works at the vendor");
    assert!(!s.stub.accepts(OLD), "the old key was revoked");
    let paths: Vec<String> = s
        .stub
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let create = paths
        .iter()
        .position(|p| p.ends_with("/keys/generate"))
        .expect("create");
    let test = paths
        .iter()
        .rposition(|p| p == "GET /api/v1/organizations")
        .expect("test");
    let revoke = paths
        .iter()
        .position(|p| p.ends_with("/keys/abcd/revoke"))
        .expect("revoke by suffix");
    assert!(create < test && test < revoke, "{paths:?}");
    let (outcome, note) = last_rotation(&s);
    assert_eq!(outcome, Outcome::Ok);
    assert!(note.contains("old key revoked"), "{note}");
}

#[tokio::test]
async fn a_failure_at_each_step_leaves_a_working_stored_key_and_names_the_step() {
    for step in [
        ConnectorStep::Create,
        ConnectorStep::Test,
        ConnectorStep::Store,
        ConnectorStep::Revoke,
    ] {
        let s = setup().await;
        s.stub.add_meraki_key(OLD);
        key_on_stub(&s, "cisco-meraki", OLD, "/api/v1").await;
        match step {
            ConnectorStep::Create => s.stub.fail_next("/keys/generate", 500),
            // The new key never works within the (test) propagation limit.
            ConnectorStep::Test => s.stub.set_new_credential_delay(Duration::from_secs(600)),
            ConnectorStep::Store => s.store.fail_writes(true),
            ConnectorStep::Revoke => s.stub.fail_next("/revoke", 500),
        }
        let done = s
            .console
            .rotate_at_vendor(&s.admin, request("cisco-meraki"), false, Utc::now())
            .await
            .expect("attempted");
        assert_eq!(done.failed_step, Some(step), "{done:?}");
        let (outcome, note) = last_rotation(&s);
        assert_eq!(outcome, Outcome::Failed, "{step:?}");
        let current = stored(&s, "cisco-meraki").await;
        assert!(
            s.stub.accepts(&current),
            "{step:?}: the stored key works at the vendor"
        );
        match step {
            ConnectorStep::Revoke => {
                assert!(done.saved);
                assert_ne!(current, OLD);
                assert!(
                    s.stub.accepts(OLD),
                    "the old key still works and is the previous version"
                );
                assert!(note.contains("failed at revoke"), "{note}");
            }
            _ => {
                assert!(!done.saved);
                assert_eq!(current, OLD, "{step:?}: the old key stays stored");
                assert!(s.stub.accepts(OLD));
                let named = match step {
                    ConnectorStep::Create => "failed at create",
                    ConnectorStep::Test => "failed its test",
                    _ => "could not be stored",
                };
                assert!(note.contains(named), "{step:?}: {note}");
            }
        }
        assert!(
            done.hint.contains("old key") || done.hint.contains("previous version"),
            "{}",
            done.hint
        );
    }
}

#[tokio::test]
async fn sentinelone_stores_the_replacing_token_and_keeps_it_for_a_retry() {
    let s = setup().await;
    let old = "s1-old-token-0123456789";
    s.stub.accept(old);
    key_on_stub(&s, "sentinelone", old, "/web/api/v2.1").await;
    // The vault fails right after the vendor replaced the token: the new one is held in memory.
    s.store.fail_writes(true);
    let failed = s
        .console
        .rotate_at_vendor(&s.admin, request("sentinelone"), false, Utc::now())
        .await
        .expect("attempted");
    assert_eq!(failed.failed_step, Some(ConnectorStep::Store));
    assert!(s.console.has_pending("sentinelone"));
    let (_, note) = last_rotation(&s);
    assert!(note.contains("held"), "{note}");
    // The retry stores it without making another token.
    s.store.fail_writes(false);
    let generated = s
        .stub
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/generate-api-token"))
        .count();
    let done = s
        .console
        .rotate_at_vendor(&s.admin, request("sentinelone"), false, Utc::now())
        .await
        .expect("attempted");
    assert!(done.saved && done.failed_step.is_none(), "{done:?}");
    let after = s
        .stub
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/generate-api-token"))
        .count();
    assert_eq!(generated, after, "no second token was made");
    let current = stored(&s, "sentinelone").await;
    assert!(s.stub.accepts(&current) && !s.stub.accepts(old));
}

#[tokio::test]
async fn an_endpoint_off_the_vendors_domains_needs_an_admin_who_names_the_host() {
    let s = setup().await;
    s.stub.accept(OLD);
    s.console
        .add_key(
            &s.admin,
            AddKeyRequest {
                generate: None,
                short_reason: None,
                vendor_id: "cisco-meraki".into(),
                label: None,
                value: Some(SecretValue::new(OLD)),
                parts: Vec::new(),
                fields: Default::default(),
                expiry: None,
                interval_days: None,
                owner: String::new(),
                note: String::new(),
            },
            Utc::now(),
        )
        .await
        .expect("add");
    let endpoint = format!("{}/api/v1", s.stub.base_url());
    // Rule: outside *.meraki.com without a confirmation → refused, naming the host.
    let refused = s
        .console
        .update_settings(
            &s.admin,
            settings("cisco-meraki", &endpoint, false),
            Utc::now(),
        )
        .await
        .expect_err("needs confirmation");
    assert_eq!(refused.code, ErrorCode::HostNotConfirmed);
    assert!(refused.message.contains("127.0.0.1"));
    // Rule: a non-Admin is refused even when naming the host (L2 may otherwise change Network
    // keys under the manual's default policy).
    s.console
        .save_default_policy(&s.admin)
        .await
        .expect("default policy");
    let l2 = operator(Role::L2);
    let refused = s
        .console
        .update_settings(&l2, settings("cisco-meraki", &endpoint, true), Utc::now())
        .await
        .expect_err("admin only");
    assert_eq!(refused.code, ErrorCode::AdminOnly);
    // Rule: the Admin's confirmation is recorded with old → new host.
    s.console
        .update_settings(
            &s.admin,
            settings("cisco-meraki", &endpoint, true),
            Utc::now(),
        )
        .await
        .expect("confirmed");
    let note = s
        .console
        .audit_entries()
        .iter()
        .rev()
        .find(|e| e.action == AuditAction::Update && e.outcome == Outcome::Ok)
        .map(|e| e.note.clone())
        .expect("update entry");
    assert!(note.contains("host api.meraki.com → 127.0.0.1"), "{note}");
    let report = s
        .console
        .test_key(&s.admin, "cisco-meraki")
        .await
        .expect("test");
    assert_eq!(report.outcome, PingOutcome::Authenticated, "{report:?}");
}

#[tokio::test]
async fn an_endpoint_edited_in_the_portal_is_checked_again_before_any_ping() {
    let s = setup().await;
    s.stub.add_meraki_key(OLD);
    key_on_stub(&s, "cisco-meraki", OLD, "/api/v1").await;
    // Someone edits the tag in the Azure Portal: another host, never confirmed.
    let mut record = s.console.fresh_key("cisco-meraki").await.expect("key");
    record.endpoint_override = Some(format!("https://localhost:{}/api/v1", s.stub.port()));
    s.store.update_key(&record).await.expect("tag edit");
    s.console.refresh_keys().await.expect("refresh");
    let before = s.stub.requests().len();
    let report = s
        .console
        .test_key(&s.admin, "cisco-meraki")
        .await
        .expect("test");
    assert_eq!(report.outcome, PingOutcome::HostRefused, "{report:?}");
    assert!(report.message.contains("localhost"));
    assert_eq!(s.stub.requests().len(), before, "the key went nowhere");
}

#[tokio::test]
async fn loopback_is_refused_unless_the_test_option_is_set() {
    // Rule: the default client (every real build) refuses loopback even for a confirmed host.
    let stub = VendorStub::start().await.expect("stub");
    stub.accept(OLD);
    let store = Arc::new(DemoStore::empty());
    let console = Console::new(
        store.clone(),
        AuditLog::in_memory(),
        Arc::new(|_| {}),
        PingClient::new(Some(&stub.ca_pem())).expect("client"),
        "t",
    );
    let admin = operator(Role::Admin);
    console
        .add_key(
            &admin,
            AddKeyRequest {
                generate: None,
                short_reason: None,
                vendor_id: "cisco-meraki".into(),
                label: None,
                value: Some(SecretValue::new(OLD)),
                parts: Vec::new(),
                fields: Default::default(),
                expiry: None,
                interval_days: None,
                owner: String::new(),
                note: String::new(),
            },
            Utc::now(),
        )
        .await
        .expect("add");
    console
        .update_settings(
            &admin,
            settings("cisco-meraki", &format!("{}/api/v1", stub.base_url()), true),
            Utc::now(),
        )
        .await
        .expect("confirmed");
    let report = console
        .test_key(&admin, "cisco-meraki")
        .await
        .expect("test");
    assert_eq!(report.outcome, PingOutcome::HostRefused, "{report:?}");
    assert!(stub.requests().is_empty());
}

#[tokio::test]
async fn a_meraki_key_that_propagates_late_is_waited_for_with_progress_then_rotated() {
    let s = setup().await;
    s.stub.add_meraki_key(OLD);
    key_on_stub(&s, "cisco-meraki", OLD, "/api/v1").await;
    s.stub.set_new_credential_delay(Duration::from_millis(400));
    let (done, progress) = rotate_watching(&s, "cisco-meraki").await;
    assert!(done.saved && done.failed_step.is_none(), "{done:?}");
    let new = stored(&s, "cisco-meraki").await;
    assert!(s.stub.accepts(&new) && !s.stub.accepts(OLD));
    let waits: Vec<&RotationProgress> = progress
        .iter()
        .filter(|p| p.step == ConnectorStep::Test && p.attempt > 1)
        .collect();
    assert!(waits.len() >= 2, "{progress:?}");
    assert!(
        waits[0]
            .message
            .starts_with("waiting for the new key to propagate at Cisco Meraki (attempt 2, "),
        "{}",
        waits[0].message
    );
    assert!(
        waits[0].message.ends_with("of up to 2 s)"),
        "{}",
        waits[0].message
    );
    assert_eq!(waits[0].limit_ms, 2000);
    assert_eq!(waits[0].secret_name, "cisco-meraki");
    let tests = s
        .stub
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/organizations")
        .count();
    assert!(tests >= 3, "tested again until it worked: {tests}");
}

#[tokio::test]
async fn a_meraki_key_that_never_propagates_gives_up_at_the_limit_and_is_revoked_again() {
    let s = setup().await;
    s.stub.add_meraki_key(OLD);
    key_on_stub(&s, "cisco-meraki", OLD, "/api/v1").await;
    s.stub.set_new_credential_delay(Duration::from_secs(600));
    let started = Instant::now();
    let (done, _) = rotate_watching(&s, "cisco-meraki").await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the test schedule's 2 s limit"
    );
    assert_eq!(done.failed_step, Some(ConnectorStep::Test), "{done:?}");
    assert!(!done.saved);
    assert!(
        done.message.contains("still failed after"),
        "{}",
        done.message
    );
    assert_eq!(stored(&s, "cisco-meraki").await, OLD);
    assert!(s.stub.accepts(OLD));
    assert_eq!(
        s.stub.meraki_keys(),
        [OLD],
        "the unused new key was revoked"
    );
}

#[tokio::test]
async fn meraki_refuses_before_generating_when_the_identity_already_holds_two_keys() {
    let s = setup().await;
    s.stub.add_meraki_key(OLD);
    s.stub
        .add_meraki_key("meraki-other-key-00000000000000000009999");
    key_on_stub(&s, "cisco-meraki", OLD, "/api/v1").await;
    let done = s
        .console
        .rotate_at_vendor(&s.admin, request("cisco-meraki"), false, Utc::now())
        .await
        .expect("attempted");
    assert_eq!(done.failed_step, Some(ConnectorStep::Create), "{done:?}");
    assert!(
        done.message
            .contains("already holds 2 API keys (ending in abcd and 9999)"),
        "{}",
        done.message
    );
    assert!(done.hint.contains("ends in abcd"), "{}", done.hint);
    assert!(
        !s.stub
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/keys/generate")),
        "nothing was generated"
    );
    let (_, note) = last_rotation(&s);
    assert!(note.contains("the old key is unchanged"), "{note}");
}

#[tokio::test]
async fn meraki_never_revokes_by_a_suffix_the_new_key_shares_with_the_old_one() {
    let s = setup().await;
    s.stub.add_meraki_key(OLD);
    key_on_stub(&s, "cisco-meraki", OLD, "/api/v1").await;
    let twin = "meraki-new-key-ffffffffffffffffffffabcd";
    s.stub.next_meraki_key(twin);
    let done = s
        .console
        .rotate_at_vendor(&s.admin, request("cisco-meraki"), false, Utc::now())
        .await
        .expect("attempted");
    assert!(done.saved, "{done:?}");
    assert_eq!(done.failed_step, Some(ConnectorStep::Revoke));
    assert!(
        done.message.contains("same four characters"),
        "{}",
        done.message
    );
    assert_eq!(stored(&s, "cisco-meraki").await, twin);
    assert!(
        s.stub.accepts(twin) && s.stub.accepts(OLD),
        "neither was revoked"
    );
    assert!(
        !s.stub
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/revoke")),
        "no revoke by the shared suffix"
    );
}

#[tokio::test]
async fn sentinelone_stores_the_new_token_before_testing_it() {
    let s = setup().await;
    let old = "s1-old-token-0123456789";
    s.stub.accept(old);
    key_on_stub(&s, "sentinelone", old, "/web/api/v2.1").await;
    // The new token does not work within the limit: it must be stored all the same, since the
    // vendor already killed the old one.
    s.stub.set_new_credential_delay(Duration::from_secs(600));
    let (done, progress) = rotate_watching(&s, "sentinelone").await;
    assert!(done.saved, "{done:?}");
    assert_eq!(done.failed_step, Some(ConnectorStep::Test));
    let current = stored(&s, "sentinelone").await;
    assert_ne!(current, old, "the replacing token is in the vault");
    assert!(!s.stub.accepts(old));
    assert!(!s.console.has_pending("sentinelone"));
    let steps: Vec<ConnectorStep> = progress.iter().map(|p| p.step).collect();
    let store = steps.iter().position(|s| *s == ConnectorStep::Store);
    let test = steps.iter().position(|s| *s == ConnectorStep::Test);
    assert!(store.is_some() && store < test, "{steps:?}");
    let (outcome, note) = last_rotation(&s);
    assert_eq!(outcome, Outcome::Failed);
    assert!(!note.contains("unchanged"), "{note}");
    assert!(
        done.hint.contains("only one that can work"),
        "{}",
        done.hint
    );
}

#[tokio::test]
async fn a_sentinelone_failure_after_the_request_went_out_never_claims_the_old_token_is_unchanged()
{
    let s = setup().await;
    let old = "s1-old-token-0123456789";
    s.stub.accept(old);
    key_on_stub(&s, "sentinelone", old, "/web/api/v2.1").await;
    s.stub.fail_next("/generate-api-token", 502);
    let done = s
        .console
        .rotate_at_vendor(&s.admin, request("sentinelone"), false, Utc::now())
        .await
        .expect("attempted");
    assert_eq!(done.failed_step, Some(ConnectorStep::Create));
    let (_, note) = last_rotation(&s);
    assert!(!note.contains("unchanged"), "{note}");
    assert!(note.contains("may already have replaced"), "{note}");
    assert!(done.hint.contains("may have replaced"), "{}", done.hint);
}

#[tokio::test]
async fn an_endless_answer_is_cut_off_with_a_named_error() {
    let s = setup().await;
    s.stub.add_meraki_key(OLD);
    key_on_stub(&s, "cisco-meraki", OLD, "/api/v1").await;
    s.stub.stream_endlessly_at("/keys/generate");
    let started = Instant::now();
    let done = s
        .console
        .rotate_at_vendor(&s.admin, request("cisco-meraki"), false, Utc::now())
        .await
        .expect("attempted");
    assert!(
        started.elapsed() < akv_core::ping::PING_TIMEOUT,
        "stopped at the cap, not the timeout"
    );
    assert_eq!(done.failed_step, Some(ConnectorStep::Create));
    assert!(
        done.message.contains("larger than 1024 KiB"),
        "{}",
        done.message
    );
    assert_eq!(stored(&s, "cisco-meraki").await, OLD);
}

#[tokio::test]
async fn a_key_echoed_by_the_vendor_appears_in_no_report_log_or_export() {
    let stub = VendorStub::start().await.expect("stub");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("audit.jsonl");
    let (log, _) = AuditLog::open(&path).expect("log");
    let key = "NSIGHT-key-7f3a9c21e4b8d605";
    let console = Console::new(
        Arc::new(DemoStore::empty()),
        log,
        Arc::new(|_| {}),
        PingClient::new(Some(&stub.ca_pem()))
            .and_then(PingClient::allowing_private_addresses_for_tests)
            .expect("client"),
        "t",
    );
    let admin = operator(Role::Admin);
    console
        .add_key(
            &admin,
            AddKeyRequest {
                generate: None,
                short_reason: None,
                vendor_id: "nable-nsight".into(),
                label: None,
                value: Some(SecretValue::new(key)),
                parts: Vec::new(),
                fields: Default::default(),
                expiry: None,
                interval_days: None,
                owner: String::new(),
                note: String::new(),
            },
            Utc::now(),
        )
        .await
        .expect("add");
    let record = console.fresh_key("nable-nsight").await.expect("key");
    let endpoint = format!("{}/api/", stub.base_url());
    console
        .update_settings(
            &admin,
            KeySettingsRequest {
                secret_name: "nable-nsight".into(),
                interval_days: record.interval_days,
                endpoint,
                confirm_hosts: vec!["127.0.0.1".into()],
                ..Default::default()
            },
            Utc::now(),
        )
        .await
        .expect("confirmed");
    // N-sight answers a bad key with HTTP 200 and an error that quotes the key, whole and in part.
    stub.respond_at(
        "",
        200,
        &format!(
            "<?xml version=\"1.0\"?><result><error><message>Invalid API key {key} (key 9c21e4b8d605 denied)</message></error></result>"
        ),
        None,
    );
    let report = console
        .test_key(&admin, "nable-nsight")
        .await
        .expect("test");
    assert_eq!(report.outcome, PingOutcome::Rejected, "{report:?}");
    assert!(
        report.message.contains("Invalid API key [redacted]"),
        "{}",
        report.message
    );
    let csv = String::from_utf8(console.audit_csv(&admin).await.expect("csv")).expect("utf8");
    let file = std::fs::read_to_string(&path).expect("log file");
    for (place, text) in [
        ("report", report.message.as_str()),
        ("CSV", csv.as_str()),
        ("audit log file", file.as_str()),
    ] {
        for fragment in [key, "9c21e4b8d605", "7f3a9c21"] {
            assert!(
                !text.contains(fragment),
                "{fragment} in the {place}: {text}"
            );
        }
    }
    assert!(
        csv.contains("[redacted]"),
        "the vendor's words are kept, without the key"
    );
}
