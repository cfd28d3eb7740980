//! Pool key relationships (Keygen's `keys/relationships/*`): `GET
//! /keys/{id}/{product,policy}`, for the bearers who may read the key (staff and
//! its product).

use super::Cx;
use crate::api::v1::keys;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use axum::extract::Path;

/// `GET /keys/{id}/product`
pub async fn show_product(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let key = keys::load(&cx.state, &cx.account, &cx.principal, &id, false).await?;
    cx.product_document(&key.product_id).await
}

/// `GET /keys/{id}/policy`
pub async fn show_policy(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let key = keys::load(&cx.state, &cx.account, &cx.principal, &id, false).await?;
    let policy = latchkey_store::policies::find(&cx.state.db, cx.account.id(), &key.policy_id)
        .await?
        .ok_or_else(|| ApiError::internal("pool key without policy"))?;
    cx.show(&policy).await
}
