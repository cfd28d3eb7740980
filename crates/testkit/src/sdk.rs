//! The SDK pointed at a [`TestServer`]: its account's public keys, its manual clock
//! (so signed `Date` headers are checked against the time the server believes), and
//! both URL forms.

use std::sync::Arc;
use std::time::SystemTime;

use latchkey_core::clock::{Clock, ManualClock};
use latchkey_sdk::{Client, Config};

use crate::TestServer;

/// The SDK clock that reads a test server's manual clock.
#[derive(Debug, Clone)]
pub struct ServerClock(pub ManualClock);

impl latchkey_sdk::config::Clock for ServerClock {
    fn now(&self) -> SystemTime {
        self.0.now().into()
    }
}

impl TestServer {
    /// An SDK configuration for this server: account-less `/v1/…` URLs (what Keygen's
    /// SDKs use against self-hosted servers), the account's Ed25519 key, the server's
    /// clock, no credential.
    pub async fn sdk_config(&self) -> anyhow::Result<Config> {
        let keys = self.public_keys().await?;
        let ed25519 = keys
            .get(latchkey_proto::offline::KeyType::Ed25519)
            .ok_or_else(|| anyhow::anyhow!("no Ed25519 key"))?
            .clone();
        Ok(Config::new(self.base.clone())
            .verifying_key(ed25519)
            .clock(Arc::new(ServerClock(self.clock.clone()))))
    }

    /// An SDK client without a credential (validate-key, activation with the key).
    pub async fn sdk(&self) -> anyhow::Result<Client> {
        Ok(Client::new(self.sdk_config().await?)?)
    }

    /// An SDK client authenticated with the admin token.
    pub async fn sdk_admin(&self) -> anyhow::Result<Client> {
        Ok(Client::new(
            self.sdk_config().await?.token(self.admin_token.clone()),
        )?)
    }
}
