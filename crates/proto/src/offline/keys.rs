//! Account public keys in the forms Keygen publishes, and signature verification with them.
//!
//! Mirrors the three key pairs of a Keygen account (`ed25519PublicKey` as 64 hex chars or
//! its DER/SPKI base64 form, `ecdsaPublicKey` and `publicKey` (RSA-2048) as PEM). Ed25519,
//! ECDSA P-256 (DER signatures) and RSA PKCS#1 v1.5 are verified by ring; RSA-PSS with
//! Keygen's maximal salt length by [`super::rsa`].

use std::fmt;

use ring::signature::{self as ring_sig, RsaPublicKeyComponents, UnparsedPublicKey};

use super::algorithm::{KeyType, SignatureAlgorithm};
use super::b64;
use super::der;
use super::error::OfflineError;
use super::rsa::{self, RsaPublic};

/// An Ed25519 public key (32 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct Ed25519PublicKey([u8; 32]);

impl Ed25519PublicKey {
    /// The raw 32 key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Keygen's published form: 64 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The DER/SPKI form, standard base64 (as in Keygen's Node examples).
    pub fn to_spki_base64(&self) -> String {
        b64::encode_std(&der::ed25519_spki(&self.0))
    }
}

/// An ECDSA P-256 public key (uncompressed SEC1 point, 65 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct EcdsaP256PublicKey([u8; 65]);

impl EcdsaP256PublicKey {
    /// The uncompressed point `04 || X || Y`.
    pub fn as_bytes(&self) -> &[u8; 65] {
        &self.0
    }

    /// Keygen's published form: SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn to_pem(&self) -> String {
        der::encode_pem("PUBLIC KEY", &der::p256_spki(&self.0))
    }
}

/// An RSA public key (2048 to 8192 bits; Keygen uses 2048).
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
    prepared: RsaPublic,
}

impl RsaPublicKey {
    /// Builds a key from big-endian modulus and exponent.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, OfflineError> {
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        let prepared = RsaPublic::new(n, e).ok_or(OfflineError::MalformedKey(
            "RSA key must be 2048..=8192 bits with an odd exponent in 3..2^33",
        ))?;
        Ok(RsaPublicKey {
            n: n.to_vec(),
            e: e.to_vec(),
            prepared,
        })
    }

    /// Modulus length in bits.
    pub fn bits(&self) -> usize {
        self.prepared.bits()
    }

    /// Big-endian modulus.
    pub fn modulus(&self) -> &[u8] {
        &self.n
    }

    /// Big-endian public exponent.
    pub fn exponent(&self) -> &[u8] {
        &self.e
    }

    /// Recovers the data of a PKCS#1 v1.5 type-1 block ("public decrypt"), as used by
    /// `RSA_2048_PKCS1_ENCRYPT` license keys.
    pub fn public_decrypt(&self, block: &[u8]) -> Result<Vec<u8>, OfflineError> {
        rsa::recover_pkcs1_type1(&self.prepared, block).ok_or(OfflineError::BadSignature)
    }
}

fn strip_zeros(mut bytes: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

/// One account public key of any of the three types.
#[derive(Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    /// Ed25519, verifies `ed25519`.
    Ed25519(Ed25519PublicKey),
    /// ECDSA P-256, verifies `ecdsa-p256`.
    EcdsaP256(EcdsaP256PublicKey),
    /// RSA, verifies `rsa-pss-sha256` and `rsa-sha256`.
    Rsa(RsaPublicKey),
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyingKey::Ed25519(k) => write!(f, "Ed25519({})", k.to_hex()),
            VerifyingKey::EcdsaP256(k) => write!(f, "EcdsaP256({})", hex::encode(k.0)),
            VerifyingKey::Rsa(k) => write!(f, "Rsa({} bits)", k.bits()),
        }
    }
}

impl VerifyingKey {
    /// Parses an Ed25519 key from 64 hex characters (Keygen's `ed25519PublicKey`).
    pub fn from_ed25519_hex(hex_key: &str) -> Result<Self, OfflineError> {
        let mut key = [0u8; 32];
        hex::decode_to_slice(hex_key.trim_ascii(), &mut key)
            .map_err(|_| OfflineError::MalformedKey("Ed25519 key must be 64 hex characters"))?;
        Ok(VerifyingKey::Ed25519(Ed25519PublicKey(key)))
    }

    /// Builds an Ed25519 key from its 32 raw bytes.
    pub fn from_ed25519_bytes(key: [u8; 32]) -> Self {
        VerifyingKey::Ed25519(Ed25519PublicKey(key))
    }

