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
