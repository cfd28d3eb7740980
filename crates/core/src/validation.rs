//! License validation (Keygen §3.4): an ordered list of checks, the first failing
//! one decides `{valid, code, detail}`. Pure: the store loads a [`Snapshot`], the
//! caller passes the scope and `now`.

use crate::heartbeat::{HeartbeatStatus, machine_status};
use crate::policy::{
    ExpirationStrategy, MachineLeasingStrategy, PolicyRules, ProcessLeasingStrategy,
};
use latchkey_proto::codes::ValidationCode as Code;
use time::OffsetDateTime;

#[path = "validation_facts.rs"]
mod facts;
pub use facts::*;

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// `meta.valid`.
    pub valid: bool,
    /// `meta.code`.
    pub code: Code,
    /// `meta.detail`.
    pub detail: &'static str,
}

const fn verdict(valid: bool, code: Code, detail: &'static str) -> Validation {
    Validation {
        valid,
        code,
        detail,
    }
}

/// The verdict for a key that matched no license.
pub const NOT_FOUND: Validation = verdict(false, Code::NotFound, "does not exist");

/// Runs Keygen's checks in order. `scope: None` is a "quick" validation (scope skipped).
pub fn validate(snapshot: &Snapshot, scope: Option<&Scope>, now: OffsetDateTime) -> Validation {
    validate_touching(snapshot, scope, now).0
}

/// Which release scopes a validation records on the license (Keygen's touches of
/// `last_validated_checksum` and `last_validated_version`): a `checksum` or `version`
/// scope that matched, once the ordered checks got past it, whatever the verdict
/// after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReleaseTouch {
    /// Record the checksum (and its artifact's release version).
    pub checksum: bool,
    /// Record the version.
    pub version: bool,
}

/// [`validate`], with the release scopes the validation records.
pub fn validate_touching(
    snapshot: &Snapshot,
    scope: Option<&Scope>,
    now: OffsetDateTime,
) -> (Validation, ReleaseTouch) {
    let untouched = ReleaseTouch::default();
    let license = &snapshot.license;
    let policy = &snapshot.policy;
    let expired = license.expiry.is_some_and(|expiry| expiry < now);

    if license.owner_banned {
        return (verdict(false, Code::Banned, "is banned"), untouched);
    }
    if license.suspended {
        return (verdict(false, Code::Suspended, "is suspended"), untouched);
    }
    if expired && policy.expiration_strategy == ExpirationStrategy::RevokeAccess {
        return (verdict(false, Code::Expired, "is expired"), untouched);
    }
    if policy.require_check_in && license.next_check_in.is_some_and(|due| due < now) {
        return (
            verdict(false, Code::Overdue, "is overdue for check in"),
            untouched,
        );
    }
    let user_id = scope
        .and_then(|s| s.user.as_deref())
        .and_then(|u| resolve_user(license, u));
    let checksum = scope.is_some_and(|s| s.checksum.is_some() && s.releases.checksum);
    let version = scope.is_some_and(|s| s.version.is_some() && s.releases.version);
    if let Some(scope) = scope
        && let Some(failure) = check_scopes(snapshot, scope, user_id, now)
    {
        // The version check follows the checksum check.
        let past_checksum = matches!(
            failure.code,
            Code::VersionScopeMismatch | Code::VersionScopeRequired
        );
        let touch = ReleaseTouch {
            checksum: checksum && past_checksum,
            version: false,
        };
        return (failure, touch);
    }
    (
        check_limits(snapshot, scope, user_id, expired),
        ReleaseTouch { checksum, version },
    )
}

fn resolve_user<'a>(license: &'a LicenseFacts, wanted: &str) -> Option<&'a str> {
    let wanted_email = wanted.to_ascii_lowercase();
    license
        .owner
        .iter()
        .chain(license.users.iter())
        .find(|u| u.id == wanted || u.email == wanted_email)
        .map(|u| u.id.as_str())
}

fn status(policy: &PolicyRules, machine: &MachineFacts, now: OffsetDateTime) -> HeartbeatStatus {
    machine_status(
        machine.last_heartbeat,
        machine.created,
        policy.heartbeat_duration,
        policy.require_heartbeat,
        now,
    )
}

