//! The embedded durable store (feature `redb`): one file, no server, and a revocation survives
//! a restart of the process or the machine.

use std::path::Path;
use std::sync::Arc;

use redb::{
    Database, ReadableDatabase as _, ReadableTable as _, ReadableTableMetadata as _,
    TableDefinition,
};

use super::{Record, RecordWrite, Saved, Store, StoreError, StoreFuture, check_key, check_record};
use crate::clock::{Clock, SystemClock};

/// Key -> (value, expires_at).
const ENTRIES: TableDefinition<&str, (u64, u64)> = TableDefinition::new("sealed-session entries");
/// (expires_at, key) -> (), for sweeping the earliest expiries first.
/// Records: key -> (version, expiry, sealed value).
const RECORDS: TableDefinition<&str, (u64, u64, &str)> =
    TableDefinition::new("sealed-session records");
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
        let db = Database::create(path).map_err(refused)?;
        // Both tables exist from the start, so that reads never meet a missing table.
        let txn = db.begin_write().map_err(refused)?;
        txn.open_table(ENTRIES).map_err(refused)?;
        txn.open_table(BY_EXPIRY).map_err(refused)?;
        txn.open_table(RECORDS).map_err(refused)?;
        txn.commit().map_err(refused)?;
        Ok(Self {
            db: Arc::new(db),
            clock: Arc::new(SystemClock),
        })
    }

    /// The store with its expiries read from `clock` instead of the system clock, as every
    /// type that reads the time takes its clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How many keys the file holds, expired ones not yet swept included.
    ///
    /// # Errors
    /// [`StoreError::Refused`] if the file cannot be read.
    pub fn len(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(refused)?;
        let numbers = txn.open_table(ENTRIES).map_err(refused)?.len();
        let records = txn.open_table(RECORDS).map_err(refused)?.len();
        Ok(numbers.map_err(refused)? + records.map_err(refused)?)
    }

    /// Whether the file holds no key.
    ///
    /// # Errors
    /// [`StoreError::Refused`] if the file cannot be read.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// Runs `change` in one write transaction, after a bounded sweep of what has expired, and
    /// commits: durable before the caller hears of it.
    fn write<R>(
        &self,
        change: impl FnOnce(u64, &mut Tables<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let now = self.clock.now_unix();
        let txn = self.db.begin_write().map_err(refused)?;
        let out = {
            let mut t = Tables {
                entries: txn.open_table(ENTRIES).map_err(refused)?,
                records: txn.open_table(RECORDS).map_err(refused)?,
                by_expiry: txn.open_table(BY_EXPIRY).map_err(refused)?,
            };
            for _ in 0..SWEEP_PER_WRITE {
                let first = t.by_expiry.first().map_err(refused)?.map(|(k, _)| {
                    let (exp, key) = k.value();
                    (exp, key.to_owned())
                });
                match first {
                    Some((exp, old)) if exp <= now => {
                        t.by_expiry.remove((exp, old.as_str())).map_err(refused)?;
                        t.entries.remove(old.as_str()).map_err(refused)?;
                        t.records.remove(old.as_str()).map_err(refused)?;
                    }
                    _ => break,
                }
            }
            change(now, &mut t)?
        };
        txn.commit().map_err(refused)?;
        Ok(out)
    }

    fn raise_now(&self, key: &str, value: u64, expires_at: u64) -> Result<(), StoreError> {
        self.write(|now, t| {
            let current = t
                .entries
                .get(key)
                .map_err(refused)?
                .map(|v| v.value())
                .filter(|&(_, exp)| exp > now);
            let (value, expires_at) = match current {
                Some((v, e)) => (v.max(value), e.max(expires_at)),
                None => (value, expires_at),
            };
            if let Some(old) = t
                .entries
                .insert(key, (value, expires_at))
                .map_err(refused)?
            {
                let (_, old_exp) = old.value();
                t.by_expiry.remove((old_exp, key)).map_err(refused)?;
            }
            t.by_expiry.insert((expires_at, key), ()).map_err(refused)?;
            Ok(())
        })
    }

    fn save_now(
        &self,
        key: &str,
        value: &str,
        expected: Option<u64>,
        expires_at: u64,
    ) -> Result<Saved, StoreError> {
        self.write(|now, t| {
            let current = t
                .records
                .get(key)
                .map_err(refused)?
                .map(|v| {
                    let (version, exp, _) = v.value();
                    (version, exp)
                })
                .filter(|&(_, exp)| exp > now);
            let version = match (current, expected) {
                (None, None) => 1,
                (Some((at, _)), Some(wanted)) if at == wanted => at + 1,
                _ => return Ok(Saved::Conflict),
            };
            let old = t
                .records
                .insert(key, (version, expires_at, value))
                .map_err(refused)?
                .map(|old| old.value().1);
            if let Some(old_exp) = old {
                t.by_expiry.remove((old_exp, key)).map_err(refused)?;
            }
            t.by_expiry.insert((expires_at, key), ()).map_err(refused)?;
            Ok(Saved::Written(version))
        })
    }

    fn remove_now(&self, key: &str) -> Result<(), StoreError> {
        self.write(|_, t| {
            let old = t.records.remove(key).map_err(refused)?.map(|v| v.value().1);
            if let Some(exp) = old {
                t.by_expiry.remove((exp, key)).map_err(refused)?;
            }
            Ok(())
        })
    }

    fn load_now(&self, key: &str) -> Result<Option<Record>, StoreError> {
        let now = self.clock.now_unix();
        let txn = self.db.begin_read().map_err(refused)?;
        let records = txn.open_table(RECORDS).map_err(refused)?;
        Ok(records.get(key).map_err(refused)?.and_then(|v| {
            let (version, exp, value) = v.value();
            (exp > now).then(|| Record::new(version, value.to_owned()))
        }))
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

/// The store's tables, open in one write transaction.
struct Tables<'t> {
    entries: redb::Table<'t, &'static str, (u64, u64)>,
    records: redb::Table<'t, &'static str, (u64, u64, &'static str)>,
    by_expiry: redb::Table<'t, (u64, &'static str), ()>,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").finish_non_exhaustive()
    }
}

