//! Products (`/products`): CRUD. Admins and developers manage products; a product
//! token sees and updates only its own product.

use crate::api::v1::serializers::products as serializer;

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::products as access;
use latchkey_proto::ErrorCode;
use latchkey_store::products::{self, ProductChanges, ProductRow};
use latchkey_store::{StoreError, new_id};
use serde_json::json;

const DISTRIBUTION: &[&str] = &["LICENSED", "OPEN", "CLOSED"];

/// Loads a product the caller may read, or 404/403.
pub async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<ProductRow> {
    let row = products::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("product", id))?;
    if !access::may_read(&principal.actor(), &row.id) {
        return Err(ApiError::forbidden("not allowed to read this product"));
    }
    Ok(row)
}

/// `GET /products`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let actor = principal.actor();
    if !access::may_list(&actor) {
        return Err(ApiError::forbidden("not allowed to list products"));
    }
    let (rows, count) =
        products::list(&state.db, account.id(), actor.product_id(), &page, order).await?;
    let data: Vec<_> = rows
        .iter()
        .map(|r| serializer::product(&account, r))
        .collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /products/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(serializer::product(&account, &row))))
}

struct Attrs {
    name: Field<String>,
    code: Field<String>,
    distribution: Field<String>,
    url: Field<String>,
    platforms: Field<Vec<String>>,
    metadata: Field<String>,
}

fn read(input: &mut Input) -> ApiResult<Attrs> {
    let attrs = Attrs {
        name: input.string("name", 255)?,
        code: input.string("code", 255)?,
        distribution: input.choice("distributionStrategy", DISTRIBUTION)?,
        url: input.string("url", 255)?,
        platforms: input.strings("platforms")?,
        metadata: input.metadata()?,
    };
    if let Field::Value(code) = &attrs.code
        && (uuid::Uuid::parse_str(code).is_ok() || code.is_empty())
    {
        return Err(invalid("code", "must not be empty or a UUID"));
    }
    if let Field::Value(url) = &attrs.url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(invalid(
            "url",
            "must be a valid URL using one of the following protocols: https, http",
        ));
    }
    Ok(attrs)
}

fn conflict(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => {
            ApiError::unprocessable(ErrorCode::CodeTaken, "has already been taken")
                .pointer("/data/attributes/code")
        }
        other => other.into(),
    }
}

/// `POST /products`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    if !access::may_create(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to create products"));
    }
    let mut input = Input::parse(&body, "products")?;
    let attrs = read(&mut input)?;
    input.finish()?;
    let Field::Value(name) = attrs.name else {
        return Err(missing("name"));
    };
    let now = state.now_ms();
    let row = ProductRow {
        id: new_id(),
        account_id: account.id().to_owned(),
        name,
        code: attrs.code.value(),
        distribution_strategy: attrs
            .distribution
            .value()
            .unwrap_or_else(|| "LICENSED".into()),
        url: attrs.url.value(),
        platforms: json!(attrs.platforms.value().unwrap_or_default()).to_string(),
        metadata: attrs.metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
    };
    products::create(&state.db, &row).await.map_err(conflict)?;
    let location = format!("{}/products/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::product(&account, &row)),
        location,
    ))
}

/// `PATCH /products/{id}`
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    if !access::may_update(&principal.actor(), &row.id) {
        return Err(ApiError::forbidden("not allowed to update this product"));
    }
    let mut input = Input::parse(&body, "products")?;
    let attrs = read(&mut input)?;
    input.finish()?;
    let changes = ProductChanges {
        name: match attrs.name {
            Field::Value(name) => Some(name),
            Field::Null => return Err(missing("name")),
            Field::Absent => None,
        },
        code: attrs.code.into_update(),
        distribution_strategy: attrs
            .distribution
            .into_update()
            .map(|d| d.unwrap_or_else(|| "LICENSED".into())),
        url: attrs.url.into_update(),
        platforms: attrs
            .platforms
            .into_update()
            .map(|p| json!(p.unwrap_or_default()).to_string()),
        metadata: attrs
            .metadata
            .into_update()
            .map(|m| m.unwrap_or_else(|| "{}".into())),
    };
    let updated = products::update(&state.db, account.id(), &row.id, changes, state.now_ms())
        .await
        .map_err(conflict)?
        .ok_or_else(|| ApiError::not_found("product", &id))?;
    Ok(Document::ok(single(serializer::product(
        &account, &updated,
    ))))
}

/// `DELETE /products/{id}` (cascades to its policies, licenses and machines).
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &account, &principal, &id).await?;
    if !access::may_delete(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to delete products"));
    }
    let files = latchkey_store::artifacts::ids_of_product(&state.db, &row.id).await?;
    products::delete(&state.db, account.id(), &row.id, state.now_ms()).await?;
    // The rows went with the product (ON DELETE CASCADE); the bytes go now.
    for artifact in files {
        if let Err(e) =
            crate::storage::remove(&state.config.artifacts, account.id(), &artifact).await
        {
            tracing::warn!(%artifact, error = %e, "removing a deleted product's artifact file");
        }
    }
    Ok(no_content())
}
