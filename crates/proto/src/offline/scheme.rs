//! Keygen's policy `scheme` values: how a license key is signed or encrypted, and which
//! signature algorithm a license/machine file of such a license defaults to.

use std::fmt;
use std::str::FromStr;

use super::algorithm::SignatureAlgorithm;
use super::error::{OfflineError, excerpt};

/// A policy's cryptographic scheme, with Keygen's exact names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `ED25519_SIGN`: `key/<b64url dataset>.<b64url Ed25519 sig>`.
    Ed25519Sign,
    /// `ECDSA_P256_SIGN`: `key/<b64url dataset>.<b64url DER ECDSA sig>`.
    EcdsaP256Sign,
    /// `RSA_2048_PKCS1_PSS_SIGN_V2`: `key/…` signed with RSA-PSS (SHA-256, max salt).
    Rsa2048Pkcs1PssSignV2,
    /// `RSA_2048_PKCS1_SIGN_V2`: `key/…` signed with RSA PKCS#1 v1.5 SHA-256.
    Rsa2048Pkcs1SignV2,
    /// `RSA_2048_PKCS1_SIGN` (deprecated): `<b64url dataset>.<b64url sig over dataset>`.
    Rsa2048Pkcs1Sign,
    /// `RSA_2048_PKCS1_PSS_SIGN` (deprecated): as above with RSA-PSS.
    Rsa2048Pkcs1PssSign,
    /// `RSA_2048_JWT_RS256`: an RS256 JWT whose claims are the dataset.
    Rsa2048JwtRs256,
    /// `RSA_2048_PKCS1_ENCRYPT`: b64url of an RSA private-key "encryption" (PKCS#1 v1.5
    /// type-1 padding) of the dataset, recovered with the public key.
    Rsa2048Pkcs1Encrypt,
    /// `LEGACY_ENCRYPT`: random key stored hashed; carries nothing verifiable offline.
    LegacyEncrypt,
}

impl Scheme {
    /// All schemes Keygen defines.
    pub const ALL: [Scheme; 9] = [
        Scheme::Ed25519Sign,
        Scheme::EcdsaP256Sign,
        Scheme::Rsa2048Pkcs1PssSignV2,
        Scheme::Rsa2048Pkcs1SignV2,
        Scheme::Rsa2048Pkcs1Sign,
        Scheme::Rsa2048Pkcs1PssSign,
        Scheme::Rsa2048JwtRs256,
        Scheme::Rsa2048Pkcs1Encrypt,
        Scheme::LegacyEncrypt,
    ];

    /// Keygen's exact name, e.g. `RSA_2048_PKCS1_PSS_SIGN_V2`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Ed25519Sign => "ED25519_SIGN",
            Scheme::EcdsaP256Sign => "ECDSA_P256_SIGN",
            Scheme::Rsa2048Pkcs1PssSignV2 => "RSA_2048_PKCS1_PSS_SIGN_V2",
            Scheme::Rsa2048Pkcs1SignV2 => "RSA_2048_PKCS1_SIGN_V2",
            Scheme::Rsa2048Pkcs1Sign => "RSA_2048_PKCS1_SIGN",
            Scheme::Rsa2048Pkcs1PssSign => "RSA_2048_PKCS1_PSS_SIGN",
            Scheme::Rsa2048JwtRs256 => "RSA_2048_JWT_RS256",
            Scheme::Rsa2048Pkcs1Encrypt => "RSA_2048_PKCS1_ENCRYPT",
            Scheme::LegacyEncrypt => "LEGACY_ENCRYPT",
        }
    }

    /// Whether keys of this scheme use the `key/<dataset>.<sig>` layout (signature over
    /// the string `key/<b64url dataset>`).
    pub const fn is_v2_signed(self) -> bool {
        matches!(
            self,
            Scheme::Ed25519Sign
                | Scheme::EcdsaP256Sign
                | Scheme::Rsa2048Pkcs1PssSignV2
                | Scheme::Rsa2048Pkcs1SignV2
        )
    }

    /// The signature algorithm of the key itself (`None` for `RSA_2048_PKCS1_ENCRYPT`, which
    /// is a raw RSA operation, and `LEGACY_ENCRYPT`).
    pub const fn key_signature(self) -> Option<SignatureAlgorithm> {
        match self {
            Scheme::Ed25519Sign => Some(SignatureAlgorithm::Ed25519),
            Scheme::EcdsaP256Sign => Some(SignatureAlgorithm::EcdsaP256),
            Scheme::Rsa2048Pkcs1PssSignV2 | Scheme::Rsa2048Pkcs1PssSign => {
                Some(SignatureAlgorithm::RsaPssSha256)
            }
            Scheme::Rsa2048Pkcs1SignV2 | Scheme::Rsa2048Pkcs1Sign | Scheme::Rsa2048JwtRs256 => {
                Some(SignatureAlgorithm::RsaSha256)
            }
            Scheme::Rsa2048Pkcs1Encrypt | Scheme::LegacyEncrypt => None,
        }
    }

    /// The default license/machine file signature algorithm for a license of this scheme
    /// (`None` = no scheme → `ed25519`): PSS schemes → `rsa-pss-sha256`, other RSA schemes →
    /// `rsa-sha256`, `ED25519_SIGN` → `ed25519`, `ECDSA_P256_SIGN` → `ecdsa-p256`.
    pub const fn default_file_signature(scheme: Option<Scheme>) -> SignatureAlgorithm {
        match scheme {
            Some(Scheme::EcdsaP256Sign) => SignatureAlgorithm::EcdsaP256,
            Some(Scheme::Rsa2048Pkcs1PssSignV2 | Scheme::Rsa2048Pkcs1PssSign) => {
                SignatureAlgorithm::RsaPssSha256
            }
            Some(
                Scheme::Rsa2048Pkcs1SignV2
                | Scheme::Rsa2048Pkcs1Sign
                | Scheme::Rsa2048JwtRs256
                | Scheme::Rsa2048Pkcs1Encrypt,
            ) => SignatureAlgorithm::RsaSha256,
            Some(Scheme::Ed25519Sign | Scheme::LegacyEncrypt) | None => SignatureAlgorithm::Ed25519,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = OfflineError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| OfflineError::UnknownScheme(excerpt(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for scheme in Scheme::ALL {
            assert_eq!(scheme.as_str().parse::<Scheme>(), Ok(scheme));
        }
        assert!("ed25519_sign".parse::<Scheme>().is_err());
    }

    /// Keygen's scheme → license-file algorithm table.
    #[test]
    fn default_file_signatures_follow_keygens_table() {
        use SignatureAlgorithm as S;
        let table = [
            (None, S::Ed25519),
            (Some(Scheme::Ed25519Sign), S::Ed25519),
            (Some(Scheme::EcdsaP256Sign), S::EcdsaP256),
            (Some(Scheme::Rsa2048Pkcs1PssSignV2), S::RsaPssSha256),
            (Some(Scheme::Rsa2048Pkcs1SignV2), S::RsaSha256),
            (Some(Scheme::Rsa2048Pkcs1Encrypt), S::RsaSha256),
            (Some(Scheme::Rsa2048JwtRs256), S::RsaSha256),
            (Some(Scheme::Rsa2048Pkcs1PssSign), S::RsaPssSha256),
            (Some(Scheme::Rsa2048Pkcs1Sign), S::RsaSha256),
        ];
        for (scheme, expected) in table {
            assert_eq!(
                Scheme::default_file_signature(scheme),
                expected,
                "{scheme:?}"
            );
        }
    }
}
