//! Keys: loading from bytes and base64, derivation from a master secret, public ids, and secrets
//! that never reach `Debug` output.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use sealed_session::{KEY_ID_LEN, KEY_LEN, Key, KeyError, KeyId, KeyRing, MIN_MASTER_LEN};

/// Key bytes that encode differently in the two alphabets (0xfb 0xff give '+' '/' vs '-' '_'),
/// and whose decimal, hex and base64 forms are all distinctive.
fn sample_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, x) in b.iter_mut().enumerate() {
        *x = (i as u8).wrapping_mul(37).wrapping_add(0xfb);
    }
    b[0] = 0xfb;
    b[1] = 0xff;
    b[2] = 0xbf;
    b
}

#[test]
fn the_crate_constants_are_the_sizes_of_the_format() {
    assert_eq!(KEY_LEN, 32);
    assert_eq!(KEY_ID_LEN, 4);
    assert_eq!(MIN_MASTER_LEN, 32);
}

#[test]
fn from_bytes_accepts_exactly_32_bytes() {
    let key = Key::from_bytes(&sample_bytes()).unwrap();
    assert_eq!(*key.to_base64(), URL_SAFE_NO_PAD.encode(sample_bytes()));
}

#[test]
fn from_bytes_refuses_every_other_length() {
    for len in [0, 1, 16, 24, 31, 33, 48, 64, 1000] {
        assert_eq!(
            Key::from_bytes(&vec![7u8; len]).unwrap_err(),
            KeyError::InvalidLength { len },
            "{len} bytes"
        );
    }
}

#[test]
fn from_base64_accepts_both_alphabets_padded_or_not() {
    let bytes = sample_bytes();
    let expected = Key::from_bytes(&bytes).unwrap().id();
    let forms = [
        URL_SAFE_NO_PAD.encode(bytes),
        URL_SAFE.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        STANDARD.encode(bytes),
    ];
    assert!(forms[0].contains('-') && forms[0].contains('_'));
    assert!(forms[2].contains('+') && forms[2].contains('/'));
    assert!(forms[1].ends_with('=') && forms[3].ends_with('='));
    for text in &forms {
        let key = Key::from_base64(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(key.id(), expected, "{text}");
        assert_eq!(*key.to_base64(), forms[0]);
    }
}

#[test]
fn from_base64_ignores_surrounding_whitespace() {
    let bytes = sample_bytes();
    let expected = Key::from_bytes(&bytes).unwrap().id();
    let text = STANDARD.encode(bytes);
    for wrapped in [
        format!(" {text}"),
        format!("{text}\n"),
        format!("\t {text} \r\n"),
        format!("\n\n{text}\n\n"),
    ] {
        assert_eq!(
            Key::from_base64(&wrapped).unwrap().id(),
            expected,
            "{wrapped:?}"
        );
    }
}

#[test]
fn from_base64_refuses_text_that_is_not_base64() {
    let url = URL_SAFE_NO_PAD.encode(sample_bytes());
    let mixed = url.replacen('-', "+", 1); // both alphabets in one text
    assert!(mixed.contains('_') && mixed.contains('+'));
    for text in [
        "not base64!",
        "%%%%",
        "A",
        "====",
        mixed.as_str(),
        &format!("{}*", &url[..42]),
        &format!("{} {}", &url[..20], &url[20..]),
    ] {
        assert_eq!(
            Key::from_base64(text).unwrap_err(),
            KeyError::InvalidBase64,
            "{text:?}"
        );
    }
}

#[test]
fn from_base64_refuses_non_zero_trailing_bits_in_every_form() {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let bytes = sample_bytes();
    let lenient = GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent);
    for (engine, alphabet, lenient) in [
        (URL_SAFE_NO_PAD, &base64::alphabet::URL_SAFE, lenient),
        (URL_SAFE, &base64::alphabet::URL_SAFE, lenient),
        (STANDARD_NO_PAD, &base64::alphabet::STANDARD, lenient),
        (STANDARD, &base64::alphabet::STANDARD, lenient),
    ] {
        let text = engine.encode(bytes);
        // 32 bytes take 43 characters; the last one carries 2 bits no byte uses. Setting one
        // gives a text a lenient decoder reads as the same key.
        let chars = alphabet.as_str().as_bytes();
        let last = chars
            .iter()
            .position(|&c| c == text.as_bytes()[42])
            .unwrap();
        let altered = format!("{}{}{}", &text[..42], chars[last | 1] as char, &text[43..]);
        assert_eq!(
            GeneralPurpose::new(alphabet, lenient)
                .decode(&altered)
                .unwrap(),
            bytes
        );
        assert_eq!(
            Key::from_base64(&altered).unwrap_err(),
            KeyError::InvalidBase64,
            "{altered}"
        );
    }
}

#[test]
fn from_base64_of_the_wrong_number_of_bytes_is_an_invalid_length() {
    for len in [0, 16, 31, 33, 64] {
        let text = URL_SAFE_NO_PAD.encode(vec![9u8; len]);
        assert_eq!(
            Key::from_base64(&text).unwrap_err(),
            KeyError::InvalidLength { len },
            "{len} bytes"
        );
    }
}

