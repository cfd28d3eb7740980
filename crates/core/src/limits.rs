//! A license's effective limits (Keygen's `license.max_x || policy.max_x`: the
//! license's own value where set, else its policy's) and the process-limit decision.
//! Every place that needs maxMachines, maxProcesses, maxUsers, maxCores, maxMemory,
//! maxDisk or maxUses reads them from [`EffectiveLimits`], never from the rows.

use crate::activation::Limits;
use crate::policy::{MachineLeasingStrategy, OverageStrategy, PolicyRules, ProcessLeasingStrategy};

/// The seven numeric limits, each `None` when unlimited. Built from a license row,
/// from a policy row, or (by [`EffectiveLimits::resolve`]) from both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EffectiveLimits {
    /// maxMachines.
    pub max_machines: Option<i64>,
    /// maxProcesses.
    pub max_processes: Option<i64>,
    /// maxUsers.
    pub max_users: Option<i64>,
    /// maxCores.
    pub max_cores: Option<i64>,
    /// maxMemory.
    pub max_memory: Option<i64>,
    /// maxDisk.
    pub max_disk: Option<i64>,
    /// maxUses.
    pub max_uses: Option<i64>,
}

impl EffectiveLimits {
    /// The license's own value for each limit where it has one, else the policy's.
    pub fn resolve(license: &EffectiveLimits, policy: &EffectiveLimits) -> EffectiveLimits {
        EffectiveLimits {
            max_machines: license.max_machines.or(policy.max_machines),
            max_processes: license.max_processes.or(policy.max_processes),
            max_users: license.max_users.or(policy.max_users),
            max_cores: license.max_cores.or(policy.max_cores),
            max_memory: license.max_memory.or(policy.max_memory),
            max_disk: license.max_disk.or(policy.max_disk),
            max_uses: license.max_uses.or(policy.max_uses),
        }
    }

    /// The limits an activation (or machine update) is checked against.
    pub fn activation(&self, rules: &PolicyRules) -> Limits {
        Limits {
            max_machines: self.max_machines,
            max_cores: self.max_cores,
            max_memory: self.max_memory,
            max_disk: self.max_disk,
            overage: rules.overage,
            per_user: rules.machine_leasing == MachineLeasingStrategy::PerUser,
        }
    }

    /// The limits a process spawn on a machine (with its own maxProcesses override,
    /// if any) is checked against.
    pub fn processes(&self, rules: &PolicyRules, machine_max: Option<i64>) -> ProcessLimits {
        ProcessLimits {
            machine_max: machine_max.or(self.max_processes),
            license_max: self.max_processes,
            leasing: rules.process_leasing,
            overage: rules.overage,
        }
    }
}

/// The limits a process spawn is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessLimits {
    /// The machine's effective maxProcesses (override, else license, else policy);
    /// no check at all when `None`, as in Keygen.
    pub machine_max: Option<i64>,
    /// The license's maxProcesses (license, else policy).
    pub license_max: Option<i64>,
    /// Whose processes are counted.
    pub leasing: ProcessLeasingStrategy,
    /// Allowance over the limit.
    pub overage: OverageStrategy,
}

/// Whose processes a spawn counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessScope {
    /// The machine's processes (PER_MACHINE).
    Machine,
    /// The license's processes (PER_LICENSE).
    License,
    /// The processes on machines of the same owner, within the license (PER_USER).
    User,
}

impl ProcessScope {
    /// The word in Keygen's error detail ("… maximum allowed for machine (2)").
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Machine => "machine",
            Self::License => "license",
            Self::User => "user",
        }
    }
}

/// A limit a spawn must be counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessLimit {
    /// The limit.
    pub max: i64,
    /// Whose processes count.
    pub scope: ProcessScope,
}

impl ProcessLimits {
    /// What a spawn must count, or `None` when nothing limits it: no machine limit at
    /// all, ALWAYS_ALLOW_OVERAGE, or a per-license/per-user count without a license
    /// limit (Keygen's rules).
    pub fn applicable(&self) -> Option<ProcessLimit> {
        let machine_max = self.machine_max?;
        if self.overage == OverageStrategy::AlwaysAllow {
            return None;
        }
        let (max, scope) = match self.leasing {
            ProcessLeasingStrategy::PerMachine => (Some(machine_max), ProcessScope::Machine),
            ProcessLeasingStrategy::PerLicense => (self.license_max, ProcessScope::License),
            ProcessLeasingStrategy::PerUser => (self.license_max, ProcessScope::User),
        };
        max.map(|max| ProcessLimit { max, scope })
    }

    /// Whether one more process is allowed when `count` already count against
    /// `limit` (dead processes included until culled, as in Keygen).
    pub fn allows_spawn(&self, limit: ProcessLimit, count: i64) -> bool {
        self.overage.allows(count.saturating_add(1), limit.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(
        machine_max: Option<i64>,
        license_max: Option<i64>,
        leasing: ProcessLeasingStrategy,
        overage: OverageStrategy,
    ) -> ProcessLimits {
        ProcessLimits {
            machine_max,
            license_max,
            leasing,
            overage,
        }
    }

    #[test]
    fn license_value_wins_over_policy() {
        let license = EffectiveLimits {
            max_machines: Some(3),
            max_uses: Some(0),
            ..EffectiveLimits::default()
        };
        let policy = EffectiveLimits {
            max_machines: Some(5),
            max_users: Some(2),
            max_uses: Some(9),
            ..EffectiveLimits::default()
        };
        let effective = EffectiveLimits::resolve(&license, &policy);
        assert_eq!(effective.max_machines, Some(3));
        assert_eq!(effective.max_users, Some(2));
        assert_eq!(effective.max_uses, Some(0));
        assert_eq!(effective.max_cores, None);
    }

    #[test]
    fn process_limits_follow_leasing() {
        use OverageStrategy::*;
        use ProcessLeasingStrategy::*;
        assert_eq!(
            limits(None, Some(1), PerLicense, NoOverage).applicable(),
            None
        );
        assert_eq!(
            limits(Some(1), Some(1), PerMachine, AlwaysAllow).applicable(),
            None
        );
        assert_eq!(
            limits(Some(2), None, PerLicense, NoOverage).applicable(),
            None
        );
        let machine = limits(Some(2), Some(5), PerMachine, NoOverage);
        let limit = machine.applicable();
        assert_eq!(
            limit,
            Some(ProcessLimit {
                max: 2,
                scope: ProcessScope::Machine
            })
        );
        let user = limits(Some(2), Some(5), PerUser, NoOverage).applicable();
        assert_eq!(user.map(|l| (l.max, l.scope.as_str())), Some((5, "user")));
        if let Some(limit) = limit {
            assert!(machine.allows_spawn(limit, 1));
            assert!(!machine.allows_spawn(limit, 2));
        }
        let doubled = limits(Some(2), None, PerMachine, Allow2x);
        if let Some(limit) = doubled.applicable() {
            assert!(doubled.allows_spawn(limit, 3));
            assert!(!doubled.allows_spawn(limit, 4));
        }
    }
}
