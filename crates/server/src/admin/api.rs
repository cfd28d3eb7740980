//! The UI's only way to read and change anything: requests to the real API, sent
//! in-process through the same service stack an HTTP client reaches (account
//! resolution, rate limits, access rules, event and request logs), with the signed-in
//! user's own token. So a page shows exactly what the API lets that user see, and a
//! forged form post is refused exactly as the API refuses it.

use crate::client_ip::ClientIp;
use crate::net::App;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

/// Largest API answer the UI reads (a page of 100 resources is far below).
const MAX_REPLY: usize = 16 * 1024 * 1024;

/// The API as the UI calls it.
#[derive(Clone)]
pub struct Api {
    service: App,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("admin::Api")
    }
}

/// Who a call is made as, and from where.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Account id (`/v1/accounts/{id}/…`).
    pub account: String,
    /// `Authorization` header value (`Bearer …` or `Basic …`).
    pub authorization: String,
    /// The browser's address, for the API's rate limits and request logs.
    pub ip: Option<ClientIp>,
}

/// An API answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// `Content-Type`.
    pub content_type: String,
    /// Raw body.
    pub bytes: axum::body::Bytes,
}

impl Reply {
    /// The body as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }
}

/// An API refusal, as the UI shows it.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The API's status (the page answers with it).
    pub status: StatusCode,
    /// `errors[0].code`, when there is one.
    pub code: Option<String>,
    /// `title: detail` of each error.
    pub message: String,
}

impl Failure {
    /// Reads the JSON:API errors of a non-2xx reply.
    pub fn from_reply(reply: &Reply) -> Self {
        let body = reply.json();
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        let code = errors
            .first()
            .and_then(|e| e["code"].as_str())
            .map(str::to_owned);
        let mut parts = Vec::new();
        for error in &errors {
            let title = error["title"].as_str().unwrap_or("Error");
            let text = match error["detail"].as_str() {
                Some(detail) => format!("{title}: {detail}"),
                None => title.to_owned(),
            };
            let text = match error["source"]["pointer"].as_str() {
                Some(pointer) => format!("{text} ({pointer})"),
                None => text,
            };
            parts.push(text);
        }
        if parts.is_empty() {
            parts.push(
                reply
                    .status
                    .canonical_reason()
                    .unwrap_or("request failed")
                    .to_owned(),
            );
        }
        Self {
            status: reply.status,
            code,
            message: parts.join("; "),
        }
    }

    /// A failure the UI itself decided on (bad form input).
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code: None,
            message: message.into(),
        }
    }
}

impl Api {
    /// Calls into `service` (the API behind account resolution).
    pub fn new(service: App) -> Self {
        Self { service }
    }

    /// Sends one request: `path` is account-less (`/licenses?…`), `body` a JSON
    /// document.
    pub async fn send(
        &self,
        caller: &Caller,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, Failure> {
        let uri = format!("/v1/accounts/{}{path}", caller.account);
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::ACCEPT, "application/vnd.api+json")
            .header(header::HOST, "admin.internal");
        if let Ok(value) = HeaderValue::from_str(&caller.authorization) {
            request = request.header(header::AUTHORIZATION, value);
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/vnd.api+json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let mut request = request
            .body(body)
            .map_err(|e| Failure::new(StatusCode::BAD_REQUEST, e.to_string()))?;
        if let Some(ip) = caller.ip {
            request.extensions_mut().insert(ip);
        }
        let response = match self.service.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), MAX_REPLY)
            .await
            .map_err(|e| Failure::new(StatusCode::BAD_GATEWAY, e.to_string()))?;
        Ok(Reply {
            status,
            content_type,
            bytes,
        })
    }

    /// Sends and requires 2xx: the JSON body, or the API's refusal.
    pub async fn call(
        &self,
        caller: &Caller,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        let reply = self.send(caller, method, path, body).await?;
        if reply.ok() {
            Ok(reply.json())
        } else {
            Err(Failure::from_reply(&reply))
        }
    }

    /// `GET` and require 2xx.
    pub async fn get(&self, caller: &Caller, path: &str) -> Result<Value, Failure> {
        self.call(caller, Method::GET, path, None).await
    }

    /// `POST` and require 2xx.
    pub async fn post(&self, caller: &Caller, path: &str, body: &Value) -> Result<Value, Failure> {
        self.call(caller, Method::POST, path, Some(body)).await
    }
}

/// `path?k=v&…` with the pairs form-encoded (empty values left out).
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if kept.is_empty() {
        return path.to_owned();
    }
    let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
    format!("{path}?{query}")
}

/// `links.meta.count` of a list document (offset paging), else the length of `data`.
pub fn count(document: &Value) -> i64 {
    document["links"]["meta"]["count"]
        .as_i64()
        .or_else(|| document["data"].as_array().map(|a| a.len() as i64))
        .unwrap_or(0)
}
