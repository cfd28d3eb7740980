//! The license notices job: a pass of [`latchkey_store::notices::send_due`]
//! (`license.expired`, `license.expiring-soon`, `license.check-in-overdue`,
//! `license.check-in-required-soon`; each claimed by one conditional UPDATE, so
//! several nodes on one PostgreSQL send each notice once). [`super::scheduled`]
//! runs it every `jobs_interval`.

use latchkey_core::clock::SharedClock;
use latchkey_store::notices::NoticeReport;
use latchkey_store::{Db, StoreError};

/// One pass at the clock's now.
pub async fn notices_once(db: &Db, clock: &SharedClock) -> Result<NoticeReport, StoreError> {
    let now = latchkey_proto::time_format::to_millis(clock.now());
    latchkey_store::notices::send_due(db, now).await
}
