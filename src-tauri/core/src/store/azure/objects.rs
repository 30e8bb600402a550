//! The vault's certificates and keys, listed with the official certificate and key clients on
//! the same guarded pipeline as the secrets client (a token only for this vault's resource,
//! requests only to this vault's host, capped answers and pages). Never private material: no
//! certificate's backing secret is read, no key is exported; a key's listing carries no JWK.

use azure_security_keyvault_certificates::models::{
    CertificateClientListCertificatePropertiesOptions, CertificatePolicy as SdkPolicy,
    CertificatePolicyAction, CertificateProperties,
};
use azure_security_keyvault_keys::models::{
    Key, KeyClientListKeyPropertiesOptions, KeyProperties, KeyRotationPolicy,
    KeyRotationPolicyAction,
};
use chrono::{DateTime, Utc};

use super::guard::collect_pages;
use super::secret_store::to_chrono;
use super::{AzureStore, PAGE_SIZE};
use crate::domain::key_detail::{KeyDetail, from_jwk};
use crate::domain::vault_objects::{
    CertificateInfo, CertificatePolicy, CryptoKeyInfo, KindListing, ObjectKind, ObjectListing,
    Trigger, iso_duration_days, needs_policy,
};
use crate::error::{AppError, ErrorCode};

/// The last path segment naming the object: `https://vault/certificates/{name}[/{version}]`.
fn name_from_id(id: Option<&str>) -> Option<String> {
    let url = url::Url::parse(id?).ok()?;
    let mut segments = url.path_segments()?.filter(|s| !s.is_empty());
    segments.next()?;
    segments.next().map(str::to_string)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A refusal for one kind says which kind and which role reads it; the client's API keys are
/// unaffected, so it is not worded as the client's failure.
fn per_kind(mut error: AppError, kind: ObjectKind, who: &str) -> AppError {
    let (plural, role) = match kind {
        ObjectKind::Certificate => (
            "certificates",
            "Key Vault Reader, Key Vault Certificate User or Key Vault Certificates Officer",
        ),
        ObjectKind::Key | ObjectKind::AppCredential => (
            "keys",
            "Key Vault Reader, Key Vault Crypto User or Key Vault Crypto Officer",
        ),
    };
    match error.code {
        ErrorCode::ForbiddenByRbac => {
            error.message = format!(
                "Key Vault's role-based access does not let {who} read this vault's {plural}; its API keys are listed as usual."
            );
            error.hint = format!(
                "Ask the vault's owner to assign {who} one of: {role}. Listing {plural} reads only their names and dates. If it was just assigned, wait 2–3 minutes and Refresh."
            );
        }
        ErrorCode::ForbiddenByPolicy => {
            error.message = format!(
                "The vault's access policy does not give {who} 'list' permission on {plural}; its API keys are listed as usual."
            );
            error.hint = format!(
                "In the Azure portal, vault → Access policies, add List (and Get) under {} permissions for {who}.",
                match kind {
                    ObjectKind::Certificate => "Certificate",
                    ObjectKind::Key | ObjectKind::AppCredential => "Key",
                }
            );
        }
        _ => {}
    }
    error
}

fn policy_from_sdk(policy: SdkPolicy) -> CertificatePolicy {
    let mut auto_renew = None;
    let mut email_contacts = None;
    for action in policy.lifetime_actions.unwrap_or_default() {
        let trigger = action.trigger.as_ref().and_then(|t| {
            t.days_before_expiry
                .map(|d| Trigger::DaysBeforeExpiry(i64::from(d)))
                .or(t
                    .lifetime_percentage
                    .map(|p| Trigger::LifetimePercentage(i64::from(p))))
        });
        match action.action.and_then(|a| a.action_type) {
            Some(CertificatePolicyAction::AutoRenew) => auto_renew = trigger,
            Some(CertificatePolicyAction::EmailContacts) => email_contacts = trigger,
            _ => {}
        }
    }
    CertificatePolicy {
        // No issuer in the policy is how Key Vault shows one it cannot renew from: "Unknown".
        issuer: policy
            .issuer_parameters
            .and_then(|i| i.name)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "Unknown".to_string()),
        subject: policy.x509_certificate_properties.and_then(|x| x.subject),
        auto_renew,
        email_contacts,
    }
}

