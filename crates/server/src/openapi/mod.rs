//! The API contract as an OpenAPI 3.1 document, built from [`catalog::OPERATIONS`]
//! (one entry per routed method and path, held equal to the route table by a test)
//! with utoipa's model types. Served at `GET /v1/openapi.json` and printed by
//! `latchkey openapi`. Every operation appears twice: account-less (`/v1/…`, what
//! Keygen's SDKs call on a self-hosted base URL) and under `/v1/accounts/{account}/…`.

pub mod attributes;
pub mod catalog;
mod filters;
pub mod markdown;
mod operation;
mod schemas;

use serde_json::{Value, json};
use utoipa::openapi::OpenApi;

/// What an operation takes and answers (the resource type named is the `type` of
/// the resources in the answer, or of the request's `data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `GET /v1/ping`: 200, empty body.
    Ping,
    /// `GET /v1/openapi.json`: this document.
    Contract,
    /// A page of resources.
    Many(&'static str),
    /// One resource.
    One(&'static str),
    /// The credential's bearer: a user, product or license (`/v1/me`).
    Bearer,
    /// Creates a resource from a `data` document: 201.
    Create(&'static str),
    /// Creates an artifact: 307 to its signed upload URL, with the resource.
    Upload(&'static str),
    /// Updates a resource from a `data` document: 200.
    Update(&'static str),
    /// Replaces a to-one relationship (`data: {type, id}`), answering the parent.
    Change(&'static str),
    /// Attaches to-many relationship members (`data: [{type, id}]`): 200 with the
    /// join resources.
    Attach(&'static str),
    /// Detaches to-many relationship members: 204.
    Detach(&'static str),
    /// An action on a resource (optional `meta` body), answering the resource.
    Action(&'static str),
    /// Deletes: 204.
    Gone,
    /// 204 with no body (password reset request).
    NoContent,
    /// A license validation: the license with `meta.valid/code/detail/scope`.
    Validation,
    /// `POST /v1/search`: resources of the type named in `meta.type`.
    Search,
    /// A document with `meta` only (offline proof).
    Meta,
    /// 303/307 to a signed URL, or 200 with `Location` under `Prefer: no-redirect`.
    Redirect,
    /// A license or machine file as a download (`application/octet-stream`).
    Certificate,
    /// A non-JSON:API answer (an update feed).
    Raw,
    /// `GET /metrics`: Prometheus text, behind the metrics token (no account form).
    Metrics,
}

/// The whole document, checked against utoipa's OpenAPI model as it is assembled.
pub fn document() -> Result<OpenApi, serde_json::Error> {
    let mut paths = serde_json::Map::new();
    for op in catalog::OPERATIONS {
        let method = op.method.to_ascii_lowercase();
        for (path, under_account) in forms(op.path) {
            let item = paths
                .entry(path)
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            item[&method] = operation::build(op, under_account);
        }
    }
    serde_json::from_value(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Latchkey API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Keygen's licensing and distribution API as Latchkey serves it. \
                Every path exists account-less (`/v1/…`, what Keygen's SDKs call on a \
                self-hosted base URL) and under `/v1/accounts/{account}/…`. Requests and \
                answers are JSON:API (`application/vnd.api+json`); answers are signed \
                (`Keygen-Signature`, `Digest`/`Keygen-Digest`, `Date`/`Keygen-Date`).",
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": schemas::components(),
    }))
}

/// The paths an operation is served on: account-less, and under the account prefix
/// for the `/v1/…` API (`/metrics` has no account form).
pub fn forms(path: &str) -> Vec<(String, bool)> {
    if path.starts_with("/v1/") {
        vec![(path.to_owned(), false), (account_path(path), true)]
    } else {
        vec![(path.to_owned(), false)]
    }
}

/// `/v1/accounts/{account}/…` for an account-less `/v1/…` path.
pub fn account_path(path: &str) -> String {
    match path.strip_prefix("/v1") {
        Some(rest) => format!("/v1/accounts/{{account}}{rest}"),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests;
