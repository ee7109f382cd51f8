//! The identity slot: an optional random session id and an optional subject, sealed with the
//! state, checked only after authentication, and costing no byte when unused.

mod common;

use common::driver::{Sent, begin_loaded, end, request};
use common::sealer::{NAME, T0, decode, fixture, fixture_with, secs, session};
use sealed_session::web::Driver;
use sealed_session::{
    BROWSER_COOKIE_LIMIT, Key, KeyRing, MAX_SUBJECT_LEN, ManualClock, OpenError, SESSION_ID_LEN,
    Sealer, SessionCookie, Signer, Subject, peek,
};

#[test]
fn without_session_ids_a_value_carries_no_identity_and_costs_no_byte() {
    let f = fixture();
    let sealed = f.sealer.seal(&session()).unwrap();
    assert_eq!(sealed.envelope().session_id(), None);
    assert_eq!(sealed.envelope().subject(), None);
    let header = peek(sealed.value()).unwrap();
    assert_eq!(header.version, 0x01);
    assert!(!header.has_session_id && !header.has_subject);
    let opened = f
        .sealer
        .open::<common::sealer::Session>(sealed.value())
        .unwrap();
    assert_eq!((opened.session_id, opened.subject), (None, None));
}

#[test]
fn a_session_id_costs_exactly_sixteen_bytes() {
    let plain = fixture();
    let with_ids = fixture_with(|b| b.session_ids(true));
    let a = decode(plain.sealer.seal(&session()).unwrap().value());
    let b = decode(with_ids.sealer.seal(&session()).unwrap().value());
    assert_eq!(b.len(), a.len() + SESSION_ID_LEN);
    assert_eq!(b[0], 0x11);
}

#[test]
fn every_new_session_gets_a_fresh_session_id() {
    let f = fixture_with(|b| b.session_ids(true));
    let mut seen = std::collections::HashSet::new();
    for _ in 0..1000 {
        let sealed = f.sealer.seal(&1u8).unwrap();
        let id = sealed.envelope().session_id().expect("an id");
        assert!(seen.insert(id), "session id repeated");
    }
}

#[test]
fn renewal_keeps_the_session_id_and_subject() {
    let f = fixture_with(|b| b.session_ids(true));
    let alice = Subject::new("user-42").unwrap();
    let first = f.sealer.seal_for(&alice, &session()).unwrap();
    f.clock.set(T0 + 600);
    let opened = f
        .sealer
        .open::<common::sealer::Session>(first.value())
        .unwrap();
    assert_eq!(opened.subject, Some(alice));
    assert_eq!(opened.session_id, first.envelope().session_id());
    let renewed = f.sealer.renew(&opened.state, &opened.envelope()).unwrap();
    assert_eq!(
        renewed.envelope().session_id(),
        first.envelope().session_id()
    );
    assert_eq!(renewed.envelope().subject(), Some(&alice));
    assert_eq!(renewed.stamps().created(), T0);
    assert_eq!(renewed.stamps().issued(), T0 + 600);
}

#[test]
fn a_new_login_is_a_new_session_id() {
    // Against session fixation: logging in seals a new session, never renews the old one.
    let f = fixture_with(|b| b.session_ids(true));
    let anonymous = f.sealer.seal(&0u8).unwrap();
    let alice = Subject::new("alice").unwrap();
    let logged_in = f.sealer.seal_for(&alice, &1u8).unwrap();
    assert_ne!(
        anonymous.envelope().session_id(),
        logged_in.envelope().session_id()
    );
}

#[test]
fn a_reader_that_requires_session_ids_refuses_a_value_without_one() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let clock = ManualClock::new(T0);
    let without = Sealer::builder(ring.clone(), NAME)
        .clock(clock.clone())
        .build()
        .unwrap();
    let with = Sealer::builder(ring, NAME)
        .clock(clock)
        .session_ids(true)
        .build()
        .unwrap();
    let old = without.seal(&1u8).unwrap();
    assert_eq!(
        with.open::<u8>(old.value()).unwrap_err(),
        OpenError::MissingSessionId
    );
    // The other way round, an id is carried and shown, not required.
    let new = with.seal(&1u8).unwrap();
    let opened = without.open::<u8>(new.value()).unwrap();
    assert_eq!(opened.session_id, new.envelope().session_id());
}

