//! Policy pool keys (`/keys`, Keygen §1.7): pre-made license keys of a `usePool`
//! policy. Licenses of a pooled policy take the oldest key (`POST /licenses`);
//! `DELETE /policies/{id}/pool` pops one by hand and answers it. Admins, developers
//! and products (their own policies) manage keys.

pub mod nested;

use crate::account::Account;
use crate::api::v1::serialize::*;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use latchkey_core::keys::{KeyProblem, check_custom_key};
use latchkey_store::crud::{self, Filter};
use latchkey_store::policies::PolicyRow;
use latchkey_store::pool_keys::{self, COLUMNS, PoolKeyRow, TABLE};
use latchkey_store::{StoreError, new_id};
use serde_json::{Value, json};

/// Routes of this resource.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/keys", get(index).post(create))
        .route(
            "/v1/keys/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
        .route("/v1/policies/{id}/pool", get(policy_pool).delete(pop))
}

/// The key resource object.
fn key(account: &Account, k: &PoolKeyRow) -> Value {
    let own = format!("keys/{}", k.id);
    resource(
        account,
        "keys",
        &k.id,
        json!({
            "key": k.key,
            "created": ts1(k.created_at),
            "updated": ts1(k.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "product": to_one(account, &own, "product", "products", Some(&k.product_id)),
            "policy": to_one(account, &own, "policy", "policies", Some(&k.policy_id)),
        }),
    )
}

/// Admins, developers (and read-only staff for reads) see every key; a product its own.
fn may(principal: &Principal, product_id: &str, write: bool) -> bool {
    if let Some(product) = principal.product_id() {
        return product == product_id;
    }
    if write {
        principal.is_admin()
    } else {
        principal.is_staff()
    }
}

async fn find_policy(
    state: &AppState,
    account: &Account,
    id: &str,
) -> ApiResult<Option<PolicyRow>> {
    Ok(crud::find(
        &state.db,
        latchkey_store::policies::TABLE,
        latchkey_store::policies::COLUMNS,
        account.id(),
        id,
    )
    .await?)
}

async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    write: bool,
) -> ApiResult<PoolKeyRow> {
    let row: PoolKeyRow = crud::find(&state.db, TABLE, COLUMNS, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("key", id))?;
    if !may(principal, &row.product_id, false) {
        return Err(ApiError::not_found("key", id));
    }
    if !may(principal, &row.product_id, write) {
        return Err(ApiError::forbidden("not allowed to manage this key"));
    }
    Ok(row)
}

async fn list(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    query: &QueryParams,
    mut filters: Vec<Filter>,
) -> ApiResult<Document> {
    if principal.product_id().is_none() && !principal.is_staff() {
        return Err(ApiError::forbidden("not allowed to read keys"));
    }
    let (page, order) = query.pagination()?;
    if let Some(policy) = query.get("policy") {
        filters.push(Filter::eq("policy_id", policy));
    }
    if let Some(product) = query.get("product") {
        filters.push(Filter::eq("product_id", product));
    }
    if let Some(product) = principal.product_id() {
        filters.push(Filter::eq("product_id", product));
    }
    let (rows, count) = crud::list::<PoolKeyRow>(
        &state.db,
        TABLE,
        COLUMNS,
        account.id(),
        filters,
        &page,
        order,
    )
    .await?;
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
    list(&state, &account, &principal, &query, Vec::new()).await
}

/// `GET /policies/{id}/pool`
pub async fn policy_pool(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let policy = find_policy(&state, &account, &id)
        .await?
        .filter(|p| may(&principal, &p.product_id, false))
        .ok_or_else(|| ApiError::not_found("policy", &id))?;
    let filters = vec![Filter::eq("policy_id", policy.id.as_str())];
    list(&state, &account, &principal, &query, filters).await
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
            "KEY_TOO_SHORT",
            "is too short (minimum is 6 characters)",
        )
        .pointer(pointer)),
        Err(KeyProblem::TooLong) => {
            Err(ApiError::unprocessable("KEY_TOO_LONG", "is too long").pointer(pointer))
        }
        Err(KeyProblem::Reserved) => {
            Err(ApiError::unprocessable("KEY_NOT_ALLOWED", "is reserved").pointer(pointer))
        }
        Ok(()) => Ok(value),
    }
}

