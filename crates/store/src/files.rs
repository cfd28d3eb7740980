//! Files of the SQLite backend are private to their owner: the database holds license
//! keys that work as credentials. Folders the server creates get mode 0700, the database
//! and its `-wal`/`-shm`/`-journal` companions 0600 (SQLite gives the companions the
//! database file's mode when it creates them).

use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents with mode 0700. Existing folders are left
/// as they are (the operator may have chosen a shared parent such as `/var/lib`).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes sure the database at `path` exists with mode 0600: creates it (and its folder,
/// 0700) when missing, and narrows the mode of an existing database and its companion
/// files when group or others could read them.
pub fn prepare_database_file(path: &Path) -> io::Result<()> {
    if path.as_os_str().is_empty() || path == Path::new(":memory:") {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    create_private_file(path)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        restrict(Path::new(&companion))?;
    }
    restrict(path)
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn create_private_file(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// Narrows an existing file to 0600 if group or others have any access.
#[cfg(unix)]
fn restrict(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if metadata.is_file() && metadata.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    #[test]
    fn creates_private_folders_and_database() -> io::Result<()> {
        let base = std::env::temp_dir().join(format!("latchkey-files-{}", uuid::Uuid::new_v4()));
        let db = base.join("data").join("latchkey.db");
        prepare_database_file(&db)?;
        assert_eq!(mode(&base), 0o700);
        assert_eq!(mode(&base.join("data")), 0o700);
        assert_eq!(mode(&db), 0o600);
        std::fs::remove_dir_all(&base)
    }

    #[test]
    fn narrows_an_existing_world_readable_database() -> io::Result<()> {
        let base = std::env::temp_dir().join(format!("latchkey-files-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&base)?;
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755))?;
        let db = base.join("latchkey.db");
        let wal = base.join("latchkey.db-wal");
        std::fs::write(&db, b"")?;
        std::fs::write(&wal, b"")?;
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644))?;
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644))?;
        prepare_database_file(&db)?;
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&wal), 0o600);
        // A folder the operator made is not ours to change.
        assert_eq!(mode(&base), 0o755);
        std::fs::remove_dir_all(&base)
    }
}
