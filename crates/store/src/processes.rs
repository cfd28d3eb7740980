//! `processes`: processes spawned on machines. [`spawn`] enforces pid uniqueness and
//! maxProcesses inside one transaction holding the license lock, so racing spawns
//! cannot exceed the limit.

use crate::crud::Filter;
use crate::licenses::LicenseRow;
use crate::page::{Order, Page};
use crate::policies::PolicyRow;
use crate::{Db, Result, StoreError, sql};
use latchkey_core::access::Actor;
pub use latchkey_core::limits::ProcessLimits;
use latchkey_core::limits::ProcessScope;
use latchkey_core::policy::DEFAULT_HEARTBEAT_SECONDS;

crate::table!(
    /// A process running on a machine.
    ProcessRow, "processes" {
        id: String,
        account_id: String,
        license_id: String,
        machine_id: String,
        pid: String,
        last_heartbeat_at: i64,
        last_death_event_at: Option<i64>,
        metadata: String,
        created_at: i64,
        updated_at: i64,
    }
);

/// Why a spawn was refused.
#[derive(Debug)]
pub enum SpawnError {
    /// MACHINE_PROCESS_LIMIT_EXCEEDED with the limit and who it counts for.
    Limit {
        /// The limit.
        max: i64,
        /// "machine", "license" or "user".
        scope: &'static str,
    },
    /// PID_TAKEN.
    PidTaken,
    /// The license or machine disappeared meanwhile.
    Gone,
    /// Storage failure.
    Store(StoreError),
}

impl From<StoreError> for SpawnError {
    fn from(e: StoreError) -> Self {
        SpawnError::Store(e)
    }
}

