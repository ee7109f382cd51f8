//! Criterion benchmarks: `cargo bench -p sealed-session-benches --bench ops`.
//!
//! What the report (`--bench report`: seal, open, old keys, garbage, sign and verify against the
//! floor and cookie-rs) does not time, with criterion's statistics: resource bounds on hostile
//! input (group `reject`), a session chunked over several cookies through the cookie layer
//! (`chunked`), and the per-request handle through the request driver against opening its header
//! directly (`handle`).

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{Floor, NAME, Session, session_of_size};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie, Signer};

fn keys() -> (KeyRing, Sealer, Signer) {
    let ring = KeyRing::new(Key::from_bytes(&[1; 32]).unwrap());
    let sealer = Sealer::builder(ring.clone(), NAME).build().unwrap();
    let signer = Signer::builder(ring.clone(), NAME).build().unwrap();
    (ring, sealer, signer)
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

fn chunked(c: &mut Criterion) {
    let (_, sealer, _) = keys();
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new().max_chunks(3)).unwrap();
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
    targets = reject, chunked, handle
}
criterion_main!(benches);
