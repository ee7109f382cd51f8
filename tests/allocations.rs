//! Heap allocations per operation, counted by a counting allocator (allocation-counter, which
//! counts per thread): a seal makes at most 2 and an open at most 2 beyond what the state type
//! itself needs to deserialize. Speed is measured in benchmarks, never here; allocation counts
//! are deterministic, so they can be asserted.

use allocation_counter::measure;
use sealed_session::web::Driver;
use sealed_session::{CookieOptions, Key, KeyRing, ManualClock, Sealer, SessionCookie, Signer};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Session {
    user_id: u64,
    #[serde(with = "serde_bytes")]
    csrf: [u8; 16],
    roles: Vec<String>,
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
}

fn session(data_len: usize) -> Session {
    Session {
        user_id: 42,
        csrf: [7; 16],
        roles: vec!["admin".into(), "billing".into()],
        data: vec![9; data_len],
    }
}

fn ring() -> KeyRing {
    KeyRing::new(Key::from_bytes(&[1; 32]).unwrap())
}

fn sealer(ring: &KeyRing) -> Sealer {
    Sealer::builder(ring.clone(), "session")
        .clock(ManualClock::new(1_800_000_000))
        .build()
        .unwrap()
}

/// Allocations the state type needs on its own to deserialize from postcard.
fn allocations_of_the_type_alone(state: &Session) -> u64 {
    let bytes = postcard::to_allocvec(state).unwrap();
    measure(|| {
        let _ = postcard::from_bytes::<Session>(&bytes).unwrap();
    })
    .count_total
}

// Each operation runs once before it is counted: the first use on a thread creates the
// thread's scratch buffer and nonce generator, once per thread, and the first use of a key by a
// suite expands the suite's key, once per key; neither happens per call.

#[test]
fn a_seal_allocates_at_most_twice() {
    let s = sealer(&ring());
    for len in [0, 29, 476, 2964] {
        let state = session(len);
        let _ = s.seal(&state).unwrap();
        let n = measure(|| {
            let _ = s.seal(&state).unwrap();
        })
        .count_total;
        eprintln!("seal {len}: {n} allocations");
        assert!(
            n <= 2,
            "seal of a {len}-byte data field allocated {n} times"
        );
    }
}

#[test]
fn an_open_allocates_at_most_twice_beyond_the_state_itself() {
    let s = sealer(&ring());
    for len in [0, 29, 476, 2964] {
        let state = session(len);
        let value = s.seal(&state).unwrap().into_value();
        let _ = s.open::<Session>(&value).unwrap();
        let n = measure(|| {
            let _ = s.open::<Session>(&value).unwrap();
        })
        .count_total;
        let own = allocations_of_the_type_alone(&state);
        eprintln!("open {len}: {n} allocations, the type alone {own}");
        assert!(
            n <= own + 2,
            "open of a {len}-byte data field allocated {n} times; the type alone needs {own}"
        );
    }
}

#[test]
fn an_open_under_an_old_key_allocates_no_more_than_under_the_primary() {
    let ring = ring();
    let s = sealer(&ring);
    let state = session(100);
    let old = s.seal(&state).unwrap().into_value();
    ring.rotate(Key::from_bytes(&[2; 32]).unwrap()).unwrap();
    let new = s.seal(&state).unwrap().into_value();
    let _ = (s.open::<Session>(&old), s.open::<Session>(&new));
    let count = |v: &str| {
        measure(|| {
            let _ = s.open::<Session>(v).unwrap();
        })
        .count_total
    };
    assert_eq!(count(&old), count(&new));
}

#[test]
fn refusing_garbage_allocates_nothing() {
    let s = sealer(&ring());
    let value = s.seal(&session(476)).unwrap().into_value();
    let mut garbage = value.into_bytes();
    for b in garbage.iter_mut().skip(30) {
        *b = if *b == b'A' { b'B' } else { b'A' };
    }
    let garbage = String::from_utf8(garbage).unwrap();
    let _ = s.open::<Session>(&garbage);
    let n = measure(|| {
        let _ = s.open::<Session>(&garbage).unwrap_err();
    })
    .count_total;
    assert_eq!(n, 0);
}

#[test]
fn sign_and_verify_allocate_as_seal_and_open_do() {
    let signer = Signer::builder(ring(), "prefs")
        .clock(ManualClock::new(1_800_000_000))
        .build()
        .unwrap();
    let state = session(300);
    let value = signer.sign(&state).unwrap().into_value();
    let _ = signer.verify::<Session>(&value).unwrap();
    let sign = measure(|| {
        let _ = signer.sign(&state).unwrap();
    })
    .count_total;
    let verify = measure(|| {
        let _ = signer.verify::<Session>(&value).unwrap();
    })
    .count_total;
    assert!(sign <= 2, "sign allocated {sign} times");
    let own = allocations_of_the_type_alone(&state);
    assert!(
        verify <= own + 2,
        "verify allocated {verify}; the type alone {own}"
    );
}

/// What a request's session handle allocates on its own, whatever the cookie: the shared handle
/// (`Arc<Mutex<..>>`), the boxed reader of the request's `Cookie` fields, and the header they
/// join into.
const HANDLE: u64 = 3;

#[test]
fn reading_an_unchunked_session_cookie_allocates_only_the_handle_beyond_opening_its_value() {
    let s = sealer(&ring());
    let driver = Driver::new(SessionCookie::sealed(s.clone(), CookieOptions::new()).unwrap());
    let state = session(200);
    let value = s.seal(&state).unwrap().into_value();
    // A field the framework keeps (a shared buffer): moving it into the session copies nothing.
    let header: &'static str =
        Box::leak(format!("theme=dark; session={value}; lang=en").into_boxed_str());
    let read = || {
        let session = driver.begin::<Session, _>([header]);
        assert!(session.read(|s| s.is_some()));
    };
    read();
    let via_request = measure(read).count_total;
    let direct = measure(|| {
        let _ = s.open::<Session>(&value).unwrap();
    })
    .count_total;
    assert!(
        via_request <= direct + HANDLE,
        "a request read allocated {via_request}; opening the value {direct}"
    );
}
