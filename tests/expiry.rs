//! Lifetimes live inside the authenticated value: idle timeout, absolute lifetime, leeway for
//! clock skew, renewal, and the `Max-Age` a cookie should carry. All on a manual clock.

mod common;

use common::sealer::{Fixture, T0, secs};
use sealed_session::{
    DEFAULT_LEEWAY, Key, KeyRing, Lifetime, ManualClock, OpenError, Opened, RenewalReason,
    SealError, Sealed, Sealer,
};

const LEEWAY: u64 = 60;
const IDLE: u64 = 600;
const ABSOLUTE: u64 = 3600;

/// Idle 600 s, absolute 3600 s, leeway 60 s, renewal after the default (idle / 10 = 60 s).
fn fixture() -> Fixture {
    common::sealer::fixture_with(|b| {
        b.idle_timeout(secs(IDLE))
            .absolute_lifetime(secs(ABSOLUTE))
            .leeway(secs(LEEWAY))
    })
}

fn open_at(f: &Fixture, value: &str, now: u64) -> Result<Opened<u32>, OpenError> {
    f.clock.set(now);
    f.sealer.open::<u32>(value)
}

/// The value of a session sealed as `first` and renewed every half idle timeout until `at`.
fn renewed_at(f: &Fixture, first: &Sealed, at: u64) -> Sealed {
    common::sealer::renewed_at(&f.sealer, &f.clock, &1u32, first, IDLE / 2, at)
}

fn seal_at(f: &Fixture, now: u64) -> String {
    f.clock.set(now);
    f.sealer.seal(&1u32).unwrap().into_value()
}

#[test]
fn a_value_opens_until_idle_timeout_plus_leeway_inclusive() {
    let f = fixture();
    let value = seal_at(&f, T0);
    for now in [T0, T0 + 1, T0 + IDLE, T0 + IDLE + 1, T0 + IDLE + LEEWAY] {
        assert!(open_at(&f, &value, now).is_ok(), "at T0 + {}", now - T0);
    }
}

#[test]
fn a_value_is_idle_expired_one_second_after_idle_timeout_plus_leeway() {
    let f = fixture();
    let value = seal_at(&f, T0);
    for now in [
        T0 + IDLE + LEEWAY + 1,
        T0 + IDLE + LEEWAY + 1000,
        T0 + ABSOLUTE + LEEWAY,
    ] {
        assert_eq!(
            open_at(&f, &value, now).unwrap_err(),
            OpenError::Expired {
                lifetime: Lifetime::Idle,
                expired_at: T0 + IDLE
            },
            "at {now}"
        );
    }
}

#[test]
fn renewing_keeps_a_session_alive_until_its_absolute_lifetime_ends() {
    let f = fixture();
    let mut value = seal_at(&f, T0);
    // An active user: a request every half idle timeout, each renewing the cookie.
    let mut now = T0;
    loop {
        now += IDLE / 2;
        let opened = open_at(&f, &value, now).expect("an active session stays open");
        assert_eq!(opened.stamps.created(), T0);
        match f.sealer.renew(&opened.state, &opened.envelope()) {
            Ok(sealed) => {
                assert!(now < T0 + ABSOLUTE);
                assert_eq!(sealed.stamps().created(), T0);
                assert_eq!(sealed.stamps().issued(), now);
                assert_eq!(
                    sealed.stamps().expires(),
                    (now + IDLE).min(T0 + ABSOLUTE),
                    "expires = min(issued + idle, created + absolute)"
                );
                value = sealed.into_value();
            }
            Err(e) => {
                assert_eq!(
                    now,
                    T0 + ABSOLUTE,
                    "renewal refused only at the absolute end"
                );
                assert_eq!(
                    e,
                    SealError::Expired {
                        expired_at: T0 + ABSOLUTE
                    }
                );
                break;
            }
        }
    }
    // The last renewal still opens through the leeway, then the absolute lifetime is over.
    assert!(open_at(&f, &value, T0 + ABSOLUTE + LEEWAY).is_ok());
    assert_eq!(
        open_at(&f, &value, T0 + ABSOLUTE + LEEWAY + 1).unwrap_err(),
        OpenError::Expired {
            lifetime: Lifetime::Absolute,
            expired_at: T0 + ABSOLUTE
        }
    );
}

