//! `policies`: the rules a license follows (limits, strategies, required scopes).

use crate::licenses::LicenseRow;
use crate::{Db, Result};
use latchkey_core::limits::EffectiveLimits;
use latchkey_core::policy::*;

crate::table!(
    /// A policy. Strategy columns are stored in Keygen's spelling and decoded into
    /// `latchkey_core::policy` enums when the row is read (an unknown value is a
    /// decode error); they bind back as Keygen's spelling.
    PolicyRow, "policies" {
        id: String,
        account_id: String,
        product_id: String,
        name: String,
        duration: Option<i64>,
        strict: bool,
        floating: bool,
        use_pool: bool,
        max_machines: Option<i64>,
        max_processes: Option<i64>,
        max_users: Option<i64>,
        max_cores: Option<i64>,
        max_memory: Option<i64>,
        max_disk: Option<i64>,
        max_uses: Option<i64>,
        machine_uniqueness_strategy: UniquenessStrategy,
        machine_matching_strategy: MatchingStrategy,
        component_uniqueness_strategy: UniquenessStrategy,
        component_matching_strategy: MatchingStrategy,
        expiration_strategy: ExpirationStrategy,
        expiration_basis: ExpirationBasis,
        renewal_basis: RenewalBasis,
        transfer_strategy: TransferStrategy,
        authentication_strategy: AuthenticationStrategy,
        machine_leasing_strategy: MachineLeasingStrategy,
        process_leasing_strategy: ProcessLeasingStrategy,
        overage_strategy: OverageStrategy,
        scheme: Option<String>,
        encrypted: bool,
        protected: bool,
        require_product_scope: bool,
        require_policy_scope: bool,
        require_machine_scope: bool,
        require_fingerprint_scope: bool,
        require_components_scope: bool,
        require_user_scope: bool,
        require_checksum_scope: bool,
        require_version_scope: bool,
        require_check_in: bool,
        check_in_interval: Option<CheckInInterval>,
        check_in_interval_count: Option<i64>,
        require_heartbeat: bool,
        heartbeat_duration: Option<i64>,
        heartbeat_cull_strategy: HeartbeatCullStrategy,
        heartbeat_resurrection_strategy: HeartbeatResurrectionStrategy,
        heartbeat_basis: HeartbeatBasis,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);

impl PolicyRow {
    /// The rules validation and activation consult.
    pub fn rules(&self) -> PolicyRules {
        PolicyRules {
            strict: self.strict,
            floating: self.floating,
            machine_uniqueness: self.machine_uniqueness_strategy,
            machine_matching: self.machine_matching_strategy,
            component_uniqueness: self.component_uniqueness_strategy,
            component_matching: self.component_matching_strategy,
            expiration_strategy: self.expiration_strategy,
            machine_leasing: self.machine_leasing_strategy,
            process_leasing: self.process_leasing_strategy,
            overage: self.overage_strategy,
            require_product_scope: self.require_product_scope,
            require_policy_scope: self.require_policy_scope,
            require_machine_scope: self.require_machine_scope,
            require_fingerprint_scope: self.require_fingerprint_scope,
            require_components_scope: self.require_components_scope,
            require_user_scope: self.require_user_scope,
            require_checksum_scope: self.require_checksum_scope,
            require_version_scope: self.require_version_scope,
            require_check_in: self.require_check_in,
            check_in_interval: self.check_in_interval,
            check_in_interval_count: self.check_in_interval_count,
            require_heartbeat: self.require_heartbeat,
            heartbeat_duration: self.heartbeat_duration.unwrap_or(DEFAULT_HEARTBEAT_SECONDS),
        }
    }

    /// This policy's own limits (each `None` when unlimited).
    pub fn limits(&self) -> EffectiveLimits {
        EffectiveLimits {
            max_machines: self.max_machines,
            max_processes: self.max_processes,
            max_users: self.max_users,
            max_cores: self.max_cores,
            max_memory: self.max_memory,
            max_disk: self.max_disk,
            max_uses: self.max_uses,
        }
    }

    /// The effective limits of `license` under this policy: the license's own value
    /// where set, else this policy's ([`EffectiveLimits::resolve`]).
    pub fn effective_limits(&self, license: &LicenseRow) -> EffectiveLimits {
        let own = EffectiveLimits {
            max_machines: license.max_machines,
            max_processes: license.max_processes,
            max_users: license.max_users,
            max_cores: license.max_cores,
            max_memory: license.max_memory,
            max_disk: license.max_disk,
            max_uses: license.max_uses,
        };
        EffectiveLimits::resolve(&own, &self.limits())
    }

    /// The authentication strategy.
    pub fn authentication(&self) -> AuthenticationStrategy {
        self.authentication_strategy
    }
}

/// Finds a policy of an account by id.
pub async fn find(db: &Db, account: &str, id: &str) -> Result<Option<PolicyRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}
