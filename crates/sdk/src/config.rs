//! Client configuration: where the server is, who the client is, which keys it trusts.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use latchkey_proto::offline::{PublicKeys, VerifyingKey};

use crate::error::Error;

/// The Keygen API version the SDK speaks (sent as `Keygen-Version`).
pub const API_VERSION: &str = "1.7";

/// A source of the current time. Tests and tamper checks inject their own.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The SDK's one read of the OS clock; everything else goes through `Clock`.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// How requests authenticate.
#[derive(Clone, Default)]
pub enum Credential {
    /// No `Authorization` header (validate-key and other public actions).
    #[default]
    None,
    /// `Authorization: License <key>`.
    LicenseKey(String),
    /// `Authorization: Bearer <token>` (activation, user, product or admin token).
    Token(String),
    /// `Authorization: Basic …` with an email and password: only `POST /tokens`
    /// (creating a token) accepts it.
    Basic {
        /// Email.
        user: String,
        /// Password.
        password: String,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        f.write_str(match self {
            Credential::None => "None",
            Credential::LicenseKey(_) => "LicenseKey(<redacted>)",
            Credential::Token(_) => "Token(<redacted>)",
            Credential::Basic { .. } => "Basic(<redacted>)",
        })
    }
}

/// Everything a [`Client`](crate::Client) needs. Build it with [`Config::new`] and the
/// builder methods; every field has a safe default except the server address and the
/// account's public key (required unless verification is explicitly disabled).
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) base_url: String,
    pub(crate) account: Option<String>,
    pub(crate) product: Option<String>,
    pub(crate) credential: Credential,
    pub(crate) public_keys: PublicKeys,
    pub(crate) verify_signatures: bool,
    pub(crate) timeout: Duration,
    pub(crate) user_agent: String,
    pub(crate) api_version: String,
    pub(crate) max_clock_skew: Duration,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Config {
    /// A configuration for the server at `base_url` (`https://licensing.example.com`,
    /// or `https://api.keygen.sh` for Keygen's cloud). A trailing `/` and a trailing
    /// `/v1` are ignored.
    pub fn new(base_url: impl Into<String>) -> Self {
        let mut base: String = base_url.into();
        while base.ends_with('/') {
            base.pop();
        }
        if let Some(stripped) = base.strip_suffix("/v1") {
            base = stripped.to_owned();
        }
        Config {
            base_url: base,
            account: None,
            product: None,
            credential: Credential::None,
            public_keys: PublicKeys::new(),
            verify_signatures: true,
            timeout: Duration::from_secs(30),
            user_agent: format!("latchkey-sdk/{}", env!("CARGO_PKG_VERSION")),
            api_version: API_VERSION.to_owned(),
            max_clock_skew: Duration::from_secs(300),
            clock: Arc::new(SystemClock),
        }
    }

    /// The account id or slug: requests go to `/v1/accounts/{account}/…`. Without it
    /// they go to the account-less `/v1/…` paths of a single-account server (what
    /// Keygen's own SDKs do against self-hosted servers).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// The product the application belongs to: sent as the validation's product scope.
    pub fn product(mut self, product: impl Into<String>) -> Self {
        self.product = Some(product.into());
        self
    }

    /// Authenticate with a license key (`Authorization: License …`).
    pub fn license_key(mut self, key: impl Into<String>) -> Self {
        self.credential = Credential::LicenseKey(key.into());
        self
    }

    /// Authenticate with a token (`Authorization: Bearer …`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.credential = Credential::Token(token.into());
        self
    }

    /// Trusts the account's Ed25519 public key, as the hex string the dashboard or
    /// `GET /accounts/{id}` shows (`meta.publicKeys.ed25519` / `attributes.publicKey`).
    pub fn public_key_hex(mut self, hex_key: &str) -> Result<Self, Error> {
        let key = VerifyingKey::from_ed25519_hex(hex_key.trim())
            .map_err(|e| Error::Config(format!("public key: {e}")))?;
        self.public_keys.insert(key);
        Ok(self)
    }

    /// Trusts a public key in any form proto understands (hex Ed25519, PEM, base64 DER).
    pub fn public_key(mut self, text: &str) -> Result<Self, Error> {
        let key = VerifyingKey::parse(text.trim())
            .map_err(|e| Error::Config(format!("public key: {e}")))?;
        self.public_keys.insert(key);
        Ok(self)
    }

    /// Trusts an already parsed key.
    pub fn verifying_key(mut self, key: VerifyingKey) -> Self {
        self.public_keys.insert(key);
        self
    }

    /// Accepts unsigned responses. Only for operator tools on a trusted network or
    /// tests: without signatures a man in the middle can forge any answer.
    pub fn danger_skip_signature_verification(mut self) -> Self {
        self.verify_signatures = false;
        self
    }

    /// Per-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `latchkey-sdk/<version>`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// The `Keygen-Version` to request (default [`API_VERSION`]).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// How far a response's signed `Date` may be from the local clock before the
    /// response is refused as a replay (default 5 minutes).
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// The clock used for replay windows and offline expiry (default: the system's).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The configured base URL (normalized).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The credential requests carry.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// The current time of the configured clock.
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The trusted public keys.
    pub fn public_keys(&self) -> &PublicKeys {
        &self.public_keys
    }

    /// The `/v1/…` URL of an API path (`path` without a leading `/v1`, e.g.
    /// `licenses/actions/validate-key`).
    pub(crate) fn url(&self, path: &str) -> String {
        let path = path.trim_start_matches('/');
        let account = self
            .account
            .as_deref()
            .map(|a| percent_encoding::utf8_percent_encode(a, crate::client::SEGMENT).to_string());
        if path.is_empty() {
            // The account itself (`GET /v1/accounts/{id}`).
            return match &account {
                Some(account) => format!("{}/v1/accounts/{account}", self.base_url),
                None => format!("{}/v1", self.base_url),
            };
        }
        match &account {
            Some(account) => format!("{}/v1/accounts/{account}/{path}", self.base_url),
            None => format!("{}/v1/{path}", self.base_url),
        }
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            return Err(Error::Config(format!(
                "base URL must start with https:// or http:// (got {:?})",
                self.base_url
            )));
        }
        if self.verify_signatures && !has_keys(&self.public_keys) {
            return Err(Error::Config(
                "no public key configured: pass the account's public key (or disable \
                 verification explicitly)"
                    .into(),
            ));
        }
        Ok(())
    }
}

