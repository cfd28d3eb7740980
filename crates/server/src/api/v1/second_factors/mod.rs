//! Second factors (Keygen's `users/relationships/second_factors`):
//! `GET|POST /users/{id}/second-factors` and
//! `GET|PATCH|PUT|DELETE /users/{id}/second-factors/{child}`.
//!
//! - The user is looked up (by id or email) among the users the bearer may list:
//!   404 outside that scope; the factor within the user's (404 for another user's).
//! - Who may do what is `core::access::second_factors` (the user itself; admins
//!   anyone's; read-only users only read): 403.
//! - Create proves the user's password (`meta.password`, 401 `PASSWORD_INVALID`), or,
//!   when the user already has an enabled factor, a code of it (`meta.otp`, 401
//!   `OTP_INVALID`). A user has at most one factor: a second create is 409. The new
//!   factor is disabled and shows `secret` and `uri` until it is enabled.
//! - Update (`data.attributes.enabled`) always proves a current code of this factor
//!   (`meta.otp`), to enable as to disable.
//! - Delete proves a code (`meta.otp`) only while the factor is enabled.
//!
//! Codes are checked at the server's time and never accepted twice (see `otp`).
//! Mutations are rate limited per account, client and user (`ratelimit`).

pub mod otp;

use crate::api::v1::relationships::Cx;
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::second_factors::second_factor as render;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::Input;
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use axum::extract::Path;
use axum::response::Response;
use latchkey_core::access::second_factors as access;
use latchkey_core::second_factor as totp;
use latchkey_proto::ErrorCode;
use latchkey_store::second_factors::{self, SecondFactorRow};
use latchkey_store::users::{self, UserRow};
use latchkey_store::{StoreError, new_id};
use otp::{is_missing, meta_string, otp_invalid, reveal, verify_code};
use serde_json::{Value, json};

/// The spellings of the type Keygen accepts in `data.type`.
const TYPE_SPELLINGS: [&str; 6] = [
    "second-factor",
    "second-factors",
    "secondFactor",
    "secondFactors",
    "second_factor",
    "second_factors",
];

/// The user of the path, among those the bearer may list (404 otherwise).
async fn owner(cx: &Cx, id: &str) -> ApiResult<UserRow> {
    let scope = users::visible_to(&cx.principal.actor())
        .into_iter()
        .collect();
    users::find_visible(&cx.state.db, cx.account.id(), id, scope)
        .await?
        .ok_or_else(|| ApiError::not_found("user", id))
}

/// The user and its factor `child` (404 when it is not that user's).
async fn owned(cx: &Cx, id: &str, child: &str) -> ApiResult<(UserRow, SecondFactorRow)> {
    let user = owner(cx, id).await?;
    let factor = second_factors::find_for_user(&cx.state.db, cx.account.id(), &user.id, child)
        .await?
        .ok_or_else(|| ApiError::not_found("second factor", child))?;
    Ok((user, factor))
}

fn may_change(cx: &Cx, user: &UserRow) -> ApiResult<()> {
    if access::may_change(&cx.principal.actor(), &user.id) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "not allowed to manage this user's second factors",
        ))
    }
}

/// The resource object, with its secret while not enabled.
fn object(cx: &Cx, user: &UserRow, factor: &SecondFactorRow) -> ApiResult<Value> {
    let shown = reveal(&cx.state, factor, &user.email)?;
    Ok(render(&cx.account, factor, shown.as_ref()))
}

/// Checks the optional `data` of a create: an object of a second-factor type, with
/// nothing else to set.
fn check_create_data(body: &Value) -> ApiResult<()> {
    let Some(data) = body.get("data").filter(|d| !d.is_null()) else {
        return Ok(());
    };
    let mut normalized = json!({ "data": data });
    if let Some(kind) = data.get("type").and_then(Value::as_str)
        && TYPE_SPELLINGS.contains(&kind)
    {
        normalized["data"]["type"] = json!("second-factors");
    }
    Input::parse(&normalized, "second-factors")?.finish()
}

/// `data.attributes.enabled` of an update (required).
fn read_enabled(body: &Value) -> ApiResult<bool> {
    let mut normalized = body.clone();
    if let Some(kind) = body.pointer("/data/type").and_then(Value::as_str)
        && TYPE_SPELLINGS.contains(&kind)
    {
        normalized["data"]["type"] = json!("second-factors");
    }
    let mut input = Input::parse(&normalized, "second-factors")?;
    let enabled = input.boolean("enabled")?.value();
    input.finish()?;
    enabled.ok_or_else(|| is_missing("/data/attributes/enabled"))
}

/// Whether `password` is the user's (Argon2 off the async workers).
async fn password_matches(user: &UserRow, password: Option<String>) -> ApiResult<bool> {
    let (Some(password), Some(stored)) = (password, user.password_digest.clone()) else {
        return Ok(false);
    };
    tokio::task::spawn_blocking(move || {
        !password.is_empty() && latchkey_core::password::verify(&password, &stored)
    })
    .await
    .map_err(ApiError::internal)
}

