//! Request count and latency per route. [`track`] (in front of the application, inside
//! the request-id span) times every request; [`matched`] (a router layer, so it runs
//! after routing) names the route from axum's [`MatchedPath`] — the template
//! (`/v1/licenses/{id}`), never the URL, so the label set is bounded by the route
//! table. The two meet through a task-local, and each (route, method, status class)
//! keeps its registered counter and histogram, so a request allocates nothing here.

use super::{HTTP_DURATION, HTTP_REQUESTS};
use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Histogram, counter, histogram};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

/// The route label of a request no route matched (404s).
pub const UNMATCHED: &str = "unmatched";

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "OTHER",
];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

tokio::task_local! {
    /// The matched route's index in [`Routes::labels`] (0: none matched).
    static ROUTE: Cell<usize>;
}

/// One label combination's registered instruments.
struct Series {
    requests: Counter,
    duration: Histogram,
}

/// Every route template with its index, and the instruments by (route, method, class).
struct Routes {
    index: HashMap<&'static str, usize>,
    labels: Vec<&'static str>,
    series: Vec<OnceLock<Series>>,
}

/// Builds the route label table now, so the first request does not.
pub fn prepare() {
    let _ = routes();
}

fn routes() -> &'static Routes {
    static ROUTES: OnceLock<Routes> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let mut labels = vec![UNMATCHED];
        labels.extend(
            crate::api::v1::routes::route_list()
                .into_iter()
                .map(|route| route.path),
        );
        labels.push(crate::api::v1::routes::ARTIFACT_BLOB);
        labels.sort_unstable();
        labels.dedup();
        if let Some(at) = labels.iter().position(|l| *l == UNMATCHED) {
            labels.swap(0, at);
        }
        let index = labels.iter().enumerate().map(|(i, l)| (*l, i)).collect();
        let series = std::iter::repeat_with(OnceLock::new)
            .take(labels.len() * METHODS.len() * CLASSES.len())
            .collect();
        Routes {
            index,
            labels,
            series,
        }
    })
}

fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::PATCH => 3,
        Method::DELETE => 4,
        Method::HEAD => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

fn class_index(status: StatusCode) -> usize {
    match status.as_u16() / 100 {
        1 => 0,
        2 => 1,
        3 => 2,
        4 => 3,
        _ => 4,
    }
}

fn record(route: usize, method: usize, status: StatusCode, seconds: f64) {
    let table = routes();
    let class = class_index(status);
    let at = (route * METHODS.len() + method) * CLASSES.len() + class;
    let (Some(cell), Some(label)) = (table.series.get(at), table.labels.get(route)) else {
        return;
    };
    let series = cell.get_or_init(|| {
        let (route, method, class) = (*label, METHODS[method], CLASSES[class]);
        Series {
            requests: counter!(HTTP_REQUESTS, "route" => route, "method" => method, "status" => class),
            duration: histogram!(HTTP_DURATION, "route" => route, "method" => method, "status" => class),
        }
    });
    series.requests.increment(1);
    series.duration.record(seconds);
}

/// Times the request and records it under the route [`matched`] named.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_index(request.method());
    ROUTE
        .scope(Cell::new(0), async move {
            let response = next.run(request).await;
            let elapsed = started.elapsed();
            let route = ROUTE.try_with(Cell::get).unwrap_or(0);
            record(route, method, response.status(), elapsed.as_secs_f64());
            tracing::debug!(
                method = METHODS[method],
                route = routes().labels.get(route).copied().unwrap_or(UNMATCHED),
                status = response.status().as_u16(),
                micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
                "answered"
            );
            response
        })
        .await
}

/// Notes the matched route template for [`track`].
pub async fn matched(request: Request, next: Next) -> Response {
    if let Some(path) = request.extensions().get::<MatchedPath>()
        && let Some(index) = routes().index.get(path.as_str())
    {
        let _ = ROUTE.try_with(|route| route.set(*index));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_template_has_a_label_and_unmatched_is_first() {
        let table = routes();
        assert_eq!(table.labels[0], UNMATCHED);
        for path in [
            "/v1/ping",
            "/v1/licenses/actions/validate-key",
            "/v1/licenses/{id}",
            "/metrics",
            crate::api::v1::routes::ARTIFACT_BLOB,
        ] {
            assert!(table.index.contains_key(path), "{path}");
        }
        assert_eq!(
            table.series.len(),
            table.labels.len() * METHODS.len() * CLASSES.len()
        );
    }

    #[test]
    fn methods_and_classes_map_to_fixed_labels() {
        assert_eq!(METHODS[method_index(&Method::GET)], "GET");
        assert_eq!(METHODS[method_index(&Method::TRACE)], "OTHER");
        assert_eq!(CLASSES[class_index(StatusCode::OK)], "2xx");
        assert_eq!(CLASSES[class_index(StatusCode::NOT_FOUND)], "4xx");
        assert_eq!(CLASSES[class_index(StatusCode::SERVICE_UNAVAILABLE)], "5xx");
    }
}
