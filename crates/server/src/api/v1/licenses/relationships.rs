//! License to-one relationships: `GET|PUT /licenses/{id}/policy` (transfer),
//! `…/owner`, `…/group`, `GET …/product` and the paged `GET …/machines`. Attached
//! users and entitlements live in [`super::attachments`].

use super::{facts, load, respond};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::linkage::to_one_id;
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_core::access::licenses::{self as access, PolicyChanger};
use latchkey_core::licensing::transfer_incompatibility;
use latchkey_core::lifecycle::transferred_expiry;
use latchkey_proto::ErrorCode;
use latchkey_store::groups::{self, Member};
use latchkey_store::license_users::{self, OwnerRefusal};
use latchkey_store::licenses::{self, LicenseRow};
use latchkey_store::policies::{self, PolicyRow};
use serde_json::{Value, json};

/// 403 unless the caller may update the license.
async fn require_update(
    state: &AppState,
    principal: &Principal,
    license: &LicenseRow,
    policy: &PolicyRow,
    detail: &str,
) -> ApiResult<()> {
    let facts = facts(state, principal, license, license.is_protected(policy)).await?;
    if !access::may_update(&principal.actor(), &facts) {
        return Err(ApiError::forbidden(detail));
    }
    Ok(())
}

/// `GET /licenses/{id}/policy`
pub(crate) async fn show_policy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (_, policy) = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(
        crate::api::v1::serializers::policies::policy(&account, &policy),
    )))
}

/// `PUT /licenses/{id}/policy`: moves the license to another policy (of any product:
/// the license's product follows the policy, as in Keygen); RESET_EXPIRY restarts the
/// expiry from the new policy's duration.
pub(crate) async fn change_policy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, old) = load(&state, &account, &principal, &id).await?;
    let new_id = to_one_id(&body, &["policy", "policies"])?;
    let facts = facts(&state, &principal, &license, license.is_protected(&old)).await?;
    let Some(changer) = access::policy_changer(&principal.actor(), &facts) else {
        return Err(ApiError::forbidden(
            "not allowed to change this license's policy",
        ));
    };
    let not_found = || {
        ApiError::unprocessable(ErrorCode::PolicyNotFound, "must exist")
            .pointer("/data/relationships/policy")
    };
    let new_id = new_id.ok_or_else(not_found)?;
    let new = policies::find(&state.db, account.id(), &new_id)
        .await?
        .ok_or_else(not_found)?;
    if let Some(detail) = transfer_incompatibility(
        &policies::transfer_facts(&old),
        &policies::transfer_facts(&new),
    ) {
        return Err(
            ApiError::unprocessable(ErrorCode::PolicyNotCompatible, detail)
                .pointer("/data/relationships/policy"),
        );
    }
    if changer == PolicyChanger::Owner && new.protected {
        return Err(ApiError::forbidden("policy is protected"));
    }
    // The strategy of the policy being moved to decides (Keygen reads the new one).
    let strategy = new.transfer_strategy;
    let now = state.now_ms();
    let expiry = transferred_expiry(strategy, license.expiry, now, new.duration);
    licenses::transfer(&state.db, &license.id, &new, expiry, now).await?;
    respond(&state, &account, &license.id).await
}

/// `GET /licenses/{id}/owner` (data null when unowned)
pub(crate) async fn show_owner(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    let owner = match &license.owner_id {
        Some(owner) => latchkey_store::users::find(&state.db, account.id(), owner).await?,
        None => None,
    };
    Ok(Document::ok(json!({
        "data": owner.map(|u| crate::api::v1::serializers::users::user(&account, &u)),
    })))
}

/// 422 USER_LIMIT_EXCEEDED: the license's users (owner included) would exceed `max`.
pub(super) fn user_limit_exceeded(max: i64) -> ApiError {
    ApiError::unprocessable(
        ErrorCode::UserLimitExceeded,
        format!("user count has exceeded maximum allowed by current policy ({max})"),
    )
    .pointer("/data")
}

/// `PUT /licenses/{id}/owner` (`data: null` removes the owner)
pub(crate) async fn change_owner(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    let owner = to_one_id(&body, &["user", "users"])?;
    require_update(
        &state,
        &principal,
        &license,
        &policy,
        "not allowed to change this license's owner",
    )
    .await?;
    let owner_id = match owner {
        Some(owner) => Some(
            latchkey_store::users::find(&state.db, account.id(), &owner)
                .await?
                .ok_or_else(|| {
                    ApiError::unprocessable(ErrorCode::OwnerNotFound, "must exist")
                        .pointer("/data/relationships/owner")
                })?
                .id,
        ),
        None => None,
    };
    let max_users = license.limits(&policy).max_users;
    match license_users::set_owner(
        &state.db,
        &license.id,
        owner_id.as_deref(),
        max_users,
        state.now_ms(),
    )
    .await?
    {
        Ok(()) => {}
        Err(OwnerRefusal::Gone) => return Err(ApiError::not_found("license", &id)),
        Err(OwnerRefusal::LimitExceeded(max)) => return Err(user_limit_exceeded(max)),
    }
    respond(&state, &account, &license.id).await
}

/// `GET /licenses/{id}/group` (data null when none)
pub(crate) async fn show_group(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    let group: Option<groups::GroupRow> = match &license.group_id {
        Some(g) => {
            latchkey_store::crud::find(&state.db, groups::TABLE, groups::COLUMNS, account.id(), g)
                .await?
        }
        None => None,
    };
    Ok(Document::ok(json!({
        "data": group.map(|g| crate::api::v1::serializers::groups::group(&account, &g)),
    })))
}

/// `PUT /licenses/{id}/group`: moves the license into the group (or out of any),
/// refusing with `GROUP_LICENSE_LIMIT_EXCEEDED` when the group is full (the store
/// counts members under the group-row lock).
pub(crate) async fn change_group(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    require_update(
        &state,
        &principal,
        &license,
        &policy,
        "not allowed to change this license's group",
    )
    .await?;
    let group = to_one_id(&body, &["group", "groups"])?;
    let group_id = match group {
        Some(g) => Some(crate::api::v1::groups::resolve(&state, &account, &g).await?),
        None => None,
    };
    let admission = groups::join(
        &state.db,
        account.id(),
        Member::License,
        &license.id,
        group_id.as_deref(),
        state.now_ms(),
    )
    .await?;
    crate::api::v1::groups::admitted(Member::License, admission)?;
    respond(&state, &account, &license.id).await
}

/// `GET /licenses/{id}/product`
pub(crate) async fn show_product(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    let product: latchkey_store::products::ProductRow = latchkey_store::crud::find(
        &state.db,
        latchkey_store::products::TABLE,
        latchkey_store::products::COLUMNS,
        account.id(),
        &license.product_id,
    )
    .await?
    .ok_or_else(|| ApiError::internal("license without product"))?;
    Ok(Document::ok(single(
        crate::api::v1::serializers::products::product(&account, &product),
    )))
}

/// `GET /licenses/{id}/machines`: paged like every list (`limit`, `page[size]` and
/// `page[number]`, `page[cursor]`, `order`), with links.
pub(crate) async fn list_machines(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    let (page, order) = query.pagination()?;
    let (rows, count) =
        licenses::machines(&state.db, account.id(), &license.id, &page, order).await?;
    let now = state.now_ms();
    let data: Vec<Value> = rows
        .iter()
        .map(|m| {
            crate::api::v1::serializers::machines::machine(&account, m, &license, &policy, now)
        })
        .collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}
