//! The demo vault's certificates and keys: a handful per client in every state a trainer wants
//! to show (one expiring soon, one Key Vault auto-renews, one expired, healthy ones).

use chrono::{DateTime, Duration, Utc};

use crate::domain::app_credentials::{AppCredentialInfo, CredentialType};
use crate::domain::vault_objects::{
    CertificateInfo, CertificatePolicy, CryptoKeyInfo, KindListing, ObjectListing, Trigger,
};

fn policy(issuer: &str, subject: &str, auto: Option<i64>) -> Option<CertificatePolicy> {
    Some(CertificatePolicy {
        issuer: issuer.to_string(),
        subject: Some(subject.to_string()),
        auto_renew: auto.map(Trigger::DaysBeforeExpiry),
        email_contacts: auto.is_none().then_some(Trigger::DaysBeforeExpiry(30)),
    })
}

fn cert(
    name: &str,
    now: DateTime<Utc>,
    expires_in: i64,
    policy: Option<CertificatePolicy>,
) -> CertificateInfo {
    let expires = now + Duration::days(expires_in);
    CertificateInfo {
        name: name.to_string(),
        enabled: true,
        expires: Some(expires),
        not_before: Some(expires - Duration::days(365)),
        // A made-up but certificate-like SHA-1 thumbprint: 40 hex digits from the name.
        thumbprint: Some({
            use sha2::Digest;
            sha2::Sha256::digest(name.as_bytes())
                .iter()
                .take(20)
                .map(|b| format!("{b:02x}"))
                .collect()
        }),
        policy,
    }
}

fn key(
    name: &str,
    now: DateTime<Utc>,
    expires_in: Option<i64>,
    kty: &str,
    size: &str,
) -> CryptoKeyInfo {
    let expires = expires_in.map(|d| now + Duration::days(d));
    CryptoKeyInfo {
        name: name.to_string(),
        enabled: true,
        expires,
        not_before: expires.map(|e| e - Duration::days(730)),
        updated: None,
        key_type: Some(kty.to_string()),
        size: Some(size.to_string()),
        detail_note: None,
        auto_rotate: None,
    }
}

/// A large demo's client: a renewing and a healthy certificate and a healthy key, plus an
/// expired certificate only where the client has expired keys and an expiring one where it has
/// keys due, so the overview's order of trouble stays the API keys' story.
pub fn seed_for_health(now: DateTime<Utc>, expired: bool, due: bool) -> ObjectListing {
    let mut certificates = vec![
        cert(
            "portal-tls",
            now,
            10,
            policy("Self", "CN=portal.contoso-client.com", Some(7)),
        ),
        cert("backup-client-auth", now, 240, None),
    ];
    if expired {
        certificates.push(cert(
            "vpn-gateway",
            now,
            -6,
            policy("Unknown", "CN=vpn.client.example", None),
        ));
    }
    if due {
        certificates.push(cert(
            "rmm-agent-signing",
            now,
            11,
            policy("Unknown", "CN=RMM Agent Signing", None),
        ));
    }
    ObjectListing {
        certificates: KindListing::Listed(certificates),
        keys: KindListing::Listed(vec![key(
            "backup-encryption-cmk",
            now,
            Some(400),
            "RSA-HSM",
            "3072 bits",
        )]),
        app_credentials: KindListing::Listed(demo_apps(now, expired, due, 0)),
    }
}

const PORTAL_APP_ID: &str = "5b1f0c2e-7a4d-4e1b-9c3f-2d8e6a1b0c41";
const REPORTING_APP_ID: &str = "8c2a4e6f-1b3d-4f5a-8e7c-9d0b2a4c6e18";
/// Defender's app registration lives in the demo tenant too, with no credential listed.
const DEFENDER_APP_ID: &str = "d3f3a1c9-6b2e-4c8d-9a1f-7e5b3c2d1a60";

/// The application id a demo key of an app registration vendor was saved with, as the console
/// records it: the App credentials view links the portal's secret to the Entra App Secret key
/// and the reporting secret to the Microsoft Graph key.
pub fn demo_app_id(vendor_id: &str) -> Option<&'static str> {
    match vendor_id {
        "entra-app-secret" => Some(PORTAL_APP_ID),
        "microsoft-graph" => Some(REPORTING_APP_ID),
        "defender-endpoint" => Some(DEFENDER_APP_ID),
        _ => None,
    }
}

/// A demo tenant's app registrations: a healthy secret always; a secret expiring in 9 days and
/// an expired certificate credential where `due` and `expired` ask for them.
fn demo_apps(now: DateTime<Utc>, expired: bool, due: bool, shift: i64) -> Vec<AppCredentialInfo> {
    let credential =
        |app: &str, app_id: &str, kind: CredentialType, name: &str, days: i64| AppCredentialInfo {
            app_name: app.to_string(),
            app_id: app_id.to_string(),
            credential_type: kind,
            key_id: format!("{app_id}-{days}"),
            display_name: Some(name.to_string()),
            hint: (kind == CredentialType::Password).then(|| "Q7x".to_string()),
            thumbprint: (kind == CredentialType::Certificate)
                .then(|| "3F2A9C0D1E4B5A6978C0D1E2F3A4B5C6D7E8F901".to_string()),
            start: Some(now - Duration::days(365)),
            end: Some(now + Duration::days(days)),
            links: Vec::new(),
        };
    let mut apps = vec![credential(
        "Line-of-business portal",
        PORTAL_APP_ID,
        CredentialType::Password,
        "portal-prod",
        200 + shift,
    )];
    if due {
        apps.push(credential(
            "Backup reporting",
            REPORTING_APP_ID,
            CredentialType::Password,
            "reporting",
            9,
        ));
    }
    if expired {
        apps.push(credential(
            "Intune connector",
            "2e4c6a8b-0d1f-4a3c-b5e7-9f1a3c5e7b92",
            CredentialType::Certificate,
            "CN=intune-connector",
            -12 - shift,
        ));
    }
    apps
}

/// The demo's certificates and keys at `now` (the `variant`-th client shifts the dates a little).
pub fn seed(now: DateTime<Utc>, variant: usize) -> ObjectListing {
    let shift = (variant as i64 % 5) * 3;
    ObjectListing {
        certificates: KindListing::Listed(vec![
            cert(
                "portal-tls",
                now,
                10,
                policy("Self", "CN=portal.contoso-client.com", Some(7)),
            ),
            cert(
                "rmm-agent-signing",
                now,
                9 + shift % 4,
                policy("Unknown", "CN=RMM Agent Signing", None),
            ),
            cert(
                "vpn-gateway",
                now,
                -6 - shift,
                policy("Unknown", "CN=vpn.contoso-client.com", None),
            ),
            cert("backup-client-auth", now, 240 + shift, None),
        ]),
        keys: KindListing::Listed(vec![
            key(
                "backup-encryption-cmk",
                now,
                Some(400 + shift),
                "RSA-HSM",
                "3072 bits",
            ),
            key("sql-tde-protector", now, Some(12), "RSA", "2048 bits"),
            key("token-signing-ec", now, None, "EC", "P-256"),
            // Key Vault rotates this one 3 days before it expires.
            CryptoKeyInfo {
                auto_rotate: Some(Trigger::DaysBeforeExpiry(3)),
                ..key("storage-cmk", now, Some(8), "RSA", "4096 bits")
            },
        ]),
        app_credentials: KindListing::Listed(demo_apps(now, true, true, shift)),
    }
}
