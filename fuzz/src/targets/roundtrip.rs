//! `roundtrip`: arbitrary session states and an arbitrary sequence of key-ring operations
//! (add, rotate, promote, retire) interleaved with seal / sign / chunked cookies and re-opens,
//! against a model of the ring. Cookies are written and read through the request driver, as a
//! web adapter runs it: a request without cookies whose handler sets the state (the `Set-Cookie`
//! lines of its end), and a request that carries them back and reads the session (the end of
//! which renews the cookie if the session asks for it).
//!
//! Checked: every ring operation is accepted or refused exactly as the model says and leaves the
//! ring equal to the model; a value sealed (or signed, or set as chunked cookies) opens to the same
//! state, with the `OldKey` hint exactly when its key is no longer primary (for cookies: their
//! request's end renews them exactly then), as long as its key is in the ring, and gives exactly
//! `UnknownKey` once the key is retired (and opens again if the key is re-added); sealing
//! succeeds exactly when the predicted cookie fits the limit, always when the payload is within
//! `max_payload_len`, and otherwise gives `TooLarge` with the exact size (cookies: `TooManyChunks`
//! when even the chunks cannot hold it); no cookie is ever over the limit. A `ManualClock` keeps
//! the time fixed.

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_session::web::{Driver, Field, Lines, Reply as _};
use sealed_session::{
    ConfigError, CookieOptions, CookieReadError, Key, KeyId, KeyRing, KeyRingError, OpenError,
    RenewalReason, SealError, Sealed, Sealer, SessionCookie, Signer, WriteError,
};

use crate::fixtures::now;
use crate::fixtures::{self, ABSOLUTE, IDLE, NOW, Session};
use crate::oracle::{self, SEALED_ENVELOPE, SIGNED_ENVELOPE};
use crate::targets::cookie_header::{read, request};

/// Cookie name of the round-trip sealer and signer.
pub const NAME: &str = "rt";
/// Chunks the round-trip cookie may use.
pub const MAX_CHUNKS: usize = 3;
/// Values kept for re-opening (the oldest are dropped).
pub const KEEP: usize = 12;

/// The fuzzer's input.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub struct Input {
    /// Size limit: `128 + limit % 3969`, so 128..=4096.
    pub limit: u16,
    pub ops: Vec<Op>,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary)]
pub enum Op {
    Seal(Session),
    Sign(Session),
    /// Write as a new session's `Set-Cookie` values (the request driver), chunked over up to 3
    /// cookies.
    Cookie(Session),
    /// `KeyRing::add(Key::derive(&[seed; 32], "rt-{label}"))`
    Add {
        seed: u8,
        label: u8,
    },
    /// `KeyRing::rotate` of the same kind of key.
    Rotate {
        seed: u8,
        label: u8,
    },
    /// Promote the n-th key ever made (modulo), which may have been retired.
    Promote(u8),
    /// Retire the n-th key ever made (modulo), which may be the primary or already gone.
    Retire(u8),
    /// Re-open every kept value.
    Reopen,
}

#[derive(Debug, Clone)]
enum Kept {
    Sealed(String),
    Signed(String),
    Cookie(String),
}

struct Model {
    ring: Vec<KeyId>,
    primary: KeyId,
    made: Vec<KeyId>,
}

struct World {
    keys: KeyRing,
    sealer: Sealer,
    signer: Signer,
    /// The request driver of the sealer's cookie (default settings: cookie sessions, no store).
    driver: Driver,
    limit: usize,
    model: Model,
    kept: Vec<(Kept, Session, KeyId)>,
}

fn derived(seed: u8, label: u8) -> Key {
    Key::derive(&[seed; 32], &format!("rt-{label}")).expect("32-byte master")
}

/// Stamps of a new session at `NOW`: created, +0, +idle.
fn stamps_len() -> usize {
    oracle::varint_len(NOW) + oracle::varint_len(0) + oracle::varint_len(IDLE.min(ABSOLUTE))
}

