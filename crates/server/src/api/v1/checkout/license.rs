//! `GET|POST /licenses/{id}/actions/check-out`: license files.

use super::included::{Included, add_for_license};
use super::{CheckedOut, Options, options, seal};
use crate::account::Account;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_proto::offline::{CertificateKind, FileSecret};
use latchkey_store::licenses::LicenseRow;
use latchkey_store::policies::PolicyRow;
use latchkey_store::sql;

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

/// Spec §6.6: staff except read-only, the product, the license itself, and its owner or
/// attached users when the license is not protected.
async fn may_check_out(
    state: &AppState,
    principal: &Principal,
    license: &LicenseRow,
    policy: &PolicyRow,
) -> ApiResult<bool> {
    Ok(match &principal.bearer {
        Bearer::User(_, role) if role.is_staff() => principal.is_support_or_above(),
        Bearer::Product(p) => p.id == license.product_id,
        Bearer::License(l, _) => l.id == license.id,
        Bearer::User(u, _) => {
            !license.protected.unwrap_or(policy.protected)
                && crate::api::v1::licenses::user_has_license(state, &u.id, license).await?
        }
    })
}

async fn check_out(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    query: &QueryParams,
    body: Option<&serde_json::Value>,
) -> ApiResult<CheckedOut> {
    let (license, policy) = crate::api::v1::licenses::load(state, account, principal, id).await?;
    if !may_check_out(state, principal, &license, &policy).await? {
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
    state
        .db
        .execute(
            sql("UPDATE licenses SET last_check_out_at = $1 WHERE id = $2")
                .bind(issued)
                .bind(&license.id),
        )
        .await?;
    Ok(CheckedOut {
        kind: "license-files",
        certificate,
        issued_ms: issued,
        ttl,
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