#[test]
fn to_base64_round_trips_through_from_base64() {
    for _ in 0..20 {
        let key = Key::generate().unwrap();
        let text = key.to_base64();
        assert_eq!(text.len(), 43);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let again = Key::from_base64(&text).unwrap();
        assert_eq!(*again.to_base64(), *text);
        assert_eq!(again.id(), key.id());
    }
}

#[test]
fn generated_keys_differ() {
    let a = Key::generate().unwrap();
    let b = Key::generate().unwrap();
    assert_ne!(*a.to_base64(), *b.to_base64());
    assert_ne!(a.id(), b.id());
}

#[test]
fn derive_is_deterministic() {
    let master = [0x42u8; 32];
    let a = Key::derive(&master, "login 2026-11").unwrap();
    let b = Key::derive(&master, "login 2026-11").unwrap();
    assert_eq!(*a.to_base64(), *b.to_base64());
    assert_eq!(a.id(), b.id());
}

#[test]
fn derive_separates_labels() {
    let master = [0x42u8; 32];
    let labels = ["login", "csrf", "login ", "Login", "", "login\0"];
    let keys: Vec<String> = labels
        .iter()
        .map(|l| Key::derive(&master, l).unwrap().to_base64().to_string())
        .collect();
    for i in 0..keys.len() {
        for j in i + 1..keys.len() {
            assert_ne!(keys[i], keys[j], "{:?} vs {:?}", labels[i], labels[j]);
        }
    }
}

#[test]
fn derive_separates_masters() {
    let a = Key::derive(&[1u8; 32], "login").unwrap();
    let b = Key::derive(&[2u8; 32], "login").unwrap();
    let longer = Key::derive(&[1u8; 33], "login").unwrap();
    assert_ne!(*a.to_base64(), *b.to_base64());
    assert_ne!(*a.to_base64(), *longer.to_base64());
}

#[test]
fn a_derived_key_is_not_the_master_itself() {
    let master = sample_bytes();
    let derived = Key::derive(&master, "").unwrap();
    assert_ne!(*derived.to_base64(), URL_SAFE_NO_PAD.encode(master));
}

#[test]
fn derive_refuses_a_master_shorter_than_32_bytes() {
    for len in [0, 1, 16, 31] {
        assert_eq!(
            Key::derive(&vec![1u8; len], "login").unwrap_err(),
            KeyError::MasterTooShort { len, min: 32 },
            "{len} bytes"
        );
    }
    assert!(Key::derive(&[1u8; 32], "login").is_ok());
    assert!(Key::derive(&[1u8; 1000], "login").is_ok());
}

#[test]
fn derive_matches_the_hkdf_construction_of_format_md() {
    // FORMAT.md test vector 3: master 0x42 * 32, label "vector 3 key".
    let key = Key::derive(&[0x42u8; 32], "vector 3 key").unwrap();
    let expected = "4e82d1d3e003d8d56544f6bba1b5272e3a49ac3c2ae446d766ccbc17ec6f9347";
    let bytes = URL_SAFE_NO_PAD.decode(key.to_base64().as_bytes()).unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, expected);
    assert_eq!(key.id().to_string(), "bc3c575e");
}

/// Every textual form of `bytes` that a careless `Debug` might print.
fn leaked_forms(bytes: &[u8]) -> Vec<String> {
    let lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let decimal = format!("{bytes:?}");
    let decimal_prefix = decimal[..decimal.len().min(24)].to_string();
    vec![
        lower.clone(),
        lower[..16].to_string(),
        lower.to_uppercase(),
        URL_SAFE_NO_PAD.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes)[..16].to_string(),
        STANDARD.encode(bytes),
        STANDARD.encode(bytes)[..16].to_string(),
        decimal,
        decimal_prefix,
        bytes
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(","),
        format!("{:#?}", bytes)[..30].to_string(),
    ]
}

#[test]
fn debug_of_a_key_never_shows_its_bytes() {
    let bytes = sample_bytes();
    let key = Key::from_bytes(&bytes).unwrap();
    for shown in [format!("{key:?}"), format!("{key:#?}")] {
        for form in leaked_forms(&bytes) {
            assert!(!shown.contains(&form), "Debug {shown:?} contains {form:?}");
        }
        assert!(
            shown.contains(&key.id().to_string()),
            "the public id is shown: {shown}"
        );
    }
}

#[test]
fn debug_of_a_key_ring_never_shows_key_bytes() {
    let bytes = sample_bytes();
    let ring = KeyRing::new(Key::from_bytes(&bytes).unwrap());
    let shown = format!("{ring:?} {ring:#?}");
    for form in leaked_forms(&bytes) {
        assert!(!shown.contains(&form), "Debug {shown:?} contains {form:?}");
    }
}

