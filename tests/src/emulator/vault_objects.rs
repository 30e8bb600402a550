//! Key Vault certificates and keys, read side: list (25 a page, `nextLink`), get, a
//! certificate's policy, a key's public JWK. A certificate brings its managed key and managed
//! secret (holding the private key, as in Azure), so a client that reads what it must not can be
//! caught. Test setup creates them through [`super::Emulator::create_certificate`] and
//! [`super::Emulator::create_key`].

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sha2::Digest;

use super::Emulator;
use super::routes::Route;
use super::state::State;
use super::store::{
    KvError, RECOVERABLE_DAYS, SecretItem, SecretVersion, new_version_id, now_unix, store_key,
    validate_name,
};
use super::vault::{VaultCall, VaultResult, list_page};

/// A certificate for test setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedCertificate {
    pub enabled: bool,
    pub not_before: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    /// "Self", "Unknown" or a CA provider's issuer name.
    pub issuer: String,
    pub subject: String,
    /// ("AutoRenew" | "EmailContacts", days before expiry).
    pub lifetime_actions: Vec<(String, i64)>,
}

impl SeedCertificate {
    pub fn new(not_before: DateTime<Utc>, expires: DateTime<Utc>) -> SeedCertificate {
        SeedCertificate {
            enabled: true,
            not_before,
            expires,
            issuer: "Self".to_string(),
            subject: "CN=test".to_string(),
            lifetime_actions: vec![("EmailContacts".to_string(), 30)],
        }
    }

    pub fn issuer(mut self, issuer: &str) -> SeedCertificate {
        self.issuer = issuer.to_string();
        self
    }

    /// Key Vault renews it this many days before expiry.
    pub fn auto_renew(mut self, days_before_expiry: i64) -> SeedCertificate {
        self.lifetime_actions = vec![("AutoRenew".to_string(), days_before_expiry)];
        self
    }
}

/// A key for test setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedKey {
    pub enabled: bool,
    /// "RSA", "RSA-HSM", "EC", "EC-HSM", "oct-HSM".
    pub kty: String,
    pub size_or_curve: String,
    pub expires: Option<DateTime<Utc>>,
    /// The rotation policy's Rotate action, days before expiry (`None`: Key Vault's default
    /// policy, which only notifies).
    pub rotate_before_expiry: Option<i64>,
}

impl SeedKey {
    pub fn rsa(bits: u32) -> SeedKey {
        SeedKey {
            enabled: true,
            kty: "RSA".to_string(),
            size_or_curve: bits.to_string(),
            expires: None,
            rotate_before_expiry: None,
        }
    }

    /// An EC key on `curve` ("P-256", "P-384", "P-521", "P-256K").
    pub fn ec(curve: &str) -> SeedKey {
        SeedKey {
            kty: "EC".to_string(),
            size_or_curve: curve.to_string(),
            ..SeedKey::rsa(0)
        }
    }

    /// The same key type kept in an HSM ("RSA-HSM", "EC-HSM"; Premium vaults).
    pub fn hsm(mut self) -> SeedKey {
        if !self.kty.ends_with("-HSM") {
            self.kty.push_str("-HSM");
        }
        self
    }
}

#[derive(Debug, Clone)]
struct CertEntry {
    name: String,
    version: String,
    seed: SeedCertificate,
    created: i64,
    x5t: Vec<u8>,
}

#[derive(Debug, Clone)]
struct KeyEntry {
    name: String,
    version: String,
    seed: SeedKey,
    managed: bool,
    not_before: Option<i64>,
    created: i64,
    /// Earlier versions, oldest first (readable by version, as in Key Vault).
    older: Vec<KeyEntry>,
}

/// The vault's certificates and keys.
#[derive(Debug, Default)]
pub struct ObjectStore {
    certificates: BTreeMap<String, CertEntry>,
    keys: BTreeMap<String, KeyEntry>,
    /// Store keys of secrets that back a certificate (`managed: true` in listings).
    pub managed_secrets: BTreeSet<String>,
}

