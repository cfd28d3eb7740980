//! Processes (`/processes`, Keygen §1.11, §2.5): spawn, list, show, update metadata,
//! ping and kill. Pid uniqueness and maxProcesses are enforced by
//! `latchkey_store::processes::spawn` inside one locked transaction.

pub mod relations;
use crate::api::v1::serializers::processes as serializer;

use crate::account::Account;
use crate::api::v1::machines::{facts, license_of, licensee};
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::processes as access;
use latchkey_core::heartbeat::{HeartbeatStatus, process_status, resurrection_period_passed};
use latchkey_core::policy::DEFAULT_HEARTBEAT_SECONDS;
use latchkey_proto::ErrorCode;
use latchkey_proto::time_format::from_millis;
use latchkey_store::licenses::LicenseRow;
use latchkey_store::machines::{self, MachineRow};
use latchkey_store::new_id;
use latchkey_store::policies::PolicyRow;
use latchkey_store::processes::{self, ProcessChanges, ProcessQuery, ProcessRow, SpawnError};
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// Readers: staff, the product, the license, and users owning the machine or
/// holding the license.
async fn may_read(
    state: &AppState,
    principal: &Principal,
    machine: &MachineRow,
    license: &LicenseRow,
    policy: &PolicyRow,
) -> ApiResult<bool> {
    let actor = principal.actor();
    let owner = machine.owner_id.as_deref();
    let licensee = licensee(state, &actor, owner, license).await?;
    Ok(access::may_read(
        &actor,
        owner,
        &facts(license, policy, licensee),
    ))
}

/// Writers (spawn, ping, update, kill): see `latchkey_core::access::processes`.
fn may_write(
    principal: &Principal,
    machine: &MachineRow,
    license: &LicenseRow,
    policy: &PolicyRow,
) -> bool {
    access::may_write(
        &principal.actor(),
        machine.owner_id.as_deref(),
        &facts(license, policy, false),
    )
}

pub(crate) struct Loaded {
    pub(crate) process: ProcessRow,
    pub(crate) machine: MachineRow,
    pub(crate) license: LicenseRow,
    pub(crate) policy: PolicyRow,
}

pub(crate) async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<Loaded> {
    let not_found = || ApiError::not_found("process", id);
    let process = processes::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(not_found)?;
    let machine = machines::find_by_id(&state.db, account.id(), &process.machine_id)
        .await?
        .ok_or_else(not_found)?;
    let (license, policy) = license_of(state, account, principal, &process.license_id)
        .await?
        .ok_or_else(not_found)?;
    if !may_read(state, principal, &machine, &license, &policy).await? {
        return Err(ApiError::forbidden("not allowed to read this process"));
    }
    Ok(Loaded {
        process,
        machine,
        license,
        policy,
    })
}

fn render(
    state: &AppState,
    account: &Account,
    l: &Loaded,
    status: Option<HeartbeatStatus>,
) -> serde_json::Value {
    single(serializer::process(
        account,
        &l.process,
        &l.license,
        &l.policy,
        state.now_ms(),
        status,
    ))
}

/// `GET /processes`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    list(&state, &account, &principal, &query, None).await
}

/// Lists the processes the caller may see, with the query's filters (and only
/// those of `machine_id` when given).
async fn list(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    query: &QueryParams,
    machine_id: Option<String>,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let owned = |name: &str| query.get(name).map(str::to_owned);
    let status = query
        .get("status")
        .map(|status| (status.into(), state.now_ms()));
    let filters = ProcessQuery {
        machine_id,
        machine: owned("machine"),
        license: owned("license"),
        product: owned("product"),
        owner: owned("owner"),
        user: owned("user"),
        status,
    };
    let (rows, count) = processes::list(
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
        .map(|(row, license, policy)| serializer::process(account, row, license, policy, now, None))
        .collect();
    let last = rows.last().map(|(r, _, _)| r.id.as_str());
    let (links, _) = query.list_links(&page, count, last);
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /processes/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(render(&state, &account, &l, None)))
}

