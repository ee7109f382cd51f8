//! Machine noise: `cargo bench -p sealed-session-benches --bench noise [-- SECONDS]` (default 30).
//!
//! On a shared virtual machine the report's small-value ratios move between runs (seal/floor at
//! 64 B from about 2.0 to over 3) while the floor barely moves. This bench shows when and how:
//! every second it prints the median of many 1 ms samples of three loops, sampled in turn in one
//! process whose code, data and allocations do not change from one second to the next:
//!
//! - `seal_ns`: this crate sealing the 64-byte session of the report;
//! - `floor_ns`: raw `aes-gcm` encrypting 64 bytes (the report's floor: a small loop of AES
//!   rounds);
//! - `integer_ns`: register-only integer work (four xorshift chains: no memory, no allocation),
//!   a control for the processor itself slowing down (frequency, time stolen by the host).
//!
//! The last line gives, over the whole run, the slowest second over the fastest for each loop and
//! the range of `seal_ns / floor_ns`. If the seal slows far more than both controls in the same
//! seconds, and slow seconds come and go within one process, the cause is outside the process and
//! hits code that touches much code and data (as a seal does: AWS-LC's layers, postcard, base64,
//! the allocator) far more than small loops.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{Floor, NAME, sample, session_of_size};
use sealed_session::{Key, KeyRing, Sealer};

/// Register-only integer work: four independent xorshift64 chains.
fn integer_work(seed: u64) -> u64 {
    let mut chains = [seed, seed ^ 1, seed ^ 2, seed ^ 3];
    for _ in 0..256 {
        for x in &mut chains {
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
        }
    }
    chains.iter().fold(0, |acc, x| acc ^ x)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; the first number among the arguments is the duration.
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let sealer = Sealer::builder(KeyRing::new(Key::from_bytes(&[1; 32]).unwrap()), NAME)
        .build()
        .unwrap();
    let state = session_of_size(64);
    let mut floor = Floor::new(
        sealed_session::Suite::Aes256Gcm,
        &postcard::to_allocvec(&state).unwrap(),
    );

    let mut fs: [&mut dyn FnMut(); 3] = [
        &mut || {
            black_box(sealer.seal(black_box(&state)).unwrap().into_value());
        },
        &mut || floor.seal(),
        &mut || {
            black_box(integer_work(black_box(0x9e37_79b9_7f4a_7c15)));
        },
    ];
    // Iterations per 1 ms sample.
    let iters: Vec<u64> = fs
        .iter_mut()
        .map(|f| {
            for _ in 0..1000 {
                f();
            }
            let per = sample(1000, *f).max(1.0);
            ((1_000_000.0 / per) as u64).max(1)
        })
        .collect();

    let mut series: [Vec<f64>; 3] = Default::default();
    let start = Instant::now();
    for second in 0..seconds {
        let mut samples: [Vec<f64>; 3] = Default::default();
        let until = start + Duration::from_secs(second + 1);
        while Instant::now() < until {
            for (i, f) in fs.iter_mut().enumerate() {
                samples[i].push(sample(iters[i], *f));
            }
        }
        let m: Vec<f64> = samples.iter_mut().map(|s| median(s)).collect();
        println!(
            r#"{{"second": {second}, "seal_ns": {:.1}, "floor_ns": {:.1}, "integer_ns": {:.1}, "seal_over_floor": {:.2}}}"#,
            m[0],
            m[1],
            m[2],
            m[0] / m[1]
        );
        for (s, v) in series.iter_mut().zip(m) {
            s.push(v);
        }
    }
    let spread = |s: &[f64]| {
        let lo = s.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = s.iter().copied().fold(0.0, f64::max);
        (lo, hi)
    };
    let ratios: Vec<f64> = series[0]
        .iter()
        .zip(&series[1])
        .map(|(s, f)| s / f)
        .collect();
    let [seal, floor, integer] = [&series[0], &series[1], &series[2]].map(|s| spread(s));
    let ratio = spread(&ratios);
    println!(
        r#"{{"summary": true, "seconds": {seconds}, "seal_slowest_over_fastest": {:.2}, "floor_slowest_over_fastest": {:.2}, "integer_slowest_over_fastest": {:.2}, "seal_over_floor_min": {:.2}, "seal_over_floor_max": {:.2}}}"#,
        seal.1 / seal.0,
        floor.1 / floor.0,
        integer.1 / integer.0,
        ratio.0,
        ratio.1,
    );
}