fn attributes(enabled: bool, nbf: Option<i64>, exp: Option<i64>, created: i64) -> Value {
    let mut a = Map::new();
    a.insert("enabled".into(), json!(enabled));
    if let Some(nbf) = nbf {
        a.insert("nbf".into(), json!(nbf));
    }
    if let Some(exp) = exp {
        a.insert("exp".into(), json!(exp));
    }
    a.insert("created".into(), json!(created));
    a.insert("updated".into(), json!(created));
    a.insert("recoveryLevel".into(), json!("Recoverable+Purgeable"));
    a.insert("recoverableDays".into(), json!(RECOVERABLE_DAYS));
    Value::Object(a)
}

fn cert_attributes(c: &CertEntry) -> Value {
    attributes(
        c.seed.enabled,
        Some(c.seed.not_before.timestamp()),
        Some(c.seed.expires.timestamp()),
        c.created,
    )
}

fn key_attributes(k: &KeyEntry) -> Value {
    let mut a = attributes(
        k.seed.enabled,
        k.not_before,
        k.seed.expires.map(|e| e.timestamp()),
        k.created,
    );
    // Key Vault adds whether the private key may be released (never, for these keys).
    a["exportable"] = json!(false);
    a
}

fn policy(base: &str, c: &CertEntry) -> Value {
    let actions: Vec<Value> = c
        .seed
        .lifetime_actions
        .iter()
        .map(|(action, days)| {
            json!({"trigger": {"days_before_expiry": days}, "action": {"action_type": action}})
        })
        .collect();
    json!({
        "id": format!("{base}/certificates/{}/policy", c.name),
        "key_props": {"exportable": true, "kty": "RSA", "key_size": 2048, "reuse_key": false},
        "secret_props": {"contentType": "application/x-pkcs12"},
        "x509_props": {"subject": c.seed.subject, "sans": {}, "key_usage": ["digitalSignature", "keyEncipherment"], "validity_months": 12},
        "lifetime_actions": actions,
        "issuer": {"name": c.seed.issuer},
        "attributes": {"enabled": true, "created": c.created, "updated": c.created}
    })
}

/// Bytes of one coordinate on a curve Key Vault offers (P-521 rounds up to 66).
fn coordinate_len(curve: &str) -> usize {
    match curve {
        "P-384" => 48,
        "P-521" => 66,
        _ => 32, // P-256, P-256K
    }
}

/// Deterministic stand-in bytes for a public component (not a real key: only lengths matter).
fn filler(seed: &str, len: usize) -> Vec<u8> {
    let digest = sha2::Sha256::digest(seed.as_bytes());
    (0..len).map(|i| digest[i % digest.len()]).collect()
}

/// The public half only, as Key Vault's GET answers it: n and e for RSA (n exactly the key
/// size, its top bit set, as a modulus of that size has), crv, x and y for EC, and for a
/// symmetric key nothing but kid, kty and key_ops (its `k` never leaves the HSM).
fn public_jwk(base: &str, k: &KeyEntry) -> Value {
    let kid = format!("{base}/keys/{}/{}", k.name, k.version);
    let mut jwk = Map::new();
    jwk.insert("kid".into(), json!(kid));
    jwk.insert("kty".into(), json!(k.seed.kty));
    let id = format!("{}/{}", k.name, k.version);
    if k.seed.kty.starts_with("RSA") {
        let bits: usize = k.seed.size_or_curve.parse().unwrap_or(2048);
        let mut n = filler(&id, bits / 8);
        if let Some(first) = n.first_mut() {
            *first |= 0x80;
        }
        if let Some(last) = n.last_mut() {
            *last |= 0x01; // odd, as a product of two odd primes is
        }
        jwk.insert(
            "key_ops".into(),
            json!([
                "encrypt",
                "decrypt",
                "sign",
                "verify",
                "wrapKey",
                "unwrapKey"
            ]),
        );
        jwk.insert("n".into(), json!(URL_SAFE_NO_PAD.encode(n)));
        jwk.insert("e".into(), json!("AQAB"));
    } else if k.seed.kty.starts_with("EC") {
        let len = coordinate_len(&k.seed.size_or_curve);
        jwk.insert("key_ops".into(), json!(["sign", "verify"]));
        jwk.insert("crv".into(), json!(k.seed.size_or_curve));
        jwk.insert(
            "x".into(),
            json!(URL_SAFE_NO_PAD.encode(filler(&format!("{id}/x"), len))),
        );
        jwk.insert(
            "y".into(),
            json!(URL_SAFE_NO_PAD.encode(filler(&format!("{id}/y"), len))),
        );
    } else {
        jwk.insert(
            "key_ops".into(),
            json!(["encrypt", "decrypt", "wrapKey", "unwrapKey"]),
        );
    }
    Value::Object(jwk)
}

