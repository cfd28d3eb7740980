//! Process relationships: `GET /processes/{id}/{machine,product}` and the machine's
//! processes (`GET /machines/{id}/processes[/{process_id}]`).

use super::{list, load, may_read, render};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::machines as machine_serializer;
use crate::api::v1::serializers::products::product as product_resource;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_store::machines;

/// `GET /processes/{id}/machine`
pub async fn machine(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(machine_serializer::machine(
        &account,
        &l.machine,
        &l.license,
        &l.policy,
        state.now_ms(),
    ))))
}

/// `GET /processes/{id}/product`
pub async fn product(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    let row = latchkey_store::products::find(&state.db, account.id(), &l.license.product_id)
        .await?
        .ok_or_else(|| ApiError::not_found("product", &l.license.product_id))?;
    Ok(Document::ok(single(product_resource(&account, &row))))
}

/// The machine (by id or fingerprint) if the caller may read it.
async fn readable_machine(
    state: &AppState,
    account: &Account,
    principal: &crate::auth::Principal,
    id: &str,
) -> ApiResult<machines::MachineRow> {
    let machine = crate::api::v1::machines::find_for(state, account, principal, id).await?;
    let (license, policy) =
        crate::api::v1::machines::license_of(state, account, principal, &machine.license_id)
            .await?
            .ok_or_else(|| ApiError::not_found("machine", id))?;
    if !may_read(state, principal, &machine, &license, &policy).await? {
        return Err(ApiError::forbidden("not allowed to read this machine"));
    }
    Ok(machine)
}

/// `GET /machines/{id}/processes`
pub async fn machine_processes(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let machine = readable_machine(&state, &account, &principal, &id).await?;
    list(&state, &account, &principal, &query, Some(machine.id)).await
}

/// `GET /machines/{id}/processes/{process_id}`
pub async fn machine_process(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, process_id)): Path<(String, String)>,
) -> ApiResult<Document> {
    let machine = readable_machine(&state, &account, &principal, &id).await?;
    let l = load(&state, &account, &principal, &process_id).await?;
    if l.process.machine_id != machine.id {
        return Err(ApiError::not_found("process", &process_id));
    }
    Ok(Document::ok(render(&state, &account, &l, None)))
}
