//! User lifecycle actions: ban/unban, password update, password reset (request via
//! `POST /passwords`, redeem via `reset-password`), and the bearer's own resource
//! (`GET /me`, `GET /profile`). Reset tokens are stored only as an HMAC digest and
//! expire after 24 hours.

use super::{hash_password, load, may_read, serializer};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Auth, Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use latchkey_core::access::users as access;
use latchkey_proto::ErrorCode;
use latchkey_store::new_id;
use latchkey_store::users::{self, UserRow};
use serde_json::{Value, json};

/// How long a password reset token stays redeemable.
const RESET_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// A string in the request's `meta`, or 400 when it has the wrong type.
fn meta_string(body: &Value, name: &str) -> ApiResult<Option<String>> {
    match body.get("meta").and_then(|m| m.get(name)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request("type mismatch (expected string)")
            .code(ErrorCode::ParametersInvalid)
            .pointer(format!("/meta/{name}"))),
    }
}

fn required_meta(body: &Value, name: &str) -> ApiResult<String> {
    meta_string(body, name)?.ok_or_else(|| {
        ApiError::bad_request("is missing")
            .code(ErrorCode::ParametersInvalid)
            .pointer(format!("/meta/{name}"))
    })
}

/// A new password: 6..72 bytes, like the `password` attribute.
fn check_new_password(password: &str) -> ApiResult<()> {
    let pointer = "/meta/newPassword";
    if password.len() < 6 {
        return Err(ApiError::unprocessable(
            ErrorCode::PasswordTooShort,
            "is too short (minimum is 6 characters)",
        )
        .pointer(pointer));
    }
    if password.len() > 72 {
        return Err(ApiError::unprocessable(
            ErrorCode::PasswordTooLong,
            "is too long (maximum is 72 characters)",
        )
        .pointer(pointer));
    }
    Ok(())
}

async fn reload(state: &AppState, account: &Account, id: &str) -> ApiResult<UserRow> {
    users::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("user", id))
}

/// Sets or clears `banned_at`. Support agents and above ban end users; products the
/// users of their licenses; staff accounts cannot be banned.
async fn set_banned(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    banned: bool,
) -> ApiResult<Document> {
    let row = load(state, account, principal, id).await?;
    if !access::may_ban(&principal.actor()) {
        return Err(ApiError::forbidden("not allowed to ban or unban users"));
    }
    if !access::is_bannable(&row.role) {
        return Err(ApiError::forbidden(
            "only users with the user role can be banned",
        ));
    }
    let now = state.now_ms();
    let value: Option<i64> = banned.then_some(now);
    let updated = users::set_banned(&state.db, account.id(), &row.id, value, now)
        .await?
        .ok_or_else(|| ApiError::not_found("user", &row.id))?;
    Ok(Document::ok(single(serializer::user(account, &updated))))
}

/// `POST /users/{id}/actions/ban`
pub async fn ban(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    set_banned(&state, &account, &principal, &id, true).await
}

/// `POST /users/{id}/actions/unban`
pub async fn unban(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    set_banned(&state, &account, &principal, &id, false).await
}

async fn store_password(
    state: &AppState,
    account: &Account,
    user_id: &str,
    password: String,
) -> ApiResult<UserRow> {
    let digest = hash_password(password).await?;
    users::set_password(&state.db, account.id(), user_id, &digest, state.now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("user", user_id))
}

/// `POST /users/{id}/actions/update-password` (meta.oldPassword, meta.newPassword):
/// only the user itself, proving the old password.
pub async fn update_password(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    if !access::may_update_password(&principal.actor(), &row.id) {
        return Err(ApiError::forbidden("only the user may update its password"));
    }
    let old = required_meta(&body, "oldPassword")?;
    let new = required_meta(&body, "newPassword")?;
    let stored = row.password_digest.clone().unwrap_or_default();
    let ok = tokio::task::spawn_blocking(move || {
        !stored.is_empty() && latchkey_core::password::verify(&old, &stored)
    })
    .await
    .map_err(ApiError::internal)?;
    if !ok {
        return Err(
            ApiError::unauthorized(ErrorCode::PasswordInvalid, "is not valid")
                .pointer("/meta/oldPassword"),
        );
    }
    check_new_password(&new)?;
    let updated = store_password(&state, &account, &row.id, new).await?;
    Ok(Document::ok(single(serializer::user(&account, &updated))))
}

