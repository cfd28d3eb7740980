//! Request logs (`/request-logs`): list with filters and show, for the same staff
//! as event logs. Filters: `requestor[type]` (+ `[id]`), `resource[type]` (+ `[id]`),
//! `ip`, `method`, `status`, `request` (a request id), `date[start]` / `date[end]`.

use super::{day_range, invalid, typed};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::logs as serializer;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_core::access::logs as access;
use latchkey_store::request_logs::{self, RequestLogQuery};
use serde_json::json;

/// `GET /request-logs`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    if !access::may_read(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to list request logs"));
    }
    let (page, order) = query.pagination()?;
    let status = query
        .get("status")
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| invalid("status", "must be an HTTP status code"))
        })
        .transpose()?;
    let (start, end) = day_range(&query)?;
    let filter = RequestLogQuery {
        requestor: typed(&query, "requestor")?,
        resource: typed(&query, "resource")?,
        ip: query.get("ip").map(str::to_owned),
        method: query.get("method").map(str::to_ascii_uppercase),
        status,
        request: query.get("request").map(str::to_owned),
        start,
        end,
    };
    let (rows, count) = request_logs::list(&state.db, account.id(), &filter, &page, order).await?;
    let data: Vec<_> = rows
        .iter()
        .map(|row| serializer::request_log(&account, row))
        .collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /request-logs/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    if !access::may_read(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to read request logs"));
    }
    let row = request_logs::find(&state.db, account.id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("request log", &id))?;
    Ok(Document::ok(single(serializer::request_log(
        &account, &row,
    ))))
}
