//! Values the console generates itself (VPN pre-shared keys, backup passphrases): 64 characters
//! from the operating system's CSPRNG, never shown to the webview.

use rand::{Rng, TryRngCore, rngs::OsRng};

use crate::domain::secret::SecretValue;

pub const GENERATED_LENGTH: usize = 64;

/// Letters and digits only: accepted by every device and portal we have met, and 64 of them
/// carry about 381 bits of entropy.
pub const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub fn generate_value() -> SecretValue {
    let mut rng = OsRng.unwrap_err();
    let mut text = zeroize::Zeroizing::new(String::with_capacity(GENERATED_LENGTH));
    for _ in 0..GENERATED_LENGTH {
        let index = rng.random_range(0..ALPHABET.len());
        text.push(char::from(ALPHABET[index]));
    }
    SecretValue::new(text.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn length_and_alphabet() {
        for _ in 0..200 {
            let value = generate_value();
            assert_eq!(value.expose().chars().count(), GENERATED_LENGTH);
            assert!(value.expose().bytes().all(|b| ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn values_differ_and_use_the_whole_alphabet() {
        let values: Vec<SecretValue> = (0..100).map(|_| generate_value()).collect();
        let distinct: HashSet<&str> = values.iter().map(|v| v.expose()).collect();
        assert_eq!(distinct.len(), 100);
        let used: HashSet<u8> = values.iter().flat_map(|v| v.expose().bytes()).collect();
        // 6,400 draws from 62 symbols: every symbol appears with overwhelming probability.
        assert_eq!(used.len(), ALPHABET.len());
    }
}