/// `POST /passwords` (meta.email, meta.deliver): always 204, so it does not reveal
/// which emails exist. Without a mailer, a bearer that may manage the user's
/// credentials (admins; developers for non-admins) asking with `deliver: false` gets
/// the token back in `meta.passwordResetToken` (what Keygen puts in the
/// `user.password-reset` webhook); anyone else gets the anonymous answer.
pub async fn request_reset(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let email = required_meta(&body, "email")?;
    let deliver = match body.get("meta").and_then(|m| m.get("deliver")) {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::bad_request("type mismatch (expected boolean)")
                .code(ErrorCode::ParametersInvalid)
                .pointer("/meta/deliver"));
        }
    };
    let Some(user) = users::find(&state.db, account.id(), email.trim()).await? else {
        return Ok(no_content());
    };
    let raw = format!("{}{}", new_id(), new_id()).replace('-', "");
    let now = state.now_ms();
    let digest = state.secret.digest(&raw);
    users::set_password_reset(
        &state.db,
        account.id(),
        &user.id,
        (&digest, now + RESET_TTL_MS),
        json!({ "passwordResetToken": raw }),
        now,
    )
    .await?;
    let handed_over = principal
        .as_ref()
        .is_some_and(|p| access::may_receive_reset_token(&p.actor(), &user.id, &user.role));
    if !deliver && handed_over {
        let meta = json!({ "meta": { "passwordResetToken": raw, "user": user.id } });
        return Ok(Document::ok(meta).into_response());
    }
    Ok(no_content())
}

/// `POST /users/{id}/actions/reset-password` (meta.passwordResetToken, newPassword).
/// A wrong token answers exactly like an unknown user (404), as in Keygen, so the
/// route does not reveal which emails exist; the digest is compared in constant time.
/// With credentials, only the user itself or a bearer that may read and manage it
/// may redeem a token.
pub async fn reset_password(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let token = required_meta(&body, "passwordResetToken")?;
    let new = required_meta(&body, "newPassword")?;
    let not_found = || ApiError::not_found("user", &id);
    let row = users::find(&state.db, account.id(), &id)
        .await?
        .ok_or_else(not_found)?;
    if let Some(principal) = &principal {
        if !may_read(&state, principal, &row).await? {
            return Err(not_found());
        }
        if !access::may_manage_credentials(&principal.actor(), &row.id, &row.role) {
            return Err(ApiError::forbidden(
                "not allowed to reset this user's password",
            ));
        }
    }
    let stored = row.password_reset_digest.as_deref().unwrap_or_default();
    if !state.secret.digest_matches(&token, stored) {
        return Err(not_found());
    }
    let fresh = row
        .password_reset_expiry
        .is_some_and(|expiry| expiry > state.now_ms());
    if !fresh {
        return Err(
            ApiError::unauthorized(ErrorCode::PasswordResetTokenExpired, "is expired")
                .pointer("/meta/passwordResetToken"),
        );
    }
    check_new_password(&new)?;
    let updated = store_password(&state, &account, &row.id, new).await?;
    Ok(Document::ok(single(serializer::user(&account, &updated))))
}

/// The bearer itself (user, product or license), with `meta.tokenId` when a token
/// authenticated the request.
async fn bearer_document(
    state: &AppState,
    account: &Account,
    principal: &Principal,
) -> ApiResult<Value> {
    let data = match &principal.bearer {
        Bearer::User(u, _) => serializer::user(account, &reload(state, account, &u.id).await?),
        Bearer::Product(p) => crate::api::v1::serializers::products::product(account, p),
        Bearer::License(l, p) => crate::api::v1::licenses::render(state, account, l, p).await?,
    };
    let mut document = json!({ "data": data });
    if let Some(token) = &principal.token {
        document["meta"] = json!({ "tokenId": token.id });
    }
    Ok(document)
}

/// `GET /me`: the bearer, and (as Keygen does) the token used in `included`.
pub async fn me(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
) -> ApiResult<Document> {
    let mut document = bearer_document(&state, &account, &principal).await?;
    if let Some(token) = &principal.token {
        document["included"] = json!([crate::api::v1::serializers::tokens::token(
            &account, token, None
        )]);
    }
    Ok(Document::ok(document))
}

/// `GET /profile`: the bearer (Keygen's older route, without `included`).
pub async fn profile(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
) -> ApiResult<Document> {
    Ok(Document::ok(
        bearer_document(&state, &account, &principal).await?,
    ))
}
