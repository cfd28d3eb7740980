//! Background-job lag: how late a scheduled pass or a webhook delivery claim runs
//! against when it was due. A lag that keeps growing means the node cannot keep up
//! (a saturated runtime, a slow database, too few delivery slots).

use super::{JOB_LAG, JOB_RUNS};
use metrics::{counter, histogram};
use std::time::Duration;

/// The background work whose lag is recorded (the `job` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// The dead machine and process cull (`cull_interval`).
    Cull,
    /// License notices, retention and planner statistics (`jobs_interval`).
    Scheduled,
    /// One webhook delivery, from its `next_attempt_at` to its claim.
    WebhookDelivery,
}

/// [`Job::WebhookDelivery`].
pub const WEBHOOK_DELIVERY: Job = Job::WebhookDelivery;

/// Records one run of `job`, `lateness` after it was due.
pub fn late_by(job: Job, lateness: Duration) {
    let seconds = lateness.as_secs_f64();
    // Literal labels: the keys are statics, nothing is allocated per run.
    let (runs, lag) = match job {
        Job::Cull => (
            counter!(JOB_RUNS, "job" => "cull"),
            histogram!(JOB_LAG, "job" => "cull"),
        ),
        Job::Scheduled => (
            counter!(JOB_RUNS, "job" => "scheduled"),
            histogram!(JOB_LAG, "job" => "scheduled"),
        ),
        Job::WebhookDelivery => (
            counter!(JOB_RUNS, "job" => "webhook_delivery"),
            histogram!(JOB_LAG, "job" => "webhook_delivery"),
        ),
    };
    runs.increment(1);
    lag.record(seconds);
}

/// [`late_by`] with the lateness in milliseconds (negative counts as on time).
pub fn late_by_ms(job: Job, lateness_ms: i64) {
    late_by(
        job,
        Duration::from_millis(u64::try_from(lateness_ms).unwrap_or(0)),
    );
}

/// [`late_by`] for a pass of an interval timer that was due at `due`.
pub fn tick(job: Job, due: tokio::time::Instant) {
    late_by(
        job,
        tokio::time::Instant::now().saturating_duration_since(due),
    );
}
