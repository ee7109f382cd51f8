//! Inspecting a value without its Rust type: what it holds, and whether opening would accept it
//! now and why not.

mod common;

use std::time::Duration;

use common::sealer::{NAME, session};
use sealed_session::{Key, KeyRing, ManualClock, OpenError, Sealer, Signer, Subject, Suite};

const T0: u64 = 1_900_000_000;

#[test]
fn an_inspection_shows_what_the_value_holds() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let clock = ManualClock::new(T0);
    let sealer = Sealer::builder(ring.clone(), NAME)
        .session_ids(true)
        .clock(clock.clone())
        .build()
        .unwrap();
    let subject = Subject::new("alice").unwrap();
    let sealed = sealer.seal_for(&subject, &session()).unwrap();
    let payload = postcard::to_allocvec(&session()).unwrap();
    let seen = sealer.inspect(sealed.value()).unwrap();
    assert_eq!(seen.suite, Suite::Aes256Gcm);
    assert_eq!(seen.key_id, ring.primary_id());
    assert_eq!(seen.stamps.created(), T0);
    assert_eq!(seen.subject, Some(subject));
    assert!(seen.session_id.is_some());
    assert_eq!(seen.payload.as_slice(), payload.as_slice());
    assert!(seen.from_primary);
    assert_eq!(seen.verdict, Ok(()));
    assert_eq!(
        seen.valid_until,
        sealer
            .open::<common::sealer::Session>(sealed.value())
            .unwrap()
            .valid_until
    );
}

#[test]
fn an_expired_value_is_inspected_and_its_verdict_says_why() {
    let clock = ManualClock::new(T0);
    let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), NAME)
        .clock(clock.clone())
        .build()
        .unwrap();
    let value = sealer.seal(&session()).unwrap().into_value();
    clock.advance(Duration::from_secs(24 * 3600));
    let seen = sealer.inspect(&value).unwrap();
    let refused = sealer.open::<common::sealer::Session>(&value).unwrap_err();
    assert!(matches!(refused, OpenError::Expired { .. }));
    assert_eq!(seen.verdict, Err(refused));
}

#[test]
fn a_value_without_a_required_session_id_is_inspected_and_refused_in_the_verdict() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let plain = Sealer::builder(ring.clone(), NAME).build().unwrap();
    let with_ids = Sealer::builder(ring, NAME)
        .session_ids(true)
        .build()
        .unwrap();
    let value = plain.seal(&session()).unwrap().into_value();
    assert_eq!(
        with_ids.inspect(&value).unwrap().verdict,
        Err(OpenError::MissingSessionId)
    );
}

#[test]
fn a_forged_or_foreign_value_cannot_be_inspected() {
    let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), NAME)
        .build()
        .unwrap();
    let other = Sealer::builder(KeyRing::new(Key::generate().unwrap()), NAME)
        .build()
        .unwrap();
    let value = other.seal(&session()).unwrap().into_value();
    assert!(matches!(
        sealer.inspect(&value),
        Err(OpenError::UnknownKey(_))
    ));
    let mut bytes = sealer.seal(&session()).unwrap().into_value().into_bytes();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    assert!(sealer.inspect(&tampered).is_err());
}

#[test]
fn a_signed_value_is_inspected_by_its_signer() {
    let signer = Signer::builder(KeyRing::new(Key::generate().unwrap()), NAME)
        .build()
        .unwrap();
    let value = signer.sign(&session()).unwrap().into_value();
    let seen = signer.inspect(&value).unwrap();
    assert_eq!(seen.suite, Suite::HmacSha256);
    assert_eq!(seen.verdict, Ok(()));
}

#[test]
fn debug_shows_the_payload_length_not_the_payload() {
    let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), NAME)
        .build()
        .unwrap();
    let value = sealer.seal(&"a secret note").unwrap().into_value();
    let seen = sealer.inspect(&value).unwrap();
    let debug = format!("{seen:?}");
    assert!(!debug.contains("secret"), "{debug}");
    assert!(debug.contains("payload_len"));
}