/// The target.
pub fn run(input: &Input) {
    let limit = 128 + usize::from(input.limit) % 3969;
    let first = derived(0xA5, 0);
    let keys = KeyRing::new(first.clone());
    let sealer = match fixtures::builder(keys.clone(), NAME, "roundtrip", NOW)
        .size_limit(limit)
        .build()
    {
        Ok(s) => s,
        Err(e) => {
            // Only a limit too small for an empty payload may be refused.
            assert_eq!(e, ConfigError::InvalidSizeLimit { limit });
            assert!(limit < 3 + oracle::b64_len(SEALED_ENVELOPE + 10), "{e:?}");
            return;
        }
    };
    let signer = fixtures::signer_builder(keys.clone(), NAME, "roundtrip", NOW)
        .size_limit(limit)
        .build()
        .expect("a limit that fits a sealed value fits a signed one");
    let cookie = SessionCookie::sealed(sealer.clone(), CookieOptions::new().max_chunks(MAX_CHUNKS))
        .expect("valid options");
    let mut w = World {
        keys,
        sealer,
        signer,
        driver: Driver::new(cookie),
        limit,
        model: Model {
            ring: vec![first.id()],
            primary: first.id(),
            made: vec![first.id()],
        },
        kept: Vec::new(),
    };
    for op in input.ops.iter().take(64) {
        step(&mut w, op);
        assert_eq!(w.keys.key_ids(), w.model.ring, "ring contents");
        assert_eq!(w.keys.primary_id(), w.model.primary, "primary");
    }
    reopen_all(&w);
}

fn step(w: &mut World, op: &Op) {
    match op {
        Op::Seal(state) => seal(w, state),
        Op::Sign(state) => sign(w, state),
        Op::Cookie(state) => cookie(w, state),
        Op::Add { seed, label } | Op::Rotate { seed, label } => {
            let key = derived(*seed, *label);
            let id = key.id();
            let rotate = matches!(op, Op::Rotate { .. });
            let got = if rotate {
                w.keys.rotate(key)
            } else {
                w.keys.add(key)
            };
            if w.model.ring.contains(&id) {
                assert_eq!(got, Err(KeyRingError::DuplicateKeyId(id)));
            } else {
                assert_eq!(got, Ok(id));
                w.model.ring.push(id);
                if rotate {
                    w.model.primary = id;
                }
            }
            if !w.model.made.contains(&id) {
                w.model.made.push(id);
            }
        }
        Op::Promote(n) => {
            let id = w.model.made[usize::from(*n) % w.model.made.len()];
            let got = w.keys.promote(id);
            if w.model.ring.contains(&id) {
                assert_eq!(got, Ok(()));
                w.model.primary = id;
            } else {
                assert_eq!(got, Err(KeyRingError::UnknownKey(id)));
            }
        }
        Op::Retire(n) => {
            let id = w.model.made[usize::from(*n) % w.model.made.len()];
            let got = w.keys.retire(id);
            if !w.model.ring.contains(&id) {
                assert_eq!(got, Err(KeyRingError::UnknownKey(id)));
            } else if id == w.model.primary {
                assert_eq!(got, Err(KeyRingError::RetirePrimary(id)));
            } else {
                assert_eq!(got, Ok(()));
                w.model.ring.retain(|k| *k != id);
                // Retired: everything sealed under it must now give exactly UnknownKey.
                for kept in w.kept.iter().filter(|k| k.2 == id) {
                    check_open(w, kept);
                }
            }
        }
        Op::Reopen => reopen_all(w),
    }
}

fn keep(w: &mut World, kept: Kept, state: &Session) {
    let entry = (kept, state.clone(), w.model.primary);
    check_open(w, &entry);
    if w.kept.len() == KEEP {
        w.kept.remove(0);
    }
    w.kept.push(entry);
}

fn header_key(value: &str) -> KeyId {
    let raw = URL_SAFE_NO_PAD.decode(value).expect("base64url");
    oracle::key_id_of_raw(&raw)
}

