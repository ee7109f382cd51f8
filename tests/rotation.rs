//! Key rotation while the program runs: add, promote, retire, rotate, and what each does to the
//! values already handed out.

mod common;

use common::sealer::{Session, fixture, key_id_of, session};
use sealed_session::{Key, KeyRing, KeyRingError, OpenError, RenewalReason, Sealer};

fn new_key() -> Key {
    Key::generate().unwrap()
}

#[test]
fn a_new_ring_holds_only_its_primary() {
    let key = new_key();
    let ring = KeyRing::new(key.clone());
    assert_eq!(ring.primary_id(), key.id());
    assert_eq!(ring.key_ids(), vec![key.id()]);
    assert!(ring.contains(key.id()));
    assert!(!ring.contains(new_key().id()));
}

#[test]
fn new_seals_name_the_primary_key_in_their_header() {
    let f = fixture();
    let value = f.sealer.seal(&session()).unwrap().into_value();
    assert_eq!(
        common::sealer::decode(&value)[common::sealer::KEY_ID],
        f.ring.primary_id().to_bytes()
    );
}

#[test]
fn an_added_key_opens_but_does_not_seal_until_promoted() {
    let f = fixture();
    let old = f.ring.primary_id();
    let added = f.ring.add(new_key()).unwrap();
    assert_eq!(f.ring.primary_id(), old);
    assert_eq!(f.ring.key_ids(), vec![old, added]);
    let value = f.sealer.seal(&session()).unwrap().into_value();
    assert_eq!(key_id_of(&value), old);
}

#[test]
fn after_promotion_new_seals_use_the_new_primary() {
    let f = fixture();
    let new_id = f.ring.add(new_key()).unwrap();
    f.ring.promote(new_id).unwrap();
    assert_eq!(f.ring.primary_id(), new_id);
    let value = f.sealer.seal(&session()).unwrap().into_value();
    assert_eq!(
        common::sealer::decode(&value)[common::sealer::KEY_ID],
        f.ring.primary_id().to_bytes()
    );
    let opened = f.sealer.open::<Session>(&value).unwrap();
    assert_eq!(opened.renewal, None);
}

#[test]
fn old_key_values_open_after_promotion_and_ask_for_renewal() {
    let f = fixture();
    let value = f.sealer.seal(&session()).unwrap().into_value();
    let new_id = f.ring.add(new_key()).unwrap();
    f.ring.promote(new_id).unwrap();
    let opened = f.sealer.open::<Session>(&value).unwrap();
    assert_eq!(opened.state, session());
    assert_eq!(opened.renewal, Some(RenewalReason::OldKey));
}

#[test]
fn renewing_an_old_key_value_moves_it_to_the_new_primary() {
    let f = fixture();
    let value = f.sealer.seal(&session()).unwrap().into_value();
    let new_id = f.ring.rotate(new_key()).unwrap();
    let opened = f.sealer.open::<Session>(&value).unwrap();
    let renewed = f.sealer.renew(&opened.state, &opened.envelope()).unwrap();
    assert_eq!(key_id_of(renewed.value()), new_id);
    let reopened = f.sealer.open::<Session>(renewed.value()).unwrap();
    assert_eq!(reopened.renewal, None);
    assert_eq!(reopened.state, session());
}

#[test]
fn old_key_values_fail_with_unknown_key_after_the_old_key_is_retired() {
    let f = fixture();
    let old_id = f.ring.primary_id();
    let value = f.sealer.seal(&session()).unwrap().into_value();
    f.ring.rotate(new_key()).unwrap();
    f.ring.retire(old_id).unwrap();
    assert!(!f.ring.contains(old_id));
    assert_eq!(
        f.sealer.open::<Session>(&value).unwrap_err(),
        OpenError::UnknownKey(old_id)
    );
}

