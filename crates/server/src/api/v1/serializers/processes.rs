//! Process resource rendering (`processes`), with status derived from time.

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_core::heartbeat::{HeartbeatStatus, process_status};
use latchkey_core::policy::DEFAULT_HEARTBEAT_SECONDS;
use latchkey_store::licenses::LicenseRow;
use latchkey_store::policies::PolicyRow;
use latchkey_store::processes::ProcessRow;
use serde_json::{Value, json};

/// The process resource object; `status` overrides the derived status (RESURRECTED
/// in the ping response that revived it).
pub fn process(
    account: &Account,
    p: &ProcessRow,
    license: &LicenseRow,
    policy: &PolicyRow,
    now_ms: i64,
    status: Option<HeartbeatStatus>,
) -> Value {
    let own = format!("processes/{}", p.id);
    let interval = policy
        .heartbeat_duration
        .unwrap_or(DEFAULT_HEARTBEAT_SECONDS);
    let at = |ms: i64| {
        latchkey_proto::time_format::from_millis(ms).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    };
    let status =
        status.unwrap_or_else(|| process_status(at(p.last_heartbeat_at), interval, at(now_ms)));
    resource(
        account,
        "processes",
        &p.id,
        json!({
            "pid": p.pid,
            "status": status.as_str(),
            "interval": interval,
            "lastHeartbeat": ts1(p.last_heartbeat_at),
            "nextHeartbeat": ts1(p.last_heartbeat_at + interval * 1000),
            "metadata": json_text(&p.metadata),
            "created": ts1(p.created_at),
            "updated": ts1(p.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "product": to_one(account, &own, "product", "products", Some(&license.product_id)),
            "license": to_one(account, &own, "license", "licenses", Some(&p.license_id)),
            "machine": to_one(account, &own, "machine", "machines", Some(&p.machine_id)),
        }),
    )
}
