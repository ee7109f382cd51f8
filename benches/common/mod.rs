//! What the benchmarks share: the realistic session state, sized exactly.

#![allow(dead_code)] // each bench uses its own subset

use std::hint::black_box;
use std::time::{Duration, Instant};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
use cookie::{Cookie, CookieJar};
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

/// The floor every ratio is taken against: raw RustCrypto `aes-gcm` `Aes256Gcm` with a
/// pre-expanded key, on a payload's bytes with no associated data. Each instance owns its buffers,
/// so each timed closure holds its own.
pub(crate) struct Floor {
    aes: Aes256Gcm,
    nonce: Nonce<Aes256Gcm>,
    /// Encrypted in place again and again by `seal`.
    buf: Vec<u8>,
    /// The payload's ciphertext and tag, opened by `open` and `reject`.
    ct: Vec<u8>,
    tag: Tag<Aes256Gcm>,
    /// `tag` with one bit flipped.
    bad_tag: Tag<Aes256Gcm>,
    out: Vec<u8>,
}

impl Floor {
    pub(crate) fn new(payload: &[u8]) -> Self {
        let aes = Aes256Gcm::new(&[9u8; 32].into());
        let nonce = [3u8; 12].into();
        let mut ct = payload.to_vec();
        let tag = aes
            .encrypt_inout_detached(&nonce, b"", ct.as_mut_slice().into())
            .unwrap();
        let mut bad_tag = tag;
        bad_tag[0] ^= 1;
        Floor {
            aes,
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
        let tag = self
            .aes
            .encrypt_inout_detached(&self.nonce, b"", self.buf.as_mut_slice().into())
            .unwrap();
        black_box(tag);
    }

    /// Authenticates and decrypts the payload's ciphertext into a separate buffer: the floor of
    /// an open.
    pub(crate) fn open(&mut self) {
        let io = InOutBuf::new(self.ct.as_slice(), self.out.as_mut_slice()).unwrap();
        self.aes
            .decrypt_inout_detached(&self.nonce, b"", io, &self.tag)
            .unwrap();
        black_box(&self.out);
    }

    /// The same with a tag that does not verify: the floor of a refusal.
    pub(crate) fn reject(&mut self) {
        let io = InOutBuf::new(self.ct.as_slice(), self.out.as_mut_slice()).unwrap();
        let refused = self
            .aes
            .decrypt_inout_detached(&self.nonce, b"", io, &self.bad_tag);
        black_box(refused.unwrap_err());
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
