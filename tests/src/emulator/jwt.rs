//! The emulator's token signing key: RS256 JWTs and the JWKS document that publishes the key.
//!
//! One RSA-2048 key per emulator, made on first use (most tests never sign in), so clients
//! such as the `openidconnect` crate can verify id tokens exactly as against Entra.

use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub struct SigningKey {
    key: KeyPair,
    /// Key id in the JWT header and the JWKS (Entra also sends it as `x5t`).
    kid: String,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn generate() -> Result<SigningKey, String> {
        let key = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| "RSA key generation failed".to_string())?;
        let (modulus, exponent) = rsa_public_components(key.public_key().as_ref())
            .ok_or_else(|| "could not read the RSA public key".to_string())?;
        let digest = Sha256::digest([modulus.as_slice(), exponent.as_slice()].concat());
        let kid = URL_SAFE_NO_PAD.encode(&digest[..20]);
        Ok(SigningKey {
            key,
            kid,
            modulus,
            exponent,
        })
    }

    /// The claims of a JWT this key signed (signature checked), or `None`.
    pub fn verified_claims(&self, token: &str) -> Option<Value> {
        let (signing_input, signature) = token.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            self.key.public_key().as_ref(),
        )
        .verify(signing_input.as_bytes(), &signature)
        .ok()?;
        jwt_claims(token)
    }

    /// A compact RS256 JWT of `claims`.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let header = json!({"typ": "JWT", "alg": "RS256", "x5t": self.kid, "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "RS256 signing failed".to_string())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// A JWT of at least `min_len` characters: Entra's access tokens run 1.5–2.5 KB (group
    /// memberships, `xms_*` claims), so clients that keep or forward them meet real sizes. The
    /// `groups` claim is filled with object ids (Entra sends up to 200 before switching to an
    /// overage claim) until the token reaches the length.
    pub fn sign_sized(&self, claims: &Value, min_len: usize) -> Result<String, String> {
        let mut claims = claims.clone();
        let header = json!({"typ": "JWT", "alg": "RS256", "x5t": self.kid, "kid": self.kid});
        // The header and the signature have fixed lengths for one key; two dots join them.
        let fixed = URL_SAFE_NO_PAD.encode(header.to_string()).len()
            + (self.key.public_modulus_len() * 4).div_ceil(3)
            + 2;
        let mut groups = claims
            .get("groups")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        while fixed + URL_SAFE_NO_PAD.encode(claims.to_string()).len() < min_len
            && groups.len() < 200
        {
            groups.push(Value::String(random_object_id()));
            claims["groups"] = Value::Array(groups.clone());
        }
        self.sign(&claims)
    }

    /// `GET /{tenant}/discovery/v2.0/keys`, shaped like Entra's (without the `x5c` chain).
    pub fn jwks(&self, issuer: &str) -> Value {
        json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "kid": self.kid,
                "x5t": self.kid,
                "n": URL_SAFE_NO_PAD.encode(&self.modulus),
                "e": URL_SAFE_NO_PAD.encode(&self.exponent),
                "alg": "RS256",
                "issuer": issuer,
            }]
        })
    }
}

/// A random GUID, as Entra writes object ids.
fn random_object_id() -> String {
    let v: u128 = rand::random();
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        v >> 96,
        (v >> 80) & 0xffff,
        (v >> 64) & 0xffff,
        (v >> 48) & 0xffff,
        v & 0xffff_ffff_ffff
    )
}

/// Reads one DER element (tag, contents) from the front of `input`; returns it and the rest.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |acc, &byte| (acc << 8) | usize::from(byte));
        (length, &rest[count..])
    };
    if rest.len() < length {
        return None;
    }
    Some((tag, &rest[..length], &rest[length..]))
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` → (n, e) as
/// unsigned big-endian bytes without leading zeros.
fn rsa_public_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (tag, sequence, _) = der_element(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, modulus, rest) = der_element(sequence)?;
    if tag != 0x02 {
        return None;
    }
    let (tag, exponent, _) = der_element(rest)?;
    if tag != 0x02 {
        return None;
    }
    let strip = |bytes: &[u8]| {
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        bytes[start..].to_vec()
    };
    Some((strip(modulus), strip(exponent)))
}

/// The claims of a JWT, without checking its signature (for tests that look inside the tokens
/// the emulator issued; verify signatures against the JWKS instead when that matters).
pub fn jwt_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};

    #[test]
    fn signed_tokens_verify_against_the_published_key() {
        let started = std::time::Instant::now();
        let key = SigningKey::generate().unwrap();
        eprintln!("RSA-2048 key generated in {:?}", started.elapsed());
        assert_eq!(key.modulus.len(), 256);
        assert_eq!(key.exponent, vec![1, 0, 1]);
        let token = key.sign(&json!({"sub": "x"})).unwrap();
        let mut parts = token.rsplitn(2, '.');
        let signature = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        let signed = parts.next().unwrap();
        let jwks = key.jwks("iss");
        let n = URL_SAFE_NO_PAD
            .decode(jwks["keys"][0]["n"].as_str().unwrap())
            .unwrap();
        let e = URL_SAFE_NO_PAD
            .decode(jwks["keys"][0]["e"].as_str().unwrap())
            .unwrap();
        RsaPublicKeyComponents { n: &n, e: &e }
            .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature)
            .unwrap();
        assert_eq!(jwt_claims(&token).unwrap()["sub"], "x");
    }
}