    /// Builds an ECDSA P-256 key from an uncompressed point (`04 || X || Y`). The point is
    /// checked to be on the curve when a signature is verified.
    pub fn from_p256_point(point: &[u8]) -> Result<Self, OfflineError> {
        let point: [u8; 65] = point
            .try_into()
            .map_err(|_| OfflineError::MalformedKey("P-256 point must be 65 bytes"))?;
        if point[0] != 0x04 {
            return Err(OfflineError::MalformedKey(
                "P-256 point must be uncompressed",
            ));
        }
        Ok(VerifyingKey::EcdsaP256(EcdsaP256PublicKey(point)))
    }

    /// Parses a DER SubjectPublicKeyInfo holding an Ed25519, P-256 or RSA key.
    pub fn from_spki_der(der_bytes: &[u8]) -> Result<Self, OfflineError> {
        let spki = der::parse_spki(der_bytes)
            .ok_or(OfflineError::MalformedKey("not a DER SubjectPublicKeyInfo"))?;
        match (spki.algorithm, spki.parameter_oid) {
            (der::OID_ED25519, None) => {
                let key: [u8; 32] = spki
                    .key
                    .try_into()
                    .map_err(|_| OfflineError::MalformedKey("Ed25519 key must be 32 bytes"))?;
                Ok(VerifyingKey::from_ed25519_bytes(key))
            }
            (der::OID_EC_PUBLIC_KEY, Some(der::OID_PRIME256V1)) => {
                VerifyingKey::from_p256_point(spki.key)
            }
            (der::OID_EC_PUBLIC_KEY, _) => Err(OfflineError::MalformedKey(
                "only the P-256 (prime256v1) curve is supported",
            )),
            (der::OID_RSA_ENCRYPTION, None) => VerifyingKey::from_pkcs1_der(spki.key),
            _ => Err(OfflineError::MalformedKey(
                "unsupported public key algorithm",
            )),
        }
    }

    /// Parses a DER PKCS#1 RSAPublicKey.
    pub fn from_pkcs1_der(der_bytes: &[u8]) -> Result<Self, OfflineError> {
        let (n, e) = der::parse_rsa_public_key(der_bytes)
            .ok_or(OfflineError::MalformedKey("not a DER PKCS#1 RSAPublicKey"))?;
        Ok(VerifyingKey::Rsa(RsaPublicKey::from_components(n, e)?))
    }

    /// Parses a PEM public key: `PUBLIC KEY` (SPKI, any of the three types) or
    /// `RSA PUBLIC KEY` (PKCS#1).
    pub fn from_pem(pem: &str) -> Result<Self, OfflineError> {
        let (label, der_bytes) =
            der::parse_pem(pem).ok_or(OfflineError::MalformedKey("not a PEM block"))?;
        match label {
            "PUBLIC KEY" => VerifyingKey::from_spki_der(&der_bytes),
            "RSA PUBLIC KEY" => VerifyingKey::from_pkcs1_der(&der_bytes),
            _ => Err(OfflineError::MalformedKey("unsupported PEM label")),
        }
    }

    /// Parses any published form: 64 hex characters (Ed25519), PEM, or base64 of DER (SPKI,
    /// e.g. Keygen's `MCowBQYDK2VwAyEA…` Ed25519 form, or PKCS#1).
    pub fn parse(text: &str) -> Result<Self, OfflineError> {
        let text = text.trim_ascii();
        if text.starts_with("-----BEGIN ") {
            return VerifyingKey::from_pem(text);
        }
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return VerifyingKey::from_ed25519_hex(text);
        }
        let der_bytes = b64::decode_wrapped(text)
            .ok_or(OfflineError::MalformedKey("not hex, PEM or base64 DER"))?;
        VerifyingKey::from_spki_der(&der_bytes)
            .or_else(|e| VerifyingKey::from_pkcs1_der(&der_bytes).map_err(|_| e))
    }

    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        match self {
            VerifyingKey::Ed25519(_) => KeyType::Ed25519,
            VerifyingKey::EcdsaP256(_) => KeyType::EcdsaP256,
            VerifyingKey::Rsa(_) => KeyType::Rsa,
        }
    }

    /// Verifies `signature` over `message` with `algorithm`.
    ///
    /// Fails with [`OfflineError::WrongKeyType`] if this key cannot produce `algorithm`, and
    /// with [`OfflineError::BadSignature`] for any invalid or malformed signature.
    pub fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), OfflineError> {
        let ok = match (algorithm, self) {
            (SignatureAlgorithm::Ed25519, VerifyingKey::Ed25519(k)) => {
                UnparsedPublicKey::new(&ring_sig::ED25519, &k.0)
                    .verify(message, signature)
                    .is_ok()
            }
            (SignatureAlgorithm::EcdsaP256, VerifyingKey::EcdsaP256(k)) => {
                UnparsedPublicKey::new(&ring_sig::ECDSA_P256_SHA256_ASN1, &k.0)
                    .verify(message, signature)
                    .is_ok()
            }
            (SignatureAlgorithm::RsaSha256, VerifyingKey::Rsa(k)) => {
                RsaPublicKeyComponents { n: &k.n, e: &k.e }
                    .verify(&ring_sig::RSA_PKCS1_2048_8192_SHA256, message, signature)
                    .is_ok()
            }
            (SignatureAlgorithm::RsaPssSha256, VerifyingKey::Rsa(k)) => {
                rsa::verify_pss_sha256(&k.prepared, message, signature)
            }
            _ => {
                return Err(OfflineError::WrongKeyType {
                    algorithm,
                    key: Some(self.key_type()),
                });
            }
        };
        if ok {
            Ok(())
        } else {
            Err(OfflineError::BadSignature)
        }
    }
}

