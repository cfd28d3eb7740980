//! Licenses (`/licenses`, id = UUID or key): lookups, rendering, show/update/delete
//! here; creation in [`create`], the list in [`list`], validation in [`actions`],
//! permits and usage in [`lifecycle`] and [`usage`], relationships in
//! [`relationships`] and [`attachments`]. Access rules are
//! `latchkey_core::access::licenses`; SQL lives in `latchkey_store`.

pub mod actions;
pub mod attachments;
mod create;
mod filters;
pub mod lifecycle;
pub mod list;
pub mod relationships;
use crate::api::v1::serializers::licenses as serializer;
mod signed_key;
pub mod usage;

pub use create::create;
pub use list::{index, metadata_filter};

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid};
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::access::{LicenseFacts, licenses as access};
use latchkey_store::license_list;
use latchkey_store::licenses::{self, LicenseChanges, LicenseRow};
use latchkey_store::policies::PolicyRow;
use serde_json::Value;
use serializer::LicenseView;

/// Whether a user owns or is attached to a license.
pub async fn user_has_license(
    state: &AppState,
    user_id: &str,
    license: &LicenseRow,
) -> ApiResult<bool> {
    if license.owner_id.as_deref() == Some(user_id) {
        return Ok(true);
    }
    Ok(licenses::is_licensee(&state.db, &license.id, user_id).await?)
}

/// The license's access facts for the caller. Whether a user caller is a licensee is
/// looked up only when it can matter (an end user who is not the owner).
pub async fn facts<'a>(
    state: &AppState,
    principal: &Principal,
    license: &'a LicenseRow,
    protected: bool,
) -> ApiResult<LicenseFacts<'a>> {
    let actor = principal.actor();
    let actor_is_licensee = match actor.user_id() {
        Some(user) if !actor.is_staff() && license.owner_id.as_deref() != Some(user) => {
            licenses::is_licensee(&state.db, &license.id, user).await?
        }
        _ => false,
    };
    Ok(LicenseFacts {
        id: &license.id,
        product_id: &license.product_id,
        owner_id: license.owner_id.as_deref(),
        protected,
        actor_is_licensee,
    })
}

/// Whether the caller may read (and validate) a license.
pub async fn may_read(
    state: &AppState,
    principal: &Principal,
    license: &LicenseRow,
) -> ApiResult<bool> {
    // Protection does not matter for reading.
    let facts = facts(state, principal, license, false).await?;
    Ok(access::may_read(&principal.actor(), &facts))
}

/// Finds a license by id or key, 404 if absent.
pub async fn find(state: &AppState, account: &Account, id: &str) -> ApiResult<LicenseRow> {
    licenses::find(&state.db, account.id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("license", id))
}

