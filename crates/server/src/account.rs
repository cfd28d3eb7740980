//! Account resolution. Every API route exists twice: `/v1/accounts/{account}/…` and,
//! for the server's default account, `/v1/…` (Keygen's SDKs use the latter whenever
//! their base URL is not Keygen's cloud). A layer in front of the router resolves
//! the account, stores it in the request, and rewrites the path to the account-less
//! form, so the route table is written once.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::Uri;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_proto::ErrorCode;
use latchkey_store::accounts::AccountRow;
use std::sync::Arc;

/// The request's path as the client sent it (before rewriting), for signatures and links.
#[derive(Debug, Clone)]
pub struct OriginalPath(pub String);

/// The account a request is for.
#[derive(Debug, Clone)]
pub struct Account(pub Arc<AccountRow>);

impl Account {
    /// The account id.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// `/v1/accounts/<id>`, the prefix of every `links` path.
    pub fn base(&self) -> String {
        format!("/v1/accounts/{}", self.0.id)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Account {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Account>()
            .cloned()
            .ok_or_else(ApiError::route_not_found)
    }
}

/// Splits `/v1/accounts/{account}/rest` into the account and `/v1/rest`.
fn split(path: &str) -> Option<(&str, String)> {
    let rest = path.strip_prefix("/v1/accounts/")?;
    let (account, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if account.is_empty() {
        return None;
    }
    let rewritten = if tail.is_empty() || tail == "/" {
        "/v1/account".to_owned()
    } else {
        format!("/v1{tail}")
    };
    Some((account, rewritten))
}

/// The resolving layer (see module docs).
pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    // The signed request-target is the path and query exactly as sent.
    let original_target = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.clone(),
    };
    request.extensions_mut().insert(OriginalPath(path.clone()));
    if !path.starts_with("/v1/") {
        return next.run(request).await;
    }
    // Keygen's ping answers 200 without an account and is never signed, under the
    // account prefix too.
    if path == "/v1/ping" || split(&path).is_some_and(|(_, tail)| tail == "/v1/ping") {
        *request.uri_mut() = Uri::from_static("/v1/ping");
        return next.run(request).await;
    }
    let (account, rewritten) = match split(&path) {
        Some((wanted, rewritten)) => match state.account(wanted).await {
            Ok(Some(account)) => (account, Some(rewritten)),
            Ok(None) => return ApiError::not_found("account", wanted).into_response(),
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => match state.default_account().await {
            Ok(Some(account)) => (account, None),
            Ok(None) => return ApiError::not_found("account", "default").into_response(),
            Err(e) => return ApiError::from(e).into_response(),
        },
    };
    if let Some(rewritten) = rewritten {
        let with_query = match request.uri().query() {
            Some(q) => format!("{rewritten}?{q}"),
            None => rewritten,
        };
        match with_query.parse::<Uri>() {
            Ok(uri) => *request.uri_mut() = uri,
            Err(_) => {
                return ApiError::bad_request("The request URI is invalid")
                    .code(ErrorCode::UriInvalid)
                    .into_response();
            }
        }
    }
    let facts = crate::signing::RequestFacts {
        method: request.method().as_str().to_ascii_lowercase(),
        target: original_target,
        host: request
            .headers()
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()))
            .unwrap_or("")
            .to_owned(),
    };
    let (algorithm, response) =
        match crate::signing::accepted_algorithm(request.headers(), &account.id) {
            Ok(algorithm) => {
                request.extensions_mut().insert(Account(account.clone()));
                (algorithm, next.run(request).await)
            }
            Err(error) => (
                latchkey_proto::offline::SignatureAlgorithm::Ed25519,
                error.into_response(),
            ),
        };
    crate::signing::sign(&state, &account, algorithm, &facts, response).await
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_account_paths() {
        assert_eq!(
            split("/v1/accounts/acme/licenses"),
            Some(("acme", "/v1/licenses".to_owned()))
        );
        assert_eq!(
            split("/v1/accounts/acme"),
            Some(("acme", "/v1/account".to_owned()))
        );
        assert_eq!(split("/v1/licenses"), None);
    }
}