#[test]
fn debug_of_a_sealer_never_shows_key_bytes() {
    let bytes = sample_bytes();
    let ring = KeyRing::new(Key::from_bytes(&bytes).unwrap());
    let sealer = sealed_session::Sealer::builder(ring, "session")
        .build()
        .unwrap();
    let shown = format!("{sealer:?} {sealer:#?}");
    for form in leaked_forms(&bytes) {
        assert!(!shown.contains(&form), "Debug {shown:?} contains {form:?}");
    }
}

#[test]
fn equal_keys_have_equal_ids() {
    let a = Key::from_bytes(&sample_bytes()).unwrap();
    let b = Key::from_bytes(&sample_bytes()).unwrap();
    assert_eq!(a.id(), b.id());
    assert_eq!(a.clone().id(), a.id());
}

#[test]
fn different_keys_have_different_ids() {
    let mut ids = std::collections::HashSet::new();
    for i in 0..=255u8 {
        let mut bytes = [0u8; 32];
        bytes[31] = i;
        assert!(ids.insert(Key::from_bytes(&bytes).unwrap().id()), "key {i}");
    }
    // One bit of difference is enough.
    let mut flipped = sample_bytes();
    flipped[0] ^= 1;
    assert_ne!(
        Key::from_bytes(&flipped).unwrap().id(),
        Key::from_bytes(&sample_bytes()).unwrap().id()
    );
}

#[test]
fn a_key_id_is_not_a_prefix_of_the_key() {
    let bytes = sample_bytes();
    let id = Key::from_bytes(&bytes).unwrap().id();
    assert_ne!(id.to_bytes(), bytes[..4]);
}

#[test]
fn key_ids_display_as_eight_lowercase_hex_digits_and_round_trip_through_bytes() {
    let id = KeyId::from_bytes([0xde, 0xad, 0x01, 0xef]);
    assert_eq!(id.to_string(), "dead01ef");
    assert_eq!(format!("{id:?}"), "KeyId(dead01ef)");
    assert_eq!(KeyId::from_bytes(id.to_bytes()), id);
    let generated = Key::generate().unwrap().id();
    let shown = generated.to_string();
    assert_eq!(shown.len(), 8);
    assert!(
        shown
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
}

#[test]
fn debug_of_a_sealed_value_does_not_contain_the_value() {
    let f = common::sealer::fixture();
    let sealed = f.sealer.seal(&common::sealer::session()).unwrap();
    for shown in [format!("{sealed:?}"), format!("{sealed:#?}")] {
        assert!(!shown.contains(sealed.value()), "{shown}");
        for window in sealed.value().as_bytes().windows(12) {
            let window = std::str::from_utf8(window).unwrap();
            assert!(!shown.contains(window), "{shown} contains {window}");
        }
    }
}

mod key_list {
    use sealed_session::{Key, KeyError, KeyListError, KeyRing};

    fn b64(key: &Key) -> String {
        key.to_base64().as_str().to_owned()
    }

    #[test]
    fn the_first_key_of_a_list_seals_and_every_key_opens() {
        let keys: Vec<Key> = (0..3).map(|_| Key::generate().unwrap()).collect();
        let list = format!("{}\n  {},{}", b64(&keys[0]), b64(&keys[1]), b64(&keys[2]));
        let ring = KeyRing::from_key_list(&list).unwrap();
        assert_eq!(ring.primary_id(), keys[0].id());
        assert_eq!(ring.key_ids(), keys.iter().map(Key::id).collect::<Vec<_>>());
    }

    #[test]
    fn a_list_of_20000_keys_loads_every_key_in_order() {
        // Key ids are 32 bits: 20,000 random keys share one about one time in twenty (a
        // duplicate id is refused), so draw until the ids are distinct.
        let mut seen = std::collections::HashSet::new();
        let keys: Vec<Key> = std::iter::repeat_with(|| Key::generate().unwrap())
            .filter(|k| seen.insert(k.id()))
            .take(20_000)
            .collect();
        let list: Vec<String> = keys.iter().map(b64).collect();
        let ring = KeyRing::from_key_list(&list.join(",")).unwrap();
        assert_eq!(ring.primary_id(), keys[0].id());
        assert_eq!(ring.key_ids(), keys.iter().map(Key::id).collect::<Vec<_>>());
    }

    #[test]
    fn a_bad_list_is_refused_naming_the_entry_never_its_text() {
        let good = b64(&Key::generate().unwrap());
        assert_eq!(
            KeyRing::from_key_list(" ,\n").unwrap_err(),
            KeyListError::Empty
        );
        let error = KeyRing::from_key_list(&format!("{good},c2hvcnQ")).unwrap_err();
        assert_eq!(
            error,
            KeyListError::Key {
                position: 2,
                error: KeyError::InvalidLength { len: 5 }
            }
        );
        assert!(!error.to_string().contains("c2hvcnQ"));
        assert_eq!(
            KeyRing::from_key_list(&format!("{good} {good}")).unwrap_err(),
            KeyListError::DuplicateKeyId { position: 2 }
        );
    }
}
