//! Request and response bodies for request logs, kept only with the setting
//! `request_log_bodies` (off by default). Only JSON bodies that parse are kept, and
//! only after every member whose name contains one of Keygen's filter words
//! (`passw`, `digest`, `priv`, `key`, `token`, `secret`, `crypt`, `salt`,
//! `certificate`, `otp`, `redirect`, `cvv`, `cvc`, `ssn`, `auth`; any case) has its
//! value replaced by `[FILTERED]`, whatever that value is: a body that cannot be
//! filtered (not JSON, invalid UTF-8, cut short, larger than [`MAX_PARSED`]) is not
//! kept at all. The filtered text is cut to [`MAX_KEPT`] bytes.
//!
//! The request body is copied as the handler reads it (up to `MAX_PARSED + 1`
//! bytes), so the handler still streams it and its size limits are unchanged.

use axum::body::Body;
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// Bytes of filtered JSON kept per body.
pub const MAX_KEPT: usize = 16 * 1024;
/// Bodies larger than this are not parsed (and not kept).
pub const MAX_PARSED: usize = 1024 * 1024;

/// Keygen's `filter_parameters` words.
const FILTER_WORDS: [&str; 15] = [
    "passw",
    "digest",
    "priv",
    "key",
    "token",
    "secret",
    "crypt",
    "salt",
    "certificate",
    "otp",
    "redirect",
    "cvv",
    "cvc",
    "ssn",
    "auth",
];

/// What replaces a filtered value.
pub const FILTERED: &str = "[FILTERED]";

fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    FILTER_WORDS.iter().any(|word| name.contains(word))
}

/// Replaces the value of every secret-named member, at any depth.
fn filter(value: &mut Value) {
    match value {
        Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                if is_secret(name) {
                    *member = Value::String(FILTERED.to_owned());
                } else {
                    filter(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(filter),
        _ => {}
    }
}

/// The filtered text of a JSON body, or `None` when it cannot be kept.
pub fn render(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() || bytes.len() > MAX_PARSED {
        return None;
    }
    let mut value: Value = serde_json::from_slice(bytes).ok()?;
    filter(&mut value);
    Some(super::clip(&value.to_string(), MAX_KEPT))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

/// The bytes of a request body the handler has read so far.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// The filtered body, if it can be kept.
    pub fn render(&self) -> Option<String> {
        let bytes = self.0.lock().ok()?;
        render(&bytes)
    }
}

/// Wraps a JSON request's body so that what the handler reads is copied into the
/// returned [`Captured`]; other requests pass unchanged (and capture nothing).
pub fn capture_request(request: Request) -> (Request, Captured) {
    let captured = Captured::default();
    if !is_json(request.headers()) {
        return (request, captured);
    }
    let sink = captured.0.clone();
    let (parts, body) = request.into_parts();
    let body = body.map_frame(move |frame| {
        if let (Some(data), Ok(mut copy)) = (frame.data_ref(), sink.lock()) {
            let room = (MAX_PARSED + 1).saturating_sub(copy.len());
            copy.extend_from_slice(&data[..data.len().min(room)]);
        }
        frame
    });
    (Request::from_parts(parts, Body::new(body)), captured)
}

/// The filtered body of a JSON response (which the server builds in memory), and
/// the response with the same bytes; other responses pass unchanged.
pub async fn capture_response(response: Response) -> (Response, Option<String>) {
    if !is_json(response.headers()) {
        return (response, None);
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            let kept = render(&bytes);
            (Response::from_parts(parts, Body::from(bytes)), kept)
        }
        Err(error) => {
            // An in-memory body cannot fail; should one ever, the client gets the
            // failure as a dropped connection would show it, not a wrong body.
            tracing::warn!(%error, "could not read a response body for the request log");
            let mut parts = parts;
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            (Response::from_parts(parts, Body::empty()), None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_filtered_at_any_depth() {
        let body = json!({
            "meta": {"key": "ABCD-1234", "scope": {"fingerprint": "fp"}, "nonce": 1},
            "data": {"type": "users", "attributes": {
                "email": "a@b.c", "password": {"nested": "x"}, "firstName": "A"}},
            "list": [{"privateKey": "pk"}, {"AuthToken": 3}, "plain"],
        });
        let kept: Value =
            serde_json::from_str(&render(body.to_string().as_bytes()).unwrap()).unwrap();
        assert_eq!(kept["meta"]["key"], FILTERED);
        assert_eq!(kept["meta"]["scope"]["fingerprint"], "fp");
        assert_eq!(kept["meta"]["nonce"], 1);
        assert_eq!(kept["data"]["attributes"]["password"], FILTERED);
        assert_eq!(kept["data"]["attributes"]["email"], "a@b.c");
        assert_eq!(kept["list"][0]["privateKey"], FILTERED);
        assert_eq!(kept["list"][1]["AuthToken"], FILTERED);
        assert_eq!(kept["list"][2], "plain");
    }

    #[test]
    fn unfilterable_bodies_are_not_kept() {
        assert_eq!(render(b""), None);
        assert_eq!(render(b"{\"key\": \"cut sh"), None);
        assert_eq!(render(b"\xff\xfe{}"), None);
        assert_eq!(render(b"key=ABCD"), None);
        let huge = format!("[{}1]", "1,".repeat(MAX_PARSED));
        assert_eq!(render(huge.as_bytes()), None);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(render(deep.as_bytes()), None);
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = json!({"name": "x".repeat(3 * MAX_KEPT)});
        let kept = render(body.to_string().as_bytes()).unwrap();
        assert_eq!(kept.len(), MAX_KEPT);
    }
}
