//! The signed-only mode (FORMAT.md, "Signed version 1 (`0x81`)"): values the client can read but
//! not change. Round trips, readability of the payload, refusal of every bit flip and truncation,
//! binding to the cookie name and purpose, expiry, rotation, separation from the sealed mode, the
//! cookie layer (through the public request driver) and the size rule.

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::cookie::{
    NAME, T0, T0_STAMPS_LEN, base64_len, bytes, bytes_postcard_len, clock, decode, encode,
    header_from, key_a, key_b, ring, sealer, signer, signer_builder, value_of,
};
use common::driver::{Sent, open, request, write};
use proptest::prelude::*;
use sealed_session::web::Driver;
use sealed_session::{
    CookieOptions, CookieReadError, KeyId, KeyRing, Lifetime, Malformed, ManualClock, OpenError,
    Refusal, RenewalReason, SealError, Sealed, SessionCookie, Signer, Suite, WriteError,
};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// The signed version byte.
const VERSION: u8 = 0x81;
/// version(1) || key id(4).
const HEADER_LEN: usize = 5;
/// HMAC-SHA256.
const TAG_LEN: usize = 32;
/// Header and tag around the stamps and payload.
const ENVELOPE: usize = HEADER_LEN + TAG_LEN;
/// The shortest well-formed signed value: envelope and three one-byte stamps (54 characters).
const MIN_SIGNED_LEN: usize = ENVELOPE + 3;
/// Stamps of a default new session at T0: created = T0, issued - created = 0, idle = 1800.
const T0_STAMPS: [u8; 8] = [0x80, 0xa4, 0xa7, 0xda, 0x06, 0x00, 0x88, 0x0e];

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
struct Prefs {
    theme: String,
    font_size: u8,
    #[serde(with = "serde_bytes")]
    pinned: Vec<u8>,
    user_id: u64,
}

fn prefs() -> Prefs {
    Prefs {
        theme: "dark".into(),
        font_size: 14,
        pinned: vec![1, 2, 3],
        user_id: 42,
    }
}

/// A short state, so that the exhaustive loops stay fast while covering every bit.
const SHORT: u8 = 0x5a;

fn verify_u8(signer: &Signer, value: &str) -> Result<u8, OpenError> {
    signer.verify::<u8>(value).map(|o| o.state)
}

/// A default signer for `name` on `clock` over `ring`.
fn signer_on(ring: &KeyRing, clock: &ManualClock, name: &str) -> Signer {
    signer_builder(ring, clock, name).build().unwrap()
}

/// A driver of signed session cookies made by `signer`, with `options`.
fn signed_driver(signer: Signer, options: CookieOptions) -> Driver {
    Driver::new(SessionCookie::signed(signer, options).unwrap())
}

// ---------------------------------------------------------------------------------------------
// Round trip and the byte layout
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify_returns_the_state(
        theme in ".{0,40}",
        font_size in any::<u8>(),
        pinned in prop::collection::vec(any::<u8>(), 0..200),
        user_id in any::<u64>(),
    ) {
        let s = signer(NAME);
        let state = Prefs { theme, font_size, pinned, user_id };
        let signed = s.sign(&state).unwrap();
        let opened = s.verify::<Prefs>(signed.value()).unwrap();
        prop_assert_eq!(&opened.state, &state);
        prop_assert_eq!(opened.stamps, *signed.stamps());
        prop_assert_eq!(opened.renewal, None);
    }

    #[test]
    fn signed_payload_is_the_postcard_encoding_in_the_clear(
        pinned in prop::collection::vec(any::<u8>(), 0..300),
        user_id in any::<u64>(),
    ) {
        let state = Prefs { theme: "light".into(), font_size: 12, pinned, user_id };
        let raw = decode(signer(NAME).sign(&state).unwrap().value());
        let postcard = postcard::to_allocvec(&state).unwrap();
        prop_assert_eq!(&raw[HEADER_LEN + T0_STAMPS_LEN..raw.len() - TAG_LEN], &postcard[..]);
    }
}

