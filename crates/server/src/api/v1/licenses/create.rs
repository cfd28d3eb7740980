//! `POST /licenses`: parse the request, decide with `core::access::licenses`, build
//! the row (owner, group, expiry, key), and let `store::licenses::create` admit it
//! to its group, take a pooled key and insert it in one transaction.

use super::{Attrs, parse_expiry, read, render, signed_key};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::{Authed, Principal};
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input};
use crate::jsonapi::{Document, JsonBody};
use crate::state::AppState;
use axum::extract::State;
use latchkey_core::access::licenses::{CreateDenial, create_denial, may_create};
use latchkey_core::key_dataset::KeyFacts;
use latchkey_core::keys::{KeyProblem, check_custom_key, generate_default_key};
use latchkey_proto::ErrorCode;
use latchkey_store::licenses::{self, CreateRefusal, LicenseRow};
use latchkey_store::new_id;
use latchkey_store::policies::PolicyRow;
use latchkey_store::users::UserRow;

fn policy_not_found() -> ApiError {
    ApiError::unprocessable(ErrorCode::PolicyNotFound, "must exist")
        .pointer("/data/relationships/policy")
}

fn key_error(code: ErrorCode, detail: &str) -> ApiError {
    ApiError::unprocessable(code, detail).pointer("/data/attributes/key")
}

/// The rest of the request, read after the policy is known to exist.
struct Request {
    owner: Field<String>,
    group: Field<String>,
    attrs: Attrs,
}

fn parse_rest(mut input: Input, principal: &Principal) -> ApiResult<Request> {
    let owner = match input.relationship("owner")? {
        Field::Absent => input.relationship("user")?,
        other => {
            input.relationship("user")?;
            other
        }
    };
    let group = input.relationship("group")?;
    let attrs = read(&mut input, principal, true)?;
    input.finish()?;
    Ok(Request {
        owner,
        group,
        attrs,
    })
}

fn denied(denial: CreateDenial) -> ApiError {
    ApiError::forbidden(match denial {
        CreateDenial::OtherProduct => "not allowed to create licenses for another product",
        CreateDenial::PolicyProtected => "policy is protected",
        CreateDenial::NotOwnLicense => "users may only create licenses they own",
    })
}

/// The owner named in the request (422 when missing), else an end user creating
/// for themselves.
async fn owner(
    state: &AppState,
    account: &Account,
    principal: &Principal,
    field: Field<String>,
) -> ApiResult<Option<UserRow>> {
    Ok(match field {
        Field::Value(owner) => Some(
            latchkey_store::users::find(&state.db, account.id(), &owner)
                .await?
                .ok_or_else(|| {
                    ApiError::unprocessable(ErrorCode::OwnerNotFound, "must exist")
                        .pointer("/data/relationships/owner")
                })?,
        ),
        _ => match principal.end_user_id() {
            Some(id) => latchkey_store::users::find(&state.db, account.id(), id).await?,
            None => None,
        },
    })
}

fn license_id(custom: Option<String>) -> ApiResult<String> {
    match custom {
        Some(id) if uuid::Uuid::parse_str(&id).is_ok() => Ok(id.to_lowercase()),
        Some(_) => Err(
            ApiError::unprocessable(ErrorCode::IdInvalid, "must be a valid UUID")
                .pointer("/data/id"),
        ),
        None => Ok(new_id()),
    }
}

