//! The scheduled jobs: every `jobs_interval` each node runs the license notices
//! ([`super::notices`]), the retention pruning ([`super::prune`]) and, on SQLite,
//! a refresh of stale planner statistics. Both are safe
//! on many nodes sharing one database, so no node is elected to run them.

use crate::config::LogConfig;
use latchkey_core::clock::SharedClock;
use latchkey_store::Db;
use latchkey_store::retention::PruneReport;

/// Runs the scheduled jobs every `jobs_interval` (first pass after one interval)
/// until the handle is aborted; `None` when the interval is zero.
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
            let due = ticks.tick().await;
            crate::telemetry::jobs::tick(crate::telemetry::jobs::Job::Scheduled, due);
            match super::notices::notices_once(&db, &clock).await {
                Ok(report) if !report.sent.is_empty() => {
                    tracing::info!(notices = report.sent.len(), "sent license notices");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not send license notices"),
            }
            match super::prune::prune_once(&db, &clock, &logs).await {
                Ok(report) if report != PruneReport::default() => {
                    tracing::info!(?report, "pruned past retention");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not prune"),
            }
            if let Err(error) = latchkey_store::retention::optimize(&db).await {
                tracing::warn!(%error, "could not refresh the planner statistics");
            }
        }
    }))
}
