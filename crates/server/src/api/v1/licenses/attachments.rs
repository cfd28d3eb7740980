//! To-many attachments: `GET|POST|DELETE /licenses/{id}/users` (licensees),
//! `…/licenses/{id}/entitlements` and `/policies/{id}/entitlements`. Bodies are
//! `data: [{type, id}]` (1..100). Writes lock the license (or policy) row.

use super::load;
use crate::account::Account;
use crate::api::v1::serialize::{account_rel, resource, ts1};
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use latchkey_store::entitlements::{COLUMNS as ENT_COLUMNS, EntitlementRow};
use latchkey_store::licenses::LicenseRow;
use latchkey_store::policies::PolicyRow;
use latchkey_store::sql;
use latchkey_store::users::UserRow;
use serde_json::{Value, json};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/licenses/{id}/users",
            get(list_users).post(attach_users).delete(detach_users),
        )
        .route(
            "/v1/licenses/{id}/entitlements",
            get(list_license_entitlements)
                .post(attach_license_entitlements)
                .delete(detach_license_entitlements),
        )
        .route(
            "/v1/policies/{id}/entitlements",
            get(list_policy_entitlements)
                .post(attach_policy_entitlements)
                .delete(detach_policy_entitlements),
        )
}

fn bad(pointer: &str, detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code("PARAMETERS_INVALID")
        .pointer(pointer)
}

/// The ids of a `data: [{type, id}]` document (1..100 items of one of `kinds`).
fn ids(body: &Value, kinds: &[&str]) -> ApiResult<Vec<String>> {
    let object = body.as_object().ok_or_else(|| bad("/data", "is missing"))?;
    if let Some(other) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "data" | "meta"))
    {
        return Err(bad(&format!("/{other}"), "unpermitted parameter"));
    }
    let items = match object.get("data") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Err(bad("/data", "is missing")),
        Some(_) => return Err(bad("/data", "type mismatch (expected array)")),
    };
    if items.is_empty() || items.len() > 100 {
        return Err(bad("/data", "length must be between 1 and 100 (inclusive)"));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(item) = item.as_object() else {
            return Err(bad(
                &format!("/data/{i}"),
                "type mismatch (expected object)",
            ));
        };
        if let Some(other) = item.keys().find(|k| !matches!(k.as_str(), "type" | "id")) {
            return Err(bad(&format!("/data/{i}/{other}"), "unpermitted parameter"));
        }
        match item.get("type") {
            Some(Value::String(t)) if kinds.contains(&t.as_str()) => {}
            Some(Value::String(_)) => return Err(bad(&format!("/data/{i}/type"), "type mismatch")),
            _ => return Err(bad(&format!("/data/{i}/type"), "is missing")),
        }
        match item.get("id") {
            Some(Value::String(id)) if !id.is_empty() => out.push(id.clone()),
            None => return Err(bad(&format!("/data/{i}/id"), "is missing")),
            _ => {
                return Err(bad(
                    &format!("/data/{i}/id"),
                    "type mismatch (expected string)",
                ));
            }
        }
    }
    Ok(out)
}

/// One join row as Keygen renders it (`license-users`, `license-entitlements`, …).
fn join_resource(
    account: &Account,
    kind: &str,
    id: &str,
    parent: (&str, &str, &str),
    member: (&str, &str, &str),
    at: i64,
) -> Value {
    let rel = |(name, kind, id): (&str, &str, &str)| {
        json!({
            "links": { "related": format!("{}/{kind}/{id}", account.base()) },
            "data": { "type": kind, "id": id },
        })
        .as_object()
        .map(|o| (name.to_owned(), Value::Object(o.clone())))
    };
    let mut relationships = serde_json::Map::new();
    relationships.insert("account".into(), account_rel(account));
    for (name, value) in [rel(parent), rel(member)].into_iter().flatten() {
        relationships.insert(name, value);
    }
    resource(
        account,
        kind,
        id,
        json!({ "created": ts1(at), "updated": ts1(at) }),
        Value::Object(relationships),
    )
}

// ---- licensees ----

