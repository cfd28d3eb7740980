//! Entitlement resource rendering (`entitlements`).

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::entitlements::EntitlementRow;
use serde_json::{Value, json};

/// The entitlement resource object.
pub fn entitlement(account: &Account, row: &EntitlementRow) -> Value {
    resource(
        account,
        "entitlements",
        &row.id,
        json!({
            "name": row.name,
            "code": row.code,
            "metadata": json_text(&row.metadata),
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({ "account": account_rel(account) }),
    )
}

/// A list of entitlements as a document (`data` only).
pub fn list(account: &Account, rows: &[EntitlementRow]) -> Value {
    let data: Vec<Value> = rows.iter().map(|e| entitlement(account, e)).collect();
    json!({ "data": data })
}

/// One join row as Keygen renders attachments (`license-users`,
/// `license-entitlements`, `policy-entitlements`): `parent` and `member` are
/// `(relationship name, type, id)`.
pub fn join_resource(
    account: &Account,
    kind: &str,
    id: &str,
    parent: (&str, &str, &str),
    member: (&str, &str, &str),
    at: i64,
) -> Value {
    let rel = |(name, kind, id): (&str, &str, &str)| {
        (
            name.to_owned(),
            json!({
                "links": { "related": format!("{}/{kind}/{id}", account.base()) },
                "data": { "type": kind, "id": id },
            }),
        )
    };
    let mut relationships = serde_json::Map::new();
    relationships.insert("account".into(), account_rel(account));
    for (name, value) in [rel(parent), rel(member)] {
        relationships.insert(name, value);
    }
    resource(
        account,
        kind,
        id,
        json!({ "created": ts1(at), "updated": ts1(at) }),
        Value::Object(relationships),
    )
}
