//! Keygen's HTTP message signatures on API responses and webhook deliveries:
//! the `Digest: sha-256=<b64>` header, the signing string
//! `(request-target): <method> <path?query>\nhost: <host>\ndate: <date>\ndigest: sha-256=<b64>`,
//! and the `Keygen-Signature: keyid="…", algorithm="…", signature="…", headers="…"` header.
//!
//! The formatting half is shared with the server (which signs); verification is for SDKs
//! and webhook receivers.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use super::algorithm::SignatureAlgorithm;
use super::b64;
use super::error::OfflineError;
use super::keys::KeySource;

/// The header list Keygen signs, in order.
pub const SIGNED_HEADERS: [&str; 4] = ["(request-target)", "host", "date", "digest"];

/// Largest header value parsed (bounds work on hostile input).
const MAX_HEADER_LEN: usize = 16 << 10;

/// The `Digest` header value for a body: `sha-256=<std-base64(SHA-256(body))>`.
pub fn digest_header_value(body: &[u8]) -> String {
    format!("sha-256={}", b64::encode_std(&Sha256::digest(body)))
}

/// The inputs of a signing string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningInput<'a> {
    /// HTTP method, any case (lowercased in the signing string).
    pub method: &'a str,
    /// Original request path including the query string; empty means `/`.
    pub target: &'a str,
    /// Request host without port.
    pub host: &'a str,
    /// The `Date` header value (RFC 7231 HTTP-date), verbatim.
    pub date: &'a str,
    /// The `Digest` header value, e.g. from [`digest_header_value`].
    pub digest: &'a str,
}

impl SigningInput<'_> {
    /// Renders one signed header line's value part, by header name.
    fn line(&self, header: &str) -> Option<String> {
        Some(match header {
            "(request-target)" => {
                let target = if self.target.is_empty() {
                    "/"
                } else {
                    self.target
                };
                format!(
                    "(request-target): {} {target}",
                    self.method.to_ascii_lowercase()
                )
            }
            "host" => format!("host: {}", self.host),
            "date" => format!("date: {}", self.date),
            "digest" => format!("digest: {}", self.digest),
            _ => return None,
        })
    }

    /// The LF-joined signing string (no trailing LF) for Keygen's header list.
    pub fn signing_string(&self) -> String {
        SIGNED_HEADERS
            .iter()
            .filter_map(|h| self.line(h))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn signing_string_for(&self, headers: &[String]) -> Option<String> {
        let lines: Option<Vec<String>> = headers.iter().map(|h| self.line(h)).collect();
        Some(lines?.join("\n"))
    }
}

/// A parsed `Keygen-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// `keyid`: the account id (optional in Keygen's grammar).
    pub keyid: Option<String>,
    /// `algorithm`.
    pub algorithm: SignatureAlgorithm,
    /// `signature`, decoded from standard base64.
    pub signature: Vec<u8>,
    /// `headers`, the signed header names in order.
    pub headers: Vec<String>,
}

impl SignatureHeader {
    /// A header over Keygen's standard header list.
    pub fn new(keyid: Option<&str>, algorithm: SignatureAlgorithm, signature: Vec<u8>) -> Self {
        SignatureHeader {
            keyid: keyid.map(str::to_owned),
            algorithm,
            signature,
            headers: SIGNED_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        }
    }
}

impl fmt::Display for SignatureHeader {
    /// Keygen's layout: `keyid="…", algorithm="…", signature="…", headers="…"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(keyid) = &self.keyid {
            write!(f, "keyid=\"{keyid}\", ")?;
        }
        write!(
            f,
            "algorithm=\"{}\", signature=\"{}\", headers=\"{}\"",
            self.algorithm,
            b64::encode_std(&self.signature),
            self.headers.join(" ")
        )
    }
}

impl FromStr for SignatureHeader {
    type Err = OfflineError;

