//! `GET|POST|DELETE /policies/{id}/entitlements`: the entitlements every license of
//! the policy grants.

use super::load;
use crate::account::Account;
use crate::api::v1::entitlements::attach;
use crate::api::v1::serializers::entitlements as serializer;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::entitlements::may_attach;
use latchkey_store::entitlement_links::{self, Holder};

/// `GET /policies/{id}/entitlements`
pub(crate) async fn list(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let policy = load(&state, &account, &principal, &id).await?;
    let rows = entitlement_links::attached(&state.db, Holder::Policy(&policy.id)).await?;
    Ok(Document::ok(serializer::list(&account, &rows)))
}

/// `POST /policies/{id}/entitlements`
pub(crate) async fn attach_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let policy = load(&state, &account, &principal, &id).await?;
    if !may_attach(&principal.actor(), &policy.product_id) {
        return Err(ApiError::forbidden("not allowed to attach entitlements"));
    }
    attach::attach(&state, &account, Holder::Policy(&policy.id), &body).await
}

/// `DELETE /policies/{id}/entitlements`
pub(crate) async fn detach_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let policy = load(&state, &account, &principal, &id).await?;
    if !may_attach(&principal.actor(), &policy.product_id) {
        return Err(ApiError::forbidden("not allowed to detach entitlements"));
    }
    attach::detach(&state, &account, Holder::Policy(&policy.id), &body).await
}
