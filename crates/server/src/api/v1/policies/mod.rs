//! Policies (`/policies`): CRUD with Keygen's validations; `scheme`, `encrypted` and
//! `usePool` are immutable after creation.

pub mod entitlements;
pub mod pool;
pub mod rules;
use crate::api::v1::serializers::policies as serializer;

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, missing};
use crate::jsonapi::query::QueryParams;
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::policies::{self as access, PolicyFacts};
use latchkey_core::policy::*;
use latchkey_proto::ErrorCode;
use latchkey_store::new_id;
use latchkey_store::policies::{self, PolicyRow};
use latchkey_store::products::ProductRow;
use serde_json::json;

pub use latchkey_store::licenses::USER_LICENSES;

/// Loads a policy the caller may read.
pub async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<PolicyRow> {
    let row = policies::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("policy", id))?;
    let actor_holds_license = match (principal.license(), principal.end_user_id()) {
        (Some(license), _) => license.policy_id == row.id,
        (None, Some(user)) => policies::user_holds_license(&state.db, &row.id, user).await?,
        (None, None) => false,
    };
    let facts = PolicyFacts {
        product_id: &row.product_id,
        actor_holds_license,
    };
    if !access::may_read(&principal.actor(), &facts) {
        return Err(ApiError::forbidden("not allowed to read this policy"));
    }
    Ok(row)
}

/// `GET /policies`
pub async fn index(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    query: QueryParams,
) -> ApiResult<Document> {
    let (page, order) = query.pagination()?;
    let (rows, count) = policies::list(
        &state.db,
        account.id(),
        query.get("product"),
        &principal.actor(),
        &page,
        order,
    )
    .await?;
    let data: Vec<_> = rows
        .iter()
        .map(|r| serializer::policy(&account, r))
        .collect();
    let (links, _) = query.list_links(&page, count, rows.last().map(|r| r.id.as_str()));
    Ok(Document::ok(json!({ "data": data, "links": links })))
}

/// `GET /policies/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let row = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(serializer::policy(&account, &row))))
}

fn defaults(account: &Account, product_id: String, now: i64) -> PolicyRow {
    let text = |s: &str| s.to_owned();
    PolicyRow {
        id: new_id(),
        account_id: account.id().to_owned(),
        product_id,
        name: String::new(),
        duration: None,
        strict: false,
        floating: false,
        use_pool: false,
        max_machines: None,
        max_processes: None,
        max_users: None,
        max_cores: None,
        max_memory: None,
        max_disk: None,
        max_uses: None,
        machine_uniqueness_strategy: UniquenessStrategy::PerLicense,
        machine_matching_strategy: MatchingStrategy::MatchAny,
        component_uniqueness_strategy: UniquenessStrategy::PerMachine,
        component_matching_strategy: MatchingStrategy::MatchAny,
        expiration_strategy: ExpirationStrategy::RestrictAccess,
        expiration_basis: ExpirationBasis::FromCreation,
        renewal_basis: RenewalBasis::FromExpiry,
        transfer_strategy: TransferStrategy::KeepExpiry,
        authentication_strategy: AuthenticationStrategy::Token,
        machine_leasing_strategy: MachineLeasingStrategy::PerLicense,
        process_leasing_strategy: ProcessLeasingStrategy::PerMachine,
        overage_strategy: OverageStrategy::NoOverage,
        scheme: None,
        encrypted: false,
        protected: account.0.protected,
        require_product_scope: false,
        require_policy_scope: false,
        require_machine_scope: false,
        require_fingerprint_scope: false,
        require_components_scope: false,
        require_user_scope: false,
        require_checksum_scope: false,
        require_version_scope: false,
        require_check_in: false,
        check_in_interval: None,
        check_in_interval_count: None,
        require_heartbeat: false,
        heartbeat_duration: None,
        heartbeat_cull_strategy: HeartbeatCullStrategy::DeactivateDead,
        heartbeat_resurrection_strategy: HeartbeatResurrectionStrategy::NoRevive,
        heartbeat_basis: HeartbeatBasis::FromFirstPing,
        metadata: text("{}"),
        created_at: now,
        updated_at: now,
    }
}

/// `POST /policies`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let mut input = Input::parse(&body, "policies")?;
    let product_not_found = || {
        ApiError::unprocessable(ErrorCode::ProductNotFound, "must exist")
            .pointer("/data/relationships/product")
    };
    let Field::Value(product_id) = input.relationship("product")? else {
        return Err(product_not_found());
    };
    let product: ProductRow = latchkey_store::crud::find(
        &state.db,
        latchkey_store::products::TABLE,
        latchkey_store::products::COLUMNS,
        account.id(),
        &product_id,
    )
    .await?
    .ok_or_else(product_not_found)?;
    if !access::may_write(&principal.actor(), &product.id) {
        return Err(ApiError::forbidden(
            "not allowed to create policies for this product",
        ));
    }
    let mut row = defaults(&account, product.id, state.now_ms());
    rules::apply(&mut input, &mut row, true)?;
    input.finish()?;
    if row.name.is_empty() {
        return Err(missing("name"));
    }
    if row.encrypted && row.scheme.is_none() {
        row.scheme = Some("LEGACY_ENCRYPT".into());
    }
    rules::check(&row)?;
    policies::create(&state.db, &row).await?;
    let location = format!("{}/policies/{}", account.base(), row.id);
    Ok(Document::created(
        single(serializer::policy(&account, &row)),
        location,
    ))
}

/// `PATCH /policies/{id}`
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let existing = load(&state, &account, &principal, &id).await?;
    if !access::may_write(&principal.actor(), &existing.product_id) {
        return Err(ApiError::forbidden("not allowed to update this policy"));
    }
    let mut input = Input::parse(&body, "policies")?;
    let mut row = existing.clone();
    rules::apply(&mut input, &mut row, false)?;
    input.finish()?;
    rules::check(&row)?;
    let updated = policies::update(&state.db, &row, state.now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("policy", &id))?;
    Ok(Document::ok(single(serializer::policy(&account, &updated))))
}

/// `DELETE /policies/{id}` (cascades to its licenses and their machines).
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &account, &principal, &id).await?;
    if !access::may_delete(&principal.actor(), &row.product_id) {
        return Err(ApiError::forbidden("not allowed to delete this policy"));
    }
    policies::delete(&state.db, account.id(), &row.id, state.now_ms()).await?;
    Ok(no_content())
}
