//! dudect constant-time measurement through the public API: `cargo bench -p sealed-session-benches --bench timing`.
//!
//! Each test times one public call on two classes of inputs that differ only in *where* a value
//! was corrupted, interleaved at random, and runs Welch's t-test on the two timing distributions
//! (whole and cropped at about 100 percentiles); the largest |t| is printed as `max t`. By the
//! dudect convention |t| < 4.5 is no evidence of a timing difference at that sample size, and
//! |t| well over it is a difference (not by itself a leak of anything secret: see below).
//!
//! - `signed_verify_tag_first_vs_last_byte`: [`Signer::verify`] of a value whose HMAC tag is
//!   wrong in its first byte (Left) or its last byte (Right). Same key, same length, same signed
//!   bytes: only the tag comparison sees the difference, and it must not leak where the first
//!   wrong byte is.
//! - `sealed_open_ct_first_vs_tag_last_byte`: [`Sealer::open`] of a value changed in its first
//!   ciphertext byte (Left) or the last tag byte (Right). Both fail authentication.
//! - `sealed_open_value_first_vs_last_byte`: [`Sealer::open`] of a value changed in the first
//!   byte of the decoded value (Left) or its last byte (Right). The first byte is the *public*
//!   version byte, refused before any key is used (`UnsupportedVersion`); the last is a tag
//!   byte (`Authentication`). A large |t| is expected here: this test is the positive control
//!   that shows the harness detects a real difference at the sample size used. What the version
//!   check reveals is public already.
//!
//! Every input is one of a pool of valid values (random 32-byte states, one key, a fixed manual
//! clock, so all have the same length) with one byte XORed with a random non-zero byte, then
//! re-encoded; before timing, every pool value is checked to fail with the expected error in
//! both classes. Inputs are prepared in batches outside the timed call.
//!
//! Environment: `DUDECT_SAMPLES` sets the samples per test (default 10,000,000: about 15 s and
//! 300 MB per test on a 2-core machine); `DUDECT_SEED` fixes the input generator's seed (a
//! random seed is printed otherwise). Arguments: `-- NAME` or `-- --filter NAME` runs only the
//! tests whose name contains NAME; `-- --out FILE` writes the raw timings as CSV (dudect-bencher
//! 0.7 labels every row class 0 and writes Left and Right rows alternately, as many pairs as
//! the smaller class has).
//!
//! `ctbench_main!` is not used: its argument parser refuses the `--bench` flag that `cargo
//! bench` passes, so `main` below builds the same bench list by hand.

use std::path::PathBuf;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dudect_bencher::ctbench::{BenchFn, BenchMetadata, BenchName, BenchOpts, run_benches_console};
use dudect_bencher::rand::{Rng, RngExt};
use dudect_bencher::{BenchRng, Class, CtRunner};
use sealed_session::{Key, KeyRing, ManualClock, OpenError, Sealer, Signer};

/// The session state: 32 bytes whose postcard encoding is always 32 bytes long.
type State = [u8; 32];

const NAME: &str = "session";
const NOW: u64 = 1_700_000_000;
const DEFAULT_SAMPLES: usize = 10_000_000;
/// Distinct valid values the inputs are made from.
const POOL: usize = 512;
/// Inputs prepared (and held in memory) at a time.
const BATCH: usize = 100_000;
/// Untimed calls before measuring, so caches and branch predictors are warm for both classes.
const WARM_UP: usize = 20_000;

/// Bytes of a signed value's HMAC-SHA256 tag.
const MAC_LEN: usize = 32;
/// version (1) + key id (4) + nonce (12): where a sealed value's ciphertext starts.
const CIPHERTEXT_AT: usize = 17;

fn samples() -> usize {
    match std::env::var("DUDECT_SAMPLES") {
        Ok(s) => s
            .trim()
            .replace('_', "")
            .parse()
            .expect("DUDECT_SAMPLES must be a whole number"),
        Err(_) => DEFAULT_SAMPLES,
    }
}

fn ring() -> KeyRing {
    KeyRing::new(Key::from_bytes(&[0x5a; 32]).expect("a 32-byte key"))
}

/// The decoded bytes of `POOL` valid values made by `make` from random states.
fn pool(rng: &mut BenchRng, make: impl Fn(&State) -> String) -> Vec<Vec<u8>> {
    let values: Vec<Vec<u8>> = (0..POOL)
        .map(|_| {
            let mut state = State::default();
            rng.fill_bytes(&mut state);
            URL_SAFE_NO_PAD
                .decode(make(&state))
                .expect("a valid value is base64url")
        })
        .collect();
    assert!(values.iter().all(|v| v.len() == values[0].len()));
    values
}

/// `value` with the byte at `at` XORed with a random non-zero byte, encoded again.
fn corrupt(rng: &mut BenchRng, value: &[u8], at: usize) -> String {
    let mut bytes = value.to_vec();
    bytes[at] ^= rng.random_range(1..=255u8);
    URL_SAFE_NO_PAD.encode(bytes)
}

type Outcome = Result<(), OpenError>;
/// Where a class corrupts a decoded value of the given length.
type Position = fn(usize) -> usize;
/// Whether an outcome is the one a class must produce.
type Expect = fn(&Outcome) -> bool;

fn is_authentication(r: &Outcome) -> bool {
    matches!(r, Err(OpenError::Authentication))
}

