//! `machines`: activations. [`activate`] enforces limits and fingerprint uniqueness
//! inside one transaction that holds the license lock, so racing activations cannot
//! take more slots than the policy allows. Uniqueness reaching beyond the license
//! (per policy, product or account) also holds a transaction-scoped lock on the
//! account's fingerprint, and a machine joining a group holds the group row, so the
//! same holds across server processes sharing one PostgreSQL database.

use crate::crud::Filter;
use crate::licenses::LicenseRow;
use crate::page::{Order, Page};
use crate::policies::PolicyRow;
use crate::validation::Head;
use crate::{Db, Result, StoreError, Tx, sql};
use latchkey_core::access::Actor;
use latchkey_core::activation::{LimitExceeded, Limits, MachineResources, Usage, check_activation};
use latchkey_core::policy::UniquenessStrategy;

pub use crate::machine_edits::{MachineChanges, MachineWrite, change_owner, update};

crate::table!(
    /// A machine (an activation of a license on a device).
    MachineRow, "machines" {
        id: String,
        account_id: String,
        license_id: String,
        owner_id: Option<String>,
        group_id: Option<String>,
        fingerprint: String,
        name: Option<String>,
        ip: Option<String>,
        hostname: Option<String>,
        platform: Option<String>,
        cores: Option<i64>,
        memory: Option<i64>,
        disk: Option<i64>,
        max_processes: Option<i64>,
        last_heartbeat_at: Option<i64>,
        last_check_out_at: Option<i64>,
        metadata: String,
        created_at: i64,
        updated_at: i64,
        last_death_event_at: Option<i64>,
        heartbeat_resurrected_at: Option<i64>,
    }
);

/// Finds by UUID or fingerprint (the oldest machine wins on duplicates).
pub async fn find(db: &Db, account: &str, id_or_fingerprint: &str) -> Result<Option<MachineRow>> {
    find_visible(db, account, id_or_fingerprint, Vec::new()).await
}

/// Finds by UUID or fingerprint among the machines matching `scope` (the caller's
/// visibility), the oldest first.
pub async fn find_visible(
    db: &Db,
    account: &str,
    id_or_fingerprint: &str,
    scope: Vec<crate::crud::Filter>,
) -> Result<Option<MachineRow>> {
    crate::crud::find_by_alias(
        db,
        TABLE,
        COLUMNS,
        account,
        id_or_fingerprint,
        ("fingerprint", id_or_fingerprint),
        scope,
    )
    .await
}

/// A machine with its license's head (license, policy, owner).
#[derive(Debug, Clone)]
pub struct MachineWithHead {
    /// The machine.
    pub machine: MachineRow,
    /// Its license, policy and owner.
    pub head: Head,
}

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for MachineWithHead {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> std::result::Result<Self, sqlx::Error> {
        let mut at = 0;
        let machine = MachineRow::from_sqlx_at(row, &mut at)?;
        let head = Head::from_sqlx_at(row, &mut at)?;
        Ok(Self { machine, head })
    }
}

impl crate::fast::FromSqlite for MachineWithHead {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let mut at = 0;
        let machine = MachineRow::from_sqlite_at(row, &mut at)?;
        let head = Head::from_sqlite_at(row, &mut at)?;
        Ok(Self { machine, head })
    }
}

/// The machine with this id and its license's head (a primary-key lookup).
static WITH_HEAD_BY_ID: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {}, {} FROM machines m JOIN licenses l ON l.id = m.license_id {} \
         WHERE m.account_id = $1 AND m.id = $2",
        crate::validation::prefixed(COLUMNS, "m"),
        crate::validation::HEAD_COLUMNS.as_str(),
        crate::validation::HEAD_JOINS,
    )
});

/// The oldest machine with this fingerprint and its license's head.
static WITH_HEAD_BY_FINGERPRINT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {}, {} FROM machines m JOIN licenses l ON l.id = m.license_id {} \
         WHERE m.account_id = $1 AND m.fingerprint = $2 ORDER BY m.created_at, m.id LIMIT 1",
        crate::validation::prefixed(COLUMNS, "m"),
        crate::validation::HEAD_COLUMNS.as_str(),
        crate::validation::HEAD_JOINS,
    )
});

