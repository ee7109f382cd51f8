//! Sealing and opening from many threads while another thread rotates the keys: no value is ever
//! lost or misread. A value fails to open only because its key was retired, and then only with
//! `UnknownKey` naming that key.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use common::sealer::{key_id_of, secs};
use sealed_session::{Key, KeyId, KeyRing, ManualClock, OpenError, RenewalReason, Sealer};
use serde_bytes::ByteBuf;

const WORKERS: usize = 4;
const ITERATIONS: usize = 1_500;
/// The rotator starts a cycle after this many worker operations (bounded by counts, not time).
const OPS_PER_CYCLE: usize = 8;
const MAX_CYCLES: usize = 400;
/// Workers wait for the rotator when they are this many cycles ahead of it, so that rotations
/// are spread over the whole run however the threads are scheduled.
const MAX_LEAD: usize = 4;
const SHARED_CAPACITY: usize = 256;

type State = (u8, u32, ByteBuf);

struct Shared {
    sealer: Sealer,
    /// Values sealed by any worker, for the others to open.
    values: Mutex<Vec<(String, State)>>,
    /// Every key id added to the ring, before it was added.
    added: Mutex<HashSet<KeyId>>,
    /// Every key id retired, inserted *before* the retire call, so this set always contains every
    /// key the ring no longer holds.
    retired: Mutex<HashSet<KeyId>>,
    ops: AtomicUsize,
    cycles: AtomicUsize,
    rotator_done: AtomicBool,
    workers_done: AtomicUsize,
    unknown_key_opens: AtomicUsize,
    old_key_opens: AtomicUsize,
}

impl Shared {
    /// The only outcomes allowed for opening `value`, sealed with `expected`.
    fn check(&self, value: &str, expected: &State, who: &str) {
        match self.sealer.open::<State>(value) {
            Ok(opened) => {
                assert_eq!(&opened.state, expected, "{who}: opened to another state");
                if opened.renewal == Some(RenewalReason::OldKey) {
                    self.old_key_opens.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(OpenError::UnknownKey(id)) => {
                assert_eq!(id, key_id_of(value), "{who}: UnknownKey names another key");
                assert!(
                    self.retired.lock().unwrap().contains(&id),
                    "{who}: key {id} is not retired but its value was refused"
                );
                self.unknown_key_opens.fetch_add(1, Ordering::Relaxed);
            }
            Err(other) => panic!("{who}: value with state {expected:?} refused: {other:?}"),
        }
    }
}

/// Counts a worker as done even if it panics, so the rotator never waits for it forever.
struct DoneGuard<'a>(&'a AtomicUsize);

impl Drop for DoneGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Marks the rotator as finished even if it panics, so no worker waits for it forever.
struct RotatorGuard<'a>(&'a AtomicBool);

impl Drop for RotatorGuard<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn worker(shared: &Shared, w: u8) -> Vec<(String, State)> {
    let _done = DoneGuard(&shared.workers_done);
    let mut mine = Vec::with_capacity(ITERATIONS);
    for i in 0..ITERATIONS as u32 {
        let state: State = (
            w,
            i,
            ByteBuf::from(i.to_le_bytes().repeat(1 + i as usize % 4)),
        );
        let sealed = shared.sealer.seal(&state).expect("sealing never fails");
        let value = sealed.into_value();
        assert!(
            shared.added.lock().unwrap().contains(&key_id_of(&value)),
            "sealed with a key that was never added"
        );
        shared.check(&value, &state, &format!("worker {w} own value {i}"));

        let theirs = {
            let mut values = shared.values.lock().unwrap();
            if values.len() < SHARED_CAPACITY {
                values.push((value.clone(), state.clone()));
            } else {
                let slot = (i as usize * 31 + w as usize) % SHARED_CAPACITY;
                values[slot] = (value.clone(), state.clone());
            }
            let pick = (i as usize * 7 + 3 * w as usize) % values.len();
            values[pick].clone()
        };
        shared.check(&theirs.0, &theirs.1, &format!("worker {w} shared value"));
        mine.push((value, state));
        let ops = shared.ops.fetch_add(1, Ordering::SeqCst) + 1;
        while ops >= (shared.cycles.load(Ordering::SeqCst) + MAX_LEAD) * OPS_PER_CYCLE
            && !shared.rotator_done.load(Ordering::SeqCst)
        {
            thread::yield_now();
        }
    }
    mine
}

