//! The process-limit decision (Keygen's maxProcesses with its leasing strategy):
//! which count a spawn is checked against, and whether one more process fits. The
//! store counts under the license lock; this module decides.

use crate::policy::{OverageStrategy, ProcessLeasingStrategy};

/// The limits a spawn is checked against.
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

impl ProcessLimits {
    /// Effective limits from the machine's, the license's and the policy's
    /// maxProcesses (each the fallback of the one before).
    pub fn effective(
        machine: Option<i64>,
        license: Option<i64>,
        policy: Option<i64>,
        leasing: ProcessLeasingStrategy,
        overage: OverageStrategy,
    ) -> Self {
        let license_max = license.or(policy);
        Self {
            machine_max: machine.or(license_max),
            license_max,
            leasing,
            overage,
        }
    }
}

/// Whose processes a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessScope {
    /// The machine's processes.
    Machine,
    /// The license's processes.
    License,
    /// The processes on the machine owner's machines of the license.
    User,
}

impl ProcessScope {
    /// Keygen's word in MACHINE_PROCESS_LIMIT_EXCEEDED's detail.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Machine => "machine",
            Self::License => "license",
            Self::User => "user",
        }
    }
}

/// The count a spawn must be checked against and its limit; `None` when nothing
/// limits it (no machine limit, ALWAYS_ALLOW_OVERAGE, or no license limit for the
/// license- and user-wide strategies).
pub fn limit_to_check(limits: &ProcessLimits) -> Option<(ProcessScope, i64)> {
    limits.machine_max?;
    if limits.overage == OverageStrategy::AlwaysAllow {
        return None;
    }
    match limits.leasing {
        ProcessLeasingStrategy::PerMachine => {
            limits.machine_max.map(|m| (ProcessScope::Machine, m))
        }
        ProcessLeasingStrategy::PerLicense => {
            limits.license_max.map(|m| (ProcessScope::License, m))
        }
        ProcessLeasingStrategy::PerUser => limits.license_max.map(|m| (ProcessScope::User, m)),
    }
}

/// Whether one more process fits when `counted` already run (dead ones included
/// until culled, as in Keygen) under `max` with the overage allowance.
pub fn allows_spawn(limits: &ProcessLimits, counted: i64, max: i64) -> bool {
    limits.overage.allows(counted.saturating_add(1), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(
        machine: Option<i64>,
        license: Option<i64>,
        leasing: ProcessLeasingStrategy,
    ) -> ProcessLimits {
        ProcessLimits::effective(machine, license, None, leasing, OverageStrategy::NoOverage)
    }

    #[test]
    fn which_limit_applies() {
        use ProcessLeasingStrategy::*;
        assert_eq!(limit_to_check(&limits(None, None, PerMachine)), None);
        assert_eq!(
            limit_to_check(&limits(None, Some(3), PerMachine)),
            Some((ProcessScope::Machine, 3))
        );
        assert_eq!(
            limit_to_check(&limits(Some(1), Some(3), PerLicense)),
            Some((ProcessScope::License, 3))
        );
        assert_eq!(
            limit_to_check(&limits(Some(1), Some(4), PerUser)),
            Some((ProcessScope::User, 4))
        );
        let mut always = limits(Some(1), Some(1), PerMachine);
        always.overage = OverageStrategy::AlwaysAllow;
        assert_eq!(limit_to_check(&always), None);
    }

    #[test]
    fn spawn_within_the_limit() {
        let l = limits(Some(2), None, ProcessLeasingStrategy::PerMachine);
        assert!(allows_spawn(&l, 1, 2));
        assert!(!allows_spawn(&l, 2, 2));
        assert_eq!(ProcessScope::User.as_str(), "user");
    }
}
