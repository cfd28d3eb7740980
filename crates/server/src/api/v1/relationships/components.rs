//! Component relationships (Keygen's `machine_components/relationships/*`): `GET
//! /components/{id}/{product,license,machine}`, for the bearers who may read the
//! component (those who may read its machine).

use super::Cx;
use crate::api::v1::components;
use crate::error::ApiResult;
use crate::jsonapi::Document;
use axum::extract::Path;

/// `GET /components/{id}/product`
pub async fn show_product(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let l = cx.load(components::load, &id).await?;
    cx.product_document(&l.machine.license.product_id).await
}

/// `GET /components/{id}/license`
pub async fn show_license(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let l = cx.load(components::load, &id).await?;
    cx.show(&(&l.machine.license, &l.machine.policy)).await
}

/// `GET /components/{id}/machine`
pub async fn show_machine(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let l = cx.load(components::load, &id).await?;
    cx.show(&l.machine).await
}
