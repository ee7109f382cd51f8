//! The speed report: `cargo bench -p sealed-session-benches --bench report` (default backend, RustCrypto) and
//! `cargo bench -p sealed-session-benches --bench report --features aws-lc` (AWS-LC).
//!
//! Prints one JSON object per line: for each op in {seal, open, open_old_key, reject_garbage}
//! and each sealed suite, for {sign, verify} in the signed suite, and each payload size in {64,
//! 512, 3000}: `{"op", "size", "ours_ns", "floor_ns", "cookie_rs_ns", "suite", "backend",
//! "parts_ns"}`; then per size and value shape `{"op": "overhead", "size", "value_len",
//! "cookie_rs_value_len", "suite", "session_id"}`.
//!
//! - `ours_ns`: this crate, sealing or opening a realistic session struct whose postcard
//!   serialization is exactly `size` bytes (its byte fields use `serde_bytes`).
//! - `floor_ns`: the raw AEAD of the backend in use for that suite (benches/common/raw.rs), with a
//!   pre-expanded key, encrypting or decrypting those same `size` bytes with no associated data;
//!   for sign/verify, raw HMAC-SHA256 over the same bytes.
//! - `cookie_rs_ns`: `cookie` 0.18 `PrivateJar` add/get (`SignedJar` for sign/verify) with a
//!   cookie value of `size` characters; `null` where cookie-rs has no such operation.
//! - `parts_ns`: what an operation cannot avoid, measured in the same loop: for a seal, that AEAD
//!   on the crate's exact input (stamps and payload, with this cookie's associated data),
//!   postcard serializing the state and base64 encoding the value; for an open, base64 decoding,
//!   the AEAD and postcard deserializing; for a refusal, decoding and the failing AEAD.
//!   `ours_ns / parts_ns` is what the crate's own glue costs.
//!
//! Sealers use the system clock, as in production. Every number is the median over many 1 ms
//! samples, with every operation of one size and suite (ours, the floor, cookie-rs and the parts)
//! sampled in turn in one loop, so that machine noise hits them alike. The whole measurement runs
//! three times and each printed number is the median of the three. A `# parts` line per size and
//! suite on stderr gives the parts one by one. Absolute times are noisy on a shared machine; the
//! ratios are what to read (benches/README.md).

use std::hint::black_box;

use cookie::{Cookie, CookieJar};
use hmac::{Hmac, Mac};
use sealed_session::{Key, KeyRing, Sealer, Signer, Suite};
use sha2::Sha256;

mod common;

use common::{
    Floor, NAME, RawAead, SIZES, Session, cookie_rs_private, cookie_rs_signed, medians,
    session_of_size,
};

/// The whole measurement runs this many times; each number printed is the median of its
/// per-round medians, so that one noisy stretch of the machine moves it less.
const ROUNDS: usize = 3;

/// The bytes of associated data the crate authenticates for cookie `NAME` and the default
/// purpose: version, key id, and the two length-prefixed strings.
const AAD_LEN: usize = 1 + 4 + 1 + NAME.len() + 1 + "session".len();

/// One measured line: op, size, suite, and the medians of ours, the floor, cookie-rs and the
/// parts (or, for `# parts`, each part).
type Record = (String, usize, Suite, Vec<Option<f64>>);

