//! Account key pairs (Keygen generates an Ed25519, an ECDSA P-256 and an RSA-2048 key pair
//! per account) and the [`Signer`] that signs with them.
//!
//! Private keys are kept as PKCS#8 DER (to be sealed at rest by the store); public keys are
//! exposed exactly as Keygen shows them: Ed25519 as 64 lowercase hex characters, ECDSA and
//! RSA as SPKI PEM. A [`Signer`] parses the private keys once and keeps the parsed keys.
//!
//! RSA-PSS is signed with the maximal salt length (222 bytes for RSA-2048) like Keygen:
//! Keygen's own example verifiers pin `PSS.MAX_LENGTH`, and ring only signs with a 32-byte
//! salt, so PSS (and the raw PKCS#1 type-1 operation of `RSA_2048_PKCS1_ENCRYPT`) use the
//! `rsa` crate; PKCS#1 v1.5 and ECDSA use ring. Ed25519 signs with `ed25519-dalek`, whose
//! precomputed base-point tables sign a response signature's ~200-byte message in about
//! three quarters of ring's time (every signed response pays it); ring generates the keys.

use std::fmt;

use latchkey_proto::offline::{OfflineError, PublicKeys, SignatureAlgorithm, VerifyingKey};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair,
};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::pss::BlindedSigningKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

use super::error::CryptoError;

/// RSA modulus size of account keys.
pub const RSA_BITS: usize = 2048;

/// DER prefix of an Ed25519 PKCS#8 v1 document; the 32-byte seed follows (RFC 8410).
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The public halves of an account's keys in Keygen's published forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyForms {
    /// Ed25519 public key, 64 lowercase hex characters (`ed25519PublicKey`).
    pub ed25519_hex: String,
    /// ECDSA P-256 public key, SPKI PEM (`ecdsaPublicKey`).
    pub ecdsa_p256_pem: String,
    /// RSA-2048 public key, SPKI PEM (`publicKey`).
    pub rsa_pem: String,
}

impl PublicKeyForms {
    /// Parses the forms with the verifier, as a client would.
    pub fn to_public_keys(&self) -> Result<PublicKeys, OfflineError> {
        PublicKeys::from_published(
            Some(&self.ed25519_hex),
            Some(&self.ecdsa_p256_pem),
            Some(&self.rsa_pem),
        )
    }
}

/// An account's three private keys as PKCS#8 DER, plus their public forms.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountKeys {
    ed25519_pkcs8: Vec<u8>,
    ecdsa_p256_pkcs8: Vec<u8>,
    rsa_pkcs8: Vec<u8>,
    public: PublicKeyForms,
}

impl fmt::Debug for AccountKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountKeys")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl AccountKeys {
    /// Generates fresh Ed25519, ECDSA P-256 and RSA-2048 key pairs.
    pub fn generate() -> Result<Self, CryptoError> {
        let rng = SystemRandom::new();
        let ed25519 = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| CryptoError::KeyGeneration("Ed25519"))?;
        let ecdsa = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map_err(|_| CryptoError::KeyGeneration("ECDSA P-256"))?;
        let rsa = RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS)
            .map_err(|_| CryptoError::KeyGeneration("RSA"))?;
        let rsa_der = rsa
            .to_pkcs8_der()
            .map_err(|_| CryptoError::KeyGeneration("RSA PKCS#8 encoding"))?;
        AccountKeys::from_pkcs8(ed25519.as_ref(), ecdsa.as_ref(), rsa_der.as_bytes())
    }

    /// Loads stored PKCS#8 DER private keys (validating them and deriving the public forms).
    pub fn from_pkcs8(ed25519: &[u8], ecdsa_p256: &[u8], rsa: &[u8]) -> Result<Self, CryptoError> {
        let signer = Signer::from_pkcs8(ed25519, ecdsa_p256, rsa)?;
        Ok(AccountKeys {
            ed25519_pkcs8: ed25519.to_vec(),
            ecdsa_p256_pkcs8: ecdsa_p256.to_vec(),
            rsa_pkcs8: rsa.to_vec(),
            public: signer.public_key_forms()?,
        })
    }

    /// Wraps a raw Ed25519 seed (how Keygen stores Ed25519 keys, as hex) in PKCS#8 v1 DER,
    /// for importing Keygen accounts.
    pub fn ed25519_pkcs8_from_seed(seed: &[u8; 32]) -> Vec<u8> {
        let mut der = ED25519_PKCS8_V1_PREFIX.to_vec();
        der.extend_from_slice(seed);
        der
    }

    /// Converts an RSA private key in PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`, how
    /// Keygen stores it) or PKCS#8 PEM to PKCS#8 DER, for importing Keygen accounts.
    pub fn rsa_pkcs8_from_pem(pem: &str) -> Result<Vec<u8>, CryptoError> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let key = RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
            .map_err(|_| CryptoError::InvalidPrivateKey("RSA PEM"))?;
        key.to_pkcs8_der()
            .map(|der| der.as_bytes().to_vec())
            .map_err(|_| CryptoError::InvalidPrivateKey("RSA PKCS#8 encoding"))
    }

    /// Ed25519 private key, PKCS#8 DER (secret: seal before storing).
    pub fn ed25519_pkcs8(&self) -> &[u8] {
        &self.ed25519_pkcs8
    }

    /// ECDSA P-256 private key, PKCS#8 DER (secret: seal before storing).
    pub fn ecdsa_p256_pkcs8(&self) -> &[u8] {
        &self.ecdsa_p256_pkcs8
    }

    /// RSA private key, PKCS#8 DER (secret: seal before storing).
    pub fn rsa_pkcs8(&self) -> &[u8] {
        &self.rsa_pkcs8
    }

    /// The public keys in Keygen's published forms.
    pub fn public_key_forms(&self) -> &PublicKeyForms {
        &self.public
    }

    /// Builds the signer (parses the private keys once).
    pub fn signer(&self) -> Result<Signer, CryptoError> {
        Signer::from_pkcs8(&self.ed25519_pkcs8, &self.ecdsa_p256_pkcs8, &self.rsa_pkcs8)
    }
}

