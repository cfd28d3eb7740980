//! License validation (Keygen §3): `POST /licenses/actions/validate-key` (no auth
//! needed) and `GET|POST /licenses/{id}/actions/validate`. The verdict comes from
//! `latchkey_core::validation::validate`; an invalid license is a 200 with
//! `meta.valid = false`, and an unknown key a 200 with `data: null`.

use super::serializer::{self, LicenseView};
use crate::account::Account;
use crate::auth::{Auth, Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_core::validation::{NOT_FOUND, ReleaseTouch, Scope, Validation, validate_touching};
use latchkey_proto::ErrorCode;
use latchkey_store::licenses::{LicenseCounts, LicenseRow};
use latchkey_store::validation::{Head, Loaded, Needs, head_by_id, load, load_by_key};
use serde_json::{Map, Value, json};

fn bad(pointer: &str, detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code(ErrorCode::ParametersInvalid)
        .pointer(pointer)
}

fn string_in(scope: &Map<String, Value>, name: &str) -> ApiResult<Option<String>> {
    match scope.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) if name == "user" => Ok(Some(n.to_string())),
        Some(_) => Err(bad(
            &format!("/meta/scope/{name}"),
            "type mismatch (expected string)",
        )),
    }
}

fn strings_in(scope: &Map<String, Value>, name: &str) -> ApiResult<Option<Vec<String>>> {
    match scope.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(bad(
                    &format!("/meta/scope/{name}"),
                    "type mismatch (expected array of strings)",
                )),
            })
            .collect::<ApiResult<Vec<_>>>()
            .map(Some),
        Some(_) => Err(bad(
            &format!("/meta/scope/{name}"),
            "type mismatch (expected array)",
        )),
    }
}

const SCOPE_KEYS: &[&str] = &[
    "product",
    "policy",
    "user",
    "machine",
    "fingerprint",
    "fingerprints",
    "components",
    "entitlements",
    "checksum",
    "version",
    "environment",
];

/// The parsed `meta` of a validation request.
struct Request {
    scope: Option<(Scope, Value)>,
    nonce: Option<Value>,
}

fn parse_meta(body: &Value, require_key: bool) -> ApiResult<(Request, Option<String>)> {
    let meta = match body.get("meta") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(meta)) => meta.clone(),
        Some(_) => return Err(bad("/meta", "type mismatch (expected object)")),
    };
    let key = match meta.get("key") {
        Some(Value::String(k)) if !k.trim().is_empty() => Some(k.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) if require_key => {
            return Err(bad("/meta/key", "is missing"));
        }
        None | Some(Value::Null) => None,
        Some(Value::String(_)) => None,
        Some(_) => return Err(bad("/meta/key", "type mismatch (expected string)")),
    };
    let nonce = match meta.get("nonce") {
        None | Some(Value::Null) => None,
        Some(n @ Value::Number(num)) if num.is_i64() || num.is_u64() => Some(n.clone()),
        Some(_) => return Err(bad("/meta/nonce", "type mismatch (expected integer)")),
    };
    for name in meta.keys() {
        let name = crate::jsonapi::input::camel_case(name);
        if !matches!(
            name.as_str(),
            "key" | "scope" | "nonce" | "legacyEncrypted" | "encrypted"
        ) {
            return Err(bad(&format!("/meta/{name}"), "unpermitted parameter"));
        }
    }
    let scope = match meta.get("scope") {
        None | Some(Value::Null) => None,
        Some(Value::Object(raw)) => {
            let normalized: Map<String, Value> = raw
                .iter()
                .map(|(k, v)| (crate::jsonapi::input::camel_case(k), v.clone()))
                .collect();
            if let Some(unknown) = normalized
                .keys()
                .find(|k| !SCOPE_KEYS.contains(&k.as_str()))
            {
                return Err(bad(
                    &format!("/meta/scope/{unknown}"),
                    "unpermitted parameter",
                ));
            }
            let scope = Scope {
                product: string_in(&normalized, "product")?,
                policy: string_in(&normalized, "policy")?,
                user: string_in(&normalized, "user")?,
                machine: string_in(&normalized, "machine")?,
                fingerprint: string_in(&normalized, "fingerprint")?,
                fingerprints: strings_in(&normalized, "fingerprints")?,
                components: strings_in(&normalized, "components")?,
                entitlements: strings_in(&normalized, "entitlements")?,
                checksum: string_in(&normalized, "checksum")?,
                version: string_in(&normalized, "version")?,
                releases: Default::default(),
            };
            Some((scope, Value::Object(raw.clone())))
        }
        Some(_) => return Err(bad("/meta/scope", "type mismatch (expected object)")),
    };
    Ok((Request { scope, nonce }, key))
}

