//! Counting seals per key without a shared write on the seal path: each key holds one counter
//! per thread slot, each on its own cache line, and a thread only ever adds to its own slot.
//! Reading the count sums the slots.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Slots per key. Threads take slots in turn; past this many threads two threads share a slot,
/// which stays exact (the add is atomic) but is no longer free of contention.
const SLOTS: usize = 32;

/// One slot, alone on its cache line so that two threads' slots never share one.
#[repr(align(128))]
#[derive(Default)]
struct Slot(AtomicU64);

/// How many values one key has sealed in this process.
pub(crate) struct SealCounter {
    slots: Box<[Slot; SLOTS]>,
}

impl SealCounter {
    pub(crate) fn new() -> Self {
        Self {
            slots: Box::new(std::array::from_fn(|_| Slot::default())),
        }
    }

    /// Counts one seal, in the calling thread's slot.
    pub(crate) fn add(&self) {
        self.slots[slot()].0.fetch_add(1, Ordering::Relaxed);
    }

    /// Every seal counted so far (seals still in progress may or may not be in it).
    pub(crate) fn total(&self) -> u64 {
        self.slots
            .iter()
            .map(|s| s.0.load(Ordering::Relaxed))
            .fold(0, u64::saturating_add)
    }
}

/// The calling thread's slot, taken in turn the first time the thread seals.
fn slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: Cell<Option<usize>> = const { Cell::new(None) };
    }
    SLOT.with(|s| match s.get() {
        Some(slot) => slot,
        None => {
            let slot = NEXT.fetch_add(1, Ordering::Relaxed) % SLOTS;
            s.set(Some(slot));
            slot
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_from_many_threads_add_up_exactly() {
        let counter = std::sync::Arc::new(SealCounter::new());
        // More threads than slots: shared slots must stay exact too.
        let threads: Vec<_> = (0..SLOTS + 8)
            .map(|_| {
                let counter = std::sync::Arc::clone(&counter);
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        counter.add();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(counter.total(), (SLOTS as u64 + 8) * 1000);
    }
}
