//! RSA public keys: verification of RSASSA-PSS with Keygen's maximal salt length and the
//! PKCS#1 v1.5 "public decrypt" of `RSA_2048_PKCS1_ENCRYPT` license keys, both by the `rsa`
//! crate (ring only accepts a 32-byte PSS salt and cannot recover a payload). PKCS#1 v1.5
//! SHA-256 signatures are verified by ring in [`super::keys`].

use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, pss};
use sha2::Sha256;

use super::error::OfflineError;

/// Smallest accepted RSA modulus, in bits (ring's floor for RSA verification).
const RSA_MIN_BITS: usize = 2048;
/// Largest accepted RSA modulus, in bits (bounds the work an input can cause).
const RSA_MAX_BITS: usize = 8192;

/// RFC 8017's maximal PSS salt for SHA-256, `emLen - hLen - 2` with
/// `emLen = ceil((modBits - 1) / 8)`: 222 bytes for RSA-2048. Keygen signs RSA-PSS with it.
pub fn pss_max_salt_len(modulus_bits: usize) -> usize {
    modulus_bits
        .saturating_sub(1)
        .div_ceil(8)
        .saturating_sub(32 + 2)
}

/// An RSA public key (2048 to 8192 bits; Keygen uses 2048).
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
    key: rsa::RsaPublicKey,
}

impl RsaPublicKey {
    /// Builds a key from big-endian modulus and exponent. Rejects moduli outside
    /// 2048..=8192 bits, even moduli and exponents that are even, < 3 or >= 2^33 (ring's
    /// rules).
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, OfflineError> {
        const INVALID: OfflineError = OfflineError::MalformedKey(
            "RSA key must be 2048..=8192 bits with an odd exponent in 3..2^33",
        );
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        // Byte-length bound before any big-integer work.
        if !(RSA_MIN_BITS / 8..=RSA_MAX_BITS / 8).contains(&n.len()) {
            return Err(INVALID);
        }
        let key = rsa::RsaPublicKey::new_with_max_size(
            BigUint::from_bytes_be(n),
            BigUint::from_bytes_be(e),
            RSA_MAX_BITS,
        )
        .map_err(|_| INVALID)?;
        if key.n().bits() < RSA_MIN_BITS {
            return Err(INVALID);
        }
        Ok(RsaPublicKey {
            n: n.to_vec(),
            e: e.to_vec(),
            key,
        })
    }

    /// Modulus length in bits.
    pub fn bits(&self) -> usize {
        self.key.n().bits()
    }

    /// Big-endian modulus.
    pub fn modulus(&self) -> &[u8] {
        &self.n
    }

    /// Big-endian public exponent.
    pub fn exponent(&self) -> &[u8] {
        &self.e
    }

    /// Recovers the data of a PKCS#1 v1.5 type-1 block ("public decrypt", OpenSSL's
    /// `RSA_public_decrypt` with `RSA_PKCS1_PADDING`), as used by `RSA_2048_PKCS1_ENCRYPT`
    /// license keys.
    ///
    /// The payload is read from the raw public operation (`rsa::hazmat`) and then checked by
    /// the `rsa` crate's PKCS#1 v1.5 verification (`00 01 FF…FF 00 payload`, at least eight
    /// `FF`, block shorter than the modulus).
    pub fn public_decrypt(&self, block: &[u8]) -> Result<Vec<u8>, OfflineError> {
        let m = rsa::hazmat::rsa_encrypt(&self.key, &BigUint::from_bytes_be(block))
            .map_err(|_| OfflineError::BadSignature)?;
        // The big-endian value drops EM's leading zero byte: `01 FF…FF 00 payload`.
        let em = m.to_bytes_be();
        let payload = em
            .iter()
            .position(|&b| b == 0)
            .and_then(|sep| em.get(sep + 1..))
            .ok_or(OfflineError::BadSignature)?;
        self.key
            .verify(Pkcs1v15Sign::new_unprefixed(), payload, block)
            .map_err(|_| OfflineError::BadSignature)?;
        Ok(payload.to_vec())
    }

    /// Verifies RSASSA-PSS (SHA-256, MGF1-SHA-256) with the maximal salt length.
    pub(crate) fn verify_pss_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        let salt_len = pss_max_salt_len(self.bits());
        let verifier = pss::VerifyingKey::<Sha256>::new_with_salt_len(self.key.clone(), salt_len);
        pss::Signature::try_from(signature)
            .is_ok_and(|signature| verifier.verify(message, &signature).is_ok())
    }
}

fn strip_zeros(mut bytes: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = bytes {
        bytes = rest;
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::{SignatureAlgorithm, VerifyingKey};

    #[test]
    fn rejects_out_of_range_rsa_keys() {
        let mut n = vec![0xffu8; 256];
        assert!(RsaPublicKey::from_components(&n, &[1, 0, 1]).is_ok());
        assert!(RsaPublicKey::from_components(&n, &[3]).is_ok());
        assert!(
            RsaPublicKey::from_components(&n, &[1, 0, 0]).is_err(),
            "even e"
        );
        assert!(RsaPublicKey::from_components(&n, &[1]).is_err(), "e < 3");
        assert!(
            RsaPublicKey::from_components(&n, &[2, 0, 0, 0, 1]).is_err(),
            "e >= 2^33"
        );
        n[255] = 0xfe;
        assert!(
            RsaPublicKey::from_components(&n, &[1, 0, 1]).is_err(),
            "even n"
        );
        assert!(
            RsaPublicKey::from_components(&[0xff; 128], &[1, 0, 1]).is_err(),
            "1024-bit n"
        );
        assert!(
            RsaPublicKey::from_components(&[0x7f; 256], &[1, 0, 1]).is_err(),
            "2047-bit n"
        );
        assert!(
            RsaPublicKey::from_components(&[0xff; 1025], &[1, 0, 1]).is_err(),
            "8200-bit n"
        );
    }

    #[test]
    fn rejects_rsa_signatures_out_of_range() {
        // n = 2^2048 - 1, e = 65537.
        let Ok(key) = RsaPublicKey::from_components(&[0xff; 256], &[1, 0, 1]) else {
            panic!("rsa key")
        };
        let rsa = VerifyingKey::Rsa(key.clone());
        for sig in [vec![0xff; 256], vec![0x01; 255], vec![0x01; 257]] {
            for alg in [
                SignatureAlgorithm::RsaPssSha256,
                SignatureAlgorithm::RsaSha256,
            ] {
                assert_eq!(rsa.verify(alg, b"m", &sig), Err(OfflineError::BadSignature));
            }
            assert_eq!(key.public_decrypt(&sig), Err(OfflineError::BadSignature));
        }
    }

    #[test]
    fn pss_max_salt_follows_the_modulus_size() {
        assert_eq!(pss_max_salt_len(2048), 222);
        assert_eq!(pss_max_salt_len(2049), 222);
        assert_eq!(pss_max_salt_len(3072), 350);
        assert_eq!(pss_max_salt_len(4096), 478);
    }
}
