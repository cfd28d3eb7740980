//! Group resource rendering (`groups`).

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::groups::GroupRow;
use serde_json::{Value, json};

/// The group resource object.
pub fn group(account: &Account, row: &GroupRow) -> Value {
    let own = format!("groups/{}", row.id);
    resource(
        account,
        "groups",
        &row.id,
        json!({
            "name": row.name,
            "maxUsers": row.max_users,
            "maxLicenses": row.max_licenses,
            "maxMachines": row.max_machines,
            "metadata": json_text(&row.metadata),
            "created": ts1(row.created_at),
            "updated": ts1(row.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "owners": to_many(account, &own, "owners"),
            "users": to_many(account, &own, "users"),
            "licenses": to_many(account, &own, "licenses"),
            "machines": to_many(account, &own, "machines"),
        }),
    )
}
