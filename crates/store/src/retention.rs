//! Retention pruning (Keygen's PruneWebhookEventsWorker, PruneExpiredTokensWorker
//! and log retention): each prune is a `DELETE … WHERE <older than>`, so passes on
//! several nodes at once are harmless — a row is deleted by exactly one of them and
//! the others find nothing. Deletes run in chunks of [`CHUNK`] rows, one statement
//! each, so a backlog of millions of log rows never holds the (SQLite) writer for
//! more than one chunk's time.

use crate::{Backend, Db, Result, sql};

/// Rows deleted per statement.
pub const CHUNK: u64 = 5_000;

/// Deletes the rows of `table` matching `condition` (one `$1` placeholder, bound to
/// `bound`), [`CHUNK`] rows per statement, letting other work run in between.
pub(crate) async fn delete_chunked(
    db: &Db,
    table: &str,
    condition: &str,
    bound: i64,
) -> Result<u64> {
    let text = format!(
        "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {condition} LIMIT {CHUNK})"
    );
    let mut total = 0;
    loop {
        let deleted = db.execute(sql(text.as_str()).bind(bound)).await?;
        total += deleted;
        if deleted < CHUNK {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// Keygen deletes tokens 90 days past their expiry.
pub const EXPIRED_TOKEN_GRACE_MS: i64 = 90 * 86_400_000;

/// What one pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// DELIVERED or FAILED webhook events.
    pub webhook_events: u64,
    /// Event logs.
    pub event_logs: u64,
    /// Request logs.
    pub request_logs: u64,
    /// Tokens expired more than 90 days ago.
    pub tokens: u64,
}

/// Deletes DELIVERED and FAILED webhook events created before `before` (unix ms).
pub async fn prune_webhook_events(db: &Db, before: i64) -> Result<u64> {
    delete_chunked(
        db,
        "webhook_events",
        "created_at < $1 AND status IN ('DELIVERED', 'FAILED')",
        before,
    )
    .await
}

/// Deletes tokens whose expiry passed before `now - 90 days`.
pub async fn prune_expired_tokens(db: &Db, now: i64) -> Result<u64> {
    delete_chunked(
        db,
        "tokens",
        "expiry IS NOT NULL AND expiry < $1",
        now - EXPIRED_TOKEN_GRACE_MS,
    )
    .await
}

/// One pass at `now`: logs older than `log_retention_ms` and finished webhook
/// events older than `webhook_retention_ms` (either `None`: kept forever), expired
/// tokens.
pub async fn prune(
    db: &Db,
    now: i64,
    log_retention_ms: Option<i64>,
    webhook_retention_ms: Option<i64>,
) -> Result<PruneReport> {
    let mut report = PruneReport::default();
    if let Some(keep) = webhook_retention_ms {
        report.webhook_events = prune_webhook_events(db, now - keep).await?;
    }
    if let Some(keep) = log_retention_ms {
        report.event_logs = crate::event_logs::prune(db, now - keep).await?;
        report.request_logs = crate::request_logs::prune(db, now - keep).await?;
    }
    report.tokens = prune_expired_tokens(db, now).await?;
    Ok(report)
}

/// Refreshes SQLite's planner statistics where they went stale (`PRAGMA optimize`,
/// which analyzes only tables whose size changed a lot, with a bounded sample).
/// Statistics taken while a table was nearly empty (the event and log tables just
/// after setup) would otherwise make the planner scan it once it has grown: a
/// webhook claim then read the whole table. PostgreSQL's autovacuum keeps its own
/// statistics, so this does nothing there.
pub async fn optimize(db: &Db) -> Result<()> {
    if db.backend() == Backend::Sqlite {
        db.execute(sql("PRAGMA optimize")).await?;
    }
    Ok(())
}
