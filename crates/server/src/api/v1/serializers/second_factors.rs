//! Second factor rendering (`second-factors`). The TOTP `secret` and its `uri` appear
//! only while the factor is not enabled, and never in webhooks (the caller passes
//! them in [`Reveal`] only then).

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::second_factors::SecondFactorRow;
use serde_json::{Value, json};

/// The secret of a not-yet-enabled factor, as shown to its user.
#[derive(Debug, Clone)]
pub struct Reveal {
    /// The base32 secret.
    pub secret: String,
    /// The `otpauth://totp/…` provisioning URI.
    pub uri: String,
}

/// The second factor resource object; `reveal` is rendered only while not enabled.
pub fn second_factor(account: &Account, row: &SecondFactorRow, reveal: Option<&Reveal>) -> Value {
    let mut attributes = json!({
        "enabled": row.enabled,
        "created": ts1(row.created_at),
        "updated": ts1(row.updated_at),
    });
    if let Some(reveal) = reveal.filter(|_| !row.enabled) {
        attributes["uri"] = json!(reveal.uri);
        attributes["secret"] = json!(reveal.secret);
    }
    let user = format!("{}/users/{}", account.base(), row.user_id);
    let mut object = resource(
        account,
        "second-factors",
        &row.id,
        attributes,
        json!({
            "account": account_rel(account),
            "user": {
                "links": { "related": user },
                "data": { "type": "users", "id": row.user_id },
            },
        }),
    );
    object["links"] = json!({ "self": format!("{user}/second-factors/{}", row.id) });
    object
}
