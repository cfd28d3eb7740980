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
use crate::event_logs::EventLogRow;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Queued messages (one per committed transaction) at most.
const QUEUE: usize = 4_096;
/// Rows per insert transaction at most.
const BATCH: usize = 2_000;
/// How long a flush waits for the writer at most.
const FLUSH_WAIT: Duration = Duration::from_secs(10);
/// How long the writer gathers rows before inserting them, unless a reader flushes
/// or a batch is full.
const LINGER: Duration = Duration::from_millis(100);

enum Message {
    Rows(Vec<EventLogRow>),
    Flush(oneshot::Sender<()>),
}

/// Where committed transactions send their event logs. A sink without a writer
/// (the writer's own handle) makes transactions insert their logs themselves.
#[derive(Clone, Default)]
pub struct EventLogSink {
    sender: Option<mpsc::Sender<Message>>,
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
        tokio::spawn(write(db, receiver));
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
        let Some(sender) = &self.sender else { return };
        let (done, wait) = oneshot::channel();
        if sender.send(Message::Flush(done)).await.is_ok() {
            let _ = tokio::time::timeout(FLUSH_WAIT, wait).await;
        }
    }
}

async fn write(db: Db, mut receiver: mpsc::Receiver<Message>) {
    let mut rows: Vec<EventLogRow> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = receiver.recv().await {
        let take = |message: Message,
                    rows: &mut Vec<EventLogRow>,
                    waiting: &mut Vec<oneshot::Sender<()>>| match message {
            Message::Rows(mut batch) => rows.append(&mut batch),
            Message::Flush(done) => waiting.push(done),
        };
        take(first, &mut rows, &mut waiting);
        // Gather for a moment unless a reader waits: one transaction of many rows
        // writes each index page it touches once, where a transaction per few rows
        // rewrote the same pages (and took the writer) over and over.
        let deadline = tokio::time::sleep(LINGER);
        tokio::pin!(deadline);
        while rows.len() < BATCH && waiting.is_empty() {
            tokio::select! {
                _ = &mut deadline => break,
                next = receiver.recv() => match next {
                    Some(message) => take(message, &mut rows, &mut waiting),
                    None => break,
                },
            }
        }
        if !rows.is_empty() {
            db.off_request_workers(insert(&db, &rows)).await;
            rows.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
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
