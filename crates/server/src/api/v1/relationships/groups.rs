//! Group relationships (Keygen's `groups/relationships/*`): `GET
//! /groups/{id}/{users,licenses,machines,owners}[/{child}]` and `POST|DELETE
//! /groups/{id}/owners` (data: `[{type: "users", id}]`, 1..100). Readers of the group
//! (staff, products, its members) list its members within what they may see; admins,
//! developers and products attach and detach owners.

use super::{Cx, Nested, child_of};
use crate::account::Account;
use crate::api::v1::serialize::{account_rel, resource, to_one, ts1};
use crate::api::v1::{groups, licenses, machines, serializers, users};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use axum::extract::Path;
use axum::response::Response;
use latchkey_proto::ErrorCode;
use latchkey_store::relations::{self, GroupOwnerRow, OwnersRefusal};
use serde_json::{Value, json};

/// `GET /groups/{id}/users`
pub async fn list_users(cx: Cx, Path(id): Path<String>, nested: Nested) -> ApiResult<Document> {
    let group = cx.load(groups::load, &id).await?;
    cx.nested_list(&nested, ("group", &group.id), users::index)
        .await
}

/// `GET /groups/{id}/users/{child}`
pub async fn show_user(cx: Cx, Path((id, child)): Path<(String, String)>) -> ApiResult<Document> {
    let group = cx.load(groups::load, &id).await?;
    let user = cx.load(users::load, &child).await?;
    let user = child_of(Some(user), "user", &child, |u| {
        u.group_id.as_deref() == Some(group.id.as_str())
    })?;
    cx.show(&user).await
}

/// `GET /groups/{id}/licenses`
pub async fn list_licenses(cx: Cx, Path(id): Path<String>, nested: Nested) -> ApiResult<Document> {
    let group = cx.load(groups::load, &id).await?;
    cx.nested_list(&nested, ("group", &group.id), licenses::index)
        .await
}

/// `GET /groups/{id}/licenses/{child}`
pub async fn show_license(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let group = cx.load(groups::load, &id).await?;
    let license = cx.load(licenses::load, &child).await?;
    let license = child_of(Some(license), "license", &child, |(l, _)| {
        l.group_id.as_deref() == Some(group.id.as_str())
    })?;
    cx.show(&license).await
}

/// `GET /groups/{id}/machines`
pub async fn list_machines(cx: Cx, Path(id): Path<String>, nested: Nested) -> ApiResult<Document> {
    let group = cx.load(groups::load, &id).await?;
    cx.nested_list(&nested, ("group", &group.id), machines::index)
        .await
}

/// `GET /groups/{id}/machines/{child}`
pub async fn show_machine(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let group = cx.load(groups::load, &id).await?;
    let machine = cx.load(machines::load, &child).await?;
    let machine = child_of(Some(machine), "machine", &child, |m| {
        m.machine.group_id.as_deref() == Some(group.id.as_str())
    })?;
    cx.show(&machine).await
}

/// `GET /groups/{id}/owners`: the owning users (as `users`), within what the bearer
/// may see of users.
pub async fn list_owners(
    cx: Cx,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let group = cx.load(groups::load, &id).await?;
    let (page, order) = query.pagination()?;
    let actor = cx.principal.actor();
    let list = relations::group_owners(
        &cx.state.db,
        cx.account.id(),
        &group.id,
        &actor,
        &page,
        order,
    )
    .await?;
    Ok(cx.list_document(&query, &page, list, serializers::users::user, |r| &r.id))
}

/// `GET /groups/{id}/owners/{child}` (child: a user id or email)
pub async fn show_owner(cx: Cx, Path((id, child)): Path<(String, String)>) -> ApiResult<Document> {
    let group = cx.load(groups::load, &id).await?;
    let user = cx.load(users::load, &child).await?;
    let owner = relations::is_group_owner(&cx.state.db, &group.id, &user.id).await?;
    cx.show(&child_of(Some(user), "user", &child, |_| owner)?)
        .await
}

/// `POST /groups/{id}/owners`: 200 with the new `group-owners`, all or none.
pub async fn attach_owners(
    cx: Cx,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let group = cx.load(groups::load, &id).await?;
    let user_ids = user_ids(&body)?;
    if !groups::may_write(&cx.principal) {
        return Err(ApiError::forbidden("not allowed to attach group owners"));
    }
    let attached = relations::attach_owners(
        &cx.state.db,
        cx.account.id(),
        &group.id,
        &user_ids,
        cx.state.now_ms(),
    )
    .await?
    .map_err(refused)?;
    let data: Vec<Value> = attached
        .iter()
        .map(|o| owner_resource(&cx.account, o))
        .collect();
    Ok(Document::ok(json!({ "data": data })))
}

/// `DELETE /groups/{id}/owners`: 204, all or none.
pub async fn detach_owners(
    cx: Cx,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let group = cx.load(groups::load, &id).await?;
    let user_ids = user_ids(&body)?;
    if !groups::may_write(&cx.principal) {
        return Err(ApiError::forbidden("not allowed to detach group owners"));
    }
    relations::detach_owners(&cx.state.db, &group.id, &user_ids, cx.state.now_ms())
        .await?
        .map_err(refused)?;
    Ok(no_content())
}

fn bad(pointer: &str, detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code(ErrorCode::ParametersInvalid)
        .pointer(pointer)
}

/// The user ids of `data: [{type: "users", id}]` (1..100 items): the shared to-many
/// linkage parser, then each id must be a UUID.
fn user_ids(body: &Value) -> ApiResult<Vec<String>> {
    let ids = crate::jsonapi::linkage::to_many_ids(body, &["user", "users"])?;
    if let Some(i) = ids.iter().position(|id| uuid::Uuid::parse_str(id).is_err()) {
        return Err(bad(
            &format!("/data/{i}/id"),
            "type mismatch (expected UUID)",
        ));
    }
    Ok(ids)
}

/// The 422 for a refused attach or detach, pointing at the offending item.
fn refused(refusal: OwnersRefusal) -> ApiError {
    let (i, code, detail) = match refusal {
        OwnersRefusal::UnknownUser(i) => (i, ErrorCode::NotFound, "user must exist"),
        OwnersRefusal::AlreadyOwner(i) => (i, ErrorCode::Taken, "user already owns this group"),
        OwnersRefusal::NotOwner(i) => (
            i,
            ErrorCode::NotFound,
            "owner relationship for user not found",
        ),
    };
    ApiError::unprocessable(code, detail).pointer(format!("/data/{i}"))
}

/// A `group-owners` resource.
fn owner_resource(account: &Account, owner: &GroupOwnerRow) -> Value {
    let own = format!("group-owners/{}", owner.id);
    resource(
        account,
        "group-owners",
        &owner.id,
        json!({ "created": ts1(owner.created_at), "updated": ts1(owner.updated_at) }),
        json!({
            "account": account_rel(account),
            "group": to_one(account, &own, "group", "groups", Some(&owner.group_id)),
            "user": to_one(account, &own, "user", "users", Some(&owner.user_id)),
        }),
    )
}
