//! Policy relationships (Keygen's `policies/relationships/*`): `GET
//! /policies/{id}/licenses[/{child}]`, `GET /policies/{id}/product` and `GET
//! /policies/{id}/pool/{child}`. The bearer must be able to read the policy; the
//! licenses list is the top-level list filtered by policy.

use super::{Nested, not_in_parent, product_document};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::{keys, licenses};
use crate::auth::Authed;
use crate::error::ApiResult;
use crate::jsonapi::Document;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_store::crud;
use latchkey_store::pool_keys::{self, PoolKeyRow};

/// `GET /policies/{id}/licenses`
pub async fn list_licenses(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    nested: Nested,
) -> ApiResult<Document> {
    let policy = crate::api::v1::policies::load(&state, &account, &principal, &id).await?;
    let query = nested.scoped(&[("policy", &policy.id)]).await?;
    licenses::index(State(state), account, Authed(principal), query).await
}

/// `GET /policies/{id}/licenses/{child}` (child: id or key)
pub async fn show_license(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let policy = crate::api::v1::policies::load(&state, &account, &principal, &id).await?;
    let (license, policy_row) = licenses::load(&state, &account, &principal, &child).await?;
    if license.policy_id != policy.id {
        return Err(not_in_parent("license", &child));
    }
    Ok(Document::ok(single(
        licenses::render(&state, &account, &license, &policy_row).await?,
    )))
}

/// `GET /policies/{id}/product`
pub async fn show_product(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let policy = crate::api::v1::policies::load(&state, &account, &principal, &id).await?;
    product_document(&state, &account, &policy.product_id).await
}

/// `GET /policies/{id}/pool/{child}`: a pool key of the policy, for the bearers of
/// `GET /keys/{id}` (staff and the policy's product).
pub async fn show_pool_key(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let policy = crate::api::v1::policies::load(&state, &account, &principal, &id).await?;
    let key = crud::find::<PoolKeyRow>(
        &state.db,
        pool_keys::TABLE,
        pool_keys::COLUMNS,
        account.id(),
        &child,
    )
    .await?
    .filter(|k: &PoolKeyRow| k.policy_id == policy.id)
    .ok_or_else(|| not_in_parent("key", &child))?;
    keys::show(State(state), account, Authed(principal), Path(key.id)).await
}
