//! Machine relationships missing elsewhere (Keygen's `machines/relationships/*`):
//! `GET /machines/{id}/{product,license,group}`, the legacy (API ≤ 1.5) `GET
//! /machines/{id}/user` (the license's owner) and `GET
//! /machines/{id}/components/{child}`. The bearer must be able to read the machine.

use super::{group_document, not_in_parent, product_document, user_document};
use crate::account::Account;
use crate::api::v1::licenses;
use crate::api::v1::serialize::single;
use crate::auth::Authed;
use crate::error::ApiResult;
use crate::jsonapi::Document;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_store::components::ComponentRow;
use latchkey_store::crud;

/// `GET /machines/{id}/product`
pub async fn show_product(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = crate::api::v1::machines::load(&state, &account, &principal, &id).await?;
    product_document(&state, &account, &l.license.product_id).await
}

/// `GET /machines/{id}/license`
pub async fn show_license(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = crate::api::v1::machines::load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(
        licenses::render(&state, &account, &l.license, &l.policy).await?,
    )))
}

/// `GET /machines/{id}/user` (legacy, API ≤ 1.5): the license's owner, or null.
pub async fn show_legacy_user(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = crate::api::v1::machines::load(&state, &account, &principal, &id).await?;
    user_document(&state, &account, l.license.owner_id.as_deref()).await
}

/// `GET /machines/{id}/group` (data null when none)
pub async fn show_group(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = crate::api::v1::machines::load(&state, &account, &principal, &id).await?;
    group_document(&state, &account, l.machine.group_id.as_deref()).await
}

/// `GET /machines/{id}/components/{child}`
pub async fn show_component(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let l = crate::api::v1::machines::load(&state, &account, &principal, &id).await?;
    let component = crud::find::<ComponentRow>(
        &state.db,
        latchkey_store::components::TABLE,
        latchkey_store::components::COLUMNS,
        account.id(),
        &child,
    )
    .await?
    .filter(|c: &ComponentRow| c.machine_id == l.machine.id)
    .ok_or_else(|| not_in_parent("component", &child))?;
    Ok(Document::ok(single(
        crate::api::v1::serializers::components::component(
            &account,
            &component,
            &l.license.product_id,
        ),
    )))
}
