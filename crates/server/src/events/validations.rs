//! Validation events (`license.validation.succeeded` / `.failed`), one per
//! validation, without a synchronous write on validate-key: the handler checks an
//! in-memory set of the accounts with an endpoint subscribed to them (refreshed
//! every two seconds, and by an endpoint write on this process before it answers, so
//! the next validation here sees the change; other nodes within two seconds), and queues
//! the event; a writer task records queued events in batches (a quarter second or
//! 500 events per transaction, through the outbox). Graceful shutdown flushes the
//! queue; a SIGKILL loses at most the events of the open batch window. A full
//! queue drops events (and logs it) rather than slow validation down.

use latchkey_store::Db;
use latchkey_store::outbox::Event;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

enum Message {
    Event(Box<Event>),
    Flush(oneshot::Sender<()>),
}

/// The accounts with an endpoint subscribed to validation events, as read by the
/// load numbered `read` (a load started later never loses to one started earlier).
#[derive(Debug, Default)]
struct Subscribed {
    read: u64,
    accounts: HashSet<String>,
}

/// Loads of [`Subscribed`], numbered in the order they start.
#[derive(Debug, Default)]
struct Subscriptions {
    next: AtomicU64,
    current: RwLock<Subscribed>,
}

impl Subscriptions {
    /// Reads the subscribed accounts; keeps them unless a load that started later
    /// already stored its own.
    async fn load(&self, db: &Db) {
        let read = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        match latchkey_store::webhooks::accounts_subscribed(
            db,
            latchkey_core::webhooks::VALIDATION_EVENTS,
        )
        .await
        {
            Ok(accounts) => {
                if let Ok(mut current) = self.current.write()
                    && current.read < read
                {
                    *current = Subscribed {
                        read,
                        accounts: accounts.into_iter().collect(),
                    };
                }
            }
            Err(error) => tracing::warn!(%error, "could not read webhook subscriptions"),
        }
    }
}

/// Handle on the validation-event writer.
#[derive(Clone, Debug)]
pub struct ValidationEvents {
    sender: mpsc::Sender<Message>,
    subscribed: Arc<Subscriptions>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("validation event message")
    }
}

impl ValidationEvents {
    /// Starts the writer and the subscription refresher.
    pub fn spawn(db: Db) -> Self {
        let (sender, receiver) = mpsc::channel::<Message>(65_536);
        let subscribed = Arc::new(Subscriptions::default());
        tokio::spawn(write(db.clone(), receiver));
        tokio::spawn(watch(db, subscribed.clone()));
        Self { sender, subscribed }
    }

    /// Whether some endpoint of `account` subscribes to validation events.
    pub fn wanted(&self, account: &str) -> bool {
        self.subscribed
            .current
            .read()
            .map(|set| set.accounts.contains(account))
            .unwrap_or(false)
    }

    /// Queues an event; never blocks.
    pub fn record(&self, event: Event) {
        if self
            .sender
            .try_send(Message::Event(Box::new(event)))
            .is_err()
        {
            tracing::warn!("validation event queue full: event dropped");
        }
    }

    /// Reloads the subscribed accounts (after an endpoint write on this process, so
    /// the next validation here is recorded exactly when subscribed).
    pub async fn refresh(&self, db: &Db) {
        self.subscribed.load(db).await;
    }

    /// Writes every queued event (graceful shutdown).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(10), wait).await;
        }
    }
}

async fn watch(db: Db, subscribed: Arc<Subscriptions>) {
    loop {
        subscribed.load(&db).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn write(db: Db, mut receiver: mpsc::Receiver<Message>) {
    let mut pending: Vec<Event> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = receiver.recv().await {
        let mut take = |message: Message, pending: &mut Vec<Event>| match message {
            Message::Event(event) => pending.push(*event),
            Message::Flush(done) => waiting.push(done),
        };
        take(first, &mut pending);
        let deadline = tokio::time::sleep(Duration::from_millis(250));
        tokio::pin!(deadline);
        while pending.len() < 500 {
            tokio::select! {
                _ = &mut deadline => break,
                next = receiver.recv() => match next {
                    Some(message) => take(message, &mut pending),
                    None => break,
                },
            }
        }
        if !pending.is_empty()
            && let Err(error) = db
                .off_request_workers(latchkey_store::outbox::record_batch(&db, &pending))
                .await
        {
            tracing::warn!(%error, count = pending.len(), "could not record validation events");
        }
        pending.clear();
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}
