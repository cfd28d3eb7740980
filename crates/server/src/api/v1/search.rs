//! `POST /search` (Keygen's `searches#search`): `meta.type` (a resource type,
//! singular or plural), `meta.query` (attribute → term, at least 3 characters per
//! text term) and `meta.op` (`AND`, the default, or `OR`). Staff only (admins,
//! developers, sales and support agents, read-only). Results are paginated like the
//! lists (`page[…]`, `limit` in the query string) and rendered like them.

use crate::account::Account;
use crate::api::v1::licenses;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::State;
use latchkey_proto::ErrorCode;
use latchkey_store::crud::{self, Filter};
use latchkey_store::page::{Order, Page};
use latchkey_store::relations::{SEARCHABLE, search_filter};
use serde_json::{Map, Value, json};

/// Keygen's smallest searchable text term.
const MIN_TERM: usize = 3;

fn bad(pointer: &str, detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(detail)
        .code(ErrorCode::ParametersInvalid)
        .pointer(pointer)
}

/// `firstName` / `first-name` / `first_name` → `first_name`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// `first_name` → `firstName` (for error pointers).
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The plural resource type for `meta.type` (`license`, `licenses`, `License`).
fn resource_type(text: &str) -> Option<&'static str> {
    let wanted = snake(text);
    SEARCHABLE.iter().map(|(kind, _, _)| *kind).find(|kind| {
        let singular = kind
            .strip_suffix("ies")
            .map(|stem| format!("{stem}y"))
            .or_else(|| kind.strip_suffix('s').map(str::to_owned))
            .unwrap_or_default();
        wanted == *kind || wanted == singular
    })
}

/// A parsed search: its type and table, and its filter.
struct Search {
    kind: &'static str,
    table: &'static str,
    filter: Filter,
}

fn read(body: &Value) -> ApiResult<Search> {
    let object = body.as_object().ok_or_else(|| bad("/meta", "is missing"))?;
    if let Some(other) = object.keys().find(|k| k.as_str() != "meta") {
        return Err(bad(&format!("/{other}"), "unpermitted parameter"));
    }
    let meta = match object.get("meta") {
        Some(Value::Object(meta)) => meta,
        Some(_) => return Err(bad("/meta", "type mismatch (expected object)")),
        None => return Err(bad("/meta", "is missing")),
    };
    if let Some(other) = meta
        .keys()
        .find(|k| !matches!(k.as_str(), "type" | "query" | "op"))
    {
        return Err(bad(&format!("/meta/{other}"), "unpermitted parameter"));
    }
    let type_text = match meta.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(_) => return Err(bad("/meta/type", "type mismatch (expected string)")),
        None => return Err(bad("/meta/type", "is missing")),
    };
    let any = match meta.get("op") {
        None | Some(Value::Null) => false,
        Some(Value::String(op)) if op.eq_ignore_ascii_case("and") => false,
        Some(Value::String(op)) if op.eq_ignore_ascii_case("or") => true,
        Some(_) => return Err(bad("/meta/op", "search operation is not supported")),
    };
    let query: &Map<String, Value> = match meta.get("query") {
        Some(Value::Object(q)) => q,
        Some(_) => return Err(bad("/meta/query", "type mismatch (expected object)")),
        None => return Err(bad("/meta/query", "is missing")),
    };
    let (kind, table, attributes) = resource_type(type_text)
        .and_then(|kind| SEARCHABLE.iter().find(|(k, _, _)| *k == kind))
        .copied()
        .ok_or_else(|| {
            bad(
                "/meta/type",
                format!("search type '{type_text}' is not supported"),
            )
        })?;
    if query.is_empty() {
        return Err(bad("/meta/query", "search query is required"));
    }
    let mut terms = Vec::with_capacity(query.len());
    for (key, value) in query {
        let name = snake(key);
        let pointer = format!("/meta/query/{}", camel(&name));
        let Some((_, column, exact)) = attributes.iter().find(|(n, _, _)| *n == name) else {
            return Err(bad(
                &pointer,
                format!(
                    "search query '{}' is not supported for resource type '{kind}'",
                    camel(&name)
                ),
            ));
        };
        let Some(term) = value.as_str() else {
            return Err(bad(&pointer, "type mismatch (expected string)"));
        };
        if !exact && term.chars().count() < MIN_TERM {
            return Err(bad(
                &pointer,
                format!(
                    "search query for '{}' is too small (minimum {MIN_TERM} characters)",
                    camel(&name)
                ),
            ));
        }
        terms.push((*column, *exact, term));
    }
    let filter =
        search_filter(&terms, any).ok_or_else(|| bad("/meta/query", "search query is required"))?;
    Ok(Search {
        kind,
        table,
        filter,
    })
}

