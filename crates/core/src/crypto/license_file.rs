//! Building license-file and machine-file certificates (Keygen's check-out actions), the
//! signing counterpart of `latchkey_proto::offline::Certificate`:
//!
//! 1. `enc` = strict base64 of the compact JSON document (`base64+…`), or
//!    `b64(ciphertext).b64(iv).b64(tag)` with AES-256-GCM, a random 96-bit IV and the key
//!    SHA-256(license key) / SHA-256(license key ‖ fingerprint) (`aes-256-gcm+…`);
//! 2. `sig` = strict base64 of the signature over `license/<enc>` / `machine/<enc>`;
//! 3. `{"enc","sig","alg"}` base64-encoded, wrapped at 60 columns (as Keygen's real files
//!    are) between the BEGIN/END lines, with a trailing newline.
//!
//! The document (including `meta.issued/expiry/ttl`) is rendered by the caller.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, Key, KeyInit, Nonce};
use latchkey_proto::offline::{
    Algorithm, CertificateKind, Encoding, Envelope, FileSecret, IV_LEN, base64_encode,
};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;

use super::error::CryptoError;
use super::keys::Signer;

/// Builds a license file for `document`, encrypted (for `aes-256-gcm+…`) with the license key.
pub fn build_license_file(
    document: &Value,
    license_key: &str,
    algorithm: Algorithm,
    signer: &Signer,
) -> Result<String, CryptoError> {
    build_certificate(
        CertificateKind::License,
        document,
        &FileSecret::for_license(license_key),
        algorithm,
        signer,
    )
}

/// Builds a machine file for `document`, encrypted (for `aes-256-gcm+…`) with the license key
/// followed by the machine fingerprint.
pub fn build_machine_file(
    document: &Value,
    license_key: &str,
    fingerprint: &str,
    algorithm: Algorithm,
    signer: &Signer,
) -> Result<String, CryptoError> {
    build_certificate(
        CertificateKind::Machine,
        document,
        &FileSecret::for_machine(license_key, fingerprint),
        algorithm,
        signer,
    )
}

/// Builds a certificate of either kind (the secret is unused for `base64+…`).
pub fn build_certificate(
    kind: CertificateKind,
    document: &Value,
    secret: &FileSecret,
    algorithm: Algorithm,
    signer: &Signer,
) -> Result<String, CryptoError> {
    Ok(build_envelope(kind, document, secret, algorithm, signer)?.to_certificate(kind))
}

/// Builds a certificate from an already serialised JSON object (e.g. rendered from ordered
/// serde structs; a `serde_json::Value` sorts object members). `json` must be a JSON object:
/// verifiers reject anything else.
pub fn build_certificate_from_json(
    kind: CertificateKind,
    json: &[u8],
    secret: &FileSecret,
    algorithm: Algorithm,
    signer: &Signer,
) -> Result<String, CryptoError> {
    Ok(envelope_from_json(kind, json.to_vec(), secret, algorithm, signer)?.to_certificate(kind))
}

/// Builds the `{"enc","sig","alg"}` envelope (for callers that need the parts, e.g. the
/// JSON `license-files` resource).
pub fn build_envelope(
    kind: CertificateKind,
    document: &Value,
    secret: &FileSecret,
    algorithm: Algorithm,
    signer: &Signer,
) -> Result<Envelope, CryptoError> {
    let json = serde_json::to_vec(document).map_err(|_| CryptoError::Serialization)?;
    envelope_from_json(kind, json, secret, algorithm, signer)
}

fn envelope_from_json(
    kind: CertificateKind,
    json: Vec<u8>,
    secret: &FileSecret,
    algorithm: Algorithm,
    signer: &Signer,
) -> Result<Envelope, CryptoError> {
    let enc = match algorithm.encoding() {
        Encoding::Base64 => base64_encode(&json),
        Encoding::Aes256Gcm => encrypt(secret, json)?,
    };
    let signature = signer.sign(algorithm.signature(), kind.signing_data(&enc).as_bytes())?;
    Ok(Envelope {
        enc,
        sig: base64_encode(&signature),
        alg: algorithm.as_str().to_owned(),
    })
}

/// AES-256-GCM with a random IV, rendered `b64(ciphertext).b64(iv).b64(tag)`.
fn encrypt(secret: &FileSecret, mut buffer: Vec<u8>) -> Result<String, CryptoError> {
    let mut iv = [0u8; IV_LEN];
    SystemRandom::new()
        .fill(&mut iv)
        .map_err(|_| CryptoError::Encryption)?;
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(secret.as_bytes()));
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(&iv), b"", &mut buffer)
        .map_err(|_| CryptoError::Encryption)?;
    Ok(format!(
        "{}.{}.{}",
        base64_encode(&buffer),
        base64_encode(&iv),
        base64_encode(&tag)
    ))
}
