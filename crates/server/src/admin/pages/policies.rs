//! Policies: list, show, and the new-policy form with every strategy and a
//! one-line explanation of each choice.

use super::{Done, data};
use crate::admin::api::Failure;
use crate::admin::form;
use crate::admin::html::{self, attr, attributes, csrf, rel_id};
use crate::admin::session::Session;
use crate::admin::{Admin, done, refused, respond};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::policy_choices::{FLAGS, NUMBERS, STRATEGIES, Strategy};

fn strategy_field((name, label, choices): &Strategy) -> Markup {
    html! {
        div {
            label for=(name) { (label) small { "Empty keeps the API's default." } }
            select id=(name) name=(name) aria-describedby={ (name) "-help" } {
                option value="" { "Default" }
                @for (value, _) in *choices { option value=(value) { (value) } }
            }
            ul.hint id={ (name) "-help" } {
                @for (value, text) in *choices { li { code { (value) } " — " (text) } }
            }
        }
    }
}

/// `?product=` preselects a product.
#[derive(Debug, Default, Deserialize)]
pub struct NewParams {
    product: Option<String>,
}

/// `GET /admin/policies/new`.
pub async fn new(
    State(admin): State<Admin>,
    session: Session,
    Query(params): Query<NewParams>,
) -> Response {
    let products = super::licenses::product_names(&admin, &session).await;
    let chosen = params.product.unwrap_or_default();
    let body = html! {
        @if products.is_empty() {
            p { "Create a " a href="/admin/products" { "product" } " first: every policy belongs to one." }
        }
        form method="post" action="/admin/policies" {
            (csrf(&session))
            label for="name" { "Name" }
            input id="name" name="name" required maxlength="255";
            label for="product" { "Product" }
            select id="product" name="product" required {
                @for (id, name) in &products { option value=(id) selected[*id == chosen] { (name) } }
            }
            @for (name, label, help) in FLAGS {
                label { input type="checkbox" name=(name) value="true"; " " (label) small { (help) } }
            }
            @for (name, label, help) in NUMBERS {
                label for=(name) { (label) small { (help) } }
                input id=(name) name=(name) type="number" min="0" step="1";
            }
            label for="checkInInterval" { "Check-in interval unit" }
            select id="checkInInterval" name="checkInInterval" {
                option value="" { "None" }
                @for unit in latchkey_core::policy::CheckInInterval::ALL { option value=(unit) { (unit) } }
            }
            @for strategy in STRATEGIES { (strategy_field(strategy)) }
            button type="submit" { "Create policy" }
        }
    };
    respond(
        StatusCode::OK,
        html::page(&session, "/admin/policies", "New policy", None, body),
    )
}

/// `POST /admin/policies`.
pub async fn create(State(admin): State<Admin>, session: Session, body: Bytes) -> Response {
    let form = match form::read(&session, &body) {
        Ok(form) => form,
        Err(failure) => return refused(&session, &failure, "/admin/policies/new"),
    };
    let mut attributes = Map::new();
    attributes.insert("name".into(), json!(form.get("name")));
    for (name, _, _) in FLAGS {
        attributes.insert((*name).into(), json!(form.get(name) == "true"));
    }
    for (name, label, _) in NUMBERS {
        if let Some(text) = form.some(name) {
            let Ok(n) = text.parse::<i64>() else {
                let failure = Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{label} must be a whole number."),
                );
                return refused(&session, &failure, "/admin/policies/new");
            };
            attributes.insert((*name).into(), json!(n));
        }
    }
    if let Some(unit) = form.some("checkInInterval") {
        attributes.insert("checkInInterval".into(), json!(unit));
    }
    for (name, _, _) in STRATEGIES {
        if let Some(value) = form.some(name) {
            attributes.insert((*name).into(), json!(value));
        }
    }
    let document = json!({ "data": {
        "type": "policies",
        "attributes": Value::Object(attributes),
        "relationships": { "product": { "data": { "type": "products", "id": form.get("product") } } }
    } });
    match admin
        .api
        .post(&session.caller, "/policies", &document)
        .await
    {
        Ok(created) => done(
            &format!(
                "/admin/policies/{}",
                created["data"]["id"].as_str().unwrap_or("")
            ),
            "created",
        ),
        Err(failure) => refused(&session, &failure, "/admin/policies/new"),
    }
}

/// `GET /admin/policies`.
pub async fn index(
    State(admin): State<Admin>,
    session: Session,
    Query(notice): Query<Done>,
) -> Response {
    let policies = match admin
        .api
        .get(&session.caller, "/policies?page[size]=100&page[number]=1")
        .await
    {
        Ok(document) => data(&document),
        Err(failure) => return refused(&session, &failure, "/admin"),
    };
    let products = super::licenses::product_names(&admin, &session).await;
    let body = html! {
        p { a href="/admin/policies/new" { "New policy" } }
        div.scroll { table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Product" } th scope="col" { "Floating" } th scope="col" { "Max machines" } th.hide-narrow scope="col" { "Scheme" } } }
            tbody { @for p in &policies { tr {
                td { a href={ "/admin/policies/" (p["id"].as_str().unwrap_or("")) } { (attr(p, "name")) } }
                td { (rel_id(p, "product").and_then(|id| products.iter().find(|(i, _)| i == id)).map(|(_, n)| n.as_str()).unwrap_or("—")) }
                td { (attr(p, "floating")) }
                td { (attr(p, "maxMachines")) }
                td.hide-narrow { (attr(p, "scheme")) }
            } } }
        } }
    };
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/policies",
            "Policies",
            notice.flash().as_ref(),
            body,
        ),
    )
}

/// `GET /admin/policies/{id}`: attributes, each strategy with what its value means.
pub async fn show(
    State(admin): State<Admin>,
    session: Session,
    Path(id): Path<String>,
    Query(notice): Query<Done>,
) -> Response {
    if !super::plain_id(&id) {
        return super::not_found(&session, "/admin/policies");
    }
    let policy = match admin
        .api
        .get(&session.caller, &format!("/policies/{id}"))
        .await
    {
        Ok(document) => document["data"].clone(),
        Err(failure) => return refused(&session, &failure, "/admin/policies"),
    };
    let body = html! {
        h2 { "Strategies" }
        dl.attributes {
            @for (name, label, choices) in STRATEGIES {
                @let value = attr(&policy, name);
                dt { (label) }
                dd { code { (value) } " — " (choices.iter().find(|(v, _)| *v == value).map(|(_, t)| *t).unwrap_or("")) }
            }
        }
        h2 { "All attributes" }
        (attributes(&policy))
        p { a href={ "/admin/licenses?policy=" (id) } { "Its licenses" } }
    };
    let title = format!("Policy {}", attr(&policy, "name"));
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/policies",
            &title,
            notice.flash().as_ref(),
            body,
        ),
    )
}
