//! Revocation of cookie sessions in a store: what is revoked, for how long, in how many round
//! trips, how stale a cached verdict may be, and what an outage does. The cases about the
//! records themselves accept sessions the store was not told of ([`Forgotten::Accept`]); what
//! the store vouches for, and what happens when it forgets, is in tests/forgotten.rs.

mod common;

use std::time::Duration;

use common::store::{FlakyStore, now};
use sealed_session::store::{MemoryStore, Store, StoreError};
use sealed_session::{
    Clock, Forgotten, MAX_LEEWAY, ManualClock, Outage, RECORD_MARGIN, Revocations, SessionId,
    Subject, Verdict,
};

const T0: u64 = 1_900_000_000;
/// `T0` in milliseconds: a session's creation time as a check takes it.
const MS0: u64 = T0 * 1000;
const LIFETIME: Duration = Duration::from_secs(8 * 3600);

fn id(n: u8) -> SessionId {
    SessionId::from_bytes([n; 16])
}

/// Revocations over a store that can be taken down, on a clock the test moves; sessions the store
/// was not told of are accepted (the records are under test here, not the generation).
fn setup() -> (Revocations, FlakyStore, ManualClock) {
    let clock = ManualClock::new(T0);
    let store = FlakyStore::new(MemoryStore::new().clock(clock.clone()));
    let revocations = Revocations::new(store.clone())
        .clock(clock.clone())
        .on_forgotten(Forgotten::Accept);
    (revocations, store, clock)
}

#[test]
fn a_revoked_session_stays_revoked_until_no_reader_can_open_it_and_is_then_forgotten() {
    let (revocations, store, clock) = setup();
    let alice = Subject::new("alice").unwrap();
    now(revocations.revoke_session(&id(1), Some(&alice), T0 + 600)).unwrap();
    assert_eq!(
        now(revocations.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Revoked)
    );
    // Another session of the same subject is untouched.
    assert_eq!(
        now(revocations.check(&id(2), Some(&alice), MS0)),
        Ok(Verdict::Valid)
    );
    // Past its end, for as long as the longest leeway of any reader lets a copy open, and the
    // second a store rounds its expiry to.
    for second in [599, 600, 600 + MAX_LEEWAY.as_secs()] {
        clock.set(T0 + second);
        assert_eq!(
            now(revocations.check(&id(1), Some(&alice), MS0)),
            Ok(Verdict::Revoked),
            "{second}"
        );
    }
    // Then the record is gone (no copy of the session opens anywhere by then).
    clock.set(T0 + 600 + RECORD_MARGIN);
    assert_eq!(
        now(revocations.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Valid)
    );
    now(store.raise("ss:other", 1, T0 + 10_000)).unwrap(); // a write sweeps expired records
    assert_eq!(store.store.len(), 1);
}

#[test]
fn revoking_a_subject_ends_its_sessions_created_until_that_millisecond_and_spares_later_ones() {
    let (revocations, _, clock) = setup();
    let alice = Subject::new("alice").unwrap();
    let bob = Subject::new("bob").unwrap();
    let at = MS0 + 100_500;
    clock.set_millis(at);
    now(revocations.revoke_subject(&alice, LIFETIME)).unwrap();
    // Earlier seconds, earlier in the same second, and the very millisecond are covered.
    for created in [MS0, at - 1000, at - 1, at] {
        assert_eq!(
            now(revocations.check(&id(1), Some(&alice), created)),
            Ok(Verdict::Revoked),
            "{created}"
        );
    }
    // A login after it (log out everywhere, then in again), in the same second too, is not
    // covered; nor is another subject.
    for created in [at + 1, at + 499, at + 1000] {
        assert_eq!(
            now(revocations.check(&id(2), Some(&alice), created)),
            Ok(Verdict::Valid),
            "{created}"
        );
    }
    assert_eq!(
        now(revocations.check(&id(3), Some(&bob), MS0)),
        Ok(Verdict::Valid)
    );
    // Remembered for the longest lifetime and every reader's leeway, then forgotten.
    clock.set(T0 + 100 + LIFETIME.as_secs() + MAX_LEEWAY.as_secs());
    assert_eq!(
        now(revocations.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Revoked)
    );
    clock.set(T0 + 100 + LIFETIME.as_secs() + RECORD_MARGIN);
    assert_eq!(
        now(revocations.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Valid)
    );
}

