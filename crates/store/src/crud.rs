//! Queries every resource table shares: find by id within an account, filtered and
//! paginated lists, partial updates and deletes. Table and column names are always
//! compile-time constants; values are always bound.

use crate::db::{Arg, Row, Sql, sql};
use crate::page::{Order, Page};
use crate::{Db, Result, Tx};

/// A filter clause with one `{}` placeholder for its bound value (or none).
#[derive(Debug, Clone)]
pub struct Filter {
    clause: String,
    args: Vec<Arg>,
}

impl Filter {
    /// `clause` contains one `{}` per argument, in order.
    pub fn new(clause: impl Into<String>, args: Vec<Arg>) -> Self {
        Self {
            clause: clause.into(),
            args,
        }
    }

    /// `column = value`.
    pub fn eq(column: &str, value: impl Into<Arg>) -> Self {
        Self::new(format!("{column} = {{}}"), vec![value.into()])
    }

    /// The clause (with `{}` placeholders) and its values.
    pub fn into_parts(self) -> (String, Vec<Arg>) {
        (self.clause, self.args)
    }

    /// Appends ` AND (clause)` to `q`, binding the filter's values.
    pub(crate) fn push_into(self, q: Sql) -> Sql {
        push_filters(q, vec![self])
    }
}

fn push_filters(mut q: Sql, filters: Vec<Filter>) -> Sql {
    for filter in filters {
        q = q
            .push(" AND (")
            .push_clause(&filter.clause, filter.args)
            .push(")");
    }
    q
}

/// `SELECT columns FROM table WHERE account_id = $1 AND id = $2`.
pub async fn find<R: Row>(
    db: &Db,
    table: &str,
    columns: &str,
    account: &str,
    id: &str,
) -> Result<Option<R>> {
    db.fetch_optional(
        sql(format!(
            "SELECT {columns} FROM {table} WHERE account_id = $1 AND id = $2"
        ))
        .bind(account)
        .bind(id),
    )
    .await
}

/// Keygen's lookup by id or alias: the row whose `id` equals `id` or whose
/// `alias.0` column equals `alias.1`, among the rows matching `scope` (the caller's
/// list-visibility filters; empty for the whole account). An id match wins, then the
/// oldest row, so a duplicate alias (one fingerprint on two licenses) resolves to the
/// caller's own row.
pub async fn find_by_alias<R: Row>(
    db: &Db,
    table: &str,
    columns: &str,
    account: &str,
    id: &str,
    alias: (&str, &str),
    scope: Vec<Filter>,
) -> Result<Option<R>> {
    let (column, value) = alias;
    let base = sql(format!(
        "SELECT {columns} FROM {table} WHERE account_id = $1 AND (id = $2 OR {column} = $3)"
    ))
    .bind(account)
    .bind(id)
    .bind(value);
    let q = push_filters(base, scope)
        .push(" ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END, created_at, id LIMIT 1");
    db.fetch_optional(q).await
}

/// Same as [`find`] inside a transaction.
pub async fn find_tx<R: Row>(
    tx: &mut Tx,
    table: &str,
    columns: &str,
    account: &str,
    id: &str,
) -> Result<Option<R>> {
    tx.fetch_optional(
        sql(format!(
            "SELECT {columns} FROM {table} WHERE account_id = $1 AND id = $2"
        ))
        .bind(account)
        .bind(id),
    )
    .await
}

/// Filtered, ordered, paginated list of an account's rows; also returns the total
/// count when offset pagination asks for it.
pub async fn list<R: Row>(
    db: &Db,
    table: &str,
    columns: &str,
    account: &str,
    filters: Vec<Filter>,
    page: &Page,
    order: Order,
) -> Result<(Vec<R>, Option<i64>)> {
    let base = sql(format!(
        "SELECT {columns} FROM {table} WHERE account_id = $1"
    ))
    .bind(account);
    let mut q = push_filters(base, filters.clone());
    let (cmp, dir) = match order {
        Order::Desc => ("<", "DESC"),
        Order::Asc => (">", "ASC"),
    };
    if let Page::Cursor {
        after: Some(cursor),
        ..
    } = page
    {
        q = q.push_bind(
            &format!(
                " AND (created_at, id) {cmp} (SELECT created_at, id FROM {table} WHERE account_id = $1 AND id = {{}})"
            ),
            cursor.clone(),
        );
    }
    q = q.push(&format!(" ORDER BY created_at {dir}, id {dir}"));
    q = q.push_bind(" LIMIT {}", page.size());
    if let Page::Offset { number, size } = page {
        q = q.push_bind(" OFFSET {}", (number - 1).max(0) * size);
    }
    let rows = db.fetch_all::<R>(q).await?;
    let count = if matches!(page, Page::Offset { .. }) {
        let base = sql(format!(
            "SELECT COUNT(*) FROM {table} WHERE account_id = $1"
        ))
        .bind(account);
        let count: Option<(i64,)> = db.fetch_optional(push_filters(base, filters)).await?;
        count.map(|c| c.0)
    } else {
        None
    };
    Ok((rows, count))
}

