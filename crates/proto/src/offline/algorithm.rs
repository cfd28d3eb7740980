//! Algorithm names of Keygen's offline artefacts: the `alg` member of license and machine
//! files (`<encoding>+<signature>`, e.g. `aes-256-gcm+ed25519`) and the signature algorithms
//! shared with response signatures (`Keygen-Signature: algorithm="…"`).
//!
//! Every string here is Keygen's exact spelling; `FromStr` is case-sensitive like Keygen.

use std::fmt;
use std::str::FromStr;

use super::error::{OfflineError, excerpt};

/// A signature algorithm of an account key (`ed25519`, `ecdsa-p256`, `rsa-pss-sha256`,
/// `rsa-sha256`), as used by license files, machine files and response signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignatureAlgorithm {
    /// Ed25519 (RFC 8032), 64-byte signatures.
    Ed25519,
    /// ECDSA over P-256 with SHA-256, DER-encoded signatures (OpenSSL's default).
    EcdsaP256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and maximal salt length.
    RsaPssSha256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaSha256,
}

impl SignatureAlgorithm {
    /// All four signature algorithms.
    pub const ALL: [SignatureAlgorithm; 4] = [
        SignatureAlgorithm::Ed25519,
        SignatureAlgorithm::EcdsaP256,
        SignatureAlgorithm::RsaPssSha256,
        SignatureAlgorithm::RsaSha256,
    ];

    /// Keygen's name for the algorithm.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignatureAlgorithm::Ed25519 => "ed25519",
            SignatureAlgorithm::EcdsaP256 => "ecdsa-p256",
            SignatureAlgorithm::RsaPssSha256 => "rsa-pss-sha256",
            SignatureAlgorithm::RsaSha256 => "rsa-sha256",
        }
    }

    /// The type of account key that produces and verifies this algorithm.
    pub const fn key_type(self) -> KeyType {
        match self {
            SignatureAlgorithm::Ed25519 => KeyType::Ed25519,
            SignatureAlgorithm::EcdsaP256 => KeyType::EcdsaP256,
            SignatureAlgorithm::RsaPssSha256 | SignatureAlgorithm::RsaSha256 => KeyType::Rsa,
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for SignatureAlgorithm {
    type Err = OfflineError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignatureAlgorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| OfflineError::UnknownAlgorithm(excerpt(s)))
    }
}

/// The three kinds of account key pair a Keygen account holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// Ed25519 (public key published as 64 hex characters).
    Ed25519,
    /// ECDSA P-256 / prime256v1 (public key published as SPKI PEM).
    EcdsaP256,
    /// RSA-2048 (public key published as SPKI PEM).
    Rsa,
}

impl KeyType {
    /// Human name with indefinite article, for error messages.
    pub const fn article_name(self) -> &'static str {
        match self {
            KeyType::Ed25519 => "an Ed25519",
            KeyType::EcdsaP256 => "an ECDSA P-256",
            KeyType::Rsa => "an RSA",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            KeyType::Ed25519 => "Ed25519",
            KeyType::EcdsaP256 => "ECDSA P-256",
            KeyType::Rsa => "RSA",
        })
    }
}

/// How a certificate's `enc` member carries the JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `b64(ciphertext).b64(iv).b64(tag)`, AES-256-GCM keyed by SHA-256 of the secret.
    Aes256Gcm,
    /// Plain strict base64 of the JSON text.
    Base64,
}

impl Encoding {
    /// Keygen's name for the encoding (`aes-256-gcm` / `base64`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Aes256Gcm => "aes-256-gcm",
            Encoding::Base64 => "base64",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A license/machine file algorithm, `<encoding>+<signature>` (Keygen's `alg` member and
/// the checkout `algorithm` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `aes-256-gcm+ed25519`
    Aes256GcmEd25519,
    /// `aes-256-gcm+ecdsa-p256`
    Aes256GcmEcdsaP256,
    /// `aes-256-gcm+rsa-pss-sha256`
    Aes256GcmRsaPssSha256,
    /// `aes-256-gcm+rsa-sha256`
    Aes256GcmRsaSha256,
    /// `base64+ed25519`
    Base64Ed25519,
    /// `base64+ecdsa-p256`
    Base64EcdsaP256,
    /// `base64+rsa-pss-sha256`
    Base64RsaPssSha256,
    /// `base64+rsa-sha256`
    Base64RsaSha256,
}

impl Algorithm {
    /// All eight algorithms.
    pub const ALL: [Algorithm; 8] = [
        Algorithm::Aes256GcmEd25519,
        Algorithm::Aes256GcmEcdsaP256,
        Algorithm::Aes256GcmRsaPssSha256,
        Algorithm::Aes256GcmRsaSha256,
        Algorithm::Base64Ed25519,
        Algorithm::Base64EcdsaP256,
        Algorithm::Base64RsaPssSha256,
        Algorithm::Base64RsaSha256,
    ];

