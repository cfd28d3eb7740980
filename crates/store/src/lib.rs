//! Latchkey persistence. One SQL text runs on SQLite (embedded default) and
//! PostgreSQL (scale-out); see [`db`]. One module per table owns its row type and
//! its queries; [`crud`] has the generic find/list/update/delete they share.
//! Timestamps are stored as unix milliseconds, ids as UUID text, JSON as text.

pub mod accounts;
pub mod artifacts;
pub mod backup;
pub mod batch_writer;
pub mod checkouts;
mod checkpoint;
pub mod column;
pub mod components;
pub mod credentials;
pub mod crud;
pub mod cull;
pub mod db;
mod edits;
pub mod entitlement_links;
pub mod entitlements;
mod event_log_writer;
pub mod event_logs;
pub mod fast;
pub mod files;
pub mod groups;
pub mod license_list;
pub mod license_users;
pub mod licenses;
pub mod listen;
mod machine_edits;
pub mod machines;
pub mod metadata;
pub mod notices;
pub mod outbox;
pub mod packages;
pub mod page;
mod pg_tx;
pub mod policies;
pub mod pool_keys;
pub mod pool_stats;
pub mod processes;
pub mod products;
pub mod relations;
pub mod releases;
pub mod request_logs;
pub mod retention;
pub mod second_factors;
pub mod snapshot_cache;
mod sums;
pub mod tokens;
pub mod users;
pub mod validation;
pub mod webhook_events;
pub mod webhooks;

pub use db::{Arg, Backend, Db, Durability, Sql, Tx, sql};
/// sqlx error variants, for callers that tell outages from bugs.
pub use sqlx::Error as sqlx_error;

/// A storage failure. "Not found" is never an error: finders return `Option`.
///
/// The rendered message never names a driver or carries its text: the driver's error
/// is kept as the [`std::error::Error::source`], for logs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated (a racing insert, or a duplicate).
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    /// The database is busy: SQLite busy/locked, a PostgreSQL serialization failure,
    /// deadlock or lock/statement timeout, a lost PostgreSQL connection, or no pooled
    /// connection became free in time (or the pool is closing). Worth retrying later.
    #[error("database busy")]
    Busy(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Bad configuration (URL, file system).
    #[error("{0}")]
    Config(String),
    /// Migration failure.
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be decoded (e.g. a strategy column holding an
    /// unknown spelling).
    #[error("stored value could not be decoded")]
    Decode(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Any other database error.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Any other SQLite failure (rusqlite).
    #[error("database error")]
    Sqlite(#[source] rusqlite::Error),
}

/// SQLite's primary result codes SQLITE_BUSY and SQLITE_LOCKED (extended codes
/// carry them in the low byte).
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
/// SQLite's extended result codes for a violated UNIQUE or PRIMARY KEY constraint.
const SQLITE_CONSTRAINT_UNIQUE: i32 = 2067;
const SQLITE_CONSTRAINT_PRIMARYKEY: i32 = 1555;

/// PostgreSQL SQLSTATEs that mean "try again": serialization_failure,
/// deadlock_detected, lock_not_available (lock_timeout), query_canceled
/// (statement_timeout), and the session ended under it: admin_shutdown,
/// crash_shutdown, cannot_connect_now (a restart or failover). Class 08
/// (connection exceptions) counts too, see [`is_busy`].
const PG_BUSY: &[&str] = &[
    "40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03",
];

fn is_busy(db: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(code) = db.code() else { return false };
    if db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        return PG_BUSY.contains(&code.as_ref()) || code.starts_with("08");
    }
    code.parse::<i32>()
        .is_ok_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            sqlx::Error::Database(db) if is_busy(db.as_ref()) => StoreError::Busy(Box::new(error)),
            // A lost connection (the database restarted, or dropped a pooled
            // session): the next attempt gets a new one.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Busy(Box::new(error))
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                StoreError::Decode(Box::new(error))
            }
            _ => StoreError::Database(error),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match &error {
            rusqlite::Error::SqliteFailure(e, _)
                if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
            {
                StoreError::Busy(Box::new(error))
            }
            rusqlite::Error::SqliteFailure(e, message)
                if matches!(
                    e.extended_code,
                    SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
            {
                StoreError::Conflict(message.clone().unwrap_or_default())
            }
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => StoreError::Decode(Box::new(error)),
            _ => StoreError::Sqlite(error),
        }
    }
}

/// Store result.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A fresh UUID v4 as text.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A time-ordered UUID (version 7) for `at_ms` (unix ms): rows of append-mostly
/// tables (request logs) then land at the end of the primary-key index instead of
/// at random places in it, which keeps batched inserts cheap.
pub fn ordered_id(at_ms: i64) -> String {
    let ms = u64::try_from(at_ms).unwrap_or(0);
    let at =
        uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32);
    uuid::Uuid::new_v7(at).to_string()
}

#[cfg(test)]
mod ordered_id_tests {
    #[test]
    fn ordered_ids_sort_by_time_and_are_uuids() {
        let earlier = super::ordered_id(1_767_312_000_000);
        let later = super::ordered_id(1_767_312_000_001);
        assert!(earlier < later, "{earlier} {later}");
        assert_ne!(super::ordered_id(5), super::ordered_id(5));
        let parsed = uuid::Uuid::parse_str(&later).expect("uuid");
        assert_eq!(parsed.get_version_num(), 7);
        // Times before the epoch do not panic.
        assert!(uuid::Uuid::parse_str(&super::ordered_id(-1)).is_ok());
    }
}

#[cfg(test)]
mod error_tests {
    use super::StoreError;

    #[test]
    fn a_lost_connection_is_busy_and_other_failures_are_not() {
        let lost = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(matches!(StoreError::from(lost), StoreError::Busy(_)));
        let timed_out = sqlx::Error::PoolTimedOut;
        assert!(matches!(StoreError::from(timed_out), StoreError::Busy(_)));
        let protocol = sqlx::Error::Protocol("unexpected message".into());
        assert!(matches!(
            StoreError::from(protocol),
            StoreError::Database(_)
        ));
        let missing = sqlx::Error::RowNotFound;
        assert!(matches!(StoreError::from(missing), StoreError::Database(_)));
    }
}
