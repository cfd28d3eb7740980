//! `lastValidated` bookkeeping. Validation must not wait for a write, so handlers
//! queue `(license, time)` (with the release scopes the validation matched: the
//! license's `version`) and this task writes them in batches (latest time per
//! license wins, a matched checksum or version stays until a later one replaces it).
//! If the queue is full the touch is dropped: it is a statistic, not a rule input.

use latchkey_store::Db;
use latchkey_store::licenses::ValidationTouch;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// Handle for queueing touches.
#[derive(Clone, Debug)]
pub struct Toucher {
    sender: mpsc::Sender<ValidationTouch>,
}

/// Folds `touch` into the pending batch.
fn merge(pending: &mut HashMap<String, ValidationTouch>, touch: ValidationTouch) {
    match pending.get_mut(&touch.license_id) {
        Some(known) => {
            known.at = known.at.max(touch.at);
            if touch.checksum.is_some() {
                known.checksum = touch.checksum;
            }
            if touch.version.is_some() {
                known.version = touch.version;
            }
        }
        None => {
            pending.insert(touch.license_id.clone(), touch);
        }
    }
}

impl Toucher {
    /// Starts the writer task.
    pub fn spawn(db: Db) -> Self {
        let (sender, mut receiver) = mpsc::channel::<ValidationTouch>(65_536);
        tokio::spawn(async move {
            let mut pending: HashMap<String, ValidationTouch> = HashMap::new();
            loop {
                let Some(first) = receiver.recv().await else {
                    break;
                };
                merge(&mut pending, first);
                // Gather whatever else arrives within a short window.
                let deadline = tokio::time::sleep(Duration::from_millis(250));
                tokio::pin!(deadline);
                loop {
                    tokio::select! {
                        _ = &mut deadline => break,
                        next = receiver.recv() => match next {
                            Some(touch) => { merge(&mut pending, touch); if pending.len() >= 1000 { break; } }
                            None => break,
                        },
                    }
                }
                let batch: Vec<ValidationTouch> = pending.drain().map(|(_, t)| t).collect();
                let written =
                    db.off_request_workers(latchkey_store::licenses::touch_validated(&db, &batch));
                if let Err(error) = written.await {
                    tracing::warn!(%error, "could not record license validation times");
                }
            }
        });
        Self { sender }
    }

    /// Queues a touch; never blocks.
    pub fn touch(&self, license_id: &str, at_ms: i64) {
        self.touch_release(license_id, at_ms, None, None);
    }

    /// Queues a touch that also records the matched `checksum` and `version`
    /// (`None`: left as they are); never blocks.
    pub fn touch_release(
        &self,
        license_id: &str,
        at_ms: i64,
        checksum: Option<String>,
        version: Option<String>,
    ) {
        let _ = self.sender.try_send(ValidationTouch {
            license_id: license_id.to_owned(),
            at: at_ms,
            checksum,
            version,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_the_latest_time_and_the_last_release_scopes() {
        let mut pending = HashMap::new();
        let touch = |at, checksum: Option<&str>, version: Option<&str>| ValidationTouch {
            license_id: "l".into(),
            at,
            checksum: checksum.map(Into::into),
            version: version.map(Into::into),
        };
        merge(&mut pending, touch(5, Some("c1"), Some("1.0.0")));
        merge(&mut pending, touch(3, None, None));
        merge(&mut pending, touch(4, None, Some("1.1.0")));
        assert_eq!(pending["l"], touch(5, Some("c1"), Some("1.1.0")));
    }
}
