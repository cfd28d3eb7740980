//! Errors of the signing side: key generation and loading, signing, sealing and the
//! scheme-specific license key rules Keygen reports as `KEY_BYTE_SIZE_EXCEEDED` and
//! `KEY_JWT_CLAIMS_INVALID`.

/// Why a signing-side operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The system random generator or a key generator failed.
    #[error("key generation failed: {0}")]
    KeyGeneration(&'static str),
    /// A stored private key could not be loaded.
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(&'static str),
    /// Signing failed (random generator failure or key/algorithm mismatch).
    #[error("signing failed: {0}")]
    Signing(&'static str),
    /// Encryption failed (random generator failure or oversized input).
    #[error("encryption failed")]
    Encryption,
    /// A sealed value is not of the form `v1.<nonce>.<ciphertext>`.
    #[error("malformed sealed value: {0}")]
    SealedMalformed(&'static str),
    /// A sealed value did not authenticate (wrong secret, wrong context or tampered).
    #[error("sealed value failed to open")]
    SealedOpenFailed,
    /// An `RSA_2048_PKCS1_ENCRYPT` dataset is longer than 245 bytes (Keygen's
    /// `KEY_BYTE_SIZE_EXCEEDED`).
    #[error("dataset is {len} bytes; at most {max} bytes can be encrypted")]
    KeyByteSizeExceeded {
        /// Length of the dataset in bytes.
        len: usize,
        /// Maximum for the key size (245 for RSA-2048).
        max: usize,
    },
    /// An `RSA_2048_JWT_RS256` dataset is not a JSON object (Keygen's `KEY_JWT_CLAIMS_INVALID`).
    #[error("JWT claims must be a JSON object")]
    KeyJwtClaimsInvalid,
    /// The scheme produces no signed key (`LEGACY_ENCRYPT` keys are random and hashed).
    #[error("scheme {0} does not produce a cryptographic key")]
    UnsupportedScheme(&'static str),
    /// The document could not be serialised.
    #[error("document serialisation failed")]
    Serialization,
}
