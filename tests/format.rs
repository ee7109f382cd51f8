//! FORMAT.md, version 1, checked from outside the crate: an independent implementation of the
//! format (HKDF-SHA256, AES-256-GCM, LEB128 stamps, postcard payload) reads what the crate seals,
//! reproduces the published test vectors byte for byte, and forges values that only a key holder
//! could make, to check what the crate does with them after authentication.

mod common;

use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use common::sealer::{KEY_ID, NONCE, Session, T0, TAG_LEN, decode, encode, secs, session};
use hkdf::Hkdf;
use sealed_session::{
    Key, KeyRing, Lifetime, Malformed, ManualClock, OpenError, RenewalReason, Sealer,
};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use sha2::Sha256;

const IDLE: u64 = 600;
const ABSOLUTE: u64 = 3600;
const LEEWAY: u64 = 60;

// ---- The format, written again from FORMAT.md ----------------------------------------------

fn hkdf_expand(key: &[u8; 32], info: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    Hkdf::<Sha256>::from_prk(key)
        .unwrap()
        .expand(info, &mut out)
        .unwrap();
    out
}

fn key_id(key: &[u8; 32]) -> [u8; 4] {
    hkdf_expand(key, b"sealed-session key id", 4)
        .try_into()
        .unwrap()
}

fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new_from_slice(&hkdf_expand(key, b"sealed-session v1 aes-256-gcm", 32)).unwrap()
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

/// Reads one LEB128 number (the crate's own reader is stricter; this one reads what it wrote).
fn take_varint(input: &[u8]) -> (u64, &[u8]) {
    let mut v = 0u64;
    for (i, &b) in input.iter().enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (v, &input[i + 1..]);
        }
    }
    panic!("truncated varint");
}

fn aad(id: [u8; 4], name: &str, purpose: &str) -> Vec<u8> {
    let mut out = vec![1u8];
    out.extend_from_slice(&id);
    out.extend(varint(name.len() as u64));
    out.extend_from_slice(name.as_bytes());
    out.extend(varint(purpose.len() as u64));
    out.extend_from_slice(purpose.as_bytes());
    out
}

fn stamps(created: u64, issued: u64, expires: u64) -> Vec<u8> {
    let mut out = varint(created);
    out.extend(varint(issued - created));
    out.extend(varint(expires - issued));
    out
}

/// Seals `plaintext` under `key` but writes `header_id` in the header (and in the associated data).
fn forge(
    key: &[u8; 32],
    header_id: [u8; 4],
    nonce: [u8; 12],
    name: &str,
    purpose: &str,
    plaintext: &[u8],
) -> String {
    let mut body = plaintext.to_vec();
    let tag = cipher(key)
        .encrypt_inout_detached(
            &nonce.into(),
            &aad(header_id, name, purpose),
            body.as_mut_slice().into(),
        )
        .unwrap();
    let mut raw = vec![1u8];
    raw.extend_from_slice(&header_id);
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&body);
    raw.extend_from_slice(&tag);
    encode(&raw)
}

/// Decrypts a value with the FORMAT.md construction and returns the plaintext.
fn unseal(key: &[u8; 32], name: &str, purpose: &str, value: &str) -> Vec<u8> {
    let raw = decode(value);
    assert_eq!(raw[0], 1, "version");
    let id: [u8; 4] = raw[KEY_ID].try_into().unwrap();
    assert_eq!(id, key_id(key), "key id");
    let nonce: [u8; 12] = raw[NONCE].try_into().unwrap();
    let tag: [u8; 16] = raw[raw.len() - TAG_LEN..].try_into().unwrap();
    let mut body = raw[NONCE.end..raw.len() - TAG_LEN].to_vec();
    cipher(key)
        .decrypt_inout_detached(
            &nonce.into(),
            &aad(id, name, purpose),
            body.as_mut_slice().into(),
            &tag.into(),
        )
        .expect("authentic under the FORMAT.md construction");
    body
}

// ---- Fixtures --------------------------------------------------------------------------------

struct Forger {
    key: [u8; 32],
    sealer: Sealer,
    clock: ManualClock,
}

