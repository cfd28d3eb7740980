//! To-many attachments of a license: `GET|POST|DELETE /licenses/{id}/users`
//! (licensees) and `…/licenses/{id}/entitlements`. Bodies are `data: [{type, id}]`
//! (1..100). The store does each write in one transaction under the license row lock.

use super::relationships::user_limit_exceeded;
use super::{facts, load};
use crate::account::Account;
use crate::api::v1::entitlements::attach as entitlement_attach;
use crate::api::v1::serializers::entitlements as entitlement_json;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::linkage::to_many_ids;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::{entitlements as entitlement_access, licenses as access};
use latchkey_proto::ErrorCode;
use latchkey_store::entitlement_links::Holder;
use latchkey_store::license_users::{self, AttachRefusal};
use latchkey_store::licenses::LicenseRow;
use latchkey_store::policies::PolicyRow;
use serde_json::{Value, json};

// ---- licensees ----

async fn may_manage_users(
    state: &AppState,
    principal: &Principal,
    license: &LicenseRow,
    policy: &PolicyRow,
) -> ApiResult<bool> {
    let facts = facts(state, principal, license, license.is_protected(policy)).await?;
    Ok(access::may_manage_users(&principal.actor(), &facts))
}

/// `GET /licenses/{id}/users`: the owner first, then attached users.
pub(crate) async fn list_users(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    let rows = license_users::all(&state.db, license.owner_id.as_deref(), &license.id).await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|u| crate::api::v1::serializers::users::user(&account, u))
        .collect();
    Ok(Document::ok(json!({ "data": data })))
}

fn user_taken(pointer: String) -> ApiError {
    ApiError::unprocessable(ErrorCode::UserTaken, "has already been taken").pointer(pointer)
}

/// `POST /licenses/{id}/users`: attaches licensees; maxUsers counts the owner.
pub(crate) async fn attach_users(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    let wanted = to_many_ids(&body, &["user", "users"])?;
    if !may_manage_users(&state, &principal, &license, &policy).await? {
        return Err(ApiError::forbidden(
            "not allowed to attach users to this license",
        ));
    }
    let mut users = Vec::with_capacity(wanted.len());
    for (i, user) in wanted.iter().enumerate() {
        let found = latchkey_store::users::find(&state.db, account.id(), user).await?;
        let found = found.ok_or_else(|| {
            ApiError::unprocessable(ErrorCode::UserNotFound, "must exist")
                .pointer(format!("/data/{i}"))
        })?;
        if users.contains(&found.id) || license.owner_id.as_deref() == Some(found.id.as_str()) {
            return Err(user_taken(format!("/data/{i}")));
        }
        users.push(found.id);
    }
    let now = state.now_ms();
    let max_users = license.limits(&policy).max_users;
    match license_users::attach(&state.db, account.id(), &license.id, &users, max_users, now)
        .await?
    {
        Ok(()) => {}
        Err(AttachRefusal::Gone) => return Err(ApiError::not_found("license", &id)),
        Err(AttachRefusal::OwnerListed) => return Err(user_taken("/data".into())),
        Err(AttachRefusal::Taken(i)) => return Err(user_taken(format!("/data/{i}"))),
        Err(AttachRefusal::LimitExceeded(max)) => return Err(user_limit_exceeded(max)),
    }
    let data: Vec<Value> = users
        .iter()
        .map(|user| {
            entitlement_json::join_resource(
                &account,
                "license-users",
                &format!("{}:{user}", license.id),
                ("license", "licenses", &license.id),
                ("user", "users", user),
                now,
            )
        })
        .collect();
    Ok(Document::ok(json!({ "data": data })))
}

/// `DELETE /licenses/{id}/users`: the owner cannot be detached (403); every user
/// must be attached (422).
pub(crate) async fn detach_users(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    let wanted = to_many_ids(&body, &["user", "users"])?;
    if !may_manage_users(&state, &principal, &license, &policy).await? {
        return Err(ApiError::forbidden(
            "not allowed to detach users from this license",
        ));
    }
    if let Some(i) = wanted
        .iter()
        .position(|u| license.owner_id.as_deref() == Some(u.as_str()))
    {
        return Err(ApiError::forbidden(&format!(
            "cannot detach user '{}' (user is attached through owner)",
            wanted[i]
        ))
        .pointer(format!("/data/{i}")));
    }
    if let Some(i) = license_users::detach(&state.db, &license.id, &wanted, state.now_ms()).await? {
        return Err(ApiError::unprocessable(
            ErrorCode::UserNotFound,
            format!("cannot detach user '{}' (user is not attached)", wanted[i]),
        )
        .pointer(format!("/data/{i}")));
    }
    Ok(no_content())
}

// ---- entitlements ----

/// `GET /licenses/{id}/entitlements`: the policy's entitlements and the license's own.
pub(crate) async fn list_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    let rows = latchkey_store::entitlements::of_license(&state.db, &license.id, &license.policy_id)
        .await?;
    Ok(Document::ok(entitlement_json::list(&account, &rows)))
}

/// `POST /licenses/{id}/entitlements`
pub(crate) async fn attach_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    if !entitlement_access::may_attach(&principal.actor(), &license.product_id) {
        return Err(ApiError::forbidden("not allowed to attach entitlements"));
    }
    entitlement_attach::attach(&state, &account, Holder::License(&license.id), &body).await
}

/// `DELETE /licenses/{id}/entitlements`
pub(crate) async fn detach_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    if !entitlement_access::may_attach(&principal.actor(), &license.product_id) {
        return Err(ApiError::forbidden("not allowed to detach entitlements"));
    }
    entitlement_attach::detach(&state, &account, Holder::License(&license.id), &body).await
}
