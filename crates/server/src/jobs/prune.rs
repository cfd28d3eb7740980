//! The retention job: every `jobs_interval` each node runs a pass of
//! [`latchkey_store::retention::prune`] (idempotent deletes, so several nodes on one
//! PostgreSQL never delete a row twice or fight over it).

use crate::config::LogConfig;
use latchkey_core::clock::SharedClock;
use latchkey_store::retention::PruneReport;
use latchkey_store::{Db, StoreError};
use std::time::Duration;

fn ms(keep: Duration) -> Option<i64> {
    (!keep.is_zero()).then(|| i64::try_from(keep.as_millis()).unwrap_or(i64::MAX))
}

/// One pass at the clock's now.
pub async fn prune_once(
    db: &Db,
    clock: &SharedClock,
    logs: &LogConfig,
) -> Result<PruneReport, StoreError> {
    let now = latchkey_proto::time_format::to_millis(clock.now());
    latchkey_store::retention::prune(db, now, ms(logs.retention), ms(logs.webhook_retention)).await
}

/// Runs [`prune_once`] every `jobs_interval` (first pass after one interval) until
/// the handle is aborted; `None` when the interval is zero.
pub fn spawn(db: Db, clock: SharedClock, logs: LogConfig) -> Option<tokio::task::JoinHandle<()>> {
    let interval = logs.jobs_interval;
    if interval.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let start = tokio::time::Instant::now() + interval;
        let mut ticks = tokio::time::interval_at(start, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match prune_once(&db, &clock, &logs).await {
                Ok(report) if report != PruneReport::default() => {
                    tracing::info!(?report, "pruned past retention");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not prune"),
            }
        }
    }))
}
