//! Offline formats of Keygen and their verification: license and machine files
//! (certificates), cryptographic license keys (policy schemes), response and webhook
//! signatures, and the account public keys that verify them.
//!
//! This module is the verifying half used by SDKs and webhook receivers; it has no I/O and
//! never reads the clock (expiry checks take `now`). The signing half lives in
//! `latchkey_core::crypto` and reuses the formatting defined here.
//!
//! No cryptography or ASN.1 is implemented here: Ed25519, ECDSA P-256 and RSA PKCS#1 v1.5
//! verification is ring's; RSA-PSS (Keygen's maximal salt length, pinned like Keygen's SDK
//! examples, see [`pss_max_salt_len`]) and the PKCS#1 v1.5 "public decrypt" of
//! `RSA_2048_PKCS1_ENCRYPT` keys are the `rsa` crate's (0.9); public keys are read and written
//! with `pem-rfc7468`, `spki` and `pkcs1`. Cost on RSA-2048 (release, `examples/rsa_bench.rs`,
//! against the former hand-written code): PSS verification ~0.55 ms (was ~0.12 ms; rsa 0.9's
//! `num-bigint-dig` is slower), public decrypt ~1.2 ms (was ~0.15 ms; two public operations:
//! one to read the payload, one for the crate's padding check), key parsing ~3-7 µs (was
//! ~0.25 ms); PKCS#1 v1.5 verification is unchanged (ring, ~0.05 ms).
//!
//! Typical use:
//!
//! ```no_run
//! # fn demo(text: &str, license_key: &str, now: time::OffsetDateTime) -> Result<(), latchkey_proto::offline::OfflineError> {
//! use latchkey_proto::offline::{Algorithm, Certificate, FileSecret, VerifyingKey};
//! let key = VerifyingKey::from_ed25519_hex(
//!     "e8601e48b69383ba520245fd07971e983d06d22c4257cfd82304601479cee788",
//! )?;
//! let contents = Certificate::parse(text)?
//!     .verify_expecting(Algorithm::Aes256GcmEd25519, &key)?
//!     .decrypt(&FileSecret::for_license(license_key))?;
//! contents.check_expiry(now)?;
//! # Ok(()) }
//! ```

mod algorithm;
mod b64;
mod certificate;
mod contents;
mod error;
mod http_signature;
mod keys;
mod rsa_key;
mod scheme;
mod signed_key;

pub use algorithm::{Algorithm, Encoding, KeyType, SignatureAlgorithm};
pub use b64::{
    encode_std as base64_encode, encode_url as base64url_encode,
    encode_url_no_pad as base64url_encode_no_pad,
};
pub use certificate::{
    CERTIFICATE_LINE_WIDTH, Certificate, CertificateKind, Envelope, VerifiedCertificate,
};
pub use contents::{CertificateContents, FileSecret, IV_LEN, TAG_LEN};
pub use error::OfflineError;
pub use http_signature::{
    SIGNED_HEADERS, SignatureHeader, SignedMessage, SigningInput, digest_header_value,
    verify_signed_message,
};
pub use keys::{EcdsaP256PublicKey, Ed25519PublicKey, KeySource, PublicKeys, VerifyingKey};
pub use rsa_key::{RsaPublicKey, pss_max_salt_len};
pub use scheme::Scheme;
pub use signed_key::{KEY_PREFIX, VerifiedLicenseKey, v2_signing_data, verify_license_key};
