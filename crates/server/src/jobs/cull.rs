//! The culling schedule: every node runs a pass of [`latchkey_store::cull`] (dead
//! machines and processes, Keygen §4.3) on an interval; the store's atomic
//! `DELETE … RETURNING` makes that safe on many nodes.

use latchkey_core::clock::SharedClock;
use latchkey_store::{Db, StoreError};
use std::time::Duration;
use time::OffsetDateTime;

pub use latchkey_store::cull::CullReport;

/// One culling pass at `now`.
pub async fn cull_once(db: &Db, now: OffsetDateTime) -> Result<CullReport, StoreError> {
    latchkey_store::cull::cull_once(db, latchkey_proto::time_format::to_millis(now)).await
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
            let due = ticks.tick().await;
            crate::telemetry::jobs::tick(crate::telemetry::jobs::Job::Cull, due);
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
