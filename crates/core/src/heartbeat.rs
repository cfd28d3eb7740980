//! Machine heartbeat status (Keygen's NOT_STARTED / ALIVE / DEAD), from timestamps.

use time::{Duration, OffsetDateTime};

/// A machine's heartbeat state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeartbeatStatus {
    /// Never pinged, and not yet overdue.
    NotStarted,
    /// Pinged within the heartbeat duration.
    Alive,
    /// Overdue.
    Dead,
    /// Revived by the ping that produced this response.
    Resurrected,
}

impl HeartbeatStatus {
    /// Keygen's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "NOT_STARTED",
            Self::Alive => "ALIVE",
            Self::Dead => "DEAD",
            Self::Resurrected => "RESURRECTED",
        }
    }
}

/// Keygen's rule: never pinged → NOT_STARTED unless heartbeats are required and the
/// machine is older than one duration; pinged → ALIVE while within the duration.
pub fn machine_status(
    last_heartbeat: Option<OffsetDateTime>,
    created: OffsetDateTime,
    duration_seconds: i64,
    policy_requires_heartbeat: bool,
    now: OffsetDateTime,
) -> HeartbeatStatus {
    let duration = Duration::seconds(duration_seconds);
    match last_heartbeat {
        None if !policy_requires_heartbeat || created + duration >= now => {
            HeartbeatStatus::NotStarted
        }
        None => HeartbeatStatus::Dead,
        Some(last) if last + duration >= now => HeartbeatStatus::Alive,
        Some(_) => HeartbeatStatus::Dead,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn statuses_follow_keygen_rules() {
        let created = datetime!(2025-01-01 0:00 UTC);
        let soon = created + Duration::seconds(100);
        let late = created + Duration::seconds(700);
        assert_eq!(
            machine_status(None, created, 600, true, soon),
            HeartbeatStatus::NotStarted
        );
        assert_eq!(
            machine_status(None, created, 600, true, late),
            HeartbeatStatus::Dead
        );
        assert_eq!(
            machine_status(None, created, 600, false, late),
            HeartbeatStatus::NotStarted
        );
        assert_eq!(
            machine_status(Some(soon), created, 600, true, late),
            HeartbeatStatus::Alive
        );
        assert_eq!(
            machine_status(Some(created), created, 600, true, late),
            HeartbeatStatus::Dead
        );
    }
}
