//! Licenses: search (key, name, owner email, metadata), filters (status, policy,
//! product), paging, CSV export, and the new-license form.

use super::{Done, data, page_number, pages};
use crate::admin::api::{Failure, count, with_query};
use crate::admin::form;
use crate::admin::html::{self, attr, badge, csrf, rel_id, when};
use crate::admin::session::Session;
use crate::admin::{Admin, done, refused, respond};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

const PAGE_SIZE: i64 = 25;
const STATUSES: [&str; 6] = [
    "ACTIVE",
    "INACTIVE",
    "EXPIRING",
    "EXPIRED",
    "SUSPENDED",
    "BANNED",
];

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    q: Option<String>,
    metadata: Option<String>,
    status: Option<String>,
    policy: Option<String>,
    product: Option<String>,
    page: Option<String>,
    done: Option<String>,
}

impl Filters {
    fn text(value: &Option<String>) -> &str {
        value.as_deref().map(str::trim).unwrap_or("")
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        vec![
            ("q", Self::text(&self.q)),
            ("metadata", Self::text(&self.metadata)),
            ("status", Self::text(&self.status)),
            ("policy", Self::text(&self.policy)),
            ("product", Self::text(&self.product)),
        ]
    }
}

/// One page of licenses for `filters` (`page` from 1), and the page count; the
/// search runs through the API's `POST /search` and `GET /licenses` filters.
async fn fetch(
    admin: &Admin,
    session: &Session,
    filters: &Filters,
    page: i64,
    size: i64,
) -> Result<(Vec<Value>, i64, i64), Failure> {
    let q = Filters::text(&filters.q);
    let paging = format!("page[number]={page}&page[size]={size}");
    let document = if !q.is_empty() && !q.contains('@') {
        let query =
            json!({ "meta": { "type": "licenses", "op": "OR", "query": { "key": q, "name": q } } });
        admin
            .api
            .post(&session.caller, &format!("/search?{paging}"), &query)
            .await?
    } else {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if q.contains('@') {
            match owner_by_email(admin, session, q).await? {
                Some(id) => pairs.push(("user".into(), id)),
                None => return Ok((Vec::new(), 0, 1)),
            }
        }
        for (name, value) in [
            ("status", &filters.status),
            ("policy", &filters.policy),
            ("product", &filters.product),
        ] {
            let value = Filters::text(value);
            if !value.is_empty() {
                pairs.push((name.into(), value.into()));
            }
        }
        let metadata = Filters::text(&filters.metadata);
        if !metadata.is_empty() {
            let Some((key, value)) = metadata.split_once('=') else {
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "Metadata must be written key=value.",
                ));
            };
            pairs.push((format!("metadata[{}]", key.trim()), value.trim().to_owned()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        let path = if query.is_empty() {
            format!("/licenses?{paging}")
        } else {
            format!("/licenses?{query}&{paging}")
        };
        admin.api.get(&session.caller, &path).await?
    };
    Ok((data(&document), count(&document), pages(&document)))
}

/// The id of the user whose email is exactly `email` (case-insensitive).
pub async fn owner_by_email(
    admin: &Admin,
    session: &Session,
    email: &str,
) -> Result<Option<String>, Failure> {
    let query = json!({ "meta": { "type": "users", "query": { "email": email } } });
    let found = admin
        .api
        .post(
            &session.caller,
            "/search?page[size]=100&page[number]=1",
            &query,
        )
        .await?;
    Ok(data(&found)
        .iter()
        .find(|u| {
            u["attributes"]["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .and_then(|u| u["id"].as_str())
        .map(str::to_owned))
}

/// `(id, label)` of every policy the session may see (for selects and names).
pub async fn policy_names(admin: &Admin, session: &Session) -> Vec<(String, String)> {
    let Ok(document) = admin
        .api
        .get(&session.caller, "/policies?page[size]=100&page[number]=1")
        .await
    else {
        return Vec::new();
    };
    data(&document)
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?.to_owned(), attr(p, "name"))))
        .collect()
}

/// `(id, label)` of every product the session may see.
pub async fn product_names(admin: &Admin, session: &Session) -> Vec<(String, String)> {
    let Ok(document) = admin
        .api
        .get(&session.caller, "/products?page[size]=100&page[number]=1")
        .await
    else {
        return Vec::new();
    };
    data(&document)
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?.to_owned(), attr(p, "name"))))
        .collect()
}

