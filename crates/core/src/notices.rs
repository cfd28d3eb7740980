//! Scheduled license notices (Keygen's LicenseExpirationsWorker and
//! LicenseOverdueCheckInsWorker): which of `license.expired`,
//! `license.expiring-soon`, `license.check-in-overdue` and
//! `license.check-in-required-soon` a license is due at `now`, given when each was
//! last sent. All instants are unix milliseconds.
//!
//! Keygen's rules, restated:
//! - only licenses whose expiry (or next check-in) lies within three days of now,
//!   either side, are considered;
//! - an expired license (expiry before now) gets `license.expired` while its
//!   expiry is at most 12 hours old, at most once per 24 hours (so at most two in total), otherwise a
//!   license expiring within three days gets `license.expiring-soon`, at most once
//!   per 24 hours;
//! - an unexpired license whose check-in is overdue gets `license.check-in-overdue`
//!   while it is less than 12 hours overdue, at most once per 24 hours, otherwise one
//!   due within three days gets `license.check-in-required-soon`, at most once per
//!   24 hours. A license never checked in has no next check-in and gets neither.

use crate::licensing::DAY_MS;

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// How far either side of now an expiry or next check-in is considered.
pub const WINDOW_MS: i64 = 3 * DAY_MS;
/// The least time between two notices of the same kind for one license.
pub const REPEAT_AFTER_MS: i64 = 24 * HOUR_MS;
/// How long after the expiry (or missed check-in) the overdue notice is still sent.
pub const OVERDUE_FOR_MS: i64 = 12 * HOUR_MS;

/// A scheduled notice: the event it sends and the license column recording when
/// it was last sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// `license.expired`.
    Expired,
    /// `license.expiring-soon`.
    ExpiringSoon,
    /// `license.check-in-overdue`.
    CheckInOverdue,
    /// `license.check-in-required-soon`.
    CheckInRequiredSoon,
}

impl Notice {
    /// Every notice.
    pub const ALL: [Notice; 4] = [
        Notice::Expired,
        Notice::ExpiringSoon,
        Notice::CheckInOverdue,
        Notice::CheckInRequiredSoon,
    ];

    /// The event name.
    pub fn event(self) -> &'static str {
        match self {
            Notice::Expired => "license.expired",
            Notice::ExpiringSoon => "license.expiring-soon",
            Notice::CheckInOverdue => "license.check-in-overdue",
            Notice::CheckInRequiredSoon => "license.check-in-required-soon",
        }
    }

    /// The license column holding when it was last sent.
    pub fn column(self) -> &'static str {
        match self {
            Notice::Expired => "last_expiration_event_sent_at",
            Notice::ExpiringSoon => "last_expiring_soon_event_sent_at",
            Notice::CheckInOverdue => "last_check_in_event_sent_at",
            Notice::CheckInRequiredSoon => "last_check_in_soon_event_sent_at",
        }
    }
}

/// When each notice was last sent to one license.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// `license.expired`.
    pub expired: Option<i64>,
    /// `license.expiring-soon`.
    pub expiring_soon: Option<i64>,
    /// `license.check-in-overdue`.
    pub check_in_overdue: Option<i64>,
    /// `license.check-in-required-soon`.
    pub check_in_required_soon: Option<i64>,
}

impl Sent {
    /// When `notice` was last sent.
    pub fn get(&self, notice: Notice) -> Option<i64> {
        match notice {
            Notice::Expired => self.expired,
            Notice::ExpiringSoon => self.expiring_soon,
            Notice::CheckInOverdue => self.check_in_overdue,
            Notice::CheckInRequiredSoon => self.check_in_required_soon,
        }
    }
}

/// Whether a notice last sent at `last` may be sent again at `now`.
pub fn may_repeat(last: Option<i64>, now: i64) -> bool {
    last.is_none_or(|at| at <= now.saturating_sub(REPEAT_AFTER_MS))
}

fn within_window(at: i64, now: i64) -> bool {
    at >= now.saturating_sub(WINDOW_MS) && at <= now.saturating_add(WINDOW_MS)
}

/// The expiration notice due at `now` for a license expiring at `expiry` (expired
/// means `expiry < now`, as the license status has it).
pub fn expiration(expiry: Option<i64>, sent: &Sent, now: i64) -> Option<Notice> {
    let expiry = expiry.filter(|&at| within_window(at, now))?;
    let notice = if expiry < now {
        if expiry < now.saturating_sub(OVERDUE_FOR_MS) {
            return None;
        }
        Notice::Expired
    } else if expiry < now.saturating_add(WINDOW_MS) {
        Notice::ExpiringSoon
    } else {
        return None;
    };
    may_repeat(sent.get(notice), now).then_some(notice)
}

