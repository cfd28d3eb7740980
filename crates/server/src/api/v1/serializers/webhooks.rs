//! Webhook endpoint and webhook event rendering (`webhook-endpoints`,
//! `webhook-events`). An event's `payload` is the JSON text of the resource
//! document, rendered by `crate::events::render` from the event's snapshot.

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::webhook_events::WebhookEventRow;
use latchkey_store::webhooks::WebhookEndpointRow;
use serde_json::{Value, json};

/// The webhook endpoint resource object.
pub fn endpoint(account: &Account, row: &WebhookEndpointRow) -> Value {
    let own = format!("webhook-endpoints/{}", row.id);
    resource(
        account,
        "webhook-endpoints",
        &row.id,
        json!({
            "url": row.url,
            "subscriptions": row.subscription_list(),
            "signatureAlgorithm": row.signature_algorithm,
            "apiVersion": row.api_version,
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "product": to_one(account, &own, "product", "products", row.product_id.as_deref()),
        }),
    )
}

/// The webhook event resource object with its rendered `payload`.
pub fn event(account: &Account, row: &WebhookEventRow, payload: &str) -> Value {
    resource(
        account,
        "webhook-events",
        &row.id,
        json!({
            "endpoint": row.endpoint_url,
            "apiVersion": row.api_version,
            "payload": payload,
            "event": row.event,
            "status": row.status,
            "lastResponseCode": row.last_response_code,
            "lastResponseBody": row.last_response_body,
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({ "account": account_rel(account) }),
    )
}