/// `POST /search`
pub async fn search(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let search = read(&body)?;
    if !latchkey_core::access::may_search(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to search"));
    }
    let (page, order) = query.pagination()?;
    let (data, count, last) = run(&state, &account, search, &page, order).await?;
    let (links, _) = query.list_links(&page, count, last.as_deref());
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

type Found = (Vec<Value>, Option<i64>, Option<String>);

/// Lists the matching rows of the search's table and renders them like its list.
async fn run(
    state: &AppState,
    account: &Account,
    search: Search,
    page: &Page,
    order: Order,
) -> ApiResult<Found> {
    let db = &state.db;
    let id = account.id();
    let filters = vec![search.filter];
    macro_rules! rows {
        ($module:ident, $row:ty) => {
            crud::list::<$row>(
                db,
                search.table,
                latchkey_store::$module::COLUMNS,
                id,
                filters,
                page,
                order,
            )
            .await?
        };
    }
    let found: Found = match search.kind {
        "products" => {
            let (rows, count) = rows!(products, latchkey_store::products::ProductRow);
            let data = rows
                .iter()
                .map(|r| crate::api::v1::serializers::products::product(account, r))
                .collect();
            (data, count, rows.last().map(|r| r.id.clone()))
        }
        "policies" => {
            let (rows, count) = rows!(policies, latchkey_store::policies::PolicyRow);
            let data = rows
                .iter()
                .map(|r| crate::api::v1::serializers::policies::policy(account, r))
                .collect();
            (data, count, rows.last().map(|r| r.id.clone()))
        }
        "licenses" => {
            let (rows, count) = rows!(licenses, latchkey_store::licenses::LicenseRow);
            let mut data = Vec::with_capacity(rows.len());
            for row in &rows {
                let policy = licenses::policy_of(state, row).await?;
                data.push(licenses::render(state, account, row, &policy).await?);
            }
            (data, count, rows.last().map(|r| r.id.clone()))
        }
        "machines" => {
            let (rows, count) = rows!(machines, latchkey_store::machines::MachineRow);
            let mut data = Vec::with_capacity(rows.len());
            for row in &rows {
                let license = licenses::find(state, account, &row.license_id).await?;
                let policy = licenses::policy_of(state, &license).await?;
                data.push(crate::api::v1::serializers::machines::machine(
                    account,
                    row,
                    &license,
                    &policy,
                    state.now_ms(),
                ));
            }
            (data, count, rows.last().map(|r| r.id.clone()))
        }
        "users" => {
            let (rows, count) = rows!(users, latchkey_store::users::UserRow);
            let data = rows
                .iter()
                .map(|r| crate::api::v1::serializers::users::user(account, r))
                .collect();
            (data, count, rows.last().map(|r| r.id.clone()))
        }
        "entitlements" => {
            let (rows, count) = rows!(entitlements, latchkey_store::entitlements::EntitlementRow);
            let data = rows
                .iter()
                .map(|r| crate::api::v1::serializers::entitlements::entitlement(account, r))
                .collect();
            (data, count, rows.last().map(|r| r.id.clone()))
        }
        "groups" => {
            let (rows, count) = rows!(groups, latchkey_store::groups::GroupRow);
            let data = rows
                .iter()
                .map(|r| crate::api::v1::serializers::groups::group(account, r))
                .collect();
            (data, count, rows.last().map(|r| r.id.clone()))
        }
        other => return Err(ApiError::internal(format!("unsearchable type {other}"))),
    };
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types_normalise() {
        assert_eq!(snake("firstName"), "first_name");
        assert_eq!(camel("first_name"), "firstName");
        assert_eq!(resource_type("license"), Some("licenses"));
        assert_eq!(resource_type("policy"), Some("policies"));
        assert_eq!(resource_type("Entitlements"), Some("entitlements"));
        assert_eq!(resource_type("releases"), None);
    }
}
