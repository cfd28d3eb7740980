//! `X-Request-Id` on every response the application answers: the client's own id
//! when it is sane (1–128 characters of `A-Z a-z 0-9 . _ : -`), else a new UUID.
//! The id is set on the request for the handlers and carried by the `request`
//! tracing span, so every log line of the request names it.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The header.
pub const HEADER: &str = "x-request-id";

/// Whether a client-sent id may be echoed (and logged) as is.
pub fn sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The layer (outermost, so even the account and routing errors carry the id).
pub async fn layer(mut request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_owned);
    let id = given.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let value = HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("invalid"));
    request.headers_mut().insert(HEADER, value.clone());
    let span = tracing::info_span!("request", request_id = %id);
    // The event logs of the request's writes carry its id (and, once authenticated,
    // its bearer).
    let run = next.run(request).instrument(span);
    let mut response = latchkey_store::event_logs::scope(id, run).await;
    response.headers_mut().insert(HEADER, value);
    response
}

#[cfg(test)]
mod tests {
    use super::sane;

    #[test]
    fn only_short_plain_ids_are_echoed() {
        assert!(sane("abc-123_x.y:z"));
        assert!(sane(&"a".repeat(128)));
        assert!(!sane(&"a".repeat(129)));
        assert!(!sane(""));
        assert!(!sane("a b"));
        assert!(!sane("a\u{0}b"));
        assert!(!sane("<script>"));
    }
}
