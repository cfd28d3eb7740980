//! Groups and entitlements: lists and create forms.

use super::{Done, data};
use crate::admin::form;
use crate::admin::html::{self, attr, csrf, when};
use crate::admin::session::Session;
use crate::admin::{Admin, done, refused, respond};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde_json::{Map, Value, json};

/// `GET /admin/groups`.
pub async fn groups(
    State(admin): State<Admin>,
    session: Session,
    Query(notice): Query<Done>,
) -> Response {
    let groups = match admin
        .api
        .get(&session.caller, "/groups?page[size]=100&page[number]=1")
        .await
    {
        Ok(document) => data(&document),
        Err(failure) => return refused(&session, &failure, "/admin"),
    };
    let body = html! {
        div.scroll { table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Max users" } th scope="col" { "Max licenses" } th scope="col" { "Max machines" } th.hide-narrow scope="col" { "Created" } } }
            tbody { @for g in &groups { tr {
                td { (attr(g, "name")) } td { (attr(g, "maxUsers")) } td { (attr(g, "maxLicenses")) } td { (attr(g, "maxMachines")) }
                td.hide-narrow { (when(g, "created")) }
            } } }
        } }
        details open[groups.is_empty()] {
            summary { "New group" }
            form method="post" action="/admin/groups" {
                (csrf(&session))
                label for="name" { "Name" } input id="name" name="name" required maxlength="255";
                @for (name, label) in [("maxUsers", "Max users"), ("maxLicenses", "Max licenses"), ("maxMachines", "Max machines")] {
                    label for=(name) { (label) small { "Optional." } } input id=(name) name=(name) type="number" min="0" step="1";
                }
                button type="submit" { "Create group" }
            }
        }
    };
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/groups",
            "Groups",
            notice.flash().as_ref(),
            body,
        ),
    )
}

/// `POST /admin/groups`.
pub async fn create_group(State(admin): State<Admin>, session: Session, body: Bytes) -> Response {
    let form = match form::read(&session, &body) {
        Ok(form) => form,
        Err(failure) => return refused(&session, &failure, "/admin/groups"),
    };
    let mut attributes = Map::new();
    attributes.insert("name".into(), json!(form.get("name")));
    for name in ["maxUsers", "maxLicenses", "maxMachines"] {
        if let Some(text) = form.some(name) {
            // A non-number goes to the API as text, which refuses it with its own error.
            let value = text
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(text));
            attributes.insert(name.into(), value);
        }
    }
    let document = json!({ "data": { "type": "groups", "attributes": attributes } });
    match admin.api.post(&session.caller, "/groups", &document).await {
        Ok(_) => done("/admin/groups", "created"),
        Err(failure) => refused(&session, &failure, "/admin/groups"),
    }
}

/// `GET /admin/entitlements`.
pub async fn entitlements(
    State(admin): State<Admin>,
    session: Session,
    Query(notice): Query<Done>,
) -> Response {
    let entitlements = match admin
        .api
        .get(
            &session.caller,
            "/entitlements?page[size]=100&page[number]=1",
        )
        .await
    {
        Ok(document) => data(&document),
        Err(failure) => return refused(&session, &failure, "/admin"),
    };
    let body = html! {
        div.scroll { table {
            thead { tr { th scope="col" { "Code" } th scope="col" { "Name" } th.hide-narrow scope="col" { "Created" } } }
            tbody { @for e in &entitlements { tr {
                td { code { (attr(e, "code")) } } td { (attr(e, "name")) } td.hide-narrow { (when(e, "created")) }
            } } }
        } }
        details open[entitlements.is_empty()] {
            summary { "New entitlement" }
            form method="post" action="/admin/entitlements" {
                (csrf(&session))
                label for="name" { "Name" } input id="name" name="name" required maxlength="255";
                label for="code" { "Code" small { "What your software checks for, e.g. FEATURE_EXPORT." } } input id="code" name="code" required maxlength="255";
                button type="submit" { "Create entitlement" }
            }
        }
    };
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/entitlements",
            "Entitlements",
            notice.flash().as_ref(),
            body,
        ),
    )
}

/// `POST /admin/entitlements`.
pub async fn create_entitlement(
    State(admin): State<Admin>,
    session: Session,
    body: Bytes,
) -> Response {
    let form = match form::read(&session, &body) {
        Ok(form) => form,
        Err(failure) => return refused(&session, &failure, "/admin/entitlements"),
    };
    let document = json!({ "data": { "type": "entitlements", "attributes": { "name": form.get("name"), "code": form.get("code") } } });
    match admin
        .api
        .post(&session.caller, "/entitlements", &document)
        .await
    {
        Ok(_) => done("/admin/entitlements", "created"),
        Err(failure) => refused(&session, &failure, "/admin/entitlements"),
    }
}