/// The Rotate action of a key's rotation policy, as a trigger (its "time after create" resolved
/// against the key's creation date); `None` when Key Vault does not rotate it.
fn rotate_trigger(policy: KeyRotationPolicy, created: Option<DateTime<Utc>>) -> Option<Trigger> {
    let action = policy.lifetime_actions?.into_iter().find(|a| {
        matches!(
            a.action.as_ref().and_then(|t| t.type_prop.as_ref()),
            Some(KeyRotationPolicyAction::Rotate)
        )
    })?;
    let trigger = action.trigger?;
    if let Some(days) = trigger
        .time_before_expiry
        .as_deref()
        .and_then(iso_duration_days)
    {
        return Some(Trigger::DaysBeforeExpiry(days));
    }
    let after = trigger
        .time_after_create
        .as_deref()
        .and_then(iso_duration_days)?;
    created
        .and_then(|c| c.checked_add_signed(chrono::Duration::days(after)))
        .map(Trigger::On)
}

fn certificate(properties: &CertificateProperties) -> Option<CertificateInfo> {
    let attrs = properties.attributes.as_ref();
    Some(CertificateInfo {
        name: name_from_id(properties.id.as_deref())?,
        enabled: attrs.and_then(|a| a.enabled).unwrap_or(true),
        expires: to_chrono(attrs.and_then(|a| a.expires)),
        not_before: to_chrono(attrs.and_then(|a| a.not_before)),
        thumbprint: properties.x509_thumbprint.as_deref().map(hex),
        policy: None,
    })
}

fn crypto_key(properties: &KeyProperties) -> Option<CryptoKeyInfo> {
    // A key Key Vault manages for a certificate follows that certificate: listed there.
    if properties.managed == Some(true) {
        return None;
    }
    let attrs = properties.attributes.as_ref();
    Some(CryptoKeyInfo {
        name: name_from_id(properties.kid.as_deref())?,
        enabled: attrs.and_then(|a| a.enabled).unwrap_or(true),
        expires: to_chrono(attrs.and_then(|a| a.expires)),
        not_before: to_chrono(attrs.and_then(|a| a.not_before)),
        updated: to_chrono(attrs.and_then(|a| a.updated)),
        key_type: None,
        size: None,
        detail_note: None,
        auto_rotate: None,
    })
}

/// The type and size of a key GET's answer; the rest of the JWK (n, e, x, y) is dropped here.
fn key_detail(key: &Key) -> KeyDetail {
    let jwk = key.key.as_ref();
    // The SDK's enums serialize to Key Vault's own spelling ("RSA-HSM", "P-384").
    let text =
        |value: Option<serde_json::Value>| value.and_then(|v| v.as_str().map(str::to_string));
    let kty = text(
        jwk.and_then(|j| j.kty.as_ref())
            .and_then(|k| serde_json::to_value(k).ok()),
    );
    let crv = text(
        jwk.and_then(|j| j.crv.as_ref())
            .and_then(|c| serde_json::to_value(c).ok()),
    );
    from_jwk(
        kty.as_deref().unwrap_or_default(),
        jwk.and_then(|j| j.n.as_deref()),
        crv.as_deref(),
    )
}

/// Key Vault's key names: 1–127 letters, digits and hyphens. A listed name that is not one
/// (a hostile server's) is never put into a request path.
fn is_key_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A failed key GET, worded for the row it leaves without a type.
fn detail_refused(mut error: AppError, who: &str) -> AppError {
    match error.code {
        ErrorCode::ForbiddenByPolicy => {
            error.message = format!(
                "The vault's access policy lets {who} list keys but not get them, so the key's type and size cannot be read."
            );
            error.hint = format!(
                "In the Azure portal, vault → Access policies, add Get under Key permissions for {who}. Get returns only the public key."
            );
        }
        ErrorCode::ForbiddenByRbac | ErrorCode::Forbidden => {
            error.message = format!(
                "Key Vault does not let {who} read this key, so its type and size cannot be read."
            );
            error.hint = format!(
                "Ask the vault's owner to assign {who} Key Vault Reader or Key Vault Crypto User; both read only the public key."
            );
        }
        ErrorCode::SecretNotFound => {
            error.message =
                "The key was deleted after the listing, so its type could not be read.".to_string();
            error.hint = "Refresh (F5) to see the vault's keys as they are now.".to_string();
        }
        _ => {}
    }
    error
}

impl AzureStore {
    fn who(&self) -> String {
        self.caller
            .clone()
            .unwrap_or_else(|| "this app registration".to_string())
    }

