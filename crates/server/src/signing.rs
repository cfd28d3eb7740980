//! Response signatures (Keygen §7.1): once the account is known, every response —
//! errors and empty 204s included — carries `Date`, `Digest`, `Keygen-Signature` and
//! the `Keygen-Date` / `Keygen-Digest` duplicates. The signed `host` is the `Host`
//! header exactly as the client sent it (port included): that is what Keygen's SDKs
//! put into the string they verify. `Keygen-Accept-Signature` picks the algorithm.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use latchkey_core::crypto::response_signature::{ResponseToSign, sign_response};
use latchkey_core::crypto::sealed::AccountKey;
use latchkey_core::crypto::{Signer, sealed};
use latchkey_proto::ErrorCode;
use latchkey_proto::offline::SignatureAlgorithm;
use latchkey_store::accounts::AccountRow;
use std::sync::Arc;

/// Parses `Keygen-Accept-Signature: [keyid="…", ]algorithm="…"`.
pub fn accepted_algorithm(
    headers: &HeaderMap,
    account_id: &str,
) -> Result<SignatureAlgorithm, ApiError> {
    let Some(value) = headers.get("keygen-accept-signature") else {
        return Ok(SignatureAlgorithm::Ed25519);
    };
    let invalid = |why: &str| {
        ApiError::bad_request(format!("invalid accept-signature header ({why})"))
            .code(ErrorCode::HeaderInvalid)
            .header("Keygen-Accept-Signature")
    };
    crate::encoding::check_bytes(value.as_bytes())
        .map_err(|flaw| flaw.error().header("Keygen-Accept-Signature"))?;
    let text = value.to_str().map_err(|_| invalid("not ASCII"))?;
    let mut algorithm = None;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, quoted) = part
            .split_once('=')
            .ok_or_else(|| invalid("expected name=\"value\" pairs"))?;
        let value = quoted
            .trim()
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| invalid("values must be quoted"))?;
        match name.trim().to_ascii_lowercase().as_str() {
            "keyid" if value == account_id => {}
            "keyid" => return Err(invalid("keyid does not match the account")),
            "algorithm" => {
                algorithm = Some(
                    value
                        .parse::<SignatureAlgorithm>()
                        .map_err(|_| invalid("unsupported algorithm"))?,
                )
            }
            _ => return Err(invalid("unknown parameter")),
        }
    }
    algorithm.ok_or_else(|| invalid("algorithm is required"))
}

/// The account's signer, unsealed once and cached.
pub fn signer(state: &AppState, account: &AccountRow) -> Result<Arc<Signer>, String> {
    if let Ok(cache) = state.signers.read()
        && let Some(signer) = cache.get(&account.id)
    {
        return Ok(signer.clone());
    }
    let secret = state.secret.bytes();
    let open = |kind: AccountKey, sealed_key: &str| {
        sealed::open_account_key(secret, &account.id, kind, sealed_key).map_err(|e| e.to_string())
    };
    let signer = Signer::from_pkcs8(
        &open(AccountKey::Ed25519, &account.ed25519_private)?,
        &open(AccountKey::EcdsaP256, &account.ecdsa_private)?,
        &open(AccountKey::Rsa, &account.rsa_private)?,
    )
    .map_err(|e| e.to_string())?;
    let signer = Arc::new(signer);
    if let Ok(mut cache) = state.signers.write() {
        cache.insert(account.id.clone(), signer.clone());
    }
    Ok(signer)
}

/// What the request contributes to the signature.
pub struct RequestFacts {
    /// Lowercase method.
    pub method: String,
    /// Original path and query.
    pub target: String,
    /// `Host` header as sent.
    pub host: String,
}

/// Buffers the body and adds the signature headers.
pub async fn sign(
    state: &AppState,
    account: &AccountRow,
    algorithm: SignatureAlgorithm,
    request: &RequestFacts,
    response: Response,
) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return ApiError::internal(format!("reading response body: {e}")).into_response(),
    };
    let signer = match signer(state, account) {
        Ok(signer) => signer,
        Err(e) => return ApiError::internal(format!("loading account keys: {e}")).into_response(),
    };
    let to_sign = ResponseToSign {
        method: &request.method,
        target: &request.target,
        host: &request.host,
        date: state.now(),
        body: &bytes,
    };
    let signed = match sign_response(&signer, &account.id, algorithm, &to_sign) {
        Ok(signed) => signed,
        Err(e) => return ApiError::internal(format!("signing response: {e}")).into_response(),
    };
    let headers = &mut parts.headers;
    for (name, value) in [
        (header::DATE.as_str(), &signed.date),
        ("keygen-date", &signed.date),
        ("digest", &signed.digest),
        ("keygen-digest", &signed.digest),
        ("keygen-signature", &signed.signature),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    headers.insert(
        "keygen-account",
        HeaderValue::from_str(&account.id).unwrap_or(HeaderValue::from_static("")),
    );
    Response::from_parts(parts, Body::from(bytes))
}
