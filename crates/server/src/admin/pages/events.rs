//! The event log (filter by event name, resource type, day) and the account's
//! public keys.

use super::{Done, data, page_number, pages};
use crate::admin::api::with_query;
use crate::admin::html::{self, attr, when};
use crate::admin::session::Session;
use crate::admin::{Admin, refused, respond};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

/// `?event=&resource=&date=&page=`.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    event: Option<String>,
    resource: Option<String>,
    date: Option<String>,
    page: Option<String>,
}

/// A table of event logs.
pub fn table(events: &[Value]) -> Markup {
    html! {
        div.scroll { table {
            thead { tr { th scope="col" { "When" } th scope="col" { "Event" } th scope="col" { "Resource" } th scope="col" { "By" } } }
            tbody { @for e in events {
                @let resource = &e["relationships"]["resource"]["data"];
                @let by = &e["relationships"]["whodunnit"]["data"];
                tr {
                    td { (when(e, "created")) }
                    td { code { (attr(e, "event")) } }
                    td {
                        @match (resource["type"].as_str(), resource["id"].as_str()) {
                            (Some("licenses"), Some(id)) => a href={ "/admin/licenses/" (id) } { "license" },
                            (Some("users"), Some(id)) => a href={ "/admin/users/" (id) } { "user" },
                            (Some(kind), _) => (kind),
                            _ => "—",
                        }
                    }
                    td { (by["type"].as_str().unwrap_or("—")) }
                }
            } }
        } }
    }
}

/// `GET /admin/events`.
pub async fn index(
    State(admin): State<Admin>,
    session: Session,
    Query(params): Query<Params>,
) -> Response {
    let page = page_number(params.page.as_deref());
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_owned();
    let (event, resource, date) = (
        text(&params.event),
        text(&params.resource),
        text(&params.date),
    );
    let number = page.to_string();
    let path = with_query(
        "/event-logs",
        &[
            ("event", &event),
            ("resource[type]", &resource),
            ("date[start]", &date),
            ("date[end]", &date),
            ("page[size]", "50"),
            ("page[number]", &number),
        ],
    );
    let document = match admin.api.get(&session.caller, &path).await {
        Ok(document) => document,
        Err(failure) => return refused(&session, &failure, "/admin/events"),
    };
    let body = html! {
        form.filters method="get" action="/admin/events" {
            div { label for="event" { "Event" small { "e.g. license.suspended" } } input id="event" name="event" value=(event); }
            div { label for="resource" { "Resource type" small { "e.g. licenses" } } input id="resource" name="resource" value=(resource); }
            div { label for="date" { "Day" } input id="date" name="date" type="date" value=(date); }
            div { button type="submit" { "Apply" } }
        }
        (table(&data(&document)))
        (html::pager("/admin/events", &[("event", &event), ("resource", &resource), ("date", &date)], page, pages(&document)))
    };
    respond(
        StatusCode::OK,
        html::page(&session, "/admin/events", "Event log", None, body),
    )
}

/// `GET /admin/keys`: the public keys applications verify with.
pub async fn keys(
    State(admin): State<Admin>,
    session: Session,
    Query(notice): Query<Done>,
) -> Response {
    let account = match admin.api.get(&session.caller, "").await {
        Ok(document) => document,
        Err(failure) => return refused(&session, &failure, "/admin"),
    };
    let decode = |v: &Value| {
        v.as_str()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok())
    };
    let keys = &account["meta"]["keys"];
    let body = html! {
        p { "Account id: " code { (account["data"]["id"].as_str().unwrap_or("")) } }
        p.hint { "Paste these into your application to verify signed keys, license files and response signatures offline." }
        @for (name, label) in [("ed25519", "Ed25519 (hex)"), ("rsa2048", "RSA 2048 (PEM)"), ("ecdsa", "ECDSA P-256 (PEM)")] {
            @if let Some(key) = decode(&keys[name]) {
                h2 { (label) }
                pre { code { (key) } }
            }
        }
    };
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/keys",
            "Account keys",
            notice.flash().as_ref(),
            body,
        ),
    )
}
