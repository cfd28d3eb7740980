//! Policy relationships (Keygen's `policies/relationships/*`): `GET
//! /policies/{id}/licenses[/{child}]`, `GET /policies/{id}/product` and `GET
//! /policies/{id}/pool/{child}`. The bearer must be able to read the policy; the
//! licenses list is the top-level list filtered by policy.

use super::{Cx, Nested, child_of};
use crate::api::v1::{keys, licenses, policies};
use crate::auth::Authed;
use crate::error::ApiResult;
use crate::jsonapi::Document;
use axum::extract::{Path, State};

/// `GET /policies/{id}/licenses`
pub async fn list_licenses(cx: Cx, Path(id): Path<String>, nested: Nested) -> ApiResult<Document> {
    let policy = cx.load(policies::load, &id).await?;
    cx.nested_list(&nested, ("policy", &policy.id), licenses::index)
        .await
}

/// `GET /policies/{id}/licenses/{child}` (child: id or key)
pub async fn show_license(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let policy = cx.load(policies::load, &id).await?;
    let license = cx.load(licenses::load, &child).await?;
    let license = child_of(Some(license), "license", &child, |(l, _)| {
        l.policy_id == policy.id
    })?;
    cx.show(&license).await
}

/// `GET /policies/{id}/product`
pub async fn show_product(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let policy = cx.load(policies::load, &id).await?;
    cx.product_document(&policy.product_id).await
}

/// `GET /policies/{id}/pool/{child}`: a pool key of the policy, for the bearers of
/// `GET /keys/{id}` (staff and the policy's product).
pub async fn show_pool_key(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let policy = cx.load(policies::load, &id).await?;
    let found = latchkey_store::pool_keys::find(&cx.state.db, cx.account.id(), &child).await?;
    let key = child_of(found, "key", &child, |k| k.policy_id == policy.id)?;
    keys::show(
        State(cx.state),
        cx.account,
        Authed(cx.principal),
        Path(key.id),
    )
    .await
}
