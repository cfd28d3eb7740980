//! Who may see and manage which users, and the list filters of `GET /users`.

use crate::api::v1::licenses::metadata_filter;
use crate::auth::{Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use latchkey_core::roles::Role;
use latchkey_store::crud::Filter;
use latchkey_store::users::UserRow;
use latchkey_store::{Arg, Backend, sql};

/// Users owning or attached to a license of product `{}` (two placeholders, both the product id).
const PRODUCT_USERS: &str = "id IN (SELECT owner_id FROM licenses WHERE product_id = {} \
     UNION SELECT lu.user_id FROM license_users lu JOIN licenses l ON l.id = lu.license_id WHERE l.product_id = {})";

/// Whether the caller may read `row`: staff all users, a product the users of its
/// licenses, a user itself, a license its owner and attached users.
pub async fn may_read(state: &AppState, principal: &Principal, row: &UserRow) -> ApiResult<bool> {
    Ok(match &principal.bearer {
        _ if principal.is_staff() => true,
        Bearer::User(u, _) => u.id == row.id,
        Bearer::Product(p) => {
            let q = sql(
                "SELECT id FROM licenses WHERE product_id = $1 AND (owner_id = $2 OR id IN \
                         (SELECT license_id FROM license_users WHERE user_id = $2)) LIMIT 1",
            )
            .bind(&p.id)
            .bind(&row.id);
            state.db.fetch_optional::<(String,)>(q).await?.is_some()
        }
        Bearer::License(l, _) => {
            if l.owner_id.as_deref() == Some(row.id.as_str()) {
                true
            } else {
                let q =
                    sql("SELECT user_id FROM license_users WHERE license_id = $1 AND user_id = $2")
                        .bind(&l.id)
                        .bind(&row.id);
                state.db.fetch_optional::<(String,)>(q).await?.is_some()
            }
        }
    })
}

/// Whether the caller may create, update (or, if also admin/developer, delete) a user
/// with `target_role`. Keygen's role ranks apply: a developer may not manage admins;
/// sales agents and product tokens manage only end users.
pub fn may_manage(principal: &Principal, target_role: &str) -> bool {
    match principal.role() {
        Some(Role::Admin) => true,
        Some(Role::Developer) => target_role != Role::Admin.as_str(),
        Some(Role::SalesAgent) => target_role == Role::User.as_str(),
        Some(_) => false,
        None => principal.product_id().is_some() && target_role == Role::User.as_str(),
    }
}

/// Whether the caller may act on `target`'s credentials (see, regenerate or revoke
/// its tokens; obtain or redeem a password reset): the user itself, or a bearer that
/// may manage a user of that role (so only admins reach an admin's credentials).
pub fn may_manage_credentials(principal: &Principal, target: &UserRow) -> bool {
    match &principal.bearer {
        Bearer::User(u, _) if u.id == target.id => true,
        _ => may_manage(principal, &target.role),
    }
}

/// Whether the caller may create users at all (before the role is known).
pub fn may_create(principal: &Principal) -> bool {
    principal.is_admin()
        || principal.role() == Some(Role::SalesAgent)
        || principal.product_id().is_some()
}

/// Parses `roles[]` (comma-separated values accepted; `sales_agent` spelling too),
/// defaulting to `user` like Keygen.
pub fn roles(query: &QueryParams) -> ApiResult<Vec<&'static str>> {
    let mut roles = Vec::new();
    for value in query.all("roles").into_iter().flat_map(|v| v.split(',')) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let role = Role::parse(&value.replace('_', "-")).ok_or_else(|| {
            ApiError::bad_request("roles must be any of user, admin, developer, sales-agent, support-agent, read-only")
                .code("PARAMETERS_INVALID")
                .parameter("roles")
        })?;
        if !roles.contains(&role.as_str()) {
            roles.push(role.as_str());
        }
    }
    if roles.is_empty() {
        roles.push(Role::User.as_str());
    }
    Ok(roles)
}

/// The filters of `GET /users` (query parameters, then the caller's scope).
pub fn filters(
    backend: Backend,
    account: &str,
    principal: &Principal,
    query: &QueryParams,
) -> ApiResult<Vec<Filter>> {
    let roles = roles(query)?;
    let placeholders = vec!["{}"; roles.len()].join(", ");
    let mut filters = vec![Filter::new(
        format!("role IN ({placeholders})"),
        roles.into_iter().map(Arg::from).collect(),
    )];
    if let Some(product) = query.get("product") {
        filters.push(Filter::new(
            PRODUCT_USERS,
            vec![product.into(), product.into()],
        ));
    }
    if let Some(license) = query.get("license") {
        filters.push(Filter::new(
            "id IN (SELECT owner_id FROM licenses WHERE account_id = {} AND (id = {} OR key = {}) \
             UNION SELECT lu.user_id FROM license_users lu JOIN licenses l ON l.id = lu.license_id \
             WHERE l.account_id = {} AND (l.id = {} OR l.key = {}))",
            vec![
                account.into(),
                license.into(),
                license.into(),
                account.into(),
                license.into(),
                license.into(),
            ],
        ));
    }
    if let Some(group) = query.get("group") {
        filters.push(Filter::eq("group_id", group));
    }
    if let Some(status) = query.get("status") {
        let clause = match status.to_ascii_uppercase().as_str() {
            "ACTIVE" => "banned_at IS NULL",
            "BANNED" => "banned_at IS NOT NULL",
            "INACTIVE" => "1 = 0",
            _ => {
                return Err(ApiError::bad_request(
                    "status must be one of ACTIVE, INACTIVE, BANNED",
                )
                .code("PARAMETERS_INVALID")
                .parameter("status"));
            }
        };
        filters.push(Filter::new(clause, vec![]));
    }
    if let Some(assigned) = query.get("assigned") {
        let exists = if assigned == "true" { "" } else { "NOT " };
        filters.push(Filter::new(
            format!(
                "{exists}(EXISTS (SELECT 1 FROM licenses l WHERE l.owner_id = users.id) \
                 OR EXISTS (SELECT 1 FROM license_users lu WHERE lu.user_id = users.id))"
            ),
            vec![],
        ));
    }
    for (key, value) in query.prefixed("metadata") {
        filters.push(metadata_filter(backend, key, value));
    }
    filters.extend(visibility(principal));
    Ok(filters)
}

/// The users the caller may see (lists and id/email lookups; what [`may_read`]
/// allows); `None` for staff, who see every user of the account.
pub fn visibility(principal: &Principal) -> Option<Filter> {
    match &principal.bearer {
        _ if principal.is_staff() => None,
        Bearer::Product(p) => Some(Filter::new(
            PRODUCT_USERS,
            vec![p.id.as_str().into(), p.id.as_str().into()],
        )),
        Bearer::User(u, _) => Some(Filter::eq("id", u.id.as_str())),
        Bearer::License(l, _) => Some(Filter::new(
            "id IN (SELECT owner_id FROM licenses WHERE id = {} UNION SELECT user_id FROM license_users WHERE license_id = {})",
            vec![l.id.as_str().into(), l.id.as_str().into()],
        )),
    }
}
