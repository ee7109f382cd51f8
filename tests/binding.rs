//! A value is bound to its cookie name and purpose: under the same key it opens only for exactly
//! the name and purpose it was sealed for.

mod common;

use common::sealer::T0;
use sealed_session::{Key, KeyRing, ManualClock, OpenError, Sealer};

/// A sealer for `name` and `purpose` over `ring`, at [`T0`].
fn sealer(ring: &KeyRing, name: &str, purpose: &str) -> Sealer {
    Sealer::builder(ring.clone(), name)
        .purpose(purpose)
        .clock(ManualClock::new(T0))
        .build()
        .expect("valid name and purpose")
}

/// Seals under (`name_a`, `purpose_a`) and opens under (`name_b`, `purpose_b`), same key ring.
fn reopen(name_a: &str, purpose_a: &str, name_b: &str, purpose_b: &str) -> Result<u64, OpenError> {
    let ring = KeyRing::new(Key::generate().unwrap());
    let value = sealer(&ring, name_a, purpose_a)
        .seal(&7u64)
        .unwrap()
        .into_value();
    sealer(&ring, name_b, purpose_b)
        .open::<u64>(&value)
        .map(|o| o.state)
}

#[test]
fn same_key_name_and_purpose_opens() {
    assert_eq!(reopen("session", "login", "session", "login"), Ok(7));
}

#[test]
fn a_second_sealer_on_another_ring_with_the_same_key_opens_the_value() {
    let key = Key::generate().unwrap();
    let value = sealer(&KeyRing::new(key.clone()), "session", "login")
        .seal(&7u64)
        .unwrap()
        .into_value();
    let other_server = sealer(&KeyRing::new(key), "session", "login");
    assert_eq!(other_server.open::<u64>(&value).unwrap().state, 7);
}

#[test]
fn a_value_sealed_for_one_cookie_name_is_rejected_for_another() {
    assert_eq!(
        reopen("session", "login", "prefs", "login"),
        Err(OpenError::Authentication)
    );
}

#[test]
fn a_value_sealed_for_one_purpose_is_rejected_for_another() {
    assert_eq!(
        reopen("session", "login", "session", "csrf"),
        Err(OpenError::Authentication)
    );
}

#[test]
fn cookie_names_of_different_lengths_do_not_collide() {
    assert_eq!(
        reopen("session", "p", "session2", "p"),
        Err(OpenError::Authentication)
    );
    assert_eq!(
        reopen("__Host-session", "p", "session", "p"),
        Err(OpenError::Authentication)
    );
    assert_eq!(reopen("s", "p", "ss", "p"), Err(OpenError::Authentication));
}

#[test]
fn cookie_names_that_differ_only_in_case_do_not_collide() {
    assert_eq!(
        reopen("session", "p", "Session", "p"),
        Err(OpenError::Authentication)
    );
    assert_eq!(
        reopen("SESSION", "p", "session", "p"),
        Err(OpenError::Authentication)
    );
}

#[test]
fn purposes_that_differ_only_in_case_do_not_collide() {
    assert_eq!(
        reopen("session", "Login", "session", "login"),
        Err(OpenError::Authentication)
    );
}

#[test]
fn the_empty_purpose_and_the_default_purpose_do_not_collide() {
    assert_eq!(
        reopen("session", "", "session", "session"),
        Err(OpenError::Authentication)
    );
    assert_eq!(
        reopen("session", "session", "session", ""),
        Err(OpenError::Authentication)
    );
}

#[test]
fn the_default_purpose_is_the_purpose_named_session() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let default = Sealer::builder(ring.clone(), "id")
        .clock(ManualClock::new(T0))
        .build()
        .unwrap();
    let value = default.seal(&7u64).unwrap().into_value();
    assert_eq!(
        sealer(&ring, "id", "session")
            .open::<u64>(&value)
            .unwrap()
            .state,
        7
    );
}

#[test]
fn moving_the_boundary_between_name_and_purpose_does_not_collide() {
    assert_eq!(reopen("ab", "c", "a", "bc"), Err(OpenError::Authentication));
    assert_eq!(reopen("a", "bc", "ab", "c"), Err(OpenError::Authentication));
    assert_eq!(reopen("abc", "", "a", "bc"), Err(OpenError::Authentication));
}

#[test]
fn a_purpose_of_one_zero_byte_is_not_the_empty_purpose() {
    assert_eq!(reopen("a", "", "a", "\0"), Err(OpenError::Authentication));
    assert_eq!(reopen("a", "\0", "a", ""), Err(OpenError::Authentication));
}

#[test]
fn the_empty_purpose_opens_only_for_the_empty_purpose() {
    assert_eq!(reopen("ab", "", "ab", ""), Ok(7));
    assert_eq!(reopen("ab", "", "a", "b"), Err(OpenError::Authentication));
}

#[test]
fn long_purposes_that_differ_only_in_their_last_byte_do_not_collide() {
    // Past the size where the associated data stops fitting on the stack.
    let a = "p".repeat(254) + "a";
    let b = "p".repeat(254) + "b";
    assert_eq!(reopen("session", &a, "session", &a), Ok(7));
    assert_eq!(
        reopen("session", &a, "session", &b),
        Err(OpenError::Authentication)
    );
}

#[test]
fn long_names_that_differ_only_in_their_last_byte_do_not_collide() {
    let a = "n".repeat(299) + "a";
    let b = "n".repeat(299) + "b";
    assert_eq!(reopen(&a, "p", &a, "p"), Ok(7));
    assert_eq!(reopen(&a, "p", &b, "p"), Err(OpenError::Authentication));
}

#[test]
fn non_ascii_purposes_are_bound_by_their_bytes() {
    assert_eq!(reopen("s", "café", "s", "café"), Ok(7));
    // The same letters in another Unicode normalization form are other bytes.
    assert_eq!(
        reopen("s", "caf\u{e9}", "s", "cafe\u{301}"),
        Err(OpenError::Authentication)
    );
}

#[test]
fn a_different_key_with_the_same_name_and_purpose_is_an_unknown_key() {
    let ring_a = KeyRing::new(Key::generate().unwrap());
    let ring_b = KeyRing::new(Key::generate().unwrap());
    let value = sealer(&ring_a, "session", "login")
        .seal(&7u64)
        .unwrap()
        .into_value();
    assert_eq!(
        sealer(&ring_b, "session", "login")
            .open::<u64>(&value)
            .unwrap_err(),
        OpenError::UnknownKey(ring_a.primary_id())
    );
}
