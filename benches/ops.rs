//! Criterion benchmarks: `cargo bench -p sealed-session-benches --bench ops`.
//!
//! What the report (`--bench report`: seal, open, old keys, garbage, sign and verify against the
//! floor and cookie-rs) does not time, with criterion's statistics: resource bounds on hostile
//! input (group `reject`), a large session through the request driver, in one cookie and chunked
//! over two (`chunked`: a login request and a request that reads the session, each begun and
//! ended), and the per-request handle through the request driver against opening its header
//! directly (`handle`).

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use common::{Floor, NAME, Session, session_of_size};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sealed_session::web::{Driver, Field, Lines};
use sealed_session::{
    CookieOptions, Key, KeyRing, Sealer, SessionCookie, Signer, Subject, cookie_pairs,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Runs a future that never waits (no store) to its end: one poll, and no executor's thread
/// parker inside the timed loop.
fn now<F: std::future::Future>(future: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(future).as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => unreachable!("no store: nothing waits"),
    }
}

/// The end of a request on a 200 response, as the adapters run it: the response it gives.
fn end<T: Serialize + DeserializeOwned>(
    driver: &Driver,
    session: &sealed_session::Session<T>,
) -> Lines {
    let mut response = Lines::new(200);
    now(driver.end(session, &mut response));
    response
}

/// The `Cookie` header a browser sends back for these `Set-Cookie` lines (removals dropped).
fn cookie_header(set_cookie: &[String]) -> String {
    set_cookie
        .iter()
        .filter_map(|line| line.split(';').next())
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

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

/// A large session, in one cookie (3000 bytes, just under the limit) and chunked over two (6000
/// bytes), through the request driver as the adapters run it: `login`, a request without a
/// cookie whose handler logs a user in (begun, `login`, ended: the seal, the split and the
/// `Set-Cookie` lines; the state's copy is made outside the timing), and `read`, a request that
/// carries the cookies back and reads the session (begun, read, ended: the header joined, the
/// chunks gathered, the value opened; no line to write).
fn chunked(c: &mut Criterion) {
    let (_, sealer, _) = keys();
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new().max_chunks(3)).unwrap();
    let driver = Driver::new(cookie);
    let subject = Subject::new("user-7").unwrap();
    let login = |state: Session| {
        let session = driver.begin::<Session, &[u8]>([]);
        session.login(&subject, state).unwrap();
        end(&driver, &session)
    };
    let mut group = c.benchmark_group("chunked");
    for (size, cookies) in [(3000, 1), (6000, 2)] {
        let state = session_of_size(size);
        let set = login(state.clone()).header(Field::SetCookie);
        assert_eq!(set.len(), cookies, "cookies of a {size}-byte session");
        // A shared buffer, as frameworks keep header values: no copy per request.
        let header: Arc<[u8]> = cookie_header(&set).into_bytes().into();
        let read = driver.begin::<Session, _>([Arc::clone(&header)]);
        assert_eq!(read.get().as_ref(), Some(&state), "the cookies open");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("login", size), &state, |b, s| {
            b.iter_batched(|| s.clone(), |s| login(black_box(s)), BatchSize::SmallInput)
        });
        group.bench_with_input(BenchmarkId::new("read", size), &header, |b, h| {
            b.iter(|| {
                let session = driver.begin::<Session, _>([Arc::clone(black_box(h))]);
                black_box(session.read(|s| s.map(|s| s.user_id)));
                end(&driver, &session)
            })
        });
    }
    group.finish();
}

/// A request's session opened without the request driver, the baseline of `handle`: the one
/// pair of the cookie's name found in the `Cookie` header (a second one refused, as the driver
/// does) and its value opened by the sealer.
fn open_header<T: DeserializeOwned>(sealer: &Sealer, header: &str) -> Option<T> {
    let mut values = cookie_pairs(header)
        .filter(|(name, _)| *name == sealer.cookie_name())
        .map(|(_, value)| value);
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    sealer.open::<T>(value).ok().map(|opened| opened.state)
}

/// The per-request handle through the request driver, as the web adapters run it (begun from
/// the `Cookie` header, ended on a response), on the small state of `benches/web.rs` (a user
/// name and a counter), against opening the same `Cookie` header directly ([`open_header`]):
/// what the handle and the driver add.
fn handle(c: &mut Criterion) {
    #[derive(serde::Serialize, serde::Deserialize, Clone)]
    struct Visit {
        user: String,
        counter: u64,
    }
    let (_, sealer, _) = keys();
    let cookie = SessionCookie::sealed(sealer.clone(), CookieOptions::new()).unwrap();
    let driver = Driver::new(cookie);
    let end = |session: &sealed_session::Session<Visit>| end(&driver, session);
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
        b.iter(|| open_header::<Visit>(&sealer, black_box(h)).unwrap())
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
