//! Scaling: `cargo bench --bench scaling`.
//!
//! Throughput of seal + open of a 512-byte session on one thread, then on two threads at once
//! sharing one `Sealer` and one `KeyRing`. Seal and open take no lock and touch no shared counter, so two threads should reach
//! close to twice the throughput of one on a machine with two free cores. Prints one JSON object
//! per line; the median of several rounds.

mod common;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::Instant;

use common::{NAME, Session, session_of_size};
use sealed_session::{Key, KeyRing, Sealer};

const OPS_PER_THREAD: usize = 200_000;
const ROUNDS: usize = 7;

/// Seal-and-open pairs per second with `threads` threads working at once.
fn throughput(sealer: &Sealer, state: &Session, threads: usize) -> f64 {
    let barrier = Barrier::new(threads);
    let elapsed = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    // Warm up this thread's scratch buffer and nonce generator.
                    let v = sealer.seal(state).unwrap().into_value();
                    black_box(sealer.open::<Session>(&v).unwrap());
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..OPS_PER_THREAD {
                        let v = sealer.seal(black_box(state)).unwrap().into_value();
                        black_box(sealer.open::<Session>(&v).unwrap());
                    }
                    start.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap()
    });
    (threads * OPS_PER_THREAD) as f64 / elapsed.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let ring = KeyRing::new(Key::from_bytes(&[1; 32]).unwrap());
    let sealer = Sealer::builder(ring, NAME).build().unwrap();
    let state = session_of_size(512);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut ratios = Vec::new();
    let (mut ones, mut twos) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let one = throughput(&sealer, &state, 1);
        let two = throughput(&sealer, &state, 2);
        ones.push(one);
        twos.push(two);
        ratios.push(two / one);
    }
    println!(
        r#"{{"op": "scaling", "size": 512, "threads": 1, "pairs_per_sec": {:.0}}}"#,
        median(ones)
    );
    println!(
        r#"{{"op": "scaling", "size": 512, "threads": 2, "pairs_per_sec": {:.0}}}"#,
        median(twos)
    );
    println!(
        r#"{{"op": "scaling_ratio", "size": 512, "two_over_one": {:.2}, "cores": {cores}, "rounds": {ROUNDS}}}"#,
        median(ratios)
    );
}
