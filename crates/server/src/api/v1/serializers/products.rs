//! Product resource rendering (`products`).

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::products::ProductRow;
use serde_json::{Value, json};

/// The product resource object.
pub fn product(account: &Account, row: &ProductRow) -> Value {
    let own = format!("products/{}", row.id);
    resource(
        account,
        "products",
        &row.id,
        json!({
            "name": row.name,
            "code": row.code,
            "distributionStrategy": row.distribution_strategy,
            "url": row.url,
            "platforms": json_text(&row.platforms),
            "metadata": json_text(&row.metadata),
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "policies": to_many(account, &own, "policies"),
            "licenses": to_many(account, &own, "licenses"),
            "machines": to_many(account, &own, "machines"),
            "users": to_many(account, &own, "users"),
            "tokens": to_many(account, &own, "tokens"),
        }),
    )
}