#[test]
fn a_retired_key_added_back_opens_its_values_again() {
    let f = fixture();
    let old = new_key();
    let old_id = f.ring.rotate(old.clone()).unwrap();
    let value = f.sealer.seal(&session()).unwrap().into_value();
    f.ring.rotate(new_key()).unwrap();
    f.ring.retire(old_id).unwrap();
    assert_eq!(
        f.sealer.open::<Session>(&value).unwrap_err(),
        OpenError::UnknownKey(old_id)
    );
    assert_eq!(f.ring.add(old), Ok(old_id));
    assert_eq!(f.sealer.open::<Session>(&value).unwrap().state, session());
}

#[test]
fn promoting_an_older_key_again_rolls_sealing_back_to_it() {
    let f = fixture();
    let first = f.ring.primary_id();
    let second = f.ring.rotate(new_key()).unwrap();
    let by_second = f.sealer.seal(&session()).unwrap().into_value();
    f.ring.promote(first).unwrap();
    assert_eq!(key_id_of(f.sealer.seal(&session()).unwrap().value()), first);
    assert_eq!(key_id_of(&by_second), second);
    let opened = f.sealer.open::<Session>(&by_second).unwrap();
    assert_eq!(opened.renewal, Some(RenewalReason::OldKey));
}

#[test]
fn promoting_the_primary_again_changes_nothing() {
    let f = fixture();
    let id = f.ring.primary_id();
    assert_eq!(f.ring.promote(id), Ok(()));
    assert_eq!(f.ring.primary_id(), id);
    assert_eq!(f.ring.key_ids(), vec![id]);
}

#[test]
fn adding_a_key_already_in_the_ring_is_a_duplicate_key_id() {
    let key = new_key();
    let ring = KeyRing::new(key.clone());
    assert_eq!(
        ring.add(key.clone()),
        Err(KeyRingError::DuplicateKeyId(key.id()))
    );
    let other = new_key();
    ring.add(other.clone()).unwrap();
    assert_eq!(
        ring.add(other.clone()),
        Err(KeyRingError::DuplicateKeyId(other.id()))
    );
}

#[test]
fn rotating_to_a_key_already_in_the_ring_is_a_duplicate_key_id() {
    let key = new_key();
    let ring = KeyRing::new(key.clone());
    assert_eq!(
        ring.rotate(key.clone()),
        Err(KeyRingError::DuplicateKeyId(key.id()))
    );
}

#[test]
fn retiring_the_primary_is_refused() {
    let f = fixture();
    let id = f.ring.primary_id();
    assert_eq!(f.ring.retire(id), Err(KeyRingError::RetirePrimary(id)));
    let rotated = f.ring.rotate(new_key()).unwrap();
    assert_eq!(
        f.ring.retire(rotated),
        Err(KeyRingError::RetirePrimary(rotated))
    );
}

#[test]
fn promoting_or_retiring_an_unknown_key_is_refused() {
    let f = fixture();
    let stranger = new_key().id();
    assert_eq!(
        f.ring.promote(stranger),
        Err(KeyRingError::UnknownKey(stranger))
    );
    assert_eq!(
        f.ring.retire(stranger),
        Err(KeyRingError::UnknownKey(stranger))
    );
}

#[test]
fn retiring_a_key_twice_is_refused_the_second_time() {
    let f = fixture();
    let old = f.ring.primary_id();
    f.ring.rotate(new_key()).unwrap();
    assert_eq!(f.ring.retire(old), Ok(()));
    assert_eq!(f.ring.retire(old), Err(KeyRingError::UnknownKey(old)));
}

