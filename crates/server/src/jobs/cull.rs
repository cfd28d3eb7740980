//! Culling of dead machines and processes (Keygen's CullDeadMachinesWorker and
//! CullDeadProcessesWorker, §4.3). Each pass is one atomic `DELETE … RETURNING id`
//! per table, so several server processes sharing one PostgreSQL never cull (or
//! report) the same row twice: a row deleted (or being deleted) by one node is
//! skipped by the other.
//!
//! A machine is culled when it is DEAD, its policy says DEACTIVATE_DEAD, its
//! resurrection strategy is not ALWAYS_REVIVE, and its revive window (after the
//! missed heartbeat) has passed. Dead rows that are kept get `last_death_event_at`
//! set once per lifecycle (a ping that resurrects clears it).

use latchkey_core::clock::SharedClock;
use latchkey_store::{Backend, Db, StoreError, sql};
use std::time::Duration;
use time::OffsetDateTime;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CullReport {
    /// Machines deleted.
    pub machines: Vec<String>,
    /// Processes deleted (besides those that went with their machine).
    pub processes: Vec<String>,
    /// Machines newly marked dead but kept (KEEP_DEAD, or revive window still open).
    pub machines_marked_dead: Vec<String>,
    /// Processes newly marked dead but kept.
    pub processes_marked_dead: Vec<String>,
}

/// Milliseconds of the policy's revive window (0 for NO_REVIVE).
const WINDOW_MS: &str = "CASE p.heartbeat_resurrection_strategy \
     WHEN '1_MINUTE_REVIVE' THEN 60000 WHEN '2_MINUTE_REVIVE' THEN 120000 \
     WHEN '5_MINUTE_REVIVE' THEN 300000 WHEN '10_MINUTE_REVIVE' THEN 600000 \
     WHEN '15_MINUTE_REVIVE' THEN 900000 ELSE 0 END";

/// Heartbeat duration in milliseconds (policy value or Keygen's 600 s).
const DURATION_MS: &str = "(CAST(1000 AS BIGINT) * COALESCE(p.heartbeat_duration, 600))";

fn machine_dead() -> String {
    format!(
        "((m.last_heartbeat_at IS NOT NULL AND m.last_heartbeat_at + {DURATION_MS} < $1) \
         OR (m.last_heartbeat_at IS NULL AND p.require_heartbeat = TRUE \
             AND m.created_at + {DURATION_MS} < $1))"
    )
}

/// The window only counts from a heartbeat; a machine that never pinged has none.
fn machine_window_passed() -> String {
    format!(
        "(m.last_heartbeat_at IS NULL OR m.last_heartbeat_at + {DURATION_MS} + {WINDOW_MS} < $1)"
    )
}

const MACHINES_OF_POLICY: &str =
    "FROM machines m JOIN licenses l ON l.id = m.license_id JOIN policies p ON p.id = l.policy_id";
const PROCESSES_OF_POLICY: &str =
    "FROM processes m JOIN licenses l ON l.id = m.license_id JOIN policies p ON p.id = l.policy_id";

const CULLABLE: &str = "p.heartbeat_cull_strategy = 'DEACTIVATE_DEAD' \
                        AND p.heartbeat_resurrection_strategy <> 'ALWAYS_REVIVE'";

async fn returning_ids(db: &Db, text: String, now: i64) -> Result<Vec<String>, StoreError> {
    let mut tx = db.begin().await?;
    let rows: Vec<(String,)> = tx.fetch_all(sql(text).bind(now)).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// On PostgreSQL a concurrent culler skips rows another one is already deleting
/// instead of waiting on them, so two passes can never deadlock. SQLite has a
/// single writer, which serialises passes anyway.
fn skip_locked(db: &Db) -> &'static str {
    match db.backend() {
        Backend::Postgres => " FOR UPDATE OF m SKIP LOCKED",
        Backend::Sqlite => "",
    }
}

/// One culling pass at `now`.
pub async fn cull_once(db: &Db, now: OffsetDateTime) -> Result<CullReport, StoreError> {
    let now = latchkey_proto::time_format::to_millis(now);
    let lock = skip_locked(db);
    let dead = machine_dead();
    let machines = returning_ids(
        db,
        format!(
            "DELETE FROM machines WHERE id IN (SELECT m.id {MACHINES_OF_POLICY} \
             WHERE {CULLABLE} AND {dead} AND {}{lock}) RETURNING id",
            machine_window_passed()
        ),
        now,
    )
    .await?;
    // Processes always have a heartbeat (set when spawned).
    let process_dead = format!("m.last_heartbeat_at + {DURATION_MS} < $1");
    let processes = returning_ids(
        db,
        format!(
            "DELETE FROM processes WHERE id IN (SELECT m.id {PROCESSES_OF_POLICY} \
             WHERE {CULLABLE} AND {process_dead} \
             AND m.last_heartbeat_at + {DURATION_MS} + {WINDOW_MS} < $1{lock}) RETURNING id"
        ),
        now,
    )
    .await?;
    let machines_marked_dead = returning_ids(
        db,
        format!(
            "UPDATE machines SET last_death_event_at = $1 WHERE last_death_event_at IS NULL \
             AND id IN (SELECT m.id {MACHINES_OF_POLICY} WHERE {dead}{lock}) RETURNING id"
        ),
        now,
    )
    .await?;
    let processes_marked_dead = returning_ids(
        db,
        format!(
            "UPDATE processes SET last_death_event_at = $1 WHERE last_death_event_at IS NULL \
             AND id IN (SELECT m.id {PROCESSES_OF_POLICY} WHERE {process_dead}{lock}) RETURNING id"
        ),
        now,
    )
    .await?;
    Ok(CullReport {
        machines,
        processes,
        machines_marked_dead,
        processes_marked_dead,
    })
}

/// Runs [`cull_once`] every `interval` (first pass after one interval) until the
/// returned handle is aborted. A zero interval disables culling.
pub fn spawn(
    db: Db,
    clock: SharedClock,
    interval: Duration,
) -> Option<tokio::task::JoinHandle<()>> {
    if interval.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let start = tokio::time::Instant::now() + interval;
        let mut ticks = tokio::time::interval_at(start, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match cull_once(&db, clock.now()).await {
                Ok(report) if !report.machines.is_empty() || !report.processes.is_empty() => {
                    tracing::info!(
                        machines = report.machines.len(),
                        processes = report.processes.len(),
                        "culled dead machines and processes"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not cull dead machines"),
            }
        }
    }))
}
