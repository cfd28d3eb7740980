//! One SQL text, two backends. A query is a [`Sql`] (text with `$n` placeholders and
//! typed arguments); [`Db`] and [`Tx`] run it on SQLite or PostgreSQL alike. Both
//! engines accept `$n` placeholders, and the schema uses only TEXT, BIGINT and BOOLEAN
//! so rows decode identically.

use crate::StoreError;
use crate::event_log_writer::EventLogSink;
use crate::event_logs::EventLogRow;
use crate::pg_tx::PgTx;
use crate::snapshot_cache::{Change, DEFAULT_CAPACITY, SnapshotCache};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, PgPool, Postgres};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

/// A bound argument, typed so a NULL still has the right SQL type on PostgreSQL.
#[derive(Debug, Clone)]
pub enum Arg {
    /// TEXT (or NULL text).
    Text(Option<String>),
    /// BIGINT.
    Int(Option<i64>),
    /// BOOLEAN.
    Bool(Option<bool>),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_owned))
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(Some(v))
    }
}
impl From<Option<bool>> for Arg {
    fn from(v: Option<bool>) -> Self {
        Arg::Bool(v)
    }
}

/// A query: text plus arguments.
#[derive(Debug, Clone)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

/// Starts a query.
pub fn sql(text: impl Into<String>) -> Sql {
    Sql {
        text: text.into(),
        args: Vec::new(),
    }
}

impl Sql {
    /// Binds the next `$n`.
    pub fn bind(mut self, arg: impl Into<Arg>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends text.
    pub fn push(mut self, text: &str) -> Self {
        self.text.push_str(text);
        self
    }

    /// Appends text containing the next placeholder (`{}` is replaced by `$n`) and binds it.
    pub fn push_bind(mut self, text: &str, arg: impl Into<Arg>) -> Self {
        let placeholder = format!("${}", self.args.len() + 1);
        self.text.push_str(&text.replace("{}", &placeholder));
        self.args.push(arg.into());
        self
    }

    /// Appends `clause`, replacing each `{}` with the next placeholder bound to the
    /// corresponding argument.
    pub fn push_clause(mut self, clause: &str, args: Vec<Arg>) -> Self {
        let mut parts = clause.split("{}");
        if let Some(first) = parts.next() {
            self.text.push_str(first);
        }
        for (part, arg) in parts.zip(args) {
            self.args.push(arg);
            self.text.push_str(&format!("${}", self.args.len()));
            self.text.push_str(part);
        }
        self
    }
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                Arg::Text(v) => q.bind(v),
                Arg::Int(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
            };
        }
        q
    }};
}

/// Rows that decode on both backends.
pub trait Row: for<'r> FromRow<'r, PgRow> + crate::fast::FromSqlite + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, PgRow> + crate::fast::FromSqlite + Send + Unpin {}

/// The database: SQLite (one writer connection, several readers) or PostgreSQL.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded SQLite on rusqlite. Writes go through a single connection, which
    /// serialises every write transaction; reads use read-only connections (WAL mode).
    Sqlite {
        /// The write connection.
        writer: Arc<crate::fast::Writer>,
        /// Read connections (rusqlite: a tenth of sqlx's per-query cost on the hot path).
        reader: std::sync::Arc<crate::fast::Reader>,
        /// The validation cache, shared by every handle on the same file.
        cache: Arc<SnapshotCache>,
        /// Where committed transactions send their event logs.
        logs: EventLogSink,
    },
    /// PostgreSQL.
    Postgres {
        /// The pool.
        pool: PgPool,
        /// A small pool whose sessions commit without waiting for the WAL flush
        /// (`synchronous_commit = off`), for [`Durability::Relaxed`] writes.
        relaxed: PgPool,
        /// The validation cache, kept exact by [`crate::listen`].
        cache: Arc<SnapshotCache>,
        /// Where committed transactions send their event logs.
        logs: EventLogSink,
    },
}

/// When a write's commit returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Once the commit is on disk.
    Full,
    /// PostgreSQL: before its WAL is flushed (`synchronous_commit = off`), so a
    /// commit that notifies other nodes holds PostgreSQL's notify lock for no fsync.
    /// A crash of the database server can lose the last fraction of a second of such
    /// writes (never part of one). For touches whose loss costs nothing: a heartbeat
    /// ping, a check-out time. SQLite commits without an fsync either way (WAL,
    /// `synchronous = NORMAL`).
    Relaxed,
}

