//! The Latchkey HTTP server as a library: [`router`] builds the Keygen-compatible
//! API, [`serve`] runs it on a listener until a shutdown future resolves, so tests
//! bind port 0 and drive the real server over HTTP.

#![recursion_limit = "256"]

pub mod account;
pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod encoding;
pub mod error;
pub mod jobs;
pub mod jsonapi;
pub mod middleware;
pub mod signing;
pub mod state;

pub use config::Config;
pub use state::AppState;

use axum::Router;
use std::future::Future;
use tokio::net::TcpListener;

/// The whole application: account resolution in front of the route table.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    api::v1::routes::routes()
        .fallback(middleware::fallback)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(encoding::reject_bad_encoding))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::negotiate,
        ))
        .with_state(state)
}

/// Serves until `shutdown` resolves; in-flight requests finish first.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use tower::Layer;
    // Every node culls; the atomic deletes make that safe (see jobs::cull).
    let culler = jobs::cull::spawn(
        state.db.clone(),
        state.clock.clone(),
        state.config.cull_interval,
    );
    let app = router(state.clone());
    // Account resolution rewrites the path, so it must run before routing.
    let app = axum::middleware::from_fn_with_state(state, account::resolve).layer(app);
    let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
    let result = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    if let Some(culler) = culler {
        culler.abort();
    }
    result
}
