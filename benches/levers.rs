//! The levers: `cargo bench -p sealed-session-benches --bench levers`.
//!
//! Each choice the crate made for speed, measured against what it replaced, on the crate's own
//! inputs. Prints one JSON object per line,
//! `{"lever", "size", "kept_ns", "replaced_ns"}` (`size` is `null` where the lever does not
//! depend on the payload), medians of 1 ms samples with each pair sampled in turn in one loop, the
//! median of three rounds (about 40 s). Absolute times are noisy on a shared machine; compare the
//! two columns of a line.
//!
//! | lever | kept | replaced |
//! |---|---|---|
//! | `aead_backend` | AWS-LC AES-256-GCM (`aws-lc-rs`), stamps + payload, 14 bytes of associated data | RustCrypto `aes-gcm` 0.11 on the same input |
//! | `pre_expanded_key` | a key schedule built once per key (on its first use) | built on every call, as cookie-rs does |
//! | `nonce` | 12 bytes from a ChaCha20 generator held per thread, seeded once from the OS | a `getrandom` call per seal |
//! | `encrypt_in_place` | one buffer: header, nonce, plaintext encrypted where it lies, tag appended | the plaintext copied out and encrypted there (tag appended), the value assembled in a second vector of exact size |
//! | `exact_capacity` | the sealed bytes built in a buffer reserved to their final size | a buffer grown from empty as the parts are appended |
//! | `serde_bytes_serialize`, `serde_bytes_deserialize` | byte fields through `serde_bytes` (one length, one copy) | the same struct without it (a sequence of `u8`, element by element) |
//! | `base64_encode`, `base64_decode` | `base64-simd` (AVX2), strict URL-safe, no padding | the `base64` crate, same alphabet and strictness |
//! | `coarse_clock` | `CLOCK_REALTIME_COARSE` (Linux; elsewhere the same as the replaced) | `SystemTime::now()` |

mod common;

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine as _;
use chacha20::ChaCha20Rng;
use common::{NAME, SIZES, Session, medians, session_of_size};
use rand_core::{Rng, SeedableRng};
use sealed_session::{Clock, Key, KeyRing, Sealer, SystemClock};
use serde::{Deserialize, Serialize};

/// The benchmarks' session with its byte fields left to serde's defaults.
#[derive(Serialize, Deserialize)]
struct PlainSession {
    user_id: u64,
    csrf: [u8; 16],
    roles: Vec<String>,
    data: Vec<u8>,
}

impl From<&Session> for PlainSession {
    fn from(s: &Session) -> Self {
        PlainSession {
            user_id: s.user_id,
            csrf: s.csrf,
            roles: s.roles.clone(),
            data: s.data.clone(),
        }
    }
}

const ROUNDS: usize = 3;
const HEADER: usize = 1 + 4;
const NONCE: usize = 12;
const TAG: usize = 16;
/// The associated data of this cookie name and the empty purpose: header, name, purpose.
const AAD_LEN: usize = HEADER + 1 + NAME.len() + 1;
/// Stamps of a new session with the default policy.
const STAMPS: usize = 9;

thread_local! {
    static RNG: RefCell<ChaCha20Rng> = RefCell::new(ChaCha20Rng::from_seed({
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        seed
    }));
}

