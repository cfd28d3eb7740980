//! Policy pool keys (`/keys`, Keygen §1.7): pre-made license keys of a `usePool`
//! policy. Licenses of a pooled policy take the oldest key (`POST /licenses`);
//! `DELETE /policies/{id}/pool` (in `policies::pool`) pops one by hand. Admins,
//! developers and products (their own policies) manage keys
//! (`core::access::keys`).

use crate::api::v1::serializers::keys as serializer;

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::keys as access;
use latchkey_core::keys::{KeyProblem, check_custom_key};
use latchkey_proto::ErrorCode;
use latchkey_store::new_id;
use latchkey_store::pool_keys::{self, KeyTaken, PoolKeyRow};
use serde_json::json;
use serializer::key;

pub(crate) async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    write: bool,
) -> ApiResult<PoolKeyRow> {
    let row = pool_keys::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("key", id))?;
    let actor = principal.actor();
    if !access::may_read(&actor, &row.product_id) {
        return Err(ApiError::not_found("key", id));
    }
    if write && !access::may_write(&actor, &row.product_id) {
        return Err(ApiError::forbidden("not allowed to manage this key"));
    }
    Ok(row)
}

/// A page of keys (filters `policy`, `product`), optionally of one policy only.
pub async fn list(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    query: &QueryParams,
    policy: Option<&str>,
) -> ApiResult<Document> {
    let actor = principal.actor();
    if !access::may_list(&actor) {
        return Err(ApiError::forbidden("not allowed to read keys"));
    }
    let (page, order) = query.pagination()?;
    let rows_query = pool_keys::ListQuery {
        pool: policy,
        policy: query.get("policy"),
        product: query.get("product"),
        visible_product: actor.product_id(),
    };
    let (rows, count) = pool_keys::list(&state.db, account.id(), &rows_query, &page, order).await?;
    let data: Vec<_> = rows.iter().map(|r| key(account, r)).collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /keys` (filters: policy, product).
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    list(&state, &account, &principal, &query, None).await
}

/// `GET /keys/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id, false).await?;
    Ok(Document::ok(single(key(&account, &row))))
}

/// The `key` attribute: required, and checked like a custom license key.
fn read_key(field: Field<String>) -> ApiResult<String> {
    let Field::Value(value) = field else {
        return Err(missing("key"));
    };
    let pointer = "/data/attributes/key";
    match check_custom_key(&value) {
        Err(KeyProblem::TooShort) => Err(ApiError::unprocessable(
            ErrorCode::KeyTooShort,
            "is too short (minimum is 6 characters)",
        )
        .pointer(pointer)),
        Err(KeyProblem::TooLong) => {
            Err(ApiError::unprocessable(ErrorCode::KeyTooLong, "is too long").pointer(pointer))
        }
        Err(KeyProblem::Reserved) => {
            Err(ApiError::unprocessable(ErrorCode::KeyNotAllowed, "is reserved").pointer(pointer))
        }
        Ok(()) => Ok(value),
    }
}

fn taken() -> ApiError {
    ApiError::unprocessable(ErrorCode::KeyTaken, "has already been taken")
        .pointer("/data/attributes/key")
}

/// `POST /keys` (attributes.key, relationships.policy of a pooled policy).
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let actor = principal.actor();
    if !access::may_create(&actor) {
        return Err(ApiError::forbidden("not allowed to create keys"));
    }
    let mut input = Input::parse(&body, "keys")?;
    let policy_not_found = || {
        ApiError::unprocessable(ErrorCode::PolicyNotFound, "must exist")
            .pointer("/data/relationships/policy")
    };
    let Field::Value(policy_id) = input.relationship("policy")? else {
        return Err(policy_not_found());
    };
    let value = read_key(input.string("key", 100_000)?)?;
    input.finish()?;
    let policy = latchkey_store::policies::find(&state.db, account.id(), &policy_id)
        .await?
        .ok_or_else(policy_not_found)?;
    if !access::may_write(&actor, &policy.product_id) {
        return Err(ApiError::forbidden(
            "not allowed to create keys for this policy",
        ));
    }
    if !policy.use_pool {
        return Err(ApiError::unprocessable(
            ErrorCode::PolicyNotSupported,
            "cannot add key to a policy that does not use a pool",
        )
        .pointer("/data/relationships/policy"));
    }
    let now = state.now_ms();
    let row = PoolKeyRow {
        id: new_id(),
        account_id: account.id().to_owned(),
        product_id: policy.product_id.clone(),
        policy_id: policy.id.clone(),
        key: value,
        created_at: now,
        updated_at: now,
    };
    pool_keys::create(&state.db, &row)
        .await?
        .map_err(|KeyTaken| taken())?;
    let location = format!("{}/keys/{}", account.base(), row.id);
    Ok(Document::created(single(key(&account, &row)), location))
}

/// `PATCH /keys/{id}` (key).
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id, true).await?;
    let mut input = Input::parse(&body, "keys")?;
    let field = input.string("key", 100_000)?;
    input.finish()?;
    let new_key = if field.is_present() {
        Some(read_key(field)?).filter(|value| *value != row.key)
    } else {
        None
    };
    let updated = pool_keys::update_key(&state.db, account.id(), &row.id, new_key, state.now_ms())
        .await?
        .map_err(|KeyTaken| taken())?
        .ok_or_else(|| ApiError::not_found("key", &id))?;
    Ok(Document::ok(single(key(&account, &updated))))
}

/// `DELETE /keys/{id}`
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &account, &principal, &id, true).await?;
    pool_keys::delete(&state.db, account.id(), &row.id, state.now_ms()).await?;
    Ok(no_content())
}
