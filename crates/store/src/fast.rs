//! SQLite on rusqlite. sqlx's SQLite driver hops to a worker thread per query
//! (≈ 120 µs here); rusqlite runs the same SQL text in-line (≈ 13 µs), which is what
//! lets validate-key stay fast on the embedded backend, and what bounds every write
//! path: SQLite serialises write transactions, so a transaction's statements are the
//! write throughput. Statements run in place on the async worker: they are far shorter
//! than a thread hand-off, and wrapping reads in `block_in_place` cost a third of
//! validate-key's throughput (release build, wrk -c32 on 2 cores: ≈ 10k instead of
//! ≈ 15k req/s).
//!
//! [`Reader`] is a small pool of read-only connections (WAL mode: they see committed
//! data and never wait for the writer). [`Writer`] is the one write connection of a
//! database file in this process: holding its lock is the right to write, so a
//! transaction is the lock guard plus `BEGIN IMMEDIATE`. sqlx only applies the
//! migrations.

use crate::StoreError;
use crate::db::Arg;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

/// Decoding a row from rusqlite, by column position.
pub trait FromSqlite: Sized {
    /// Builds the value from the row's columns in order.
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

macro_rules! tuple_from_sqlite {
    ($($name:ident : $index:tt),+) => {
        impl<$($name: rusqlite::types::FromSql),+> FromSqlite for ($($name,)+) {
            fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $name>($index)?,)+))
            }
        }
    };
}
tuple_from_sqlite!(A: 0);
tuple_from_sqlite!(A: 0, B: 1);
tuple_from_sqlite!(A: 0, B: 1, C: 2);
tuple_from_sqlite!(A: 0, B: 1, C: 2, D: 3);
tuple_from_sqlite!(A: 0, B: 1, C: 2, D: 3, E: 4);

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Arg::Text(Some(text)) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Arg::Int(Some(n)) => ToSqlOutput::Owned(Value::Integer(*n)),
            Arg::Bool(Some(b)) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
            Arg::Text(None) | Arg::Int(None) | Arg::Bool(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}

/// A small pool of read-only rusqlite connections.
#[derive(Debug)]
pub struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

const MAX_IDLE: usize = 16;

impl Reader {
    /// Readers for the database file at `path` (opened lazily).
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let connection = Connection::open_with_flags(&self.path, flags)?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.set_prepared_statement_cache_capacity(64);
        Ok(connection)
    }

    /// Runs a query and decodes up to `limit` rows.
    pub fn fetch_all<R: FromSqlite>(
        &self,
        sql: &str,
        args: &[Arg],
        limit: Option<usize>,
    ) -> Result<Vec<R>, StoreError> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let connection = match pooled {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = fetch(&connection, sql, args, limit);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(connection);
        }
        Ok(result?)
    }

    /// Drops the idle connections.
    pub fn close(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}

/// Runs a query on `connection` and decodes up to `limit` rows.
pub(crate) fn fetch<R: FromSqlite>(
    connection: &Connection,
    sql: &str,
    args: &[Arg],
    limit: Option<usize>,
) -> rusqlite::Result<Vec<R>> {
    let mut statement = connection.prepare_cached(sql)?;
    bind(&mut statement, sql, args)?;
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(R::from_sqlite(row)?);
        if limit.is_some_and(|limit| out.len() >= limit) {
            break;
        }
    }
    Ok(out)
}

/// Runs a statement on `connection` to completion; returns the rows it changed. A
/// statement that returns rows (`… RETURNING`) is stepped through and its rows dropped.
pub(crate) fn execute(connection: &Connection, sql: &str, args: &[Arg]) -> rusqlite::Result<u64> {
    let mut statement = connection.prepare_cached(sql)?;
    bind(&mut statement, sql, args)?;
    if statement.column_count() == 0 {
        return statement.raw_execute().map(|n| n as u64);
    }
    let mut rows = statement.raw_query();
    while rows.next()?.is_some() {}
    Ok(connection.changes())
}