/// Which engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Db {
    /// Connects (creating the SQLite file and its folder if missing) and applies migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_schema(url, None).await
    }

    /// Like [`Db::connect`], with PostgreSQL confined to `schema` (created if missing);
    /// the test suite uses one schema per test.
    pub async fn connect_with_schema(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut options = PgConnectOptions::from_str(url)?;
            if let Some(schema) = schema {
                let admin = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(options.clone())
                    .await?;
                sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                // The application name lets a test harness find (and end) the
                // sessions of its schema before dropping it.
                options = options
                    .options([("search_path", schema)])
                    .application_name(schema);
            }
            let relaxed = pg_pool_options(8)
                .connect_lazy_with(options.clone().options([("synchronous_commit", "off")]));
            let pool = pg_pool_options(16).connect_with(options).await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            let cache = Arc::new(SnapshotCache::new(DEFAULT_CAPACITY, false));
            crate::listen::spawn(pool.clone(), &cache);
            Db::Postgres {
                pool,
                relaxed,
                cache,
                logs: EventLogSink::default(),
            }
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            crate::files::prepare_database_file(options.get_filename()).map_err(|e| {
                StoreError::Config(format!("{}: {e}", options.get_filename().display()))
            })?;
            // sqlx applies the migrations (and creates the file in WAL mode); the
            // server's statements then run on rusqlite.
            let migrator = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            let migrated = sqlx::migrate!("./migrations/sqlite").run(&migrator).await;
            migrator.close().await;
            migrated?;
            let writer = crate::fast::Writer::shared(options.get_filename())?;
            let reader = std::sync::Arc::new(crate::fast::Reader::new(options.get_filename()));
            let cache = sqlite_cache(options.get_filename());
            Db::Sqlite {
                writer,
                reader,
                cache,
                logs: EventLogSink::default(),
            }
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL '{url}': use sqlite://PATH or postgres://…"
            )));
        };
        // The writer's own handle inserts in its transactions (its sink is empty).
        let logs = EventLogSink::spawn(db.clone());
        Ok(db.with_logs(logs))
    }

    fn with_logs(mut self, sink: EventLogSink) -> Self {
        match &mut self {
            Db::Sqlite { logs, .. } | Db::Postgres { logs, .. } => *logs = sink,
        }
        self
    }

    /// Waits until the event logs of every transaction committed through this
    /// handle before the call are written (readers of event logs call it first).
    pub async fn flush_event_logs(&self) {
        match self {
            Db::Sqlite { logs, .. } | Db::Postgres { logs, .. } => logs.flush().await,
        }
    }

    /// The validation snapshot cache.
    pub fn snapshot_cache(&self) -> &Arc<SnapshotCache> {
        match self {
            Db::Sqlite { cache, .. } | Db::Postgres { cache, .. } => cache,
        }
    }

    /// Runs a background writer's batch (request logs, event logs, validation times)
    /// where it cannot stall requests. SQLite statements run in place on the calling
    /// thread ([`crate::fast`]), so a batch of a thousand rows would hold one of the
    /// runtime's workers for milliseconds, and every request queued behind it waits
    /// (the p99 of validations at half load); on a multi-threaded runtime this worker
    /// first hands its other tasks to a fresh one (`block_in_place`). PostgreSQL work
    /// only awaits I/O and runs as is, as does everything on a single-threaded runtime.
    pub async fn off_request_workers<F: Future>(&self, work: F) -> F::Output {
        use tokio::runtime::{Handle, RuntimeFlavor};
        let blocking = matches!(self, Db::Sqlite { .. })
            && Handle::try_current()
                .is_ok_and(|handle| handle.runtime_flavor() == RuntimeFlavor::MultiThread);
        if blocking {
            tokio::task::block_in_place(|| Handle::current().block_on(work))
        } else {
            work.await
        }
    }

    /// An id for a new row of a table that grows with use (machines). On SQLite it is
    /// time-ordered ([`crate::ordered_id`]): the one writer then appends to the
    /// primary-key index instead of rewriting a page at a random place in it
    /// (activations ran 9 % faster at 1 k licenses, 14 % at 1 M). On PostgreSQL it stays random
    /// ([`crate::new_id`]): concurrent inserts at the index's right edge wait on each
    /// other for its last page (activations ran 14 % slower with time-ordered ids).
    pub fn growing_table_id(&self, at_ms: i64) -> String {
        match self {
            Db::Sqlite { .. } => crate::ordered_id(at_ms),
            Db::Postgres { .. } => crate::new_id(),
        }
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Writes the queued event logs, then closes every connection.
    pub async fn close(&self) {
        self.flush_event_logs().await;
        match self {
            Db::Sqlite { reader, .. } => reader.close(),
            Db::Postgres {
                pool,
                relaxed,
                cache,
                ..
            } => {
                cache.close();
                relaxed.close().await;
                pool.close().await;
            }
        }
    }

    /// First row, if any (read pool).
    pub async fn fetch_optional<R: Row>(&self, q: Sql) -> Result<Option<R>, StoreError> {
        Ok(match self {
            Db::Sqlite { reader, .. } => reader.fetch_all::<R>(&q.text, &q.args, Some(1))?.pop(),
            Db::Postgres { pool, .. } => {
                bind_all!(sqlx::query_as::<Postgres, R>(&q.text), q.args)
                    .fetch_optional(pool)
                    .await?
            }
        })
    }

    /// All rows (read pool).
    pub async fn fetch_all<R: Row>(&self, q: Sql) -> Result<Vec<R>, StoreError> {
        Ok(match self {
            Db::Sqlite { reader, .. } => reader.fetch_all::<R>(&q.text, &q.args, None)?,
            Db::Postgres { pool, .. } => {
                bind_all!(sqlx::query_as::<Postgres, R>(&q.text), q.args)
                    .fetch_all(pool)
                    .await?
            }
        })
    }

    /// [`Db::fetch_all`] when a PostgreSQL connection is free now, `None` when every
    /// pooled connection is taken (a caller holding one must not wait for another:
    /// enough such callers would hold them all and wait on each other).
    pub async fn fetch_all_if_free<R: Row>(&self, q: Sql) -> Result<Option<Vec<R>>, StoreError> {
        Ok(match self {
            Db::Sqlite { .. } => Some(self.fetch_all(q).await?),
            Db::Postgres { pool, .. } => match pool.try_acquire() {
                Some(mut conn) => Some(
                    bind_all!(sqlx::query_as::<Postgres, R>(&q.text), q.args)
                        .fetch_all(&mut *conn)
                        .await?,
                ),
                None => None,
            },
        })
    }

    /// Runs a statement outside a transaction (write pool); returns rows affected.
    pub async fn execute(&self, q: Sql) -> Result<u64, StoreError> {
        Ok(match self {
            Db::Sqlite { writer, cache, .. } => {
                // The writer held from the statement to the applied invalidation, so
                // no other write can drain this statement's changes first. Outside a
                // transaction, as `VACUUM INTO` (backups) requires.
                let conn = writer.lock().await?;
                let n = crate::fast::execute(&conn, &q.text, &q.args)?;
                let changes = drain_changes(&conn)?;
                cache.apply(&changes);
                n
            }
            Db::Postgres { pool, cache, .. } => {
                let mut conn = pool.acquire().await?;
                let n = bind_all!(sqlx::query::<Postgres>(&q.text), q.args)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                let changes = take_changes(&mut conn).await?;
                cache.apply(&changes);
                n
            }
        })
    }

    /// Runs one write statement that returns at most one row (`… RETURNING`, which
    /// must end the text: on PostgreSQL a column is appended to it) on its own,
    /// applying the cache changes it made, as [`Db::execute`] does.
    pub async fn write_returning<R: Row>(
        &self,
        q: Sql,
        durability: Durability,
    ) -> Result<Option<R>, StoreError> {
        Ok(match self {
            Db::Sqlite { writer, cache, .. } => {
                // The statement and the drain of the changes its triggers recorded
                // commit together: one WAL commit, where autocommit made two.
                let tx = crate::fast::WriteTx::begin(writer.lock().await?)?;
                let row =
                    crate::fast::fetch::<R>(tx.connection(), &q.text, &q.args, Some(1))?.pop();
                let changes = drain_changes(tx.connection())?;
                tx.commit_then(|| cache.apply(&changes))?;
                // As in `Tx::commit`: the next writer runs now, not after this
                // response is rendered and written.
                tokio::task::yield_now().await;
                row
            }
            Db::Postgres {
                pool,
                relaxed,
                cache,
                ..
            } => {
                let pool = match durability {
                    Durability::Full => pool,
                    Durability::Relaxed => relaxed,
                };
                // The cache triggers run BEFORE each row (migration 0015), so the
                // row's RETURNING list can take the keys they noted: one round trip.
                let text = format!("{}, latchkey_cache_take() AS latchkey_cache_keys", q.text);
                let mut conn = pool.acquire().await?;
                let found = bind_all!(sqlx::query::<Postgres>(&text), q.args)
                    .fetch_optional(&mut *conn)
                    .await?;
                match found {
                    Some(found) => {
                        let keys: String = sqlx::Row::try_get(&found, "latchkey_cache_keys")?;
                        cache.apply(&parse_changes(&keys));
                        Some(R::from_row(&found)?)
                    }
                    None => None,
                }
            }
        })
    }

    /// Writes the event logs of a change already committed (through the log writer
    /// when this handle has one).
    pub(crate) async fn log_events(&self, rows: Vec<EventLogRow>) -> Result<(), StoreError> {
        let logs = match self {
            Db::Sqlite { logs, .. } | Db::Postgres { logs, .. } => logs,
        };
        if logs.batched() {
            logs.send(rows).await;
            return Ok(());
        }
        let mut tx = self.begin().await?;
        crate::event_logs::insert_many(&mut tx, &rows).await?;
        tx.commit().await
    }

    /// Starts a write transaction. On SQLite the single writer connection serialises
    /// transactions, so counts read inside one cannot change before it commits.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let (conn, cache, logs) = match self {
            Db::Sqlite {
                writer,
                cache,
                logs,
                ..
            } => (
                Conn::Sqlite(crate::fast::WriteTx::begin(writer.lock().await?)?),
                cache,
                logs,
            ),
            Db::Postgres {
                pool, cache, logs, ..
            } => (Conn::Postgres(PgTx::begin(pool).await?), cache, logs),
        };
        Ok(Tx {
            conn,
            cache: cache.clone(),
            logs: logs.clone(),
            pending_logs: Vec::new(),
            db: self.clone(),
        })
    }
}

