//! Seal then open gives back exactly what was sealed, with the stamps that were sealed, in a value
//! that is safe to put in a cookie as it is.

mod common;

use std::collections::HashSet;

use common::sealer::{Fixture, Session, T0, fixture, secs};
use proptest::prelude::*;
use sealed_session::{DEFAULT_IDLE_TIMEOUT, Opened, SealError};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
struct Inner {
    flag: bool,
    count: Option<u64>,
    tags: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
struct Nested {
    id: u64,
    delta: i64,
    admin: bool,
    name: Option<String>,
    inner: Vec<Inner>,
    maybe_inner: Option<Inner>,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
}

fn inner_strategy() -> impl Strategy<Value = Inner> {
    (
        any::<bool>(),
        any::<Option<u64>>(),
        prop::collection::vec(".{0,12}", 0..4),
    )
        .prop_map(|(flag, count, tags)| Inner { flag, count, tags })
}

fn nested_strategy() -> impl Strategy<Value = Nested> {
    (
        any::<u64>(),
        any::<i64>(),
        any::<bool>(),
        any::<Option<String>>(),
        prop::collection::vec(inner_strategy(), 0..4),
        prop::option::of(inner_strategy()),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(id, delta, admin, name, inner, maybe_inner, blob)| Nested {
                id,
                delta,
                admin,
                name,
                inner,
                maybe_inner,
                blob,
            },
        )
}

/// Seals `state` and opens it again at the same instant.
fn round_trip<T>(f: &Fixture, state: &T) -> Opened<T>
where
    T: Serialize + serde::de::DeserializeOwned,
{
    let sealed = f.sealer.seal(state).expect("seal");
    let opened = f.sealer.open::<T>(sealed.value()).expect("open");
    assert_eq!(&opened.stamps, sealed.stamps());
    assert_eq!(&opened.envelope(), sealed.envelope());
    opened
}

proptest! {
    #[test]
    fn any_string_opens_back_equal(s in any::<String>()) {
        let f = fixture();
        prop_assert_eq!(round_trip(&f, &s).state, s);
    }

    #[test]
    fn any_byte_string_opens_back_equal(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let f = fixture();
        let state = ByteBuf::from(bytes);
        prop_assert_eq!(round_trip(&f, &state).state, state);
    }

    #[test]
    fn any_nested_struct_opens_back_equal(state in nested_strategy()) {
        let f = fixture();
        prop_assert_eq!(round_trip(&f, &state).state, state);
    }

    #[test]
    fn any_integer_tuple_opens_back_equal(state in any::<(u64, i64, bool, Option<u8>)>()) {
        let f = fixture();
        prop_assert_eq!(round_trip(&f, &state).state, state);
    }

    #[test]
    fn opened_stamps_equal_the_sealed_stamps_at_any_time(
        start in 1u64..=4_000_000_000,
        idle in 1u64..=100_000,
        extra in 0u64..=100_000,
    ) {
        let f = common::sealer::fixture_with(|b| {
            b.idle_timeout(secs(idle)).absolute_lifetime(secs(idle + extra))
        });
        f.clock.set(start);
        let sealed = f.sealer.seal(&common::sealer::session()).unwrap();
        let opened = f.sealer.open::<Session>(sealed.value()).unwrap();
        prop_assert_eq!(opened.stamps, *sealed.stamps());
        prop_assert_eq!(opened.stamps.created(), start);
        prop_assert_eq!(opened.stamps.issued(), start);
        prop_assert_eq!(opened.stamps.expires(), start + idle);
        prop_assert_eq!(opened.opened_at, start);
        prop_assert_eq!(opened.state, common::sealer::session());
    }

    #[test]
    fn every_value_is_unpadded_base64url(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let f = fixture();
        let sealed = f.sealer.seal(&ByteBuf::from(bytes)).unwrap();
        prop_assert!(!sealed.value().is_empty());
        prop_assert!(
            sealed
                .value()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "value {:?} has a character outside [A-Za-z0-9_-]",
            sealed.value()
        );
    }
}

#[test]
fn a_sample_session_opens_back_equal_with_no_renewal_hint() {
    let f = fixture();
    let opened = round_trip(&f, &common::sealer::session());
    assert_eq!(opened.state, common::sealer::session());
    assert_eq!(opened.renewal, None);
    assert!(!opened.needs_renewal());
    assert_eq!(opened.opened_at, T0);
    assert_eq!(opened.into_state(), common::sealer::session());
}

#[test]
fn an_empty_state_opens_back_equal() {
    let f = fixture();
    round_trip::<()>(&f, &());
    assert_eq!(round_trip(&f, &String::new()).state, "");
    assert!(round_trip(&f, &Vec::<u8>::new()).state.is_empty());
}

#[test]
fn a_fresh_session_is_created_and_issued_now_and_expires_after_the_idle_timeout() {
    let f = fixture();
    let sealed = f.sealer.seal(&common::sealer::session()).unwrap();
    let s = sealed.stamps();
    assert_eq!(s.created(), T0);
    assert_eq!(s.issued(), T0);
    assert_eq!(s.expires(), T0 + DEFAULT_IDLE_TIMEOUT.as_secs());
}

#[test]
fn max_age_of_a_fresh_session_equals_the_idle_timeout() {
    for idle in [1, 59, 600, 1800, 86_400] {
        let f = common::sealer::fixture_with(|b| {
            b.idle_timeout(secs(idle)).absolute_lifetime(secs(idle * 2))
        });
        let sealed = f.sealer.seal(&common::sealer::session()).unwrap();
        assert_eq!(sealed.max_age(), secs(idle), "idle {idle}");
    }
}

#[test]
fn two_seals_of_the_same_state_differ_because_each_uses_a_fresh_nonce() {
    let f = fixture();
    let state = common::sealer::session();
    let mut values = HashSet::new();
    let mut nonces = HashSet::new();
    for _ in 0..200 {
        let sealed = f.sealer.seal(&state).unwrap();
        nonces.insert(common::sealer::decode(sealed.value())[common::sealer::NONCE].to_vec());
        assert!(values.insert(sealed.into_value()), "a value repeated");
    }
    assert_eq!(nonces.len(), 200, "a nonce repeated");
}

#[test]
fn values_never_carry_padding_whatever_the_length_modulo_three() {
    let f = fixture();
    let mut remainders = HashSet::new();
    for len in 0..12 {
        let sealed = f.sealer.seal(&ByteBuf::from(vec![0xff; len])).unwrap();
        let raw = common::sealer::decode(sealed.value());
        remainders.insert(raw.len() % 3);
        assert!(!sealed.value().contains('='));
        assert_eq!(sealed.value().len(), common::sealer::base64_len(raw.len()));
    }
    assert_eq!(remainders.len(), 3, "every length modulo 3 was covered");
}

#[test]
fn into_value_and_value_agree() {
    let f = fixture();
    let sealed = f.sealer.seal(&1u8).unwrap();
    let copy = sealed.value().to_owned();
    assert_eq!(sealed.into_value(), copy);
}

/// A state whose `Serialize` implementation fails.
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("refused"))
    }
}

#[test]
fn a_state_that_fails_to_serialize_is_a_serialize_error() {
    let f = fixture();
    let err = f.sealer.seal(&Unserializable).unwrap_err();
    assert!(matches!(err, SealError::Serialize(_)), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
}

/// A sequence whose length is not known in advance, which postcard cannot write.
struct UnknownLength;

impl Serialize for UnknownLength {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((0..10u8).filter(|n| n % 2 == 0))
    }
}

#[test]
fn a_sequence_of_unknown_length_is_a_serialize_error() {
    let f = fixture();
    assert!(matches!(
        f.sealer.seal(&UnknownLength),
        Err(SealError::Serialize(_))
    ));
}