    /// Parses `name="value"` pairs separated by commas (whitespace allowed around them,
    /// names case-insensitive, unknown names ignored, duplicates rejected).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use OfflineError::MalformedSignatureHeader as Malformed;
        if s.len() > MAX_HEADER_LEN {
            return Err(Malformed("header too long"));
        }
        let (mut keyid, mut algorithm, mut signature, mut headers) = (None, None, None, None);
        let mut rest = s.trim_ascii();
        while !rest.is_empty() {
            let (name, after) = rest
                .split_once('=')
                .ok_or(Malformed("expected name=\"value\""))?;
            let name = name.trim_ascii().to_ascii_lowercase();
            let after = after
                .trim_ascii_start()
                .strip_prefix('"')
                .ok_or(Malformed("value must be quoted"))?;
            let (value, after) = after
                .split_once('"')
                .ok_or(Malformed("unterminated value"))?;
            let slot = match name.as_str() {
                "keyid" => Some(&mut keyid),
                "algorithm" => Some(&mut algorithm),
                "signature" => Some(&mut signature),
                "headers" => Some(&mut headers),
                n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
                    None // unknown parameters are ignored
                }
                _ => return Err(Malformed("bad parameter name")),
            };
            if slot.is_some_and(|slot| slot.replace(value).is_some()) {
                return Err(Malformed("duplicate parameter"));
            }
            let after = after.trim_ascii_start();
            rest = match after.strip_prefix(',') {
                Some(next) => next.trim_ascii_start(),
                None if after.is_empty() || after == ";" => "",
                None => return Err(Malformed("expected ',' between parameters")),
            };
        }
        let algorithm: SignatureAlgorithm =
            algorithm.ok_or(Malformed("missing algorithm"))?.parse()?;
        let signature = b64::decode_std(signature.ok_or(Malformed("missing signature"))?)
            .ok_or(Malformed("signature is not base64"))?;
        let headers = headers
            .ok_or(Malformed("missing headers"))?
            .split_ascii_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        Ok(SignatureHeader {
            keyid: keyid.map(str::to_owned),
            algorithm,
            signature,
            headers,
        })
    }
}

/// A signed HTTP message (API response or webhook request) to verify.
#[derive(Debug, Clone, Copy)]
pub struct SignedMessage<'a> {
    /// Method of the request (for responses: of the request they answer).
    pub method: &'a str,
    /// Path and query of the request.
    pub target: &'a str,
    /// Host of the request, without port.
    pub host: &'a str,
    /// `Date` header value.
    pub date: &'a str,
    /// `Digest` header value, if the message carried one (checked against the body).
    pub digest: Option<&'a str>,
    /// Raw body bytes.
    pub body: &'a [u8],
}

/// Verifies a `Keygen-Signature` header value over `message`.
///
/// The body's digest is recomputed (a `Digest` header that disagrees fails with
/// [`OfflineError::DigestMismatch`]); the header list must be exactly Keygen's four headers
/// (in any order), so that the body is always covered. Returns the parsed header.
///
/// `keyid` is not covered by the signature (in Keygen's scheme it only names the account
/// whose key to use); authenticity comes from `keys`, so pass only the expected account's
/// keys and treat `keyid` as a hint.
pub fn verify_signed_message(
    message: &SignedMessage<'_>,
    signature_header: &str,
    keys: &impl KeySource,
) -> Result<SignatureHeader, OfflineError> {
    let header: SignatureHeader = signature_header.parse()?;
    let mut names: Vec<&str> = header.headers.iter().map(String::as_str).collect();
    names.sort_unstable();
    let mut expected = SIGNED_HEADERS;
    expected.sort_unstable();
    if names != expected {
        return Err(OfflineError::MalformedSignatureHeader(
            "headers must be (request-target) host date digest",
        ));
    }
    let digest = digest_header_value(message.body);
    if let Some(given) = message.digest {
        // The scheme name is case-insensitive in HTTP; the base64 value is not.
        let matches = given
            .trim_ascii()
            .split_once('=')
            .is_some_and(|(alg, value)| {
                alg.eq_ignore_ascii_case("sha-256") && digest.ends_with(value) && value.len() == 44
            });
        if !matches {
            return Err(OfflineError::DigestMismatch);
        }
    }
    let input = SigningInput {
        method: message.method,
        target: message.target,
        host: message.host,
        date: message.date,
        digest: &digest,
    };
    let signing_string = input
        .signing_string_for(&header.headers)
        .ok_or(OfflineError::MalformedSignatureHeader("unsupported header"))?;
    keys.verify(
        header.algorithm,
        signing_string.as_bytes(),
        &header.signature,
    )?;
    Ok(header)
}