/// An open write transaction: the connection, the cache its committed changes
/// invalidate on this process, and the event logs it hands to the log writer once
/// it has committed.
pub struct Tx {
    conn: Conn,
    cache: Arc<SnapshotCache>,
    logs: EventLogSink,
    pending_logs: Vec<EventLogRow>,
    db: Db,
}

enum Conn {
    Sqlite(crate::fast::WriteTx),
    Postgres(PgTx),
}

impl Tx {
    /// First row, if any.
    pub async fn fetch_optional<R: Row>(&mut self, q: Sql) -> Result<Option<R>, StoreError> {
        Ok(match &mut self.conn {
            Conn::Sqlite(tx) => {
                crate::fast::fetch(tx.connection(), &q.text, &q.args, Some(1))?.pop()
            }
            Conn::Postgres(tx) => {
                bind_all!(sqlx::query_as::<Postgres, R>(&q.text), q.args)
                    .fetch_optional(tx.conn()?)
                    .await?
            }
        })
    }

    /// All rows.
    pub async fn fetch_all<R: Row>(&mut self, q: Sql) -> Result<Vec<R>, StoreError> {
        Ok(match &mut self.conn {
            Conn::Sqlite(tx) => crate::fast::fetch(tx.connection(), &q.text, &q.args, None)?,
            Conn::Postgres(tx) => {
                bind_all!(sqlx::query_as::<Postgres, R>(&q.text), q.args)
                    .fetch_all(tx.conn()?)
                    .await?
            }
        })
    }

