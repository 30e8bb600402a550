//! Rotation at the vendor against the HTTPS vendor stub: Meraki (create → test → store → revoke)
//! and SentinelOne (the vendor replaces the token on create), with a failure injected at each
//! step; and the endpoint rules of issue 8 §4 (one test per rule).

mod support;

use std::sync::Arc;

use akv_core::audit::{AuditAction, AuditLog, Outcome};
use akv_core::connectors::ConnectorStep;
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
    Setup {
        stub,
        store,
        console,
        admin: operator(Role::Admin),
    }
}

/// Add a key and point it at the stub, as an Admin who confirms 127.0.0.1.
async fn key_on_stub(s: &Setup, vendor: &str, value: &str, path: &str) {
    s.console
        .add_key(
            &s.admin,
            AddKeyRequest {
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
    s.stub.accept(OLD);
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
        s.stub.accept(OLD);
        key_on_stub(&s, "cisco-meraki", OLD, "/api/v1").await;
        match step {
            ConnectorStep::Create => s.stub.fail_next("/keys/generate", 500),
            ConnectorStep::Test => s.stub.fail_next("/organizations", 401),
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
    s.stub.accept(OLD);
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
