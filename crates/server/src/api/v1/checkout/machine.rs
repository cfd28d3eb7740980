//! `GET|POST /machines/{id}/actions/check-out`: machine files, encrypted (when asked)
//! with the license key followed by the machine fingerprint.

use super::included::{Included, add_for_license, add_group, add_license, user};
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

/// What a machine file may include.
pub const INCLUDES: &[&str] = &[
    "license",
    "license.entitlements",
    "license.product",
    "license.policy",
    "license.owner",
    "license.users",
    "components",
    "environment",
    "group",
    "owner",
];

/// Spec §6.6: staff except read-only, the product, the machine's license, and users
/// owning the machine or its license when the license is not protected.
async fn may_check_out(
    state: &AppState,
    principal: &Principal,
    loaded: &crate::api::v1::machines::Loaded,
) -> ApiResult<bool> {
    let license = &loaded.license;
    let facts = crate::api::v1::licenses::facts(
        state,
        principal,
        license,
        license.is_protected(&loaded.policy),
    )
    .await?;
    Ok(latchkey_core::access::licenses::may_check_out_machine(
        &principal.actor(),
        &facts,
        loaded.machine.owner_id.as_deref(),
    ))
}

async fn check_out(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    query: &QueryParams,
    body: Option<&serde_json::Value>,
) -> ApiResult<CheckedOut> {
    let loaded = crate::api::v1::machines::load(state, account, principal, id).await?;
    if !may_check_out(state, principal, &loaded).await? {
        return Err(ApiError::forbidden("not allowed to check out this machine"));
    }
    let crate::api::v1::machines::Loaded {
        machine,
        license,
        policy,
    } = &loaded;
    let Options {
        algorithm,
        ttl,
        includes,
    } = options(query, body, policy.scheme.as_deref(), INCLUDES)?;
    let issued = state.now_ms();
    let mut included = Included::default();
    for name in &includes {
        match name.as_str() {
            "license" => add_license(&mut included, state, account, license, policy).await?,
            "group" => {
                add_group(&mut included, state, account, machine.group_id.as_deref()).await?
            }
            "owner" => {
                if let Some(u) = user(state, account, machine.owner_id.as_deref()).await? {
                    included.push(u);
                }
            }
            other => {
                if let Some(relative) = other.strip_prefix("license.") {
                    // Like Keygen, every resource on the path is included: the license
                    // itself too (once), so clients can resolve its relationships.
                    add_license(&mut included, state, account, license, policy).await?;
                    add_for_license(&mut included, state, account, license, policy, &[relative])
                        .await?;
                }
            }
        }
    }
    let data =
        crate::api::v1::serializers::machines::machine(account, machine, license, policy, issued);
    let certificate = seal(
        state,
        account,
        CertificateKind::Machine,
        data,
        included,
        &FileSecret::for_machine(&license.key, &machine.fingerprint),
        (issued, ttl, algorithm),
    )?;
    latchkey_store::checkouts::machine_checked_out(&state.db, &machine.id, issued).await?;
    Ok(CheckedOut {
        kind: "machine-files",
        certificate,
        issued_ms: issued,
        ttl,
        algorithm,
        includes: includes.clone(),
        relationships: vec![
            ("license", "licenses", license.id.clone()),
            ("machine", "machines", machine.id.clone()),
        ],
        file_stem: machine.id.clone(),
    })
}

/// `POST /machines/{id}/actions/check-out`
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

/// `GET /machines/{id}/actions/check-out`
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
