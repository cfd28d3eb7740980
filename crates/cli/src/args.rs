//! The command line and the layering of settings: defaults, then the TOML file of
//! `--config` (or `LATCHKEY_CONFIG`), then `LATCHKEY_*` variables, then flags — later
//! wins. Clap reads a flag's variable when the flag is absent, so a flag or its variable
//! overrides the file, and the flag overrides the variable.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use latchkey_server::client_ip::{IpNet, parse_proxy};
use latchkey_server::config::Settings;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The `latchkey` command.
#[derive(Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Self-hosted, Keygen-compatible licensing server"
)]
pub struct Cli {
    /// TOML configuration file (`latchkey print-default-config` shows every key).
    #[arg(long, global = true, env = "LATCHKEY_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    #[command(
        after_help = "Example:\n  latchkey serve --bind 0.0.0.0:3000 --database-url sqlite://latchkey-data/latchkey.db"
    )]
    Serve(Box<ServeArgs>),
    /// Create an account with its signing keys and first admin user.
    #[command(
        after_help = "Example:\n  latchkey init --account acme --email admin@acme.example --password-stdin < password.txt"
    )]
    Init(InitArgs),
    /// Apply database migrations and exit.
    #[command(
        after_help = "Example:\n  latchkey migrate --database-url postgres://latchkey@db/latchkey"
    )]
    Migrate(DatabaseArgs),
    /// Print every setting with its default, as a commented TOML file.
    #[command(
        after_help = "Example:\n  latchkey print-default-config > /etc/latchkey/latchkey.toml"
    )]
    PrintDefaultConfig,
    /// Print the API contract, an OpenAPI 3.1 document (also served at
    /// `GET /v1/openapi.json`).
    #[command(
        after_help = "Examples:\n  latchkey openapi > openapi.json\n  latchkey openapi --markdown > docs/api.md"
    )]
    Openapi {
        /// Print the Markdown API reference (docs/api.md) instead.
        #[arg(long)]
        markdown: bool,
    },
    /// Write a consistent copy of the SQLite database while the server runs
    /// (PostgreSQL: prints the pg_dump command to use instead).
    #[command(after_help = "Example:\n  latchkey backup /var/backups/latchkey-$(date +%F).db")]
    Backup(BackupArgs),
    /// Print shell completions.
    #[command(
        after_help = "Example:\n  latchkey completions bash > /etc/bash_completion.d/latchkey"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Log in to a server with email and password; saves a token and the account's
    /// public key in a private profile that the other commands read.
    #[command(
        after_help = "Example:\n  latchkey login --url https://licensing.example.com --email admin@example.com"
    )]
    Login(crate::remote::login::LoginArgs),
    /// Forget the saved profile.
    #[command(after_help = "Example:\n  latchkey logout")]
    Logout,
    /// Products: list, show, create, update, delete.
    #[command(after_help = "Example:\n  latchkey products create --attr name=\"Desktop App\"")]
    Products(ResourceArgs),
    /// Policies: list, show, create, update, delete.
    #[command(
        after_help = "Example:\n  latchkey policies create --attr name=Pro --attr maxMachines=3 --rel product=ID"
    )]
    Policies(ResourceArgs),
    /// Licenses: the resource commands, suspend, reinstate, renew, revoke, check-out, export.
    #[command(
        after_help = "Example:\n  latchkey licenses create --rel policy=POLICY_ID --count 100 --json"
    )]
    Licenses(LicensesArgs),
    /// Machines: the resource commands, deactivate, check-out.
    #[command(after_help = "Example:\n  latchkey machines deactivate MACHINE_ID")]
    Machines(MachinesArgs),
    /// Users: list, show, create, update, delete.
    #[command(
        after_help = "Example:\n  latchkey users create --attr email=ann@example.com --attr firstName=Ann"
    )]
    Users(ResourceArgs),
    /// Groups: list, show, create, update, delete.
    #[command(
        after_help = "Example:\n  latchkey groups create --attr name=ACME --attr maxMachines=50"
    )]
    Groups(ResourceArgs),
    /// Entitlements: list, show, create, update, delete.
    #[command(
        after_help = "Example:\n  latchkey entitlements create --attr name=Pro --attr code=PRO"
    )]
    Entitlements(ResourceArgs),
    /// Tokens: list, show, delete (revoke).
    #[command(after_help = "Example:\n  latchkey tokens list")]
    Tokens(ResourceArgs),
    /// Releases: the resource commands, publish, yank.
    #[command(
        visible_alias = "releases",
        after_help = "Example:\n  latchkey release create --attr version=1.2.0 --attr channel=stable --rel product=PRODUCT_ID"
    )]
    Release(ReleaseArgs),
    /// Artifacts: upload a file to a release, and the resource commands.
    #[command(
        visible_alias = "artifacts",
        after_help = "Example:\n  latchkey artifact upload dist/app.tar.gz --release 1.2.0 --platform linux --arch amd64"
    )]
    Artifact(ArtifactArgs),
    /// Print this machine's fingerprint (honours LATCHKEY_FINGERPRINT).
    #[command(after_help = "Example:\n  latchkey fingerprint --components")]
    Fingerprint(FingerprintCommand),
    /// Validate a license key and activate this machine when it is not yet; exit 0
    /// only when the license is valid for this machine.
    #[command(
        after_help = "Example:\n  latchkey activate --url https://licensing.example.com --public-key HEX --key KEY"
    )]
    Activate(EndUserKey),
    /// Deactivate this machine (free its seat).
    #[command(
        after_help = "Example:\n  latchkey deactivate --url https://licensing.example.com --public-key HEX --key KEY"
    )]
    Deactivate(EndUserKey),
    /// Validate a license key (exit 0 valid, 3 not valid).
    #[command(
        after_help = "Example:\n  latchkey validate --url https://licensing.example.com --public-key HEX --key KEY --fingerprint FP"
    )]
    Validate(EndUserValidate),
    /// Verify (and decrypt) a license or machine file offline.
    #[command(after_help = "Example:\n  latchkey verify license.lic --public-key HEX --key KEY")]
    Verify(EndUserVerify),
}

