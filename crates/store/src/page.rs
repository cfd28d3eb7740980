//! Keygen pagination (§5.3) as SQL: limit mode, offset pages and keyset cursors,
//! always ordered by creation time (then id, so ties are stable).

/// Sort direction (`order=desc` is Keygen's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest first.
    Desc,
    /// Oldest first.
    Asc,
}

/// Which rows of a list to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// First `limit` rows.
    Limit(i64),
    /// Page `number` (1-based) of `size` rows.
    Offset {
        /// 1-based page number.
        number: i64,
        /// Rows per page.
        size: i64,
    },
    /// `size` rows after the row with id `cursor` (None = from the start).
    Cursor {
        /// Id of the last row seen.
        after: Option<String>,
        /// Rows per page.
        size: i64,
    },
}

impl Page {
    /// Rows requested.
    pub fn size(&self) -> i64 {
        match self {
            Page::Limit(n) | Page::Offset { size: n, .. } | Page::Cursor { size: n, .. } => *n,
        }
    }
}
