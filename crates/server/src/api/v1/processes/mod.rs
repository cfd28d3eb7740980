//! Processes (`/processes`, Keygen §1.11, §2.5): spawn, list, show, update metadata,
//! ping and kill. Pid uniqueness and maxProcesses are enforced by
//! `latchkey_store::processes::spawn` inside one locked transaction.

pub mod nested;
pub mod relations;
pub mod serializer;

use crate::account::Account;
use crate::api::v1::licenses::{policy_of, user_has_license};
use crate::api::v1::policies::USER_LICENSES;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use latchkey_core::heartbeat::{HeartbeatStatus, process_status, resurrection_period_passed};
use latchkey_core::policy::{DEFAULT_HEARTBEAT_SECONDS, HeartbeatResurrectionStrategy};
use latchkey_proto::time_format::from_millis;
use latchkey_store::crud::{self, Filter};
use latchkey_store::licenses::LicenseRow;
use latchkey_store::machines::{self, MachineRow};
use latchkey_store::policies::PolicyRow;
use latchkey_store::processes::{self, COLUMNS, ProcessLimits, ProcessRow, SpawnError, TABLE};
use latchkey_store::{Arg, new_id};
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// The process routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/processes", get(index).post(create))
        .route(
            "/v1/processes/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
        .route("/v1/processes/{id}/actions/ping", post(ping))
        .route("/v1/processes/{id}/machine", get(relations::machine))
        .route("/v1/processes/{id}/product", get(relations::product))
        .route(
            "/v1/machines/{id}/processes",
            get(relations::machine_processes),
        )
        .route(
            "/v1/machines/{id}/processes/{process_id}",
            get(relations::machine_process),
        )
}

/// Readers: staff, the product, the license, and users owning the machine or
/// holding the license.
async fn may_read(
    state: &AppState,
    principal: &Principal,
    machine: &MachineRow,
    license: &LicenseRow,
) -> ApiResult<bool> {
    Ok(match &principal.bearer {
        _ if principal.is_staff() => true,
        Bearer::Product(p) => p.id == license.product_id,
        Bearer::License(l, _) => l.id == license.id,
        Bearer::User(u, _) => {
            machine.owner_id.as_deref() == Some(u.id.as_str())
                || user_has_license(state, &u.id, license).await?
        }
    })
}

/// Writers (spawn, ping, update, kill): admins and agents (not read-only), the
/// product, the license, and (unprotected) the user owning the machine or license.
fn may_write(
    principal: &Principal,
    machine: &MachineRow,
    license: &LicenseRow,
    policy: &PolicyRow,
) -> bool {
    match &principal.bearer {
        Bearer::Product(p) => p.id == license.product_id,
        Bearer::License(l, _) => l.id == license.id,
        Bearer::User(u, role) if !role.is_staff() => {
            !license.protected.unwrap_or(policy.protected)
                && (machine.owner_id.as_deref() == Some(u.id.as_str())
                    || license.owner_id.as_deref() == Some(u.id.as_str()))
        }
        _ => principal.is_support_or_above(),
    }
}

pub(crate) struct Loaded {
    process: ProcessRow,
    machine: MachineRow,
    license: LicenseRow,
    policy: PolicyRow,
}

async fn find_license(state: &AppState, account: &str, id: &str) -> ApiResult<Option<LicenseRow>> {
    Ok(crud::find(
        &state.db,
        latchkey_store::licenses::TABLE,
        latchkey_store::licenses::COLUMNS,
        account,
        id,
    )
    .await?)
}

pub(crate) async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<Loaded> {
    let not_found = || ApiError::not_found("process", id);
    let process: ProcessRow = crud::find(&state.db, TABLE, COLUMNS, account.id(), id)
        .await?
        .ok_or_else(not_found)?;
    let machine: MachineRow = crud::find(
        &state.db,
        machines::TABLE,
        machines::COLUMNS,
        account.id(),
        &process.machine_id,
    )
    .await?
    .ok_or_else(not_found)?;
    let license = find_license(state, account.id(), &process.license_id)
        .await?
        .ok_or_else(not_found)?;
    if !may_read(state, principal, &machine, &license).await? {
        return Err(ApiError::forbidden("not allowed to read this process"));
    }
    let policy = policy_of(state, &license).await?;
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
    list(&state, &account, &principal, &query, Vec::new()).await
}