fn no_machine(policy: &PolicyRules, subject: Subject) -> Validation {
    match (policy.floating, subject) {
        (false, Subject::Machine) => verdict(
            false,
            Code::NoMachine,
            "machine is not activated (has no associated machine)",
        ),
        (true, Subject::Machine) => verdict(
            false,
            Code::NoMachines,
            "machine is not activated (has no associated machines)",
        ),
        (false, Subject::Fingerprint) => verdict(
            false,
            Code::NoMachine,
            "fingerprint is not activated (has no associated machine)",
        ),
        (true, Subject::Fingerprint) => verdict(
            false,
            Code::NoMachines,
            "fingerprint is not activated (has no associated machines)",
        ),
    }
}

#[derive(Clone, Copy)]
enum Subject {
    Machine,
    Fingerprint,
}

fn check_scopes(
    snapshot: &Snapshot,
    scope: &Scope,
    user_id: Option<&str>,
    now: OffsetDateTime,
) -> Option<Validation> {
    let license = &snapshot.license;
    let policy = &snapshot.policy;
    let machines = &snapshot.machines;

    match &scope.product {
        Some(p) if *p != license.product_id => {
            return Some(verdict(
                false,
                Code::ProductScopeMismatch,
                "product scope does not match",
            ));
        }
        None if policy.require_product_scope => {
            return Some(verdict(
                false,
                Code::ProductScopeRequired,
                "product scope is required",
            ));
        }
        _ => {}
    }
    match &scope.policy {
        Some(p) if *p != license.policy_id => {
            return Some(verdict(
                false,
                Code::PolicyScopeMismatch,
                "policy scope does not match",
            ));
        }
        None if policy.require_policy_scope => {
            return Some(verdict(
                false,
                Code::PolicyScopeRequired,
                "policy scope is required",
            ));
        }
        _ => {}
    }
    match &scope.user {
        Some(_) if user_id.is_none() => {
            return Some(verdict(
                false,
                Code::UserScopeMismatch,
                "user scope does not match",
            ));
        }
        None if policy.require_user_scope => {
            return Some(verdict(
                false,
                Code::UserScopeRequired,
                "user scope is required",
            ));
        }
        _ => {}
    }
    if let Some(codes) = &scope.entitlements {
        if codes.is_empty() {
            return Some(verdict(
                false,
                Code::EntitlementsScopeEmpty,
                "entitlements scope is empty",
            ));
        }
        let has = |code: &String| license.entitlements.iter().any(|e| e == code);
        if !codes.iter().all(has) {
            return Some(verdict(
                false,
                Code::EntitlementsMissing,
                "is missing one or more required entitlements",
            ));
        }
    }

    let owned_by_other = |m: &MachineFacts| match (user_id, m.owner_id.as_deref()) {
        (Some(user), Some(owner)) => user != owner,
        _ => false,
    };

    if let Some(machine_id) = &scope.machine {
        if machines.is_empty() {
            return Some(no_machine(policy, Subject::Machine));
        }
        let Some(machine) = machines.iter().find(|m| m.id == *machine_id) else {
            return Some(verdict(
                false,
                Code::MachineScopeMismatch,
                "machine is not activated (does not match any associated machines)",
            ));
        };
        if owned_by_other(machine) {
            return Some(verdict(
                false,
                Code::UserScopeMismatch,
                "user scope does not match (does not match associated machine owner)",
            ));
        }
        match status(policy, machine, now) {
            HeartbeatStatus::NotStarted if policy.require_heartbeat => {
                return Some(verdict(
                    false,
                    Code::HeartbeatNotStarted,
                    "machine heartbeat is required",
                ));
            }
            HeartbeatStatus::Dead => {
                return Some(verdict(
                    false,
                    Code::HeartbeatDead,
                    "machine heartbeat is dead",
                ));
            }
            _ => {}
        }
    } else if policy.require_machine_scope {
        return Some(verdict(
            false,
            Code::MachineScopeRequired,
            "machine scope is required",
        ));
    }

    let fingerprints: Option<Vec<&str>> = match (&scope.fingerprints, &scope.fingerprint) {
        (Some(many), _) => Some(many.iter().map(String::as_str).collect()),
        (None, Some(one)) => Some(vec![one.as_str()]),
        (None, None) => None,
    };
    let mut fingerprint_machine = None;
    if let Some(fingerprints) = &fingerprints {
        if fingerprints.is_empty() || fingerprints.iter().all(|f| f.is_empty()) {
            return Some(verdict(
                false,
                Code::FingerprintScopeEmpty,
                "fingerprint scope is empty",
            ));
        }
        if machines.is_empty() {
            return Some(no_machine(policy, Subject::Fingerprint));
        }
        let matched: Vec<&MachineFacts> = machines
            .iter()
            .filter(|m| fingerprints.contains(&m.fingerprint.as_str()))
            .collect();
        let alive: Vec<&MachineFacts> = matched
            .iter()
            .copied()
            .filter(|m| status(policy, m, now) != HeartbeatStatus::Dead)
            .collect();
        if !matched.is_empty() && alive.is_empty() {
            return Some(verdict(
                false,
                Code::HeartbeatDead,
                "machine heartbeat is dead",
            ));
        }
        let enough = if scope.fingerprints.is_some() {
            policy
                .machine_matching
                .satisfied(alive.len(), fingerprints.len())
        } else {
            !alive.is_empty()
        };
        if !enough {
            let detail = if scope.fingerprints.is_some() {
                "one or more fingerprint is not activated (does not match enough associated machines)"
            } else {
                "fingerprint is not activated (does not match any associated machines)"
            };
            return Some(verdict(false, Code::FingerprintScopeMismatch, detail));
        }
        if alive.iter().any(|m| owned_by_other(m)) {
            return Some(verdict(
                false,
                Code::UserScopeMismatch,
                "user scope does not match (does not match associated machine owners)",
            ));
        }
        if policy.require_heartbeat
            && alive
                .iter()
                .any(|m| status(policy, m, now) == HeartbeatStatus::NotStarted)
        {
            return Some(verdict(
                false,
                Code::HeartbeatNotStarted,
                "machine heartbeat is required",
            ));
        }
        fingerprint_machine = alive.first().copied();
    } else if policy.require_fingerprint_scope {
        return Some(verdict(
            false,
            Code::FingerprintScopeRequired,
            "fingerprint scope is required",
        ));
    }

    if let Some(components) = &scope.components {
        let Some(machine) = fingerprint_machine.filter(|_| scope.fingerprint.is_some()) else {
            return Some(verdict(
                false,
                Code::FingerprintScopeRequired,
                "fingerprint scope is required when using the components scope",
            ));
        };
        if components.is_empty() {
            return Some(verdict(
                false,
                Code::ComponentsScopeEmpty,
                "components scope is empty",
            ));
        }
        let matched = components
            .iter()
            .filter(|c| machine.components.contains(c))
            .count();
        if !policy
            .component_matching
            .satisfied(matched, components.len())
        {
            return Some(verdict(
                false,
                Code::ComponentsScopeMismatch,
                "one or more component is not activated (does not match enough associated components)",
            ));
        }
    } else if policy.require_components_scope {
        return Some(verdict(
            false,
            Code::ComponentsScopeRequired,
            "components scope is required",
        ));
    }

    if scope.checksum.is_some() && !scope.releases.checksum {
        return Some(verdict(
            false,
            Code::ChecksumScopeMismatch,
            "checksum scope is not valid (does not match any accessible artifacts)",
        ));
    } else if scope.checksum.is_none() && policy.require_checksum_scope {
        return Some(verdict(
            false,
            Code::ChecksumScopeRequired,
            "checksum scope is required",
        ));
    }
    if scope.version.is_some() && !scope.releases.version {
        return Some(verdict(
            false,
            Code::VersionScopeMismatch,
            "version scope is not valid (does not match any accessible releases)",
        ));
    } else if scope.version.is_none() && policy.require_version_scope {
        return Some(verdict(
            false,
            Code::VersionScopeRequired,
            "version scope is required",
        ));
    }
    None
}

