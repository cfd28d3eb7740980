//! Prometheus metrics. One recorder per process (the `metrics` facade is global),
//! installed by [`install`] when the first [`crate::AppState`] is built; the macros
//! record into it and `GET /metrics` ([`endpoint`]) renders it in the text format.
//!
//! What is recorded where:
//! - [`http`]: every request's count and latency, labelled by the matched route
//!   template (never the raw URL), method and status class;
//! - [`jobs`]: how late each scheduled job pass and each webhook delivery claim
//!   runs against when it was due;
//! - at scrape time ([`sample`]): the validation cache's counters and the database
//!   pool's connections, read from the store.

pub mod endpoint;
pub mod http;
pub mod jobs;

use crate::state::AppState;
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// The route (on the API address and on `metrics_listen`).
pub const PATH: &str = "/metrics";

/// Requests answered, by route, method and status class.
pub const HTTP_REQUESTS: &str = "latchkey_http_requests_total";
/// Seconds from the request's arrival in the application to its answer.
pub const HTTP_DURATION: &str = "latchkey_http_request_duration_seconds";
/// Validation snapshot lookups answered from memory.
pub const CACHE_HITS: &str = "latchkey_validation_cache_hits_total";
/// Validation snapshot lookups that read the database.
pub const CACHE_MISSES: &str = "latchkey_validation_cache_misses_total";
/// Snapshots and cached tokens pushed out by the cache's size bound.
pub const CACHE_EVICTIONS: &str = "latchkey_validation_cache_evictions_total";
/// Snapshots and cached tokens dropped because a write changed what they hold.
pub const CACHE_INVALIDATIONS: &str = "latchkey_validation_cache_invalidations_total";
/// Snapshots held now.
pub const CACHE_ENTRIES: &str = "latchkey_validation_cache_entries";
/// API token lookups answered from memory.
pub const CREDENTIAL_HITS: &str = "latchkey_credential_cache_hits_total";
/// API token lookups that read the database.
pub const CREDENTIAL_MISSES: &str = "latchkey_credential_cache_misses_total";
/// API tokens (with their bearers) held in memory now.
pub const CREDENTIAL_ENTRIES: &str = "latchkey_credential_cache_entries";
/// Open connections of the database pool.
pub const DB_CONNECTIONS: &str = "latchkey_db_pool_connections";
/// Idle connections of the database pool.
pub const DB_IDLE: &str = "latchkey_db_pool_idle_connections";
/// The pool's connection limit.
pub const DB_MAX: &str = "latchkey_db_pool_max_connections";
/// Seconds a job pass or delivery claim ran after it was due.
pub const JOB_LAG: &str = "latchkey_job_lag_seconds";
/// Job passes and delivery claims run.
pub const JOB_RUNS: &str = "latchkey_job_runs_total";

/// Request latency buckets, in seconds (validate-key answers in well under a
/// millisecond when the cache holds the license).
const HTTP_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Job lateness buckets, in seconds (a poll interval is 0.5 s, a job interval minutes).
const JOB_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// How often recorded histogram samples are folded into their buckets when nobody
/// scrapes (a scrape folds them too).
const UPKEEP: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

fn builder() -> PrometheusBuilder {
    // Fails only for an empty bucket list; the plain builder renders summaries instead.
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), HTTP_BUCKETS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(JOB_LAG.to_owned()), JOB_BUCKETS))
        .unwrap_or_else(|_| PrometheusBuilder::new())
}

/// Installs the process's recorder (once; later calls return the same handle). If
/// another recorder was installed first, this one still renders, but holds nothing.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = builder().build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::warn!(%error, "metrics: another recorder is installed; /metrics stays empty");
        }
        describe();
        http::prepare();
        handle
    })
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "Requests answered, by matched route template, method and status class."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its answer, by matched route template, method and status class."
    );
    describe_counter!(
        CACHE_HITS,
        "Validation snapshot lookups answered from memory."
    );
    describe_counter!(
        CACHE_MISSES,
        "Validation snapshot lookups that read the database."
    );
    describe_counter!(
        CACHE_EVICTIONS,
        "Validation snapshots and cached API tokens pushed out by validation_cache_size."
    );
    describe_counter!(
        CACHE_INVALIDATIONS,
        "Validation snapshots and cached API tokens dropped because a write changed them."
    );
    describe_gauge!(CACHE_ENTRIES, "Validation snapshots held now.");
    describe_counter!(
        CREDENTIAL_HITS,
        "API token lookups (token and bearer) answered from memory."
    );
    describe_counter!(
        CREDENTIAL_MISSES,
        "API token lookups (token and bearer) that read the database."
    );
    describe_gauge!(
        CREDENTIAL_ENTRIES,
        "API tokens held in memory with their bearers."
    );
    describe_gauge!(
        DB_CONNECTIONS,
        "Open connections of the database pool (SQLite: the writer)."
    );
    describe_gauge!(
        DB_IDLE,
        "Idle connections of the database pool (SQLite writer: 0 while a write runs)."
    );
    describe_gauge!(DB_MAX, "Connection limit of the database pool.");
    describe_histogram!(
        JOB_LAG,
        Unit::Seconds,
        "How late a scheduled job pass or a webhook delivery claim ran against when it was due."
    );
    describe_counter!(
        JOB_RUNS,
        "Scheduled job passes and webhook delivery claims run."
    );
}

/// Reads what the store counts itself (cache, pool) into the recorder.
pub fn sample(state: &AppState) {
    let cache = state.db.snapshot_cache().stats();
    metrics::counter!(CACHE_HITS).absolute(cache.hits);
    metrics::counter!(CACHE_MISSES).absolute(cache.misses);
    metrics::counter!(CACHE_EVICTIONS).absolute(cache.evictions);
    metrics::counter!(CACHE_INVALIDATIONS).absolute(cache.invalidations);
    metrics::gauge!(CACHE_ENTRIES).set(cache.entries as f64);
    metrics::counter!(CREDENTIAL_HITS).absolute(cache.credential_hits);
    metrics::counter!(CREDENTIAL_MISSES).absolute(cache.credential_misses);
    metrics::gauge!(CREDENTIAL_ENTRIES).set(cache.credential_entries as f64);
    let pool = state.db.pool_stats();
    metrics::gauge!(DB_CONNECTIONS, "pool" => pool.pool).set(f64::from(pool.size));
    metrics::gauge!(DB_IDLE, "pool" => pool.pool).set(f64::from(pool.idle));
    metrics::gauge!(DB_MAX, "pool" => pool.pool).set(f64::from(pool.max));
}

/// The Prometheus text document, with the store's figures read just now.
pub fn render(state: &AppState) -> String {
    let handle = install();
    sample(state);
    handle.render()
}

/// Folds histogram samples into their buckets every few seconds, so memory stays
/// bounded between scrapes, until the handle is aborted.
pub fn spawn_upkeep() -> tokio::task::JoinHandle<()> {
    let handle = install();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(UPKEEP);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            handle.run_upkeep();
        }
    })
}
