//! Verification of Keygen's cryptographic license keys (policy `scheme`s):
//!
//! * V2 signed keys `key/<b64url dataset>.<b64url sig>`, signature over `key/<b64url dataset>`
//!   (`ED25519_SIGN`, `ECDSA_P256_SIGN`, `RSA_2048_PKCS1_SIGN_V2`, `RSA_2048_PKCS1_PSS_SIGN_V2`);
//! * legacy `<b64url dataset>.<b64url sig>`, signature over the raw dataset
//!   (`RSA_2048_PKCS1_SIGN`, `RSA_2048_PKCS1_PSS_SIGN`);
//! * `RSA_2048_JWT_RS256` JWTs (claims returned);
//! * `RSA_2048_PKCS1_ENCRYPT`: b64url of a PKCS#1 v1.5 type-1 block, recovered with the
//!   public key.
//!
//! Keygen's base64url is padded (Ruby's `urlsafe_encode64`); unpadded input is accepted.
//! The signature always covers the dataset text exactly as it appears in the key.

use serde_json::Value;

use super::algorithm::SignatureAlgorithm;
use super::b64;
use super::error::OfflineError;
use super::keys::{KeySource, VerifyingKey};
use super::scheme::Scheme;

/// Prefix of V2 signed keys and of their signing data.
pub const KEY_PREFIX: &str = "key";

/// Largest license key accepted (Keygen caps keys at 16 KiB; this leaves room).
const MAX_KEY_LEN: usize = 64 << 10;

/// The authenticated content of a license key.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedLicenseKey {
    scheme: Scheme,
    dataset: Vec<u8>,
    claims: Option<Value>,
}

impl VerifiedLicenseKey {
    /// The scheme the key was verified under.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The embedded dataset (for JWTs: the claims JSON text).
    pub fn dataset(&self) -> &[u8] {
        &self.dataset
    }

    /// The dataset as UTF-8 text, if it is.
    pub fn dataset_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.dataset).ok()
    }

    /// The dataset parsed as JSON, if it is.
    pub fn dataset_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.dataset).ok()
    }

    /// The JWT claims (only for `RSA_2048_JWT_RS256`).
    pub fn claims(&self) -> Option<&Value> {
        self.claims.as_ref()
    }
}

/// The exact data signed in a V2 key: `key/<b64url dataset>`.
pub fn v2_signing_data(encoded_dataset: &str) -> String {
    format!("{KEY_PREFIX}/{encoded_dataset}")
}

/// Verifies `license_key` under `scheme` with the account's public key(s) and returns the
/// embedded dataset.
///
/// Errors: [`OfflineError::MalformedLicenseKey`] for a key that does not have the scheme's
/// layout, [`OfflineError::BadSignature`] for a signature (or encryption block) that does not
/// verify, [`OfflineError::WrongKeyType`] when no suitable key is available and
/// [`OfflineError::UnsupportedScheme`] for `LEGACY_ENCRYPT`.
pub fn verify_license_key(
    scheme: Scheme,
    license_key: &str,
    keys: &impl KeySource,
) -> Result<VerifiedLicenseKey, OfflineError> {
    use OfflineError::MalformedLicenseKey as Malformed;
    let license_key = license_key.trim_ascii();
    if license_key.len() > MAX_KEY_LEN {
        return Err(Malformed("key too long"));
    }
    let verified = |dataset: Vec<u8>| VerifiedLicenseKey {
        scheme,
        dataset,
        claims: None,
    };
    match scheme {
        Scheme::Ed25519Sign
        | Scheme::EcdsaP256Sign
        | Scheme::Rsa2048Pkcs1PssSignV2
        | Scheme::Rsa2048Pkcs1SignV2 => {
            let algorithm = signature_of(scheme)?;
            let rest = license_key
                .strip_prefix("key/")
                .ok_or(Malformed("V2 signed key must start with key/"))?;
            let (encoded, sig) = split_two(rest)?;
            let dataset = b64::decode_url(encoded).ok_or(Malformed("dataset is not base64url"))?;
            let sig = b64::decode_url(sig).ok_or(Malformed("signature is not base64url"))?;
            keys.verify(algorithm, v2_signing_data(encoded).as_bytes(), &sig)?;
            Ok(verified(dataset))
        }
        Scheme::Rsa2048Pkcs1Sign | Scheme::Rsa2048Pkcs1PssSign => {
            let algorithm = signature_of(scheme)?;
            let (encoded, sig) = split_two(license_key)?;
            let dataset = b64::decode_url(encoded).ok_or(Malformed("dataset is not base64url"))?;
            let sig = b64::decode_url(sig).ok_or(Malformed("signature is not base64url"))?;
            keys.verify(algorithm, &dataset, &sig)?;
            Ok(verified(dataset))
        }
        Scheme::Rsa2048JwtRs256 => {
            verify_jwt_rs256(license_key, keys).map(|(dataset, claims)| VerifiedLicenseKey {
                scheme,
                dataset,
                claims: Some(claims),
            })
        }
        Scheme::Rsa2048Pkcs1Encrypt => {
            let block =
                b64::decode_url(license_key).ok_or(Malformed("encrypted key is not base64url"))?;
            let key = match keys.key_for(SignatureAlgorithm::RsaSha256)? {
                VerifyingKey::Rsa(key) => key,
                other => {
                    return Err(OfflineError::WrongKeyType {
                        algorithm: SignatureAlgorithm::RsaSha256,
                        key: Some(other.key_type()),
                    });
                }
            };
            Ok(verified(key.public_decrypt(&block)?))
        }
        Scheme::LegacyEncrypt => Err(OfflineError::UnsupportedScheme(scheme.as_str())),
    }
}

fn signature_of(scheme: Scheme) -> Result<SignatureAlgorithm, OfflineError> {
    scheme
        .key_signature()
        .ok_or(OfflineError::UnsupportedScheme(scheme.as_str()))
}

/// Splits `a.b` where neither part is empty or contains another `.`.
fn split_two(s: &str) -> Result<(&str, &str), OfflineError> {
    match s.split_once('.') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('.') => Ok((a, b)),
        _ => Err(OfflineError::MalformedLicenseKey(
            "expected <dataset>.<signature>",
        )),
    }
}

/// Verifies an RS256 JWT (`header.claims.signature`, unpadded base64url; padding tolerated),
/// returning the claims text and parsed claims object.
fn verify_jwt_rs256(token: &str, keys: &impl KeySource) -> Result<(Vec<u8>, Value), OfflineError> {
    use OfflineError::MalformedLicenseKey as Malformed;
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Malformed("JWT must have three segments"));
    };
    let header_json = b64::decode_url(header).ok_or(Malformed("JWT header is not base64url"))?;
    let header_value: Value =
        serde_json::from_slice(&header_json).map_err(|_| Malformed("JWT header is not JSON"))?;
    if header_value.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(Malformed("JWT alg must be RS256"));
    }
    let sig = b64::decode_url(sig).ok_or(Malformed("JWT signature is not base64url"))?;
    let signing_input = token
        .get(..header.len() + 1 + claims.len())
        .ok_or(Malformed("JWT must have three segments"))?;
    keys.verify(
        SignatureAlgorithm::RsaSha256,
        signing_input.as_bytes(),
        &sig,
    )?;
    let claims_json = b64::decode_url(claims).ok_or(Malformed("JWT claims are not base64url"))?;
    let claims_value: Value =
        serde_json::from_slice(&claims_json).map_err(|_| Malformed("JWT claims are not JSON"))?;
    if !claims_value.is_object() {
        return Err(Malformed("JWT claims are not a JSON object"));
    }
    Ok((claims_json, claims_value))
}
