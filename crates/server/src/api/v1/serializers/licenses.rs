//! License resource rendering (`licenses`), including Keygen's derived `status`.

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::licenses::{LicenseCounts, LicenseRow};
use latchkey_store::policies::PolicyRow;
use serde_json::{Value, json};

/// What rendering a license needs besides its row.
#[derive(Debug, Clone)]
pub struct LicenseView<'a> {
    /// The license.
    pub license: &'a LicenseRow,
    /// Its policy.
    pub policy: &'a PolicyRow,
    /// Whether its owner is banned.
    pub owner_banned: bool,
    /// Machine and user counts.
    pub counts: LicenseCounts,
    /// Now, unix ms.
    pub now_ms: i64,
}

/// Keygen's status (`latchkey_core::licensing::status`).
pub fn status(view: &LicenseView<'_>) -> &'static str {
    latchkey_core::licensing::status(&view.license.status_facts(view.owner_banned), view.now_ms)
        .as_str()
}

/// The license resource object.
pub fn license(account: &Account, view: &LicenseView<'_>) -> Value {
    let l = view.license;
    let p = view.policy;
    let own = format!("licenses/{}", l.id);
    let next_check_in = if p.require_check_in {
        let rules = p.rules();
        latchkey_core::check_in::next_check_in(
            l.last_check_in_at
                .and_then(latchkey_proto::time_format::from_millis),
            rules.check_in_interval,
            rules.check_in_interval_count,
        )
        .map(latchkey_proto::time_format::to_millis)
    } else {
        None
    };
    let counts = view.counts;
    let limits = l.limits(p);
    resource(
        account,
        "licenses",
        &l.id,
        json!({
            "name": l.name,
            "key": l.key,
            "expiry": ts(l.expiry),
            "status": status(view),
            "uses": l.uses,
            "suspended": l.suspended,
            "scheme": p.scheme,
            "encrypted": p.encrypted,
            "strict": p.strict,
            "floating": p.floating,
            "protected": l.is_protected(p),
            "version": l.last_validated_version,
            "requireHeartbeat": p.require_heartbeat,
            "requireCheckIn": p.require_check_in,
            "lastValidated": ts(l.last_validated_at),
            "lastCheckIn": ts(l.last_check_in_at),
            "nextCheckIn": ts(next_check_in),
            "lastCheckOut": ts(l.last_check_out_at),
            "maxMachines": limits.max_machines,
            "maxProcesses": limits.max_processes,
            "maxUsers": limits.max_users,
            "maxCores": limits.max_cores,
            "maxMemory": limits.max_memory,
            "maxDisk": limits.max_disk,
            "maxUses": limits.max_uses,
            "metadata": json_text(&l.metadata),
            "created": ts1(l.created_at),
            "updated": ts1(l.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "product": to_one(account, &own, "product", "products", Some(&l.product_id)),
            "policy": to_one(account, &own, "policy", "policies", Some(&l.policy_id)),
            "group": to_one(account, &own, "group", "groups", l.group_id.as_deref()),
            "owner": to_one(account, &own, "owner", "users", l.owner_id.as_deref()),
            "users": {
                "links": { "related": format!("{}/{own}/users", account.base()) },
                "meta": { "count": counts.users + i64::from(l.owner_id.is_some()) },
            },
            "machines": {
                "links": { "related": format!("{}/{own}/machines", account.base()) },
                "meta": { "count": counts.machines, "cores": counts.cores, "memory": counts.memory, "disk": counts.disk },
            },
            "tokens": to_many(account, &own, "tokens"),
            "entitlements": to_many(account, &own, "entitlements"),
        }),
    )
}
