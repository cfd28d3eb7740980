//! Event logs (`/event-logs`, Keygen §2.14): list with filters and show
//! (request logs in [`requests`]). Read by
//! admins, developers, read-only and support staff (`core::access::logs`).
//!
//! Filters: `event` / `events[]`, `resource[type]` (+ `resource[id]`),
//! `whodunnit[type]` (+ `whodunnit[id]`), `request` (a request id),
//! `date[start]` / `date[end]` (UTC days, as Keygen: a date or any time in it).

pub mod requests;

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
use latchkey_core::duration_param::{parse_instant, utc_day_ms};
use latchkey_proto::ErrorCode;
use latchkey_store::event_logs::{self, EventLogQuery};
use serde_json::json;

pub(crate) fn invalid(parameter: &str, detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code(ErrorCode::ParameterInvalid)
        .parameter(parameter)
}

/// `date[start]` / `date[end]` as Keygen reads them: each names a UTC day (a date,
/// or any time within it), the range running from the first millisecond of the
/// start day through the last of the end day. Returns inclusive unix ms bounds.
pub(crate) fn day_range(query: &QueryParams) -> ApiResult<(Option<i64>, Option<i64>)> {
    let day = |name: &str| {
        query
            .get(name)
            .map(|value| {
                parse_instant(value).map(utc_day_ms).ok_or_else(|| {
                    invalid(name, "must be a date or time (ISO-8601 or unix seconds)")
                })
            })
            .transpose()
    };
    let start = day("date[start]")?.map(|(first, _)| first);
    let end = day("date[end]")?.map(|(_, after)| after - 1);
    Ok((start, end))
}

/// A `name[type]` / `name[id]` pair; the id alone is refused.
pub(crate) fn typed(
    query: &QueryParams,
    name: &str,
) -> ApiResult<Option<(String, Option<String>)>> {
    let kind = query.get(&format!("{name}[type]"));
    let id = query.get(&format!("{name}[id]"));
    match (kind, id) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(invalid(&format!("{name}[type]"), "is required with an id")),
        (Some(kind), id) => Ok(Some((plural(kind), id.map(str::to_owned)))),
    }
}

/// Keygen accepts `license` or `licenses` (any case) for a type.
fn plural(kind: &str) -> String {
    let kind = kind.to_ascii_lowercase().replace('_', "-");
    if kind.ends_with('s') {
        kind
    } else if let Some(stem) = kind.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{kind}s")
    }
}

/// `GET /event-logs`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    if !access::may_read(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to list event logs"));
    }
    let (page, order) = query.pagination()?;
    let (start, end) = day_range(&query)?;
    let filter = EventLogQuery {
        events: query
            .all("events[]")
            .into_iter()
            .chain(query.all("events"))
            .chain(query.all("event"))
            .map(str::to_owned)
            .collect(),
        resource: typed(&query, "resource")?,
        whodunnit: typed(&query, "whodunnit")?,
        request: query.get("request").map(str::to_owned),
        start,
        end,
    };
    let (rows, count) = event_logs::list(&state.db, account.id(), &filter, &page, order).await?;
    let data: Vec<_> = rows
        .iter()
        .map(|row| serializer::event_log(&account, row))
        .collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /event-logs/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    if !access::may_read(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to read event logs"));
    }
    let row = event_logs::find(&state.db, account.id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("event log", &id))?;
    Ok(Document::ok(single(serializer::event_log(&account, &row))))
}
