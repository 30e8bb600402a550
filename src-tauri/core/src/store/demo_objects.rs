//! The demo vault's certificates and keys: a handful per client in every state a trainer wants
//! to show (one expiring soon, one Key Vault auto-renews, one expired, healthy ones).

use chrono::{DateTime, Duration, Utc};

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
        thumbprint: Some(format!(
            "{:040x}",
            name.len() * 7919 + expires_in.unsigned_abs() as usize
        )),
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
        key_type: Some(kty.to_string()),
        size: Some(size.to_string()),
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
    }
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
    }
}
