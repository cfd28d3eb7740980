//! Machine heartbeat status (Keygen's NOT_STARTED / ALIVE / DEAD), from timestamps.

use crate::policy::HeartbeatResurrectionStrategy;
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
    /// Every status.
    pub const ALL: [HeartbeatStatus; 4] =
        [Self::NotStarted, Self::Alive, Self::Dead, Self::Resurrected];

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

/// The revive window of a resurrection strategy: `None` for ALWAYS_REVIVE (no end),
/// `Some(None)` for NO_REVIVE (no revival at all), else the window length.
pub fn revive_window(strategy: HeartbeatResurrectionStrategy) -> Option<Option<Duration>> {
    use HeartbeatResurrectionStrategy as S;
    let minutes = match strategy {
        S::AlwaysRevive => return None,
        S::NoRevive => return Some(None),
        S::Revive1Minute => 1,
        S::Revive2Minutes => 2,
        S::Revive5Minutes => 5,
        S::Revive10Minutes => 10,
        S::Revive15Minutes => 15,
    };
    Some(Some(Duration::minutes(minutes)))
}

/// Keygen's `resurrection_period_passed?`: never for ALWAYS_REVIVE; at once for
/// NO_REVIVE or when there is no heartbeat to count from; else once `now` is past
/// the next expected heartbeat plus the window.
pub fn resurrection_period_passed(
    strategy: HeartbeatResurrectionStrategy,
    next_heartbeat: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> bool {
    match (revive_window(strategy), next_heartbeat) {
        (None, _) => false,
        (Some(Some(window)), Some(next)) => now > next + window,
        _ => true,
    }
}

/// A process is ALIVE while its last heartbeat is within the duration (processes
/// always have one: it is set when they are spawned).
pub fn process_status(
    last_heartbeat: OffsetDateTime,
    duration_seconds: i64,
    now: OffsetDateTime,
) -> HeartbeatStatus {
    if last_heartbeat + Duration::seconds(duration_seconds) >= now {
        HeartbeatStatus::Alive
    } else {
        HeartbeatStatus::Dead
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

    #[test]
    fn revive_windows() {
        use HeartbeatResurrectionStrategy as S;
        let next = datetime!(2025-01-01 0:00 UTC);
        for (strategy, minutes) in [
            (S::Revive1Minute, 1),
            (S::Revive2Minutes, 2),
            (S::Revive5Minutes, 5),
            (S::Revive10Minutes, 10),
            (S::Revive15Minutes, 15),
        ] {
            let edge = next + Duration::minutes(minutes);
            assert!(!resurrection_period_passed(strategy, Some(next), edge));
            assert!(resurrection_period_passed(
                strategy,
                Some(next),
                edge + Duration::seconds(1)
            ));
            assert!(resurrection_period_passed(strategy, None, next));
        }
        assert!(resurrection_period_passed(S::NoRevive, Some(next), next));
        assert!(!resurrection_period_passed(
            S::AlwaysRevive,
            None,
            next + Duration::days(999)
        ));
    }
}
