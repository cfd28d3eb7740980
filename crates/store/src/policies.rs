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

/// The policies `actor` may see in lists: all for staff; a product's own; a
/// license's own policy; a user's licenses' policies.
pub fn visible_to(actor: &latchkey_core::access::Actor<'_>) -> Option<crate::crud::Filter> {
    use crate::crud::Filter;
    use latchkey_core::access::Actor;
    match actor {
        _ if actor.is_staff() => None,
        Actor::Product { id } => Some(Filter::eq("product_id", *id)),
        Actor::License { id, .. } => Some(Filter::new(
            "id IN (SELECT policy_id FROM licenses WHERE id = {})",
            vec![(*id).into()],
        )),
        Actor::User { id, .. } => Some(Filter::new(
            format!(
                "id IN (SELECT policy_id FROM licenses WHERE id IN ({}))",
                crate::licenses::USER_LICENSES
            ),
            vec![(*id).into(), (*id).into()],
        )),
    }
}

/// Whether `user` owns or is attached to a license of the policy.
pub async fn user_holds_license(db: &Db, policy_id: &str, user: &str) -> Result<bool> {
    let q = crate::sql(
        "SELECT policy_id FROM licenses WHERE policy_id = $1 AND (owner_id = $2 OR id IN \
         (SELECT license_id FROM license_users WHERE user_id = $2)) LIMIT 1",
    )
    .bind(policy_id)
    .bind(user);
    Ok(db.fetch_optional::<(String,)>(q).await?.is_some())
}

/// An account's policies matching `product` (if given) that `actor` may see.
pub async fn list(
    db: &Db,
    account: &str,
    product: Option<&str>,
    actor: &latchkey_core::access::Actor<'_>,
    page: &crate::page::Page,
    order: crate::page::Order,
) -> Result<(Vec<PolicyRow>, Option<i64>)> {
    let mut filters = Vec::new();
    if let Some(product) = product {
        filters.push(crate::crud::Filter::eq("product_id", product));
    }
    filters.extend(visible_to(actor));
    crate::crud::list(db, TABLE, COLUMNS, account, filters, page, order).await
}

/// The policies with these ids (any order; missing ids are skipped).
pub async fn find_many(db: &Db, account: &str, ids: &[&str]) -> Result<Vec<PolicyRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = crate::sql(format!(
        "SELECT {COLUMNS} FROM policies WHERE account_id = $1 AND id IN ("
    ))
    .bind(account);
    for (i, id) in ids.iter().enumerate() {
        q = q.push_bind(if i == 0 { "{}" } else { ", {}" }, *id);
    }
    db.fetch_all(q.push(")")).await
}

/// Inserts a new policy.
pub async fn create(db: &Db, row: &PolicyRow) -> Result<()> {
    let mut tx = db.begin().await?;
    insert(&mut tx, row).await?;
    crate::outbox::emit(&mut tx, "policy.created", row, row.created_at).await?;
    tx.commit().await
}

/// Writes the attributes a policy update may change (all but its product, pool,
/// scheme and encryption, fixed at creation) from `policy`: the stored row with the
/// request applied. Returns the updated row, `None` when gone.
pub async fn update(db: &Db, policy: &PolicyRow, now: i64) -> Result<Option<PolicyRow>> {
    let p = policy;
    let changes: Vec<(&str, crate::Arg)> = vec![
        ("name", p.name.clone().into()),
        ("duration", p.duration.into()),
        ("strict", p.strict.into()),
        ("floating", p.floating.into()),
        ("max_machines", p.max_machines.into()),
        ("max_processes", p.max_processes.into()),
        ("max_users", p.max_users.into()),
        ("max_cores", p.max_cores.into()),
        ("max_memory", p.max_memory.into()),
        ("max_disk", p.max_disk.into()),
        ("max_uses", p.max_uses.into()),
        (
            "machine_uniqueness_strategy",
            p.machine_uniqueness_strategy.into(),
        ),
        (
            "machine_matching_strategy",
            p.machine_matching_strategy.into(),
        ),
        (
            "component_uniqueness_strategy",
            p.component_uniqueness_strategy.into(),
        ),
        (
            "component_matching_strategy",
            p.component_matching_strategy.into(),
        ),
        ("expiration_strategy", p.expiration_strategy.into()),
        ("expiration_basis", p.expiration_basis.into()),
        ("renewal_basis", p.renewal_basis.into()),
        ("transfer_strategy", p.transfer_strategy.into()),
        ("authentication_strategy", p.authentication_strategy.into()),
        (
            "machine_leasing_strategy",
            p.machine_leasing_strategy.into(),
        ),
        (
            "process_leasing_strategy",
            p.process_leasing_strategy.into(),
        ),
        ("overage_strategy", p.overage_strategy.into()),
        ("protected", p.protected.into()),
        ("require_product_scope", p.require_product_scope.into()),
        ("require_policy_scope", p.require_policy_scope.into()),
        ("require_machine_scope", p.require_machine_scope.into()),
        (
            "require_fingerprint_scope",
            p.require_fingerprint_scope.into(),
        ),
        (
            "require_components_scope",
            p.require_components_scope.into(),
        ),
        ("require_user_scope", p.require_user_scope.into()),
        ("require_checksum_scope", p.require_checksum_scope.into()),
        ("require_version_scope", p.require_version_scope.into()),
        ("require_check_in", p.require_check_in.into()),
        ("check_in_interval", p.check_in_interval.into()),
        ("check_in_interval_count", p.check_in_interval_count.into()),
        ("require_heartbeat", p.require_heartbeat.into()),
        ("heartbeat_duration", p.heartbeat_duration.into()),
        ("heartbeat_cull_strategy", p.heartbeat_cull_strategy.into()),
        (
            "heartbeat_resurrection_strategy",
            p.heartbeat_resurrection_strategy.into(),
        ),
        ("heartbeat_basis", p.heartbeat_basis.into()),
        ("metadata", p.metadata.clone().into()),
    ];
    let (account, id) = (&policy.account_id, &policy.id);
    let mut tx = db.begin().await?;
    crate::crud::update(&mut tx, TABLE, account, id, changes, now).await?;
    let updated: Option<PolicyRow> =
        crate::crud::find_tx(&mut tx, TABLE, COLUMNS, account, id).await?;
    if let Some(row) = &updated {
        crate::outbox::emit(&mut tx, "policy.updated", row, now).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Deletes a policy (its licenses, their machines and its pool keys cascade).
pub async fn delete(db: &Db, account: &str, id: &str, now: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    crate::outbox::emit_current::<PolicyRow>(
        &mut tx,
        TABLE,
        COLUMNS,
        account,
        id,
        "policy.deleted",
        now,
    )
    .await?;
    crate::crud::delete(&mut tx, TABLE, account, id).await?;
    tx.commit().await
}

/// What moving a license to or from this policy depends on.
pub fn transfer_facts(policy: &PolicyRow) -> latchkey_core::licensing::TransferFacts<'_> {
    latchkey_core::licensing::TransferFacts {
        encrypted: policy.encrypted,
        pooled: policy.use_pool,
        scheme: policy.scheme.as_deref(),
        machine_uniqueness: Some(policy.machine_uniqueness_strategy),
        component_uniqueness: Some(policy.component_uniqueness_strategy),
    }
}
