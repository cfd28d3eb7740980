//! License relationships: `GET|PUT /licenses/{id}/policy` (transfer), `…/owner`,
//! `…/group`, `GET …/product`, `GET …/machines`, plus `PUT /users/{id}/group` and
//! `PUT /machines/{id}/group`, with group limits enforced under a group row lock.
//! Attached users and entitlements live in [`super::attachments`].

use super::lifecycle::respond;
use super::load;
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use latchkey_core::lifecycle::transferred_expiry;
use latchkey_store::groups::{self, Member};
use latchkey_store::licenses::LicenseRow;
use latchkey_store::policies::PolicyRow;
use latchkey_store::{crud, sql};
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/licenses/{id}/policy",
            get(show_policy).put(change_policy).patch(change_policy),
        )
        .route(
            "/v1/licenses/{id}/owner",
            get(show_owner).put(change_owner).patch(change_owner),
        )
        .route(
            "/v1/licenses/{id}/group",
            get(show_group).put(change_group).patch(change_group),
        )
        .route("/v1/licenses/{id}/product", get(show_product))
        .route("/v1/licenses/{id}/machines", get(list_machines))
        .route(
            "/v1/users/{id}/group",
            axum::routing::put(change_user_group).patch(change_user_group),
        )
        .route(
            "/v1/machines/{id}/group",
            axum::routing::put(change_machine_group).patch(change_machine_group),
        )
        .merge(super::attachments::routes())
}

fn bad(pointer: &str, detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code("PARAMETERS_INVALID")
        .pointer(pointer)
}

/// The `data` of a to-one relationship document: `Some(id)`, or `None` for `data: null`.
pub fn to_one_id(body: &Value, kinds: &[&str]) -> ApiResult<Option<String>> {
    let Some(object) = body.as_object() else {
        return Err(bad("/data", "is missing"));
    };
    if let Some(other) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "data" | "meta"))
    {
        return Err(bad(&format!("/{other}"), "unpermitted parameter"));
    }
    match object.get("data") {
        None => Err(bad("/data", "is missing")),
        Some(Value::Null) => Ok(None),
        Some(Value::Object(data)) => {
            if let Some(other) = data.keys().find(|k| !matches!(k.as_str(), "type" | "id")) {
                return Err(bad(&format!("/data/{other}"), "unpermitted parameter"));
            }
            match data.get("type") {
                Some(Value::String(t)) if kinds.contains(&t.as_str()) => {}
                Some(Value::String(_)) => return Err(bad("/data/type", "type mismatch")),
                _ => return Err(bad("/data/type", "is missing")),
            }
            match data.get("id") {
                Some(Value::String(id)) if !id.is_empty() => Ok(Some(id.clone())),
                None => Err(bad("/data/id", "is missing")),
                _ => Err(bad("/data/id", "type mismatch (expected string)")),
            }
        }
        Some(_) => Err(bad("/data", "type mismatch (expected object)")),
    }
}

fn may_update(principal: &Principal, license: &LicenseRow) -> bool {
    principal.is_support_or_above() || principal.product_id() == Some(&license.product_id)
}

/// Why a license cannot move from `old` to `new` (Keygen's transfer rules).
fn incompatibility(old: &PolicyRow, new: &PolicyRow) -> Option<&'static str> {
    if old.product_id != new.product_id {
        Some("cannot change to a policy for another product")
    } else if old.encrypted != new.encrypted {
        Some("cannot change from an encrypted policy to an unencrypted policy (or vice-versa)")
    } else if old.use_pool != new.use_pool {
        Some("cannot change from a pooled policy to an unpooled policy (or vice-versa)")
    } else if old.scheme != new.scheme {
        Some("cannot change to a policy with a different scheme")
    } else if new.machine_uniqueness_strategy.rank() > old.machine_uniqueness_strategy.rank() {
        Some("cannot change to a policy with a more strict machine uniqueness strategy")
    } else if new.component_uniqueness_strategy.rank() > old.component_uniqueness_strategy.rank() {
        Some("cannot change to a policy with a more strict component uniqueness strategy")
    } else {
        None
    }
}