/// The check-in notice due at `now` for a license whose next check-in is
/// `next_check_in` (None when the policy needs none or it never checked in).
pub fn check_in(
    next_check_in: Option<i64>,
    expiry: Option<i64>,
    sent: &Sent,
    now: i64,
) -> Option<Notice> {
    let next = next_check_in.filter(|&at| within_window(at, now))?;
    if expiry.is_some_and(|at| at < now) {
        return None;
    }
    let notice = if next < now {
        if next < now.saturating_sub(OVERDUE_FOR_MS) {
            return None;
        }
        Notice::CheckInOverdue
    } else if next < now.saturating_add(WINDOW_MS) {
        Notice::CheckInRequiredSoon
    } else {
        return None;
    };
    may_repeat(sent.get(notice), now).then_some(notice)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000 * DAY_MS;
    const NONE: Sent = Sent {
        expired: None,
        expiring_soon: None,
        check_in_overdue: None,
        check_in_required_soon: None,
    };

    #[test]
    fn expiration_table() {
        let cases: &[(Option<i64>, Option<Notice>)] = &[
            (None, None),
            (Some(NOW + WINDOW_MS + 1), None),
            (Some(NOW + WINDOW_MS), None),
            (Some(NOW + WINDOW_MS - 1), Some(Notice::ExpiringSoon)),
            (Some(NOW), Some(Notice::ExpiringSoon)),
            (Some(NOW - 1), Some(Notice::Expired)),
            (Some(NOW - OVERDUE_FOR_MS), Some(Notice::Expired)),
            (Some(NOW - OVERDUE_FOR_MS - 1), None),
            (Some(NOW - WINDOW_MS - 1), None),
            (Some(i64::MIN), None),
            (Some(i64::MAX), None),
        ];
        for &(expiry, want) in cases {
            assert_eq!(expiration(expiry, &NONE, NOW), want, "expiry {expiry:?}");
        }
    }

    #[test]
    fn each_notice_repeats_at_most_daily() {
        let soon = Some(NOW + DAY_MS);
        let sent = Sent {
            expiring_soon: Some(NOW - REPEAT_AFTER_MS + 1),
            ..NONE
        };
        assert_eq!(expiration(soon, &sent, NOW), None);
        let sent = Sent {
            expiring_soon: Some(NOW - REPEAT_AFTER_MS),
            ..NONE
        };
        assert_eq!(expiration(soon, &sent, NOW), Some(Notice::ExpiringSoon));
        // An expiring-soon sent an hour ago does not hold back the expired notice.
        let sent = Sent {
            expiring_soon: Some(NOW - HOUR_MS),
            ..NONE
        };
        assert_eq!(expiration(Some(NOW - 1), &sent, NOW), Some(Notice::Expired));
    }

    #[test]
    fn check_in_table() {
        let cases: &[(Option<i64>, Option<i64>, Option<Notice>)] = &[
            (None, None, None),
            (Some(NOW + WINDOW_MS + 1), None, None),
            (Some(NOW + WINDOW_MS), None, None),
            (
                Some(NOW + WINDOW_MS - 1),
                None,
                Some(Notice::CheckInRequiredSoon),
            ),
            (Some(NOW), None, Some(Notice::CheckInRequiredSoon)),
            (Some(NOW - 1), None, Some(Notice::CheckInOverdue)),
            (
                Some(NOW - OVERDUE_FOR_MS),
                None,
                Some(Notice::CheckInOverdue),
            ),
            (Some(NOW - OVERDUE_FOR_MS - 1), None, None),
            // An expired license gets no check-in notices.
            (Some(NOW - 1), Some(NOW - 1), None),
            (Some(NOW - 1), Some(NOW), Some(Notice::CheckInOverdue)),
            (
                Some(NOW + DAY_MS),
                Some(NOW + 2 * DAY_MS),
                Some(Notice::CheckInRequiredSoon),
            ),
        ];
        for &(next, expiry, want) in cases {
            assert_eq!(check_in(next, expiry, &NONE, NOW), want, "next {next:?}");
        }
    }

    #[test]
    fn columns_and_events_are_distinct() {
        let columns: std::collections::HashSet<_> =
            Notice::ALL.iter().map(|n| n.column()).collect();
        let events: std::collections::HashSet<_> = Notice::ALL.iter().map(|n| n.event()).collect();
        assert_eq!((columns.len(), events.len()), (4, 4));
    }
}
