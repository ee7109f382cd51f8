//! Stores: where the server keeps what a cookie alone cannot carry: revocations of cookie
//! sessions ([`Revocations`](crate::Revocations)), so that a logout revokes something, and the
//! state of server-side sessions ([`ServerSide`](crate::ServerSide)), sealed at rest.
//!
//! This module is the bottom layer: a store knows keys, numbers and records, and nothing of
//! cookies or sessions. What the keys mean lives with the session modes that use them.
//!
//! A [`Store`] keeps two kinds of entries under short keys, each with an absolute expiry:
//! numbers that only rise (revocations; several read in one round trip), and versioned records
//! written by compare-and-set (server-side sessions: [`Record`], [`Saved`]). The crate builds
//! its keys (prefixed, hash-tagged for Redis Cluster, bounded in length: [`MAX_KEY_LEN`]); a
//! store only keeps them. [`MemoryStore`] is the in-process store for tests and single-process
//! use; `RedbStore` (feature `redb`) the durable one for a single machine; `RedisStore`
//! (feature `redis`) the one many machines share, with an optional local cache that Redis keeps
//! current (`RedisStore::cached`).

mod error;
mod memory;
#[cfg(feature = "redb")]
mod redb_store;
#[cfg(feature = "redis")]
mod redis_cache;
#[cfg(feature = "redis")]
mod redis_cluster_view;
#[cfg(feature = "redis")]
mod redis_store;
#[cfg(feature = "redis")]
mod redis_time;
#[cfg(feature = "redis")]
mod redis_tracking;

use std::future::Future;
use std::pin::Pin;

pub use error::StoreError;
pub use memory::MemoryStore;
#[cfg(feature = "redb")]
#[cfg_attr(docsrs, doc(cfg(feature = "redb")))]
pub use redb_store::RedbStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_cache::{DEFAULT_SILENCE, LocalCache};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::{DEFAULT_TIMEOUT, RedisStore};

/// The longest key the crate asks a store to keep, in bytes: the prefix, a hash tag around a
/// subject of at most 64 bytes in hex, and a session id in hex.
pub const MAX_KEY_LEN: usize = 256;

/// The longest record value a store keeps, in bytes: a longer one is refused
/// ([`StoreError::Refused`]). Server-side sessions cap their states lower
/// ([`ServerSide::max_state_len`](crate::ServerSide::max_state_len)).
pub const MAX_VALUE_LEN: usize = 1 << 20;

/// What a store operation returns: a boxed future, so that `Store` can be used as
/// `dyn Store` and shared by every request.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A key-value store with expiry, shared by every request (`Send + Sync`).
///
/// Numbers ([`raise`](Self::raise), [`read`](Self::read)) and records ([`load`](Self::load),
/// [`save`](Self::save), [`remove`](Self::remove)) live under different keys; each key has an
/// absolute expiry in Unix seconds, after which the store forgets it (reads as absent).
/// Implementations must make each operation atomic, apply their own timeouts (a call never
/// waits longer than the store's configured timeout), and say whether a failure means the store
/// could not be reached or refused the operation ([`StoreError`]).
pub trait Store: Send + Sync + 'static {
    /// Sets `key` to `max(current, value)` and its expiry to `max(current, expires_at)`,
    /// atomically; an absent or expired key counts as absent. Keys are at most
    /// [`MAX_KEY_LEN`] bytes.
    fn raise<'a>(&'a self, key: &'a str, value: u64, expires_at: u64) -> StoreFuture<'a, ()>;

    /// Reads every key of `keys` in one round trip: the value of each, `None` where it is
    /// absent or expired, in the order of `keys`. The keys of one read share a hash tag (`{...}`),
    /// as the crate's keys for one session do, so that a clustered store reads them from one
    /// node.
    fn read<'a>(&'a self, keys: &'a [String]) -> StoreFuture<'a, Vec<Option<u64>>>;

    /// Reads the record under `key`: its value and the version the store gave it, `None` when
    /// it is absent or expired. One round trip.
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Record>>;

    /// Writes the record under `key` as `write` says, only if the record is still at its
    /// `expected` version (compare-and-set: see [`RecordWrite`]). A removed or expired record is
    /// never written again by an update, which is what keeps a late write from bringing a
    /// logged-out session back. Atomic; a write that reaches the store after the store's
    /// timeout has passed must be refused, so that a write reported as failed is never applied
    /// later.
    fn save<'a>(&'a self, key: &'a str, write: RecordWrite<'a>) -> StoreFuture<'a, Saved>;

    /// Removes the record under `key`, if there is one.
    fn remove<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;

    /// [`load`](Self::load) of `key` and [`read`](Self::read) of `keys` together: what a
    /// logged-in server-side session needs (its record, and its subject's revocations). The keys
    /// of `keys` share a hash tag, which need not be `key`'s. By default the two calls one after
    /// the other; a store that can send both in one round trip (Redis, one server: a pipeline)
    /// does.
    fn load_with<'a>(
        &'a self,
        key: &'a str,
        keys: &'a [String],
    ) -> StoreFuture<'a, (Option<Record>, Vec<Option<u64>>)> {
        Box::pin(load_then_read(self, key, keys))
    }
}

