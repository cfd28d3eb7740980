//! Connection-pool figures for the server's `/metrics`: the PostgreSQL pool, or on
//! SQLite the one writer connection every write transaction waits for (its reads run
//! on rusqlite connections outside any pool).

use crate::Db;

/// A pool's connections now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Which pool: `postgres` or `sqlite_writer`.
    pub pool: &'static str,
    /// Connections open (idle or in use).
    pub size: u32,
    /// Connections open and not in use.
    pub idle: u32,
    /// Connections the pool may open at most.
    pub max: u32,
}

impl Db {
    /// The pool's figures (read without waiting for it).
    pub fn pool_stats(&self) -> PoolStats {
        let idle = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        match self {
            Db::Postgres { pool, .. } => PoolStats {
                pool: "postgres",
                size: pool.size(),
                idle: idle(pool.num_idle()),
                max: pool.options().get_max_connections(),
            },
            Db::Sqlite { writer, .. } => PoolStats {
                pool: "sqlite_writer",
                size: 1,
                idle: u32::from(!writer.busy()),
                max: 1,
            },
        }
    }
}
