//! `lastValidated` bookkeeping. Validation must not wait for a write, so handlers
//! queue `(license, time)` and this task writes them in batches (latest time per
//! license wins). If the queue is full the touch is dropped: it is a statistic, not
//! a rule input.

use latchkey_store::Db;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// Handle for queueing touches.
#[derive(Clone, Debug)]
pub struct Toucher {
    sender: mpsc::Sender<(String, i64)>,
}

impl Toucher {
    /// Starts the writer task.
    pub fn spawn(db: Db) -> Self {
        let (sender, mut receiver) = mpsc::channel::<(String, i64)>(65_536);
        tokio::spawn(async move {
            let mut pending: HashMap<String, i64> = HashMap::new();
            loop {
                let first = receiver.recv().await;
                let Some((id, at)) = first else { break };
                pending.insert(id, at);
                // Gather whatever else arrives within a short window.
                let deadline = tokio::time::sleep(Duration::from_millis(250));
                tokio::pin!(deadline);
                loop {
                    tokio::select! {
                        _ = &mut deadline => break,
                        next = receiver.recv() => match next {
                            Some((id, at)) => { pending.insert(id, at); if pending.len() >= 1000 { break; } }
                            None => break,
                        },
                    }
                }
                let batch: Vec<(String, i64)> = pending.drain().collect();
                if let Err(error) = latchkey_store::licenses::touch_validated(&db, &batch).await {
                    tracing::warn!(%error, "could not record license validation times");
                }
            }
        });
        Self { sender }
    }

    /// Queues a touch; never blocks.
    pub fn touch(&self, license_id: &str, at_ms: i64) {
        let _ = self.sender.try_send((license_id.to_owned(), at_ms));
    }
}