/// Finds a license by id or key as Keygen does: among the licenses the caller may see
/// first (an id match, then the oldest); otherwise anywhere in the account, so an
/// invisible license still answers 403 from the caller's access check. 404 when none.
pub async fn find_for(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<LicenseRow> {
    if let Some(scope) = license_list::visible_to(&principal.actor())
        && let Some(license) =
            licenses::find_visible(&state.db, account.id(), id, vec![scope]).await?
    {
        return Ok(license);
    }
    find(state, account, id).await
}

/// Loads a license the caller may read, with its policy.
pub async fn load(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    id: &str,
) -> ApiResult<(LicenseRow, PolicyRow)> {
    if principal.is_staff() {
        // Staff read every license: the license and its policy in one query.
        let head = latchkey_store::validation::head_by_id_or_key(&state.db, account.id(), id)
            .await?
            .ok_or_else(|| ApiError::not_found("license", id))?;
        return Ok((head.license, head.policy));
    }
    let license = find_for(state, account, principal, id).await?;
    if !may_read(state, principal, &license).await? {
        return Err(ApiError::forbidden("not allowed to read this license"));
    }
    let policy = policy_of(state, &license).await?;
    Ok((license, policy))
}

/// The license's policy.
pub async fn policy_of(state: &AppState, license: &LicenseRow) -> ApiResult<PolicyRow> {
    latchkey_store::policies::find(&state.db, &license.account_id, &license.policy_id)
        .await?
        .ok_or_else(|| ApiError::internal("license without policy"))
}

/// Renders a license, loading owner state and counts.
pub async fn render(
    state: &AppState,
    account: &Account,
    license: &LicenseRow,
    policy: &PolicyRow,
) -> ApiResult<Value> {
    let owner_banned = licenses::owner_banned(&state.db, license.owner_id.as_deref()).await?;
    let counts = licenses::counts(&state.db, &license.id).await?;
    let view = LicenseView {
        license,
        policy,
        owner_banned,
        counts,
        now_ms: state.now_ms(),
    };
    Ok(serializer::license(account, &view))
}

/// Renders a page of licenses with two queries in all: their policies, and their
/// owner states and counts.
pub async fn render_page(
    state: &AppState,
    account: &Account,
    rows: &[LicenseRow],
) -> ApiResult<Vec<Value>> {
    let mut policy_ids: Vec<&str> = rows.iter().map(|r| r.policy_id.as_str()).collect();
    policy_ids.sort_unstable();
    policy_ids.dedup();
    let policies =
        latchkey_store::policies::find_many(&state.db, account.id(), &policy_ids).await?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let facts = license_list::render_facts(&state.db, &ids).await?;
    let now_ms = state.now_ms();
    rows.iter()
        .map(|license| {
            let policy = policies
                .iter()
                .find(|p| p.id == license.policy_id)
                .ok_or_else(|| ApiError::internal("license without policy"))?;
            let facts = facts.get(&license.id).copied().unwrap_or_default();
            let view = LicenseView {
                license,
                policy,
                owner_banned: facts.owner_banned,
                counts: facts.counts,
                now_ms,
            };
            Ok(serializer::license(account, &view))
        })
        .collect()
}

/// Reloads and renders a license after a write.
pub async fn respond(state: &AppState, account: &Account, id: &str) -> ApiResult<Document> {
    let license = find(state, account, id).await?;
    let policy = policy_of(state, &license).await?;
    Ok(Document::ok(single(
        render(state, account, &license, &policy).await?,
    )))
}

/// `GET /licenses/{id}`
pub async fn show(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    Ok(Document::ok(single(
        render(&state, &account, &license, &policy).await?,
    )))
}

/// The writable attributes of a license request.
struct Attrs {
    name: Field<String>,
    key: Field<String>,
    expiry: Field<String>,
    suspended: Field<bool>,
    protected: Field<bool>,
    metadata: Field<String>,
    limits: LimitAttrs,
}

/// The limit overrides of a license request (`maxMachines`, …).
struct LimitAttrs {
    max_machines: Field<i64>,
    max_processes: Field<i64>,
    max_users: Field<i64>,
    max_cores: Field<i64>,
    max_memory: Field<i64>,
    max_disk: Field<i64>,
    max_uses: Field<i64>,
}

impl LimitAttrs {
    const ABSENT: Self = Self {
        max_machines: Field::Absent,
        max_processes: Field::Absent,
        max_users: Field::Absent,
        max_cores: Field::Absent,
        max_memory: Field::Absent,
        max_disk: Field::Absent,
        max_uses: Field::Absent,
    };

    fn read(input: &mut Input) -> ApiResult<Self> {
        Ok(Self {
            max_machines: limit(input, "maxMachines")?,
            max_processes: limit(input, "maxProcesses")?,
            max_users: limit(input, "maxUsers")?,
            max_cores: limit(input, "maxCores")?,
            max_memory: limit(input, "maxMemory")?,
            max_disk: limit(input, "maxDisk")?,
            max_uses: limit(input, "maxUses")?,
        })
    }
}

/// A limit override: at least 1 (`maxUses`: 0), at most Keygen's bound for license
/// overrides as for policies (policies::rules), except memory and disk; or null.
fn limit(input: &mut Input, name: &str) -> ApiResult<Field<i64>> {
    let value = input.integer(name)?;
    if let Field::Value(v) = value {
        let min = if name == "maxUses" { 0 } else { 1 };
        if v < min {
            return Err(invalid(
                name,
                format!("must be greater than or equal to {min}"),
            ));
        }
        let max = i64::from(i32::MAX);
        if v > max && name != "maxMemory" && name != "maxDisk" {
            return Err(invalid(
                name,
                format!("must be less than or equal to {max}"),
            ));
        }
    }
    Ok(value)
}

fn read(input: &mut Input, principal: &Principal, creating: bool) -> ApiResult<Attrs> {
    let admin_ish = principal.is_support_or_above() || principal.product_id().is_some();
    let mut attrs = Attrs {
        name: input.string("name", 1024)?,
        key: if creating {
            input.string("key", 16 * 1024)?
        } else {
            Field::Absent
        },
        expiry: Field::Absent,
        suspended: Field::Absent,
        protected: Field::Absent,
        metadata: Field::Absent,
        limits: LimitAttrs::ABSENT,
    };
    if admin_ish {
        attrs.expiry = input.string("expiry", 64)?;
        attrs.suspended = input.boolean("suspended")?;
        attrs.protected = input.boolean("protected")?;
        attrs.metadata = input.metadata()?;
        attrs.limits = LimitAttrs::read(input)?;
    } else if creating {
        attrs.metadata = input.metadata()?;
    }
    Ok(attrs)
}

fn parse_expiry(text: &str) -> ApiResult<i64> {
    latchkey_proto::time_format::parse(text)
        .map(latchkey_proto::time_format::to_millis)
        .ok_or_else(|| invalid("expiry", "must be a valid ISO 8601 timestamp"))
}

/// `PATCH /licenses/{id}`
pub async fn update(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    let facts = facts(&state, &principal, &license, license.is_protected(&policy)).await?;
    if !access::may_update(&principal.actor(), &facts) {
        return Err(ApiError::forbidden("not allowed to update this license"));
    }
    let mut input = Input::parse(&body, "licenses")?;
    let attrs = read(&mut input, &principal, false)?;
    input.finish()?;
    let limits = attrs.limits;
    let changes = LicenseChanges {
        name: attrs.name.into_update(),
        expiry: match attrs.expiry.into_update() {
            Some(expiry) => Some(expiry.map(|t| parse_expiry(&t)).transpose()?),
            None => None,
        },
        suspended: attrs.suspended.into_update().map(|s| s.unwrap_or(false)),
        protected: attrs.protected.into_update(),
        metadata: attrs
            .metadata
            .into_update()
            .map(|m| m.unwrap_or_else(|| "{}".into())),
        max_machines: limits.max_machines.into_update(),
        max_processes: limits.max_processes.into_update(),
        max_users: limits.max_users.into_update(),
        max_cores: limits.max_cores.into_update(),
        max_memory: limits.max_memory.into_update(),
        max_disk: limits.max_disk.into_update(),
        max_uses: limits.max_uses.into_update(),
    };
    let updated = licenses::update(
        &state.db,
        account.id(),
        &license.id,
        changes,
        state.now_ms(),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("license", &id))?;
    Ok(Document::ok(single(
        render(&state, &account, &updated, &policy).await?,
    )))
}

/// `DELETE /licenses/{id}` (deletes its machines too).
pub async fn destroy(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (license, policy) = load(&state, &account, &principal, &id).await?;
    let facts = facts(&state, &principal, &license, license.is_protected(&policy)).await?;
    if !access::may_delete(&principal.actor(), &facts) {
        return Err(ApiError::forbidden("not allowed to delete this license"));
    }
    licenses::delete(&state.db, account.id(), &license.id, false, state.now_ms()).await?;
    Ok(no_content())
}
