//! `policies`: the rules a license follows (limits, strategies, required scopes).

use crate::{Db, Result};
use latchkey_core::policy::*;

crate::table!(
    /// A policy. Strategy columns hold Keygen's spelling; [`PolicyRow::rules`] parses them.
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
        machine_uniqueness_strategy: String,
        machine_matching_strategy: String,
        component_uniqueness_strategy: String,
        component_matching_strategy: String,
        expiration_strategy: String,
        expiration_basis: String,
        renewal_basis: String,
        transfer_strategy: String,
        authentication_strategy: String,
        machine_leasing_strategy: String,
        process_leasing_strategy: String,
        overage_strategy: String,
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
        check_in_interval: Option<String>,
        check_in_interval_count: Option<i64>,
        require_heartbeat: bool,
        heartbeat_duration: Option<i64>,
        heartbeat_cull_strategy: String,
        heartbeat_resurrection_strategy: String,
        heartbeat_basis: String,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);

impl PolicyRow {
    /// The parsed rules. Stored values were validated on write; unknown text falls
    /// back to Keygen's default for that setting.
    pub fn rules(&self) -> PolicyRules {
        PolicyRules {
            strict: self.strict,
            floating: self.floating,
            machine_uniqueness: UniquenessStrategy::parse(&self.machine_uniqueness_strategy)
                .unwrap_or(UniquenessStrategy::PerLicense),
            machine_matching: MatchingStrategy::parse(&self.machine_matching_strategy)
                .unwrap_or(MatchingStrategy::MatchAny),
            component_uniqueness: UniquenessStrategy::parse(&self.component_uniqueness_strategy)
                .unwrap_or(UniquenessStrategy::PerMachine),
            component_matching: MatchingStrategy::parse(&self.component_matching_strategy)
                .unwrap_or(MatchingStrategy::MatchAny),
            expiration_strategy: ExpirationStrategy::parse(&self.expiration_strategy)
                .unwrap_or(ExpirationStrategy::RestrictAccess),
            machine_leasing: MachineLeasingStrategy::parse(&self.machine_leasing_strategy)
                .unwrap_or(MachineLeasingStrategy::PerLicense),
            process_leasing: ProcessLeasingStrategy::parse(&self.process_leasing_strategy)
                .unwrap_or(ProcessLeasingStrategy::PerMachine),
            overage: OverageStrategy::parse(&self.overage_strategy)
                .unwrap_or(OverageStrategy::NoOverage),
            require_product_scope: self.require_product_scope,
            require_policy_scope: self.require_policy_scope,
            require_machine_scope: self.require_machine_scope,
            require_fingerprint_scope: self.require_fingerprint_scope,
            require_components_scope: self.require_components_scope,
            require_user_scope: self.require_user_scope,
            require_checksum_scope: self.require_checksum_scope,
            require_version_scope: self.require_version_scope,
            require_check_in: self.require_check_in,
            check_in_interval: self
                .check_in_interval
                .as_deref()
                .and_then(CheckInInterval::parse),
            check_in_interval_count: self.check_in_interval_count,
            require_heartbeat: self.require_heartbeat,
            heartbeat_duration: self.heartbeat_duration.unwrap_or(DEFAULT_HEARTBEAT_SECONDS),
        }
    }

    /// The authentication strategy.
    pub fn authentication(&self) -> AuthenticationStrategy {
        AuthenticationStrategy::parse(&self.authentication_strategy)
            .unwrap_or(AuthenticationStrategy::Token)
    }
}

/// Finds a policy of an account by id.
pub async fn find(db: &Db, account: &str, id: &str) -> Result<Option<PolicyRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}
