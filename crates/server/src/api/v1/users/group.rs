//! `PUT|PATCH /users/{id}/group`: moves a user into a group (or out of any), refusing
//! with `GROUP_USER_LIMIT_EXCEEDED` when the group is full (the store counts members
//! under the group-row lock).

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::linkage::to_one_id;
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_store::groups::{self, Member};

/// `PUT /users/{id}/group` (admins, developers, sales, support and product tokens)
pub(crate) async fn change_group(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let user = super::load(&state, &account, &principal, &id).await?;
    let actor = principal.actor();
    if !actor.is_support_or_above() && actor.product_id().is_none() {
        return Err(ApiError::forbidden(
            "not allowed to change this user's group",
        ));
    }
    let group = to_one_id(&body, &["group", "groups"])?;
    let group_id = match group {
        Some(g) => Some(crate::api::v1::groups::resolve(&state, &account, &g).await?),
        None => None,
    };
    let admission = groups::join(
        &state.db,
        account.id(),
        Member::User,
        &user.id,
        group_id.as_deref(),
        state.now_ms(),
    )
    .await?;
    crate::api::v1::groups::admitted(Member::User, admission)?;
    let user = latchkey_store::users::find(&state.db, account.id(), &user.id)
        .await?
        .ok_or_else(|| ApiError::not_found("user", &id))?;
    Ok(Document::ok(single(super::serializer::user(
        &account, &user,
    ))))
}