fn check_limits(
    snapshot: &Snapshot,
    scope: Option<&Scope>,
    user_id: Option<&str>,
    expired: bool,
) -> Validation {
    let license = &snapshot.license;
    let policy = &snapshot.policy;
    let overage = policy.overage;

    if let Some(max) = license.max_users {
        let count = license.users.len() as i64 + i64::from(license.owner.is_some());
        if count > max {
            return verdict(
                overage.allows(count, max),
                Code::TooManyUsers,
                "has too many associated users",
            );
        }
    }
    let expired_verdict = || {
        let valid = matches!(
            policy.expiration_strategy,
            ExpirationStrategy::AllowAccess | ExpirationStrategy::MaintainAccess
        );
        verdict(valid, Code::Expired, "is expired")
    };
    if !policy.strict {
        return if expired {
            expired_verdict()
        } else {
            verdict(true, Code::Valid, "is valid")
        };
    }

    let counted: Vec<&MachineFacts> = match (policy.machine_leasing, user_id) {
        (MachineLeasingStrategy::PerUser, Some(user)) => snapshot
            .machines
            .iter()
            .filter(|m| m.owner_id.as_deref() == Some(user))
            .collect(),
        _ => snapshot.machines.iter().collect(),
    };
    let count = counted.len() as i64;
    if !policy.floating {
        if count == 0 {
            return verdict(
                false,
                Code::NoMachine,
                "must have exactly 1 associated machine",
            );
        }
        let max = license.max_machines.unwrap_or(1);
        if count > max {
            return verdict(
                overage.allows(count, max),
                Code::TooManyMachines,
                "has too many associated machines",
            );
        }
    } else {
        if count == 0 {
            return verdict(
                false,
                Code::NoMachines,
                "must have at least 1 associated machine",
            );
        }
        if let Some(max) = license.max_machines.filter(|max| count > *max) {
            return verdict(
                overage.allows(count, max),
                Code::TooManyMachines,
                "has too many associated machines",
            );
        }
    }
    let sum = |f: fn(&MachineFacts) -> Option<i64>| {
        snapshot
            .machines
            .iter()
            .filter_map(f)
            .fold(0i64, i64::saturating_add)
    };
    let resource_checks: [(Option<i64>, i64, Code, &'static str); 3] = [
        (
            license.max_cores,
            sum(|m| m.cores),
            Code::TooManyCores,
            "has too many associated machine cores",
        ),
        (
            license.max_memory,
            sum(|m| m.memory),
            Code::TooMuchMemory,
            "has too much associated machine memory",
        ),
        (
            license.max_disk,
            sum(|m| m.disk),
            Code::TooMuchDisk,
            "has too much associated machine disk",
        ),
    ];
    for (max, total, code, detail) in resource_checks {
        if let Some(max) = max.filter(|max| total > *max) {
            return verdict(overage.allows(total, max), code, detail);
        }
    }
    if let Some(max) = license.max_processes {
        let processes = process_count(snapshot, scope, user_id);
        if processes > max {
            return verdict(
                overage.allows(processes, max),
                Code::TooManyProcesses,
                "has too many associated processes",
            );
        }
    }
    if expired {
        return expired_verdict();
    }
    verdict(true, Code::Valid, "is valid")
}

fn process_count(snapshot: &Snapshot, scope: Option<&Scope>, user_id: Option<&str>) -> i64 {
    let machines = snapshot.machines.iter();
    match snapshot.policy.process_leasing {
        ProcessLeasingStrategy::PerLicense => machines.map(|m| m.processes).sum(),
        ProcessLeasingStrategy::PerUser => machines
            .filter(|m| user_id.is_some() && m.owner_id.as_deref() == user_id)
            .map(|m| m.processes)
            .sum(),
        ProcessLeasingStrategy::PerMachine => {
            let scope_machine = scope.and_then(|s| {
                let fingerprint = s.fingerprint.as_deref();
                snapshot.machines.iter().find(|m| {
                    Some(m.id.as_str()) == s.machine.as_deref()
                        || Some(m.fingerprint.as_str()) == fingerprint
                })
            });
            scope_machine.map_or(0, |m| m.processes)
        }
    }
}

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;
