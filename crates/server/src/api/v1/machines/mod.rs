//! Machines (`/machines`, id = UUID or fingerprint): activation is `POST`,
//! deactivation is `DELETE` (Keygen §4.1–4.2). Limits and uniqueness are enforced by
//! `latchkey_store::machines::activate` inside one locked transaction.

pub mod heartbeat;
mod lookup;
pub mod nested;
pub mod offline_proof;
pub mod owner;
pub mod serializer;

pub(crate) use lookup::{find_for, visibility};

use crate::account::Account;
use crate::api::v1::groups::admitted;
use crate::api::v1::licenses::{policy_of, user_has_license};
use crate::api::v1::policies::USER_LICENSES;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::activation::{LimitExceeded, Limits, MachineResources, check_resources};
use latchkey_core::policy::{MachineLeasingStrategy, UniquenessStrategy};
use latchkey_store::crud::{self, Filter};
use latchkey_store::groups::{Admission, Member};
use latchkey_store::licenses::LicenseRow;
use latchkey_store::machines::{
    self, ActivationError, ActivationRules, COLUMNS, MachineRow, TABLE,
};
use latchkey_store::policies::PolicyRow;
use latchkey_store::{Arg, new_id};
use serde_json::json;

/// Whether the caller may read a machine of `license`.
pub(crate) async fn may_read(
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

/// Whether the caller may activate or deactivate machines of `license`.
pub(crate) fn may_manage(
    principal: &Principal,
    machine_owner: Option<&str>,
    license: &LicenseRow,
    policy: &PolicyRow,
) -> bool {
    let protected = license.protected.unwrap_or(policy.protected);
    match &principal.bearer {
        Bearer::Product(p) => p.id == license.product_id,
        Bearer::License(l, _) => l.id == license.id,
        Bearer::User(u, role) if !role.is_staff() => {
            !protected
                && (license.owner_id.as_deref() == Some(u.id.as_str())
                    || machine_owner == Some(u.id.as_str()))
        }
        _ => principal.is_sales_or_above(),
    }
}

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
    let machine = find_for(state, account, principal, id).await?;
    let license: LicenseRow = crud::find(
        &state.db,
        latchkey_store::licenses::TABLE,
        latchkey_store::licenses::COLUMNS,
        account.id(),
        &machine.license_id,
    )
    .await?
    .ok_or_else(|| ApiError::not_found("machine", id))?;
    if !may_read(state, principal, &machine, &license).await? {
        return Err(ApiError::forbidden("not allowed to read this machine"));
    }
    let policy = policy_of(state, &license).await?;
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
    let mut filters = Vec::new();
    for (param, column) in [
        ("fingerprint", "fingerprint"),
        ("ip", "ip"),
        ("hostname", "hostname"),
        ("owner", "owner_id"),
        ("group", "group_id"),
    ] {
        if let Some(value) = query.get(param) {
            filters.push(Filter::eq(column, value));
        }
    }
    if let Some(license) = query.get("license").or(query.get("key")) {
        filters.push(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE id = {} OR key = {})",
            vec![license.into(), license.into()],
        ));
    }
    for (param, column) in [("product", "product_id"), ("policy", "policy_id")] {
        if let Some(value) = query.get(param) {
            filters.push(Filter::new(
                format!("license_id IN (SELECT id FROM licenses WHERE {column} = {{}})"),
                vec![value.into()],
            ));
        }
    }
    if let Some(user) = query.get("user") {
        filters.push(Filter::new(
            format!("owner_id = {{}} OR license_id IN ({USER_LICENSES})"),
            vec![user.into(), user.into(), user.into()],
        ));
    }
    for (key, value) in query.prefixed("metadata") {
        filters.push(crate::api::v1::licenses::metadata_filter(
            state.db.backend(),
            key,
            value,
        ));
    }
    filters.extend(visibility(&principal));
    let (rows, count) = crud::list::<MachineRow>(
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
    for row in &rows {
        let license: Option<LicenseRow> = crud::find(
            &state.db,
            latchkey_store::licenses::TABLE,
            latchkey_store::licenses::COLUMNS,
            account.id(),
            &row.license_id,
        )
        .await?;
        if let Some(license) = license {
            let policy = policy_of(&state, &license).await?;
            data.push(serializer::machine(
                &account,
                row,
                &license,
                &policy,
                state.now_ms(),
            ));
        }
    }
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
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
    let rules = policy.rules();
    Limits {
        max_machines: license.max_machines.or(policy.max_machines),
        max_cores: license.max_cores.or(policy.max_cores),
        max_memory: license.max_memory.or(policy.max_memory),
        max_disk: license.max_disk.or(policy.max_disk),
        overage: rules.overage,
        per_user: rules.machine_leasing == MachineLeasingStrategy::PerUser,
    }
}