/// Spawns a process: lock the license, check the pid and the limit, insert, commit.
pub async fn spawn(
    db: &Db,
    row: &ProcessRow,
    machine_owner: Option<&str>,
    limits: &ProcessLimits,
) -> std::result::Result<(), SpawnError> {
    let mut tx = db.begin().await?;
    if !tx.lock_row("licenses", &row.license_id).await? {
        return Err(SpawnError::Gone);
    }
    let taken = tx
        .fetch_optional::<(String,)>(
            sql("SELECT id FROM processes WHERE machine_id = $1 AND pid = $2")
                .bind(&row.machine_id)
                .bind(&row.pid),
        )
        .await?;
    if taken.is_some() {
        return Err(SpawnError::PidTaken);
    }
    if let Some(limit) = limits.applicable() {
        // Keygen counts every process, dead ones included, until they are culled.
        let q = match limit.scope {
            ProcessScope::Machine => {
                sql("SELECT COUNT(*) FROM processes WHERE machine_id = $1").bind(&row.machine_id)
            }
            ProcessScope::License => {
                sql("SELECT COUNT(*) FROM processes WHERE license_id = $1").bind(&row.license_id)
            }
            ProcessScope::User => {
                let base = "SELECT COUNT(*) FROM processes p JOIN machines m ON m.id = p.machine_id \
                            WHERE p.license_id = $1";
                match machine_owner {
                    Some(owner) => sql(format!("{base} AND m.owner_id = $2"))
                        .bind(&row.license_id)
                        .bind(owner),
                    None => sql(format!("{base} AND m.owner_id IS NULL")).bind(&row.license_id),
                }
            }
        };
        let (count,): (i64,) = tx.fetch_optional(q).await?.unwrap_or_default();
        if !limits.allows_spawn(limit, count) {
            return Err(SpawnError::Limit {
                max: limit.max,
                scope: limit.scope.as_str(),
            });
        }
    }
    let machine_exists = tx
        .fetch_optional::<(String,)>(
            sql("SELECT id FROM machines WHERE id = $1").bind(&row.machine_id),
        )
        .await?
        .is_some();
    if !machine_exists {
        return Err(SpawnError::Gone);
    }
    match insert(&mut tx, row).await {
        Err(StoreError::Conflict(_)) => return Err(SpawnError::PidTaken),
        other => other?,
    }
    crate::outbox::emit(&mut tx, "process.created", row, row.created_at).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a heartbeat (also a resurrection: the death marker is cleared).
pub async fn ping(db: &Db, id: &str, now: i64) -> Result<u64> {
    let q = sql("UPDATE processes SET last_heartbeat_at = $1, last_death_event_at = NULL, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id);
    crate::outbox::execute_announced::<ProcessRow>(
        db,
        q,
        COLUMNS,
        ("process.heartbeat.ping", crate::Durability::Relaxed),
        now,
    )
    .await
}

/// Alive processes per machine of a license (heartbeat newer than `cutoff`), in one
/// grouped query.
pub async fn alive_counts(db: &Db, license_id: &str, cutoff: i64) -> Result<Vec<(String, i64)>> {
    db.fetch_all(
        sql("SELECT machine_id, COUNT(*) FROM processes WHERE license_id = $1 AND last_heartbeat_at >= $2 GROUP BY machine_id")
            .bind(license_id)
            .bind(cutoff),
    )
    .await
}

/// Processes on machines a user owns, or of licenses the user owns or is attached
/// to (three placeholders, all the user id).
const USER_PROCESSES: &str = "machine_id IN (SELECT id FROM machines WHERE owner_id = {}) OR license_id IN \
     (SELECT id FROM licenses WHERE owner_id = {} UNION SELECT license_id FROM license_users WHERE user_id = {})";

/// The processes `actor` may see; `None` for staff, who see all of the account.
pub fn visible_to(actor: &Actor<'_>) -> Option<Filter> {
    match actor {
        _ if actor.is_staff() => None,
        Actor::Product { id } => Some(Filter::new(
            "license_id IN (SELECT id FROM licenses WHERE product_id = {})",
            vec![(*id).into()],
        )),
        Actor::License { id, .. } => Some(Filter::eq("license_id", *id)),
        Actor::User { id, .. } => Some(Filter::new(
            USER_PROCESSES,
            vec![(*id).into(), (*id).into(), (*id).into()],
        )),
    }
}

/// The `status` filter of `GET /processes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Heartbeat within the policy's duration.
    Alive,
    /// Heartbeat older than the policy's duration.
    Dead,
    /// Any other value: matches nothing.
    Unknown,
}

impl From<&str> for StatusFilter {
    /// The `status` query value, case-insensitive (`alive`, `dead`; anything else
    /// matches nothing).
    fn from(status: &str) -> Self {
        match status.to_ascii_uppercase().as_str() {
            "ALIVE" => Self::Alive,
            "DEAD" => Self::Dead,
            _ => Self::Unknown,
        }
    }
}

/// The filters of `GET /processes`, parsed from the query string.
#[derive(Debug, Clone, Default)]
pub struct ProcessQuery {
    /// Exactly this machine (the `/machines/{id}/processes` route).
    pub machine_id: Option<String>,
    /// Machine id or fingerprint.
    pub machine: Option<String>,
    /// License id or key.
    pub license: Option<String>,
    /// Product id.
    pub product: Option<String>,
    /// Owner of the machine.
    pub owner: Option<String>,
    /// A user owning the machine, or owning or attached to the license.
    pub user: Option<String>,
    /// Alive or dead, judged at `now` (unix ms).
    pub status: Option<(StatusFilter, i64)>,
}

impl ProcessQuery {
    fn filters(&self) -> Vec<Filter> {
        let mut filters = Vec::new();
        if let Some(machine) = &self.machine_id {
            filters.push(Filter::eq("machine_id", machine.as_str()));
        }
        if let Some(machine) = &self.machine {
            filters.push(Filter::new(
                "machine_id IN (SELECT id FROM machines WHERE id = {} OR fingerprint = {})",
                vec![machine.into(), machine.into()],
            ));
        }
        if let Some(license) = &self.license {
            filters.push(Filter::new(
                "license_id IN (SELECT id FROM licenses WHERE id = {} OR key = {})",
                vec![license.into(), license.into()],
            ));
        }
        if let Some(product) = &self.product {
            filters.push(Filter::new(
                "license_id IN (SELECT id FROM licenses WHERE product_id = {})",
                vec![product.into()],
            ));
        }
        if let Some(owner) = &self.owner {
            filters.push(Filter::new(
                "machine_id IN (SELECT id FROM machines WHERE owner_id = {})",
                vec![owner.into()],
            ));
        }
        if let Some(user) = &self.user {
            filters.push(Filter::new(
                USER_PROCESSES,
                vec![user.into(), user.into(), user.into()],
            ));
        }
        if let Some((status, now)) = self.status {
            // Alive = heartbeat within the policy's duration (default 600 s).
            let alive = format!(
                "last_heartbeat_at >= {{}} - 1000 * COALESCE((SELECT p.heartbeat_duration \
                 FROM licenses l JOIN policies p ON p.id = l.policy_id \
                 WHERE l.id = processes.license_id), {DEFAULT_HEARTBEAT_SECONDS})"
            );
            filters.push(match status {
                StatusFilter::Alive => Filter::new(alive, vec![now.into()]),
                StatusFilter::Dead => Filter::new(format!("NOT ({alive})"), vec![now.into()]),
                StatusFilter::Unknown => Filter::new("1 = 0", vec![]),
            });
        }
        filters
    }
}

/// A process with its license and the license's policy.
pub type WithLicense = (ProcessRow, LicenseRow, PolicyRow);

/// One page of the processes `actor` may see matching `query`, each with its license
/// and policy (two queries per page, plus the count for offset pages).
pub async fn list(
    db: &Db,
    account: &str,
    query: &ProcessQuery,
    actor: &Actor<'_>,
    page: &Page,
    order: Order,
) -> Result<(Vec<WithLicense>, Option<i64>)> {
    let mut filters = query.filters();
    filters.extend(visible_to(actor));
    let (rows, count) =
        crate::crud::list::<ProcessRow>(db, TABLE, COLUMNS, account, filters, page, order).await?;
    let ids: Vec<&str> = rows.iter().map(|p| p.license_id.as_str()).collect();
    let heads = crate::machines::licenses_with_policies(db, account, &ids).await?;
    let listed = rows
        .into_iter()
        .filter_map(|process| {
            let head = heads.iter().find(|h| h.license.id == process.license_id)?;
            Some((process, head.license.clone(), head.policy.clone()))
        })
        .collect();
    Ok((listed, count))
}

/// A process of an account by id.
pub async fn find(db: &Db, account: &str, id: &str) -> Result<Option<ProcessRow>> {
    crate::crud::find(db, TABLE, COLUMNS, account, id).await
}

/// What `PATCH /processes/{id}` changes; a field left `None` keeps its column.
#[derive(Debug, Clone, Default)]
pub struct ProcessChanges {
    /// The metadata object, as JSON text.
    pub metadata: Option<String>,
}

impl ProcessChanges {
    fn columns(self) -> Vec<(&'static str, crate::Arg)> {
        crate::edits::Columns::default()
            .set("metadata", self.metadata)
            .into_vec()
    }
}

/// Updates a process's attributes; the row as written (`None` when gone).
pub async fn update(
    db: &Db,
    account: &str,
    id: &str,
    changes: ProcessChanges,
    now: i64,
) -> Result<Option<ProcessRow>> {
    let changes = changes.columns();
    crate::edits::update_returning(
        db,
        TABLE,
        COLUMNS,
        account,
        id,
        changes,
        now,
        "process.updated",
    )
    .await
}

/// Kills (deletes) a process; true when it existed.
pub async fn delete(db: &Db, account: &str, id: &str, now: i64) -> Result<bool> {
    crate::edits::delete_announced::<ProcessRow>(
        db,
        (TABLE, COLUMNS),
        account,
        id,
        "process.deleted",
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::StatusFilter;

    #[test]
    fn status_query_value_is_case_insensitive_and_anything_else_matches_nothing() {
        assert_eq!(StatusFilter::from("alive"), StatusFilter::Alive);
        assert_eq!(StatusFilter::from("Dead"), StatusFilter::Dead);
        assert_eq!(StatusFilter::from("ALIVE"), StatusFilter::Alive);
        assert_eq!(StatusFilter::from("sleeping"), StatusFilter::Unknown);
    }
}
