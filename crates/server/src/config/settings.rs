//! [`Settings`]: every setting in one flat struct, layered by the CLI — defaults, then an
//! optional TOML file, then `LATCHKEY_*` variables, then flags (later wins) — and turned
//! into the server's [`Config`]. The TOML key of a setting is its field name, its
//! variable `LATCHKEY_` + the key in capitals, its flag (where it has one) `--` + the key
//! with dashes. README.md's configuration table lists them all.

use super::{Config, TlsFiles};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

/// The database used when none is configured: written here only.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://latchkey-data/latchkey.db";

/// Every setting of the `latchkey` command. Missing TOML keys keep their default;
/// unknown keys are an error that names the key. Secrets stay out of `Debug`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://PATH` or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// 64 hex characters sealing private keys and keying token digests.
    pub secret_key: Option<String>,
    /// Listen address.
    pub bind: SocketAddr,
    /// Account served on account-less `/v1/…` routes (id or slug); else the first.
    pub account: Option<String>,
    /// First-start admin email (with `account` and `admin_password`).
    pub admin_email: Option<String>,
    /// First-start admin password.
    pub admin_password: Option<String>,
    /// Log filter (`tracing` syntax).
    pub log: String,
    /// Log line format: `text` (human-readable) or `json` (one object per line).
    pub log_format: String,
    /// Seconds between passes deleting dead machines and processes (0 disables).
    pub cull_interval: u64,
    /// Seconds an HTTP/1 request head (and a TLS handshake) may take.
    pub header_timeout: u64,
    /// Seconds a request body may take to arrive completely.
    pub body_timeout: u64,
    /// Seconds a connection may stay silent with no request in flight.
    pub idle_timeout: u64,
    /// Open connections at most.
    pub max_connections: u64,
    /// Seconds in-flight requests get on shutdown.
    pub shutdown_timeout: u64,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: u64,
    /// PEM certificate chain (HTTPS with `tls_key`).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Seconds between checks of the TLS files.
    pub tls_reload_interval: u64,
    /// Reverse proxies (IPs or CIDRs) whose `X-Forwarded-For` is believed.
    #[serde(with = "proxies")]
    pub trusted_proxies: Vec<IpNet>,
    /// Requests per second per account, client IP and credential (0 = no limit).
    pub max_rps: u32,
    /// Requests per minute per account, client IP and credential (0 = no limit).
    pub max_rpm: u32,
    // -- releases and artifacts --
    /// Folder holding uploaded release artifacts (files 0600).
    pub artifact_dir: PathBuf,
    /// Largest accepted artifact, in bytes.
    pub max_artifact_bytes: u64,
    /// Seconds a signed artifact upload or download URL stays valid.
    pub artifact_url_ttl: u64,
    /// Public base URL of this server (`https://licensing.example.com`) for signed
    /// artifact URLs; else taken from the request's Host header.
    pub public_url: Option<String>,
    /// `local` (files under `artifact_dir`) or `s3` (an S3-compatible bucket).
    pub storage: String,
    /// S3 bucket name.
    pub storage_bucket: Option<String>,
    /// S3 endpoint of a non-AWS service (`http://127.0.0.1:9000`); unset for AWS.
    pub storage_endpoint: Option<String>,
    /// S3 region.
    pub storage_region: String,
    /// S3 access key id (else `AWS_ACCESS_KEY_ID` or the instance's role).
    pub storage_access_key_id: Option<String>,
    /// S3 secret access key (else `AWS_SECRET_ACCESS_KEY` or the instance's role).
    pub storage_secret_access_key: Option<String>,
    /// Path-style S3 URLs (`endpoint/bucket/key`), as MinIO and moto need.
    pub storage_path_style: bool,
    /// Key prefix of the artifact objects in the bucket.
    pub storage_prefix: String,
    /// Accept `http://` webhook URLs and URLs resolving to loopback/private addresses.
    pub allow_insecure_webhooks: bool,
    /// Base of the webhook retry back-off, in seconds (delay = retry⁴ + base × 1..10).
    pub webhook_retry_base_seconds: u64,
    /// Seconds a webhook delivery may take (connect, send, answer).
    pub webhook_timeout: u64,
    /// Webhook deliveries in flight at most, per process.
    pub webhook_concurrency: u64,
    /// Milliseconds between webhook worker polls for due deliveries (0 disables the worker).
    pub webhook_poll_interval_ms: u64,
    /// Licenses whose validation snapshot is kept in memory (0 disables the cache).
    pub validation_cache_size: u64,
    /// Record every API request in the request logs.
    pub request_logs: bool,
    /// Also record JSON request and response bodies in the request logs (secrets filtered).
    pub request_log_bodies: bool,
    /// Days event logs and request logs are kept (0 keeps them forever).
    pub log_retention_days: u64,
    /// Days delivered and failed webhook events are kept (0 keeps them forever).
    pub webhook_event_retention_days: u64,
    /// Seconds between runs of the scheduled jobs (pruning; 0 disables them).
    pub jobs_interval: u64,
    /// Bearer token that `GET /metrics` requires (unset: the route answers 404).
    pub metrics_token: Option<String>,
    /// Serve the admin web UI at `/admin`.
    pub admin_ui: bool,
    /// A separate listen address serving only `/metrics`, without a token.
    pub metrics_listen: Option<SocketAddr>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            secret_key: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            account: None,
            admin_email: None,
            admin_password: None,
            log: "info".to_owned(),
            log_format: "text".to_owned(),
            cull_interval: 120,
            header_timeout: 10,
            body_timeout: 30,
            idle_timeout: 60,
            max_connections: 10_000,
            shutdown_timeout: 10,
            max_body_bytes: 1024 * 1024,
            tls_cert: None,
            tls_key: None,
            tls_reload_interval: 5,
            trusted_proxies: Vec::new(),
            max_rps: 0,
            max_rpm: 0,
            artifact_dir: PathBuf::from("latchkey-data/artifacts"),
            max_artifact_bytes: 4 * 1024 * 1024 * 1024,
            artifact_url_ttl: 300,
            public_url: None,
            storage: "local".to_owned(),
            storage_bucket: None,
            storage_endpoint: None,
            storage_region: "us-east-1".to_owned(),
            storage_access_key_id: None,
            storage_secret_access_key: None,
            storage_path_style: false,
            storage_prefix: String::new(),
            allow_insecure_webhooks: false,
            webhook_retry_base_seconds: 600,
            webhook_timeout: 15,
            webhook_concurrency: 16,
            webhook_poll_interval_ms: 500,
            validation_cache_size: latchkey_store::snapshot_cache::DEFAULT_CAPACITY as u64,
            request_logs: true,
            request_log_bodies: false,
            log_retention_days: 30,
            webhook_event_retention_days: 30,
            jobs_interval: 600,
            metrics_token: None,
            metrics_listen: None,
            admin_ui: true,
        }
    }
}