fn taken() -> ApiError {
    ApiError::unprocessable("KEY_TAKEN", "has already been taken").pointer("/data/attributes/key")
}

/// `POST /keys` (attributes.key, relationships.policy of a pooled policy).
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    if principal.product_id().is_none() && !principal.is_admin() {
        return Err(ApiError::forbidden("not allowed to create keys"));
    }
    let mut input = Input::parse(&body, "keys")?;
    let policy_not_found = || {
        ApiError::unprocessable("POLICY_NOT_FOUND", "must exist")
            .pointer("/data/relationships/policy")
    };
    let Field::Value(policy_id) = input.relationship("policy")? else {
        return Err(policy_not_found());
    };
    let value = read_key(input.string("key", 100_000)?)?;
    input.finish()?;
    let policy = find_policy(&state, &account, &policy_id)
        .await?
        .ok_or_else(policy_not_found)?;
    if !may(&principal, &policy.product_id, true) {
        return Err(ApiError::forbidden(
            "not allowed to create keys for this policy",
        ));
    }
    if !policy.use_pool {
        return Err(ApiError::unprocessable(
            "POLICY_NOT_SUPPORTED",
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
    let mut tx = state.db.begin().await?;
    if pool_keys::key_in_use(&mut tx, account.id(), &row.key).await? {
        return Err(taken());
    }
    match pool_keys::insert(&mut tx, &row).await {
        Err(StoreError::Conflict(_)) => return Err(taken()),
        other => other?,
    }
    tx.commit().await?;
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
    let mut tx = state.db.begin().await?;
    if field.is_present() {
        let value = read_key(field)?;
        if value != row.key {
            if pool_keys::key_in_use(&mut tx, account.id(), &value).await? {
                return Err(taken());
            }
            let changes = vec![("key", value.into())];
            match crud::update(
                &mut tx,
                TABLE,
                account.id(),
                &row.id,
                changes,
                state.now_ms(),
            )
            .await
            {
                Err(StoreError::Conflict(_)) => return Err(taken()),
                other => other?,
            };
        }
    }
    let updated: PoolKeyRow = crud::find_tx(&mut tx, TABLE, COLUMNS, account.id(), &row.id)
        .await?
        .ok_or_else(|| ApiError::not_found("key", &id))?;
    tx.commit().await?;
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
    let mut tx = state.db.begin().await?;
    crud::delete(&mut tx, TABLE, account.id(), &row.id).await?;
    tx.commit().await?;
    Ok(no_content())
}

/// `DELETE /policies/{id}/pool`: pops the oldest key and answers it (200).
pub async fn pop(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let policy = find_policy(&state, &account, &id)
        .await?
        .filter(|p| may(&principal, &p.product_id, false))
        .ok_or_else(|| ApiError::not_found("policy", &id))?;
    if !may(&principal, &policy.product_id, true) {
        return Err(ApiError::forbidden(
            "not allowed to pop keys from this pool",
        ));
    }
    if !policy.use_pool {
        return Err(ApiError::unprocessable(
            "POLICY_NOT_SUPPORTED",
            "policy does not use a pool",
        ));
    }
    let mut tx = state.db.begin().await?;
    let Some(row) = pool_keys::pop(&mut tx, account.id(), &policy.id).await? else {
        return Err(ApiError::unprocessable(
            "POLICY_POOL_EMPTY",
            "pool is empty",
        ));
    };
    tx.commit().await?;
    Ok(Document::ok(single(key(&account, &row))))
}
