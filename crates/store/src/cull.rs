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
//!
//! The heartbeat rules (default duration, revive windows, strategy spellings) come
//! from `latchkey_core`; the SQL only restates them as expressions.

use crate::machines::MachineRow;
use crate::processes::ProcessRow;
use crate::{Backend, Db, Result, sql};
use latchkey_core::heartbeat::revive_window;
use latchkey_core::policy::{
    DEFAULT_HEARTBEAT_SECONDS, HeartbeatCullStrategy, HeartbeatResurrectionStrategy,
};
use std::sync::LazyLock;

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

/// Milliseconds of the policy's revive window: a `CASE` over every resurrection
/// strategy with a finite window ([`revive_window`]); 0 otherwise (NO_REVIVE;
/// ALWAYS_REVIVE is never culled).
fn window_ms() -> String {
    let mut case = String::from("CASE p.heartbeat_resurrection_strategy");
    for text in HeartbeatResurrectionStrategy::ALL {
        let window = HeartbeatResurrectionStrategy::parse(text)
            .and_then(revive_window)
            .flatten();
        if let Some(window) = window {
            let ms = window.whole_milliseconds();
            case.push_str(&format!(" WHEN '{text}' THEN {ms}"));
        }
    }
    case.push_str(" ELSE 0 END");
    case
}

/// Heartbeat duration in milliseconds (policy value or Keygen's default).
fn duration_ms() -> String {
    format!("(CAST(1000 AS BIGINT) * COALESCE(p.heartbeat_duration, {DEFAULT_HEARTBEAT_SECONDS}))")
}

const MACHINES_OF_POLICY: &str =
    "FROM machines m JOIN licenses l ON l.id = m.license_id JOIN policies p ON p.id = l.policy_id";
const PROCESSES_OF_POLICY: &str =
    "FROM processes m JOIN licenses l ON l.id = m.license_id JOIN policies p ON p.id = l.policy_id";

/// The four statements of a pass; `{lock}` is the backend's row-lock clause.
struct Statements {
    delete_machines: String,
    delete_processes: String,
    mark_machines: String,
    mark_processes: String,
}

fn statements(lock: &str) -> Statements {
    let duration = duration_ms();
    let window = window_ms();
    let cullable = format!(
        "p.heartbeat_cull_strategy = '{}' AND p.heartbeat_resurrection_strategy <> '{}'",
        HeartbeatCullStrategy::DeactivateDead.as_str(),
        HeartbeatResurrectionStrategy::AlwaysRevive.as_str(),
    );
    let machine_dead = format!(
        "((m.last_heartbeat_at IS NOT NULL AND m.last_heartbeat_at + {duration} < $1) \
         OR (m.last_heartbeat_at IS NULL AND p.require_heartbeat = TRUE \
             AND m.created_at + {duration} < $1))"
    );
    // The window only counts from a heartbeat; a machine that never pinged has none.
    let machine_window_passed = format!(
        "(m.last_heartbeat_at IS NULL OR m.last_heartbeat_at + {duration} + {window} < $1)"
    );
    // Processes always have a heartbeat (set when spawned).
    let process_dead = format!("m.last_heartbeat_at + {duration} < $1");
    Statements {
        delete_machines: format!(
            "DELETE FROM machines WHERE id IN (SELECT m.id {MACHINES_OF_POLICY} \
             WHERE {cullable} AND {machine_dead} AND {machine_window_passed}{lock}) RETURNING {}",
            crate::machines::COLUMNS
        ),
        delete_processes: format!(
            "DELETE FROM processes WHERE id IN (SELECT m.id {PROCESSES_OF_POLICY} \
             WHERE {cullable} AND {process_dead} \
             AND m.last_heartbeat_at + {duration} + {window} < $1{lock}) RETURNING {}",
            crate::processes::COLUMNS
        ),
        mark_machines: format!(
            "UPDATE machines SET last_death_event_at = $1 WHERE last_death_event_at IS NULL \
             AND id IN (SELECT m.id {MACHINES_OF_POLICY} WHERE {machine_dead}{lock}) RETURNING {}",
            crate::machines::COLUMNS
        ),
        mark_processes: format!(
            "UPDATE processes SET last_death_event_at = $1 WHERE last_death_event_at IS NULL \
             AND id IN (SELECT m.id {PROCESSES_OF_POLICY} WHERE {process_dead}{lock}) RETURNING {}",
            crate::processes::COLUMNS
        ),
    }
}

/// On PostgreSQL a concurrent culler skips rows another one is already deleting
/// instead of waiting on them, so two passes can never deadlock. SQLite has a
/// single writer, which serialises passes anyway.
static POSTGRES: LazyLock<Statements> =
    LazyLock::new(|| statements(" FOR UPDATE OF m SKIP LOCKED"));
static SQLITE: LazyLock<Statements> = LazyLock::new(|| statements(""));

/// A culled or newly dead row: its id, whether its death was already announced,
/// and the event that announces it.
trait Dead: crate::db::Row + crate::outbox::Resource {
    const EVENT: &'static str;
    fn id(&self) -> &str;
    fn announced_before(&self, now: i64) -> bool;
}

impl Dead for crate::machines::MachineRow {
    const EVENT: &'static str = "machine.heartbeat.dead";
    fn id(&self) -> &str {
        &self.id
    }
    fn announced_before(&self, now: i64) -> bool {
        self.last_death_event_at.is_some_and(|at| at != now)
    }
}

impl Dead for crate::processes::ProcessRow {
    const EVENT: &'static str = "process.heartbeat.dead";
    fn id(&self) -> &str {
        &self.id
    }
    fn announced_before(&self, now: i64) -> bool {
        self.last_death_event_at.is_some_and(|at| at != now)
    }
}

/// Runs one statement and records the heartbeat-dead event of each returned row
/// not announced before (once per lifecycle, Keygen §4.3), in the same transaction.
async fn returning_ids<R: Dead>(db: &Db, text: &str, now: i64) -> Result<Vec<String>> {
    let mut tx = db.begin().await?;
    let rows: Vec<R> = tx.fetch_all(sql(text).bind(now)).await?;
    for row in &rows {
        if !row.announced_before(now) {
            crate::outbox::emit(&mut tx, R::EVENT, row, now).await?;
        }
    }
    tx.commit().await?;
    Ok(rows.iter().map(|r| Dead::id(r).to_owned()).collect())
}

/// One culling pass at `now_ms` (unix milliseconds).
pub async fn cull_once(db: &Db, now_ms: i64) -> Result<CullReport> {
    let s: &Statements = match db.backend() {
        Backend::Postgres => &POSTGRES,
        Backend::Sqlite => &SQLITE,
    };
    Ok(CullReport {
        machines: returning_ids::<MachineRow>(db, &s.delete_machines, now_ms).await?,
        processes: returning_ids::<ProcessRow>(db, &s.delete_processes, now_ms).await?,
        machines_marked_dead: returning_ids::<MachineRow>(db, &s.mark_machines, now_ms).await?,
        processes_marked_dead: returning_ids::<ProcessRow>(db, &s.mark_processes, now_ms).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revive_windows_come_from_core() {
        assert_eq!(
            window_ms(),
            "CASE p.heartbeat_resurrection_strategy \
             WHEN '15_MINUTE_REVIVE' THEN 900000 WHEN '10_MINUTE_REVIVE' THEN 600000 \
             WHEN '5_MINUTE_REVIVE' THEN 300000 WHEN '2_MINUTE_REVIVE' THEN 120000 \
             WHEN '1_MINUTE_REVIVE' THEN 60000 ELSE 0 END"
        );
    }
}
