//! Component resource rendering (`components`).

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::components::ComponentRow;
use serde_json::{Value, json};

/// The component resource object.
pub fn component(account: &Account, c: &ComponentRow, product_id: &str) -> Value {
    let own = format!("components/{}", c.id);
    resource(
        account,
        "components",
        &c.id,
        json!({
            "fingerprint": c.fingerprint,
            "name": c.name,
            "metadata": json_text(&c.metadata),
            "created": ts1(c.created_at),
            "updated": ts1(c.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "product": to_one(account, &own, "product", "products", Some(product_id)),
            "license": to_one(account, &own, "license", "licenses", Some(&c.license_id)),
            "machine": to_one(account, &own, "machine", "machines", Some(&c.machine_id)),
        }),
    )
}
