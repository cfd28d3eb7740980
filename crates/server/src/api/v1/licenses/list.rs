//! `GET /licenses`: Keygen's list filters (§5.4) and role scoping.

use super::{policy_of, render};
use crate::account::Account;
use crate::api::v1::policies::USER_LICENSES;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::State;
use latchkey_store::crud::{self, Filter};
use latchkey_store::licenses::{COLUMNS, LicenseRow, TABLE};
use serde_json::json;

/// The licenses the caller may see (lists and id/key lookups); `None` for staff, who
/// see every license of the account.
pub fn visibility(principal: &Principal) -> Option<Filter> {
    match &principal.bearer {
        _ if principal.is_staff() => None,
        Bearer::Product(p) => Some(Filter::eq("product_id", p.id.as_str())),
        Bearer::License(l, _) => Some(Filter::eq("id", l.id.as_str())),
        Bearer::User(u, _) => Some(Filter::new(
            format!("id IN ({USER_LICENSES})"),
            vec![u.id.as_str().into(), u.id.as_str().into()],
        )),
    }
}

/// `GET /licenses`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let mut filters = Vec::new();
    for (param, column) in [
        ("product", "product_id"),
        ("policy", "policy_id"),
        ("owner", "owner_id"),
        ("group", "group_id"),
    ] {
        if let Some(value) = query.get(param) {
            filters.push(Filter::eq(column, value));
        }
    }
    if let Some(user) = query.get("user") {
        filters.push(Filter::new(
            format!(
                "id IN ({USER_LICENSES}) OR owner_id IN (SELECT id FROM users WHERE email = {{}})"
            ),
            vec![user.into(), user.into(), user.to_lowercase().into()],
        ));
    }
    if let Some(machine) = query.get("machine") {
        filters.push(Filter::new(
            "id IN (SELECT license_id FROM machines WHERE id = {} OR fingerprint = {})",
            vec![machine.into(), machine.into()],
        ));
    }
    if let Some(suspended) = query.get("suspended") {
        filters.push(Filter::eq("suspended", suspended == "true"));
    }
    let now = state.now_ms();
    if let Some(status) = query.get("status") {
        filters.push(status_filter(status, now)?);
    }
    if query.get("expired") == Some("true") {
        filters.push(Filter::new(
            "expiry IS NOT NULL AND expiry < {}",
            vec![now.into()],
        ));
    } else if query.get("expired") == Some("false") {
        filters.push(Filter::new(
            "expiry IS NULL OR expiry >= {}",
            vec![now.into()],
        ));
    }
    if query.get("unassigned") == Some("true") {
        filters.push(Filter::new("owner_id IS NULL", vec![]));
    }
    if query.get("assigned") == Some("true") {
        filters.push(Filter::new("owner_id IS NOT NULL", vec![]));
    }
    if let Some(activated) = query.get("activated") {
        let exists = if activated == "true" {
            "EXISTS"
        } else {
            "NOT EXISTS"
        };
        filters.push(Filter::new(
            format!("{exists} (SELECT 1 FROM machines m WHERE m.license_id = licenses.id)"),
            vec![],
        ));
    }
    filters.extend(super::filters::expires(&query, now)?);
    filters.extend(super::filters::activity(&query, now)?);
    filters.extend(super::filters::activations(&query)?);
    for (key, value) in query.prefixed("metadata") {
        filters.push(metadata_filter(state.db.backend(), key, value));
    }
    filters.extend(visibility(&principal));
    let (rows, count) = crud::list::<LicenseRow>(
        &state.db,
        TABLE,
        COLUMNS,
        account.id(),
        filters,
        &page,
        order,
    )
    .await?;
    let mut data = Vec::with_capacity(rows.len());
    for row in &rows {
        let policy = policy_of(&state, row).await?;
        data.push(render(&state, &account, row, &policy).await?);
    }
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `status=…`: the same precedence as the serializer's `status` (BANNED, SUSPENDED,
/// EXPIRED, EXPIRING, INACTIVE, ACTIVE), so every license matches exactly one status.
fn status_filter(status: &str, now: i64) -> ApiResult<Filter> {
    let day = 86_400_000i64;
    let cutoff = now - 90 * day;
    let banned = "owner_id IN (SELECT id FROM users WHERE banned_at IS NOT NULL)";
    let not_banned = format!("(owner_id IS NULL OR NOT ({banned}))");
    let usable = format!("{not_banned} AND suspended = FALSE");
    let current = format!("{usable} AND (expiry IS NULL OR expiry >= {{}})");
    let activity = "(created_at >= {} OR COALESCE(last_validated_at, 0) >= {} \
                    OR COALESCE(last_check_in_at, 0) >= {} OR COALESCE(last_check_out_at, 0) >= {})";
    let cutoffs = || vec![cutoff.into(), cutoff.into(), cutoff.into(), cutoff.into()];
    Ok(match status.to_ascii_uppercase().as_str() {
        "BANNED" => Filter::new(banned, vec![]),
        "SUSPENDED" => Filter::new(format!("{not_banned} AND suspended = TRUE"), vec![]),
        "EXPIRED" => Filter::new(
            format!("{usable} AND expiry IS NOT NULL AND expiry < {{}}"),
            vec![now.into()],
        ),
        "EXPIRING" => Filter::new(
            format!("{usable} AND expiry IS NOT NULL AND expiry >= {{}} AND expiry < {{}}"),
            vec![now.into(), (now + 3 * day).into()],
        ),
        "INACTIVE" => Filter::new(
            format!("{current} AND NOT {activity}"),
            [vec![(now + 3 * day).into()], cutoffs()].concat(),
        ),
        "ACTIVE" => Filter::new(
            format!("{current} AND {activity}"),
            [vec![(now + 3 * day).into()], cutoffs()].concat(),
        ),
        _ => {
            return Err(ApiError::bad_request(
                "status must be one of ACTIVE, INACTIVE, EXPIRING, EXPIRED, SUSPENDED, BANNED",
            )
            .code("PARAMETERS_INVALID")
            .parameter("status"));
        }
    })
}

/// `metadata[key]=value`: the store's filter for the camelCased key (any key is
/// safe there; see `latchkey_store::metadata`).
pub fn metadata_filter(backend: latchkey_store::Backend, key: &str, value: &str) -> Filter {
    let key = crate::jsonapi::input::camel_case(key);
    latchkey_store::metadata::query_filter(backend, &key, value)
}
