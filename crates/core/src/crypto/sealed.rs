//! Encryption at rest for account secrets (private keys, secret keys), the counterpart of
//! Keygen encrypting account private keys in its database.
//!
//! Format: `v1.<b64url nonce>.<b64url ciphertext‖tag>` (unpadded url-safe base64), AES-256-GCM
//! with a random 96-bit nonce. The optional context is bound as associated data, so a value
//! sealed for one record (say, one account id) does not open for another.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, Key, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

use super::error::CryptoError;

/// Version prefix of the sealed format.
const VERSION: &str = "v1";
/// AES-GCM nonce length.
const NONCE_LEN: usize = 12;

/// Seals `plaintext` under `secret` with no context.
pub fn seal(secret: &[u8; 32], plaintext: &[u8]) -> Result<String, CryptoError> {
    seal_with_context(secret, b"", plaintext)
}

/// Opens a value produced by [`seal`].
pub fn open(secret: &[u8; 32], sealed: &str) -> Result<Vec<u8>, CryptoError> {
    open_with_context(secret, b"", sealed)
}

/// Seals `plaintext` under `secret`, binding `context` (e.g. `b"account:<id>:ed25519"`).
pub fn seal_with_context(
    secret: &[u8; 32],
    context: &[u8],
    plaintext: &[u8],
) -> Result<String, CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| CryptoError::Encryption)?;
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(secret));
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: context,
            },
        )
        .map_err(|_| CryptoError::Encryption)?;
    Ok(format!(
        "{VERSION}.{}.{}",
        URL_SAFE_NO_PAD.encode(nonce),
        URL_SAFE_NO_PAD.encode(ciphertext)
    ))
}

/// Opens a value produced by [`seal_with_context`] with the same `context`.
pub fn open_with_context(
    secret: &[u8; 32],
    context: &[u8],
    sealed: &str,
) -> Result<Vec<u8>, CryptoError> {
    let mut parts = sealed.split('.');
    let (Some(version), Some(nonce), Some(ciphertext), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(CryptoError::SealedMalformed(
            "expected v1.<nonce>.<ciphertext>",
        ));
    };
    if version != VERSION {
        return Err(CryptoError::SealedMalformed("unsupported version"));
    }
    let nonce = URL_SAFE_NO_PAD
        .decode(nonce)
        .map_err(|_| CryptoError::SealedMalformed("nonce is not base64url"))?;
    if nonce.len() != NONCE_LEN {
        return Err(CryptoError::SealedMalformed("nonce must be 12 bytes"));
    }
    let ciphertext = URL_SAFE_NO_PAD
        .decode(ciphertext)
        .map_err(|_| CryptoError::SealedMalformed("ciphertext is not base64url"))?;
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(secret));
    cipher
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: context,
            },
        )
        .map_err(|_| CryptoError::SealedOpenFailed)
}

/// Which of an account's private keys a sealed value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKey {
    /// Ed25519 (PKCS#8 DER).
    Ed25519,
    /// ECDSA P-256 (PKCS#8 DER).
    EcdsaP256,
    /// RSA-2048 (PKCS#8 DER).
    Rsa,
}

impl AccountKey {
    /// Every kind, in storage order.
    pub const ALL: [AccountKey; 3] = [AccountKey::Ed25519, AccountKey::EcdsaP256, AccountKey::Rsa];

    fn label(self) -> &'static str {
        match self {
            AccountKey::Ed25519 => "ed25519",
            AccountKey::EcdsaP256 => "ecdsa-p256",
            AccountKey::Rsa => "rsa-2048",
        }
    }
}

/// The associated data binding a private key to its account and kind, so a sealed key
/// copied into another account's row (or another column) does not open.
fn account_context(account_id: &str, kind: AccountKey) -> Vec<u8> {
    format!("latchkey/account/{account_id}/private-key/{}", kind.label()).into_bytes()
}

/// Seals an account's private key, bound to the account id and the key kind.
pub fn seal_account_key(
    secret: &[u8; 32],
    account_id: &str,
    kind: AccountKey,
    der: &[u8],
) -> Result<String, CryptoError> {
    seal_with_context(secret, &account_context(account_id, kind), der)
}

/// Opens a key sealed by [`seal_account_key`] for the same account and kind.
pub fn open_account_key(
    secret: &[u8; 32],
    account_id: &str,
    kind: AccountKey,
    sealed: &str,
) -> Result<Vec<u8>, CryptoError> {
    open_with_context(secret, &account_context(account_id, kind), sealed)
}

/// Upgrades a key sealed before the account was bound (no associated data): returns
/// the key re-sealed with [`seal_account_key`], or `None` when it is already bound.
/// Fails when the value opens neither way.
pub fn reseal_unbound_account_key(
    secret: &[u8; 32],
    account_id: &str,
    kind: AccountKey,
    sealed: &str,
) -> Result<Option<String>, CryptoError> {
    if open_account_key(secret, account_id, kind, sealed).is_ok() {
        return Ok(None);
    }
    let der = open(secret, sealed)?;
    seal_account_key(secret, account_id, kind, &der).map(Some)
}

#[cfg(test)]
mod account_key_tests {
    use super::*;

    const SECRET: [u8; 32] = [7; 32];

    #[test]
    fn a_key_opens_only_for_its_account_and_kind() -> Result<(), CryptoError> {
        let sealed = seal_account_key(&SECRET, "acct-a", AccountKey::Ed25519, b"der")?;
        assert_eq!(
            open_account_key(&SECRET, "acct-a", AccountKey::Ed25519, &sealed)?,
            b"der"
        );
        assert!(open_account_key(&SECRET, "acct-b", AccountKey::Ed25519, &sealed).is_err());
        assert!(open_account_key(&SECRET, "acct-a", AccountKey::Rsa, &sealed).is_err());
        assert!(open(&SECRET, &sealed).is_err());
        Ok(())
    }

    #[test]
    fn unbound_keys_are_resealed_once() -> Result<(), CryptoError> {
        let legacy = seal(&SECRET, b"der")?;
        let upgraded = reseal_unbound_account_key(&SECRET, "acct-a", AccountKey::Rsa, &legacy)?
            .ok_or(CryptoError::SealedOpenFailed)?;
        assert_eq!(
            open_account_key(&SECRET, "acct-a", AccountKey::Rsa, &upgraded)?,
            b"der"
        );
        assert_eq!(
            reseal_unbound_account_key(&SECRET, "acct-a", AccountKey::Rsa, &upgraded)?,
            None
        );
        assert!(reseal_unbound_account_key(&[8; 32], "acct-a", AccountKey::Rsa, &legacy).is_err());
        Ok(())
    }
}
