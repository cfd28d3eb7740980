//! Usage counters (Keygen `uses`): `POST /licenses/{id}/actions/increment-usage`,
//! `decrement-usage` and `reset-usage`. Each change is one conditional UPDATE, so
//! racing increments never pass maxUses.

use super::lifecycle::{Act, authorize};
use super::respond;
use crate::account::Account;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_core::lifecycle::FirstEvent;
use latchkey_proto::ErrorCode;
use latchkey_store::licenses;
use serde_json::Value;

fn bad(pointer: &str, detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code(ErrorCode::ParametersInvalid)
        .pointer(pointer)
}

/// `meta.<name>` (default 1); strict like Keygen's typed parameters.
fn amount(body: &Value, name: &str) -> ApiResult<i64> {
    let Some(object) = body.as_object() else {
        return Ok(1);
    };
    if let Some(other) = object.keys().find(|k| k.as_str() != "meta") {
        return Err(bad(&format!("/{other}"), "unpermitted parameter"));
    }
    let meta = match object.get("meta") {
        None | Some(Value::Null) => return Ok(1),
        Some(Value::Object(meta)) => meta,
        Some(_) => return Err(bad("/meta", "type mismatch (expected object)")),
    };
    if let Some(other) = meta.keys().find(|k| k.as_str() != name) {
        return Err(bad(&format!("/meta/{other}"), "unpermitted parameter"));
    }
    let pointer = format!("/meta/{name}");
    match meta.get(name) {
        None | Some(Value::Null) => Ok(1),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => match n.as_i64() {
            // `uses` is a 32-bit column in Keygen.
            Some(v) if v.abs() <= i64::from(i32::MAX) => Ok(v),
            _ => Err(bad(&pointer, "integer is too large")),
        },
        Some(_) => Err(bad(&pointer, "type mismatch (expected integer)")),
    }
}

async fn change(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    delta: i64,
    act: Act,
) -> ApiResult<Document> {
    let (mut license, policy) = authorize(state, account, principal, id, act).await?;
    let now = state.now_ms();
    if !licenses::add_uses(&state.db, &license.id, delta, now).await? {
        let current = super::find(state, account, &license.id).await?;
        return Err(if current.uses + delta < 0 {
            ApiError::unprocessable(ErrorCode::UsesInvalid, "must be greater than or equal to 0")
                .pointer("/data/attributes/uses")
        } else {
            let max = current.limits(&policy).max_uses.unwrap_or_default();
            ApiError::unprocessable(
                ErrorCode::UsesLimitExceeded,
                format!("usage exceeds maximum allowed by current policy ({max})"),
            )
            .pointer("/data/attributes/uses")
        });
    }
    if delta > 0 {
        licenses::start_expiry(&state.db, &mut license, &policy, FirstEvent::Use, now).await?;
    }
    respond(state, account, &license.id).await
}

/// `POST /licenses/{id}/actions/increment-usage` (`meta.increment`, default 1)
pub async fn increment(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let n = amount(&body, "increment")?;
    change(&state, &account, &principal, &id, n, Act::Increment).await
}

/// `POST /licenses/{id}/actions/decrement-usage` (`meta.decrement`, default 1)
pub async fn decrement(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let n = amount(&body, "decrement")?;
    change(&state, &account, &principal, &id, -n, Act::Adjust).await
}

/// `POST /licenses/{id}/actions/reset-usage`
pub async fn reset(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = authorize(&state, &account, &principal, &id, Act::Adjust).await?;
    licenses::reset_uses(&state.db, &license.id, state.now_ms()).await?;
    respond(&state, &account, &license.id).await
}
