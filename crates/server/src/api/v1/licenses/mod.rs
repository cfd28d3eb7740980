//! Licenses (`/licenses`, id = UUID or key): CRUD here, the list in [`list`],
//! validation in [`actions`].

pub mod actions;
pub mod attachments;
mod filters;
pub mod lifecycle;
pub mod list;
pub mod nested;
pub mod relationships;
pub mod serializer;
mod signed_key;
pub mod usage;

pub use list::{index, metadata_filter};

use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Bearer, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid};
use crate::jsonapi::{Document, JsonBody, no_content};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use latchkey_core::key_dataset::KeyFacts;
use latchkey_core::keys::{KeyProblem, check_custom_key, generate_default_key};
use latchkey_store::crud;
use latchkey_store::licenses::{self, COLUMNS, LicenseRow, TABLE};
use latchkey_store::policies::PolicyRow;
use latchkey_store::{Arg, StoreError, new_id, sql};
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
    let q = sql("SELECT user_id FROM license_users WHERE license_id = $1 AND user_id = $2")
        .bind(&license.id)
        .bind(user_id);
    Ok(state.db.fetch_optional::<(String,)>(q).await?.is_some())
}

/// Whether the caller may read (and validate) a license.
pub async fn may_read(
    state: &AppState,
    principal: &Principal,
    license: &LicenseRow,
) -> ApiResult<bool> {
    Ok(match &principal.bearer {
        _ if principal.is_staff() => true,
        Bearer::Product(p) => p.id == license.product_id,
        Bearer::License(l, _) => l.id == license.id,
        Bearer::User(u, _) => user_has_license(state, &u.id, license).await?,
    })
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
    if let Some(scope) = list::visibility(principal)
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
    let license = find_for(state, account, principal, id).await?;
    if !may_read(state, principal, &license).await? {
        return Err(ApiError::forbidden("not allowed to read this license"));
    }
    let policy = policy_of(state, &license).await?;
    Ok((license, policy))
}