impl Forger {
    fn new() -> Self {
        let key: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(101) ^ 0x5c);
        let clock = ManualClock::new(T0);
        let ring = KeyRing::new(Key::from_bytes(&key).unwrap());
        let sealer = common::sealer::builder(&ring, &clock)
            .idle_timeout(secs(IDLE))
            .absolute_lifetime(secs(ABSOLUTE))
            .leeway(secs(LEEWAY))
            .build()
            .unwrap();
        Self { key, sealer, clock }
    }

    /// A value the crate's key really sealed, with any plaintext.
    fn forge(&self, plaintext: &[u8]) -> String {
        forge(
            &self.key,
            key_id(&self.key),
            [7u8; 12],
            common::sealer::NAME,
            "session",
            plaintext,
        )
    }

    fn forge_stamped<T: Serialize>(
        &self,
        created: u64,
        issued: u64,
        expires: u64,
        state: &T,
    ) -> String {
        let mut plaintext = stamps(created, issued, expires);
        plaintext.extend(postcard::to_allocvec(state).unwrap());
        self.forge(&plaintext)
    }

    fn open(&self, value: &str) -> Result<u32, OpenError> {
        self.sealer.open::<u32>(value).map(|o| o.state)
    }
}

// ---- What the crate writes -------------------------------------------------------------------

#[test]
fn the_key_id_is_hkdf_expand_of_the_key_with_the_key_id_label() {
    let f = Forger::new();
    assert_eq!(
        Key::from_bytes(&f.key).unwrap().id().to_bytes(),
        key_id(&f.key)
    );
}

#[test]
fn a_sealed_value_is_version_key_id_nonce_ciphertext_and_tag() {
    let f = Forger::new();
    let sealed = f.sealer.seal(&session()).unwrap();
    let raw = decode(sealed.value());
    let payload = postcard::to_allocvec(&session()).unwrap();
    assert_eq!(raw[0], 1);
    assert_eq!(raw[KEY_ID], key_id(&f.key));
    assert_eq!(raw.len(), 1 + 4 + 12 + 8 + payload.len() + 16);
}

#[test]
fn the_plaintext_is_three_varint_stamps_then_the_postcard_payload() {
    let f = Forger::new();
    let sealed = f.sealer.seal(&session()).unwrap();
    let plaintext = unseal(&f.key, common::sealer::NAME, "session", sealed.value());
    let (created, rest) = take_varint(&plaintext);
    let (issued_delta, rest) = take_varint(rest);
    let (expires_delta, payload) = take_varint(rest);
    assert_eq!(created, sealed.stamps().created());
    assert_eq!(created + issued_delta, sealed.stamps().issued());
    assert_eq!(
        created + issued_delta + expires_delta,
        sealed.stamps().expires()
    );
    assert_eq!((created, issued_delta, expires_delta), (T0, 0, IDLE));
    assert_eq!(payload, postcard::to_allocvec(&session()).unwrap());
}

#[test]
fn the_associated_data_carries_length_prefixed_name_and_purpose() {
    let key = [9u8; 32];
    let clock = ManualClock::new(T0);
    let sealer = Sealer::builder(KeyRing::new(Key::from_bytes(&key).unwrap()), "__Host-id")
        .purpose("login")
        .clock(clock)
        .build()
        .unwrap();
    let value = sealer.seal(&1u32).unwrap().into_value();
    // Decrypting with FORMAT.md's associated data succeeds (inside `unseal`).
    let plaintext = unseal(&key, "__Host-id", "login", &value);
    assert_eq!(plaintext.last(), Some(&1));
}

// ---- The published test vectors ---------------------------------------------------------------

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

struct Vector {
    key: &'static str,
    nonce: &'static str,
    name: String,
    purpose: &'static str,
    idle: u64,
    absolute: u64,
    created: u64,
    issued: u64,
    expires: u64,
    payload: Vec<u8>,
    value: &'static str,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Vector2 {
    user_id: u64,
    roles: Vec<String>,
}

