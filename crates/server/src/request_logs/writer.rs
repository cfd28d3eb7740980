//! The batched request-log writer (see the module above).

use latchkey_store::Db;
use latchkey_store::request_logs::RequestLogRow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Rows per transaction at most.
const BATCH: usize = 1_000;
/// Queued rows at most; more are dropped.
const QUEUE: usize = 65_536;

enum Message {
    Row(Box<RequestLogRow>),
    Flush(oneshot::Sender<()>),
}

/// Handle on the writer.
#[derive(Clone)]
pub struct RequestLogs {
    sender: mpsc::Sender<Message>,
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
        tokio::spawn(write(db, receiver));
        Self {
            sender,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Queues a row; never blocks (a full queue drops it and counts it).
    pub fn record(&self, row: RequestLogRow) {
        if self.sender.try_send(Message::Row(Box::new(row))).is_err() {
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
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(10), wait).await;
        }
    }
}

async fn write(db: Db, mut receiver: mpsc::Receiver<Message>) {
    let mut pending: Vec<RequestLogRow> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = receiver.recv().await {
        let take = |message: Message,
                    pending: &mut Vec<RequestLogRow>,
                    waiting: &mut Vec<oneshot::Sender<()>>| match message {
            Message::Row(row) => pending.push(*row),
            Message::Flush(done) => waiting.push(done),
        };
        take(first, &mut pending, &mut waiting);
        let deadline = tokio::time::sleep(Duration::from_millis(250));
        tokio::pin!(deadline);
        while pending.len() < BATCH && waiting.is_empty() {
            tokio::select! {
                _ = &mut deadline => break,
                next = receiver.recv() => match next {
                    Some(message) => take(message, &mut pending, &mut waiting),
                    None => break,
                },
            }
        }
        if !pending.is_empty()
            && let Err(error) = db
                .off_request_workers(latchkey_store::request_logs::insert_batch(&db, &pending))
                .await
        {
            tracing::warn!(%error, count = pending.len(), "could not record request logs");
        }
        pending.clear();
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}
