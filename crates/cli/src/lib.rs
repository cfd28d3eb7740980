//! The `latchkey` command: `serve` (the HTTP server), `init` (create an account and
//! its admin), `migrate` (apply migrations and exit).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use latchkey_core::clock::{Clock, SystemClock};
use latchkey_core::secret::SecretKey;
use latchkey_server::bootstrap::{
    NewAccount, create_account, create_first_account, issue_admin_token,
};
use latchkey_server::config::TlsFiles;
use latchkey_server::{AppState, Config};
use latchkey_store::Db;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Self-hosted, Keygen-compatible licensing server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// sqlite://PATH or postgres://…
        #[arg(
            long,
            env = "LATCHKEY_DATABASE_URL",
            default_value = "sqlite://latchkey-data/latchkey.db"
        )]
        database_url: String,
        /// Listen address.
        #[arg(long, env = "LATCHKEY_BIND", default_value = "127.0.0.1:3000")]
        bind: SocketAddr,
        /// Seconds between passes that delete dead machines and processes (0 disables).
        #[arg(long, env = "LATCHKEY_CULL_INTERVAL", default_value_t = 120)]
        cull_interval: u64,
        /// Seconds an HTTP/1 request head (and a TLS handshake) may take.
        #[arg(long, env = "LATCHKEY_HEADER_TIMEOUT", default_value_t = 10,
              value_parser = clap::value_parser!(u64).range(1..))]
        header_timeout: u64,
        /// Seconds a request body may take to arrive completely.
        #[arg(long, env = "LATCHKEY_BODY_TIMEOUT", default_value_t = 30,
              value_parser = clap::value_parser!(u64).range(1..))]
        body_timeout: u64,
        /// Seconds a connection may stay silent (no request in flight) before it is closed.
        #[arg(long, env = "LATCHKEY_IDLE_TIMEOUT", default_value_t = 60,
              value_parser = clap::value_parser!(u64).range(1..))]
        idle_timeout: u64,
        /// Open connections at most (lowered to fit the open-file limit).
        #[arg(long, env = "LATCHKEY_MAX_CONNECTIONS", default_value_t = 10_000,
              value_parser = clap::value_parser!(u64).range(1..))]
        max_connections: u64,
        /// Seconds in-flight requests get to finish on shutdown before connections are dropped.
        #[arg(long, env = "LATCHKEY_SHUTDOWN_TIMEOUT", default_value_t = 10)]
        shutdown_timeout: u64,
        /// PEM certificate chain: serve HTTPS (with --tls-key).
        #[arg(long, env = "LATCHKEY_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of --tls-cert.
        #[arg(long, env = "LATCHKEY_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Seconds between checks of the TLS files for a new certificate.
        #[arg(long, env = "LATCHKEY_TLS_RELOAD_INTERVAL", default_value_t = 5,
              value_parser = clap::value_parser!(u64).range(1..))]
        tls_reload_interval: u64,
        /// Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed.
        #[arg(long, env = "LATCHKEY_TRUSTED_PROXIES", value_delimiter = ',',
              value_parser = latchkey_server::client_ip::parse_proxy)]
        trusted_proxies: Vec<latchkey_server::client_ip::IpNet>,
        /// Requests per second per account, client IP and credential (0 = no limit).
        #[arg(long, env = "LATCHKEY_MAX_RPS", default_value_t = 0)]
        max_rps: u32,
        /// Requests per minute per account, client IP and credential (0 = no limit).
        #[arg(long, env = "LATCHKEY_MAX_RPM", default_value_t = 0)]
        max_rpm: u32,
    },
    /// Create an account with its signing keys and first admin user.
    Init {
        /// sqlite://PATH or postgres://…
        #[arg(
            long,
            env = "LATCHKEY_DATABASE_URL",
            default_value = "sqlite://latchkey-data/latchkey.db"
        )]
        database_url: String,
        /// Account slug.
        #[arg(long)]
        account: String,
        /// Admin email.
        #[arg(long)]
        email: String,
        /// Admin password (visible to other users in `ps` and kept in shell history:
        /// prefer --password-file or --password-stdin).
        #[arg(long, group = "password_source")]
        password: Option<String>,
        /// Read the admin password from this file (first line; the file should be 0600).
        #[arg(long, group = "password_source")]
        password_file: Option<std::path::PathBuf>,
        /// Read the admin password from standard input (first line).
        #[arg(long, group = "password_source")]
        password_stdin: bool,
        /// Account display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate {
        /// sqlite://PATH or postgres://…
        #[arg(
            long,
            env = "LATCHKEY_DATABASE_URL",
            default_value = "sqlite://latchkey-data/latchkey.db"
        )]
        database_url: String,
    },
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `LATCHKEY_SECRET_KEY`, or for SQLite a key generated once into
/// `<data dir>/secret.key` (mode 0600); PostgreSQL deployments must set it.
fn secret_key(database_url: &str) -> Result<SecretKey> {
    if let Ok(text) = std::env::var("LATCHKEY_SECRET_KEY") {
        return SecretKey::from_hex(&text).context("LATCHKEY_SECRET_KEY");
    }
    if is_postgres(database_url) {
        bail!(
            "LATCHKEY_SECRET_KEY must be set (64 hex characters) when using PostgreSQL, so every server process shares it; generate one with `openssl rand -hex 32`"
        );
    }
    let db_path = database_url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let dir = Path::new(db_path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    latchkey_store::files::create_private_dir(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("secret.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return SecretKey::from_hex(&text)
            .with_context(|| format!("{} is corrupt", path.display()));
    }
    let key = SecretKey::generate();
    write_private(&path, &key.to_hex())?;
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("creating {}", path.display()))
}

/// Runs the command line.
pub async fn run() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LATCHKEY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    match cli.command {
        Command::Migrate { database_url } => {
            Db::connect(&database_url).await?;
            println!("migrations applied");
        }
        Command::Init {
            database_url,
            account,
            email,
            password,
            password_file,
            password_stdin,
            name,
        } => {
            let password = admin_password(password, password_file.as_deref(), password_stdin)?;
            let secret = secret_key(&database_url)?;
            let db = Db::connect(&database_url).await?;
            let now = latchkey_proto_now();
            let created = create_account(
                &db,
                &secret,
                now,
                NewAccount {
                    slug: account,
                    name,
                    email,
                    password,
                },
            )
            .await?;
            println!("{}", created.account.id);
        }
        Command::Serve {
            database_url,
            bind,
            cull_interval,
            header_timeout,
            body_timeout,
            idle_timeout,
            max_connections,
            shutdown_timeout,
            tls_cert,
            tls_key,
            tls_reload_interval,
            trusted_proxies,
            max_rps,
            max_rpm,
        } => {
            let seconds = std::time::Duration::from_secs;
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(TlsFiles {
                    cert,
                    key,
                    reload_interval: seconds(tls_reload_interval),
                }),
                _ => None,
            };
            let secret = secret_key(&database_url)?;
            let config = Config {
                bind,
                database_url: database_url.clone(),
                account: std::env::var("LATCHKEY_ACCOUNT").ok(),
                admin_email: std::env::var("LATCHKEY_ADMIN_EMAIL").ok(),
                admin_password: std::env::var("LATCHKEY_ADMIN_PASSWORD").ok(),
                cull_interval: std::time::Duration::from_secs(cull_interval),
                header_timeout: seconds(header_timeout),
                body_timeout: seconds(body_timeout),
                idle_timeout: seconds(idle_timeout),
                max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
                shutdown_timeout: seconds(shutdown_timeout),
                tls,
                trusted_proxies,
                max_rps: NonZeroU32::new(max_rps),
                max_rpm: NonZeroU32::new(max_rpm),
                ..Config::default()
            };
            let db = Db::connect(&database_url).await?;
            let bound = latchkey_server::bootstrap::bind_sealed_keys(&db, &secret).await?;
            if bound > 0 {
                tracing::info!(
                    accounts = bound,
                    "re-sealed account keys bound to their account"
                );
            }
            bootstrap_if_empty(&db, &secret, &config).await?;
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("binding {bind}"))?;
            let scheme = if config.tls.is_some() {
                "https"
            } else {
                "http"
            };
            let addr = listener.local_addr().unwrap_or(bind);
            tracing::info!(%addr, backend = ?db.backend(), "latchkey listening on {scheme}://{addr}");
            let state = AppState::new(db.clone(), Arc::new(SystemClock), secret, config);
            latchkey_server::serve(listener, state, shutdown_signal()).await?;
            db.close().await;
        }
    }
    Ok(())
}

