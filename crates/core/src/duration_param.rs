//! Durations and instants in list filters (spec §5.4): durations as seconds or ISO-8601
//! (`P1D`, `PT12H`, `P2W`, `P1Y2M3DT4H5M6S`; years and months as Keygen counts them,
//! 365.2425 and 30.436875 days), instants as RFC 3339 or unix seconds.

use time::OffsetDateTime;

const DAY: f64 = 86_400.0;

/// Seconds in `text`, or `None` when it is neither an integer nor an ISO-8601 duration.
pub fn parse_duration_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return (seconds >= 0).then_some(seconds);
    }
    let rest = text.strip_prefix('P').or_else(|| text.strip_prefix('p'))?;
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut in_time = false;
    let mut number = String::new();
    let mut seen_unit = false;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            'T' if !in_time && number.is_empty() => in_time = true,
            '0'..='9' | '.' => number.push(c),
            unit => {
                let value: f64 = number.parse().ok()?;
                number.clear();
                let seconds = match (unit, in_time) {
                    ('Y', false) => 365.2425 * DAY,
                    ('M', false) => 30.436_875 * DAY,
                    ('W', false) => 7.0 * DAY,
                    ('D', false) => DAY,
                    ('H', true) => 3_600.0,
                    ('M', true) => 60.0,
                    ('S', true) => 1.0,
                    _ => return None,
                };
                total += value * seconds;
                seen_unit = true;
            }
        }
    }
    if !number.is_empty() || !seen_unit || !total.is_finite() || total > 1e15 {
        return None;
    }
    Some(total.round() as i64)
}

/// An instant given as RFC 3339, a calendar date (`2025-01-31`, its midnight UTC,
/// as Rails reads one) or unix seconds.
pub fn parse_instant(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return OffsetDateTime::from_unix_timestamp(seconds).ok();
    }
    let date_only = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(text, &date_only) {
        return Some(date.midnight().assume_utc());
    }
    latchkey_proto::time_format::parse(text)
}

/// Start and end (exclusive) of the UTC day containing `at`, as unix ms.
pub fn utc_day_ms(at: OffsetDateTime) -> (i64, i64) {
    let start = at.replace_time(time::Time::MIDNIGHT);
    let start_ms = latchkey_proto::time_format::to_millis(start);
    (start_ms, start_ms + 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_seconds_and_iso_8601() {
        assert_eq!(parse_duration_seconds("3600"), Some(3600));
        assert_eq!(parse_duration_seconds("P1D"), Some(86_400));
        assert_eq!(parse_duration_seconds("PT12H"), Some(43_200));
        assert_eq!(parse_duration_seconds("P2W"), Some(1_209_600));
        assert_eq!(parse_duration_seconds("P1DT1H1M1S"), Some(90_061));
        assert_eq!(parse_duration_seconds("P1Y"), Some(31_556_952));
        for bad in ["", "P", "PT", "P1H", "1D", "-5", "P1X", "P1", "soon"] {
            assert_eq!(parse_duration_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn instants_and_days() {
        let at = parse_instant("2026-01-02T15:04:05Z").unwrap();
        assert_eq!(parse_instant("1767366245"), Some(at));
        assert_eq!(parse_instant("yesterday"), None);
        let day = parse_instant("2026-01-02").unwrap();
        assert_eq!(
            latchkey_proto::time_format::to_millis(day),
            1_767_312_000_000
        );
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "2026-1-2",
            "20260102x",
            "2026-01-02T",
        ] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
        let (start, end) = utc_day_ms(at);
        assert_eq!(start, 1_767_312_000_000);
        assert_eq!(end - start, 86_400_000);
    }
}
