//! Online backups. SQLite: `VACUUM INTO` writes a consistent copy of the database
//! while the server keeps serving (it reads one snapshot; writers are not blocked for
//! longer than a read transaction). PostgreSQL has `pg_dump` for that.

use std::path::Path;

use crate::db::sql;
use crate::{Backend, Db, StoreError};

/// What a backup produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backup {
    /// The copy was written; its size in bytes.
    Written(u64),
    /// The backend backs up with its own tools (PostgreSQL: `pg_dump`).
    UseNativeTool,
}

/// Writes a consistent copy of a SQLite database to `target`, a new file created
/// private to its owner (0600). Refuses an existing `target`.
pub async fn sqlite_copy(db: &Db, target: &Path) -> Result<Backup, StoreError> {
    if db.backend() != Backend::Sqlite {
        return Ok(Backup::UseNativeTool);
    }
    let text = target
        .to_str()
        .ok_or_else(|| StoreError::Config("the backup path must be valid UTF-8".into()))?;
    create_new_private(target)
        .map_err(|e| StoreError::Config(format!("{}: {e}", target.display())))?;
    // The event logs of changes already committed belong in the copy.
    db.flush_event_logs().await;
    // VACUUM INTO accepts an empty existing file, so the copy inherits the mode above.
    if let Err(e) = db
        .execute(sql("VACUUM INTO $1").bind(text.to_owned()))
        .await
    {
        let _ = std::fs::remove_file(target);
        return Err(e);
    }
    let size = std::fs::metadata(target)
        .map_err(|e| StoreError::Config(format!("{}: {e}", target.display())))?
        .len();
    Ok(Backup::Written(size))
}

#[cfg(unix)]
fn create_new_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(|_| ())
}

#[cfg(not(unix))]
fn create_new_private(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(|_| ())
}