fn may_manage_users(principal: &Principal, license: &LicenseRow, _policy: &PolicyRow) -> bool {
    // Spec §6.5: end users' default permissions leave out license.users.attach/detach.
    match &principal.bearer {
        Bearer::Product(p) => p.id == license.product_id,
        Bearer::License(..) => false,
        Bearer::User(_, role) if !role.is_staff() => false,
        _ => principal.is_support_or_above(),
    }
}

/// `GET /licenses/{id}/users`: the owner first, then attached users.
async fn list_users(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    let rows: Vec<UserRow> = state
        .db
        .fetch_all(
            sql(format!(
                "SELECT {} FROM users WHERE id = $1 OR id IN \
                 (SELECT user_id FROM license_users WHERE license_id = $2) \
                 ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END, created_at, id",
                latchkey_store::users::COLUMNS
            ))
            .bind(license.owner_id.clone().unwrap_or_default())
            .bind(&license.id),
        )
        .await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|u| crate::api::v1::users::serializer::user(&account, u))
        .collect();
    Ok(Document::ok(json!({ "data": data })))
}

/// 422 USER_LIMIT_EXCEEDED: the license's users (owner included) would exceed `max`.
pub(super) fn user_limit_exceeded(max: i64) -> ApiError {
    ApiError::unprocessable(
        "USER_LIMIT_EXCEEDED",
        format!("user count has exceeded maximum allowed by current policy ({max})"),
    )
    .pointer("/data")
}

