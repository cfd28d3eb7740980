//! Account public keys in the forms Keygen publishes, and signature verification with them.
//!
//! Mirrors the three key pairs of a Keygen account (`ed25519PublicKey` as 64 hex chars or
//! its DER/SPKI base64 form, `ecdsaPublicKey` and `publicKey` (RSA-2048) as PEM). Keys are
//! read and written with RustCrypto's `pem-rfc7468`, `spki` and `pkcs1`. Ed25519, ECDSA
//! P-256 (DER signatures) and RSA PKCS#1 v1.5 are verified by ring; RSA-PSS with Keygen's
//! maximal salt length by the `rsa` crate (see [`super::rsa_key`]).

use std::fmt;

use pem_rfc7468::LineEnding;
use ring::signature::{self as ring_sig, RsaPublicKeyComponents, UnparsedPublicKey};
use spki::der::asn1::{AnyRef, BitStringRef};
use spki::der::{Decode, Encode};
use spki::{AlgorithmIdentifierRef, ObjectIdentifier, SubjectPublicKeyInfoRef};

use super::algorithm::{KeyType, SignatureAlgorithm};
use super::b64;
use super::error::OfflineError;
use super::rsa_key::RsaPublicKey;

/// id-Ed25519 (RFC 8410).
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// id-ecPublicKey (RFC 5480).
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// prime256v1 / secp256r1 (RFC 5480).
const OID_PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// rsaEncryption (RFC 8017).
const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// DER SubjectPublicKeyInfo of `key` under `algorithm` (with optional OID parameters).
fn spki_der(
    algorithm: ObjectIdentifier,
    parameters: Option<&ObjectIdentifier>,
    key: &[u8],
) -> Vec<u8> {
    let spki = BitStringRef::from_bytes(key).map(|subject_public_key| SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef {
            oid: algorithm,
            parameters: parameters.map(AnyRef::from),
        },
        subject_public_key,
    });
    // Encoding a 32- or 65-byte key cannot fail (DER only fails on lengths past 256 MiB).
    spki.and_then(|spki| spki.to_der()).unwrap_or_default()
}

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
        b64::encode_std(&spki_der(OID_ED25519, None, &self.0))
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

    /// Keygen's published form: SPKI PEM (`-----BEGIN PUBLIC KEY-----`, 64-column lines,
    /// trailing newline, as OpenSSL writes it).
    pub fn to_pem(&self) -> String {
        let der = spki_der(OID_EC_PUBLIC_KEY, Some(&OID_PRIME256V1), &self.0);
        // Cannot fail for a 91-byte document and a valid label.
        pem_rfc7468::encode_string("PUBLIC KEY", LineEnding::LF, &der).unwrap_or_default()
    }
}