/// The license's policy.
pub async fn policy_of(state: &AppState, license: &LicenseRow) -> ApiResult<PolicyRow> {
    crud::find(
        &state.db,
        latchkey_store::policies::TABLE,
        latchkey_store::policies::COLUMNS,
        &license.account_id,
        &license.policy_id,
    )
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
    let owner_banned = match &license.owner_id {
        Some(owner) => {
            let q = sql("SELECT banned_at FROM users WHERE id = $1").bind(owner);
            state
                .db
                .fetch_optional::<(Option<i64>,)>(q)
                .await?
                .is_some_and(|r| r.0.is_some())
        }
        None => false,
    };
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

struct Attrs {
    name: Field<String>,
    key: Field<String>,
    expiry: Field<String>,
    suspended: Field<bool>,
    protected: Field<bool>,
    metadata: Field<String>,
    limits: Vec<(&'static str, Field<i64>)>,
}

const LIMITS: [(&str, &str); 7] = [
    ("maxMachines", "max_machines"),
    ("maxProcesses", "max_processes"),
    ("maxUsers", "max_users"),
    ("maxCores", "max_cores"),
    ("maxMemory", "max_memory"),
    ("maxDisk", "max_disk"),
    ("maxUses", "max_uses"),
];

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
        limits: Vec::new(),
    };
    if admin_ish {
        attrs.expiry = input.string("expiry", 64)?;
        attrs.suspended = input.boolean("suspended")?;
        attrs.protected = input.boolean("protected")?;
        attrs.metadata = input.metadata()?;
        for (name, _) in LIMITS {
            let value = input.integer(name)?;
            if let Field::Value(v) = value {
                let min = if name == "maxUses" { 0 } else { 1 };
                if v < min {
                    return Err(invalid(
                        name,
                        format!("must be greater than or equal to {min}"),
                    ));
                }
                // Keygen's bound for license overrides, as for policies (policies::rules).
                let max = i64::from(i32::MAX);
                if v > max && name != "maxMemory" && name != "maxDisk" {
                    return Err(invalid(
                        name,
                        format!("must be less than or equal to {max}"),
                    ));
                }
            }
            attrs.limits.push((name, value));
        }
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

fn at(ms: i64) -> time::OffsetDateTime {
    latchkey_proto::time_format::from_millis(ms).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn key_conflict(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => ApiError::unprocessable("KEY_TAKEN", "has already been taken")
            .pointer("/data/attributes/key"),
        other => other.into(),
    }
}

/// `POST /licenses`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    if principal.license().is_some()
        || matches!(principal.role(), Some(r) if r.is_staff() && !principal.is_sales_or_above())
    {
        return Err(ApiError::forbidden("not allowed to create licenses"));
    }
    let mut input = Input::parse(&body, "licenses")?;
    let custom_id = input.id().map(str::to_owned);
    let policy_not_found = || {
        ApiError::unprocessable("POLICY_NOT_FOUND", "must exist")
            .pointer("/data/relationships/policy")
    };
    let Field::Value(policy_id) = input.relationship("policy")? else {
        return Err(policy_not_found());
    };
    let policy: PolicyRow = crud::find(
        &state.db,
        latchkey_store::policies::TABLE,
        latchkey_store::policies::COLUMNS,
        account.id(),
        &policy_id,
    )
    .await?
    .ok_or_else(policy_not_found)?;
    let owner_field = match input.relationship("owner")? {
        Field::Absent => input.relationship("user")?,
        other => {
            input.relationship("user")?;
            other
        }
    };
    let group_field = input.relationship("group")?;
    let attrs = read(&mut input, &principal, true)?;
    input.finish()?;

    match &principal.bearer {
        Bearer::Product(p) if p.id != policy.product_id => {
            return Err(ApiError::forbidden(
                "not allowed to create licenses for another product",
            ));
        }
        Bearer::User(u, role) if !role.is_staff() => {
            if policy.protected {
                return Err(ApiError::forbidden("policy is protected"));
            }
            if owner_field.clone().value().is_some_and(|o| o != u.id) {
                return Err(ApiError::forbidden(
                    "users may only create licenses they own",
                ));
            }
        }
        _ => {}
    }
    let owner = match owner_field {
        Field::Value(owner) => Some(
            latchkey_store::users::find(&state.db, account.id(), &owner)
                .await?
                .ok_or_else(|| {
                    ApiError::unprocessable("OWNER_NOT_FOUND", "must exist")
                        .pointer("/data/relationships/owner")
                })?,
        ),
        _ => match principal.end_user_id() {
            Some(id) => latchkey_store::users::find(&state.db, account.id(), id).await?,
            None => None,
        },
    };
    let owner_id = owner.as_ref().map(|o| o.id.clone());
    let group_id = match group_field {
        Field::Value(group) => {
            Some(crate::api::v1::groups::resolve(&state, &account, &group).await?)
        }
        // As in Keygen, a license without a group joins its owner's.
        _ => owner.as_ref().and_then(|o| o.group_id.clone()),
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
    if policy.use_pool && attrs.key.is_present() {
        return Err(ApiError::unprocessable(
            "KEY_NOT_SUPPORTED",
            "cannot specify key for a pooled policy",
        )
        .pointer("/data/attributes/key"));
    }
    let now = state.now_ms();
    let expiry = match attrs.expiry {
        Field::Value(text) => Some(parse_expiry(&text)?),
        Field::Null => None,
        Field::Absent => match (policy.duration, policy.expiration_basis.as_str()) {
            (Some(duration), "FROM_CREATION") => Some(now + duration * 1000),
            _ => None,
        },
    };
    let key = match (attrs.key, &policy.scheme) {
        // Replaced inside the transaction by the key popped from the pool.
        _ if policy.use_pool => String::new(),
        (dataset, Some(scheme)) => {
            let facts = KeyFacts {
                account: account.id(),
                product: &policy.product_id,
                policy: &policy.id,
                owner: owner.as_ref().map(|o| (o.id.as_str(), o.email.as_str())),
                license: &id,
                created: at(now),
                expiry: expiry.map(at),
                duration: policy.duration,
            };
            signed_key::issue(&state, &account, scheme, dataset.value(), &facts)?
        }
        (Field::Value(key), None) => {
            match check_custom_key(&key) {
                Err(KeyProblem::TooShort) => {
                    return Err(ApiError::unprocessable(
                        "KEY_TOO_SHORT",
                        "is too short (minimum is 6 characters)",
                    )
                    .pointer("/data/attributes/key"));
                }
                Err(KeyProblem::TooLong) => {
                    return Err(ApiError::unprocessable("KEY_TOO_LONG", "is too long")
                        .pointer("/data/attributes/key"));
                }
                Err(KeyProblem::Reserved) => {
                    return Err(ApiError::unprocessable("KEY_NOT_ALLOWED", "is reserved")
                        .pointer("/data/attributes/key"));
                }
                Ok(()) => {}
            }
            if uuid::Uuid::parse_str(&key).is_ok()
                && licenses::find(&state.db, account.id(), &key)
                    .await?
                    .is_some()
            {
                return Err(ApiError::unprocessable(
                    "KEY_CONFLICT",
                    "must not conflict with another license's identifier",
                )
                .pointer("/data/attributes/key"));
            }
            key
        }
        _ => generate_default_key(),
    };
    let limit = |column: &str| {
        attrs
            .limits
            .iter()
            .find(|(name, _)| LIMITS.iter().any(|(n, c)| n == name && *c == column))
            .and_then(|(_, v)| v.clone().value())
    };
    let mut row = LicenseRow {
        id,
        account_id: account.id().to_owned(),
        product_id: policy.product_id.clone(),
        policy_id: policy.id.clone(),
        owner_id,
        group_id,
        name: attrs.name.value(),
        key,
        expiry,
        suspended: attrs.suspended.value().unwrap_or(false),
        protected: attrs.protected.value(),
        uses: 0,
        max_machines: limit("max_machines"),
        max_processes: limit("max_processes"),
        max_users: limit("max_users"),
        max_cores: limit("max_cores"),
        max_memory: limit("max_memory"),
        max_disk: limit("max_disk"),
        max_uses: limit("max_uses"),
        last_validated_at: None,
        last_check_in_at: policy.require_check_in.then_some(now),
        last_check_out_at: None,
        metadata: attrs.metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin().await?;
    if crud::find_tx::<LicenseRow>(&mut tx, TABLE, COLUMNS, account.id(), &row.id)
        .await?
        .is_some()
    {
        return Err(ApiError::unprocessable(
            "ID_CONFLICT",
            "must not conflict with another license",
        )
        .pointer("/data/id"));
    }
    if let Some(group) = &row.group_id {
        use latchkey_store::groups::{Member, admit};
        let admission = admit(&mut tx, account.id(), group, Member::License).await?;
        crate::api::v1::groups::admitted(Member::License, admission)?;
    }
    if policy.use_pool {
        // Popped inside this transaction: the key is consumed only if the license
        // is inserted, and the policy lock keeps concurrent creates apart.
        match latchkey_store::pool_keys::pop(&mut tx, account.id(), &policy.id).await? {
            Some(pooled) => row.key = pooled.key,
            None => {
                return Err(
                    ApiError::unprocessable("POLICY_POOL_EMPTY", "pool is empty")
                        .pointer("/data/relationships/policy"),
                );
            }
        }
    }
    licenses::insert(&mut tx, &row)
        .await
        .map_err(key_conflict)?;
    tx.commit().await?;
    let location = format!("{}/licenses/{}", account.base(), row.id);
    Ok(Document::created(
        single(render(&state, &account, &row, &policy).await?),
        location,
    ))
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
    let allowed =
        principal.is_support_or_above() || principal.product_id() == Some(&license.product_id);
    if !allowed {
        return Err(ApiError::forbidden("not allowed to update this license"));
    }
    let mut input = Input::parse(&body, "licenses")?;
    let attrs = read(&mut input, &principal, false)?;
    input.finish()?;
    let mut changes: Vec<(&str, Arg)> = Vec::new();
    if let Some(name) = attrs.name.into_update() {
        changes.push(("name", name.into()));
    }
    if let Some(expiry) = attrs.expiry.into_update() {
        changes.push((
            "expiry",
            expiry.map(|t| parse_expiry(&t)).transpose()?.into(),
        ));
    }
    if let Some(suspended) = attrs.suspended.into_update() {
        changes.push(("suspended", suspended.unwrap_or(false).into()));
    }
    if let Some(protected) = attrs.protected.into_update() {
        changes.push(("protected", protected.into()));
    }
    if let Some(metadata) = attrs.metadata.into_update() {
        changes.push(("metadata", metadata.unwrap_or_else(|| "{}".into()).into()));
    }
    for (name, value) in attrs.limits {
        if let (Some(value), Some((_, column))) =
            (value.into_update(), LIMITS.iter().find(|(n, _)| *n == name))
        {
            changes.push((column, value.into()));
        }
    }
    let mut tx = state.db.begin().await?;
    crud::update(
        &mut tx,
        TABLE,
        account.id(),
        &license.id,
        changes,
        state.now_ms(),
    )
    .await?;
    let updated: LicenseRow = crud::find_tx(&mut tx, TABLE, COLUMNS, account.id(), &license.id)
        .await?
        .ok_or_else(|| ApiError::not_found("license", &id))?;
    tx.commit().await?;
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
    let allowed = match &principal.bearer {
        Bearer::Product(p) => p.id == license.product_id,
        Bearer::User(u, role) if !role.is_staff() => {
            license.owner_id.as_deref() == Some(u.id.as_str())
                && !license.protected.unwrap_or(policy.protected)
        }
        Bearer::License(..) => false,
        _ => principal.is_sales_or_above(),
    };
    if !allowed {
        return Err(ApiError::forbidden("not allowed to delete this license"));
    }
    let mut tx = state.db.begin().await?;
    tx.execute(
        sql("DELETE FROM tokens WHERE account_id = $1 AND bearer_id = $2")
            .bind(account.id())
            .bind(&license.id),
    )
    .await?;
    crud::delete(&mut tx, TABLE, account.id(), &license.id).await?;
    tx.commit().await?;
    Ok(no_content())
}
