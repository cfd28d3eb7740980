//! Credentials: an API token found by its digest, with its bearer's rows, which every
//! token-authenticated request reads before anything else; and a license key's head
//! for `Authorization: License …`.
//!
//! Token credentials are kept in the snapshot cache ([`crate::snapshot_cache`]),
//! under the same exactness rules as validation snapshots: a bounded LRU, filled only
//! when no invalidation landed during the read, dropped by every committed write to
//! the token (counters, revocation: key `token:<id>`, migration 0014), its bearer
//! (`user:<id>`, `product:<id>`, `license:<id>`) or, for a license bearer, its policy
//! and owner. Token expiry is compared with the clock at request time, never cached
//! as a verdict.

use crate::snapshot_cache::Change;
use crate::tokens::TokenRow;
use crate::users::UserRow;
use crate::validation::Head;
use crate::{Db, Result};
use hashlink::LruCache;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A token's bearer, as read with it.
#[derive(Debug, Clone)]
pub enum BearerRows {
    /// A user (admin, developer, sales, support, read-only or end user).
    User(UserRow),
    /// A product.
    Product(crate::products::ProductRow),
    /// A license, with its policy and owner.
    License(Box<Head>),
}

/// A token with its bearer.
#[derive(Debug, Clone)]
pub struct TokenCredential {
    /// The token.
    pub token: TokenRow,
    /// Its bearer.
    pub bearer: BearerRows,
}

impl TokenCredential {
    /// The cache keys whose writes change this credential.
    fn dependencies(&self) -> Vec<Change> {
        let mut keys = vec![Change::Token(self.token.id.clone())];
        match &self.bearer {
            BearerRows::User(user) => keys.push(Change::User(user.id.clone())),
            BearerRows::Product(product) => keys.push(Change::Product(product.id.clone())),
            BearerRows::License(head) => {
                keys.push(Change::License(head.license.id.clone()));
                keys.push(Change::Policy(head.policy.id.clone()));
                if let Some(owner) = &head.license.owner_id {
                    keys.push(Change::User(owner.clone()));
                }
            }
        }
        keys
    }
}

/// The token of `account` with this digest and its bearer, from the cache when held;
/// `None` when there is no such token or its bearer is gone.
pub async fn by_token(
    db: &Db,
    account: &str,
    digest: &str,
) -> Result<Option<Arc<TokenCredential>>> {
    let cache = db.snapshot_cache();
    let (cached, ticket) = cache.credential(account, digest);
    if let Some(credential) = cached {
        return Ok(Some(credential));
    }
    let Some(token) = crate::tokens::find_by_digest(db, account, digest).await? else {
        return Ok(None);
    };
    let bearer = match token.bearer_type.as_str() {
        "users" => crate::users::find_by_id(db, account, &token.bearer_id)
            .await?
            .map(BearerRows::User),
        "products" => crate::products::find(db, account, &token.bearer_id)
            .await?
            .map(BearerRows::Product),
        "licenses" => crate::validation::head_by_id(db, account, &token.bearer_id)
            .await?
            .map(|head| BearerRows::License(Box::new(head))),
        _ => None,
    };
    let Some(bearer) = bearer else {
        return Ok(None);
    };
    let credential = Arc::new(TokenCredential { token, bearer });
    cache.put_credential(ticket, account, digest, credential.clone());
    Ok(Some(credential))
}

/// The head of the license of `account` with this key: from a cached validation
/// snapshot when one is held (what `Authorization: License …` reads after a
/// validation), else read.
pub async fn license_head_by_key(db: &Db, account: &str, key: &str) -> Result<Option<Head>> {
    if let (Some(parts), _) = db.snapshot_cache().peek(account, key) {
        return Ok(Some(parts.head.clone()));
    }
    crate::validation::head_by_key(db, account, key).await
}

type Key = (String, String);

/// The cached credentials, with an index from each cache key to the entries it
/// drops (a heartbeat's `license:<id>` must not scan every token).
pub(crate) struct CredentialEntries {
    entries: LruCache<Key, Arc<TokenCredential>>,
    index: HashMap<Change, HashSet<Key>>,
}

impl CredentialEntries {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: LruCache::new(capacity),
            index: HashMap::new(),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get(&mut self, key: &Key) -> Option<Arc<TokenCredential>> {
        self.entries.get(key).cloned()
    }

    /// Stores an entry; true when it pushed out the least recently used one.
    pub(crate) fn insert(&mut self, key: Key, credential: Arc<TokenCredential>) -> bool {
        self.remove(&key);
        let mut evicted = false;
        if self.entries.len() >= self.entries.capacity()
            && let Some((old_key, old)) = self.entries.remove_lru()
        {
            self.unindex(&old_key, &old);
            evicted = true;
        }
        for dependency in credential.dependencies() {
            self.index
                .entry(dependency)
                .or_default()
                .insert(key.clone());
        }
        self.entries.insert(key, credential);
        evicted
    }

    fn remove(&mut self, key: &Key) -> bool {
        match self.entries.remove(key) {
            Some(old) => {
                self.unindex(key, &old);
                true
            }
            None => false,
        }
    }

    fn unindex(&mut self, key: &Key, credential: &TokenCredential) {
        for dependency in credential.dependencies() {
            if let Some(keys) = self.index.get_mut(&dependency) {
                keys.remove(key);
                if keys.is_empty() {
                    self.index.remove(&dependency);
                }
            }
        }
    }

    /// Drops what `change` touched; returns how many entries went.
    pub(crate) fn apply(&mut self, change: &Change) -> u64 {
        match change {
            Change::All => {
                let dropped = self.entries.len() as u64;
                self.clear();
                dropped
            }
            Change::Endpoints => 0,
            keyed => {
                let Some(keys) = self.index.remove(keyed) else {
                    return 0;
                };
                keys.iter().filter(|key| self.remove(key)).count() as u64
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
    }

    /// Changes the bound (0 disables); drops the least recently used.
    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        while self.entries.len() > capacity {
            match self.entries.remove_lru() {
                Some((key, old)) => self.unindex(&key, &old),
                None => break,
            }
        }
        self.entries.set_capacity(capacity);
    }
}
