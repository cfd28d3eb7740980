//! One decoder per column type, for every read path. A row type's fields (declared
//! once in [`crate::table!`]) decode by position through [`Column`], whether the row
//! comes from rusqlite (SQLite) or sqlx (PostgreSQL), so the two paths cannot drift
//! apart.
//!
//! Keygen's policy strategies decode here into `latchkey_core::policy` enums: a
//! stored value that is not a known spelling is a decode error (a [`crate::StoreError`]),
//! never a silent default.

use latchkey_core::policy::{
    AuthenticationStrategy, CheckInInterval, ExpirationBasis, ExpirationStrategy, HeartbeatBasis,
    HeartbeatCullStrategy, HeartbeatResurrectionStrategy, MachineLeasingStrategy, MatchingStrategy,
    OverageStrategy, ProcessLeasingStrategy, RenewalBasis, Scheme, TransferStrategy,
    UniquenessStrategy, UnknownValue,
};
use sqlx::Row as _;
use sqlx::postgres::PgRow;

/// A value decoded from one column, by position, on every read path.
pub trait Column: Sized {
    /// From a rusqlite row (SQLite).
    fn from_rusqlite(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Self>;
    /// From a sqlx PostgreSQL row.
    fn from_postgres(row: &PgRow, index: usize) -> Result<Self, sqlx::Error>;
}

/// A sqlx row (PostgreSQL), decoding any [`Column`] by position.
pub trait SqlxRow {
    /// The column at `index`.
    fn column<C: Column>(&self, index: usize) -> Result<C, sqlx::Error>;
}

impl SqlxRow for PgRow {
    fn column<C: Column>(&self, index: usize) -> Result<C, sqlx::Error> {
        C::from_postgres(self, index)
    }
}

macro_rules! native_column {
    ($($ty:ty),+ $(,)?) => {$(
        impl Column for $ty {
            fn from_rusqlite(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Self> {
                row.get(index)
            }
            fn from_postgres(row: &PgRow, index: usize) -> Result<Self, sqlx::Error> {
                row.try_get(index)
            }
        }
    )+};
}

native_column!(String, i64, bool, Option<String>, Option<i64>, Option<bool>);

fn rusqlite_error(index: usize, error: UnknownValue) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(error))
}

fn sqlx_error(index: usize, error: UnknownValue) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: index.to_string(),
        source: Box::new(error),
    }
}

macro_rules! keygen_column {
    ($($ty:ty),+ $(,)?) => {$(
        impl Column for $ty {
            fn from_rusqlite(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Self> {
                let text: String = row.get(index)?;
                text.parse().map_err(|e| rusqlite_error(index, e))
            }
            fn from_postgres(row: &PgRow, index: usize) -> Result<Self, sqlx::Error> {
                let text: String = row.try_get(index)?;
                text.parse().map_err(|e| sqlx_error(index, e))
            }
        }

        impl Column for Option<$ty> {
            fn from_rusqlite(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Self> {
                let text: Option<String> = row.get(index)?;
                text.map(|t| t.parse()).transpose().map_err(|e| rusqlite_error(index, e))
            }
            fn from_postgres(row: &PgRow, index: usize) -> Result<Self, sqlx::Error> {
                let text: Option<String> = row.try_get(index)?;
                text.map(|t| t.parse()).transpose().map_err(|e| sqlx_error(index, e))
            }
        }

        impl From<$ty> for $crate::Arg {
            fn from(value: $ty) -> Self {
                $crate::Arg::Text(Some(value.as_str().to_owned()))
            }
        }

        impl From<Option<$ty>> for $crate::Arg {
            fn from(value: Option<$ty>) -> Self {
                $crate::Arg::Text(value.map(|v| v.as_str().to_owned()))
            }
        }
    )+};
}

keygen_column!(
    UniquenessStrategy,
    MatchingStrategy,
    ExpirationStrategy,
    ExpirationBasis,
    RenewalBasis,
    TransferStrategy,
    AuthenticationStrategy,
    MachineLeasingStrategy,
    ProcessLeasingStrategy,
    OverageStrategy,
    Scheme,
    CheckInInterval,
    HeartbeatCullStrategy,
    HeartbeatResurrectionStrategy,
    HeartbeatBasis,
);