#[test]
fn a_refused_change_leaves_the_ring_unchanged() {
    let f = fixture();
    let first = f.ring.primary_id();
    let second_key = new_key();
    let second = f.ring.add(second_key.clone()).unwrap();
    let value = f.sealer.seal(&session()).unwrap().into_value();
    let state = || (f.ring.primary_id(), f.ring.key_ids());
    let before = state();
    let stranger = new_key().id();

    assert_eq!(
        f.ring.add(second_key.clone()),
        Err(KeyRingError::DuplicateKeyId(second))
    );
    assert_eq!(state(), before, "after a refused add");
    assert_eq!(
        f.ring.rotate(second_key),
        Err(KeyRingError::DuplicateKeyId(second))
    );
    assert_eq!(state(), before, "a refused rotate promotes nothing");
    assert_eq!(
        f.ring.retire(first),
        Err(KeyRingError::RetirePrimary(first))
    );
    assert_eq!(state(), before, "after a refused retire");
    assert_eq!(
        f.ring.promote(stranger),
        Err(KeyRingError::UnknownKey(stranger))
    );
    assert_eq!(state(), before, "after a refused promote");
    assert_eq!(
        f.ring.retire(stranger),
        Err(KeyRingError::UnknownKey(stranger))
    );
    assert_eq!(state(), before, "after a refused retire of a stranger");

    assert_eq!(before, (first, vec![first, second]));
    assert_eq!(f.sealer.open::<Session>(&value).unwrap().renewal, None);
}

#[test]
fn rotate_adds_and_promotes_in_one_step() {
    let f = fixture();
    let old = f.ring.primary_id();
    let key = new_key();
    let id = f.ring.rotate(key.clone()).unwrap();
    assert_eq!(id, key.id());
    assert_eq!(f.ring.primary_id(), id);
    assert_eq!(f.ring.key_ids(), vec![old, id]);
    assert_eq!(key_id_of(f.sealer.seal(&session()).unwrap().value()), id);
}

#[test]
fn key_ids_are_listed_in_the_order_they_were_added() {
    let f = fixture();
    let first = f.ring.primary_id();
    let a = f.ring.add(new_key()).unwrap();
    let b = f.ring.rotate(new_key()).unwrap();
    let c = f.ring.add(new_key()).unwrap();
    f.ring.promote(a).unwrap();
    assert_eq!(f.ring.key_ids(), vec![first, a, b, c]);
    f.ring.retire(b).unwrap();
    assert_eq!(f.ring.key_ids(), vec![first, a, c]);
}

#[test]
fn clones_of_a_key_ring_share_every_rotation() {
    let ring = KeyRing::new(new_key());
    let clone = ring.clone();
    let old = ring.primary_id();
    let id = clone.rotate(new_key()).unwrap();
    assert_eq!(ring.primary_id(), id);
    ring.retire(old).unwrap();
    assert_eq!(clone.key_ids(), vec![id]);
    assert!(!clone.contains(old));
}

#[test]
fn a_sealer_made_before_a_rotation_sees_it() {
    let f = fixture();
    let other_sealer = Sealer::builder(f.ring.clone(), "other").build().unwrap();
    let id = f.ring.clone().rotate(new_key()).unwrap();
    assert_eq!(f.sealer.key_ring().primary_id(), id);
    assert_eq!(key_id_of(f.sealer.seal(&session()).unwrap().value()), id);
    assert_eq!(
        key_id_of(other_sealer.seal(&session()).unwrap().value()),
        id
    );
}

#[test]
fn values_of_every_key_still_in_the_ring_open() {
    let f = fixture();
    let mut values = vec![(
        f.ring.primary_id(),
        f.sealer.seal(&0u32).unwrap().into_value(),
    )];
    for i in 1..6u32 {
        let id = f.ring.rotate(new_key()).unwrap();
        values.push((id, f.sealer.seal(&i).unwrap().into_value()));
    }
    for (i, (id, value)) in values.iter().enumerate() {
        assert_eq!(key_id_of(value), *id);
        let opened = f.sealer.open::<u32>(value).unwrap();
        assert_eq!(opened.state, i as u32);
        let expected = (i < values.len() - 1).then_some(RenewalReason::OldKey);
        assert_eq!(opened.renewal, expected, "value {i}");
    }
}

#[test]
fn old_key_renewal_takes_precedence_over_renewal_due() {
    let f = fixture();
    let value = f.sealer.seal(&session()).unwrap().into_value();
    f.ring.rotate(new_key()).unwrap();
    f.clock.advance(common::sealer::secs(1000)); // renewal is due as well
    let opened = f.sealer.open::<Session>(&value).unwrap();
    assert_eq!(opened.renewal, Some(RenewalReason::OldKey));
}
