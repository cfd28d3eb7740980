//! Component relationships (Keygen's `machine_components/relationships/*`): `GET
//! /components/{id}/{product,license,machine}`, for the bearers who may read the
//! component (those who may read its machine).

use super::product_document;
use crate::account::Account;
use crate::api::v1::licenses;
use crate::api::v1::serialize::single;
use crate::auth::Authed;
use crate::error::ApiResult;
use crate::jsonapi::Document;
use crate::state::AppState;
use axum::extract::{Path, State};

/// `GET /components/{id}/product`
pub async fn show_product(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = crate::api::v1::components::load(&state, &account, &principal, &id).await?;
    product_document(&state, &account, &l.machine.license.product_id).await
}

/// `GET /components/{id}/license`
pub async fn show_license(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = crate::api::v1::components::load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(
        licenses::render(&state, &account, &l.machine.license, &l.machine.policy).await?,
    )))
}

/// `GET /components/{id}/machine`
pub async fn show_machine(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = crate::api::v1::components::load(&state, &account, &principal, &id).await?;
    let m = &l.machine;
    Ok(Document::ok(single(
        crate::api::v1::serializers::machines::machine(
            &account,
            &m.machine,
            &m.license,
            &m.policy,
            state.now_ms(),
        ),
    )))
}
