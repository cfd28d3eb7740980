//! The SQLite read path on rusqlite. sqlx's SQLite driver hops to a worker thread per
//! query (≈ 120 µs here); rusqlite runs the same SQL text in-line (≈ 13 µs), which is
//! what lets validate-key stay fast on the embedded backend. The reads run in place on
//! the async worker: they are far shorter than a thread hand-off, and wrapping them
//! in `block_in_place` cost a third of validate-key's throughput (release build, wrk
//! -c32 on 2 cores: ≈ 10k instead of ≈ 15k req/s). Writes still go through
//! sqlx's single writer connection; these read-only connections see committed data
//! (WAL mode).

use crate::StoreError;
use crate::db::Arg;
use rusqlite::{Connection, OpenFlags, params_from_iter};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

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
        let result = Self::run(&connection, sql, args, limit);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(connection);
        }
        Ok(result?)
    }

    fn run<R: FromSqlite>(
        connection: &Connection,
        sql: &str,
        args: &[Arg],
        limit: Option<usize>,
    ) -> rusqlite::Result<Vec<R>> {
        let mut statement = connection.prepare_cached(sql)?;
        let mut rows = statement.query(params_from_iter(args.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(R::from_sqlite(row)?);
            if limit.is_some_and(|limit| out.len() >= limit) {
                break;
            }
        }
        Ok(out)
    }

    /// Drops the idle connections.
    pub fn close(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}
