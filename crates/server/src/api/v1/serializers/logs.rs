//! Event log rendering (`event-logs`, Keygen §2.14): the event, and as
//! relationships the resource, the whodunnit bearer and the request (by its
//! `X-Request-Id`, also given as the `requestId` attribute).

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::event_logs::EventLogRow;
use serde_json::{Value, json};

fn linkage(kind: Option<&str>, id: Option<&str>) -> Value {
    match (kind, id) {
        (Some(kind), Some(id)) => json!({ "data": { "type": kind, "id": id } }),
        _ => json!({ "data": null }),
    }
}

/// The event log resource object.
pub fn event_log(account: &Account, row: &EventLogRow) -> Value {
    resource(
        account,
        "event-logs",
        &row.id,
        json!({
            "event": row.event,
            "requestId": row.request_id,
            "metadata": {},
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "resource": linkage(Some(&row.resource_type), Some(&row.resource_id)),
            "whodunnit": linkage(row.whodunnit_type.as_deref(), row.whodunnit_id.as_deref()),
            "request": linkage(Some("request-logs"), row.request_id.as_deref()),
        }),
    )
}

/// The request log resource object (Keygen's `request-logs`; bodies only with the
/// setting `request_log_bodies`, filtered; no response signature).
pub fn request_log(account: &Account, row: &latchkey_store::request_logs::RequestLogRow) -> Value {
    resource(
        account,
        "request-logs",
        &row.id,
        json!({
            "url": row.url,
            "method": row.method,
            "status": row.status.to_string(),
            "ip": row.ip,
            "userAgent": row.user_agent,
            "requestId": row.request_id,
            "requestBody": row.request_body,
            "responseBody": row.response_body,
            "responseSignature": null,
            "runTime": row.duration_ms,
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "requestor": linkage(row.requestor_type.as_deref(), row.requestor_id.as_deref()),
            "resource": linkage(row.resource_type.as_deref(), row.resource_id.as_deref()),
        }),
    )
}