fn seal(w: &mut World, state: &Session) {
    let got = w.sealer.seal(state);
    let max_payload = w.sealer.max_payload_len();
    check_one_cookie(w, state, SEALED_ENVELOPE, got, max_payload, Kept::Sealed);
}

fn sign(w: &mut World, state: &Session) {
    let got = w.signer.sign(state);
    let max_payload = w.signer.max_payload_len();
    check_one_cookie(w, state, SIGNED_ENVELOPE, got, max_payload, Kept::Signed);
}

/// Checks a seal or sign of `state` against the predicted size: it succeeds (under the primary
/// key, at exactly the predicted length) if and only if the cookie fits, and otherwise reports
/// the exact size; a payload within `max_payload` always fits.
fn check_one_cookie(
    w: &mut World,
    state: &Session,
    envelope: usize,
    got: Result<Sealed, SealError>,
    max_payload: usize,
    kept: fn(String) -> Kept,
) {
    let payload = postcard::to_allocvec(state).expect("serializable").len();
    let value_len = oracle::b64_len(envelope + stamps_len() + payload);
    let size = NAME.len() + 1 + value_len;
    match got {
        Ok(value) => {
            assert!(size <= w.limit, "over the limit: {size} > {}", w.limit);
            assert_eq!(value.value().len(), value_len, "predicted value length");
            assert_eq!(
                header_key(value.value()),
                w.model.primary,
                "made with the primary"
            );
            keep(w, kept(value.into_value()), state);
        }
        Err(SealError::TooLarge { size: s, limit }) => {
            assert_eq!(
                (s, limit),
                (size, w.limit),
                "TooLarge reports the exact size"
            );
            assert!(
                size > w.limit,
                "refused a value that fits: {size} <= {}",
                w.limit
            );
            assert!(
                payload > max_payload,
                "refused a payload within max_payload_len"
            );
        }
        Err(e) => panic!("seal or sign failed: {e:?}"),
    }
}

fn cookie(w: &mut World, state: &Session) {
    let payload = postcard::to_allocvec(state).expect("serializable").len();
    let value_len = oracle::b64_len(SEALED_ENVELOPE + stamps_len() + payload);
    let fits_one = NAME.len() + 1 + value_len <= w.limit;
    // A request without cookies whose handler starts a session holding `state`.
    let session = request::<Session>(&w.driver, "");
    match session.replace(state.clone()) {
        Ok(()) => {
            let mut response = Lines::new(200);
            now(w.driver.end(&session, &mut response));
            assert_eq!(
                response.status(),
                200,
                "a written session keeps the response"
            );
            let set = response.header(Field::SetCookie);
            let mut pairs = Vec::new();
            let mut joined_len = 0;
            for (i, line) in set.iter().enumerate() {
                let first = line.split(';').next().expect("name=value");
                assert!(first.len() <= w.limit, "cookie {i} over the limit: {line}");
                let (n, v) = first.split_once('=').expect("name=value");
                let expected_name = if i == 0 {
                    NAME.to_owned()
                } else {
                    format!("{NAME}.{i}")
                };
                assert_eq!(n, expected_name);
                // The request carried no cookie: nothing to remove.
                assert!(
                    !v.is_empty(),
                    "a removal for a request without cookies: {line}"
                );
                joined_len += v.len();
                pairs.push(first.to_owned());
            }
            assert!(
                (1..=MAX_CHUNKS).contains(&pairs.len()),
                "{} cookies",
                pairs.len()
            );
            if fits_one {
                assert_eq!(
                    pairs.len(),
                    1,
                    "a value that fits one cookie is not chunked"
                );
                assert_eq!(joined_len, value_len);
            } else {
                let k = pairs.len();
                assert!(k >= 2, "an oversized value was not chunked");
                // The `k.` marker.
                assert_eq!(joined_len, value_len + 2);
                assert!(pairs[0].starts_with(&format!("{NAME}={k}.")));
            }
            keep(w, Kept::Cookie(pairs.join("; ")), state);
        }
        Err(WriteError::TooManyChunks {
            size, max_chunks, ..
        }) => {
            assert_eq!(size, value_len, "TooManyChunks reports the value length");
            assert_eq!(max_chunks, MAX_CHUNKS);
            assert!(!fits_one, "refused a value that fits one cookie");
            // Nothing was written: the session is as it was (none), and so is the response.
            assert_eq!(session.get(), None, "a refused write left a session");
            let mut response = Lines::new(200);
            now(w.driver.end(&session, &mut response));
            assert_eq!(response.header(Field::SetCookie), Vec::<String>::new());
        }
        Err(e) => panic!("writing the session failed: {e:?}"),
    }
}