    async fn list_certificates(&self, now: DateTime<Utc>) -> KindListing<CertificateInfo> {
        let refused = |e| {
            KindListing::Refused(per_kind(
                self.map(e, "list certificates"),
                ObjectKind::Certificate,
                &self.who(),
            ))
        };
        let pager = match self.certificates.list_certificate_properties(Some(
            CertificateClientListCertificatePropertiesOptions {
                maxresults: Some(PAGE_SIZE),
                ..Default::default()
            },
        )) {
            Ok(pager) => pager,
            Err(e) => return refused(e),
        };
        let listed = match collect_pages(pager).await {
            Ok(listed) => listed,
            Err(e) => return refused(e),
        };
        let mut certificates: Vec<CertificateInfo> =
            listed.iter().filter_map(certificate).collect();
        // Whether Key Vault renews a certificate is in its policy, one read each: only for the
        // ones whose status or reminders it changes. A policy that cannot be read leaves the
        // status to the expiry, which is the safe side.
        for cert in certificates
            .iter_mut()
            .filter(|c| needs_policy(c.expires, now))
        {
            if let Ok(response) = self
                .certificates
                .get_certificate_policy(&cert.name, None)
                .await
                && let Ok(policy) = response.into_model()
            {
                cert.policy = Some(policy_from_sdk(policy));
            }
        }
        KindListing::Listed(certificates)
    }

    async fn list_crypto_keys(&self, now: DateTime<Utc>) -> KindListing<CryptoKeyInfo> {
        let refused = |e| {
            KindListing::Refused(per_kind(
                self.map(e, "list keys"),
                ObjectKind::Key,
                &self.who(),
            ))
        };
        let pager = match self
            .keys
            .list_key_properties(Some(KeyClientListKeyPropertiesOptions {
                maxresults: Some(PAGE_SIZE),
                ..Default::default()
            })) {
            Ok(pager) => pager,
            Err(e) => return refused(e),
        };
        let listed = match collect_pages(pager).await {
            Ok(listed) => listed,
            Err(e) => return refused(e),
        };
        let mut keys = Vec::new();
        for properties in &listed {
            let Some(mut key) = crypto_key(properties) else {
                continue;
            };
            // As for certificates: whether Key Vault rotates it matters only near expiry, so
            // the policy is read (one request) only then; unreadable leaves the expiry to decide.
            if needs_policy(key.expires, now)
                && let Ok(response) = self.keys.get_key_rotation_policy(&key.name, None).await
                && let Ok(policy) = response.into_model()
            {
                let created = to_chrono(properties.attributes.as_ref().and_then(|a| a.created));
                key.auto_rotate = rotate_trigger(policy, created);
            }
            keys.push(key);
        }
        KindListing::Listed(keys)
    }

