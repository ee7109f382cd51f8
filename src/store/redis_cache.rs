//! The Redis store's local cache: what this server read from Redis, kept in memory while Redis
//! tells it, through a tracking connection (src/store/redis_tracking.rs), of every change to those
//! keys.
//!
//! An entry is served only while the invalidation channel is known to be whole: the tracking
//! connection (in a cluster, every node's, each reporting an unchanged layout) answered a
//! heartbeat sent at most the silence bound ago. Redis writes a key's
//! invalidation to that connection before any reply it sends after the change, and the
//! connection applies each invalidation before it hands over the next reply; so an answered
//! heartbeat sent at a local instant `s` means every change Redis applied before `s` has been
//! applied here. Serving only until `s + silence` bounds what a cached read may miss: a change
//! is seen here within the silence bound, and within the push's travel time while the channel is
//! whole.
//!
//! A read that misses fills its key through the tracking connection (so Redis tracks the key,
//! absent keys included). The fill reserves the key first with a token; an invalidation, a
//! write through this server or a reset removes the reservation, and the answer is kept only if
//! its own reservation is still there. An answer Redis sent before a change therefore never
//! outlives the change's invalidation, whichever of the two this process handles first.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use lru::LruCache;

/// The default silence bound ([`LocalCache::silence`]).
pub const DEFAULT_SILENCE: Duration = Duration::from_millis(500);

/// The local cache of a [`RedisStore`](super::RedisStore): how many entries it keeps and how long
/// it may go without hearing from Redis. See [`RedisStore::cached`](super::RedisStore::cached).
///
/// ```
/// use std::time::Duration;
/// use sealed_session::store::LocalCache;
///
/// let cache = LocalCache::new(100_000).silence(Duration::from_millis(250));
/// assert_eq!(cache.entries(), 100_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalCache {
    entries: usize,
    silence: Duration,
}

impl LocalCache {
    /// A cache of at most `entries` keys (session records and revocation numbers, absent keys
    /// included), the least recently used dropped first, with the default silence bound
    /// ([`DEFAULT_SILENCE`]).
    pub fn new(entries: usize) -> Self {
        Self {
            entries,
            silence: DEFAULT_SILENCE,
        }
    }

    /// How long the cache may be served without an answer from Redis on its invalidation
    /// channel: the longest a change made by another server can go unseen here when that
    /// channel fails silently. The channel is checked with a `PING` four times per bound; past
    /// the bound every read goes to Redis until tracking is back. At least 20 ms.
    pub fn silence(mut self, bound: Duration) -> Self {
        self.silence = bound;
        self
    }

    /// The most entries the cache keeps.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// The silence bound.
    pub fn silence_bound(&self) -> Duration {
        self.silence
    }
}

/// The least silence bound: heartbeats a quarter of it apart still fit a loaded scheduler.
pub(super) const MIN_SILENCE: Duration = Duration::from_millis(20);

/// What the cache keeps of one key, as Redis answered it. Expiries are kept and checked on each
/// read, so an entry is never served past its record's or number's end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Entry {
    /// A number (`MGET`): its value and expiry, `None` when absent.
    Number(Option<(u64, u64)>),
    /// A record (`HMGET v e d`): version, expiry and value, `None` when absent.
    Record(Option<(u64, u64, String)>),
}

enum Slot {
    /// A read through the tracking connection is on its way; its answer is kept only if this
    /// reservation is still here when it arrives.
    Filling(u64),
    Ready(Entry),
}

struct Slots {
    slots: LruCache<String, Slot>,
    next_token: u64,
}

/// The cache itself, shared by the store's clones and the tracking connection's push handler.
pub(super) struct Cache {
    slots: Mutex<Slots>,
    /// Entries are served only before this instant (nanoseconds since `base`); 0 when tracking
    /// is not established.
    serve_until: AtomicU64,
    base: Instant,
    silence: Duration,
}

/// A fill in progress: the token its reservations carry.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fill(u64);

impl Cache {
    pub(super) fn new(config: LocalCache) -> Option<Self> {
        let entries = NonZeroUsize::new(config.entries)?;
        Some(Self {
            slots: Mutex::new(Slots {
                // Allocated as it fills: a cache sized for the busiest hour costs little before.
                slots: LruCache::sparse(entries),
                next_token: 0,
            }),
            serve_until: AtomicU64::new(0),
            base: Instant::now(),
            silence: config.silence.max(MIN_SILENCE),
        })
    }

    pub(super) fn silence(&self) -> Duration {
        self.silence
    }

