//! `GET /metrics`: the Prometheus text document. On the API address it needs
//! `Authorization: Bearer <metrics_token>` (compared in constant time); without a
//! configured token the route answers 404, as an unknown route does. `metrics_listen`
//! serves the same document on its own address, without a token, and nothing else.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use latchkey_proto::ErrorCode;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The exposition format's media type.
pub const CONTENT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics` on the API address.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.config.metrics.token.as_deref() else {
        return ApiError::route_not_found().into_response();
    };
    if let Err(error) = authorize(&headers, token) {
        return error.into_response();
    }
    document(&state)
}

/// `GET /metrics` on `metrics_listen` (a private address: no token).
async fn open_scrape(State(state): State<AppState>) -> Response {
    document(&state)
}

fn document(state: &AppState) -> Response {
    let text = super::render(state);
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(CONTENT)),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        text,
    )
        .into_response()
}

/// The bearer must be the configured token. Both sides are hashed first, so the
/// comparison takes the same time whatever the lengths and contents.
fn authorize(headers: &HeaderMap, token: &str) -> Result<(), ApiError> {
    let missing = || {
        ApiError::unauthorized(
            ErrorCode::TokenMissing,
            "The metrics token is required (Authorization: Bearer <metrics_token>)",
        )
        .header("Authorization")
    };
    let value = headers
        .get(AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| invalid())?
        .trim();
    let (scheme, given) = value.split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(invalid());
    }
    let given = given.trim();
    if given.is_empty() {
        return Err(missing());
    }
    let same = Sha256::digest(given.as_bytes()).ct_eq(&Sha256::digest(token.as_bytes()));
    if bool::from(same) {
        Ok(())
    } else {
        Err(invalid())
    }
}

fn invalid() -> ApiError {
    ApiError::unauthorized(ErrorCode::TokenInvalid, "The metrics token is invalid")
        .header("Authorization")
}

/// The application of the `metrics_listen` address: `/metrics` only, every other
/// path a JSON:API 404, each answer with its `X-Request-Id`.
pub fn app(state: AppState) -> crate::net::App {
    use tower::Layer;
    let router = Router::new()
        .route(super::PATH, axum::routing::get(open_scrape))
        .fallback(crate::middleware::fallback)
        .with_state(state);
    crate::net::App::new(axum::middleware::from_fn(crate::request_id::layer).layer(router))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(AUTHORIZATION, value);
        }
        headers
    }

    fn code(result: Result<(), ApiError>) -> Option<String> {
        result.err().and_then(|e| e.to_object().code)
    }

    #[test]
    fn only_the_configured_bearer_passes() {
        let token = "0123456789abcdef-metrics";
        assert!(authorize(&with("Bearer 0123456789abcdef-metrics"), token).is_ok());
        assert!(authorize(&with("bearer  0123456789abcdef-metrics "), token).is_ok());
        assert_eq!(
            code(authorize(&HeaderMap::new(), token)).as_deref(),
            Some("TOKEN_MISSING")
        );
        assert_eq!(
            code(authorize(&with("Bearer "), token)).as_deref(),
            Some("TOKEN_INVALID")
        );
        for wrong in [
            "Bearer 0123456789abcdef-metricz",
            "Bearer 0123456789abcdef",
            "Basic 0123456789abcdef-metrics",
            "0123456789abcdef-metrics",
        ] {
            assert_eq!(
                code(authorize(&with(wrong), token)).as_deref(),
                Some("TOKEN_INVALID"),
                "{wrong}"
            );
        }
    }
}