/// `GET /users/{id}/second-factors`
pub async fn index(cx: Cx, Path(id): Path<String>, query: QueryParams) -> ApiResult<Document> {
    let user = owner(&cx, &id).await?;
    let (page, order) = query.pagination()?;
    let (rows, count) =
        second_factors::list_for_user(&cx.state.db, cx.account.id(), &user.id, &page, order)
            .await?;
    if !access::may_list(&cx.principal.actor(), &user.id, rows.is_empty()) {
        return Err(ApiError::forbidden(
            "not allowed to read this user's second factors",
        ));
    }
    let data = rows
        .iter()
        .map(|row| object(&cx, &user, row))
        .collect::<ApiResult<Vec<_>>>()?;
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /users/{id}/second-factors/{child}`
pub async fn show(cx: Cx, Path((id, child)): Path<(String, String)>) -> ApiResult<Document> {
    let (user, factor) = owned(&cx, &id, &child).await?;
    if !access::may_read(&cx.principal.actor(), &user.id) {
        return Err(ApiError::forbidden(
            "not allowed to read this user's second factors",
        ));
    }
    Ok(Document::ok(single(object(&cx, &user, &factor)?)))
}

/// `POST /users/{id}/second-factors` (`meta.password`, or `meta.otp` when the user
/// has an enabled factor): 201 with the new, disabled factor and its secret.
pub async fn create(
    cx: Cx,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let user = owner(&cx, &id).await?;
    may_change(&cx, &user)?;
    check_create_data(&body)?;
    if !body.get("meta").is_some_and(Value::is_object) {
        return Err(is_missing("/meta"));
    }
    let password = meta_string(&body, "password")?;
    let code = meta_string(&body, "otp")?;
    let (db, account) = (&cx.state.db, cx.account.id());
    if let Some(enabled) = second_factors::enabled_for_user(db, account, &user.id).await? {
        if !verify_code(&cx.state, &enabled, code.as_deref().unwrap_or_default()).await? {
            return Err(otp_invalid());
        }
    } else if !password_matches(&user, password).await? {
        return Err(
            ApiError::unauthorized(ErrorCode::PasswordInvalid, "password must be valid")
                .pointer("/meta/password"),
        );
    }
    let now = cx.state.now_ms();
    let factor_id = new_id();
    let secret = totp::seal_secret(
        cx.state.secret.bytes(),
        account,
        &factor_id,
        &totp::generate_secret(),
    )
    .map_err(ApiError::internal)?;
    let row = SecondFactorRow {
        id: factor_id,
        account_id: account.to_owned(),
        user_id: user.id.clone(),
        secret,
        enabled: false,
        last_verified_at: None,
        created_at: now,
        updated_at: now,
    };
    match second_factors::create(db, &row).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::conflict(
                "The request could not be completed because of a conflict",
            ));
        }
        Err(other) => return Err(other.into()),
    }
    let location = format!(
        "{}/users/{}/second-factors/{}",
        cx.account.base(),
        user.id,
        row.id
    );
    Ok(Document::created(
        single(object(&cx, &user, &row)?),
        location,
    ))
}

/// `PATCH|PUT /users/{id}/second-factors/{child}` (`data.attributes.enabled`,
/// `meta.otp`): a code of this factor enables or disables it.
pub async fn update(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (user, factor) = owned(&cx, &id, &child).await?;
    may_change(&cx, &user)?;
    let enabled = read_enabled(&body)?;
    let code = meta_string(&body, "otp")?.ok_or_else(|| is_missing("/meta/otp"))?;
    if !verify_code(&cx.state, &factor, &code).await? {
        return Err(otp_invalid());
    }
    let now = cx.state.now_ms();
    let updated =
        second_factors::set_enabled(&cx.state.db, cx.account.id(), &factor.id, enabled, now)
            .await?
            .ok_or_else(|| ApiError::not_found("second factor", &child))?;
    Ok(Document::ok(single(object(&cx, &user, &updated)?)))
}

/// `DELETE /users/{id}/second-factors/{child}` (`meta.otp` while the user's factor is
/// enabled): 204.
pub async fn destroy(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let (user, factor) = owned(&cx, &id, &child).await?;
    may_change(&cx, &user)?;
    let code = meta_string(&body, "otp")?;
    let (db, account) = (&cx.state.db, cx.account.id());
    if let Some(enabled) = second_factors::enabled_for_user(db, account, &user.id).await?
        && !verify_code(&cx.state, &enabled, code.as_deref().unwrap_or_default()).await?
    {
        return Err(otp_invalid());
    }
    second_factors::delete(db, account, &factor.id, cx.state.now_ms()).await?;
    Ok(no_content())
}