    /// Whether entries may be served at `now`.
    pub(super) fn serving(&self, now: Instant) -> bool {
        self.nanos(now) < self.serve_until.load(Ordering::Acquire)
    }

    /// A heartbeat sent at `sent` was answered: every change Redis applied before `sent` has
    /// been applied here, so entries may be served until `sent` plus the silence bound.
    pub(super) fn heard(&self, sent: Instant) {
        let until = self.nanos(sent + self.silence);
        self.serve_until.fetch_max(until, Ordering::AcqRel);
    }

    /// The channel is lost or unsure: every entry and reservation is dropped, and nothing is
    /// served until a heartbeat on a new tracking connection is answered.
    pub(super) fn reset(&self) {
        let mut slots = self.lock();
        self.serve_until.store(0, Ordering::Release);
        slots.slots.clear();
    }

    /// Drops `keys` (an invalidation from Redis, or a write through this server).
    pub(super) fn invalidate<K: AsRef<str>>(&self, keys: impl IntoIterator<Item = K>) {
        let mut slots = self.lock();
        for key in keys {
            slots.slots.pop(key.as_ref());
        }
    }

    /// The entries of `keys`, if every one is cached and the cache is being served at `now`.
    pub(super) fn get(&self, keys: &[&str], now: Instant) -> Option<Vec<Entry>> {
        let mut slots = self.lock();
        // Checked under the lock that `reset` takes: no entry is served after a reset returns.
        if !self.serving(now) {
            return None;
        }
        keys.iter()
            .map(|key| match slots.slots.get(*key) {
                Some(Slot::Ready(entry)) => Some(entry.clone()),
                _ => None,
            })
            .collect()
    }

    /// Reserves `keys` for a fill that is about to read them through the tracking connection.
    pub(super) fn begin(&self, keys: &[&str]) -> Fill {
        let mut slots = self.lock();
        slots.next_token += 1;
        let token = slots.next_token;
        for key in keys {
            slots.slots.put((*key).to_owned(), Slot::Filling(token));
        }
        Fill(token)
    }

    /// Keeps what the fill read of `keys` (`entries`, in their order), each if its reservation
    /// is still there.
    pub(super) fn finish(&self, fill: Fill, keys: &[&str], entries: &[Entry]) {
        let mut slots = self.lock();
        for (key, entry) in keys.iter().zip(entries) {
            if let Some(slot) = slots.slots.peek_mut(*key)
                && matches!(slot, Slot::Filling(token) if *token == fill.0)
            {
                *slot = Slot::Ready(entry.clone());
            }
        }
    }

    /// Keeps what a write through the tracking connection wrote under `key`, if the key's
    /// reservation, taken before the write was sent, is still there; drops the key otherwise (an
    /// invalidation or another fill came between: what is cached may predate the write).
    pub(super) fn settle(&self, fill: Fill, key: &str, entry: Entry) {
        let mut slots = self.lock();
        match slots.slots.peek_mut(key) {
            Some(slot @ Slot::Filling(_)) if matches!(*slot, Slot::Filling(t) if t == fill.0) => {
                *slot = Slot::Ready(entry);
            }
            _ => {
                slots.slots.pop(key);
            }
        }
    }