/// [`Store::load_with`] as two calls, one after the other.
pub(crate) async fn load_then_read<S: Store + ?Sized>(
    store: &S,
    key: &str,
    keys: &[String],
) -> Result<(Option<Record>, Vec<Option<u64>>), StoreError> {
    let values = store.read(keys).await?;
    let record = store.load(key).await?;
    Ok((record, values))
}

/// A server-side session's record in a [`Store`]: its sealed state and the version the store
/// gave it at its last write.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// Counts the record's writes: 1 when created, one more on each write.
    pub version: u64,
    /// The sealed state, as [`Store::save`] received it.
    pub value: String,
}

impl Record {
    /// A record at `version` holding `value`, as a store implementation reads it back.
    pub fn new(version: u64, value: String) -> Self {
        Self { version, value }
    }
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The value is sealed, but its length and bytes are nobody's business in a log.
        f.debug_struct("Record")
            .field("version", &self.version)
            .field("value_len", &self.value.len())
            .finish()
    }
}

/// A compare-and-set write of a record ([`Store::save`]): its new value and absolute expiry, and
/// the version the record must be at for the write to apply.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordWrite<'a> {
    /// The new value (a sealed state).
    pub value: &'a str,
    /// `None`: only if there is no record (a new session's id); `Some(v)`: only if the record
    /// exists at version `v`.
    pub expected: Option<u64>,
    /// When the store forgets the record, in Unix seconds.
    pub expires_at: u64,
}

impl<'a> RecordWrite<'a> {
    /// A new record: written only if there is none under its key.
    ///
    /// ```
    /// use sealed_session::store::{MemoryStore, RecordWrite, Saved, Store};
    /// # use pollster::block_on;
    /// let store = MemoryStore::new();
    /// let far = 4_000_000_000;
    /// let created = block_on(store.save("k", RecordWrite::create("a", far)))?;
    /// assert_eq!(created, Saved::Written(1));
    /// // A second create, or an update at a version the record is not at, changes nothing.
    /// assert_eq!(block_on(store.save("k", RecordWrite::create("b", far)))?, Saved::Conflict);
    /// assert_eq!(block_on(store.save("k", RecordWrite::update(7, "b", far)))?, Saved::Conflict);
    /// assert_eq!(block_on(store.save("k", RecordWrite::update(1, "b", far)))?, Saved::Written(2));
    /// # Ok::<(), sealed_session::store::StoreError>(())
    /// ```
    pub fn create(value: &'a str, expires_at: u64) -> Self {
        Self {
            value,
            expected: None,
            expires_at,
        }
    }

    /// A new value for the record at `version`: written only if the record still exists at it.
    pub fn update(version: u64, value: &'a str, expires_at: u64) -> Self {
        Self {
            value,
            expected: Some(version),
            expires_at,
        }
    }
}

impl std::fmt::Debug for RecordWrite<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // As `Record`: the value's length, not its bytes.
        f.debug_struct("RecordWrite")
            .field("value_len", &self.value.len())
            .field("expected", &self.expected)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What [`Store::save`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Saved {
    /// Written; the record is now at this version.
    Written(u64),
    /// Not written: the record was not at the expected version (another request wrote it, or
    /// it was removed or expired, or, for a new record, one already exists).
    Conflict,
}

/// Refuses a key longer than [`MAX_KEY_LEN`], as every store does before it is reached.
pub(crate) fn check_key(key: &str) -> Result<(), StoreError> {
    if key.len() > MAX_KEY_LEN {
        return Err(StoreError::Refused(format!(
            "a key of {} bytes is longer than {MAX_KEY_LEN}",
            key.len()
        )));
    }
    Ok(())
}

/// Refuses a record over [`MAX_VALUE_LEN`], or under a key over [`MAX_KEY_LEN`].
pub(crate) fn check_record(key: &str, value: &str) -> Result<(), StoreError> {
    check_key(key)?;
    if value.len() > MAX_VALUE_LEN {
        return Err(StoreError::Refused(format!(
            "a value of {} bytes is longer than {MAX_VALUE_LEN}",
            value.len()
        )));
    }
    Ok(())
}
