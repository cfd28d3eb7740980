//! License permits (Keygen `permits`): suspend, reinstate, renew, revoke, check-in;
//! [`authorize`] applies the per-role rules (§6.6, `core::access::licenses::may_act`)
//! shared with the usage actions.

use super::{facts, load, respond};
use crate::account::Account;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::lifecycle::FirstEvent;
use latchkey_proto::ErrorCode;
use latchkey_store::licenses::{self, LicenseRow};
use latchkey_store::policies::PolicyRow;

pub use latchkey_core::access::licenses::Act;

/// Loads the license for `act`: 404 when absent, 403 when unreadable or when the
/// caller may not do it.
pub async fn authorize(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    act: Act,
) -> ApiResult<(LicenseRow, PolicyRow)> {
    let (license, policy) = load(state, account, principal, id).await?;
    let facts = facts(state, principal, &license, license.is_protected(&policy)).await?;
    if !latchkey_core::access::licenses::may_act(&principal.actor(), &facts, act) {
        return Err(ApiError::forbidden("not allowed to perform this action"));
    }
    Ok((license, policy))
}

async fn set_suspended(
    state: &AppState,
    account: &Account,
    license: &LicenseRow,
    suspended: bool,
) -> ApiResult<Document> {
    if !licenses::set_suspended(&state.db, &license.id, suspended, state.now_ms()).await? {
        let detail = if suspended {
            "is already suspended"
        } else {
            "is not suspended"
        };
        return Err(ApiError::unprocessable(ErrorCode::SuspendedInvalid, detail)
            .pointer("/data/attributes/suspended"));
    }
    respond(state, account, &license.id).await
}

/// `POST /licenses/{id}/actions/suspend`
pub async fn suspend(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = authorize(&state, &account, &principal, &id, Act::Suspend).await?;
    set_suspended(&state, &account, &license, true).await
}

/// `POST /licenses/{id}/actions/reinstate`
pub async fn reinstate(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = authorize(&state, &account, &principal, &id, Act::Suspend).await?;
    set_suspended(&state, &account, &license, false).await
}

/// `POST /licenses/{id}/actions/renew`: extends the expiry by the policy duration
/// per its renewalBasis; 422 when the policy has no duration.
pub async fn renew(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, policy) = authorize(&state, &account, &principal, &id, Act::Renew).await?;
    let Some(duration) = policy.duration else {
        return Err(ApiError::unprocessable(
            ErrorCode::ExpiryInvalid,
            "cannot be renewed because it does not expire",
        )
        .pointer("/data/attributes/expiry"));
    };
    let basis = policy.renewal_basis;
    let renewed = licenses::renew(
        &state.db,
        account.id(),
        &license.id,
        basis,
        duration,
        state.now_ms(),
    )
    .await?;
    if !renewed {
        return Err(ApiError::not_found("license", &id));
    }
    respond(&state, &account, &license.id).await
}

/// `DELETE /licenses/{id}/actions/revoke`: deletes the license (204), like `DELETE /licenses/{id}`.
pub async fn revoke(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (license, _) = authorize(&state, &account, &principal, &id, Act::Renew).await?;
    licenses::delete(&state.db, account.id(), &license.id, true, state.now_ms()).await?;
    Ok(no_content())
}

/// `POST /licenses/{id}/actions/check-in`: records a check-in (lastCheckIn = now),
/// 422 when the policy does not require check-ins.
pub async fn check_in(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, policy) = authorize(&state, &account, &principal, &id, Act::CheckIn).await?;
    if !policy.require_check_in {
        return Err(ApiError::unprocessable(
            ErrorCode::CheckInNotRequired,
            "cannot be checked in because the policy does not require it",
        ));
    }
    licenses::check_in(&state.db, &license.id, state.now_ms()).await?;
    respond(&state, &account, &license.id).await
}

/// Starts the expiry clock when `event` is the policy's expirationBasis (see
/// `latchkey_store::licenses::start_expiry`); updates `license.expiry`.
pub async fn start_expiry(
    state: &AppState,
    license: &mut LicenseRow,
    policy: &PolicyRow,
    event: FirstEvent,
) -> ApiResult<()> {
    Ok(licenses::start_expiry(&state.db, license, policy, event, state.now_ms()).await?)
}
