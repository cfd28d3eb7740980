//! Users (`/users`, id = UUID or email): CRUD. Staff read every user, products the
//! users of their licenses, users themselves, licenses their owner and attached
//! users. Admins and developers manage users (developers not admins); sales agents
//! and products manage end users only; an end user updates its own profile.
//! Passwords are hashed off the async runtime and never rendered.

pub mod actions;
pub mod group;
pub mod query;
use crate::api::v1::serializers::users as serializer;

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::users as access;
use latchkey_core::roles::Role;
use latchkey_proto::ErrorCode;
use latchkey_store::users::{self, UserChanges, UserRow, UserWrite};
use latchkey_store::{StoreError, new_id};
use serde_json::json;

/// Every role, in Keygen's spelling.
const ROLES: &[&str] = &[
    "user",
    "admin",
    "developer",
    "sales-agent",
    "support-agent",
    "read-only",
];

/// Loads a user (by UUID or email) the caller may read, or 404/403.
pub async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<UserRow> {
    // Keygen looks the id or email up among what the caller may see first; otherwise
    // anywhere, so an invisible user still answers 403 below.
    let visible = match users::visible_to(&principal.actor()) {
        Some(scope) => users::find_visible(&state.db, account.id(), id, vec![scope]).await?,
        None => None,
    };
    let row = match visible {
        Some(row) => row,
        None => users::find(&state.db, account.id(), id)
            .await?
            .ok_or_else(|| ApiError::not_found("user", id))?,
    };
    if !may_read(state, principal, &row).await? {
        return Err(ApiError::forbidden("not allowed to read this user"));
    }
    Ok(row)
}

/// Whether the caller may read `row` (the relation of a product or license bearer
/// to the user is looked up only when the rule needs it).
pub async fn may_read(state: &AppState, principal: &Principal, row: &UserRow) -> ApiResult<bool> {
    let actor = principal.actor();
    let related = access::read_needs_relation(&actor, &row.id)
        && users::is_related(&state.db, &actor, &row.id).await?;
    Ok(access::may_read(&actor, &row.id, related))
}

/// `GET /users` (only `role = user` unless `roles[]` says otherwise).
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let filters = query::parse(&query)?;
    let (rows, count) = users::list(
        &state.db,
        account.id(),
        &filters,
        &principal.actor(),
        &page,
        order,
    )
    .await?;
    let data: Vec<_> = rows.iter().map(|r| serializer::user(&account, r)).collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /users/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(serializer::user(&account, &row))))
}

/// Trims and lowercases an email and checks Keygen's shape (`local@domain`, no spaces).
pub fn normalize_email(raw: &str) -> ApiResult<String> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(missing("email"));
    }
    let valid = !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if !valid {
        return Err(invalid("email", "must be a valid email"));
    }
    Ok(email)
}

struct Attrs {
    email: Field<String>,
    first_name: Field<String>,
    last_name: Field<String>,
    password: Field<String>,
    role: Field<String>,
    metadata: Field<String>,
}

fn read(input: &mut Input) -> ApiResult<Attrs> {
    let attrs = Attrs {
        email: input.string("email", 255)?,
        first_name: input.string("firstName", 255)?,
        last_name: input.string("lastName", 255)?,
        password: input.string("password", 72)?,
        role: input.choice("role", ROLES)?,
        metadata: input.metadata()?,
    };
    if matches!(&attrs.password, Field::Value(p) if p.len() < 6) {
        return Err(ApiError::unprocessable(
            ErrorCode::PasswordTooShort,
            "is too short (minimum is 6 characters)",
        )
        .pointer("/data/attributes/password"));
    }
    Ok(attrs)
}

/// Argon2 is deliberately slow: hash on the blocking pool.
pub(crate) async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || latchkey_core::password::hash(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

fn conflict(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => {
            ApiError::unprocessable(ErrorCode::EmailTaken, "has already been taken")
                .pointer("/data/attributes/email")
        }
        other => other.into(),
    }
}

fn admins_required() -> ApiError {
    ApiError::unprocessable(
        ErrorCode::AccountAdminsRequired,
        "account must have at least 1 admin user",
    )
}

