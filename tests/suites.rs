//! Cipher suites: XAES-256-GCM next to AES-256-GCM in the sealed mode, chosen per sealer, named
//! by the version byte, never tried; and reading a value's header with `peek`.

mod common;

use common::sealer::{NAME, T0, decode, encode, fixture, fixture_with, session};
use sealed_session::{
    Key, KeyRing, ManualClock, OpenError, RenewalReason, Sealer, Signer, Suite, peek,
};

#[test]
fn an_extended_nonce_sealer_seals_xaes_values_that_open() {
    let f = fixture_with(|b| b.extended_nonce(true));
    assert_eq!(f.sealer.suite(), Suite::Xaes256Gcm);
    let sealed = f.sealer.seal(&session()).unwrap();
    let raw = decode(sealed.value());
    assert_eq!(raw[0], 0x02);
    let opened = f
        .sealer
        .open::<common::sealer::Session>(sealed.value())
        .unwrap();
    assert_eq!(opened.state, session());
    assert_eq!(opened.renewal, None);
}

#[test]
fn xaes_costs_twelve_bytes_more_than_aes_gcm() {
    let aes = decode(fixture().sealer.seal(&session()).unwrap().value());
    let xaes = decode(
        fixture_with(|b| b.extended_nonce(true))
            .sealer
            .seal(&session())
            .unwrap()
            .value(),
    );
    assert_eq!(xaes.len(), aes.len() + 12);
}

#[test]
fn switching_the_suite_logs_no_one_out() {
    // One ring, one cookie: values of either sealed suite open under either sealer, and those of
    // the suite no longer sealed with are reported for renewal.
    let ring = KeyRing::new(Key::generate().unwrap());
    let clock = ManualClock::new(T0);
    let aes = Sealer::builder(ring.clone(), NAME)
        .clock(clock.clone())
        .build()
        .unwrap();
    let xaes = Sealer::builder(ring, NAME)
        .clock(clock)
        .extended_nonce(true)
        .build()
        .unwrap();
    let old = aes.seal(&1u8).unwrap();
    let opened = xaes.open::<u8>(old.value()).unwrap();
    assert_eq!(opened.renewal, Some(RenewalReason::OldSuite));
    let renewed = xaes.renew(&opened.state, &opened.envelope()).unwrap();
    assert_eq!(peek(renewed.value()).unwrap().suite, Suite::Xaes256Gcm);
    assert_eq!(xaes.open::<u8>(renewed.value()).unwrap().renewal, None);
    // And back.
    assert_eq!(
        aes.open::<u8>(renewed.value()).unwrap().renewal,
        Some(RenewalReason::OldSuite)
    );
}

#[test]
fn a_sealed_value_of_either_suite_never_opens_as_signed_nor_the_reverse() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let sealer = Sealer::builder(ring.clone(), NAME)
        .extended_nonce(true)
        .build()
        .unwrap();
    let signer = Signer::builder(ring, NAME).build().unwrap();
    let sealed = sealer.seal(&1u8).unwrap();
    assert_eq!(
        signer.verify::<u8>(sealed.value()).unwrap_err(),
        OpenError::UnsupportedVersion(0x02)
    );
    let signed = signer.sign(&1u8).unwrap();
    assert_eq!(
        sealer.open::<u8>(signed.value()).unwrap_err(),
        OpenError::UnsupportedVersion(0x81)
    );
}

#[test]
fn every_bit_flip_of_an_xaes_value_is_refused() {
    let f = fixture_with(|b| b.extended_nonce(true));
    let raw = decode(f.sealer.seal(&session()).unwrap().value());
    for i in 0..raw.len() {
        for bit in 0..8 {
            let mut bad = raw.clone();
            bad[i] ^= 1 << bit;
            assert!(
                f.sealer
                    .open::<common::sealer::Session>(&encode(&bad))
                    .is_err(),
                "byte {i} bit {bit}"
            );
        }
    }
}

#[test]
fn an_xaes_value_shorter_than_its_suite_is_too_short_before_any_key() {
    let f = fixture_with(|b| b.extended_nonce(true));
    let raw = decode(f.sealer.seal(&()).unwrap().value());
    // 36 to 47 bytes: long enough for AES-256-GCM, not for XAES-256-GCM.
    for len in 36..48 {
        assert_eq!(
            f.sealer.open::<()>(&encode(&raw[..len])).unwrap_err(),
            OpenError::Malformed(sealed_session::Malformed::TooShort),
            "{len} bytes"
        );
    }
}

#[test]
fn peek_reads_the_header_without_a_key() {
    let f = fixture_with(|b| b.session_ids(true).extended_nonce(true));
    let sealed = f.sealer.seal(&1u8).unwrap();
    let header = peek(sealed.value()).unwrap();
    assert_eq!(header.version, 0x12);
    assert_eq!(header.suite, Suite::Xaes256Gcm);
    assert_eq!(header.key_id, f.ring.primary_id());
    assert!(header.has_session_id && !header.has_subject);
    assert_eq!(header.suite.name(), "xaes-256-gcm");
}

#[test]
fn peek_refuses_what_is_not_a_value() {
    assert_eq!(
        peek("not base64!").unwrap_err(),
        OpenError::Malformed(sealed_session::Malformed::Encoding)
    );
    let mut raw = decode(fixture().sealer.seal(&1u8).unwrap().value());
    raw[0] = 0x43;
    assert_eq!(
        peek(&encode(&raw)).unwrap_err(),
        OpenError::UnsupportedVersion(0x43)
    );
    assert_eq!(
        peek(&encode(&raw[..10])).unwrap_err(),
        OpenError::UnsupportedVersion(0x43)
    );
    raw[0] = 0x02;
    assert_eq!(
        peek(&encode(&raw[..40])).unwrap_err(),
        OpenError::Malformed(sealed_session::Malformed::TooShort)
    );
    assert!(matches!(
        peek(&"A".repeat(40_000)).unwrap_err(),
        OpenError::Oversized { .. }
    ));
}

#[test]
fn sealed_max_age_is_capped_at_400_days_as_cookies_are() {
    let ten_years = std::time::Duration::from_secs(10 * 365 * 24 * 3600);
    let f = fixture_with(|b| b.idle_timeout(ten_years).absolute_lifetime(ten_years));
    let sealed = f.sealer.seal(&1u8).unwrap();
    assert_eq!(sealed.max_age(), sealed_session::MAX_COOKIE_AGE);
    // The stamped expiry inside the value is not capped: that is what opening enforces.
    assert_eq!(sealed.stamps().expires(), T0 + ten_years.as_secs());
}