fn meta(state: &AppState, verdict: &Validation, request: &Request) -> Value {
    let mut meta = json!({
        "ts": latchkey_proto::time_format::format(state.now()),
        "valid": verdict.valid,
        "detail": verdict.detail,
        "code": verdict.code.as_str(),
    });
    if let Some(nonce) = &request.nonce {
        meta["nonce"] = nonce.clone();
    }
    if let Some((_, raw)) = &request.scope {
        meta["scope"] = raw.clone();
    }
    meta
}

/// The scope with the store's answer for its `checksum` and `version` (artifacts
/// and releases the license sees; no query when neither is given), and the
/// release versions they matched: (checksum's artifact's release, version's release).
async fn with_release_matches(
    state: &AppState,
    license: &latchkey_store::licenses::LicenseRow,
    scope: &Scope,
) -> ApiResult<(Scope, ReleaseVersions)> {
    let mut scope = scope.clone();
    let mut versions = ReleaseVersions::default();
    let actor = latchkey_core::access::Actor::License {
        id: &license.id,
        product_id: &license.product_id,
        owner_id: license.owner_id.as_deref(),
    };
    if let Some(checksum) = &scope.checksum {
        versions.checksum = latchkey_store::artifacts::checksum_match(
            &state.db,
            &license.product_id,
            &actor,
            checksum,
        )
        .await?;
        scope.releases.checksum = versions.checksum.is_some();
    }
    if let Some(version) = &scope.version {
        let normalized = latchkey_core::releases::parse_version(version)
            .map(|v| v.to_string())
            .unwrap_or_else(|| version.clone());
        scope.releases.version = latchkey_store::releases::version_match(
            &state.db,
            &license.product_id,
            &actor,
            &normalized,
        )
        .await?;
        versions.version = scope.releases.version.then_some(normalized);
    }
    Ok((scope, versions))
}

/// The release versions a scope matched (see [`with_release_matches`]).
#[derive(Default)]
struct ReleaseVersions {
    checksum: Option<String>,
    version: Option<String>,
}

/// Queues the `lastValidated` touch with the release scopes the validation
/// records (Keygen's `last_validated_checksum`/`last_validated_version`: a version
/// scope's release wins over the checksum's artifact's) and mirrors it on the row
/// the response renders (the cached row may predate it).
fn touch(
    state: &AppState,
    license: &mut latchkey_store::licenses::LicenseRow,
    scope: Option<&Scope>,
    versions: ReleaseVersions,
    touched: ReleaseTouch,
) {
    let now = state.now_ms();
    let checksum = scope
        .and_then(|s| s.checksum.clone())
        .filter(|_| touched.checksum);
    let version = versions
        .version
        .filter(|_| touched.version)
        .or(versions.checksum.filter(|_| touched.checksum));
    license.last_validated_at = Some(now);
    if checksum.is_some() || version.is_some() {
        if checksum.is_some() {
            license.last_validated_checksum.clone_from(&checksum);
        }
        if version.is_some() {
            license.last_validated_version.clone_from(&version);
        }
        state
            .toucher
            .touch_release(&license.id, now, checksum, version);
    } else {
        state.toucher.touch(&license.id, now);
    }
}

/// What the request's scope needs loaded beyond license, policy and machines.
fn needs(state: &AppState, request: &Request) -> Needs {
    let scope = request.scope.as_ref().map(|(s, _)| s);
    Needs {
        users: scope.is_some_and(|s| s.user.is_some()),
        entitlements: scope.is_some_and(|s| s.entitlements.is_some()),
        now_ms: state.now_ms(),
        components: scope.is_some_and(|s| s.components.is_some()),
    }
}