impl Store for RedbStore {
    fn raise<'a>(&'a self, key: &'a str, value: u64, expires_at: u64) -> StoreFuture<'a, ()> {
        if let Err(e) = check_key(key) {
            return Box::pin(std::future::ready(Err(e)));
        }
        let key = key.to_owned();
        self.off_thread(move |store| store.raise_now(&key, value, expires_at))
    }

    fn read<'a>(&'a self, keys: &'a [String]) -> StoreFuture<'a, Vec<Option<u64>>> {
        Box::pin(std::future::ready(self.read_now(keys)))
    }

    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Record>> {
        Box::pin(std::future::ready(self.load_now(key)))
    }

    fn save<'a>(&'a self, key: &'a str, write: RecordWrite<'a>) -> StoreFuture<'a, Saved> {
        if let Err(e) = check_record(key, write.value) {
            return Box::pin(std::future::ready(Err(e)));
        }
        let (key, value) = (key.to_owned(), write.value.to_owned());
        let (expected, expires_at) = (write.expected, write.expires_at);
        self.off_thread(move |store| store.save_now(&key, &value, expected, expires_at))
    }

    fn remove<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        if let Err(e) = check_key(key) {
            return Box::pin(std::future::ready(Err(e)));
        }
        let key = key.to_owned();
        self.off_thread(move |store| store.remove_now(&key))
    }
}

impl RedbStore {
    /// Runs a write on tokio's blocking threads: its commit waits for the disk.
    fn off_thread<'a, R: Send + 'static>(
        &self,
        write: impl FnOnce(&RedbStore) -> Result<R, StoreError> + Send + 'static,
    ) -> StoreFuture<'a, R> {
        let store = self.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || write(&store))
                .await
                .map_err(|e| {
                    StoreError::Unreachable(format!("the store's write task failed: {e}"))
                })?
        })
    }
}
