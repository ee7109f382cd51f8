//! The speed report: `cargo bench --bench report`.
//!
//! Prints one JSON object per line: for each op in {seal, open, open_old_key, reject_garbage,
//! sign, verify} and each payload size in {64, 512, 3000},
//! `{"op", "size", "ours_ns", "floor_ns", "cookie_rs_ns"}`, then per size
//! `{"op": "overhead", "size", "value_len", "cookie_rs_value_len"}`.
//!
//! - `ours_ns`: this crate, sealing or opening a realistic session struct whose postcard
//!   serialization is exactly `size` bytes (its byte field uses `serde_bytes`).
//! - `floor_ns`: raw `aes-gcm` `Aes256Gcm` with a pre-expanded key, encrypting or decrypting those
//!   same `size` bytes in place (for sign/verify: raw HMAC-SHA256 over the same bytes).
//! - `cookie_rs_ns`: `cookie` 0.18 `PrivateJar` add/get (`SignedJar` for sign/verify) with a
//!   cookie value of `size` characters; `null` where cookie-rs has no such operation.
//!
//! Sealers use the system clock, as in production (on Linux the coarse wall clock: see the
//! `coarse_clock` lever of `benches/levers.rs`).
//!
//! After each size, a line on stderr starting with `# parts` says where the time goes: the
//! crate's own AEAD (`aws-lc-rs`) on the crate's exact input, postcard alone and base64 alone,
//! with the floor sampled again in the same loop; a `# bound` line then gives what those parts
//! alone cost against that floor, a lower bound for `ours / floor` that no glue can beat.
//!
//! Every number is the median over many samples; the three implementations are sampled in turn
//! in the same loop so that machine noise hits them alike: every operation of one size (ours, the
//! floor and cookie-rs, for all six ops) in one loop of 1 ms samples. The whole measurement runs
//! three times and each printed number is the median of the three (about 50 s in all). Absolute
//! times are noisy on a shared machine; the ratios are what to read.

use std::hint::black_box;

use cookie::{Cookie, CookieJar};
use hmac::{Hmac, Mac};
use sealed_session::{Key, KeyRing, Sealer, Signer};
use sha2::Sha256;

mod common;

use common::{
    Floor, NAME, SIZES, Session, cookie_rs_private, cookie_rs_signed, medians, session_of_size,
};

/// The whole measurement runs this many times, a few seconds apart; each number printed is the
/// median of its per-round medians, so that one noisy stretch of the machine moves it less.
const ROUNDS: usize = 3;

/// One measured line: op, size, and the medians of ours, the floor and cookie-rs (or, for the
/// `# parts` lines, the eight medians of the parts loop).
type Record = (String, usize, Vec<Option<f64>>);

