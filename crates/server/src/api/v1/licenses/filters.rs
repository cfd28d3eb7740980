//! The time and count filters of `GET /licenses` (spec §5.4): `expires[…]`,
//! `activity[…]` and `activations[…]`. Durations are seconds or ISO-8601, instants
//! RFC 3339 or unix seconds; a malformed value is a 400 naming the parameter. The
//! parsed values become SQL in `latchkey_store::license_list`.

use crate::error::{ApiError, ApiResult};
use crate::jsonapi::query::QueryParams;
use latchkey_core::duration_param::{parse_duration_seconds, parse_instant, utc_day_ms};
use latchkey_proto::ErrorCode;
use latchkey_store::license_list::{Activity, Cmp, Expires};

fn invalid(parameter: String, detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code(ErrorCode::ParametersInvalid)
        .parameter(parameter)
}

fn duration_ms(name: &str, op: &str, value: &str) -> ApiResult<i64> {
    parse_duration_seconds(value)
        .map(|s| s.saturating_mul(1000))
        .ok_or_else(|| {
            invalid(
                format!("{name}[{op}]"),
                "must be a duration (seconds or ISO-8601, e.g. P30D)",
            )
        })
}

fn instant_ms(name: &str, op: &str, value: &str) -> ApiResult<i64> {
    parse_instant(value)
        .map(latchkey_proto::time_format::to_millis)
        .ok_or_else(|| {
            invalid(
                format!("{name}[{op}]"),
                "must be a time (ISO-8601 or unix seconds)",
            )
        })
}

/// `expires[within|in|before|after|on]`.
pub fn expires(query: &QueryParams, now: i64) -> ApiResult<Vec<Expires>> {
    let mut filters = Vec::new();
    for (op, value) in query.prefixed("expires") {
        let filter = match op {
            "within" => Expires::Within {
                from: now,
                to: now.saturating_add(duration_ms("expires", op, value)?),
            },
            "in" => {
                let at = now.saturating_add(duration_ms("expires", op, value)?);
                day("expires[in]", at)?
            }
            "before" => Expires::Before(instant_ms("expires", op, value)?),
            "after" => Expires::After(instant_ms("expires", op, value)?),
            "on" => day("expires[on]", instant_ms("expires", op, value)?)?,
            other => {
                return Err(invalid(
                    format!("expires[{other}]"),
                    "must be one of within, in, before, after, on",
                ));
            }
        };
        filters.push(filter);
    }
    Ok(filters)
}

/// The UTC day around `at`.
fn day(parameter: &str, at: i64) -> ApiResult<Expires> {
    let day = latchkey_proto::time_format::from_millis(at)
        .ok_or_else(|| invalid(parameter.into(), "is out of range"))?;
    let (start, end) = utc_day_ms(day);
    Ok(Expires::Day { start, end })
}

/// `activity[inside|outside|before|after]`: licenses with (or without) activity in the
/// last duration, or whose last activity is before / after a time.
pub fn activity(query: &QueryParams, now: i64) -> ApiResult<Vec<Activity>> {
    let mut filters = Vec::new();
    for (op, value) in query.prefixed("activity") {
        let filter = match op {
            "inside" => Activity::Since(now.saturating_sub(duration_ms("activity", op, value)?)),
            "outside" => {
                Activity::NotSince(now.saturating_sub(duration_ms("activity", op, value)?))
            }
            "before" => Activity::NotSince(instant_ms("activity", op, value)?),
            "after" => Activity::Since(instant_ms("activity", op, value)?.saturating_add(1)),
            other => {
                return Err(invalid(
                    format!("activity[{other}]"),
                    "must be one of inside, outside, before, after",
                ));
            }
        };
        filters.push(filter);
    }
    Ok(filters)
}

/// `activations[eq|gt|gte|lt|lte]`: compares the number of machines.
pub fn activations(query: &QueryParams) -> ApiResult<Vec<(Cmp, i64)>> {
    let mut filters = Vec::new();
    for (op, value) in query.prefixed("activations") {
        let cmp = match op {
            "eq" => Cmp::Eq,
            "gt" => Cmp::Gt,
            "gte" => Cmp::Gte,
            "lt" => Cmp::Lt,
            "lte" => Cmp::Lte,
            other => {
                return Err(invalid(
                    format!("activations[{other}]"),
                    "must be one of eq, gt, gte, lt, lte",
                ));
            }
        };
        let count: i64 = value
            .trim()
            .parse()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                invalid(
                    format!("activations[{op}]"),
                    "must be a non-negative integer",
                )
            })?;
        filters.push((cmp, count));
    }
    Ok(filters)
}