#[test]
fn the_identity_is_authenticated_with_the_state() {
    let f = fixture_with(|b| b.session_ids(true));
    let alice = Subject::new("alice").unwrap();
    let raw = decode(f.sealer.seal_for(&alice, &1u8).unwrap().value());
    // Every byte of the identity (after header, nonce and the 8 bytes of stamps) is protected.
    let at = 5 + 12 + 8;
    for i in at..at + SESSION_ID_LEN + 1 + 5 {
        let mut bad = raw.clone();
        bad[i] ^= 1;
        assert_eq!(
            f.sealer
                .open::<u8>(&common::sealer::encode(&bad))
                .unwrap_err(),
            OpenError::Authentication,
            "byte {i}"
        );
    }
    // Clearing a flag is caught too: the version byte is associated data.
    for flag in [0x10, 0x20] {
        let mut bad = raw.clone();
        bad[0] ^= flag;
        assert_eq!(
            f.sealer
                .open::<u8>(&common::sealer::encode(&bad))
                .unwrap_err(),
            OpenError::Authentication
        );
    }
}

#[test]
fn subjects_are_one_to_sixty_four_bytes() {
    assert_eq!(Subject::new("").map_err(|e| e.len), Err(0));
    assert!(Subject::new([7u8; MAX_SUBJECT_LEN]).is_ok());
    assert_eq!(
        Subject::new([7u8; MAX_SUBJECT_LEN + 1]).map_err(|e| e.len),
        Err(MAX_SUBJECT_LEN + 1)
    );
    let binary = Subject::new([0xff, 0x00]).unwrap();
    assert_eq!(binary.as_bytes(), [0xff, 0x00]);
    assert_eq!(binary.as_str(), None);
}

#[test]
fn a_subject_of_every_length_round_trips_in_both_modes() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let sealer = Sealer::builder(ring.clone(), NAME).build().unwrap();
    let signer = Signer::builder(ring, NAME).build().unwrap();
    for len in 1..=MAX_SUBJECT_LEN {
        let subject = Subject::new(vec![b'a' + (len % 26) as u8; len]).unwrap();
        let sealed = sealer.seal_for(&subject, &len).unwrap();
        let opened = sealer.open::<usize>(sealed.value()).unwrap();
        assert_eq!((opened.state, opened.subject), (len, Some(subject)));
        let signed = signer.sign_for(&subject, &len).unwrap();
        let verified = signer.verify::<usize>(signed.value()).unwrap();
        assert_eq!((verified.state, verified.subject), (len, Some(subject)));
        // Signed (0x81), with a subject (0x20) and so its creation millisecond (0x40).
        assert_eq!(peek(signed.value()).unwrap().version, 0xe1);
        assert!(verified.stamps.created_millis().is_some());
    }
}

#[test]
fn max_payload_len_counts_the_session_id() {
    let f = fixture_with(|b| b.session_ids(true).idle_timeout(secs(600)));
    let max = f.sealer.max_payload_len();
    assert_eq!(
        max + SESSION_ID_LEN,
        fixture_with(|b| b.idle_timeout(secs(600)))
            .sealer
            .max_payload_len()
    );
    let fits = serde_bytes::ByteBuf::from(vec![0u8; max - 2]);
    let sealed = f.sealer.seal(&fits).unwrap();
    assert!(NAME.len() + 1 + sealed.value().len() <= BROWSER_COOKIE_LIMIT);
}

#[test]
fn a_session_cookie_carries_the_identity_and_a_change_keeps_it() {
    let f = fixture_with(|b| b.session_ids(true));
    let cookie =
        SessionCookie::sealed(f.sealer.clone(), sealed_session::CookieOptions::new()).unwrap();
    let driver = Driver::new(cookie);
    let alice = Subject::new("alice").unwrap();
    let login = request::<u8>(&driver, "", |s| s.login(&alice, 5).unwrap());
    let header = common::cookie::header_from(&login.set_cookies());

    let session = begin_loaded::<u8>(&driver, &header);
    assert_eq!((session.get(), session.subject()), (Some(5), Some(alice)));
    let id = session.session_id().expect("an id");
    session.replace(6).unwrap();
    let changed = common::cookie::header_from(&end(&driver, &session).set_cookies());

    let again = begin_loaded::<u8>(&driver, &changed);
    assert_eq!((again.get(), again.session_id()), (Some(6), Some(id)));
}
