//! Release packages (`/packages`, id = UUID or key): CRUD. Admins, developers and
//! the package's product write; others read packages of products whose releases
//! they see.

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::releases as serializer;
use crate::auth::{Auth, Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::releases as access;
use latchkey_proto::ErrorCode;
use latchkey_store::crud::Filter;
use latchkey_store::packages::{self, KeyTaken, PackageRow};

/// The engines a package may name.
pub const ENGINES: &[&str] = &["pypi", "tauri", "raw", "npm", "rubygems", "oci"];

/// Loads a package the caller sees by id or key, else 404.
pub async fn load(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    id: &str,
) -> ApiResult<PackageRow> {
    let actor = principal.map(Principal::actor);
    let scope = packages::visible_to(actor.as_ref()).into_iter().collect();
    packages::find_visible(&state.db, account.id(), id, scope)
        .await?
        .ok_or_else(|| ApiError::not_found("package", id))
}

/// `GET /packages` (filters `product`, `engine`).
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let mut filters = Vec::new();
    if let Some(product) = query.get("product") {
        filters.push(Filter::eq("product_id", product));
    }
    if let Some(engine) = query.get("engine") {
        filters.push(Filter::eq("engine", engine));
    }
    let actor = principal.as_ref().map(Principal::actor);
    let (rows, count) = packages::list(
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

/// `GET /packages/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, principal.as_ref(), &id).await?;
    Ok(Document::ok(single(serializer::package(&account, &row))))
}

fn apply(input: &mut Input, row: &mut PackageRow) -> ApiResult<()> {
    match input.string("name", 255)? {
        Field::Value(name) if !name.is_empty() => row.name = name,
        Field::Absent => {}
        _ => return Err(missing("name")),
    }
    match input.string("key", 255)? {
        Field::Value(key) if !key.is_empty() => {
            if key.eq_ignore_ascii_case("action") || key.eq_ignore_ascii_case("actions") {
                return Err(invalid("key", "is reserved"));
            }
            row.key = key;
        }
        Field::Absent => {}
        _ => return Err(missing("key")),
    }
    if let Some(engine) = input.choice("engine", ENGINES)?.into_update() {
        row.engine = engine;
    }
    if let Some(metadata) = input.metadata()?.into_update() {
        row.metadata = metadata.unwrap_or_else(|| "{}".into());
    }
    Ok(())
}

fn key_taken() -> ApiError {
    ApiError::unprocessable(ErrorCode::Taken, "has already been taken")
        .pointer("/data/attributes/key")
}

/// `POST /packages`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut input = Input::parse(&body, "packages")?;
    let now = state.now_ms();
    let mut row = PackageRow {
        id: latchkey_store::new_id(),
        account_id: account.id().to_owned(),
        product_id: String::new(),
        name: String::new(),
        key: String::new(),
        engine: None,
        metadata: "{}".into(),
        created_at: now,
        updated_at: now,
    };
    apply(&mut input, &mut row)?;
    let product = input.relationship("product")?;
    input.finish()?;
    if row.name.is_empty() {
        return Err(missing("name"));
    }
    if row.key.is_empty() {
        return Err(missing("key"));
    }
    let Field::Value(product) = product else {
        return Err(missing("product"));
    };
    let product = latchkey_store::products::find(&state.db, account.id(), &product)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(ErrorCode::ProductNotFound, "must exist")
                .pointer("/data/relationships/product")
        })?;
    if !access::may_write(&principal.actor(), &product.id) {
        return Err(ApiError::forbidden(
            "not allowed to create packages for this product",
        ));
    }
    row.product_id = product.id;
    packages::save(&state.db, &row, true)
        .await?
        .map_err(|KeyTaken| key_taken())?;
    let location = format!("{}/packages/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::package(&account, &row)),
        location,
    ))
}

/// `PATCH /packages/{id}`
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut row = load(&state, &account, Some(&principal), &id).await?;
    if !access::may_write(&principal.actor(), &row.product_id) {
        return Err(ApiError::forbidden("not allowed to update this package"));
    }
    let mut input = Input::parse(&body, "packages")?;
    apply(&mut input, &mut row)?;
    input.finish()?;
    row.updated_at = state.now_ms();
    packages::save(&state.db, &row, false)
        .await?
        .map_err(|KeyTaken| key_taken())?;
    Ok(Document::ok(single(serializer::package(&account, &row))))
}

/// `DELETE /packages/{id}`
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &account, Some(&principal), &id).await?;
    if !access::may_write(&principal.actor(), &row.product_id) {
        return Err(ApiError::forbidden("not allowed to delete this package"));
    }
    packages::delete(&state.db, account.id(), &row.id, state.now_ms()).await?;
    Ok(no_content())
}
