//! The HTTP half: builds `/v1/…` URLs, sends JSON:API requests with the configured
//! credential, and refuses every response whose signature, digest or date does not
//! check out before any of it is parsed.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use latchkey_proto::jsonapi::MEDIA_TYPE;
use latchkey_proto::offline::{SignedMessage, verify_signed_message};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde_json::Value;

use crate::config::{Config, Credential};
use crate::error::{Error, TrustError, parse_api_errors};

/// Characters escaped in a path segment: everything but RFC 3986's unreserved ones.
pub(crate) const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Largest response body read (a hostile or broken server cannot exhaust memory).
const MAX_BODY: usize = 16 << 20;

/// A verified response: status, headers and the JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The parsed body; `Value::Null` for empty bodies (204).
    pub body: Value,
}

/// A Latchkey (or Keygen) API client. Cheap to clone; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    http: reqwest::Client,
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// HTTP method.
    pub method: Method,
    /// API path below `/v1/` (or `/v1/accounts/{account}/`).
    pub path: &'a str,
    /// Query parameters.
    pub query: Vec<(&'a str, String)>,
    /// JSON body.
    pub body: Option<Value>,
    /// Overrides the configured credential for this request.
    pub credential: Option<&'a Credential>,
}

impl<'a> Request<'a> {
    /// A request without query, body or credential override.
    pub fn new(method: Method, path: &'a str) -> Self {
        Request {
            method,
            path,
            query: Vec::new(),
            body: None,
            credential: None,
        }
    }

    /// Adds a JSON body.
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Authenticates this request with `credential` instead of the configured one.
    pub fn credential(mut self, credential: &'a Credential) -> Self {
        self.credential = Some(credential);
        self
    }
}

impl Client {
    /// A client for `config`. Fails when the configuration cannot work (see
    /// [`Config`]); no request is made.
    pub fn new(config: Config) -> Result<Self, Error> {
        config.check()?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            // Redirects would change the signed request target: never follow them.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::Network)?;
        Ok(Client {
            inner: Arc::new(Inner { config, http }),
        })
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Sends `request` and returns the verified response; an error status becomes
    /// [`Error::Api`].
    pub async fn send(&self, request: Request<'_>) -> Result<Response, Error> {
        let config = &self.inner.config;
        let mut url = Url::parse(&config.url(request.path))
            .map_err(|e| Error::Config(format!("invalid URL: {e}")))?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(request.query.iter());
        }
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url.clone())
            .header("Accept", MEDIA_TYPE)
            .header("Keygen-Version", config.api_version.as_str());
        let credential = request.credential.unwrap_or(&config.credential);
        match credential {
            Credential::None => {}
            Credential::LicenseKey(key) => {
                builder = builder.header("Authorization", auth("License", key)?)
            }
            Credential::Token(token) => {
                builder = builder.header("Authorization", auth("Bearer", token)?)
            }
            Credential::Basic { user, password } => {
                builder = builder.basic_auth(user, Some(password));
            }
        }
        if let Some(body) = &request.body {
            let bytes = serde_json::to_vec(body).map_err(|e| Error::Protocol(e.to_string()))?;
            builder = builder.header("Content-Type", MEDIA_TYPE).body(bytes);
        }
        let mut response = builder.send().await.map_err(Error::Network)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(Error::Network)? {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(Error::Protocol(format!(
                    "the response body exceeds {} MiB",
                    MAX_BODY >> 20
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        if config.verify_signatures {
            verify_response(config, &request.method, &url, &headers, &bytes)?;
        }
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                Error::Protocol(format!("HTTP {status} with a body that is not JSON: {e}"))
            })?
        };
        if status >= 400 {
            return Err(Error::Api {
                status,
                errors: parse_api_errors(&body),
            });
        }
        if (300..400).contains(&status) {
            return Err(Error::Protocol(format!(
                "unexpected redirect (HTTP {status})"
            )));
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// `GET path` → body.
    pub async fn get(&self, path: &str) -> Result<Value, Error> {
        Ok(self.send(Request::new(Method::GET, path)).await?.body)
    }

    /// `POST path` with a JSON body → body.
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, Error> {
        Ok(self
            .send(Request::new(Method::POST, path).json(body))
            .await?
            .body)
    }

    /// `PATCH path` with a JSON body → body.
    pub async fn patch(&self, path: &str, body: Value) -> Result<Value, Error> {
        Ok(self
            .send(Request::new(Method::PATCH, path).json(body))
            .await?
            .body)
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<(), Error> {
        self.send(Request::new(Method::DELETE, path))
            .await
            .map(|_| ())
    }
}

fn auth(scheme: &str, secret: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(&format!("{scheme} {secret}")).map_err(|_| {
        Error::Config("the credential contains characters a header cannot carry".into())
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The `Host` header as the HTTP client sends it: host, plus `:port` unless the port
/// is the scheme's default. The server signs exactly this value.
fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks the signature, digest and date of a response (errors and empty bodies
/// too) as [`Client::send`] does: for callers that make their own requests. `url` is
/// the URL requested (its host, port, path and query are what the server signed).
pub fn verify_response(
    config: &Config,
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), TrustError> {
    let signature = header(headers, "keygen-signature").ok_or(TrustError::Unsigned)?;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let host = host_header(url);
    // A proxy may rewrite `Date`/`Digest`; Keygen duplicates them as `Keygen-Date`/
    // `Keygen-Digest`. Either pair may verify.
    let mut dates: Vec<&str> = Vec::new();
    for name in ["date", "keygen-date"] {
        if let Some(d) = header(headers, name)
            && !dates.contains(&d)
        {
            dates.push(d);
        }
    }
    if dates.is_empty() {
        return Err(TrustError::MissingHeader("Date"));
    }
    let digest = header(headers, "keygen-digest").or_else(|| header(headers, "digest"));
    let mut last = None;
    for date in dates {
        let message = SignedMessage {
            method: method.as_str(),
            target: &target,
            host: &host,
            date,
            digest,
            body,
        };
        match verify_signed_message(&message, signature, &config.public_keys) {
            Ok(_) => return check_date(config, date),
            Err(e) => last = Some(e),
        }
    }
    Err(TrustError::Signature(last.unwrap_or(
        latchkey_proto::offline::OfflineError::MalformedSignatureHeader("no date"),
    )))
}

fn check_date(config: &Config, date: &str) -> Result<(), TrustError> {
    let signed = httpdate::parse_http_date(date).map_err(|_| TrustError::MissingHeader("Date"))?;
    let now = config.clock.now();
    let skew = distance(signed, now);
    if skew > config.max_clock_skew {
        return Err(TrustError::Stale {
            date: date.to_owned(),
            skew_seconds: skew.as_secs(),
        });
    }
    Ok(())
}

fn distance(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b)
        .or_else(|_| b.duration_since(a).map_err(|_| ()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_header_keeps_non_default_ports() {
        let url = Url::parse("http://127.0.0.1:8080/v1/x").unwrap();
        assert_eq!(host_header(&url), "127.0.0.1:8080");
        let url = Url::parse("https://licensing.example.com:443/v1/x").unwrap();
        assert_eq!(host_header(&url), "licensing.example.com");
    }

    #[test]
    fn distance_is_symmetric() {
        let a = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let b = SystemTime::UNIX_EPOCH + Duration::from_secs(40);
        assert_eq!(distance(a, b), Duration::from_secs(60));
        assert_eq!(distance(b, a), Duration::from_secs(60));
    }
}
