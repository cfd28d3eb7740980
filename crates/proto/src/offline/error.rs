//! The one error type of the offline formats: every way a license file, machine file,
//! signed license key, public key or response signature can be rejected.
//!
//! Mirrors the failure modes of Keygen's SDK verifiers (keygen-go's `ErrLicenseFileNotGenuine`,
//! `ErrLicenseFileExpired`, …), but split finely enough that a caller can tell a tampered
//! certificate from a wrong decryption secret or an expired one.

use time::OffsetDateTime;

use super::algorithm::{Algorithm, KeyType, SignatureAlgorithm};
use super::certificate::CertificateKind;

/// Why an offline artefact was rejected.
///
/// The `&'static str` payloads name the precise structural problem; they never contain
/// attacker-controlled text except where a field is documented to (the unknown algorithm or
/// scheme name, truncated to 64 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfflineError {
    /// The certificate text is not a well-formed license/machine file
    /// (armor, base64 body, `{"enc","sig","alg"}` envelope or `enc` layout).
    #[error("malformed certificate: {0}")]
    MalformedCertificate(&'static str),
    /// A license file was given where a machine file was expected, or vice versa.
    #[error("wrong certificate kind: expected a {expected}, found a {found}")]
    WrongKind {
        /// The kind the caller asked for.
        expected: CertificateKind,
        /// The kind named by the certificate's BEGIN line.
        found: CertificateKind,
    },
    /// The `alg` member (or a signature header's `algorithm`) is not one Keygen defines.
    #[error("unknown algorithm {0:?}")]
    UnknownAlgorithm(String),
    /// The certificate uses another algorithm than the one the caller pinned.
    #[error("algorithm mismatch: expected {expected}, found {found}")]
    AlgorithmMismatch {
        /// The algorithm the caller pinned.
        expected: Algorithm,
        /// The algorithm named in the certificate.
        found: Algorithm,
    },
    /// The signature does not verify with the given public key (tampered data or wrong key).
    #[error("signature verification failed")]
    BadSignature,
    /// The key at hand cannot verify this algorithm (`key` is `None` when a key ring holds
    /// no key of the needed type).
    #[error("wrong key type: {algorithm} needs {} key, got {}", .algorithm.key_type().article_name(), key_name(*.key))]
    WrongKeyType {
        /// The signature algorithm to verify.
        algorithm: SignatureAlgorithm,
        /// The type of key that was offered, if any.
        key: Option<KeyType>,
    },
    /// AES-256-GCM authentication failed: wrong license key / fingerprint, or tampered `enc`.
    #[error("decryption failed (wrong secret or tampered data)")]
    DecryptionFailed,
    /// The certificate is encrypted and no decryption secret was supplied.
    #[error("certificate is encrypted: a decryption secret is required")]
    SecretRequired,
    /// The decoded or decrypted payload is not a JSON object.
    #[error("payload is not a JSON object")]
    PayloadNotJson,
    /// A `meta` member (`issued`, `expiry`, `ttl`) is missing or has the wrong shape.
    #[error("malformed meta: {0}")]
    MalformedMeta(&'static str),
    /// `meta.expiry` lies before the clock passed in.
    #[error("certificate expired at {expiry}")]
    Expired {
        /// The certificate's `meta.expiry`.
        expiry: OffsetDateTime,
    },
    /// `meta.issued` lies after the clock passed in (clock tampering, per Keygen's docs).
    #[error("certificate issued in the future ({issued})")]
    IssuedInFuture {
        /// The certificate's `meta.issued`.
        issued: OffsetDateTime,
    },
    /// A public key could not be parsed from any of Keygen's published forms.
    #[error("malformed public key: {0}")]
    MalformedKey(&'static str),
    /// A license key does not have the layout its scheme prescribes.
    #[error("malformed license key: {0}")]
    MalformedLicenseKey(&'static str),
    /// The scheme name is not one of Keygen's policy schemes.
    #[error("unknown scheme {0:?}")]
    UnknownScheme(String),
    /// The scheme carries no verifiable data offline (`LEGACY_ENCRYPT`).
    #[error("scheme {0} cannot be verified offline")]
    UnsupportedScheme(&'static str),
    /// A `Keygen-Signature` header could not be parsed or covers the wrong headers.
    #[error("malformed signature header: {0}")]
    MalformedSignatureHeader(&'static str),
    /// The body's SHA-256 does not match the `Digest` header.
    #[error("digest does not match the body")]
    DigestMismatch,
}

fn key_name(key: Option<KeyType>) -> String {
    match key {
        Some(k) => format!("{} key", k.article_name()),
        None => "none".to_owned(),
    }
}

/// Truncates attacker-controlled text before it is stored in an error.
pub(crate) fn excerpt(s: &str) -> String {
    s.chars().take(64).collect()
}