fn vectors() -> [Vector; 4] {
    [
        Vector {
            key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            nonce: "000102030405060708090a0b",
            name: "session".into(),
            purpose: "session",
            idle: 1800,
            absolute: 28800,
            created: 1_800_000_000,
            issued: 1_800_000_000,
            expires: 1_800_001_800,
            payload: postcard::to_allocvec("alice").unwrap(),
            value: "AYeAnEwAAQIDBAUGBwgJCgu0mWw6Uhb9AMusOBQ7rC9ALecq9QYdEaYN3Jdwax8",
        },
        Vector {
            key: "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100",
            nonce: "cafebabedeadbeef00112233",
            name: "__Host-id".into(),
            purpose: "login",
            idle: 1800,
            absolute: 28800,
            created: 1_800_000_000,
            issued: 1_800_003_600,
            expires: 1_800_005_400,
            payload: postcard::to_allocvec(&Vector2 {
                user_id: 42,
                roles: vec!["admin".into(), "dev".into()],
            })
            .unwrap(),
            value: "AdiDG-fK_rq-3q2-7wARIjNKuSV9oOXlB8k2hAL9Zlw1k2vCGxDZnTXfMK4OOkDIytkwrl9G",
        },
        Vector {
            key: "4e82d1d3e003d8d56544f6bba1b5272e3a49ac3c2ae446d766ccbc17ec6f9347",
            nonce: "ffffffffffffffffffffffff",
            name: "a".into(),
            purpose: "",
            idle: 86400,
            absolute: 86400,
            created: 1_800_000_000,
            issued: 1_800_000_000,
            expires: 1_800_086_400,
            payload: Vec::new(),
            value: "Abw8V17_______________8Xz0ydCCaqACmrsZrNBQxWwQe2jttva0PG",
        },
        Vector {
            key: "0000000000000000000000000000000000000000000000000000000000000000",
            nonce: "000000000000000000000001",
            name: "n".repeat(130),
            purpose: "p",
            idle: 600,
            absolute: 3600,
            created: 1_800_000_000,
            issued: 1_800_003_300,
            expires: 1_800_003_600,
            payload: postcard::to_allocvec(&ByteBuf::from((0..200u8).collect::<Vec<u8>>()))
                .unwrap(),
            value: concat!(
                "ASlaEt4AAAAAAAAAAAAAAAHZGTecIolP-0TTJSyzKeCnpBBaKiGpI9CiRJ3PJqnrDd8pguXd6kOwNxgUnOkE8d2rduJXiECG",
                "4EeX4UCkyG6HzgF-REy7mIrcADB-3AAGPV4Q6E9AtZDdDmXVu4u6vGaw6vfkuwL5F05hwGTPpBcxqRq2WHg-J-LAykvIO95T",
                "R1ByV3A2FefqV_R3aeKD0uRMa7hm3zFIWKGJkFT-znrNkDigbpx45nzJ3k0hLEqpFk2Oh3ZQ-2mwT977DshYRCA1Hnt2VDxg",
                "35CukdKN_X30PG_sG8lbCQ4MOeUsaLx7pcD1cw",
            ),
        },
    ]
}

fn vector_sealer(v: &Vector) -> Sealer {
    let key: [u8; 32] = hex(v.key).try_into().unwrap();
    Sealer::builder(KeyRing::new(Key::from_bytes(&key).unwrap()), &v.name)
        .purpose(v.purpose)
        .idle_timeout(secs(v.idle))
        .absolute_lifetime(secs(v.absolute))
        .clock(ManualClock::new(v.issued))
        .build()
        .unwrap()
}

#[test]
fn the_independent_implementation_reproduces_every_test_vector() {
    for (i, v) in vectors().iter().enumerate() {
        let key: [u8; 32] = hex(v.key).try_into().unwrap();
        let mut plaintext = stamps(v.created, v.issued, v.expires);
        plaintext.extend_from_slice(&v.payload);
        let nonce: [u8; 12] = hex(v.nonce).try_into().unwrap();
        let value = forge(&key, key_id(&key), nonce, &v.name, v.purpose, &plaintext);
        assert_eq!(value, v.value, "vector {}", i + 1);
    }
}

