//! Tokens: list, create (for yourself or a product; the secret is shown once),
//! revoke.

use super::{Done, data, page_number, pages};
use crate::admin::api::Failure;
use crate::admin::form;
use crate::admin::html::{self, Flash, action_button, attr, csrf, when};
use crate::admin::session::Session;
use crate::admin::{Admin, refused};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, json};

/// `?page=&done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    page: Option<String>,
    done: Option<String>,
}

async fn render(
    admin: &Admin,
    session: &Session,
    page: i64,
    flash: Option<Flash>,
    secret: Option<Markup>,
    status: StatusCode,
) -> Response {
    let document = match admin
        .api
        .get(
            &session.caller,
            &format!("/tokens?page[size]=25&page[number]={page}"),
        )
        .await
    {
        Ok(document) => document,
        Err(failure) => return refused(session, &failure, "/admin"),
    };
    let products = super::licenses::product_names(admin, session).await;
    let tokens = data(&document);
    let body = html! {
        @if let Some(secret) = &secret { (secret) }
        div.scroll { table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Kind" } th scope="col" { "Bearer" } th scope="col" { "Expiry" } th scope="col" { "" } } }
            tbody { @for t in &tokens {
                @let id = t["id"].as_str().unwrap_or("");
                tr {
                    td { (attr(t, "name")) }
                    td { (attr(t, "kind")) }
                    td { (t["relationships"]["bearer"]["data"]["type"].as_str().unwrap_or("—")) }
                    td { (when(t, "expiry")) }
                    td { @if id != session.token_id { (action_button(session, &format!("/admin/tokens/{id}/revoke"), "Revoke", true)) } @else { "this session" } }
                }
            } }
        } }
        (html::pager("/admin/tokens", &[], page, pages(&document)))
        details {
            summary { "New token" }
            form method="post" action="/admin/tokens" {
                (csrf(session))
                label for="name" { "Name" } input id="name" name="name" maxlength="255";
                label for="product" { "For" small { "Yourself, or a product (product tokens are for your own backend)." } }
                select id="product" name="product" {
                    option value="" { "Me (" (session.email) ")" }
                    @for (id, name) in &products { option value=(id) { "Product: " (name) } }
                }
                label for="expiry" { "Expiry" small { "Optional ISO 8601 time; never when empty (users' tokens default to two weeks)." } }
                input id="expiry" name="expiry";
                button type="submit" { "Create token" }
            }
        }
    };
    super::super::respond(
        status,
        html::page(session, "/admin/tokens", "Tokens", flash.as_ref(), body),
    )
}

/// `GET /admin/tokens`.
pub async fn index(
    State(admin): State<Admin>,
    session: Session,
    Query(params): Query<Params>,
) -> Response {
    let flash = Done {
        done: params.done.clone(),
    }
    .flash();
    render(
        &admin,
        &session,
        page_number(params.page.as_deref()),
        flash,
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/tokens`: the new token's secret is shown on this one page only.
pub async fn create(State(admin): State<Admin>, session: Session, body: Bytes) -> Response {
    let form = match form::read(&session, &body) {
        Ok(form) => form,
        Err(failure) => return refused(&session, &failure, "/admin/tokens"),
    };
    let mut attributes = Map::new();
    for name in ["name", "expiry"] {
        if let Some(value) = form.some(name) {
            attributes.insert(name.into(), json!(value));
        }
    }
    let document = json!({ "data": { "type": "tokens", "attributes": attributes } });
    let path = match form.some("product") {
        Some(product) if super::plain_id(product) => {
            format!("/products/{product}/tokens")
        }
        Some(_) => {
            return refused(
                &session,
                &Failure::new(StatusCode::NOT_FOUND, "No such product."),
                "/admin/tokens",
            );
        }
        None => "/tokens".to_owned(),
    };
    match admin.api.post(&session.caller, &path, &document).await {
        Ok(created) => {
            let secret = created["data"]["attributes"]["token"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            let shown = html! {
                div.secret role="status" {
                    p { strong { "New token" } " — copy it now; it is not shown again." }
                    p { code { (secret) } }
                }
            };
            render(&admin, &session, 1, None, Some(shown), StatusCode::CREATED).await
        }
        Err(failure) => refused(&session, &failure, "/admin/tokens"),
    }
}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(page) = super::accept(&session, &body, &id, "/admin/tokens") {
        return *page;
    }
    super::call_then(
        &admin,
        &session,
        (Method::DELETE, &format!("/tokens/{id}")),
        "/admin/tokens",
        "deleted",
    )
    .await
}