/// Anything that can supply the key for a signature algorithm: a single [`VerifyingKey`]
/// or an account's [`PublicKeys`].
pub trait KeySource {
    /// The key that verifies `algorithm`, or [`OfflineError::WrongKeyType`].
    fn key_for(&self, algorithm: SignatureAlgorithm) -> Result<&VerifyingKey, OfflineError>;

    /// Verifies `signature` over `message` with the key for `algorithm`.
    fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), OfflineError> {
        self.key_for(algorithm)?
            .verify(algorithm, message, signature)
    }
}

impl KeySource for VerifyingKey {
    fn key_for(&self, algorithm: SignatureAlgorithm) -> Result<&VerifyingKey, OfflineError> {
        if self.key_type() == algorithm.key_type() {
            Ok(self)
        } else {
            Err(OfflineError::WrongKeyType {
                algorithm,
                key: Some(self.key_type()),
            })
        }
    }
}

/// The public keys of one Keygen account (any subset of the three).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicKeys {
    ed25519: Option<VerifyingKey>,
    ecdsa_p256: Option<VerifyingKey>,
    rsa: Option<VerifyingKey>,
}

impl PublicKeys {
    /// An empty key ring.
    pub fn new() -> Self {
        PublicKeys::default()
    }

    /// Builds a key ring from Keygen's published forms (`ed25519PublicKey` hex,
    /// `ecdsaPublicKey` PEM, RSA `publicKey` PEM); each is optional.
    pub fn from_published(
        ed25519_hex: Option<&str>,
        ecdsa_p256_pem: Option<&str>,
        rsa_pem: Option<&str>,
    ) -> Result<Self, OfflineError> {
        let mut keys = PublicKeys::new();
        for text in [ed25519_hex, ecdsa_p256_pem, rsa_pem].into_iter().flatten() {
            keys.insert(VerifyingKey::parse(text)?);
        }
        Ok(keys)
    }

    /// Adds (or replaces) the key of `key`'s type.
    pub fn insert(&mut self, key: VerifyingKey) -> &mut Self {
        match key.key_type() {
            KeyType::Ed25519 => self.ed25519 = Some(key),
            KeyType::EcdsaP256 => self.ecdsa_p256 = Some(key),
            KeyType::Rsa => self.rsa = Some(key),
        }
        self
    }

    /// Builder form of [`PublicKeys::insert`].
    pub fn with(mut self, key: VerifyingKey) -> Self {
        self.insert(key);
        self
    }

    /// The key of the given type, if present.
    pub fn get(&self, key_type: KeyType) -> Option<&VerifyingKey> {
        match key_type {
            KeyType::Ed25519 => self.ed25519.as_ref(),
            KeyType::EcdsaP256 => self.ecdsa_p256.as_ref(),
            KeyType::Rsa => self.rsa.as_ref(),
        }
    }
}

impl From<VerifyingKey> for PublicKeys {
    fn from(key: VerifyingKey) -> Self {
        PublicKeys::new().with(key)
    }
}

impl KeySource for PublicKeys {
    fn key_for(&self, algorithm: SignatureAlgorithm) -> Result<&VerifyingKey, OfflineError> {
        self.get(algorithm.key_type())
            .ok_or(OfflineError::WrongKeyType {
                algorithm,
                key: None,
            })
    }
}
