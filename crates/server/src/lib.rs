//! The Latchkey HTTP server as a library: [`router`] builds the Keygen-compatible
//! API, [`serve`] runs it on a listener (plain or TLS, with timeouts and limits, see
//! [`net`]) until a shutdown future resolves, so tests bind port 0 and drive the
//! real server over HTTP.

#![recursion_limit = "256"]

pub mod account;
pub mod admin;
pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod client_ip;
pub mod config;
pub mod encoding;
pub mod error;
pub mod events;
pub mod jobs;
pub mod jsonapi;
pub mod middleware;
pub mod net;
pub mod openapi;
pub mod ratelimit;
pub mod request_id;
pub mod request_logs;
pub mod signing;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod version;

pub use config::Config;
pub use state::AppState;

use axum::Router;
use std::future::Future;
use tokio::net::TcpListener;

/// The route table behind its request-level layers (outermost first): the body
/// deadline, rate limits, content negotiation. Paths are account-less here.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let limits = std::sync::Arc::new(ratelimit::RateLimits::new(&state));
    api::v1::routes::routes()
        .fallback(middleware::fallback)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(encoding::reject_bad_encoding))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::negotiate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            limits,
            ratelimit::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            net::body::layer,
        ))
        .layer(axum::middleware::from_fn(version::layer))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_logs::layer,
        ))
        .merge(api::v1::routes::storage_routes())
        // After routing (a router layer), so the matched route template is known.
        .layer(axum::middleware::from_fn(telemetry::http::matched))
        .with_state(state)
}

/// The whole application: the request id, request metrics, client address and account
/// resolution in front of [`router`] (account resolution rewrites the path, so it runs
/// before routing), and the admin UI at `/admin` ([`admin`]).
pub fn app(state: AppState) -> net::App {
    use tower::Layer;
    let routed = router(state.clone());
    let with_account =
        axum::middleware::from_fn_with_state(state.clone(), account::resolve).layer(routed);
    // The admin UI calls the API in-process through this same service.
    let api = net::App::new(with_account);
    let site = if state.config.admin_ui {
        admin::mount(state.clone(), api)
    } else {
        axum::Router::new().fallback_service(api)
    };
    let with_client = axum::middleware::from_fn_with_state(state, client_ip::layer).layer(site);
    let timed = axum::middleware::from_fn(telemetry::http::track).layer(with_client);
    let with_id = axum::middleware::from_fn(request_id::layer).layer(timed);
    net::App::new(with_id)
}

/// Serves until `shutdown` resolves, with the connection limits, timeouts, TLS and
/// bounded drain of `state.config` (see [`net`]).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics_server = match state.config.metrics.listen {
        Some(addr) => Some(serve_metrics(addr, &state).await?),
        None => None,
    };
    let upkeep = telemetry::spawn_upkeep();
    // Every node culls; the atomic deletes make that safe (see jobs::cull).
    let culler = jobs::cull::spawn(
        state.db.clone(),
        state.clock.clone(),
        state.config.cull_interval,
    );
    let deliverer = events::deliver::spawn(state.clone());
    let pruner = jobs::scheduled::spawn(
        state.db.clone(),
        state.clock.clone(),
        state.config.logs.clone(),
    );
    let config = state.config.clone();
    let validation_events = state.validation_events.clone();
    let request_logs = state.request_logs.clone();
    let db = state.db.clone();
    let result = net::run(listener, app(state), &config, shutdown).await;
    if let Some((metrics, stop)) = metrics_server {
        drop(stop);
        let _ = metrics.await;
    }
    upkeep.abort();
    validation_events.flush().await;
    db.flush_event_logs().await;
    if let Some(request_logs) = &request_logs {
        request_logs.flush().await;
    }
    if let Some(culler) = culler {
        culler.abort();
    }
    if let Some(deliverer) = deliverer {
        deliverer.abort();
    }
    if let Some(pruner) = pruner {
        pruner.abort();
    }
    result
}

/// Binds `metrics_listen` and serves `/metrics` there (plain HTTP, no token) until the
/// returned sender is dropped.
async fn serve_metrics(
    addr: std::net::SocketAddr,
    state: &AppState,
) -> std::io::Result<(
    tokio::task::JoinHandle<std::io::Result<()>>,
    tokio::sync::watch::Sender<()>,
)> {
    let listener = TcpListener::bind(addr).await.map_err(|error| {
        std::io::Error::new(
            error.kind(),
            format!("binding metrics_listen {addr}: {error}"),
        )
    })?;
    let bound = listener.local_addr().unwrap_or(addr);
    tracing::info!(addr = %bound, "metrics listening on http://{bound}{}", telemetry::PATH);
    let mut config = state.config.clone();
    config.tls = None;
    config.max_connections = config.max_connections.min(64);
    let (stop, mut stopped) = tokio::sync::watch::channel(());
    let app = telemetry::endpoint::app(state.clone());
    let serving = tokio::spawn(async move {
        let shutdown = async move { while stopped.changed().await.is_ok() {} };
        net::run(listener, app, &config, shutdown).await
    });
    Ok((serving, stop))
}
