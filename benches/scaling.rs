//! Scaling: `cargo bench -p sealed-session-benches --bench scaling`.
//!
//! Throughput of seal + open of a 512-byte session on one thread, then on two threads at once
//! sharing one `Sealer` and one `KeyRing`. Seal and open take no lock and touch no shared counter, so two threads should reach
//! close to twice the throughput of one on a machine with two free cores. A control runs raw
//! AES-GCM the same way, to show what the machine itself allows. Prints one JSON object per line;
//! the median of several rounds.

mod common;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::Instant;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use common::{NAME, Session, session_of_size};
use sealed_session::{Key, KeyRing, Sealer};

const OPS_PER_THREAD: usize = 200_000;
const ROUNDS: usize = 7;

/// Operations per second of `op` with `threads` threads running it at once; `warm` runs once per
/// thread before the clock starts.
fn throughput(threads: usize, warm: &(dyn Fn() + Sync), op: &(dyn Fn() + Sync)) -> f64 {
    let barrier = Barrier::new(threads);
    let elapsed = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    warm();
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..OPS_PER_THREAD {
                        op();
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

    // The crate: seal then open, sharing one sealer and one ring.
    let pair = || {
        let v = sealer.seal(black_box(&state)).unwrap().into_value();
        black_box(sealer.open::<Session>(&v).unwrap());
    };
    // The control: raw AES-256-GCM encrypt then decrypt of the same 512 bytes, each thread on its
    // own buffer and nothing shared but the expanded key. What two threads reach here is what
    // the machine allows (a virtual machine whose host also runs other guests may give less than
    // 2x to anything).
    let aes = Aes256Gcm::new(&[9u8; 32].into());
    let control = || {
        let mut buf = [0u8; 512];
        let nonce = [3u8; 12].into();
        let tag = aes
            .encrypt_inout_detached(&nonce, b"", buf.as_mut_slice().into())
            .unwrap();
        aes.decrypt_inout_detached(&nonce, b"", buf.as_mut_slice().into(), &tag)
            .unwrap();
        black_box(&buf);
    };

    let mut ratios = Vec::new();
    let mut control_ratios = Vec::new();
    let (mut ones, mut twos) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let one = throughput(1, &pair, &pair);
        let two = throughput(2, &pair, &pair);
        ones.push(one);
        twos.push(two);
        ratios.push(two / one);
        let c1 = throughput(1, &control, &control);
        let c2 = throughput(2, &control, &control);
        control_ratios.push(c2 / c1);
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
    println!(
        r#"{{"op": "scaling_control", "size": 512, "two_over_one": {:.2}, "what": "raw aes-gcm encrypt+decrypt"}}"#,
        median(control_ratios)
    );
}
