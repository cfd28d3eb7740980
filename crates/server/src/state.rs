//! Shared server state: database, clock, secret, account cache and the background
//! writer for validation timestamps.

use crate::config::Config;
use crate::jobs::touch::Toucher;
use latchkey_core::clock::SharedClock;
use latchkey_core::secret::SecretKey;
use latchkey_store::Db;
use latchkey_store::accounts::AccountRow;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Cheap-to-clone handle on everything a handler needs.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The state's contents.
pub struct Inner {
    /// Database.
    pub db: Db,
    /// Clock.
    pub clock: SharedClock,
    /// Server secret.
    pub secret: SecretKey,
    /// Configuration.
    pub config: Config,
    /// Accounts by id and slug (accounts change rarely; keys are immutable).
    pub accounts: RwLock<HashMap<String, Arc<AccountRow>>>,
    /// Batches `lastValidated` writes off the request path.
    pub toucher: Toucher,
    /// Unsealed response signers by account id.
    pub signers: RwLock<HashMap<String, Arc<latchkey_core::crypto::Signer>>>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state.
    pub fn new(db: Db, clock: SharedClock, secret: SecretKey, config: Config) -> Self {
        let toucher = Toucher::spawn(db.clone());
        Self(Arc::new(Inner {
            db,
            clock,
            secret,
            config,
            accounts: RwLock::new(HashMap::new()),
            toucher,
            signers: RwLock::new(HashMap::new()),
        }))
    }

    /// Now, from the injected clock.
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// Now as unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        latchkey_proto::time_format::to_millis(self.now())
    }

    /// Resolves an account by id or slug, through the cache.
    pub async fn account(
        &self,
        id_or_slug: &str,
    ) -> Result<Option<Arc<AccountRow>>, latchkey_store::StoreError> {
        if let Ok(cache) = self.accounts.read()
            && let Some(account) = cache.get(id_or_slug)
        {
            return Ok(Some(account.clone()));
        }
        let Some(row) = latchkey_store::accounts::find(&self.db, id_or_slug).await? else {
            return Ok(None);
        };
        let row = Arc::new(row);
        if let Ok(mut cache) = self.accounts.write() {
            cache.insert(row.id.clone(), row.clone());
            cache.insert(row.slug.clone(), row.clone());
        }
        Ok(Some(row))
    }

    /// The account served on account-less `/v1/…` routes: `LATCHKEY_ACCOUNT`, else the first.
    pub async fn default_account(
        &self,
    ) -> Result<Option<Arc<AccountRow>>, latchkey_store::StoreError> {
        if let Some(account) = &self.config.account {
            return self.account(account).await;
        }
        match latchkey_store::accounts::first(&self.db).await? {
            Some(row) => self.account(&row.id).await,
            None => Ok(None),
        }
    }
}
