//! A PostgreSQL write transaction on a pooled connection, begun and ended with plain
//! statements rather than sqlx's `Transaction`, so that its commit can carry the
//! cache-key take: `SELECT latchkey_cache_take(); COMMIT` goes out as one
//! simple-protocol query, one round trip where sqlx's `COMMIT` alone made the take a
//! round trip of its own.
//!
//! A transaction dropped without commit or rollback (an early return, a cancelled
//! request) is rolled back at once by a task that then returns the connection to
//! the pool, so its locks are not held until the connection is next used.

use crate::StoreError;
use crate::snapshot_cache::Change;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};

/// An open transaction; `None` once it has ended.
pub(crate) struct PgTx {
    conn: Option<PoolConnection<Postgres>>,
}

/// What a transaction that already ended answers (never reached: commit and
/// rollback consume the transaction).
fn ended() -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(
        "the transaction already ended".into(),
    ))
}

impl PgTx {
    /// Takes a pooled connection and begins.
    pub(crate) async fn begin(pool: &PgPool) -> Result<Self, StoreError> {
        let mut conn = pool.acquire().await?;
        sqlx::Executor::execute(&mut *conn, "BEGIN").await?;
        Ok(Self { conn: Some(conn) })
    }

    /// The connection, for the transaction's statements.
    pub(crate) fn conn(&mut self) -> Result<&mut PgConnection, StoreError> {
        self.conn.as_deref_mut().ok_or_else(ended)
    }

    /// Takes the cache keys the triggers gathered and commits, in one round trip.
    /// When it fails the transaction is rolled back (by PostgreSQL, or on drop).
    pub(crate) async fn commit(mut self) -> Result<Vec<Change>, StoreError> {
        // A query without arguments goes out as a simple-protocol query, which
        // may hold several statements.
        let rows =
            sqlx::Executor::fetch_all(self.conn()?, "SELECT latchkey_cache_take(); COMMIT").await?;
        self.conn = None;
        let keys = match rows.first() {
            Some(row) => sqlx::Row::try_get::<String, _>(row, 0)?,
            None => String::new(),
        };
        Ok(crate::db::parse_changes(&keys))
    }

    /// Rolls back now.
    pub(crate) async fn rollback(mut self) -> Result<(), StoreError> {
        sqlx::Executor::execute(self.conn()?, "ROLLBACK").await?;
        self.conn = None;
        Ok(())
    }
}

impl Drop for PgTx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(roll_back(conn));
            }
            // No runtime to roll back on: closing the connection ends the transaction.
            Err(_) => conn.close_on_drop(),
        }
    }
}

/// Rolls back a dropped transaction; a connection that cannot is closed instead.
async fn roll_back(mut conn: PoolConnection<Postgres>) {
    // sqlx first reads what a cancelled statement left unread.
    if sqlx::Executor::execute(&mut *conn, "ROLLBACK")
        .await
        .is_err()
    {
        conn.close_on_drop();
    }
}
