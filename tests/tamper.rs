//! Any change to a sealed value is refused with a typed error, and never with a panic: every bit
//! flip of the bytes and of the text, every truncation, any extension, and any splice of two values.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::sealer::{KEY_ID, NONCE, TAG_LEN, VERSION_AT, decode, encode, fixture};
use sealed_session::{KeyId, Malformed, OpenError, Sealer, Suite};

/// A short state, so that the exhaustive loops below stay fast while covering every bit.
const STATE: u8 = 0x5a;

fn open(sealer: &Sealer, value: &str) -> Result<u8, OpenError> {
    sealer.open::<u8>(value).map(|o| o.state)
}

/// What FORMAT.md says opening `text` must give when it is not the untouched sealed value:
/// length, then encoding, then version, then key id, then authentication.
fn expected_rejection(text: &str, sealer: &Sealer) -> OpenError {
    if text.len() > sealer.max_value_len() {
        return OpenError::Oversized {
            len: text.len(),
            max: sealer.max_value_len(),
        };
    }
    if text.len() < common::sealer::base64_len(common::sealer::MIN_SEALED_LEN) {
        return OpenError::Malformed(Malformed::TooShort);
    }
    let Ok(raw) = URL_SAFE_NO_PAD.decode(text) else {
        return OpenError::Malformed(Malformed::Encoding);
    };
    let suite = Suite::from_version(raw[VERSION_AT]);
    if !suite.is_some_and(Suite::is_sealed) {
        return OpenError::UnsupportedVersion(raw[VERSION_AT]);
    }
    if suite == Some(Suite::Xaes256Gcm) && raw.len() < 48 {
        return OpenError::Malformed(Malformed::TooShort);
    }
    let id = KeyId::from_bytes(raw[KEY_ID].try_into().unwrap());
    if !sealer.key_ring().contains(id) {
        return OpenError::UnknownKey(id);
    }
    OpenError::Authentication
}

#[test]
fn the_untouched_value_opens() {
    let f = fixture();
    let sealed = f.sealer.seal(&STATE).unwrap();
    assert_eq!(open(&f.sealer, sealed.value()), Ok(STATE));
}

#[test]
fn every_bit_flip_of_the_version_byte_is_unsupported_or_unauthentic() {
    let f = fixture();
    let raw = decode(f.sealer.seal(&STATE).unwrap().value());
    for bit in 0..8 {
        let mut bad = raw.clone();
        bad[VERSION_AT] ^= 1 << bit;
        let err = open(&f.sealer, &encode(&bad)).unwrap_err();
        // Bits 4 to 6 are flags (identity, creation millisecond), which are authenticated, so
        // those fail authentication; bit 1 (0x03) and every other flip name no sealed suite.
        let expected = if (4..=6).contains(&bit) {
            OpenError::Authentication
        } else {
            OpenError::UnsupportedVersion(bad[VERSION_AT])
        };
        assert_eq!(err, expected, "bit {bit}");
    }
}

#[test]
fn every_bit_flip_of_the_key_id_is_an_unknown_key_naming_the_flipped_id() {
    let f = fixture();
    let raw = decode(f.sealer.seal(&STATE).unwrap().value());
    for byte in KEY_ID {
        for bit in 0..8 {
            let mut bad = raw.clone();
            bad[byte] ^= 1 << bit;
            let flipped = KeyId::from_bytes(bad[KEY_ID].try_into().unwrap());
            let err = open(&f.sealer, &encode(&bad)).unwrap_err();
            // The ring holds one key, so the flipped id cannot name another key of it.
            assert_eq!(err, OpenError::UnknownKey(flipped), "byte {byte} bit {bit}");
        }
    }
}

