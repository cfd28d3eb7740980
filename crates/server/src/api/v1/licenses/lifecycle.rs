//! License permits (Keygen `permits`): suspend, reinstate, renew, revoke, check-in,
//! and the per-role rules (§6.6) shared with the usage actions.

use super::{find, policy_of, render};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::lifecycle::{FirstEvent, first_event_expiry, renewed_expiry};
use latchkey_store::crud;
use latchkey_store::licenses::{COLUMNS, LicenseRow, TABLE};
use latchkey_store::policies::PolicyRow;
use latchkey_store::sql;

/// What a caller wants to do to a license; each has its own role rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Suspend or reinstate.
    Suspend,
    /// Renew or revoke.
    Renew,
    /// Check in.
    CheckIn,
    /// Increment usage.
    Increment,
    /// Decrement or reset usage.
    Adjust,
}

fn allowed(principal: &Principal, license: &LicenseRow, policy: &PolicyRow, act: Act) -> bool {
    let unprotected = !license.protected.unwrap_or(policy.protected);
    match &principal.bearer {
        Bearer::Product(p) => p.id == license.product_id,
        Bearer::License(l, _) => l.id == license.id && matches!(act, Act::CheckIn | Act::Increment),
        Bearer::User(u, role) if !role.is_staff() => {
            let owner = license.owner_id.as_deref() == Some(u.id.as_str());
            owner && unprotected && matches!(act, Act::Renew | Act::CheckIn | Act::Increment)
        }
        _ => match act {
            Act::Renew => principal.is_sales_or_above(),
            _ => principal.is_support_or_above(),
        },
    }
}

/// Loads the license for `act`: 404 when absent or unreadable... 403 when readable
/// but the role may not do it.
pub async fn authorize(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    act: Act,
) -> ApiResult<(LicenseRow, PolicyRow)> {
    let (license, policy) = super::load(state, account, principal, id).await?;
    if !allowed(principal, &license, &policy, act) {
        return Err(ApiError::forbidden("not allowed to perform this action"));
    }
    Ok((license, policy))
}

/// Reloads and renders a license after a write.
pub async fn respond(state: &AppState, account: &Account, id: &str) -> ApiResult<Document> {
    let license = find(state, account, id).await?;
    let policy = policy_of(state, &license).await?;
    Ok(Document::ok(single(
        render(state, account, &license, &policy).await?,
    )))
}

async fn set_suspended(
    state: &AppState,
    account: &Account,
    license: &LicenseRow,
    suspended: bool,
) -> ApiResult<Document> {
    // Conditional on the current value so two racing suspends cannot both succeed.
    let changed = state
        .db
        .execute(
            sql("UPDATE licenses SET suspended = $1, updated_at = $2 \
                 WHERE id = $3 AND suspended = $4")
            .bind(suspended)
            .bind(state.now_ms())
            .bind(&license.id)
            .bind(!suspended),
        )
        .await?;
    if changed == 0 {
        let detail = if suspended {
            "is already suspended"
        } else {
            "is not suspended"
        };
        return Err(ApiError::unprocessable("SUSPENDED_INVALID", detail)
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
            "EXPIRY_INVALID",
            "cannot be renewed because it does not expire",
        )
        .pointer("/data/attributes/expiry"));
    };
    let basis = policy.renewal_basis;
    let now = state.now_ms();
    let mut tx = state.db.begin().await?;
    tx.lock_row(TABLE, &license.id).await?;
    // Re-read under the lock: two renewals must add two durations.
    let current: LicenseRow = crud::find_tx(&mut tx, TABLE, COLUMNS, account.id(), &license.id)
        .await?
        .ok_or_else(|| ApiError::not_found("license", &id))?;
    let expiry = renewed_expiry(basis, current.expiry, now, duration);
    tx.execute(
        sql("UPDATE licenses SET expiry = $1, updated_at = $2 WHERE id = $3")
            .bind(expiry)
            .bind(now)
            .bind(&license.id),
    )
    .await?;
    tx.commit().await?;
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
    let mut tx = state.db.begin().await?;
    tx.execute(
        sql("DELETE FROM tokens WHERE account_id = $1 AND bearer_id = $2")
            .bind(account.id())
            .bind(&license.id),
    )
    .await?;
    crud::delete(&mut tx, TABLE, account.id(), &license.id).await?;
    tx.commit().await?;
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
            "CHECK_IN_NOT_REQUIRED",
            "cannot be checked in because the policy does not require it",
        ));
    }
    let now = state.now_ms();
    state
        .db
        .execute(
            sql("UPDATE licenses SET last_check_in_at = $1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&license.id),
        )
        .await?;
    respond(&state, &account, &license.id).await
}

/// Starts the expiry clock when `event` is the policy's expirationBasis and the
/// license has no expiry yet: expiry = now + duration, written once (`WHERE expiry
/// IS NULL`). Updates `license.expiry` for the response. Cheap when nothing to do.
pub async fn start_expiry(
    state: &AppState,
    license: &mut LicenseRow,
    policy: &PolicyRow,
    event: FirstEvent,
) -> ApiResult<()> {
    if license.expiry.is_some() || policy.duration.is_none() {
        return Ok(());
    }
    let basis = policy.expiration_basis;
    let now = state.now_ms();
    if let Some(expiry) = first_event_expiry(basis, event, license.expiry, policy.duration, now)
        && latchkey_store::licenses::set_expiry_once(&state.db, &license.id, expiry, now).await?
    {
        license.expiry = Some(expiry);
    }
    Ok(())
}

/// Routes of the license actions and relationships added here.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{delete, post};
    axum::Router::new()
        .route("/v1/licenses/{id}/actions/suspend", post(suspend))
        .route("/v1/licenses/{id}/actions/reinstate", post(reinstate))
        .route("/v1/licenses/{id}/actions/renew", post(renew))
        .route("/v1/licenses/{id}/actions/revoke", delete(revoke))
        .route("/v1/licenses/{id}/actions/check-in", post(check_in))
        .route(
            "/v1/licenses/{id}/actions/increment-usage",
            post(super::usage::increment),
        )
        .route(
            "/v1/licenses/{id}/actions/decrement-usage",
            post(super::usage::decrement),
        )
        .route(
            "/v1/licenses/{id}/actions/reset-usage",
            post(super::usage::reset),
        )
        .merge(super::relationships::routes())
}
