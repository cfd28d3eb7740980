//! Calendar arithmetic for check-in intervals, license durations and renewals.

use crate::policy::CheckInInterval;
use time::{Duration, Month, OffsetDateTime};

/// `at` plus `count` calendar units (months and years clamp the day, as Rails does).
pub fn add_interval(at: OffsetDateTime, unit: CheckInInterval, count: i64) -> OffsetDateTime {
    match unit {
        CheckInInterval::Day => at.saturating_add(Duration::days(count)),
        CheckInInterval::Week => at.saturating_add(Duration::weeks(count)),
        CheckInInterval::Month => add_months(at, count),
        CheckInInterval::Year => add_months(at, count.saturating_mul(12)),
    }
}

fn add_months(at: OffsetDateTime, months: i64) -> OffsetDateTime {
    let zero_based = i64::from(at.year()) * 12 + i64::from(u8::from(at.month())) - 1 + months;
    let Ok(year) = i32::try_from(zero_based.div_euclid(12)) else {
        return at;
    };
    let Ok(month) = Month::try_from((zero_based.rem_euclid(12) + 1) as u8) else {
        return at;
    };
    let day = at.day().min(month.length(year));
    let Ok(date) = time::Date::from_calendar_date(year, month, day) else {
        return at;
    };
    at.replace_date(date)
}

/// The shortest and longest length of one `unit` in milliseconds (a month is 28 to
/// 31 days, a year 365 or 366), for SQL that pre-selects candidates before the
/// exact calendar arithmetic of [`add_interval`].
pub fn unit_length_bounds_ms(unit: CheckInInterval) -> (i64, i64) {
    const DAY: i64 = 86_400_000;
    match unit {
        CheckInInterval::Day => (DAY, DAY),
        CheckInInterval::Week => (7 * DAY, 7 * DAY),
        CheckInInterval::Month => (28 * DAY, 31 * DAY),
        CheckInInterval::Year => (365 * DAY, 366 * DAY),
    }
}

/// When the next check-in is due, if check-ins are configured.
pub fn next_check_in(
    last_check_in: Option<OffsetDateTime>,
    unit: Option<CheckInInterval>,
    count: Option<i64>,
) -> Option<OffsetDateTime> {
    Some(add_interval(last_check_in?, unit?, count?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn months_clamp_to_the_last_day() {
        let at = datetime!(2024-01-31 12:00 UTC);
        assert_eq!(
            add_interval(at, CheckInInterval::Month, 1),
            datetime!(2024-02-29 12:00 UTC)
        );
        assert_eq!(
            add_interval(at, CheckInInterval::Year, 1),
            datetime!(2025-01-31 12:00 UTC)
        );
        assert_eq!(
            add_interval(at, CheckInInterval::Week, 2),
            datetime!(2024-02-14 12:00 UTC)
        );
    }

    #[test]
    fn unit_bounds_hold_the_calendar() {
        let starts = [
            datetime!(2024-01-31 00:00 UTC),
            datetime!(2024-02-29 00:00 UTC),
            datetime!(2023-12-15 00:00 UTC),
            datetime!(2025-06-30 00:00 UTC),
        ];
        for unit in [
            CheckInInterval::Day,
            CheckInInterval::Week,
            CheckInInterval::Month,
            CheckInInterval::Year,
        ] {
            let (min, max) = unit_length_bounds_ms(unit);
            for at in starts {
                for count in [1, 2, 11, 365] {
                    let ms = (add_interval(at, unit, count) - at).whole_milliseconds() as i64;
                    assert!(
                        ms >= min * count && ms <= max * count,
                        "{unit:?} {at} {count}"
                    );
                }
            }
        }
    }
}
