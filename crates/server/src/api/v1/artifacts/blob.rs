//! The signed storage URLs Latchkey serves itself for local artifact storage
//! (`PUT|GET /storage/{account}/artifacts/{id}?expires=…&signature=…`). They sit
//! outside the API's buffering and signing layers so bytes stream both ways; the
//! URL's signature is the only credential (see `crate::storage`).

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::storage::{self, Checksum, Op, Refusal, Stored};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_store::artifacts::{self, ArtifactRow};
use serde::Deserialize;

#[derive(Deserialize)]
struct Signed {
    expires: i64,
    signature: String,
}

async fn authorize(
    state: &AppState,
    op: Op,
    account: &str,
    id: &str,
    query: Option<String>,
) -> ApiResult<ArtifactRow> {
    if state.config.artifacts.s3.is_some() {
        // Artifacts live in the bucket: these URLs are never handed out.
        return Err(ApiError::not_found("artifact", id));
    }
    let signed: Signed = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|_| ApiError::forbidden("signature is missing"))?;
    match storage::verify(
        state,
        op,
        account,
        id,
        signed.expires,
        &signed.signature,
        state.now().unix_timestamp(),
    ) {
        Ok(()) => {}
        Err(Refusal::Invalid) => return Err(ApiError::forbidden("signature is invalid")),
        Err(Refusal::Expired) => return Err(ApiError::forbidden("signature is expired")),
    }
    artifacts::find_visible(&state.db, account, id, vec![])
        .await?
        .ok_or_else(|| ApiError::not_found("artifact", id))
}

/// `PUT /storage/{account}/artifacts/{id}`: streams the bytes to disk; the artifact
/// becomes UPLOADED when size and checksum match, FAILED otherwise (422, or 413 past
/// the size limit).
pub async fn upload(
    State(state): State<AppState>,
    Path((account, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let artifact = authorize(&state, Op::Upload, &account, &id, query).await?;
    let from = artifact.status.as_str();
    if from != "WAITING" && from != "FAILED" {
        return Err(ApiError::conflict("the artifact is already uploaded"));
    }
    let checksum = artifact.checksum.as_deref().and_then(Checksum::parse);
    let filesize = artifact.filesize.and_then(|s| u64::try_from(s).ok());
    let stored = storage::store(
        &state.config.artifacts,
        &account,
        &id,
        body,
        filesize,
        checksum.as_ref(),
    )
    .await
    .map_err(ApiError::internal)?;
    let now = state.now_ms();
    match stored {
        Stored::Verified(size) => {
            let size = i64::try_from(size).unwrap_or(i64::MAX);
            if !artifacts::transition(&state.db, &id, from, "UPLOADED", Some(size), now).await? {
                return Err(ApiError::conflict("the artifact changed during the upload"));
            }
            Ok(StatusCode::OK.into_response())
        }
        Stored::Mismatch => {
            artifacts::transition(&state.db, &id, from, "FAILED", None, now).await?;
            Err(ApiError::unprocessable(
                latchkey_proto::ErrorCode::ParameterInvalid,
                "the uploaded bytes do not match the artifact's filesize or checksum",
            ))
        }
        Stored::TooLarge => {
            artifacts::transition(&state.db, &id, from, "FAILED", None, now).await?;
            Err(ApiError::too_large())
        }
    }
}

/// `GET /storage/{account}/artifacts/{id}`: streams an UPLOADED artifact.
pub async fn download(
    State(state): State<AppState>,
    Path((account, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let artifact = authorize(&state, Op::Download, &account, &id, query).await?;
    if artifact.status != "UPLOADED" {
        return Err(ApiError::not_found("artifact", &id));
    }
    let (body, len) = storage::open(&state.config.artifacts, &account, &id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("artifact", &id))?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let safe: String = artifact
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
