//! Request bodies are read completely, within the body timeout and the size limit,
//! before any handler runs: a client trickling its body is answered 408
//! `REQUEST_TIMEOUT` (and its connection closed) instead of holding a task forever.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http_body::Body as _;
use latchkey_proto::ErrorCode;

/// Why a body could not be buffered.
enum Failure {
    TooLarge,
    Unreadable,
}

async fn collect(body: Body, max: usize) -> Result<Bytes, Failure> {
    if body.size_hint().lower() > max as u64 {
        return Err(Failure::TooLarge);
    }
    let mut stream = body.into_data_stream();
    let mut buffer = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Failure::Unreadable)?;
        if buffer.len() + chunk.len() > max {
            return Err(Failure::TooLarge);
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buffer))
}

/// Middleware: buffers the body under the deadline (see module docs).
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let read = collect(body, state.config.max_body_bytes);
    match tokio::time::timeout(state.config.body_timeout, read).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(Failure::TooLarge)) => ApiError::too_large().into_response(),
        Ok(Err(Failure::Unreadable)) => ApiError::bad_request("The request body could not be read")
            .code(ErrorCode::JsonInvalid)
            .into_response(),
        Err(_) => {
            tracing::info!(path = %parts.uri.path(), "request body timed out");
            ApiError::request_timeout().into_response()
        }
    }
}
