//! The retention job: a pass of [`latchkey_store::retention::prune`] (idempotent
//! deletes, so several nodes on one PostgreSQL never delete a row twice or fight over
//! it). [`super::scheduled`] runs it every `jobs_interval`.

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