#[test]
fn every_test_vector_opens_to_its_published_state_and_stamps() {
    for (i, v) in vectors().iter().enumerate() {
        let sealer = vector_sealer(v);
        let stamps = match i {
            0 => {
                let o = sealer.open::<String>(v.value).unwrap();
                assert_eq!(o.state, "alice");
                o.stamps
            }
            1 => {
                let o = sealer.open::<Vector2>(v.value).unwrap();
                let roles = vec!["admin".to_owned(), "dev".to_owned()];
                assert_eq!(o.state, Vector2 { user_id: 42, roles });
                o.stamps
            }
            2 => sealer.open::<()>(v.value).unwrap().stamps,
            _ => {
                let o = sealer.open::<ByteBuf>(v.value).unwrap();
                assert_eq!(o.state.into_vec(), (0..200u8).collect::<Vec<u8>>());
                o.stamps
            }
        };
        assert_eq!(
            (stamps.created(), stamps.issued(), stamps.expires()),
            (v.created, v.issued, v.expires),
            "vector {}",
            i + 1
        );
        assert_eq!(
            common::sealer::key_id_of(v.value),
            sealer.key_ring().primary_id()
        );
    }
}

#[test]
fn a_test_vector_is_refused_under_any_other_name_or_purpose() {
    let vs = vectors();
    let v = &vs[1];
    let key = Key::from_bytes(&hex(v.key)).unwrap();
    for (name, purpose) in [
        ("__Host-id", "Login"),
        ("__host-id", "login"),
        ("id", "login"),
    ] {
        let sealer = Sealer::builder(KeyRing::new(key.clone()), name)
            .purpose(purpose)
            .clock(ManualClock::new(v.issued))
            .build()
            .unwrap();
        assert_eq!(
            sealer.open::<Vector2>(v.value).unwrap_err(),
            OpenError::Authentication,
            "{name} / {purpose}"
        );
    }
}

// ---- Forged values: only a key holder can make these ------------------------------------------

#[test]
fn a_value_forged_with_the_right_key_opens() {
    let f = Forger::new();
    let value = f.forge_stamped(T0, T0, T0 + IDLE, &77u32);
    assert_eq!(f.open(&value), Ok(77));
}

#[test]
fn a_value_sealed_with_another_key_under_the_rings_key_id_fails_authentication() {
    let f = Forger::new();
    let other = [0xeeu8; 32];
    let mut plaintext = stamps(T0, T0, T0 + IDLE);
    plaintext.extend(postcard::to_allocvec(&1u32).unwrap());
    let value = forge(
        &other,
        key_id(&f.key),
        [1u8; 12],
        common::sealer::NAME,
        "session",
        &plaintext,
    );
    assert_eq!(f.open(&value), Err(OpenError::Authentication));
}

#[test]
fn associated_data_without_length_prefixes_fails_authentication() {
    let f = Forger::new();
    let mut plaintext = stamps(T0, T0, T0 + IDLE);
    plaintext.extend(postcard::to_allocvec(&1u32).unwrap());
    let mut body = plaintext.clone();
    let id = key_id(&f.key);
    let mut bare_aad = vec![1u8];
    bare_aad.extend_from_slice(&id);
    bare_aad.extend_from_slice(b"sessionsession");
    let nonce = [3u8; 12];
    let tag = cipher(&f.key)
        .encrypt_inout_detached(&nonce.into(), &bare_aad, body.as_mut_slice().into())
        .unwrap();
    let mut raw = vec![1u8];
    raw.extend_from_slice(&id);
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&body);
    raw.extend_from_slice(&tag);
    assert_eq!(f.open(&encode(&raw)), Err(OpenError::Authentication));
}

#[test]
fn truncated_stamps_behind_a_valid_tag_are_malformed() {
    let f = Forger::new();
    for plaintext in [
        vec![0x80, 0x80, 0x80],
        vec![0x80, 0x80, 0x80, 0x80, 0x80],
        vec![0x01, 0x01, 0x80],
        vec![0xff; 12],
    ] {
        assert_eq!(
            f.open(&f.forge(&plaintext)),
            Err(OpenError::Malformed(Malformed::Stamps)),
            "{plaintext:02x?}"
        );
    }
}