#[test]
fn signed_value_is_version_key_id_stamps_payload_and_tag() {
    let state = prefs();
    let value = signer(NAME).sign(&state).unwrap().into_value();
    let raw = decode(&value);
    let postcard = postcard::to_allocvec(&state).unwrap();
    assert_eq!(raw.len(), ENVELOPE + T0_STAMPS.len() + postcard.len());
    assert_eq!(raw[0], VERSION);
    assert_eq!(&raw[1..HEADER_LEN], &key_a().id().to_bytes());
    assert_eq!(&raw[HEADER_LEN..HEADER_LEN + 8], &T0_STAMPS);
    assert_eq!(&raw[HEADER_LEN + 8..raw.len() - TAG_LEN], &postcard[..]);
    // The text is canonical unpadded base64url.
    assert_eq!(value, URL_SAFE_NO_PAD.encode(&raw));
    assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
}

#[test]
fn readable_strings_appear_in_the_decoded_value() {
    let raw = decode(signer(NAME).sign(&("dark-mode", 14u8)).unwrap().value());
    assert!(raw.windows(9).any(|w| w == b"dark-mode"));
}

#[test]
fn signing_is_deterministic() {
    // No nonce: the same state, key, name, purpose and time give the same value.
    let a = signer(NAME).sign(&prefs()).unwrap();
    let b = signer(NAME).sign(&prefs()).unwrap();
    assert_eq!(a.value(), b.value());
}

#[test]
fn format_vector_5_is_reproduced_and_verifies() {
    let s = signer_builder(&KeyRing::new(key_a()), &clock(), "prefs")
        .purpose("ui")
        .idle_timeout(Duration::from_secs(3600))
        .absolute_lifetime(Duration::from_secs(3600))
        .build()
        .unwrap();
    let signed = s.sign("light").unwrap();
    assert_eq!(
        signed.value(),
        "gYeAnEyApKfaBgCQHAVsaWdodO_0QyDOIeOuKMjbndGzGfxiW1ouKFVelGNcAldcqwgb"
    );
    assert_eq!(s.verify::<String>(signed.value()).unwrap().state, "light");
}

#[test]
fn sign_reports_stamps_and_max_age() {
    let signed = signer(NAME).sign(&prefs()).unwrap();
    assert_eq!(signed.stamps().created(), T0);
    assert_eq!(signed.stamps().issued(), T0);
    assert_eq!(signed.stamps().expires(), T0 + 1800);
    assert_eq!(signed.max_age(), Duration::from_secs(1800));
}

#[test]
fn signer_reports_its_configuration() {
    let s = signer_builder(&ring(), &clock(), "prefs")
        .purpose("ui")
        .size_limit(2000)
        .build()
        .unwrap();
    assert_eq!(s.cookie_name(), "prefs");
    assert_eq!(s.purpose(), "ui");
    assert_eq!(s.size_limit(), 2000);
    assert_eq!(s.max_value_len(), 2000 - "prefs=".len());
    assert_eq!(s.now(), T0);
    assert_eq!(s.key_ring().primary_id(), key_a().id());
}

#[test]
fn verifying_as_another_type_is_a_deserialize_error() {
    let s = signer(NAME);
    let signed = s.sign("not a number").unwrap();
    assert!(matches!(
        s.verify::<Prefs>(signed.value()),
        Err(OpenError::Deserialize(_))
    ));
}