/// `GET /licenses/{id}/policy`
async fn show_policy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (_, policy) = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(
        crate::api::v1::policies::serializer::policy(&account, &policy),
    )))
}

/// `PUT /licenses/{id}/policy`: moves the license to another policy of the same
/// product; RESET_EXPIRY restarts the expiry from the new policy's duration.
async fn change_policy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, old) = load(&state, &account, &principal, &id).await?;
    let new_id = to_one_id(&body, &["policy", "policies"])?;
    let owner_may = match &principal.bearer {
        Bearer::User(u, role) if !role.is_staff() => {
            license.owner_id.as_deref() == Some(u.id.as_str())
                && !license.protected.unwrap_or(old.protected)
        }
        _ => false,
    };
    if !may_update(&principal, &license) && !owner_may {
        return Err(ApiError::forbidden(
            "not allowed to change this license's policy",
        ));
    }
    let not_found = || {
        ApiError::unprocessable("POLICY_NOT_FOUND", "must exist")
            .pointer("/data/relationships/policy")
    };
    let new_id = new_id.ok_or_else(not_found)?;
    let new: PolicyRow = crud::find(
        &state.db,
        latchkey_store::policies::TABLE,
        latchkey_store::policies::COLUMNS,
        account.id(),
        &new_id,
    )
    .await?
    .ok_or_else(not_found)?;
    if let Some(detail) = incompatibility(&old, &new) {
        return Err(ApiError::unprocessable("POLICY_NOT_COMPATIBLE", detail)
            .pointer("/data/relationships/policy"));
    }
    if owner_may && new.protected {
        return Err(ApiError::forbidden("policy is protected"));
    }
    // The strategy of the policy being moved to decides (Keygen reads the new one).
    let strategy = new.transfer_strategy;
    let now = state.now_ms();
    let expiry = transferred_expiry(strategy, license.expiry, now, new.duration);
    state
        .db
        .execute(
            sql("UPDATE licenses SET policy_id = $1, expiry = $2, updated_at = $3 WHERE id = $4")
                .bind(&new.id)
                .bind(expiry)
                .bind(now)
                .bind(&license.id),
        )
        .await?;
    respond(&state, &account, &license.id).await
}

/// `GET /licenses/{id}/owner` (data null when unowned)
async fn show_owner(
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
        "data": owner.map(|u| crate::api::v1::users::serializer::user(&account, &u)),
    })))
}

/// `PUT /licenses/{id}/owner` (`data: null` removes the owner)
async fn change_owner(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    let owner = to_one_id(&body, &["user", "users"])?;
    if !may_update(&principal, &license) {
        return Err(ApiError::forbidden(
            "not allowed to change this license's owner",
        ));
    }
    let owner_id = match owner {
        Some(owner) => Some(
            latchkey_store::users::find(&state.db, account.id(), &owner)
                .await?
                .ok_or_else(|| {
                    ApiError::unprocessable("OWNER_NOT_FOUND", "must exist")
                        .pointer("/data/relationships/owner")
                })?
                .id,
        ),
        None => None,
    };
    let mut tx = state.db.begin().await?;
    if let Some(owner) = &owner_id {
        // maxUsers counts the owner: checked under the same lock as attaching users.
        let locked =
            latchkey_store::licenses::lock_users(&mut tx, &license.id, Some(owner.as_str()))
                .await?
                .ok_or_else(|| ApiError::not_found("license", &id))?;
        let after = locked.attached - i64::from(locked.candidate_attached) + 1;
        if let Some(max) = license.max_users.or(policy.max_users)
            && after > locked.count()
            && after > max
        {
            return Err(super::attachments::user_limit_exceeded(max));
        }
        // An owner is not also an attached licensee.
        tx.execute(
            sql("DELETE FROM license_users WHERE license_id = $1 AND user_id = $2")
                .bind(&license.id)
                .bind(owner),
        )
        .await?;
    }
    tx.execute(
        sql("UPDATE licenses SET owner_id = $1, updated_at = $2 WHERE id = $3")
            .bind(owner_id)
            .bind(state.now_ms())
            .bind(&license.id),
    )
    .await?;
    tx.commit().await?;
    respond(&state, &account, &license.id).await
}