/// Decodes one PEM block with `pem-rfc7468`. Its strict grammar wants 64-column lines, so a
/// body wrapped at another width (76 like Ruby's and Python's base64, or one long line as
/// in environment variables) is re-wrapped at 64 columns and decoded again.
fn decode_pem(text: &str) -> Option<(String, Vec<u8>)> {
    let text = text.trim_ascii();
    if let Ok((label, der)) = pem_rfc7468::decode_vec(text.as_bytes()) {
        return Some((label.to_owned(), der));
    }
    let mut lines = text.lines();
    let begin = lines.next()?.trim_ascii();
    let end = lines.next_back()?.trim_ascii();
    let body: String = lines.flat_map(str::split_ascii_whitespace).collect();
    let rewrapped = format!("{begin}\n{}{end}\n", b64::wrap_lines(&body, 64));
    let (label, der) = pem_rfc7468::decode_vec(rewrapped.as_bytes()).ok()?;
    Some((label.to_owned(), der))
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
        let spki = SubjectPublicKeyInfoRef::from_der(der_bytes)
            .map_err(|_| OfflineError::MalformedKey("not a DER SubjectPublicKeyInfo"))?;
        let key = spki
            .subject_public_key
            .as_bytes()
            .ok_or(OfflineError::MalformedKey("not a DER SubjectPublicKeyInfo"))?;
        let parameters = spki.algorithm.parameters;
        let no_parameters = parameters.is_none_or(AnyRef::is_null);
        match spki.algorithm.oid {
            OID_ED25519 if no_parameters => {
                let key: [u8; 32] = key
                    .try_into()
                    .map_err(|_| OfflineError::MalformedKey("Ed25519 key must be 32 bytes"))?;
                Ok(VerifyingKey::from_ed25519_bytes(key))
            }
            OID_EC_PUBLIC_KEY => match parameters.map(|p| p.decode_as::<ObjectIdentifier>()) {
                Some(Ok(OID_PRIME256V1)) => VerifyingKey::from_p256_point(key),
                _ => Err(OfflineError::MalformedKey(
                    "only the P-256 (prime256v1) curve is supported",
                )),
            },
            OID_RSA_ENCRYPTION if no_parameters => VerifyingKey::from_pkcs1_der(key),
            _ => Err(OfflineError::MalformedKey(
                "unsupported public key algorithm",
            )),
        }
    }

    /// Parses a DER PKCS#1 RSAPublicKey.
    pub fn from_pkcs1_der(der_bytes: &[u8]) -> Result<Self, OfflineError> {
        let key = pkcs1::RsaPublicKey::from_der(der_bytes)
            .map_err(|_| OfflineError::MalformedKey("not a DER PKCS#1 RSAPublicKey"))?;
        Ok(VerifyingKey::Rsa(RsaPublicKey::from_components(
            key.modulus.as_bytes(),
            key.public_exponent.as_bytes(),
        )?))
    }

    /// Parses a PEM public key: `PUBLIC KEY` (SPKI, any of the three types) or
    /// `RSA PUBLIC KEY` (PKCS#1). RFC 7468's strict grammar (no explanatory text or
    /// headers); surrounding whitespace, CRLF line ends and any line width are accepted.
    pub fn from_pem(pem: &str) -> Result<Self, OfflineError> {
        let (label, der_bytes) =
            decode_pem(pem).ok_or(OfflineError::MalformedKey("not a PEM block"))?;
        match label.as_str() {
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
            (SignatureAlgorithm::RsaSha256, VerifyingKey::Rsa(k)) => RsaPublicKeyComponents {
                n: k.modulus(),
                e: k.exponent(),
            }
            .verify(&ring_sig::RSA_PKCS1_2048_8192_SHA256, message, signature)
            .is_ok(),
            (SignatureAlgorithm::RsaPssSha256, VerifyingKey::Rsa(k)) => {
                k.verify_pss_sha256(message, signature)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// DER PKCS#1 RSAPublicKey with `n = 2^2048 - 1` (odd, 2048 bits) and `e = 65537`.
    fn pkcs1_der() -> Vec<u8> {
        let mut der = vec![0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00];
        der.extend([0xff; 256]);
        der.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
        der
    }

    #[test]
    fn reads_pkcs1_and_rejects_non_der() {
        let der = pkcs1_der();
        let key = VerifyingKey::from_pkcs1_der(&der);
        assert!(matches!(&key, Ok(VerifyingKey::Rsa(k)) if k.bits() == 2048));

        // Trailing bytes after the SEQUENCE.
        let mut trailing = der.clone();
        trailing.push(0);
        // Long-form length with a leading zero byte (non-minimal).
        let mut long_length = vec![0x30, 0x83, 0x00, 0x01, 0x0a];
        long_length.extend(&der[4..]);
        // Indefinite length (BER only).
        let mut indefinite = vec![0x30, 0x80];
        indefinite.extend(&der[4..]);
        indefinite.extend([0, 0]);
        // Modulus without its leading zero: a negative INTEGER.
        let mut negative = vec![0x30, 0x82, 0x01, 0x09, 0x02, 0x82, 0x01, 0x00];
        negative.extend(&der[9..]);
        // Exponent with a superfluous leading zero.
        let mut padded_e = der.clone();
        padded_e.truncate(der.len() - 5);
        padded_e.extend([0x02, 0x04, 0x00, 0x01, 0x00, 0x01]);
        padded_e[3] += 1;
        for (name, bytes) in [
            ("trailing", trailing),
            ("long length", long_length),
            ("indefinite", indefinite),
            ("negative", negative),
            ("padded e", padded_e),
        ] {
            assert_eq!(
                VerifyingKey::from_pkcs1_der(&bytes),
                Err(OfflineError::MalformedKey("not a DER PKCS#1 RSAPublicKey")),
                "{name}"
            );
        }
    }
}
