//! The embedded durable store (feature `redb`): one file, no server, and a revocation survives
//! a restart of the process or the machine.

use std::path::Path;
use std::sync::Arc;

use redb::{
    Database, ReadableDatabase as _, ReadableTable as _, ReadableTableMetadata as _,
    TableDefinition,
};

use super::{MAX_KEY_LEN, Store, StoreError, StoreFuture};
use crate::clock::{Clock, SystemClock};

/// Key -> (value, expires_at).
const ENTRIES: TableDefinition<&str, (u64, u64)> = TableDefinition::new("sealed-session entries");
/// (expires_at, key) -> (), for sweeping the earliest expiries first.
const BY_EXPIRY: TableDefinition<(u64, &str), ()> = TableDefinition::new("sealed-session expiries");

/// Expired entries swept per write, at most: bounded work, never a pause.
const SWEEP_PER_WRITE: usize = 16;

/// A [`Store`] in one file on the local disk, through `redb`: for one machine, with zero setup.
///
/// A write (a logout's revocation) is committed to disk before its future completes, so a
/// revocation the caller was told about is never lost in a crash, and a restart does not
/// un-revoke sessions. Writes run on tokio's blocking-task pool (call them inside a tokio
/// runtime: axum's or actix-web's); reads are short transactions served from the operating
/// system's page cache, on the calling thread. Expired entries are swept a few per write.
///
/// Only one process may open the file at a time; with several machines, use a shared store.
#[derive(Clone)]
pub struct RedbStore {
    db: Arc<Database>,
    clock: Arc<dyn Clock>,
}

fn refused(e: impl std::fmt::Display) -> StoreError {
    StoreError::Refused(e.to_string())
}

impl RedbStore {
    /// Opens the store file at `path`, creating it if it does not exist.
    ///
    /// # Errors
    /// [`StoreError::Refused`] if the file cannot be created or opened (permissions, another
    /// process holds it, not a store file).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with_clock(path, SystemClock)
    }

    /// As [`open`](Self::open), with expiries read from `clock`.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with_clock(
        path: impl AsRef<Path>,
        clock: impl Clock + 'static,
    ) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(refused)?;
        // Both tables exist from the start, so that reads never meet a missing table.
        let txn = db.begin_write().map_err(refused)?;
        txn.open_table(ENTRIES).map_err(refused)?;
        txn.open_table(BY_EXPIRY).map_err(refused)?;
        txn.commit().map_err(refused)?;
        Ok(Self {
            db: Arc::new(db),
            clock: Arc::new(clock),
        })
    }

    /// How many keys the file holds, expired ones not yet swept included.
    ///
    /// # Errors
    /// [`StoreError::Refused`] if the file cannot be read.
    pub fn len(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(refused)?;
        let table = txn.open_table(ENTRIES).map_err(refused)?;
        table.len().map_err(refused)
    }

    /// Whether the file holds no key.
    ///
    /// # Errors
    /// [`StoreError::Refused`] if the file cannot be read.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    fn raise_now(&self, key: &str, value: u64, expires_at: u64) -> Result<(), StoreError> {
        let now = self.clock.now_unix();
        let txn = self.db.begin_write().map_err(refused)?;
        {
            let mut entries = txn.open_table(ENTRIES).map_err(refused)?;
            let mut by_expiry = txn.open_table(BY_EXPIRY).map_err(refused)?;
            // Bounded sweep of what has expired.
            for _ in 0..SWEEP_PER_WRITE {
                let first = by_expiry.first().map_err(refused)?.map(|(k, _)| {
                    let (exp, key) = k.value();
                    (exp, key.to_owned())
                });
                match first {
                    Some((exp, old)) if exp <= now => {
                        by_expiry.remove((exp, old.as_str())).map_err(refused)?;
                        entries.remove(old.as_str()).map_err(refused)?;
                    }
                    _ => break,
                }
            }
            let current = entries
                .get(key)
                .map_err(refused)?
                .map(|v| v.value())
                .filter(|&(_, exp)| exp > now);
            let (value, expires_at) = match current {
                Some((v, e)) => (v.max(value), e.max(expires_at)),
                None => (value, expires_at),
            };
            if let Some(old) = entries.insert(key, (value, expires_at)).map_err(refused)? {
                let (_, old_exp) = old.value();
                by_expiry.remove((old_exp, key)).map_err(refused)?;
            }
            by_expiry.insert((expires_at, key), ()).map_err(refused)?;
        }
        // Durable before the caller hears of it.
        txn.commit().map_err(refused)
    }

    fn read_now(&self, keys: &[String]) -> Result<Vec<Option<u64>>, StoreError> {
        let now = self.clock.now_unix();
        let txn = self.db.begin_read().map_err(refused)?;
        let entries = txn.open_table(ENTRIES).map_err(refused)?;
        keys.iter()
            .map(|k| {
                Ok(entries
                    .get(k.as_str())
                    .map_err(refused)?
                    .map(|v| v.value())
                    .filter(|&(_, exp)| exp > now)
                    .map(|(v, _)| v))
            })
            .collect()
    }
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").finish_non_exhaustive()
    }
}

impl Store for RedbStore {
    fn raise<'a>(&'a self, key: &'a str, value: u64, expires_at: u64) -> StoreFuture<'a, ()> {
        if key.len() > MAX_KEY_LEN {
            return Box::pin(std::future::ready(Err(StoreError::Refused(format!(
                "a key of {} bytes is longer than {MAX_KEY_LEN}",
                key.len()
            )))));
        }
        let store = self.clone();
        let key = key.to_owned();
        Box::pin(async move {
            // The commit waits for the disk: off the async threads.
            tokio::task::spawn_blocking(move || store.raise_now(&key, value, expires_at))
                .await
                .map_err(|e| {
                    StoreError::Unreachable(format!("the store's write task failed: {e}"))
                })?
        })
    }

    fn read<'a>(&'a self, keys: &'a [String]) -> StoreFuture<'a, Vec<Option<u64>>> {
        Box::pin(std::future::ready(self.read_now(keys)))
    }
}
