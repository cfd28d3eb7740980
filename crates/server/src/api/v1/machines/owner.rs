//! A machine's owner (`/machines/{id}/owner`): read it, or change it to another user
//! of the license (or none). Under PER_USER leasing the new owner's machine limit is
//! checked with the license row locked, like an activation.

use super::{limit_error, limits, load};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::users;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_proto::ErrorCode;
use latchkey_store::machines::{self, MachineWrite};
use serde_json::{Value, json};

/// `GET /machines/{id}/owner`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    let data = match &l.machine.owner_id {
        Some(owner) => latchkey_store::users::find(&state.db, account.id(), owner)
            .await?
            .map(|u| users::user(&account, &u))
            .unwrap_or(Value::Null),
        None => Value::Null,
    };
    Ok(Document::ok(json!({ "data": data })))
}

/// `PUT /machines/{id}/owner` with `{"data": {"type": "users", "id": …}}` or `null`.
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    let facts = super::facts(&l.license, &l.policy, false);
    if !latchkey_core::access::machines::may_change_owner(&principal.actor(), &facts) {
        return Err(ApiError::forbidden(
            "not allowed to change this machine's owner",
        ));
    }
    let owner = match body.get("data") {
        Some(Value::Null) => None,
        Some(Value::Object(linkage)) => match linkage.get("id") {
            Some(Value::String(id)) => Some(id.clone()),
            _ => {
                return Err(ApiError::bad_request("is missing")
                    .code(ErrorCode::ParametersInvalid)
                    .pointer("/data/id"));
            }
        },
        _ => {
            return Err(ApiError::bad_request("is missing")
                .code(ErrorCode::ParametersInvalid)
                .pointer("/data"));
        }
    };
    let owner = match owner {
        Some(owner) => {
            let user = latchkey_store::users::find(&state.db, account.id(), &owner)
                .await?
                .ok_or_else(|| {
                    ApiError::unprocessable(ErrorCode::OwnerNotFound, "must exist").pointer("/data")
                })?;
            let is_licensee = l.license.owner_id.as_deref() == Some(user.id.as_str())
                || latchkey_store::licenses::is_licensee(&state.db, &l.license.id, &user.id)
                    .await?;
            if !is_licensee {
                return Err(ApiError::unprocessable(
                    ErrorCode::OwnerInvalid,
                    "must be a valid user of the license",
                )
                .pointer("/data"));
            }
            Some(user.id)
        }
        None => None,
    };
    let limits = limits(&l.license, &l.policy);
    let updated = match machines::change_owner(
        &state.db,
        &l.machine,
        owner.as_deref(),
        &limits,
        state.now_ms(),
    )
    .await?
    {
        MachineWrite::Done(updated) => *updated,
        MachineWrite::Limit(limit) => return Err(limit_error(limit)),
        MachineWrite::Gone => return Err(ApiError::not_found("machine", &id)),
    };
    Ok(Document::ok(single(super::serializer::machine(
        &account,
        &updated,
        &l.license,
        &l.policy,
        state.now_ms(),
    ))))
}
