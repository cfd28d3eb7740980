//! Machine resource rendering (`machines`), with heartbeat status derived from time.

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_core::heartbeat::{HeartbeatStatus, machine_status};
use latchkey_core::policy::DEFAULT_HEARTBEAT_SECONDS;
use latchkey_store::licenses::LicenseRow;
use latchkey_store::machines::MachineRow;
use latchkey_store::policies::PolicyRow;
use serde_json::{Value, json};

/// The machine resource object.
pub fn machine(
    account: &Account,
    m: &MachineRow,
    license: &LicenseRow,
    policy: &PolicyRow,
    now_ms: i64,
) -> Value {
    machine_with_status(account, m, license, policy, now_ms, None)
}

/// The machine resource object; `status` overrides the derived heartbeat status
/// (RESURRECTED is only shown in the ping response that revived the machine).
pub fn machine_with_status(
    account: &Account,
    m: &MachineRow,
    license: &LicenseRow,
    policy: &PolicyRow,
    now_ms: i64,
    status: Option<HeartbeatStatus>,
) -> Value {
    let own = format!("machines/{}", m.id);
    let duration = policy
        .heartbeat_duration
        .unwrap_or(DEFAULT_HEARTBEAT_SECONDS);
    let at = |ms: i64| {
        latchkey_proto::time_format::from_millis(ms).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    };
    let status = status.unwrap_or_else(|| {
        machine_status(
            m.last_heartbeat_at.map(at),
            at(m.created_at),
            duration,
            policy.require_heartbeat,
            at(now_ms),
        )
    });
    resource(
        account,
        "machines",
        &m.id,
        json!({
            "fingerprint": m.fingerprint,
            "cores": m.cores,
            "memory": m.memory,
            "disk": m.disk,
            "ip": m.ip,
            "hostname": m.hostname,
            "platform": m.platform,
            "name": m.name,
            "requireHeartbeat": policy.require_heartbeat || m.last_heartbeat_at.is_some(),
            "heartbeatStatus": status.as_str(),
            "heartbeatDuration": duration,
            "maxProcesses": m.max_processes.or(license.max_processes).or(policy.max_processes),
            "lastHeartbeat": ts(m.last_heartbeat_at),
            "nextHeartbeat": ts(m.last_heartbeat_at.map(|last| last + duration * 1000)),
            "lastCheckOut": ts(m.last_check_out_at),
            "metadata": json_text(&m.metadata),
            "created": ts1(m.created_at),
            "updated": ts1(m.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "product": to_one(account, &own, "product", "products", Some(&license.product_id)),
            "group": to_one(account, &own, "group", "groups", m.group_id.as_deref()),
            "license": to_one(account, &own, "license", "licenses", Some(&m.license_id)),
            "owner": to_one(account, &own, "owner", "users", m.owner_id.as_deref()),
            "components": to_many(account, &own, "components"),
            "processes": to_many(account, &own, "processes"),
        }),
    )
}
