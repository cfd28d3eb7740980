//! A machine's owner (`/machines/{id}/owner`): read it, or change it to another user
//! of the license (or none). Under PER_USER leasing the new owner's machine limit is
//! checked with the license row locked, like an activation.

use super::{limit_error, limits, load};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::users::serializer;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use latchkey_core::activation::{MachineResources, check_activation};
use latchkey_store::crud;
use latchkey_store::machines::{self, MachineRow};
use serde_json::{Value, json};

/// Routes of this relationship.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/v1/machines/{id}/owner",
        get(show).put(update).patch(update),
    )
}

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
            .map(|u| serializer::user(&account, &u))
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
    let allowed = principal.is_support_or_above()
        || principal.product_id() == Some(l.license.product_id.as_str());
    if !allowed {
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
                    .code("PARAMETERS_INVALID")
                    .pointer("/data/id"));
            }
        },
        _ => {
            return Err(ApiError::bad_request("is missing")
                .code("PARAMETERS_INVALID")
                .pointer("/data"));
        }
    };
    let owner = match owner {
        Some(owner) => {
            let user = latchkey_store::users::find(&state.db, account.id(), &owner)
                .await?
                .ok_or_else(|| {
                    ApiError::unprocessable("OWNER_NOT_FOUND", "must exist").pointer("/data")
                })?;
            let attached = latchkey_store::sql(
                "SELECT user_id FROM license_users WHERE license_id = $1 AND user_id = $2",
            )
            .bind(&l.license.id)
            .bind(&user.id);
            let is_licensee = l.license.owner_id.as_deref() == Some(user.id.as_str())
                || state
                    .db
                    .fetch_optional::<(String,)>(attached)
                    .await?
                    .is_some();
            if !is_licensee {
                return Err(ApiError::unprocessable(
                    "OWNER_INVALID",
                    "must be a valid user of the license",
                )
                .pointer("/data"));
            }
            Some(user.id)
        }
        None => None,
    };
    let limits = limits(&l.license, &l.policy);
    let mut tx = state.db.begin().await?;
    tx.lock_row("licenses", &l.license.id).await?;
    if limits.per_user && owner != l.machine.owner_id {
        let usage = machines::usage(
            &mut tx,
            &l.license.id,
            owner.as_deref(),
            true,
            Some(&l.machine.id),
        )
        .await?;
        let resources = MachineResources {
            cores: l.machine.cores,
            memory: l.machine.memory,
            disk: l.machine.disk,
        };
        check_activation(&limits, &usage, &resources).map_err(limit_error)?;
    }
    crud::update(
        &mut tx,
        machines::TABLE,
        account.id(),
        &l.machine.id,
        vec![("owner_id", owner.into())],
        state.now_ms(),
    )
    .await?;
    let updated: MachineRow = crud::find_tx(
        &mut tx,
        machines::TABLE,
        machines::COLUMNS,
        account.id(),
        &l.machine.id,
    )
    .await?
    .ok_or_else(|| ApiError::not_found("machine", &id))?;
    tx.commit().await?;
    Ok(Document::ok(single(super::serializer::machine(
        &account,
        &updated,
        &l.license,
        &l.policy,
        state.now_ms(),
    ))))
}