/// The admin password for `init`: from the flag, a file, or standard input (one line;
/// the trailing newline is not part of it).
fn admin_password(flag: Option<String>, file: Option<&Path>, stdin: bool) -> Result<String> {
    let text = match (flag, file, stdin) {
        (Some(password), _, _) => return Ok(password),
        (None, Some(path), _) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the password from {}", path.display()))?,
        (None, None, true) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line
        }
        (None, None, false) => {
            bail!("give the admin password with --password-file, --password-stdin or --password")
        }
    };
    let password = text.lines().next().unwrap_or("").to_owned();
    if password.is_empty() {
        bail!("the admin password is empty");
    }
    Ok(password)
}

fn latchkey_proto_now() -> i64 {
    (SystemClock.now().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Creates the first account on an empty database. Several processes may start
/// together on one PostgreSQL database: exactly one creates the account (and only it
/// prints the first-start credentials); the others find it and serve.
async fn bootstrap_if_empty(db: &Db, secret: &SecretKey, config: &Config) -> Result<()> {
    if latchkey_store::accounts::first(db).await?.is_some() {
        return Ok(());
    }
    let now = latchkey_proto_now();
    match (&config.account, &config.admin_email, &config.admin_password) {
        (Some(account), Some(email), Some(password)) => {
            let Some(created) = create_first_account(
                db,
                secret,
                now,
                NewAccount {
                    slug: account.clone(),
                    name: None,
                    email: email.clone(),
                    password: password.clone(),
                },
            )
            .await?
            else {
                return Ok(());
            };
            println!(
                "Created account '{}' ({}) with admin {}",
                created.account.slug, created.account.id, created.admin.email
            );
        }
        (None, None, None) => {
            let password = hex_password();
            let Some(created) = create_first_account(
                db,
                secret,
                now,
                NewAccount {
                    slug: "default".into(),
                    name: Some("Default".into()),
                    email: "admin@latchkey.local".into(),
                    password: password.clone(),
                },
            )
            .await?
            else {
                return Ok(());
            };
            let token = issue_admin_token(db, secret, now, &created.admin).await?;
            println!(
                "First start: created account 'default' ({})",
                created.account.id
            );
            println!("  admin user:   {} / {}", created.admin.email, password);
            println!("  admin token:  {token}");
            println!("This token and password are shown only once.");
        }
        _ => bail!(
            "set all of LATCHKEY_ACCOUNT, LATCHKEY_ADMIN_EMAIL and LATCHKEY_ADMIN_PASSWORD to bootstrap an account, or none of them"
        ),
    }
    Ok(())
}

fn hex_password() -> String {
    SecretKey::generate().to_hex()[..24].to_owned()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
