//! Latchkey persistence. One SQL text runs on SQLite (embedded default) and
//! PostgreSQL (scale-out); see [`db`]. One module per table owns its row type and
//! its queries; [`crud`] has the generic find/list/update/delete they share.
//! Timestamps are stored as unix milliseconds, ids as UUID text, JSON as text.

pub mod accounts;
pub mod components;
pub mod crud;
pub mod db;
pub mod entitlements;
pub mod fast;
pub mod files;
pub mod groups;
pub mod licenses;
pub mod machines;
pub mod metadata;
pub mod page;
pub mod policies;
pub mod pool_keys;
pub mod processes;
pub mod products;
pub mod relations;
mod sums;
pub mod tokens;
pub mod users;
pub mod validation;

pub use db::{Arg, Backend, Db, Sql, Tx, sql};
/// sqlx error variants, for callers that tell outages from bugs.
pub use sqlx::Error as sqlx_error;

/// A storage failure. "Not found" is never an error: finders return `Option`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated (a racing insert, or a duplicate).
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    /// Bad configuration (URL, file system).
    #[error("{0}")]
    Config(String),
    /// Migration failure.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A failure on the rusqlite read path.
    #[error("sqlite read error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error
            && db.is_unique_violation()
        {
            return StoreError::Conflict(db.message().to_owned());
        }
        StoreError::Database(error)
    }
}

/// Store result.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A fresh UUID v4 as text.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
