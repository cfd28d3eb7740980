//! Groups (`/groups`, table `account_groups`): CRUD. Staff and product tokens read
//! every group; a user reads its own group and a license its license's group.
//! Admins, developers and product tokens write. Deleting a group detaches its
//! users, licenses and machines (the foreign keys set `group_id` to NULL).

use crate::api::v1::serializers::groups as serializer;

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, camel_case, invalid, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::groups as access;
use latchkey_proto::ErrorCode;
use latchkey_store::groups::{self, Admission, GroupChanges, GroupRow, Member};
use latchkey_store::new_id;
use serde_json::json;

/// The id of the group a `relationships.group` names (422 GROUP_NOT_FOUND if none).
pub async fn resolve(state: &AppState, account: &Account, id: &str) -> ApiResult<String> {
    let found = groups::find(&state.db, account.id(), id).await?;
    found.map(|g| g.id).ok_or_else(group_not_found)
}

fn group_not_found() -> ApiError {
    ApiError::unprocessable(ErrorCode::GroupNotFound, "must exist")
        .pointer("/data/relationships/group")
}

/// The answer to a group's [`Admission`] of one more `member`: nothing when there
/// is room, else 422 `GROUP_<MEMBER>_LIMIT_EXCEEDED` with Keygen's detail, or
/// `GROUP_NOT_FOUND` when the group vanished meanwhile.
pub fn admitted(member: Member, admission: Admission) -> ApiResult<()> {
    let max = match admission {
        Admission::Room => return Ok(()),
        Admission::Missing => return Err(group_not_found()),
        Admission::Full(max) => max,
    };
    let (code, noun) = match member {
        Member::User => (ErrorCode::GroupUserLimitExceeded, "user"),
        Member::License => (ErrorCode::GroupLicenseLimitExceeded, "license"),
        Member::Machine => (ErrorCode::GroupMachineLimitExceeded, "machine"),
    };
    Err(ApiError::unprocessable(
        code,
        format!("{noun} count has exceeded maximum allowed by current group ({max})"),
    )
    .pointer("/data/relationships/group"))
}

/// The group of a user or license bearer (the only one it may see).
fn own_group(principal: &Principal) -> Option<&str> {
    match &principal.bearer {
        Bearer::User(u, _) => u.group_id.as_deref(),
        Bearer::License(l, _) => l.group_id.as_deref(),
        Bearer::Product(_) => None,
    }
}

pub(crate) fn may_write(principal: &Principal) -> bool {
    access::may_write(&principal.actor())
}

/// Loads a group the caller may read, or 404/403.
pub async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<GroupRow> {
    let row = groups::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("group", id))?;
    if !access::may_read(&principal.actor(), own_group(principal), &row.id) {
        return Err(ApiError::forbidden("not allowed to read this group"));
    }
    Ok(row)
}

/// `GET /groups`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let metadata: Vec<(String, String)> = query
        .prefixed("metadata")
        .into_iter()
        .map(|(key, value)| (camel_case(key), value.to_owned()))
        .collect();
    let visible = access::visible_group(&principal.actor(), own_group(&principal));
    let (rows, count) =
        groups::list(&state.db, account.id(), &metadata, visible, &page, order).await?;
    let data: Vec<_> = rows
        .iter()
        .map(|r| serializer::group(&account, r))
        .collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /groups/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(serializer::group(&account, &row))))
}

struct Attrs {
    name: Field<String>,
    max_users: Field<i64>,
    max_licenses: Field<i64>,
    max_machines: Field<i64>,
    metadata: Field<String>,
}

fn read(input: &mut Input) -> ApiResult<Attrs> {
    let name = input.string("name", 255)?;
    if matches!(&name, Field::Value(n) if n.is_empty()) {
        return Err(missing("name"));
    }
    Ok(Attrs {
        name,
        max_users: limit(input, "maxUsers")?,
        max_licenses: limit(input, "maxLicenses")?,
        max_machines: limit(input, "maxMachines")?,
        metadata: input.metadata()?,
    })
}

/// A limit attribute: a positive integer, or null for none.
fn limit(input: &mut Input, attribute: &str) -> ApiResult<Field<i64>> {
    let field = input.integer(attribute)?;
    if matches!(field, Field::Value(n) if n < 1) {
        return Err(invalid(attribute, "must be greater than 0"));
    }
    Ok(field)
}

/// `POST /groups`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    if !may_write(&principal) {
        return Err(ApiError::forbidden("not allowed to create groups"));
    }
    let mut input = Input::parse(&body, "groups")?;
    let attrs = read(&mut input)?;
    input.finish()?;
    let Field::Value(name) = attrs.name.clone() else {
        return Err(missing("name"));
    };
    let now = state.now_ms();
    let row = GroupRow {
        id: new_id(),
        account_id: account.id().to_owned(),
        name,
        max_users: attrs.max_users.value(),
        max_licenses: attrs.max_licenses.value(),
        max_machines: attrs.max_machines.value(),
        metadata: attrs.metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
    };
    groups::create(&state.db, &row).await?;
    let location = format!("{}/groups/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::group(&account, &row)),
        location,
    ))
}

/// `PATCH /groups/{id}`
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    if !may_write(&principal) {
        return Err(ApiError::forbidden("not allowed to update groups"));
    }
    let mut input = Input::parse(&body, "groups")?;
    let attrs = read(&mut input)?;
    input.finish()?;
    let changes = GroupChanges {
        name: match attrs.name {
            Field::Value(name) => Some(name),
            Field::Null => return Err(missing("name")),
            Field::Absent => None,
        },
        max_users: attrs.max_users.into_update(),
        max_licenses: attrs.max_licenses.into_update(),
        max_machines: attrs.max_machines.into_update(),
        metadata: attrs
            .metadata
            .into_update()
            .map(|m| m.unwrap_or_else(|| "{}".into())),
    };
    let updated = groups::update(&state.db, account.id(), &row.id, changes, state.now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("group", &id))?;
    Ok(Document::ok(single(serializer::group(&account, &updated))))
}

/// `DELETE /groups/{id}` (members keep existing, without a group).
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &account, &principal, &id).await?;
    if !may_write(&principal) {
        return Err(ApiError::forbidden("not allowed to delete groups"));
    }
    groups::delete(&state.db, account.id(), &row.id, state.now_ms()).await?;
    Ok(no_content())
}
