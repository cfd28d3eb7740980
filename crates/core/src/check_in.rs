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
}