    /// One key's type and size: a GET of its current version (public JWK only; Key Vault
    /// never returns private material for a GET), on the same guarded client as the listing.
    pub(super) async fn get_key_detail(
        &self,
        name: &str,
    ) -> Result<(KeyDetail, Option<DateTime<Utc>>), AppError> {
        if !is_key_name(name) {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "That is not a Key Vault key name.",
                "Key names are 1–127 letters, digits and hyphens. Refresh (F5) and pick the key from the list.",
            ));
        }
        let refused = |e| detail_refused(self.map(e, "read a key's type"), &self.who());
        let key = self
            .keys
            .get_key(name, None)
            .await
            .map_err(refused)?
            .into_model()
            .map_err(refused)?;
        let updated = to_chrono(key.attributes.as_ref().and_then(|a| a.updated));
        Ok((key_detail(&key), updated))
    }

    /// Both kinds, side by side, and the tenant's app credentials through Graph.
    pub(super) async fn list_vault_objects(&self) -> ObjectListing {
        let now = Utc::now();
        let app_credentials = async {
            match &self.graph {
                Ok(graph) => {
                    graph
                        .client
                        .list_app_credentials(&graph.caller, &graph.client_id, &graph.tenant_id)
                        .await
                }
                Err(error) => KindListing::Refused(error.clone()),
            }
        };
        let (certificates, keys, app_credentials) = futures::join!(
            self.list_certificates(now),
            self.list_crypto_keys(now),
            app_credentials
        );
        ObjectListing {
            certificates,
            keys,
            app_credentials,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_ids_with_or_without_a_version() {
        assert_eq!(
            name_from_id(Some("https://v.vault.azure.net/certificates/web-tls")).as_deref(),
            Some("web-tls")
        );
        assert_eq!(
            name_from_id(Some("https://v.vault.azure.net/keys/cmk/0123abcd")).as_deref(),
            Some("cmk")
        );
        assert_eq!(name_from_id(Some("not a url")), None);
    }

    #[test]
    fn a_rotate_action_is_read_before_expiry_or_after_creation() {
        let policy = |trigger: serde_json::Value, action: &str| -> KeyRotationPolicy {
            serde_json::from_value(serde_json::json!({
                "lifetimeActions": [{"trigger": trigger, "action": {"type": action}}]
            }))
            .expect("policy")
        };
        assert_eq!(
            rotate_trigger(
                policy(serde_json::json!({"timeBeforeExpiry": "P7D"}), "Rotate"),
                None
            ),
            Some(Trigger::DaysBeforeExpiry(7))
        );
        let created = chrono::DateTime::from_timestamp(1_790_000_000, 0);
        let on = rotate_trigger(
            policy(serde_json::json!({"timeAfterCreate": "P90D"}), "Rotate"),
            created,
        );
        assert_eq!(
            on,
            created.map(|c| Trigger::On(c + chrono::Duration::days(90)))
        );
        // Notify only: Key Vault tells, it does not rotate.
        assert_eq!(
            rotate_trigger(
                policy(serde_json::json!({"timeBeforeExpiry": "P30D"}), "Notify"),
                None
            ),
            None
        );
    }

    #[test]
    fn a_refusal_names_the_kind_and_its_roles() {
        let error = per_kind(
            AppError::new(ErrorCode::ForbiddenByRbac, "x", "y"),
            ObjectKind::Certificate,
            "lee@contoso.com",
        );
        assert!(error.message.contains("certificates"));
        assert!(error.message.contains("API keys are listed as usual"));
        assert!(error.hint.contains("Key Vault Certificates Officer"));
    }

    #[test]
    fn managed_keys_follow_their_certificate() {
        let listed = |managed: bool| -> KeyProperties {
            serde_json::from_value(serde_json::json!({
                "kid": "https://v.vault.azure.net/keys/web-tls",
                "managed": managed,
            }))
            .expect("key item")
        };
        assert!(crypto_key(&listed(true)).is_none());
        assert_eq!(
            crypto_key(&listed(false)).map(|k| k.name).as_deref(),
            Some("web-tls")
        );
    }

    #[test]
    fn a_key_get_gives_type_and_size_and_nothing_else() {
        let key: Key = serde_json::from_value(serde_json::json!({
            "key": {
                "kid": "https://v.vault.azure.net/keys/cmk/0123",
                "kty": "RSA-HSM",
                "n": "AL".to_string() + &"A".repeat(512),
                "e": "AQAB",
                "key_ops": ["wrapKey", "unwrapKey"],
            },
            "attributes": {"enabled": true, "created": 1790000000, "updated": 1790000100},
        }))
        .expect("key bundle");
        // "AL" + 512 "A"s: 385 bytes, 0x00 0xB0 then zeros: a leading zero and 384 bytes.
        assert_eq!(key_detail(&key).key_type, "RSA-HSM");
        assert_eq!(key_detail(&key).size.as_deref(), Some("3072 bits"));
        let ec: Key = serde_json::from_value(serde_json::json!({
            "key": {"kty": "EC", "crv": "P-384", "x": "AQ", "y": "AQ"},
        }))
        .expect("ec");
        assert_eq!(key_detail(&ec).size.as_deref(), Some("P-384"));
        assert!(is_key_name("cmk-01") && !is_key_name("..") && !is_key_name(""));
    }

    #[test]
    fn a_policy_without_an_issuer_is_unknown_and_its_actions_are_read() {
        let policy: SdkPolicy = serde_json::from_value(serde_json::json!({
            "issuer": {"name": "Self"},
            "x509_props": {"subject": "CN=web"},
            "lifetime_actions": [
                {"trigger": {"days_before_expiry": 30}, "action": {"action_type": "AutoRenew"}}
            ]
        }))
        .expect("policy");
        let ours = policy_from_sdk(policy);
        assert_eq!(ours.issuer, "Self");
        assert_eq!(ours.auto_renew, Some(Trigger::DaysBeforeExpiry(30)));
        assert_eq!(ours.subject.as_deref(), Some("CN=web"));
        let bare = policy_from_sdk(SdkPolicy::default());
        assert_eq!(bare.issuer, "Unknown");
    }
}
