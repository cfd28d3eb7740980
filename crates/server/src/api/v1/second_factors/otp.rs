//! One-time codes against a stored second factor: opening its sealed secret,
//! checking a code at the server's time and claiming the code's step so that it is
//! never accepted twice (shared by the second-factor routes and the login check in
//! `tokens::login`), plus the `meta` members these requests carry.

use crate::api::v1::serializers::second_factors::Reveal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use latchkey_core::second_factor::{self as totp, Totp};
use latchkey_proto::ErrorCode;
use latchkey_store::second_factors::{self, SecondFactorRow};
use serde_json::Value;

/// 401 `OTP_INVALID` (Keygen's wording and pointer).
pub fn otp_invalid() -> ApiError {
    ApiError::unauthorized(ErrorCode::OtpInvalid, "second factor must be valid")
        .pointer("/meta/otp")
}

/// 401 `OTP_REQUIRED`.
pub fn otp_required() -> ApiError {
    ApiError::unauthorized(ErrorCode::OtpRequired, "second factor is required").pointer("/meta/otp")
}

/// `meta.<name>` as a string: `None` when absent or null, 400 when `meta` or the
/// member has another type.
pub fn meta_string(body: &Value, name: &str) -> ApiResult<Option<String>> {
    let meta = match body.get("meta") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(meta)) => meta,
        Some(_) => {
            return Err(ApiError::bad_request("type mismatch (expected object)")
                .code(ErrorCode::ParametersInvalid)
                .pointer("/meta"));
        }
    };
    match meta.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::bad_request("type mismatch (expected string)")
            .code(ErrorCode::ParametersInvalid)
            .pointer(format!("/meta/{name}"))),
    }
}

/// 400 "is missing" at `pointer`.
pub fn is_missing(pointer: &str) -> ApiError {
    ApiError::bad_request("is missing")
        .code(ErrorCode::ParametersInvalid)
        .pointer(pointer)
}

/// The factor's generator, labelled with `email`. A secret that does not open (the
/// server secret changed, or the row was tampered with) is an internal error.
fn generator(state: &AppState, factor: &SecondFactorRow, email: &str) -> ApiResult<Totp> {
    let secret = totp::open_secret(
        state.secret.bytes(),
        &factor.account_id,
        &factor.id,
        &factor.secret,
    )
    .map_err(ApiError::internal)?;
    Totp::new(secret, email).map_err(ApiError::internal)
}

/// The secret and URI shown while `factor` is not enabled (`None` once it is).
pub fn reveal(
    state: &AppState,
    factor: &SecondFactorRow,
    email: &str,
) -> ApiResult<Option<Reveal>> {
    if factor.enabled {
        return Ok(None);
    }
    let totp = generator(state, factor, email)?;
    Ok(Some(Reveal {
        secret: totp.secret_base32(),
        uri: totp.uri(),
    }))
}

/// Whether `code` is valid for `factor` now: a code of the current step (or of the
/// previous one within 10 s) newer than the last accepted one. An accepted code's
/// step is recorded at once, so the same code is refused afterwards, also to a
/// concurrent request.
pub async fn verify_code(
    state: &AppState,
    factor: &SecondFactorRow,
    code: &str,
) -> ApiResult<bool> {
    let totp = generator(state, factor, "")?;
    let Some(step) = totp.verify(code, state.now_ms(), factor.last_verified_at) else {
        return Ok(false);
    };
    Ok(second_factors::claim_step(&state.db, &factor.account_id, &factor.id, step).await?)
}