/// `UPDATE table SET col = value, …, updated_at = now WHERE account_id AND id`.
pub async fn update(
    tx: &mut Tx,
    table: &str,
    account: &str,
    id: &str,
    changes: Vec<(&str, Arg)>,
    now_ms: i64,
) -> Result<u64> {
    let mut q = sql(format!("UPDATE {table} SET updated_at = $1")).bind(now_ms);
    for (column, value) in changes {
        q = q.push_bind(&format!(", {column} = {{}}"), value);
    }
    q = q.push_bind(" WHERE account_id = {}", account);
    q = q.push_bind(" AND id = {}", id);
    tx.execute(q).await
}

/// `DELETE FROM table WHERE account_id AND id`.
pub async fn delete(tx: &mut Tx, table: &str, account: &str, id: &str) -> Result<u64> {
    tx.execute(
        sql(format!(
            "DELETE FROM {table} WHERE account_id = $1 AND id = $2"
        ))
        .bind(account)
        .bind(id),
    )
    .await
}

/// Declares a table's row struct, its `TABLE` and `COLUMNS` constants and an
/// `insert` function binding every column in order. The one field list also generates
/// every decoder: rusqlite, sqlx SQLite and sqlx PostgreSQL rows all decode by
/// position through [`crate::column::Column`] (rows are always selected as `COLUMNS`).
#[macro_export]
macro_rules! table {
    ($(#[$meta:meta])* $row:ident, $table:literal { $first:ident : $first_ty:ty $(, $field:ident : $ty:ty)* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[allow(missing_docs)]
        pub struct $row {
            pub $first: $first_ty,
            $(pub $field: $ty,)*
        }

        impl $crate::fast::FromSqlite for $row {
            fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Self::from_sqlite_at(row, &mut 0)
            }
        }

        impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for $row {
            fn from_row(row: &'r sqlx::postgres::PgRow) -> ::std::result::Result<Self, sqlx::Error> {
                Self::from_sqlx_at(row, &mut 0)
            }
        }

        impl $row {
            /// Decodes this row's columns starting at `*offset` (for joined queries).
            pub fn from_sqlite_at(row: &rusqlite::Row<'_>, offset: &mut usize) -> rusqlite::Result<Self> {
                let mut next = || { *offset += 1; *offset - 1 };
                Ok(Self {
                    $first: <$first_ty as $crate::column::Column>::from_rusqlite(row, next())?,
                    $($field: <$ty as $crate::column::Column>::from_rusqlite(row, next())?,)*
                })
            }

            /// Decodes this row's columns starting at `*offset` from a sqlx row.
            pub fn from_sqlx_at<R: $crate::column::SqlxRow>(row: &R, offset: &mut usize) -> ::std::result::Result<Self, sqlx::Error> {
                let mut next = || { *offset += 1; *offset - 1 };
                Ok(Self {
                    $first: row.column::<$first_ty>(next())?,
                    $($field: row.column::<$ty>(next())?,)*
                })
            }
        }

        /// Table name.
        pub const TABLE: &str = $table;
        /// Every column, in declaration order.
        pub const COLUMNS: &str = concat!(stringify!($first) $(, ", ", stringify!($field))*);

        /// Inserts a row.
        pub async fn insert(tx: &mut $crate::Tx, row: &$row) -> $crate::Result<()> {
            let mut q = $crate::sql(concat!("INSERT INTO ", $table, " (", stringify!($first) $(, ", ", stringify!($field))*, ") VALUES ("));
            q = q.push_clause("{}", vec![$crate::Arg::from(row.$first.clone())]);
            $( q = q.push_clause(", {}", vec![$crate::Arg::from(row.$field.clone())]); )*
            tx.execute(q.push(")")).await?;
            Ok(())
        }

        /// Inserts rows, many per statement (a batch writer's path: one statement
        /// per row costs a round trip each, which dominates on SQLite).
        pub async fn insert_many(tx: &mut $crate::Tx, rows: &[$row]) -> $crate::Result<()> {
            const COLUMN_COUNT: usize = [stringify!($first) $(, stringify!($field))*].len();
            // Under SQLite's historic 999-variable limit.
            const PER_STATEMENT: usize = if COLUMN_COUNT >= 900 { 1 } else { 900 / COLUMN_COUNT };
            let tuple = format!("({})", vec!["{}"; COLUMN_COUNT].join(", "));
            for chunk in rows.chunks(PER_STATEMENT) {
                let mut q = $crate::sql(concat!("INSERT INTO ", $table, " (", stringify!($first) $(, ", ", stringify!($field))*, ") VALUES "));
                for (n, row) in chunk.iter().enumerate() {
                    if n > 0 {
                        q = q.push(", ");
                    }
                    q = q.push_clause(&tuple, vec![
                        $crate::Arg::from(row.$first.clone()),
                        $( $crate::Arg::from(row.$field.clone()), )*
                    ]);
                }
                tx.execute(q).await?;
            }
            Ok(())
        }
    };
}
