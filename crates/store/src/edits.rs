//! Single-row writes the resource modules share: a partial update that returns the
//! row as written, and a delete, each in its own transaction; [`Columns`] turns a
//! module's typed change struct into the update's `(column, value)` list.

use crate::db::{Arg, Row};
use crate::{Db, Result};

/// The `(column, value)` list of a partial update, built from a typed change
/// struct: a field left `None` names no column.
#[derive(Debug, Default)]
pub(crate) struct Columns(Vec<(&'static str, Arg)>);

impl Columns {
    /// Adds `column = value` when `value` is given.
    pub(crate) fn set<T: Into<Arg>>(mut self, column: &'static str, value: Option<T>) -> Self {
        if let Some(value) = value {
            self.0.push((column, value.into()));
        }
        self
    }

    /// The list, in the order the columns were set.
    pub(crate) fn into_vec(self) -> Vec<(&'static str, Arg)> {
        self.0
    }
}

/// `UPDATE … SET changes` then the row as written, in one transaction; `None` when
/// the row is gone. An empty change list still touches `updated_at`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn update_returning<R: Row + crate::outbox::Resource>(
    db: &Db,
    table: &str,
    columns: &str,
    account: &str,
    id: &str,
    changes: Vec<(&str, Arg)>,
    now: i64,
    event: &str,
) -> Result<Option<R>> {
    let mut tx = db.begin().await?;
    crate::crud::update(&mut tx, table, account, id, changes, now).await?;
    let row: Option<R> = crate::crud::find_tx(&mut tx, table, columns, account, id).await?;
    if let Some(row) = &row {
        crate::outbox::emit(&mut tx, event, row, now).await?;
    }
    tx.commit().await?;
    Ok(row)
}

/// Deletes one row of an account; true when it existed.
pub(crate) async fn delete(db: &Db, table: &str, account: &str, id: &str) -> Result<bool> {
    let mut tx = db.begin().await?;
    let n = crate::crud::delete(&mut tx, table, account, id).await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// Deletes one row of an account, recording `event` with its last state in the same
/// transaction; true when it existed.
pub(crate) async fn delete_announced<R: Row + crate::outbox::Resource>(
    db: &Db,
    (table, columns): (&str, &str),
    account: &str,
    id: &str,
    event: &str,
    now: i64,
) -> Result<bool> {
    let mut tx = db.begin().await?;
    crate::outbox::emit_current::<R>(&mut tx, table, columns, account, id, event, now).await?;
    let n = crate::crud::delete(&mut tx, table, account, id).await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// `{}, {}, …` for `n` bound values; callers never ask for zero (`IN ()` is not SQL).
pub(crate) fn placeholders(n: usize) -> String {
    vec!["{}"; n].join(", ")
}
