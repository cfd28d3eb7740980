//! The input boundary for text: every string a request carries must be valid UTF-8
//! without NUL (U+0000), or the request is answered 400 `ENCODING_INVALID` (Keygen's
//! code) pointing at the culprit. PostgreSQL cannot store or compare NUL in text, and
//! no identifier, key or attribute needs one, so it is refused on every backend alike.
//! One check per channel:
//!
//! * query string and the headers the API reads: [`reject_bad_encoding`], a layer in
//!   front of every route (so `?auth=`, `?token=` and every filter are covered);
//! * path parameters: [`reject_bad_path_params`], a route layer naming the parameter;
//! * JSON bodies: [`check_json`], called by the body extractor (`jsonapi::JsonBody`);
//! * credentials inside `Authorization: Basic …`: `auth::credential`.

use crate::error::ApiError;
use axum::extract::{MatchedPath, RawPathParams, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_proto::ErrorCode;
use percent_encoding::percent_decode;
use serde_json::Value;

/// The request headers whose values the API interprets.
const READ_HEADERS: &[&str] = &[
    "authorization",
    "accept",
    "content-type",
    "host",
    "keygen-accept-signature",
    "keygen-version",
    "keygen-environment",
];

/// Why a piece of text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// Not valid UTF-8.
    InvalidUtf8,
    /// Contains U+0000.
    Nul,
}

impl Flaw {
    /// The 400 `ENCODING_INVALID` for this flaw (Keygen's wording), without a source.
    pub fn error(self) -> ApiError {
        let what = match self {
            Flaw::InvalidUtf8 => "an invalid byte sequence",
            Flaw::Nul => "an unexpected null byte",
        };
        ApiError::bad_request(format!(
            "The request could not be completed because it contains {what} (check encoding)"
        ))
        .code(ErrorCode::EncodingInvalid)
    }
}

/// Checks raw bytes: UTF-8 without NUL.
pub fn check_bytes(bytes: &[u8]) -> Result<&str, Flaw> {
    let text = std::str::from_utf8(bytes).map_err(|_| Flaw::InvalidUtf8)?;
    check_str(text).map(|()| text)
}

/// Checks text for NUL.
pub fn check_str(text: &str) -> Result<(), Flaw> {
    if text.contains('\0') {
        Err(Flaw::Nul)
    } else {
        Ok(())
    }
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
fn form_decode(raw: &str) -> Vec<u8> {
    let spaced = raw.replace('+', " ");
    percent_decode(spaced.as_bytes()).collect()
}

/// The first flawed query parameter, as (parameter name, flaw).
pub fn check_query(query: &str) -> Result<(), (String, Flaw)> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = form_decode(raw_key);
        let name = || String::from_utf8_lossy(&key).replace('\0', "\u{fffd}");
        check_bytes(&key).map_err(|flaw| (name(), flaw))?;
        check_bytes(&form_decode(raw_value)).map_err(|flaw| (name(), flaw))?;
    }
    Ok(())
}

/// Layer: refuses a flawed query parameter (`source.parameter`) or a flawed value of
/// a header the API reads (`source.header`).
pub async fn reject_bad_encoding(request: Request, next: Next) -> Response {
    if let Some(query) = request.uri().query()
        && let Err((name, flaw)) = check_query(query)
    {
        return flaw.error().parameter(name).into_response();
    }
    for name in READ_HEADERS {
        for value in request.headers().get_all(*name) {
            if let Err(flaw) = check_bytes(value.as_bytes()) {
                return flaw.error().header(header_title(name)).into_response();
            }
        }
    }
    next.run(request).await
}

