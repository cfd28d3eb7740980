//! License rules shared by the serializer, the list filters and the handlers:
//! Keygen's derived `status`, effective protection and policy transfers (the
//! effective limits are `crate::limits::EffectiveLimits`).

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;
/// A license expiring within this window (from now) is `EXPIRING`.
pub const EXPIRING_WITHIN_MS: i64 = 3 * DAY_MS;
/// A license older than this without any activity within it is `INACTIVE`.
pub const INACTIVE_AFTER_MS: i64 = 90 * DAY_MS;

/// Keygen's license status, in precedence order: the first that applies wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The owner is banned.
    Banned,
    /// Suspended.
    Suspended,
    /// Expired.
    Expired,
    /// Expires within [`EXPIRING_WITHIN_MS`].
    Expiring,
    /// Older than [`INACTIVE_AFTER_MS`] without activity within it.
    Inactive,
    /// Anything else.
    Active,
}

impl Status {
    /// Every status, for error messages.
    pub const ALL: [Status; 6] = [
        Status::Active,
        Status::Inactive,
        Status::Expiring,
        Status::Expired,
        Status::Suspended,
        Status::Banned,
    ];

    /// Keygen's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Banned => "BANNED",
            Status::Suspended => "SUSPENDED",
            Status::Expired => "EXPIRED",
            Status::Expiring => "EXPIRING",
            Status::Inactive => "INACTIVE",
            Status::Active => "ACTIVE",
        }
    }

    /// Parses Keygen's spelling, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        let upper = text.to_ascii_uppercase();
        Self::ALL.into_iter().find(|s| s.as_str() == upper)
    }
}

/// What the status of a license depends on (times in unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusFacts {
    /// Whether the owner is banned.
    pub owner_banned: bool,
    /// Whether the license is suspended.
    pub suspended: bool,
    /// The expiry, if any.
    pub expiry: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last validation.
    pub last_validated_at: Option<i64>,
    /// Last check-in.
    pub last_check_in_at: Option<i64>,
    /// Last check-out.
    pub last_check_out_at: Option<i64>,
}

/// The oldest activity time that still counts as recent at `now`.
pub fn activity_cutoff(now: i64) -> i64 {
    now - INACTIVE_AFTER_MS
}

/// The end of the `EXPIRING` window at `now` (exclusive).
pub fn expiring_before(now: i64) -> i64 {
    now + EXPIRING_WITHIN_MS
}

/// Keygen's status of a license at `now`. The store's `status` list filter uses the
/// same precedence and thresholds, so every license matches exactly one status.
pub fn status(facts: &StatusFacts, now: i64) -> Status {
    if facts.owner_banned {
        return Status::Banned;
    }
    if facts.suspended {
        return Status::Suspended;
    }
    match facts.expiry {
        Some(expiry) if expiry < now => return Status::Expired,
        Some(expiry) if expiry < expiring_before(now) => return Status::Expiring,
        _ => {}
    }
    let cutoff = activity_cutoff(now);
    let active = [
        facts.last_validated_at,
        facts.last_check_in_at,
        facts.last_check_out_at,
    ]
    .into_iter()
    .flatten()
    .any(|at| at >= cutoff);
    if facts.created_at < cutoff && !active {
        Status::Inactive
    } else {
        Status::Active
    }
}

/// Effective protection: the license's own flag, else its policy's.
pub fn effective_protected(license: Option<bool>, policy: bool) -> bool {
    license.unwrap_or(policy)
}

/// What moving a license between policies depends on, per policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferFacts<'a> {
    /// Whether the policy is encrypted.
    pub encrypted: bool,
    /// Whether it uses a key pool.
    pub pooled: bool,
    /// Its key scheme.
    pub scheme: Option<&'a str>,
    /// Its machine uniqueness strategy.
    pub machine_uniqueness: Option<crate::policy::UniquenessStrategy>,
    /// Its component uniqueness strategy.
    pub component_uniqueness: Option<crate::policy::UniquenessStrategy>,
}

fn rank(strategy: Option<crate::policy::UniquenessStrategy>) -> u8 {
    strategy.map_or(0, crate::policy::UniquenessStrategy::rank)
}

/// Why a license cannot move from policy `old` to `new` (Keygen's transfer rules;
/// another product's policy is allowed, the license's product follows the policy).
pub fn transfer_incompatibility(
    old: &TransferFacts<'_>,
    new: &TransferFacts<'_>,
) -> Option<&'static str> {
    if old.encrypted != new.encrypted {
        Some("cannot change from an encrypted policy to an unencrypted policy (or vice-versa)")
    } else if old.pooled != new.pooled {
        Some("cannot change from a pooled policy to an unpooled policy (or vice-versa)")
    } else if old.scheme != new.scheme {
        Some("cannot change to a policy with a different scheme")
    } else if rank(new.machine_uniqueness) > rank(old.machine_uniqueness) {
        Some("cannot change to a policy with a more strict machine uniqueness strategy")
    } else if rank(new.component_uniqueness) > rank(old.component_uniqueness) {
        Some("cannot change to a policy with a more strict component uniqueness strategy")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> StatusFacts {
        StatusFacts {
            owner_banned: false,
            suspended: false,
            expiry: None,
            created_at: 0,
            last_validated_at: None,
            last_check_in_at: None,
            last_check_out_at: None,
        }
    }

    #[test]
    fn status_precedence() {
        let now = 200 * DAY_MS;
        assert_eq!(status(&facts(), now), Status::Inactive);
        let recent = StatusFacts {
            last_validated_at: Some(now - DAY_MS),
            ..facts()
        };
        assert_eq!(status(&recent, now), Status::Active);
        let expiring = StatusFacts {
            expiry: Some(now + DAY_MS),
            ..recent
        };
        assert_eq!(status(&expiring, now), Status::Expiring);
        let expired = StatusFacts {
            expiry: Some(now - 1),
            ..recent
        };
        assert_eq!(status(&expired, now), Status::Expired);
        let suspended = StatusFacts {
            suspended: true,
            ..expired
        };
        assert_eq!(status(&suspended, now), Status::Suspended);
        let banned = StatusFacts {
            owner_banned: true,
            ..suspended
        };
        assert_eq!(status(&banned, now), Status::Banned);
        assert_eq!(status(&facts(), 10 * DAY_MS), Status::Active);
    }

    #[test]
    fn status_parse() {
        assert_eq!(Status::parse("expiring"), Some(Status::Expiring));
        assert_eq!(Status::parse("nope"), None);
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn transfers() {
        use crate::policy::UniquenessStrategy;
        let base = TransferFacts {
            encrypted: false,
            pooled: false,
            scheme: None,
            machine_uniqueness: Some(UniquenessStrategy::PerLicense),
            component_uniqueness: Some(UniquenessStrategy::PerMachine),
        };
        assert_eq!(transfer_incompatibility(&base, &base), None);
        let stricter = TransferFacts {
            machine_uniqueness: Some(UniquenessStrategy::PerProduct),
            ..base
        };
        assert!(transfer_incompatibility(&base, &stricter).is_some());
        assert_eq!(transfer_incompatibility(&stricter, &base), None);
        let pooled = TransferFacts {
            pooled: true,
            ..base
        };
        assert!(transfer_incompatibility(&base, &pooled).is_some());
    }

    #[test]
    fn protection_falls_back_to_policy() {
        assert!(effective_protected(None, true));
        assert!(!effective_protected(Some(false), true));
    }
}