#[test]
fn non_minimal_varint_stamps_are_malformed() {
    let f = Forger::new();
    let mut created_padded = varint(T0);
    *created_padded.last_mut().unwrap() |= 0x80;
    created_padded.push(0x00); // the same number with a redundant zero group
    let mut plaintext = created_padded;
    plaintext.extend([0x00, 0x00]);
    plaintext.extend(postcard::to_allocvec(&1u32).unwrap());
    assert_eq!(
        f.open(&f.forge(&plaintext)),
        Err(OpenError::Malformed(Malformed::Stamps))
    );
    // A delta of zero written in two bytes.
    let mut plaintext = varint(T0);
    plaintext.extend([0x80, 0x00, 0x00]);
    assert_eq!(
        f.open(&f.forge(&plaintext)),
        Err(OpenError::Malformed(Malformed::Stamps))
    );
}

#[test]
fn varints_longer_than_64_bits_are_malformed() {
    let f = Forger::new();
    // Ten bytes whose last carries more than bit 63.
    let mut over = vec![0xff; 9];
    over.push(0x02);
    over.extend([0x00, 0x00]);
    assert_eq!(
        f.open(&f.forge(&over)),
        Err(OpenError::Malformed(Malformed::Stamps))
    );
    // Eleven bytes.
    let mut eleven = vec![0x80; 10];
    eleven.push(0x01);
    eleven.extend([0x00, 0x00]);
    assert_eq!(
        f.open(&f.forge(&eleven)),
        Err(OpenError::Malformed(Malformed::Stamps))
    );
}

#[test]
fn stamps_whose_sums_overflow_are_malformed() {
    let f = Forger::new();
    let mut plaintext = varint(u64::MAX);
    plaintext.extend(varint(1));
    plaintext.extend(varint(0));
    assert_eq!(
        f.open(&f.forge(&plaintext)),
        Err(OpenError::Malformed(Malformed::Stamps))
    );
    let mut plaintext = varint(u64::MAX - 5);
    plaintext.extend(varint(5));
    plaintext.extend(varint(1));
    assert_eq!(
        f.open(&f.forge(&plaintext)),
        Err(OpenError::Malformed(Malformed::Stamps))
    );
}

#[test]
fn a_value_with_fewer_than_three_plaintext_bytes_is_too_short_even_if_authentic() {
    let f = Forger::new();
    for len in 0..3 {
        assert_eq!(
            f.open(&f.forge(&vec![0u8; len])),
            Err(OpenError::Malformed(Malformed::TooShort)),
            "{len} bytes of plaintext"
        );
    }
}

#[test]
fn a_stamped_expiry_beyond_the_idle_timeout_is_capped_by_the_policy() {
    let f = Forger::new();
    let value = f.forge_stamped(T0, T0, T0 + 1_000_000, &1u32);
    f.clock.set(T0 + IDLE + LEEWAY);
    assert_eq!(f.open(&value), Ok(1));
    f.clock.set(T0 + IDLE + LEEWAY + 1);
    assert_eq!(
        f.open(&value),
        Err(OpenError::Expired {
            lifetime: Lifetime::Idle,
            expired_at: T0 + IDLE
        })
    );
}

#[test]
fn a_stamped_expiry_before_the_idle_timeout_is_honoured() {
    let f = Forger::new();
    let value = f.forge_stamped(T0, T0, T0 + 10, &1u32);
    f.clock.set(T0 + 10 + LEEWAY + 1);
    assert_eq!(
        f.open(&value),
        Err(OpenError::Expired {
            lifetime: Lifetime::Idle,
            expired_at: T0 + 10
        })
    );
}

#[test]
fn a_creation_time_older_than_the_absolute_lifetime_is_expired_even_if_just_issued() {
    let f = Forger::new();
    let created = T0 - ABSOLUTE - LEEWAY - 1;
    let value = f.forge_stamped(created, T0, T0 + IDLE, &1u32);
    assert_eq!(
        f.open(&value),
        Err(OpenError::Expired {
            lifetime: Lifetime::Absolute,
            expired_at: created + ABSOLUTE
        })
    );
}

