//! Webhook events (`/webhook-events`): list (`?events[]=`, `?endpoint=`,
//! `?status=`), show, delete and `actions/retry` (a new event, 201). A product
//! token sees the events of its product's endpoints.

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::webhooks as serializer;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::events::render;
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::webhooks as access;
use latchkey_store::webhook_events::{self, WebhookEventQuery, WebhookEventRow};
use serde_json::json;

async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<WebhookEventRow> {
    let row = webhook_events::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook event", id))?;
    if !access::may_read(&principal.actor(), row.product_id.as_deref()) {
        return Err(ApiError::not_found("webhook event", id));
    }
    Ok(row)
}

async fn render_one(
    state: &AppState,
    account: &Account,
    row: &WebhookEventRow,
) -> ApiResult<serde_json::Value> {
    let payload = render::payload(state, account, row).await?;
    Ok(serializer::event(account, row, &payload))
}

/// `GET /webhook-events`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let actor = principal.actor();
    if !access::may_list(&actor) {
        return Err(ApiError::forbidden("not allowed to list webhook events"));
    }
    let filter = WebhookEventQuery {
        events: query
            .all("events[]")
            .into_iter()
            .chain(query.all("events"))
            .map(str::to_owned)
            .collect(),
        product: actor.product_id().map(str::to_owned),
        endpoint: query.get("endpoint").map(str::to_owned),
        status: query.get("status").map(str::to_ascii_uppercase),
    };
    let (rows, count) =
        webhook_events::list(&state.db, account.id(), &filter, &page, order).await?;
    let mut data = Vec::with_capacity(rows.len());
    for row in &rows {
        data.push(render_one(&state, &account, row).await?);
    }
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /webhook-events/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(
        render_one(&state, &account, &row).await?,
    )))
}

/// `DELETE /webhook-events/{id}`
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &account, &principal, &id).await?;
    if !access::may_manage(&principal.actor(), row.product_id.as_deref()) {
        return Err(ApiError::forbidden(
            "not allowed to delete this webhook event",
        ));
    }
    webhook_events::delete(&state.db, account.id(), &row.id).await?;
    Ok(no_content())
}

/// `POST /webhook-events/{id}/actions/retry`: 201 with the new event.
pub async fn retry(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    if !access::may_manage(&principal.actor(), row.product_id.as_deref()) {
        return Err(ApiError::forbidden(
            "not allowed to retry this webhook event",
        ));
    }
    let created = webhook_events::retry(&state.db, &row, state.now_ms())
        .await?
        .ok_or_else(|| {
            ApiError::not_found("webhook endpoint", row.endpoint_id.as_deref().unwrap_or(""))
        })?;
    let location = format!("{}/webhook-events/{}", account.base(), created.id);
    Ok(Document::created(
        single(render_one(&state, &account, &created).await?),
        location,
    ))
}
