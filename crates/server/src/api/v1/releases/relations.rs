//! Relationship reads of the distribution resources: a release's product and
//! package, a product's releases and packages (its artifacts: `artifacts::lists`).

use super::{load, serializer};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Auth, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_store::crud::Filter;
use serde_json::{Value, json};

/// `GET /releases/{id}/product`
pub async fn product(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let release = load(&state, &account, principal.as_ref(), &id).await?;
    let product = latchkey_store::products::find(&state.db, account.id(), &release.product_id)
        .await?
        .ok_or_else(|| ApiError::not_found("product", &release.product_id))?;
    Ok(Document::ok(single(
        crate::api::v1::serializers::products::product(&account, &product),
    )))
}

/// `GET /releases/{id}/package`
pub async fn package(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let release = load(&state, &account, principal.as_ref(), &id).await?;
    let Some(package_id) = release.package_id else {
        return Ok(Document::ok(json!({ "data": Value::Null })));
    };
    let package =
        crate::api::v1::packages::load(&state, &account, principal.as_ref(), &package_id).await?;
    Ok(Document::ok(single(serializer::package(
        &account, &package,
    ))))
}

/// `GET /products/{id}/releases`
pub async fn product_releases(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    Path(product): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let product = super::product_in_view(&state, &account, principal.as_ref(), &product).await?;
    let (page, order) = query.pagination()?;
    let mut filters = super::filters::releases(&state, &query)?;
    filters.push(Filter::eq("product_id", product.id.as_str()));
    let actor = principal.as_ref().map(Principal::actor);
    let (rows, count) = latchkey_store::releases::list(
        &state.db,
        account.id(),
        filters,
        actor.as_ref(),
        &page,
        order,
    )
    .await?;
    Ok(query.page_document(
        &page,
        (rows, count),
        |r| serializer::release(&account, r),
        |r| r.id.as_str(),
    ))
}

/// `GET /products/{id}/packages`
pub async fn product_packages(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    Path(product): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let product = super::product_in_view(&state, &account, principal.as_ref(), &product).await?;
    let (page, order) = query.pagination()?;
    let filters = vec![Filter::eq("product_id", product.id.as_str())];
    let actor = principal.as_ref().map(Principal::actor);
    let (rows, count) = latchkey_store::packages::list(
        &state.db,
        account.id(),
        filters,
        actor.as_ref(),
        &page,
        order,
    )
    .await?;
    Ok(query.page_document(
        &page,
        (rows, count),
        |r| serializer::package(&account, r),
        |r| r.id.as_str(),
    ))
}
