//! Staged activation and seal counting in the ring: a key added to open now and seal from a set
//! time (so every server switches in the same second), and how many seals each key has made.

mod common;

use common::sealer::{key_id_of, session};
use sealed_session::{Key, KeyRing, KeyRingError, ManualClock, RenewalReason, Sealer};

const T0: u64 = 1_900_000_000;

fn sealer_at(ring: &KeyRing, clock: &ManualClock) -> Sealer {
    Sealer::builder(ring.clone(), common::sealer::NAME)
        .clock(clock.clone())
        .build()
        .unwrap()
}

#[test]
fn a_scheduled_key_opens_at_once_but_seals_only_from_its_time() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let old = ring.primary_id();
    let clock = ManualClock::new(T0);
    let sealer = sealer_at(&ring, &clock);
    let next = ring
        .add_activating_at(Key::generate().unwrap(), T0 + 100)
        .unwrap();
    // Before its time: the old key seals, the new one is in the ring.
    let before = sealer.seal(&session()).unwrap().into_value();
    assert_eq!(key_id_of(&before), old);
    assert!(ring.contains(next));
    clock.set(T0 + 99);
    assert_eq!(
        key_id_of(&sealer.seal(&session()).unwrap().into_value()),
        old
    );
    // From its second on, every sealer of the ring seals with it, with no call to the ring.
    clock.set(T0 + 100);
    let after = sealer.seal(&session()).unwrap().into_value();
    assert_eq!(key_id_of(&after), next);
    assert_eq!(ring.primary_id_at(T0 + 100), next);
}

#[test]
fn after_the_switch_values_of_the_old_key_open_and_ask_for_renewal() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let clock = ManualClock::new(T0);
    let sealer = sealer_at(&ring, &clock);
    ring.add_activating_at(Key::generate().unwrap(), T0 + 10)
        .unwrap();
    let old_value = sealer.seal(&session()).unwrap().into_value();
    assert_eq!(
        sealer
            .open::<common::sealer::Session>(&old_value)
            .unwrap()
            .renewal,
        None
    );
    clock.set(T0 + 10);
    let opened = sealer.open::<common::sealer::Session>(&old_value).unwrap();
    assert_eq!(opened.renewal, Some(RenewalReason::OldKey));
}

#[test]
fn the_key_that_seals_now_cannot_be_retired_even_when_it_came_by_schedule() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let first = ring.primary_id();
    // Activated in the past: it is the primary now.
    let next = ring.add_activating_at(Key::generate().unwrap(), 1).unwrap();
    assert_eq!(ring.primary_id(), next);
    assert_eq!(ring.retire(next), Err(KeyRingError::RetirePrimary(next)));
    ring.retire(first).unwrap();
    assert_eq!(ring.key_ids(), vec![next]);
    assert_eq!(ring.primary_id(), next);
}

#[test]
fn promoting_by_hand_overrides_a_passed_activation_but_not_a_later_one() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let first = ring.primary_id();
    let passed = ring.add_activating_at(Key::generate().unwrap(), 1).unwrap();
    let later = ring
        .add_activating_at(Key::generate().unwrap(), u64::MAX / 2)
        .unwrap();
    assert_eq!(ring.primary_id(), passed);
    ring.promote(first).unwrap();
    assert_eq!(ring.primary_id(), first);
    assert_eq!(ring.primary_id_at(u64::MAX / 2), later);
}

#[test]
fn a_retired_scheduled_key_never_activates() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let first = ring.primary_id();
    let later = ring
        .add_activating_at(Key::generate().unwrap(), u64::MAX / 2)
        .unwrap();
    ring.retire(later).unwrap();
    assert_eq!(ring.primary_id_at(u64::MAX / 2), first);
}

#[test]
fn seal_counts_count_every_seal_under_the_key_that_made_it() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let first = ring.primary_id();
    let clock = ManualClock::new(T0);
    let sealer = sealer_at(&ring, &clock);
    let next = ring
        .add_activating_at(Key::generate().unwrap(), T0 + 1)
        .unwrap();
    for _ in 0..3 {
        let _ = sealer.seal(&session()).unwrap();
    }
    clock.set(T0 + 1);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let sealer = sealer.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let _ = sealer.seal(&session()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(ring.seal_counts(), vec![(first, 3), (next, 200)]);
    // Opening is not sealing.
    let value = sealer.seal(&session()).unwrap().into_value();
    sealer.open::<common::sealer::Session>(&value).unwrap();
    assert_eq!(ring.seal_counts()[1], (next, 201));
}

#[test]
fn a_seal_refused_as_too_large_still_counts() {
    let ring = KeyRing::new(Key::generate().unwrap());
    let sealer = Sealer::builder(ring.clone(), common::sealer::NAME)
        .build()
        .unwrap();
    assert!(sealer.seal(&vec![0u8; 5000]).is_err());
    assert_eq!(ring.seal_counts()[0].1, 1);
}
