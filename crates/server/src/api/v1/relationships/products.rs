//! Product relationships (Keygen's `products/relationships/*`): `GET
//! /products/{id}/{policies,licenses,machines,users}[/{child}]` and `GET
//! /products/{id}/tokens/{child}`. Only bearers who may read the product get in
//! (staff and the product itself); lists are the top-level lists filtered by product.

use super::{Nested, not_in_parent};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::{licenses, machines, policies, users};
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_store::relations;

/// `GET /products/{id}/policies`
pub async fn list_policies(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    nested: Nested,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    let query = nested.scoped(&[("product", &product.id)]).await?;
    policies::index(State(state), account, Authed(principal), query).await
}

/// `GET /products/{id}/policies/{child}`
pub async fn show_policy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    let policy = policies::load(&state, &account, &principal, &child).await?;
    if policy.product_id != product.id {
        return Err(not_in_parent("policy", &child));
    }
    Ok(Document::ok(single(
        crate::api::v1::serializers::policies::policy(&account, &policy),
    )))
}

/// `GET /products/{id}/licenses`
pub async fn list_licenses(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    nested: Nested,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    let query = nested.scoped(&[("product", &product.id)]).await?;
    licenses::index(State(state), account, Authed(principal), query).await
}

/// `GET /products/{id}/licenses/{child}` (child: id or key)
pub async fn show_license(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    let (license, policy) = licenses::load(&state, &account, &principal, &child).await?;
    if license.product_id != product.id {
        return Err(not_in_parent("license", &child));
    }
    Ok(Document::ok(single(
        licenses::render(&state, &account, &license, &policy).await?,
    )))
}

/// `GET /products/{id}/machines`
pub async fn list_machines(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    nested: Nested,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    let query = nested.scoped(&[("product", &product.id)]).await?;
    machines::index(State(state), account, Authed(principal), query).await
}

/// `GET /products/{id}/machines/{child}` (child: id or fingerprint)
pub async fn show_machine(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    let l = machines::load(&state, &account, &principal, &child).await?;
    if l.license.product_id != product.id {
        return Err(not_in_parent("machine", &child));
    }
    Ok(Document::ok(single(
        crate::api::v1::serializers::machines::machine(
            &account,
            &l.machine,
            &l.license,
            &l.policy,
            state.now_ms(),
        ),
    )))
}

/// `GET /products/{id}/users`: owners and licensees of the product's licenses.
pub async fn list_users(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    nested: Nested,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    let query = nested.scoped(&[("product", &product.id)]).await?;
    users::index(State(state), account, Authed(principal), query).await
}

/// `GET /products/{id}/users/{child}` (child: id or email)
pub async fn show_user(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    let user = users::load(&state, &account, &principal, &child).await?;
    if !relations::product_has_user(&state.db, &product.id, &user.id).await? {
        return Err(not_in_parent("user", &child));
    }
    Ok(Document::ok(single(
        crate::api::v1::serializers::users::user(&account, &user),
    )))
}

/// `GET /products/{id}/tokens/{child}` (admins and developers, like the list)
pub async fn show_token(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let product = crate::api::v1::products::load(&state, &account, &principal, &id).await?;
    if !latchkey_core::access::tokens::may_read_product_tokens(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to read product tokens"));
    }
    let token = relations::bearer_token(&state.db, account.id(), ("products", &product.id), &child)
        .await?
        .ok_or_else(|| not_in_parent("token", &child))?;
    Ok(Document::ok(single(
        crate::api::v1::serializers::tokens::token(&account, &token, None),
    )))
}
