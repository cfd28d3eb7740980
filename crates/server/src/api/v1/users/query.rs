//! The query of `GET /users`, parsed into the store's [`UserQuery`] (the store
//! writes the SQL; who sees which users is `latchkey_store::users::visible_to`).

use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::camel_case;
use crate::jsonapi::query::QueryParams;
use latchkey_core::roles::Role;
use latchkey_proto::ErrorCode;
use latchkey_store::users::{UserQuery, UserStatus};

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
                .code(ErrorCode::ParametersInvalid)
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

/// The filters of `GET /users`, with Keygen's 400 for a bad `roles[]` or `status`.
pub fn parse(query: &QueryParams) -> ApiResult<UserQuery> {
    let roles = roles(query)?;
    let status = match query.get("status") {
        None => None,
        Some(status) => Some(match status.to_ascii_uppercase().as_str() {
            "ACTIVE" => UserStatus::Active,
            "BANNED" => UserStatus::Banned,
            "INACTIVE" => UserStatus::Inactive,
            _ => {
                return Err(ApiError::bad_request(
                    "status must be one of ACTIVE, INACTIVE, BANNED",
                )
                .code(ErrorCode::ParametersInvalid)
                .parameter("status"));
            }
        }),
    };
    let owned = |name: &str| query.get(name).map(str::to_owned);
    Ok(UserQuery {
        roles,
        product: owned("product"),
        license: owned("license"),
        group: owned("group"),
        status,
        assigned: query.get("assigned").map(|a| a == "true"),
        metadata: query
            .prefixed("metadata")
            .into_iter()
            .map(|(key, value)| (camel_case(key), value.to_owned()))
            .collect(),
    })
}
