//! Check-out of license files and machine files (Keygen §4.4): a signed, optionally
//! encrypted snapshot of a license or machine for offline use. `POST` answers with a
//! `license-files`/`machine-files` resource, `GET` with the raw `.lic` certificate.
//! Options come from the query string and, for `POST`, from `meta` (which wins).

mod included;
pub mod license;
pub mod machine;

use crate::account::Account;
use crate::api::v1::serialize::{account_rel, ts};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::query::QueryParams;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use latchkey_core::crypto::license_file::build_certificate_from_json;
use latchkey_proto::ErrorCode;
use latchkey_proto::offline::{Algorithm, CertificateKind, Encoding, FileSecret, Scheme};
use serde_json::{Map, Value, json};

/// Keygen's default license-file TTL: one month (2,629,746 s).
pub const DEFAULT_TTL: i64 = 2_629_746;
/// The shortest TTL Keygen accepts: one hour.
pub const MIN_TTL: i64 = 3_600;

/// Parsed check-out options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Encoding and signature algorithm.
    pub algorithm: Algorithm,
    /// Seconds the file is valid for; `None` = never expires.
    pub ttl: Option<i64>,
    /// Relationships to embed, deduplicated, in request order.
    pub includes: Vec<String>,
}

fn ttl_invalid(detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code(ErrorCode::CheckoutTtlInvalid)
        .parameter("ttl")
}

fn algorithm_invalid(detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code(ErrorCode::CheckoutAlgorithmInvalid)
        .parameter("algorithm")
}

/// One option as given: from `meta` (JSON) or from the query string (text).
enum Raw<'a> {
    Json(&'a Value),
    Text(Vec<&'a str>),
}

fn raw<'a>(
    meta: Option<&'a Map<String, Value>>,
    query: &'a QueryParams,
    name: &str,
) -> Option<Raw<'a>> {
    if let Some(value) = meta.and_then(|m| m.get(name)) {
        return Some(Raw::Json(value));
    }
    let values = query.all(name);
    (!values.is_empty()).then_some(Raw::Text(values))
}

fn parse_encrypt(raw: Option<Raw<'_>>) -> ApiResult<Option<bool>> {
    let invalid = || {
        ApiError::bad_request("must be a boolean")
            .code(ErrorCode::ParameterInvalid)
            .parameter("encrypt")
    };
    Ok(match raw {
        None | Some(Raw::Json(Value::Null)) => None,
        Some(Raw::Json(Value::Bool(b))) => Some(*b),
        Some(Raw::Json(_)) => return Err(invalid()),
        Some(Raw::Text(values)) => match values.last().copied().unwrap_or("") {
            "true" | "1" | "t" | "yes" => Some(true),
            "false" | "0" | "f" | "no" | "" => Some(false),
            _ => return Err(invalid()),
        },
    })
}

fn parse_ttl(raw: Option<Raw<'_>>) -> ApiResult<Option<i64>> {
    let ttl = match raw {
        None => return Ok(Some(DEFAULT_TTL)),
        Some(Raw::Json(Value::Null)) => return Ok(None),
        Some(Raw::Json(Value::Number(n))) => n
            .as_i64()
            .ok_or_else(|| ttl_invalid("must be an integer"))?,
        Some(Raw::Json(Value::String(s))) if s.trim().is_empty() => return Ok(None),
        Some(Raw::Json(Value::String(s))) => s
            .trim()
            .parse()
            .map_err(|_| ttl_invalid("must be an integer"))?,
        Some(Raw::Json(_)) => return Err(ttl_invalid("must be an integer")),
        Some(Raw::Text(values)) => {
            let text = values.last().copied().unwrap_or("").trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.parse()
                .map_err(|_| ttl_invalid("must be an integer"))?
        }
    };
    if ttl < MIN_TTL {
        return Err(ttl_invalid(
            "must be greater than or equal to 3600 (1 hour)",
        ));
    }
    // Far beyond any useful lifetime, and keeps `issued + ttl` representable.
    if ttl > 100 * 365 * 86_400 {
        return Err(ttl_invalid(
            "must be less than or equal to 3153600000 (100 years)",
        ));
    }
    Ok(Some(ttl))
}

fn parse_includes(raw: Option<Raw<'_>>, allowed: &[&str]) -> ApiResult<Vec<String>> {
    let invalid = |detail: String| {
        ApiError::bad_request(detail)
            .code(ErrorCode::CheckoutIncludeInvalid)
            .parameter("include")
    };
    let names: Vec<String> = match raw {
        None | Some(Raw::Json(Value::Null)) => Vec::new(),
        Some(Raw::Json(Value::Array(items))) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| invalid("must be an array of strings".into()))?,
        Some(Raw::Json(Value::String(s))) => s.split(',').map(str::to_owned).collect(),
        Some(Raw::Json(_)) => return Err(invalid("must be an array of strings".into())),
        Some(Raw::Text(values)) => values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::to_owned)
            .collect(),
    };
    let mut includes: Vec<String> = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        // Keygen's backwards-compatible aliases: `user` is the owner.
        let name = match name {
            "user" => "owner",
            "license.user" => "license.owner",
            other => other,
        };
        if !allowed.contains(&name) {
            return Err(invalid(format!(
                "invalid includes: {name} (allowed: {})",
                allowed.join(", ")
            )));
        }
        if !includes.iter().any(|i| i == name) {
            includes.push(name.to_owned());
        }
    }
    Ok(includes)
}

