//! Server configuration: [`Settings`] is what an operator writes (defaults, a TOML
//! file, `LATCHKEY_*` variables, flags — layered by the CLI); [`Config`] is what the
//! server runs with, built from it and passed in (never global). Secrets stay out of
//! `Debug`.

mod settings;

pub use settings::{DEFAULT_DATABASE_URL, DOCS, SettingDoc, SettingError, Settings};

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

/// What the server needs to know at start.
#[derive(Clone)]
pub struct Config {
    /// Listen address.
    pub bind: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Default account for account-less `/v1/…` routes (id or slug); else the first account.
    pub account: Option<String>,
    /// First-start admin email (with `account`, bootstraps on an empty database).
    pub admin_email: Option<String>,
    /// First-start admin password.
    pub admin_password: Option<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// How often dead machines and processes are culled (zero disables).
    pub cull_interval: std::time::Duration,
    /// An HTTP/1 request head must arrive within this, counted from when the server
    /// starts waiting for it (so it also ends idle keep-alive HTTP/1 connections).
    pub header_timeout: Duration,
    /// A request body must arrive completely within this after its head.
    pub body_timeout: Duration,
    /// A connection that moves no byte either way for this long, with no request in
    /// flight, is closed (HTTP/2, silent sockets, clients that stop reading).
    pub idle_timeout: Duration,
    /// Open connections at most; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// On shutdown, connections get this long to finish, then they are dropped.
    pub shutdown_timeout: Duration,
    /// Serve HTTPS with these PEM files (reloaded when they change).
    pub tls: Option<TlsFiles>,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies); empty trusts none.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// General limit per account + client IP + credential, per second (off when `None`).
    pub max_rps: Option<NonZeroU32>,
    /// General limit per account + client IP + credential, per minute (off when `None`).
    pub max_rpm: Option<NonZeroU32>,
    /// Where release artifacts live and how their signed URLs behave.
    pub artifacts: ArtifactStorage,
    /// Webhook delivery.
    pub webhooks: WebhookConfig,
    /// Validation snapshots kept in memory (LRU; 0 disables the cache).
    pub validation_cache_size: usize,
    /// Request logs, retention and the scheduled jobs.
    pub logs: LogConfig,
    /// Who may read `/metrics`, and where.
    pub metrics: MetricsConfig,
    /// Serve the admin web UI at `/admin`.
    pub admin_ui: bool,
}

/// Access to the Prometheus metrics.
#[derive(Clone, Default)]
pub struct MetricsConfig {
    /// `GET /metrics` on the API address needs `Authorization: Bearer <token>`; without
    /// a token the route answers 404 there.
    pub token: Option<String>,
    /// A separate listener serving only `/metrics`, without a token.
    pub listen: Option<SocketAddr>,
}

impl std::fmt::Debug for MetricsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsConfig")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("listen", &self.listen)
            .finish()
    }
}

/// Request logging, log and webhook-event retention, and the jobs' pace.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// Record every API request.
    pub request_logs: bool,
    /// Also record JSON request and response bodies (secrets filtered).
    pub request_log_bodies: bool,
    /// How long event and request logs are kept (zero: forever).
    pub retention: Duration,
    /// How long delivered and failed webhook events are kept (zero: forever).
    pub webhook_retention: Duration,
    /// Time between scheduled job runs (zero disables them).
    pub jobs_interval: Duration,
}

/// Release artifact storage (local folder or S3-compatible bucket) and signed-URL settings.
#[derive(Clone, Debug)]
pub struct ArtifactStorage {
    /// Folder of the artifact files (one per artifact id, under the account id).
    pub dir: PathBuf,
    /// Largest accepted artifact, in bytes.
    pub max_bytes: u64,
    /// How long a signed upload or download URL is valid.
    pub url_ttl: Duration,
    /// Public base URL for signed URLs (else from the Host header).
    pub public_url: Option<String>,
    /// Store artifacts in this bucket instead of `dir`.
    pub s3: Option<crate::storage::s3::S3Options>,
}

/// Webhook endpoint rules and the delivery worker's pace.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// `http://` URLs and loopback/private addresses allowed (local testing).
    pub allow_insecure: bool,
    /// Back-off base in seconds.
    pub retry_base_seconds: i64,
    /// Per-delivery timeout.
    pub timeout: Duration,
    /// Deliveries in flight at most.
    pub concurrency: usize,
    /// Poll interval (zero disables the worker).
    pub poll_interval: Duration,
}

/// Certificate chain and private key for HTTPS.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// How often the files' modification times are checked for a reload.
    pub reload_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Settings::default().config()
    }
}

/// `scheme://user:password@host/…` → `<redacted>@host/…`.
fn redact_url(url: &str) -> String {
    match url.split_once('@') {
        Some((_, host)) => format!("<redacted>@{host}"),
        None => url.to_owned(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = redact_url(&self.database_url);
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &url)
            .field("account", &self.account)
            .field("admin_email", &self.admin_email)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "<redacted>"),
            )
            .field("max_body_bytes", &self.max_body_bytes)
            .field("cull_interval", &self.cull_interval)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("tls", &self.tls)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("max_rps", &self.max_rps)
            .field("max_rpm", &self.max_rpm)
            .field("artifacts", &self.artifacts)
            .field("webhooks", &self.webhooks)
            .field("validation_cache_size", &self.validation_cache_size)
            .field("logs", &self.logs)
            .field("metrics", &self.metrics)
            .field("admin_ui", &self.admin_ui)
            .finish()
    }
}
