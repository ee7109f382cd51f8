//! Whatever a client sends as the cookie value, opening refuses it with a typed error and never
//! panics; only a value that authenticates can produce `Deserialize`.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE};
use common::sealer::{KEY_ID, MIN_SEALED_LEN, Session, decode, encode, fixture, session};
use proptest::prelude::*;
use sealed_session::{Key, KeyId, KeyRing, Malformed, OpenError, Sealer, Suite};
use serde_bytes::ByteBuf;

/// The shortest text that can be a sealed value: 36 bytes are 48 characters.
const MIN_TEXT_LEN: usize = 48;

fn open(sealer: &Sealer, value: &str) -> Result<Session, OpenError> {
    sealer.open::<Session>(value).map(|o| o.state)
}

/// The errors possible before authentication: anything a client can provoke without the key.
fn is_refused_before_authentication(e: &OpenError) -> bool {
    matches!(
        e,
        OpenError::Oversized { .. }
            | OpenError::Malformed(Malformed::Encoding | Malformed::TooShort)
            | OpenError::UnsupportedVersion(_)
            | OpenError::UnknownKey(_)
            | OpenError::Authentication
    )
}

/// A small deterministic generator, so failures are reproducible.
fn pseudo_random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn a_value_longer_than_max_value_len_is_oversized() {
    let f = fixture();
    let max = f.sealer.max_value_len();
    assert_eq!(max, 4096 - common::sealer::NAME.len() - 1);
    let text = "A".repeat(max + 1);
    assert_eq!(
        open(&f.sealer, &text).unwrap_err(),
        OpenError::Oversized { len: max + 1, max }
    );
}

#[test]
fn a_value_of_a_megabyte_is_oversized_without_decoding() {
    let f = fixture();
    let max = f.sealer.max_value_len();
    for text in [
        "A".repeat(1 << 20),
        "é".repeat(1 << 19),
        "=".repeat(1 << 20),
    ] {
        assert_eq!(
            open(&f.sealer, &text).unwrap_err(),
            OpenError::Oversized { len: 1 << 20, max }
        );
    }
}

#[test]
fn a_value_of_exactly_max_value_len_is_decoded() {
    let f = fixture();
    let max = f.sealer.max_value_len();
    assert_eq!(max % 4, 0);
    // All 'A' decodes to zero bytes: version 0.
    assert_eq!(
        open(&f.sealer, &"A".repeat(max)).unwrap_err(),
        OpenError::UnsupportedVersion(0)
    );
}

#[test]
fn the_oversized_bound_counts_bytes_not_characters() {
    let f = fixture();
    let max = f.sealer.max_value_len();
    // Fewer characters than the bound, but more bytes.
    let text = "é".repeat(max / 2 + 1);
    assert_eq!(
        open(&f.sealer, &text).unwrap_err(),
        OpenError::Oversized {
            len: text.len(),
            max
        }
    );
}

#[test]
fn the_empty_value_is_too_short() {
    let f = fixture();
    assert_eq!(
        open(&f.sealer, "").unwrap_err(),
        OpenError::Malformed(Malformed::TooShort)
    );
}

#[test]
fn any_text_shorter_than_the_smallest_sealed_value_is_too_short() {
    let f = fixture();
    for c in ["A", " ", "\0", "=", "+", "é", "🍪"] {
        let texts = (0..).map(|n| c.repeat(n));
        for text in texts.take_while(|t| t.len() < MIN_TEXT_LEN) {
            assert_eq!(
                open(&f.sealer, &text).unwrap_err(),
                OpenError::Malformed(Malformed::TooShort),
                "{text:?}"
            );
        }
    }
}

#[test]
fn whitespace_is_not_base64url() {
    let f = fixture();
    let value = f.sealer.seal(&session()).unwrap().into_value();
    for text in [
        " ".repeat(64),
        "\t".repeat(64),
        format!(" {value}"),
        format!("{value} "),
        format!("{value}\n"),
        format!("{}\r\n{}", &value[..40], &value[40..]),
    ] {
        assert_eq!(
            open(&f.sealer, &text).unwrap_err(),
            OpenError::Malformed(Malformed::Encoding),
            "{text:?}"
        );
    }
}

#[test]
fn non_ascii_text_is_not_base64url() {
    let f = fixture();
    let value = f.sealer.seal(&session()).unwrap().into_value();
    for text in [
        "é".repeat(32),
        "日本語".repeat(8),
        "🍪".repeat(16),
        format!("{}é{}", &value[..10], &value[12..]),
    ] {
        assert_eq!(
            open(&f.sealer, &text).unwrap_err(),
            OpenError::Malformed(Malformed::Encoding),
            "{text:?}"
        );
    }
}

