//! Generating Keygen's cryptographic license keys from a dataset (policy `scheme`s), the
//! signing counterpart of `latchkey_proto::offline::verify_license_key`.
//!
//! The dataset is used verbatim: `{{template}}` substitution and default datasets belong
//! to the caller (the server), exactly as Keygen renders them before signing.

use latchkey_proto::offline::{Scheme, base64url_encode, base64url_encode_no_pad, v2_signing_data};
use serde_json::{Map, Value};

use super::error::CryptoError;
use super::keys::Signer;

/// JWT header Keygen emits for `RSA_2048_JWT_RS256` keys (`{"alg":"RS256"}`, no `typ`).
const JWT_HEADER: &str = r#"{"alg":"RS256"}"#;

/// Generates the license key for `dataset` under `scheme`.
///
/// * V2 schemes: `key/<b64url dataset>.<b64url sig over "key/<b64url dataset>">`;
/// * `RSA_2048_PKCS1_SIGN` / `_PSS_SIGN`: `<b64url dataset>.<b64url sig over dataset>`;
/// * `RSA_2048_JWT_RS256`: an RS256 JWT whose claims are `dataset`, which must be a JSON
///   object ([`CryptoError::KeyJwtClaimsInvalid`]); it is re-serialised compactly in its
///   original member order;
/// * `RSA_2048_PKCS1_ENCRYPT`: b64url of the PKCS#1 v1.5 type-1 private-key operation on
///   the dataset, at most 245 bytes ([`CryptoError::KeyByteSizeExceeded`]);
/// * `LEGACY_ENCRYPT`: [`CryptoError::UnsupportedScheme`].
///
/// base64url is padded, like Ruby's `urlsafe_encode64` (JWT segments are unpadded).
pub fn generate_license_key(
    scheme: Scheme,
    dataset: &str,
    signer: &Signer,
) -> Result<String, CryptoError> {
    match scheme {
        Scheme::Ed25519Sign
        | Scheme::EcdsaP256Sign
        | Scheme::Rsa2048Pkcs1PssSignV2
        | Scheme::Rsa2048Pkcs1SignV2 => {
            let algorithm = signature_of(scheme)?;
            let signing_data = v2_signing_data(&base64url_encode(dataset.as_bytes()));
            let sig = signer.sign(algorithm, signing_data.as_bytes())?;
            Ok(format!("{signing_data}.{}", base64url_encode(&sig)))
        }
        Scheme::Rsa2048Pkcs1Sign | Scheme::Rsa2048Pkcs1PssSign => {
            let algorithm = signature_of(scheme)?;
            let sig = signer.sign(algorithm, dataset.as_bytes())?;
            Ok(format!(
                "{}.{}",
                base64url_encode(dataset.as_bytes()),
                base64url_encode(&sig)
            ))
        }
        Scheme::Rsa2048JwtRs256 => {
            let claims = jwt_claims(dataset)?;
            let signing_input = format!(
                "{}.{}",
                base64url_encode_no_pad(JWT_HEADER.as_bytes()),
                base64url_encode_no_pad(claims.as_bytes())
            );
            let algorithm = signature_of(scheme)?;
            let sig = signer.sign(algorithm, signing_input.as_bytes())?;
            Ok(format!("{signing_input}.{}", base64url_encode_no_pad(&sig)))
        }
        Scheme::Rsa2048Pkcs1Encrypt => {
            let block = signer.rsa_private_encrypt(dataset.as_bytes())?;
            Ok(base64url_encode(&block))
        }
        Scheme::LegacyEncrypt => Err(CryptoError::UnsupportedScheme(scheme.as_str())),
    }
}

fn signature_of(
    scheme: Scheme,
) -> Result<latchkey_proto::offline::SignatureAlgorithm, CryptoError> {
    scheme
        .key_signature()
        .ok_or(CryptoError::UnsupportedScheme(scheme.as_str()))
}

/// Validates JWT claims as a JSON object and returns them compactly serialised in their
/// original member order (as Ruby's `JSON.generate` of the parsed hash would).
fn jwt_claims(dataset: &str) -> Result<String, CryptoError> {
    serde_json::from_str::<Map<String, Value>>(dataset)
        .map_err(|_| CryptoError::KeyJwtClaimsInvalid)?;
    Ok(minify_json(dataset))
}

/// Removes insignificant whitespace from valid JSON text.
fn minify_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::minify_json;

    #[test]
    fn minify_keeps_strings_and_order() {
        assert_eq!(
            minify_json("{ \"b\" : \"x \\\" y\" ,\n \"a\": [1, 2] }"),
            r#"{"b":"x \" y","a":[1,2]}"#
        );
    }
}
