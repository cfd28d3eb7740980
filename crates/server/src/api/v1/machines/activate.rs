//! `POST /machines` — activation, read as parse (the JSON:API document) → decide
//! (`latchkey_core::access::machines` and, inside the store's transaction,
//! `latchkey_core::activation`) → persist (`latchkey_store::machines::activate…`).

use super::{facts, license_of, limit_error, limits, positive, serializer};
use crate::account::Account;
use crate::api::v1::groups::admitted;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, missing};
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::State;
use latchkey_core::access::machines as access;
use latchkey_core::policy::UniquenessStrategy;
use latchkey_proto::ErrorCode;
use latchkey_store::Db;
use latchkey_store::components::Uniqueness;
use latchkey_store::groups::{Admission, Member};
use latchkey_store::licenses::LicenseRow;
use latchkey_store::machines::{self, ActivationError, ActivationRules, MachineRow};
use latchkey_store::policies::PolicyRow;
use serde_json::Value;

/// An activation request as parsed from its document.
struct Request {
    custom_id: Option<String>,
    license_id: String,
    owner: Option<String>,
    group: Field<String>,
    components: Option<Value>,
    fingerprint: Field<String>,
    name: Field<String>,
    ip: Field<String>,
    hostname: Field<String>,
    platform: Field<String>,
    cores: Field<i64>,
    memory: Field<i64>,
    disk: Field<i64>,
    metadata: Field<String>,
}

fn license_not_found() -> ApiError {
    ApiError::unprocessable(ErrorCode::LicenseNotFound, "must exist")
        .pointer("/data/relationships/license")
}

/// Parses the document. As in Keygen, only staff who write and products name a
/// group; others inherit it.
fn parse(body: &Value, principal: &Principal) -> ApiResult<Request> {
    let mut input = Input::parse(body, "machines")?;
    let custom_id = input.id().map(str::to_owned);
    let Field::Value(license_id) = input.relationship("license")? else {
        return Err(license_not_found());
    };
    let owner = match input.relationship("owner")? {
        Field::Absent => input.relationship("user")?,
        other => {
            input.relationship("user")?;
            other
        }
    };
    let group = if access::is_privileged_writer(&principal.actor()) {
        input.relationship("group")?
    } else {
        Field::Absent
    };
    let request = Request {
        custom_id,
        license_id,
        owner: owner.value(),
        group,
        components: input.relationship_data("components"),
        fingerprint: input.string("fingerprint", 4096)?,
        name: input.string("name", 255)?,
        ip: input.string("ip", 255)?,
        hostname: input.string("hostname", 255)?,
        platform: input.string("platform", 255)?,
        cores: positive(&mut input, "cores")?,
        memory: positive(&mut input, "memory")?,
        disk: positive(&mut input, "disk")?,
        metadata: input.metadata()?,
    };
    input.finish()?;
    Ok(request)
}

/// The fingerprint: present, not reserved, not another machine's id.
async fn fingerprint(
    state: &AppState,
    account: &Account,
    field: Field<String>,
) -> ApiResult<String> {
    let fingerprint = match field {
        Field::Value(f) if !f.trim().is_empty() => f,
        _ => return Err(missing("fingerprint")),
    };
    if matches!(fingerprint.as_str(), "action" | "actions") {
        return Err(
            ApiError::unprocessable(ErrorCode::FingerprintNotAllowed, "is reserved")
                .pointer("/data/attributes/fingerprint"),
        );
    }
    if uuid::Uuid::parse_str(&fingerprint).is_ok()
        && machines::find_by_id(&state.db, account.id(), &fingerprint)
            .await?
            .is_some()
    {
        return Err(ApiError::unprocessable(
            ErrorCode::FingerprintConflict,
            "must not conflict with another machine's identifier",
        )
        .pointer("/data/attributes/fingerprint"));
    }
    Ok(fingerprint)
}

/// A named owner must own or be attached to the license.
async fn check_owner(
    state: &AppState,
    account: &Account,
    license: &LicenseRow,
    owner: &str,
) -> ApiResult<()> {
    let is_licensee = license.owner_id.as_deref() == Some(owner)
        || latchkey_store::licenses::is_licensee(&state.db, &license.id, owner).await?;
    if is_licensee {
        return Ok(());
    }
    let exists = latchkey_store::users::find(&state.db, account.id(), owner)
        .await?
        .is_some();
    Err(if exists {
        ApiError::unprocessable(
            ErrorCode::OwnerInvalid,
            "must be a valid user of the license",
        )
        .pointer("/data/relationships/owner")
    } else {
        ApiError::unprocessable(ErrorCode::OwnerNotFound, "must exist")
            .pointer("/data/relationships/owner")
    })
}

/// The machine's group: the one named, else the license's, else the owner's.
async fn group_of(
    state: &AppState,
    account: &Account,
    named: Field<String>,
    license: &LicenseRow,
    owner: Option<&str>,
) -> ApiResult<Option<String>> {
    Ok(match named {
        Field::Value(group) => Some(crate::api::v1::groups::resolve(state, account, &group).await?),
        _ => match (&license.group_id, owner) {
            (Some(group), _) => Some(group.clone()),
            (None, Some(owner)) => latchkey_store::users::find(&state.db, account.id(), owner)
                .await?
                .and_then(|user| user.group_id),
            (None, None) => None,
        },
    })
}

