//! Users: list and search by email, create, a user's page (licenses, machines,
//! second factor state) with ban, unban and password reset.

use super::{Done, data, page_number, pages};
use crate::admin::api::{Failure, count};
use crate::admin::form;
use crate::admin::html::{self, action_button, attr, attributes, badge, csrf, when};
use crate::admin::session::Session;
use crate::admin::{Admin, done, refused, respond};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use latchkey_core::roles::Role;
use maud::html;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The roles a new user may be given, least privileged first.
const ROLES: [Role; 6] = [
    Role::User,
    Role::SupportAgent,
    Role::SalesAgent,
    Role::ReadOnly,
    Role::Developer,
    Role::Admin,
];

/// `?q=&page=&done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    q: Option<String>,
    page: Option<String>,
    done: Option<String>,
}

/// `GET /admin/users`.
pub async fn index(
    State(admin): State<Admin>,
    session: Session,
    Query(params): Query<Params>,
) -> Response {
    let page = page_number(params.page.as_deref());
    let q = params.q.as_deref().map(str::trim).unwrap_or("");
    let paging = format!("page[size]=25&page[number]={page}");
    let found = if q.is_empty() {
        admin
            .api
            .get(&session.caller, &format!("/users?{paging}"))
            .await
    } else {
        let query = json!({ "meta": { "type": "users", "op": "OR", "query": { "email": q, "firstName": q, "lastName": q } } });
        admin
            .api
            .post(&session.caller, &format!("/search?{paging}"), &query)
            .await
    };
    let document = match found {
        Ok(document) => document,
        Err(failure) => return refused(&session, &failure, "/admin"),
    };
    let users = data(&document);
    let body = html! {
        form.filters method="get" action="/admin/users" role="search" {
            div { label for="q" { "Search" small { "Email or name (3 characters or more)" } } input id="q" name="q" type="search" value=(q); }
            div { button type="submit" { "Search" } }
        }
        p { (count(&document)) " users." }
        div.scroll { table {
            thead { tr { th scope="col" { "Email" } th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Status" } th.hide-narrow scope="col" { "Created" } } }
            tbody { @for u in &users { tr {
                td { a href={ "/admin/users/" (u["id"].as_str().unwrap_or("")) } { (attr(u, "email")) } }
                td { (attr(u, "fullName")) }
                td { (attr(u, "role")) }
                td { (badge(&attr(u, "status"))) }
                td.hide-narrow { (when(u, "created")) }
            } } }
        } }
        (html::pager("/admin/users", &[("q", q)], page, pages(&document)))
        details {
            summary { "New user" }
            form method="post" action="/admin/users" {
                (csrf(&session))
                label for="email" { "Email" } input id="email" name="email" type="email" required;
                label for="firstName" { "First name" } input id="firstName" name="firstName";
                label for="lastName" { "Last name" } input id="lastName" name="lastName";
                label for="role" { "Role" }
                select id="role" name="role" { @for role in ROLES { option value=(role.as_str()) { (role.as_str()) } } }
                label for="password" { "Password" small { "Optional: without one the user signs in only after a password reset." } }
                input id="password" name="password" type="password" autocomplete="new-password";
                button type="submit" { "Create user" }
            }
        }
    };
    let flash = Done { done: params.done }.flash();
    respond(
        StatusCode::OK,
        html::page(&session, "/admin/users", "Users", flash.as_ref(), body),
    )
}

/// `POST /admin/users`.
pub async fn create(State(admin): State<Admin>, session: Session, body: Bytes) -> Response {
    let form = match form::read(&session, &body) {
        Ok(form) => form,
        Err(failure) => return refused(&session, &failure, "/admin/users"),
    };
    let mut attributes = Map::new();
    for name in ["email", "firstName", "lastName", "role", "password"] {
        if let Some(value) = form.some(name) {
            attributes.insert(name.into(), Value::String(value.into()));
        }
    }
    let document = json!({ "data": { "type": "users", "attributes": attributes } });
    match admin.api.post(&session.caller, "/users", &document).await {
        Ok(created) => done(
            &format!(
                "/admin/users/{}",
                created["data"]["id"].as_str().unwrap_or("")
            ),
            "created",
        ),
        Err(failure) => refused(&session, &failure, "/admin/users"),
    }
}

/// `GET /admin/users/{id}`.
pub async fn show(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    Query(notice): Query<Done>,
) -> Response {
    if !super::plain_id(&id) {
        return super::not_found(&session, "/admin/users");
    }
    let user = match admin
        .api
        .get(&session.caller, &format!("/users/{id}"))
        .await
    {
        Ok(document) => document["data"].clone(),
        Err(failure) => return refused(&session, &failure, "/admin/users"),
    };
    let licenses = admin
        .api
        .get(
            &session.caller,
            &format!("/users/{id}/licenses?page[size]=100&page[number]=1"),
        )
        .await
        .map(|d| data(&d))
        .unwrap_or_default();
    let banned = attr(&user, "status") == "BANNED";
    let base = format!("/admin/users/{id}/actions");
    let body = html! {
        section {
            h2 { "Actions" }
            @if banned {
                (action_button(&session, &format!("{base}/unban"), "Unban", false))
            } @else {
                (action_button(&session, &format!("{base}/ban"), "Ban", true))
            }
            (action_button(&session, &format!("{base}/reset-password"), "Send password reset", false))
            p.hint { "A password reset emits the user.password-reset webhook event, which carries the reset token to your mailer." }
        }
        section { h2 { "Attributes" } (attributes(&user)) }
        section {
            h2 { "Licenses" }
            ul { @for l in &licenses { li { a href={ "/admin/licenses/" (l["id"].as_str().unwrap_or("")) } { code { (attr(l, "key")) } } " " (badge(&attr(l, "status"))) } } }
        }
    };
    let title = format!("User {}", attr(&user, "email"));
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/users",
            &title,
            notice.flash().as_ref(),
            body,
        ),
    )
}

/// `POST /admin/users/{id}/actions/{action}`: ban, unban, reset-password.
pub async fn act(
    State(admin): State<Admin>,
    session: Session,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let back = format!("/admin/users/{id}");
    if let Err(page) = super::accept(&session, &body, &id, &back) {
        return *page;
    }
    let result = match action.as_str() {
        "ban" | "unban" => admin
            .api
            .call(
                &session.caller,
                Method::POST,
                &format!("/users/{id}/actions/{action}"),
                None,
            )
            .await
            .map(|_| {
                if action == "ban" {
                    "banned"
                } else {
                    "unbanned"
                }
            }),
        "reset-password" => {
            let user = match admin
                .api
                .get(&session.caller, &format!("/users/{id}"))
                .await
            {
                Ok(document) => document,
                Err(failure) => return refused(&session, &failure, &back),
            };
            let email = user["data"]["attributes"]["email"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            admin
                .api
                .post(
                    &session.caller,
                    "/passwords",
                    &json!({ "meta": { "email": email, "deliver": true } }),
                )
                .await
                .map(|_| "reset")
        }
        _ => Err(Failure::new(StatusCode::NOT_FOUND, "No such action.")),
    };
    match result {
        Ok(notice) => done(&back, notice),
        Err(failure) => refused(&session, &failure, &back),
    }
}
