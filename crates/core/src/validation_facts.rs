//! What validation reads: the [`Snapshot`] the store loads (license, policy, owner,
//! machines) and the request's [`Scope`].

use crate::policy::PolicyRules;
use time::OffsetDateTime;

/// A user attached to the license (licensee), or its owner.
#[derive(Debug, Clone)]
pub struct UserRef {
    /// User id.
    pub id: String,
    /// Lowercase email.
    pub email: String,
}

/// What validation needs to know about the license.
#[derive(Debug, Clone)]
pub struct LicenseFacts {
    /// License id.
    pub id: String,
    /// Product id.
    pub product_id: String,
    /// Policy id.
    pub policy_id: String,
    /// Owner, if any.
    pub owner: Option<UserRef>,
    /// Owner is banned.
    pub owner_banned: bool,
    /// Attached users (licensees), owner excluded.
    pub users: Vec<UserRef>,
    /// Suspended flag.
    pub suspended: bool,
    /// Expiry.
    pub expiry: Option<OffsetDateTime>,
    /// Next check-in due (lastCheckIn + interval), when check-ins apply.
    pub next_check_in: Option<OffsetDateTime>,
    /// Effective maxMachines.
    pub max_machines: Option<i64>,
    /// Effective maxCores.
    pub max_cores: Option<i64>,
    /// Effective maxMemory.
    pub max_memory: Option<i64>,
    /// Effective maxDisk.
    pub max_disk: Option<i64>,
    /// Effective maxProcesses.
    pub max_processes: Option<i64>,
    /// Effective maxUsers.
    pub max_users: Option<i64>,
    /// Entitlement codes (policy ∪ license).
    pub entitlements: Vec<String>,
}

/// What validation needs to know about each machine of the license.
#[derive(Debug, Clone)]
pub struct MachineFacts {
    /// Machine id.
    pub id: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// Owner id.
    pub owner_id: Option<String>,
    /// Activation time.
    pub created: OffsetDateTime,
    /// Last heartbeat.
    pub last_heartbeat: Option<OffsetDateTime>,
    /// Cores.
    pub cores: Option<i64>,
    /// Memory.
    pub memory: Option<i64>,
    /// Disk.
    pub disk: Option<i64>,
    /// Alive processes.
    pub processes: i64,
    /// Component fingerprints.
    pub components: Vec<String>,
}

/// Everything validation reads, loaded in one go by the store.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The license.
    pub license: LicenseFacts,
    /// Its policy, parsed.
    pub policy: PolicyRules,
    /// Its machines.
    pub machines: Vec<MachineFacts>,
}

/// `meta.scope` of a validation request. `None` = absent.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Product id.
    pub product: Option<String>,
    /// Policy id.
    pub policy: Option<String>,
    /// User id or email.
    pub user: Option<String>,
    /// Machine id.
    pub machine: Option<String>,
    /// Single fingerprint.
    pub fingerprint: Option<String>,
    /// Several fingerprints.
    pub fingerprints: Option<Vec<String>>,
    /// Component fingerprints.
    pub components: Option<Vec<String>>,
    /// Entitlement codes.
    pub entitlements: Option<Vec<String>>,
    /// Artifact checksum.
    pub checksum: Option<String>,
    /// Release version.
    pub version: Option<String>,
    /// Whether `checksum` and `version` name an artifact / release the license may
    /// use: looked up by the caller (the releases are not part of the snapshot).
    pub releases: ReleaseMatches,
}

/// The store's answer for the `checksum` and `version` scopes: an UPLOADED artifact
/// of a PUBLISHED release of the license's product that the license sees has the
/// checksum; a PUBLISHED release it sees has the version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReleaseMatches {
    /// The checksum matched.
    pub checksum: bool,
    /// The version matched.
    pub version: bool,
}
