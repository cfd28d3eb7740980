//! A pooled policy's keys: `GET /policies/{id}/pool` (the `/keys` list of the policy)
//! and `DELETE /policies/{id}/pool` (pops the oldest key and answers it).

use crate::account::Account;
use crate::api::v1::keys::list;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::keys as serializer;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_core::access::keys as access;
use latchkey_proto::ErrorCode;
use latchkey_store::policies::{self, PolicyRow};
use latchkey_store::pool_keys;

/// The policy, 404 unless the caller may read its keys.
async fn find(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<PolicyRow> {
    policies::find(&state.db, account.id(), id)
        .await?
        .filter(|p| access::may_read(&principal.actor(), &p.product_id))
        .ok_or_else(|| ApiError::not_found("policy", id))
}

/// `GET /policies/{id}/pool`
pub(crate) async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let policy = find(&state, &account, &principal, &id).await?;
    list(&state, &account, &principal, &query, Some(&policy.id)).await
}

/// `DELETE /policies/{id}/pool`: pops the oldest key and answers it (200).
pub(crate) async fn pop(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let policy = find(&state, &account, &principal, &id).await?;
    if !access::may_write(&principal.actor(), &policy.product_id) {
        return Err(ApiError::forbidden(
            "not allowed to pop keys from this pool",
        ));
    }
    if !policy.use_pool {
        return Err(ApiError::unprocessable(
            ErrorCode::PolicyNotSupported,
            "policy does not use a pool",
        ));
    }
    let Some(row) = pool_keys::pop_one(&state.db, account.id(), &policy.id, state.now_ms()).await?
    else {
        return Err(ApiError::unprocessable(
            ErrorCode::PolicyPoolEmpty,
            "pool is empty",
        ));
    };
    Ok(Document::ok(single(serializer::key(&account, &row))))
}