/// Adds, promotes and retires keys, keeping the primary and the one before it.
fn rotator(shared: &Shared, ring: &KeyRing) -> usize {
    let _done = RotatorGuard(&shared.rotator_done);
    let mut live = vec![ring.primary_id()];
    let mut cycles = 0;
    let mut next_at = OPS_PER_CYCLE;
    while cycles < MAX_CYCLES {
        while shared.ops.load(Ordering::SeqCst) < next_at
            && shared.workers_done.load(Ordering::SeqCst) < WORKERS
        {
            thread::yield_now();
        }
        if shared.workers_done.load(Ordering::SeqCst) == WORKERS {
            break;
        }
        next_at += OPS_PER_CYCLE;

        let key = Key::generate().unwrap();
        shared.added.lock().unwrap().insert(key.id());
        let id = if cycles % 2 == 0 {
            let id = ring.add(key).unwrap();
            thread::yield_now(); // let workers see an added but not promoted key
            ring.promote(id).unwrap();
            id
        } else {
            ring.rotate(key).unwrap()
        };
        live.push(id);
        thread::yield_now();
        // Retire keys at least two generations older than the new primary.
        while live.len() > 2 {
            let old = live.remove(0);
            shared.retired.lock().unwrap().insert(old);
            ring.retire(old).unwrap();
        }
        assert_eq!(ring.key_ids(), live);
        cycles += 1;
        shared.cycles.store(cycles, Ordering::SeqCst);
    }
    cycles
}

#[test]
fn values_sealed_and_opened_during_rotation_open_exactly_or_fail_only_for_retired_keys() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let sealer = Sealer::builder(ring.clone(), "session")
        .idle_timeout(secs(600))
        .clock(ManualClock::new(common::sealer::T0))
        .build()
        .unwrap();
    let shared = Arc::new(Shared {
        sealer,
        values: Mutex::new(Vec::new()),
        added: Mutex::new(HashSet::from([ring.primary_id()])),
        retired: Mutex::new(HashSet::new()),
        ops: AtomicUsize::new(0),
        cycles: AtomicUsize::new(0),
        rotator_done: AtomicBool::new(false),
        workers_done: AtomicUsize::new(0),
        unknown_key_opens: AtomicUsize::new(0),
        old_key_opens: AtomicUsize::new(0),
    });

    let (cycles, sealed_by_workers) = thread::scope(|s| {
        let workers: Vec<_> = (0..WORKERS as u8)
            .map(|w| {
                let shared = &shared;
                s.spawn(move || worker(shared, w))
            })
            .collect();
        let rot = s.spawn(|| rotator(&shared, &ring));
        let sealed: Vec<_> = workers
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect();
        (rot.join().expect("rotator panicked"), sealed)
    });

    // No value was lost: every value ever sealed still opens to its state, or its key is retired.
    for (w, values) in sealed_by_workers.iter().enumerate() {
        assert_eq!(values.len(), ITERATIONS, "worker {w} sealed every value");
        for (value, state) in values {
            shared.check(value, state, "final check");
        }
    }
    assert_eq!(cycles, MAX_CYCLES, "the rotator ran every cycle");
    let retired = shared.retired.lock().unwrap();
    assert_eq!(
        retired.len(),
        cycles - 1,
        "all but the last two generations retired"
    );
    assert!(retired.iter().all(|id| !ring.contains(*id)));
    assert!(
        shared.unknown_key_opens.load(Ordering::Relaxed) > 0,
        "values of retired keys were refused"
    );
    eprintln!(
        "{cycles} rotation cycles; {} opens with an old key, {} with a retired key",
        shared.old_key_opens.load(Ordering::Relaxed),
        shared.unknown_key_opens.load(Ordering::Relaxed),
    );
}