/// Lists the processes the caller may see, with the query's filters and `filters`.
async fn list(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    query: &QueryParams,
    mut filters: Vec<Filter>,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    if let Some(machine) = query.get("machine") {
        filters.push(Filter::new(
            "machine_id IN (SELECT id FROM machines WHERE id = {} OR fingerprint = {})",
            vec![machine.into(), machine.into()],
        ));
    }
    if let Some(license) = query.get("license") {
        filters.push(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE id = {} OR key = {})",
            vec![license.into(), license.into()],
        ));
    }
    if let Some(product) = query.get("product") {
        filters.push(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE product_id = {})",
            vec![product.into()],
        ));
    }
    if let Some(owner) = query.get("owner") {
        filters.push(Filter::new(
            "machine_id IN (SELECT id FROM machines WHERE owner_id = {})",
            vec![owner.into()],
        ));
    }
    if let Some(user) = query.get("user") {
        filters.push(Filter::new(
            format!(
                "machine_id IN (SELECT id FROM machines WHERE owner_id = {{}}) OR license_id IN ({USER_LICENSES})"
            ),
            vec![user.into(), user.into(), user.into()],
        ));
    }
    if let Some(status) = query.get("status") {
        // Alive = heartbeat within the policy's duration (default 600 s).
        let alive = "last_heartbeat_at >= {} - 1000 * COALESCE((SELECT p.heartbeat_duration \
                     FROM licenses l JOIN policies p ON p.id = l.policy_id \
                     WHERE l.id = processes.license_id), 600)";
        let now: Arg = state.now_ms().into();
        filters.push(match status.to_ascii_uppercase().as_str() {
            "ALIVE" => Filter::new(alive, vec![now]),
            "DEAD" => Filter::new(format!("NOT ({alive})"), vec![now]),
            _ => Filter::new("1 = 0", vec![]),
        });
    }
    match &principal.bearer {
        _ if principal.is_staff() => {}
        Bearer::Product(p) => filters.push(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE product_id = {})",
            vec![p.id.as_str().into()],
        )),
        Bearer::License(l, _) => filters.push(Filter::eq("license_id", l.id.as_str())),
        Bearer::User(u, _) => filters.push(Filter::new(
            format!(
                "machine_id IN (SELECT id FROM machines WHERE owner_id = {{}}) OR license_id IN ({USER_LICENSES})"
            ),
            vec![
                u.id.as_str().into(),
                u.id.as_str().into(),
                u.id.as_str().into(),
            ],
        )),
    }
    let (rows, count) = crud::list::<ProcessRow>(
        &state.db,
        TABLE,
        COLUMNS,
        account.id(),
        filters,
        &page,
        order,
    )
    .await?;
    let mut data = Vec::with_capacity(rows.len());
    let mut licenses: std::collections::HashMap<String, (LicenseRow, PolicyRow)> =
        std::collections::HashMap::new();
    for row in &rows {
        if !licenses.contains_key(&row.license_id)
            && let Some(license) = find_license(state, account.id(), &row.license_id).await?
        {
            let policy = policy_of(state, &license).await?;
            licenses.insert(row.license_id.clone(), (license, policy));
        }
        if let Some((license, policy)) = licenses.get(&row.license_id) {
            data.push(serializer::process(
                account,
                row,
                license,
                policy,
                state.now_ms(),
                None,
            ));
        }
    }
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
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
        ApiError::unprocessable("MACHINE_NOT_FOUND", "must exist")
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
    let license = find_license(&state, account.id(), &machine.license_id)
        .await?
        .ok_or_else(machine_not_found)?;
    let policy = policy_of(&state, &license).await?;
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
        return Err(ApiError::unprocessable("PID_NOT_ALLOWED", "is reserved")
            .pointer("/data/attributes/pid"));
    }
    let id = match custom_id {
        Some(id) if uuid::Uuid::parse_str(&id).is_ok() => {
            let id = id.to_lowercase();
            if crud::find::<ProcessRow>(&state.db, TABLE, COLUMNS, account.id(), &id)
                .await?
                .is_some()
            {
                return Err(ApiError::unprocessable(
                    "ID_CONFLICT",
                    "must not conflict with another process",
                )
                .pointer("/data/id"));
            }
            id
        }
        Some(_) => {
            return Err(
                ApiError::unprocessable("ID_INVALID", "must be a valid UUID").pointer("/data/id"),
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
    let rules = policy.rules();
    let license_max = license.max_processes.or(policy.max_processes);
    let limits = ProcessLimits {
        machine_max: machine.max_processes.or(license_max),
        license_max,
        leasing: rules.process_leasing,
        overage: rules.overage,
    };
    match processes::spawn(&state.db, &row, machine.owner_id.as_deref(), &limits).await {
        Ok(()) => {}
        Err(SpawnError::Limit { max, scope }) => {
            return Err(ApiError::unprocessable(
                "MACHINE_PROCESS_LIMIT_EXCEEDED",
                format!("process count has exceeded maximum allowed for {scope} ({max})"),
            )
            .pointer("/data"));
        }
        Err(SpawnError::PidTaken) => {
            return Err(
                ApiError::unprocessable("PID_TAKEN", "has already been taken")
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
    let metadata = input.metadata()?.into_update();
    input.finish()?;
    let mut changes: Vec<(&str, Arg)> = Vec::new();
    if let Some(metadata) = metadata {
        changes.push(("metadata", metadata.unwrap_or_else(|| "{}".into()).into()));
    }
    let mut tx = state.db.begin().await?;
    crud::update(
        &mut tx,
        TABLE,
        account.id(),
        &l.process.id,
        changes,
        state.now_ms(),
    )
    .await?;
    l.process = crud::find_tx(&mut tx, TABLE, COLUMNS, account.id(), &l.process.id)
        .await?
        .ok_or_else(|| ApiError::not_found("process", &id))?;
    tx.commit().await?;
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
    let mut tx = state.db.begin().await?;
    crud::delete(&mut tx, TABLE, account.id(), &l.process.id).await?;
    tx.commit().await?;
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
        let strategy =
            HeartbeatResurrectionStrategy::parse(&l.policy.heartbeat_resurrection_strategy)
                .unwrap_or(HeartbeatResurrectionStrategy::NoRevive);
        let next = last + Duration::seconds(interval);
        if resurrection_period_passed(strategy, Some(next), now) {
            return Err(ApiError::unprocessable("PROCESS_HEARTBEAT_DEAD", "is dead"));
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