    /// Runs a statement; returns rows affected.
    pub async fn execute(&mut self, q: Sql) -> Result<u64, StoreError> {
        Ok(match &mut self.conn {
            Conn::Sqlite(tx) => crate::fast::execute(tx.connection(), &q.text, &q.args)?,
            Conn::Postgres(tx) => bind_all!(sqlx::query::<Postgres>(&q.text), q.args)
                .execute(tx.conn()?)
                .await?
                .rows_affected(),
        })
    }

    /// Locks a row until commit (PostgreSQL `FOR UPDATE`). On SQLite the transaction
    /// already holds the only writer connection, which is the stronger lock.
    pub async fn lock_row(&mut self, table: &'static str, id: &str) -> Result<bool, StoreError> {
        match self.conn {
            Conn::Sqlite(..) => {
                let q = sql(format!("SELECT id FROM {table} WHERE id = $1")).bind(id);
                Ok(self.fetch_optional::<(String,)>(q).await?.is_some())
            }
            Conn::Postgres(..) => {
                let q = sql(format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE")).bind(id);
                Ok(self.fetch_optional::<(String,)>(q).await?.is_some())
            }
        }
    }

    /// Serialises every transaction that takes the same `key` until it commits or
    /// rolls back: `pg_advisory_xact_lock` on a 64-bit hash of the key on PostgreSQL
    /// (a hash collision only makes two unrelated transactions wait for each other).
    /// On SQLite the transaction already holds the only writer connection.
    ///
    /// Keys name what they guard (`"machine-fingerprint:<account>:<fingerprint>"`).
    /// A transaction taking several keys must take them in sorted order.
    pub async fn lock_key(&mut self, key: &str) -> Result<(), StoreError> {
        match self.conn {
            Conn::Sqlite(..) => Ok(()),
            Conn::Postgres(..) => {
                let q = sql("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(key);
                self.execute(q).await.map(|_| ())
            }
        }
    }

    /// Commits. The changes the cache triggers recorded are taken in the same
    /// transaction and applied to this process's cache once it committed (other
    /// PostgreSQL nodes hear them through `NOTIFY`).
    pub async fn commit(self) -> Result<(), StoreError> {
        let sqlite = matches!(self.conn, Conn::Sqlite(_));
        let changes = match self.conn {
            Conn::Sqlite(tx) => {
                let changes = drain_changes(tx.connection())?;
                // Applied before the writer is released: the next transaction on this
                // process reads nothing cached that this one changed.
                tx.commit_then(|| self.cache.apply(&changes))?;
                Vec::new()
            }
            Conn::Postgres(tx) => tx.commit().await?,
        };
        self.cache.apply(&changes);
        self.logs.send(self.pending_logs).await;
        if sqlite {
            // Releasing the writer woke the next transaction into this worker's next
            // slot: let it run now, not after this response is rendered, signed and
            // written, with the writer idle all the while (heartbeats: 2.8k → 4.5k/s).
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    /// The database this transaction writes to, for reads of committed rows.
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// Logs `row` once this transaction commits (or now, in it, when this
    /// handle has no log writer).
    pub(crate) async fn log_event(&mut self, row: EventLogRow) -> Result<(), StoreError> {
        if self.logs.batched() {
            self.pending_logs.push(row);
            Ok(())
        } else {
            crate::event_logs::insert(self, &row).await
        }
    }

    /// Rolls back now (dropping a `Tx` also rolls back: at once on SQLite, on
    /// PostgreSQL by a task that then returns the connection to the pool).
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.conn {
            Conn::Sqlite(tx) => tx.rollback()?,
            Conn::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// Takes the keys the cache triggers recorded in this transaction (SQLite).
fn drain_changes(conn: &rusqlite::Connection) -> Result<Vec<Change>, StoreError> {
    let keys: Vec<(String,)> =
        crate::fast::fetch(conn, "DELETE FROM cache_changes RETURNING key", &[], None)?;
    Ok(keys.iter().map(|(key,)| Change::parse(key)).collect())
}

/// Takes the keys the cache triggers gathered in this session (PostgreSQL).
async fn take_changes(conn: &mut sqlx::PgConnection) -> Result<Vec<Change>, StoreError> {
    let (keys,): (String,) = sqlx::query_as("SELECT latchkey_cache_take()")
        .fetch_one(conn)
        .await?;
    Ok(parse_changes(&keys))
}

/// The keys `latchkey_cache_take()` returned.
pub(crate) fn parse_changes(keys: &str) -> Vec<Change> {
    keys.split_whitespace().map(Change::parse).collect()
}

/// How long a pooled PostgreSQL connection may sit idle before it is pinged when
/// taken again.
const PING_AFTER_IDLE: Duration = Duration::from_millis(500);

/// A PostgreSQL pool of `max` connections. sqlx pings every connection as it is
/// taken (a round trip before each statement or transaction: a sixth of a busy
/// node's samples); here only a connection idle for [`PING_AFTER_IDLE`] is pinged,
/// and one that fails the ping is closed and replaced. sqlx still pings each
/// connection as it is returned. The price: a connection the database drops within
/// that half second of its last use fails the one request that takes it next (busy:
/// a 503 with `Retry-After`), where the ping would have replaced it.
fn pg_pool_options(max: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for < PING_AFTER_IDLE {
                    return Ok(true);
                }
                Ok(sqlx::Connection::ping(conn).await.is_ok())
            })
        })
}

/// Every handle on one SQLite file in this process shares one cache, so a write
/// through any of them invalidates what the others serve.
fn sqlite_cache(file: &Path) -> Arc<SnapshotCache> {
    static CACHES: LazyLock<Mutex<HashMap<PathBuf, Weak<SnapshotCache>>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let mut caches = CACHES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    caches.retain(|_, cache| cache.strong_count() > 0);
    if let Some(cache) = caches.get(&path).and_then(Weak::upgrade) {
        return cache;
    }
    let cache = Arc::new(SnapshotCache::new(DEFAULT_CAPACITY, true));
    caches.insert(path, Arc::downgrade(&cache));
    cache
}
