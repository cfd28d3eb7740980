//! A two-series daily bar chart as inline SVG (no script, no external library).

use latchkey_store::request_logs::DayCounts;
use maud::{Markup, html};

const WIDTH: i64 = 640;
const HEIGHT: i64 = 180;
const BOTTOM: i64 = 24;

/// Bars for validations (a) and activations (b) over `days` consecutive UTC days
/// ending with `last_day`; `counts` may leave days out.
pub fn daily(counts: &[DayCounts], last_day: i64, days: i64) -> Markup {
    let first = last_day - days + 1;
    let series: Vec<DayCounts> = (first..=last_day)
        .map(|day| {
            counts
                .iter()
                .find(|c| c.day == day)
                .copied()
                .unwrap_or(DayCounts {
                    day,
                    ..DayCounts::default()
                })
        })
        .collect();
    let busiest = series
        .iter()
        .map(|c| c.validations.max(c.activations))
        .max()
        .unwrap_or(0);
    let top = busiest.max(1);
    let slot = WIDTH / days.max(1);
    let bar = (slot / 2 - 2).max(1);
    let plot = HEIGHT - BOTTOM;
    let height = |n: i64| n.saturating_mul(plot) / top;
    let label = |day: i64| {
        time::OffsetDateTime::from_unix_timestamp(day.saturating_mul(86_400))
            .map(|t| format!("{:02}-{:02}", u8::from(t.month()), t.day()))
            .unwrap_or_default()
    };
    let total_v: i64 = series.iter().map(|c| c.validations).sum();
    let total_a: i64 = series.iter().map(|c| c.activations).sum();
    html! {
        figure {
            svg.chart viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img"
                aria-label={ "Validations and activations per day over the last " (days) " days: "
                    (total_v) " validations, " (total_a) " activations; busiest day " (busiest) "." } {
                @for (i, c) in series.iter().enumerate() {
                    @let x = i as i64 * slot + 2;
                    rect.a x=(x) y=(plot - height(c.validations)) width=(bar) height=(height(c.validations)) {
                        title { (label(c.day)) ": " (c.validations) " validations" }
                    }
                    rect.b x=(x + bar + 1) y=(plot - height(c.activations)) width=(bar) height=(height(c.activations)) {
                        title { (label(c.day)) ": " (c.activations) " activations" }
                    }
                    text x=(x) y=(HEIGHT - 6) { (label(c.day)) }
                }
            }
            figcaption.legend {
                span.a { "■ validations (" (total_v) ")" }
                span.b { "■ activations (" (total_a) ")" }
                span { "busiest day: " (busiest) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_day_and_fill_missing_days() {
        let counts = [DayCounts {
            day: 10,
            validations: 4,
            activations: 2,
        }];
        let svg = daily(&counts, 11, 2).into_string();
        assert!(svg.contains("4 validations"), "{svg}");
        assert!(svg.contains("0 validations"), "{svg}");
        assert!(svg.contains("busiest day 4"), "{svg}");
        // No traffic at all still draws (no division by zero).
        assert!(daily(&[], 11, 7).into_string().contains("busiest day 0"));
    }
}
