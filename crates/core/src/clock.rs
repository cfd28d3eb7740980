//! The only place that reads the wall clock. Everything else receives `now` as an
//! argument so expiry, heartbeat and check-in boundaries are testable.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned wall-clock read
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock tests can move: starts at a given instant, advanced explicitly.
#[derive(Debug, Clone)]
pub struct ManualClock {
    unix_millis: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock frozen at `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        let ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
        Self {
            unix_millis: Arc::new(AtomicI64::new(ms)),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: time::Duration) {
        self.unix_millis
            .fetch_add(by.whole_milliseconds() as i64, Ordering::SeqCst);
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: OffsetDateTime) {
        self.unix_millis.store(
            (at.unix_timestamp_nanos() / 1_000_000) as i64,
            Ordering::SeqCst,
        );
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let ms = self.unix_millis.load(Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// Shared handle to whichever clock the server runs on.
pub type SharedClock = Arc<dyn Clock>;