#[test]
fn revoking_the_others_spares_the_kept_session_until_a_later_revocation() {
    let (revocations, _, clock) = setup();
    let alice = Subject::new("alice").unwrap();
    clock.set_millis(MS0 + 10_000);
    now(revocations.revoke_others(&alice, &id(1), LIFETIME)).unwrap();
    assert_eq!(
        now(revocations.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Valid)
    );
    assert_eq!(
        now(revocations.check(&id(2), Some(&alice), MS0 + 10_000)),
        Ok(Verdict::Revoked)
    );
    // "Log out everywhere" later ends the kept one too.
    clock.set_millis(MS0 + 20_000);
    now(revocations.revoke_subject(&alice, LIFETIME)).unwrap();
    assert_eq!(
        now(revocations.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Revoked)
    );
}

#[test]
fn a_subject_revocation_returns_once_the_clock_has_left_its_millisecond() {
    // On the real clock: a login right after it returns has a later millisecond.
    let revocations = Revocations::new(MemoryStore::new()).on_forgotten(Forgotten::Accept);
    let alice = Subject::new("alice").unwrap();
    for _ in 0..20 {
        now(revocations.revoke_subject(&alice, LIFETIME)).unwrap();
        let login = sealed_session::SystemClock.now_unix_millis();
        assert_eq!(
            now(revocations.check(&id(1), Some(&alice), login)),
            Ok(Verdict::Valid)
        );
    }
}

#[test]
fn a_later_subject_revocation_never_moves_the_cut_back() {
    let clock = ManualClock::new(T0 + 100);
    let store = MemoryStore::new().clock(clock.clone());
    let revocations = Revocations::new(store.clone()).clock(clock);
    let alice = Subject::new("alice").unwrap();
    now(revocations.revoke_subject(&alice, LIFETIME)).unwrap();
    // A server whose clock lags writes an older cut afterwards: the newer one stays.
    let lagging = Revocations::new(store).clock(ManualClock::new(T0));
    now(lagging.revoke_subject(&alice, LIFETIME)).unwrap();
    assert_eq!(
        now(revocations.check(&id(1), Some(&alice), MS0 + 50_000)),
        Ok(Verdict::Revoked)
    );
}

#[test]
fn a_check_reads_the_session_and_its_subject_in_one_round_trip() {
    let (revocations, store, _) = setup();
    let alice = Subject::new("alice").unwrap();
    now(revocations.check(&id(1), Some(&alice), MS0)).unwrap();
    now(revocations.check(&id(1), None, MS0)).unwrap();
    assert_eq!(store.reads(), 2);
}

#[test]
fn within_the_staleness_bound_a_remote_revocation_shows_late_a_local_one_at_once() {
    let clock = ManualClock::new(T0);
    let store = FlakyStore::new(MemoryStore::new().clock(clock.clone()));
    let here = Revocations::new(store.clone())
        .clock(clock.clone())
        .on_forgotten(Forgotten::Accept)
        .staleness(Duration::from_secs(2));
    let elsewhere = Revocations::new(store.clone()).clock(clock.clone());
    let alice = Subject::new("alice").unwrap();
    assert_eq!(
        now(here.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Valid)
    );
    now(elsewhere.revoke_session(&id(1), Some(&alice), T0 + 600)).unwrap();
    // Cached: no round trip, and the revocation made elsewhere is not seen yet.
    assert_eq!(
        now(here.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Valid)
    );
    assert_eq!(store.reads(), 1);
    clock.set(T0 + 2);
    assert_eq!(
        now(here.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Revoked)
    );
    // A revocation made here holds here at once, cache or not.
    assert_eq!(
        now(here.check(&id(2), Some(&alice), MS0)),
        Ok(Verdict::Valid)
    );
    now(here.revoke_session(&id(2), Some(&alice), T0 + 600)).unwrap();
    assert_eq!(
        now(here.check(&id(2), Some(&alice), MS0)),
        Ok(Verdict::Revoked)
    );
}

