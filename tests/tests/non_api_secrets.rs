//! Secrets that are not API keys (issue 21 §3) against the emulator: a Wi-Fi key generated
//! shorter than its kind recommends needs a reason and is flagged for review (row, vault tags a
//! second console reads, audit, CSV, PDF, `akv-console status --json`); it cannot be tested, only
//! Admin gets it by default, and rotating it at the recommended length clears the flag.

mod support;

use akv_core::domain::generator::{AMBIGUOUS, Charset, GenerateRequest};
use akv_core::domain::policy::{KeyAction, Role};
use akv_core::domain::secret::SecretValue;
use akv_core::error::ErrorCode;
use akv_core::service::monitor::{FailOn, MonitorClient};
use akv_core::service::rotation::RotateRequest;
use akv_core::service::vault::AddKeyRequest;
use chrono::Utc;
use support::*;

const REASON: &str = "The lobby printer joins with at most 12 characters";

fn add_wifi(generate: GenerateRequest) -> AddKeyRequest {
    AddKeyRequest {
        vendor_id: "wifi-psk".into(),
        label: Some("guest".into()),
        value: None,
        parts: Vec::new(),
        fields: Default::default(),
        expiry: None,
        interval_days: None,
        owner: "Dana Reyes".into(),
        note: "Guest SSID at HQ".into(),
        generate: Some(generate),
        short_reason: None,
    }
}

fn twelve(reason: Option<&str>) -> GenerateRequest {
    GenerateRequest {
        length: 12,
        charset: Charset::LettersDigits,
        exclude_ambiguous: true,
        short_reason: reason.map(str::to_string),
    }
}

