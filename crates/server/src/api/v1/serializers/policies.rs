//! Policy resource rendering (`policies`).

use crate::account::Account;
use crate::api::v1::serialize::*;
use latchkey_store::policies::PolicyRow;
use serde_json::{Value, json};

/// The policy resource object.
pub fn policy(account: &Account, p: &PolicyRow) -> Value {
    let own = format!("policies/{}", p.id);
    resource(
        account,
        "policies",
        &p.id,
        json!({
            "name": p.name,
            "duration": p.duration,
            "strict": p.strict,
            "floating": p.floating,
            "scheme": p.scheme,
            "requireProductScope": p.require_product_scope,
            "requirePolicyScope": p.require_policy_scope,
            "requireMachineScope": p.require_machine_scope,
            "requireFingerprintScope": p.require_fingerprint_scope,
            "requireComponentsScope": p.require_components_scope,
            "requireUserScope": p.require_user_scope,
            "requireChecksumScope": p.require_checksum_scope,
            "requireVersionScope": p.require_version_scope,
            "requireCheckIn": p.require_check_in,
            "checkInInterval": p.check_in_interval,
            "checkInIntervalCount": p.check_in_interval_count,
            "usePool": p.use_pool,
            "maxMachines": p.max_machines,
            "maxProcesses": p.max_processes,
            "maxUsers": p.max_users,
            "maxCores": p.max_cores,
            "maxMemory": p.max_memory,
            "maxDisk": p.max_disk,
            "maxUses": p.max_uses,
            "encrypted": p.encrypted,
            "protected": p.protected,
            "requireHeartbeat": p.require_heartbeat,
            "heartbeatDuration": p.heartbeat_duration,
            "heartbeatCullStrategy": p.heartbeat_cull_strategy,
            "heartbeatResurrectionStrategy": p.heartbeat_resurrection_strategy,
            "heartbeatBasis": p.heartbeat_basis,
            "machineUniquenessStrategy": p.machine_uniqueness_strategy,
            "machineMatchingStrategy": p.machine_matching_strategy,
            "componentUniquenessStrategy": p.component_uniqueness_strategy,
            "componentMatchingStrategy": p.component_matching_strategy,
            "expirationStrategy": p.expiration_strategy,
            "expirationBasis": p.expiration_basis,
            "renewalBasis": p.renewal_basis,
            "transferStrategy": p.transfer_strategy,
            "authenticationStrategy": p.authentication_strategy,
            "machineLeasingStrategy": p.machine_leasing_strategy,
            "processLeasingStrategy": p.process_leasing_strategy,
            "overageStrategy": p.overage_strategy,
            "metadata": json_text(&p.metadata),
            "created": ts1(p.created_at),
            "updated": ts1(p.updated_at),
        }),
        json!({
            "account": account_rel(account),
            "product": to_one(account, &own, "product", "products", Some(&p.product_id)),
            "pool": to_many(account, &own, "pool"),
            "licenses": to_many(account, &own, "licenses"),
            "entitlements": to_many(account, &own, "entitlements"),
        }),
    )
}
