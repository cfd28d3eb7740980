//! Helpers every resource serializer shares: timestamps, metadata, relationship
//! objects and the resource envelope (always with `attributes` and `relationships`).

use crate::account::Account;
use serde_json::{Map, Value, json};

/// A stored unix-ms timestamp as Keygen's ISO-8601 string, or null.
pub fn ts(ms: Option<i64>) -> Value {
    ms.and_then(latchkey_proto::time_format::from_millis)
        .map(|at| Value::String(latchkey_proto::time_format::format(at)))
        .unwrap_or(Value::Null)
}

/// A non-null stored timestamp.
pub fn ts1(ms: i64) -> Value {
    ts(Some(ms))
}

/// Stored JSON text as a value (`{}` if unreadable).
pub fn json_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::Object(Map::new()))
}

/// The account relationship every resource has.
pub fn account_rel(account: &Account) -> Value {
    json!({ "links": { "related": account.base() }, "data": { "type": "accounts", "id": account.id() } })
}

/// A to-one relationship with linkage.
pub fn to_one(account: &Account, own: &str, name: &str, kind: &str, id: Option<&str>) -> Value {
    json!({
        "links": { "related": format!("{}/{own}/{name}", account.base()) },
        "data": id.map(|id| json!({ "type": kind, "id": id })),
    })
}

/// A to-many relationship, linked only.
pub fn to_many(account: &Account, own: &str, name: &str) -> Value {
    json!({ "links": { "related": format!("{}/{own}/{name}", account.base()) } })
}

/// The resource envelope.
pub fn resource(
    account: &Account,
    kind: &str,
    id: &str,
    attributes: Value,
    relationships: Value,
) -> Value {
    json!({
        "id": id,
        "type": kind,
        "attributes": attributes,
        "relationships": relationships,
        "links": { "self": format!("{}/{kind}/{id}", account.base()) },
    })
}

/// `{ "data": resource }`.
pub fn single(data: Value) -> Value {
    json!({ "data": data })
}
