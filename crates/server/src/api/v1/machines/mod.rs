//! Machines (`/machines`, id = UUID or fingerprint): activation is `POST`
//! ([`activate`]), deactivation is `DELETE` (Keygen §4.1–4.2). Limits and uniqueness
//! are enforced by `latchkey_store::machines::activate` inside one locked
//! transaction; who may do what is `latchkey_core::access::machines`.

pub mod activate;
pub mod component_input;
pub mod group;
pub mod heartbeat;
mod lookup;
pub mod offline_proof;
pub mod owner;
use crate::api::v1::serializers::machines as serializer;

pub use activate::create;
pub(crate) use lookup::{facts, find_for, license_of, licensee, may_read};

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, camel_case, invalid};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::machines as access;
use latchkey_core::activation::{LimitExceeded, Limits};
use latchkey_proto::ErrorCode;
use latchkey_store::licenses::LicenseRow;
use latchkey_store::machines::{self, MachineChanges, MachineQuery, MachineRow, MachineWrite};
use latchkey_store::policies::PolicyRow;
use serde_json::json;

pub(crate) struct Loaded {
    pub(crate) machine: MachineRow,
    pub(crate) license: LicenseRow,
    pub(crate) policy: PolicyRow,
}

/// Loads a machine the caller may read, with its license and policy.
pub(crate) async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<Loaded> {
    let (machine, (license, policy)) = if principal.is_staff() {
        // Staff see every machine: the machine and its license in one query.
        let found = latchkey_store::machines::find_with_head(&state.db, account.id(), id)
            .await?
            .ok_or_else(|| ApiError::not_found("machine", id))?;
        (found.machine, (found.head.license, found.head.policy))
    } else {
        let machine = find_for(state, account, principal, id).await?;
        let license = license_of(state, account, principal, &machine.license_id)
            .await?
            .ok_or_else(|| ApiError::not_found("machine", id))?;
        (machine, license)
    };
    if !may_read(state, principal, &machine, &license, &policy).await? {
        return Err(ApiError::forbidden("not allowed to read this machine"));
    }
    Ok(Loaded {
        machine,
        license,
        policy,
    })
}

/// `GET /machines`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let owned = |name: &str| query.get(name).map(str::to_owned);
    let filters = MachineQuery {
        fingerprint: owned("fingerprint"),
        ip: owned("ip"),
        hostname: owned("hostname"),
        owner: owned("owner"),
        group: owned("group"),
        license: owned("license").or_else(|| owned("key")),
        product: owned("product"),
        policy: owned("policy"),
        user: owned("user"),
        metadata: query
            .prefixed("metadata")
            .into_iter()
            .map(|(key, value)| (camel_case(key), value.to_owned()))
            .collect(),
    };
    let (rows, count) = machines::list(
        &state.db,
        account.id(),
        &filters,
        &principal.actor(),
        &page,
        order,
    )
    .await?;
    let now = state.now_ms();
    let data: Vec<_> = rows
        .iter()
        .map(|(machine, license, policy)| {
            serializer::machine(&account, machine, license, policy, now)
        })
        .collect();
    let last = rows.last().map(|(m, _, _)| m.id.as_str());
    let (links, _) = query.list_links(&page, count, last);
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /machines/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(serializer::machine(
        &account,
        &l.machine,
        &l.license,
        &l.policy,
        state.now_ms(),
    ))))
}

/// Largest accepted cores/memory/disk (2^53; the totals are bounded by the same value).
const MAX_RESOURCE: i64 = latchkey_core::activation::MAX_RESOURCE;

fn positive(input: &mut Input, name: &str) -> ApiResult<Field<i64>> {
    let value = input.integer(name)?;
    if let Field::Value(v) = value {
        if v < 1 {
            return Err(invalid(name, "must be greater than or equal to 1"));
        }
        if v > MAX_RESOURCE {
            return Err(invalid(
                name,
                format!("must be less than or equal to {MAX_RESOURCE}"),
            ));
        }
    }
    Ok(value)
}

pub(crate) fn limits(license: &LicenseRow, policy: &PolicyRow) -> Limits {
    policy.effective_limits(license).activation(&policy.rules())
}

pub(crate) fn limit_error(error: LimitExceeded) -> ApiError {
    ApiError::unprocessable(error.code(), error.detail()).pointer("/data")
}

/// `PATCH /machines/{id}`
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    let actor = principal.actor();
    let facts = facts(&l.license, &l.policy, false);
    if !access::may_update(&actor, l.machine.owner_id.as_deref(), &facts) {
        return Err(ApiError::forbidden("not allowed to update this machine"));
    }
    let mut input = Input::parse(&body, "machines")?;
    let mut changes = MachineChanges {
        name: input.string("name", 255)?.into_update(),
        ip: input.string("ip", 255)?.into_update(),
        hostname: input.string("hostname", 255)?.into_update(),
        platform: input.string("platform", 255)?.into_update(),
        ..MachineChanges::default()
    };
    if access::is_privileged_writer(&actor) {
        changes.cores = positive(&mut input, "cores")?.into_update();
        changes.memory = positive(&mut input, "memory")?.into_update();
        changes.disk = positive(&mut input, "disk")?.into_update();
        changes.metadata = input
            .metadata()?
            .into_update()
            .map(|m| m.unwrap_or_else(|| "{}".into()));
    }
    input.finish()?;
    let limits = limits(&l.license, &l.policy);
    let updated =
        match machines::update(&state.db, &l.machine, changes, &limits, state.now_ms()).await? {
            MachineWrite::Done(updated) => *updated,
            MachineWrite::Limit(limit) => return Err(limit_error(limit)),
            MachineWrite::Gone => return Err(ApiError::not_found("machine", &id)),
        };
    Ok(Document::ok(single(serializer::machine(
        &account,
        &updated,
        &l.license,
        &l.policy,
        state.now_ms(),
    ))))
}

/// `DELETE /machines/{id}` — deactivation.
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let l = load(&state, &account, &principal, &id).await?;
    let facts = facts(&l.license, &l.policy, false);
    if !access::may_manage(&principal.actor(), l.machine.owner_id.as_deref(), &facts) {
        return Err(ApiError::forbidden(
            "not allowed to deactivate this machine",
        ));
    }
    let token = activate::activation_token(&principal);
    if !machines::deactivate(
        &state.db,
        account.id(),
        &l.machine.id,
        token.as_deref(),
        state.now_ms(),
    )
    .await?
    {
        return Err(ApiError::unprocessable(
            ErrorCode::DeactivationsLimitExceeded,
            "exceeds maximum allowed by activation token",
        )
        .pointer("/data/attributes/deactivations"));
    }
    Ok(no_content())
}