#[test]
fn renewal_after_the_absolute_lifetime_is_refused_as_expired() {
    let f = fixture();
    let sealed = f.sealer.seal(&1u32).unwrap();
    let last = renewed_at(&f, &sealed, T0 + ABSOLUTE - 1);
    assert_eq!(last.stamps().expires(), T0 + ABSOLUTE);
    assert_eq!(last.max_age(), secs(1));
    for now in [
        T0 + ABSOLUTE,
        T0 + ABSOLUTE + 1,
        T0 + ABSOLUTE + LEEWAY,
        T0 + ABSOLUTE + LEEWAY + 1,
        T0 + 10 * ABSOLUTE,
    ] {
        f.clock.set(now);
        assert_eq!(
            f.sealer.renew(&1u32, last.envelope()).unwrap_err(),
            SealError::Expired {
                expired_at: T0 + ABSOLUTE
            },
            "at T0 + {}",
            now - T0
        );
    }
}

#[test]
fn renewing_a_session_whose_idle_timeout_has_passed_is_refused_as_expired() {
    let f = fixture();
    let sealed = f.sealer.seal(&1u32).unwrap();
    // Stamps kept past their idle expiry must not revive the session.
    f.clock.set(T0 + IDLE + LEEWAY + 1);
    assert_eq!(
        f.sealer.renew(&1u32, sealed.envelope()).unwrap_err(),
        SealError::Expired {
            expired_at: T0 + IDLE
        }
    );
    // Within the leeway the session is still open, so it may still be renewed.
    f.clock.set(T0 + IDLE + LEEWAY);
    let renewed = f.sealer.renew(&1u32, sealed.envelope()).unwrap();
    assert_eq!(renewed.stamps().created(), T0);
    assert_eq!(renewed.stamps().issued(), T0 + IDLE + LEEWAY);
}

#[test]
fn a_value_issued_in_the_future_opens_from_leeway_before_its_issue() {
    let f = fixture();
    let value = seal_at(&f, T0);
    let opened = open_at(&f, &value, T0 - LEEWAY).unwrap();
    assert_eq!(opened.stamps.issued(), T0);
    assert_eq!(opened.opened_at, T0 - LEEWAY);
}

#[test]
fn a_value_issued_further_in_the_future_than_the_leeway_is_not_yet_valid() {
    let f = fixture();
    let value = seal_at(&f, T0);
    for now in [T0 - LEEWAY - 1, T0 - 10_000, 0] {
        assert_eq!(
            open_at(&f, &value, now).unwrap_err(),
            OpenError::NotYetValid { issued_at: T0, now },
        );
    }
}

#[test]
fn with_zero_leeway_every_edge_is_exact() {
    let f = common::sealer::fixture_with(|b| {
        b.idle_timeout(secs(IDLE))
            .absolute_lifetime(secs(ABSOLUTE))
            .leeway(secs(0))
    });
    let value = seal_at(&f, T0);
    assert!(open_at(&f, &value, T0).is_ok());
    assert!(open_at(&f, &value, T0 + IDLE).is_ok());
    assert_eq!(
        open_at(&f, &value, T0 + IDLE + 1).unwrap_err(),
        OpenError::Expired {
            lifetime: Lifetime::Idle,
            expired_at: T0 + IDLE
        }
    );
    assert_eq!(
        open_at(&f, &value, T0 - 1).unwrap_err(),
        OpenError::NotYetValid {
            issued_at: T0,
            now: T0 - 1
        }
    );
}

#[test]
fn with_zero_leeway_the_absolute_edge_is_exact() {
    let f = common::sealer::fixture_with(|b| {
        b.idle_timeout(secs(IDLE))
            .absolute_lifetime(secs(IDLE))
            .leeway(secs(0))
    });
    let value = seal_at(&f, T0);
    assert!(open_at(&f, &value, T0 + IDLE).is_ok());
    // Both lifetimes end at once: the absolute lifetime is reported.
    assert_eq!(
        open_at(&f, &value, T0 + IDLE + 1).unwrap_err(),
        OpenError::Expired {
            lifetime: Lifetime::Absolute,
            expired_at: T0 + IDLE
        }
    );
}

/// Two sealers over the same ring, name, purpose and clock, with different policies.
fn two_policies(long: (u64, u64), short: (u64, u64)) -> (Sealer, Sealer, ManualClock) {
    let ring = KeyRing::new(Key::generate().unwrap());
    let clock = ManualClock::new(T0);
    let make = |(idle, absolute): (u64, u64)| {
        common::sealer::builder(&ring, &clock)
            .idle_timeout(secs(idle))
            .absolute_lifetime(secs(absolute))
            .leeway(secs(LEEWAY))
            .build()
            .unwrap()
    };
    (make(long), make(short), clock)
}

#[test]
fn shortening_the_idle_timeout_takes_effect_on_values_already_issued() {
    let (long, short, clock) = two_policies((IDLE, ABSOLUTE), (IDLE / 2, ABSOLUTE));
    let value = long.seal(&1u32).unwrap().into_value();
    clock.set(T0 + IDLE / 2 + LEEWAY);
    assert!(short.open::<u32>(&value).is_ok());
    clock.set(T0 + IDLE / 2 + LEEWAY + 1);
    assert_eq!(
        short.open::<u32>(&value).unwrap_err(),
        OpenError::Expired {
            lifetime: Lifetime::Idle,
            expired_at: T0 + IDLE / 2
        }
    );
    assert!(
        long.open::<u32>(&value).is_ok(),
        "the longer policy still accepts it"
    );
}

