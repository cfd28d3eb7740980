//! Event logs written after the change commits, in batches.
//!
//! A write transaction gathers the event logs of the events it records
//! ([`crate::event_logs`]) and hands them here once it has committed; a rolled-back
//! transaction logs nothing. One task per [`crate::Db`] inserts what is queued, many
//! rows per transaction, so a heartbeat or an activation no longer writes an
//! `event_logs` row and its three indexes inside its own transaction (on SQLite
//! those were five of the eleven pages each heartbeat wrote; on PostgreSQL a round
//! trip). Keygen writes its event logs from a background worker too.
//!
//! The writer gathers rows for up to [`LINGER`] (a busy SQLite node's heartbeats:
//! many rows per transaction instead of a few), so a crash that skips graceful
//! shutdown loses at most that last fraction of a second of logs, as it loses the
//! queued request logs.
//!
//! Readers of event logs call [`EventLogSink::flush`] first, so a request that comes
//! after a write on the same process sees that write's logs. The queue is bounded
//! and a full queue makes committing transactions wait: logs are never dropped for
//! load.

use crate::Db;
use crate::batch_writer::{Gather, Message};
use crate::event_logs::EventLogRow;
use std::time::Duration;
use tokio::sync::mpsc;

/// Queued messages (one per committed transaction) at most.
const QUEUE: usize = 4_096;
/// Rows per insert transaction at most.
const BATCH: usize = 2_000;
/// How long a flush waits for the writer at most.
const FLUSH_WAIT: Duration = Duration::from_secs(10);
/// How long the writer gathers rows before inserting them, unless a reader flushes
/// or a batch is full.
const LINGER: Duration = Duration::from_millis(100);

/// Where committed transactions send their event logs. A sink without a writer
/// (the writer's own handle) makes transactions insert their logs themselves.
#[derive(Clone, Default)]
pub struct EventLogSink {
    sender: Option<mpsc::Sender<Message<EventLogRow>>>,
}

impl std::fmt::Debug for EventLogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLogSink")
            .field("batched", &self.sender.is_some())
            .finish()
    }
}

impl EventLogSink {
    /// Starts the writer of `db` (whose own sink must be writer-less).
    pub(crate) fn spawn(db: Db) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let gather = Gather {
            linger: LINGER,
            max_rows: BATCH,
        };
        // One transaction of many rows writes each index page it touches once,
        // where a transaction per few rows rewrote the same pages (and took the
        // writer) over and over.
        tokio::spawn(crate::batch_writer::run(receiver, gather, move |rows| {
            write(db.clone(), rows)
        }));
        Self {
            sender: Some(sender),
        }
    }

    /// Whether logs go through the writer (else a transaction inserts its own).
    pub(crate) fn batched(&self) -> bool {
        self.sender.is_some()
    }

    /// Queues the logs of a committed transaction (waits while the queue is full).
    pub(crate) async fn send(&self, rows: Vec<EventLogRow>) {
        if rows.is_empty() {
            return;
        }
        if let Some(sender) = &self.sender
            && sender.send(Message::Rows(rows)).await.is_err()
        {
            tracing::error!("event log writer gone: logs of a committed change lost");
        }
    }

    /// Waits until every log queued before this call is written (at most
    /// [`FLUSH_WAIT`]).
    pub async fn flush(&self) {
        if let Some(sender) = &self.sender {
            crate::batch_writer::flush(sender, FLUSH_WAIT).await;
        }
    }
}

async fn write(db: Db, rows: Vec<EventLogRow>) {
    db.off_request_workers(insert(&db, &rows)).await;
}

/// Inserts `rows` in one transaction; when that fails (an account deleted since,
/// whose logs its cascade already removed; an outage), once more after a pause, and
/// then row by row, so one bad row costs only itself.
async fn insert(db: &Db, rows: &[EventLogRow]) {
    if insert_all(db, rows).await.is_ok() {
        return;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    if insert_all(db, rows).await.is_ok() {
        return;
    }
    for row in rows {
        if let Err(error) = insert_all(db, std::slice::from_ref(row)).await {
            tracing::warn!(%error, event = %row.event, "event log not written");
        }
    }
}

async fn insert_all(db: &Db, rows: &[EventLogRow]) -> crate::Result<()> {
    let mut tx = db.begin().await?;
    crate::event_logs::insert_many(&mut tx, rows).await?;
    tx.commit().await
}
