//! The SDK's one error type. Every failure is typed: API errors carry Keygen's
//! [`ErrorCode`], validation failures their [`ValidationCode`], trust failures say
//! which check refused the response.

use latchkey_proto::ErrorCode;
use latchkey_proto::codes::ValidationCode;
use latchkey_proto::offline::OfflineError;

use crate::validation::Validation;

/// One JSON:API error object of an error response.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiErrorItem {
    /// The parsed `code`, when the server sent one this SDK knows.
    pub code: Option<ErrorCode>,
    /// The `code` exactly as sent (also set for codes newer than this SDK).
    pub raw_code: Option<String>,
    /// `title`.
    pub title: String,
    /// `detail`.
    pub detail: Option<String>,
    /// `source.pointer` or `source.parameter`.
    pub source: Option<String>,
}

/// Why a response was not trusted.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The response carried no `Keygen-Signature` header.
    #[error("the response is not signed")]
    Unsigned,
    /// A header needed for verification is missing or not text.
    #[error("the response has no usable {0} header")]
    MissingHeader(&'static str),
    /// Signature or digest verification failed.
    #[error("the response signature does not verify: {0}")]
    Signature(#[source] OfflineError),
    /// The signed date is too far from the local clock (a replayed or delayed answer).
    #[error("the response is dated {date}, {skew_seconds} s away from the local clock")]
    Stale {
        /// The signed `Date` header.
        date: String,
        /// Distance from the local clock in seconds.
        skew_seconds: u64,
    },
    /// The validation echoed another nonce than the one sent.
    #[error("the validation answers another request (nonce mismatch)")]
    NonceMismatch,
}

/// Everything that can go wrong in the SDK.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration cannot work (bad URL, no public key, …).
    #[error("configuration: {0}")]
    Config(String),
    /// The server could not be reached or the connection failed.
    #[error("network: {0}")]
    Network(#[source] reqwest::Error),
    /// The server answered with a JSON:API error document.
    #[error("{}", describe_api(*.status, .errors))]
    Api {
        /// HTTP status.
        status: u16,
        /// The error objects.
        errors: Vec<ApiErrorItem>,
    },
    /// The response failed a trust check; nothing in it was used.
    #[error("untrusted response: {0}")]
    Untrusted(#[from] TrustError),
    /// The license is not valid (for flows that need a valid license).
    #[error("license not valid: {} ({})", .0.code.as_str(), .0.detail)]
    Invalid(Box<Validation>),
    /// The response has an unexpected shape.
    #[error("unexpected response: {0}")]
    Protocol(String),
    /// A license or machine file failed to verify, decrypt or is expired.
    #[error("offline file: {0}")]
    Offline(#[from] OfflineError),
    /// The local clock is behind a time already seen (clock set back to extend a license).
    #[error("the system clock moved back: it reads {now}, but {seen} was already seen")]
    ClockTampered {
        /// The local clock (RFC 3339).
        now: String,
        /// The high-water mark (RFC 3339).
        seen: String,
    },
    /// Reading or writing the offline cache failed.
    #[error("cache: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The first API error code, if this is an API error with a known code.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api { errors, .. } => errors.iter().find_map(|e| e.code),
            _ => None,
        }
    }

    /// The validation verdict, if this is an invalid-license error.
    pub fn validation_code(&self) -> Option<ValidationCode> {
        match self {
            Error::Invalid(v) => Some(v.code),
            _ => None,
        }
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

fn describe_api(status: u16, errors: &[ApiErrorItem]) -> String {
    let Some(first) = errors.first() else {
        return format!("the server answered {status}");
    };
    let mut text = first.title.clone();
    if let Some(detail) = &first.detail {
        text.push_str(": ");
        text.push_str(detail);
    }
    if let Some(code) = &first.raw_code {
        text.push_str(&format!(" ({code})"));
    }
    if let Some(source) = &first.source {
        text.push_str(&format!(" at {source}"));
    }
    format!("{text} [HTTP {status}]")
}

pub(crate) fn parse_api_errors(body: &serde_json::Value) -> Vec<ApiErrorItem> {
    let Some(errors) = body.get("errors").and_then(|e| e.as_array()) else {
        return Vec::new();
    };
    errors
        .iter()
        .map(|e| {
            let raw_code = e.get("code").and_then(|c| c.as_str()).map(str::to_owned);
            let source = e.get("source").and_then(|s| {
                s.get("pointer")
                    .or_else(|| s.get("parameter"))
                    .or_else(|| s.get("header"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            });
            ApiErrorItem {
                code: raw_code.as_deref().and_then(|c| c.parse().ok()),
                raw_code,
                title: e
                    .get("title")
                    .and_then(|t| t.as_str())
                    .unwrap_or("Error")
                    .to_owned(),
                detail: e.get("detail").and_then(|d| d.as_str()).map(str::to_owned),
                source,
            }
        })
        .collect()
}
