//! Criterion benchmarks: `cargo bench -p sealed-session-benches --bench ops`.
//!
//! For each payload size (postcard bytes of a realistic session), in one run and on the same
//! plaintext: this crate's seal/open (also under an old key, and refusing garbage), the signed
//! mode, a chunked session through the cookie layer, the floor (raw `aes-gcm` with a pre-expanded
//! key; raw HMAC-SHA256 for the signed mode) and cookie-rs 0.18 (`PrivateJar`, `SignedJar`).
//! Also the per-request `Session` handle against opening its header directly (group `handle`).
//! `cargo bench -p sealed-session-benches --bench report` prints the medians as JSON; this target gives criterion's
//! statistics and plots.

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{Floor, NAME, SIZES, Session, cookie_rs_private, cookie_rs_signed, session_of_size};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie, Signer};
use sha2::Sha256;

fn keys() -> (KeyRing, Sealer, Signer) {
    let ring = KeyRing::new(Key::from_bytes(&[1; 32]).unwrap());
    let sealer = Sealer::builder(ring.clone(), NAME).build().unwrap();
    let signer = Signer::builder(ring.clone(), NAME).build().unwrap();
    (ring, sealer, signer)
}

fn seal_and_open(c: &mut Criterion) {
    let (ring, sealer, _) = keys();
    let jar_key = cookie::Key::from(&[11u8; 64]);
    let mut group = c.benchmark_group("seal");
    for size in SIZES {
        let state = session_of_size(size);
        let payload = postcard::to_allocvec(&state).unwrap();
        let text = "v".repeat(size);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("ours", size), &state, |b, s| {
            b.iter(|| sealer.seal(black_box(s)).unwrap().into_value())
        });
        let mut floor = Floor::new(sealed_session::Suite::Aes256Gcm, &payload);
        group.bench_with_input(BenchmarkId::new("floor", size), &size, |b, _| {
            b.iter(|| floor.seal())
        });
        group.bench_with_input(BenchmarkId::new("cookie_rs", size), &text, |b, t| {
            b.iter(|| cookie_rs_private(&jar_key, black_box(t.clone())))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("open");
    for size in SIZES {
        let state = session_of_size(size);
        let payload = postcard::to_allocvec(&state).unwrap();
        let value = sealer.seal(&state).unwrap().into_value();
        let mut floor = Floor::new(sealed_session::Suite::Aes256Gcm, &payload);
        let jar = cookie_rs_private(&jar_key, "v".repeat(size));
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("ours", size), &value, |b, v| {
            b.iter(|| sealer.open::<Session>(black_box(v)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("floor", size), &size, |b, _| {
            b.iter(|| floor.open())
        });
        group.bench_with_input(BenchmarkId::new("cookie_rs", size), &size, |b, _| {
            b.iter(|| jar.private(&jar_key).get(NAME).unwrap())
        });
        // Under an old key in a ring of four: found by id, so the same cost.
        let old = Key::from_bytes(&[1; 32]).unwrap();
        for k in 2..5u8 {
            ring.rotate(Key::from_bytes(&[k; 32]).unwrap()).unwrap();
        }
        group.bench_with_input(BenchmarkId::new("ours_old_key", size), &value, |b, v| {
            b.iter(|| sealer.open::<Session>(black_box(v)).unwrap())
        });
        ring.promote(old.id()).unwrap();
        for k in 2..5u8 {
            ring.retire(Key::from_bytes(&[k; 32]).unwrap().id())
                .unwrap();
        }
        // Garbage of the same length: one AEAD pass at most, then refused.
        let garbage: String = value
            .chars()
            .enumerate()
            .map(|(i, ch)| {
                if i < 8 {
                    ch
                } else {
                    (b'A' + (i % 26) as u8) as char
                }
            })
            .collect();
        group.bench_with_input(BenchmarkId::new("ours_garbage", size), &garbage, |b, g| {
            b.iter(|| sealer.open::<Session>(black_box(g)).unwrap_err())
        });
    }
    group.finish();
}

/// Resource bounds on hostile input: a value over the size limit is refused before any decoding
/// or cryptography (constant time, whatever its length), and garbage of the largest accepted
/// length costs at most one AEAD pass (compare with the floor's decryption of as many bytes).
fn reject(c: &mut Criterion) {
    let (_, sealer, _) = keys();
    let mut group = c.benchmark_group("reject");
    for len in [sealer.max_value_len() + 1, 64 * 1024, 1024 * 1024] {
        let oversized = "A".repeat(len);
        group.bench_with_input(BenchmarkId::new("oversized", len), &oversized, |b, v| {
            b.iter(|| sealer.open::<Session>(black_box(v)).unwrap_err())
        });
    }
    // The longest value `open` accepts, with a real header (so the key is found) and a random
    // body: decoded, authenticated once, refused.
    let max = sealer.max_value_len();
    let valid = sealer.seal(&session_of_size(2900)).unwrap().into_value();
    let header = &valid[..8];
    let body: String = (0..max - 8)
        .map(|i| {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[i * 7 % 64] as char
        })
        .collect();
    let mut garbage = format!("{header}{body}");
    // A multiple of 4 characters has no unused bits, so it decodes and reaches the AEAD.
    garbage.truncate(garbage.len() / 4 * 4);
    assert_eq!(
        sealer.open::<Session>(&garbage).unwrap_err(),
        sealed_session::OpenError::Authentication
    );
    group.bench_with_input(
        BenchmarkId::new("garbage_at_max_len", garbage.len()),
        &garbage,
        |b, g| b.iter(|| sealer.open::<Session>(black_box(g)).unwrap_err()),
    );
    let raw_len = garbage.len() * 3 / 4 - 33;
    let mut floor = Floor::new(sealed_session::Suite::Aes256Gcm, &vec![0x5au8; raw_len]);
    group.bench_with_input(
        BenchmarkId::new("floor_one_aead_pass", raw_len),
        &raw_len,
        |b, _| b.iter(|| floor.reject()),
    );
    group.finish();
}

fn signed(c: &mut Criterion) {
    let (_, _, signer) = keys();
    let mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&[5u8; 32]).unwrap();
    let jar_key = cookie::Key::from(&[11u8; 64]);
    let mut group = c.benchmark_group("signed");
    for size in SIZES {
        let state = session_of_size(size);
        let payload = postcard::to_allocvec(&state).unwrap();
        let value = signer.sign(&state).unwrap().into_value();
        let jar = cookie_rs_signed(&jar_key, "v".repeat(size));
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("sign_ours", size), &state, |b, s| {
            b.iter(|| signer.sign(black_box(s)).unwrap().into_value())
        });
        group.bench_with_input(BenchmarkId::new("verify_ours", size), &value, |b, v| {
            b.iter(|| signer.verify::<Session>(black_box(v)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("floor_hmac", size), &payload, |b, p| {
            b.iter(|| {
                let mut h = mac.clone();
                h.update(black_box(p));
                h.finalize()
            })
        });
        let text = "v".repeat(size);
        group.bench_with_input(BenchmarkId::new("sign_cookie_rs", size), &text, |b, t| {
            b.iter(|| cookie_rs_signed(&jar_key, black_box(t.clone())))
        });
        group.bench_with_input(BenchmarkId::new("verify_cookie_rs", size), &size, |b, _| {
            b.iter(|| jar.signed(&jar_key).get(NAME).unwrap())
        });
    }
    group.finish();
}

fn chunked(c: &mut Criterion) {
    let (_, sealer, _) = keys();
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new())
        .unwrap()
        .max_chunks(3)
        .unwrap();
    let mut group = c.benchmark_group("chunked");
    for size in [3000, 6000] {
        let state = session_of_size(size);
        let set = cookie.set_cookies(&state).unwrap();
        let header = set
            .iter()
            .filter_map(|h| h.split(';').next())
            .filter(|pair| !pair.ends_with('='))
            .collect::<Vec<_>>()
            .join("; ");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("set_cookies", size), &state, |b, s| {
            b.iter(|| cookie.set_cookies(black_box(s)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("open_header", size), &header, |b, h| {
            b.iter(|| cookie.open::<Session>(black_box(h)).unwrap().unwrap())
        });
    }
    group.finish();
}

/// The per-request handle through the request driver, as the web adapters run it (begun from
/// the `Cookie` header, ended on a response), on the small state of `benches/web.rs` (a user
/// name and a counter), against opening the same `Cookie` header directly: what the handle and
/// the driver add.
fn handle(c: &mut Criterion) {
    use sealed_session::web::{Driver, Field, Lines};

    /// Runs a future that never waits (no store) to its end.
    fn now<F: std::future::Future>(future: F) -> F::Output {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(future).as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => unreachable!("no store: nothing waits"),
        }
    }

    #[derive(serde::Serialize, serde::Deserialize, Clone)]
    struct Visit {
        user: String,
        counter: u64,
    }
    let (_, sealer, _) = keys();
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new()).unwrap();
    let driver = Driver::new(cookie.clone());
    let end = |session: &sealed_session::Session<Visit>| {
        let mut response = Lines::new(200);
        now(driver.end(session, &mut response));
        response
    };
    let first = driver.begin::<Visit, &[u8]>([]);
    first
        .replace(Visit {
            user: "alice".into(),
            counter: 0,
        })
        .unwrap();
    let pair = end(&first).header(Field::SetCookie)[0]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let header = format!("theme=dark; {pair}; lang=en");
    let session = |h: &String| driver.begin::<Visit, _>([h.clone().into_bytes()]);
    let mut group = c.benchmark_group("handle");
    group.bench_with_input("open_header", &header, |b, h| {
        b.iter(|| cookie.open::<Visit>(black_box(h)).unwrap().unwrap())
    });
    group.bench_with_input("untouched", &header, |b, h| b.iter(|| end(&session(h))));
    group.bench_with_input("read", &header, |b, h| {
        b.iter(|| {
            let s = session(h);
            black_box(s.read(|v| v.map(|v| v.counter)));
            end(&s)
        })
    });
    group.bench_with_input("modify", &header, |b, h| {
        b.iter(|| {
            let s = session(h);
            s.modify(|v| v.counter += 1).unwrap();
            end(&s)
        })
    });
    group.finish();
}

fn config() -> Criterion {
    // Short runs: the statistics are for spotting changes, the ratios come from `report`.
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = seal_and_open, reject, signed, chunked, handle
}
criterion_main!(benches);
