//! `GET /licenses`: the query string parsed into `store::license_list::ListQuery`
//! (400s name the parameter); the store writes the SQL and the caller's visibility.

use super::render_page;
use crate::account::Account;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::State;
use latchkey_core::licensing::Status;
use latchkey_proto::ErrorCode;
use latchkey_store::crud::Filter;
use latchkey_store::license_list::{self, ListQuery};
use serde_json::json;

/// `status=…`: one of Keygen's statuses, case-insensitive.
fn status(text: &str) -> ApiResult<Status> {
    Status::parse(text).ok_or_else(|| {
        ApiError::bad_request(
            "status must be one of ACTIVE, INACTIVE, EXPIRING, EXPIRED, SUSPENDED, BANNED",
        )
        .code(ErrorCode::ParametersInvalid)
        .parameter("status")
    })
}

/// The list filters of the query string.
fn parse(query: &QueryParams, now: i64) -> ApiResult<ListQuery> {
    let text = |name: &str| query.get(name).map(str::to_owned);
    let flag = |name: &str| query.get(name).map(|v| v == "true");
    let expired = match query.get("expired") {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    Ok(ListQuery {
        product: text("product"),
        policy: text("policy"),
        owner: text("owner"),
        group: text("group"),
        user: text("user"),
        machine: text("machine"),
        suspended: flag("suspended"),
        status: query.get("status").map(status).transpose()?,
        expired,
        unassigned: query.get("unassigned") == Some("true"),
        assigned: query.get("assigned") == Some("true"),
        activated: flag("activated"),
        expires: super::filters::expires(query, now)?,
        activity: super::filters::activity(query, now)?,
        activations: super::filters::activations(query)?,
        metadata: query
            .prefixed("metadata")
            .into_iter()
            .map(|(key, value)| (crate::jsonapi::input::camel_case(key), value.to_owned()))
            .collect(),
    })
}

/// `GET /licenses`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let now = state.now_ms();
    let filters = parse(&query, now)?;
    let (rows, count) = license_list::list(
        &state.db,
        account.id(),
        &principal.actor(),
        &filters,
        now,
        &page,
        order,
    )
    .await?;
    let data = render_page(&state, &account, &rows).await?;
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `metadata[key]=value`: the store's filter for the camelCased key (any key is
/// safe there; see `latchkey_store::metadata`).
pub fn metadata_filter(backend: latchkey_store::Backend, key: &str, value: &str) -> Filter {
    let key = crate::jsonapi::input::camel_case(key);
    latchkey_store::metadata::query_filter(backend, &key, value)
}
