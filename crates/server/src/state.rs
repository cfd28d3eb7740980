//! Shared server state: database, clock, secret, account cache and the background
//! writer for validation timestamps.

use crate::config::Config;
use crate::jobs::touch::Toucher;
use latchkey_core::clock::SharedClock;
use latchkey_core::secret::SecretKey;
use latchkey_store::Db;
use latchkey_store::accounts::AccountRow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

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
    /// The account of account-less `/v1/…` routes, once found (like `accounts`, kept
    /// for the life of the process).
    pub default_account: OnceLock<Arc<AccountRow>>,
    /// Batches `lastValidated` writes off the request path.
    pub toucher: Toucher,
    /// Batches validation webhook events off the request path.
    pub validation_events: crate::events::validations::ValidationEvents,
    /// Batches request logs off the request path (`None`: request logs off).
    pub request_logs: Option<crate::request_logs::RequestLogs>,
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
        crate::telemetry::install();
        let toucher = Toucher::spawn(db.clone());
        let validation_events = crate::events::validations::ValidationEvents::spawn(db.clone());
        let request_logs = config
            .logs
            .request_logs
            .then(|| crate::request_logs::RequestLogs::spawn(db.clone()));
        db.snapshot_cache()
            .set_capacity(config.validation_cache_size);
        Self(Arc::new(Inner {
            db,
            clock,
            secret,
            config,
            accounts: RwLock::new(HashMap::new()),
            default_account: OnceLock::new(),
            toucher,
            validation_events,
            request_logs,
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
        let row = latchkey_store::accounts::find(&self.db, id_or_slug).await?;
        Ok(row.map(|row| self.remember(row)))
    }

    /// Caches `row` under its id and slug (an entry already there wins, so every
    /// request shares one `Arc`).
    fn remember(&self, row: AccountRow) -> Arc<AccountRow> {
        let Ok(mut cache) = self.accounts.write() else {
            return Arc::new(row);
        };
        if let Some(cached) = cache.get(&row.id) {
            return cached.clone();
        }
        let row = Arc::new(row);
        cache.insert(row.id.clone(), row.clone());
        cache.insert(row.slug.clone(), row.clone());
        row
    }

    /// The account served on account-less `/v1/…` routes: the `account` setting, else
    /// the first account. Loaded once; until an account exists, every call looks again.
    pub async fn default_account(
        &self,
    ) -> Result<Option<Arc<AccountRow>>, latchkey_store::StoreError> {
        if let Some(account) = self.default_account.get() {
            return Ok(Some(account.clone()));
        }
        let found = match &self.config.account {
            Some(account) => self.account(account).await?,
            None => latchkey_store::accounts::first(&self.db)
                .await?
                .map(|row| self.remember(row)),
        };
        if let Some(account) = &found {
            let _ = self.default_account.set(account.clone());
        }
        Ok(found)
    }
}
