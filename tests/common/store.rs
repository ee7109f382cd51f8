//! A store for tests: the in-memory store behind a switch that makes it unreachable, and a count
//! of round trips.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use sealed_session::store::{
    MemoryStore, Record, RecordWrite, Saved, Store, StoreError, StoreFuture,
};

/// A [`MemoryStore`] that can be taken down, counts its reads (of numbers and of records) and
/// remembers every record write and every raise it was asked for.
#[derive(Clone, Default)]
pub(crate) struct FlakyStore {
    pub(crate) store: MemoryStore,
    down: Arc<AtomicBool>,
    reads: Arc<AtomicUsize>,
    saved: Arc<Mutex<Vec<(String, String)>>>,
    raised: Arc<Mutex<Vec<String>>>,
}

impl FlakyStore {
    pub(crate) fn new(store: MemoryStore) -> Self {
        Self {
            store,
            ..Self::default()
        }
    }

    pub(crate) fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub(crate) fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    /// Every record write asked for, as (key, value), in order, whether or not it applied.
    pub(crate) fn saved(&self) -> Vec<(String, String)> {
        self.saved.lock().unwrap().clone()
    }

    /// The key of every raise asked for (revocations, generations), in order, whether or not
    /// it applied.
    pub(crate) fn raised(&self) -> Vec<String> {
        self.raised.lock().unwrap().clone()
    }

    /// How many server-side records (not numbers) the store holds: its keys but the distinct
    /// ones raised, none of which expires within these tests.
    pub(crate) fn records(&self) -> usize {
        let mut numbers = self.raised();
        numbers.sort();
        numbers.dedup();
        self.store.len() - numbers.len()
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unreachable("taken down by the test".into()))
        } else {
            Ok(())
        }
    }

    /// `call` on the memory store, or the outage.
    fn or_down<'a, T: Send + 'a>(
        &'a self,
        call: impl FnOnce() -> StoreFuture<'a, T>,
    ) -> StoreFuture<'a, T> {
        match self.check() {
            Ok(()) => call(),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
}

impl Store for FlakyStore {
    fn raise<'a>(&'a self, key: &'a str, value: u64, expires_at: u64) -> StoreFuture<'a, ()> {
        self.or_down(|| {
            self.raised.lock().unwrap().push(key.to_owned());
            self.store.raise(key, value, expires_at)
        })
    }

    fn read<'a>(&'a self, keys: &'a [String]) -> StoreFuture<'a, Vec<Option<u64>>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.or_down(|| self.store.read(keys))
    }

    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Record>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.or_down(|| self.store.load(key))
    }

    fn save<'a>(&'a self, key: &'a str, write: RecordWrite<'a>) -> StoreFuture<'a, Saved> {
        self.or_down(|| {
            let saved = (key.to_owned(), write.value.to_owned());
            self.saved.lock().unwrap().push(saved);
            self.store.save(key, write)
        })
    }

    fn remove<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.or_down(|| self.store.remove(key))
    }
}

/// Runs a future that never waits (the stores here answer at once) to its end.
pub(crate) fn now<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("a test store future waited"),
    }
}
