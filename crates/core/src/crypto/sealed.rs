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
