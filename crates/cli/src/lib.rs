//! The `latchkey` command: `serve` (the HTTP server), `init` (create an account and
//! its admin), `migrate` (apply migrations and exit), `print-default-config`. Settings
//! are layered in `args`: defaults, `--config` file, `LATCHKEY_*` variables, flags.

mod args;
mod remote;

use anyhow::{Context, Result, bail};
use args::{Cli, Command};
use clap::Parser;
use latchkey_core::clock::{Clock, SystemClock};
use latchkey_core::secret::SecretKey;
use latchkey_server::bootstrap::{
    NewAccount, create_account, create_first_account, issue_admin_token,
};
use latchkey_server::config::Settings;
use latchkey_server::{AppState, Config};
use latchkey_store::Db;
use std::path::Path;
use std::sync::Arc;

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The `secret_key` setting (`LATCHKEY_SECRET_KEY`), or for SQLite a key generated
/// once into `<data dir>/secret.key` (mode 0600); PostgreSQL deployments must set it.
fn secret_key(settings: &Settings) -> Result<SecretKey> {
    let database_url = settings.database_url.as_str();
    if let Some(text) = &settings.secret_key {
        return SecretKey::from_hex(text).context("secret_key (LATCHKEY_SECRET_KEY)");
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

/// Runs the command line and returns the process exit code (see `remote::exit`).
pub async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match remote_command(cli.command).await {
        Ok(Ok(())) => std::process::ExitCode::SUCCESS,
        Ok(Err(failure)) => failure.report(),
        Err(command) => match run(Cli {
            config: cli.config,
            command,
        })
        .await
        {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}

/// `latchkey openapi`: the API contract (or its Markdown reference) on stdout.
fn openapi(markdown: bool) -> Result<(), remote::exit::Failure> {
    let failure = |e: String| remote::exit::Failure::new(remote::exit::FAILURE, e, None);
    if markdown {
        let text =
            latchkey_server::openapi::markdown::render().map_err(|e| failure(e.to_string()))?;
        print!("{text}");
        return Ok(());
    }
    let text = latchkey_server::openapi::document()
        .and_then(|document| serde_json::to_string_pretty(&document))
        .map_err(|e| failure(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Runs a client-side command; hands server commands back.
async fn remote_command(command: Command) -> Result<Result<(), remote::exit::Failure>, Command> {
    use remote::{enduser, login, resources};
    let result = match command {
        Command::Login(args) => login::login(&args).await,
        Command::Logout => login::logout(),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "latchkey", &mut std::io::stdout());
            Ok(())
        }
        Command::Openapi { markdown } => openapi(markdown),
        Command::Products(a) => resources::run(&a.connection, "products", &a.command).await,
        Command::Policies(a) => resources::run(&a.connection, "policies", &a.command).await,
        Command::Users(a) => resources::run(&a.connection, "users", &a.command).await,
        Command::Groups(a) => resources::run(&a.connection, "groups", &a.command).await,
        Command::Entitlements(a) => resources::run(&a.connection, "entitlements", &a.command).await,
        Command::Tokens(a) => resources::run(&a.connection, "tokens", &a.command).await,
        Command::Licenses(a) => resources::licenses(&a.connection, &a.command).await,
        Command::Machines(a) => resources::machines(&a.connection, &a.command).await,
        Command::Release(a) => remote::distribution::releases(&a.connection, &a.command).await,
        Command::Artifact(a) => remote::distribution::artifacts(&a.connection, &a.command).await,
        Command::Fingerprint(a) => enduser::fingerprint_command(&a.args, a.json),
        Command::Activate(a) => enduser::activate(&a.connection, &a.args).await,
        Command::Deactivate(a) => enduser::deactivate(&a.connection, &a.args).await,
        Command::Validate(a) => enduser::validate(&a.connection, &a.args).await,
        Command::Verify(a) => enduser::verify(&a.connection, &a.args),
        other => return Err(other),
    };
    Ok(result)
}

/// Runs a server-side command (serve, init, migrate, backup, print-default-config).
async fn run(cli: Cli) -> Result<()> {
    let mut settings = args::file_and_variables(cli.config.as_deref())?;
    match &cli.command {
        Command::PrintDefaultConfig => {
            print!("{}", Settings::default_toml());
            return Ok(());
        }
        Command::Serve(serve) => serve.apply(&mut settings),
        Command::Init(init) => init.database.apply(&mut settings),
        Command::Migrate(database) => database.apply(&mut settings),
        Command::Backup(backup) => backup.database.apply(&mut settings),
        _ => bail!("not a server command"),
    }
    settings.validate()?;
    init_logging(&settings);
    match cli.command {
        Command::PrintDefaultConfig => {}
        Command::Migrate(_) => {
            Db::connect(&settings.database_url).await?;
            println!("migrations applied");
        }
        Command::Init(init) => {
            let password = admin_password(
                init.password,
                init.password_file.as_deref(),
                init.password_stdin,
            )?;
            let secret = secret_key(&settings)?;
            let db = Db::connect(&settings.database_url).await?;
            let now = latchkey_proto_now();
            let created = create_account(
                &db,
                &secret,
                now,
                NewAccount {
                    slug: init.account,
                    name: init.name,
                    email: init.email,
                    password,
                },
            )
            .await?;
            // Writes the event logs of the creation before the process ends.
            db.close().await;
            println!("{}", created.account.id);
        }
        Command::Serve(_) => serve(&settings).await?,
        Command::Backup(backup) => backup_database(&settings, &backup.file).await?,
        _ => bail!("not a server command"),
    }
    Ok(())
}

/// Log lines on standard output, as text or (`log_format = "json"`) one JSON object per
/// line with the fields of every open span, so a request's lines carry its `request_id`.
fn init_logging(settings: &Settings) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(&settings.log).unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if settings.log_format == "json" {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init();
    } else {
        builder.init();
    }
}

/// `latchkey backup FILE`: a consistent online copy of a SQLite database.
async fn backup_database(settings: &Settings, file: &Path) -> Result<()> {
    use latchkey_store::backup::{Backup, sqlite_copy};
    if is_postgres(&settings.database_url) {
        bail!(
            "PostgreSQL is backed up with its own tools; nothing was written.\n\
             hint: pg_dump --format=custom --file {} \"$LATCHKEY_DATABASE_URL\" \
             (restore with pg_restore; or use continuous archiving for point-in-time recovery)",
            file.display()
        );
    }
    if file.exists() {
        bail!("{} already exists; choose a new file", file.display());
    }
    let db = Db::connect(&settings.database_url).await?;
    match sqlite_copy(&db, file).await? {
        Backup::Written(bytes) => {
            println!("backed up {bytes} bytes to {} (mode 0600)", file.display())
        }
        Backup::UseNativeTool => bail!("this database is backed up with its own tools"),
    }
    Ok(())
}

/// `latchkey serve` with the layered settings.
async fn serve(settings: &Settings) -> Result<()> {
    let config = settings.config();
    let bind = config.bind;
    let secret = secret_key(settings)?;
    let db = Db::connect(&config.database_url).await?;
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
            "set all of account, admin_email and admin_password (LATCHKEY_ACCOUNT, LATCHKEY_ADMIN_EMAIL, LATCHKEY_ADMIN_PASSWORD) to bootstrap an account, or none of them"
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
