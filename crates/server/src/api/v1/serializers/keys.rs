//! Pool key resource rendering (`keys`).

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::pool_keys::PoolKeyRow;
use serde_json::{Value, json};

/// The key resource object.
pub fn key(account: &Account, k: &PoolKeyRow) -> Value {
    let own = format!("keys/{}", k.id);
    resource(
        account,
        "keys",
        &k.id,
        json!({
            "key": k.key,
            "created": ts1(k.created_at),
            "updated": ts1(k.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "product": to_one(account, &own, "product", "products", Some(&k.product_id)),
            "policy": to_one(account, &own, "policy", "policies", Some(&k.policy_id)),
        }),
    )
}
