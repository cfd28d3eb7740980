//! Entitlements (`/entitlements`, id = UUID or code): CRUD. Staff and product tokens
//! read every entitlement; users and licenses read those attached to their licenses
//! or to those licenses' policies. Only admins and developers write.

pub mod serializer;

use crate::account::Account;
use crate::api::v1::licenses::metadata_filter;
use crate::api::v1::policies::USER_LICENSES;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use latchkey_store::crud::{self, Filter};
use latchkey_store::entitlements::{self, COLUMNS, EntitlementRow, TABLE};
use latchkey_store::{Arg, StoreError, Tx, new_id, sql};
use serde_json::json;

/// Routes of this resource.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/entitlements", get(index).post(create))
        .route(
            "/v1/entitlements/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
}

/// The list restriction for callers that see only some entitlements (users and
/// licenses); `None` for callers that see all of them (staff, products).
fn visibility(principal: &Principal) -> Option<Filter> {
    match &principal.bearer {
        _ if principal.is_staff() => None,
        Bearer::Product(_) => None,
        Bearer::License(l, _) => Some(Filter::new(
            "id IN (SELECT entitlement_id FROM policy_entitlements WHERE policy_id = {} \
             UNION SELECT entitlement_id FROM license_entitlements WHERE license_id = {})",
            vec![l.policy_id.as_str().into(), l.id.as_str().into()],
        )),
        Bearer::User(u, _) => {
            let id = u.id.as_str();
            Some(Filter::new(
                format!(
                    "id IN (SELECT pe.entitlement_id FROM policy_entitlements pe JOIN licenses l ON l.policy_id = pe.policy_id \
                     WHERE l.id IN ({USER_LICENSES}) \
                     UNION SELECT entitlement_id FROM license_entitlements WHERE license_id IN ({USER_LICENSES}))"
                ),
                vec![id.into(), id.into(), id.into(), id.into()],
            ))
        }
    }
}

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
    let Some(scope) = visibility(principal) else {
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
    let mut filters = Vec::new();
    for (key, value) in query.prefixed("metadata") {
        filters.push(metadata_filter(state.db.backend(), key, value));
    }
    if let Some(filter) = visibility(&principal) {
        filters.push(filter);
    }
    let (rows, count) = crud::list::<EntitlementRow>(
        &state.db,
        TABLE,
        COLUMNS,
        account.id(),
        filters,
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
    ApiError::unprocessable("CODE_TAKEN", "has already been taken").pointer("/data/attributes/code")
}

fn conflict(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => code_taken(),
        other => other.into(),
    }
}

/// Codes are unique per account regardless of case.
async fn check_code_free(tx: &mut Tx, account: &str, code: &str, except: &str) -> ApiResult<()> {
    let q = sql(format!("SELECT id FROM {TABLE} WHERE account_id = $1 AND LOWER(code) = LOWER($2) AND id <> $3 LIMIT 1"))
        .bind(account)
        .bind(code)
        .bind(except);
    match tx.fetch_optional::<(String,)>(q).await? {
        Some(_) => Err(code_taken()),
        None => Ok(()),
    }
}

/// `POST /entitlements`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    if !principal.is_admin() {
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
    let mut tx = state.db.begin().await?;
    check_code_free(&mut tx, account.id(), &row.code, &row.id).await?;
    entitlements::insert(&mut tx, &row)
        .await
        .map_err(conflict)?;
    tx.commit().await?;
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
    if !principal.is_admin() {
        return Err(ApiError::forbidden("not allowed to update entitlements"));
    }
    let mut input = Input::parse(&body, "entitlements")?;
    let attrs = read(&mut input)?;
    input.finish()?;
    let mut changes: Vec<(&str, Arg)> = Vec::new();
    match attrs.name {
        Field::Value(name) => changes.push(("name", name.into())),
        Field::Null => return Err(missing("name")),
        Field::Absent => {}
    }
    let new_code = match attrs.code {
        Field::Value(code) => Some(code),
        Field::Null => return Err(missing("code")),
        Field::Absent => None,
    };
    if let Some(m) = attrs.metadata.into_update() {
        changes.push(("metadata", m.unwrap_or_else(|| "{}".into()).into()));
    }
    let mut tx = state.db.begin().await?;
    if let Some(code) = new_code {
        check_code_free(&mut tx, account.id(), &code, &row.id).await?;
        changes.push(("code", code.into()));
    }
    crud::update(
        &mut tx,
        TABLE,
        account.id(),
        &row.id,
        changes,
        state.now_ms(),
    )
    .await
    .map_err(conflict)?;
    let updated: EntitlementRow = crud::find_tx(&mut tx, TABLE, COLUMNS, account.id(), &row.id)
        .await?
        .ok_or_else(|| ApiError::not_found("entitlement", &id))?;
    tx.commit().await?;
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
    if !principal.is_admin() {
        return Err(ApiError::forbidden("not allowed to delete entitlements"));
    }
    let mut tx = state.db.begin().await?;
    crud::delete(&mut tx, TABLE, account.id(), &row.id).await?;
    tx.commit().await?;
    Ok(no_content())
}
