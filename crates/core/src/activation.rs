//! Activation limits (Keygen §4.1): machine count, cores, memory and disk, with the
//! policy's overage allowance. The store calls these inside the transaction that
//! holds the license lock, so the counts they see cannot change underneath them.

use crate::policy::OverageStrategy;

/// The largest cores, memory or disk one machine may declare, and the largest total
/// the machines counted against one license (or one owner) may declare together:
/// 2^53, the largest integer JavaScript clients read exactly. Bounding the total keeps
/// every stored sum far from `i64` overflow; an activation or update that would pass
/// it is refused like any other resource limit, whatever the overage strategy.
pub const MAX_RESOURCE: i64 = 1 << 53;

/// Why an activation (or machine update) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitExceeded {
    /// MACHINE_LIMIT_EXCEEDED; `per_user` when counted per machine owner.
    Machines {
        /// The limit.
        max: i64,
        /// Counted per owner (PER_USER leasing).
        per_user: bool,
    },
    /// MACHINE_CORE_LIMIT_EXCEEDED.
    Cores(i64),
    /// MACHINE_MEMORY_LIMIT_EXCEEDED.
    Memory(i64),
    /// MACHINE_DISK_LIMIT_EXCEEDED.
    Disk(i64),
}

impl LimitExceeded {
    /// Keygen's error code.
    pub fn code(self) -> latchkey_proto::ErrorCode {
        use latchkey_proto::ErrorCode;
        match self {
            Self::Machines { .. } => ErrorCode::MachineLimitExceeded,
            Self::Cores(_) => ErrorCode::MachineCoreLimitExceeded,
            Self::Memory(_) => ErrorCode::MachineMemoryLimitExceeded,
            Self::Disk(_) => ErrorCode::MachineDiskLimitExceeded,
        }
    }

    /// Keygen's error detail.
    pub fn detail(self) -> String {
        match self {
            Self::Machines {
                max,
                per_user: false,
            } => {
                format!("machine count has exceeded maximum allowed for license ({max})")
            }
            Self::Machines {
                max,
                per_user: true,
            } => {
                format!("machine count has exceeded maximum allowed for user ({max})")
            }
            Self::Cores(max) => {
                format!("machine core count has exceeded maximum allowed for license ({max})")
            }
            Self::Memory(max) => {
                format!("machine memory has exceeded maximum allowed for license ({max})")
            }
            Self::Disk(max) => {
                format!("machine disk has exceeded maximum allowed for license ({max})")
            }
        }
    }
}

/// What the activating transaction counted for the license (or owner).
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Machines already counted against the limit (license-wide, or the owner's).
    pub machines: i64,
    /// Sum of cores of the other machines.
    pub cores: i64,
    /// Sum of memory of the other machines.
    pub memory: i64,
    /// Sum of disk of the other machines.
    pub disk: i64,
}

/// The effective limits of a license.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// maxMachines (license override, else policy).
    pub max_machines: Option<i64>,
    /// maxCores.
    pub max_cores: Option<i64>,
    /// maxMemory.
    pub max_memory: Option<i64>,
    /// maxDisk.
    pub max_disk: Option<i64>,
    /// The policy's overage allowance.
    pub overage: OverageStrategy,
    /// Machines counted per owner.
    pub per_user: bool,
}

/// The new machine's own resources.
#[derive(Debug, Clone, Copy, Default)]
pub struct MachineResources {
    /// Cores.
    pub cores: Option<i64>,
    /// Memory.
    pub memory: Option<i64>,
    /// Disk.
    pub disk: Option<i64>,
}

/// Checks a new activation against the limits. The first machine is always allowed
/// (Keygen skips the count check when the license has none).
pub fn check_activation(
    limits: &Limits,
    usage: &Usage,
    machine: &MachineResources,
) -> Result<(), LimitExceeded> {
    if let Some(max) = limits.max_machines {
        let next = usage.machines + 1;
        if usage.machines > 0 && next > max && !limits.overage.allows(next, max) {
            return Err(LimitExceeded::Machines {
                max,
                per_user: limits.per_user,
            });
        }
    }
    check_resources(limits, usage, machine)
}

