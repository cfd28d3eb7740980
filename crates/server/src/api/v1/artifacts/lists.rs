//! The artifact lists (`/artifacts`, `/releases/{id}/artifacts`,
//! `/products/{id}/artifacts`): one page of the artifacts the caller sees, filtered by
//! the query (spec §5.4) and the parent, settled first when they live in a bucket.

use super::settle_listed;
use crate::account::Account;
use crate::api::v1::releases::{self as release_api, filters};
use crate::api::v1::serializers::releases as serializer;
use crate::auth::{Auth, Principal};
use crate::error::ApiResult;
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_store::artifacts;
use latchkey_store::crud::Filter;

/// One page of the artifacts matching the query's filters and `parent`.
async fn page(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    query: &QueryParams,
    parent: Option<Filter>,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let mut filters = filters::artifacts(query)?;
    filters.extend(parent);
    settle_listed(state, account.id(), principal, filters.clone()).await?;
    let actor = principal.map(Principal::actor);
    let listed = artifacts::list(
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
        listed,
        |r| serializer::artifact(account, r),
        |r| r.id.as_str(),
    ))
}

/// `GET /artifacts`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    query: QueryParams,
) -> ApiResult<Document> {
    page(&state, &account, principal.as_ref(), &query, None).await
}

/// `GET /releases/{id}/artifacts`
pub async fn of_release(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let release = release_api::load(&state, &account, principal.as_ref(), &id).await?;
    let parent = Filter::eq("release_id", release.id.as_str());
    page(&state, &account, principal.as_ref(), &query, Some(parent)).await
}

/// `GET /products/{id}/artifacts`
pub async fn product_artifacts(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    Path(product): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let product =
        release_api::product_in_view(&state, &account, principal.as_ref(), &product).await?;
    let parent = Filter::eq("product_id", product.id.as_str());
    page(&state, &account, principal.as_ref(), &query, Some(parent)).await
}
