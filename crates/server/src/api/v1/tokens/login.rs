//! The email + password (+ one-time code) check: the one login rule shared by
//! `POST /tokens` (HTTP Basic `email:password`, `meta.otp`) and the admin UI's login
//! form.

use crate::account::Account;
use crate::api::v1::second_factors::otp::{otp_invalid, otp_required, verify_code};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use latchkey_proto::ErrorCode;
use latchkey_store::second_factors;
use latchkey_store::users::{self, UserRow};

/// Every email/password failure (malformed or unknown email, no password, empty or
/// wrong password) answers the same: Keygen's `CREDENTIALS_INVALID` (what it answers
/// API ≤ 1.7 clients), also for 1.8 clients, whose per-cause codes would reveal which
/// emails exist.
pub fn credentials_invalid() -> ApiError {
    ApiError::unauthorized(
        ErrorCode::CredentialsInvalid,
        "email and password must be valid",
    )
    .header("Authorization")
}

/// Checks a login and answers the user it proves.
///
/// ```text
/// pub async fn verify_login(
///     state: &AppState,      // the server state (database, clock, server secret)
///     account: &Account,     // the account the login is for
///     email: &str,           // the user's email (case-insensitive)
///     password: &str,        // the password as typed
///     otp: Option<&str>,     // the current TOTP code, when the user gave one
/// ) -> ApiResult<UserRow>
/// ```
///
/// Keygen's order of checks (spec §6.2), each failure a JSON:API error:
/// 1. NUL in any value: 400 `ENCODING_INVALID`.
/// 2. The email names a user of `account` who has a password, and `password` is not
///    empty: else 401 `CREDENTIALS_INVALID`.
/// 3. When the user has an enabled second factor: `otp` is given (else 401
///    `OTP_REQUIRED`) and is a current code never accepted before (else 401
///    `OTP_INVALID`; an accepted code is used up even if the password turns out
///    wrong). The code is checked before the password, as Keygen does, so a
///    password's correctness is never revealed without a valid code.
/// 4. The password is the user's: else 401 `CREDENTIALS_INVALID`.
/// 5. The user is not banned: else 403 `USER_BANNED`.
///
/// Exactly one Argon2 verification runs on every path that reaches step 2 (a dummy
/// hash stands in for unknown users), so timing does not reveal which emails exist.
/// The `CREDENTIALS_INVALID` answers are one collapsed code on every API version; the
/// `OTP_*` codes are not collapsed (Keygen does not collapse them either), so they
/// tell that the email has a second factor.
pub async fn verify_login(
    state: &AppState,
    account: &Account,
    email: &str,
    password: &str,
    otp: Option<&str>,
) -> ApiResult<UserRow> {
    for value in [email, password, otp.unwrap_or_default()] {
        crate::encoding::check_str(value).map_err(|flaw| flaw.error())?;
    }
    let user = if email.contains('@') {
        users::find(&state.db, account.id(), email).await?
    } else {
        None
    };
    // One Argon2 verification on every path (a dummy hash when the user is unknown
    // or has no password).
    let digest = user.as_ref().and_then(|u| u.password_digest.clone());
    let typed = password.to_owned();
    let password_ok = tokio::task::spawn_blocking(move || {
        !typed.is_empty() && latchkey_core::password::verify_or_dummy(&typed, digest.as_deref())
    })
    .await
    .map_err(ApiError::internal)?;
    let Some(user) = user.filter(|u| u.password_digest.is_some() && !password.is_empty()) else {
        return Err(credentials_invalid());
    };
    if let Some(factor) =
        second_factors::enabled_for_user(&state.db, account.id(), &user.id).await?
    {
        let Some(code) = otp else {
            return Err(otp_required());
        };
        if !verify_code(state, &factor, code).await? {
            return Err(otp_invalid());
        }
    }
    if !password_ok {
        return Err(credentials_invalid());
    }
    if user.banned_at.is_some() {
        return Err(ApiError::forbidden("user is banned").code(ErrorCode::UserBanned));
    }
    Ok(user)
}
