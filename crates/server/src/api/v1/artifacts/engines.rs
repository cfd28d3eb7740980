//! Package-manager engines over releases: `raw` (a stable download path per
//! product, package, release and artifact) and the Tauri updater feed
//! (`/engines/tauri/{package}`), which desktop apps poll for updates.

use crate::account::Account;
use crate::api::v1::releases::gate;
use crate::auth::{Auth, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::jsonapi::query::QueryParams;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_core::releases::{Candidate, Channel, parse_version, upgrade};
use latchkey_proto::ErrorCode;
use latchkey_store::crud::Filter;
use latchkey_store::packages::PackageRow;
use latchkey_store::{artifacts, releases};
use serde_json::json;

async fn release_in(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    product: &str,
    package: Option<&PackageRow>,
    release: &str,
) -> ApiResult<latchkey_store::releases::ReleaseRow> {
    let actor = principal.map(Principal::actor);
    let mut scope: Vec<Filter> = releases::visible_to(actor.as_ref()).into_iter().collect();
    scope.push(Filter::new(
        "product_id IN (SELECT id FROM products WHERE id = {} OR code = {})",
        vec![product.into(), product.into()],
    ));
    scope.push(Filter::new(
        "COALESCE(package_id, '') = {}",
        vec![package.map(|p| p.id.clone()).unwrap_or_default().into()],
    ));
    releases::find_visible(&state.db, account.id(), release, scope)
        .await?
        .ok_or_else(|| ApiError::not_found("release", release))
}

async fn raw(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    headers: &HeaderMap,
    (product, package, release, artifact): (&str, Option<&str>, &str, &str),
) -> ApiResult<Document> {
    let package = match package {
        None => None,
        Some(key) => {
            let key = key
                .strip_prefix('@')
                .ok_or_else(|| ApiError::not_found("package", key))?;
            Some(crate::api::v1::packages::load(state, account, principal, key).await?)
        }
    };
    let release = release_in(
        state,
        account,
        principal,
        product,
        package.as_ref(),
        release,
    )
    .await?;
    let in_release = Filter::eq("release_id", release.id.as_str());
    super::settle_listed(state, account.id(), principal, vec![in_release]).await?;
    let actor = principal.map(Principal::actor);
    let scope = artifacts::visible_to(actor.as_ref()).into_iter().collect();
    let row = artifacts::find_in_release(&state.db, account.id(), &release.id, artifact, scope)
        .await?
        .ok_or_else(|| ApiError::not_found("artifact", artifact))?;
    super::download(state, account, principal, headers, row).await
}

/// `GET /engines/raw/{product}/{release}/{artifact}`
pub async fn raw_download(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    headers: HeaderMap,
    Path((product, release, artifact)): Path<(String, String, String)>,
) -> ApiResult<Document> {
    let target = (product.as_str(), None, release.as_str(), artifact.as_str());
    raw(&state, &account, principal.as_ref(), &headers, target).await
}

/// `GET /engines/raw/{product}/@{package}/{release}/{artifact}`
pub async fn raw_package_download(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    headers: HeaderMap,
    Path((product, package, release, artifact)): Path<(String, String, String, String)>,
) -> ApiResult<Document> {
    let target = (
        product.as_str(),
        Some(package.as_str()),
        release.as_str(),
        artifact.as_str(),
    );
    raw(&state, &account, principal.as_ref(), &headers, target).await
}

fn required<'q>(query: &'q QueryParams, name: &str) -> ApiResult<&'q str> {
    query.get(name).ok_or_else(|| {
        ApiError::bad_request(format!("{name} is missing"))
            .code(ErrorCode::ParameterInvalid)
            .parameter(name)
    })
}

/// `GET /engines/tauri/{package}?platform=…&arch=…&version=…[&channel=…]`: the
/// Tauri updater document for the newest release above `version` with an artifact
/// for the platform and arch (204 when there is none).
pub async fn tauri(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    headers: HeaderMap,
    Path(package): Path<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let principal = principal.as_ref();
    let package = crate::api::v1::packages::load(&state, &account, principal, &package).await?;
    let platform = query
        .get("platform")
        .or(query.get("target"))
        .unwrap_or_default();
    let platform = if platform.is_empty() {
        required(&query, "platform")?
    } else {
        platform
    };
    let arch = required(&query, "arch")?;
    let current = parse_version(required(&query, "version")?).ok_or_else(|| {
        ApiError::bad_request("version is invalid")
            .code(ErrorCode::ParameterInvalid)
            .parameter("version")
    })?;
    let channel: Channel = query
        .get("channel")
        .unwrap_or("stable")
        .parse()
        .map_err(|_| {
            ApiError::bad_request("channel is invalid")
                .code(ErrorCode::ParameterInvalid)
                .parameter("channel")
        })?;
    let actor = principal.map(Principal::actor);
    let rows = releases::published_for(
        &state.db,
        account.id(),
        &package.product_id,
        Some(&package.id),
        actor.as_ref(),
    )
    .await?;
    let mut candidates: Vec<Candidate<'_>> = rows
        .iter()
        .filter_map(|r| {
            Some(Candidate {
                id: &r.id,
                version: parse_version(&r.version)?,
                channel: r.channel.parse().ok()?,
            })
        })
        .collect();
    let scope: Vec<Filter> = artifacts::visible_to(actor.as_ref()).into_iter().collect();
    while let Some(best) = upgrade(&current, channel, None, &candidates) {
        let best_id = best.id.to_owned();
        let Some(release) = rows.iter().find(|r| r.id == best_id) else {
            break;
        };
        let wanted = vec![
            Filter::eq("release_id", release.id.as_str()),
            Filter::eq("platform", platform.to_ascii_lowercase()),
            Filter::eq("arch", arch.to_ascii_lowercase()),
        ];
        super::settle_listed(&state, account.id(), principal, wanted.clone()).await?;
        let mut filters = scope.clone();
        filters.extend(wanted);
        filters.push(Filter::new("status = 'UPLOADED'", vec![]));
        let page = latchkey_store::page::Page::Limit(1);
        let order = latchkey_store::page::Order::Desc;
        let (found, _) = artifacts::list(
            &state.db,
            account.id(),
            filters,
            actor.as_ref(),
            &page,
            order,
        )
        .await?;
        let allowed = gate::check(&state, principal, release).await.is_ok();
        if let (Some(artifact), true) = (found.first(), allowed) {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            let base = match &state.config.artifacts.public_url {
                Some(url) => url.trim_end_matches('/').to_owned(),
                None if state.config.tls.is_some() => format!("https://{host}"),
                None => format!("http://{host}"),
            };
            let body = json!({
                "version": release.version,
                "notes": release.description.clone().unwrap_or_default(),
                "pub_date": serializer_date(release.released_at()),
                "url": format!("{base}{}/artifacts/{}/{}", account.base(), artifact.id, artifact.filename),
                "signature": artifact.signature.clone().unwrap_or_default(),
            });
            return Ok(axum::Json(body).into_response());
        }
        candidates.retain(|c| c.id != best_id);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn serializer_date(ms: i64) -> serde_json::Value {
    crate::api::v1::serialize::ts1(ms)
}
