//! Cryptographic license keys for policies with a `scheme` (Keygen §8): the vendor's
//! dataset (templated) or Keygen's default dataset, signed or encrypted with the
//! account's keys.

use crate::account::Account;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use latchkey_core::crypto::CryptoError;
use latchkey_core::crypto::signed_key::generate_license_key;
use latchkey_core::key_dataset::{KeyFacts, default_dataset, render_template};
use latchkey_proto::ErrorCode;
use latchkey_proto::offline::Scheme;

/// The key for a new license of a policy whose scheme is `scheme_name`.
pub fn issue(
    state: &AppState,
    account: &Account,
    scheme_name: &str,
    dataset: Option<String>,
    facts: &KeyFacts<'_>,
) -> ApiResult<String> {
    let scheme = match scheme_name.parse::<Scheme>() {
        Ok(Scheme::LegacyEncrypt) | Err(_) => {
            return Err(ApiError::unprocessable(
                ErrorCode::SchemeNotSupported,
                format!("license keys for scheme {scheme_name} are not supported"),
            )
            .pointer("/data/relationships/policy"));
        }
        Ok(scheme) => scheme,
    };
    let dataset = match dataset {
        Some(template) => render_template(&template, facts),
        None => default_dataset(scheme, facts, &latchkey_store::new_id()),
    };
    let signer = crate::signing::signer(state, &account.0).map_err(ApiError::internal)?;
    generate_license_key(scheme, &dataset, &signer).map_err(|error| match error {
        CryptoError::KeyByteSizeExceeded { max, .. } => ApiError::unprocessable(
            ErrorCode::KeyByteSizeExceeded,
            format!("key exceeds maximum byte length (max {max} bytes)"),
        )
        .pointer("/data/attributes/key"),
        CryptoError::KeyJwtClaimsInvalid => ApiError::unprocessable(
            ErrorCode::KeyJwtClaimsInvalid,
            "key is not a valid JWT claims payload",
        )
        .pointer("/data/attributes/key"),
        other => ApiError::internal(other),
    })
}
