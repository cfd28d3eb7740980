//! Release artifacts (`/artifacts`): create answers `307` with a signed upload URL
//! (the client `PUT`s the bytes there, see [`blob`]); show answers `303` to a signed
//! download URL (`200` + `Location` under `Prefer: no-redirect`, no URL under
//! `Prefer: no-download`) once the caller passes the release's download gate.

pub mod blob;
pub mod engines;
mod lists;

pub use lists::{index, of_release, product_artifacts};

use crate::account::Account;
use crate::api::v1::releases::{self as release_api, gate};
use crate::api::v1::serialize::single;
use crate::api::v1::serializers::releases as serializer;
use crate::auth::{Auth, Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid, missing};
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use crate::storage::{self, Checksum, Stored};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use latchkey_core::access::releases as access;
use latchkey_core::lifecycle::FirstEvent;
use latchkey_proto::ErrorCode;
use latchkey_store::artifacts::{self, ArtifactRow, FilenameTaken};
use serde_json::json;

/// Loads an artifact the caller sees, else 404.
pub async fn load(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    id: &str,
) -> ApiResult<ArtifactRow> {
    let actor = principal.map(Principal::actor);
    let scope = || artifacts::visible_to(actor.as_ref()).into_iter().collect();
    if let Some(row) = artifacts::find_visible(&state.db, account.id(), id, scope()).await? {
        return Ok(row);
    }
    let unscoped = artifacts::find_visible(&state.db, account.id(), id, vec![]);
    let settled = settle_hidden(state, unscoped).await?;
    let row = match settled {
        true => artifacts::find_visible(&state.db, account.id(), id, scope()).await?,
        false => None,
    };
    row.ok_or_else(|| ApiError::not_found("artifact", id))
}