fn has_keys(keys: &PublicKeys) -> bool {
    use latchkey_proto::offline::KeyType;
    [KeyType::Ed25519, KeyType::EcdsaP256, KeyType::Rsa]
        .into_iter()
        .any(|t| keys.get(t).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_use_the_account_path_only_when_an_account_is_set() {
        let c = Config::new("https://x.test/v1/");
        assert_eq!(
            c.url("licenses/actions/validate-key"),
            "https://x.test/v1/licenses/actions/validate-key"
        );
        let c = c.account("acme");
        assert_eq!(c.url("/me"), "https://x.test/v1/accounts/acme/me");
        assert_eq!(c.url(""), "https://x.test/v1/accounts/acme");
        let c = c.account("a/b");
        assert_eq!(c.url("me"), "https://x.test/v1/accounts/a%2Fb/me");
    }

    #[test]
    fn credentials_never_print() {
        let c = Config::new("https://x.test").license_key("SECRET-KEY");
        assert!(!format!("{c:?}").contains("SECRET"));
    }

    #[test]
    fn a_client_without_keys_is_refused_unless_verification_is_off() {
        assert!(Config::new("https://x.test").check().is_err());
        assert!(
            Config::new("https://x.test")
                .danger_skip_signature_verification()
                .check()
                .is_ok()
        );
        assert!(
            Config::new("ftp://x.test")
                .danger_skip_signature_verification()
                .check()
                .is_err()
        );
    }
}