fn not_found(kind: &str, name: &str) -> KvError {
    // Key Vault names the kind in the code: KeyNotFound, CertificateNotFound.
    let code = match kind {
        "key" => "KeyNotFound",
        _ => "CertificateNotFound",
    };
    KvError::new(
        404,
        code,
        format!(
            "A {kind} with (name/id) {name} was not found in this key vault. If you recently deleted this {kind} you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
        None,
    )
}

/// Runs a certificate or key route; `None` when the route is not one of them.
pub fn execute(state: &mut State, call: &VaultCall<'_>) -> Option<VaultResult> {
    let base = call.base;
    let objects = &state.objects;
    Some(match call.route {
        Route::ListCertificates => {
            let entries = objects
                .certificates
                .iter()
                .map(|(key, c)| {
                    (
                        key.clone(),
                        json!({
                            "id": format!("{base}/certificates/{}", c.name),
                            "attributes": cert_attributes(c),
                            "x5t": URL_SAFE_NO_PAD.encode(&c.x5t),
                        }),
                    )
                })
                .collect();
            list_page(entries, call, "/certificates")
        }
        Route::GetCertificate { name, .. } => match objects.certificates.get(&store_key(name)) {
            Some(c) => Ok((
                200,
                Some(json!({
                    "id": format!("{base}/certificates/{}/{}", c.name, c.version),
                    "kid": format!("{base}/keys/{}/{}", c.name, c.version),
                    "sid": format!("{base}/secrets/{}/{}", c.name, c.version),
                    "x5t": URL_SAFE_NO_PAD.encode(&c.x5t),
                    "cer": URL_SAFE_NO_PAD.encode(format!("public certificate of {}", c.name)),
                    "attributes": cert_attributes(c),
                    "policy": policy(base, c),
                })),
            )),
            None => Err(not_found("certificate", name)),
        },
        Route::GetCertificatePolicy { name } => match objects.certificates.get(&store_key(name)) {
            Some(c) => Ok((200, Some(policy(base, c)))),
            None => Err(not_found("certificate", name)),
        },
        Route::ListKeys => {
            let entries = objects
                .keys
                .iter()
                .map(|(key, k)| {
                    let mut item = json!({
                        "kid": format!("{base}/keys/{}", k.name),
                        "attributes": key_attributes(k),
                    });
                    if k.managed {
                        item["managed"] = json!(true);
                    }
                    (key.clone(), item)
                })
                .collect();
            list_page(entries, call, "/keys")
        }
        Route::GetKey { name, version } => {
            let current = objects.keys.get(&store_key(name));
            let found = match version {
                None => current,
                Some(v) => current.and_then(|k| {
                    std::iter::once(k)
                        .chain(k.older.iter())
                        .find(|e| e.version.eq_ignore_ascii_case(v))
                }),
            };
            match found {
                Some(k) => {
                    let mut body =
                        json!({"key": public_jwk(base, k), "attributes": key_attributes(k)});
                    if k.managed {
                        body["managed"] = json!(true);
                    }
                    Ok((200, Some(body)))
                }
                None => Err(not_found(
                    "key",
                    &match version {
                        Some(v) => format!("{name}/{v}"),
                        None => name.clone(),
                    },
                )),
            }
        }
        Route::GetKeyRotationPolicy { name } => match objects.keys.get(&store_key(name)) {
            // A key never given a policy answers Key Vault's default: notify 30 days before.
            Some(k) => {
                let action = match k.seed.rotate_before_expiry {
                    Some(days) => {
                        json!({"trigger": {"timeBeforeExpiry": format!("P{days}D")}, "action": {"type": "Rotate"}})
                    }
                    None => {
                        json!({"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Notify"}})
                    }
                };
                Ok((
                    200,
                    Some(json!({
                        "id": format!("{base}/keys/{}/rotationpolicy", k.name),
                        "lifetimeActions": [action],
                        "attributes": {"expiryTime": "P1Y", "created": k.created, "updated": k.created},
                    })),
                ))
            }
            None => Err(not_found("key", name)),
        },
        _ => return None,
    })
}