#[test]
fn shortening_the_absolute_lifetime_takes_effect_on_values_already_issued() {
    let short_absolute = ABSOLUTE / 2;
    let (long, short, clock) = two_policies((IDLE, ABSOLUTE), (IDLE, short_absolute));
    let first = long.seal(&1u32).unwrap();
    let at = T0 + short_absolute - 100;
    let renewed = common::sealer::renewed_at(&long, &clock, &1u32, &first, IDLE / 2, at);
    assert_eq!(renewed.stamps().expires(), T0 + short_absolute - 100 + IDLE);
    clock.set(T0 + short_absolute + LEEWAY);
    assert!(short.open::<u32>(renewed.value()).is_ok());
    clock.set(T0 + short_absolute + LEEWAY + 1);
    assert_eq!(
        short.open::<u32>(renewed.value()).unwrap_err(),
        OpenError::Expired {
            lifetime: Lifetime::Absolute,
            expired_at: T0 + short_absolute
        }
    );
    assert!(long.open::<u32>(renewed.value()).is_ok());
}

#[test]
fn lengthening_the_idle_timeout_does_not_extend_the_stamped_expiry() {
    let (long, short, clock) = two_policies((IDLE, ABSOLUTE), (IDLE / 2, ABSOLUTE));
    let value = short.seal(&1u32).unwrap().into_value();
    clock.set(T0 + IDLE / 2 + LEEWAY + 1);
    assert_eq!(
        long.open::<u32>(&value).unwrap_err(),
        OpenError::Expired {
            lifetime: Lifetime::Idle,
            expired_at: T0 + IDLE / 2
        }
    );
}

#[test]
fn renewal_is_due_once_renew_after_has_passed_and_not_before() {
    // Default renew_after is a tenth of the idle timeout.
    let f = fixture();
    let value = seal_at(&f, T0);
    assert_eq!(open_at(&f, &value, T0).unwrap().renewal, None);
    assert_eq!(
        open_at(&f, &value, T0 + IDLE / 10 - 1).unwrap().renewal,
        None
    );
    for now in [T0 + IDLE / 10, T0 + IDLE / 2, T0 + IDLE + LEEWAY] {
        let opened = open_at(&f, &value, now).unwrap();
        assert_eq!(
            opened.renewal,
            Some(RenewalReason::Due),
            "at T0 + {}",
            now - T0
        );
        assert!(opened.needs_renewal());
    }
}

#[test]
fn a_configured_renew_after_replaces_the_default() {
    let f = common::sealer::fixture_with(|b| {
        b.idle_timeout(secs(IDLE))
            .absolute_lifetime(secs(ABSOLUTE))
            .renew_after(secs(300))
    });
    let value = seal_at(&f, T0);
    assert_eq!(open_at(&f, &value, T0 + 299).unwrap().renewal, None);
    assert_eq!(
        open_at(&f, &value, T0 + 300).unwrap().renewal,
        Some(RenewalReason::Due)
    );
}

#[test]
fn renewal_is_not_due_when_renewing_would_not_move_the_expiry() {
    let f = fixture();
    let first = f.sealer.seal(&1u32).unwrap();
    // Renewed so late that its expiry is already the absolute end.
    let late = renewed_at(&f, &first, T0 + ABSOLUTE - IDLE / 2);
    assert_eq!(late.stamps().expires(), T0 + ABSOLUTE);
    let opened = open_at(&f, late.value(), T0 + ABSOLUTE - IDLE / 2 + IDLE / 5).unwrap();
    assert_eq!(opened.renewal, None);
}

#[test]
fn renewal_keeps_the_creation_time_and_moves_the_issue_time() {
    let f = fixture();
    let first = f.sealer.seal(&1u32).unwrap();
    f.clock.set(T0 + 100);
    let opened = f.sealer.open::<u32>(first.value()).unwrap();
    let renewed = f.sealer.renew(&opened.state, &opened.envelope()).unwrap();
    assert_eq!(renewed.stamps().created(), T0);
    assert_eq!(renewed.stamps().issued(), T0 + 100);
    assert_eq!(renewed.stamps().expires(), T0 + 100 + IDLE);
    let reopened = f.sealer.open::<u32>(renewed.value()).unwrap();
    assert_eq!(reopened.stamps, *renewed.stamps());
    assert_eq!(reopened.renewal, None);
}