/// Binds `args` to the statement's parameters by their numbers: a `$n` parameter
/// takes `args[n - 1]` wherever it appears (SQLite itself would number `$n`
/// parameters by first appearance), so one SQL text binds alike on both backends,
/// with placeholders out of order, repeated or unused.
///
/// When the text's placeholders first appear as `$1, $2, …, $k` (every statement
/// the store builds, multi-row inserts included) SQLite's numbering is already ours
/// and the arguments bind by position. Otherwise each parameter's name is looked up,
/// which SQLite answers with a scan of all names: quadratic in the parameter count
/// (a 900-parameter insert spent a tenth of the request-log writer's CPU there).
fn bind(statement: &mut rusqlite::Statement<'_>, sql: &str, args: &[Arg]) -> rusqlite::Result<()> {
    let count = statement.parameter_count();
    if placeholders_in_order(sql, count) {
        debug_assert!((1..=count).all(|i| statement.parameter_name(i) == Some(&format!("${i}"))));
        if count > args.len() {
            return Err(rusqlite::Error::InvalidParameterCount(count, args.len()));
        }
        for (index, arg) in args.iter().take(count).enumerate() {
            statement.raw_bind_parameter(index + 1, arg)?;
        }
        return Ok(());
    }
    for index in 1..=count {
        let number = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|digits| digits.parse::<usize>().ok())
            .unwrap_or(index);
        let arg = number
            .checked_sub(1)
            .and_then(|at| args.get(at))
            .ok_or(rusqlite::Error::InvalidParameterCount(number, args.len()))?;
        statement.raw_bind_parameter(index, arg)?;
    }
    Ok(())
}

/// Whether the `$n` placeholders of `sql` first appear in the order `$1 … $count`
/// (repeats of earlier ones allowed) and no other parameter syntax is used.
fn placeholders_in_order(sql: &str, count: usize) -> bool {
    let bytes = sql.as_bytes();
    let mut next = 1;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'$' => {
                let start = at + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                let Some(number) = sql.get(start..end).and_then(|d| d.parse::<usize>().ok()) else {
                    return false;
                };
                if number == next {
                    next += 1;
                } else if number > next || number == 0 {
                    return false;
                }
                at = end;
            }
            b'?' | b':' | b'@' | b'\'' | b'"' => return false,
            _ => at += 1,
        }
    }
    next == count + 1
}

/// How long a write waits for the writer before answering "busy".
const WRITER_WAIT: Duration = Duration::from_secs(30);

/// The single write connection of one SQLite file in this process (every [`crate::Db`]
/// handle on the same file shares it, so two handles never wait on each other's
/// file lock while holding an async worker).
#[derive(Debug)]
pub struct Writer {
    connection: Arc<tokio::sync::Mutex<Connection>>,
}

impl Writer {
    /// The writer of the (migrated) database file at `path`.
    pub fn shared(path: &Path) -> rusqlite::Result<Arc<Writer>> {
        static WRITERS: LazyLock<Mutex<HashMap<PathBuf, Weak<Writer>>>> =
            LazyLock::new(|| Mutex::new(HashMap::new()));
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut writers = WRITERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        writers.retain(|_, writer| writer.strong_count() > 0);
        if let Some(writer) = writers.get(&key).and_then(Weak::upgrade) {
            return Ok(writer);
        }
        let writer = Arc::new(Writer::open(path)?);
        writers.insert(key, Arc::downgrade(&writer));
        Ok(writer)
    }

    fn open(path: &Path) -> rusqlite::Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let connection = Connection::open_with_flags(path, flags)?;
        // Another process on the same file (a CLI command) is the only other writer.
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA wal_autocheckpoint = 0;",
        )?;
        connection.set_prepared_statement_cache_capacity(256);
        let connection = Arc::new(tokio::sync::Mutex::new(connection));
        crate::checkpoint::spawn(path, Arc::downgrade(&connection));
        Ok(Self { connection })
    }

    /// Whether a write holds the connection now.
    pub fn busy(&self) -> bool {
        self.connection.try_lock().is_err()
    }

    /// Waits for the connection (FIFO), at most [`WRITER_WAIT`].
    pub async fn lock(&self) -> Result<OwnedMutexGuard<Connection>, StoreError> {
        tokio::time::timeout(WRITER_WAIT, self.connection.clone().lock_owned())
            .await
            .map_err(|_| {
                StoreError::Busy(Box::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "timed out waiting for the SQLite writer",
                )))
            })
    }
}

