//! Keygen's machine-readable codes: validation results (`meta.code` of a validation)
//! and the JSON:API error codes the server returns.

use serde::{Deserialize, Serialize};

/// The result code of a license validation, in Keygen's SCREAMING_SNAKE spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum ValidationCode {
    Valid,
    NotFound,
    Banned,
    Suspended,
    Expired,
    Overdue,
    EnvironmentScopeMismatch,
    EnvironmentScopeRequired,
    ProductScopeMismatch,
    ProductScopeRequired,
    PolicyScopeMismatch,
    PolicyScopeRequired,
    UserScopeMismatch,
    UserScopeRequired,
    EntitlementsMissing,
    EntitlementsScopeEmpty,
    NoMachine,
    NoMachines,
    MachineScopeMismatch,
    MachineScopeRequired,
    HeartbeatNotStarted,
    HeartbeatDead,
    FingerprintScopeEmpty,
    FingerprintScopeMismatch,
    FingerprintScopeRequired,
    ComponentsScopeEmpty,
    ComponentsScopeMismatch,
    ComponentsScopeRequired,
    ChecksumScopeMismatch,
    ChecksumScopeRequired,
    VersionScopeMismatch,
    VersionScopeRequired,
    TooManyUsers,
    TooManyMachines,
    TooManyCores,
    TooMuchMemory,
    TooMuchDisk,
    TooManyProcesses,
}

impl ValidationCode {
    /// Every code, in declaration order (the OpenAPI enum).
    pub const ALL: &'static [ValidationCode] = &[
        ValidationCode::Valid,
        ValidationCode::NotFound,
        ValidationCode::Banned,
        ValidationCode::Suspended,
        ValidationCode::Expired,
        ValidationCode::Overdue,
        ValidationCode::EnvironmentScopeMismatch,
        ValidationCode::EnvironmentScopeRequired,
        ValidationCode::ProductScopeMismatch,
        ValidationCode::ProductScopeRequired,
        ValidationCode::PolicyScopeMismatch,
        ValidationCode::PolicyScopeRequired,
        ValidationCode::UserScopeMismatch,
        ValidationCode::UserScopeRequired,
        ValidationCode::EntitlementsMissing,
        ValidationCode::EntitlementsScopeEmpty,
        ValidationCode::NoMachine,
        ValidationCode::NoMachines,
        ValidationCode::MachineScopeMismatch,
        ValidationCode::MachineScopeRequired,
        ValidationCode::HeartbeatNotStarted,
        ValidationCode::HeartbeatDead,
        ValidationCode::FingerprintScopeEmpty,
        ValidationCode::FingerprintScopeMismatch,
        ValidationCode::FingerprintScopeRequired,
        ValidationCode::ComponentsScopeEmpty,
        ValidationCode::ComponentsScopeMismatch,
        ValidationCode::ComponentsScopeRequired,
        ValidationCode::ChecksumScopeMismatch,
        ValidationCode::ChecksumScopeRequired,
        ValidationCode::VersionScopeMismatch,
        ValidationCode::VersionScopeRequired,
        ValidationCode::TooManyUsers,
        ValidationCode::TooManyMachines,
        ValidationCode::TooManyCores,
        ValidationCode::TooMuchMemory,
        ValidationCode::TooMuchDisk,
        ValidationCode::TooManyProcesses,
    ];

    /// The SCREAMING_SNAKE name, as sent on the wire.
    pub fn as_str(self) -> &'static str {
        use ValidationCode::*;
        match self {
            Valid => "VALID",
            NotFound => "NOT_FOUND",
            Banned => "BANNED",
            Suspended => "SUSPENDED",
            Expired => "EXPIRED",
            Overdue => "OVERDUE",
            EnvironmentScopeMismatch => "ENVIRONMENT_SCOPE_MISMATCH",
            EnvironmentScopeRequired => "ENVIRONMENT_SCOPE_REQUIRED",
            ProductScopeMismatch => "PRODUCT_SCOPE_MISMATCH",
            ProductScopeRequired => "PRODUCT_SCOPE_REQUIRED",
            PolicyScopeMismatch => "POLICY_SCOPE_MISMATCH",
            PolicyScopeRequired => "POLICY_SCOPE_REQUIRED",
            UserScopeMismatch => "USER_SCOPE_MISMATCH",
            UserScopeRequired => "USER_SCOPE_REQUIRED",
            EntitlementsMissing => "ENTITLEMENTS_MISSING",
            EntitlementsScopeEmpty => "ENTITLEMENTS_SCOPE_EMPTY",
            NoMachine => "NO_MACHINE",
            NoMachines => "NO_MACHINES",
            MachineScopeMismatch => "MACHINE_SCOPE_MISMATCH",
            MachineScopeRequired => "MACHINE_SCOPE_REQUIRED",
            HeartbeatNotStarted => "HEARTBEAT_NOT_STARTED",
            HeartbeatDead => "HEARTBEAT_DEAD",
            FingerprintScopeEmpty => "FINGERPRINT_SCOPE_EMPTY",
            FingerprintScopeMismatch => "FINGERPRINT_SCOPE_MISMATCH",
            FingerprintScopeRequired => "FINGERPRINT_SCOPE_REQUIRED",
            ComponentsScopeEmpty => "COMPONENTS_SCOPE_EMPTY",
            ComponentsScopeMismatch => "COMPONENTS_SCOPE_MISMATCH",
            ComponentsScopeRequired => "COMPONENTS_SCOPE_REQUIRED",
            ChecksumScopeMismatch => "CHECKSUM_SCOPE_MISMATCH",
            ChecksumScopeRequired => "CHECKSUM_SCOPE_REQUIRED",
            VersionScopeMismatch => "VERSION_SCOPE_MISMATCH",
            VersionScopeRequired => "VERSION_SCOPE_REQUIRED",
            TooManyUsers => "TOO_MANY_USERS",
            TooManyMachines => "TOO_MANY_MACHINES",
            TooManyCores => "TOO_MANY_CORES",
            TooMuchMemory => "TOO_MUCH_MEMORY",
            TooMuchDisk => "TOO_MUCH_DISK",
            TooManyProcesses => "TOO_MANY_PROCESSES",
        }
    }
}

