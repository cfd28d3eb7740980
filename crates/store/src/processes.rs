//! `processes`: processes spawned on machines. [`spawn`] enforces pid uniqueness and
//! maxProcesses inside one transaction holding the license lock, so racing spawns
//! cannot exceed the limit.

use crate::{Db, Result, StoreError, sql};
pub use latchkey_core::limits::ProcessLimits;
use latchkey_core::limits::ProcessScope;

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
    tx.commit().await?;
    Ok(())
}

/// Records a heartbeat (also a resurrection: the death marker is cleared).
pub async fn ping(db: &Db, id: &str, now: i64) -> Result<u64> {
    db.execute(
        sql("UPDATE processes SET last_heartbeat_at = $1, last_death_event_at = NULL, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id),
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
