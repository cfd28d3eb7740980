//! Webhook endpoints (list, create, delete) and their deliveries (status, retry).

use super::{Done, data, page_number, pages};
use crate::admin::form;
use crate::admin::html::{self, action_button, attr, badge, csrf, when};
use crate::admin::session::Session;
use crate::admin::{Admin, done, refused, respond};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use serde_json::json;

/// `?page=&status=&done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    page: Option<String>,
    status: Option<String>,
    done: Option<String>,
}

/// `GET /admin/webhooks`.
pub async fn index(
    State(admin): State<Admin>,
    session: Session,
    Query(params): Query<Params>,
) -> Response {
    let endpoints = match admin
        .api
        .get(
            &session.caller,
            "/webhook-endpoints?page[size]=100&page[number]=1",
        )
        .await
    {
        Ok(document) => data(&document),
        Err(failure) => return refused(&session, &failure, "/admin"),
    };
    let page = page_number(params.page.as_deref());
    let status = params.status.as_deref().unwrap_or("");
    let path = crate::admin::api::with_query(
        "/webhook-events",
        &[
            ("status", status),
            ("page[size]", "25"),
            ("page[number]", &page.to_string()),
        ],
    );
    let events = admin.api.get(&session.caller, &path).await;
    let body = html! {
        h2 { "Endpoints" }
        div.scroll { table {
            thead { tr { th scope="col" { "URL" } th scope="col" { "Subscriptions" } th scope="col" { "Signature" } th scope="col" { "" } } }
            tbody { @for e in &endpoints {
                @let id = e["id"].as_str().unwrap_or("");
                tr {
                    td { code { (attr(e, "url")) } }
                    td { (e["attributes"]["subscriptions"].as_array().map(|s| s.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                    td { (attr(e, "signatureAlgorithm")) }
                    td { (action_button(&session, &format!("/admin/webhooks/{id}/delete"), "Delete", true)) }
                }
            } }
        } }
        details open[endpoints.is_empty()] {
            summary { "New endpoint" }
            form method="post" action="/admin/webhooks" {
                (csrf(&session))
                label for="url" { "URL" small { "HTTPS; events are posted here, signed with the account key." } }
                input id="url" name="url" type="url" required;
                label for="subscriptions" { "Subscriptions" small { "Event names separated by commas, or * for every event." } }
                input id="subscriptions" name="subscriptions" value="*";
                button type="submit" { "Create endpoint" }
            }
        }
        h2 { "Deliveries" }
        form.filters method="get" action="/admin/webhooks" {
            div {
                label for="status" { "Status" }
                select id="status" name="status" data-autosubmit {
                    option value="" { "Any" }
                    @for s in ["DELIVERING", "DELIVERED", "FAILING", "FAILED"] { option value=(s) selected[s == status] { (s) } }
                }
            }
            div { button type="submit" { "Apply" } }
        }
        @match &events {
            Err(failure) => p.hint { "Not available: " (failure.message) },
            Ok(document) => {
                div.scroll { table {
                    thead { tr { th scope="col" { "When" } th scope="col" { "Event" } th scope="col" { "Status" } th scope="col" { "Response" } th scope="col" { "" } } }
                    tbody { @for d in &data(document) {
                        @let id = d["id"].as_str().unwrap_or("");
                        tr {
                            td { (when(d, "created")) }
                            td { code { (attr(d, "event")) } }
                            td { (badge(&attr(d, "status"))) }
                            td { (attr(d, "lastResponseCode")) }
                            td { (action_button(&session, &format!("/admin/webhook-events/{id}/retry"), "Retry", false)) }
                        }
                    } }
                } }
                (html::pager("/admin/webhooks", &[("status", status)], page, pages(document)))
            }
        }
    };
    let flash = Done { done: params.done }.flash();
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/webhooks",
            "Webhooks",
            flash.as_ref(),
            body,
        ),
    )
}

/// `POST /admin/webhooks`.
pub async fn create(State(admin): State<Admin>, session: Session, body: Bytes) -> Response {
    let form = match form::read(&session, &body) {
        Ok(form) => form,
        Err(failure) => return refused(&session, &failure, "/admin/webhooks"),
    };
    let subscriptions: Vec<&str> = form
        .get("subscriptions")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let document = json!({ "data": { "type": "webhook-endpoints", "attributes": { "url": form.get("url"), "subscriptions": subscriptions } } });
    match admin
        .api
        .post(&session.caller, "/webhook-endpoints", &document)
        .await
    {
        Ok(_) => done("/admin/webhooks", "created"),
        Err(failure) => refused(&session, &failure, "/admin/webhooks"),
    }
}

/// `POST /admin/webhooks/{id}/delete`.
pub async fn delete(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(page) = super::accept(&session, &body, &id, "/admin/webhooks") {
        return *page;
    }
    super::call_then(
        &admin,
        &session,
        (Method::DELETE, &format!("/webhook-endpoints/{id}")),
        "/admin/webhooks",
        "deleted",
    )
    .await
}

/// `POST /admin/webhook-events/{id}/retry`.
pub async fn retry(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(page) = super::accept(&session, &body, &id, "/admin/webhooks") {
        return *page;
    }
    super::call_then(
        &admin,
        &session,
        (Method::POST, &format!("/webhook-events/{id}/actions/retry")),
        "/admin/webhooks",
        "retried",
    )
    .await
}