#[test]
fn a_renewed_value_outlives_the_value_it_replaced() {
    let f = fixture();
    let first = f.sealer.seal(&1u32).unwrap();
    f.clock.set(T0 + 300);
    let renewed = f.sealer.renew(&1u32, first.envelope()).unwrap();
    let after_first = T0 + IDLE + LEEWAY + 1;
    assert!(matches!(
        open_at(&f, first.value(), after_first),
        Err(OpenError::Expired {
            lifetime: Lifetime::Idle,
            ..
        })
    ));
    assert!(open_at(&f, renewed.value(), after_first).is_ok());
}

#[test]
fn renewing_a_session_created_slightly_in_the_future_counts_its_creation_as_now() {
    // Another server's clock runs 30 s ahead (within the leeway).
    let ring = KeyRing::new(Key::generate().unwrap());
    let ahead = common::sealer::builder(&ring, &ManualClock::new(T0 + 30))
        .build()
        .unwrap();
    let f_clock = ManualClock::new(T0);
    let here = common::sealer::builder(&ring, &f_clock).build().unwrap();
    let sealed = ahead.seal(&1u32).unwrap();
    let opened = here.open::<u32>(sealed.value()).unwrap();
    assert_eq!(opened.stamps.created(), T0 + 30);
    let renewed = here.renew(&1u32, &opened.envelope()).unwrap();
    assert_eq!(renewed.stamps().created(), T0);
    assert_eq!(renewed.stamps().issued(), T0);
}

#[test]
fn sealed_max_age_is_the_time_from_issue_to_expiry() {
    let f = fixture();
    let fresh = f.sealer.seal(&1u32).unwrap();
    assert_eq!(fresh.max_age(), secs(IDLE));
    let late = renewed_at(&f, &fresh, T0 + ABSOLUTE - 100);
    assert_eq!(late.max_age(), secs(100), "capped by the absolute lifetime");
}

#[test]
fn opened_max_age_counts_down_to_zero_and_stays_there() {
    let f = fixture();
    let value = seal_at(&f, T0);
    for (now, left) in [
        (T0 - LEEWAY, IDLE + LEEWAY),
        (T0, IDLE),
        (T0 + 1, IDLE - 1),
        (T0 + 250, IDLE - 250),
        (T0 + IDLE - 1, 1),
        (T0 + IDLE, 0),
        (T0 + IDLE + LEEWAY, 0),
    ] {
        let opened = open_at(&f, &value, now).unwrap();
        assert_eq!(
            secs(opened.valid_until.saturating_sub(opened.opened_at)),
            secs(left),
            "at T0 + {}",
            now as i64 - T0 as i64
        );
    }
}

#[test]
fn sealed_max_age_is_the_time_from_sealing_to_the_stamped_expiry() {
    let f = fixture();
    let sealed = f.sealer.seal(&1u32).unwrap();
    assert_eq!(sealed.max_age(), secs(IDLE));
    assert_eq!(sealed.stamps().expires(), T0 + IDLE);
    // Renewed later in its lifetime, the Max-Age is the new idle window again.
    f.clock.set(T0 + 599);
    let renewed = f.sealer.renew(&1u32, sealed.envelope()).unwrap();
    assert_eq!(renewed.max_age(), secs(IDLE));
}

#[test]
fn the_stamped_expiry_is_the_earlier_of_idle_and_absolute_ends() {
    let f = fixture();
    let first = f.sealer.seal(&1u32).unwrap();
    for issued in [
        T0,
        T0 + 1,
        T0 + ABSOLUTE - IDLE - 1,
        T0 + ABSOLUTE - IDLE,
        T0 + ABSOLUTE - 1,
    ] {
        let s = *renewed_at(&f, &first, issued).stamps();
        assert_eq!(
            s.expires(),
            (issued + IDLE).min(T0 + ABSOLUTE),
            "issued T0 + {}",
            issued - T0
        );
        assert!(s.created() <= s.issued() && s.issued() <= s.expires());
    }
}

#[test]
fn an_idle_timeout_equal_to_the_absolute_lifetime_means_no_separate_idle_expiry() {
    let f = common::sealer::fixture_with(|b| {
        b.idle_timeout(secs(ABSOLUTE))
            .absolute_lifetime(secs(ABSOLUTE))
    });
    let value = seal_at(&f, T0);
    let leeway = DEFAULT_LEEWAY.as_secs();
    assert!(open_at(&f, &value, T0 + ABSOLUTE + leeway).is_ok());
    assert_eq!(
        open_at(&f, &value, T0 + ABSOLUTE + leeway + 1).unwrap_err(),
        OpenError::Expired {
            lifetime: Lifetime::Absolute,
            expired_at: T0 + ABSOLUTE
        }
    );
}