/// `latchkey backup`.
#[derive(Args)]
pub struct BackupArgs {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The copy to write (must not exist).
    pub file: PathBuf,
}

/// A resource command with its connection.
#[derive(Args)]
pub struct ResourceArgs {
    /// Server, account and credential.
    #[command(flatten)]
    pub connection: crate::remote::Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: crate::remote::resources::ResourceCommand,
}

/// `latchkey licenses …`.
#[derive(Args)]
pub struct LicensesArgs {
    /// Server, account and credential.
    #[command(flatten)]
    pub connection: crate::remote::Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: crate::remote::resources::LicenseCommand,
}

/// `latchkey release …`.
#[derive(Args)]
pub struct ReleaseArgs {
    /// Server, account and credential.
    #[command(flatten)]
    pub connection: crate::remote::Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: crate::remote::distribution::ReleaseCommand,
}

/// `latchkey artifact …`.
#[derive(Args)]
pub struct ArtifactArgs {
    /// Server, account and credential.
    #[command(flatten)]
    pub connection: crate::remote::Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: crate::remote::distribution::ArtifactCommand,
}

/// `latchkey machines …`.
#[derive(Args)]
pub struct MachinesArgs {
    /// Server, account and credential.
    #[command(flatten)]
    pub connection: crate::remote::Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: crate::remote::resources::MachineCommand,
}