fn reopen_all(w: &World) {
    for kept in &w.kept {
        check_open(w, kept);
    }
}

fn check_open(w: &World, (kept, state, id): &(Kept, Session, KeyId)) {
    let in_ring = w.model.ring.contains(id);
    let renewal = (*id != w.model.primary).then_some(RenewalReason::OldKey);
    let result = match kept {
        Kept::Sealed(v) => w.sealer.open::<Session>(v),
        Kept::Signed(v) => w.signer.verify::<Session>(v),
        Kept::Cookie(header) => return check_cookie(w, header, state, *id, in_ring, renewal),
    };
    if in_ring {
        let opened =
            result.unwrap_or_else(|e| panic!("{kept:?} under key {id} in the ring: {e:?}"));
        assert_eq!(&opened.state, state, "round trip");
        assert_eq!(opened.renewal, renewal, "renewal hint");
        assert_eq!(opened.stamps.created(), NOW);
    } else {
        assert_eq!(
            result.err(),
            Some(OpenError::UnknownKey(*id)),
            "retired key {id}"
        );
    }
}

/// A request that carries a kept session's cookies (`header`) and reads the session, through the
/// request driver: the same state while its key `id` is in the ring, renewed by the request's
/// end exactly when `renewal` says so; exactly `UnknownKey` once the key is retired.
fn check_cookie(
    w: &World,
    header: &str,
    state: &Session,
    id: KeyId,
    in_ring: bool,
    renewal: Option<RenewalReason>,
) {
    let session = request::<Session>(&w.driver, header);
    let got = match read(&session) {
        Ok(Some(got)) => Ok(got),
        Ok(None) => panic!("the session's own cookies were not found"),
        Err(CookieReadError::Open(e)) => Err(e),
        Err(e) => panic!("cookie refused before decoding: {e:?}"),
    };
    // The stamps the cookies carry (before the request's end may renew them).
    let stamps = session.stamps();
    let mut response = Lines::new(200);
    now(w.driver.end(&session, &mut response));
    let set = response.header(Field::SetCookie);
    if !in_ring {
        assert_eq!(
            got.err(),
            Some(OpenError::UnknownKey(id)),
            "retired key {id}"
        );
        // A refused cookie that was read: its end deletes what the request carried.
        assert!(
            !set.is_empty() && set.iter().all(|line| line.contains("Max-Age=0")),
            "a refused cookie is deleted: {set:?}"
        );
        return;
    }
    let got = got.unwrap_or_else(|e| panic!("cookies under key {id} in the ring: {e:?}"));
    assert_eq!(&got, state, "round trip");
    let stamps = stamps.expect("a session that opened has stamps");
    assert_eq!(
        (stamps.created(), stamps.issued()),
        (NOW, NOW),
        "{stamps:?}"
    );
    assert_eq!(response.status(), 200, "the renewal, if any, was written");
    // Made and read at the same instant (the stamps above), a session can ask for no renewal
    // but `OldKey`: the request's end renews the cookie (under the primary) exactly then.
    match renewal {
        Some(RenewalReason::OldKey) => assert!(
            !set.is_empty() && set.iter().any(|line| !line.contains("Max-Age=0")),
            "a cookie under an old key was not renewed: {set:?}"
        ),
        _ => assert!(set.is_empty(), "a cookie renewed without a reason: {set:?}"),
    }
}
