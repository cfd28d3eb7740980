//! Decoding a verified certificate's `enc` into its JSON:API document, and the document's
//! `meta {issued, expiry, ttl}` (Keygen's license-file TTL).
//!
//! Encrypted files (`aes-256-gcm+…`) carry `b64(ciphertext).b64(iv).b64(tag)`, AES-256-GCM
//! with no associated data, keyed by SHA-256 of the license key (license files) or of the
//! license key immediately followed by the machine fingerprint (machine files).

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::algorithm::{Algorithm, Encoding};
use super::b64;
use super::certificate::{CertificateKind, VerifiedCertificate};
use super::error::OfflineError;

/// AES-GCM IV length Keygen uses (96 bits).
pub const IV_LEN: usize = 12;
/// AES-GCM tag length (128 bits).
pub const TAG_LEN: usize = 16;

/// The AES-256-GCM key of an encrypted certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct FileSecret([u8; 32]);

impl FileSecret {
    /// Key of a license file: SHA-256 of the license key.
    pub fn for_license(license_key: &str) -> Self {
        FileSecret(Sha256::digest(license_key.as_bytes()).into())
    }

    /// Key of a machine file: SHA-256 of the license key followed by the fingerprint.
    pub fn for_machine(license_key: &str, fingerprint: &str) -> Self {
        let mut h = Sha256::new();
        h.update(license_key.as_bytes());
        h.update(fingerprint.as_bytes());
        FileSecret(h.finalize().into())
    }

    /// A raw 32-byte key.
    pub fn from_bytes(key: [u8; 32]) -> Self {
        FileSecret(key)
    }

    /// The raw AES-256 key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for FileSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileSecret(..)")
    }
}

impl VerifiedCertificate {
    /// Decodes a `base64+…` certificate. Encrypted certificates fail with
    /// [`OfflineError::SecretRequired`].
    pub fn decode(&self) -> Result<CertificateContents, OfflineError> {
        if self.algorithm().is_encrypted() {
            return Err(OfflineError::SecretRequired);
        }
        let json = b64::decode_std(self.certificate().enc())
            .ok_or(OfflineError::MalformedCertificate("enc is not base64"))?;
        CertificateContents::from_json(self.kind(), self.algorithm(), &json)
    }

    /// Decrypts an `aes-256-gcm+…` certificate with `secret` (a `base64+…` certificate is
    /// simply decoded, the secret being unused).
    pub fn decrypt(&self, secret: &FileSecret) -> Result<CertificateContents, OfflineError> {
        match self.algorithm().encoding() {
            Encoding::Base64 => self.decode(),
            Encoding::Aes256Gcm => {
                let json = decrypt_enc(self.certificate().enc(), secret)?;
                CertificateContents::from_json(self.kind(), self.algorithm(), &json)
            }
        }
    }

    /// Decodes or decrypts: `secret` is required only for encrypted certificates.
    pub fn open(&self, secret: Option<&FileSecret>) -> Result<CertificateContents, OfflineError> {
        match secret {
            Some(secret) => self.decrypt(secret),
            None => self.decode(),
        }
    }
}

/// Decrypts `b64(ciphertext).b64(iv).b64(tag)`.
fn decrypt_enc(enc: &str, secret: &FileSecret) -> Result<Vec<u8>, OfflineError> {
    use OfflineError::MalformedCertificate as Malformed;
    let mut parts = enc.split('.');
    let (Some(ct), Some(iv), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Malformed("encrypted enc must be ciphertext.iv.tag"));
    };
    let mut buffer = b64::decode_std(ct).ok_or(Malformed("ciphertext is not base64"))?;
    let iv = b64::decode_std(iv).ok_or(Malformed("iv is not base64"))?;
    let tag = b64::decode_std(tag).ok_or(Malformed("tag is not base64"))?;
    if iv.len() != IV_LEN {
        return Err(Malformed("iv must be 12 bytes"));
    }
    if tag.len() != TAG_LEN {
        return Err(Malformed("tag must be 16 bytes"));
    }
    let cipher = Aes256Gcm::new(secret.as_bytes().into());
    cipher
        .decrypt_in_place_detached(
            Nonce::from_slice(&iv),
            b"",
            &mut buffer,
            Tag::from_slice(&tag),
        )
        .map_err(|_| OfflineError::DecryptionFailed)?;
    Ok(buffer)
}