thread_local! {
    static RECORDS: std::cell::RefCell<Vec<Record>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn record(op: &str, size: usize, suite: Suite, values: Vec<Option<f64>>) {
    RECORDS.with(|r| r.borrow_mut().push((op.to_owned(), size, suite, values)));
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let mut overhead = Vec::new();
    for _ in 0..ROUNDS {
        overhead = round();
    }
    let backend = sealed_session::aes_backend();
    let records = RECORDS.with(|r| r.take());
    let mut keys: Vec<(String, usize, Suite)> = Vec::new();
    for (op, size, suite, _) in &records {
        let key = (op.clone(), *size, *suite);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    for (op, size, suite) in keys {
        let rows: Vec<&Vec<Option<f64>>> = records
            .iter()
            .filter(|(o, s, u, _)| *o == op && *s == size && *u == suite)
            .map(|(_, _, _, v)| v)
            .collect();
        let col = |i: usize| -> Option<f64> {
            let vals: Vec<f64> = rows.iter().filter_map(|r| r[i]).collect();
            (!vals.is_empty()).then(|| median(vals))
        };
        if op == "# parts" {
            let names = [
                "aead_seal_ns",
                "aead_open_ns",
                "aead_reject_ns",
                "postcard_serialize_ns",
                "postcard_deserialize_ns",
                "base64_encode_ns",
                "base64_decode_ns",
            ];
            let parts: Vec<String> = names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| col(i).map(|v| format!("{n}={v:.1}")))
                .collect();
            eprintln!(
                "# parts size={size} suite={suite} backend={backend}: {}",
                parts.join(" ")
            );
            continue;
        }
        let (ours, floor, parts) = (col(0).unwrap(), col(1).unwrap(), col(3).unwrap());
        let c = col(2).map_or("null".to_owned(), |v| format!("{v:.1}"));
        println!(
            r#"{{"op": "{op}", "size": {size}, "ours_ns": {ours:.1}, "floor_ns": {floor:.1}, "cookie_rs_ns": {c}, "suite": "{suite}", "backend": "{backend}", "parts_ns": {parts:.1}}}"#
        );
    }
    for (size, value_len, cookie_rs_value_len, suite, session_id) in overhead {
        println!(
            r#"{{"op": "overhead", "size": {size}, "value_len": {value_len}, "cookie_rs_value_len": {cookie_rs_value_len}, "suite": "{suite}", "session_id": {session_id}}}"#
        );
    }
}

/// A value's lengths: size, value length, cookie-rs's value length, suite, with a session id.
type Overhead = (usize, usize, usize, Suite, bool);

/// One round of every measurement; returns the value lengths for the overhead lines.
fn round() -> Vec<Overhead> {
    let keys: Vec<Key> = (0..4u8)
        .map(|i| Key::from_bytes(&[i + 1; 32]).unwrap())
        .collect();
    let jar_key = cookie::Key::from(&[11u8; 64]);
    let mut overhead = Vec::new();
    for size in SIZES {
        let state = session_of_size(size);
        let cookie_value: String = "v".repeat(size);
        let private_len = cookie_rs_private(&jar_key, cookie_value.clone())
            .get(NAME)
            .unwrap()
            .value()
            .len();
        for suite in [Suite::Aes256Gcm, Suite::Xaes256Gcm] {
            let sealer = sealer(&KeyRing::new(keys[0].clone()), suite, false);
            overhead.push((
                size,
                sealer.seal(&state).unwrap().value().len(),
                private_len,
                suite,
                false,
            ));
            sealed_suite(suite, size, &state, &keys, &jar_key, &cookie_value);
        }
        let with_id = sealer(&KeyRing::new(keys[0].clone()), Suite::Aes256Gcm, true);
        overhead.push((
            size,
            with_id.seal(&state).unwrap().value().len(),
            private_len,
            Suite::Aes256Gcm,
            true,
        ));
        signed_suite(size, &state, &keys, &jar_key, &cookie_value);
    }
    overhead
}

fn sealer(ring: &KeyRing, suite: Suite, session_ids: bool) -> Sealer {
    Sealer::builder(ring.clone(), NAME)
        .session_ids(session_ids)
        .extended_nonce(suite == Suite::Xaes256Gcm)
        .build()
        .unwrap()
}

/// seal, open, open_old_key and reject_garbage of one sealed suite at one size, in one loop.
fn sealed_suite(
    suite: Suite,
    size: usize,
    state: &Session,
    keys: &[Key],
    jar_key: &cookie::Key,
    cookie_value: &str,
) {
    let sealer = sealer(&KeyRing::new(keys[0].clone()), suite, false);
    let payload = postcard::to_allocvec(state).unwrap();
    let sealed = sealer.seal(state).unwrap().into_value();

    // open_old_key: sealed under a key that is no longer primary in a ring of four.
    let old_ring = KeyRing::new(keys[1].clone());
    let old_sealer = self::sealer(&old_ring, suite, false);
    let old_value = old_sealer.seal(state).unwrap().into_value();
    for k in &keys[2..] {
        old_ring.add(k.clone()).unwrap();
    }
    old_ring.add(keys[0].clone()).unwrap();
    old_ring.promote(keys[0].id()).unwrap();

    // reject_garbage: a random body of the same length behind a real header and nonce, so the
    // key lookup and the AEAD pass happen (a random header is refused even earlier).
    let raw = base64_decode(&sealed);
    let aead = RawAead::new(suite, &[7u8; 32]);
    let body_at = 5 + aead.nonce_len();
    let mut garbage_raw = raw.clone();
    for (i, b) in garbage_raw.iter_mut().enumerate().skip(body_at) {
        *b = (i * 167 % 256) as u8 ^ 0x5a;
    }
    let garbage = base64_encode(&garbage_raw);

    // cookie-rs: one jar, add then get by name, as an application does.
    let private_cookie = cookie_rs_private(jar_key, cookie_value.to_owned())
        .get(NAME)
        .unwrap()
        .clone();
    let mut jar_in = CookieJar::new();
    jar_in.add_original(private_cookie.clone());
    let mut jar_bad = CookieJar::new();
    jar_bad.add_original(Cookie::new(NAME, "x".repeat(private_cookie.value().len())));

    // The floors, each with its own buffers.
    let [mut floor_seal, mut floor_open, mut floor_old, mut floor_bad] =
        [(); 4].map(|()| Floor::new(suite, &payload));

    // The parts, on the crate's exact input: this value's body and nonce lengths, this cookie's
    // associated data.
    let body_len = raw.len() - body_at - 16;
    let nonce = vec![1u8; aead.nonce_len()];
    let aad = [0u8; AAD_LEN];
    let mut body = vec![1u8; body_len];
    let mut ct = body.clone();
    let tag = aead.seal(&nonce, &aad, &mut ct);
    let mut bad_tag = tag;
    bad_tag[0] ^= 1;
    let mut plain = vec![0u8; body_len];
    let mut plain_bad = vec![0u8; body_len];
    let mut ser_buf = vec![0u8; payload.len()];
    let mut decoded: Vec<u8> = Vec::with_capacity(raw.len());

    let m = medians(&mut [
        // 0-2: seal
        &mut || {
            black_box(sealer.seal(black_box(state)).unwrap().into_value());
        },
        &mut || floor_seal.seal(),
        &mut || {
            black_box(cookie_rs_private(
                jar_key,
                black_box(cookie_value.to_owned()),
            ));
        },
        // 3-5: open
        &mut || {
            black_box(sealer.open::<Session>(black_box(&sealed)).unwrap());
        },
        &mut || floor_open.open(),
        &mut || {
            black_box(jar_in.private(jar_key).get(NAME).unwrap());
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
            black_box(jar_bad.private(jar_key).get(NAME));
        },
        // 11-17: the parts
        &mut || {
            black_box(aead.seal(&nonce, &aad, black_box(&mut body)));
        },
        &mut || {
            assert!(aead.open(&nonce, &aad, &ct, &tag, &mut plain));
            black_box(&plain);
        },
        &mut || {
            assert!(!aead.open(&nonce, &aad, &ct, &bad_tag, &mut plain_bad));
        },
        &mut || serialize_part(state, &mut ser_buf),
        &mut || deserialize_part(&payload),
        &mut || encode_part(&raw),
        &mut || decode_part(&sealed, &mut decoded),
    ]);
    let (aead_seal, aead_open, aead_reject) = (m[11], m[12], m[13]);
    let (ser, de, enc, dec) = (m[14], m[15], m[16], m[17]);
    let seal_parts = aead_seal + ser + enc;
    let open_parts = dec + aead_open + de;
    record(
        "seal",
        size,
        suite,
        vec![Some(m[0]), Some(m[1]), Some(m[2]), Some(seal_parts)],
    );
    record(
        "open",
        size,
        suite,
        vec![Some(m[3]), Some(m[4]), Some(m[5]), Some(open_parts)],
    );
    record(
        "open_old_key",
        size,
        suite,
        vec![Some(m[6]), Some(m[7]), None, Some(open_parts)],
    );
    record(
        "reject_garbage",
        size,
        suite,
        vec![Some(m[8]), Some(m[9]), Some(m[10]), Some(dec + aead_reject)],
    );
    record(
        "# parts",
        size,
        suite,
        m[11..].iter().copied().map(Some).collect(),
    );
}

/// sign and verify at one size, in one loop.
fn signed_suite(
    size: usize,
    state: &Session,
    keys: &[Key],
    jar_key: &cookie::Key,
    cookie_value: &str,
) {
    let signer = Signer::builder(KeyRing::new(keys[0].clone()), NAME)
        .build()
        .unwrap();
    let payload = postcard::to_allocvec(state).unwrap();
    let signed = signer.sign(state).unwrap().into_value();
    let raw = base64_decode(&signed);
    let mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&[5u8; 32]).unwrap();
    let expected_tag = {
        let mut h = mac.clone();
        h.update(&payload);
        h.finalize().into_bytes()
    };
    let signed_cookie = cookie_rs_signed(jar_key, cookie_value.to_owned())
        .get(NAME)
        .unwrap()
        .clone();
    let mut sjar_in = CookieJar::new();
    sjar_in.add_original(signed_cookie);
    // The parts: HMAC over this cookie's associated data and the exact signed body.
    let aad = [0u8; AAD_LEN];
    let body = raw[5..raw.len() - 32].to_vec();
    let mut ser_buf = vec![0u8; payload.len()];
    let mut decoded: Vec<u8> = Vec::with_capacity(raw.len());

    let m = medians(&mut [
        // 0-2: sign
        &mut || {
            black_box(signer.sign(black_box(state)).unwrap().into_value());
        },
        &mut || {
            let mut h = mac.clone();
            h.update(black_box(&payload));
            black_box(h.finalize());
        },
        &mut || {
            black_box(cookie_rs_signed(
                jar_key,
                black_box(cookie_value.to_owned()),
            ));
        },
        // 3-5: verify
        &mut || {
            black_box(signer.verify::<Session>(black_box(&signed)).unwrap());
        },
        &mut || {
            let mut h = mac.clone();
            h.update(black_box(&payload));
            assert!(h.verify_slice(&expected_tag).is_ok());
        },
        &mut || {
            black_box(sjar_in.signed(jar_key).get(NAME).unwrap());
        },
        // 6-10: the parts
        &mut || {
            let mut h = mac.clone();
            h.update(&aad);
            h.update(black_box(&body));
            black_box(h.finalize());
        },
        &mut || serialize_part(state, &mut ser_buf),
        &mut || deserialize_part(&payload),
        &mut || encode_part(&raw),
        &mut || decode_part(&signed, &mut decoded),
    ]);
    let (hmac_part, ser, de, enc, dec) = (m[6], m[7], m[8], m[9], m[10]);
    let suite = Suite::HmacSha256;
    record(
        "sign",
        size,
        suite,
        vec![
            Some(m[0]),
            Some(m[1]),
            Some(m[2]),
            Some(hmac_part + ser + enc),
        ],
    );
    record(
        "verify",
        size,
        suite,
        vec![
            Some(m[3]),
            Some(m[4]),
            Some(m[5]),
            Some(dec + hmac_part + de),
        ],
    );
    record(
        "# parts",
        size,
        suite,
        vec![
            Some(hmac_part),
            Some(hmac_part),
            None,
            Some(ser),
            Some(de),
            Some(enc),
            Some(dec),
        ],
    );
}

// The codec parts of a seal and an open, each done as the crate does it: postcard into a
// buffer, postcard out of the payload, base64 into a new string, base64 into a reused buffer.

fn serialize_part(state: &Session, buf: &mut [u8]) {
    black_box(postcard::to_slice(black_box(state), buf).unwrap());
}

fn deserialize_part(payload: &[u8]) {
    black_box(postcard::from_bytes::<Session>(black_box(payload)).unwrap());
}

fn encode_part(raw: &[u8]) {
    black_box(base64_simd::URL_SAFE_NO_PAD.encode_to_string(black_box(raw)));
}

fn decode_part(value: &str, into: &mut Vec<u8>) {
    into.clear();
    base64_simd::URL_SAFE_NO_PAD
        .decode_append(black_box(value.as_bytes()), into)
        .unwrap();
    black_box(&*into);
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