fn parse_algorithm(
    raw: Option<Raw<'_>>,
    encrypt: Option<bool>,
    scheme: Option<&str>,
) -> ApiResult<Algorithm> {
    let text = match raw {
        None | Some(Raw::Json(Value::Null)) => None,
        Some(Raw::Json(Value::String(s))) => Some(s.clone()),
        Some(Raw::Json(_)) => return Err(algorithm_invalid("must be a string")),
        Some(Raw::Text(values)) => values.last().map(|v| (*v).to_owned()),
    };
    match text {
        Some(text) => {
            let algorithm: Algorithm = text.trim().parse().map_err(|_| {
                algorithm_invalid(
                    "must be one of {aes-256-gcm,base64}+{ed25519,ecdsa-p256,rsa-pss-sha256,rsa-sha256}",
                )
            })?;
            if encrypt.is_some_and(|e| e != algorithm.is_encrypted()) {
                return Err(algorithm_invalid(
                    "does not agree with the encrypt parameter",
                ));
            }
            Ok(algorithm)
        }
        None => {
            let scheme = scheme.and_then(|s| s.parse::<Scheme>().ok());
            let encoding = if encrypt.unwrap_or(false) {
                Encoding::Aes256Gcm
            } else {
                Encoding::Base64
            };
            Ok(Algorithm::new(
                encoding,
                Scheme::default_file_signature(scheme),
            ))
        }
    }
}

/// Reads the options; `meta` is the POST body's `meta` object, if any.
pub fn options(
    query: &QueryParams,
    body: Option<&Value>,
    scheme: Option<&str>,
    allowed_includes: &[&str],
) -> ApiResult<Options> {
    let meta = match body.and_then(|b| b.get("meta")) {
        None | Some(Value::Null) => None,
        Some(Value::Object(meta)) => Some(meta),
        Some(_) => {
            return Err(ApiError::bad_request("must be an object")
                .code(ErrorCode::ParameterInvalid)
                .pointer("/meta"));
        }
    };
    let encrypt = parse_encrypt(raw(meta, query, "encrypt"))?;
    Ok(Options {
        ttl: parse_ttl(raw(meta, query, "ttl"))?,
        includes: parse_includes(raw(meta, query, "include"), allowed_includes)?,
        algorithm: parse_algorithm(raw(meta, query, "algorithm"), encrypt, scheme)?,
    })
}

/// The file's document `{data, included, meta}`, signed (and encrypted with `secret` when
/// the algorithm says so) into a certificate with the account's keys.
pub fn seal(
    state: &crate::state::AppState,
    account: &Account,
    kind: CertificateKind,
    data: Value,
    included: included::Included,
    secret: &FileSecret,
    (issued_ms, ttl, algorithm): (i64, Option<i64>, Algorithm),
) -> ApiResult<String> {
    let document = json!({
        "data": data,
        "included": included.into_value(),
        "meta": file_meta(issued_ms, ttl),
    });
    let json = serde_json::to_vec(&document).map_err(ApiError::internal)?;
    let signer = crate::signing::signer(state, &account.0).map_err(ApiError::internal)?;
    build_certificate_from_json(kind, &json, secret, algorithm, &signer).map_err(ApiError::internal)
}

/// `meta` of the document inside a file: issued, expiry (issued + ttl) and ttl.
fn file_meta(issued_ms: i64, ttl: Option<i64>) -> Value {
    json!({
        "issued": ts(Some(issued_ms)),
        "expiry": ts(ttl.map(|t| issued_ms + t * 1000)),
        "ttl": ttl,
    })
}

/// A checked-out file, ready to answer with.
pub struct CheckedOut {
    /// `license-files` or `machine-files`.
    pub kind: &'static str,
    /// The certificate text.
    pub certificate: String,
    /// Check-out time (unix ms).
    pub issued_ms: i64,
    /// TTL in seconds.
    pub ttl: Option<i64>,
    /// Encoding and signature algorithm of the certificate.
    pub algorithm: Algorithm,
    /// The relationships embedded in the file.
    pub includes: Vec<String>,
    /// Extra relationships (license, machine) as `(name, type, id)`.
    pub relationships: Vec<(&'static str, &'static str, String)>,
    /// File name stem for `Content-Disposition` (the resource id).
    pub file_stem: String,
}

impl CheckedOut {
    /// The JSON:API resource `POST` answers with.
    pub fn resource(&self, account: &Account) -> Value {
        let mut relationships = Map::new();
        relationships.insert("account".into(), account_rel(account));
        for (name, kind, id) in &self.relationships {
            relationships.insert(
                (*name).into(),
                json!({
                    "links": { "related": format!("{}/{kind}/{id}", account.base()) },
                    "data": { "type": kind, "id": id },
                }),
            );
        }
        json!({
            "data": {
                "id": latchkey_store::new_id(),
                "type": self.kind,
                "attributes": {
                    "certificate": self.certificate,
                    "algorithm": self.algorithm.to_string(),
                    "includes": self.includes,
                    "ttl": self.ttl,
                    "expiry": ts(self.ttl.map(|t| self.issued_ms + t * 1000)),
                    "issued": ts(Some(self.issued_ms)),
                },
                "relationships": relationships,
            }
        })
    }

    /// The raw certificate `GET` answers with, as a download.
    pub fn download(self) -> Response {
        let mut response = self.certificate.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        if let Ok(value) =
            HeaderValue::from_str(&format!("attachment; filename=\"{}.lic\"", self.file_stem))
        {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    }
}
