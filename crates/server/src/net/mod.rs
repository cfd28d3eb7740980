//! Transport: the accept loop in front of the application, on hyper's automatic
//! HTTP/1 + HTTP/2 server. It bounds what a slow or abusive client can hold:
//!
//! - **Connections**: at most `max_connections` are open; at the limit the loop stops
//!   accepting and new clients wait in the kernel's listen backlog until a slot frees
//!   (the limit is lowered to what the open-file limit allows).
//! - **Header timeout**: the TLS handshake, then the connection's first request head
//!   (HTTP/1 or HTTP/2), must each arrive within `header_timeout`; every later HTTP/1
//!   head too, counted from when the server waits for it, which also ends idle
//!   keep-alive HTTP/1 connections.
//! - **Body timeout**: see [`body`].
//! - **Idle timeout**: see [`conn`].
//! - **Shutdown**: when the shutdown future resolves the listener closes, every
//!   connection is asked to finish its current request, and after `shutdown_timeout`
//!   whatever is still open is dropped.

pub mod body;
pub mod conn;
pub mod tls;

use crate::config::Config;
use axum::extract::ConnectInfo;
use conn::{Activity, Tracked};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// File descriptors kept free for the database, the listener and files.
const RESERVED_FDS: u64 = 128;

/// The application as one cloneable service.
pub type App =
    tower::util::BoxCloneSyncService<axum::extract::Request, axum::response::Response, Infallible>;

/// `configured`, lowered to what the process's open-file limit allows.
fn connection_limit(configured: usize) -> usize {
    #[cfg(unix)]
    {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        if let Some(soft) = limit.current {
            let allowed =
                usize::try_from(soft.saturating_sub(RESERVED_FDS).max(16)).unwrap_or(usize::MAX);
            if allowed < configured {
                tracing::warn!(
                    configured,
                    allowed,
                    open_file_limit = soft,
                    "max connections lowered to fit the open-file limit (raise it with `ulimit -n`)"
                );
                return allowed;
            }
        }
    }
    configured.max(1)
}

/// Errors on accept that concern one connection, not the listener.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        error.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

fn builder(config: &Config) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    builder
}

/// Runs `app` on `listener` until `shutdown` resolves, then drains (module docs).
pub async fn run(
    listener: TcpListener,
    app: App,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tls = match &config.tls {
        Some(files) => Some(Arc::new(
            tls::Tls::start(files).map_err(std::io::Error::other)?,
        )),
        None => None,
    };
    let slots = Arc::new(Semaphore::new(connection_limit(config.max_connections)));
    let builder = Arc::new(builder(config));
    let graceful = GracefulShutdown::new();
    let (stopping, stop_seen) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) if is_connection_error(&error) => continue,
                Err(error) => {
                    // Typically EMFILE: back off instead of spinning.
                    tracing::error!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            app: app.clone(),
            builder: builder.clone(),
            tls: tls.clone(),
            header_timeout: config.header_timeout,
            idle_timeout: config.idle_timeout,
            peer,
        };
        let watcher = graceful.watcher();
        let stop_seen = stop_seen.clone();
        connections.spawn(async move {
            let _permit = permit;
            connection.serve(stream, watcher, stop_seen).await;
        });
    }
    drop(listener);
    let open = connections.len();
    if open > 0 {
        tracing::info!(
            open,
            "draining connections for up to {:?}",
            config.shutdown_timeout
        );
    }
    let _ = stopping.send(true);
    let drained = async {
        graceful.shutdown().await;
        while connections.join_next().await.is_some() {}
    };
    if tokio::time::timeout(config.shutdown_timeout, drained)
        .await
        .is_err()
    {
        tracing::warn!("shutdown timeout reached; dropping the remaining connections");
    }
    connections.shutdown().await;
    Ok(())
}

/// One accepted connection and what it needs.
struct Connection {
    app: App,
    builder: Arc<auto::Builder<TokioExecutor>>,
    tls: Option<Arc<tls::Tls>>,
    header_timeout: Duration,
    idle_timeout: Duration,
    peer: SocketAddr,
}

impl Connection {
    async fn serve(
        &self,
        stream: TcpStream,
        watcher: hyper_util::server::graceful::Watcher,
        mut stop: watch::Receiver<bool>,
    ) {
        let activity = Activity::new();
        let stream = Tracked::new(stream, activity.clone());
        let idle = activity.idle(self.idle_timeout);
        tokio::pin!(idle);
        match &self.tls {
            None => {
                let first = activity.no_request_within(self.header_timeout);
                tokio::select! {
                    () = self.http(stream, watcher, &activity) => {}
                    () = &mut idle => tracing::debug!(peer = %self.peer, "idle connection closed"),
                    () = first => tracing::debug!(peer = %self.peer, "no request in time"),
                }
            }
            Some(tls) => {
                let handshake =
                    tokio::time::timeout(self.header_timeout, tls.acceptor.accept(stream));
                let stream = tokio::select! {
                    done = handshake => match done {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(error)) => {
                            tracing::debug!(peer = %self.peer, %error, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(peer = %self.peer, "TLS handshake timed out");
                            return;
                        }
                    },
                    () = &mut idle => return,
                    // Shutting down before serving any request: nothing to finish.
                    _ = stop.wait_for(|stop| *stop) => return,
                };
                let first = activity.no_request_within(self.header_timeout);
                tokio::select! {
                    () = self.http(stream, watcher, &activity) => {}
                    () = &mut idle => tracing::debug!(peer = %self.peer, "idle connection closed"),
                    () = first => tracing::debug!(peer = %self.peer, "no request in time"),
                }
            }
        }
    }

    async fn http<I>(
        &self,
        io: I,
        watcher: hyper_util::server::graceful::Watcher,
        activity: &Arc<Activity>,
    ) where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let app = self.app.clone();
        let peer = self.peer;
        let activity = activity.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let in_flight = activity.request();
            let app = app.clone();
            async move {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                let response = app.oneshot(request).await;
                drop(in_flight);
                response.map_err(|never: Infallible| match never {})
            }
        });
        let connection = self.builder.serve_connection(TokioIo::new(io), service);
        if let Err(error) = watcher.watch(connection.into_owned()).await {
            tracing::debug!(peer = %self.peer, %error, "connection ended with an error");
        }
    }
}
