//! The account resource (`GET /v1/accounts/{account}`), with its public keys
//! exposed as Keygen does (`meta.publicKey`, `meta.keys`).

use crate::account::Account;
use crate::api::v1::serialize::{resource, ts1};
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use base64::Engine;
use serde_json::json;

/// `GET /v1/accounts/{account}`
pub async fn show(account: Account, Authed(principal): Authed) -> ApiResult<Document> {
    // Keygen's AccountPolicy#show: any staff role.
    if !principal.actor().is_staff() {
        return Err(ApiError::forbidden("not allowed to read the account"));
    }
    let a = &account.0;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut document = json!({
        "data": resource(&account, "accounts", &a.id, json!({
            "name": a.name,
            "slug": a.slug,
            "apiVersion": "1.8",
            "status": "SUBSCRIBED",
            "protected": a.protected,
            "created": ts1(a.created_at),
            "updated": ts1(a.updated_at),
        }), json!({})),
        "meta": {
            "publicKey": b64(&a.rsa_public),
            "keys": { "ed25519": b64(&a.ed25519_public), "ecdsa": b64(&a.ecdsa_public), "rsa2048": b64(&a.rsa_public) },
        },
    });
    document["data"]["links"] = json!({ "self": account.base() });
    Ok(Document::ok(document))
}