/// The JSON:API document carried by a verified license or machine file.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateContents {
    kind: CertificateKind,
    algorithm: Algorithm,
    document: Value,
}

impl CertificateContents {
    fn from_json(
        kind: CertificateKind,
        algorithm: Algorithm,
        json: &[u8],
    ) -> Result<Self, OfflineError> {
        let document: Value =
            serde_json::from_slice(json).map_err(|_| OfflineError::PayloadNotJson)?;
        if !document.is_object() {
            return Err(OfflineError::PayloadNotJson);
        }
        Ok(CertificateContents {
            kind,
            algorithm,
            document,
        })
    }

    /// License or machine file.
    pub fn kind(&self) -> CertificateKind {
        self.kind
    }

    /// The certificate's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The whole document (`data`, `included`, `meta`).
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Takes the whole document.
    pub fn into_document(self) -> Value {
        self.document
    }

    /// The primary resource (`data`): the license or machine object.
    pub fn data(&self) -> Option<&Value> {
        self.document.get("data")
    }

    /// The `included` resources (empty if absent).
    pub fn included(&self) -> &[Value] {
        self.document
            .get("included")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    fn meta(&self, field: &'static str) -> Option<&Value> {
        self.document.get("meta").and_then(|m| m.get(field))
    }

    /// `meta.issued`: when the file was checked out (required).
    pub fn issued(&self) -> Result<OffsetDateTime, OfflineError> {
        match self.meta("issued") {
            Some(Value::String(s)) => parse_time(s, "meta.issued is not an RFC 3339 time"),
            _ => Err(OfflineError::MalformedMeta("meta.issued is missing")),
        }
    }

    /// `meta.expiry`: when the file stops being valid; `None` (JSON null) = never.
    pub fn expiry(&self) -> Result<Option<OffsetDateTime>, OfflineError> {
        match self.meta("expiry") {
            Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                parse_time(s, "meta.expiry is not an RFC 3339 time").map(Some)
            }
            _ => Err(OfflineError::MalformedMeta("meta.expiry is missing")),
        }
    }

    /// `meta.ttl` in seconds; `None` (JSON null) = no expiry.
    pub fn ttl(&self) -> Result<Option<u64>, OfflineError> {
        match self.meta("ttl") {
            Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or(OfflineError::MalformedMeta(
                "meta.ttl is not a non-negative integer",
            )),
            None => Err(OfflineError::MalformedMeta("meta.ttl is missing")),
        }
    }

    /// Fails with [`OfflineError::Expired`] if `meta.expiry` is before `now`. A null expiry
    /// never expires.
    pub fn check_expiry(&self, now: OffsetDateTime) -> Result<(), OfflineError> {
        match self.expiry()? {
            Some(expiry) if expiry < now => Err(OfflineError::Expired { expiry }),
            _ => Ok(()),
        }
    }

    /// Fails with [`OfflineError::IssuedInFuture`] if `meta.issued` is after `now` (Keygen's
    /// docs treat that as clock tampering).
    pub fn check_issued(&self, now: OffsetDateTime) -> Result<(), OfflineError> {
        let issued = self.issued()?;
        if issued > now {
            return Err(OfflineError::IssuedInFuture { issued });
        }
        Ok(())
    }
}

fn parse_time(s: &str, what: &'static str) -> Result<OffsetDateTime, OfflineError> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| OfflineError::MalformedMeta(what))
}