    /// How many keys the cache holds (reservations included).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.lock().slots.len()
    }

    fn nanos(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.base);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        // Every change is a whole insert, removal or clear: a panic elsewhere cannot leave a
        // slot half-written.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(entries: usize) -> (Cache, Instant) {
        let cache = Cache::new(LocalCache::new(entries)).unwrap();
        let now = Instant::now();
        cache.heard(now);
        (cache, now)
    }

    fn number(v: u64) -> Entry {
        Entry::Number(Some((v, 10)))
    }

    fn fill(cache: &Cache, key: &str, entry: Entry) {
        let f = cache.begin(&[key]);
        cache.finish(f, &[key], &[entry]);
    }

    #[test]
    fn a_cache_of_no_entries_is_refused() {
        assert!(Cache::new(LocalCache::new(0)).is_none());
    }

    #[test]
    fn a_filled_key_is_served() {
        let (cache, now) = cache(8);
        fill(&cache, "k", number(1));
        assert_eq!(cache.get(&["k"], now), Some(vec![number(1)]));
    }

    #[test]
    fn nothing_is_served_before_a_heartbeat_is_answered() {
        let cache = Cache::new(LocalCache::new(8)).unwrap();
        fill(&cache, "k", number(1));
        assert_eq!(cache.get(&["k"], Instant::now()), None);
    }

    #[test]
    fn nothing_is_served_past_the_silence_bound_after_the_last_answered_heartbeat() {
        let (cache, sent) = cache(8);
        fill(&cache, "k", number(1));
        let bound = cache.silence();
        assert!(
            cache
                .get(&["k"], sent + bound - Duration::from_millis(1))
                .is_some()
        );
        assert_eq!(cache.get(&["k"], sent + bound), None);
        // An answer to an older heartbeat never shortens the window.
        cache.heard(sent - Duration::from_millis(10));
        assert!(
            cache
                .get(&["k"], sent + bound - Duration::from_millis(1))
                .is_some()
        );
    }

    #[test]
    fn a_read_of_several_keys_is_served_only_if_every_one_is_cached() {
        let (cache, now) = cache(8);
        fill(&cache, "a", number(1));
        assert_eq!(cache.get(&["a", "b"], now), None);
        fill(&cache, "b", Entry::Number(None));
        assert_eq!(
            cache.get(&["a", "b"], now),
            Some(vec![number(1), Entry::Number(None)])
        );
    }

    #[test]
    fn an_invalidated_key_is_no_longer_served() {
        let (cache, now) = cache(8);
        fill(&cache, "k", number(1));
        cache.invalidate(["k"]);
        assert_eq!(cache.get(&["k"], now), None);
    }

    #[test]
    fn an_answer_whose_key_was_invalidated_while_it_travelled_is_dropped() {
        let (cache, now) = cache(8);
        let f = cache.begin(&["k"]);
        cache.invalidate(["k"]);
        cache.finish(f, &["k"], &[number(1)]);
        assert_eq!(cache.get(&["k"], now), None);
    }

    #[test]
    fn an_answer_whose_key_was_reserved_again_is_dropped() {
        let (cache, now) = cache(8);
        let old = cache.begin(&["k"]);
        cache.invalidate(["k"]);
        let new = cache.begin(&["k"]);
        cache.finish(old, &["k"], &[number(1)]);
        assert_eq!(cache.get(&["k"], now), None);
        cache.finish(new, &["k"], &[number(2)]);
        assert_eq!(cache.get(&["k"], now), Some(vec![number(2)]));
    }

    #[test]
    fn a_write_whose_reservation_held_is_kept() {
        let (cache, now) = cache(8);
        let f = cache.begin(&["k"]);
        cache.settle(f, "k", number(2));
        assert_eq!(cache.get(&["k"], now), Some(vec![number(2)]));
    }

    #[test]
    fn a_write_overtaken_by_a_fill_of_what_it_replaced_drops_the_key() {
        let (cache, now) = cache(8);
        let write = cache.begin(&["k"]);
        // A read began after the write's reservation and was answered before the write applied.
        let read = cache.begin(&["k"]);
        cache.finish(read, &["k"], &[number(1)]);
        cache.settle(write, "k", number(2));
        assert_eq!(cache.get(&["k"], now), None);
    }

    #[test]
    fn a_write_whose_key_was_invalidated_meanwhile_drops_the_key() {
        let (cache, now) = cache(8);
        let write = cache.begin(&["k"]);
        cache.invalidate(["k"]);
        cache.settle(write, "k", number(2));
        assert_eq!(cache.get(&["k"], now), None);
    }

    #[test]
    fn a_reset_drops_every_entry_and_reservation_and_stops_serving() {
        let (cache, now) = cache(8);
        fill(&cache, "a", number(1));
        let f = cache.begin(&["b"]);
        cache.reset();
        cache.finish(f, &["b"], &[number(2)]);
        assert_eq!(cache.len(), 0);
        fill(&cache, "a", number(3));
        assert_eq!(cache.get(&["a"], now), None, "the reset stopped serving");
        // Until a heartbeat on a new tracking connection is answered.
        cache.heard(now);
        assert_eq!(cache.get(&["a"], now), Some(vec![number(3)]));
    }

    #[test]
    fn the_cache_holds_at_most_its_entries_dropping_the_least_recently_used() {
        let (cache, now) = cache(3);
        for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
            fill(&cache, key, number(i as u64));
        }
        assert!(cache.get(&["a"], now).is_some());
        fill(&cache, "d", number(9));
        assert_eq!(cache.len(), 3);
        assert_eq!(
            cache.get(&["b"], now),
            None,
            "b was the least recently used"
        );
        assert!(cache.get(&["a", "c", "d"], now).is_some());
    }
}
