//! What the benchmarks share: the realistic session state, sized exactly.

#![allow(dead_code)] // each bench uses its own subset

use std::hint::black_box;
use std::time::{Duration, Instant};

use cookie::{Cookie, CookieJar};
use sealed_session::Suite;

mod raw;

pub(crate) use raw::RawAead;
use serde::{Deserialize, Serialize};

/// The payload sizes every benchmark reports: postcard bytes of the state.
pub(crate) const SIZES: [usize; 3] = [64, 512, 3000];

/// The cookie name used throughout.
pub(crate) const NAME: &str = "session";

/// A realistic session: an id, a CSRF token, roles, and opaque application data (byte fields
/// through `serde_bytes`, as the crate's docs recommend).
#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
pub(crate) struct Session {
    pub(crate) user_id: u64,
    #[serde(with = "serde_bytes")]
    pub(crate) csrf: [u8; 16],
    pub(crate) roles: Vec<String>,
    #[serde(with = "serde_bytes")]
    pub(crate) data: Vec<u8>,
}

/// A session whose postcard serialization is exactly `size` bytes (at least 40).
pub(crate) fn session_of_size(size: usize) -> Session {
    let mut s = Session {
        user_id: 1_234_567,
        csrf: [7; 16],
        roles: vec!["admin".into(), "billing".into()],
        data: Vec::new(),
    };
    let fixed = postcard::to_allocvec(&s).unwrap().len() - 1; // less the empty data's length byte
    let room = size - fixed;
    // `room` = varint(len) + len
    let len = if room <= 128 { room - 1 } else { room - 2 };
    s.data = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    assert_eq!(postcard::to_allocvec(&s).unwrap().len(), size);
    s
}

/// Times `f` over `iters` iterations, returning ns per iteration.
pub(crate) fn sample(iters: u64, f: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

/// Runs each function for many interleaved samples and returns the median ns/iteration of each.
pub(crate) fn medians(fs: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    // Short samples, many of them, interleaved: a noisy stretch of the machine lands on every
    // function's samples alike.
    const SAMPLE_TIME: Duration = Duration::from_millis(1);
    const SAMPLES: usize = 201;
    // Calibrate: iterations per sample so one sample takes about SAMPLE_TIME.
    let iters: Vec<u64> = fs
        .iter_mut()
        .map(|f| {
            for _ in 0..1000 {
                f(); // warm up
            }
            let per = sample(1000, *f).max(1.0);
            ((SAMPLE_TIME.as_nanos() as f64 / per) as u64).max(1)
        })
        .collect();
    let mut results = vec![Vec::with_capacity(SAMPLES); fs.len()];
    for _ in 0..SAMPLES {
        for (i, f) in fs.iter_mut().enumerate() {
            results[i].push(sample(iters[i], *f));
        }
    }
    results
        .into_iter()
        .map(|mut r| {
            r.sort_by(|a, b| a.total_cmp(b));
            r[r.len() / 2]
        })
        .collect()
}

/// The floor: the raw AEAD of the backend in use ([`RawAead`]) for one sealed suite, with a
/// pre-expanded key, on the payload's bytes and no associated data.
pub(crate) struct Floor {
    aead: RawAead,
    nonce: Vec<u8>,
    buf: Vec<u8>,
    ct: Vec<u8>,
    tag: [u8; 16],
    bad_tag: [u8; 16],
    out: Vec<u8>,
}

impl Floor {
    pub(crate) fn new(suite: Suite, payload: &[u8]) -> Self {
        let aead = RawAead::new(suite, &[9u8; 32]);
        let nonce = vec![3u8; aead.nonce_len()];
        let mut ct = payload.to_vec();
        let tag = aead.seal(&nonce, b"", &mut ct);
        let mut bad_tag = tag;
        bad_tag[0] ^= 1;
        Floor {
            aead,
            nonce,
            buf: payload.to_vec(),
            out: vec![0; ct.len()],
            ct,
            tag,
            bad_tag,
        }
    }

    /// Encrypts the payload's bytes in place: the floor of a seal.
    pub(crate) fn seal(&mut self) {
        black_box(self.aead.seal(&self.nonce, b"", &mut self.buf));
    }

    /// Authenticates and decrypts the payload's ciphertext into a separate buffer: the floor of
    /// an open.
    pub(crate) fn open(&mut self) {
        assert!(
            self.aead
                .open(&self.nonce, b"", &self.ct, &self.tag, &mut self.out)
        );
        black_box(&self.out);
    }

    /// The same with a tag that does not verify: the floor of a refusal.
    pub(crate) fn reject(&mut self) {
        let refused = self
            .aead
            .open(&self.nonce, b"", &self.ct, &self.bad_tag, &mut self.out);
        assert!(!black_box(refused));
    }
}

/// cookie-rs 0.18 encrypting a cookie as an application does: a new jar, the cookie `NAME =
/// value` added through its `PrivateJar` under `key`.
pub(crate) fn cookie_rs_private(key: &cookie::Key, value: String) -> CookieJar {
    let mut jar = CookieJar::new();
    jar.private_mut(key).add(Cookie::new(NAME, value));
    jar
}

/// The same through its `SignedJar`.
pub(crate) fn cookie_rs_signed(key: &cookie::Key, value: String) -> CookieJar {
    let mut jar = CookieJar::new();
    jar.signed_mut(key).add(Cookie::new(NAME, value));
    jar
}
