//! JSON:API plumbing: the request-body extractor, query parameters, pagination and
//! the response builders every resource module uses.

pub mod input;
pub mod linkage;
pub mod query;

use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_proto::ErrorCode;
use latchkey_proto::jsonapi::MEDIA_TYPE;
use serde_json::Value;

/// The parsed JSON body of a request. Keygen treats any content type on a write as
/// JSON, so we do too; an empty body is `{}`. Invalid UTF-8 and NUL in any key or
/// string are refused here (400 `ENCODING_INVALID`), before any handler sees them.
#[derive(Debug)]
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large()
            } else {
                ApiError::bad_request("The request body could not be read")
                    .code(ErrorCode::JsonInvalid)
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Object(Default::default())));
        }
        // Invalid UTF-8 anywhere in the body (inside a string or not) is an encoding
        // error, as in every other channel (see `crate::encoding`).
        if std::str::from_utf8(&bytes).is_err() {
            return Err(crate::encoding::Flaw::InvalidUtf8.error());
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            let detail = if e.is_syntax() || e.is_eof() {
                "The request data is not valid JSON"
            } else {
                "The request data is invalid"
            };
            ApiError::bad_request(detail).code(ErrorCode::JsonInvalid)
        })?;
        if !value.is_object() {
            return Err(
                ApiError::bad_request("The request data must be a JSON object")
                    .code(ErrorCode::JsonInvalid),
            );
        }
        crate::encoding::check_json(&value)?;
        Ok(JsonBody(value))
    }
}

/// A JSON:API success response.
pub struct Document {
    status: StatusCode,
    body: Body,
    location: Option<String>,
}

/// A [`Document`]'s body: a `Value`, or bytes a typed document was serialized to.
#[derive(Debug)]
enum Body {
    Value(Value),
    Json(Vec<u8>),
}

impl From<Value> for Body {
    fn from(value: Value) -> Self {
        Body::Value(value)
    }
}

impl Document {
    /// 200 with a typed document, serialized straight to bytes (hot paths: no
    /// intermediate `Value`).
    pub fn ok_typed<T: serde::Serialize>(body: &T) -> ApiResult<Self> {
        let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
        Ok(Self {
            status: StatusCode::OK,
            body: Body::Json(bytes),
            location: None,
        })
    }

    /// 200.
    pub fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: body.into(),
            location: None,
        }
    }

    /// Any status with `Location` (Keygen's 303/307 artifact redirects, 200 under
    /// `Prefer: no-redirect`).
    pub fn located(status: StatusCode, body: Value, location: String) -> Self {
        Self {
            status,
            body: body.into(),
            location: Some(location),
        }
    }

    /// 201 with `Location`.
    pub fn created(body: Value, location: String) -> Self {
        Self {
            status: StatusCode::CREATED,
            body: body.into(),
            location: Some(location),
        }
    }
}

impl IntoResponse for Document {
    fn into_response(self) -> Response {
        let body = match self.body {
            Body::Value(value) => serde_json::to_vec(&value).unwrap_or_default(),
            Body::Json(bytes) => bytes,
        };
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(header::LOCATION, location);
        }
        response
    }
}

/// 204 No Content.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
