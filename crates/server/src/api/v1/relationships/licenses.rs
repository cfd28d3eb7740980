//! License relationships missing from [`crate::api::v1::licenses::relationships`] and
//! [`crate::api::v1::licenses::attachments`]: `GET /licenses/{id}/{machines,tokens,users,entitlements}/{child}`
//! and the legacy (API ≤ 1.5) `GET /licenses/{id}/user`, the license's owner. The
//! bearer must be able to read the license; a child of another license is 404.

use super::{not_in_parent, user_document};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::api::v1::{machines, users};
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_store::relations;

/// `GET /licenses/{id}/machines/{child}` (child: id or fingerprint)
pub async fn show_machine(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let (license, _) = crate::api::v1::licenses::load(&state, &account, &principal, &id).await?;
    let l = machines::load(&state, &account, &principal, &child).await?;
    if l.license.id != license.id {
        return Err(not_in_parent("machine", &child));
    }
    Ok(Document::ok(single(
        crate::api::v1::serializers::machines::machine(
            &account,
            &l.machine,
            &l.license,
            &l.policy,
            state.now_ms(),
        ),
    )))
}

/// `GET /licenses/{id}/tokens/{child}` (the bearers of the token list: staff and
/// the license's product)
pub async fn show_token(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let (license, _) = crate::api::v1::licenses::load(&state, &account, &principal, &id).await?;
    if !latchkey_core::access::tokens::may_read_license_tokens(
        &principal.actor(),
        &license.product_id,
    ) {
        return Err(ApiError::forbidden("not allowed to read license tokens"));
    }
    let token = relations::bearer_token(&state.db, account.id(), ("licenses", &license.id), &child)
        .await?
        .ok_or_else(|| not_in_parent("token", &child))?;
    Ok(Document::ok(single(
        crate::api::v1::serializers::tokens::token(&account, &token, None),
    )))
}

/// `GET /licenses/{id}/users/{child}`: the owner or an attached user (child: id or email)
pub async fn show_user(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let (license, _) = crate::api::v1::licenses::load(&state, &account, &principal, &id).await?;
    let user = users::load(&state, &account, &principal, &child).await?;
    let member = license.owner_id.as_deref() == Some(user.id.as_str())
        || latchkey_store::licenses::is_licensee(&state.db, &license.id, &user.id).await?;
    if !member {
        return Err(not_in_parent("user", &child));
    }
    Ok(Document::ok(single(
        crate::api::v1::serializers::users::user(&account, &user),
    )))
}

/// `GET /licenses/{id}/entitlements/{child}`: an entitlement of the license or of its
/// policy (child: id or code)
pub async fn show_entitlement(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let (license, policy) =
        crate::api::v1::licenses::load(&state, &account, &principal, &id).await?;
    let entitlement =
        latchkey_store::entitlements::find_visible(&state.db, account.id(), &child, Vec::new())
            .await?
            .ok_or_else(|| not_in_parent("entitlement", &child))?;
    if !relations::license_has_entitlement(&state.db, &license.id, &policy.id, &entitlement.id)
        .await?
    {
        return Err(not_in_parent("entitlement", &child));
    }
    Ok(Document::ok(single(
        crate::api::v1::serializers::entitlements::entitlement(&account, &entitlement),
    )))
}

/// `GET /licenses/{id}/user` (legacy, API ≤ 1.5): the owner, `data: null` if none.
pub async fn show_legacy_user(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, _) = crate::api::v1::licenses::load(&state, &account, &principal, &id).await?;
    user_document(&state, &account, license.owner_id.as_deref()).await
}
