//! The commands that talk to a running server over HTTP through the SDK: operator
//! commands (resources, actions, bulk work, exports), end-user commands (fingerprint,
//! activate, validate, verify) and `login`. Connection settings come from flags, then
//! `LATCHKEY_URL` / `LATCHKEY_ACCOUNT` / `LATCHKEY_TOKEN` / `LATCHKEY_PUBLIC_KEY`, then
//! the profile `latchkey login` writes (mode 0600).

pub mod bulk;
pub mod distribution;
pub mod enduser;
pub mod exit;
pub mod login;
pub mod output;
pub mod profile;
pub mod resources;

use clap::Args;
use latchkey_sdk::{Client, Config};

use exit::Failure;
use profile::Profile;

/// Where the server is and who is asking.
#[derive(Args, Debug, Clone, Default)]
pub struct Connection {
    /// Server base URL (https://licensing.example.com).
    #[arg(long, global = true, env = "LATCHKEY_URL")]
    pub url: Option<String>,
    /// Account id or slug (omit for the account-less /v1/… paths of a one-account server).
    #[arg(long, global = true, env = "LATCHKEY_ACCOUNT")]
    pub account: Option<String>,
    /// API token (admin, developer, product, user or activation token).
    #[arg(long, global = true, env = "LATCHKEY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The account's public key (hex Ed25519, or PEM): responses are verified with it.
    #[arg(long, global = true, env = "LATCHKEY_PUBLIC_KEY")]
    pub public_key: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Connection {
    /// Flags and variables, completed from the saved profile.
    pub fn resolve(&self) -> Result<Connection, Failure> {
        let saved = Profile::load()?.unwrap_or_default();
        Ok(Connection {
            url: self.url.clone().or(saved.url),
            account: self.account.clone().or(saved.account),
            token: self.token.clone().or(saved.token),
            public_key: self.public_key.clone().or(saved.public_key),
            json: self.json,
        })
    }

    /// An SDK configuration; responses are verified when a public key is known.
    /// `require_key` makes the key mandatory (end-user commands, whose answers decide
    /// whether software runs).
    pub fn config(&self, require_key: bool) -> Result<Config, Failure> {
        let url = self.url.as_deref().ok_or_else(|| {
            Failure::usage(
                "no server URL",
                "pass --url, set LATCHKEY_URL, or run `latchkey login`",
            )
        })?;
        let mut config =
            Config::new(url).user_agent(format!("latchkey-cli/{}", env!("CARGO_PKG_VERSION")));
        if let Some(account) = &self.account {
            config = config.account(account.clone());
        }
        if let Some(token) = &self.token {
            config = config.token(token.clone());
        }
        match &self.public_key {
            Some(key) => config = config.public_key(key).map_err(Failure::from)?,
            None if require_key => {
                return Err(Failure::usage(
                    "no public key to verify the server's answers",
                    "pass --public-key HEX or set LATCHKEY_PUBLIC_KEY (the account's Ed25519 key)",
                ));
            }
            None => config = config.danger_skip_signature_verification(),
        }
        Ok(config)
    }

    /// A client for operator commands (a token is required).
    pub fn operator(&self) -> Result<Client, Failure> {
        let resolved = self.resolve()?;
        if resolved.token.is_none() {
            return Err(Failure::usage(
                "no token",
                "pass --token, set LATCHKEY_TOKEN, or run `latchkey login`",
            ));
        }
        Client::new(resolved.config(false)?).map_err(Failure::from)
    }
}