/// `POST /licenses/{id}/users`: attaches licensees; maxUsers counts the owner.
async fn attach_users(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    let wanted = ids(&body, &["user", "users"])?;
    if !may_manage_users(&principal, &license, &policy) {
        return Err(ApiError::forbidden(
            "not allowed to attach users to this license",
        ));
    }
    let mut users = Vec::with_capacity(wanted.len());
    for (i, user) in wanted.iter().enumerate() {
        let found = latchkey_store::users::find(&state.db, account.id(), user).await?;
        let found = found.ok_or_else(|| {
            ApiError::unprocessable("USER_NOT_FOUND", "must exist").pointer(format!("/data/{i}"))
        })?;
        if users.contains(&found.id) || license.owner_id.as_deref() == Some(found.id.as_str()) {
            return Err(
                ApiError::unprocessable("USER_TAKEN", "has already been taken")
                    .pointer(format!("/data/{i}")),
            );
        }
        users.push(found.id);
    }
    let now = state.now_ms();
    let mut tx = state.db.begin().await?;
    // Serialises attachments to one license so maxUsers holds under races.
    let locked = latchkey_store::licenses::lock_users(&mut tx, &license.id, None)
        .await?
        .ok_or_else(|| ApiError::not_found("license", &id))?;
    if locked
        .owner_id
        .as_deref()
        .is_some_and(|owner| users.iter().any(|u| u == owner))
    {
        return Err(
            ApiError::unprocessable("USER_TAKEN", "has already been taken").pointer("/data"),
        );
    }
    if let Some(max) = license.max_users.or(policy.max_users)
        && locked.count() + users.len() as i64 > max
    {
        return Err(user_limit_exceeded(max));
    }
    let mut data = Vec::with_capacity(users.len());
    for (i, user) in users.iter().enumerate() {
        let exists: Option<(String,)> = tx
            .fetch_optional(
                sql("SELECT user_id FROM license_users WHERE license_id = $1 AND user_id = $2")
                    .bind(&license.id)
                    .bind(user),
            )
            .await?;
        if exists.is_some() {
            return Err(
                ApiError::unprocessable("USER_TAKEN", "has already been taken")
                    .pointer(format!("/data/{i}")),
            );
        }
        tx.execute(
            sql(
                "INSERT INTO license_users (account_id, license_id, user_id, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(account.id())
            .bind(&license.id)
            .bind(user)
            .bind(now),
        )
        .await?;
        data.push(join_resource(
            &account,
            "license-users",
            &format!("{}:{user}", license.id),
            ("license", "licenses", &license.id),
            ("user", "users", user),
            now,
        ));
    }
    tx.commit().await?;
    Ok(Document::ok(json!({ "data": data })))
}

/// `DELETE /licenses/{id}/users`: the owner cannot be detached (403); every user
/// must be attached (422).
async fn detach_users(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    let wanted = ids(&body, &["user", "users"])?;
    if !may_manage_users(&principal, &license, &policy) {
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
    let mut tx = state.db.begin().await?;
    for (i, user) in wanted.iter().enumerate() {
        let removed = tx
            .execute(
                sql("DELETE FROM license_users WHERE license_id = $1 AND user_id = $2")
                    .bind(&license.id)
                    .bind(user),
            )
            .await?;
        if removed == 0 {
            return Err(ApiError::unprocessable(
                "USER_NOT_FOUND",
                format!("cannot detach user '{user}' (user is not attached)"),
            )
            .pointer(format!("/data/{i}")));
        }
    }
    tx.commit().await?;
    Ok(no_content())
}

// ---- entitlements ----

/// Where entitlements attach: the join table, its parent column and resource names.
struct Holder<'a> {
    table: &'static str,
    column: &'static str,
    parent_kind: &'static str,
    parent_name: &'static str,
    join_kind: &'static str,
    id: &'a str,
}

async fn entitlements_of(state: &AppState, holder: &Holder<'_>) -> ApiResult<Vec<EntitlementRow>> {
    Ok(state
        .db
        .fetch_all(
            sql(format!(
                "SELECT {ENT_COLUMNS} FROM entitlements WHERE id IN \
                 (SELECT entitlement_id FROM {} WHERE {} = $1) ORDER BY created_at, id",
                holder.table, holder.column
            ))
            .bind(holder.id),
        )
        .await?)
}

fn render_entitlements(account: &Account, rows: &[EntitlementRow]) -> Document {
    let data: Vec<Value> = rows
        .iter()
        .map(|e| crate::api::v1::entitlements::serializer::entitlement(account, e))
        .collect();
    Document::ok(json!({ "data": data }))
}

async fn attach(
    state: &AppState,
    account: &Account,
    holder: &Holder<'_>,
    body: &Value,
) -> ApiResult<Document> {
    let wanted = ids(body, &["entitlement", "entitlements"])?;
    let mut found = Vec::with_capacity(wanted.len());
    for (i, id) in wanted.iter().enumerate() {
        let row = crate::api::v1::entitlements::find(state, account, id)
            .await
            .map_err(|_| {
                ApiError::unprocessable("ENTITLEMENT_NOT_FOUND", "must exist")
                    .pointer(format!("/data/{i}"))
            })?;
        if found.contains(&row.id) {
            return Err(
                ApiError::unprocessable("ENTITLEMENT_TAKEN", "already exists")
                    .pointer(format!("/data/{i}")),
            );
        }
        found.push(row.id);
    }
    let now = state.now_ms();
    let mut tx = state.db.begin().await?;
    let mut data = Vec::with_capacity(found.len());
    for (i, entitlement) in found.iter().enumerate() {
        let exists: Option<(String,)> = tx
            .fetch_optional(
                sql(format!(
                    "SELECT entitlement_id FROM {} WHERE {} = $1 AND entitlement_id = $2",
                    holder.table, holder.column
                ))
                .bind(holder.id)
                .bind(entitlement),
            )
            .await?;
        if exists.is_some() {
            return Err(
                ApiError::unprocessable("ENTITLEMENT_TAKEN", "already exists")
                    .pointer(format!("/data/{i}")),
            );
        }
        tx.execute(
            sql(format!(
                "INSERT INTO {} (account_id, {}, entitlement_id, created_at) VALUES ($1, $2, $3, $4)",
                holder.table, holder.column
            ))
            .bind(account.id())
            .bind(holder.id)
            .bind(entitlement)
            .bind(now),
        )
        .await
        .map_err(|e| match e {
            latchkey_store::StoreError::Conflict(_) => {
                ApiError::unprocessable("ENTITLEMENT_TAKEN", "already exists")
                    .pointer(format!("/data/{i}"))
            }
            other => other.into(),
        })?;
        data.push(join_resource(
            account,
            holder.join_kind,
            &format!("{}:{entitlement}", holder.id),
            (holder.parent_name, holder.parent_kind, holder.id),
            ("entitlement", "entitlements", entitlement),
            now,
        ));
    }
    tx.commit().await?;
    Ok(Document::ok(json!({ "data": data })))
}

async fn detach(
    state: &AppState,
    account: &Account,
    holder: &Holder<'_>,
    body: &Value,
) -> ApiResult<Response> {
    let wanted = ids(body, &["entitlement", "entitlements"])?;
    let mut tx = state.db.begin().await?;
    for (i, id) in wanted.iter().enumerate() {
        let not_attached = || {
            ApiError::unprocessable(
                "ENTITLEMENT_NOT_FOUND",
                format!("cannot detach entitlement '{id}' (entitlement is not attached)"),
            )
            .pointer(format!("/data/{i}"))
        };
        let row = crate::api::v1::entitlements::find(state, account, id)
            .await
            .map_err(|_| not_attached())?;
        let removed = tx
            .execute(
                sql(format!(
                    "DELETE FROM {} WHERE {} = $1 AND entitlement_id = $2",
                    holder.table, holder.column
                ))
                .bind(holder.id)
                .bind(&row.id),
            )
            .await?;
        if removed == 0 {
            return Err(not_attached());
        }
    }
    tx.commit().await?;
    Ok(no_content())
}

fn license_holder(license: &LicenseRow) -> Holder<'_> {
    Holder {
        table: "license_entitlements",
        column: "license_id",
        parent_kind: "licenses",
        parent_name: "license",
        join_kind: "license-entitlements",
        id: &license.id,
    }
}