#[test]
fn trailing_bytes_after_the_state_are_a_deserialize_error() {
    // A (u8, u8) read as a u8 leaves one byte over.
    let s = signer(NAME);
    let signed = s.sign(&(1u8, 2u8)).unwrap();
    assert!(matches!(
        s.verify::<u8>(signed.value()),
        Err(OpenError::Deserialize(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Tampering
// ---------------------------------------------------------------------------------------------

#[test]
fn untouched_short_value_verifies() {
    let s = signer(NAME);
    let value = s.sign(&SHORT).unwrap().into_value();
    assert_eq!(decode(&value).len(), ENVELOPE + 8 + 1);
    assert_eq!(verify_u8(&s, &value), Ok(SHORT));
}

#[test]
fn every_bit_flip_of_the_version_byte_is_unsupported_or_unauthentic() {
    let s = signer(NAME);
    let raw = decode(s.sign(&SHORT).unwrap().value());
    for bit in 0..8 {
        let mut bad = raw.clone();
        bad[0] ^= 1 << bit;
        // Bits 4 to 6 are flags (identity, creation millisecond): still the signed suite, but
        // authenticated, so the tag no longer verifies. Every other flip names no signed suite.
        let expected = if (4..=6).contains(&bit) {
            OpenError::Authentication
        } else {
            OpenError::UnsupportedVersion(VERSION ^ (1 << bit))
        };
        assert_eq!(verify_u8(&s, &encode(&bad)), Err(expected), "bit {bit}");
    }
}

#[test]
fn every_bit_flip_of_the_key_id_is_an_unknown_key() {
    let s = signer(NAME);
    let raw = decode(s.sign(&SHORT).unwrap().value());
    for at in 1..HEADER_LEN {
        for bit in 0..8 {
            let mut bad = raw.clone();
            bad[at] ^= 1 << bit;
            let id = KeyId::from_bytes(bad[1..HEADER_LEN].try_into().unwrap());
            assert_eq!(
                verify_u8(&s, &encode(&bad)),
                Err(OpenError::UnknownKey(id)),
                "byte {at} bit {bit}"
            );
        }
    }
}

#[test]
fn every_bit_flip_of_the_stamps_payload_and_tag_fails_authentication() {
    let s = signer(NAME);
    let raw = decode(s.sign(&SHORT).unwrap().value());
    for at in HEADER_LEN..raw.len() {
        for bit in 0..8 {
            let mut bad = raw.clone();
            bad[at] ^= 1 << bit;
            assert_eq!(
                verify_u8(&s, &encode(&bad)),
                Err(OpenError::Authentication),
                "byte {at} bit {bit}"
            );
        }
    }
}

/// What verifying `text` must give when it is not the genuine value: length, encoding, version,
/// key id, then authentication (FORMAT.md, "Opening, in this order").
fn expected_rejection(s: &Signer, text: &str) -> OpenError {
    if text.len() > s.max_value_len() {
        return OpenError::Oversized {
            len: text.len(),
            max: s.max_value_len(),
        };
    }
    if text.len() < base64_len(MIN_SIGNED_LEN) {
        return OpenError::Malformed(Malformed::TooShort);
    }
    let Ok(raw) = URL_SAFE_NO_PAD.decode(text) else {
        return OpenError::Malformed(Malformed::Encoding);
    };
    if Suite::from_version(raw[0]) != Some(Suite::HmacSha256) {
        return OpenError::UnsupportedVersion(raw[0]);
    }
    let id = KeyId::from_bytes(raw[1..HEADER_LEN].try_into().unwrap());
    if !s.key_ring().contains(id) {
        return OpenError::UnknownKey(id);
    }
    OpenError::Authentication
}

#[test]
fn every_bit_flip_of_the_text_is_refused_in_order() {
    let s = signer(NAME);
    let value = s.sign(&SHORT).unwrap().into_value();
    for at in 0..value.len() {
        for bit in 0..7 {
            let mut bad = value.clone().into_bytes();
            bad[at] ^= 1 << bit;
            let bad = String::from_utf8(bad).expect("still ASCII");
            assert_eq!(
                verify_u8(&s, &bad),
                Err(expected_rejection(&s, &bad)),
                "char {at} bit {bit}"
            );
        }
    }
}

#[test]
fn every_truncation_of_the_bytes_is_refused() {
    let s = signer(NAME);
    let raw = decode(s.sign(&SHORT).unwrap().value());
    for len in 0..raw.len() {
        let expected = if len < MIN_SIGNED_LEN {
            OpenError::Malformed(Malformed::TooShort)
        } else {
            OpenError::Authentication
        };
        assert_eq!(
            verify_u8(&s, &encode(&raw[..len])),
            Err(expected),
            "{len} bytes"
        );
    }
}

#[test]
fn every_truncation_of_the_text_is_refused() {
    let s = signer(NAME);
    let value = s.sign(&SHORT).unwrap().into_value();
    for len in 0..value.len() {
        let cut = &value[..len];
        assert_eq!(
            verify_u8(&s, cut),
            Err(expected_rejection(&s, cut)),
            "{len} chars"
        );
    }
}

#[test]
fn shortest_accepted_text_is_54_characters() {
    let s = signer(NAME);
    assert_eq!(base64_len(MIN_SIGNED_LEN), 54);
    assert_eq!(
        verify_u8(&s, &"A".repeat(53)),
        Err(OpenError::Malformed(Malformed::TooShort))
    );
    // 54 'A's decode to 40 zero bytes: version 0.
    assert_eq!(
        verify_u8(&s, &"A".repeat(54)),
        Err(OpenError::UnsupportedVersion(0))
    );
}

#[test]
fn appending_bytes_fails_authentication() {
    let s = signer(NAME);
    let raw = decode(s.sign(&SHORT).unwrap().value());
    for extra in [&[0u8][..], &[0, 0, 0], &[0xff; 32]] {
        let mut longer = raw.clone();
        longer.extend_from_slice(extra);
        assert_eq!(
            verify_u8(&s, &encode(&longer)),
            Err(OpenError::Authentication)
        );
    }
}

#[test]
fn value_longer_than_one_cookie_is_oversized() {
    let s = signer(NAME);
    assert_eq!(
        verify_u8(&s, &"A".repeat(4089)),
        Err(OpenError::Oversized {
            len: 4089,
            max: 4088
        })
    );
}

#[test]
fn padded_or_foreign_alphabet_text_is_malformed() {
    let s = signer(NAME);
    let raw = decode(s.sign(&SHORT).unwrap().value());
    let padded = base64::engine::general_purpose::URL_SAFE.encode(&raw);
    assert!(padded.ends_with('='));
    assert_eq!(
        verify_u8(&s, &padded),
        Err(OpenError::Malformed(Malformed::Encoding))
    );
    let standard = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&raw);
    if standard.contains(['+', '/']) {
        assert_eq!(
            verify_u8(&s, &standard),
            Err(OpenError::Malformed(Malformed::Encoding))
        );
    }
}

#[test]
fn tag_from_another_value_fails_authentication() {
    let s = signer(NAME);
    let a = decode(s.sign(&1u8).unwrap().value());
    let b = decode(s.sign(&2u8).unwrap().value());
    let mut spliced = a[..a.len() - TAG_LEN].to_vec();
    spliced.extend_from_slice(&b[b.len() - TAG_LEN..]);
    assert_eq!(
        verify_u8(&s, &encode(&spliced)),
        Err(OpenError::Authentication)
    );
}

#[test]
fn changing_the_payload_in_the_clear_fails_authentication() {
    // The client can read the user id, and must not be able to change it.
    let s = signer(NAME);
    let mut raw = decode(s.sign(&prefs()).unwrap().value());
    let at = raw.len() - TAG_LEN - 1;
    assert_eq!(raw[at], 42, "user_id is the last payload byte");
    raw[at] = 1;
    assert_eq!(
        s.verify::<Prefs>(&encode(&raw)).unwrap_err(),
        OpenError::Authentication
    );
}

// ---------------------------------------------------------------------------------------------
// Binding to the cookie name and purpose
// ---------------------------------------------------------------------------------------------

#[test]
fn value_signed_for_one_cookie_name_is_refused_for_another() {
    // cookie-rs's signed jar accepts a value signed for "a" as "b"; this mode does not.
    let a = signer("a");
    let b = signer("b");
    let value = a.sign(&SHORT).unwrap().into_value();
    assert_eq!(verify_u8(&a, &value), Ok(SHORT));
    assert_eq!(verify_u8(&b, &value), Err(OpenError::Authentication));
}

#[test]
fn value_signed_for_one_purpose_is_refused_for_another() {
    let (ring, clock) = (ring(), clock());
    let login = signer_builder(&ring, &clock, NAME)
        .purpose("login")
        .build()
        .unwrap();
    let csrf = signer_builder(&ring, &clock, NAME)
        .purpose("csrf")
        .build()
        .unwrap();
    let value = login.sign(&SHORT).unwrap().into_value();
    assert_eq!(verify_u8(&csrf, &value), Err(OpenError::Authentication));
}

#[test]
fn name_and_purpose_boundary_is_unambiguous() {
    let (ring, clock) = (ring(), clock());
    let ab_c = signer_builder(&ring, &clock, "ab")
        .purpose("c")
        .build()
        .unwrap();
    let a_bc = signer_builder(&ring, &clock, "a")
        .purpose("bc")
        .build()
        .unwrap();
    let value = ab_c.sign(&SHORT).unwrap().into_value();
    assert_eq!(verify_u8(&a_bc, &value), Err(OpenError::Authentication));
}

#[test]
fn empty_purpose_differs_from_the_default_purpose() {
    let (ring, clock) = (ring(), clock());
    let empty = signer_builder(&ring, &clock, NAME)
        .purpose("")
        .build()
        .unwrap();
    let value = empty.sign(&SHORT).unwrap().into_value();
    assert_eq!(verify_u8(&empty, &value), Ok(SHORT));
    assert_eq!(
        verify_u8(&signer(NAME), &value),
        Err(OpenError::Authentication)
    );
}

#[test]
fn signed_cookie_moved_to_another_cookie_name_is_refused() {
    let a = signed_driver(signer("a"), CookieOptions::new());
    let b = signed_driver(signer("b"), CookieOptions::new());
    let value = value_of(&write(&a, "", SHORT).unwrap()[0]).to_owned();
    assert_eq!(open::<u8>(&a, &format!("a={value}")), Ok(Some(SHORT)));
    assert_eq!(
        open::<u8>(&b, &format!("b={value}")).unwrap_err(),
        Refusal::Cookie(CookieReadError::Open(OpenError::Authentication))
    );
}

// ---------------------------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------------------------

#[test]
fn idle_timeout_is_enforced_after_the_leeway() {
    let clock = clock();
    let s = signer_on(&ring(), &clock, NAME);
    let value = s.sign(&SHORT).unwrap().into_value();
    // Idle 1800 s, leeway 60 s.
    clock.set(T0 + 1860);
    assert_eq!(verify_u8(&s, &value), Ok(SHORT));
    clock.set(T0 + 1861);
    assert_eq!(
        verify_u8(&s, &value),
        Err(OpenError::Expired {
            lifetime: Lifetime::Idle,
            expired_at: T0 + 1800
        })
    );
}

#[test]
fn absolute_lifetime_is_enforced_across_renewals() {
    let clock = clock();
    let s = signer_builder(&ring(), &clock, NAME)
        .idle_timeout(Duration::from_secs(1800))
        .absolute_lifetime(Duration::from_secs(3600))
        .build()
        .unwrap();
    let mut signed = s.sign(&SHORT).unwrap();
    for at in [1500, 3000] {
        clock.set(T0 + at);
        let opened = s.verify::<u8>(signed.value()).unwrap();
        signed = s.renew(&opened.state, &opened.envelope()).unwrap();
    }
    assert_eq!(signed.stamps().created(), T0);
    assert_eq!(signed.stamps().expires(), T0 + 3600);
    clock.set(T0 + 3660);
    assert_eq!(verify_u8(&s, signed.value()), Ok(SHORT));
    clock.set(T0 + 3661);
    assert_eq!(
        verify_u8(&s, signed.value()),
        Err(OpenError::Expired {
            lifetime: Lifetime::Absolute,
            expired_at: T0 + 3600
        })
    );
}

/// Renews `signed` every 1500 s (within the 1800 s idle timeout) until `until`, as an active
/// user's requests would.
fn keep_alive<T>(
    s: &Signer,
    clock: &ManualClock,
    state: &T,
    mut signed: Sealed,
    until: u64,
) -> Sealed
where
    T: Serialize,
{
    while s.now() + 1500 <= until {
        clock.advance(Duration::from_secs(1500));
        signed = s.renew(state, signed.envelope()).unwrap();
    }
    clock.set(until);
    signed
}

#[test]
fn renewing_at_the_end_of_the_absolute_lifetime_is_refused() {
    let clock = clock();
    let s = signer_on(&ring(), &clock, NAME);
    let signed = s.sign(&SHORT).unwrap();
    let signed = keep_alive(&s, &clock, &SHORT, signed, T0 + 8 * 3600);
    assert_eq!(
        s.renew(&SHORT, signed.envelope()).unwrap_err(),
        SealError::Expired {
            expired_at: T0 + 8 * 3600
        }
    );
}

#[test]
fn renewing_after_the_idle_timeout_is_refused() {
    let clock = clock();
    let s = signer_on(&ring(), &clock, NAME);
    let signed = s.sign(&SHORT).unwrap();
    clock.set(T0 + 1860);
    assert!(
        s.renew(&SHORT, signed.envelope()).is_ok(),
        "within the leeway"
    );
    clock.set(T0 + 1861);
    assert_eq!(
        s.renew(&SHORT, signed.envelope()).unwrap_err(),
        SealError::Expired {
            expired_at: T0 + 1800
        }
    );
}

#[test]
fn value_issued_in_the_future_is_accepted_within_the_leeway_only() {
    let clock = clock();
    let s = signer_on(&ring(), &clock, NAME);
    let value = s.sign(&SHORT).unwrap().into_value();
    clock.set(T0 - 60);
    assert_eq!(verify_u8(&s, &value), Ok(SHORT));
    clock.set(T0 - 61);
    assert_eq!(
        verify_u8(&s, &value),
        Err(OpenError::NotYetValid {
            issued_at: T0,
            now: T0 - 61
        })
    );
}

#[test]
fn zero_leeway_makes_the_edges_exact() {
    let clock = clock();
    let s = signer_builder(&ring(), &clock, NAME)
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let value = s.sign(&SHORT).unwrap().into_value();
    clock.set(T0 - 1);
    assert_eq!(
        verify_u8(&s, &value),
        Err(OpenError::NotYetValid {
            issued_at: T0,
            now: T0 - 1
        })
    );
    clock.set(T0 + 1800);
    assert_eq!(verify_u8(&s, &value), Ok(SHORT));
    clock.set(T0 + 1801);
    assert_eq!(
        verify_u8(&s, &value),
        Err(OpenError::Expired {
            lifetime: Lifetime::Idle,
            expired_at: T0 + 1800
        })
    );
}

#[test]
fn shortened_idle_timeout_applies_to_values_already_signed() {
    let (ring, clock) = (ring(), clock());
    let long = signer_on(&ring, &clock, NAME);
    let value = long.sign(&SHORT).unwrap().into_value();
    let short = signer_builder(&ring, &clock, NAME)
        .idle_timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    clock.set(T0 + 661);
    assert_eq!(
        verify_u8(&short, &value),
        Err(OpenError::Expired {
            lifetime: Lifetime::Idle,
            expired_at: T0 + 600
        })
    );
    assert_eq!(verify_u8(&long, &value), Ok(SHORT));
}

#[test]
fn renewal_is_due_after_a_tenth_of_the_idle_timeout() {
    let clock = clock();
    let s = signer_on(&ring(), &clock, NAME);
    let value = s.sign(&SHORT).unwrap().into_value();
    clock.set(T0 + 179);
    assert_eq!(s.verify::<u8>(&value).unwrap().renewal, None);
    clock.set(T0 + 180);
    assert_eq!(
        s.verify::<u8>(&value).unwrap().renewal,
        Some(RenewalReason::Due)
    );
}

// ---------------------------------------------------------------------------------------------
// Rotation
// ---------------------------------------------------------------------------------------------

#[test]
fn value_from_an_old_key_verifies_and_asks_for_renewal() {
    let (ring, clock) = (ring(), clock());
    let s = signer_on(&ring, &clock, NAME);
    let old = s.sign(&SHORT).unwrap().into_value();
    let new_id = ring.rotate(key_b()).unwrap();
    let opened = s.verify::<u8>(&old).unwrap();
    assert_eq!(opened.state, SHORT);
    assert_eq!(opened.renewal, Some(RenewalReason::OldKey));
    // Re-signing moves it to the new primary.
    let renewed = s.renew(&opened.state, &opened.envelope()).unwrap();
    assert_eq!(&decode(renewed.value())[1..HEADER_LEN], &new_id.to_bytes());
    assert_eq!(s.verify::<u8>(renewed.value()).unwrap().renewal, None);
}

#[test]
fn value_from_a_retired_key_is_an_unknown_key() {
    let (ring, clock) = (ring(), clock());
    let s = signer_on(&ring, &clock, NAME);
    let old = s.sign(&SHORT).unwrap().into_value();
    ring.rotate(key_b()).unwrap();
    ring.retire(key_a().id()).unwrap();
    assert_eq!(
        verify_u8(&s, &old),
        Err(OpenError::UnknownKey(key_a().id()))
    );
}

#[test]
fn value_from_a_key_added_but_not_promoted_verifies_as_old_key() {
    let (ring, clock) = (ring(), clock());
    let s = signer_on(&ring, &clock, NAME);
    // Another server already signs with key B; this one has only added it.
    let other = signer_on(&KeyRing::new(key_b()), &clock, NAME);
    let value = other.sign(&SHORT).unwrap().into_value();
    assert_eq!(
        verify_u8(&s, &value),
        Err(OpenError::UnknownKey(key_b().id()))
    );
    ring.add(key_b()).unwrap();
    let opened = s.verify::<u8>(&value).unwrap();
    assert_eq!(opened.renewal, Some(RenewalReason::OldKey));
}

#[test]
fn another_key_with_the_same_id_fails_authentication() {
    let s = signer(NAME);
    let mut raw = decode(s.sign(&SHORT).unwrap().value());
    // Same key id, tag computed under some other key: only the HMAC can tell.
    let forged = decode(
        signer_on(&KeyRing::new(key_b()), &clock(), NAME)
            .sign(&SHORT)
            .unwrap()
            .value(),
    );
    let n = raw.len();
    raw[n - TAG_LEN..].copy_from_slice(&forged[n - TAG_LEN..]);
    assert_eq!(verify_u8(&s, &encode(&raw)), Err(OpenError::Authentication));
}

// ---------------------------------------------------------------------------------------------
// Sealed and signed values never cross
// ---------------------------------------------------------------------------------------------

#[test]
fn signed_value_never_opens_as_a_sealed_value() {
    let value = signer(NAME).sign(&prefs()).unwrap().into_value();
    assert_eq!(
        sealer(NAME).open::<Prefs>(&value).unwrap_err(),
        OpenError::UnsupportedVersion(VERSION)
    );
}

#[test]
fn sealed_value_never_verifies_as_a_signed_value() {
    let value = sealer(NAME).seal(&prefs()).unwrap().into_value();
    assert_eq!(
        signer(NAME).verify::<Prefs>(&value).unwrap_err(),
        OpenError::UnsupportedVersion(1)
    );
}

#[test]
fn sealed_value_relabelled_as_signed_fails_authentication() {
    // Changing the version byte of a sealed value does not turn it into a signed one.
    let mut raw = decode(sealer(NAME).seal(&SHORT).unwrap().value());
    raw[0] = VERSION;
    assert_eq!(
        verify_u8(&signer(NAME), &encode(&raw)),
        Err(OpenError::Authentication)
    );
}

#[test]
fn signed_value_relabelled_as_sealed_fails_authentication() {
    let mut raw = decode(signer(NAME).sign(&prefs()).unwrap().value());
    raw[0] = 1;
    assert_eq!(
        sealer(NAME).open::<Prefs>(&encode(&raw)).unwrap_err(),
        OpenError::Authentication
    );
}

#[test]
fn signed_cookie_never_opens_in_a_sealed_session_cookie() {
    let signed = signed_driver(signer(NAME), CookieOptions::new());
    let sealed = Driver::new(SessionCookie::sealed(sealer(NAME), CookieOptions::new()).unwrap());
    let header = header_from(&write(&signed, "", prefs()).unwrap());
    assert_eq!(
        open::<Prefs>(&sealed, &header).unwrap_err(),
        Refusal::Cookie(CookieReadError::Open(OpenError::UnsupportedVersion(
            VERSION
        )))
    );
    let header = header_from(&write(&sealed, "", prefs()).unwrap());
    assert_eq!(
        open::<Prefs>(&signed, &header).unwrap_err(),
        Refusal::Cookie(CookieReadError::Open(OpenError::UnsupportedVersion(1)))
    );
}

// ---------------------------------------------------------------------------------------------
// The cookie layer
// ---------------------------------------------------------------------------------------------

#[test]
fn signed_session_cookie_round_trips_through_a_cookie_header() {
    let d = signed_driver(signer(NAME), CookieOptions::new().http_only(false));
    let set = write(&d, "", prefs()).unwrap();
    let value = value_of(&set[0]);
    assert_eq!(
        set,
        [format!(
            "session={value}; Max-Age=1800; Expires=Fri, 15 Jan 2027 08:30:00 GMT; Path=/; Secure; SameSite=Lax"
        )]
    );
    // The cookie carries exactly what Signer::sign produces.
    assert_eq!(value, signer(NAME).sign(&prefs()).unwrap().value());
    let header = format!("theme=dark; {}; lang=en", set[0].split(';').next().unwrap());
    assert_eq!(open::<Prefs>(&d, &header), Ok(Some(prefs())));
    assert_eq!(open::<Prefs>(&d, "theme=dark"), Ok(None));
}

#[test]
fn signed_session_cookie_renews_keeping_its_creation_time() {
    let clock = clock();
    let s = signer_on(&ring(), &clock, NAME);
    let d = signed_driver(s.clone(), CookieOptions::new());
    let first = write(&d, "", prefs()).unwrap();
    assert_eq!(first.len(), 1);
    clock.set(T0 + 900);
    // A request that only reads the session: its renewal is due, so its end writes it.
    let renewed = request::<Prefs>(&d, &header_from(&first), |session| {
        assert_eq!(session.get(), Some(prefs()));
    })
    .set_cookies();
    assert_eq!(renewed.len(), 1, "{renewed:?}");
    let again = s.verify::<Prefs>(value_of(&renewed[0])).unwrap();
    assert_eq!(again.state, prefs());
    assert_eq!(again.stamps.created(), T0);
    assert_eq!(again.stamps.issued(), T0 + 900);
}

// ---------------------------------------------------------------------------------------------
// The size rule
// ---------------------------------------------------------------------------------------------

/// Characters of the signed value of [`bytes`]`(n)` for a new default session at T0.
fn signed_len(n: usize) -> usize {
    base64_len(ENVELOPE + T0_STAMPS_LEN + bytes_postcard_len(n))
}

#[test]
fn largest_signed_payload_fills_4096_octets_and_one_byte_more_is_too_large() {
    // 4096 - "session=" = 4088 characters = 3066 bytes = 37 + 8 + (2 + 3019).
    let n = (0..).take_while(|&n| signed_len(n) <= 4088).last().unwrap();
    assert_eq!(n, 3019);
    let s = signer(NAME);
    let signed = s.sign(&bytes(n)).unwrap();
    assert_eq!(NAME.len() + 1 + signed.value().len(), 4096);
    assert_eq!(s.verify::<ByteBuf>(signed.value()).unwrap().state, bytes(n));
    let over = SealError::TooLarge {
        size: 4098,
        limit: 4096,
    };
    assert_eq!(s.sign(&bytes(n + 1)).unwrap_err(), over);
    let d = signed_driver(s, CookieOptions::new());
    assert_eq!(
        write(&d, "", bytes(n + 1)).unwrap_err(),
        WriteError::Seal(over)
    );
    assert_eq!(
        write(&d, "", bytes(n)).unwrap()[0]
            .split(';')
            .next()
            .unwrap()
            .len(),
        4096
    );
}

#[test]
fn size_limit_counts_the_cookie_name() {
    let s = signer("a-much-longer-cookie-name");
    let n = (0..)
        .take_while(|&n| signed_len(n) <= 4096 - 26)
        .last()
        .unwrap();
    assert!(s.sign(&bytes(n)).is_ok());
    assert!(matches!(
        s.sign(&bytes(n + 1)),
        Err(SealError::TooLarge { limit: 4096, .. })
    ));
}

#[test]
fn max_payload_len_fits_even_the_longest_renewal() {
    let clock = clock();
    let s = signer_on(&ring(), &clock, NAME);
    // 3066 bytes less 37 of envelope and 10 of stamps (5 + 3 + 2) in the worst renewal.
    assert_eq!(s.max_payload_len(), 3019);
    let state = bytes(s.max_payload_len() - 2); // serde_bytes adds a 2-byte length
    assert_eq!(
        bytes_postcard_len(s.max_payload_len() - 2),
        s.max_payload_len()
    );
    let signed = s.sign(&state).unwrap();
    // The longest stamps: issued 27 000 s after creation, expiring a full idle timeout later.
    let renewed = keep_alive(&s, &clock, &state, signed, T0 + 27_000);
    assert_eq!(renewed.stamps().issued(), T0 + 27_000);
    assert_eq!(renewed.stamps().expires() - renewed.stamps().issued(), 1800);
    assert!(NAME.len() + 1 + renewed.value().len() <= 4096);
    assert_eq!(s.verify::<ByteBuf>(renewed.value()).unwrap().state, state);
}

#[test]
fn max_payload_len_for_counts_the_other_name() {
    let s = signer(NAME);
    assert_eq!(s.max_payload_len_for(NAME), Some(s.max_payload_len()));
    // Each 4 more characters of name cost 3 bytes of payload.
    assert_eq!(
        s.max_payload_len_for(&format!("{NAME}abcd")),
        Some(s.max_payload_len() - 3)
    );
}