/// An open SQLite write transaction: the writer's guard after `BEGIN IMMEDIATE`.
/// Dropped without [`WriteTx::commit`], it rolls back at once (no lock outlives it).
pub struct WriteTx {
    connection: OwnedMutexGuard<Connection>,
    open: bool,
}

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTx").field("open", &self.open).finish()
    }
}

impl WriteTx {
    /// Begins on a locked writer.
    pub fn begin(connection: OwnedMutexGuard<Connection>) -> Result<Self, StoreError> {
        connection.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(Self {
            connection,
            open: true,
        })
    }

    /// The connection, for statements inside the transaction.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Commits; on failure the transaction is rolled back.
    pub fn commit(self) -> Result<(), StoreError> {
        self.commit_then(|| ())
    }

    /// Commits and runs `then` before the writer is released.
    pub fn commit_then(mut self, then: impl FnOnce()) -> Result<(), StoreError> {
        self.connection.prepare_cached("COMMIT")?.execute([])?;
        self.open = false;
        then();
        Ok(())
    }

    /// Rolls back now.
    pub fn rollback(mut self) -> Result<(), StoreError> {
        self.open = false;
        self.connection.execute_batch("ROLLBACK")?;
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open
            && !self.connection.is_autocommit()
            && let Err(error) = self.connection.execute_batch("ROLLBACK")
        {
            tracing::warn!(%error, "SQLite rollback failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fetch, placeholders_in_order};
    use crate::db::Arg;
    use rusqlite::Connection;

    #[test]
    fn in_order_placeholders_are_recognised() {
        assert!(placeholders_in_order("SELECT $1, $2, $1, $3", 3));
        assert!(placeholders_in_order("SELECT 1", 0));
        assert!(!placeholders_in_order("SELECT $2, $1", 2));
        assert!(!placeholders_in_order("SELECT $1, $3", 2));
        assert!(!placeholders_in_order("SELECT $1 WHERE x = '$2'", 1));
        assert!(!placeholders_in_order("SELECT ?1", 1));
        assert!(!placeholders_in_order("SELECT $0", 1));
        assert!(!placeholders_in_order("SELECT $", 0));
    }

    #[test]
    fn both_binding_paths_give_each_number_its_argument() -> rusqlite::Result<()> {
        let connection = Connection::open_in_memory()?;
        let args = [
            Arg::Text(Some("a".into())),
            Arg::Int(Some(2)),
            Arg::Text(Some("c".into())),
        ];
        // Positional: first appearances in order, with a repeat.
        let rows: Vec<(String, i64, String, String)> =
            fetch(&connection, "SELECT $1, $2, $3, $1", &args, None)?;
        assert_eq!(rows, vec![("a".into(), 2, "c".into(), "a".into())]);
        // By name: out of order, one unused.
        let rows: Vec<(String, String)> = fetch(&connection, "SELECT $3, $1", &args, None)?;
        assert_eq!(rows, vec![("c".into(), "a".into())]);
        // A wide multi-row insert binds every value to its own column.
        connection.execute_batch("CREATE TABLE t (a INTEGER, b INTEGER)")?;
        let values: Vec<String> = (0..400)
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!("INSERT INTO t (a, b) VALUES {}", values.join(", "));
        let args: Vec<Arg> = (0..800).map(|n| Arg::Int(Some(n))).collect();
        assert_eq!(super::execute(&connection, &sql, &args)?, 400);
        let bad: Vec<(i64,)> = fetch(
            &connection,
            "SELECT count(*) FROM t WHERE b != a + 1",
            &[],
            None,
        )?;
        assert_eq!(bad, vec![(0,)]);
        Ok(())
    }
}