thread_local! {
    static RECORDS: std::cell::RefCell<Vec<Record>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn record(op: &str, size: usize, values: Vec<Option<f64>>) {
    RECORDS.with(|r| r.borrow_mut().push((op.to_owned(), size, values)));
}

fn line(op: &str, size: usize, ours: f64, floor: f64, cookie_rs: Option<f64>) {
    record(op, size, vec![Some(ours), Some(floor), cookie_rs]);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter we do not support.
    let mut overhead = Vec::new();
    for _ in 0..ROUNDS {
        overhead = round();
    }
    let records = RECORDS.with(|r| r.take());
    let mut keys: Vec<(String, usize)> = Vec::new();
    for (op, size, _) in &records {
        if !keys.contains(&(op.clone(), *size)) {
            keys.push((op.clone(), *size));
        }
    }
    for (op, size) in keys {
        let rows: Vec<&Vec<Option<f64>>> = records
            .iter()
            .filter(|(o, s, _)| *o == op && *s == size)
            .map(|(_, _, v)| v)
            .collect();
        let col = |i: usize| -> Option<f64> {
            let vals: Vec<f64> = rows.iter().filter_map(|r| r[i]).collect();
            (!vals.is_empty()).then(|| median(vals))
        };
        if op == "# parts" {
            let v: Vec<f64> = (0..8).map(|i| col(i).unwrap_or(f64::NAN)).collect();
            eprintln!(
                "# parts size={size}: aead_seal_ns={:.1} aead_open_ns={:.1} \
                 postcard_serialize_ns={:.1} postcard_deserialize_ns={:.1} \
                 base64_encode_ns={:.1} base64_decode_ns={:.1} floor_seal_ns={:.1} \
                 floor_open_ns={:.1}",
                v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
            );
            // What the unavoidable parts alone cost against the floor of the same loop.
            eprintln!(
                "# bound size={size}: seal_parts_over_floor={:.2} open_parts_over_floor={:.2}",
                (v[0] + v[2] + v[4]) / v[6],
                (v[1] + v[3] + v[5]) / v[7]
            );
            continue;
        }
        let (ours, floor) = (col(0).unwrap(), col(1).unwrap());
        let c = col(2).map_or("null".to_owned(), |v| format!("{v:.1}"));
        println!(
            r#"{{"op": "{op}", "size": {size}, "ours_ns": {ours:.1}, "floor_ns": {floor:.1}, "cookie_rs_ns": {c}}}"#
        );
    }
    for (size, value_len, cookie_rs_value_len) in overhead {
        println!(
            r#"{{"op": "overhead", "size": {size}, "value_len": {value_len}, "cookie_rs_value_len": {cookie_rs_value_len}}}"#
        );
    }
}

/// One round of every measurement; returns the value lengths for the overhead lines.
fn round() -> Vec<(usize, usize, usize)> {
    // `cargo bench` passes `--bench`; any other argument is a filter we do not support.
    let keys: Vec<Key> = (0..4u8)
        .map(|i| Key::from_bytes(&[i + 1; 32]).unwrap())
        .collect();
    let ring = KeyRing::new(keys[0].clone());
    let sealer = Sealer::builder(ring.clone(), NAME).build().unwrap();
    let signer = Signer::builder(ring.clone(), NAME).build_signer().unwrap();
    // A ring of several keys where the primary is the last added, for open_old_key.
    let old_ring = KeyRing::new(keys[1].clone());
    let old_sealer = Sealer::builder(old_ring.clone(), NAME).build().unwrap();

    let mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&[5u8; 32]).unwrap();
    let jar_key = cookie::Key::from(&[11u8; 64]);

    let mut overhead = Vec::new();
    for size in SIZES {
        let state = session_of_size(size);
        let payload = postcard::to_allocvec(&state).unwrap();
        let sealed = sealer.seal(&state).unwrap().into_value();
        let signed = signer.sign(&state).unwrap().into_value();
        let cookie_value: String = "v".repeat(size);

        // cookie-rs: one jar, add then get by name, as an application does.
        let jar = cookie_rs_private(&jar_key, cookie_value.clone());
        let private_cookie = jar.get(NAME).unwrap().clone();
        let sjar = cookie_rs_signed(&jar_key, cookie_value.clone());
        let signed_cookie = sjar.get(NAME).unwrap().clone();
        overhead.push((size, sealed.len(), private_cookie.value().len()));

        // Inputs for every operation of this size, prepared before timing.
        // The floor: each timed closure below holds its own, with its own buffers.
        let [mut floor_seal, mut floor_open, mut floor_old, mut floor_bad] =
            [(); 4].map(|()| Floor::new(&payload));
        let mut jar_in = CookieJar::new();
        jar_in.add_original(private_cookie.clone());

        // open_old_key: sealed under a key that is no longer primary in a ring of four.
        let old_value = old_sealer.seal(&state).unwrap().into_value();
        for k in &keys[2..] {
            old_ring.add(k.clone()).unwrap();
        }
        old_ring.add(keys[0].clone()).unwrap();
        old_ring.promote(keys[0].id()).unwrap();

        // reject_garbage: a random value of the same length (a real header, so the key lookup
        // and the AEAD pass happen; a random header is refused even earlier).
        let mut garbage_raw = base64_decode(&sealed);
        for (i, b) in garbage_raw.iter_mut().enumerate().skip(17) {
            *b = (i * 167 % 256) as u8 ^ 0x5a;
        }
        let garbage = base64_encode(&garbage_raw);
        assert_eq!(garbage.len(), sealed.len());
        let garbage_cookie = Cookie::new(NAME, "x".repeat(private_cookie.value().len()));
        let mut jar_bad = CookieJar::new();
        jar_bad.add_original(garbage_cookie);

        // sign / verify: the floor is raw HMAC-SHA256 over the same payload bytes.
        let mut sjar_in = CookieJar::new();
        sjar_in.add_original(signed_cookie.clone());
        let expected_tag = {
            let mut h = mac.clone();
            h.update(&payload);
            h.finalize().into_bytes()
        };

        // Every operation of this size is sampled in one interleaved loop, so that a noisy
        // stretch of the machine hits ours, the floor and cookie-rs (and open against
        // open_old_key and reject_garbage) alike.
        let m = medians(&mut [
            // 0-2: seal
            &mut || {
                black_box(sealer.seal(black_box(&state)).unwrap().into_value());
            },
            &mut || floor_seal.seal(),
            &mut || {
                black_box(cookie_rs_private(&jar_key, black_box(cookie_value.clone())));
            },
            // 3-5: open
            &mut || {
                black_box(sealer.open::<Session>(black_box(&sealed)).unwrap());
            },
            &mut || floor_open.open(),
            &mut || {
                black_box(jar_in.private(&jar_key).get(NAME).unwrap());
            },
            // 6-7: open_old_key (cookie-rs has no key ring)
            &mut || {
                black_box(old_sealer.open::<Session>(black_box(&old_value)).unwrap());
            },
            &mut || floor_old.open(),
            // 8-10: reject_garbage
            &mut || {
                black_box(sealer.open::<Session>(black_box(&garbage)).unwrap_err());
            },
            &mut || floor_bad.reject(),
            &mut || {
                black_box(jar_bad.private(&jar_key).get(NAME));
            },
            // 11-13: sign
            &mut || {
                black_box(signer.sign(black_box(&state)).unwrap().into_value());
            },
            &mut || {
                let mut h = mac.clone();
                h.update(black_box(&payload));
                black_box(h.finalize());
            },
            &mut || {
                black_box(cookie_rs_signed(&jar_key, black_box(cookie_value.clone())));
            },
            // 14-16: verify
            &mut || {
                black_box(signer.verify::<Session>(black_box(&signed)).unwrap());
            },
            &mut || {
                let mut h = mac.clone();
                h.update(black_box(&payload));
                assert!(h.verify_slice(&expected_tag).is_ok());
            },
            &mut || {
                black_box(sjar_in.signed(&jar_key).get(NAME).unwrap());
            },
        ]);
        line("seal", size, m[0], m[1], Some(m[2]));
        line("open", size, m[3], m[4], Some(m[5]));
        line("open_old_key", size, m[6], m[7], None);
        line("reject_garbage", size, m[8], m[9], Some(m[10]));
        line("sign", size, m[11], m[12], Some(m[13]));
        line("verify", size, m[14], m[15], Some(m[16]));

        for k in &keys[2..] {
            old_ring.retire(k.id()).unwrap();
        }
        old_ring.promote(keys[1].id()).unwrap();
        old_ring.retire(keys[0].id()).unwrap();

        parts(size, &state, &sealed);
    }
    overhead
}

