//! Machines: the list (heartbeat status, last seen) and deactivation.

use super::{Done, data, page_number, pages};
use crate::admin::api::count;
use crate::admin::html::{self, action_button, attr, badge, rel_id, when};
use crate::admin::session::Session;
use crate::admin::{Admin, refused, respond};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

/// `?page=&done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    page: Option<String>,
    done: Option<String>,
    license: Option<String>,
}

/// `GET /admin/machines`.
pub async fn index(
    State(admin): State<Admin>,
    session: Session,
    Query(params): Query<Params>,
) -> Response {
    let page = page_number(params.page.as_deref());
    let document = match admin
        .api
        .get(
            &session.caller,
            &format!("/machines?page[size]=25&page[number]={page}"),
        )
        .await
    {
        Ok(document) => document,
        Err(failure) => return refused(&session, &failure, "/admin"),
    };
    let machines = data(&document);
    let may_deactivate = crate::admin::access::may_deactivate_machines(&admin, &session).await;
    let body = html! {
        p { (count(&document)) " machines." }
        div.scroll { table {
            thead { tr { th scope="col" { "Fingerprint" } th scope="col" { "Name" } th scope="col" { "License" } th scope="col" { "Heartbeat" } th.hide-narrow scope="col" { "Last seen" } th scope="col" { "" } } }
            tbody { @for m in &machines {
                @let id = m["id"].as_str().unwrap_or("");
                tr {
                    td { code { (attr(m, "fingerprint")) } }
                    td { (attr(m, "name")) }
                    td { @if let Some(license) = rel_id(m, "license") { a href={ "/admin/licenses/" (license) } { "license" } } }
                    td { (badge(&attr(m, "heartbeatStatus"))) }
                    td.hide-narrow { (when(m, "lastHeartbeat")) }
                    td { @if may_deactivate { (action_button(&session, &format!("/admin/machines/{id}/deactivate"), "Deactivate", true)) } }
                }
            } }
        } }
        (html::pager("/admin/machines", &[], page, pages(&document)))
    };
    let flash = Done { done: params.done }.flash();
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/machines",
            "Machines",
            flash.as_ref(),
            body,
        ),
    )
}

/// `POST /admin/machines/{id}/deactivate[?license=]`: deactivates (force-releases)
/// the machine, then back to its license or the machine list.
pub async fn deactivate(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    Query(params): Query<Params>,
    body: Bytes,
) -> Response {
    let back = match params.license.as_deref() {
        Some(license) if super::plain_id(license) => {
            format!("/admin/licenses/{license}")
        }
        _ => "/admin/machines".to_owned(),
    };
    if let Err(page) = super::accept(&session, &body, &id, &back) {
        return *page;
    }
    super::call_then(
        &admin,
        &session,
        (Method::DELETE, &format!("/machines/{id}")),
        &back,
        "deactivated",
    )
    .await
}
