//! Server configuration: one typed struct, built by the CLI from flags and
//! `LATCHKEY_*` variables and passed in (never global). Secrets stay out of `Debug`.

use std::net::SocketAddr;

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
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: "sqlite://latchkey-data/latchkey.db".into(),
            account: None,
            admin_email: None,
            admin_password: None,
            max_body_bytes: 1024 * 1024,
            cull_interval: std::time::Duration::from_secs(120),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match self.database_url.split_once('@') {
            Some((_, host)) => format!("<redacted>@{host}"),
            None => self.database_url.clone(),
        };
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
            .finish()
    }
}