fn name_of<'a>(names: &'a [(String, String)], id: Option<&'a str>) -> &'a str {
    match id {
        Some(id) => names
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, n)| n.as_str())
            .unwrap_or(id),
        None => "—",
    }
}

fn select(id: &str, label: &str, name: &str, options: &[(String, String)], chosen: &str) -> Markup {
    html! {
        label for=(id) { (label) }
        select id=(id) name=(name) data-autosubmit {
            option value="" { "Any" }
            @for (value, text) in options {
                option value=(value) selected[value == chosen] { (text) }
            }
        }
    }
}

/// `GET /admin/licenses`.
pub async fn index(
    State(admin): State<Admin>,
    session: Session,
    Query(filters): Query<Filters>,
) -> Response {
    let page = page_number(filters.page.as_deref());
    let policies = policy_names(&admin, &session).await;
    let products = product_names(&admin, &session).await;
    let (licenses, total, page_count) =
        match fetch(&admin, &session, &filters, page, PAGE_SIZE).await {
            Ok(found) => found,
            Err(failure) => return refused(&session, &failure, "/admin/licenses"),
        };
    let statuses: Vec<(String, String)> = STATUSES
        .iter()
        .map(|s| (s.to_string(), s.to_string()))
        .collect();
    let pairs = filters.pairs();
    let export = with_query("/admin/licenses/export.csv", &pairs);
    let flash = Done {
        done: filters.done.clone(),
    }
    .flash();
    let body = html! {
        form.filters method="get" action="/admin/licenses" role="search" {
            div {
                label for="q" { "Search" small { "Key, name, or owner email" } }
                input id="q" name="q" type="search" value=(Filters::text(&filters.q));
            }
            div {
                label for="metadata" { "Metadata" small { "key=value" } }
                input id="metadata" name="metadata" value=(Filters::text(&filters.metadata));
            }
            div { (select("status", "Status", "status", &statuses, Filters::text(&filters.status))) }
            div { (select("policy", "Policy", "policy", &policies, Filters::text(&filters.policy))) }
            div { (select("product", "Product", "product", &products, Filters::text(&filters.product))) }
            div { button type="submit" { "Apply" } }
        }
        p {
            (total) " licenses. "
            a href="/admin/licenses/new" { "New license" } " · "
            a href=(export) download { "Export CSV" }
        }
        @if !Filters::text(&filters.q).is_empty() && !Filters::text(&filters.q).contains('@') {
            p.hint { "A search matches a whole key or part of a name; the other filters apply to lists, not searches." }
        }
        div.scroll {
            table {
                thead { tr { th scope="col" { "Key" } th scope="col" { "Name" } th scope="col" { "Status" } th scope="col" { "Policy" } th.hide-narrow scope="col" { "Expiry" } th.hide-narrow scope="col" { "Created" } } }
                tbody {
                    @for license in &licenses {
                        @let id = license["id"].as_str().unwrap_or("");
                        tr {
                            td { a href={ "/admin/licenses/" (id) } { code { (attr(license, "key")) } } }
                            td { (attr(license, "name")) }
                            td { (badge(&attr(license, "status"))) }
                            td { (name_of(&policies, rel_id(license, "policy"))) }
                            td.hide-narrow { (when(license, "expiry")) }
                            td.hide-narrow { (when(license, "created")) }
                        }
                    }
                }
            }
        }
        (html::pager("/admin/licenses", &pairs, page, page_count))
    };
    respond(
        StatusCode::OK,
        html::page(
            &session,
            "/admin/licenses",
            "Licenses",
            flash.as_ref(),
            body,
        ),
    )
}

/// Licenses exported at most (a page of 100 at a time).
const EXPORT_MAX: i64 = 100_000;

