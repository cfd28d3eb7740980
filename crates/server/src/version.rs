//! API versioning (Keygen §0, §7.2): the `Keygen-Version` request header picks the
//! version (`1.0`–`1.8`, optional `v` prefix); without it the account's version
//! applies, which is always the current one (1.8) since Latchkey stores none. An
//! unsupported version answers 400 `INVALID_API_VERSION`. Every response, errors
//! included, echoes the version in `Keygen-Version`.
//!
//! Responses to clients pinned to older versions are migrated as Keygen's
//! `request_migrations` do, newest change first:
//! - ≤ 1.7: token-generation credential errors collapse to `CREDENTIALS_INVALID` —
//!   Latchkey answers that to every version already (it does not reveal which emails
//!   exist), so 1.7 and 1.8 responses are identical;
//! - ≤ 1.6: a policy's `processLeasingStrategy` is shown as `leasingStrategy`;
//! - ≤ 1.5: a license's `owner` relationship is shown as `user` (linking the legacy
//!   `/licenses/{id}/user`), and `OWNER_NOT_FOUND` errors as `USER_NOT_FOUND`.
//!
//! Older migrations (≤ 1.4: metadata key casing, strategy renames, heartbeat and
//! validation shapes, release artifacts) and the machines' legacy `user`
//! relationship (≤ 1.5, which needs the license's owner) are not applied.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_proto::ErrorCode;
use serde_json::Value;

/// A supported API version, `1.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion(u8);

/// The current (and default) API version.
pub const CURRENT: ApiVersion = ApiVersion(8);

/// The largest response body migrated for an old client (bigger ones pass unchanged).
const MAX_MIGRATED_BODY: usize = 16 * 1024 * 1024;

impl ApiVersion {
    /// Parses `1.x` or `v1.x` (x in 0..=8); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.strip_prefix('v').unwrap_or(text);
        let minor = text.strip_prefix("1.")?;
        if minor.len() != 1 {
            return None;
        }
        let minor: u8 = minor.parse().ok()?;
        (minor <= CURRENT.0).then_some(Self(minor))
    }

    /// Every supported version, `1.0` to the current one (the OpenAPI enum).
    pub fn all() -> Vec<String> {
        (0..=CURRENT.0).map(|minor| Self(minor).as_str()).collect()
    }

    /// `1.x`.
    pub fn as_str(self) -> String {
        format!("1.{}", self.0)
    }

    /// Whether responses for this version need migrating.
    fn is_old(self) -> bool {
        self <= Self(6)
    }
}

/// The request-level layer: resolves the version (400 when unsupported), runs the
/// request, migrates the response for older versions and sets `Keygen-Version`.
/// The resolved version is also left in the request's extensions.
pub async fn layer(mut request: Request, next: Next) -> Response {
    let version = match request.headers().get("keygen-version") {
        None => Some(CURRENT),
        Some(value) => value.to_str().ok().and_then(ApiVersion::parse),
    };
    let Some(version) = version else {
        let mut response = ApiError::bad_request("unsupported API version requested")
            .code(ErrorCode::InvalidApiVersion)
            .into_response();
        echo(&mut response, CURRENT);
        return response;
    };
    request.extensions_mut().insert(version);
    let mut response = next.run(request).await;
    if version.is_old() {
        response = migrate_response(response, version).await;
    }
    echo(&mut response, version);
    response
}

fn echo(response: &mut Response, version: ApiVersion) {
    if let Ok(value) = HeaderValue::from_str(&version.as_str()) {
        response.headers_mut().insert("keygen-version", value);
    }
}

/// Rewrites a JSON response body for `version`.
async fn migrate_response(response: Response, version: ApiVersion) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    // Only whole, known-size bodies (JSON documents), never streams.
    let size = http_body::Body::size_hint(response.body()).exact();
    if !is_json || size.is_none_or(|n| n > MAX_MIGRATED_BODY as u64) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_MIGRATED_BODY).await else {
        return ApiError::internal("response body unreadable").into_response();
    };
    let Ok(mut document) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if !migrate(&mut document, version, parts.status.as_u16()) {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let bytes = match serde_json::to_vec(&document) {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::internal("response body unwritable").into_response(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

/// Applies the migrations of `version` to a response document; whether it changed.
pub fn migrate(document: &mut Value, version: ApiVersion, status: u16) -> bool {
    let mut changed = false;
    if status < 400 {
        let Some(object) = document.as_object_mut() else {
            return false;
        };
        for (key, value) in object.iter_mut() {
            if key != "data" && key != "included" {
                continue;
            }
            match value {
                Value::Array(items) => {
                    for item in items {
                        changed |= migrate_resource(item, version);
                    }
                }
                item @ Value::Object(_) => changed |= migrate_resource(item, version),
                _ => {}
            }
        }
    } else if version <= ApiVersion(5)
        && let Some(Value::Array(errors)) = document.get_mut("errors")
    {
        for error in errors {
            if error["code"] == ErrorCode::OwnerNotFound.as_str() {
                error["code"] = ErrorCode::UserNotFound.as_str().into();
                error["source"] = serde_json::json!({ "pointer": "/data/relationships/user" });
                changed = true;
            }
        }
    }
    changed
}

fn migrate_resource(resource: &mut Value, version: ApiVersion) -> bool {
    match resource["type"].as_str() {
        Some("policies") if version <= ApiVersion(6) => {
            let Some(attributes) = resource["attributes"].as_object_mut() else {
                return false;
            };
            match attributes.remove("processLeasingStrategy") {
                Some(value) => {
                    attributes.insert("leasingStrategy".into(), value);
                    true
                }
                None => false,
            }
        }
        Some("licenses") if version <= ApiVersion(5) => {
            let Some(relationships) = resource["relationships"].as_object_mut() else {
                return false;
            };
            let Some(mut owner) = relationships.remove("owner") else {
                return false;
            };
            if let Some(related) = owner["links"]["related"].as_str()
                && let Some(base) = related.strip_suffix("/owner")
            {
                owner["links"]["related"] = format!("{base}/user").into();
            }
            relationships.insert("user".into(), owner);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_parse_with_optional_prefix() {
        assert_eq!(ApiVersion::parse("1.8"), Some(CURRENT));
        assert_eq!(ApiVersion::parse("v1.0"), Some(ApiVersion(0)));
        for bad in ["1.9", "2.0", "1", "1.10", "", "v", "1.8.0", " 1.8", "1.x"] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn old_clients_see_the_old_names() {
        let mut doc = json!({"data": [
            {"type": "policies", "attributes": {"processLeasingStrategy": "PER_MACHINE"}},
            {"type": "licenses", "relationships": {"owner": {"links": {"related": "/v1/accounts/a/licenses/l/owner"}, "data": null}}},
        ]});
        assert!(migrate(&mut doc, ApiVersion(5), 200));
        assert_eq!(
            doc["data"][0]["attributes"]["leasingStrategy"],
            "PER_MACHINE"
        );
        assert_eq!(
            doc["data"][1]["relationships"]["user"]["links"]["related"],
            "/v1/accounts/a/licenses/l/user"
        );
        let mut doc = json!({"data": {"type": "licenses", "relationships": {"owner": {}}}});
        assert!(!migrate(&mut doc, ApiVersion(6), 200));
        let mut errors = json!({"errors": [{"code": "OWNER_NOT_FOUND"}]});
        assert!(migrate(&mut errors, ApiVersion(4), 422));
        assert_eq!(errors["errors"][0]["code"], "USER_NOT_FOUND");
    }
}