#[test]
fn padding_is_refused_even_when_it_is_correct() {
    let f = fixture();
    for len in 0..3 {
        let sealed = f.sealer.seal(&ByteBuf::from(vec![1u8; len])).unwrap();
        let raw = decode(sealed.value());
        if raw.len() % 3 == 0 {
            continue;
        }
        let padded = URL_SAFE.encode(&raw);
        assert!(padded.ends_with('='));
        assert_eq!(
            f.sealer.open::<ByteBuf>(&padded).unwrap_err(),
            OpenError::Malformed(Malformed::Encoding)
        );
        return;
    }
    unreachable!("one of three consecutive lengths is not a multiple of 3");
}

#[test]
fn the_standard_alphabet_is_refused() {
    let f = fixture();
    // A value whose encoding uses the two characters where the alphabets differ.
    let value = (0..1000)
        .map(|_| f.sealer.seal(&session()).unwrap().into_value())
        .find(|v| v.contains('-') && v.contains('_'))
        .expect("some value uses both '-' and '_'");
    let standard = STANDARD_NO_PAD.encode(decode(&value));
    assert!(standard.contains('+') && standard.contains('/'));
    assert_eq!(
        open(&f.sealer, &standard).unwrap_err(),
        OpenError::Malformed(Malformed::Encoding)
    );
    for c in ['+', '/'] {
        let one = value.replacen('-', &c.to_string(), 1);
        assert_eq!(
            open(&f.sealer, &one).unwrap_err(),
            OpenError::Malformed(Malformed::Encoding)
        );
    }
}

#[test]
fn an_impossible_base64_length_is_an_encoding_error() {
    let f = fixture();
    for len in [49, 53, 101, 4085] {
        assert_eq!(len % 4, 1);
        assert_eq!(
            open(&f.sealer, &"A".repeat(len)).unwrap_err(),
            OpenError::Malformed(Malformed::Encoding),
            "{len}"
        );
    }
}

#[test]
fn random_bytes_of_every_length_are_refused_by_length_version_or_key() {
    let f = fixture();
    let primary = f.ring.primary_id();
    for len in 0..=3100 {
        let mut raw = pseudo_random_bytes(len as u64, len);
        if len % 5 == 0 && len > 0 {
            raw[0] = 1; // a valid version, so the key id is looked at
        }
        let text = encode(&raw);
        let err = open(&f.sealer, &text).unwrap_err();
        let expected = if text.len() > f.sealer.max_value_len() {
            OpenError::Oversized {
                len: text.len(),
                max: f.sealer.max_value_len(),
            }
        } else if len < MIN_SEALED_LEN {
            OpenError::Malformed(Malformed::TooShort)
        } else if !Suite::from_version(raw[0]).is_some_and(Suite::is_sealed) {
            OpenError::UnsupportedVersion(raw[0])
        } else if Suite::from_version(raw[0]) == Some(Suite::Xaes256Gcm) && len < 48 {
            OpenError::Malformed(Malformed::TooShort)
        } else {
            let id = KeyId::from_bytes(raw[KEY_ID].try_into().unwrap());
            assert_ne!(id, primary);
            OpenError::UnknownKey(id)
        };
        assert_eq!(err, expected, "{len} random bytes");
    }
}

#[test]
fn a_flag_added_to_the_version_byte_fails_authentication() {
    // The flags are in the associated data: setting the creation-millisecond flag (or any
    // other) on a value sealed without it is a forgery, not a different reading of its bytes.
    let f = fixture();
    let raw = decode(f.sealer.seal(&session()).unwrap().value());
    for flag in [0x10u8, 0x20, 0x40] {
        let mut bad = raw.clone();
        bad[0] |= flag;
        assert_eq!(
            open(&f.sealer, &encode(&bad)).unwrap_err(),
            OpenError::Authentication,
            "{flag:#04x}"
        );
    }
}

#[test]
fn a_header_with_an_unknown_version_is_unsupported_whatever_follows() {
    let f = fixture();
    let raw = decode(f.sealer.seal(&session()).unwrap().value());
    // Reserved bytes (with and without flags), and the signed suite's bytes.
    for version in [0u8, 3, 0x43, 0x44, 0x7f, 0x80, 0x81, 0x91, 0xc1, 0xfe, 0xff] {
        let mut bad = raw.clone();
        bad[0] = version;
        assert_eq!(
            open(&f.sealer, &encode(&bad)).unwrap_err(),
            OpenError::UnsupportedVersion(version)
        );
        // Even the shortest possible value is judged by its version first.
        let mut short = vec![0u8; MIN_SEALED_LEN];
        short[0] = version;
        assert_eq!(
            open(&f.sealer, &encode(&short)).unwrap_err(),
            OpenError::UnsupportedVersion(version)
        );
    }
}