type Row = (&'static str, Option<usize>, f64, f64);

fn main() {
    let mut rounds: Vec<Vec<Row>> = Vec::new();
    for _ in 0..ROUNDS {
        rounds.push(round());
    }
    for (i, &(lever, size, _, _)) in rounds[0].iter().enumerate() {
        let kept = median(rounds.iter().map(|r| r[i].2).collect());
        let replaced = median(rounds.iter().map(|r| r[i].3).collect());
        let size = size.map_or("null".to_owned(), |s| s.to_string());
        println!(
            r#"{{"lever": "{lever}", "size": {size}, "kept_ns": {kept:.1}, "replaced_ns": {replaced:.1}}}"#
        );
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn round() -> Vec<Row> {
    let mut rows = Vec::new();
    let key_bytes = [7u8; 32];
    let aad = [1u8; AAD_LEN];
    let sealer = Sealer::builder(KeyRing::new(Key::from_bytes(&key_bytes).unwrap()), NAME)
        .build()
        .unwrap();
    let aws = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key_bytes).unwrap());
    let rc = Aes256Gcm::new(&key_bytes.into());

    for size in SIZES {
        let state = session_of_size(size);
        let plain_state = PlainSession::from(&state);
        let payload = postcard::to_allocvec(&state).unwrap();
        let plain_payload = postcard::to_allocvec(&plain_state).unwrap();
        let value = sealer.seal(&state).unwrap().into_value();
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&value)
            .unwrap();
        let body_len = STAMPS + size;
        let sealed_len = HEADER + NONCE + body_len + TAG;

        // The stamps and payload as the AEAD sees them; each closure encrypts its own copy.
        let plaintext = vec![1u8; body_len];
        let mut body = plaintext.clone();
        let mut body_rc = plaintext.clone();
        let mut body_kept = plaintext.clone();
        let mut body_fresh = plaintext.clone();
        let mut one_buf: Vec<u8> = Vec::with_capacity(sealed_len);
        let mut decoded: Vec<u8> = Vec::with_capacity(raw.len());
        let mut decoded_b64: Vec<u8> = Vec::with_capacity(raw.len());
        let mut ser_buf = vec![0u8; payload.len()];
        let mut plain_ser_buf = vec![0u8; plain_payload.len()];
        let n = || Nonce::assume_unique_for_key([2; 12]);

        let m = medians(&mut [
            // aead_backend
            &mut || {
                let _ = black_box(
                    aws.seal_in_place_separate_tag(n(), Aad::from(aad), &mut body)
                        .unwrap(),
                );
            },
            &mut || {
                black_box(
                    rc.encrypt_inout_detached(&[2; 12].into(), &aad, body_rc.as_mut_slice().into())
                        .unwrap(),
                );
            },
            // pre_expanded_key: the kept side is the same call as aead_backend's kept side, sampled
            // again here so that each pair shares its loop position.
            &mut || {
                let _ = black_box(
                    aws.seal_in_place_separate_tag(n(), Aad::from(aad), &mut body_kept)
                        .unwrap(),
                );
            },
            &mut || {
                let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key_bytes).unwrap());
                let _ = black_box(
                    key.seal_in_place_separate_tag(n(), Aad::from(aad), &mut body_fresh)
                        .unwrap(),
                );
            },
            // encrypt_in_place
            &mut || {
                one_buf.clear();
                one_buf.extend_from_slice(&[1; HEADER + NONCE]);
                one_buf.extend_from_slice(&plaintext);
                let tag = aws
                    .seal_in_place_separate_tag(n(), Aad::from(aad), &mut one_buf[HEADER + NONCE..])
                    .unwrap();
                one_buf.extend_from_slice(tag.as_ref());
                black_box(&one_buf);
            },
            &mut || {
                let mut ct = plaintext.to_vec();
                aws.seal_in_place_append_tag(n(), Aad::from(aad), &mut ct)
                    .unwrap();
                let mut sealed = Vec::with_capacity(sealed_len);
                sealed.extend_from_slice(&[1; HEADER + NONCE]);
                sealed.extend_from_slice(&ct);
                black_box(sealed);
            },
            // exact_capacity
            &mut || {
                let mut v = Vec::with_capacity(sealed_len);
                v.extend_from_slice(&[1; HEADER + NONCE + STAMPS]);
                let mut v = postcard::to_extend(black_box(&state), v).unwrap();
                v.extend_from_slice(&[0; TAG]);
                black_box(v);
            },
            &mut || {
                let mut v = Vec::new();
                v.extend_from_slice(&[1; HEADER + NONCE + STAMPS]);
                let mut v = postcard::to_extend(black_box(&state), v).unwrap();
                v.extend_from_slice(&[0; TAG]);
                black_box(v);
            },
            // serde_bytes_serialize
            &mut || {
                black_box(postcard::to_slice(black_box(&state), &mut ser_buf).unwrap());
            },
            &mut || {
                black_box(postcard::to_slice(black_box(&plain_state), &mut plain_ser_buf).unwrap());
            },
            // serde_bytes_deserialize
            &mut || {
                black_box(postcard::from_bytes::<Session>(black_box(&payload)).unwrap());
            },
            &mut || {
                black_box(postcard::from_bytes::<PlainSession>(black_box(&plain_payload)).unwrap());
            },
            // base64_encode
            &mut || {
                black_box(base64_simd::URL_SAFE_NO_PAD.encode_to_string(black_box(&raw)));
            },
            &mut || {
                black_box(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(black_box(&raw)));
            },
            // base64_decode
            &mut || {
                decoded.clear();
                base64_simd::URL_SAFE_NO_PAD
                    .decode_append(black_box(value.as_bytes()), &mut decoded)
                    .unwrap();
                black_box(&decoded);
            },
            &mut || {
                decoded_b64.clear();
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode_vec(black_box(value.as_bytes()), &mut decoded_b64)
                    .unwrap();
                black_box(&decoded_b64);
            },
        ]);
        let names = [
            "aead_backend",
            "pre_expanded_key",
            "encrypt_in_place",
            "exact_capacity",
            "serde_bytes_serialize",
            "serde_bytes_deserialize",
            "base64_encode",
            "base64_decode",
        ];
        for (i, name) in names.into_iter().enumerate() {
            rows.push((name, Some(size), m[2 * i], m[2 * i + 1]));
        }
    }

    let m = medians(&mut [
        // nonce
        &mut || {
            let mut nonce = [0u8; NONCE];
            RNG.with(|r| {
                let mut r = r.borrow_mut();
                nonce[..8].copy_from_slice(&r.next_u64().to_le_bytes());
                nonce[8..].copy_from_slice(&r.next_u32().to_le_bytes());
            });
            black_box(nonce);
        },
        &mut || {
            let mut nonce = [0u8; NONCE];
            getrandom::fill(&mut nonce).unwrap();
            black_box(nonce);
        },
        // coarse_clock
        &mut || {
            black_box(SystemClock.now_unix());
        },
        &mut || {
            black_box(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
            );
        },
    ]);
    rows.push(("nonce", None, m[0], m[1]));
    rows.push(("coarse_clock", None, m[2], m[3]));
    rows
}