impl Emulator {
    /// Creates a certificate with its managed key and managed secret (the secret holds a
    /// stand-in for the PFX, as Key Vault's holds the private key).
    pub fn create_certificate(&self, name: &str, seed: SeedCertificate) -> Result<(), KvError> {
        validate_name(name)?;
        let mut state = self.shared.lock();
        let key = store_key(name);
        let now = now_unix();
        let version = new_version_id();
        let x5t = sha2::Sha256::digest(format!("{name}/{version}").as_bytes())[..20].to_vec();
        state.objects.keys.insert(
            key.clone(),
            KeyEntry {
                name: name.to_string(),
                version: version.clone(),
                seed: SeedKey {
                    enabled: seed.enabled,
                    kty: "RSA".to_string(),
                    size_or_curve: "2048".to_string(),
                    expires: Some(seed.expires),
                    rotate_before_expiry: None,
                },
                managed: true,
                not_before: Some(seed.not_before.timestamp()),
                created: now,
                older: Vec::new(),
            },
        );
        state.store.active.insert(
            key.clone(),
            SecretItem {
                name: name.to_string(),
                versions: vec![SecretVersion {
                    version: version.clone(),
                    value: format!("PRIVATE-KEY-OF-{name}"),
                    content_type: Some("application/x-pkcs12".to_string()),
                    enabled: seed.enabled,
                    nbf: Some(seed.not_before.timestamp()),
                    exp: Some(seed.expires.timestamp()),
                    created: now,
                    updated: now,
                    tags: BTreeMap::new(),
                }],
            },
        );
        state.objects.managed_secrets.insert(key.clone());
        state.objects.certificates.insert(
            key,
            CertEntry {
                name: name.to_string(),
                version,
                seed,
                created: now,
                x5t,
            },
        );
        Ok(())
    }

    /// Creates a key of its own (not a certificate's); for an existing name, a new version
    /// (its `updated` is the time of the call), the earlier ones kept, as Key Vault's create does.
    pub fn create_key(&self, name: &str, seed: SeedKey) -> Result<(), KvError> {
        validate_name(name)?;
        let mut state = self.shared.lock();
        let key = store_key(name);
        let mut older = Vec::new();
        if let Some(mut previous) = state.objects.keys.remove(&key) {
            older = std::mem::take(&mut previous.older);
            older.push(previous);
        }
        state.objects.keys.insert(
            key,
            KeyEntry {
                name: name.to_string(),
                version: new_version_id(),
                seed,
                managed: false,
                not_before: None,
                created: now_unix(),
                older,
            },
        );
        Ok(())
    }

    /// Deletes a key (all its versions), as a delete from another tool would.
    pub fn delete_key(&self, name: &str) -> bool {
        self.shared
            .lock()
            .objects
            .keys
            .remove(&store_key(name))
            .is_some()
    }
}
