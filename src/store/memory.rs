//! The in-process store: for tests, and for a single process that accepts losing revocations
//! on restart (a durable store keeps them).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Record, RecordWrite, Saved, Store, StoreFuture, check_key, check_record};
use crate::clock::{Clock, SystemClock};

/// Expired entries swept per write, at most: the sweep is bounded work, never a pause.
const SWEEP_PER_WRITE: usize = 16;

/// A [`Store`] in this process's memory. Everything is lost when the process ends, so a restart
/// forgets every revocation: use it for tests and development, not for a deployment that relies
/// on logout.
///
/// ```
/// use sealed_session::store::{MemoryStore, Store};
///
/// # use pollster::block_on;
/// let store = MemoryStore::new();
/// block_on(store.raise("k", 7, u64::MAX))?;
/// block_on(store.raise("k", 3, u64::MAX))?; // keeps the larger value
/// let keys = ["k".to_owned(), "absent".to_owned()];
/// assert_eq!(block_on(store.read(&keys))?, vec![Some(7), None]);
/// # Ok::<(), sealed_session::store::StoreError>(())
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct Inner {
    /// Key -> (value, expires_at).
    entries: HashMap<String, (u64, u64)>,
    /// Key -> (version, sealed value, expires_at).
    records: HashMap<String, (u64, String, u64)>,
    /// (expires_at, key), for sweeping the earliest expiries first.
    by_expiry: BTreeSet<(u64, String)>,
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        Self {
            inner: Arc::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The store with its expiries read from `clock` (tests move time with a `ManualClock`), as
    /// every type that reads the time takes its clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How many keys the store holds, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        let inner = self.lock();
        inner.entries.len() + inner.records.len()
    }

    /// Whether the store holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every change below is a whole insert or remove: a panic elsewhere cannot leave an
        // entry half-written.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &self.len())
            .finish()
    }
}

impl Inner {
    fn live(&self, key: &str, now: u64) -> Option<(u64, u64)> {
        self.entries.get(key).copied().filter(|&(_, exp)| exp > now)
    }

    /// Removes up to `SWEEP_PER_WRITE` entries whose expiry has passed.
    fn live_record(&self, key: &str, now: u64) -> Option<&(u64, String, u64)> {
        self.records.get(key).filter(|(_, _, exp)| *exp > now)
    }

    fn sweep(&mut self, now: u64) {
        for _ in 0..SWEEP_PER_WRITE {
            let Some((exp, _)) = self.by_expiry.first() else {
                return;
            };
            if *exp > now {
                return;
            }
            if let Some((_, key)) = self.by_expiry.pop_first() {
                self.entries.remove(&key);
                self.records.remove(&key);
            }
        }
    }
}

impl Store for MemoryStore {
    fn raise<'a>(&'a self, key: &'a str, value: u64, expires_at: u64) -> StoreFuture<'a, ()> {
        let result = check_key(key).map(|()| {
            let now = self.clock.now_unix();
            let mut inner = self.lock();
            inner.sweep(now);
            let (value, expires_at) = match inner.live(key, now) {
                Some((v, e)) => (v.max(value), e.max(expires_at)),
                None => (value, expires_at),
            };
            if let Some((_, old)) = inner.entries.insert(key.to_owned(), (value, expires_at)) {
                inner.by_expiry.remove(&(old, key.to_owned()));
            }
            inner.by_expiry.insert((expires_at, key.to_owned()));
        });
        Box::pin(std::future::ready(result))
    }

    fn read<'a>(&'a self, keys: &'a [String]) -> StoreFuture<'a, Vec<Option<u64>>> {
        let now = self.clock.now_unix();
        let inner = self.lock();
        let values = keys
            .iter()
            .map(|k| inner.live(k, now).map(|(v, _)| v))
            .collect();
        Box::pin(std::future::ready(Ok(values)))
    }

    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Record>> {
        let now = self.clock.now_unix();
        let inner = self.lock();
        let record = inner
            .live_record(key, now)
            .map(|(version, value, _)| Record::new(*version, value.clone()));
        Box::pin(std::future::ready(Ok(record)))
    }

    fn save<'a>(&'a self, key: &'a str, write: RecordWrite<'a>) -> StoreFuture<'a, Saved> {
        let RecordWrite {
            value,
            expected,
            expires_at,
        } = write;
        let result = check_record(key, value).map(|()| {
            let now = self.clock.now_unix();
            let mut inner = self.lock();
            inner.sweep(now);
            let current = inner.live_record(key, now).map(|(v, _, _)| *v);
            let version = match (current, expected) {
                (None, None) => 1,
                (Some(at), Some(wanted)) if at == wanted => at + 1,
                _ => return Saved::Conflict,
            };
            let old = inner
                .records
                .insert(key.to_owned(), (version, value.to_owned(), expires_at));
            if let Some((_, _, old)) = old {
                inner.by_expiry.remove(&(old, key.to_owned()));
            }
            inner.by_expiry.insert((expires_at, key.to_owned()));
            Saved::Written(version)
        });
        Box::pin(std::future::ready(result))
    }

    fn remove<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let result = check_key(key).map(|()| {
            let mut inner = self.lock();
            if let Some((_, _, exp)) = inner.records.remove(key) {
                inner.by_expiry.remove(&(exp, key.to_owned()));
            }
        });
        Box::pin(std::future::ready(result))
    }
}