/// Licensees see UPLOADED artifacts only: with S3 storage, a WAITING (or FAILED,
/// perhaps uploaded again) artifact they look for is settled first (see [`settle`]).
/// True when one was settled.
async fn settle_hidden(
    state: &AppState,
    unscoped: impl std::future::Future<Output = latchkey_store::Result<Option<ArtifactRow>>>,
) -> ApiResult<bool> {
    if state.config.artifacts.s3.is_none() {
        return Ok(false);
    }
    match unscoped.await? {
        Some(row) if unsettled(&row) => {
            settle(state, row).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Whether an artifact's bytes may still arrive: WAITING, or FAILED (a failed
/// settlement deleted the object, so one in the bucket is a new upload).
fn unsettled(row: &ArtifactRow) -> bool {
    row.status == "WAITING" || row.status == "FAILED"
}

/// How many unsettled artifacts one list request settles at most (each is a HEAD,
/// plus one streamed read when it arrived with a checksum).
const SETTLE_PER_LIST: i64 = 16;

/// Before a list or an engine reads artifacts matching `filters`: with S3 storage,
/// settles the newest unsettled ones among them of releases the caller sees (whatever
/// their status: licensees' lists show UPLOADED artifacts only), so a list shows what
/// the bucket holds. A bucket that cannot be reached leaves them as they are (the
/// list still answers).
pub(crate) async fn settle_listed(
    state: &AppState,
    account_id: &str,
    principal: Option<&Principal>,
    mut filters: Vec<latchkey_store::crud::Filter>,
) -> ApiResult<()> {
    if state.config.artifacts.s3.is_none() {
        return Ok(());
    }
    let actor = principal.map(Principal::actor);
    filters.extend(artifacts::of_releases_seen_by(actor.as_ref()));
    let rows = artifacts::unsettled(&state.db, account_id, filters, SETTLE_PER_LIST).await?;
    for row in rows {
        let id = row.id.clone();
        if let Err(error) = settle(state, row).await {
            tracing::warn!(artifact = %id, ?error, "settling a listed artifact");
        }
    }
    Ok(())
}

/// `http(s)://host` for signed URLs: the configured public URL, else the request's
/// Host header.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.artifacts.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

fn now_secs(state: &AppState) -> i64 {
    state.now().unix_timestamp()
}

/// `POST /artifacts`: 307 to the signed upload URL.
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut input = Input::parse(&body, "artifacts")?;
    let filename = input.string("filename", 255)?;
    let filetype = input.string("filetype", 64)?.value();
    let filesize = input.integer("filesize")?.value();
    let platform = input.string("platform", 64)?.value();
    let arch = input.string("arch", 64)?.value();
    let checksum = input.string("checksum", 1024)?.value();
    let signature = input.string("signature", 4096)?.value();
    let metadata = input.metadata()?.value().unwrap_or_else(|| "{}".into());
    let release = input.relationship("release")?;
    input.finish()?;
    let Field::Value(filename) = filename else {
        return Err(missing("filename"));
    };
    if filename.is_empty() || filename.contains('\0') {
        return Err(missing("filename"));
    }
    if let Some(size) = filesize
        && (size < 0 || u64::try_from(size).unwrap_or(u64::MAX) > state.config.artifacts.max_bytes)
    {
        return Err(invalid(
            "filesize",
            "must be between 0 and the server's artifact size limit",
        ));
    }
    if let Some(checksum) = &checksum
        && Checksum::parse(checksum).is_none()
    {
        return Err(invalid(
            "checksum",
            "must be a hex or base64 SHA-256 or SHA-512 digest",
        ));
    }
    let Field::Value(release_id) = release else {
        return Err(missing("release"));
    };
    let release = release_api::load(&state, &account, Some(&principal), &release_id)
        .await
        .map_err(|_| {
            ApiError::unprocessable(ErrorCode::NotFound, "must exist")
                .pointer("/data/relationships/release")
        })?;
    if !access::may_write(&principal.actor(), &release.product_id) {
        return Err(ApiError::forbidden(
            "not allowed to upload artifacts for this release",
        ));
    }
    let now = state.now_ms();
    let row = ArtifactRow {
        id: latchkey_store::new_id(),
        account_id: account.id().to_owned(),
        product_id: release.product_id.clone(),
        release_id: release.id.clone(),
        filename,
        filetype: filetype.map(|t| t.trim_start_matches('.').to_ascii_lowercase()),
        filesize,
        platform: platform.map(|p| p.to_ascii_lowercase()),
        arch: arch.map(|a| a.to_ascii_lowercase()),
        signature,
        checksum,
        status: "WAITING".into(),
        metadata,
        created_at: now,
        updated_at: now,
    };
    artifacts::create(&state.db, &row)
        .await?
        .map_err(|FilenameTaken| {
            ApiError::unprocessable(ErrorCode::Taken, "filename already exists")
                .pointer("/data/attributes/filename")
        })?;
    let url = storage::upload_url(
        &state,
        &base_url(&state, &headers),
        account.id(),
        &row.id,
        now_secs(&state),
    )
    .await
    .map_err(ApiError::unavailable)?;
    let mut data = serializer::artifact(&account, &row);
    data["links"]["redirect"] = json!(url);
    Ok(Document::located(
        StatusCode::TEMPORARY_REDIRECT,
        single(data),
        url,
    ))
}

/// With S3 storage, a WAITING artifact whose object has arrived in the bucket is
/// verified now and becomes UPLOADED or FAILED (local uploads are verified as they
/// stream, see `blob`). A FAILED one whose object is back (uploaded again to its
/// upload URL; the failed settlement deleted the first) is verified the same way.
async fn settle(state: &AppState, mut artifact: ArtifactRow) -> ApiResult<ArtifactRow> {
    let Some(bucket) = &state.config.artifacts.s3 else {
        return Ok(artifact);
    };
    if !unsettled(&artifact) {
        return Ok(artifact);
    }
    let checksum = artifact.checksum.as_deref().and_then(Checksum::parse);
    let filesize = artifact.filesize.and_then(|s| u64::try_from(s).ok());
    let verdict = bucket
        .inspect(
            state.config.artifacts.max_bytes,
            &artifact.account_id,
            &artifact.id,
            filesize,
            checksum.as_ref(),
        )
        .await
        .map_err(ApiError::unavailable)?;
    let (status, size) = match verdict {
        None => return Ok(artifact),
        Some(Stored::Verified(size)) => ("UPLOADED", i64::try_from(size).ok()),
        Some(Stored::Mismatch | Stored::TooLarge) => ("FAILED", None),
    };
    let now = state.now_ms();
    let from = artifact.status.clone();
    if artifacts::transition(&state.db, &artifact.id, &from, status, size, now).await? {
        artifact.status = status.to_owned();
        if size.is_some() {
            artifact.filesize = size;
        }
        artifact.updated_at = now;
        return Ok(artifact);
    }
    // Settled concurrently: read what the other request decided.
    artifacts::find_visible(&state.db, &artifact.account_id, &artifact.id, vec![])
        .await?
        .ok_or_else(|| ApiError::not_found("artifact", &artifact.id))
}

/// The download answer for an artifact the caller sees (see module docs).
pub(crate) async fn download(
    state: &AppState,
    account: &Account,
    principal: Option<&Principal>,
    headers: &HeaderMap,
    artifact: ArtifactRow,
) -> ApiResult<Document> {
    let release = release_api::load(state, account, principal, &artifact.release_id).await?;
    gate::check(state, principal, &release).await?;
    let artifact = settle(state, artifact).await?;
    let mut data = serializer::artifact(account, &artifact);
    let prefer = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if prefer.contains("no-download") || artifact.status != "UPLOADED" {
        return Ok(Document::ok(single(data)));
    }
    if let Some(Principal {
        bearer: Bearer::License(license, policy),
        ..
    }) = principal
    {
        let mut license = (**license).clone();
        crate::api::v1::licenses::lifecycle::start_expiry(
            state,
            &mut license,
            policy,
            FirstEvent::Download,
        )
        .await?;
    }
    artifacts::announce_download(&state.db, &artifact, state.now_ms()).await?;
    let url = storage::download_url(
        state,
        &base_url(state, headers),
        account.id(),
        &artifact.id,
        now_secs(state),
    )
    .await
    .map_err(ApiError::unavailable)?;
    data["links"]["redirect"] = json!(url);
    let status = if prefer.contains("no-redirect") {
        StatusCode::OK
    } else {
        StatusCode::SEE_OTHER
    };
    Ok(Document::located(status, single(data), url))
}

/// `GET /artifacts/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let artifact = load(&state, &account, principal.as_ref(), &id).await?;
    download(&state, &account, principal.as_ref(), &headers, artifact).await
}

/// `GET /artifacts/{id}/{filename}` (the filename is decorative, as in Keygen).
pub async fn show_named(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    headers: HeaderMap,
    Path((id, _filename)): Path<(String, String)>,
) -> ApiResult<Document> {
    let artifact = load(&state, &account, principal.as_ref(), &id).await?;
    download(&state, &account, principal.as_ref(), &headers, artifact).await
}

/// `GET /releases/{id}/artifacts/{artifact}` (artifact = id or filename): the
/// SDKs' download route.
pub async fn of_release_show(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    headers: HeaderMap,
    Path((id, artifact)): Path<(String, String)>,
) -> ApiResult<Document> {
    let release = release_api::load(&state, &account, principal.as_ref(), &id).await?;
    let actor = principal.as_ref().map(Principal::actor);
    let scope = || artifacts::visible_to(actor.as_ref()).into_iter().collect();
    let find =
        |scope| artifacts::find_in_release(&state.db, account.id(), &release.id, &artifact, scope);
    let mut row = find(scope()).await?;
    if row.is_none() && settle_hidden(&state, find(vec![])).await? {
        row = find(scope()).await?;
    }
    let row = row.ok_or_else(|| ApiError::not_found("artifact", &artifact))?;
    download(&state, &account, principal.as_ref(), &headers, row).await
}

/// `GET /releases/{id}/artifact` (API 1.0, when a release had one artifact): the
/// download of the release's first artifact the caller sees.
pub async fn of_release_single(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let release = release_api::load(&state, &account, principal.as_ref(), &id).await?;
    let actor = principal.as_ref().map(Principal::actor);
    let filters = vec![latchkey_store::crud::Filter::eq(
        "release_id",
        release.id.as_str(),
    )];
    settle_listed(&state, account.id(), principal.as_ref(), filters.clone()).await?;
    let page = latchkey_store::page::Page::Limit(1);
    let (rows, _) = artifacts::list(
        &state.db,
        account.id(),
        filters,
        actor.as_ref(),
        &page,
        latchkey_store::page::Order::Asc,
    )
    .await?;
    let row = rows
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("artifact", &id))?;
    download(&state, &account, principal.as_ref(), &headers, row).await
}

