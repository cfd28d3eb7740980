//! WAL checkpoints off the write path (SQLite).
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the threshold:
//! it copies the WAL into the database file and fsyncs both while the committing
//! connection — our one writer — waits. Under heartbeat load that was one fsync
//! (≈ 6 ms here) every ≈ 30 commits with the writer held, a third of the writer's
//! time. The writer therefore turns automatic checkpoints off and this thread does
//! them: a `PASSIVE` checkpoint on its own connection every [`INTERVAL`], concurrent
//! with writes, which does the copying and the fsyncs.
//!
//! A checkpoint that runs beside writes never backfills the frames appended while it
//! ran, and SQLite only rewinds the WAL to its start once every frame is backfilled,
//! so under steady load the file would grow without end. When the WAL holds more
//! than [`REWIND_FRAMES`] frames, the thread therefore takes the writer's lock for
//! one more checkpoint: by then the earlier passes have copied almost everything, so
//! the writer waits for a short copy and the fsyncs, and the next write transaction
//! starts the WAL over.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::Weak;
use std::time::Duration;

/// How often the thread checkpoints.
const INTERVAL: Duration = Duration::from_millis(100);

/// WAL frames (pages) past which a checkpoint takes the writer's lock so that it
/// completes and the WAL starts over: 8,192 pages of 4 KiB, 32 MiB. Each such pass
/// holds the writer for two fsyncs (≈ 7 ms each here); at 4,096 frames heartbeats
/// reached the bound at every tick.
pub(crate) const REWIND_FRAMES: i64 = 8_192;

type Shared = tokio::sync::Mutex<Connection>;

/// Starts the checkpoint thread of the database at `path`; it ends on its next
/// tick after the writer is gone.
pub(crate) fn spawn(path: &Path, writer: Weak<Shared>) {
    let path = path.to_path_buf();
    let started = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || run(&path, &writer));
    if let Err(error) = started {
        tracing::error!(%error, "cannot start the SQLite checkpoint thread");
    }
}

fn run(path: &Path, writer: &Weak<Shared>) {
    let mut connection: Option<Connection> = None;
    // The WAL's frame count after the last pass that held the writer: while it is
    // unchanged, nothing was written since and the WAL starts over at the next write.
    let mut rewound_at = 0;
    loop {
        std::thread::sleep(INTERVAL);
        let Some(writer) = writer.upgrade() else {
            return;
        };
        if connection.is_none() {
            connection = open(path)
                .map_err(|error| tracing::warn!(%error, "SQLite checkpoint connection"))
                .ok();
        }
        let Some(conn) = &connection else { continue };
        let pass = match checkpoint(conn) {
            // A pass beside the writes copies what it saw, but the frames appended
            // meanwhile keep the WAL from starting over: past the bound, one more pass
            // holding the writer, so no frame is appended while it runs.
            Ok((frames, _)) if frames > REWIND_FRAMES && frames != rewound_at => {
                let _held = writer.blocking_lock();
                checkpoint(conn).map(|(frames, _)| rewound_at = frames)
            }
            other => other.map(|_| ()),
        };
        if let Err(error) = pass {
            tracing::warn!(%error, "SQLite checkpoint failed");
            connection = None;
        }
    }
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let connection = Connection::open_with_flags(path, flags)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;")?;
    Ok(connection)
}

/// One passive checkpoint: the frames in the WAL, and how many of them are now
/// copied into the database file.
pub(crate) fn checkpoint(connection: &Connection) -> rusqlite::Result<(i64, i64)> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}