/// Signs with an account's three keys; construct once and share (it is `Send + Sync`).
pub struct Signer {
    ed25519: ed25519_dalek::SigningKey,
    ecdsa: EcdsaKeyPair,
    rsa_pkcs1: RsaKeyPair,
    rsa_pss: BlindedSigningKey<Sha256>,
    rsa: RsaPrivateKey,
    rng: SystemRandom,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").finish_non_exhaustive()
    }
}

/// RFC 8017's maximal PSS salt for SHA-256 (222 bytes for RSA-2048), the salt length Keygen
/// signs with and `latchkey_proto` verifies.
pub use latchkey_proto::offline::pss_max_salt_len;

impl Signer {
    /// Parses PKCS#8 DER private keys. The Ed25519 document may be PKCS#8 v2 (ring's output)
    /// or v1 (seed only, see [`AccountKeys::ed25519_pkcs8_from_seed`]).
    pub fn from_pkcs8(ed25519: &[u8], ecdsa_p256: &[u8], rsa: &[u8]) -> Result<Self, CryptoError> {
        let rng = SystemRandom::new();
        // Either version; a v2 document's public key must match its seed.
        let ed25519 = ed25519_dalek::SigningKey::from_pkcs8_der(ed25519)
            .map_err(|_| CryptoError::InvalidPrivateKey("Ed25519 PKCS#8"))?;
        let ecdsa = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, ecdsa_p256, &rng)
            .map_err(|_| CryptoError::InvalidPrivateKey("ECDSA P-256 PKCS#8"))?;
        let rsa_pkcs1 = RsaKeyPair::from_pkcs8(rsa)
            .map_err(|_| CryptoError::InvalidPrivateKey("RSA PKCS#8 (ring)"))?;
        let rsa_key = RsaPrivateKey::from_pkcs8_der(rsa)
            .map_err(|_| CryptoError::InvalidPrivateKey("RSA PKCS#8"))?;
        let salt = pss_max_salt_len(rsa_key.n().bits());
        Ok(Signer {
            ed25519,
            ecdsa,
            rsa_pkcs1,
            rsa_pss: BlindedSigningKey::new_with_salt_len(rsa_key.clone(), salt),
            rsa: rsa_key,
            rng,
        })
    }

    /// Signs `message`; the output is the raw signature (Ed25519: 64 bytes, ECDSA: DER,
    /// RSA: modulus-sized).
    pub fn sign(
        &self,
        algorithm: SignatureAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match algorithm {
            SignatureAlgorithm::Ed25519 => {
                use ed25519_dalek::Signer as _;
                Ok(self.ed25519.sign(message).to_bytes().to_vec())
            }
            SignatureAlgorithm::EcdsaP256 => self
                .ecdsa
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| CryptoError::Signing("ECDSA")),
            SignatureAlgorithm::RsaSha256 => {
                let mut sig = vec![0u8; self.rsa_pkcs1.public().modulus_len()];
                self.rsa_pkcs1
                    .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
                    .map_err(|_| CryptoError::Signing("RSA PKCS#1 v1.5"))?;
                Ok(sig)
            }
            SignatureAlgorithm::RsaPssSha256 => self
                .rsa_pss
                .try_sign_with_rng(&mut rand::rngs::OsRng, message)
                .map(|s| s.to_vec())
                .map_err(|_| CryptoError::Signing("RSA-PSS")),
        }
    }

    /// RSA private-key "encryption" with PKCS#1 v1.5 type-1 padding (OpenSSL's
    /// `RSA_private_encrypt`), as used by `RSA_2048_PKCS1_ENCRYPT`. At most
    /// [`Signer::rsa_max_encrypt_len`] bytes.
    pub fn rsa_private_encrypt(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let max = self.rsa_max_encrypt_len();
        if data.len() > max {
            return Err(CryptoError::KeyByteSizeExceeded {
                len: data.len(),
                max,
            });
        }
        self.rsa
            .sign_with_rng(&mut rand::rngs::OsRng, Pkcs1v15Sign::new_unprefixed(), data)
            .map_err(|_| CryptoError::Signing("RSA private encrypt"))
    }

    /// Largest `RSA_2048_PKCS1_ENCRYPT` dataset: modulus bytes − 11 (245 for RSA-2048).
    pub fn rsa_max_encrypt_len(&self) -> usize {
        self.rsa.size().saturating_sub(11)
    }

    /// The public keys in Keygen's published forms.
    pub fn public_key_forms(&self) -> Result<PublicKeyForms, CryptoError> {
        let ed25519_hex = hex::encode(self.ed25519.verifying_key().as_bytes());
        let point = self.ecdsa.public_key().as_ref();
        let ecdsa_p256_pem = match VerifyingKey::from_p256_point(point) {
            Ok(VerifyingKey::EcdsaP256(k)) => k.to_pem(),
            _ => return Err(CryptoError::InvalidPrivateKey("ECDSA public point")),
        };
        let rsa_pem = RsaPublicKey::from(&self.rsa)
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| CryptoError::InvalidPrivateKey("RSA public key encoding"))?;
        Ok(PublicKeyForms {
            ed25519_hex,
            ecdsa_p256_pem,
            rsa_pem,
        })
    }
}
