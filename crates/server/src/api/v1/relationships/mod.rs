//! What every relationship route (`/parents/{id}/children[/{child}]`, the
//! `<resource>/nested.rs` modules) shares. A nested list is the top-level list of the
//! children with one more filter naming the parent, asked after checking that the
//! bearer may read the parent: [`Nested::scoped`] builds that list's query parameters
//! (the client's own, pagination included, plus the parent filter), so the child's
//! own `index` applies its filters, visibility and links unchanged.

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::Uri;
use axum::http::request::Parts;
use latchkey_store::crud;
use latchkey_store::groups::GroupRow;
use latchkey_store::products::ProductRow;
use serde_json::json;

/// The request head of a nested route, kept to derive the child list's query.
#[derive(Debug, Clone)]
pub struct Nested(Parts);

impl<S: Send + Sync> FromRequestParts<S> for Nested {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        Ok(Self(parts.clone()))
    }
}

impl Nested {
    /// The client's query parameters plus `filters` (each appended last, so it wins
    /// over a client value of the same name), with the nested path kept for links.
    pub async fn scoped(&self, filters: &[(&str, &str)]) -> ApiResult<QueryParams> {
        let mut parts = self.0.clone();
        let extra = serde_urlencoded::to_string(filters).map_err(ApiError::internal)?;
        let query = match parts.uri.query() {
            Some(q) if !q.is_empty() => format!("{q}&{extra}"),
            _ => extra,
        };
        let path = parts.uri.path().to_owned();
        if parts
            .extensions
            .get::<crate::account::OriginalPath>()
            .is_none()
        {
            parts
                .extensions
                .insert(crate::account::OriginalPath(path.clone()));
        }
        parts.uri = format!("{path}?{query}")
            .parse::<Uri>()
            .map_err(ApiError::internal)?;
        QueryParams::from_request_parts(&mut parts, &()).await
    }
}

/// 404 for a child that exists but does not belong to the parent (Keygen finds the
/// child within the parent's association).
pub fn not_in_parent(model: &str, id: &str) -> ApiError {
    ApiError::not_found(model, id)
}

/// `{ "data": product }` for a to-one `…/product` route; the parent's product always
/// exists (foreign key), so its absence is an internal error.
pub async fn product_document(
    state: &AppState,
    account: &Account,
    product_id: &str,
) -> ApiResult<Document> {
    let product: ProductRow = crud::find(
        &state.db,
        latchkey_store::products::TABLE,
        latchkey_store::products::COLUMNS,
        account.id(),
        product_id,
    )
    .await?
    .ok_or_else(|| ApiError::internal("resource without product"))?;
    Ok(Document::ok(single(
        crate::api::v1::serializers::products::product(account, &product),
    )))
}

/// `{ "data": group | null }` for a to-one `…/group` route.
pub async fn group_document(
    state: &AppState,
    account: &Account,
    group_id: Option<&str>,
) -> ApiResult<Document> {
    let group: Option<GroupRow> = match group_id {
        Some(g) => {
            crud::find(
                &state.db,
                latchkey_store::groups::TABLE,
                latchkey_store::groups::COLUMNS,
                account.id(),
                g,
            )
            .await?
        }
        None => None,
    };
    Ok(Document::ok(json!({
        "data": group.map(|g| crate::api::v1::serializers::groups::group(account, &g)),
    })))
}

/// `{ "data": user | null }` for a to-one `…/user` (or owner) route.
pub async fn user_document(
    state: &AppState,
    account: &Account,
    user_id: Option<&str>,
) -> ApiResult<Document> {
    let user = match user_id {
        Some(u) => latchkey_store::users::find(&state.db, account.id(), u).await?,
        None => None,
    };
    Ok(Document::ok(json!({
        "data": user.map(|u| crate::api::v1::serializers::users::user(account, &u)),
    })))
}

pub mod components;
pub mod groups;
pub mod keys;
pub mod licenses;
pub mod machines;
pub mod policies;
pub mod processes;
pub mod products;
pub mod users;
