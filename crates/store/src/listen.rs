//! PostgreSQL: hears the cache triggers' notifications (`LISTEN latchkey_cache`) and
//! applies them to this process's [`SnapshotCache`]. The cache serves nothing until
//! the first `LISTEN` succeeded; when the connection is lost it is emptied and
//! bypassed, and emptied again once a new connection listens (notifications sent in
//! between are lost with the old connection).

use crate::snapshot_cache::{CHANNEL, Change, SnapshotCache};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Starts the listener task; it ends when the cache is dropped.
pub fn spawn(pool: PgPool, cache: &Arc<SnapshotCache>) {
    let weak = Arc::downgrade(cache);
    let mut closed = cache.closed();
    tokio::spawn(async move {
        tokio::select! {
            () = listen(pool, weak) => {}
            _ = closed.changed() => {}
        }
    });
}

async fn listen(pool: PgPool, weak: Weak<SnapshotCache>) {
    let mut failures = 0u32;
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    failures = 0;
                    let Some(cache) = weak.upgrade() else { return };
                    cache.resume();
                    drop(cache);
                    serve(&mut listener, &weak).await;
                    let Some(cache) = weak.upgrade() else { return };
                    cache.suspend();
                    tracing::warn!(
                        "cache invalidation channel lost; cache bypassed until it is back"
                    );
                }
                Err(error) => tracing::warn!(%error, "could not LISTEN for cache invalidations"),
            },
            Err(error) => {
                tracing::warn!(%error, "could not connect the cache invalidation listener")
            }
        }
        if pool.is_closed() || weak.strong_count() == 0 {
            return;
        }
        failures = failures.saturating_add(1);
        let wait = Duration::from_millis(100u64.saturating_mul(1 << failures.min(6)));
        tokio::time::sleep(wait).await;
    }
}

/// Applies notifications until the connection is lost.
async fn serve(listener: &mut PgListener, weak: &Weak<SnapshotCache>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                let Some(cache) = weak.upgrade() else { return };
                let mut changes = vec![Change::parse(notification.payload())];
                // Whatever else already arrived goes in the same pass.
                while let Some(next) = listener.next_buffered() {
                    changes.push(Change::parse(next.payload()));
                }
                cache.apply(&changes);
            }
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "cache invalidation listener failed");
                return;
            }
        }
    }
}