/// Finds by UUID or fingerprint among all the account's machines (an id match first,
/// then the oldest fingerprint match, as [`find`]), with its license's head: one
/// query when the id matches (a heartbeat's case), where [`find`] and
/// [`crate::validation::head_by_id`] take two. Two queries rather than one `id OR
/// fingerprint` query: PostgreSQL runs the primary-key lookup in a third less time
/// than the combined one (a bitmap OR of two indexes, then a sort of wide rows).
pub async fn find_with_head(
    db: &Db,
    account: &str,
    id_or_fingerprint: &str,
) -> Result<Option<MachineWithHead>> {
    for query in [&WITH_HEAD_BY_ID, &WITH_HEAD_BY_FINGERPRINT] {
        let found = db
            .fetch_optional(sql(query.as_str()).bind(account).bind(id_or_fingerprint))
            .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Machines of a license, oldest first.
pub async fn for_license(db: &Db, license_id: &str) -> Result<Vec<MachineRow>> {
    db.fetch_all(
        sql(format!(
            "SELECT {COLUMNS} FROM machines WHERE license_id = $1 ORDER BY created_at"
        ))
        .bind(license_id),
    )
    .await
}

/// Everything an activation needs besides the new row.
#[derive(Debug, Clone)]
pub struct ActivationRules {
    /// Effective limits of the license.
    pub limits: Limits,
    /// The policy's fingerprint uniqueness.
    pub uniqueness: UniquenessStrategy,
    /// License's policy (for UNIQUE_PER_POLICY).
    pub policy_id: String,
    /// License's product (for UNIQUE_PER_PRODUCT).
    pub product_id: String,
    /// Activation token used, whose counter must be charged.
    pub activation_token: Option<String>,
}

/// Why an activation was refused.
#[derive(Debug)]
pub enum ActivationError {
    /// A machine, core, memory or disk limit.
    Limit(LimitExceeded),
    /// FINGERPRINT_TAKEN.
    FingerprintTaken,
    /// ACTIVATIONS_LIMIT_EXCEEDED (activation token used up).
    ActivationsLimit,
    /// The license disappeared meanwhile.
    LicenseGone,
    /// GROUP_MACHINE_LIMIT_EXCEEDED: the machine's group is full (its `maxMachines`).
    GroupFull(i64),
    /// The machine's group disappeared meanwhile.
    GroupGone,
    /// A nested component's fingerprint was taken or repeated.
    Components(crate::components::ComponentError),
    /// Storage failure.
    Store(StoreError),
}

impl From<StoreError> for ActivationError {
    fn from(e: StoreError) -> Self {
        ActivationError::Store(e)
    }
}

/// Whether uniqueness reaches beyond the license, whose row lock covers only it.
pub(crate) fn crosses_licenses(strategy: UniquenessStrategy) -> bool {
    matches!(
        strategy,
        UniquenessStrategy::PerAccount
            | UniquenessStrategy::PerProduct
            | UniquenessStrategy::PerPolicy
    )
}

/// Whether the fingerprint is taken in its uniqueness scope, and the machines and
/// resources already counted against the license: one statement, read after the
/// license lock. When the scope reaches beyond the license, first locks the
/// fingerprint within the account, so two activations of one fingerprint on two
/// licenses (on any server process) are checked and inserted one after the other.
/// The whole account is a superset of every scope, so the lock is exact for any mix
/// of strategies.
async fn admission(
    tx: &mut Tx,
    row: &MachineRow,
    rules: &ActivationRules,
) -> Result<(bool, Usage)> {
    if crosses_licenses(rules.uniqueness) {
        tx.lock_key(&format!(
            "machine-fingerprint:{}:{}",
            row.account_id, row.fingerprint
        ))
        .await?;
    }
    let q = sql("SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM machines m JOIN licenses l ON l.id = m.license_id")
        .push_clause(
            " WHERE m.account_id = {} AND m.fingerprint = {}",
            vec![row.account_id.as_str().into(), row.fingerprint.as_str().into()],
        );
    let scope = match rules.uniqueness {
        UniquenessStrategy::PerAccount => None,
        UniquenessStrategy::PerProduct => Some(("l.product_id", &rules.product_id)),
        UniquenessStrategy::PerPolicy => Some(("l.policy_id", &rules.policy_id)),
        UniquenessStrategy::PerLicense | UniquenessStrategy::PerMachine => {
            Some(("m.license_id", &row.license_id))
        }
    };
    let q = match scope {
        Some((column, id)) => {
            q.push_clause(&format!(" AND {column} = {{}}"), vec![id.as_str().into()])
        }
        None => q,
    };
    let q = usage_of(
        q.push(") THEN 1 ELSE 0 END AS BIGINT), "),
        &row.license_id,
        row.owner_id.as_deref(),
        rules.limits.per_user,
        None,
    );
    let found: Option<(i64, i64, i64, i64, i64)> = tx.fetch_optional(q).await?;
    let (taken, machines, cores, memory, disk) = found.unwrap_or_default();
    Ok((
        taken != 0,
        Usage {
            machines,
            cores,
            memory,
            disk,
        },
    ))
}

/// Machines and summed resources already counted against the license (or, with
/// PER_USER leasing, against the machine owner), excluding `except`. The sums are
/// capped (see `sums`), so no stored state makes this fail.
pub async fn usage(
    tx: &mut Tx,
    license_id: &str,
    owner: Option<&str>,
    per_user: bool,
    except: Option<&str>,
) -> Result<Usage> {
    let q = usage_of(sql("SELECT "), license_id, owner, per_user, except);
    let row: Option<(i64, i64, i64, i64)> = tx.fetch_optional(q).await?;
    let (machines, cores, memory, disk) = row.unwrap_or_default();
    Ok(Usage {
        machines,
        cores,
        memory,
        disk,
    })
}

/// Appends [`usage`]'s columns, table and conditions to `q`.
fn usage_of(
    q: crate::Sql,
    license_id: &str,
    owner: Option<&str>,
    per_user: bool,
    except: Option<&str>,
) -> crate::Sql {
    let mut q = q.push_clause(
        &format!(
            "COUNT(*), {}, {}, {} FROM machines WHERE license_id = {{}}",
            crate::sums::capped_sum("cores"),
            crate::sums::capped_sum("memory"),
            crate::sums::capped_sum("disk"),
        ),
        vec![license_id.into()],
    );
    if per_user {
        q = match owner {
            Some(owner) => q.push_clause(" AND owner_id = {}", vec![owner.into()]),
            None => q.push(" AND owner_id IS NULL"),
        };
    }
    if let Some(except) = except {
        q = q.push_clause(" AND id <> {}", vec![except.into()]);
    }
    q
}

/// Activates a machine: lock the license, charge the activation token, check
/// uniqueness and limits, insert, commit. Nothing is written unless all pass.
pub async fn activate(
    db: &Db,
    row: &MachineRow,
    rules: &ActivationRules,
) -> std::result::Result<(), ActivationError> {
    activate_with_components(db, row, rules, &[], None).await
}

/// [`activate`], also inserting the machine's nested components in the same
/// transaction (so a taken component fingerprint leaves no machine behind).
pub async fn activate_with_components(
    db: &Db,
    row: &MachineRow,
    rules: &ActivationRules,
    components: &[crate::components::ComponentRow],
    component_rules: Option<&crate::components::Uniqueness>,
) -> std::result::Result<(), ActivationError> {
    let mut tx = db.begin().await?;
    if !tx.lock_row("licenses", &row.license_id).await? {
        return Err(ActivationError::LicenseGone);
    }
    if let Some(token_id) = &rules.activation_token {
        charge_token(&mut tx, token_id, "activations", "max_activations").await?;
    }
    let (taken, usage) = admission(&mut tx, row, rules).await?;
    if taken {
        return Err(ActivationError::FingerprintTaken);
    }
    let resources = MachineResources {
        cores: row.cores,
        memory: row.memory,
        disk: row.disk,
    };
    check_activation(&rules.limits, &usage, &resources).map_err(ActivationError::Limit)?;
    if let Some(group) = &row.group_id {
        use crate::groups::{Admission, Member, admit};
        match admit(&mut tx, &row.account_id, group, Member::Machine).await? {
            Admission::Room => {}
            Admission::Full(max) => return Err(ActivationError::GroupFull(max)),
            Admission::Missing => return Err(ActivationError::GroupGone),
        }
    }
    match insert(&mut tx, row).await {
        Err(StoreError::Conflict(_)) => return Err(ActivationError::FingerprintTaken),
        other => other?,
    }
    crate::outbox::emit(&mut tx, "machine.created", row, row.created_at).await?;
    if let Some(component_rules) = component_rules {
        crate::components::insert_checked(&mut tx, components, component_rules)
            .await
            .map_err(ActivationError::Components)?;
    }
    tx.commit().await?;
    Ok(())
}

/// Increments an activation token's counter if it is below its maximum.
async fn charge_token(
    tx: &mut Tx,
    token_id: &str,
    counter: &str,
    max: &str,
) -> std::result::Result<(), ActivationError> {
    // A single conditional UPDATE: the row lock it takes makes the check and the
    // increment atomic on both engines.
    let charged = tx
        .execute(
            sql(format!(
                "UPDATE tokens SET {counter} = {counter} + 1 WHERE id = $1 AND ({max} IS NULL OR {counter} < {max})"
            ))
            .bind(token_id),
        )
        .await?;
    if charged == 0 {
        return Err(ActivationError::ActivationsLimit);
    }
    Ok(())
}

/// Deactivates a machine, charging the activation token's deactivation counter.
/// Returns false if the token's deactivations are used up (nothing deleted).
pub async fn deactivate(
    db: &Db,
    account: &str,
    machine_id: &str,
    activation_token: Option<&str>,
    now: i64,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    if let Some(token_id) = activation_token {
        match charge_token(&mut tx, token_id, "deactivations", "max_deactivations").await {
            Ok(()) => {}
            Err(ActivationError::Store(e)) => return Err(e),
            Err(_) => return Ok(false),
        }
    }
    crate::outbox::emit_current::<MachineRow>(
        &mut tx,
        TABLE,
        COLUMNS,
        account,
        machine_id,
        "machine.deleted",
        now,
    )
    .await?;
    crate::crud::delete(&mut tx, TABLE, account, machine_id).await?;
    tx.commit().await?;
    Ok(true)
}

/// Records a heartbeat ping at `now`. A resurrection also clears the death marker
/// and remembers when it happened.
pub async fn ping(db: &Db, machine_id: &str, now: i64, resurrected: bool) -> Result<u64> {
    let q = if resurrected {
        sql(
            "UPDATE machines SET last_heartbeat_at = $1, last_death_event_at = NULL, \
             heartbeat_resurrected_at = $1, updated_at = $1 WHERE id = $2",
        )
    } else {
        sql("UPDATE machines SET last_heartbeat_at = $1, updated_at = $1 WHERE id = $2")
    };
    let event = if resurrected {
        "machine.heartbeat.resurrected"
    } else {
        "machine.heartbeat.ping"
    };
    let q = q.bind(now).bind(machine_id);
    crate::outbox::execute_announced::<MachineRow>(
        db,
        q,
        COLUMNS,
        (event, crate::Durability::Relaxed),
        now,
    )
    .await
}

/// Clears the heartbeat (back to NOT_STARTED, or DEAD if required and overdue).
pub async fn reset_heartbeat(db: &Db, machine_id: &str, now: i64) -> Result<u64> {
    let q = sql("UPDATE machines SET last_heartbeat_at = NULL, last_death_event_at = NULL, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(machine_id);
    crate::outbox::execute_announced::<MachineRow>(
        db,
        q,
        COLUMNS,
        ("machine.heartbeat.reset", crate::Durability::Full),
        now,
    )
    .await
}

/// The machines of the licenses a user owns or is attached to, or that the user
/// owns (three placeholders, all the user id).
const USER_MACHINES: &str = "owner_id = {} OR license_id IN (SELECT id FROM licenses WHERE owner_id = {} \
     UNION SELECT license_id FROM license_users WHERE user_id = {})";

/// The machines `actor` may see (lists and id/fingerprint lookups); `None` for staff,
/// who see every machine of the account.
pub fn visible_to(actor: &Actor<'_>) -> Option<Filter> {
    match actor {
        _ if actor.is_staff() => None,
        Actor::Product { id } => Some(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE product_id = {})",
            vec![(*id).into()],
        )),
        Actor::License { id, .. } => Some(Filter::eq("license_id", *id)),
        Actor::User { id, .. } => Some(Filter::new(
            USER_MACHINES,
            vec![(*id).into(), (*id).into(), (*id).into()],
        )),
    }
}

/// The filters of `GET /machines`, each already parsed from the query string.
#[derive(Debug, Clone, Default)]
pub struct MachineQuery {
    /// Exact fingerprint.
    pub fingerprint: Option<String>,
    /// Exact IP.
    pub ip: Option<String>,
    /// Exact hostname.
    pub hostname: Option<String>,
    /// Owner id.
    pub owner: Option<String>,
    /// Group id.
    pub group: Option<String>,
    /// License id or key.
    pub license: Option<String>,
    /// Product id (of the license).
    pub product: Option<String>,
    /// Policy id (of the license).
    pub policy: Option<String>,
    /// A user owning the machine, or owning or attached to its license.
    pub user: Option<String>,
    /// `metadata[key]=value` pairs (keys in stored camelCase form).
    pub metadata: Vec<(String, String)>,
}

impl MachineQuery {
    fn filters(&self, backend: crate::Backend) -> Vec<Filter> {
        let mut filters = Vec::new();
        for (value, column) in [
            (&self.fingerprint, "fingerprint"),
            (&self.ip, "ip"),
            (&self.hostname, "hostname"),
            (&self.owner, "owner_id"),
            (&self.group, "group_id"),
        ] {
            if let Some(value) = value {
                filters.push(Filter::eq(column, value.as_str()));
            }
        }
        if let Some(license) = &self.license {
            filters.push(Filter::new(
                "license_id IN (SELECT id FROM licenses WHERE id = {} OR key = {})",
                vec![license.into(), license.into()],
            ));
        }
        for (value, column) in [(&self.product, "product_id"), (&self.policy, "policy_id")] {
            if let Some(value) = value {
                filters.push(Filter::new(
                    format!("license_id IN (SELECT id FROM licenses WHERE {column} = {{}})"),
                    vec![value.into()],
                ));
            }
        }
        if let Some(user) = &self.user {
            filters.push(Filter::new(
                USER_MACHINES,
                vec![user.into(), user.into(), user.into()],
            ));
        }
        for (key, value) in &self.metadata {
            filters.push(crate::metadata::query_filter(backend, key, value));
        }
        filters
    }
}

/// A machine with its license and the license's policy.
pub type WithLicense = (MachineRow, LicenseRow, PolicyRow);

/// One page of the machines `actor` may see matching `query`, each with its license
/// and policy: two queries per page (the machines, then their licenses and policies
/// at once), plus the count for offset pages.
pub async fn list(
    db: &Db,
    account: &str,
    query: &MachineQuery,
    actor: &Actor<'_>,
    page: &Page,
    order: Order,
) -> Result<(Vec<WithLicense>, Option<i64>)> {
    let mut filters = query.filters(db.backend());
    filters.extend(visible_to(actor));
    let (rows, count) =
        crate::crud::list::<MachineRow>(db, TABLE, COLUMNS, account, filters, page, order).await?;
    let ids: Vec<&str> = rows.iter().map(|m| m.license_id.as_str()).collect();
    let heads = licenses_with_policies(db, account, &ids).await?;
    let listed = rows
        .into_iter()
        .filter_map(|machine| {
            let head = heads.iter().find(|h| h.license.id == machine.license_id)?;
            Some((machine, head.license.clone(), head.policy.clone()))
        })
        .collect();
    Ok((listed, count))
}

/// Licenses (with their policy and owner) of an account by id, in one query.
pub async fn licenses_with_policies(db: &Db, account: &str, ids: &[&str]) -> Result<Vec<Head>> {
    let mut unique: Vec<&str> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.is_empty() {
        return Ok(Vec::new());
    }
    let prefixed = |columns: &str, alias: &str| {
        columns
            .split(", ")
            .map(|c| format!("{alias}.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let q = sql(format!(
        "SELECT {}, {}, o.email, o.banned_at FROM licenses l \
         JOIN policies p ON p.id = l.policy_id LEFT JOIN users o ON o.id = l.owner_id \
         WHERE l.account_id = $1",
        prefixed(crate::licenses::COLUMNS, "l"),
        prefixed(crate::policies::COLUMNS, "p"),
    ))
    .bind(account)
    .push_clause(
        &format!(
            " AND l.id IN ({})",
            crate::edits::placeholders(unique.len())
        ),
        unique.into_iter().map(crate::Arg::from).collect(),
    );
    db.fetch_all(q).await
}

/// A machine by exact id (no fingerprint alias).
pub async fn find_by_id(db: &Db, account: &str, id: &str) -> Result<Option<MachineRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}
