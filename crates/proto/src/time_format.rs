//! Keygen's timestamp format: ISO-8601 UTC with millisecond precision, e.g.
//! `2021-10-14T15:20:32.670Z`.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Formats a timestamp the way Keygen renders `created`, `expiry` and friends.
pub fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// Parses an RFC 3339 / ISO-8601 timestamp (any offset, optional fraction).
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).ok()
}

/// Converts unix milliseconds (the storage form) to a timestamp.
pub fn from_millis(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// Converts a timestamp to unix milliseconds (the storage form).
pub fn to_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        let at = parse("2021-10-14T15:20:32.670Z").unwrap();
        assert_eq!(format(at), "2021-10-14T15:20:32.670Z");
        assert_eq!(from_millis(to_millis(at)), Some(at));
    }
}