/// `GET /licenses/{id}/group` (data null when none)
async fn show_group(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    let group: Option<groups::GroupRow> = match &license.group_id {
        Some(g) => crud::find(&state.db, groups::TABLE, groups::COLUMNS, account.id(), g).await?,
        None => None,
    };
    Ok(Document::ok(json!({
        "data": group.map(|g| crate::api::v1::groups::serializer::group(&account, &g)),
    })))
}

/// Moves `id` into the group named in `body` (or out of any group), refusing with
/// `GROUP_<MEMBER>_LIMIT_EXCEEDED` when the group is full. The store counts the
/// members under the group-row lock.
async fn join_group(
    state: &AppState,
    account: &Account,
    member: Member,
    id: &str,
    body: &Value,
) -> ApiResult<()> {
    let group = to_one_id(body, &["group", "groups"])?;
    let group_id = match group {
        Some(g) => Some(crate::api::v1::groups::resolve(state, account, &g).await?),
        None => None,
    };
    let admission = groups::join(
        &state.db,
        account.id(),
        member,
        id,
        group_id.as_deref(),
        state.now_ms(),
    )
    .await?;
    crate::api::v1::groups::admitted(member, admission)
}

/// `PUT /licenses/{id}/group`
async fn change_group(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    if !may_update(&principal, &license) {
        return Err(ApiError::forbidden(
            "not allowed to change this license's group",
        ));
    }
    join_group(&state, &account, Member::License, &license.id, &body).await?;
    respond(&state, &account, &license.id).await
}

/// `PUT /users/{id}/group` (admins, developers, sales, support and product tokens)
async fn change_user_group(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let user = crate::api::v1::users::load(&state, &account, &principal, &id).await?;
    if !principal.is_support_or_above() && principal.product_id().is_none() {
        return Err(ApiError::forbidden(
            "not allowed to change this user's group",
        ));
    }
    join_group(&state, &account, Member::User, &user.id, &body).await?;
    let user = latchkey_store::users::find(&state.db, account.id(), &user.id)
        .await?
        .ok_or_else(|| ApiError::not_found("user", &id))?;
    Ok(Document::ok(single(
        crate::api::v1::users::serializer::user(&account, &user),
    )))
}

/// `PUT /machines/{id}/group` (machine update rights: staff and the product)
async fn change_machine_group(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let machine = crate::api::v1::machines::find_for(&state, &account, &principal, &id).await?;
    let (license, policy) = load(&state, &account, &principal, &machine.license_id).await?;
    if !may_update(&principal, &license) {
        return Err(ApiError::forbidden(
            "not allowed to change this machine's group",
        ));
    }
    join_group(&state, &account, Member::Machine, &machine.id, &body).await?;
    let machine = latchkey_store::machines::find(&state.db, account.id(), &machine.id)
        .await?
        .ok_or_else(|| ApiError::not_found("machine", &id))?;
    Ok(Document::ok(single(
        crate::api::v1::machines::serializer::machine(
            &account,
            &machine,
            &license,
            &policy,
            state.now_ms(),
        ),
    )))
}

/// `GET /licenses/{id}/product`
async fn show_product(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    let product: latchkey_store::products::ProductRow = crud::find(
        &state.db,
        latchkey_store::products::TABLE,
        latchkey_store::products::COLUMNS,
        account.id(),
        &license.product_id,
    )
    .await?
    .ok_or_else(|| ApiError::internal("license without product"))?;
    Ok(Document::ok(single(
        crate::api::v1::products::serializer::product(&account, &product),
    )))
}

/// `GET /licenses/{id}/machines` (oldest first, at most 100)
async fn list_machines(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    let rows: Vec<latchkey_store::machines::MachineRow> = state
        .db
        .fetch_all(
            sql(format!(
                "SELECT {} FROM machines WHERE license_id = $1 ORDER BY created_at, id LIMIT 100",
                latchkey_store::machines::COLUMNS
            ))
            .bind(&license.id),
        )
        .await?;
    let now = state.now_ms();
    let data: Vec<Value> = rows
        .iter()
        .map(|m| crate::api::v1::machines::serializer::machine(&account, m, &license, &policy, now))
        .collect();
    Ok(Document::ok(json!({ "data": data })))
}
