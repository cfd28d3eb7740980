//! The validation snapshot cache: the rows behind a validation ([`Parts`]), kept in a
//! bounded LRU keyed by (account, license key), and dropped by every committed write
//! that could change them. It also holds API tokens with their bearers
//! ([`crate::credentials`]) and the webhook endpoint list, under the same rules.
//!
//! Invalidation is not written into the store's write functions: database triggers
//! (migrations 0006, 0013, 0014) name what a write touched as a compact key —
//! `license:<id>`, `policy:<id>`, `user:<id>`, `token:<id>`, `product:<id>`,
//! `endpoints` or `all` (see [`Change`]). On PostgreSQL the trigger
//! calls `pg_notify` inside the writing transaction, so every node's listener
//! ([`crate::listen`]) hears it exactly when it commits; on SQLite (one process) the
//! triggers append to `cache_changes`, which the writing transaction drains just
//! before it commits and applies right after ([`crate::db`]).
//!
//! Exactness under races: every invalidation bumps an epoch under the cache lock;
//! a miss remembers the epoch before it reads the database and stores what it read
//! only if no invalidation happened meanwhile. While the PostgreSQL listener is
//! disconnected the cache is bypassed and, once it listens again, emptied.

use crate::credentials::{CredentialEntries, TokenCredential};
use crate::validation::Parts;
use crate::webhooks::WebhookEndpointRow;
use hashlink::LruCache;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The PostgreSQL notification channel the triggers send on.
pub const CHANNEL: &str = "latchkey_cache";

/// Entries kept when no size is configured.
pub const DEFAULT_CAPACITY: usize = 20_000;

/// What a committed write touched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Change {
    /// A license, or a row belonging to one (machine, component, process, licensee,
    /// entitlement link).
    License(String),
    /// A policy or its entitlement links.
    Policy(String),
    /// A user (owner, licensee or token bearer: email, ban, role).
    User(String),
    /// An API token (its counters, expiry, revocation).
    Token(String),
    /// A product (as a token bearer).
    Product(String),
    /// A webhook endpoint (the outbox's list of subscribers).
    Endpoints,
    /// Something many licenses read (an entitlement, product, group, account, keys),
    /// or an unknown key: everything goes.
    All,
}

impl Change {
    /// Parses a trigger's key; anything unrecognised is [`Change::All`].
    pub fn parse(key: &str) -> Self {
        match key.split_once(':') {
            Some(("license", id)) => Change::License(id.to_owned()),
            Some(("policy", id)) => Change::Policy(id.to_owned()),
            Some(("user", id)) => Change::User(id.to_owned()),
            Some(("token", id)) => Change::Token(id.to_owned()),
            Some(("product", id)) => Change::Product(id.to_owned()),
            None if key == "endpoints" => Change::Endpoints,
            _ => Change::All,
        }
    }
}

type Key = (String, String);

struct Inner {
    entries: LruCache<Key, Arc<Parts>>,
    by_license: HashMap<String, Key>,
    /// Every webhook endpoint of the database, when read since the last change.
    endpoints: Option<Arc<Vec<WebhookEndpointRow>>>,
    /// Tokens with their bearers, keyed by (account, token digest).
    credentials: CredentialEntries,
    epoch: u64,
    /// The endpoint list's own epoch: bumped only by what can change the list
    /// (an endpoint write, everything dropped). Under the shared epoch a busy node
    /// could fail to keep the list for long stretches: another write often landed
    /// during its read, so announcing transactions read the endpoints again and
    /// again.
    endpoints_epoch: u64,
}

/// Counters for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheStats {
    /// Lookups answered from memory.
    pub hits: u64,
    /// Lookups that went to the database.
    pub misses: u64,
    /// Entries pushed out by the size bound.
    pub evictions: u64,
    /// Entries dropped by writes.
    pub invalidations: u64,
    /// Entries held now.
    pub entries: u64,
    /// Token lookups answered from memory.
    pub credential_hits: u64,
    /// Token lookups that went to the database.
    pub credential_misses: u64,
    /// Tokens (with their bearers) held now.
    pub credential_entries: u64,
}

/// The cache (one per database, shared by every [`crate::Db`] handle on it).
pub struct SnapshotCache {
    inner: Mutex<Inner>,
    online: AtomicBool,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    invalidations: AtomicU64,
    credential_hits: AtomicU64,
    credential_misses: AtomicU64,
    closed: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for SnapshotCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotCache")
            .field("stats", &self.stats())
            .finish()
    }
}

/// A lookup's ticket: the epoch a miss must still see when it stores its rows.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(Option<u64>);

