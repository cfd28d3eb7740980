//! Machine components (`/components`, Keygen §2.4): hardware parts with their own
//! fingerprints, created nested on activation or one by one. Access follows the
//! machine: whoever may read it reads its components, whoever may activate or
//! deactivate it manages them. Uniqueness: the policy's componentUniquenessStrategy.

use crate::api::v1::serializers::components as serializer;

use crate::account::Account;
use crate::api::v1::machines::component_input::{component_error, required};
use crate::api::v1::machines::{self, facts};
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::components as access;
use latchkey_proto::ErrorCode;
use latchkey_store::components::{
    self, ComponentChanges, ComponentQuery, ComponentRow, Uniqueness,
};
use latchkey_store::new_id;
use serde_json::json;

pub(crate) struct Loaded {
    pub(crate) component: ComponentRow,
    pub(crate) machine: machines::Loaded,
}

/// A component and its machine, if the caller may read the machine.
pub(crate) async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<Loaded> {
    let component = components::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("component", id))?;
    let machine = machines::load(state, account, principal, &component.machine_id)
        .await
        .map_err(|e| match e.status.as_u16() {
            404 => ApiError::not_found("component", id),
            _ => ApiError::forbidden("not allowed to read this component"),
        })?;
    Ok(Loaded { component, machine })
}

async fn list(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    query: &QueryParams,
    machine_id: Option<String>,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let owned = |name: &str| query.get(name).map(str::to_owned);
    let filters = ComponentQuery {
        machine_id,
        machine: owned("machine"),
        license: owned("license"),
        product: owned("product"),
        user: owned("user").or_else(|| owned("owner")),
    };
    let (rows, count) = components::list(
        &state.db,
        account.id(),
        &filters,
        &principal.actor(),
        &page,
        order,
    )
    .await?;
    let data: Vec<_> = rows
        .iter()
        .map(|(row, product)| serializer::component(account, row, product))
        .collect();
    let last = rows.last().map(|(r, _)| r.id.as_str());
    let (links, _) = query.list_links(&page, count, last);
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /components` (filters: machine, license, product, user).
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    list(&state, &account, &principal, &query, None).await
}

/// `GET /machines/{id}/components`
pub async fn machine_components(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let l = machines::load(&state, &account, &principal, &id).await?;
    list(&state, &account, &principal, &query, Some(l.machine.id)).await
}

/// `GET /components/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(serializer::component(
        &account,
        &l.component,
        &l.machine.license.product_id,
    ))))
}

/// `POST /components` (relationships.machine required).
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut input = Input::parse(&body, "components")?;
    let machine_not_found = || {
        ApiError::unprocessable(ErrorCode::MachineNotFound, "must exist")
            .pointer("/data/relationships/machine")
    };
    let Field::Value(machine_id) = input.relationship("machine")? else {
        return Err(machine_not_found());
    };
    let fingerprint = required(input.string("fingerprint", 4096)?, "fingerprint")?;
    let name = required(input.string("name", 255)?, "name")?;
    let metadata = input.metadata()?;
    input.finish()?;
    let l = match machines::load(&state, &account, &principal, &machine_id).await {
        Ok(l) => l,
        Err(e) if e.status.as_u16() == 404 => return Err(machine_not_found()),
        Err(e) => return Err(e),
    };
    let facts = facts(&l.license, &l.policy, false);
    if !access::may_manage(&principal.actor(), l.machine.owner_id.as_deref(), &facts) {
        return Err(ApiError::forbidden(
            "not allowed to create components for this machine",
        ));
    }
    let now = state.now_ms();
    let row = ComponentRow {
        id: new_id(),
        account_id: account.id().to_owned(),
        license_id: l.license.id.clone(),
        machine_id: l.machine.id.clone(),
        fingerprint,
        name,
        metadata: metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
    };
    components::create(&state.db, &row, &Uniqueness::of(&l.license, &l.policy))
        .await
        .map_err(|e| component_error(e, false))?;
    let location = format!("{}/components/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::component(&account, &row, &l.license.product_id)),
        location,
    ))
}

/// `PATCH /components/{id}` (name, metadata).
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    let m = &l.machine;
    let facts = facts(&m.license, &m.policy, false);
    if !access::may_manage(&principal.actor(), m.machine.owner_id.as_deref(), &facts) {
        return Err(ApiError::forbidden("not allowed to update this component"));
    }
    let mut input = Input::parse(&body, "components")?;
    let name = match input.string("name", 255)? {
        Field::Value(name) if !name.trim().is_empty() => Some(name),
        Field::Absent => None,
        _ => return Err(missing("name")),
    };
    let changes = ComponentChanges {
        name,
        metadata: input
            .metadata()?
            .into_update()
            .map(|m| m.unwrap_or_else(|| "{}".into())),
    };
    input.finish()?;
    let updated = components::update(
        &state.db,
        account.id(),
        &l.component.id,
        changes,
        state.now_ms(),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("component", &id))?;
    Ok(Document::ok(single(serializer::component(
        &account,
        &updated,
        &m.license.product_id,
    ))))
}

/// `DELETE /components/{id}`
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let l = load(&state, &account, &principal, &id).await?;
    let m = &l.machine;
    let facts = facts(&m.license, &m.policy, false);
    if !access::may_manage(&principal.actor(), m.machine.owner_id.as_deref(), &facts) {
        return Err(ApiError::forbidden("not allowed to delete this component"));
    }
    components::delete(&state.db, account.id(), &l.component.id, state.now_ms()).await?;
    Ok(no_content())
}
