//! Products: list, create, show.

use super::{Done, data};
use crate::admin::form;
use crate::admin::html::{self, attr, attributes, csrf, when};
use crate::admin::session::Session;
use crate::admin::{Admin, done, refused, respond};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde_json::json;

/// `GET /admin/products`.
pub async fn index(
    State(admin): State<Admin>,
    session: Session,
    Query(notice): Query<Done>,
) -> Response {
    let products = match admin
        .api
        .get(&session.caller, "/products?page[size]=100&page[number]=1")
        .await
    {
        Ok(document) => data(&document),
        Err(failure) => return refused(&session, &failure, "/admin"),
    };
    let body = html! {
        div.scroll { table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Distribution" } th.hide-narrow scope="col" { "Created" } } }
            tbody { @for p in &products { tr {
                td { a href={ "/admin/products/" (p["id"].as_str().unwrap_or("")) } { (attr(p, "name")) } }
                td { (attr(p, "distributionStrategy")) }
                td.hide-narrow { (when(p, "created")) }
            } } }
        } }
        details open[products.is_empty()] {
            summary { "New product" }
            form method="post" action="/admin/products" {
                (csrf(&session))
                label for="name" { "Name" }
                input id="name" name="name" required maxlength="255";
                label for="url" { "URL" small { "Optional." } }
                input id="url" name="url" type="url";
                label for="distribution" { "Distribution" small { "Who may download its releases." } }
                select id="distribution" name="distribution" {
                    option value="LICENSED" { "LICENSED — licensees only" }
                    option value="OPEN" { "OPEN — anyone" }
                    option value="CLOSED" { "CLOSED — admins only" }
                }
                button type="submit" { "Create product" }
            }
        }
    };
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/products",
            "Products",
            notice.flash().as_ref(),
            body,
        ),
    )
}

/// `POST /admin/products`.
pub async fn create(State(admin): State<Admin>, session: Session, body: Bytes) -> Response {
    let form = match form::read(&session, &body) {
        Ok(form) => form,
        Err(failure) => return refused(&session, &failure, "/admin/products"),
    };
    let mut attributes =
        json!({ "name": form.get("name"), "distributionStrategy": form.get("distribution") });
    if let Some(url) = form.some("url") {
        attributes["url"] = json!(url);
    }
    let document = json!({ "data": { "type": "products", "attributes": attributes } });
    match admin
        .api
        .post(&session.caller, "/products", &document)
        .await
    {
        Ok(created) => done(
            &format!(
                "/admin/products/{}",
                created["data"]["id"].as_str().unwrap_or("")
            ),
            "created",
        ),
        Err(failure) => refused(&session, &failure, "/admin/products"),
    }
}

/// `GET /admin/products/{id}`.
pub async fn show(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    Query(notice): Query<Done>,
) -> Response {
    if !super::plain_id(&id) {
        return super::not_found(&session, "/admin/products");
    }
    let product = match admin
        .api
        .get(&session.caller, &format!("/products/{id}"))
        .await
    {
        Ok(document) => document["data"].clone(),
        Err(failure) => return refused(&session, &failure, "/admin/products"),
    };
    let policies = admin
        .api
        .get(
            &session.caller,
            &format!("/policies?product={id}&page[size]=100&page[number]=1"),
        )
        .await
        .map(|d| data(&d))
        .unwrap_or_default();
    let body = html! {
        (attributes(&product))
        h2 { "Policies" }
        ul { @for p in &policies { li { a href={ "/admin/policies/" (p["id"].as_str().unwrap_or("")) } { (attr(p, "name")) } } } }
        p { a href={ "/admin/policies/new?product=" (id) } { "New policy for this product" } " · " a href={ "/admin/licenses?product=" (id) } { "Its licenses" } }
    };
    let title = format!("Product {}", attr(&product, "name"));
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/products",
            &title,
            notice.flash().as_ref(),
            body,
        ),
    )
}
