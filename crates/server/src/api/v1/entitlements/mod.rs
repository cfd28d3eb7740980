//! Entitlements (`/entitlements`, id = UUID or code): CRUD. Staff and product tokens
//! read every entitlement; users and licenses read those attached to their licenses
//! or to those licenses' policies. Only admins and developers write.

pub mod attach;
use crate::api::v1::serializers::entitlements as serializer;

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
use latchkey_core::access::entitlements as access;
use latchkey_proto::ErrorCode;
use latchkey_store::entitlements::{self, CodeTaken, EntitlementChanges, EntitlementRow};
use latchkey_store::new_id;
use serde_json::json;

/// Finds an entitlement by id or code (id match first, then the oldest), 404 if absent.
pub async fn find(state: &AppState, account: &Account, id: &str) -> ApiResult<EntitlementRow> {
    entitlements::find_visible(&state.db, account.id(), id, Vec::new())
        .await?
        .ok_or_else(|| ApiError::not_found("entitlement", id))
}

/// Loads an entitlement the caller may read, or 404/403. The id or code is looked up
/// among what the caller may see first (Keygen scopes alias lookups to the bearer),
/// so a code equal to another entitlement's id resolves to the visible one.
pub async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<EntitlementRow> {
    let Some(scope) = entitlements::visible_to(&principal.actor()) else {
        return find(state, account, id).await;
    };
    if let Some(row) = entitlements::find_visible(&state.db, account.id(), id, vec![scope]).await? {
        return Ok(row);
    }
    find(state, account, id).await?;
    Err(ApiError::forbidden("not allowed to read this entitlement"))
}

/// `GET /entitlements`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let filters = query
        .prefixed("metadata")
        .into_iter()
        .map(|(key, value)| {
            let key = crate::jsonapi::input::camel_case(key);
            latchkey_store::metadata::query_filter(state.db.backend(), &key, value)
        })
        .collect();
    let (rows, count) = entitlements::list(
        &state.db,
        account.id(),
        filters,
        &principal.actor(),
        &page,
        order,
    )
    .await?;
    let data: Vec<_> = rows
        .iter()
        .map(|r| serializer::entitlement(&account, r))
        .collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /entitlements/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(serializer::entitlement(
        &account, &row,
    ))))
}

struct Attrs {
    name: Field<String>,
    code: Field<String>,
    metadata: Field<String>,
}

fn read(input: &mut Input) -> ApiResult<Attrs> {
    let attrs = Attrs {
        name: input.string("name", 255)?,
        code: input.string("code", 255)?,
        metadata: input.metadata()?,
    };
    if matches!(&attrs.name, Field::Value(name) if name.is_empty()) {
        return Err(missing("name"));
    }
    if let Field::Value(code) = &attrs.code {
        if code.is_empty() {
            return Err(missing("code"));
        }
        if code.eq_ignore_ascii_case("action") || code.eq_ignore_ascii_case("actions") {
            return Err(invalid("code", "is reserved"));
        }
    }
    Ok(attrs)
}

fn code_taken() -> ApiError {
    ApiError::unprocessable(ErrorCode::CodeTaken, "has already been taken")
        .pointer("/data/attributes/code")
}

/// `POST /entitlements`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    if !access::may_write(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to create entitlements"));
    }
    let mut input = Input::parse(&body, "entitlements")?;
    let attrs = read(&mut input)?;
    input.finish()?;
    let Field::Value(name) = attrs.name else {
        return Err(missing("name"));
    };
    let Field::Value(code) = attrs.code else {
        return Err(missing("code"));
    };
    let now = state.now_ms();
    let row = EntitlementRow {
        id: new_id(),
        account_id: account.id().to_owned(),
        name,
        code,
        metadata: attrs.metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
    };
    entitlements::create(&state.db, &row)
        .await?
        .map_err(|CodeTaken| code_taken())?;
    let location = format!("{}/entitlements/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::entitlement(&account, &row)),
        location,
    ))
}

/// `PATCH /entitlements/{id}`
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    if !access::may_write(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to update entitlements"));
    }
    let mut input = Input::parse(&body, "entitlements")?;
    let attrs = read(&mut input)?;
    input.finish()?;
    let changes = EntitlementChanges {
        name: match attrs.name {
            Field::Value(name) => Some(name),
            Field::Null => return Err(missing("name")),
            Field::Absent => None,
        },
        code: match attrs.code {
            Field::Value(code) => Some(code),
            Field::Null => return Err(missing("code")),
            Field::Absent => None,
        },
        metadata: attrs
            .metadata
            .into_update()
            .map(|m| m.unwrap_or_else(|| "{}".into())),
    };
    let updated = entitlements::update(&state.db, account.id(), &row.id, changes, state.now_ms())
        .await?
        .map_err(|CodeTaken| code_taken())?
        .ok_or_else(|| ApiError::not_found("entitlement", &id))?;
    Ok(Document::ok(single(serializer::entitlement(
        &account, &updated,
    ))))
}

/// `DELETE /entitlements/{id}` (detaches it from every policy and license).
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &account, &principal, &id).await?;
    if !access::may_write(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to delete entitlements"));
    }
    entitlements::delete(&state.db, account.id(), &row.id, state.now_ms()).await?;
    Ok(no_content())
}
