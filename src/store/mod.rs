//! Stores: where the server keeps what a cookie alone cannot carry. First use: revocation of
//! cookie sessions ([`Revocations`]), so that a logout revokes something.
//!
//! A [`Store`] keeps unsigned numbers under short keys, each with an absolute expiry, and reads
//! several keys in one round trip. The crate builds its keys (prefixed, hash-tagged for Redis
//! Cluster, bounded in length: [`MAX_KEY_LEN`]); a store only keeps them. [`MemoryStore`] is the
//! in-process store for tests and single-process use; `RedbStore` (feature `redb`) the durable
//! one for a single machine; `RedisStore` (feature `redis`) the one many machines share.

mod error;
mod memory;
#[cfg(feature = "redb")]
mod redb_store;
#[cfg(feature = "redis")]
mod redis_store;
mod revocation;

use std::future::Future;
use std::pin::Pin;

pub use error::StoreError;
pub use memory::MemoryStore;
#[cfg(feature = "redb")]
pub use redb_store::RedbStore;
#[cfg(feature = "redis")]
pub use redis_store::{DEFAULT_TIMEOUT, RedisStore};
pub use revocation::{Outage, Revocations, Verdict};

/// The longest key the crate asks a store to keep, in bytes: the prefix, a hash tag around a
/// subject of at most 64 bytes in hex, and a session id in hex.
pub const MAX_KEY_LEN: usize = 256;

/// What a store operation returns: a boxed future, so that `Store` can be used as
/// `dyn Store` and shared by every request.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A key-value store with expiry, shared by every request (`Send + Sync`).
///
/// Values are `u64`; each key has an absolute expiry in Unix seconds, after which the store
/// forgets it (reads as absent). Implementations must make each operation atomic, apply their
/// own timeouts (a call never waits longer than the store's configured timeout), and say
/// whether a failure means the store could not be reached or refused the operation
/// ([`StoreError`]).
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
}
