//! Machine heartbeats (Keygen §4.3): `POST /machines/{id}/actions/ping` records a
//! ping or, for a dead machine inside its revive window, resurrects it;
//! `POST /machines/{id}/actions/reset` clears the heartbeat.

use super::{load, serializer};
use crate::account::Account;
use crate::api::v1::serialize::single;
use crate::auth::Authed;
use crate::error::{ApiError, ApiResult};
use crate::jsonapi::Document;
use crate::state::AppState;
use axum::extract::{Path, State};
use latchkey_core::access::machines as access;
use latchkey_core::heartbeat::{HeartbeatStatus, machine_status, resurrection_period_passed};
use latchkey_core::policy::DEFAULT_HEARTBEAT_SECONDS;
use latchkey_proto::ErrorCode;
use latchkey_proto::time_format::from_millis;
use latchkey_store::machines;
use time::{Duration, OffsetDateTime};

fn at(ms: i64) -> OffsetDateTime {
    from_millis(ms).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `POST /machines/{id}/actions/ping`
pub async fn ping(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    let facts = super::facts(&l.license, &l.policy, false);
    if !access::may_ping(&principal.actor(), l.machine.owner_id.as_deref(), &facts) {
        return Err(ApiError::forbidden(
            "not allowed to ping this machine's heartbeat",
        ));
    }
    let now = state.now();
    let now_ms = state.now_ms();
    let duration = l
        .policy
        .heartbeat_duration
        .unwrap_or(DEFAULT_HEARTBEAT_SECONDS);
    let last = l.machine.last_heartbeat_at.map(at);
    let status = machine_status(
        last,
        at(l.machine.created_at),
        duration,
        l.policy.require_heartbeat,
        now,
    );
    let resurrected = status == HeartbeatStatus::Dead;
    if resurrected {
        let strategy = l.policy.heartbeat_resurrection_strategy;
        let next = last.map(|last| last + Duration::seconds(duration));
        if resurrection_period_passed(strategy, next, now) {
            return Err(ApiError::unprocessable(
                ErrorCode::MachineHeartbeatDead,
                "is dead",
            ));
        }
    }
    machines::ping(&state.db, &l.machine.id, now_ms, resurrected).await?;
    let mut machine = l.machine;
    machine.last_heartbeat_at = Some(now_ms);
    machine.updated_at = now_ms;
    if resurrected {
        machine.last_death_event_at = None;
        machine.heartbeat_resurrected_at = Some(now_ms);
    }
    Ok(Document::ok(single(serializer::machine_with_status(
        &account,
        &machine,
        &l.license,
        &l.policy,
        now_ms,
        resurrected.then_some(HeartbeatStatus::Resurrected),
    ))))
}

/// `POST /machines/{id}/actions/reset`
pub async fn reset(
    State(state): State<AppState>,
    account: Account,
    Authed(principal): Authed,
    Path(id): Path<String>,
) -> ApiResult<Document> {
    let l = load(&state, &account, &principal, &id).await?;
    let facts = super::facts(&l.license, &l.policy, false);
    if !access::may_reset_heartbeat(&principal.actor(), &facts) {
        return Err(ApiError::forbidden(
            "not allowed to reset this machine's heartbeat",
        ));
    }
    let now_ms = state.now_ms();
    machines::reset_heartbeat(&state.db, &l.machine.id, now_ms).await?;
    let mut machine = l.machine;
    machine.last_heartbeat_at = None;
    machine.last_death_event_at = None;
    machine.updated_at = now_ms;
    Ok(Document::ok(single(serializer::machine(
        &account, &machine, &l.license, &l.policy, now_ms,
    ))))
}