impl SnapshotCache {
    /// An empty cache of `capacity` entries (0 disables it); `online` is false for a
    /// cache that must wait for its invalidation channel.
    pub fn new(capacity: usize, online: bool) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: LruCache::new(capacity),
                by_license: HashMap::new(),
                endpoints: None,
                credentials: CredentialEntries::new(capacity),
                epoch: 0,
                endpoints_epoch: 0,
            }),
            online: AtomicBool::new(online),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            credential_hits: AtomicU64::new(0),
            credential_misses: AtomicU64::new(0),
            closed: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Fires when the database handle is closed (or the cache dropped): ends the
    /// invalidation listener.
    pub fn closed(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closed.subscribe()
    }

    /// Marks the cache closed.
    pub fn close(&self) {
        self.closed.send_replace(true);
        self.suspend();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes the bound (0 disables caching); drops the least recently used.
    pub fn set_capacity(&self, capacity: usize) {
        let mut inner = self.lock();
        inner.epoch += 1;
        while inner.entries.len() > capacity {
            if let Some((_, parts)) = inner.entries.remove_lru() {
                inner.by_license.remove(&parts.head.license.id);
            }
        }
        inner.entries.set_capacity(capacity);
        inner.credentials.set_capacity(capacity);
    }

    /// The cached rows for this key, if held, and the ticket under which rows read
    /// now (or parts added to these) may be stored.
    pub fn get(&self, account: &str, key: &str) -> (Option<Arc<Parts>>, Ticket) {
        if !self.online.load(Ordering::Acquire) {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return (None, Ticket(None));
        }
        let mut inner = self.lock();
        if inner.entries.capacity() == 0 {
            return (None, Ticket(None));
        }
        let ticket = Ticket(Some(inner.epoch));
        let found = inner
            .entries
            .get(&(account.to_owned(), key.to_owned()))
            .cloned();
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        (found, ticket)
    }

    /// Stores rows read under `ticket`, unless a write was applied since.
    pub fn put(&self, ticket: Ticket, account: &str, key: &str, parts: Arc<Parts>) {
        let Ticket(Some(epoch)) = ticket else { return };
        let mut inner = self.lock();
        if inner.epoch != epoch
            || inner.entries.capacity() == 0
            || !self.online.load(Ordering::Acquire)
        {
            return;
        }
        let entry = (account.to_owned(), key.to_owned());
        // A license whose key changed is found under its new key only.
        if let Some(old) = inner.by_license.get(&parts.head.license.id).cloned()
            && old != entry
        {
            inner.entries.remove(&old);
        }
        if inner.entries.len() >= inner.entries.capacity()
            && !inner.entries.contains_key(&entry)
            && let Some((_, evicted)) = inner.entries.remove_lru()
        {
            inner.by_license.remove(&evicted.head.license.id);
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
        inner
            .by_license
            .insert(parts.head.license.id.clone(), entry.clone());
        inner.entries.insert(entry, parts);
    }

    /// The cached rows for this key, if held, without counting a hit or a miss (a
    /// lookup on the side of the validation path).
    pub fn peek(&self, account: &str, key: &str) -> (Option<Arc<Parts>>, Ticket) {
        if !self.online.load(Ordering::Acquire) {
            return (None, Ticket(None));
        }
        let mut inner = self.lock();
        let ticket = Ticket(Some(inner.epoch));
        let found = inner
            .entries
            .get(&(account.to_owned(), key.to_owned()))
            .cloned();
        (found, ticket)
    }

    /// The token of `account` with this digest and its bearer, if held, and the
    /// ticket under which a credential read now may be stored.
    pub fn credential(
        &self,
        account: &str,
        digest: &str,
    ) -> (Option<Arc<TokenCredential>>, Ticket) {
        if !self.online.load(Ordering::Acquire) {
            self.credential_misses.fetch_add(1, Ordering::Relaxed);
            return (None, Ticket(None));
        }
        let mut inner = self.lock();
        if inner.credentials.capacity() == 0 {
            return (None, Ticket(None));
        }
        let ticket = Ticket(Some(inner.epoch));
        let found = inner
            .credentials
            .get(&(account.to_owned(), digest.to_owned()));
        let counter = if found.is_some() {
            &self.credential_hits
        } else {
            &self.credential_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        (found, ticket)
    }

    /// Stores a credential read under `ticket`, unless a write was applied since.
    pub fn put_credential(
        &self,
        ticket: Ticket,
        account: &str,
        digest: &str,
        credential: Arc<TokenCredential>,
    ) {
        let Ticket(Some(epoch)) = ticket else { return };
        let mut inner = self.lock();
        if inner.epoch != epoch
            || inner.credentials.capacity() == 0
            || !self.online.load(Ordering::Acquire)
        {
            return;
        }
        if inner
            .credentials
            .insert((account.to_owned(), digest.to_owned()), credential)
        {
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The webhook endpoints, if held, and the ticket under which endpoints read
    /// now may be stored. Held whatever the capacity: they are few, and every event
    /// of every write asks for them.
    pub fn endpoints(&self) -> (Option<Arc<Vec<WebhookEndpointRow>>>, Ticket) {
        if !self.online.load(Ordering::Acquire) {
            return (None, Ticket(None));
        }
        let inner = self.lock();
        (inner.endpoints.clone(), Ticket(Some(inner.endpoints_epoch)))
    }

    /// Stores the endpoints read under `ticket`, unless a write was applied since.
    pub fn put_endpoints(&self, ticket: Ticket, endpoints: Arc<Vec<WebhookEndpointRow>>) {
        let Ticket(Some(epoch)) = ticket else { return };
        let mut inner = self.lock();
        if inner.endpoints_epoch == epoch && self.online.load(Ordering::Acquire) {
            inner.endpoints = Some(endpoints);
        }
    }

    /// Applies committed changes.
    pub fn apply(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        let mut inner = self.lock();
        inner.epoch += 1;
        let mut dropped = 0u64;
        for change in changes {
            dropped += inner.credentials.apply(change);
            match change {
                Change::License(id) => {
                    if let Some(key) = inner.by_license.remove(id) {
                        inner.entries.remove(&key);
                        dropped += 1;
                    }
                }
                Change::Policy(_) | Change::User(_) => {
                    let doomed: Vec<(Key, String)> = inner
                        .entries
                        .iter()
                        .filter(|(_, parts)| parts.depends_on(change))
                        .map(|(key, parts)| (key.clone(), parts.head.license.id.clone()))
                        .collect();
                    for (key, license) in doomed {
                        inner.entries.remove(&key);
                        inner.by_license.remove(&license);
                        dropped += 1;
                    }
                }
                Change::Token(_) | Change::Product(_) => {}
                Change::Endpoints => {
                    inner.endpoints = None;
                    inner.endpoints_epoch += 1;
                }
                Change::All => {
                    dropped += inner.entries.len() as u64;
                    inner.entries.clear();
                    inner.by_license.clear();
                    inner.endpoints = None;
                    inner.endpoints_epoch += 1;
                }
            }
        }
        self.invalidations.fetch_add(dropped, Ordering::Relaxed);
    }

    /// Empties the cache and stops serving from it until [`Self::resume`] (the
    /// invalidation channel was lost).
    pub fn suspend(&self) {
        self.online.store(false, Ordering::Release);
        self.apply(&[Change::All]);
    }

    /// Empties the cache and serves from it again (the channel listens again).
    pub fn resume(&self) {
        self.apply(&[Change::All]);
        self.online.store(true, Ordering::Release);
    }

    /// Whether the cache serves lookups.
    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::Acquire)
    }

    /// Counters.
    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            invalidations: self.invalidations.load(Ordering::Relaxed),
            entries: inner.entries.len() as u64,
            credential_hits: self.credential_hits.load(Ordering::Relaxed),
            credential_misses: self.credential_misses.load(Ordering::Relaxed),
            credential_entries: inner.credentials.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Change, SnapshotCache};
    use std::sync::Arc;

    #[test]
    fn endpoints_read_during_other_writes_are_kept_and_during_endpoint_writes_are_not() {
        let cache = SnapshotCache::new(10, true);
        let (held, ticket) = cache.endpoints();
        assert!(held.is_none());
        // Writes that cannot change the endpoint list land while it is read.
        cache.apply(&[Change::License("a".into()), Change::Policy("p".into())]);
        cache.apply(&[Change::User("u".into()), Change::Token("t".into())]);
        cache.put_endpoints(ticket, Arc::new(Vec::new()));
        assert!(
            cache.endpoints().0.is_some(),
            "kept despite unrelated writes"
        );

        // An endpoint write drops the list, and a read that began before it is not stored.
        let (_, stale) = cache.endpoints();
        cache.apply(&[Change::Endpoints]);
        assert!(cache.endpoints().0.is_none());
        cache.put_endpoints(stale, Arc::new(Vec::new()));
        assert!(
            cache.endpoints().0.is_none(),
            "a read from before the write is refused"
        );

        // Everything dropped (an unknown key; the listener lost) counts too.
        let (_, ticket) = cache.endpoints();
        cache.put_endpoints(ticket, Arc::new(Vec::new()));
        let (_, stale) = cache.endpoints();
        cache.apply(&[Change::All]);
        assert!(cache.endpoints().0.is_none());
        cache.put_endpoints(stale, Arc::new(Vec::new()));
        assert!(cache.endpoints().0.is_none());
        cache.suspend();
        let (held, ticket) = cache.endpoints();
        assert!(held.is_none());
        cache.put_endpoints(ticket, Arc::new(Vec::new()));
        assert!(
            cache.endpoints().0.is_none(),
            "nothing is kept while suspended"
        );
    }

    #[test]
    fn keys_parse_and_unknown_keys_clear_everything() {
        assert_eq!(Change::parse("license:a"), Change::License("a".into()));
        assert_eq!(Change::parse("policy:b"), Change::Policy("b".into()));
        assert_eq!(Change::parse("user:c"), Change::User("c".into()));
        assert_eq!(Change::parse("token:d"), Change::Token("d".into()));
        assert_eq!(Change::parse("product:e"), Change::Product("e".into()));
        assert_eq!(Change::parse("endpoints"), Change::Endpoints);
        assert_eq!(Change::parse("all"), Change::All);
        assert_eq!(Change::parse("group:x"), Change::All);
        assert_eq!(Change::parse(""), Change::All);
    }
}
