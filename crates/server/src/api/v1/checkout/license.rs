//! `GET|POST /licenses/{id}/actions/check-out`: license files.

use super::included::{Included, add_for_license};
use super::{CheckedOut, Options, options, seal};
use crate::account::Account;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_proto::offline::{CertificateKind, FileSecret};

/// What a license file may include.
pub const INCLUDES: &[&str] = &[
    "entitlements",
    "environment",
    "product",
    "policy",
    "group",
    "owner",
    "users",
];

async fn check_out(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    query: &QueryParams,
    body: Option<&serde_json::Value>,
) -> ApiResult<CheckedOut> {
    let (license, policy) = crate::api::v1::licenses::load(state, account, principal, id).await?;
    let facts =
        crate::api::v1::licenses::facts(state, principal, &license, license.is_protected(&policy))
            .await?;
    // Spec §6.6: staff except read-only, the product, the license itself, and its
    // owner or attached users when the license is not protected.
    if !latchkey_core::access::licenses::may_check_out(&principal.actor(), &facts) {
        return Err(ApiError::forbidden("not allowed to check out this license"));
    }
    let Options {
        algorithm,
        ttl,
        includes,
    } = options(query, body, policy.scheme.as_deref(), INCLUDES)?;
    let issued = state.now_ms();
    let mut included = Included::default();
    let names: Vec<&str> = includes.iter().map(String::as_str).collect();
    add_for_license(&mut included, state, account, &license, &policy, &names).await?;
    let data = crate::api::v1::licenses::render(state, account, &license, &policy).await?;
    let certificate = seal(
        state,
        account,
        CertificateKind::License,
        data,
        included,
        &FileSecret::for_license(&license.key),
        (issued, ttl, algorithm),
    )?;
    latchkey_store::checkouts::license_checked_out(&state.db, &license.id, issued).await?;
    Ok(CheckedOut {
        kind: "license-files",
        certificate,
        issued_ms: issued,
        ttl,
        algorithm,
        includes,
        relationships: vec![("license", "licenses", license.id.clone())],
        file_stem: license.id,
    })
}

/// `POST /licenses/{id}/actions/check-out`
pub async fn post(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    query: QueryParams,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let file = check_out(&state, &account, &principal, &id, &query, Some(&body)).await?;
    Ok(Document::ok(file.resource(&account)))
}

/// `GET /licenses/{id}/actions/check-out`
pub async fn get(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let file = check_out(&state, &account, &principal, &id, &query, None).await?;
    Ok(file.download())
}