/// Where a seal's and an open's time goes, measured in the same run and printed to stderr (stdout
/// keeps only the JSON lines): the AEAD the crate uses (`aws-lc-rs` AES-256-GCM) on the crate's
/// exact input (stamps and payload, with the 14-byte associated data of this cookie name and the
/// empty purpose), postcard alone on the state, and base64 alone on the sealed value, each done
/// the way the crate does it (decoding into a reused buffer, encoding into a new string). The
/// floor is sampled again in the same loop, so that the `# bound` line can say, from one loop,
/// what the parts alone cost against the floor: a seal cannot cost less than its AEAD, its
/// serialization and its encoding, nor an open less than its decoding, its AEAD and its
/// deserialization.
fn parts(size: usize, state: &Session, sealed: &str) {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    const AAD_LEN: usize = 1 + 4 + 1 + NAME.len() + 1;
    const ENVELOPE: usize = 1 + 4 + 12 + 16;

    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap());
    let raw = base64_decode(sealed);
    let body_len = raw.len() - ENVELOPE;
    let aad = [0u8; AAD_LEN];
    let mut body = vec![1u8; body_len];
    let mut ct = body.clone();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key([1; 12]),
            Aad::from(aad),
            &mut ct,
        )
        .unwrap();
    let mut plain = vec![0u8; ct.len()];
    let payload = postcard::to_allocvec(state).unwrap();
    let mut ser_buf = vec![0u8; payload.len()];
    let mut decoded: Vec<u8> = Vec::with_capacity(raw.len());

    // The floor, as in the main loop: the same `size` payload bytes, no associated data.
    let [mut floor_seal, mut floor_open] = [(); 2].map(|()| Floor::new(&payload));

    let m = medians(&mut [
        &mut || {
            let n = Nonce::assume_unique_for_key([2; 12]);
            let _ = black_box(
                key.seal_in_place_separate_tag(n, Aad::from(aad), &mut body)
                    .unwrap(),
            );
        },
        &mut || {
            let n = Nonce::assume_unique_for_key([1; 12]);
            key.open_separate_gather(n, Aad::from(aad), &ct, tag.as_ref(), &mut plain)
                .unwrap();
            black_box(&plain);
        },
        &mut || {
            black_box(postcard::to_slice(black_box(state), &mut ser_buf).unwrap());
        },
        &mut || {
            black_box(postcard::from_bytes::<Session>(black_box(&payload)).unwrap());
        },
        &mut || {
            black_box(base64_simd::URL_SAFE_NO_PAD.encode_to_string(black_box(&raw)));
        },
        &mut || {
            decoded.clear();
            base64_simd::URL_SAFE_NO_PAD
                .decode_append(black_box(sealed.as_bytes()), &mut decoded)
                .unwrap();
            black_box(&decoded);
        },
        &mut || floor_seal.seal(),
        &mut || floor_open.open(),
    ]);
    record("# parts", size, m.into_iter().map(Some).collect());
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