/// `keygen-accept-signature` → `Keygen-Accept-Signature`.
fn header_title(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Route layer: refuses a path parameter that decodes to invalid UTF-8 or holds NUL
/// (`source.parameter` is the route's parameter name, e.g. `id`). Before this, axum
/// answered its own plain-text "Invalid URL".
pub async fn reject_bad_path_params(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let params =
        <RawPathParams as axum::extract::FromRequestParts<()>>::from_request_parts(&mut parts, &())
            .await;
    match params {
        Ok(params) => {
            if let Some((name, _)) = params.iter().find(|(_, value)| value.contains('\0')) {
                return Flaw::Nul.error().parameter(name).into_response();
            }
        }
        Err(_) => {
            let name = parts
                .extensions
                .get::<MatchedPath>()
                .and_then(|matched| invalid_param_name(matched.as_str(), parts.uri.path()))
                .unwrap_or_else(|| "path".to_owned());
            return Flaw::InvalidUtf8.error().parameter(name).into_response();
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The name of the first `{param}` of `template` whose segment of `path` does not
/// decode to UTF-8.
fn invalid_param_name(template: &str, path: &str) -> Option<String> {
    template
        .split('/')
        .zip(path.split('/'))
        .find_map(|(pattern, segment)| {
            let name = pattern.strip_prefix('{')?.strip_suffix('}')?;
            let decoded: Vec<u8> = percent_decode(segment.as_bytes()).collect();
            std::str::from_utf8(&decoded)
                .is_err()
                .then(|| name.trim_start_matches('*').to_owned())
        })
}

/// Checks every key and string of a JSON document, at any depth; the error points at
/// the member (for a key) or the value holding NUL. Invalid UTF-8 cannot reach here:
/// the body is checked as UTF-8 before it is parsed.
pub fn check_json(value: &Value) -> Result<(), ApiError> {
    fn walk(value: &Value, pointer: &mut String) -> Result<(), ApiError> {
        let at = pointer.len();
        match value {
            Value::String(s) => check_str(s).map_err(|flaw| {
                let at = if pointer.is_empty() {
                    "/"
                } else {
                    pointer.as_str()
                };
                flaw.error().pointer(at)
            }),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                    walk(item, pointer)?;
                    pointer.truncate(at);
                }
                Ok(())
            }
            Value::Object(map) => {
                for (key, item) in map {
                    pointer.push('/');
                    pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    if let Err(flaw) = check_str(key) {
                        let shown = pointer.replace('\0', "\u{fffd}");
                        return Err(flaw.error().pointer(shown));
                    }
                    walk(item, pointer)?;
                    pointer.truncate(at);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(value, &mut String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointer(value: &Value) -> Option<String> {
        let error = check_json(value).err()?;
        match error.source {
            Some(crate::error::Source::Pointer(p)) => Some(p),
            _ => None,
        }
    }

    #[test]
    fn nul_is_found_at_any_depth() {
        assert_eq!(check_json(&json!({"a": ["b", {"c": "d"}]})).ok(), Some(()));
        assert_eq!(
            pointer(&json!({"meta": {"key": "a\u{0}"}})).as_deref(),
            Some("/meta/key")
        );
        assert_eq!(
            pointer(&json!({"data": {"attributes": {"metadata": {"x/y": [1, "\u{0}"]}}}}))
                .as_deref(),
            Some("/data/attributes/metadata/x~1y/1")
        );
        assert_eq!(
            pointer(&json!({"data": {"k\u{0}": 1}})).as_deref(),
            Some("/data/k\u{fffd}")
        );
    }

    #[test]
    fn query_components_are_decoded_before_checking() {
        assert!(check_query("a=b&metadata[k]=%E2%9C%93&x").is_ok());
        assert_eq!(
            check_query("ok=1&metadata[k%00]=1"),
            Err(("metadata[k\u{fffd}]".to_owned(), Flaw::Nul))
        );
        assert_eq!(
            check_query("auth=license:%00"),
            Err(("auth".to_owned(), Flaw::Nul))
        );
        assert_eq!(
            check_query("q=%FF"),
            Err(("q".to_owned(), Flaw::InvalidUtf8))
        );
        assert_eq!(
            invalid_param_name("/v1/licenses/{id}/actions/x", "/v1/licenses/%FF/actions/x")
                .as_deref(),
            Some("id")
        );
        assert_eq!(
            header_title("keygen-accept-signature"),
            "Keygen-Accept-Signature"
        );
    }
}