async fn run(
    state: &AppState,
    account: &Account,
    loaded: Loaded,
    request: &Request,
    quick: bool,
) -> ApiResult<Document> {
    let scope = request.scope.as_ref().map(|(s, _)| s);
    let Loaded {
        mut license,
        policy,
        machines,
        snapshot,
    } = loaded;
    let unscoped = Scope::default();
    let (scope, versions) = match scope {
        Some(scope) if !quick => {
            let (scope, versions) = with_release_matches(state, &license, scope).await?;
            (Some(scope), versions)
        }
        _ => (None, ReleaseVersions::default()),
    };
    let (verdict, touched) = validate_touching(
        &snapshot,
        if quick {
            None
        } else {
            Some(scope.as_ref().unwrap_or(&unscoped))
        },
        state.now(),
    );
    touch(state, &mut license, scope.as_ref(), versions, touched);
    if state.validation_events.wanted(account.id()) {
        let name = if verdict.valid {
            "license.validation.succeeded"
        } else {
            "license.validation.failed"
        };
        let meta = meta(state, &verdict, request);
        state
            .validation_events
            .record(latchkey_store::outbox::Event::new(
                name,
                &license,
                Some(meta),
                state.now_ms(),
            ));
    }
    // FROM_FIRST_VALIDATION: one conditional write, only while there is no expiry.
    latchkey_store::licenses::start_expiry(
        &state.db,
        &mut license,
        &policy,
        latchkey_core::lifecycle::FirstEvent::Validation,
        state.now_ms(),
    )
    .await?;
    // Saturating and capped like the stored sums (store `sums`): never overflows.
    let total = |f: fn(&latchkey_store::machines::MachineRow) -> Option<i64>| {
        machines
            .iter()
            .filter_map(f)
            .fold(0i64, i64::saturating_add)
            .min(latchkey_core::activation::MAX_RESOURCE)
    };
    let counts = LicenseCounts {
        machines: machines.len() as i64,
        cores: total(|m| m.cores),
        memory: total(|m| m.memory),
        disk: total(|m| m.disk),
        users: snapshot.license.users.len() as i64,
    };
    let view = LicenseView {
        license: &license,
        policy: &policy,
        owner_banned: snapshot.license.owner_banned,
        counts,
        now_ms: state.now_ms(),
    };
    Document::ok_typed(&Validated {
        data: serializer::license_doc(account, &view),
        meta: meta(state, &verdict, request),
    })
}

/// A validation's answer: the license and the verdict.
#[derive(serde::Serialize)]
struct Validated<'a> {
    data: serializer::LicenseDoc<'a>,
    meta: Value,
}

async fn authorize(state: &AppState, principal: &Principal, license: &LicenseRow) -> ApiResult<()> {
    if !super::may_read(state, principal, license).await? {
        return Err(ApiError::forbidden("not allowed to validate this license"));
    }
    Ok(())
}

/// The license addressed by id or key in the URL, with policy and owner.
async fn head_for(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<Head> {
    let license = super::find_for(state, account, principal, id).await?;
    head_by_id(&state.db, account.id(), &license.id)
        .await?
        .ok_or_else(|| ApiError::not_found("license", id))
}

/// `POST /licenses/actions/validate-key`
pub async fn validate_key(
    State(state): State<AppState>,
    account: Account,
    Auth(principal): Auth,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (request, key) = parse_meta(&body, true)?;
    let key = key.unwrap_or_default();
    let needs = needs(&state, &request);
    let Some(loaded) = load_by_key(&state.db, account.id(), &key, needs).await? else {
        return Ok(Document::ok(
            json!({ "data": Value::Null, "meta": meta(&state, &NOT_FOUND, &request) }),
        ));
    };
    if let Some(principal) = &principal {
        authorize(&state, principal, &loaded.license).await?;
    }
    run(&state, &account, loaded, &request, false).await
}

/// `POST /licenses/{id}/actions/validate`
pub async fn validate_by_id(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (request, _) = parse_meta(&body, false)?;
    let head = head_for(&state, &account, &principal, &id).await?;
    authorize(&state, &principal, &head.license).await?;
    let loaded = load(&state.db, head, needs(&state, &request)).await?;
    run(&state, &account, loaded, &request, false).await
}

/// `GET /licenses/{id}/actions/validate` (quick: no scope checks)
pub async fn quick_validate(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let head = head_for(&state, &account, &principal, &id).await?;
    authorize(&state, &principal, &head.license).await?;
    let request = Request {
        scope: None,
        nonce: None,
    };
    let loaded = load(&state.db, head, needs(&state, &request)).await?;
    run(&state, &account, loaded, &request, true).await
}