#[test]
fn a_value_under_a_key_the_ring_does_not_hold_is_an_unknown_key() {
    let f = fixture();
    let stranger = KeyRing::new(Key::generate().unwrap());
    let other = common::sealer::builder(&stranger, &f.clock)
        .build()
        .unwrap();
    let value = other.seal(&session()).unwrap().into_value();
    assert_eq!(
        open(&f.sealer, &value).unwrap_err(),
        OpenError::UnknownKey(stranger.primary_id())
    );
}

#[test]
fn a_state_that_does_not_deserialize_as_the_requested_type_is_a_deserialize_error() {
    let f = fixture();
    let value = f.sealer.seal(&7u8).unwrap().into_value();
    let err = f.sealer.open::<(u64, String)>(&value).unwrap_err();
    assert!(matches!(err, OpenError::Deserialize(_)), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());

    let value = f.sealer.seal(&"not a bool").unwrap().into_value();
    assert!(matches!(
        f.sealer.open::<bool>(&value),
        Err(OpenError::Deserialize(_))
    ));

    let value = f
        .sealer
        .seal(&ByteBuf::from(vec![0xff; 8]))
        .unwrap()
        .into_value();
    assert!(matches!(
        f.sealer.open::<String>(&value),
        Err(OpenError::Deserialize(_))
    ));
}

#[test]
fn bytes_left_over_after_the_state_are_a_deserialize_error() {
    let f = fixture();
    let value = f.sealer.seal(&(7u8, 8u8)).unwrap().into_value();
    let err = f.sealer.open::<u8>(&value).unwrap_err();
    assert!(matches!(err, OpenError::Deserialize(_)), "{err:?}");

    let value = f.sealer.seal(&session()).unwrap().into_value();
    assert!(matches!(
        f.sealer.open::<u64>(&value),
        Err(OpenError::Deserialize(_))
    ));
    let value = f.sealer.seal(&7u8).unwrap().into_value();
    assert!(matches!(
        f.sealer.open::<()>(&value),
        Err(OpenError::Deserialize(_))
    ));
}

#[test]
fn every_error_displays_without_panicking() {
    let f = fixture();
    let errors = [
        open(&f.sealer, "").unwrap_err(),
        open(&f.sealer, &"!".repeat(60)).unwrap_err(),
        open(&f.sealer, &"A".repeat(5000)).unwrap_err(),
        open(&f.sealer, &"A".repeat(60)).unwrap_err(),
        f.sealer
            .open::<u8>(f.sealer.seal(&(1u8, 2u8)).unwrap().value())
            .unwrap_err(),
    ];
    for e in errors {
        assert!(!e.to_string().is_empty());
        assert!(!format!("{e:?}").is_empty());
    }
}

proptest! {
    #[test]
    fn arbitrary_strings_are_refused_before_authentication_without_panicking(s in any::<String>()) {
        let f = fixture();
        let err = open(&f.sealer, &s).unwrap_err();
        prop_assert!(is_refused_before_authentication(&err), "{:?} gave {:?}", s, err);
    }

    #[test]
    fn arbitrary_base64url_text_is_refused_before_authentication(s in "[A-Za-z0-9_-]{0,400}") {
        let f = fixture();
        let err = open(&f.sealer, &s).unwrap_err();
        prop_assert!(is_refused_before_authentication(&err), "{:?} gave {:?}", s, err);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_header_fail_authentication(
        tail in prop::collection::vec(any::<u8>(), MIN_SEALED_LEN - 5..600)
    ) {
        let f = fixture();
        let mut raw = vec![1u8];
        raw.extend_from_slice(&f.ring.primary_id().to_bytes());
        raw.extend_from_slice(&tail);
        prop_assert_eq!(open(&f.sealer, &encode(&raw)).unwrap_err(), OpenError::Authentication);
    }
}

#[test]
fn a_value_too_short_for_its_mode_is_refused_before_decoding() {
    // FORMAT.md, "Opening", step 2: fewer characters than the smallest sealed value (48) is
    // refused on its length alone, whatever the characters; from 48 on, decoding judges them.
    let f = fixture();
    for len in [0, 1, 47] {
        assert_eq!(
            open(&f.sealer, &"!".repeat(len)).unwrap_err(),
            OpenError::Malformed(Malformed::TooShort),
            "{len}"
        );
    }
    assert_eq!(
        open(&f.sealer, &"!".repeat(48)).unwrap_err(),
        OpenError::Malformed(Malformed::Encoding)
    );
}
