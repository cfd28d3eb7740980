//! Machine relationships missing elsewhere (Keygen's `machines/relationships/*`):
//! `GET /machines/{id}/{product,license,group}`, the legacy (API ≤ 1.5) `GET
//! /machines/{id}/user` (the license's owner) and `GET
//! /machines/{id}/components/{child}`. The bearer must be able to read the machine.

use super::{Cx, child_of};
use crate::api::v1::machines;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers;
use crate::error::ApiResult;
use crate::jsonapi::Document;
use axum::extract::Path;

/// `GET /machines/{id}/product`
pub async fn show_product(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let l = cx.load(machines::load, &id).await?;
    cx.product_document(&l.license.product_id).await
}

/// `GET /machines/{id}/license`
pub async fn show_license(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let l = cx.load(machines::load, &id).await?;
    cx.show(&(&l.license, &l.policy)).await
}

/// `GET /machines/{id}/user` (legacy, API ≤ 1.5): the license's owner, or null.
pub async fn show_legacy_user(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let l = cx.load(machines::load, &id).await?;
    cx.user_document(l.license.owner_id.as_deref()).await
}

/// `GET /machines/{id}/group` (data null when none)
pub async fn show_group(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let l = cx.load(machines::load, &id).await?;
    cx.group_document(l.machine.group_id.as_deref()).await
}

/// `GET /machines/{id}/components/{child}`
pub async fn show_component(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let l = cx.load(machines::load, &id).await?;
    let found = latchkey_store::components::find(&cx.state.db, cx.account.id(), &child).await?;
    let component = child_of(found, "component", &child, |c| c.machine_id == l.machine.id)?;
    let product_id = &l.license.product_id;
    Ok(Document::ok(single(serializers::components::component(
        &cx.account,
        &component,
        product_id,
    ))))
}