/// `POST /users`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let actor = principal.actor();
    if !access::may_create(&actor) {
        return Err(ApiError::forbidden("not allowed to create users"));
    }
    let mut input = Input::parse(&body, "users")?;
    let attrs = read(&mut input)?;
    let group = input.relationship("group")?.value();
    input.finish()?;
    let Field::Value(email) = attrs.email else {
        return Err(missing("email"));
    };
    let email = normalize_email(&email)?;
    let role = attrs
        .role
        .value()
        .unwrap_or_else(|| Role::User.as_str().to_owned());
    if !access::may_manage(&actor, &role) {
        return Err(ApiError::forbidden(
            "not allowed to create users with this role",
        ));
    }
    let password_digest = match attrs.password.value() {
        Some(password) => Some(hash_password(password).await?),
        None => None,
    };
    let now = state.now_ms();
    let row = UserRow {
        id: new_id(),
        account_id: account.id().to_owned(),
        email,
        first_name: attrs.first_name.value(),
        last_name: attrs.last_name.value(),
        password_digest,
        role,
        banned_at: None,
        group_id: group,
        metadata: attrs.metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
        password_reset_digest: None,
        password_reset_expiry: None,
    };
    let admission = users::create(&state.db, &row).await.map_err(conflict)?;
    crate::api::v1::groups::admitted(latchkey_store::groups::Member::User, admission)?;
    let location = format!("{}/users/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::user(&account, &row)),
        location,
    ))
}

/// `PATCH /users/{id}`
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    let actor = principal.actor();
    if !access::may_update(&actor, &row.id, &row.role) {
        return Err(ApiError::forbidden("not allowed to update this user"));
    }
    let mut input = Input::parse(&body, "users")?;
    let attrs = read(&mut input)?;
    input.finish()?;
    let new_role = attrs.role.value().filter(|r| *r != row.role);
    if let Some(role) = &new_role
        && !access::may_change_role(&actor, role)
    {
        return Err(ApiError::forbidden(
            "not allowed to change this user's role",
        ));
    }
    let demotes_admin = new_role.is_some() && row.role == Role::Admin.as_str();
    let changes = UserChanges {
        role: new_role,
        email: match attrs.email {
            Field::Value(email) => Some(normalize_email(&email)?),
            Field::Null => return Err(missing("email")),
            Field::Absent => None,
        },
        first_name: attrs.first_name.into_update(),
        last_name: attrs.last_name.into_update(),
        metadata: attrs
            .metadata
            .into_update()
            .map(|m| m.unwrap_or_else(|| "{}".into())),
        password_digest: match attrs.password {
            Field::Value(password) => Some(hash_password(password).await?),
            Field::Null => {
                return Err(invalid(
                    "password",
                    "must be a string of 6 to 72 characters",
                ));
            }
            Field::Absent => None,
        },
    };
    let written = users::update(
        &state.db,
        account.id(),
        &row.id,
        changes,
        demotes_admin,
        state.now_ms(),
    )
    .await
    .map_err(conflict)?;
    let updated = match written {
        UserWrite::Done(Some(updated)) => *updated,
        UserWrite::Done(None) => return Err(ApiError::not_found("user", &id)),
        UserWrite::LastAdmin => {
            return Err(admins_required().pointer("/data/attributes/role"));
        }
    };
    Ok(Document::ok(single(serializer::user(&account, &updated))))
}

/// `DELETE /users/{id}` (with the user's tokens; licenses and machines it owned
/// become ownerless, attachments are removed).
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &account, &principal, &id).await?;
    if !access::may_delete(&principal.actor(), &row.role) {
        return Err(ApiError::forbidden("not allowed to delete this user"));
    }
    let is_admin = row.role == Role::Admin.as_str();
    if let UserWrite::LastAdmin =
        users::delete(&state.db, account.id(), &row.id, is_admin, state.now_ms()).await?
    {
        return Err(admins_required());
    }
    Ok(no_content())
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        let code = |raw: &str| normalize_email(raw).unwrap_err().code;
        assert_eq!(
            code("").map(latchkey_proto::ErrorCode::as_str),
            Some("EMAIL_MISSING")
        );
        assert_eq!(
            code("no-at-sign").map(latchkey_proto::ErrorCode::as_str),
            Some("EMAIL_INVALID")
        );
        assert_eq!(
            code("@example.com").map(latchkey_proto::ErrorCode::as_str),
            Some("EMAIL_INVALID")
        );
        assert_eq!(
            code("ada@").map(latchkey_proto::ErrorCode::as_str),
            Some("EMAIL_INVALID")
        );
        assert_eq!(
            code("a@b@c").map(latchkey_proto::ErrorCode::as_str),
            Some("EMAIL_INVALID")
        );
        assert_eq!(
            code("a da@example.com").map(latchkey_proto::ErrorCode::as_str),
            Some("EMAIL_INVALID")
        );
    }
}
