//! Product relationships (Keygen's `products/relationships/*`): `GET
//! /products/{id}/{policies,licenses,machines,users}[/{child}]` and `GET
//! /products/{id}/tokens/{child}`. Only bearers who may read the product get in
//! (staff and the product itself); lists are the top-level lists filtered by product.

use super::{Cx, Nested, child_of};
use crate::api::v1::{licenses, machines, policies, products, users};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use axum::extract::Path;
use latchkey_core::access::tokens as tokens_access;
use latchkey_store::relations;

/// `GET /products/{id}/policies`
pub async fn list_policies(cx: Cx, Path(id): Path<String>, nested: Nested) -> ApiResult<Document> {
    let product = cx.load(products::load, &id).await?;
    cx.nested_list(&nested, ("product", &product.id), policies::index)
        .await
}

/// `GET /products/{id}/policies/{child}`
pub async fn show_policy(cx: Cx, Path((id, child)): Path<(String, String)>) -> ApiResult<Document> {
    let product = cx.load(products::load, &id).await?;
    let policy = cx.load(policies::load, &child).await?;
    let policy = child_of(Some(policy), "policy", &child, |p| {
        p.product_id == product.id
    })?;
    cx.show(&policy).await
}

/// `GET /products/{id}/licenses`
pub async fn list_licenses(cx: Cx, Path(id): Path<String>, nested: Nested) -> ApiResult<Document> {
    let product = cx.load(products::load, &id).await?;
    cx.nested_list(&nested, ("product", &product.id), licenses::index)
        .await
}

/// `GET /products/{id}/licenses/{child}` (child: id or key)
pub async fn show_license(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let product = cx.load(products::load, &id).await?;
    let license = cx.load(licenses::load, &child).await?;
    let license = child_of(Some(license), "license", &child, |(l, _)| {
        l.product_id == product.id
    })?;
    cx.show(&license).await
}

/// `GET /products/{id}/machines`
pub async fn list_machines(cx: Cx, Path(id): Path<String>, nested: Nested) -> ApiResult<Document> {
    let product = cx.load(products::load, &id).await?;
    cx.nested_list(&nested, ("product", &product.id), machines::index)
        .await
}

/// `GET /products/{id}/machines/{child}` (child: id or fingerprint)
pub async fn show_machine(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let product = cx.load(products::load, &id).await?;
    let machine = cx.load(machines::load, &child).await?;
    let machine = child_of(Some(machine), "machine", &child, |m| {
        m.license.product_id == product.id
    })?;
    cx.show(&machine).await
}

/// `GET /products/{id}/users`: owners and licensees of the product's licenses.
pub async fn list_users(cx: Cx, Path(id): Path<String>, nested: Nested) -> ApiResult<Document> {
    let product = cx.load(products::load, &id).await?;
    cx.nested_list(&nested, ("product", &product.id), users::index)
        .await
}

/// `GET /products/{id}/users/{child}` (child: id or email)
pub async fn show_user(cx: Cx, Path((id, child)): Path<(String, String)>) -> ApiResult<Document> {
    let product = cx.load(products::load, &id).await?;
    let user = cx.load(users::load, &child).await?;
    let member = relations::product_has_user(&cx.state.db, &product.id, &user.id).await?;
    cx.show(&child_of(Some(user), "user", &child, |_| member)?)
        .await
}

/// `GET /products/{id}/tokens/{child}` (admins and developers, like the list)
pub async fn show_token(cx: Cx, Path((id, child)): Path<(String, String)>) -> ApiResult<Document> {
    let product = cx.load(products::load, &id).await?;
    if !tokens_access::may_read_product_tokens(&cx.principal.actor()) {
        return Err(ApiError::forbidden("not allowed to read product tokens"));
    }
    cx.token_document(("products", &product.id), &child).await
}
