//! `PUT|PATCH /machines/{id}/group`: moves a machine into a group (or out of any),
//! refusing with `GROUP_MACHINE_LIMIT_EXCEEDED` when the group is full (the store
//! counts members under the group-row lock). Machine update rights: staff and the
//! license's product.

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::linkage::to_one_id;
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_store::groups::{self, Member};

/// `PUT /machines/{id}/group`
pub(crate) async fn change_group(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let machine = super::find_for(&state, &account, &principal, &id).await?;
    let (license, policy) =
        crate::api::v1::licenses::load(&state, &account, &principal, &machine.license_id).await?;
    let facts = crate::api::v1::licenses::facts(
        &state,
        &principal,
        &license,
        license.is_protected(&policy),
    )
    .await?;
    if !latchkey_core::access::licenses::may_update(&principal.actor(), &facts) {
        return Err(ApiError::forbidden(
            "not allowed to change this machine's group",
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
        Member::Machine,
        &machine.id,
        group_id.as_deref(),
        state.now_ms(),
    )
    .await?;
    crate::api::v1::groups::admitted(Member::Machine, admission)?;
    let machine = latchkey_store::machines::find(&state.db, account.id(), &machine.id)
        .await?
        .ok_or_else(|| ApiError::not_found("machine", &id))?;
    Ok(Document::ok(single(super::serializer::machine(
        &account,
        &machine,
        &license,
        &policy,
        state.now_ms(),
    ))))
}
