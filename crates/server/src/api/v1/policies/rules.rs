//! Reading policy attributes onto a row and checking the merged result against
//! Keygen's policy validations (limits, check-in, heartbeat and overage rules).

use crate::error::{ApiError, ApiResult};
use crate::jsonapi::input::{Field, Input, invalid, missing};
use latchkey_core::policy::*;
use latchkey_proto::ErrorCode;
use latchkey_store::policies::PolicyRow;

macro_rules! set_bool {
    ($input:ident, $row:ident, $($name:literal => $field:ident),+ $(,)?) => {$(
        match $input.boolean($name)? {
            Field::Value(v) => $row.$field = v,
            Field::Null => $row.$field = false,
            Field::Absent => {}
        }
    )+};
}

macro_rules! set_int {
    ($input:ident, $row:ident, $($name:literal => $field:ident),+ $(,)?) => {$(
        if let Some(v) = $input.integer($name)?.into_update() {
            $row.$field = v;
        }
    )+};
}

macro_rules! set_enum {
    ($input:ident, $row:ident, $($name:literal => $field:ident : $allowed:expr, $default:expr);+ $(;)?) => {$(
        match $input.choice($name, $allowed)? {
            Field::Value(v) => $row.$field = v.parse().map_err(|_| invalid($name, "is not included in the list"))?,
            Field::Null => $row.$field = $default.parse().map_err(|_| invalid($name, "is not included in the list"))?,
            Field::Absent => {}
        }
    )+};
}

/// Applies the request's attributes to `row`. On update, `scheme`, `encrypted` and
/// `usePool` are immutable and rejected as unpermitted.
pub fn apply(input: &mut Input, row: &mut PolicyRow, creating: bool) -> ApiResult<()> {
    match input.string("name", 255)? {
        Field::Value(name) => row.name = name,
        Field::Null => return Err(missing("name")),
        Field::Absent => {}
    }
    if creating {
        set_bool!(input, row, "usePool" => use_pool, "encrypted" => encrypted);
        if let Some(scheme) = input.choice("scheme", Scheme::ALL)?.into_update() {
            row.scheme = scheme;
        }
    }
    set_bool!(input, row,
        "strict" => strict, "floating" => floating, "protected" => protected,
        "requireProductScope" => require_product_scope, "requirePolicyScope" => require_policy_scope,
        "requireMachineScope" => require_machine_scope, "requireFingerprintScope" => require_fingerprint_scope,
        "requireComponentsScope" => require_components_scope, "requireUserScope" => require_user_scope,
        "requireChecksumScope" => require_checksum_scope, "requireVersionScope" => require_version_scope,
        "requireCheckIn" => require_check_in, "requireHeartbeat" => require_heartbeat,
    );
    set_int!(input, row,
        "duration" => duration, "maxMachines" => max_machines, "maxProcesses" => max_processes,
        "maxUsers" => max_users, "maxCores" => max_cores, "maxMemory" => max_memory, "maxDisk" => max_disk,
        "maxUses" => max_uses, "checkInIntervalCount" => check_in_interval_count,
        "heartbeatDuration" => heartbeat_duration,
    );
    if let Some(interval) = input
        .choice("checkInInterval", CheckInInterval::ALL)?
        .into_update()
    {
        row.check_in_interval = interval.and_then(|i| CheckInInterval::parse(&i));
    }
    let heartbeat_basis_given = input.choice("heartbeatBasis", HeartbeatBasis::ALL)?;
    set_enum!(input, row,
        "machineUniquenessStrategy" => machine_uniqueness_strategy: UniquenessStrategy::MACHINE, "UNIQUE_PER_LICENSE";
        "machineMatchingStrategy" => machine_matching_strategy: MatchingStrategy::ALL, "MATCH_ANY";
        "componentUniquenessStrategy" => component_uniqueness_strategy: UniquenessStrategy::ALL, "UNIQUE_PER_MACHINE";
        "componentMatchingStrategy" => component_matching_strategy: MatchingStrategy::ALL, "MATCH_ANY";
        "expirationStrategy" => expiration_strategy: ExpirationStrategy::ALL, "RESTRICT_ACCESS";
        "expirationBasis" => expiration_basis: ExpirationBasis::ALL, "FROM_CREATION";
        "renewalBasis" => renewal_basis: RenewalBasis::ALL, "FROM_EXPIRY";
        "transferStrategy" => transfer_strategy: TransferStrategy::ALL, "KEEP_EXPIRY";
        "authenticationStrategy" => authentication_strategy: AuthenticationStrategy::ALL, "TOKEN";
        "machineLeasingStrategy" => machine_leasing_strategy: MachineLeasingStrategy::ALL, "PER_LICENSE";
        "processLeasingStrategy" => process_leasing_strategy: ProcessLeasingStrategy::ALL, "PER_MACHINE";
        "overageStrategy" => overage_strategy: OverageStrategy::ALL, "NO_OVERAGE";
        "heartbeatCullStrategy" => heartbeat_cull_strategy: HeartbeatCullStrategy::ALL, "DEACTIVATE_DEAD";
        "heartbeatResurrectionStrategy" => heartbeat_resurrection_strategy: HeartbeatResurrectionStrategy::ALL, "NO_REVIVE";
    );
    match heartbeat_basis_given {
        Field::Value(basis) => {
            row.heartbeat_basis = basis
                .parse()
                .map_err(|_| invalid("heartbeatBasis", "is not included in the list"))?;
        }
        Field::Null | Field::Absent if creating => {
            row.heartbeat_basis = if row.require_heartbeat {
                HeartbeatBasis::FromCreation
            } else {
                HeartbeatBasis::FromFirstPing
            };
        }
        Field::Null => row.heartbeat_basis = HeartbeatBasis::FromFirstPing,
        Field::Absent => {}
    }
    if let Some(metadata) = input.metadata()?.into_update() {
        row.metadata = metadata.unwrap_or_else(|| "{}".into());
    }
    if creating && !row.floating && row.max_machines.is_none() {
        row.max_machines = Some(1);
    }
    Ok(())
}