/// `GET /admin/licenses/export.csv`: every license the filters match.
pub async fn export(
    State(admin): State<Admin>,
    session: Session,
    Query(filters): Query<Filters>,
) -> Response {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record([
        "id",
        "key",
        "name",
        "status",
        "policy",
        "product",
        "owner",
        "expiry",
        "created",
        "lastValidated",
        "uses",
        "metadata",
    ]);
    let mut page = 1;
    loop {
        let (licenses, _, page_count) = match fetch(&admin, &session, &filters, page, 100).await {
            Ok(found) => found,
            Err(failure) => return refused(&session, &failure, "/admin/licenses"),
        };
        for license in &licenses {
            let a = &license["attributes"];
            let cell = |v: &Value| {
                spreadsheet_safe(&match v {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            };
            let _ = writer.write_record([
                cell(&license["id"]),
                cell(&a["key"]),
                cell(&a["name"]),
                cell(&a["status"]),
                rel_id(license, "policy").unwrap_or("").to_owned(),
                rel_id(license, "product").unwrap_or("").to_owned(),
                rel_id(license, "owner").unwrap_or("").to_owned(),
                cell(&a["expiry"]),
                cell(&a["created"]),
                cell(&a["lastValidated"]),
                cell(&a["uses"]),
                cell(&a["metadata"]),
            ]);
        }
        if page >= page_count || licenses.is_empty() || page * 100 >= EXPORT_MAX {
            break;
        }
        page += 1;
    }
    let bytes = writer.into_inner().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"licenses.csv\"",
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A cell a spreadsheet will not run as a formula (`=`, `+`, `-`, `@`, tab, CR
/// first get a leading apostrophe).
fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// `GET /admin/licenses/new`.
pub async fn new(State(admin): State<Admin>, session: Session) -> Response {
    let policies = policy_names(&admin, &session).await;
    let body = html! {
        @if policies.is_empty() {
            p { "Create a " a href="/admin/policies/new" { "policy" } " first: every license follows one." }
        }
        form method="post" action="/admin/licenses" {
            (csrf(&session))
            label for="policy" { "Policy" }
            select id="policy" name="policy" required {
                @for (id, name) in &policies { option value=(id) { (name) } }
            }
            label for="name" { "Name" small { "Optional." } }
            input id="name" name="name" maxlength="255";
            label for="key" { "Key" small { "Optional: generated when empty." } }
            input id="key" name="key" maxlength="255";
            label for="owner" { "Owner email" small { "Optional: an existing user of this account." } }
            input id="owner" name="owner" type="email";
            label for="expiry" { "Expiry" small { "Optional ISO 8601 time, e.g. 2027-12-31T00:00:00Z; the policy's duration when empty." } }
            input id="expiry" name="expiry";
            button type="submit" { "Create license" }
        }
    };
    respond(
        StatusCode::OK,
        html::page(&session, "/admin/licenses", "New license", None, body),
    )
}

/// `POST /admin/licenses`.
pub async fn create(State(admin): State<Admin>, session: Session, body: Bytes) -> Response {
    let form = match form::read(&session, &body) {
        Ok(form) => form,
        Err(failure) => return refused(&session, &failure, "/admin/licenses/new"),
    };
    let mut attributes = serde_json::Map::new();
    for (field, name) in [("name", "name"), ("key", "key"), ("expiry", "expiry")] {
        if let Some(value) = form.some(field) {
            attributes.insert(name.into(), Value::String(value.into()));
        }
    }
    let mut relationships =
        json!({ "policy": { "data": { "type": "policies", "id": form.get("policy") } } });
    if let Some(email) = form.some("owner") {
        match owner_by_email(&admin, &session, email).await {
            Ok(Some(id)) => {
                relationships["owner"] = json!({ "data": { "type": "users", "id": id } })
            }
            Ok(None) => {
                return refused(
                    &session,
                    &Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "No user has that email."),
                    "/admin/licenses/new",
                );
            }
            Err(failure) => return refused(&session, &failure, "/admin/licenses/new"),
        }
    }
    let document = json!({ "data": { "type": "licenses", "attributes": attributes, "relationships": relationships } });
    match admin
        .api
        .post(&session.caller, "/licenses", &document)
        .await
    {
        Ok(created) => done(
            &format!(
                "/admin/licenses/{}",
                created["data"]["id"].as_str().unwrap_or("")
            ),
            "created",
        ),
        Err(failure) => refused(&session, &failure, "/admin/licenses/new"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(super::spreadsheet_safe("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(super::spreadsheet_safe("@x"), "'@x");
        assert_eq!(super::spreadsheet_safe("ABC-123"), "ABC-123");
    }
}