    /// Combines an encoding and a signature algorithm.
    pub const fn new(encoding: Encoding, signature: SignatureAlgorithm) -> Self {
        use SignatureAlgorithm as S;
        match (encoding, signature) {
            (Encoding::Aes256Gcm, S::Ed25519) => Algorithm::Aes256GcmEd25519,
            (Encoding::Aes256Gcm, S::EcdsaP256) => Algorithm::Aes256GcmEcdsaP256,
            (Encoding::Aes256Gcm, S::RsaPssSha256) => Algorithm::Aes256GcmRsaPssSha256,
            (Encoding::Aes256Gcm, S::RsaSha256) => Algorithm::Aes256GcmRsaSha256,
            (Encoding::Base64, S::Ed25519) => Algorithm::Base64Ed25519,
            (Encoding::Base64, S::EcdsaP256) => Algorithm::Base64EcdsaP256,
            (Encoding::Base64, S::RsaPssSha256) => Algorithm::Base64RsaPssSha256,
            (Encoding::Base64, S::RsaSha256) => Algorithm::Base64RsaSha256,
        }
    }

    /// The encoding half (`aes-256-gcm` or `base64`).
    pub const fn encoding(self) -> Encoding {
        match self {
            Algorithm::Aes256GcmEd25519
            | Algorithm::Aes256GcmEcdsaP256
            | Algorithm::Aes256GcmRsaPssSha256
            | Algorithm::Aes256GcmRsaSha256 => Encoding::Aes256Gcm,
            Algorithm::Base64Ed25519
            | Algorithm::Base64EcdsaP256
            | Algorithm::Base64RsaPssSha256
            | Algorithm::Base64RsaSha256 => Encoding::Base64,
        }
    }

    /// The signature half.
    pub const fn signature(self) -> SignatureAlgorithm {
        match self {
            Algorithm::Aes256GcmEd25519 | Algorithm::Base64Ed25519 => SignatureAlgorithm::Ed25519,
            Algorithm::Aes256GcmEcdsaP256 | Algorithm::Base64EcdsaP256 => {
                SignatureAlgorithm::EcdsaP256
            }
            Algorithm::Aes256GcmRsaPssSha256 | Algorithm::Base64RsaPssSha256 => {
                SignatureAlgorithm::RsaPssSha256
            }
            Algorithm::Aes256GcmRsaSha256 | Algorithm::Base64RsaSha256 => {
                SignatureAlgorithm::RsaSha256
            }
        }
    }

    /// Whether `enc` is AES-256-GCM ciphertext.
    pub const fn is_encrypted(self) -> bool {
        matches!(self.encoding(), Encoding::Aes256Gcm)
    }

    /// Keygen's exact name, e.g. `aes-256-gcm+ed25519`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Aes256GcmEd25519 => "aes-256-gcm+ed25519",
            Algorithm::Aes256GcmEcdsaP256 => "aes-256-gcm+ecdsa-p256",
            Algorithm::Aes256GcmRsaPssSha256 => "aes-256-gcm+rsa-pss-sha256",
            Algorithm::Aes256GcmRsaSha256 => "aes-256-gcm+rsa-sha256",
            Algorithm::Base64Ed25519 => "base64+ed25519",
            Algorithm::Base64EcdsaP256 => "base64+ecdsa-p256",
            Algorithm::Base64RsaPssSha256 => "base64+rsa-pss-sha256",
            Algorithm::Base64RsaSha256 => "base64+rsa-sha256",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = OfflineError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| OfflineError::UnknownAlgorithm(excerpt(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_split() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(alg));
            assert_eq!(Algorithm::new(alg.encoding(), alg.signature()), alg);
            assert_eq!(
                alg.to_string(),
                format!("{}+{}", alg.encoding(), alg.signature())
            );
        }
        for sig in SignatureAlgorithm::ALL {
            assert_eq!(sig.as_str().parse::<SignatureAlgorithm>(), Ok(sig));
        }
        assert!("AES-256-GCM+ED25519".parse::<Algorithm>().is_err());
        assert!("aes-256-gcm+ed25519 ".parse::<Algorithm>().is_err());
        assert_eq!(format!("{:>9}", SignatureAlgorithm::Ed25519), "  ed25519");
    }
}