#[test]
fn every_bit_flip_of_the_nonce_ciphertext_and_tag_fails_authentication() {
    let f = fixture();
    let raw = decode(f.sealer.seal(&STATE).unwrap().value());
    assert!(raw.len() < 48, "keep the value short: {} bytes", raw.len());
    for byte in NONCE.start..raw.len() {
        for bit in 0..8 {
            let mut bad = raw.clone();
            bad[byte] ^= 1 << bit;
            let err = open(&f.sealer, &encode(&bad)).unwrap_err();
            assert_eq!(err, OpenError::Authentication, "byte {byte} bit {bit}");
        }
    }
}

#[test]
fn every_bit_flip_of_the_text_is_refused_with_the_error_of_what_it_decodes_to() {
    let f = fixture();
    let value = f.sealer.seal(&STATE).unwrap().into_value();
    let mut families = [0usize; 4];
    for i in 0..value.len() {
        for bit in 0..8 {
            let mut bytes = value.clone().into_bytes();
            bytes[i] ^= 1 << bit;
            let Ok(text) = String::from_utf8(bytes) else {
                // Setting bit 7 of an ASCII character is not UTF-8: it cannot reach `open` as &str.
                assert_eq!(bit, 7, "char {i} bit {bit}");
                continue;
            };
            let err = open(&f.sealer, &text).unwrap_err();
            assert_eq!(
                err,
                expected_rejection(&text, &f.sealer),
                "char {i} bit {bit}"
            );
            families[match err {
                OpenError::Malformed(Malformed::Encoding) => 0,
                // A flip to XAES's version byte asks for XAES's longer minimum.
                OpenError::UnsupportedVersion(_) | OpenError::Malformed(Malformed::TooShort) => 1,
                OpenError::UnknownKey(_) => 2,
                OpenError::Authentication => 3,
                other => panic!("char {i} bit {bit}: unexpected {other:?}"),
            }] += 1;
        }
    }
    assert!(
        families.iter().all(|&n| n > 0),
        "every family was seen: {families:?}"
    );
}

#[test]
fn a_change_to_only_the_unused_trailing_bits_of_the_last_character_is_an_encoding_error() {
    let f = fixture();
    // Find a value whose byte length leaves unused bits in its last character.
    let (value, raw) = (0..3u8)
        .map(|n| {
            let v = f
                .sealer
                .seal(&vec![STATE; n as usize])
                .unwrap()
                .into_value();
            let raw = decode(&v);
            (v, raw)
        })
        .find(|(_, raw)| raw.len() % 3 != 0)
        .unwrap();
    let unused_bits = if raw.len() % 3 == 1 { 4 } else { 2 };
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = value.as_bytes()[value.len() - 1];
    let sextet = ALPHABET.iter().position(|&c| c == last).unwrap();
    for bit in 0..unused_bits {
        let mut bad = value.clone().into_bytes();
        *bad.last_mut().unwrap() = ALPHABET[sextet ^ (1 << bit)];
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(
            open(&f.sealer, &bad),
            Err(OpenError::Malformed(Malformed::Encoding)),
            "trailing bit {bit}"
        );
    }
}

#[test]
fn every_truncation_of_the_text_is_refused_with_a_typed_error() {
    let f = fixture();
    let value = f.sealer.seal(&STATE).unwrap().into_value();
    let mut seen_auth = false;
    for len in 0..value.len() {
        let prefix = &value[..len];
        let err = open(&f.sealer, prefix).unwrap_err();
        let expected = expected_rejection(prefix, &f.sealer);
        assert_eq!(err, expected, "prefix of {len} chars");
        match len {
            0..48 => assert_eq!(err, OpenError::Malformed(Malformed::TooShort), "len {len}"),
            _ if len % 4 == 1 => {
                assert_eq!(err, OpenError::Malformed(Malformed::Encoding), "len {len}");
            }
            _ => seen_auth |= err == OpenError::Authentication,
        }
    }
    assert!(seen_auth, "some prefix decoded and reached authentication");
}

