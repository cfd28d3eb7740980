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