fn at(ms: i64) -> time::OffsetDateTime {
    latchkey_proto::time_format::from_millis(ms).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The key of the new license: empty for a pooled policy (the store pops one), signed
/// for a policy with a scheme, else the custom key (checked) or a generated one.
async fn key(
    state: &AppState,
    account: &Account,
    policy: &PolicyRow,
    requested: Field<String>,
    facts: &KeyFacts<'_>,
) -> ApiResult<String> {
    if policy.use_pool {
        return Ok(String::new());
    }
    match (requested, &policy.scheme) {
        (dataset, Some(scheme)) => {
            signed_key::issue(state, account, scheme, dataset.value(), facts)
        }
        (Field::Value(key), None) => {
            match check_custom_key(&key) {
                Err(KeyProblem::TooShort) => {
                    return Err(key_error(
                        ErrorCode::KeyTooShort,
                        "is too short (minimum is 6 characters)",
                    ));
                }
                Err(KeyProblem::TooLong) => {
                    return Err(key_error(ErrorCode::KeyTooLong, "is too long"));
                }
                Err(KeyProblem::Reserved) => {
                    return Err(key_error(ErrorCode::KeyNotAllowed, "is reserved"));
                }
                Ok(()) => {}
            }
            if uuid::Uuid::parse_str(&key).is_ok()
                && licenses::find(&state.db, account.id(), &key)
                    .await?
                    .is_some()
            {
                return Err(key_error(
                    ErrorCode::KeyConflict,
                    "must not conflict with another license's identifier",
                ));
            }
            Ok(key)
        }
        _ => Ok(generate_default_key()),
    }
}

fn refused(refusal: CreateRefusal) -> ApiError {
    match refusal {
        CreateRefusal::IdTaken => ApiError::unprocessable(
            ErrorCode::IdConflict,
            "must not conflict with another license",
        )
        .pointer("/data/id"),
        CreateRefusal::KeyTaken => key_error(ErrorCode::KeyTaken, "has already been taken"),
        CreateRefusal::Group(admission) => {
            match crate::api::v1::groups::admitted(
                latchkey_store::groups::Member::License,
                admission,
            ) {
                Err(error) => error,
                Ok(()) => ApiError::internal("group admitted the license but refused it"),
            }
        }
        CreateRefusal::PoolEmpty => {
            ApiError::unprocessable(ErrorCode::PolicyPoolEmpty, "pool is empty")
                .pointer("/data/relationships/policy")
        }
    }
}

/// `POST /licenses`
pub async fn create(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    JsonBody(body): JsonBody,
) -> ApiResult<Document> {
    let actor = principal.actor();
    if !may_create(&actor) {
        return Err(ApiError::forbidden("not allowed to create licenses"));
    }
    let mut input = Input::parse(&body, "licenses")?;
    let custom_id = input.id().map(str::to_owned);
    let Field::Value(policy_id) = input.relationship("policy")? else {
        return Err(policy_not_found());
    };
    let policy = latchkey_store::policies::find(&state.db, account.id(), &policy_id)
        .await?
        .ok_or_else(policy_not_found)?;
    let Request {
        owner: owner_field,
        group: group_field,
        attrs,
    } = parse_rest(input, &principal)?;
    let requested_owner = owner_field.clone().value();
    if let Some(denial) = create_denial(
        &actor,
        &policy.product_id,
        policy.protected,
        requested_owner.as_deref(),
    ) {
        return Err(denied(denial));
    }
    let owner = owner(&state, &account, &principal, owner_field).await?;
    let group_id = match group_field {
        Field::Value(group) => {
            Some(crate::api::v1::groups::resolve(&state, &account, &group).await?)
        }
        // As in Keygen, a license without a group joins its owner's.
        _ => owner.as_ref().and_then(|o| o.group_id.clone()),
    };
    let id = license_id(custom_id)?;
    if policy.use_pool && attrs.key.is_present() {
        return Err(key_error(
            ErrorCode::KeyNotSupported,
            "cannot specify key for a pooled policy",
        ));
    }
    let now = state.now_ms();
    let expiry = match attrs.expiry.clone() {
        Field::Value(text) => Some(parse_expiry(&text)?),
        Field::Null => None,
        Field::Absent => match (policy.duration, policy.expiration_basis.as_str()) {
            (Some(duration), "FROM_CREATION") => Some(now + duration * 1000),
            _ => None,
        },
    };
    let key_facts = KeyFacts {
        account: account.id(),
        product: &policy.product_id,
        policy: &policy.id,
        owner: owner.as_ref().map(|o| (o.id.as_str(), o.email.as_str())),
        license: &id,
        created: at(now),
        expiry: expiry.map(at),
        duration: policy.duration,
    };
    let key = key(&state, &account, &policy, attrs.key.clone(), &key_facts).await?;
    let row = LicenseRow {
        id,
        account_id: account.id().to_owned(),
        product_id: policy.product_id.clone(),
        policy_id: policy.id.clone(),
        owner_id: owner.map(|o| o.id),
        group_id,
        name: attrs.name.clone().value(),
        key,
        expiry,
        suspended: attrs.suspended.clone().value().unwrap_or(false),
        protected: attrs.protected.clone().value(),
        uses: 0,
        max_machines: attrs.limits.max_machines.clone().value(),
        max_processes: attrs.limits.max_processes.clone().value(),
        max_users: attrs.limits.max_users.clone().value(),
        max_cores: attrs.limits.max_cores.clone().value(),
        max_memory: attrs.limits.max_memory.clone().value(),
        max_disk: attrs.limits.max_disk.clone().value(),
        max_uses: attrs.limits.max_uses.clone().value(),
        last_validated_at: None,
        last_validated_checksum: None,
        last_validated_version: None,
        last_check_in_at: policy.require_check_in.then_some(now),
        last_check_out_at: None,
        metadata: attrs.metadata.value().unwrap_or_else(|| "{}".into()),
        created_at: now,
        updated_at: now,
    };
    let row = licenses::create(&state.db, row, policy.use_pool)
        .await?
        .map_err(refused)?;
    let location = format!("{}/licenses/{}", account.base(), row.id);
    Ok(Document::created(
        single(render(&state, &account, &row, &policy).await?),
        location,
    ))
}