pub(crate) fn limit_error(error: LimitExceeded) -> ApiError {
    ApiError::unprocessable(error.code(), error.detail()).pointer("/data")
}

/// `POST /machines` — activation.
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut input = Input::parse(&body, "machines")?;
    let custom_id = input.id().map(str::to_owned);
    let license_not_found = || {
        ApiError::unprocessable("LICENSE_NOT_FOUND", "must exist")
            .pointer("/data/relationships/license")
    };
    let Field::Value(license_id) = input.relationship("license")? else {
        return Err(license_not_found());
    };
    let owner_field = match input.relationship("owner")? {
        Field::Absent => input.relationship("user")?,
        other => {
            input.relationship("user")?;
            other
        }
    };
    // As in Keygen, only staff who write and products name a group; others inherit it.
    let group_field = if principal.is_support_or_above() || principal.product_id().is_some() {
        input.relationship("group")?
    } else {
        Field::Absent
    };
    let components_data = input.relationship_data("components");
    let fingerprint = input.string("fingerprint", 4096)?;
    let name = input.string("name", 255)?;
    let ip = input.string("ip", 255)?;
    let hostname = input.string("hostname", 255)?;
    let platform = input.string("platform", 255)?;
    let cores = positive(&mut input, "cores")?;
    let memory = positive(&mut input, "memory")?;
    let disk = positive(&mut input, "disk")?;
    let metadata = input.metadata()?;
    input.finish()?;

    let license: LicenseRow = crud::find(
        &state.db,
        latchkey_store::licenses::TABLE,
        latchkey_store::licenses::COLUMNS,
        account.id(),
        &license_id,
    )
    .await?
    .ok_or_else(license_not_found)?;
    let policy = policy_of(&state, &license).await?;
    let owner_id = owner_field.value();
    if !may_manage(&principal, owner_id.as_deref(), &license, &policy) {
        return Err(ApiError::forbidden(
            "not allowed to activate machines for this license",
        ));
    }
    let fingerprint = match fingerprint {
        Field::Value(f) if !f.trim().is_empty() => f,
        _ => return Err(missing("fingerprint")),
    };
    if matches!(fingerprint.as_str(), "action" | "actions") {
        return Err(
            ApiError::unprocessable("FINGERPRINT_NOT_ALLOWED", "is reserved")
                .pointer("/data/attributes/fingerprint"),
        );
    }
    if uuid::Uuid::parse_str(&fingerprint).is_ok()
        && crud::find::<MachineRow>(&state.db, TABLE, COLUMNS, account.id(), &fingerprint)
            .await?
            .is_some()
    {
        return Err(ApiError::unprocessable(
            "FINGERPRINT_CONFLICT",
            "must not conflict with another machine's identifier",
        )
        .pointer("/data/attributes/fingerprint"));
    }
    if let Some(owner) = &owner_id {
        let is_licensee = license.owner_id.as_deref() == Some(owner.as_str()) || {
            let q = latchkey_store::sql(
                "SELECT user_id FROM license_users WHERE license_id = $1 AND user_id = $2",
            )
            .bind(&license.id)
            .bind(owner);
            state.db.fetch_optional::<(String,)>(q).await?.is_some()
        };
        if !is_licensee {
            let exists = latchkey_store::users::find(&state.db, account.id(), owner)
                .await?
                .is_some();
            return Err(if exists {
                ApiError::unprocessable("OWNER_INVALID", "must be a valid user of the license")
                    .pointer("/data/relationships/owner")
            } else {
                ApiError::unprocessable("OWNER_NOT_FOUND", "must exist")
                    .pointer("/data/relationships/owner")
            });
        }
    }
    let group_id = match group_field {
        Field::Value(group) => {
            Some(crate::api::v1::groups::resolve(&state, &account, &group).await?)
        }
        _ => match (&license.group_id, &owner_id) {
            (Some(group), _) => Some(group.clone()),
            (None, Some(owner)) => latchkey_store::users::find(&state.db, account.id(), owner)
                .await?
                .and_then(|user| user.group_id),
            (None, None) => None,
        },
    };
    let id = match custom_id {
        Some(id) if uuid::Uuid::parse_str(&id).is_ok() => id.to_lowercase(),
        Some(_) => {
            return Err(
                ApiError::unprocessable("ID_INVALID", "must be a valid UUID").pointer("/data/id"),
            );
        }
        None => new_id(),
    };
    let now = state.now_ms();
    let row = MachineRow {
        id,
        account_id: account.id().to_owned(),
        license_id: license.id.clone(),
        owner_id,
        group_id,
        fingerprint,
        name: name.value(),
        ip: ip.value(),
        hostname: hostname.value(),
        platform: platform.value(),
        cores: cores.value(),
        memory: memory.value(),
        disk: disk.value(),
        max_processes: None,
        last_heartbeat_at: (policy.require_heartbeat && policy.heartbeat_basis == "FROM_CREATION")
            .then_some(now),
        last_check_out_at: None,
        metadata: metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
        last_death_event_at: None,
        heartbeat_resurrected_at: None,
    };
    let components = crate::api::v1::components::nested(components_data, &row)?;
    let component_rules = crate::api::v1::components::uniqueness(&license, &policy);
    let rules = ActivationRules {
        limits: limits(&license, &policy),
        uniqueness: UniquenessStrategy::parse(&policy.machine_uniqueness_strategy)
            .unwrap_or(UniquenessStrategy::PerLicense),
        policy_id: policy.id.clone(),
        product_id: license.product_id.clone(),
        activation_token: activation_token(&principal),
    };
    match machines::activate_with_components(
        &state.db,
        &row,
        &rules,
        &components,
        Some(&component_rules),
    )
    .await
    {
        Ok(()) => {}
        Err(ActivationError::Components(e)) => {
            return Err(crate::api::v1::components::component_error(e, true));
        }
        Err(ActivationError::Limit(limit)) => return Err(limit_error(limit)),
        Err(ActivationError::FingerprintTaken) => {
            // Keygen names the scope the fingerprint was taken in.
            let detail = match rules.uniqueness {
                UniquenessStrategy::PerAccount => "has already been taken for this account",
                UniquenessStrategy::PerProduct => "has already been taken for this product",
                UniquenessStrategy::PerPolicy => "has already been taken for this policy",
                _ => "has already been taken",
            };
            return Err(ApiError::unprocessable("FINGERPRINT_TAKEN", detail)
                .pointer("/data/attributes/fingerprint"));
        }
        Err(ActivationError::ActivationsLimit) => {
            return Err(ApiError::unprocessable(
                "ACTIVATIONS_LIMIT_EXCEEDED",
                "exceeds maximum allowed by activation token",
            )
            .pointer("/data/attributes/activations"));
        }
        Err(ActivationError::LicenseGone) => return Err(license_not_found()),
        Err(ActivationError::GroupFull(max)) => admitted(Member::Machine, Admission::Full(max))?,
        Err(ActivationError::GroupGone) => admitted(Member::Machine, Admission::Missing)?,
        Err(ActivationError::Store(e)) => return Err(e.into()),
    }
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

