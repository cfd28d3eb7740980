//! Request logs: the [`layer`] notes every API request of an account (method, URL,
//! status, client IP, user agent, bearer, resource, request id, time taken) and
//! queues it; a writer task inserts queued rows in batches (up to 1 000 rows or a
//! quarter second per transaction), so logging adds no write to the request path.
//! A full queue drops rows and counts them ([`RequestLogs::dropped`]) rather than
//! slow requests down; graceful shutdown flushes the queue; a SIGKILL loses at most
//! the open batch window. Request and response bodies are recorded only with the
//! setting `request_log_bodies`, JSON only and with secrets filtered ([`bodies`]).

pub mod bodies;
mod writer;

use crate::account::{Account, OriginalPath};
use crate::client_ip::ClientIp;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use latchkey_store::request_logs::RequestLogRow;
pub use writer::RequestLogs;

/// `(type, id)` of the resource a path names: `/v1/licenses/{id}/…` → licenses, id.
fn resource_of(path: &str) -> (Option<String>, Option<String>) {
    let mut parts = path.trim_start_matches('/').split('/').skip(1);
    let kind = parts.next().filter(|k| !k.is_empty()).map(str::to_owned);
    let id = parts
        .next()
        .filter(|id| !id.is_empty() && *id != "actions")
        .map(str::to_owned);
    (kind, id)
}

fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// The layer (inside account resolution, so the account is known).
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(logs) = state.request_logs.clone() else {
        return next.run(request).await;
    };
    let Some(account) = request.extensions().get::<Account>().cloned() else {
        return next.run(request).await;
    };
    let started = std::time::Instant::now();
    let method = request.method().as_str().to_owned();
    let original = request
        .extensions()
        .get::<OriginalPath>()
        .map(|p| p.0.clone())
        .unwrap_or_else(|| request.uri().path().to_owned());
    let url = match request.uri().query() {
        Some(query) => format!("{original}?{query}"),
        None => original,
    };
    let (resource_type, resource_id) = resource_of(request.uri().path());
    let ip = request
        .extensions()
        .get::<ClientIp>()
        .map(|ClientIp(ip)| ip.to_string());
    let user_agent = request
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| clip(v, 512));
    let keep_bodies = state.config.logs.request_log_bodies;
    let (request, captured) = if keep_bodies {
        let (request, captured) = bodies::capture_request(request);
        (request, Some(captured))
    } else {
        (request, None)
    };
    let response = next.run(request).await;
    let (response, response_body) = if keep_bodies {
        bodies::capture_response(response).await
    } else {
        (response, None)
    };
    let context = latchkey_store::event_logs::current();
    let (requestor_type, requestor_id) = context.whodunnit.unzip();
    let now = state.now_ms();
    logs.record(RequestLogRow {
        id: latchkey_store::ordered_id(now),
        account_id: account.id().to_owned(),
        request_id: context.request_id.unwrap_or_default(),
        method,
        url: clip(&url, 2048),
        status: i64::from(response.status().as_u16()),
        ip,
        user_agent,
        requestor_type,
        requestor_id,
        resource_type,
        resource_id,
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        created_at: now,
        updated_at: now,
        request_body: captured.and_then(|c| c.render()),
        response_body,
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_come_from_the_path() {
        assert_eq!(
            resource_of("/v1/licenses/abc/actions/validate"),
            (Some("licenses".into()), Some("abc".into()))
        );
        assert_eq!(
            resource_of("/v1/licenses/actions/validate-key"),
            (Some("licenses".into()), None)
        );
        assert_eq!(resource_of("/v1/"), (None, None));
        assert_eq!(clip("héllo", 2), "h");
    }
}