/// `latchkey fingerprint`.
#[derive(Args)]
pub struct FingerprintCommand {
    /// What identifies the machine.
    #[command(flatten)]
    pub args: crate::remote::enduser::FingerprintArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `latchkey activate` / `deactivate`.
#[derive(Args)]
pub struct EndUserKey {
    /// Server and public key (`--token` for an activation token).
    #[command(flatten)]
    pub connection: crate::remote::Connection,
    /// Key and machine.
    #[command(flatten)]
    pub args: crate::remote::enduser::KeyArgs,
}

/// `latchkey validate`.
#[derive(Args)]
pub struct EndUserValidate {
    /// Server and public key.
    #[command(flatten)]
    pub connection: crate::remote::Connection,
    /// Key and scope.
    #[command(flatten)]
    pub args: crate::remote::enduser::ValidateArgs,
}

/// `latchkey verify`.
#[derive(Args)]
pub struct EndUserVerify {
    /// The public key (`--public-key`).
    #[command(flatten)]
    pub connection: crate::remote::Connection,
    /// File, key, fingerprint.
    #[command(flatten)]
    pub args: crate::remote::enduser::VerifyArgs,
}

/// The database flag every command that opens it takes.
#[derive(Args)]
pub struct DatabaseArgs {
    /// sqlite://PATH or postgres://…
    #[arg(long, env = "LATCHKEY_DATABASE_URL")]
    pub database_url: Option<String>,
}

/// `latchkey init`.
#[derive(Args)]
pub struct InitArgs {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Account slug.
    #[arg(long)]
    pub account: String,
    /// Admin email.
    #[arg(long)]
    pub email: String,
    /// Admin password (visible to other users in `ps` and kept in shell history:
    /// prefer --password-file or --password-stdin).
    #[arg(long, group = "password_source")]
    pub password: Option<String>,
    /// Read the admin password from this file (first line; the file should be 0600).
    #[arg(long, group = "password_source")]
    pub password_file: Option<PathBuf>,
    /// Read the admin password from standard input (first line).
    #[arg(long, group = "password_source")]
    pub password_stdin: bool,
    /// Account display name.
    #[arg(long)]
    pub name: Option<String>,
}

/// `latchkey serve`: every flag overrides the configuration file (defaults: see
/// `latchkey print-default-config`).
#[derive(Args)]
pub struct ServeArgs {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Listen address
    #[arg(long, env = "LATCHKEY_BIND")]
    pub bind: Option<SocketAddr>,
    /// Seconds between passes that delete dead machines and processes (0 disables)
    #[arg(long, env = "LATCHKEY_CULL_INTERVAL")]
    pub cull_interval: Option<u64>,
    /// Seconds an HTTP/1 request head (and a TLS handshake) may take
    #[arg(long, env = "LATCHKEY_HEADER_TIMEOUT",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: Option<u64>,
    /// Seconds a request body may take to arrive completely
    #[arg(long, env = "LATCHKEY_BODY_TIMEOUT",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: Option<u64>,
    /// Seconds a connection may stay silent (no request in flight) before it is closed
    #[arg(long, env = "LATCHKEY_IDLE_TIMEOUT",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: Option<u64>,
    /// Open connections at most (lowered to fit the open-file limit)
    #[arg(long, env = "LATCHKEY_MAX_CONNECTIONS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: Option<u64>,
    /// Seconds in-flight requests get to finish on shutdown before connections are dropped
    #[arg(long, env = "LATCHKEY_SHUTDOWN_TIMEOUT")]
    pub shutdown_timeout: Option<u64>,
    /// Largest accepted request body, in bytes
    #[arg(long, env = "LATCHKEY_MAX_BODY_BYTES",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_body_bytes: Option<u64>,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, env = "LATCHKEY_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "LATCHKEY_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Seconds between checks of the TLS files for a new certificate
    #[arg(long, env = "LATCHKEY_TLS_RELOAD_INTERVAL",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub tls_reload_interval: Option<u64>,
    /// Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed.
    #[arg(long, env = "LATCHKEY_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = parse_proxy)]
    pub trusted_proxies: Option<Vec<IpNet>>,
    /// Requests per second per account, client IP and credential (0 = no limit)
    #[arg(long, env = "LATCHKEY_MAX_RPS")]
    pub max_rps: Option<u32>,
    /// Requests per minute per account, client IP and credential (0 = no limit)
    #[arg(long, env = "LATCHKEY_MAX_RPM")]
    pub max_rpm: Option<u32>,
    /// Folder holding uploaded release artifacts
    #[arg(long, env = "LATCHKEY_ARTIFACT_DIR")]
    pub artifact_dir: Option<PathBuf>,
    /// Largest accepted release artifact, in bytes
    #[arg(long, env = "LATCHKEY_MAX_ARTIFACT_BYTES",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_artifact_bytes: Option<u64>,
    /// Seconds a signed artifact upload or download URL stays valid
    #[arg(long, env = "LATCHKEY_ARTIFACT_URL_TTL",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub artifact_url_ttl: Option<u64>,
    /// Public base URL of this server for signed artifact URLs (default: the Host header)
    #[arg(long, env = "LATCHKEY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Artifact storage: local (files under --artifact-dir) or s3
    #[arg(long, env = "LATCHKEY_STORAGE", value_parser = ["local", "s3"])]
    pub storage: Option<String>,
    /// S3 bucket name
    #[arg(long, env = "LATCHKEY_STORAGE_BUCKET")]
    pub storage_bucket: Option<String>,
    /// S3 endpoint of a non-AWS service (http://127.0.0.1:9000); unset for AWS
    #[arg(long, env = "LATCHKEY_STORAGE_ENDPOINT")]
    pub storage_endpoint: Option<String>,
    /// S3 region
    #[arg(long, env = "LATCHKEY_STORAGE_REGION")]
    pub storage_region: Option<String>,
    /// S3 access key id (default: AWS_ACCESS_KEY_ID or the instance's role)
    #[arg(long, env = "LATCHKEY_STORAGE_ACCESS_KEY_ID")]
    pub storage_access_key_id: Option<String>,
    /// S3 secret access key (prefer the variable to the flag, which `ps` shows)
    #[arg(
        long,
        env = "LATCHKEY_STORAGE_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub storage_secret_access_key: Option<String>,
    /// Path-style S3 URLs (endpoint/bucket/key), as MinIO and moto need (1/true)
    #[arg(long, env = "LATCHKEY_STORAGE_PATH_STYLE", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub storage_path_style: Option<bool>,
    /// Key prefix of the artifact objects in the bucket
    #[arg(long, env = "LATCHKEY_STORAGE_PREFIX")]
    pub storage_prefix: Option<String>,
    /// Accept http:// webhook URLs and loopback/private addresses (1/true; local testing)
    #[arg(long, env = "LATCHKEY_ALLOW_INSECURE_WEBHOOKS", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_insecure_webhooks: Option<bool>,
    /// Webhook retry back-off base in seconds (retry n waits n⁴ s + base × rand(1..10))
    #[arg(long, env = "LATCHKEY_WEBHOOK_RETRY_BASE_SECONDS")]
    pub webhook_retry_base_seconds: Option<u64>,
    /// Seconds a webhook delivery may take
    #[arg(long, env = "LATCHKEY_WEBHOOK_TIMEOUT",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_timeout: Option<u64>,
    /// Webhook deliveries in flight at most, per process
    #[arg(long, env = "LATCHKEY_WEBHOOK_CONCURRENCY",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_concurrency: Option<u64>,
    /// Milliseconds between polls for due webhook deliveries (0 disables delivery)
    #[arg(long, env = "LATCHKEY_WEBHOOK_POLL_INTERVAL_MS")]
    pub webhook_poll_interval_ms: Option<u64>,
    /// Licenses whose validation snapshot is kept in memory (0 disables the cache)
    #[arg(long, env = "LATCHKEY_VALIDATION_CACHE_SIZE")]
    pub validation_cache_size: Option<u64>,
    /// Record every API request in the request logs (1/true, 0/false)
    #[arg(long, env = "LATCHKEY_REQUEST_LOGS", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub request_logs: Option<bool>,
    /// Serve the admin web UI at /admin (1/true, 0/false)
    #[arg(long, env = "LATCHKEY_ADMIN_UI", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub admin_ui: Option<bool>,
    /// Also keep JSON request and response bodies in the request logs, secrets filtered (1/true, 0/false)
    #[arg(long, env = "LATCHKEY_REQUEST_LOG_BODIES", value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub request_log_bodies: Option<bool>,
    /// Days event logs and request logs are kept (0 keeps them forever)
    #[arg(long, env = "LATCHKEY_LOG_RETENTION_DAYS")]
    pub log_retention_days: Option<u64>,
    /// Days delivered and failed webhook events are kept (0 keeps them forever)
    #[arg(long, env = "LATCHKEY_WEBHOOK_EVENT_RETENTION_DAYS")]
    pub webhook_event_retention_days: Option<u64>,
    /// Seconds between runs of the scheduled jobs (0 disables them)
    #[arg(long, env = "LATCHKEY_JOBS_INTERVAL")]
    pub jobs_interval: Option<u64>,
    /// A separate address serving only /metrics, without a token (keep it private)
    #[arg(long, env = "LATCHKEY_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

impl DatabaseArgs {
    /// Lays the flag (or its variable) over `settings`.
    pub fn apply(&self, settings: &mut Settings) {
        set(&mut settings.database_url, &self.database_url);
    }
}

impl ServeArgs {
    /// Lays the flags (or their variables) over `settings`.
    pub fn apply(&self, settings: &mut Settings) {
        self.database.apply(settings);
        set(&mut settings.bind, &self.bind);
        set(&mut settings.cull_interval, &self.cull_interval);
        set(&mut settings.header_timeout, &self.header_timeout);
        set(&mut settings.body_timeout, &self.body_timeout);
        set(&mut settings.idle_timeout, &self.idle_timeout);
        set(&mut settings.max_connections, &self.max_connections);
        set(&mut settings.shutdown_timeout, &self.shutdown_timeout);
        set(&mut settings.max_body_bytes, &self.max_body_bytes);
        set(&mut settings.tls_reload_interval, &self.tls_reload_interval);
        set(&mut settings.trusted_proxies, &self.trusted_proxies);
        set(&mut settings.max_rps, &self.max_rps);
        set(&mut settings.max_rpm, &self.max_rpm);
        set(&mut settings.artifact_dir, &self.artifact_dir);
        set(&mut settings.max_artifact_bytes, &self.max_artifact_bytes);
        set(&mut settings.artifact_url_ttl, &self.artifact_url_ttl);
        if self.public_url.is_some() {
            settings.public_url.clone_from(&self.public_url);
        }
        set(&mut settings.storage, &self.storage);
        set(&mut settings.storage_region, &self.storage_region);
        set(&mut settings.storage_path_style, &self.storage_path_style);
        set(&mut settings.storage_prefix, &self.storage_prefix);
        for (setting, flag) in [
            (&mut settings.storage_bucket, &self.storage_bucket),
            (&mut settings.storage_endpoint, &self.storage_endpoint),
            (
                &mut settings.storage_access_key_id,
                &self.storage_access_key_id,
            ),
            (
                &mut settings.storage_secret_access_key,
                &self.storage_secret_access_key,
            ),
        ] {
            if flag.is_some() {
                setting.clone_from(flag);
            }
        }
        set(
            &mut settings.allow_insecure_webhooks,
            &self.allow_insecure_webhooks,
        );
        set(
            &mut settings.webhook_retry_base_seconds,
            &self.webhook_retry_base_seconds,
        );
        set(&mut settings.webhook_timeout, &self.webhook_timeout);
        set(&mut settings.webhook_concurrency, &self.webhook_concurrency);
        set(
            &mut settings.webhook_poll_interval_ms,
            &self.webhook_poll_interval_ms,
        );
        set(
            &mut settings.validation_cache_size,
            &self.validation_cache_size,
        );
        set(&mut settings.request_logs, &self.request_logs);
        set(&mut settings.admin_ui, &self.admin_ui);
        set(&mut settings.request_log_bodies, &self.request_log_bodies);
        set(&mut settings.log_retention_days, &self.log_retention_days);
        set(
            &mut settings.webhook_event_retention_days,
            &self.webhook_event_retention_days,
        );
        set(&mut settings.jobs_interval, &self.jobs_interval);
        if self.metrics_listen.is_some() {
            settings.metrics_listen = self.metrics_listen;
        }
        if self.tls_cert.is_some() {
            settings.tls_cert.clone_from(&self.tls_cert);
        }
        if self.tls_key.is_some() {
            settings.tls_key.clone_from(&self.tls_key);
        }
    }
}

fn set<T: Clone>(setting: &mut T, value: &Option<T>) {
    if let Some(value) = value {
        *setting = value.clone();
    }
}

/// How a variable sets a setting.
type Assign = fn(&mut Settings, String);

/// The settings without a flag, read from their variables only (a secret on the
/// command line would show in `ps`).
const VARIABLE_ONLY: [(&str, Assign); 7] = [
    ("LATCHKEY_SECRET_KEY", |s, v| s.secret_key = Some(v)),
    ("LATCHKEY_ACCOUNT", |s, v| s.account = Some(v)),
    ("LATCHKEY_ADMIN_EMAIL", |s, v| s.admin_email = Some(v)),
    ("LATCHKEY_ADMIN_PASSWORD", |s, v| s.admin_password = Some(v)),
    ("LATCHKEY_LOG", |s, v| s.log = v),
    ("LATCHKEY_LOG_FORMAT", |s, v| s.log_format = v),
    ("LATCHKEY_METRICS_TOKEN", |s, v| s.metrics_token = Some(v)),
];

/// Defaults, then the configuration file, then the variables of the settings that
/// have no flag. The caller lays the flags (with their variables) on top.
pub fn file_and_variables(file: Option<&Path>) -> Result<Settings> {
    let mut settings = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the configuration file {}", path.display()))?;
            Settings::from_toml(&text)
                .with_context(|| format!("in the configuration file {}", path.display()))?
        }
        None => Settings::default(),
    };
    for (name, assign) in VARIABLE_ONLY {
        if let Ok(value) = std::env::var(name) {
            assign(&mut settings, value);
        }
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        // Clap's own checks over every subcommand: no clashing flags or ids.
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_shows_an_example_in_its_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for sub in command.get_subcommands() {
                let name = format!("{path} {}", sub.get_name());
                let has_example = sub
                    .get_after_help()
                    .is_some_and(|h| h.to_string().contains("latchkey"));
                let generated = sub.get_name() == "help";
                if !has_example && !generated && sub.get_subcommands().next().is_none() {
                    missing.push(name.clone());
                }
                walk(sub, &name, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "latchkey", &mut missing);
        assert!(missing.is_empty(), "no example in --help: {missing:?}");
    }
}