fn at_least(name: &str, value: Option<i64>, min: i64) -> ApiResult<()> {
    match value {
        Some(v) if v < min => Err(invalid(
            name,
            format!("must be greater than or equal to {min}"),
        )),
        Some(v) if v > i64::from(i32::MAX) && name != "maxMemory" && name != "maxDisk" => Err(
            invalid(name, format!("must be less than or equal to {}", i32::MAX)),
        ),
        _ => Ok(()),
    }
}

/// Checks a merged policy row.
pub fn check(row: &PolicyRow) -> ApiResult<()> {
    at_least("duration", row.duration, 86_400)?;
    at_least("maxProcesses", row.max_processes, 1)?;
    at_least("maxUsers", row.max_users, 1)?;
    at_least("maxCores", row.max_cores, 1)?;
    at_least("maxMemory", row.max_memory, 1)?;
    at_least("maxDisk", row.max_disk, 1)?;
    at_least("maxUses", row.max_uses, 0)?;
    at_least("heartbeatDuration", row.heartbeat_duration, 60)?;
    if row.floating {
        at_least("maxMachines", row.max_machines, 1)?;
    } else if row.max_machines.is_some_and(|m| m != 1) {
        return Err(invalid(
            "maxMachines",
            "must be equal to 1 for non-floating policy",
        ));
    }
    if row.require_check_in {
        if row.check_in_interval.is_none() {
            return Err(missing("checkInInterval"));
        }
        match row.check_in_interval_count {
            None => return Err(missing("checkInIntervalCount")),
            Some(n) if !(1..=365).contains(&n) => {
                return Err(invalid(
                    "checkInIntervalCount",
                    "must be a number between 1 and 365 inclusive",
                ));
            }
            _ => {}
        }
    }
    if row.heartbeat_resurrection_strategy == "ALWAYS_REVIVE"
        && row.heartbeat_cull_strategy != "KEEP_DEAD"
    {
        return Err(ApiError::unprocessable(
            ErrorCode::HeartbeatCullStrategyNotAllowed,
            "incompatible heartbeat cull strategy (must be KEEP_DEAD when resurrection strategy is ALWAYS_REVIVE)",
        )
        .pointer("/data/attributes/heartbeatCullStrategy"));
    }
    if row.use_pool && (row.scheme.is_some() || row.encrypted) {
        return Err(ApiError::unprocessable(
            ErrorCode::UsePoolNotSupported,
            "cannot be used with an encrypted or signed scheme",
        )
        .pointer("/data/attributes/usePool"));
    }
    if row.encrypted && row.scheme.as_deref().is_some_and(|s| s != "LEGACY_ENCRYPT") {
        return Err(ApiError::unprocessable(ErrorCode::SchemeNotSupported, "unsupported encryption scheme (scheme must be LEGACY_ENCRYPT for legacy encrypted policies)")
            .pointer("/data/attributes/scheme"));
    }
    check_overage(row)
}

fn check_overage(row: &PolicyRow) -> ApiResult<()> {
    let overage = row.overage_strategy;
    let divisor = overage.required_divisor();
    if divisor == 1 {
        return Ok(());
    }
    let not_allowed = |detail: &str| {
        ApiError::unprocessable(ErrorCode::OverageStrategyNotAllowed, detail)
            .pointer("/data/attributes/overageStrategy")
    };
    if !row.floating {
        return Err(not_allowed(
            "incompatible overage strategy (cannot use this overage strategy for a node-locked policy)",
        ));
    }
    let limits = [
        row.max_machines,
        row.max_cores,
        row.max_memory,
        row.max_disk,
        row.max_processes,
        row.max_users,
    ];
    if limits
        .into_iter()
        .flatten()
        .any(|limit| limit % divisor != 0)
    {
        return Err(not_allowed(&format!(
            "incompatible overage strategy (limits must be divisible by {divisor} for this overage strategy)"
        )));
    }
    Ok(())
}