/// The client's own id, or a new one as the store lays out a growing table's keys.
fn machine_id(db: &Db, custom: Option<String>, now: i64) -> ApiResult<String> {
    match custom {
        Some(id) if uuid::Uuid::parse_str(&id).is_ok() => Ok(id.to_lowercase()),
        Some(_) => Err(
            ApiError::unprocessable(ErrorCode::IdInvalid, "must be a valid UUID")
                .pointer("/data/id"),
        ),
        None => Ok(db.growing_table_id(now)),
    }
}

/// The activation token a license bearer used, whose counters must be charged.
pub(super) fn activation_token(principal: &Principal) -> Option<String> {
    match (&principal.bearer, &principal.token) {
        (Bearer::License(..), Some(token)) => Some(token.id.clone()),
        _ => None,
    }
}

/// Keygen's answer to a refused activation.
fn refused(error: ActivationError, uniqueness: UniquenessStrategy) -> ApiError {
    match error {
        ActivationError::Components(e) => super::component_input::component_error(e, true),
        ActivationError::Limit(limit) => limit_error(limit),
        ActivationError::FingerprintTaken => {
            // Keygen names the scope the fingerprint was taken in.
            let detail = match uniqueness {
                UniquenessStrategy::PerAccount => "has already been taken for this account",
                UniquenessStrategy::PerProduct => "has already been taken for this product",
                UniquenessStrategy::PerPolicy => "has already been taken for this policy",
                _ => "has already been taken",
            };
            ApiError::unprocessable(ErrorCode::FingerprintTaken, detail)
                .pointer("/data/attributes/fingerprint")
        }
        ActivationError::ActivationsLimit => ApiError::unprocessable(
            ErrorCode::ActivationsLimitExceeded,
            "exceeds maximum allowed by activation token",
        )
        .pointer("/data/attributes/activations"),
        ActivationError::LicenseGone => license_not_found(),
        ActivationError::GroupFull(max) => admitted(Member::Machine, Admission::Full(max))
            .err()
            .unwrap_or_else(license_not_found),
        ActivationError::GroupGone => admitted(Member::Machine, Admission::Missing)
            .err()
            .unwrap_or_else(license_not_found),
        ActivationError::Store(e) => e.into(),
    }
}

fn new_row(
    id: String,
    account: &Account,
    license: &LicenseRow,
    policy: &PolicyRow,
    request: Request,
    (fingerprint, group_id): (String, Option<String>),
    now: i64,
) -> MachineRow {
    MachineRow {
        id,
        account_id: account.id().to_owned(),
        license_id: license.id.clone(),
        owner_id: request.owner,
        group_id,
        fingerprint,
        name: request.name.value(),
        ip: request.ip.value(),
        hostname: request.hostname.value(),
        platform: request.platform.value(),
        cores: request.cores.value(),
        memory: request.memory.value(),
        disk: request.disk.value(),
        max_processes: None,
        last_heartbeat_at: (policy.require_heartbeat && policy.heartbeat_basis == "FROM_CREATION")
            .then_some(now),
        last_check_out_at: None,
        metadata: request.metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
        last_death_event_at: None,
        heartbeat_resurrected_at: None,
    }
}

/// `POST /machines` — activation.
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut request = parse(&body, &principal)?;
    let (license, policy) = license_of(&state, &account, &principal, &request.license_id)
        .await?
        .ok_or_else(license_not_found)?;
    let facts = facts(&license, &policy, false);
    if !access::may_manage(&principal.actor(), request.owner.as_deref(), &facts) {
        return Err(ApiError::forbidden(
            "not allowed to activate machines for this license",
        ));
    }
    let fingerprint = fingerprint(
        &state,
        &account,
        std::mem::replace(&mut request.fingerprint, Field::Absent),
    )
    .await?;
    if let Some(owner) = &request.owner {
        check_owner(&state, &account, &license, owner).await?;
    }
    let group = std::mem::replace(&mut request.group, Field::Absent);
    let group_id = group_of(&state, &account, group, &license, request.owner.as_deref()).await?;
    let now = state.now_ms();
    let id = machine_id(&state.db, request.custom_id.take(), now)?;
    let components_data = request.components.take();
    let row = new_row(
        id,
        &account,
        &license,
        &policy,
        request,
        (fingerprint, group_id),
        now,
    );
    let components = super::component_input::nested(components_data, &row)?;
    let rules = ActivationRules {
        limits: limits(&license, &policy),
        uniqueness: policy.machine_uniqueness_strategy,
        policy_id: policy.id.clone(),
        product_id: license.product_id.clone(),
        activation_token: activation_token(&principal),
    };
    let component_rules = Uniqueness::of(&license, &policy);
    machines::activate_with_components(
        &state.db,
        &row,
        &rules,
        &components,
        Some(&component_rules),
    )
    .await
    .map_err(|e| refused(e, rules.uniqueness))?;
    // FROM_FIRST_ACTIVATION starts the license's expiry clock (once).
    let mut license = license;
    crate::api::v1::licenses::lifecycle::start_expiry(
        &state,
        &mut license,
        &policy,
        latchkey_core::lifecycle::FirstEvent::Activation,
    )
    .await?;
    let location = format!("{}/machines/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::machine(&account, &row, &license, &policy, now)),
        location,
    ))
}
