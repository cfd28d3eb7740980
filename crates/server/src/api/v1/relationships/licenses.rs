//! License relationships missing from [`crate::api::v1::licenses::relationships`] and
//! [`crate::api::v1::licenses::attachments`]: `GET /licenses/{id}/{machines,tokens,users,entitlements}/{child}`
//! and the legacy (API ≤ 1.5) `GET /licenses/{id}/user`, the license's owner. The
//! bearer must be able to read the license; a child of another license is 404.

use super::{Cx, child_of};
use crate::api::v1::{licenses, machines, users};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use axum::extract::Path;
use latchkey_core::access::tokens as tokens_access;
use latchkey_store::relations;

/// `GET /licenses/{id}/machines/{child}` (child: id or fingerprint)
pub async fn show_machine(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let (license, _) = cx.load(licenses::load, &id).await?;
    let machine = cx.load(machines::load, &child).await?;
    let machine = child_of(Some(machine), "machine", &child, |m| {
        m.license.id == license.id
    })?;
    cx.show(&machine).await
}

/// `GET /licenses/{id}/tokens/{child}` (the bearers of the token list: staff and
/// the license's product)
pub async fn show_token(cx: Cx, Path((id, child)): Path<(String, String)>) -> ApiResult<Document> {
    let (license, _) = cx.load(licenses::load, &id).await?;
    if !tokens_access::may_read_license_tokens(&cx.principal.actor(), &license.product_id) {
        return Err(ApiError::forbidden("not allowed to read license tokens"));
    }
    cx.token_document(("licenses", &license.id), &child).await
}

/// `GET /licenses/{id}/users/{child}`: the owner or an attached user (child: id or email)
pub async fn show_user(cx: Cx, Path((id, child)): Path<(String, String)>) -> ApiResult<Document> {
    let (license, _) = cx.load(licenses::load, &id).await?;
    let user = cx.load(users::load, &child).await?;
    let member = license.owner_id.as_deref() == Some(user.id.as_str())
        || latchkey_store::licenses::is_licensee(&cx.state.db, &license.id, &user.id).await?;
    cx.show(&child_of(Some(user), "user", &child, |_| member)?)
        .await
}

/// `GET /licenses/{id}/entitlements/{child}`: an entitlement of the license or of its
/// policy (child: id or code)
pub async fn show_entitlement(
    cx: Cx,
    Path((id, child)): Path<(String, String)>,
) -> ApiResult<Document> {
    let (license, policy) = cx.load(licenses::load, &id).await?;
    let found =
        latchkey_store::entitlements::find_visible(&cx.state.db, cx.account.id(), &child, vec![])
            .await?;
    let member = match &found {
        Some(e) => {
            relations::license_has_entitlement(&cx.state.db, &license.id, &policy.id, &e.id).await?
        }
        None => false,
    };
    cx.show(&child_of(found, "entitlement", &child, |_| member)?)
        .await
}

/// `GET /licenses/{id}/user` (legacy, API ≤ 1.5): the owner, `data: null` if none.
pub async fn show_legacy_user(cx: Cx, Path(id): Path<String>) -> ApiResult<Document> {
    let (license, _) = cx.load(licenses::load, &id).await?;
    cx.user_document(license.owner_id.as_deref()).await
}