/// The activation token a license bearer used, whose counters must be charged.
fn activation_token(principal: &Principal) -> Option<String> {
    match (&principal.bearer, &principal.token) {
        (Bearer::License(..), Some(token)) => Some(token.id.clone()),
        _ => None,
    }
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
    let protected = l.license.protected.unwrap_or(l.policy.protected);
    let allowed = match &principal.bearer {
        Bearer::Product(p) => p.id == l.license.product_id,
        Bearer::License(lic, _) => lic.id == l.license.id && !protected,
        Bearer::User(u, role) if !role.is_staff() => {
            !protected
                && (l.machine.owner_id.as_deref() == Some(u.id.as_str())
                    || l.license.owner_id.as_deref() == Some(u.id.as_str()))
        }
        _ => principal.is_support_or_above(),
    };
    if !allowed {
        return Err(ApiError::forbidden("not allowed to update this machine"));
    }
    let privileged = principal.is_support_or_above() || principal.product_id().is_some();
    let mut input = Input::parse(&body, "machines")?;
    let mut changes: Vec<(&str, Arg)> = Vec::new();
    for (name, column) in [
        ("name", "name"),
        ("ip", "ip"),
        ("hostname", "hostname"),
        ("platform", "platform"),
    ] {
        if let Some(value) = input.string(name, 255)?.into_update() {
            changes.push((column, value.into()));
        }
    }
    let mut resources = MachineResources {
        cores: l.machine.cores,
        memory: l.machine.memory,
        disk: l.machine.disk,
    };
    let mut resources_changed = false;
    if privileged {
        for (name, column) in [("cores", "cores"), ("memory", "memory"), ("disk", "disk")] {
            if let Some(value) = positive(&mut input, name)?.into_update() {
                match name {
                    "cores" => resources.cores = value,
                    "memory" => resources.memory = value,
                    _ => resources.disk = value,
                }
                resources_changed = true;
                changes.push((column, value.into()));
            }
        }
        if let Some(metadata) = input.metadata()?.into_update() {
            changes.push(("metadata", metadata.unwrap_or_else(|| "{}".into()).into()));
        }
    }
    input.finish()?;
    let mut tx = state.db.begin().await?;
    if resources_changed {
        tx.lock_row("licenses", &l.license.id).await?;
        let limits = limits(&l.license, &l.policy);
        let usage = machines::usage(
            &mut tx,
            &l.license.id,
            l.machine.owner_id.as_deref(),
            limits.per_user,
            Some(&l.machine.id),
        )
        .await?;
        check_resources(&limits, &usage, &resources).map_err(limit_error)?;
    }
    crud::update(
        &mut tx,
        TABLE,
        account.id(),
        &l.machine.id,
        changes,
        state.now_ms(),
    )
    .await?;
    let updated: MachineRow = crud::find_tx(&mut tx, TABLE, COLUMNS, account.id(), &l.machine.id)
        .await?
        .ok_or_else(|| ApiError::not_found("machine", &id))?;
    tx.commit().await?;
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
    if !may_manage(
        &principal,
        l.machine.owner_id.as_deref(),
        &l.license,
        &l.policy,
    ) {
        return Err(ApiError::forbidden(
            "not allowed to deactivate this machine",
        ));
    }
    let token = activation_token(&principal);
    if !machines::deactivate(&state.db, account.id(), &l.machine.id, token.as_deref()).await? {
        return Err(ApiError::unprocessable(
            "DEACTIVATIONS_LIMIT_EXCEEDED",
            "exceeds maximum allowed by activation token",
        )
        .pointer("/data/attributes/deactivations"));
    }
    Ok(no_content())
}