#[tokio::test]
async fn a_short_wifi_key_is_flagged_for_review_until_rotated_at_the_recommended_length() {
    let emulator = emulator().await;
    let (console, _) = console(&emulator);
    console.refresh_keys().await.expect("listing");
    let admin = admin();
    let now = Utc::now();

    // Shorter than the recommended 20 without a reason: refused by name, nothing stored.
    let refused = console
        .add_key(&admin, add_wifi(twelve(None)), now)
        .await
        .expect_err("a reason is required");
    assert_eq!(refused.code, ErrorCode::ReasonRequired);
    assert_eq!(refused.field.as_deref(), Some("shortReason"));
    assert!(emulator.secret_value("wifi-psk--guest").is_none());
    // Outside the WPA2 bounds: refused whatever the reason.
    let mut long = twelve(Some(REASON));
    long.length = 64;
    let refused = console
        .add_key(&admin, add_wifi(long), now)
        .await
        .expect_err("over 63");
    assert_eq!(refused.field.as_deref(), Some("length"));

    // With the reason: stored, generated within the rules, flagged on the row.
    let row = console
        .add_key(&admin, add_wifi(twelve(Some(REASON))), now)
        .await
        .expect("added");
    assert_eq!(row.review.as_deref(), Some(REASON));
    assert_eq!(row.interval_days, 365, "the Wi-Fi kind's own interval");
    assert!(!row.allowed.contains(&KeyAction::Test), "no Test offered");
    let value = emulator.secret_value("wifi-psk--guest").expect("stored");
    assert_eq!(value.len(), 12);
    assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() && !AMBIGUOUS.contains(&b)),
        "{value}"
    );

    // Testing is refused with the kind's reason, and nothing is sent anywhere.
    let error = console
        .test_key(&admin, "wifi-psk--guest")
        .await
        .expect_err("no test call");
    assert_eq!(error.code, ErrorCode::NoTestCall);
    assert!(
        error.message.contains("join the network"),
        "{}",
        error.message
    );

    // The flag rides in the vault: a second console lists it without reading the value.
    let (other, _) = console_with_ping(&emulator, None);
    other.refresh_keys().await.expect("listing");
    let view = other.vault_view(&admin, now).await.expect("view");
    let listed = view
        .rows
        .iter()
        .find(|r| r.secret_name.as_deref() == Some("wifi-psk--guest"))
        .expect("listed");
    assert_eq!(listed.review.as_deref(), Some(REASON));
    // Kinds with nothing stored are no "vendor without a key" and have no row.
    assert!(!view.rows.iter().any(|r| r.vendor_id == "vpn-psk"));
    assert_eq!(
        view.counts.no_key,
        view.rows.iter().filter(|r| r.secret_name.is_none()).count()
    );

    // Audited with the reason (never the value).
    let audit = console
        .audit_view(&admin, &Default::default())
        .expect("audit");
    let added = audit
        .entries
        .iter()
        .find(|e| e.key_name.as_deref() == Some("wifi-psk--guest"))
        .expect("an Add entry");
    assert!(added.note.contains("flagged for review") && added.note.contains(REASON));
    assert!(audit.entries.iter().all(|e| !e.note.contains(&value)));

    // The CSV's column and the report's exceptions say it.
    let csv =
        String::from_utf8(console.inventory_csv(&admin, now).await.expect("csv")).expect("utf-8");
    let header = csv.lines().next().expect("header");
    // The review column sits just before the Kind column, which stays last.
    assert!(header.ends_with("Flagged for review,Kind"), "{header}");
    assert!(
        csv.lines()
            .any(|l| l.contains("Wi-Fi Key") && l.ends_with(&format!("{REASON},API key"))),
        "{csv}"
    );
    let section = console
        .report_section(&admin, "Acme MSP", now)
        .await
        .expect("report");
    let exception = section
        .exceptions()
        .find(|r| r.vendor.starts_with("Wi-Fi Key"))
        .expect("on the exceptions list");
    assert_eq!(
        exception.status.exception.map(|e| e.label()),
        Some("For review")
    );
    assert!(exception.status.detail.contains(REASON));
    assert_eq!(exception.category.label(), "Non-API Secret");

    // What `akv-console status --json` prints for this client.
    let json = serde_json::to_value(MonitorClient::checked(
        "hq".into(),
        "HQ".into(),
        "vault".into(),
        view.rows.clone(),
        view.counts.clone(),
        FailOn::Due,
    ))
    .expect("json");
    assert_eq!(json["flaggedForReview"], 1);
    let key = json["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["secretName"] == "wifi-psk--guest"))
        .expect("the key in status --json");
    assert_eq!(key["review"], REASON);
    assert_eq!(key["category"], "Non-API Secret");
    assert_eq!(key["level"], "ok", "a flag is not a late key");

    // L2 has no non-API secret by default (the article: juniors do not get the VPN key).
    let l2 = operator(Role::L2);
    assert!(
        console
            .rotate_key(
                &l2,
                RotateRequest {
                    secret_name: "wifi-psk--guest".into(),
                    generate: true,
                    ..Default::default()
                },
                false,
                now,
            )
            .await
            .is_err()
    );

    // A pasted value is held to the same rule: 10 characters without a reason is refused.
    let refused = console
        .rotate_key(
            &admin,
            RotateRequest {
                secret_name: "wifi-psk--guest".into(),
                value: Some(SecretValue::new("Short12345")),
                ..Default::default()
            },
            false,
            now,
        )
        .await
        .expect_err("a reason is required");
    assert_eq!(refused.code, ErrorCode::ReasonRequired);

    // Rotate with the kind's defaults (32 characters): saved, the flag cleared.
    let rotated = console
        .rotate_key(
            &admin,
            RotateRequest {
                secret_name: "wifi-psk--guest".into(),
                generate: true,
                test_first: true,
                ..Default::default()
            },
            false,
            now,
        )
        .await
        .expect("rotated");
    assert!(
        rotated.saved && rotated.ping.is_none(),
        "nothing to test first"
    );
    let row = rotated.row.expect("row");
    assert_eq!(row.review, None);
    let value = emulator.secret_value("wifi-psk--guest").expect("stored");
    assert_eq!(value.len(), 32);
    assert_eq!(emulator.secret_versions("wifi-psk--guest").len(), 2);
    let (third, _) = console_with_ping(&emulator, None);
    third.refresh_keys().await.expect("listing");
    let view = third.vault_view(&admin, now).await.expect("view");
    assert!(
        view.rows
            .iter()
            .filter(|r| r.vendor_id == "wifi-psk")
            .all(|r| r.review.is_none()),
        "the flag left the vault's tags too"
    );
}