/// `PATCH /artifacts/{id}`: `signature` and `metadata` at any time; `filesize` and
/// `checksum` only until the bytes are verified (they are what the upload is checked
/// against).
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut row = load(&state, &account, Some(&principal), &id).await?;
    if !access::may_write(&principal.actor(), &row.product_id) {
        return Err(ApiError::forbidden("not allowed to update this artifact"));
    }
    let mut input = Input::parse(&body, "artifacts")?;
    let filesize = input.integer("filesize")?;
    let checksum = input.string("checksum", 1024)?;
    let signature = input.string("signature", 4096)?;
    let metadata = input.metadata()?;
    input.finish()?;
    let verified = row.status == "UPLOADED";
    for (name, field_absent) in [
        ("filesize", matches!(filesize, Field::Absent)),
        ("checksum", matches!(checksum, Field::Absent)),
    ] {
        if verified && !field_absent {
            return Err(invalid(name, "cannot change once the artifact is uploaded"));
        }
    }
    match filesize {
        Field::Absent => {}
        Field::Null => row.filesize = None,
        Field::Value(size) => {
            if size < 0
                || u64::try_from(size).unwrap_or(u64::MAX) > state.config.artifacts.max_bytes
            {
                return Err(invalid(
                    "filesize",
                    "must be between 0 and the server's artifact size limit",
                ));
            }
            row.filesize = Some(size);
        }
    }
    match checksum {
        Field::Absent => {}
        Field::Null => row.checksum = None,
        Field::Value(text) => {
            if Checksum::parse(&text).is_none() {
                return Err(invalid(
                    "checksum",
                    "must be a hex or base64 SHA-256 or SHA-512 digest",
                ));
            }
            row.checksum = Some(text);
        }
    }
    match signature {
        Field::Absent => {}
        Field::Null => row.signature = None,
        Field::Value(text) => row.signature = Some(text),
    }
    match metadata {
        Field::Absent => {}
        Field::Null => row.metadata = "{}".into(),
        Field::Value(text) => row.metadata = text,
    }
    row.updated_at = state.now_ms();
    if !artifacts::save(&state.db, &row).await? {
        return Err(ApiError::not_found("artifact", &id));
    }
    Ok(Document::ok(single(serializer::artifact(&account, &row))))
}

/// `DELETE /artifacts/{id}` (the file too).
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &account, Some(&principal), &id).await?;
    if !access::may_write(&principal.actor(), &row.product_id) {
        return Err(ApiError::forbidden("not allowed to delete this artifact"));
    }
    artifacts::delete(&state.db, account.id(), &row.id, state.now_ms()).await?;
    storage::remove(&state.config.artifacts, account.id(), &row.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(no_content())
}