#[test]
fn an_outage_fails_closed_unless_outages_are_accepted_by_choice() {
    let (revocations, store, _) = setup();
    let alice = Subject::new("alice").unwrap();
    store.set_down(true);
    assert!(matches!(
        now(revocations.check(&id(1), Some(&alice), MS0)),
        Err(StoreError::Unreachable(_))
    ));
    assert!(now(revocations.revoke_session(&id(1), Some(&alice), T0 + 60)).is_err());
    let lenient = revocations.clone().on_outage(Outage::Accept);
    assert_eq!(
        now(lenient.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Unchecked)
    );
    // Back up: checks work again, with no restart.
    store.set_down(false);
    assert_eq!(
        now(revocations.check(&id(1), Some(&alice), MS0)),
        Ok(Verdict::Valid)
    );
}

#[test]
fn the_memory_store_keeps_the_larger_value_and_the_later_expiry() {
    let clock = ManualClock::new(T0);
    let store = MemoryStore::new().clock(clock.clone());
    now(store.raise("k", 5, T0 + 10)).unwrap();
    now(store.raise("k", 3, T0 + 20)).unwrap();
    let keys = ["k".to_owned()];
    assert_eq!(now(store.read(&keys)), Ok(vec![Some(5)]));
    clock.set(T0 + 15);
    assert_eq!(now(store.read(&keys)), Ok(vec![Some(5)]));
    clock.set(T0 + 20);
    assert_eq!(now(store.read(&keys)), Ok(vec![None]));
    // An expired key counts as absent when raised again.
    now(store.raise("k", 1, T0 + 30)).unwrap();
    assert_eq!(now(store.read(&keys)), Ok(vec![Some(1)]));
}

#[test]
fn the_memory_store_refuses_keys_over_the_bound() {
    let store = MemoryStore::new();
    let long = "k".repeat(sealed_session::store::MAX_KEY_LEN + 1);
    assert!(matches!(
        now(store.raise(&long, 1, u64::MAX)),
        Err(StoreError::Refused(_))
    ));
}

#[test]
fn sweeping_expired_entries_is_bounded_per_write() {
    let clock = ManualClock::new(T0);
    let store = MemoryStore::new().clock(clock.clone());
    for i in 0..100 {
        now(store.raise(&format!("k{i}"), 1, T0 + 1)).unwrap();
    }
    clock.set(T0 + 1);
    now(store.raise("fresh", 1, T0 + 100)).unwrap();
    // One write swept some, not all: no pause proportional to the store's size.
    let left = store.len();
    assert!(left > 1 && left < 101, "{left}");
    for _ in 0..10 {
        now(store.raise("fresh", 1, T0 + 100)).unwrap();
    }
    assert_eq!(store.len(), 1);
}

/// A session with revocations is not usable until [`Driver::load`] has checked it: a path that
/// reads it without loading (a middleware that forgot) sees no session, never an unchecked one.
#[test]
fn a_session_reads_as_absent_until_loaded_and_a_revoked_one_stays_absent() {
    use common::driver::{Sent, begin, begin_loaded, end};
    use sealed_session::web::Driver;
    use sealed_session::{CookieOptions, Key, KeyRing, Sealer, SessionCookie};

    let (revocations, _, _) = setup();
    let sealer = Sealer::builder(KeyRing::new(Key::generate().unwrap()), "sid")
        .session_ids(true)
        .clock(ManualClock::new(T0))
        .build()
        .unwrap();
    let cookie = SessionCookie::sealed(sealer, CookieOptions::new()).unwrap();
    let driver = Driver::builder(cookie)
        .revocations(revocations.clone())
        .build()
        .unwrap();
    let first = begin_loaded::<u32>(&driver, "");
    first.replace(7).unwrap();
    let header = end(&driver, &first).set_cookies()[0]
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let session = begin::<u32>(&driver, &header);
    assert_eq!(session.get(), None, "unchecked reads as no session");
    now(Driver::load(&session)).unwrap();
    assert_eq!(session.get(), Some(7));

    let id = session.session_id().unwrap();
    now(revocations.revoke_session(&id, None, T0 + 3600)).unwrap();
    let revoked = begin_loaded::<u32>(&driver, &header);
    assert_eq!(revoked.get(), None);
    assert_eq!(revoked.refused(), Some(sealed_session::Refusal::Revoked));
}
