//! Pool key relationships (Keygen's `keys/relationships/*`): `GET
//! /keys/{id}/{product,policy}`, for the bearers who may read the key (staff and
//! its product).

use super::product_document;
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::state::AppState;
use axum::extract::{Path, State};

/// `GET /keys/{id}/product`
pub async fn show_product(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let key = crate::api::v1::keys::load(&state, &account, &principal, &id, false).await?;
    product_document(&state, &account, &key.product_id).await
}

/// `GET /keys/{id}/policy`
pub async fn show_policy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let key = crate::api::v1::keys::load(&state, &account, &principal, &id, false).await?;
    let policy = latchkey_store::policies::find(&state.db, account.id(), &key.policy_id)
        .await?
        .ok_or_else(|| ApiError::internal("pool key without policy"))?;
    Ok(Document::ok(single(
        crate::api::v1::serializers::policies::policy(&account, &policy),
    )))
}
