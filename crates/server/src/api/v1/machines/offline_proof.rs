//! `POST /machines/{id}/actions/generate-offline-proof` (Keygen's deprecated
//! `v1x0/proofs#create`, still used by its activation-proof example): the machine
//! with `meta.proof`, `proof/<base64url(JSON dataset)>.<base64url(signature)>`, the
//! signature being RSA-SHA256 (PKCS#1 v1.5) by the account's RSA key over
//! `proof/<base64url(JSON dataset)>`. Staff and products may pass their own
//! `meta.dataset`; everyone else gets Keygen's default dataset.

use super::{load, serializer};
use crate::account::Account;
use crate::api::v1::serialize::ts;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use latchkey_core::access::LicenseFacts;
use latchkey_core::access::machines as access;
use latchkey_proto::ErrorCode;
use latchkey_proto::offline::SignatureAlgorithm;
use latchkey_store::licenses::LicenseRow;
use latchkey_store::machines::MachineRow;
use latchkey_store::policies::PolicyRow;
use serde_json::{Value, json};

fn bad(pointer: &str, detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code(ErrorCode::ParametersInvalid)
        .pointer(pointer)
}

/// The caller's `meta.dataset`, if any (an object).
fn read_dataset(body: &Value, allowed: bool) -> ApiResult<Option<Value>> {
    let Some(object) = body.as_object() else {
        return Ok(None);
    };
    if let Some(other) = object.keys().find(|k| !matches!(k.as_str(), "meta")) {
        return Err(bad(&format!("/{other}"), "unpermitted parameter"));
    }
    let Some(meta) = object.get("meta") else {
        return Ok(None);
    };
    if !allowed {
        return Err(bad("/meta", "unpermitted parameter"));
    }
    let Some(meta) = meta.as_object() else {
        return Err(bad("/meta", "type mismatch (expected object)"));
    };
    if let Some(other) = meta.keys().find(|k| k.as_str() != "dataset") {
        return Err(bad(&format!("/meta/{other}"), "unpermitted parameter"));
    }
    match meta.get("dataset") {
        Some(dataset @ Value::Object(_)) => Ok(Some(dataset.clone())),
        Some(_) => Err(bad("/meta/dataset", "type mismatch (expected object)")),
        None => Err(bad("/meta/dataset", "is missing")),
    }
}

/// Keygen's `Machine#default_proof_dataset`.
fn default_dataset(
    account: &Account,
    machine: &MachineRow,
    license: &LicenseRow,
    policy: &PolicyRow,
    now_ms: i64,
) -> Value {
    json!({
        "account": { "id": account.id() },
        "product": { "id": license.product_id },
        "policy": { "id": policy.id, "duration": policy.duration },
        "license": { "id": license.id, "key": license.key, "expiry": ts(license.expiry) },
        "machine": { "id": machine.id, "fingerprint": machine.fingerprint, "created": ts(Some(machine.created_at)) },
        "ts": ts(Some(now_ms)),
    })
}

/// `POST /machines/{id}/actions/generate-offline-proof`
pub async fn generate(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    let actor = principal.actor();
    let dataset = read_dataset(&body, access::may_choose_proof_dataset(&actor))?;
    let facts = LicenseFacts {
        id: &l.license.id,
        product_id: &l.license.product_id,
        owner_id: l.license.owner_id.as_deref(),
        protected: l.license.is_protected(&l.policy),
        // The proof rule looks at ownership only.
        actor_is_licensee: false,
    };
    if !access::may_generate_proof(&actor, &facts) {
        return Err(ApiError::forbidden(
            "not allowed to generate a proof for this machine",
        ));
    }
    let now = state.now_ms();
    let dataset = dataset
        .unwrap_or_else(|| default_dataset(&account, &l.machine, &l.license, &l.policy, now));
    let data = serde_json::to_vec(&dataset).map_err(ApiError::internal)?;
    let signing_data = format!("proof/{}", URL_SAFE.encode(data));
    let signer = crate::signing::signer(&state, &account.0).map_err(ApiError::internal)?;
    let signature = signer
        .sign(SignatureAlgorithm::RsaSha256, signing_data.as_bytes())
        .map_err(ApiError::internal)?;
    let proof = format!("{signing_data}.{}", URL_SAFE.encode(signature));
    Ok(Document::ok(json!({
        "data": serializer::machine(&account, &l.machine, &l.license, &l.policy, now),
        "meta": { "proof": proof },
    })))
}