#[test]
fn every_truncation_of_the_bytes_is_refused_as_too_short_or_unauthentic() {
    let f = fixture();
    let raw = decode(f.sealer.seal(&STATE).unwrap().value());
    for len in 0..raw.len() {
        let err = open(&f.sealer, &encode(&raw[..len])).unwrap_err();
        if len < common::sealer::MIN_SEALED_LEN {
            assert_eq!(
                err,
                OpenError::Malformed(Malformed::TooShort),
                "{len} bytes"
            );
        } else {
            assert_eq!(err, OpenError::Authentication, "{len} bytes");
        }
    }
}

#[test]
fn appending_bytes_fails_authentication() {
    let f = fixture();
    let raw = decode(f.sealer.seal(&STATE).unwrap().value());
    for extra in 1..=(2 * TAG_LEN) {
        for fill in [0x00, 0xff] {
            let mut longer = raw.clone();
            longer.resize(raw.len() + extra, fill);
            let err = open(&f.sealer, &encode(&longer)).unwrap_err();
            assert_eq!(
                err,
                OpenError::Authentication,
                "+{extra} bytes of {fill:#x}"
            );
        }
    }
}

#[test]
fn appending_characters_is_refused() {
    let f = fixture();
    let value = f.sealer.seal(&STATE).unwrap().into_value();
    for suffix in [
        "A", "AA", "AAA", "AAAA", "_", "-w", "=", "==", " ", "\n", "é", ".",
    ] {
        let text = format!("{value}{suffix}");
        let err = open(&f.sealer, &text).unwrap_err();
        assert_eq!(
            err,
            expected_rejection(&text, &f.sealer),
            "suffix {suffix:?}"
        );
    }
}

#[test]
fn swapping_the_nonces_of_two_values_fails_authentication_for_both() {
    let f = fixture();
    let mut a = decode(f.sealer.seal(&STATE).unwrap().value());
    let mut b = decode(f.sealer.seal(&STATE).unwrap().value());
    assert_ne!(a[NONCE], b[NONCE]);
    let nonce_a = a[NONCE].to_vec();
    a[NONCE].copy_from_slice(&b[NONCE]);
    b[NONCE].copy_from_slice(&nonce_a);
    assert_eq!(open(&f.sealer, &encode(&a)), Err(OpenError::Authentication));
    assert_eq!(open(&f.sealer, &encode(&b)), Err(OpenError::Authentication));
}

#[test]
fn swapping_the_tags_of_two_values_fails_authentication_for_both() {
    let f = fixture();
    let mut a = decode(f.sealer.seal(&STATE).unwrap().value());
    let mut b = decode(f.sealer.seal(&STATE).unwrap().value());
    let (ta, tb) = (a.len() - TAG_LEN, b.len() - TAG_LEN);
    let tag_a = a[ta..].to_vec();
    a[ta..].copy_from_slice(&b[tb..]);
    b[tb..].copy_from_slice(&tag_a);
    assert_eq!(open(&f.sealer, &encode(&a)), Err(OpenError::Authentication));
    assert_eq!(open(&f.sealer, &encode(&b)), Err(OpenError::Authentication));
}

#[test]
fn splicing_the_ciphertext_of_one_value_into_another_fails_authentication() {
    let f = fixture();
    let a = decode(f.sealer.seal(&1u8).unwrap().value());
    let b = decode(f.sealer.seal(&2u8).unwrap().value());
    assert_eq!(a.len(), b.len());
    let body = NONCE.end..a.len() - TAG_LEN;
    let mut spliced = a.clone();
    spliced[body.clone()].copy_from_slice(&b[body]);
    assert_eq!(
        open(&f.sealer, &encode(&spliced)),
        Err(OpenError::Authentication)
    );
}

#[test]
fn a_value_with_its_tag_zeroed_fails_authentication() {
    let f = fixture();
    let mut raw = decode(f.sealer.seal(&STATE).unwrap().value());
    let at = raw.len() - TAG_LEN;
    raw[at..].fill(0);
    assert_eq!(
        open(&f.sealer, &encode(&raw)),
        Err(OpenError::Authentication)
    );
}
