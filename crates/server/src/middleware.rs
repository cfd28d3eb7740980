//! Cross-cutting HTTP behaviour: content negotiation (Keygen §5.2), the JSON:API
//! 404/405 fallbacks, and panic-free error shaping for rejections.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_proto::ErrorCode;

const ACCEPTED: &[&str] = &[
    "application/vnd.api+json",
    "application/vnd.keygen+json",
    "application/json",
    "application/octet-stream",
    "*/*",
    "*",
    "application/*",
];

fn acceptable(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let media = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        media.is_empty() || ACCEPTED.contains(&media.as_str())
    })
}

/// Rejects unsupported `Accept` headers, answers `application/json` to clients that
/// prefer it, and adds Keygen's standard headers.
pub async fn negotiate(State(_state): State<AppState>, request: Request, next: Next) -> Response {
    // Prometheus scrapers ask for the text exposition format, which is not JSON:API.
    if request.uri().path() == crate::telemetry::PATH {
        return next.run(request).await;
    }
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(accept) = &accept
        && !acceptable(accept)
    {
        return ApiError::bad_request(format!("The content type of the request is not acceptable (unsupported Accept header '{accept}')"))
            .code(ErrorCode::MimeTypeInvalid)
            .header("Accept")
            .into_response();
    }
    let wants_plain_json = accept.as_deref().is_some_and(|a| {
        a.split(',')
            .next()
            .is_some_and(|first| first.trim().starts_with("application/json"))
    });
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if wants_plain_json
        && headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|ct| ct == latchkey_proto::jsonapi::MEDIA_TYPE)
    {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-transform, no-store, max-age=0"),
    );
    headers.insert("keygen-version", HeaderValue::from_static("1.8"));
    headers.insert("keygen-edition", HeaderValue::from_static("CE"));
    response
}

/// Unknown routes: JSON:API 404 (a wrong method on a known route is a 405, see routes.rs).
pub async fn fallback() -> Response {
    ApiError::route_not_found().into_response()
}
