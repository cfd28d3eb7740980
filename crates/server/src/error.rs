//! `ApiError`: the one error type of the HTTP layer, rendered once as a JSON:API
//! error document with Keygen's titles, codes and sources. Internal failures are
//! logged with detail and answered with a generic 500.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_proto::ErrorCode;
use latchkey_proto::jsonapi::{ErrorDocument, ErrorObject};
use latchkey_store::StoreError;
use serde_json::json;

/// Where an error points.
#[derive(Debug, Clone)]
pub enum Source {
    /// `source.pointer` (JSON pointer into the request document).
    Pointer(String),
    /// `source.parameter` (query parameter).
    Parameter(String),
    /// `source.header`.
    Header(String),
}

/// An error answered to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Keygen's title for the status.
    pub title: &'static str,
    /// Explanation.
    pub detail: String,
    /// Stable code (an [`ErrorCode`]'s text; a `String` until every handler names an
    /// `ErrorCode`, see `ApiError::code`).
    pub code: Option<ErrorCode>,
    /// Location of the problem.
    pub source: Option<Source>,
    /// Seconds for a `Retry-After` header (503 while the database is busy).
    pub retry_after: Option<u64>,
}

/// `Retry-After` of a 503 answered while the database is busy, in seconds.
pub const BUSY_RETRY_AFTER_SECONDS: u64 = 2;

impl ApiError {
    fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title,
            detail: detail.into(),
            code: None,
            source: None,
            retry_after: None,
        }
    }

    /// Adds a code.
    pub fn code(mut self, code: ErrorCode) -> Self {
        self.code = Some(code);
        self
    }

    /// Points at a request document member.
    pub fn pointer(mut self, pointer: impl Into<String>) -> Self {
        self.source = Some(Source::Pointer(pointer.into()));
        self
    }

    /// Points at a query parameter.
    pub fn parameter(mut self, parameter: impl Into<String>) -> Self {
        self.source = Some(Source::Parameter(parameter.into()));
        self
    }

    /// Points at a header.
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.source = Some(Source::Header(name.into()));
        self
    }

    /// 400 Bad request.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    /// 401 Unauthorized.
    pub fn unauthorized(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail).code(code)
    }

    /// 403 Access denied with Keygen's default wording.
    pub fn forbidden(reason: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Access denied",
            format!("You do not have permission to complete the request ({reason})"),
        )
    }

    /// 404 for a model and the id the client asked for.
    pub fn not_found(model: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("The requested {model} '{id}' was not found"),
        )
        .code(ErrorCode::NotFound)
    }

    /// 404 with a free-form detail (e.g. Keygen's "upgrade not available").
    pub fn not_found_detail(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", detail).code(ErrorCode::NotFound)
    }

    /// 404 for an unknown route.
    pub fn route_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", "The requested endpoint was not found (check your HTTP method, Accept header, and URL path)")
            .code(ErrorCode::NotFound)
    }

    /// 405.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Not supported",
            "The requested HTTP method is not supported for this endpoint",
        )
        .code(ErrorCode::HttpMethodInvalid)
    }

    /// 409 Conflict.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", detail)
    }

    /// 422 Unprocessable resource.
    pub fn unprocessable(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable resource",
            detail,
        )
        .code(code)
    }

    /// 413.
    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request entity too large",
            "The request body is too large",
        )
        .code(ErrorCode::RequestTooLarge)
    }

    /// 429 with Keygen's throttle wording (the caller adds `Retry-After` and
    /// `X-RateLimit-*`).
    pub fn too_many_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            "Throttle limit has been reached for your IP address. Please slow down.",
        )
        .code(ErrorCode::TooManyRequests)
    }

    /// 408: the request body did not arrive within the body timeout.
    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "Request timeout",
            "The request body was not received in time",
        )
        .code(ErrorCode::RequestTimeout)
    }

    /// 500; the cause is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            "Looks like something went wrong! Our engineers have been notified.",
        )
    }

    /// 503 (database unavailable or overloaded).
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "service unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "The service is temporarily unavailable, please try again",
        )
    }

    /// 503 with `Retry-After` and code `DATABASE_BUSY`: the database stayed locked or
    /// overloaded past its timeout; the request may simply be sent again.
    pub fn busy(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "database busy");
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "The database is busy, please try again shortly",
        )
        .code(ErrorCode::DatabaseBusy);
        error.retry_after = Some(BUSY_RETRY_AFTER_SECONDS);
        error
    }

    /// The JSON:API error object.
    pub fn to_object(&self) -> ErrorObject {
        ErrorObject {
            title: self.title.to_owned(),
            detail: Some(self.detail.clone()),
            code: self.code.map(|c| c.as_str().to_owned()),
            source: self.source.as_ref().map(|s| match s {
                Source::Pointer(p) => json!({ "pointer": p }),
                Source::Parameter(p) => json!({ "parameter": p }),
                Source::Header(h) => json!({ "header": h }),
            }),
            links: None,
        }
    }
}

/// Store failures answer without the store's own words: a conflict is Keygen's 409, a
/// busy database a 503 with `Retry-After`, anything else a generic 500 (the cause,
/// driver names included, goes to the log only).
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Busy(_) => ApiError::busy(error),
            StoreError::Conflict(detail) => {
                tracing::warn!(%detail, "unique constraint conflict");
                ApiError::conflict("Conflict (a concurrent request changed this resource)")
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let document = ErrorDocument {
            meta: None,
            errors: vec![self.to_object()],
        };
        let body = serde_json::to_vec(&document).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(latchkey_proto::jsonapi::MEDIA_TYPE),
        );
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"keygen\""),
            );
        }
        response
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_store::sqlx_error as SqlxError;

    async fn rendered(error: StoreError) -> (StatusCode, Option<String>, String) {
        let response = ApiError::from(error).into_response();
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        (status, retry_after, body)
    }

    #[tokio::test]
    async fn a_busy_database_is_a_503_with_retry_after() {
        let (status, retry_after, body) =
            rendered(StoreError::Busy("database is locked".into())).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry_after.as_deref(), Some("2"));
        assert!(body.contains("\"code\":\"DATABASE_BUSY\""), "{body}");
        assert!(!body.contains("locked"), "{body}");
    }

    #[tokio::test]
    async fn store_errors_never_show_driver_names() {
        let errors = [
            StoreError::Database(SqlxError::RowNotFound),
            StoreError::Database(SqlxError::Protocol("sqlx internals".into())),
            StoreError::Config("sqlite:///secret/path".into()),
            StoreError::Conflict("UNIQUE constraint failed: licenses.key".into()),
        ];
        for error in errors {
            let (status, _, body) = rendered(error).await;
            for leak in [
                "sqlx",
                "rusqlite",
                "Sqlite",
                "sqlite",
                "Row",
                "UNIQUE",
                "licenses.key",
            ] {
                assert!(!body.contains(leak), "{status}: {leak} in {body}");
            }
        }
    }
}
