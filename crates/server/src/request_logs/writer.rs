//! The batched request-log writer (see the module above).

use latchkey_store::Db;
use latchkey_store::batch_writer::{Gather, Message};
use latchkey_store::request_logs::RequestLogRow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Rows per transaction at most.
const BATCH: usize = 1_000;
/// How long rows are gathered before they are written, unless a flush comes.
const LINGER: Duration = Duration::from_millis(250);
/// Queued rows at most; more are dropped.
const QUEUE: usize = 65_536;

/// Handle on the writer.
#[derive(Clone)]
pub struct RequestLogs {
    sender: mpsc::Sender<Message<RequestLogRow>>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for RequestLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLogs")
            .field("dropped", &self.dropped())
            .finish()
    }
}

impl RequestLogs {
    /// Starts the writer.
    pub fn spawn(db: Db) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let gather = Gather {
            linger: LINGER,
            max_rows: BATCH,
        };
        tokio::spawn(latchkey_store::batch_writer::run(
            receiver,
            gather,
            move |rows| write(db.clone(), rows),
        ));
        Self {
            sender,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Queues a row; never blocks (a full queue drops it and counts it).
    pub fn record(&self, row: RequestLogRow) {
        if self.sender.try_send(Message::Rows(vec![row])).is_err() {
            let before = self.dropped.fetch_add(1, Ordering::Relaxed);
            if before.is_multiple_of(10_000) {
                tracing::warn!(dropped = before + 1, "request log queue full: rows dropped");
            }
        }
    }

    /// Rows dropped because the queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Writes every queued row (graceful shutdown; tests).
    pub async fn flush(&self) {
        latchkey_store::batch_writer::flush(&self.sender, Duration::from_secs(10)).await;
    }
}

async fn write(db: Db, rows: Vec<RequestLogRow>) {
    let written = db
        .off_request_workers(latchkey_store::request_logs::insert_batch(&db, &rows))
        .await;
    if let Err(error) = written {
        tracing::warn!(%error, count = rows.len(), "could not record request logs");
    }
}