impl std::fmt::Display for ValidationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ValidationCode;

    /// Fails to compile when a variant is added without a match arm here, and fails
    /// when a variant is missing from `ALL` or listed twice.
    #[test]
    fn all_lists_every_validation_code_once() {
        let rank = |code: ValidationCode| -> usize {
            use ValidationCode::*;
            match code {
                Valid => 0,
                NotFound => 1,
                Banned => 2,
                Suspended => 3,
                Expired => 4,
                Overdue => 5,
                EnvironmentScopeMismatch => 6,
                EnvironmentScopeRequired => 7,
                ProductScopeMismatch => 8,
                ProductScopeRequired => 9,
                PolicyScopeMismatch => 10,
                PolicyScopeRequired => 11,
                UserScopeMismatch => 12,
                UserScopeRequired => 13,
                EntitlementsMissing => 14,
                EntitlementsScopeEmpty => 15,
                NoMachine => 16,
                NoMachines => 17,
                MachineScopeMismatch => 18,
                MachineScopeRequired => 19,
                HeartbeatNotStarted => 20,
                HeartbeatDead => 21,
                FingerprintScopeEmpty => 22,
                FingerprintScopeMismatch => 23,
                FingerprintScopeRequired => 24,
                ComponentsScopeEmpty => 25,
                ComponentsScopeMismatch => 26,
                ComponentsScopeRequired => 27,
                ChecksumScopeMismatch => 28,
                ChecksumScopeRequired => 29,
                VersionScopeMismatch => 30,
                VersionScopeRequired => 31,
                TooManyUsers => 32,
                TooManyMachines => 33,
                TooManyCores => 34,
                TooMuchMemory => 35,
                TooMuchDisk => 36,
                TooManyProcesses => 37,
            }
        };
        let mut seen = vec![false; ValidationCode::ALL.len()];
        for code in ValidationCode::ALL {
            assert!(
                !std::mem::replace(&mut seen[rank(*code)], true),
                "{code:?} twice"
            );
        }
        assert_eq!(ValidationCode::ALL.len(), 38);
        assert!(seen.iter().all(|s| *s));
    }
}