/// `POST /processes` — spawn.
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut input = Input::parse(&body, "processes")?;
    let custom_id = input.id().map(str::to_owned);
    let machine_not_found = || {
        ApiError::unprocessable(ErrorCode::MachineNotFound, "must exist")
            .pointer("/data/relationships/machine")
    };
    let machine_field = input.relationship("machine")?;
    let pid = input.string("pid", 4096)?;
    let metadata = input.metadata()?;
    input.finish()?;
    let Field::Value(machine_id) = machine_field else {
        return Err(machine_not_found());
    };
    let machine =
        match crate::api::v1::machines::find_for(&state, &account, &principal, &machine_id).await {
            Ok(machine) => machine,
            Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => {
                return Err(machine_not_found());
            }
            Err(e) => return Err(e),
        };
    let (license, policy) = license_of(&state, &account, &principal, &machine.license_id)
        .await?
        .ok_or_else(machine_not_found)?;
    if !may_write(&principal, &machine, &license, &policy) {
        return Err(ApiError::forbidden(
            "not allowed to spawn processes on this machine",
        ));
    }
    let pid = match pid {
        Field::Value(pid) if !pid.trim().is_empty() => pid,
        _ => return Err(missing("pid")),
    };
    if matches!(pid.as_str(), "action" | "actions") {
        return Err(
            ApiError::unprocessable(ErrorCode::PidNotAllowed, "is reserved")
                .pointer("/data/attributes/pid"),
        );
    }
    let id = match custom_id {
        Some(id) if uuid::Uuid::parse_str(&id).is_ok() => {
            let id = id.to_lowercase();
            if processes::find(&state.db, account.id(), &id)
                .await?
                .is_some()
            {
                return Err(ApiError::unprocessable(
                    ErrorCode::IdConflict,
                    "must not conflict with another process",
                )
                .pointer("/data/id"));
            }
            id
        }
        Some(_) => {
            return Err(
                ApiError::unprocessable(ErrorCode::IdInvalid, "must be a valid UUID")
                    .pointer("/data/id"),
            );
        }
        None => new_id(),
    };
    let now = state.now_ms();
    let row = ProcessRow {
        id,
        account_id: account.id().to_owned(),
        license_id: license.id.clone(),
        machine_id: machine.id.clone(),
        pid,
        last_heartbeat_at: now,
        last_death_event_at: None,
        metadata: metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
    };
    let limits = policy
        .effective_limits(&license)
        .processes(&policy.rules(), machine.max_processes);
    match processes::spawn(&state.db, &row, machine.owner_id.as_deref(), &limits).await {
        Ok(()) => {}
        Err(SpawnError::Limit { max, scope }) => {
            return Err(ApiError::unprocessable(
                ErrorCode::MachineProcessLimitExceeded,
                format!("process count has exceeded maximum allowed for {scope} ({max})"),
            )
            .pointer("/data"));
        }
        Err(SpawnError::PidTaken) => {
            return Err(
                ApiError::unprocessable(ErrorCode::PidTaken, "has already been taken")
                    .pointer("/data/attributes/pid"),
            );
        }
        Err(SpawnError::Gone) => return Err(machine_not_found()),
        Err(SpawnError::Store(e)) => return Err(e.into()),
    }
    let location = format!("{}/processes/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::process(
            &account, &row, &license, &policy, now, None,
        )),
        location,
    ))
}

/// `PATCH /processes/{id}` — metadata only.
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut l = load(&state, &account, &principal, &id).await?;
    if !may_write(&principal, &l.machine, &l.license, &l.policy) {
        return Err(ApiError::forbidden("not allowed to update this process"));
    }
    let mut input = Input::parse(&body, "processes")?;
    let changes = ProcessChanges {
        metadata: input
            .metadata()?
            .into_update()
            .map(|m| m.unwrap_or_else(|| "{}".into())),
    };
    input.finish()?;
    l.process = processes::update(
        &state.db,
        account.id(),
        &l.process.id,
        changes,
        state.now_ms(),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("process", &id))?;
    Ok(Document::ok(render(&state, &account, &l, None)))
}

/// `DELETE /processes/{id}` — kill.
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let l = load(&state, &account, &principal, &id).await?;
    if !may_write(&principal, &l.machine, &l.license, &l.policy) {
        return Err(ApiError::forbidden("not allowed to kill this process"));
    }
    processes::delete(&state.db, account.id(), &l.process.id, state.now_ms()).await?;
    Ok(no_content())
}

/// `POST /processes/{id}/actions/ping` — heartbeat, or resurrection of a dead
/// process inside the policy's revive window.
pub async fn ping(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let mut l = load(&state, &account, &principal, &id).await?;
    if !may_write(&principal, &l.machine, &l.license, &l.policy) {
        return Err(ApiError::forbidden("not allowed to ping this process"));
    }
    let now = state.now();
    let now_ms = state.now_ms();
    let interval = l
        .policy
        .heartbeat_duration
        .unwrap_or(DEFAULT_HEARTBEAT_SECONDS);
    let last = from_millis(l.process.last_heartbeat_at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let dead = process_status(last, interval, now) == HeartbeatStatus::Dead;
    if dead {
        let strategy = l.policy.heartbeat_resurrection_strategy;
        let next = last + Duration::seconds(interval);
        if resurrection_period_passed(strategy, Some(next), now) {
            return Err(ApiError::unprocessable(
                ErrorCode::ProcessHeartbeatDead,
                "is dead",
            ));
        }
    }
    processes::ping(&state.db, &l.process.id, now_ms).await?;
    l.process.last_heartbeat_at = now_ms;
    l.process.last_death_event_at = None;
    l.process.updated_at = now_ms;
    Ok(Document::ok(render(
        &state,
        &account,
        &l,
        dead.then_some(HeartbeatStatus::Resurrected),
    )))
}
