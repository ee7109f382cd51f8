//! The size rule: a cookie is emitted only if `name=value` fits the limit (4096 octets by default),
//! counted on the final encoded value, and `max_payload_len` is a payload size that always fits.
//! And the size of a server-side session's cookie, which the README states.

mod common;

use common::driver::{Sent, begin_loaded, end};
use common::sealer::{
    ENVELOPE_LEN, NAME, T0, base64_len, decode, fixture, fixture_with, secs, varint_len,
};
use sealed_session::store::MemoryStore;
use sealed_session::web::Driver;
use sealed_session::{
    BROWSER_COOKIE_LIMIT, ConfigError, CookieOptions, DEFAULT_ABSOLUTE_LIFETIME,
    DEFAULT_IDLE_TIMEOUT, Key, KeyRing, ManualClock, OpenError, SealError, Sealer, ServerSide,
    SessionCookie, Signer, Subject,
};
use serde_bytes::ByteBuf;

fn bytes(n: usize) -> ByteBuf {
    ByteBuf::from(vec![0xa5; n])
}

/// Octets of the cookie `name=value` as a browser counts them.
fn cookie_len(name: &str, value: &str) -> usize {
    name.len() + 1 + value.len()
}

/// The largest byte-string length that seals, found by bisection.
fn largest_byte_string(sealer: &Sealer) -> usize {
    let (mut fits, mut too_big) = (0, 8192);
    assert!(sealer.seal(&bytes(fits)).is_ok());
    assert!(sealer.seal(&bytes(too_big)).is_err());
    while too_big - fits > 1 {
        let mid = (fits + too_big) / 2;
        match sealer.seal(&bytes(mid)) {
            Ok(_) => fits = mid,
            Err(SealError::TooLarge { .. }) => too_big = mid,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    fits
}

/// Bytes of the stamps of a fresh session at `T0` with the default idle timeout.
fn fresh_stamps_len() -> usize {
    varint_len(T0) + varint_len(0) + varint_len(DEFAULT_IDLE_TIMEOUT.as_secs())
}

#[test]
fn the_largest_payload_that_seals_fills_the_cookie_to_at_most_4096_octets() {
    let f = fixture();
    let n = largest_byte_string(&f.sealer);
    let sealed = f.sealer.seal(&bytes(n)).unwrap();
    assert!(cookie_len(NAME, sealed.value()) <= BROWSER_COOKIE_LIMIT);
    // It is exactly the largest the rule allows: floor(3/4 of the characters left) sealed bytes.
    let max_sealed = (BROWSER_COOKIE_LIMIT - NAME.len() - 1) * 3 / 4;
    let expected = max_sealed - ENVELOPE_LEN - fresh_stamps_len() - varint_len(n as u64);
    assert_eq!(n, expected);
    assert_eq!(decode(sealed.value()).len(), max_sealed);
    // And it opens back.
    assert_eq!(
        f.sealer.open::<ByteBuf>(sealed.value()).unwrap().state,
        bytes(n)
    );
}

#[test]
fn one_byte_more_than_the_largest_is_too_large_by_the_exact_cookie_size() {
    let f = fixture();
    let n = largest_byte_string(&f.sealer);
    let sealed_len = decode(f.sealer.seal(&bytes(n)).unwrap().value()).len() + 1;
    assert_eq!(
        sealed_len,
        ENVELOPE_LEN + fresh_stamps_len() + varint_len(n as u64 + 1) + n + 1
    );
    let err = f.sealer.seal(&bytes(n + 1)).unwrap_err();
    let SealError::TooLarge { size, limit } = err else {
        panic!("expected TooLarge, got {err:?}");
    };
    assert_eq!(limit, BROWSER_COOKIE_LIMIT);
    assert!(size > BROWSER_COOKIE_LIMIT);
    assert_eq!(size, NAME.len() + 1 + base64_len(sealed_len));
}

#[test]
fn too_large_reports_the_size_the_cookie_would_have_had_for_any_overshoot() {
    let f = fixture();
    for n in [3100, 4000, 5000, 10_000, 100_000] {
        let sealed_len = ENVELOPE_LEN + fresh_stamps_len() + varint_len(n as u64) + n;
        assert_eq!(
            f.sealer.seal(&bytes(n)).unwrap_err(),
            SealError::TooLarge {
                size: NAME.len() + 1 + base64_len(sealed_len),
                limit: BROWSER_COOKIE_LIMIT
            },
            "payload of {n} bytes"
        );
    }
}

#[test]
fn the_size_rule_counts_the_cookie_name() {
    let short = fixture();
    let ring = KeyRing::new(Key::generate().unwrap());
    let long_name = "a-much-longer-cookie-name-than-session";
    let long = Sealer::builder(ring, long_name)
        .clock(sealed_session::ManualClock::new(T0))
        .build()
        .unwrap();
    let n_short = largest_byte_string(&short.sealer);
    let n_long = largest_byte_string(&long);
    let name_growth = long_name.len() - NAME.len();
    assert!(n_long < n_short);
    assert!(n_short - n_long >= name_growth * 3 / 4 - 1);
    let sealed = long.seal(&bytes(n_long)).unwrap();
    assert!(cookie_len(long_name, sealed.value()) <= BROWSER_COOKIE_LIMIT);
}

/// A postcard payload of exactly `len` bytes (a byte string with a two-byte length prefix).
fn payload_of_len(len: usize) -> ByteBuf {
    assert!((130..16_386).contains(&len), "two-byte varint range");
    let payload = bytes(len - 2);
    assert_eq!(postcard::to_allocvec(&payload).unwrap().len(), len);
    payload
}

#[test]
fn a_payload_of_max_payload_len_seals_for_a_new_session() {
    let f = fixture();
    let max = f.sealer.max_payload_len();
    let sealed = f.sealer.seal(&payload_of_len(max)).unwrap();
    assert!(cookie_len(NAME, sealed.value()) <= BROWSER_COOKIE_LIMIT);
}

#[test]
fn a_payload_of_max_payload_len_seals_when_renewed_at_any_point_of_its_life() {
    let f = fixture();
    let payload = payload_of_len(f.sealer.max_payload_len());
    let first = f.sealer.seal(&payload).unwrap();
    let absolute = DEFAULT_ABSOLUTE_LIFETIME.as_secs();
    let idle = DEFAULT_IDLE_TIMEOUT.as_secs();
    // The longest stamps: issued late (3-byte delta) while a full idle timeout is still left.
    // An active user renews at least every half idle timeout, passing through every point.
    let mut current = first;
    for at in [
        1,
        127,
        128,
        16_383,
        16_384,
        absolute - idle - 1,
        absolute - idle,
        absolute - 1,
    ] {
        current =
            common::sealer::renewed_at(&f.sealer, &f.clock, &payload, &current, idle / 2, T0 + at);
        assert_eq!(current.stamps().issued(), T0 + at);
        assert!(cookie_len(NAME, current.value()) <= BROWSER_COOKIE_LIMIT);
    }
}

#[test]
fn max_payload_len_is_tight_for_the_longest_stamps() {
    let f = fixture();
    let first = f.sealer.seal(&()).unwrap();
    let absolute = DEFAULT_ABSOLUTE_LIFETIME.as_secs();
    let idle = DEFAULT_IDLE_TIMEOUT.as_secs();
    let at = T0 + absolute - idle - 1;
    let previous = common::sealer::renewed_at(&f.sealer, &f.clock, &(), &first, idle / 2, at - 1);
    f.clock.set(at);
    let one_more = payload_of_len(f.sealer.max_payload_len() + 1);
    assert!(matches!(
        f.sealer.renew(&one_more, previous.envelope()),
        Err(SealError::TooLarge {
            limit: BROWSER_COOKIE_LIMIT,
            ..
        })
    ));
}

#[test]
fn max_payload_len_matches_the_format_overhead() {
    let f = fixture();
    let max_sealed = (BROWSER_COOKIE_LIMIT - NAME.len() - 1) * 3 / 4;
    let longest_stamps = varint_len(T0)
        + varint_len(DEFAULT_ABSOLUTE_LIFETIME.as_secs() - 1)
        + varint_len(DEFAULT_IDLE_TIMEOUT.as_secs());
    assert_eq!(
        f.sealer.max_payload_len(),
        max_sealed - ENVELOPE_LEN - longest_stamps
    );
    assert_eq!(
        f.sealer.max_payload_len_for(NAME),
        Some(f.sealer.max_payload_len())
    );
}

#[test]
fn a_smaller_size_limit_is_honoured_when_sealing() {
    let f = fixture_with(|b| b.size_limit(1000));
    assert_eq!(f.sealer.size_limit(), 1000);
    let n = largest_byte_string(&f.sealer);
    let sealed = f.sealer.seal(&bytes(n)).unwrap();
    assert!(cookie_len(NAME, sealed.value()) <= 1000);
    assert!(cookie_len(NAME, sealed.value()) > 1000 - 4);
    assert!(matches!(
        f.sealer.seal(&bytes(n + 1)),
        Err(SealError::TooLarge { size, limit: 1000 }) if size > 1000
    ));
    assert!(
        f.sealer
            .seal(&payload_of_len(f.sealer.max_payload_len()))
            .is_ok()
    );
}

#[test]
fn a_smaller_size_limit_is_honoured_when_opening() {
    let big = fixture();
    let small = common::sealer::builder(&big.ring, &big.clock)
        .size_limit(1000)
        .build()
        .unwrap();
    assert_eq!(small.max_value_len(), 1000 - NAME.len() - 1);
    let value = big.sealer.seal(&bytes(2000)).unwrap().into_value();
    assert_eq!(
        small.open::<ByteBuf>(&value).unwrap_err(),
        OpenError::Oversized {
            len: value.len(),
            max: 1000 - NAME.len() - 1
        }
    );
}

#[test]
fn a_size_limit_above_the_browser_limit_is_refused() {
    for limit in [4097, 8192, usize::MAX] {
        let ring = KeyRing::new(Key::generate().unwrap());
        assert_eq!(
            Sealer::builder(ring, NAME)
                .size_limit(limit)
                .build()
                .unwrap_err(),
            ConfigError::InvalidSizeLimit { limit }
        );
    }
}

#[test]
fn a_size_limit_too_small_for_an_empty_payload_is_refused_and_the_smallest_that_fits_is_accepted() {
    // An empty payload with the longest stamps: 33 + 10 bytes, 58 characters, plus "session=".
    let smallest = NAME.len() + 1 + base64_len(ENVELOPE_LEN + 10);
    let ring = KeyRing::new(Key::generate().unwrap());
    let clock = sealed_session::ManualClock::new(T0);
    for limit in [0, 1, NAME.len(), NAME.len() + 1, 50, smallest - 1] {
        assert_eq!(
            common::sealer::builder(&ring, &clock)
                .size_limit(limit)
                .build()
                .unwrap_err(),
            ConfigError::InvalidSizeLimit { limit },
            "limit {limit}"
        );
    }
    let sealer = common::sealer::builder(&ring, &clock)
        .size_limit(smallest)
        .build()
        .unwrap();
    assert_eq!(sealer.max_payload_len(), 0);
    let sealed = sealer.seal(&()).unwrap();
    assert!(cookie_len(NAME, sealed.value()) <= smallest);
    sealer.open::<()>(sealed.value()).unwrap();
}

#[test]
fn the_browser_limit_itself_is_accepted() {
    let f = fixture_with(|b| b.size_limit(BROWSER_COOKIE_LIMIT));
    assert_eq!(f.sealer.size_limit(), 4096);
    assert_eq!(f.sealer.max_value_len(), 4096 - NAME.len() - 1);
}

#[test]
fn max_payload_len_for_shrinks_as_the_name_grows() {
    let f = fixture();
    let mut previous = usize::MAX;
    for len in [1, 7, 8, 9, 10, 11, 50, 100, 1000, 3000, 4000] {
        let name = "n".repeat(len);
        let max = f.sealer.max_payload_len_for(&name).unwrap();
        assert!(max <= previous, "name of {len}");
        let max_sealed = (BROWSER_COOKIE_LIMIT - len - 1) * 3 / 4;
        assert_eq!(max, max_sealed - ENVELOPE_LEN - 10, "name of {len}");
        previous = max;
    }
}

#[test]
fn max_payload_len_for_a_name_too_long_for_anything_is_none() {
    let f = fixture();
    for len in [4040, 4095, 4096, 5000] {
        assert_eq!(
            f.sealer.max_payload_len_for(&"n".repeat(len)),
            None,
            "name of {len}"
        );
    }
    // The longest name for which an empty payload still fits.
    let longest = BROWSER_COOKIE_LIMIT - 1 - base64_len(ENVELOPE_LEN + 10);
    assert_eq!(f.sealer.max_payload_len_for(&"n".repeat(longest)), Some(0));
    assert_eq!(f.sealer.max_payload_len_for(&"n".repeat(longest + 1)), None);
}

#[test]
fn longer_lifetimes_reserve_more_bytes_for_the_stamps() {
    let short = fixture_with(|b| b.idle_timeout(secs(60)).absolute_lifetime(secs(60)));
    let long = fixture_with(|b| {
        b.idle_timeout(secs(3_000_000))
            .absolute_lifetime(secs(400_000_000))
    });
    // 1 + 1 bytes of deltas against 4 + 4.
    assert_eq!(
        short.sealer.max_payload_len() - long.sealer.max_payload_len(),
        (varint_len(399_999_999) + varint_len(3_000_000)) - (varint_len(59) + varint_len(60))
    );
}

/// The `name=value` pair of the cookie a server-side session gets for a state of `state_len`
/// bytes, logged in as `subject` (or not logged in), at `T0` and `millis` into that second: the
/// pair a browser stores and sends back.
fn server_side_cookie(
    cookie: SessionCookie,
    clock: &ManualClock,
    subject: Option<&str>,
    state_len: usize,
) -> String {
    let store = MemoryStore::new().clock(clock.clone());
    let driver = Driver::builder(cookie)
        .server_side(ServerSide::new(store))
        .build()
        .unwrap();
    let session = begin_loaded::<ByteBuf>(&driver, "");
    let state = bytes(state_len);
    match subject {
        Some(subject) => session.login(&Subject::new(subject).unwrap(), state),
        None => session.replace(state),
    }
    .unwrap();
    let set_cookie = end(&driver, &session).set_cookies();
    set_cookie[0].split(';').next().unwrap().to_owned()
}

/// A cookie named as the README's, in server-side mode's prerequisite (session ids), sealing
/// with `suite` (`"aes"`, `"xaes"` or `"signed"`) on `clock`.
fn readme_cookie(suite: &str, clock: &ManualClock) -> SessionCookie {
    let ring = KeyRing::new(Key::generate().unwrap());
    let options = CookieOptions::new();
    match suite {
        "signed" => {
            let signer = Signer::builder(ring, "__Host-session")
                .session_ids(true)
                .clock(clock.clone())
                .build()
                .unwrap();
            SessionCookie::signed(signer, options).unwrap()
        }
        _ => {
            let builder = Sealer::builder(ring, "__Host-session")
                .session_ids(true)
                .clock(clock.clone());
            let builder = if suite == "xaes" {
                builder.extended_nonce(true)
            } else {
                builder
            };
            SessionCookie::sealed(builder.build().unwrap(), options).unwrap()
        }
    }
}

/// README, "Performance": `__Host-session=` and 78 characters, 93 octets in all, under
/// AES-256-GCM, whatever the state (XAES-256-GCM's 24-byte nonce makes it 109, and the signed
/// suite's 32-byte tag, in place of a 12-byte nonce and a 16-byte tag, 98).
#[test]
fn a_server_side_cookie_is_93_octets_whatever_the_state() {
    for (suite, expected) in [("aes", 93), ("xaes", 109), ("signed", 98)] {
        let clock = ManualClock::new(T0);
        for state_len in [0, 100, 10_000] {
            let pair = server_side_cookie(readme_cookie(suite, &clock), &clock, None, state_len);
            assert_eq!(pair.len(), expected, "{suite}, {state_len} B: {pair}");
        }
    }
}

/// A logged-in subject travels in the cookie with its length byte and the creation millisecond
/// (one or two bytes): 4/3 octets per byte of it, and up to 4 more. README, "Performance":
/// 103 octets for a 5-byte subject.
#[test]
fn a_subject_adds_4_3_octets_per_byte_and_up_to_4_to_a_server_side_cookie() {
    let clock = ManualClock::new(T0);
    // Millisecond 999: a two-byte varint, the longest.
    clock.set_millis(T0 * 1000 + 999);
    for (subject, expected) in [("alice", 103), (&*"u".repeat(36), 145)] {
        let pair = server_side_cookie(readme_cookie("aes", &clock), &clock, Some(subject), 100);
        assert_eq!(pair.len(), expected, "{subject}: {pair}");
        assert!(pair.len() <= 93 + (4 * subject.len()).div_ceil(3) + 4);
    }
}
