//! The time and count filters of `GET /licenses` (spec §5.4): `expires[…]`,
//! `activity[…]` and `activations[…]`. Durations are seconds or ISO-8601, instants
//! RFC 3339 or unix seconds; a malformed value is a 400 naming the parameter.

use crate::error::{ApiError, ApiResult};
use crate::jsonapi::query::QueryParams;
use latchkey_core::duration_param::{parse_duration_seconds, parse_instant, utc_day_ms};
use latchkey_store::crud::Filter;

fn invalid(parameter: String, detail: &str) -> ApiError {
    ApiError::bad_request(detail)
        .code("PARAMETERS_INVALID")
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
pub fn expires(query: &QueryParams, now: i64) -> ApiResult<Vec<Filter>> {
    let mut filters = Vec::new();
    for (op, value) in query.prefixed("expires") {
        let filter = match op {
            "within" => Filter::new(
                "expiry IS NOT NULL AND expiry >= {} AND expiry <= {}",
                vec![
                    now.into(),
                    now.saturating_add(duration_ms("expires", op, value)?)
                        .into(),
                ],
            ),
            "in" => {
                let at = now.saturating_add(duration_ms("expires", op, value)?);
                let day = latchkey_proto::time_format::from_millis(at)
                    .ok_or_else(|| invalid("expires[in]".into(), "is out of range"))?;
                let (start, end) = utc_day_ms(day);
                Filter::new(
                    "expiry IS NOT NULL AND expiry >= {} AND expiry < {}",
                    vec![start.into(), end.into()],
                )
            }
            "before" => Filter::new(
                "expiry IS NOT NULL AND expiry < {}",
                vec![instant_ms("expires", op, value)?.into()],
            ),
            "after" => Filter::new(
                "expiry IS NOT NULL AND expiry > {}",
                vec![instant_ms("expires", op, value)?.into()],
            ),
            "on" => {
                let at = instant_ms("expires", op, value)?;
                let day = latchkey_proto::time_format::from_millis(at)
                    .ok_or_else(|| invalid("expires[on]".into(), "is out of range"))?;
                let (start, end) = utc_day_ms(day);
                Filter::new(
                    "expiry IS NOT NULL AND expiry >= {} AND expiry < {}",
                    vec![start.into(), end.into()],
                )
            }
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

/// Any activity (creation, validation, check-in, check-out) at or after `{}`.
const ACTIVE_SINCE: &str = "(created_at >= {} OR COALESCE(last_validated_at, 0) >= {} \
     OR COALESCE(last_check_in_at, 0) >= {} OR COALESCE(last_check_out_at, 0) >= {})";

fn four(at: i64) -> Vec<latchkey_store::Arg> {
    vec![at.into(), at.into(), at.into(), at.into()]
}

/// `activity[inside|outside|before|after]`: licenses with (or without) activity in the
/// last duration, or whose last activity is before / after a time.
pub fn activity(query: &QueryParams, now: i64) -> ApiResult<Vec<Filter>> {
    let mut filters = Vec::new();
    for (op, value) in query.prefixed("activity") {
        let filter = match op {
            "inside" => Filter::new(
                ACTIVE_SINCE,
                four(now.saturating_sub(duration_ms("activity", op, value)?)),
            ),
            "outside" => Filter::new(
                format!("NOT {ACTIVE_SINCE}"),
                four(now.saturating_sub(duration_ms("activity", op, value)?)),
            ),
            "before" => Filter::new(
                format!("NOT {ACTIVE_SINCE}"),
                four(instant_ms("activity", op, value)?),
            ),
            "after" => Filter::new(
                ACTIVE_SINCE,
                four(instant_ms("activity", op, value)?.saturating_add(1)),
            ),
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
pub fn activations(query: &QueryParams) -> ApiResult<Vec<Filter>> {
    let mut filters = Vec::new();
    for (op, value) in query.prefixed("activations") {
        let cmp = match op {
            "eq" => "=",
            "gt" => ">",
            "gte" => ">=",
            "lt" => "<",
            "lte" => "<=",
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
        filters.push(Filter::new(
            format!(
                "(SELECT COUNT(*) FROM machines m WHERE m.license_id = licenses.id) {cmp} {{}}"
            ),
            vec![count.into()],
        ));
    }
    Ok(filters)
}