fn policy_holder(policy: &PolicyRow) -> Holder<'_> {
    Holder {
        table: "policy_entitlements",
        column: "policy_id",
        parent_kind: "policies",
        parent_name: "policy",
        join_kind: "policy-entitlements",
        id: &policy.id,
    }
}

/// Admins, developers and the product's own token manage entitlement attachments.
fn may_attach(principal: &Principal, product_id: &str) -> bool {
    principal.is_admin() || principal.product_id() == Some(product_id)
}

/// `GET /licenses/{id}/entitlements`: the policy's entitlements and the license's own.
async fn list_license_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    let rows: Vec<EntitlementRow> = state
        .db
        .fetch_all(
            sql(format!(
                "SELECT {ENT_COLUMNS} FROM entitlements WHERE \
                 id IN (SELECT entitlement_id FROM policy_entitlements WHERE policy_id = $1) \
                 OR id IN (SELECT entitlement_id FROM license_entitlements WHERE license_id = $2) \
                 ORDER BY created_at, id"
            ))
            .bind(&license.policy_id)
            .bind(&license.id),
        )
        .await?;
    Ok(render_entitlements(&account, &rows))
}

/// `POST /licenses/{id}/entitlements`
async fn attach_license_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    if !may_attach(&principal, &license.product_id) {
        return Err(ApiError::forbidden("not allowed to attach entitlements"));
    }
    attach(&state, &account, &license_holder(&license), &body).await
}

/// `DELETE /licenses/{id}/entitlements`
async fn detach_license_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let (license, _) = load(&state, &account, &principal, &id).await?;
    if !may_attach(&principal, &license.product_id) {
        return Err(ApiError::forbidden("not allowed to detach entitlements"));
    }
    detach(&state, &account, &license_holder(&license), &body).await
}

/// `GET /policies/{id}/entitlements`
async fn list_policy_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let policy = crate::api::v1::policies::load(&state, &account, &principal, &id).await?;
    let rows = entitlements_of(&state, &policy_holder(&policy)).await?;
    Ok(render_entitlements(&account, &rows))
}

/// `POST /policies/{id}/entitlements`
async fn attach_policy_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let policy = crate::api::v1::policies::load(&state, &account, &principal, &id).await?;
    if !may_attach(&principal, &policy.product_id) {
        return Err(ApiError::forbidden("not allowed to attach entitlements"));
    }
    attach(&state, &account, &policy_holder(&policy), &body).await
}

/// `DELETE /policies/{id}/entitlements`
async fn detach_policy_entitlements(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let policy = crate::api::v1::policies::load(&state, &account, &principal, &id).await?;
    if !may_attach(&principal, &policy.product_id) {
        return Err(ApiError::forbidden("not allowed to detach entitlements"));
    }
    detach(&state, &account, &policy_holder(&policy), &body).await
}
