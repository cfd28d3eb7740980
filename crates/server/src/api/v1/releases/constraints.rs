//! A release's entitlement constraints (`/releases/{id}/constraints`) and the
//! entitlements they name (`/releases/{id}/entitlements`). Attach takes Keygen's
//! `data: [{type: "constraints", relationships: {entitlement: {data: {type, id}}}}]`;
//! detach takes the constraints' ids.

use super::{load, load_for_write, serializer};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::releases as access;
use latchkey_proto::ErrorCode;
use latchkey_store::releases::{ReleaseRow, constraints};
use serde_json::{Value, json};

async fn readable(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<ReleaseRow> {
    let row = load(state, account, Some(principal), id).await?;
    let actor = principal.actor();
    let licensee = match actor {
        latchkey_core::access::Actor::User { id, .. } if !actor.is_staff() => {
            latchkey_store::relations::product_has_user(&state.db, &row.product_id, id).await?
        }
        _ => false,
    };
    if !access::may_read_constraints(&actor, &row.product_id, licensee) {
        return Err(ApiError::forbidden(
            "not allowed to read this release's constraints",
        ));
    }
    Ok(row)
}

/// `GET /releases/{id}/constraints`
pub async fn list(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let release = readable(&state, &account, &principal, &id).await?;
    let rows = constraints::of_release(&state.db, &release.id).await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|r| serializer::constraint(&account, r))
        .collect();
    Ok(Document::ok(json!({ "data": data })))
}

/// `GET /releases/{id}/constraints/{child}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let release = readable(&state, &account, &principal, &id).await?;
    let rows = constraints::of_release(&state.db, &release.id).await?;
    let row = rows
        .iter()
        .find(|r| r.id == child)
        .ok_or_else(|| ApiError::not_found("constraint", &child))?;
    Ok(Document::ok(single(serializer::constraint(&account, row))))
}

/// `GET /releases/{id}/entitlements`
pub async fn entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let release = readable(&state, &account, &principal, &id).await?;
    let rows = constraints::entitlements(&state.db, &release.id).await?;
    Ok(Document::ok(
        crate::api::v1::serializers::entitlements::list(&account, &rows),
    ))
}

fn items(body: &Value) -> ApiResult<&Vec<Value>> {
    match body.get("data") {
        Some(Value::Array(items)) if !items.is_empty() => Ok(items),
        _ => Err(ApiError::bad_request("data must be a non-empty array")
            .code(ErrorCode::ParametersInvalid)
            .pointer("/data")),
    }
}

/// `POST /releases/{id}/constraints`
pub async fn attach(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let release = load_for_write(&state, &account, &principal, &id, "constrain").await?;
    let mut wanted = Vec::new();
    for (i, item) in items(&body)?.iter().enumerate() {
        let pointer = format!("/data/{i}/relationships/entitlement/data/id");
        let linkage = item
            .pointer("/relationships/entitlement/data/id")
            .or_else(|| {
                (item.get("type").and_then(Value::as_str) == Some("entitlements"))
                    .then(|| item.get("id"))
                    .flatten()
            });
        let Some(Value::String(entitlement)) = linkage else {
            return Err(ApiError::bad_request("is missing")
                .code(ErrorCode::ParametersInvalid)
                .pointer(pointer));
        };
        let row = latchkey_store::entitlements::find_visible(
            &state.db,
            account.id(),
            entitlement,
            vec![],
        )
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(ErrorCode::EntitlementNotFound, "must exist")
                .pointer(pointer.clone())
        })?;
        wanted.push(row.id);
    }
    let rows = constraints::attach(
        &state.db,
        account.id(),
        &release.id,
        &wanted,
        state.now_ms(),
    )
    .await?
    .map_err(|_| {
        ApiError::unprocessable(ErrorCode::EntitlementTaken, "already exists").pointer("/data")
    })?;
    let data: Vec<Value> = rows
        .iter()
        .map(|r| serializer::constraint(&account, r))
        .collect();
    Ok(Document::ok(json!({ "data": data })))
}

/// `DELETE /releases/{id}/constraints`
pub async fn detach(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let release = load_for_write(&state, &account, &principal, &id, "constrain").await?;
    let existing = constraints::of_release(&state.db, &release.id).await?;
    let mut entitlements = Vec::new();
    for (i, item) in items(&body)?.iter().enumerate() {
        let given = item.get("id").and_then(Value::as_str).unwrap_or_default();
        let found = existing
            .iter()
            .find(|c| c.id == given || c.entitlement_id == given)
            .ok_or_else(|| {
                ApiError::unprocessable(ErrorCode::NotFound, "must exist")
                    .pointer(format!("/data/{i}"))
            })?;
        entitlements.push(found.entitlement_id.clone());
    }
    constraints::detach(&state.db, &release.id, &entitlements, state.now_ms())
        .await?
        .map_err(|_| ApiError::unprocessable(ErrorCode::NotFound, "must exist").pointer("/data"))?;
    Ok(no_content())
}
