//! User relationships (Keygen's `users/relationships/*`): `GET
//! /users/{id}/{licenses,machines,products}`, `GET /users/{id}/group`, and the
//! user's tokens (`GET|POST /users/{id}/tokens`, `GET /users/{id}/tokens/{child}`).
//! The bearer must be able to read the user; lists are the top-level lists filtered
//! by user (products: those of the user's licenses).

use super::{Cx, Nested};
use crate::api::v1::serialize::single;
use crate::api::v1::{licenses, machines, serializers, tokens, users};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody};
use axum::extract::Path;
use latchkey_core::access::tokens as tokens_access;
use latchkey_core::roles::Role;
use latchkey_core::tokens as raw_tokens;
use latchkey_proto::ErrorCode;
use latchkey_store::new_id;
use latchkey_store::relations;
use latchkey_store::tokens::TokenRow;
use latchkey_store::users::UserRow;
use serde_json::Value;

const TWO_WEEKS_MS: i64 = 14 * 86_400_000;

/// `GET /users/{id}/licenses`: owned and attached licenses.
pub async fn list_licenses(cx: Cx, Path(id): Path<String>, nested: Nested) -> ApiResult<Document> {
    let user = cx.load(users::load, &id).await?;
    cx.nested_list(&nested, ("user", &user.id), licenses::index)
        .await
}

/// `GET /users/{id}/machines`: owned machines and those of the user's licenses.
pub async fn list_machines(cx: Cx, Path(id): Path<String>, nested: Nested) -> ApiResult<Document> {
    let user = cx.load(users::load, &id).await?;
    cx.nested_list(&nested, ("user", &user.id), machines::index)
        .await
}

/// `GET /users/{id}/products`: the products of the user's licenses. Staff see them
/// all, a product only itself, the user itself its own.
pub async fn list_products(
    cx: Cx,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let user = cx.load(users::load, &id).await?;
    let (page, order) = query.pagination()?;
    let actor = cx.principal.actor();
    let list = relations::user_products(
        &cx.state.db,
        cx.account.id(),
        &user.id,
        &actor,
        &page,
        order,
    )
    .await?;
    let render = serializers::products::product;
    Ok(cx.list_document(&query, &page, list, render, |r| &r.id))
}

/// `GET /users/{id}/group` (data null when none)
pub async fn show_group(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let user = cx.load(users::load, &id).await?;
    cx.group_document(user.group_id.as_deref()).await
}

/// `GET /users/{id}/tokens`
pub async fn list_tokens(
    cx: Cx,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let user = token_owner(&cx, &id).await?;
    tokens::index_for_bearer(&cx.state, &cx.account, ("users", &user.id), &query).await
}

/// `GET /users/{id}/tokens/{child}`
pub async fn show_token(cx: Cx, Path((id, child)): Path<(String, String)>) -> ApiResult<Document> {
    let user = token_owner(&cx, &id).await?;
    cx.token_document(("users", &user.id), &child).await
}

/// The user of `/users/{id}/tokens[/{child}]`, if the bearer may read its tokens.
async fn token_owner(cx: &Cx, id: &str) -> ApiResult<UserRow> {
    let user = cx.load(users::load, id).await?;
    if !tokens_access::may_read_user_tokens(&cx.principal.actor(), &user.id, &user.role) {
        return Err(ApiError::forbidden(
            "not allowed to read this user's tokens",
        ));
    }
    Ok(user)
}

/// `POST /users/{id}/tokens` (optional `data.attributes.{name,expiry}`): a token for
/// the user, shown once; end users' tokens expire in two weeks unless told otherwise.
pub async fn create_token(
    cx: Cx,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let user = cx.load(users::load, &id).await?;
    let (name, expiry) = token_options(&body)?;
    if !tokens_access::may_create_user_token(&cx.principal.actor(), &user.id, &user.role) {
        return Err(ApiError::forbidden(
            "not allowed to generate tokens for this user",
        ));
    }
    if user.banned_at.is_some() {
        return Err(ApiError::forbidden("user is banned").code(ErrorCode::UserBanned));
    }
    let role = Role::parse(&user.role).unwrap_or(Role::User);
    let now = cx.state.now_ms();
    let expiry = match expiry {
        Field::Value(text) => Some(
            latchkey_proto::time_format::parse(&text)
                .map(latchkey_proto::time_format::to_millis)
                .ok_or_else(|| invalid("expiry", "must be a valid ISO 8601 timestamp"))?,
        ),
        Field::Null => None,
        Field::Absent => (role == Role::User).then_some(now + TWO_WEEKS_MS),
    };
    let kind = role.token_kind();
    let raw = raw_tokens::generate(kind);
    let row = TokenRow {
        id: new_id(),
        account_id: cx.account.id().to_owned(),
        bearer_type: "users".into(),
        bearer_id: user.id.clone(),
        kind: kind.as_str().to_owned(),
        digest: cx.state.secret.digest(&raw),
        name,
        expiry,
        max_activations: None,
        activations: 0,
        max_deactivations: None,
        deactivations: 0,
        created_at: now,
        updated_at: now,
    };
    relations::create_token(&cx.state.db, &row).await?;
    let location = format!("{}/tokens/{}", cx.account.base(), row.id);
    Ok(Document::created(
        single(serializers::tokens::token(&cx.account, &row, Some(&raw))),
        location,
    ))
}

/// `name` and `expiry` of an optional token document.
fn token_options(body: &Value) -> ApiResult<(Option<String>, Field<String>)> {
    if body.get("data").is_none() {
        return Ok((None, Field::Absent));
    }
    let mut input = Input::parse(body, "tokens")?;
    let name = input.string("name", 255)?.value();
    let expiry = input.string("expiry", 64)?;
    input.finish()?;
    Ok((name, expiry))
}