fn is_unsupported_version(r: &Outcome) -> bool {
    matches!(r, Err(OpenError::UnsupportedVersion(_)))
}

/// One test: what differs between the classes is the byte corrupted, `left(len)` or
/// `right(len)` of a decoded value of `len` bytes; `op` is the timed call, and its outcome must
/// satisfy `expected.0` on Left inputs and `expected.1` on Right inputs.
fn measure(
    runner: &mut CtRunner,
    rng: &mut BenchRng,
    pool: &[Vec<u8>],
    (left, right): (Position, Position),
    expected: (Expect, Expect),
    op: impl Fn(&str) -> Outcome,
) {
    let len = pool[0].len();
    let (at_left, at_right) = (left(len), right(len));
    for value in pool {
        let (l, r) = (corrupt(rng, value, at_left), corrupt(rng, value, at_right));
        assert!(expected.0(&op(&l)), "unexpected outcome for Left input {l}");
        assert!(
            expected.1(&op(&r)),
            "unexpected outcome for Right input {r}"
        );
    }

    let make_input = |rng: &mut BenchRng| {
        let value = &pool[rng.random_range(0..pool.len())];
        if rng.random::<bool>() {
            (Class::Left, corrupt(rng, value, at_left))
        } else {
            (Class::Right, corrupt(rng, value, at_right))
        }
    };
    for _ in 0..WARM_UP {
        let (_, input) = make_input(rng);
        let _ = std::hint::black_box(op(&input));
    }

    let total = samples();
    let (mut done, mut lefts) = (0, 0);
    let start = Instant::now();
    while done < total {
        let inputs: Vec<(Class, String)> = (0..BATCH.min(total - done))
            .map(|_| make_input(rng))
            .collect();
        for (class, input) in &inputs {
            lefts += usize::from(matches!(class, Class::Left));
            runner.run_one(*class, || op(input));
        }
        done += inputs.len();
    }
    eprint!(
        "[{total} samples: {lefts} Left, {} Right; decoded value {len} bytes, corrupted at \
         {at_left} vs {at_right}; {:.1} s] ",
        total - lefts,
        start.elapsed().as_secs_f64(),
    );
}

fn signed_verify_tag_first_vs_last_byte(runner: &mut CtRunner, rng: &mut BenchRng) {
    let signer = Signer::builder(ring(), NAME)
        .clock(ManualClock::new(NOW))
        .build()
        .expect("a valid signer");
    let pool = pool(rng, |s| signer.sign(s).expect("sign").into_value());
    measure(
        runner,
        rng,
        &pool,
        (|len| len - MAC_LEN, |len| len - 1),
        (is_authentication, is_authentication),
        |v| signer.verify::<State>(v).map(|_| ()),
    );
}

fn sealer() -> Sealer {
    Sealer::builder(ring(), NAME)
        .clock(ManualClock::new(NOW))
        .build()
        .expect("a valid sealer")
}

fn sealed_open_ct_first_vs_tag_last_byte(runner: &mut CtRunner, rng: &mut BenchRng) {
    let sealer = sealer();
    let pool = pool(rng, |s| sealer.seal(s).expect("seal").into_value());
    measure(
        runner,
        rng,
        &pool,
        (|_| CIPHERTEXT_AT, |len| len - 1),
        (is_authentication, is_authentication),
        |v| sealer.open::<State>(v).map(|_| ()),
    );
}

fn sealed_open_value_first_vs_last_byte(runner: &mut CtRunner, rng: &mut BenchRng) {
    let sealer = sealer();
    let pool = pool(rng, |s| sealer.seal(s).expect("seal").into_value());
    measure(
        runner,
        rng,
        &pool,
        (|_| 0, |len| len - 1),
        (is_unsupported_version, is_authentication),
        |v| sealer.open::<State>(v).map(|_| ()),
    );
}

/// What `ctbench_main!` generates, except that it accepts the `--bench` flag `cargo bench` passes
/// to every `harness = false` target, takes a bare argument as the filter, and reads
/// `DUDECT_SEED`.
fn main() {
    let mut opts = BenchOpts::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => {}
            "--filter" => opts.filter = args.next(),
            "--continuous" => {
                opts.continuous = true;
                opts.filter = args.next();
            }
            "--out" => opts.file_out = args.next().map(PathBuf::from),
            _ if !arg.starts_with('-') => opts.filter = Some(arg),
            _ => {
                eprintln!("usage: timing [--filter NAME | NAME] [--continuous NAME] [--out FILE]");
                std::process::exit(2);
            }
        }
    }
    let seed = std::env::var("DUDECT_SEED")
        .ok()
        .map(|s| s.trim().parse().expect("DUDECT_SEED must be a u64"));
    let bench = |name, benchfn| BenchMetadata {
        name: BenchName(name),
        seed,
        benchfn,
    };
    let benches = vec![
        bench(
            "signed_verify_tag_first_vs_last_byte",
            signed_verify_tag_first_vs_last_byte as BenchFn,
        ),
        bench(
            "sealed_open_ct_first_vs_tag_last_byte",
            sealed_open_ct_first_vs_tag_last_byte,
        ),
        bench(
            "sealed_open_value_first_vs_last_byte",
            sealed_open_value_first_vs_last_byte,
        ),
    ];
    run_benches_console(opts, benches).expect("writing the results");
}
