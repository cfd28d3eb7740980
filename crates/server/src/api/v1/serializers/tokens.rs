//! Token resource rendering (`tokens`). The raw secret appears only in the response
//! that created or regenerated it.

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::tokens::TokenRow;
use serde_json::{Value, json};

/// The token resource object; `raw` is included once, at generation.
pub fn token(account: &Account, t: &TokenRow, raw: Option<&str>) -> Value {
    let mut attributes = json!({
        "kind": t.kind,
        "expiry": ts(t.expiry),
        "name": t.name,
        "created": ts1(t.created_at),
        "updated": ts1(t.updated_at),
    });
    if let Some(raw) = raw {
        attributes["token"] = json!(raw);
    }
    if t.kind == "activation-token" {
        attributes["maxActivations"] = json!(t.max_activations);
        attributes["activations"] = json!(t.activations);
        attributes["maxDeactivations"] = json!(t.max_deactivations);
        attributes["deactivations"] = json!(t.deactivations);
    }
    resource(
        account,
        "tokens",
        &t.id,
        attributes,
        json!({
            "account": account_rel(account),
            "bearer": {
                "links": { "related": format!("{}/{}/{}", account.base(), t.bearer_type, t.bearer_id) },
                "data": { "type": t.bearer_type, "id": t.bearer_id },
            },
        }),
    )
}
