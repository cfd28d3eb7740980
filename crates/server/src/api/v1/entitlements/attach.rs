//! Attaching entitlements to licenses and policies (`POST|DELETE
//! /licenses/{id}/entitlements`, `/policies/{id}/entitlements`): the body is
//! `data: [{type, id}]` (id or code); the store attaches or detaches them all in one
//! transaction.

use super::serializer::join_resource;
use crate::account::Account;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::linkage::to_many_ids;
use crate::jsonapi::{Document, no_content};
use crate::state::AppState;
use axum::response::Response;
use latchkey_proto::ErrorCode;
use latchkey_store::entitlement_links::{self, Holder};
use serde_json::{Value, json};

/// How a holder appears in join rows: `(join type, parent name, parent type)`.
fn names(holder: Holder<'_>) -> (&'static str, &'static str, &'static str) {
    match holder {
        Holder::License(_) => ("license-entitlements", "license", "licenses"),
        Holder::Policy(_) => ("policy-entitlements", "policy", "policies"),
    }
}

fn holder_id<'a>(holder: Holder<'a>) -> &'a str {
    match holder {
        Holder::License(id) | Holder::Policy(id) => id,
    }
}

/// `POST …/entitlements`: 422 ENTITLEMENT_NOT_FOUND / ENTITLEMENT_TAKEN name the item.
pub async fn attach(
    state: &AppState,
    account: &Account,
    holder: Holder<'_>,
    body: &Value,
) -> ApiResult<Document> {
    let wanted = to_many_ids(body, &["entitlement", "entitlements"])?;
    let taken = |i: usize| {
        ApiError::unprocessable(ErrorCode::EntitlementTaken, "already exists")
            .pointer(format!("/data/{i}"))
    };
    let mut found: Vec<String> = Vec::with_capacity(wanted.len());
    for (i, id) in wanted.iter().enumerate() {
        let row = super::find(state, account, id).await.map_err(|_| {
            ApiError::unprocessable(ErrorCode::EntitlementNotFound, "must exist")
                .pointer(format!("/data/{i}"))
        })?;
        if found.contains(&row.id) {
            return Err(taken(i));
        }
        found.push(row.id);
    }
    let now = state.now_ms();
    if let Some(i) = entitlement_links::attach(&state.db, account.id(), holder, &found, now).await?
    {
        return Err(taken(i));
    }
    let (join, parent_name, parent_kind) = names(holder);
    let parent = holder_id(holder);
    let data: Vec<Value> = found
        .iter()
        .map(|entitlement| {
            join_resource(
                account,
                join,
                &format!("{parent}:{entitlement}"),
                (parent_name, parent_kind, parent),
                ("entitlement", "entitlements", entitlement),
                now,
            )
        })
        .collect();
    Ok(Document::ok(json!({ "data": data })))
}

/// `DELETE …/entitlements`: 422 ENTITLEMENT_NOT_FOUND for the first item that does
/// not exist or is not attached; nothing is detached then.
pub async fn detach(
    state: &AppState,
    account: &Account,
    holder: Holder<'_>,
    body: &Value,
) -> ApiResult<Response> {
    let wanted = to_many_ids(body, &["entitlement", "entitlements"])?;
    let mut resolved = Vec::with_capacity(wanted.len());
    for id in &wanted {
        resolved.push(super::find(state, account, id).await.ok().map(|row| row.id));
    }
    if let Some(i) = entitlement_links::detach(&state.db, holder, &resolved, state.now_ms()).await?
    {
        return Err(ApiError::unprocessable(
            ErrorCode::EntitlementNotFound,
            format!(
                "cannot detach entitlement '{}' (entitlement is not attached)",
                wanted[i]
            ),
        )
        .pointer(format!("/data/{i}")));
    }
    Ok(no_content())
}
