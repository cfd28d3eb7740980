//! `POST /releases/{id}/actions/publish|yank` and the upgrade check
//! (`GET /releases/{id}/upgrade`, `GET /releases/actions/upgrade` for API 1.0).

use super::{gate, load, load_for_write, serializer, set_status};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Auth, Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_core::releases::{Candidate, Channel, Constraint, Status, parse_version, upgrade};
use latchkey_proto::ErrorCode;
use latchkey_store::releases::{self, ReleaseRow};

async fn change_status(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
    status: Status,
) -> ApiResult<Document> {
    let (verb, event) = match status {
        Status::Yanked => ("yank", "release.yanked"),
        _ => ("publish", "release.published"),
    };
    let mut row = load_for_write(state, account, principal, id, verb).await?;
    let now = state.now_ms();
    set_status(&mut row, status.as_str(), now);
    row.updated_at = now;
    releases::save(&state.db, &row, event)
        .await?
        .map_err(|_| ApiError::conflict("the release changed; try again"))?;
    Ok(Document::ok(single(serializer::release(account, &row))))
}

/// `POST /releases/{id}/actions/publish`
pub async fn publish(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    change_status(&state, &account, &principal, &id, Status::Published).await
}

/// `POST /releases/{id}/actions/yank`
pub async fn yank(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    change_status(&state, &account, &principal, &id, Status::Yanked).await
}

fn no_upgrade() -> ApiError {
    ApiError::not_found_detail("upgrade not available")
}

/// The newest release above `current` the caller may download, per the query's
/// `channel` (default: the current release's), `constraint` and `package`.
async fn find_upgrade(
    state: &AppState,
    principal: Option<&Principal>,
    current: &ReleaseRow,
    query: &QueryParams,
) -> ApiResult<ReleaseRow> {
    let channel: Channel = match query.get("channel") {
        Some(c) => c.parse().map_err(|_| {
            ApiError::bad_request("channel is invalid")
                .code(ErrorCode::ParameterInvalid)
                .parameter("channel")
        })?,
        None => current.channel.parse().unwrap_or(Channel::Stable),
    };
    let constraint = match query.get("constraint") {
        Some(text) => Some(Constraint::parse(text).ok_or_else(|| {
            ApiError::bad_request("constraint is invalid")
                .code(ErrorCode::ParameterInvalid)
                .parameter("constraint")
        })?),
        None => None,
    };
    let version = parse_version(&current.version).ok_or_else(no_upgrade)?;
    let actor = principal.map(Principal::actor);
    let rows = releases::published_for(
        &state.db,
        &current.account_id,
        &current.product_id,
        current.package_id.as_deref(),
        actor.as_ref(),
    )
    .await?;
    let mut candidates: Vec<Candidate<'_>> = rows
        .iter()
        .filter(|r| r.id != current.id)
        .filter_map(|r| {
            Some(Candidate {
                id: &r.id,
                version: parse_version(&r.version)?,
                channel: r.channel.parse().ok()?,
            })
        })
        .collect();
    // Newest first, skipping releases the caller may not download (e.g. outside an
    // expired license's window).
    while let Some(best) = upgrade(&version, channel, constraint.as_ref(), &candidates) {
        let best_id = best.id.to_owned();
        let Some(row) = rows.iter().find(|r| r.id == best_id) else {
            break;
        };
        if gate::check(state, principal, row).await.is_ok() {
            return Ok(row.clone());
        }
        candidates.retain(|c| c.id != best_id);
    }
    Err(no_upgrade())
}

/// `GET /releases/{id}/upgrade` (id = the current version, tag or id; `product`
/// and `package` narrow the lookup).
pub async fn upgrade_release(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Document> {
    let current = current_release(&state, &account, principal.as_ref(), &id, &query).await?;
    let next = find_upgrade(&state, principal.as_ref(), &current, &query).await?;
    Ok(Document::ok(single(serializer::release(&account, &next))))
}

/// `GET /releases/actions/upgrade?version=…&product=…` (API 1.0).
pub async fn upgrade_legacy(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    query: QueryParams,
) -> ApiResult<Document> {
    let Some(version) = query.get("version").map(str::to_owned) else {
        return Err(ApiError::bad_request("version is missing")
            .code(ErrorCode::ParameterInvalid)
            .parameter("version"));
    };
    let current = current_release(&state, &account, principal.as_ref(), &version, &query).await?;
    let next = find_upgrade(&state, principal.as_ref(), &current, &query).await?;
    Ok(Document::ok(single(serializer::release(&account, &next))))
}

async fn current_release(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    id: &str,
    query: &QueryParams,
) -> ApiResult<ReleaseRow> {
    let actor = principal.map(Principal::actor);
    let mut scope: Vec<_> = releases::visible_to(actor.as_ref()).into_iter().collect();
    if let Some(product) = query.get("product") {
        scope.push(latchkey_store::crud::Filter::eq("product_id", product));
    }
    if let Some(package) = query.get("package") {
        scope.push(latchkey_store::crud::Filter::new(
            "package_id IN (SELECT id FROM release_packages WHERE id = {} OR key = {})",
            vec![package.into(), package.into()],
        ));
    }
    if scope.is_empty() {
        return load(state, account, principal, id).await;
    }
    releases::find_visible(&state.db, account.id(), id, scope)
        .await?
        .ok_or_else(|| ApiError::not_found("release", id))
}