/// The shortest accepted `metrics_token`.
const MIN_METRICS_TOKEN: usize = 16;

/// A setting whose value cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("setting `{key}`: {problem}")]
pub struct SettingError {
    /// The TOML key.
    pub key: &'static str,
    /// What is wrong.
    pub problem: String,
}

impl Settings {
    /// Defaults overlaid with the keys of a TOML document.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Checks what the types do not: positive timeouts, both TLS files or neither.
    pub fn validate(&self) -> Result<(), SettingError> {
        let positive = [
            ("header_timeout", self.header_timeout),
            ("body_timeout", self.body_timeout),
            ("idle_timeout", self.idle_timeout),
            ("max_connections", self.max_connections),
            ("max_body_bytes", self.max_body_bytes),
            ("tls_reload_interval", self.tls_reload_interval),
            ("max_artifact_bytes", self.max_artifact_bytes),
            ("artifact_url_ttl", self.artifact_url_ttl),
            ("webhook_timeout", self.webhook_timeout),
            ("webhook_concurrency", self.webhook_concurrency),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(SettingError {
                key,
                problem: "must be at least 1".into(),
            });
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => {
                return Err(SettingError {
                    key: "tls_key",
                    problem: "is required with tls_cert".into(),
                });
            }
            (None, Some(_)) => {
                return Err(SettingError {
                    key: "tls_cert",
                    problem: "is required with tls_key".into(),
                });
            }
            _ => {}
        }
        self.validate_observability()?;
        self.validate_storage()
    }

