//! The server secret (`LATCHKEY_SECRET_KEY`, 64 hex chars): encrypts account private
//! keys at rest and keys the HMAC digests under which API tokens are stored.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// 32 secret bytes. `Debug` never shows them.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

/// Why a secret key text was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("LATCHKEY_SECRET_KEY must be exactly 64 hexadecimal characters (32 bytes)")]
pub struct InvalidSecretKey;

impl SecretKey {
    /// Parses 64 hex characters.
    pub fn from_hex(text: &str) -> Result<Self, InvalidSecretKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| InvalidSecretKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| InvalidSecretKey)?;
        Ok(Self(bytes))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The hex form (for writing `secret.key`).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The raw bytes (for AES-256-GCM sealing).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Hex HMAC-SHA256 of `message` under this key: how tokens are stored.
    pub fn digest(&self, message: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        mac.update(message.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `stored` is the digest of `message`, compared in constant time (the
    /// comparison takes the same time wherever the first differing byte is).
    pub fn digest_matches(&self, message: &str, stored: &str) -> bool {
        use subtle::ConstantTimeEq;
        let computed = self.digest(message);
        computed.len() == stored.len() && bool::from(computed.as_bytes().ct_eq(stored.as_bytes()))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_digests() {
        let key = SecretKey::from_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(key.digest("x"), key.digest("x"));
        assert_ne!(key.digest("x"), key.digest("y"));
        assert_eq!(key.digest("x").len(), 64);
        assert!(SecretKey::from_hex("abc").is_err());
        assert!(!format!("{key:?}").contains("ab"));
        assert!(key.digest_matches("x", &key.digest("x")));
        assert!(!key.digest_matches("y", &key.digest("x")));
        assert!(!key.digest_matches("x", ""));
        assert!(!key.digest_matches("x", &key.digest("x")[..63]));
    }
}