/// Checks the cores/memory/disk sums (on create and on update).
pub fn check_resources(
    limits: &Limits,
    usage: &Usage,
    machine: &MachineResources,
) -> Result<(), LimitExceeded> {
    let checks = [
        (
            limits.max_cores,
            usage.cores,
            machine.cores,
            LimitExceeded::Cores as fn(i64) -> _,
        ),
        (
            limits.max_memory,
            usage.memory,
            machine.memory,
            LimitExceeded::Memory,
        ),
        (
            limits.max_disk,
            usage.disk,
            machine.disk,
            LimitExceeded::Disk,
        ),
    ];
    for (max, others, own, error) in checks {
        let Some(own) = own else { continue };
        let total = others.saturating_add(own);
        if total > MAX_RESOURCE {
            return Err(error(max.map_or(MAX_RESOURCE, |max| max.min(MAX_RESOURCE))));
        }
        if let Some(max) = max
            && total > max
            && !limits.overage.allows(total, max)
        {
            return Err(error(max));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: i64, overage: OverageStrategy) -> Limits {
        Limits {
            max_machines: Some(max),
            max_cores: Some(8),
            max_memory: None,
            max_disk: None,
            overage,
            per_user: false,
        }
    }

    #[test]
    fn machine_limit_with_and_without_overage() {
        let none = MachineResources::default();
        let at = |n| Usage {
            machines: n,
            ..Usage::default()
        };
        let strict = limits(4, OverageStrategy::NoOverage);
        assert!(check_activation(&strict, &at(3), &none).is_ok());
        assert_eq!(
            check_activation(&strict, &at(4), &none),
            Err(LimitExceeded::Machines {
                max: 4,
                per_user: false
            })
        );
        let quarter = limits(4, OverageStrategy::Allow125x);
        assert!(check_activation(&quarter, &at(4), &none).is_ok());
        assert!(check_activation(&quarter, &at(5), &none).is_err());
        let double = limits(4, OverageStrategy::Allow2x);
        assert!(check_activation(&double, &at(7), &none).is_ok());
        assert!(check_activation(&double, &at(8), &none).is_err());
        assert!(check_activation(&limits(4, OverageStrategy::AlwaysAllow), &at(99), &none).is_ok());
    }

    #[test]
    fn first_machine_is_always_allowed() {
        let zero = limits(0, OverageStrategy::NoOverage);
        assert!(check_activation(&zero, &Usage::default(), &MachineResources::default()).is_ok());
    }

    #[test]
    fn resource_totals_are_bounded_without_a_limit() {
        let unlimited = Limits {
            max_machines: None,
            max_cores: None,
            max_memory: None,
            max_disk: None,
            overage: OverageStrategy::AlwaysAllow,
            per_user: false,
        };
        let huge = MachineResources {
            cores: Some(MAX_RESOURCE),
            memory: Some(MAX_RESOURCE),
            disk: Some(1),
        };
        assert!(check_activation(&unlimited, &Usage::default(), &huge).is_ok());
        let full = Usage {
            machines: 1,
            cores: MAX_RESOURCE,
            ..Usage::default()
        };
        assert_eq!(
            check_activation(&unlimited, &full, &huge),
            Err(LimitExceeded::Cores(MAX_RESOURCE))
        );
        let saturated = Usage {
            machines: 1024,
            cores: i64::MAX,
            memory: i64::MAX,
            disk: i64::MAX,
        };
        let one = MachineResources {
            cores: None,
            memory: None,
            disk: Some(1),
        };
        assert_eq!(
            check_activation(&unlimited, &saturated, &one),
            Err(LimitExceeded::Disk(MAX_RESOURCE))
        );
        let bounded = Limits {
            max_cores: Some(i64::MAX),
            ..unlimited
        };
        assert_eq!(
            check_activation(&bounded, &full, &huge),
            Err(LimitExceeded::Cores(MAX_RESOURCE))
        );
    }

    #[test]
    fn cores_are_summed() {
        let l = limits(10, OverageStrategy::NoOverage);
        let usage = Usage {
            machines: 1,
            cores: 6,
            ..Usage::default()
        };
        let two = MachineResources {
            cores: Some(2),
            ..MachineResources::default()
        };
        let four = MachineResources {
            cores: Some(4),
            ..MachineResources::default()
        };
        assert!(check_activation(&l, &usage, &two).is_ok());
        assert_eq!(
            check_activation(&l, &usage, &four),
            Err(LimitExceeded::Cores(8))
        );
    }
}