    fn validate_observability(&self) -> Result<(), SettingError> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(SettingError {
                key: "log_format",
                problem: format!(
                    "must be \"text\" or \"json\" (got \"{}\")",
                    self.log_format.escape_default()
                ),
            });
        }
        if let Some(token) = &self.metrics_token
            && (token.len() < MIN_METRICS_TOKEN || !token.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(SettingError {
                key: "metrics_token",
                problem: format!(
                    "must be at least {MIN_METRICS_TOKEN} visible ASCII characters \
                     (e.g. `openssl rand -hex 32`)"
                ),
            });
        }
        Ok(())
    }

    fn validate_storage(&self) -> Result<(), SettingError> {
        match self.storage.as_str() {
            "local" => Ok(()),
            "s3" => match self.s3_options() {
                None => Err(SettingError {
                    key: "storage_bucket",
                    problem: "is required with storage = \"s3\"".into(),
                }),
                Some(options) => options.check().map_err(|problem| SettingError {
                    key: "storage_endpoint",
                    problem,
                }),
            },
            _ => Err(SettingError {
                key: "storage",
                problem: "must be \"local\" or \"s3\"".into(),
            }),
        }
    }

    fn s3_options(&self) -> Option<crate::storage::s3::S3Options> {
        if self.storage != "s3" {
            return None;
        }
        let bucket = self.storage_bucket.as_ref().filter(|b| !b.is_empty())?;
        let mut options = crate::storage::s3::S3Options::new(bucket, &self.storage_region);
        options.endpoint.clone_from(&self.storage_endpoint);
        options
            .access_key_id
            .clone_from(&self.storage_access_key_id);
        options
            .secret_access_key
            .clone_from(&self.storage_secret_access_key);
        options.path_style = self.storage_path_style;
        options.prefix.clone_from(&self.storage_prefix);
        Some(options)
    }

    /// The server's configuration (call [`Settings::validate`] first: a zero timeout
    /// here is taken as given).
    pub fn config(&self) -> Config {
        let seconds = Duration::from_secs;
        let days = |d: u64| Duration::from_secs(d.saturating_mul(86_400));
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                reload_interval: seconds(self.tls_reload_interval),
            }),
            _ => None,
        };
        Config {
            bind: self.bind,
            database_url: self.database_url.clone(),
            account: self.account.clone(),
            admin_email: self.admin_email.clone(),
            admin_password: self.admin_password.clone(),
            max_body_bytes: usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX),
            cull_interval: seconds(self.cull_interval),
            header_timeout: seconds(self.header_timeout),
            body_timeout: seconds(self.body_timeout),
            idle_timeout: seconds(self.idle_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            shutdown_timeout: seconds(self.shutdown_timeout),
            tls,
            trusted_proxies: self.trusted_proxies.clone(),
            max_rps: NonZeroU32::new(self.max_rps),
            max_rpm: NonZeroU32::new(self.max_rpm),
            artifacts: super::ArtifactStorage {
                dir: self.artifact_dir.clone(),
                max_bytes: self.max_artifact_bytes,
                url_ttl: seconds(self.artifact_url_ttl),
                public_url: self.public_url.clone(),
                s3: self.s3_options(),
            },
            webhooks: super::WebhookConfig {
                allow_insecure: self.allow_insecure_webhooks,
                retry_base_seconds: i64::try_from(self.webhook_retry_base_seconds)
                    .unwrap_or(i64::MAX),
                timeout: seconds(self.webhook_timeout),
                concurrency: usize::try_from(self.webhook_concurrency).unwrap_or(usize::MAX),
                poll_interval: Duration::from_millis(self.webhook_poll_interval_ms),
            },
            validation_cache_size: usize::try_from(self.validation_cache_size)
                .unwrap_or(usize::MAX),
            logs: super::LogConfig {
                request_logs: self.request_logs,
                request_log_bodies: self.request_log_bodies,
                retention: days(self.log_retention_days),
                webhook_retention: days(self.webhook_event_retention_days),
                jobs_interval: seconds(self.jobs_interval),
            },
            metrics: super::MetricsConfig {
                token: self.metrics_token.clone(),
                listen: self.metrics_listen,
            },
            admin_ui: self.admin_ui,
        }
    }

    /// The defaults as a TOML document, each key under a comment saying what it
    /// means; settings without a default are shown commented out with an example.
    /// [`Settings::from_toml`] reads it back as [`Settings::default`].
    pub fn default_toml() -> String {
        let defaults = toml::Table::try_from(Settings::default()).unwrap_or_default();
        let mut out = String::from(
            "# Latchkey configuration (`latchkey serve --config PATH`, or LATCHKEY_CONFIG).\n\
             # Every key may be left out. LATCHKEY_<KEY> variables override this file, and\n\
             # flags override both. Durations are in seconds.\n",
        );
        for doc in DOCS {
            out.push('\n');
            for line in doc.about.lines() {
                out.push_str("# ");
                out.push_str(line);
                out.push('\n');
            }
            match defaults.get(doc.key) {
                Some(value) => out.push_str(&format!("{} = {value}\n", doc.key)),
                None => out.push_str(&format!("# {} = {}\n", doc.key, doc.example)),
            }
        }
        out
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("Settings")
            .field("database_url", &super::redact_url(&self.database_url))
            .field("secret_key", &redacted(&self.secret_key))
            .field("bind", &self.bind)
            .field("account", &self.account)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &redacted(&self.admin_password))
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("cull_interval", &self.cull_interval)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("tls_reload_interval", &self.tls_reload_interval)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("max_rps", &self.max_rps)
            .field("max_rpm", &self.max_rpm)
            .field("artifact_dir", &self.artifact_dir)
            .field("max_artifact_bytes", &self.max_artifact_bytes)
            .field("artifact_url_ttl", &self.artifact_url_ttl)
            .field("public_url", &self.public_url)
            .field("storage", &self.storage)
            .field("storage_bucket", &self.storage_bucket)
            .field("storage_endpoint", &self.storage_endpoint)
            .field("storage_region", &self.storage_region)
            .field("storage_access_key_id", &self.storage_access_key_id)
            .field(
                "storage_secret_access_key",
                &redacted(&self.storage_secret_access_key),
            )
            .field("storage_path_style", &self.storage_path_style)
            .field("storage_prefix", &self.storage_prefix)
            .field("allow_insecure_webhooks", &self.allow_insecure_webhooks)
            .field(
                "webhook_retry_base_seconds",
                &self.webhook_retry_base_seconds,
            )
            .field("webhook_timeout", &self.webhook_timeout)
            .field("webhook_concurrency", &self.webhook_concurrency)
            .field("webhook_poll_interval_ms", &self.webhook_poll_interval_ms)
            .field("validation_cache_size", &self.validation_cache_size)
            .field("admin_ui", &self.admin_ui)
            .field("request_logs", &self.request_logs)
            .field("request_log_bodies", &self.request_log_bodies)
            .field("log_retention_days", &self.log_retention_days)
            .field(
                "webhook_event_retention_days",
                &self.webhook_event_retention_days,
            )
            .field("jobs_interval", &self.jobs_interval)
            .field("metrics_token", &redacted(&self.metrics_token))
            .field("metrics_listen", &self.metrics_listen)
            .finish()
    }
}

/// `trusted_proxies` as strings: CIDRs, or bare addresses (a single host).
mod proxies {
    use ipnet::IpNet;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(nets: &[IpNet], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(nets.iter().map(ToString::to_string))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| crate::client_ip::parse_proxy(text).map_err(serde::de::Error::custom))
            .collect()
    }
}

mod docs;
pub use docs::{DOCS, SettingDoc};

#[cfg(test)]
mod tests;