#[test]
fn time_checks_run_in_the_order_not_yet_valid_absolute_idle() {
    let f = Forger::new();
    // Issued in the future *and* created long ago: not yet valid is reported.
    let value = f.forge_stamped(0, T0 + 1000, T0 + 1000, &1u32);
    assert_eq!(
        f.open(&value),
        Err(OpenError::NotYetValid {
            issued_at: T0 + 1000,
            now: T0
        })
    );
    // Absolute and idle both over: absolute is reported.
    let value = f.forge_stamped(T0 - 10_000, T0 - 5000, T0 - 4400, &1u32);
    assert_eq!(
        f.open(&value),
        Err(OpenError::Expired {
            lifetime: Lifetime::Absolute,
            expired_at: T0 - 10_000 + ABSOLUTE
        })
    );
}

#[test]
fn time_is_checked_before_the_payload_is_deserialized() {
    let f = Forger::new();
    let mut plaintext = stamps(T0 - 10_000, T0 - 10_000, T0 - 10_000 + IDLE);
    plaintext.extend([0xff, 0xff]); // not a u32 in postcard
    assert!(matches!(
        f.open(&f.forge(&plaintext)),
        Err(OpenError::Expired { .. })
    ));
    let mut plaintext = stamps(T0, T0, T0 + IDLE);
    plaintext.extend([0xff, 0xff]);
    assert!(matches!(
        f.open(&f.forge(&plaintext)),
        Err(OpenError::Deserialize(_))
    ));
}

#[test]
fn stamps_near_the_end_of_time_are_judged_without_overflow() {
    let f = Forger::new();
    f.clock.set(u64::MAX);
    let value = f.forge_stamped(u64::MAX - 1, u64::MAX, u64::MAX, &1u32);
    let opened = f.sealer.open::<u32>(&value).unwrap();
    assert_eq!(opened.stamps.expires(), u64::MAX);
    f.clock.set(T0);
    assert_eq!(
        f.open(&value),
        Err(OpenError::NotYetValid {
            issued_at: u64::MAX,
            now: T0
        })
    );
}

#[test]
fn renewal_of_a_forged_session_keeps_its_creation_time() {
    let f = Forger::new();
    let value = f.forge_stamped(T0 - 100, T0 - 100, T0 - 100 + IDLE, &5u32);
    let opened = f.sealer.open::<u32>(&value).unwrap();
    assert_eq!(opened.renewal, Some(RenewalReason::Due));
    let renewed = f.sealer.renew(&opened.state, &opened.envelope()).unwrap();
    let plaintext = unseal(&f.key, common::sealer::NAME, "session", renewed.value());
    assert_eq!(
        plaintext,
        [
            stamps(T0 - 100, T0, T0 + IDLE),
            postcard::to_allocvec(&5u32).unwrap()
        ]
        .concat()
    );
}

#[test]
fn a_session_state_round_trips_through_the_independent_implementation() {
    let f = Forger::new();
    let value = f.forge_stamped(T0, T0, T0 + IDLE, &session());
    assert_eq!(f.sealer.open::<Session>(&value).unwrap().state, session());
}

#[test]
fn the_payload_follows_postcards_own_rules_which_accept_non_minimal_varints() {
    // FORMAT.md, "Plaintext": the stamps must be minimal, the payload is postcard's business. A
    // key holder's non-minimal encoding of a u32 (0x80 0x00 for 0) opens; no one else can make it.
    let v = &vectors()[0];
    let key: [u8; 32] = hex(v.key).try_into().unwrap();
    let mut plaintext = stamps(v.created, v.issued, v.expires);
    plaintext.extend([0x80, 0x00]);
    let value = forge(&key, key_id(&key), [9; 12], &v.name, v.purpose, &plaintext);
    assert_eq!(vector_sealer(v).open::<u32>(&value).unwrap().state, 0);
}
